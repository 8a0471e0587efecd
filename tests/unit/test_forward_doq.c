/*
 * test_forward_doq.c — forwarding to DNS-over-QUIC upstreams (src/dns/forward_doq.c) against a
 * real DoQ server (zquic_dns_serve with a zone, its own context): answers with the client's ID
 * given back, the query padded on the way (the upstream pads its answer only to a padded query),
 * one connection for many forwards, failover from a dead DoQ upstream to a live one, TLS
 * verification that fails on the wrong CA and on the wrong certificate name (bounded, the next
 * upstream asked), cancel and free with exchanges in flight, and the whole chain through the
 * public API: a DoQ server whose upstream is a DoQ server, cache included.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "forward_internal.h"
#include "test_helpers.h"

static zquic_context *ctx, *up_ctx;
static zquic_dns_server *upstream_srv;
static char up_addr[64], zone_path[256];

static const char zone_text[] =
  "$ORIGIN fwd.test.\n$TTL 300\n"
  "@ IN SOA ns.fwd.test. admin.fwd.test. 1 7200 900 1209600 60\n"
  "@ IN NS ns\nns IN A 192.0.2.53\nwww IN A 192.0.2.80\n";

typedef struct result {
  bool done;
  int status, calls;
  uint8_t answer[2048];
  size_t len;
} result;

static void on_done(int status, const uint8_t *answer, size_t len, void *user) {
  result *r = user;
  r->calls++;
  r->done = true;
  r->status = status;
  r->len = len < sizeof(r->answer) ? len : sizeof(r->answer);
  if (answer) memcpy(r->answer, answer, r->len);
}

typedef struct start_args {
  zq_dns_forwarder *fw;
  const char *name;
  uint16_t client_id;
  result *res;
  zq_dns_forward *f;
  int rc;
} start_args;

static int start_on_loop(void *arg) {
  start_args *a = arg;
  ldns_rdf *dname = ldns_dname_new_frm_str(a->name);
  ldns_pkt *p = ldns_pkt_query_new(dname, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, LDNS_RD);
  uint8_t *wire = NULL;
  size_t len = 0;
  ldns_pkt2wire(&wire, p, &len);
  ldns_pkt_free(p);
  zq_dns_query q;
  zq_dns_parse_query(wire, len, &q);
  free(wire);
  q.id = a->client_id;
  a->rc = zq_dns_forward_start(a->fw, &q, on_done, a->res, &a->f);
  zq_dns_query_clear(&q);
  return 0;
}

static zq_dns_forward *start(zq_dns_forwarder *fw, const char *name, uint16_t id, result *res) {
  start_args a = {fw, name, id, res, NULL, 0};
  bool taken = zq_ctx_enter(ctx);
  zq_ctx_call(ctx, start_on_loop, &a);
  zq_ctx_leave(ctx, taken);
  assert_int_equal(a.rc, ZQUIC_OK);
  return a.f;
}

static bool wait_done(result *r, int ms) {
  for (int i = 0; i < ms / 5; i++) {
    pthread_mutex_lock(&ctx->lock);
    bool done = r->done;
    pthread_mutex_unlock(&ctx->lock);
    if (done) return true;
    usleep(5000);
  }
  return false;
}

static uint64_t ms_now(void) { return zq_now_ns() / 1000000; }

static zq_dns_forwarder *forwarder(const char *up1, const char *up2, uint32_t timeout_ms,
                                   const char *ca) {
  const char *ups[] = {up1, up2};
  zq_dns_forwarder *fw = NULL;
  ASSERT_OK(zq_dns_forwarder_new(ctx, ups, up2 ? 2 : 1, timeout_ms, ca, &fw));
  return fw;
}

static uint64_t upstream_queries(void) {
  zquic_dns_stats st;
  memset(&st, 0, sizeof(st));
  st.struct_size = sizeof(st);
  ASSERT_OK(zquic_dns_server_stats(upstream_srv, &st));
  return st.queries;
}

/* The answer's A record for www.fwd.test, and whether its OPT carries a padding option. */
static void check_answer(const result *r, uint16_t id) {
  assert_int_equal(r->status, ZQ_DNS_FWD_OK);
  assert_int_equal(r->answer[0] << 8 | r->answer[1], id);
  ldns_pkt *p = NULL;
  assert_int_equal(ldns_wire2pkt(&p, r->answer, r->len), LDNS_STATUS_OK);
  assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
  ldns_rr_list *an = ldns_pkt_answer(p);
  assert_int_equal(ldns_rr_list_rr_count(an), 1);
  char *text = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(an, 0), 0));
  assert_string_equal(text, "192.0.2.80");
  free(text);
  ldns_rdf *opts = ldns_pkt_edns_data(p);
  bool padded = false;
  for (size_t i = 0; opts && i + 4 <= ldns_rdf_size(opts);) {
    const uint8_t *o = ldns_rdf_data(opts) + i;
    if ((o[0] << 8 | o[1]) == 12) padded = true;
    i += 4 + (size_t)(o[2] << 8 | o[3]);
  }
  assert_true(padded); /* our server pads answers only to padded queries (RFC 8467) */
  ldns_pkt_free(p);
}

