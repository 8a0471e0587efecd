/*
 * test_proxy_api.c — Wraith through its public C API (zquic_proxy_*), in front of an in-process
 * zquic HTTP/3 backend on loopback: bad arguments and refused edits (each named in
 * zquic_last_error, none applied), a proxy built purely by the API with a second pool and a host
 * route, per-proxy and per-backend counters, SNI choice among a file-configured listener's
 * certificates with verification on, 404 for unrouted hosts and paths, malformed requests (no
 * :path, no authority: reset by nghttp3; CONNECT, OPTIONS *: Wraith's 400) that must not disturb
 * the connection, and destroy with a request in flight. The interop script tests the command line; this tests the library calls a
 * service embedding Wraith makes. Malformed requests need raw header lists, which the public
 * client cannot send, so this test links the static library and submits them to nghttp3 itself.
 */
#include "test_helpers.h"

#include <stdatomic.h>
#include <unistd.h>

#include "h3_internal.h"

#define WAIT_MS 20000 /* generous: valgrind makes every handshake slow */

static zquic_context *bctx, *pctx, *cctx; /* backend, proxy, client */
static zquic_server *backend;
static char backend_addr[64];
static atomic_int slow_seen, slow_closed;

/* ---- the backend: says what it received, so routing and forwarding can be checked ---------- */

static void backend_request(zquic_h3_exchange *ex, void *user) {
  (void)user;
  const char *path = zquic_h3_exchange_path(ex);
  if (strcmp(path, "/slow") == 0) { /* never answered: the request stays in flight */
    zquic_h3_exchange_set_user(ex, &slow_seen);
    atomic_fetch_add(&slow_seen, 1);
    return;
  }
  int status = 200;
  if (strncmp(path, "/status/", 8) == 0) status = atoi(path + 8);
  char body[256];
  int n = snprintf(body, sizeof(body), "backend %s %s", path, zquic_h3_exchange_authority(ex));
  zquic_h3_header h = {"x-backend", "yes"};
  zquic_h3_respond_bytes(ex, status, &h, 1, body, (size_t)n);
}

static void backend_close(zquic_h3_exchange *ex, void *user) {
  (void)user;
  if (zquic_h3_exchange_get_user(ex) == &slow_seen) atomic_fetch_add(&slow_closed, 1);
}

static int group_setup(void **state) {
  (void)state;
  zquic_config cfg;
  zquic_config_init(&cfg);
  cfg.cert_file = cert_path("server-chain.pem");
  cfg.key_file = cert_path("server.key");
  if (zquic_init(&cfg, &bctx) != ZQUIC_OK) return -1;
  zquic_h3_handler_config h;
  zquic_h3_handler_config_init(&h);
  h.on_request = backend_request;
  h.on_close = backend_close;
  zquic_server_config sc;
  zquic_server_config_init(&sc);
  sc.listen = "127.0.0.1:0";
  sc.h3 = &h;
  if (zquic_create_server(bctx, &sc, &backend) != ZQUIC_OK) return -1;
  snprintf(backend_addr, sizeof(backend_addr), "127.0.0.1:%d", zquic_server_port(backend));
  if (zquic_init(NULL, &pctx) != ZQUIC_OK) return -1;
  zquic_config_init(&cfg);
  cfg.ca_file = cert_path("ca.pem");
  cfg.connection_timeout_ms = WAIT_MS;
  return zquic_init(&cfg, &cctx) == ZQUIC_OK ? 0 : -1;
}

static int group_teardown(void **state) {
  (void)state;
  zquic_destroy(cctx);
  zquic_destroy(pctx);
  zquic_server_free(backend);
  zquic_destroy(bctx);
  return 0;
}

/* ---- client helpers ---------------------------------------------------------------------------- */

static int connect_to(int port, const char *sni, zquic_connection **out) {
  char addr[64];
  snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
  zquic_connect_options o;
  zquic_connect_options_init(&o);
  o.alpn = "h3";
  o.sni = sni;
  return zquic_create_connection_ex(cctx, addr, &o, out);
}

