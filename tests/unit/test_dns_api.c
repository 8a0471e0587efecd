/*
 * test_dns_api.c — CNS/ZNS through the public API only: zquic_dns_serve with a zone, queries
 * with zquic_dns_query (records, NXDOMAIN with AA, REFUSED with its Extended DNS Error, padding
 * on and off), a client that reuses its connection and resumes with 0-RTT after the connection
 * idled out, reload keeping the old zone when the new one is broken, stats, bad arguments;
 * asynchronous queries: many in flight past the stream limit, chains started
 * from the callback on the loop thread, timeouts, answers not believed, close/free/destroy with
 * queries in flight, and the client's reconnect across a server restart.
 */
#include "test_helpers.h"

#include <time.h>
#include <unistd.h>

static zquic_context *sctx, *cctx;
static zquic_dns_server *dns;
static char address[64], zone_path[256];

static const char zone_text[] =
  "$ORIGIN api.test.\n$TTL 300\n"
  "@ IN SOA ns.api.test. admin.api.test. 1 7200 900 1209600 60\n"
  "@ IN NS ns\nns IN A 192.0.2.53\nwww IN A 192.0.2.80\nwww IN AAAA 2001:db8::80\n"
  "txt IN TXT \"eth=0x1234\" \"more\"\nmx IN MX 10 mail.api.test.\n"
  "n0 IN A 10.0.0.0\nn1 IN A 10.0.0.1\nn2 IN A 10.0.0.2\nn3 IN A 10.0.0.3\n"
  "n4 IN A 10.0.0.4\nn5 IN A 10.0.0.5\nn6 IN A 10.0.0.6\nn7 IN A 10.0.0.7\n";

