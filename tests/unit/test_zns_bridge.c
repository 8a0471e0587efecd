/*
 * test_zns_bridge.c — ZNS names through a GhostBridge upstream, end to end: an in-process
 * GhostChain service (zquic_grpc_serve on 127.0.0.1:0) whose messages are written and read by
 * protobuf-c code generated from the real ghostchain.proto (not by the code under test), a
 * zquic_dns_serve in front of it with a registry file, and DoQ queries with zquic_dns_query.
 *
 * The service signs its answers with an owner key over a message this test builds by itself
 * from docs/ZNS.md (sorted "TYPE\tTTL\tVALUE\n" lines, BLAKE3, "domain|owner|digest|ts|2^53-1"),
 * so a drift of the resolver's canonical form from the documented one fails here.
 *
 * Cases: signed entry served (A, TXT with zns-owner, MX with priority) and then cached (the
 * service's call count does not grow); registry names never asked; tampered signature, wrong
 * owner, unsigned, another domain, garbage, NOT_FOUND, empty records; a slow service answered
 * SERVFAIL within the timeout while other queries go on; a dead service; a client that gives up
 * (stream reset) while the call runs, whose call the service then sees cancelled. The parser itself: test_zns_bridge_pb.c.
 */
#include "test_helpers.h"

#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "ghostchain.pb-c.h"
#include "zns_bridge.h"

#define TIMEOUT_MS 800

static zquic_context *gctx, *sctx, *cctx;
static zquic_grpc_server *gc;
static zquic_dns_server *dns;
static zquic_connection *conn;
static atomic_int calls;
static char last_domain[256], last_type[16], last_network[32];
static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
static zquic_grpc_server_call *held[8], *held_slow2;
static size_t n_held;

static const uint8_t owner_seed[32] = {0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
                                       0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
                                       0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
                                       0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22};
static const uint8_t other_seed[32] = {0x33};

/* ---- the GhostChain service ------------------------------------------------------------------ */

typedef struct rec {
  const char *type, *value;
  uint32_t priority, ttl;
} rec;

static const rec carol[] = {{"A", "192.0.2.30", 0, 120},
                            {"TXT", "hello from carol", 0, 0}, /* TTL from the response */
                            {"MX", "mail.carol.zns", 10, 600}};

static int line_cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* docs/ZNS.md's signed message, built here from the documentation, not with zns_record.c. */
static void sign_entry(const char *domain, const rec *r, size_t n, uint32_t resp_ttl,
                       uint64_t ts, const uint8_t seed[32], char owner_hex[65], uint8_t sig[64]) {
  char lines[8][300], *sorted[8], text[2400] = "";
  for (size_t i = 0; i < n; i++) {
    char value[280];
    if (!strcmp(r[i].type, "MX")) snprintf(value, sizeof(value), "%u %s", r[i].priority, r[i].value);
    else snprintf(value, sizeof(value), "%s", r[i].value);
    snprintf(lines[i], sizeof(lines[i]), "%s\t%u\t%s\n", r[i].type, r[i].ttl ? r[i].ttl : resp_ttl,
             value);
    sorted[i] = lines[i];
  }
  qsort(sorted, n, sizeof(sorted[0]), line_cmp);
  for (size_t i = 0; i < n; i++) strcat(text, sorted[i]);
  uint8_t digest[32], pub[32];
  size_t len;
  char digest_hex[65], msg[600];
  ASSERT_OK(zquic_crypto_hash(ZQUIC_HASH_BLAKE3, text, strlen(text), digest, 32, &len));
  ASSERT_OK(zquic_crypto_keygen_from_seed(ZQUIC_KEY_ED25519, seed, 32, pub, 32, &len));
  zquic_crypto_hex_encode(pub, 32, owner_hex, 65);
  zquic_crypto_hex_encode(digest, 32, digest_hex, 65);
  snprintf(msg, sizeof(msg), "%s|%s|%s|%llu|9007199254740991", domain, owner_hex, digest_hex,
           (unsigned long long)ts);
  ASSERT_OK(zquic_crypto_sign(ZQUIC_KEY_ED25519, seed, 32, msg, strlen(msg), sig, 64, &len));
}

/* A DomainResponse for `domain` (claimed) with carol's records, signed as `signed_as` with
 * `seed` but naming `owner_seed`'s key when `owner` is set. */