/* Wait for `req`'s answer and read its body into `body`: the status, or a negative error. */
static int finish(zquic_h3_request *req, char *body, size_t cap) {
  int status = 0;
  int rc = zquic_h3_response_wait(req, WAIT_MS, &status);
  size_t len = 0, n = 0;
  while (rc == ZQUIC_OK) {
    rc = zquic_h3_response_read(req, body + len, cap - 1 - len, WAIT_MS, &n);
    if (rc != ZQUIC_OK || n == 0 || (len += n) == cap - 1) break;
  }
  body[len] = 0;
  return rc ? rc : status;
}

static int get(zquic_connection *c, const char *path, const char *authority, char *body,
               size_t cap) {
  zquic_h3_request *req = NULL;
  int rc = zquic_h3_request_start(c, "GET", path, authority, NULL, 0, 1, &req);
  if (rc == ZQUIC_OK) rc = finish(req, body, cap);
  zquic_h3_request_free(req);
  return rc;
}

/* A request with exactly the header fields `nv`, submitted to nghttp3 the way
 * zquic_h3_request_start does, so the public calls can wait for and read its answer. */
typedef struct raw_args {
  zquic_connection *conn;
  const nghttp3_nv *nv;
  size_t n;
  zq_h3_stream *st;
} raw_args;

static int raw_submit(void *arg) {
  raw_args *a = arg;
  int64_t id;
  int rc = zq_h3_open_request(a->conn, &id);
  if (rc) return rc;
  zq_h3_stream *st = zq_h3_stream_new(a->conn, id, true);
  if (!st) return ZQUIC_ERR_NO_MEMORY;
  st->tx_eof = true;
  if (nghttp3_conn_submit_request(a->conn->h3->session, id, a->nv, a->n, NULL, st) != 0) {
    ngtcp2_conn_shutdown_stream(a->conn->qc, 0, id, NGHTTP3_H3_REQUEST_CANCELLED);
    zq_h3_stream_free(st);
    return ZQUIC_ERR_PROTOCOL;
  }
  st->user_held = true;
  a->conn->refs++; /* as zquic_h3_request_start: zquic_h3_request_free drops it */
  zq_conn_schedule(a->conn);
  a->st = st;
  return ZQUIC_OK;
}

#define NV(n, v) {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1, NGHTTP3_NV_FLAG_NONE}

static int raw_get(zquic_connection *c, const nghttp3_nv *nv, size_t n, char *body, size_t cap) {
  raw_args a = {c, nv, n, NULL};
  bool taken = zq_ctx_enter(c->ctx);
  int rc = zq_ctx_call(c->ctx, raw_submit, &a);
  zq_ctx_leave(c->ctx, taken);
  if (rc) return rc;
  zquic_h3_request *req = (zquic_h3_request *)(void *)a.st;
  rc = finish(req, body, cap);
  zquic_h3_request_free(req);
  return rc;
}

static zquic_proxy_counters stats(zquic_proxy *px) {
  zquic_proxy_counters s = {.struct_size = sizeof(s)};
  ASSERT_OK(zquic_proxy_stats(px, &s));
  return s;
}

static zquic_proxy_backend_counters backend_stats(zquic_proxy *px, size_t i) {
  zquic_proxy_backend_counters s = {.struct_size = sizeof(s)};
  ASSERT_OK(zquic_proxy_backend_stats(px, i, &s));
  return s;
}

static void backend_init(zquic_proxy_backend *b, const char *pool) {
  zquic_proxy_backend_init(b);
  b->pool = pool;
  b->address = backend_addr;
  b->ca_file = cert_path("ca.pem");
}

/* A proxy of the API's one listener with the backend as the first of pool "default". */
static zquic_proxy *api_proxy(void) {
  zquic_proxy_config cfg;
  zquic_proxy_config_init(&cfg);
  cfg.listen = "127.0.0.1:0";
  cfg.cert_file = cert_path("server-chain.pem");
  cfg.key_file = cert_path("server.key");
  cfg.backend_address = backend_addr;
  cfg.backend_ca_file = cert_path("ca.pem");
  zquic_proxy *px = NULL;
  ASSERT_OK(zquic_proxy_create(pctx, &cfg, &px));
  return px;
}