static void write_zone(const char *text) {
  FILE *f = fopen(zone_path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static int setup(void **state) {
  (void)state;
  snprintf(zone_path, sizeof(zone_path), "/tmp/zquic-dns-api-%d.zone", (int)getpid());
  FILE *f = fopen(zone_path, "w");
  if (!f) return -1;
  fputs(zone_text, f);
  fclose(f);
  if (zquic_init(NULL, &sctx) != ZQUIC_OK) return -1;
  zquic_dns_config cfg;
  zquic_dns_config_init(&cfg);
  const char *zones[] = {zone_path};
  cfg.listen = "127.0.0.1:0";
  cfg.cert_file = cert_path("server-chain.pem");
  cfg.key_file = cert_path("server.key");
  cfg.zone_files = zones;
  cfg.n_zone_files = 1;
  cfg.enable_0rtt = 1;
  if (zquic_dns_serve(sctx, &cfg, &dns) != ZQUIC_OK) return -1;
  snprintf(address, sizeof(address), "localhost:%d", zquic_dns_server_port(dns));
  zquic_config ccfg;
  zquic_config_init(&ccfg);
  ccfg.ca_file = cert_path("ca.pem");
  ccfg.alpn = "doq";
  ccfg.idle_timeout_ms = 400; /* so the client test can see a reconnection */
  return zquic_init(&ccfg, &cctx) == ZQUIC_OK ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  zquic_destroy(cctx);
  zquic_dns_server_free(dns);
  zquic_destroy(sctx);
  unlink(zone_path);
  return 0;
}

static void test_query(void **state) {
  (void)state;
  zquic_connection *c;
  ASSERT_OK(zquic_create_connection(cctx, address, &c));
  zquic_dns_response *r;
  ASSERT_OK(zquic_dns_query(c, "www.api.test", ZQUIC_DNS_AAAA, &r));
  assert_int_equal(r->rcode, ZQUIC_DNS_NOERROR);
  assert_int_equal(r->n_records, 1);
  assert_string_equal(r->answer, "2001:db8::80");
  assert_int_equal(r->records[0].rdata_len, 16);
  assert_true(r->authoritative);
  zquic_dns_response_free(r);
  ASSERT_OK(zquic_dns_query(c, "txt.api.test.", ZQUIC_DNS_TXT, &r));
  assert_string_equal(r->records[0].value, "eth=0x1234more");
  zquic_dns_response_free(r);
  ASSERT_OK(zquic_dns_query(c, "txt.api.test", ZQUIC_DNS_ENS, &r)); /* the eth= convenience */
  assert_string_equal(r->answer, "0x1234more");
  zquic_dns_response_free(r);
  ASSERT_OK(zquic_dns_query(c, "mx.api.test", ZQUIC_DNS_MX, &r));
  assert_string_equal(r->answer, "10 mail.api.test.");
  zquic_dns_response_free(r);
  ASSERT_OK(zquic_dns_query(c, "nope.api.test", ZQUIC_DNS_A, &r));
  assert_int_equal(r->rcode, ZQUIC_DNS_NXDOMAIN);
  assert_int_equal(r->n_records, 0);
  assert_string_equal(r->answer, "");
  zquic_dns_response_free(r);
  zquic_dns_query_options o;
  zquic_dns_query_options_init(&o);
  o.padding = 0;
  ASSERT_OK(zquic_dns_query_ex(c, "elsewhere.example", ZQUIC_DNS_A, &o, &r));
  assert_int_equal(r->rcode, ZQUIC_DNS_REFUSED);
  assert_int_equal(r->ede_code, 20);
  zquic_dns_response_free(r);
  zquic_dns_stats st = {.struct_size = sizeof(st)};
  ASSERT_OK(zquic_dns_server_stats(dns, &st));
  assert_true(st.queries >= 6);
  assert_true(st.refused >= 1);
  assert_true(st.nxdomain >= 1);
  zquic_close_connection(c);
}

static void test_client_reuse_and_0rtt(void **state) {
  (void)state;
  zquic_connect_options co;
  zquic_connect_options_init(&co);
  co.enable_0rtt = 1;
  zquic_dns_client *dc;
  ASSERT_OK(zquic_dns_client_create(cctx, address, &co, &dc));
  zquic_dns_response *r;
  for (int i = 0; i < 20; i++) {
    ASSERT_OK(zquic_dns_client_query(dc, "www.api.test", ZQUIC_DNS_A, NULL, &r));
    assert_string_equal(r->answer, "192.0.2.80");
    zquic_dns_response_free(r);
  }
  assert_int_equal(zquic_dns_client_connects(dc), 1); /* one connection for all of them */
  usleep(1200000); /* idle timeout (400 ms) ends it; the ticket has arrived long before */
  ASSERT_OK(zquic_dns_client_query(dc, "www.api.test", ZQUIC_DNS_A, NULL, &r));
  assert_string_equal(r->answer, "192.0.2.80");
  zquic_dns_response_free(r);
  assert_int_equal(zquic_dns_client_connects(dc), 2);
  assert_int_equal(zquic_dns_client_early_connects(dc), 1); /* resumed with 0-RTT accepted */
  zquic_dns_client_free(dc);
}

static void test_reload(void **state) {
  (void)state;
  write_zone("this is not a zone\n");
  assert_int_not_equal(zquic_dns_server_reload(dns), ZQUIC_OK);
  assert_non_null(strstr(zquic_last_error(), zone_path));
  zquic_connection *c;
  ASSERT_OK(zquic_create_connection(cctx, address, &c));
  zquic_dns_response *r;
  ASSERT_OK(zquic_dns_query(c, "www.api.test", ZQUIC_DNS_A, &r)); /* the old zone still serves */
  assert_string_equal(r->answer, "192.0.2.80");
  zquic_dns_response_free(r);
  char changed[sizeof(zone_text) + 64];
  snprintf(changed, sizeof(changed), "%snew IN A 192.0.2.99\n", zone_text);
  write_zone(changed);
  ASSERT_OK(zquic_dns_server_reload(dns));
  ASSERT_OK(zquic_dns_query(c, "new.api.test", ZQUIC_DNS_A, &r));
  assert_string_equal(r->answer, "192.0.2.99");
  zquic_dns_response_free(r);
  zquic_close_connection(c);
}

static void test_bad_arguments(void **state) {
  (void)state;
  zquic_dns_response *r = (zquic_dns_response *)1;
  assert_int_equal(zquic_dns_query(NULL, "a.test", 1, &r), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_null(r);
  zquic_connection *c;
  ASSERT_OK(zquic_create_connection(cctx, address, &c));
  assert_int_equal(zquic_dns_query(c, "", 1, &r), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(zquic_dns_query(c, "a..b", 1, &r), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(zquic_dns_query(c, "a.test", 0, &r), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(zquic_dns_query(c, "a.test", 70000, &r), ZQUIC_ERR_INVALID_ARGUMENT);
  char longname[300];
  memset(longname, 'a', sizeof(longname) - 1);
  longname[sizeof(longname) - 1] = '\0';
  assert_int_equal(zquic_dns_query(c, longname, 1, &r), ZQUIC_ERR_INVALID_ARGUMENT);
  zquic_dns_query_options o;
  memset(&o, 0, sizeof(o));
  assert_int_equal(zquic_dns_query_ex(c, "a.test", 1, &o, &r), ZQUIC_ERR_INVALID_ARGUMENT);
  zquic_close_connection(c);
  zquic_dns_client *dc = (zquic_dns_client *)1;
  assert_int_equal(zquic_dns_client_create(cctx, "no-port", NULL, &dc), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_null(dc);
  /* A name that cannot be sent is refused at the call, before the client connects. */
  ASSERT_OK(zquic_dns_client_create(cctx, address, NULL, &dc));
  assert_int_equal(zquic_dns_client_query(dc, "a..b.test", ZQUIC_DNS_A, NULL, &r),
                   ZQUIC_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(zquic_last_error(), "not a domain name"));
  assert_int_equal(zquic_dns_client_connects(dc), 0);
  zquic_dns_client_free(dc);
  zquic_dns_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  zquic_dns_server *s = NULL;
  assert_int_equal(zquic_dns_serve(sctx, &cfg, &s), ZQUIC_ERR_INVALID_ARGUMENT);
  zquic_dns_config_init(&cfg);
  const char *missing[] = {"/nonexistent/zone"};
  cfg.zone_files = missing;
  cfg.n_zone_files = 1;
  cfg.listen = "127.0.0.1:0";
  cfg.cert_file = cert_path("server-chain.pem");
  cfg.key_file = cert_path("server.key");
  assert_int_not_equal(zquic_dns_serve(sctx, &cfg, &s), ZQUIC_OK);
  assert_null(s);
  zquic_dns_stats st;
  memset(&st, 0, sizeof(st));
  assert_int_equal(zquic_dns_server_stats(dns, &st), ZQUIC_ERR_INVALID_ARGUMENT);
  zquic_dns_response_free(NULL);
  zquic_dns_client_free(NULL);
  zquic_dns_server_free(NULL);
}

/* ---- asynchronous queries ------------------------------------------------------------------- */

/* Callbacks run on the loop thread: they count under a lock the test thread waits on. */
static pthread_mutex_t a_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t a_cond = PTHREAD_COND_INITIALIZER;
static int a_done;

typedef struct aq {
  int index, calls, result, rcode, ede;
  char answer[512];
} aq;

static void aq_cb(int result, zquic_dns_response *resp, void *user) {
  aq *q = user;
  pthread_mutex_lock(&a_lock);
  q->calls++;
  q->result = result;
  assert_true(result == ZQUIC_OK ? resp != NULL : resp == NULL);
  if (resp) {
    q->rcode = resp->rcode;
    q->ede = resp->ede_code;
    snprintf(q->answer, sizeof(q->answer), "%s", resp->answer);
  }
  a_done++;
  pthread_cond_broadcast(&a_cond);
  pthread_mutex_unlock(&a_lock);
  zquic_dns_response_free(resp);
}

static void a_reset(aq *qs, int n) {
  pthread_mutex_lock(&a_lock);
  a_done = 0;
  if (n > 0) memset(qs, 0, sizeof(aq) * (size_t)n);
  for (int i = 0; i < n; i++) qs[i].index = i;
  pthread_mutex_unlock(&a_lock);
}

/* Wait until `n` callbacks have run (or `ms` passed); returns how many did. */
static int a_wait(int n, int ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += ms / 1000;
  ts.tv_nsec += (long)(ms % 1000) * 1000000;
  if (ts.tv_nsec >= 1000000000) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000;
  }
  pthread_mutex_lock(&a_lock);
  while (a_done < n && pthread_cond_timedwait(&a_cond, &a_lock, &ts) == 0) {
  }
  int done = a_done;
  pthread_mutex_unlock(&a_lock);
  return done;
}

#define MANY 300 /* the server allows 100 streams at once: most wait in line */

static void test_async_many(void **state) {
  (void)state;
  static aq qs[MANY];
  zquic_connection *c;
  ASSERT_OK(zquic_create_connection(cctx, address, &c));
  a_reset(qs, MANY);
  for (int i = 0; i < MANY; i++) {
    char name[32];
    snprintf(name, sizeof(name), "n%d.api.test", i % 8);
    ASSERT_OK(zquic_dns_query_async(c, name, ZQUIC_DNS_A, NULL, aq_cb, &qs[i]));
  }
  assert_int_equal(a_wait(MANY, 20000), MANY);
  for (int i = 0; i < MANY; i++) {
    char want[32];
    snprintf(want, sizeof(want), "10.0.0.%d", i % 8);
    assert_int_equal(qs[i].calls, 1);
    assert_int_equal(qs[i].result, ZQUIC_OK);
    assert_string_equal(qs[i].answer, want); /* each answer belongs to its own question */
  }
  zquic_close_connection(c);
}

/* A chain: each callback starts the next query from the loop thread, which must not block. */
typedef struct chain {
  zquic_connection *conn;
  int left, ok, loop_thread_refused;
} chain;

static void chain_cb(int result, zquic_dns_response *resp, void *user) {
  chain *ch = user;
  if (result == ZQUIC_OK && !strcmp(resp->answer, "192.0.2.80")) ch->ok++;
  zquic_dns_response_free(resp);
  zquic_dns_response *r = NULL;
  if (zquic_dns_query(ch->conn, "www.api.test", ZQUIC_DNS_A, &r) == ZQUIC_ERR_LOOP_THREAD)
    ch->loop_thread_refused++;
  pthread_mutex_lock(&a_lock);
  int more = --ch->left > 0;
  pthread_mutex_unlock(&a_lock);
  if (more && zquic_dns_query_async(ch->conn, "www.api.test", ZQUIC_DNS_A, NULL, chain_cb, ch) == 0)
    return;
  pthread_mutex_lock(&a_lock);
  a_done++;
  pthread_cond_broadcast(&a_cond);
  pthread_mutex_unlock(&a_lock);
}

static void test_async_chain_on_loop(void **state) {
  (void)state;
  enum { CHAINS = 10, LENGTH = 20 };
  static chain chains[CHAINS];
  zquic_connection *c;
  ASSERT_OK(zquic_create_connection(cctx, address, &c));
  a_reset(NULL, 0);
  for (int i = 0; i < CHAINS; i++) {
    chains[i] = (chain){c, LENGTH, 0, 0};
    ASSERT_OK(zquic_dns_query_async(c, "www.api.test", ZQUIC_DNS_A, NULL, chain_cb, &chains[i]));
  }
  assert_int_equal(a_wait(CHAINS, 20000), CHAINS);
  for (int i = 0; i < CHAINS; i++) {
    assert_int_equal(chains[i].ok, LENGTH);
    assert_int_equal(chains[i].loop_thread_refused, LENGTH);
  }
  zquic_close_connection(c);
}

static void test_async_rcodes_and_bad_arguments(void **state) {
  (void)state;
  static aq qs[4];
  zquic_connection *c;
  ASSERT_OK(zquic_create_connection(cctx, address, &c));
  a_reset(qs, 4);
  ASSERT_OK(zquic_dns_query_async(c, "nope.api.test", ZQUIC_DNS_A, NULL, aq_cb, &qs[0]));
  ASSERT_OK(zquic_dns_query_async(c, "elsewhere.example", ZQUIC_DNS_A, NULL, aq_cb, &qs[1]));
  ASSERT_OK(zquic_dns_query_async(c, "txt.api.test", ZQUIC_DNS_ENS, NULL, aq_cb, &qs[2]));
  assert_int_equal(a_wait(3, 10000), 3);
  assert_int_equal(qs[0].result, ZQUIC_OK);
  assert_int_equal(qs[0].rcode, ZQUIC_DNS_NXDOMAIN);
  assert_int_equal(qs[1].rcode, ZQUIC_DNS_REFUSED);
  assert_int_equal(qs[1].ede, 20);
  assert_string_equal(qs[2].answer, "0x1234more"); /* the ENS kind, as the blocking call */
  char longname[300];
  memset(longname, 'a', sizeof(longname) - 1);
  longname[sizeof(longname) - 1] = '\0';
  zquic_dns_query_options bad;
  memset(&bad, 0, sizeof(bad));
  assert_int_equal(zquic_dns_query_async(NULL, "a.test", 1, NULL, aq_cb, &qs[3]),
                   ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(zquic_dns_query_async(c, NULL, 1, NULL, aq_cb, &qs[3]),
                   ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(zquic_dns_query_async(c, "a.test", 1, NULL, NULL, &qs[3]),
                   ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(zquic_dns_query_async(c, longname, 1, NULL, aq_cb, &qs[3]),
                   ZQUIC_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(zquic_last_error(), "253"));
  assert_int_equal(zquic_dns_query_async(c, "a..b", 1, NULL, aq_cb, &qs[3]),
                   ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(zquic_dns_query_async(c, "a.test", 0, NULL, aq_cb, &qs[3]),
                   ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(zquic_dns_query_async(c, "a.test", 1, &bad, aq_cb, &qs[3]),
                   ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(zquic_dns_client_query_async(NULL, "a.test", 1, NULL, aq_cb, &qs[3]),
                   ZQUIC_ERR_INVALID_ARGUMENT);
  usleep(100000);
  assert_int_equal(a_wait(4, 10), 3); /* no callback for a call that returned an error */
  assert_int_equal(qs[3].calls, 0);
  zquic_close_connection(c);
}

/* A DoQ-speaking server that never answers: connections are never accepted, streams sit. */
static int silent_start(zquic_context **ctx, zquic_server **srv, char *addr, size_t cap) {
  zquic_config cfg;
  zquic_config_init(&cfg);
  cfg.cert_file = cert_path("server-chain.pem");
  cfg.key_file = cert_path("server.key");
  cfg.alpn = "doq";
  if (zquic_init(&cfg, ctx) != ZQUIC_OK) return -1;
  zquic_server_config scfg;
  zquic_server_config_init(&scfg);
  scfg.listen = "127.0.0.1:0";
  if (zquic_create_server(*ctx, &scfg, srv) != ZQUIC_OK) return -1;
  snprintf(addr, cap, "localhost:%d", zquic_server_port(*srv));
  return 0;
}

static void test_async_timeout_and_bad_answers(void **state) {
  (void)state;
  static aq qs[2];
  zquic_context *sx;
  zquic_server *silent;
  char silent_addr[64];
  assert_int_equal(silent_start(&sx, &silent, silent_addr, sizeof(silent_addr)), 0);
  zquic_connection *c;
  ASSERT_OK(zquic_create_connection(cctx, silent_addr, &c));
  zquic_dns_query_options o;
  zquic_dns_query_options_init(&o);
  o.timeout_ms = 300;
  a_reset(qs, 2);
  ASSERT_OK(zquic_dns_query_async(c, "www.api.test", ZQUIC_DNS_A, &o, aq_cb, &qs[0]));
  assert_int_equal(a_wait(1, 200), 0); /* not before its deadline */
  assert_int_equal(a_wait(1, 5000), 1);
  assert_int_equal(qs[0].result, ZQUIC_ERR_TIMEOUT);
  zquic_dns_response *r = NULL;
  assert_int_equal(zquic_dns_query_ex(c, "www.api.test", ZQUIC_DNS_A, &o, &r), ZQUIC_ERR_TIMEOUT);
  assert_null(r);
  zquic_close_connection(c);
  zquic_server_free(silent);
  zquic_destroy(sx);
  /* An echo server sends the query back: a message without QR is not an answer. */
  echo_server es;
  assert_int_equal(echo_server_start(&es, "doq"), 0);
  ASSERT_OK(zquic_create_connection(cctx, es.address, &c));
  ASSERT_OK(zquic_dns_query_async(c, "www.api.test", ZQUIC_DNS_A, NULL, aq_cb, &qs[1]));
  assert_int_equal(a_wait(2, 5000), 2);
  assert_int_equal(qs[1].result, ZQUIC_ERR_PROTOCOL);
  zquic_close_connection(c);
  echo_server_stop(&es);
}

/* Close, free and destroy with queries in flight: every callback exactly once, CLOSED. */
static void test_async_close_free_destroy(void **state) {
  (void)state;
  enum { N = 150 }; /* past the silent server's 100 streams: some in line, some on streams */
  static aq qs[N];
  zquic_context *sx;
  zquic_server *silent;
  char silent_addr[64];
  assert_int_equal(silent_start(&sx, &silent, silent_addr, sizeof(silent_addr)), 0);
  zquic_connection *c;
  ASSERT_OK(zquic_create_connection(cctx, silent_addr, &c));
  a_reset(qs, N);
  for (int i = 0; i < N; i++)
    ASSERT_OK(zquic_dns_query_async(c, "www.api.test", ZQUIC_DNS_A, NULL, aq_cb, &qs[i]));
  usleep(200000);
  assert_int_equal(a_wait(1, 10), 0);
  zquic_close_connection(c);
  assert_int_equal(a_wait(N, 5000), N);
  for (int i = 0; i < N; i++) {
    assert_int_equal(qs[i].calls, 1);
    assert_int_equal(qs[i].result, ZQUIC_ERR_CLOSED);
  }

  zquic_dns_client *dc;
  ASSERT_OK(zquic_dns_client_create(cctx, silent_addr, NULL, &dc));
  a_reset(qs, 20);
  for (int i = 0; i < 20; i++)
    ASSERT_OK(zquic_dns_client_query_async(dc, "www.api.test", ZQUIC_DNS_A, NULL, aq_cb, &qs[i]));
  usleep(200000);
  zquic_dns_client_free(dc);
  assert_int_equal(a_wait(20, 5000), 20);
  for (int i = 0; i < 20; i++) assert_int_equal(qs[i].result, ZQUIC_ERR_CLOSED);

  zquic_config ccfg;
  zquic_config_init(&ccfg);
  ccfg.ca_file = cert_path("ca.pem");
  ccfg.alpn = "doq";
  zquic_context *doomed;
  ASSERT_OK(zquic_init(&ccfg, &doomed));
  ASSERT_OK(zquic_create_connection(doomed, silent_addr, &c));
  a_reset(qs, 30);
  for (int i = 0; i < 30; i++)
    ASSERT_OK(zquic_dns_query_async(c, "www.api.test", ZQUIC_DNS_A, NULL, aq_cb, &qs[i]));
  zquic_destroy(doomed); /* the connection handle goes with it */
  assert_int_equal(a_wait(30, 10), 30); /* before zquic_destroy returned */
  for (int i = 0; i < 30; i++) {
    assert_int_equal(qs[i].calls, 1);
    assert_int_equal(qs[i].result, ZQUIC_ERR_CLOSED);
  }
  zquic_server_free(silent);
  zquic_destroy(sx);
}

static zquic_dns_server *serve_on(const char *listen) {
  zquic_dns_config cfg;
  zquic_dns_config_init(&cfg);
  const char *zones[] = {zone_path};
  cfg.listen = listen;
  cfg.cert_file = cert_path("server-chain.pem");
  cfg.key_file = cert_path("server.key");
  cfg.zone_files = zones;
  cfg.n_zone_files = 1;
  zquic_dns_server *s = NULL;
  return zquic_dns_serve(sctx, &cfg, &s) == ZQUIC_OK ? s : NULL;
}

static void test_async_client_reconnect(void **state) {
  (void)state;
  enum { N = 5 };
  static aq qs[N];
  zquic_dns_server *first = serve_on("127.0.0.1:0");
  assert_non_null(first);
  char listen[64], target[64];
  snprintf(listen, sizeof(listen), "127.0.0.1:%d", zquic_dns_server_port(first));
  snprintf(target, sizeof(target), "localhost:%d", zquic_dns_server_port(first));
  zquic_dns_client *dc;
  ASSERT_OK(zquic_dns_client_create(cctx, target, NULL, &dc));
  a_reset(qs, N);
  ASSERT_OK(zquic_dns_client_query_async(dc, "n3.api.test", ZQUIC_DNS_A, NULL, aq_cb, &qs[0]));
  assert_int_equal(a_wait(1, 5000), 1);
  assert_string_equal(qs[0].answer, "10.0.0.3");
  zquic_dns_server_free(first); /* the server restarts on the same port */
  zquic_dns_server *second = serve_on(listen);
  assert_non_null(second);
  usleep(1200000); /* the old connection idles out (400 ms): the client must connect again */
  a_reset(qs, N);
  for (int i = 0; i < N; i++) /* all of them during the reconnect: they wait for it */
    ASSERT_OK(zquic_dns_client_query_async(dc, "n5.api.test", ZQUIC_DNS_A, NULL, aq_cb, &qs[i]));
  assert_int_equal(a_wait(N, 5000), N);
  for (int i = 0; i < N; i++) {
    assert_int_equal(qs[i].result, ZQUIC_OK);
    assert_string_equal(qs[i].answer, "10.0.0.5");
  }
  assert_int_equal(zquic_dns_client_connects(dc), 2); /* one new connection for all five */
  zquic_dns_response *r;
  ASSERT_OK(zquic_dns_client_query(dc, "n5.api.test", ZQUIC_DNS_A, NULL, &r)); /* blocking twin */
  assert_string_equal(r->answer, "10.0.0.5");
  zquic_dns_response_free(r);
  zquic_dns_client_free(dc);
  zquic_dns_server_free(second);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_query),
    cmocka_unit_test(test_client_reuse_and_0rtt),
    cmocka_unit_test(test_reload),
    cmocka_unit_test(test_bad_arguments),
    cmocka_unit_test(test_async_many),
    cmocka_unit_test(test_async_chain_on_loop),
    cmocka_unit_test(test_async_rcodes_and_bad_arguments),
    cmocka_unit_test(test_async_timeout_and_bad_answers),
    cmocka_unit_test(test_async_close_free_destroy),
    cmocka_unit_test(test_async_client_reconnect),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
