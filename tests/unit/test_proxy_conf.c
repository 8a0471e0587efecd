/*
 * test_proxy_conf.c — Wraith's configuration reader (src/proxy/proxy_conf*.c): the documented
 * example parses into exactly the values it spells, omitted keys take their defaults, every class
 * of mistake is refused with the right FILE:LINE, and copy/clear neither leak nor share memory.
 * The files live in a temporary directory the tests chdir into; certificate and key files are
 * empty but readable, which is all the reader checks (TLS loads them later).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "proxy_conf.h"

static char tmpdir[] = "/tmp/zq-proxy-conf-XXXXXX";
static char oldcwd[4096];

static void touch(const char *name) {
  FILE *f = fopen(name, "w");
  assert_non_null(f);
  fclose(f);
}

static int setup(void **state) {
  (void)state;
  if (!getcwd(oldcwd, sizeof(oldcwd)) || !mkdtemp(tmpdir) || chdir(tmpdir) != 0) return -1;
  const char *files[] = {"a.pem", "a.key", "b.pem", "b.key", "ca.pem", "secret.pem"};
  for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) touch(files[i]);
  chmod("secret.pem", 0); /* unreadable — unless we are root, checked where it matters */
  return 0;
}

static int teardown(void **state) {
  (void)state;
  const char *files[] = {"a.pem", "a.key", "b.pem", "b.key", "ca.pem", "secret.pem", "t.cfg"};
  for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) unlink(files[i]);
  if (chdir(oldcwd) != 0) return -1;
  return rmdir(tmpdir);
}

/* The example of docs/CONFIG.md, plus the "web" pool its last route names. */
static const char example[] =
    "listeners = (\n"                                                          /* 1 */
    "  { listen = \"127.0.0.1:8443\";\n"                                       /* 2 */
    "    certs = ( { cert = \"a.pem\"; key = \"a.key\"; }, { cert = \"b.pem\"; key = \"b.key\"; } );\n"
    "    alt_svc = \"h3=\\\":8443\\\"; ma=86400\"; }\n"                        /* 4 */
    ");\n"                                                                     /* 5 */
    "pools = (\n"                                                              /* 6 */
    "  { name = \"api\"; algorithm = \"least_connections\";\n"                 /* 7 */
    "    retries = 1; connect_timeout_ms = 3000; response_timeout_ms = 30000;\n"
    "    health = { interval_ms = 2000; timeout_ms = 1000; path = \"/healthz\"; expect_status = 200;\n"
    "               rise = 2; fall = 3; passive_failures = 3; passive_down_ms = 10000; };\n"
    "    backends = (\n"                                                       /* 11 */
    "      { address = \"127.0.0.1:9001\"; protocol = \"h3\"; weight = 3; sni = \"localhost\"; ca_file = \"ca.pem\"; },\n"
    "      { address = \"127.0.0.1:8080\"; protocol = \"http1\"; },\n"         /* 13 */
    "      { address = \"127.0.0.1:9002\"; insecure_skip_verify = true; }\n"   /* 14 */
    "    );\n"                                                                 /* 15 */
    "  },\n"                                                                   /* 16 */
    "  { name = \"web\"; backends = ( { address = \"[::1]:8081\"; protocol = \"http1\"; } ); }\n"
    ");\n"                                                                     /* 18 */
    "routes = (\n"                                                             /* 19 */
    "  { host = \"api.example.com\"; path = \"/v1/\"; pool = \"api\"; },\n"    /* 20 */
    "  { host = \"*.Example.com\"; pool = \"api\"; },\n"                       /* 21 */
    "  { pool = \"web\"; }\n"                                                  /* 22 */
    ");\n"                                                                     /* 23 */
    "limits = { max_header_bytes = 16384; max_body_bytes = 67108864; rate_per_second = 100.0;\n"
    "           rate_burst = 200; max_clients = 65536; };\n"                   /* 25 */
    "metrics = { listen = \"127.0.0.1:9100\"; };\n"                            /* 26 */
    "access_log = \"-\";\n";                                                   /* 27 */