static void test_doq_answers_one_connection(void **state) {
  (void)state;
  char up[96];
  snprintf(up, sizeof(up), "doq://%s#localhost", up_addr);
  zq_dns_forwarder *fw = forwarder(up, NULL, 3000, cert_path("ca.pem"));
  uint64_t before = upstream_queries();
  enum { N = 12 };
  result res[N];
  memset(res, 0, sizeof(res));
  for (int i = 0; i < N; i++) start(fw, "www.fwd.test.", (uint16_t)(0x4000 + i), &res[i]);
  for (int i = 0; i < N; i++) {
    assert_true(wait_done(&res[i], 5000));
    assert_int_equal(res[i].calls, 1);
    check_answer(&res[i], (uint16_t)(0x4000 + i));
  }
  assert_int_equal(upstream_queries() - before, N);
  assert_int_equal(zquic_dns_client_connects(fw->ups[0].doq), 1); /* one kept connection */
  zq_dns_forwarder_free(fw);
}

static void test_doq_failover_and_verification(void **state) {
  (void)state;
  char good[96], wrong_name[96];
  snprintf(good, sizeof(good), "doq://%s", up_addr); /* verified against the IP SAN */
  snprintf(wrong_name, sizeof(wrong_name), "doq://%s#wrong.example", up_addr);
  /* A dead DoQ upstream first: its attempt times out, the second answers. */
  zq_dns_forwarder *fw = forwarder("doq://127.0.0.1:9", good, 400, cert_path("ca.pem"));
  result r = {0};
  uint64_t t0 = ms_now();
  start(fw, "www.fwd.test.", 7, &r);
  assert_true(wait_done(&r, 5000));
  check_answer(&r, 7);
  assert_true(ms_now() - t0 < 400 * 2 + 1000);
  zq_dns_forwarder_free(fw);

  /* The certificate names another host, or chains to a CA we do not trust: never believed. */
  const char *ca[] = {cert_path("ca.pem"), cert_path("other-ca.pem")};
  const char *ups[] = {wrong_name, good};
  for (int i = 0; i < 2; i++) {
    fw = forwarder(ups[i], NULL, 1500, ca[i]);
    memset(&r, 0, sizeof(r));
    t0 = ms_now();
    start(fw, "www.fwd.test.", 9, &r);
    assert_true(wait_done(&r, 5000));
    assert_int_equal(r.status, ZQ_DNS_FWD_NETWORK);
    assert_true(ms_now() - t0 < 1500 + 1000);
    zq_dns_forwarder_free(fw);
  }
}

/* Start a forward and cancel it in the same loop turn: no answer can come in between. */
static int start_and_cancel_on_loop(void *arg) {
  start_args *a = arg;
  start_on_loop(a);
  if (a->rc == 0) zq_dns_forward_cancel(a->f);
  return 0;
}

static void test_doq_cancel_and_free_in_flight(void **state) {
  (void)state;
  char up[96];
  snprintf(up, sizeof(up), "doq://%s#localhost", up_addr);
  zq_dns_forwarder *fw = forwarder(up, NULL, 3000, cert_path("ca.pem"));
  result cancelled = {0}, later = {0};
  start_args a = {fw, "www.fwd.test.", 1, &cancelled, NULL, 0};
  bool taken = zq_ctx_enter(ctx);
  zq_ctx_call(ctx, start_and_cancel_on_loop, &a);
  zq_ctx_leave(ctx, taken);
  assert_int_equal(a.rc, ZQUIC_OK);
  /* The cancelled exchange still runs to its end upstream; a forward after it works. */
  start(fw, "www.fwd.test.", 2, &later);
  assert_true(wait_done(&later, 5000));
  check_answer(&later, 2);
  zq_dns_forwarder_free(fw);
  assert_false(cancelled.done);

  /* An upstream that never answers (a silent socket): the exchange is surely in flight when the
   * forwarder is freed, and its callback never reaches the forward. */
  int silent = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_int_equal(bind(silent, (struct sockaddr *)&sa, sizeof(sa)), 0);
  socklen_t sl = sizeof(sa);
  getsockname(silent, (struct sockaddr *)&sa, &sl);
  snprintf(up, sizeof(up), "doq://127.0.0.1:%u#localhost", ntohs(sa.sin_port));
  fw = forwarder(up, NULL, 3000, cert_path("ca.pem"));
  result dropped = {0};
  start(fw, "www.fwd.test.", 3, &dropped);
  usleep(50 * 1000);
  zq_dns_forwarder_free(fw);
  usleep(300 * 1000);
  assert_false(dropped.done);
  close(silent);
}