typedef struct answer_spec {
  const char *domain, *signed_as;
  const uint8_t *seed;
  bool wrong_owner, tamper, unsigned_, no_records;
} answer_spec;

static void reply_signed(zquic_grpc_server_call *call, const answer_spec *s) {
  const uint32_t resp_ttl = 300;
  const uint64_t ts = (uint64_t)time(NULL) - 60;
  char owner_hex[65], other_hex[65];
  uint8_t sig[64], other_sig[64];
  size_t n = s->no_records ? 0 : sizeof(carol) / sizeof(carol[0]);
  sign_entry(s->signed_as, carol, n, resp_ttl, ts, s->seed, owner_hex, sig);
  sign_entry(s->signed_as, carol, n, resp_ttl, ts, other_seed, other_hex, other_sig);
  if (s->tamper) sig[5] ^= 0x01;
  Ghost__Chain__V1__DNSRecord recs[3], *ptrs[3];
  for (size_t i = 0; i < n; i++) {
    ghost__chain__v1__dnsrecord__init(&recs[i]);
    recs[i].type = (char *)carol[i].type;
    recs[i].value = (char *)carol[i].value;
    recs[i].priority = carol[i].priority;
    recs[i].ttl = carol[i].ttl;
    ptrs[i] = &recs[i];
  }
  Ghost__Chain__V1__DomainResponse r = GHOST__CHAIN__V1__DOMAIN_RESPONSE__INIT;
  r.domain = (char *)s->domain;
  r.n_records = n;
  r.records = ptrs;
  r.owner_id = s->wrong_owner ? other_hex : owner_hex;
  if (!s->unsigned_) r.signature = (ProtobufCBinaryData){64, sig};
  r.timestamp = ts;
  r.ttl = resp_ttl;
  uint8_t buf[4096];
  size_t len = ghost__chain__v1__domain_response__pack(&r, buf);
  zquic_grpc_server_call_reply(call, buf, len);
}

static void resolve_domain(zquic_grpc_server_call *call, const uint8_t *req, size_t len,
                           void *user) {
  (void)user;
  atomic_fetch_add(&calls, 1);
  Ghost__Chain__V1__DomainQuery *q = ghost__chain__v1__domain_query__unpack(NULL, len, req);
  if (!q || q->n_record_types != 1 ||
      strcmp(zquic_grpc_server_call_method(call), "/ghost.chain.v1.GhostChainService/ResolveDomain")) {
    if (q) ghost__chain__v1__domain_query__free_unpacked(q, NULL);
    zquic_grpc_server_call_finish(call, ZQUIC_GRPC_INVALID_ARGUMENT, "bad query", NULL, 0);
    return;
  }
  snprintf(last_domain, sizeof(last_domain), "%s", q->domain);
  snprintf(last_type, sizeof(last_type), "%s", q->record_types[0]);
  snprintf(last_network, sizeof(last_network), "%s", q->network);
  const char *d = q->domain;
  answer_spec s = {.domain = d, .signed_as = d, .seed = owner_seed};
  if (!strcmp(d, "carol.zns") || !strcmp(d, "dave.ghost")) reply_signed(call, &s);
  else if (!strcmp(d, "tampered.zns")) s.tamper = true, reply_signed(call, &s);
  else if (!strcmp(d, "wrongowner.zns")) s.wrong_owner = true, reply_signed(call, &s);
  else if (!strcmp(d, "unsigned.zns")) s.unsigned_ = true, reply_signed(call, &s);
  else if (!strcmp(d, "mismatch.zns")) s.domain = s.signed_as = "carol.zns", reply_signed(call, &s);
  else if (!strcmp(d, "empty.zns")) s.no_records = true, reply_signed(call, &s);
  else if (!strcmp(d, "garbage.zns")) zquic_grpc_server_call_reply(call, "\x0a\xff\xff\xff", 4);
  else if (!strncmp(d, "slow", 4)) {
    pthread_mutex_lock(&held_lock); /* never answered: finished at teardown */
    if (!strcmp(d, "slow2.zns")) held_slow2 = call;
    if (n_held < 8) held[n_held++] = call;
    else zquic_grpc_server_call_finish(call, ZQUIC_GRPC_INTERNAL, NULL, NULL, 0);
    pthread_mutex_unlock(&held_lock);
  } else zquic_grpc_server_call_finish(call, ZQUIC_GRPC_NOT_FOUND, "no such domain", NULL, 0);
  ghost__chain__v1__domain_query__free_unpacked(q, NULL);
}