/* The smallest configuration that passes; error tests put their mistake on a known line. */
#define MINIMAL_LISTENER "listeners = ( { listen = \"127.0.0.1:0\"; certs = ( { cert = \"a.pem\"; key = \"a.key\"; } ); } );\n"
#define MINIMAL_POOL "pools = ( { name = \"p\"; backends = ( { address = \"127.0.0.1:1\"; } ); } );\n"

static int load_text(const char *text, zq_proxy_conf *c, char *error, size_t cap) {
  FILE *f = fopen("t.cfg", "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  return zq_proxy_conf_load_file("t.cfg", c, error, cap);
}

static void test_example_parses(void **state) {
  (void)state;
  zq_proxy_conf c;
  char error[512] = "";
  int rc = load_text(example, &c, error, sizeof(error));
  assert_int_equal(rc, ZQUIC_OK);
  assert_string_equal(error, "");
  assert_string_equal(c.source, "t.cfg");

  assert_int_equal(c.n_listeners, 1);
  const zq_proxy_listener_conf *l = &c.listeners[0];
  assert_string_equal(l->listen, "127.0.0.1:8443");
  assert_int_equal(l->line, 2);
  assert_int_equal(l->n_certs, 2);
  assert_string_equal(l->certs[0].cert_file, "a.pem");
  assert_string_equal(l->certs[0].key_file, "a.key");
  assert_string_equal(l->certs[1].cert_file, "b.pem");
  assert_string_equal(l->certs[1].key_file, "b.key");
  assert_string_equal(l->alt_svc, "h3=\":8443\"; ma=86400");

  assert_int_equal(c.n_pools, 2);
  const zq_proxy_pool_conf *p = &c.pools[0];
  assert_string_equal(p->name, "api");
  assert_int_equal(p->line, 7);
  assert_int_equal(p->algorithm, ZQ_LB_LEAST_CONNECTIONS);
  assert_int_equal(p->retries, 1);
  assert_int_equal(p->connect_timeout_ms, 3000);
  assert_int_equal(p->response_timeout_ms, 30000);
  assert_int_equal(p->health.interval_ms, 2000);
  assert_int_equal(p->health.timeout_ms, 1000);
  assert_string_equal(p->health.path, "/healthz");
  assert_int_equal(p->health.expect_status, 200);
  assert_int_equal(p->health.rise, 2);
  assert_int_equal(p->health.fall, 3);
  assert_int_equal(p->health.passive_failures, 3);
  assert_int_equal(p->health.passive_down_ms, 10000);
  assert_int_equal(p->n_backends, 3);
  const zq_proxy_backend_conf *b = p->backends;
  assert_string_equal(b[0].address, "127.0.0.1:9001");
  assert_int_equal(b[0].protocol, ZQ_PROXY_H3);
  assert_int_equal(b[0].weight, 3);
  assert_string_equal(b[0].sni, "localhost");
  assert_string_equal(b[0].ca_file, "ca.pem");
  assert_false(b[0].insecure);
  assert_int_equal(b[0].line, 12);
  assert_string_equal(b[1].address, "127.0.0.1:8080");
  assert_int_equal(b[1].protocol, ZQ_PROXY_HTTP1);
  assert_int_equal(b[1].weight, 1);
  assert_null(b[1].sni);
  assert_null(b[1].ca_file);
  assert_string_equal(b[2].address, "127.0.0.1:9002");
  assert_int_equal(b[2].protocol, ZQ_PROXY_H3);
  assert_true(b[2].insecure);
  assert_int_equal(b[2].line, 14);
  assert_string_equal(c.pools[1].name, "web");
  assert_int_equal(c.pools[1].algorithm, ZQ_LB_ROUND_ROBIN);

  assert_int_equal(c.n_routes, 3);
  assert_string_equal(c.routes[0].host, "api.example.com");
  assert_string_equal(c.routes[0].path_prefix, "/v1/");
  assert_string_equal(c.routes[0].pool, "api");
  assert_int_equal(c.routes[0].line, 20);
  assert_string_equal(c.routes[1].host, "*.example.com"); /* lower-cased */
  assert_string_equal(c.routes[1].path_prefix, "/");
  assert_null(c.routes[2].host);
  assert_string_equal(c.routes[2].pool, "web");

  assert_int_equal(c.limits.max_header_bytes, 16384);
  assert_int_equal(c.limits.max_body_bytes, 67108864);
  assert_true(c.limits.rate_per_second == 100.0);
  assert_int_equal(c.limits.rate_burst, 200);
  assert_int_equal(c.limits.max_clients, 65536);
  assert_string_equal(c.metrics_listen, "127.0.0.1:9100");
  assert_string_equal(c.access_log, "-");
  zq_proxy_conf_clear(&c);
  assert_int_equal(c.n_pools, 0);
  assert_null(c.pools);
}

static void test_defaults(void **state) {
  (void)state;
  zq_proxy_conf c;
  char error[512] = "";
  assert_int_equal(load_text(MINIMAL_LISTENER MINIMAL_POOL "limits = { rate_per_second = 7; };\n",
                             &c, error, sizeof(error)),
                   ZQUIC_OK);
  const zq_proxy_pool_conf *p = &c.pools[0];
  assert_int_equal(p->algorithm, ZQ_LB_ROUND_ROBIN);
  assert_int_equal(p->retries, 1);
  assert_int_equal(p->connect_timeout_ms, 3000);
  assert_int_equal(p->response_timeout_ms, 30000);
  assert_int_equal(p->health.interval_ms, 5000);
  assert_int_equal(p->health.timeout_ms, 2000);
  assert_string_equal(p->health.path, "/");
  assert_int_equal(p->health.expect_status, 200);
  assert_int_equal(p->health.rise, 2);
  assert_int_equal(p->health.fall, 3);
  assert_int_equal(p->health.passive_failures, 3);
  assert_int_equal(p->health.passive_down_ms, 10000);
  assert_int_equal(p->backends[0].protocol, ZQ_PROXY_H3);
  assert_int_equal(p->backends[0].weight, 1);
  assert_false(p->backends[0].insecure);
  assert_null(c.listeners[0].alt_svc);
  assert_int_equal(c.n_routes, 0);
  assert_int_equal(c.limits.max_header_bytes, 16384);
  assert_int_equal(c.limits.max_body_bytes, 64u << 20);
  assert_true(c.limits.rate_per_second == 7.0); /* an integer is a number too */
  assert_int_equal(c.limits.rate_burst, 14);    /* 2 * rate when not given */
  assert_int_equal(c.limits.max_clients, 65536);
  assert_null(c.metrics_listen);
  assert_null(c.access_log);
  zq_proxy_conf_clear(&c);

  /* No limits at all: no rate limit, a burst of 1. */
  assert_int_equal(load_text(MINIMAL_LISTENER MINIMAL_POOL, &c, error, sizeof(error)), ZQUIC_OK);
  assert_true(c.limits.rate_per_second == 0.0);
  assert_int_equal(c.limits.rate_burst, 1);
  zq_proxy_conf_clear(&c);
}

/* Loads `text`, expects a refusal whose message starts with "t.cfg:LINE: " and holds `what`. */
static void expect_error(const char *text, int line, const char *what) {
  zq_proxy_conf c;
  char error[512] = "";
  int rc = load_text(text, &c, error, sizeof(error));
  char prefix[64];
  snprintf(prefix, sizeof(prefix), "t.cfg:%d: ", line);
  if (rc == ZQUIC_OK || strncmp(error, prefix, strlen(prefix)) != 0 || !strstr(error, what))
    fail_msg("expected \"%s...%s\", got rc %d \"%s\"", prefix, what, rc, error);
  assert_int_equal(rc, ZQUIC_ERR_INVALID_ARGUMENT);
  /* A refusal leaves nothing behind. */
  assert_int_equal(c.n_listeners + c.n_pools + c.n_routes, 0);
  assert_null(c.source);
}

static void test_syntax_error(void **state) {
  (void)state;
  expect_error(MINIMAL_LISTENER "\npools = ( { name = ; } );\n", 3, "syntax error");
}

static void test_unknown_key(void **state) {
  (void)state;
  expect_error(MINIMAL_LISTENER MINIMAL_POOL "\nlimits = {\n  max_clientz = 3; };\n", 5,
               "unknown setting \"max_clientz\" in limits");
  expect_error(MINIMAL_LISTENER "pools = ( { name = \"p\";\n backends = ( { address = \"127.0.0.1:1\"; wieght = 2; } ); } );\n",
               3, "unknown setting \"wieght\" in a backend");
  expect_error(MINIMAL_LISTENER MINIMAL_POOL "listen = \"x\";\n", 3, "unknown setting \"listen\"");
}

static void test_wrong_type(void **state) {
  (void)state;
  expect_error(MINIMAL_LISTENER "pools = ( { name = \"p\"; retries = \"1\";\n"
                                " backends = ( { address = \"127.0.0.1:1\"; } ); } );\n",
               2, "retries must be an integer");
  expect_error(MINIMAL_LISTENER MINIMAL_POOL "access_log = 1;\n", 3, "access_log must be a string");
  expect_error(MINIMAL_LISTENER MINIMAL_POOL "limits = 5;\n", 3, "limits must be a group");
  expect_error(MINIMAL_LISTENER "pools = { name = \"p\"; };\n", 2, "pools must be a list");
  expect_error(MINIMAL_LISTENER "pools = ( { name = \"p\"; backends = ( { address = \"127.0.0.1:1\";\n"
                                " insecure_skip_verify = 1; } ); } );\n",
               3, "insecure_skip_verify must be true or false");
  expect_error(MINIMAL_LISTENER MINIMAL_POOL "limits = { max_clients = 5.5; };\n", 3,
               "max_clients must be an integer");
}

static void test_out_of_range(void **state) {
  (void)state;
  expect_error(MINIMAL_LISTENER "pools = ( { name = \"p\";\n\n retries = 9; backends = ( { address = \"127.0.0.1:1\"; } ); } );\n",
               4, "retries must be from 0 to 8");
  expect_error(MINIMAL_LISTENER "pools = ( { name = \"p\"; backends = (\n { address = \"127.0.0.1:1\"; weight = 0; } ); } );\n",
               3, "weight must be from 1 to 1000");
  expect_error(MINIMAL_LISTENER "pools = ( { name = \"p\"; health = { expect_status = 600; };\n"
                                " backends = ( { address = \"127.0.0.1:1\"; } ); } );\n",
               2, "expect_status must be from 100 to 599");
  expect_error(MINIMAL_LISTENER "pools = ( { name = \"p\"; connect_timeout_ms = 0;\n"
                                " backends = ( { address = \"127.0.0.1:1\"; } ); } );\n",
               2, "connect_timeout_ms must be from 1 to 3600000");
  expect_error(MINIMAL_LISTENER MINIMAL_POOL "limits = { max_header_bytes = 255; };\n", 3,
               "max_header_bytes must be from 256 to 1048576");
  expect_error(MINIMAL_LISTENER MINIMAL_POOL "limits = { rate_per_second = -0.5; };\n", 3,
               "rate_per_second must be from 0");
  expect_error(MINIMAL_LISTENER MINIMAL_POOL "limits = { max_clients = 16777217; };\n", 3,
               "max_clients must be from 1 to 16777216");
  /* 0 turns the active checks off, so it is in range for the interval only. */
  zq_proxy_conf c;
  char error[512];
  assert_int_equal(load_text(MINIMAL_LISTENER "pools = ( { name = \"p\"; health = { interval_ms = 0; };"
                                              " backends = ( { address = \"127.0.0.1:1\"; } ); } );\n",
                             &c, error, sizeof(error)),
                   ZQUIC_OK);
  assert_int_equal(c.pools[0].health.interval_ms, 0);
  zq_proxy_conf_clear(&c);
}

static void test_unknown_algorithm(void **state) {
  (void)state;
  expect_error(MINIMAL_LISTENER "pools = ( { name = \"p\";\n algorithm = \"fastest\";\n"
                                " backends = ( { address = \"127.0.0.1:1\"; } ); } );\n",
               3, "unknown algorithm \"fastest\"");
  expect_error(MINIMAL_LISTENER "pools = ( { name = \"p\"; backends = (\n"
                                " { address = \"127.0.0.1:1\"; protocol = \"h2\"; } ); } );\n",
               3, "protocol must be \"h3\" or \"http1\"");
}

static void test_route_to_missing_pool(void **state) {
  (void)state;
  expect_error(MINIMAL_LISTENER MINIMAL_POOL "routes = (\n { pool = \"p\"; },\n { path = \"/x\"; pool = \"q\"; } );\n",
               5, "route to pool \"q\", which is not defined");
}

static void test_duplicate_pool(void **state) {
  (void)state;
  expect_error(MINIMAL_LISTENER MINIMAL_POOL
               "\npools = ( { name = \"p\"; backends = ( { address = \"127.0.0.1:1\"; } ); } );\n",
               4, "duplicate setting");
  expect_error(MINIMAL_LISTENER "pools = ( { name = \"p\"; backends = ( { address = \"127.0.0.1:1\"; } ); },\n"
                                " { name = \"p\"; backends = ( { address = \"127.0.0.1:2\"; } ); } );\n",
               3, "duplicate pool \"p\" (first at line 2)");
}

static void test_duplicate_route(void **state) {
  (void)state;
  /* The same host in other capitals, and "*" versus no host, are the same route. */
  expect_error(MINIMAL_LISTENER MINIMAL_POOL "routes = ( { host = \"a.example\"; pool = \"p\"; },\n"
                                             " { host = \"A.Example\"; path = \"/\"; pool = \"p\"; } );\n",
               4, "duplicate route for host a.example and path / (first at line 3)");
  expect_error(MINIMAL_LISTENER MINIMAL_POOL "routes = ( { pool = \"p\"; },\n\n"
                                             " { host = \"*\"; pool = \"p\"; } );\n",
               5, "duplicate route");
}

static void test_pool_without_backends(void **state) {
  (void)state;
  expect_error(MINIMAL_LISTENER "pools = (\n { name = \"empty\"; } );\n", 3,
               "pool \"empty\" has no backends");
  expect_error(MINIMAL_LISTENER "pools = (\n { backends = ( { address = \"127.0.0.1:1\"; } ); } );\n",
               3, "a pool needs name");
}

static void test_bad_address(void **state) {
  (void)state;
  expect_error(MINIMAL_LISTENER "pools = ( { name = \"p\"; backends = (\n { address = \"127.0.0.1:1\"; },\n"
                                " { address = \"localhost\"; } ); } );\n",
               4, "backend address \"localhost\"");
  expect_error(MINIMAL_LISTENER "pools = ( { name = \"p\"; backends = (\n { address = \"::1:80\"; } ); } );\n",
               3, "expected host:port");
  expect_error(MINIMAL_LISTENER "pools = ( { name = \"p\"; backends = (\n { address = \"h:0\"; } ); } );\n",
               3, "port 0");
  expect_error("\nlisteners = ( { listen = \"127.0.0.1:99999\"; certs = ( { cert = \"a.pem\"; key = \"a.key\"; } ); } );\n" MINIMAL_POOL,
               2, "listen \"127.0.0.1:99999\"");
  expect_error(MINIMAL_LISTENER MINIMAL_POOL "metrics = { listen = \"9100\"; };\n", 3,
               "metrics listen \"9100\"");
}

static void test_bad_host_pattern(void **state) {
  (void)state;
  const char *bad[] = {"a..b",    "*.a.*.b", "a*.example.com", "x.*",     "api.example.com:443",
                       "a b.com", ".a.com",  "a.com.",         "[::1]",   "",
                       "*."};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    char text[1024];
    snprintf(text, sizeof(text), MINIMAL_LISTENER MINIMAL_POOL "routes = (\n { host = \"%s\"; pool = \"p\"; } );\n",
             bad[i]);
    expect_error(text, 4, "host \"");
  }
}