#define ASSERT_ERROR(expr, code, text)                                                             \
  do {                                                                                             \
    assert_int_equal((expr), (code));                                                              \
    if (!strstr(zquic_last_error(), (text)))                                                       \
      fail_msg("%s: error \"%s\" does not name \"%s\"", #expr, zquic_last_error(), (text));       \
  } while (0)

/* ---- 1. bad arguments -------------------------------------------------------------------------- */

static int create_with(const char *listen, const char *cert, zquic_proxy **px) {
  zquic_proxy_config cfg;
  zquic_proxy_config_init(&cfg);
  cfg.listen = listen;
  cfg.cert_file = cert;
  cfg.key_file = cert_path("server.key");
  static int sentinel;
  *px = (zquic_proxy *)(void *)&sentinel; /* must come back NULL on failure */
  return zquic_proxy_create(pctx, &cfg, px);
}

static void test_bad_arguments(void **state) {
  (void)state;
  zquic_proxy_config cfg;
  zquic_proxy_config_init(&cfg);
  zquic_proxy *px = NULL;
  ASSERT_ERROR(zquic_proxy_create(NULL, &cfg, &px), ZQUIC_ERR_INVALID_ARGUMENT, "NULL");
  ASSERT_ERROR(zquic_proxy_create(pctx, NULL, &px), ZQUIC_ERR_INVALID_ARGUMENT, "NULL");
  ASSERT_ERROR(zquic_proxy_create(pctx, &cfg, NULL), ZQUIC_ERR_INVALID_ARGUMENT, "NULL");
  cfg.struct_size = 0;
  ASSERT_ERROR(zquic_proxy_create(pctx, &cfg, &px), ZQUIC_ERR_INVALID_ARGUMENT, "struct_size");
  cfg.struct_size = sizeof(cfg) + 8;
  ASSERT_ERROR(zquic_proxy_create(pctx, &cfg, &px), ZQUIC_ERR_INVALID_ARGUMENT, "struct_size");
  zquic_proxy_config_init(&cfg);
  ASSERT_ERROR(zquic_proxy_create(pctx, &cfg, &px), ZQUIC_ERR_INVALID_ARGUMENT, "listen");
  assert_null(px);
  ASSERT_ERROR(create_with("127.0.0.1", cert_path("server-chain.pem"), &px),
               ZQUIC_ERR_INVALID_ARGUMENT, "listen \"127.0.0.1\"");
  assert_null(px);
  /* Valid text but no such local address: the bind itself fails, after validation. */
  assert_true(create_with("192.0.2.1:0", cert_path("server-chain.pem"), &px) < 0);
  /* The listener named once, then the socket layer's reason intact (it used to be garbled). */
  assert_int_equal(strncmp(zquic_last_error(), "listener 192.0.2.1:0: bind 192.0.2.1:0", 38), 0);
  assert_null(px);
  ASSERT_ERROR(create_with("127.0.0.1:0", cert_path("missing.pem"), &px),
               ZQUIC_ERR_INVALID_ARGUMENT, "missing.pem");
  assert_null(px);
  ASSERT_ERROR(zquic_proxy_config_check(NULL), ZQUIC_ERR_INVALID_ARGUMENT, "config_file");
  assert_true(zquic_proxy_config_check(cert_path("no-such.cfg")) < 0);
  assert_non_null(strstr(zquic_last_error(), "no-such.cfg"));

  px = api_proxy();
  zquic_proxy_backend b;
  backend_init(&b, "fresh");
  b.weight = 0;
  ASSERT_ERROR(zquic_proxy_add_backend(px, &b), ZQUIC_ERR_INVALID_ARGUMENT, "weight");
  backend_init(&b, "fresh");
  b.address = "no-port";
  ASSERT_ERROR(zquic_proxy_add_backend(px, &b), ZQUIC_ERR_INVALID_ARGUMENT, "\"no-port\"");
  backend_init(&b, "fresh");
  b.protocol = 7;
  ASSERT_ERROR(zquic_proxy_add_backend(px, &b), ZQUIC_ERR_INVALID_ARGUMENT, "protocol");
  backend_init(&b, "fresh");
  b.struct_size = 0;
  ASSERT_ERROR(zquic_proxy_add_backend(px, &b), ZQUIC_ERR_INVALID_ARGUMENT, "struct_size");
  ASSERT_ERROR(zquic_proxy_add_backend(px, NULL), ZQUIC_ERR_INVALID_ARGUMENT, "NULL");
  ASSERT_ERROR(zquic_proxy_add_backend(NULL, &b), ZQUIC_ERR_INVALID_ARGUMENT, "NULL");
  ASSERT_ERROR(zquic_proxy_route(px, "a.example", "/", "nowhere"), ZQUIC_ERR_INVALID_ARGUMENT,
               "\"nowhere\"");
  ASSERT_ERROR(zquic_proxy_route(px, "a.example", "/", NULL), ZQUIC_ERR_INVALID_ARGUMENT, "NULL");
  ASSERT_ERROR(zquic_proxy_reload(px), ZQUIC_ERR_STATE, "API");
  ASSERT_ERROR(zquic_proxy_reload(NULL), ZQUIC_ERR_INVALID_ARGUMENT, "NULL");
  ASSERT_ERROR(zquic_proxy_port(px, 1), ZQUIC_ERR_NOT_FOUND, "listener 1");
  ASSERT_ERROR(zquic_proxy_metrics_port(px), ZQUIC_ERR_NOT_FOUND, "metrics");
  zquic_proxy_counters s = {.struct_size = 0};
  ASSERT_ERROR(zquic_proxy_stats(px, &s), ZQUIC_ERR_INVALID_ARGUMENT, "struct_size");
  s.struct_size = sizeof(s) + 1;
  ASSERT_ERROR(zquic_proxy_stats(px, &s), ZQUIC_ERR_INVALID_ARGUMENT, "struct_size");
  ASSERT_ERROR(zquic_proxy_stats(px, NULL), ZQUIC_ERR_INVALID_ARGUMENT, "NULL");
  zquic_proxy_backend_counters bs = {.struct_size = sizeof(bs)};
  ASSERT_ERROR(zquic_proxy_backend_stats(px, 1, &bs), ZQUIC_ERR_NOT_FOUND, "no backend 1");
  bs.struct_size = 1;
  ASSERT_ERROR(zquic_proxy_backend_stats(px, 0, &bs), ZQUIC_ERR_INVALID_ARGUMENT, "struct_size");
  /* None of the refused edits may have been applied, not even the pool they named. */
  s = stats(px);
  assert_int_equal(s.pools, 1);
  assert_int_equal(s.backends, 1);
  assert_true(zquic_proxy_port(px, 0) > 0);
  zquic_proxy_destroy(px);
  zquic_proxy_destroy(NULL);
}

/* ---- 2. a proxy built by the API --------------------------------------------------------------- */

static void test_api_proxy(void **state) {
  (void)state;
  zquic_proxy *px = api_proxy();
  zquic_proxy_backend b;
  backend_init(&b, "second");
  ASSERT_OK(zquic_proxy_add_backend(px, &b));
  ASSERT_OK(zquic_proxy_route(px, "b.example", NULL, "second"));
  zquic_proxy_counters s = stats(px);
  assert_int_equal(s.pools, 2);
  assert_int_equal(s.backends, 2);
  assert_int_equal(s.requests, 0);

  zquic_connection *c = NULL;
  ASSERT_OK(connect_to(zquic_proxy_port(px, 0), "localhost", &c));
  char body[512];
  assert_int_equal(get(c, "/hello", NULL, body, sizeof(body)), 200);
  assert_string_equal(body, "backend /hello localhost");
  assert_int_equal(get(c, "/status/203", NULL, body, sizeof(body)), 203);
  assert_int_equal(get(c, "/status/404", NULL, body, sizeof(body)), 404);
  assert_string_equal(body, "backend /status/404 localhost"); /* the backend's 404, passed on */
  assert_int_equal(get(c, "/hello", "b.example", body, sizeof(body)), 200);
  assert_string_equal(body, "backend /hello b.example");

  s = stats(px);
  assert_int_equal(s.requests, 4);
  assert_int_equal(s.responses[2], 3);
  assert_int_equal(s.responses[4], 1);
  assert_int_equal(s.bad_requests, 0);
  assert_int_equal(s.in_flight, 0);
  zquic_proxy_backend_counters b0 = backend_stats(px, 0), b1 = backend_stats(px, 1);
  assert_string_equal(b0.pool, "default");
  assert_string_equal(b0.address, backend_addr);
  assert_int_equal(b0.protocol, ZQUIC_PROXY_BACKEND_H3);
  assert_int_equal(b0.requests, 3);
  assert_int_equal(b0.errors, 0);
  assert_string_equal(b1.pool, "second");
  assert_int_equal(b1.requests, 1); /* only the b.example request went to the routed pool */
  assert_int_equal(b1.healthy, 1);

  /* A route may be replaced: b.example now goes to "default" as well. */
  ASSERT_OK(zquic_proxy_route(px, "B.example", "/", "default"));
  assert_int_equal(get(c, "/again", "b.example", body, sizeof(body)), 200);
  assert_int_equal(backend_stats(px, 0).requests, 4);
  assert_int_equal(backend_stats(px, 1).requests, 1);
  zquic_close_connection(c);
  zquic_proxy_destroy(px);
}

/* ---- 3. SNI among a listener's certificates; 404 without a route ------------------------------- */

static void test_sni_and_routes(void **state) {
  (void)state;
  char path[] = "/tmp/zq-proxy-api-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fprintf(f,
          "listeners = ( { listen = \"127.0.0.1:0\";\n"
          "  certs = ( { cert = \"%s\"; key = \"%s\"; },\n"
          "            { cert = \"%s\"; key = \"%s\"; } ); } );\n"
          "pools = ( { name = \"api\"; health = { interval_ms = 0; };\n"
          "  backends = ( { address = \"%s\"; sni = \"localhost\"; ca_file = \"%s\"; } ); } );\n"
          "routes = ( { host = \"localhost\"; path = \"/api\"; pool = \"api\"; } );\n",
          cert_path("server-chain.pem"), cert_path("server.key"), cert_path("wronghost.pem"),
          cert_path("wronghost.key"), backend_addr, cert_path("ca.pem"));
  fclose(f);
  ASSERT_OK(zquic_proxy_config_check(path));
  zquic_proxy_config cfg;
  zquic_proxy_config_init(&cfg);
  cfg.config_file = path;
  zquic_proxy *px = NULL;
  ASSERT_OK(zquic_proxy_create(pctx, &cfg, &px));
  int port = zquic_proxy_port(px, 0);

  /* Verification stays on: each name succeeds only if its own certificate was served. */
  zquic_connection *local = NULL, *wrong = NULL, *nobody = NULL;
  ASSERT_OK(connect_to(port, "localhost", &local));
  ASSERT_OK(connect_to(port, "wrong.example", &wrong));
  /* No certificate names nobody.example: the default (localhost) one is served and refused. */
  assert_int_equal(connect_to(port, "nobody.example", &nobody), ZQUIC_ERR_CERT_VERIFY);
  assert_null(nobody);

  char body[512];
  assert_int_equal(get(local, "/api/x", NULL, body, sizeof(body)), 200);
  assert_string_equal(body, "backend /api/x localhost");
  assert_int_equal(get(local, "/apix", NULL, body, sizeof(body)), 404); /* not below /api */
  assert_non_null(strstr(body, "no route"));
  assert_int_equal(get(wrong, "/api/x", NULL, body, sizeof(body)), 404); /* host wrong.example */
  assert_non_null(strstr(body, "no route"));
  zquic_proxy_counters s = stats(px);
  assert_int_equal(s.requests, 3);
  assert_int_equal(s.responses[4], 2);
  assert_int_equal(backend_stats(px, 0).requests, 1);

  /* File-built: reload reads it again. */
  ASSERT_OK(zquic_proxy_reload(px));
  assert_int_equal(stats(px).reloads, 1);
  zquic_close_connection(local);
  zquic_close_connection(wrong);
  zquic_proxy_destroy(px);
  unlink(path);
}

