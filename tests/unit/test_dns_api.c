/*
 * test_dns_api.c — CNS/ZNS through the public API only: zquic_dns_serve with a zone, queries
 * with zquic_dns_query (records, NXDOMAIN with AA, REFUSED with its Extended DNS Error, padding
 * on and off), a client that reuses its connection and resumes with 0-RTT after the connection
 * idled out, reload keeping the old zone when the new one is broken, stats, bad arguments.
 */
#include "test_helpers.h"

#include <unistd.h>

static zquic_context *sctx, *cctx;
static zquic_dns_server *dns;
static char address[64], zone_path[256];

static const char zone_text[] =
  "$ORIGIN api.test.\n$TTL 300\n"
  "@ IN SOA ns.api.test. admin.api.test. 1 7200 900 1209600 60\n"
  "@ IN NS ns\nns IN A 192.0.2.53\nwww IN A 192.0.2.80\nwww IN AAAA 2001:db8::80\n"
  "txt IN TXT \"eth=0x1234\" \"more\"\nmx IN MX 10 mail.api.test.\n";

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

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_query),
    cmocka_unit_test(test_client_reuse_and_0rtt),
    cmocka_unit_test(test_reload),
    cmocka_unit_test(test_bad_arguments),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