static void test_path_without_slash(void **state) {
  (void)state;
  expect_error(MINIMAL_LISTENER MINIMAL_POOL "routes = ( { pool = \"p\";\n path = \"api\"; } );\n", 4,
               "path \"api\": a path prefix starts with '/'");
  expect_error(MINIMAL_LISTENER MINIMAL_POOL "routes = ( { pool = \"p\";\n path = \"/a?b\"; } );\n", 4,
               "no query");
  expect_error(MINIMAL_LISTENER "\npools = ( { name = \"p\"; health = { path = \"healthz\"; };"
                                " backends = ( { address = \"127.0.0.1:1\"; } ); } );\n",
               3, "health path \"healthz\"");
}

static void test_no_listener(void **state) {
  (void)state;
  expect_error(MINIMAL_POOL "\nlisteners = ();\n", 3, "no listener");
  expect_error(MINIMAL_POOL, 1, "no listener");
  expect_error("listeners = ( { certs = ( { cert = \"a.pem\"; key = \"a.key\"; } ); } );\n" MINIMAL_POOL,
               1, "a listener needs listen");
  expect_error("listeners = (\n { listen = \"127.0.0.1:0\"; } );\n" MINIMAL_POOL, 2,
               "has no certificate");
}

static void test_unreadable_cert(void **state) {
  (void)state;
  expect_error("listeners = ( { listen = \"127.0.0.1:0\"; certs = (\n { cert = \"a.pem\"; key = \"a.key\"; },\n"
               " { cert = \"missing.pem\"; key = \"a.key\"; } ); } );\n" MINIMAL_POOL,
               3, "cannot read the certificate \"missing.pem\"");
  expect_error("listeners = ( { listen = \"127.0.0.1:0\"; certs = (\n { cert = \"a.pem\"; key = \"nokey\"; } ); } );\n" MINIMAL_POOL,
               2, "cannot read the key \"nokey\"");
  expect_error(MINIMAL_LISTENER "pools = ( { name = \"p\"; backends = (\n { address = \"127.0.0.1:1\"; ca_file = \"noca.pem\"; } ); } );\n",
               3, "cannot read the CA file");
  if (geteuid() != 0) /* root reads anything */
    expect_error("listeners = ( { listen = \"127.0.0.1:0\"; certs = (\n { cert = \"secret.pem\"; key = \"a.key\"; } ); } );\n" MINIMAL_POOL,
                 2, "cannot read the certificate \"secret.pem\"");
}