/* ---- 4. malformed requests --------------------------------------------------------------------- */

static void test_malformed_requests(void **state) {
  (void)state;
  zquic_proxy *px = api_proxy();
  zquic_connection *c = NULL;
  ASSERT_OK(connect_to(zquic_proxy_port(px, 0), "localhost", &c));
  char body[512];

  /* nghttp3 on the proxy refuses these itself (stream reset with H3_MESSAGE_ERROR, 0x10e)
   * before Wraith sees them: no :path, neither :authority nor host, an empty :authority. */
  const nghttp3_nv no_path[] = {NV(":method", "GET"), NV(":scheme", "https"),
                                NV(":authority", "localhost")};
  ASSERT_ERROR(raw_get(c, no_path, 3, body, sizeof(body)), ZQUIC_ERR_STREAM_RESET, "0x10e");
  const nghttp3_nv no_authority[] = {NV(":method", "GET"), NV(":scheme", "https"),
                                     NV(":path", "/")};
  ASSERT_ERROR(raw_get(c, no_authority, 3, body, sizeof(body)), ZQUIC_ERR_STREAM_RESET, "0x10e");
  ASSERT_ERROR(get(c, "/", "", body, sizeof(body)), ZQUIC_ERR_STREAM_RESET, "0x10e");
  assert_int_equal(stats(px).requests, 0);

  /* Well-formed HTTP/3 that Wraith cannot forward gets its own 400: CONNECT (no :path) and an
   * asterisk-form target. */
  const nghttp3_nv connect[] = {NV(":method", "CONNECT"), NV(":authority", "localhost:443")};
  assert_int_equal(raw_get(c, connect, 2, body, sizeof(body)), 400);
  assert_non_null(strstr(body, ":path"));
  const nghttp3_nv asterisk[] = {NV(":method", "OPTIONS"), NV(":scheme", "https"),
                                 NV(":path", "*"), NV(":authority", "localhost")};
  assert_int_equal(raw_get(c, asterisk, 4, body, sizeof(body)), 400);
  /* host alone (no :authority) is a usable authority. */
  const nghttp3_nv host_only[] = {NV(":method", "GET"), NV(":scheme", "https"),
                                  NV(":path", "/via-host"), NV("host", "localhost")};
  assert_int_equal(raw_get(c, host_only, 4, body, sizeof(body)), 200);
  assert_string_equal(body, "backend /via-host localhost");

  /* The connection carries on. */
  assert_int_equal(get(c, "/after", NULL, body, sizeof(body)), 200);
  assert_string_equal(body, "backend /after localhost");
  zquic_proxy_counters s = stats(px);
  assert_int_equal(s.requests, 4);
  assert_int_equal(s.bad_requests, 2);
  assert_int_equal(s.responses[4], 2);
  assert_int_equal(s.responses[2], 2);
  assert_int_equal(backend_stats(px, 0).requests, 2);
  zquic_close_connection(c);
  zquic_proxy_destroy(px);
}