/* A DoQ server whose upstream is a DoQ server, through the public API only. */
static void test_doq_chain_public_api(void **state) {
  (void)state;
  zquic_context *sctx = NULL, *cctx = NULL;
  ASSERT_OK(zquic_init(NULL, &sctx));
  char up[96];
  snprintf(up, sizeof(up), "doq://%s#localhost", up_addr);
  const char *ups[] = {up};
  zquic_dns_config cfg;
  zquic_dns_config_init(&cfg);
  cfg.listen = "127.0.0.1:0";
  cfg.cert_file = cert_path("server-chain.pem");
  cfg.key_file = cert_path("server.key");
  cfg.upstreams = ups;
  cfg.n_upstreams = 1;
  cfg.upstream_ca_file = cert_path("ca.pem");
  zquic_dns_server *srv = NULL;
  ASSERT_OK(zquic_dns_serve(sctx, &cfg, &srv));
  zquic_config ccfg;
  zquic_config_init(&ccfg);
  ccfg.ca_file = cert_path("ca.pem");
  ccfg.alpn = "doq";
  ASSERT_OK(zquic_init(&ccfg, &cctx));
  char addr[64];
  snprintf(addr, sizeof(addr), "localhost:%d", zquic_dns_server_port(srv));
  zquic_connection *c = NULL;
  ASSERT_OK(zquic_create_connection(cctx, addr, &c));
  uint64_t before = upstream_queries();
  for (int i = 0; i < 2; i++) {
    zquic_dns_response *r = NULL;
    ASSERT_OK(zquic_dns_query(c, "www.fwd.test", ZQUIC_DNS_A, &r));
    assert_int_equal(r->rcode, 0);
    assert_int_equal(r->n_records, 1);
    assert_string_equal(r->records[0].value, "192.0.2.80");
    assert_false(r->authoritative); /* we relayed it */
    zquic_dns_response_free(r);
  }
  assert_int_equal(upstream_queries() - before, 1); /* the second came from our cache */
  zquic_dns_stats st;
  memset(&st, 0, sizeof(st));
  st.struct_size = sizeof(st);
  ASSERT_OK(zquic_dns_server_stats(srv, &st));
  assert_int_equal(st.forwarded, 1);
  assert_int_equal(st.upstream_failures, 0);
  zquic_close_connection(c);
  zquic_destroy(cctx);
  zquic_dns_server_free(srv);
  zquic_destroy(sctx);
}

static int setup(void **state) {
  (void)state;
  snprintf(zone_path, sizeof(zone_path), "/tmp/zquic-fwd-doq-%d.zone", (int)getpid());
  FILE *f = fopen(zone_path, "w");
  if (!f) return -1;
  fputs(zone_text, f);
  fclose(f);
  if (zquic_init(NULL, &up_ctx) != ZQUIC_OK || zquic_init(NULL, &ctx) != ZQUIC_OK) return -1;
  zquic_dns_config cfg;
  zquic_dns_config_init(&cfg);
  const char *zones[] = {zone_path};
  cfg.listen = "127.0.0.1:0";
  cfg.cert_file = cert_path("server-chain.pem");
  cfg.key_file = cert_path("server.key");
  cfg.zone_files = zones;
  cfg.n_zone_files = 1;
  if (zquic_dns_serve(up_ctx, &cfg, &upstream_srv) != ZQUIC_OK) return -1;
  snprintf(up_addr, sizeof(up_addr), "127.0.0.1:%d", zquic_dns_server_port(upstream_srv));
  return 0;
}

static int teardown(void **state) {
  (void)state;
  zquic_destroy(ctx);
  zquic_dns_server_free(upstream_srv);
  zquic_destroy(up_ctx);
  unlink(zone_path);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_doq_answers_one_connection),
    cmocka_unit_test(test_doq_failover_and_verification),
    cmocka_unit_test(test_doq_cancel_and_free_in_flight),
    cmocka_unit_test(test_doq_chain_public_api),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