static void test_file_and_string(void **state) {
  (void)state;
  zq_proxy_conf c;
  char error[512] = "";
  assert_int_equal(zq_proxy_conf_load_file("does-not-exist.cfg", &c, error, sizeof(error)),
                   ZQUIC_ERR_IO);
  assert_string_equal(error, "does-not-exist.cfg: cannot read the file");
  assert_int_equal(zq_proxy_conf_load_string(example, "mem", &c, error, sizeof(error)), ZQUIC_OK);
  assert_string_equal(c.source, "mem");
  assert_int_equal(c.n_routes, 3);
  zq_proxy_conf_clear(&c);
  assert_int_equal(zq_proxy_conf_load_string("\n@include \"/etc/passwd\"\n", "mem", &c, error,
                                             sizeof(error)),
                   ZQUIC_ERR_INVALID_ARGUMENT);
  assert_string_equal(error, "mem:2: @include is not allowed here");
  assert_int_equal(zq_proxy_conf_load_string("routes = (", "mem", &c, error, sizeof(error)),
                   ZQUIC_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(error, "mem:1: "));
}

/* The node embeds the same keys in `proxy = { ... }` of its own file. */
static void test_embedded_group(void **state) {
  (void)state;
  const char text[] = "listen = \"127.0.0.1:4433\";\nproxy = {\n" MINIMAL_LISTENER MINIMAL_POOL
                      " routes = ( { pool = \"p\"; },\n { pool = \"nope\"; path = \"/x\"; } );\n};\n";
  config_t cfg;
  config_init(&cfg);
  assert_int_equal(config_read_string(&cfg, text), CONFIG_TRUE);
  zq_proxy_conf c;
  char error[512] = "";
  const config_setting_t *proxy = config_lookup(&cfg, "proxy");
  assert_int_equal(zq_proxy_conf_from_setting(proxy, "node.cfg", &c, error, sizeof(error)),
                   ZQUIC_OK);
  assert_int_equal(c.n_routes, 2);
  assert_int_equal(zq_proxy_conf_validate(&c, error, sizeof(error)), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(error, "node.cfg:6: route to pool \"nope\""));
  zq_proxy_conf_clear(&c);
  /* Not a group: refused, not misread. */
  assert_int_equal(zq_proxy_conf_from_setting(config_lookup(&cfg, "listen"), "node.cfg", &c,
                                              error, sizeof(error)),
                   ZQUIC_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(error, "node.cfg:1: "));
  config_destroy(&cfg);
}