/* ---- set-up ------------------------------------------------------------------------------- */

static zquic_dns_server *dns_with_bridge(const char *target, uint32_t timeout_ms) {
  zquic_dns_config cfg;
  zquic_dns_config_init(&cfg);
  cfg.listen = "127.0.0.1:0";
  cfg.cert_file = cert_path("server-chain.pem");
  cfg.key_file = cert_path("server.key");
  cfg.zns_registry = ZQ_TEST_DATA_DIR "/zns-example.json"; /* alice.zns, www.bob.ghost */
  cfg.zns_ghostbridge = target;
  cfg.zns_ghostbridge_ca_file = cert_path("ca.pem");
  cfg.zns_network = "testnet";
  cfg.zns_ghostbridge_timeout_ms = timeout_ms;
  zquic_dns_server *s = NULL;
  return zquic_dns_serve(sctx, &cfg, &s) == ZQUIC_OK ? s : NULL;
}

static int setup(void **state) {
  (void)state;
  zquic_config cfg;
  zquic_config_init(&cfg);
  cfg.cert_file = cert_path("server-chain.pem");
  cfg.key_file = cert_path("server.key");
  cfg.bind_address = "127.0.0.1";
  cfg.port = 0;
  if (zquic_init(&cfg, &gctx) != ZQUIC_OK || zquic_grpc_serve(gctx, resolve_domain, NULL, &gc)) {
    fprintf(stderr, "GhostChain service: %s\n", zquic_last_error());
    return -1;
  }
  char target[64];
  snprintf(target, sizeof(target), "localhost:%d", zquic_grpc_server_port(gc));
  if (zquic_init(NULL, &sctx) != ZQUIC_OK || !(dns = dns_with_bridge(target, TIMEOUT_MS))) {
    fprintf(stderr, "DNS server: %s\n", zquic_last_error());
    return -1;
  }
  char address[64];
  snprintf(address, sizeof(address), "localhost:%d", zquic_dns_server_port(dns));
  zquic_config_init(&cfg);
  cfg.ca_file = cert_path("ca.pem");
  cfg.alpn = "doq";
  if (zquic_init(&cfg, &cctx) != ZQUIC_OK) return -1;
  return zquic_create_connection(cctx, address, &conn) == ZQUIC_OK ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  zquic_close_connection(conn);
  zquic_destroy(cctx);
  zquic_dns_server_free(dns);
  zquic_destroy(sctx);
  for (size_t i = 0; i < n_held; i++)
    zquic_grpc_server_call_finish(held[i], ZQUIC_GRPC_UNAVAILABLE, NULL, NULL, 0);
  zquic_grpc_server_free(gc);
  zquic_destroy(gctx);
  return 0;
}

static zquic_dns_response *ask(const char *name, int type) {
  zquic_dns_response *r = NULL;
  ASSERT_OK(zquic_dns_query(conn, name, type, &r));
  return r;
}