/* ---- 5. destroy with a request in flight ------------------------------------------------------- */

static void test_destroy_in_flight(void **state) {
  (void)state;
  zquic_proxy *px = api_proxy();
  zquic_connection *c = NULL;
  ASSERT_OK(connect_to(zquic_proxy_port(px, 0), "localhost", &c));
  int seen = atomic_load(&slow_seen), closed = atomic_load(&slow_closed);
  zquic_h3_request *req = NULL;
  ASSERT_OK(zquic_h3_request_start(c, "GET", "/slow", NULL, NULL, 0, 1, &req));
  for (int i = 0; i < WAIT_MS / 10 && atomic_load(&slow_seen) == seen; i++) usleep(10000);
  assert_int_equal(atomic_load(&slow_seen), seen + 1);
  assert_int_equal(stats(px).in_flight, 1);
  assert_int_equal(backend_stats(px, 0).in_flight, 1);

  zquic_proxy_destroy(px);
  /* The client learns its request is gone (reset or connection closed), not a response. */
  int status = 0;
  int rc = zquic_h3_response_wait(req, WAIT_MS, &status);
  assert_true(rc < 0 && rc != ZQUIC_ERR_TIMEOUT);
  /* The backend's side of it ends too: the proxy closed its upstream. */
  for (int i = 0; i < WAIT_MS / 10 && atomic_load(&slow_closed) == closed; i++) usleep(10000);
  assert_int_equal(atomic_load(&slow_closed), closed + 1);
  zquic_h3_request_free(req);
  zquic_close_connection(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_bad_arguments),
    cmocka_unit_test(test_api_proxy),
    cmocka_unit_test(test_sni_and_routes),
    cmocka_unit_test(test_malformed_requests),
    cmocka_unit_test(test_destroy_in_flight),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