static void test_copy_and_clear(void **state) {
  (void)state;
  zq_proxy_conf a, b;
  char error[512] = "";
  assert_int_equal(load_text(example, &a, error, sizeof(error)), ZQUIC_OK);
  assert_int_equal(zq_proxy_conf_copy(&a, &b), ZQUIC_OK);
  assert_int_equal(zq_proxy_conf_validate(&b, error, sizeof(error)), ZQUIC_OK);
  /* Deep: no string is shared, so clearing the original leaves the copy whole. */
  assert_ptr_not_equal(a.pools[0].backends[0].address, b.pools[0].backends[0].address);
  assert_ptr_not_equal(a.listeners[0].certs[1].key_file, b.listeners[0].certs[1].key_file);
  zq_proxy_conf_clear(&a);
  assert_string_equal(b.pools[0].backends[0].sni, "localhost");
  assert_string_equal(b.pools[0].health.path, "/healthz");
  assert_string_equal(b.listeners[0].certs[1].key_file, "b.key");
  assert_string_equal(b.routes[1].host, "*.example.com");
  assert_int_equal(b.routes[2].line, 22);
  assert_null(b.routes[2].host);
  assert_string_equal(b.access_log, "-");
  assert_string_equal(b.source, "t.cfg");
  zq_proxy_conf_clear(&b);
  zq_proxy_conf_clear(&b); /* clearing twice is harmless */
  /* An empty configuration copies to an empty one. */
  zq_proxy_conf_init(&a);
  assert_int_equal(zq_proxy_conf_copy(&a, &b), ZQUIC_OK);
  assert_int_equal(b.n_pools, 0);
  zq_proxy_conf_clear(&b);
}