static uint64_t ms_since(const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (uint64_t)((t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000);
}

/* ---- through the resolver ------------------------------------------------------------------ */

static void test_signed_entry_served_and_cached(void **state) {
  (void)state;
  int before = atomic_load(&calls);
  zquic_dns_response *r = ask("Carol.ZNS", ZQUIC_DNS_A);
  assert_int_equal(r->rcode, ZQUIC_DNS_NOERROR);
  assert_int_equal(r->n_records, 1);
  assert_string_equal(r->answer, "192.0.2.30");
  assert_int_equal(r->ttl, 120);
  assert_false(r->authoritative); /* not our data: like a forwarded answer */
  zquic_dns_response_free(r);
  assert_int_equal(atomic_load(&calls), before + 1);
  assert_string_equal(last_domain, "carol.zns"); /* canonical, as the owner signed it */
  assert_string_equal(last_type, "A");
  assert_string_equal(last_network, "testnet");

  r = ask("carol.zns", ZQUIC_DNS_TXT);
  assert_int_equal(r->rcode, ZQUIC_DNS_NOERROR);
  assert_int_equal(r->n_records, 2);
  assert_string_equal(r->records[0].value, "hello from carol");
  assert_int_equal(r->records[0].ttl, 300); /* the response's TTL */
  char owner_hex[65];
  uint8_t sig[64];
  sign_entry("carol.zns", carol, 3, 300, 1, owner_seed, owner_hex, sig);
  char want[100];
  snprintf(want, sizeof(want), "zns-owner=%s", owner_hex);
  assert_string_equal(r->records[1].value, want);
  assert_string_equal(last_type, "TXT");
  zquic_dns_response_free(r);

  r = ask("carol.zns", ZQUIC_DNS_MX);
  assert_int_equal(r->n_records, 1);
  assert_string_equal(r->answer, "10 mail.carol.zns.");
  assert_int_equal(r->ttl, 600);
  zquic_dns_response_free(r);
  r = ask("dave.ghost", ZQUIC_DNS_ZNS); /* the owner convenience kind works through it too */
  assert_string_equal(r->answer, owner_hex);
  zquic_dns_response_free(r);

  int asked = atomic_load(&calls);
  r = ask("carol.zns", ZQUIC_DNS_A); /* from the cache: the service is not asked again */
  assert_string_equal(r->answer, "192.0.2.30");
  assert_true(r->ttl <= 120);
  zquic_dns_response_free(r);
  assert_int_equal(atomic_load(&calls), asked);
}

static void test_registry_first(void **state) {
  (void)state;
  int before = atomic_load(&calls);
  zquic_dns_response *r = ask("alice.zns", ZQUIC_DNS_A);
  assert_string_equal(r->answer, "192.0.2.10");
  assert_true(r->authoritative);
  zquic_dns_response_free(r);
  assert_int_equal(atomic_load(&calls), before);
}

static void expect_refused_answer(const char *name, int ede) {
  zquic_dns_response *r = ask(name, ZQUIC_DNS_A);
  assert_int_equal(r->rcode, ZQUIC_DNS_SERVFAIL);
  assert_int_equal(r->n_records, 0);
  if (r->ede_code != ede) fail_msg("%s: EDE %d (%s), expected %d", name, r->ede_code, r->ede_text, ede);
  zquic_dns_response_free(r);
}

static void test_bad_answers_never_served(void **state) {
  (void)state;
  zquic_dns_stats before = {.struct_size = sizeof(before)};
  ASSERT_OK(zquic_dns_server_stats(dns, &before));
  expect_refused_answer("tampered.zns", 6);
  expect_refused_answer("wrongowner.zns", 6);
  expect_refused_answer("unsigned.zns", 6);
  expect_refused_answer("mismatch.zns", 24);
  expect_refused_answer("garbage.zns", 24);
  zquic_dns_stats st = {.struct_size = sizeof(st)};
  ASSERT_OK(zquic_dns_server_stats(dns, &st));
  assert_int_equal(st.zns_bridge_rejected - before.zns_bridge_rejected, 5);
  assert_int_equal(st.zns_bridge_failures - before.zns_bridge_failures, 5);
}

static void test_not_found_is_nxdomain(void **state) {
  (void)state;
  const char *names[] = {"nobody.zns", "empty.zns"};
  for (size_t i = 0; i < 2; i++) {
    zquic_dns_response *r = ask(names[i], ZQUIC_DNS_A);
    assert_int_equal(r->rcode, ZQUIC_DNS_NXDOMAIN);
    assert_int_equal(r->n_records, 0);
    zquic_dns_response_free(r);
  }
}

typedef struct pending_q {
  atomic_int done;
  int result, rcode, ede;
} pending_q;

static void on_answer(int result, zquic_dns_response *resp, void *user) {
  pending_q *p = user;
  p->result = result;
  p->rcode = resp ? resp->rcode : -1;
  p->ede = resp ? resp->ede_code : -1;
  zquic_dns_response_free(resp);
  atomic_store(&p->done, 1);
}

static void test_slow_service_bounded(void **state) {
  (void)state;
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pending_q slow = {0};
  ASSERT_OK(zquic_dns_query_async(conn, "slow.zns", ZQUIC_DNS_A, NULL, on_answer, &slow));
  usleep(50000);
  zquic_dns_response *r = ask("carol.zns", ZQUIC_DNS_AAAA); /* goes on meanwhile */
  assert_int_equal(r->rcode, ZQUIC_DNS_NOERROR);
  assert_int_equal(r->n_records, 0); /* NODATA: carol has no AAAA */
  zquic_dns_response_free(r);
  /* answered while the slow one still waits: the loop was not held up by it */
  assert_true(ms_since(&t0) < TIMEOUT_MS - 100);
  assert_int_equal(atomic_load(&slow.done), 0);
  while (!atomic_load(&slow.done) && ms_since(&t0) < 5000) usleep(10000);
  uint64_t took = ms_since(&t0);
  assert_int_equal(slow.result, ZQUIC_OK);
  assert_int_equal(slow.rcode, ZQUIC_DNS_SERVFAIL);
  assert_int_equal(slow.ede, 22);
  assert_true(took >= TIMEOUT_MS - 50 && took < TIMEOUT_MS + 1500); /* margin for valgrind */
}

static void test_client_gives_up(void **state) {
  (void)state;
  zquic_dns_stats before = {.struct_size = sizeof(before)};
  ASSERT_OK(zquic_dns_server_stats(dns, &before));
  zquic_dns_query_options o;
  zquic_dns_query_options_init(&o);
  o.timeout_ms = 150; /* the client resets its stream long before the service's deadline */
  pending_q p = {0};
  ASSERT_OK(zquic_dns_query_async(conn, "slow2.zns", ZQUIC_DNS_A, &o, on_answer, &p));
  while (!atomic_load(&p.done)) usleep(10000);
  assert_int_equal(p.result, ZQUIC_ERR_TIMEOUT);
  /* The resolver cancels its call at once: the service sees it long before the deadline. */
  pthread_mutex_lock(&held_lock);
  zquic_grpc_server_call *sc = held_slow2;
  pthread_mutex_unlock(&held_lock);
  assert_non_null(sc);
  for (int i = 0; i < 30 && !zquic_grpc_server_call_cancelled(sc); i++) usleep(10000);
  assert_int_equal(zquic_grpc_server_call_cancelled(sc), 1);
  usleep((TIMEOUT_MS + 300) * 1000); /* past the deadline: nothing more comes of it */
  zquic_dns_stats st = {.struct_size = sizeof(st)};
  ASSERT_OK(zquic_dns_server_stats(dns, &st));
  assert_int_equal(st.cancelled - before.cancelled, 1);
  assert_int_equal(st.zns_bridge_lookups - before.zns_bridge_lookups, 1);
  zquic_dns_response *r = ask("carol.zns", ZQUIC_DNS_MX); /* and the server is fine */
  assert_string_equal(r->answer, "10 mail.carol.zns.");
  zquic_dns_response_free(r);
}

static void test_dead_service(void **state) {
  (void)state;
  zquic_dns_server *d = dns_with_bridge("localhost:9", 600); /* nothing listens on port 9 */
  assert_non_null(d);
  char address[64];
  snprintf(address, sizeof(address), "localhost:%d", zquic_dns_server_port(d));
  zquic_connection *c;
  ASSERT_OK(zquic_create_connection(cctx, address, &c));
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  zquic_dns_response *r = NULL;
  ASSERT_OK(zquic_dns_query(c, "carol.zns", ZQUIC_DNS_A, &r));
  assert_int_equal(r->rcode, ZQUIC_DNS_SERVFAIL);
  assert_true(r->ede_code == 22 || r->ede_code == 23);
  zquic_dns_response_free(r);
  assert_true(ms_since(&t0) < 600 + 1500);
  zquic_dns_stats st = {.struct_size = sizeof(st)};
  ASSERT_OK(zquic_dns_server_stats(d, &st));
  assert_int_equal(st.zns_bridge_lookups, 1);
  assert_int_equal(st.zns_bridge_failures, 1);
  zquic_close_connection(c);
  zquic_dns_server_free(d);
}

static void test_bad_config(void **state) {
  (void)state;
  zquic_dns_config cfg;
  zquic_dns_config_init(&cfg);
  assert_null(cfg.zns_ghostbridge); /* nothing leaves the machine by default */
  assert_int_equal(cfg.zns_ghostbridge_timeout_ms, 0);
  cfg.listen = "127.0.0.1:0";
  cfg.cert_file = cert_path("server-chain.pem");
  cfg.key_file = cert_path("server.key");
  cfg.zns_ghostbridge = "";
  zquic_dns_server *s = NULL;
  assert_int_equal(zquic_dns_serve(sctx, &cfg, &s), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_null(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_signed_entry_served_and_cached),
    cmocka_unit_test(test_registry_first),
    cmocka_unit_test(test_bad_answers_never_served),
    cmocka_unit_test(test_not_found_is_nxdomain),
    cmocka_unit_test(test_slow_service_bounded),
    cmocka_unit_test(test_client_gives_up),
    cmocka_unit_test(test_dead_service),
    cmocka_unit_test(test_bad_config),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