/* A configuration built by the API (no source, no lines) meets the same rules. */
static void test_api_built(void **state) {
  (void)state;
  zq_proxy_conf c;
  char error[512] = "";
  zq_proxy_conf_init(&c);
  assert_int_equal(zq_proxy_conf_validate(&c, error, sizeof(error)), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_string_equal(error, "proxy configuration: no listener (listeners = ( { listen = ...; } ))");
  c.pools = calloc(1, sizeof(*c.pools));
  assert_non_null(c.pools);
  assert_int_equal(zq_proxy_pool_conf_init(&c.pools[0], "api"), ZQUIC_OK);
  c.n_pools = 1;
  assert_string_equal(c.pools[0].health.path, "/");
  assert_int_equal(c.pools[0].retries, 1);
  zq_proxy_conf_clear(&c);
}

static void test_names(void **state) {
  (void)state;
  for (int i = 0; i < ZQ_LB_COUNT; i++)
    assert_int_equal(zq_proxy_lb_from_name(zq_proxy_lb_name(i)), i);
  assert_string_equal(zq_proxy_lb_name(ZQ_LB_IP_HASH), "ip_hash");
  assert_int_equal(zq_proxy_lb_from_name("Round_Robin"), -1);
  assert_int_equal(zq_proxy_lb_from_name(NULL), -1);
  assert_null(zq_proxy_lb_name(ZQ_LB_COUNT));
  assert_null(zq_proxy_lb_name(-1));
  assert_int_equal(zq_proxy_protocol_from_name("http1"), ZQ_PROXY_HTTP1);
  assert_null(zq_proxy_protocol_name(2));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_example_parses),
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_syntax_error),
      cmocka_unit_test(test_unknown_key),
      cmocka_unit_test(test_wrong_type),
      cmocka_unit_test(test_out_of_range),
      cmocka_unit_test(test_unknown_algorithm),
      cmocka_unit_test(test_route_to_missing_pool),
      cmocka_unit_test(test_duplicate_pool),
      cmocka_unit_test(test_duplicate_route),
      cmocka_unit_test(test_pool_without_backends),
      cmocka_unit_test(test_bad_address),
      cmocka_unit_test(test_bad_host_pattern),
      cmocka_unit_test(test_path_without_slash),
      cmocka_unit_test(test_no_listener),
      cmocka_unit_test(test_unreadable_cert),
      cmocka_unit_test(test_file_and_string),
      cmocka_unit_test(test_embedded_group),
      cmocka_unit_test(test_copy_and_clear),
      cmocka_unit_test(test_api_built),
      cmocka_unit_test(test_names),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
