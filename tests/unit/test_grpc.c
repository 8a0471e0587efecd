/*
 * test_grpc.c — GhostBridge end to end on loopback: unary calls with metadata both ways, the
 * health service, deadlines both ways, deferred answers from another thread, server-, client- and
 * bidirectional streaming, cancellation, the size limit in both directions, gzip, malformed
 * framing and content-type sent by a raw HTTP/3 client, 1,000 concurrent calls on one
 * connection, the original zquic_grpc_serve entry point, and bad arguments.
 */
#include "test_helpers.h"

#include <stdatomic.h>
#include <unistd.h>

static zquic_context *sctx, *cctx;
static zquic_server *server;
static zquic_grpc_server *grpc;
static zquic_connection *conn;
static atomic_int cancels_seen;

static const zquic_grpc_metadata *no_md = NULL;

/* /test.Echo/Echo: the request back, request metadata "x-tag" echoed as initial metadata and
 * "x-bin-bin" as trailing metadata. */
static void echo(zquic_grpc_server_call *call, const uint8_t *req, size_t len, void *user) {
  (void)user;
  const uint8_t *v;
  size_t vlen;
  if (zquic_grpc_server_call_metadata(call, "x-tag", &v, &vlen) == ZQUIC_OK) {
    zquic_grpc_metadata md = {"x-tag-back", v, vlen};
    assert_int_equal(zquic_grpc_server_call_send_metadata(call, &md, 1), ZQUIC_OK);
  }
  zquic_grpc_metadata trailer = {"x-bin-bin", NULL, 0};
  size_t n = 0;
  if (zquic_grpc_server_call_metadata(call, "x-bin-bin", &v, &vlen) == ZQUIC_OK) {
    trailer.value = v;
    trailer.value_len = vlen;
    n = 1;
  }
  zquic_grpc_server_call_send(call, req, len, 0);
  zquic_grpc_server_call_finish(call, ZQUIC_GRPC_OK, NULL, n ? &trailer : NULL, n);
}

/* /test.Echo/Fail: the status named by the request's first byte, with a message needing
 * percent-encoding. */
static void fail_method(zquic_grpc_server_call *call, const uint8_t *req, size_t len, void *user) {
  (void)user;
  zquic_grpc_server_call_finish(call, len ? req[0] : 2, "bad thing: 100% \xc3\xa9", NULL, 0);
}

/* /test.Echo/Slow: answered by another thread after 50 ms, or never (request "never"). */
static void *answer_later(void *arg) {
  usleep(50000);
  zquic_grpc_server_call *call = arg;
  zquic_grpc_server_call_reply(call, "late", 4);
  return NULL;
}

static void slow(zquic_grpc_server_call *call, const uint8_t *req, size_t len, void *user) {
  (void)user;
  if (len == 5 && !memcmp(req, "never", 5)) return; /* finished in on_cancel */
  pthread_t t;
  pthread_create(&t, NULL, answer_later, call);
  pthread_detach(t);
}

static void slow_cancel(zquic_grpc_server_call *call, void *user) {
  (void)user;
  atomic_fetch_add(&cancels_seen, 1);
  assert_int_equal(zquic_grpc_server_call_cancelled(call), 1);
  assert_int_equal(zquic_grpc_server_call_finish(call, ZQUIC_GRPC_OK, NULL, NULL, 0),
                   ZQUIC_ERR_CANCELLED);
}

/* /test.Stream/Count: server streaming, request = count byte. */
static void count(zquic_grpc_server_call *call, const uint8_t *req, size_t len, void *user) {
  (void)user;
  for (int i = 0; len && i < req[0]; i++) {
    uint8_t b = (uint8_t)i;
    assert_int_equal(zquic_grpc_server_call_send(call, &b, 1, 0), ZQUIC_OK);
  }
  zquic_grpc_server_call_finish(call, ZQUIC_GRPC_OK, NULL, NULL, 0);
}

/* /test.Stream/Sum: client streaming; /test.Stream/Chat: bidirectional echo. */
static void stream_start(zquic_grpc_server_call *call, const uint8_t *req, size_t len, void *u) {
  (void)req;
  (void)len;
  (void)u;
  zquic_grpc_server_call_set_user(call, calloc(1, sizeof(uint64_t)));
}

static void sum_message(zquic_grpc_server_call *call, const uint8_t *msg, size_t len, void *u) {
  (void)u;
  uint64_t *sum = zquic_grpc_server_call_get_user(call);
  for (size_t i = 0; i < len; i++) *sum += msg[i];
}

static void sum_done(zquic_grpc_server_call *call, void *u) {
  (void)u;
  uint64_t *sum = zquic_grpc_server_call_get_user(call);
  char text[32];
  int n = snprintf(text, sizeof(text), "%llu", (unsigned long long)*sum);
  free(sum);
  zquic_grpc_server_call_reply(call, text, (size_t)n);
}

static void chat_message(zquic_grpc_server_call *call, const uint8_t *msg, size_t len, void *u) {
  (void)u;
  assert_int_equal(zquic_grpc_server_call_send(call, msg, len, 0), ZQUIC_OK);
}

static void chat_done(zquic_grpc_server_call *call, void *u) {
  (void)u;
  free(zquic_grpc_server_call_get_user(call));
  zquic_grpc_server_call_finish(call, ZQUIC_GRPC_OK, NULL, NULL, 0);
}

static void stream_cancel(zquic_grpc_server_call *call, void *u) {
  (void)u;
  atomic_fetch_add(&cancels_seen, 1);
  free(zquic_grpc_server_call_get_user(call));
  zquic_grpc_server_call_finish(call, ZQUIC_GRPC_CANCELLED, NULL, NULL, 0);
}

/* /test.Big/Get: a reply of the size the request names (decimal). */
static void big(zquic_grpc_server_call *call, const uint8_t *req, size_t len, void *user) {
  (void)user;
  char text[16] = {0};
  memcpy(text, req, len < 15 ? len : 15);
  size_t n = (size_t)atol(text);
  uint8_t *body = calloc(1, n ? n : 1);
  zquic_grpc_server_call_reply(call, body, n);
  free(body);
}

static void reg(const char *path, zquic_grpc_handler fn, int kind,
                void (*on_msg)(zquic_grpc_server_call *, const uint8_t *, size_t, void *),
                void (*on_half)(zquic_grpc_server_call *, void *),
                void (*on_cancel)(zquic_grpc_server_call *, void *)) {
  zquic_grpc_method m;
  zquic_grpc_method_init(&m);
  m.kind = kind;
  m.on_call = fn;
  m.on_message = on_msg;
  m.on_half_close = on_half;
  m.on_cancel = on_cancel;
  ASSERT_OK(zquic_grpc_server_register(grpc, path, &m));
}

static void plain_request(zquic_h3_exchange *ex, void *user) {
  (void)user;
  zquic_h3_respond_bytes(ex, 200, NULL, 0, "plain", 5);
}

static int setup(void **state) {
  (void)state;
  zquic_config cfg;
  zquic_config_init(&cfg);
  cfg.cert_file = cert_path("server-chain.pem");
  cfg.key_file = cert_path("server.key");
  cfg.max_streams_bidi = 100; /* 1,000 calls must queue for streams */
  if (zquic_init(&cfg, &sctx) != ZQUIC_OK) return -1;
  zquic_h3_handler_config plain;
  zquic_h3_handler_config_init(&plain);
  plain.on_request = plain_request;
  zquic_grpc_server_config gcfg;
  zquic_grpc_server_config_init(&gcfg);
  gcfg.max_receive_message = 3u << 20;
  gcfg.fallback = &plain;
  gcfg.compress = 1; /* our client accepts gzip: every reply here is compressed */
  if (zquic_grpc_server_create(sctx, &gcfg, &grpc) != ZQUIC_OK) return -1;
  reg("/test.Echo/Echo", echo, ZQUIC_GRPC_METHOD_UNARY, NULL, NULL, NULL);
  reg("/test.Echo/Fail", fail_method, ZQUIC_GRPC_METHOD_UNARY, NULL, NULL, NULL);
  reg("/test.Echo/Slow", slow, ZQUIC_GRPC_METHOD_UNARY, NULL, NULL, slow_cancel);
  reg("/test.Stream/Count", count, ZQUIC_GRPC_METHOD_UNARY, NULL, NULL, NULL);
  reg("/test.Stream/Sum", stream_start, ZQUIC_GRPC_METHOD_STREAMING, sum_message, sum_done,
      stream_cancel);
  reg("/test.Stream/Chat", stream_start, ZQUIC_GRPC_METHOD_STREAMING, chat_message, chat_done,
      stream_cancel);
  reg("/test.Big/Get", big, ZQUIC_GRPC_METHOD_UNARY, NULL, NULL, NULL);
  zquic_server_config scfg;
  zquic_server_config_init(&scfg);
  scfg.listen = "127.0.0.1:0";
  scfg.h3 = zquic_grpc_server_h3_handler(grpc);
  if (zquic_create_server(sctx, &scfg, &server) != ZQUIC_OK) return -1;
  char address[64];
  snprintf(address, sizeof(address), "localhost:%d", zquic_server_port(server));
  zquic_config_init(&cfg);
  cfg.ca_file = cert_path("ca.pem");
  cfg.alpn = "h3";
  if (zquic_init(&cfg, &cctx) != ZQUIC_OK) return -1;
  return zquic_create_connection(cctx, address, &conn) == ZQUIC_OK ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  zquic_close_connection(conn);
  zquic_destroy(cctx);
  zquic_server_free(server);
  zquic_grpc_server_free(grpc);
  zquic_destroy(sctx);
  return 0;
}

static zquic_grpc_response *call(const char *method, const void *req, size_t len,
                                 const zquic_grpc_call_options *opts) {
  zquic_grpc_response *resp = NULL;
  ASSERT_OK(zquic_grpc_call(conn, method, req, len, opts, &resp));
  assert_non_null(resp);
  return resp;
}

static void test_unary_metadata(void **state) {
  (void)state;
  const uint8_t bin[] = {0, 1, 2, 255, 10};
  zquic_grpc_metadata md[] = {{"x-tag", (const uint8_t *)"blue", 4}, {"x-bin-bin", bin, 5}};
  zquic_grpc_call_options o;
  zquic_grpc_call_options_init(&o);
  o.metadata = md;
  o.n_metadata = 2;
  zquic_grpc_response *r = call("test.Echo/Echo", "hello", 5, &o); /* no leading '/' */
  assert_int_equal(r->status, ZQUIC_GRPC_OK);
  assert_int_equal(r->http_status, 200);
  assert_int_equal(r->len, 5);
  assert_memory_equal(r->data, "hello", 5);
  const uint8_t *v;
  size_t vlen;
  ASSERT_OK(zquic_grpc_response_metadata_get(r, "x-tag-back", &v, &vlen));
  assert_int_equal(vlen, 4);
  assert_memory_equal(v, "blue", 4);
  ASSERT_OK(zquic_grpc_response_metadata_get(r, "x-bin-bin", &v, &vlen));
  assert_int_equal(vlen, 5);
  assert_memory_equal(v, bin, 5);
  assert_int_equal(zquic_grpc_response_metadata_get(r, "grpc-status", &v, &vlen),
                   ZQUIC_ERR_NOT_FOUND);
  zquic_grpc_response_free(r);
  /* an empty message is a message */
  r = call("/test.Echo/Echo", NULL, 0, NULL);
  assert_int_equal(r->status, ZQUIC_GRPC_OK);
  assert_int_equal(r->len, 0);
  zquic_grpc_response_free(r);
}

static void test_status_and_unknown(void **state) {
  (void)state;
  uint8_t code = ZQUIC_GRPC_PERMISSION_DENIED;
  zquic_grpc_response *r = call("/test.Echo/Fail", &code, 1, NULL);
  assert_int_equal(r->status, ZQUIC_GRPC_PERMISSION_DENIED);
  assert_string_equal(r->error, "bad thing: 100% \xc3\xa9"); /* percent-decoded */
  assert_null(r->data);
  zquic_grpc_response_free(r);
  r = call("/test.Nope/Missing", "x", 1, NULL);
  assert_int_equal(r->status, ZQUIC_GRPC_UNIMPLEMENTED);
  assert_non_null(strstr(r->error, "/test.Nope/Missing"));
  zquic_grpc_response_free(r);
  assert_string_equal(zquic_grpc_status_name(4), "DEADLINE_EXCEEDED");
  assert_string_equal(zquic_grpc_status_name(99), "UNKNOWN_CODE");
}

static void test_health(void **state) {
  (void)state;
  static const uint8_t whole[] = {0};
  zquic_grpc_response *r = call("/grpc.health.v1.Health/Check", whole, 0, NULL);
  assert_int_equal(r->status, ZQUIC_GRPC_OK);
  assert_int_equal(r->len, 2);
  assert_int_equal(r->data[1], 1); /* SERVING */
  zquic_grpc_response_free(r);
  const uint8_t svc[] = "\x0a\x09test.Echo";
  r = call("/grpc.health.v1.Health/Check", svc, sizeof(svc) - 1, NULL);
  assert_int_equal(r->status, ZQUIC_GRPC_OK);
  assert_int_equal(r->data[1], 1);
  zquic_grpc_response_free(r);
  ASSERT_OK(zquic_grpc_server_set_health(grpc, "test.Echo", 2));
  r = call("/grpc.health.v1.Health/Check", svc, sizeof(svc) - 1, NULL);
  assert_int_equal(r->data[1], 2); /* NOT_SERVING */
  zquic_grpc_response_free(r);
  ASSERT_OK(zquic_grpc_server_set_health(grpc, "test.Echo", 1));
  const uint8_t unknown[] = "\x0a\x03zzz";
  r = call("/grpc.health.v1.Health/Check", unknown, sizeof(unknown) - 1, NULL);
  assert_int_equal(r->status, ZQUIC_GRPC_NOT_FOUND);
  zquic_grpc_response_free(r);
  const uint8_t broken[] = "\x0a\x7f";
  r = call("/grpc.health.v1.Health/Check", broken, sizeof(broken) - 1, NULL);
  assert_int_equal(r->status, ZQUIC_GRPC_INVALID_ARGUMENT);
  zquic_grpc_response_free(r);
  assert_int_equal(zquic_grpc_server_set_health(grpc, "x", 7), ZQUIC_ERR_INVALID_ARGUMENT);
}

static void test_deadline_and_deferred(void **state) {
  (void)state;
  zquic_grpc_response *r = call("/test.Echo/Slow", "soon", 4, NULL);
  assert_int_equal(r->status, ZQUIC_GRPC_OK);
  assert_memory_equal(r->data, "late", 4);
  zquic_grpc_response_free(r);
  int before = atomic_load(&cancels_seen);
  zquic_grpc_call_options o;
  zquic_grpc_call_options_init(&o);
  o.timeout_ms = 200;
  r = call("/test.Echo/Slow", "never", 5, &o);
  assert_int_equal(r->status, ZQUIC_GRPC_DEADLINE_EXCEEDED);
  zquic_grpc_response_free(r);
  /* the server got grpc-timeout too: it ends the call itself and tells the handler */
  for (int i = 0; i < 200 && atomic_load(&cancels_seen) == before; i++) usleep(10000);
  assert_int_equal(atomic_load(&cancels_seen), before + 1);
  /* and the connection carries on */
  r = call("/test.Echo/Echo", "ok", 2, NULL);
  assert_int_equal(r->status, ZQUIC_GRPC_OK);
  zquic_grpc_response_free(r);
}

static void test_server_streaming(void **state) {
  (void)state;
  zquic_grpc_stream *s;
  ASSERT_OK(zquic_grpc_stream_start(conn, "/test.Stream/Count", NULL, &s));
  uint8_t n = 50;
  ASSERT_OK(zquic_grpc_stream_send(s, &n, 1, 1000));
  ASSERT_OK(zquic_grpc_stream_close_send(s));
  const uint8_t *msg;
  size_t len;
  for (int i = 0; i < 50; i++) {
    assert_int_equal(zquic_grpc_stream_recv(s, 5000, &msg, &len), 1);
    assert_int_equal(len, 1);
    assert_int_equal(msg[0], i);
  }
  assert_int_equal(zquic_grpc_stream_recv(s, 5000, &msg, &len), 0);
  const zquic_grpc_response *st = zquic_grpc_stream_status(s);
  assert_non_null(st);
  assert_int_equal(st->status, ZQUIC_GRPC_OK);
  assert_int_equal(zquic_grpc_stream_send(s, "x", 1, 0), ZQUIC_ERR_CLOSED);
  zquic_grpc_stream_free(s);
}

static void test_client_and_bidi_streaming(void **state) {
  (void)state;
  zquic_grpc_stream *s;
  ASSERT_OK(zquic_grpc_stream_start(conn, "/test.Stream/Sum", NULL, &s));
  uint64_t expect = 0;
  uint8_t chunk[1000];
  for (int i = 0; i < 100; i++) {
    for (size_t k = 0; k < sizeof(chunk); k++) expect += chunk[k] = (uint8_t)(i + k);
    ASSERT_OK(zquic_grpc_stream_send(s, chunk, sizeof(chunk), 5000));
  }
  ASSERT_OK(zquic_grpc_stream_close_send(s));
  const uint8_t *msg;
  size_t len;
  assert_int_equal(zquic_grpc_stream_recv(s, 5000, &msg, &len), 1);
  char text[32];
  snprintf(text, sizeof(text), "%llu", (unsigned long long)expect);
  assert_int_equal(len, strlen(text));
  assert_memory_equal(msg, text, len);
  assert_int_equal(zquic_grpc_stream_recv(s, 5000, &msg, &len), 0);
  assert_int_equal(zquic_grpc_stream_status(s)->status, ZQUIC_GRPC_OK);
  zquic_grpc_stream_free(s);

  /* bidirectional: every message comes back before the next is sent */
  ASSERT_OK(zquic_grpc_stream_start(conn, "/test.Stream/Chat", NULL, &s));
  for (int i = 0; i < 20; i++) {
    char m[16];
    int n = snprintf(m, sizeof(m), "ping %d", i);
    ASSERT_OK(zquic_grpc_stream_send(s, m, (size_t)n, 5000));
    assert_int_equal(zquic_grpc_stream_recv(s, 5000, &msg, &len), 1);
    assert_int_equal(len, (size_t)n);
    assert_memory_equal(msg, m, len);
  }
  ASSERT_OK(zquic_grpc_stream_close_send(s));
  assert_int_equal(zquic_grpc_stream_recv(s, 5000, &msg, &len), 0);
  assert_int_equal(zquic_grpc_stream_status(s)->status, ZQUIC_GRPC_OK);
  zquic_grpc_stream_free(s);
}

static void test_cancel(void **state) {
  (void)state;
  int before = atomic_load(&cancels_seen);
  zquic_grpc_stream *s;
  ASSERT_OK(zquic_grpc_stream_start(conn, "/test.Stream/Chat", NULL, &s));
  const uint8_t *msg;
  size_t len;
  ASSERT_OK(zquic_grpc_stream_send(s, "a", 1, 5000));
  assert_int_equal(zquic_grpc_stream_recv(s, 5000, &msg, &len), 1);
  ASSERT_OK(zquic_grpc_stream_cancel(s));
  assert_int_equal(zquic_grpc_stream_recv(s, 5000, &msg, &len), 0);
  assert_int_equal(zquic_grpc_stream_status(s)->status, ZQUIC_GRPC_CANCELLED);
  zquic_grpc_stream_free(s);
  /* the server sees the reset as a cancelled call */
  for (int i = 0; i < 200 && atomic_load(&cancels_seen) == before; i++) usleep(10000);
  assert_int_equal(atomic_load(&cancels_seen), before + 1);
  /* a handle freed while running is cancelled too */
  ASSERT_OK(zquic_grpc_stream_start(conn, "/test.Stream/Chat", NULL, &s));
  ASSERT_OK(zquic_grpc_stream_send(s, "b", 1, 5000));
  assert_int_equal(zquic_grpc_stream_recv(s, 5000, &msg, &len), 1);
  zquic_grpc_stream_free(s);
  for (int i = 0; i < 200 && atomic_load(&cancels_seen) == before + 1; i++) usleep(10000);
  assert_int_equal(atomic_load(&cancels_seen), before + 2);
}

static void test_limits_and_gzip(void **state) {
  (void)state;
  /* request over the server's 3 MiB limit */
  size_t n = 4u << 20;
  uint8_t *big_req = calloc(1, n);
  zquic_grpc_response *r = call("/test.Echo/Echo", big_req, n, NULL);
  assert_int_equal(r->status, ZQUIC_GRPC_RESOURCE_EXHAUSTED);
  zquic_grpc_response_free(r);
  /* the same bytes gzip-compressed pass the wire but not the limit after inflating */
  zquic_grpc_call_options o;
  zquic_grpc_call_options_init(&o);
  o.compress = 1;
  r = call("/test.Echo/Echo", big_req, n, &o);
  assert_int_equal(r->status, ZQUIC_GRPC_RESOURCE_EXHAUSTED);
  zquic_grpc_response_free(r);
  /* 2 MiB compressed is fine and arrives intact */
  for (size_t i = 0; i < (2u << 20); i++) big_req[i] = (uint8_t)(i % 7);
  r = call("/test.Echo/Echo", big_req, 2u << 20, &o);
  assert_int_equal(r->status, ZQUIC_GRPC_OK);
  assert_int_equal(r->len, 2u << 20);
  assert_memory_equal(r->data, big_req, 2u << 20);
  zquic_grpc_response_free(r);
  free(big_req);
  /* reply over the client's limit */
  zquic_grpc_call_options_init(&o);
  o.max_receive_message = 1u << 20;
  r = call("/test.Big/Get", "2000000", 7, &o);
  assert_int_equal(r->status, ZQUIC_GRPC_RESOURCE_EXHAUSTED);
  zquic_grpc_response_free(r);
  r = call("/test.Big/Get", "300000", 6, NULL); /* the default limit is 4 MiB */
  assert_int_equal(r->status, ZQUIC_GRPC_OK);
  assert_int_equal(r->len, 300000);
  zquic_grpc_response_free(r);
}

/* A raw HTTP/3 request with a gRPC content-type and `body`; returns grpc-status (or -HTTP). */
static int raw_grpc(const char *ctype, const void *body, size_t len) {
  zquic_h3_header h[] = {{"content-type", ctype}, {"te", "trailers"}};
  zquic_h3_request *req;
  ASSERT_OK(zquic_h3_request_start(conn, "POST", "/test.Echo/Echo", NULL, h, 2, 0, &req));
  ASSERT_OK(zquic_h3_request_send(req, body, len, 1, 5000));
  int status;
  ASSERT_OK(zquic_h3_response_wait(req, 5000, &status));
  uint8_t buf[256];
  size_t got;
  do ASSERT_OK(zquic_h3_response_read(req, buf, sizeof(buf), 5000, &got));
  while (got);
  const char *gs = zquic_h3_response_header_get(req, "grpc-status");
  for (size_t i = 0; !gs; i++) {
    const char *name, *value;
    if (zquic_h3_response_trailer(req, i, &name, &value) != ZQUIC_OK) break;
    if (!strcmp(name, "grpc-status")) gs = value;
  }
  int result = gs ? atoi(gs) : -status;
  zquic_h3_request_free(req);
  return result;
}

static void test_malformed_requests(void **state) {
  (void)state;
  /* a length beyond the body */
  const uint8_t cut[] = {0, 0, 0, 0, 100, 'a', 'b'};
  assert_int_equal(raw_grpc("application/grpc", cut, sizeof(cut)), ZQUIC_GRPC_INTERNAL);
  /* compressed flag without grpc-encoding */
  const uint8_t flagged[] = {1, 0, 0, 0, 1, 'a'};
  assert_int_equal(raw_grpc("application/grpc+proto", flagged, sizeof(flagged)),
                   ZQUIC_GRPC_INTERNAL);
  /* two messages on a unary method */
  const uint8_t two[] = {0, 0, 0, 0, 1, 'a', 0, 0, 0, 0, 1, 'b'};
  assert_int_equal(raw_grpc("application/grpc", two, sizeof(two)), ZQUIC_GRPC_UNIMPLEMENTED);
  /* no message at all */
  assert_int_equal(raw_grpc("application/grpc", NULL, 0), ZQUIC_GRPC_UNIMPLEMENTED);
  /* a well-formed one still works on the same connection */
  const uint8_t ok[] = {0, 0, 0, 0, 2, 'o', 'k'};
  assert_int_equal(raw_grpc("application/grpc", ok, sizeof(ok)), ZQUIC_GRPC_OK);
  /* a client that accepts gzip gets compressed replies from this server */
  {
    zquic_h3_header h[] = {{"content-type", "application/grpc"}, {"te", "trailers"},
                           {"grpc-accept-encoding", "gzip"}};
    zquic_h3_request *req;
    ASSERT_OK(zquic_h3_request_start(conn, "POST", "/test.Echo/Echo", NULL, h, 3, 0, &req));
    ASSERT_OK(zquic_h3_request_send(req, ok, sizeof(ok), 1, 5000));
    int st;
    ASSERT_OK(zquic_h3_response_wait(req, 5000, &st));
    const char *enc = zquic_h3_response_header_get(req, "grpc-encoding");
    assert_non_null(enc);
    assert_string_equal(enc, "gzip");
    uint8_t buf[256];
    size_t got = 0;
    ASSERT_OK(zquic_h3_response_read(req, buf, sizeof(buf), 5000, &got));
    assert_true(got > 5);
    assert_int_equal(buf[0], 1); /* the compressed flag */
    zquic_h3_request_free(req);
  }
  /* not gRPC: the fallback handler answers */
  zquic_h3_request *req;
  ASSERT_OK(zquic_h3_request_start(conn, "GET", "/", NULL, NULL, 0, 1, &req));
  int status;
  ASSERT_OK(zquic_h3_response_wait(req, 5000, &status));
  assert_int_equal(status, 200);
  zquic_h3_request_free(req);
}

typedef struct async_result {
  atomic_int done, ok;
} async_result;

typedef struct async_call {
  async_result *result;
  uint32_t index;
} async_call;

static void on_done(zquic_grpc_response *resp, void *user) {
  async_call *c = user;
  uint32_t got = 0;
  if (resp->status == ZQUIC_GRPC_OK && resp->len == 4) memcpy(&got, resp->data, 4);
  if (got == c->index) atomic_fetch_add(&c->result->ok, 1);
  atomic_fetch_add(&c->result->done, 1);
  zquic_grpc_response_free(resp);
}

static void test_thousand_concurrent(void **state) {
  (void)state;
  enum { N = 1000 };
  async_result result = {0, 0};
  async_call *calls = calloc(N, sizeof(*calls));
  for (uint32_t i = 0; i < N; i++) {
    calls[i] = (async_call){&result, i};
    ASSERT_OK(zquic_grpc_call_async(conn, "/test.Echo/Echo", &i, 4, NULL, on_done, &calls[i]));
  }
  for (int i = 0; i < 3000 && atomic_load(&result.done) < N; i++) usleep(10000);
  assert_int_equal(atomic_load(&result.done), N);
  assert_int_equal(atomic_load(&result.ok), N); /* each got its own answer back */
  free(calls);
}

static void original_handler(zquic_grpc_server_call *call, const uint8_t *req, size_t len,
                             void *user) {
  (void)user;
  zquic_grpc_server_call_reply(call, req, len);
}

static void test_original_serve(void **state) {
  (void)state;
  zquic_config cfg;
  zquic_config_init(&cfg);
  cfg.cert_file = cert_path("server-chain.pem");
  cfg.key_file = cert_path("server.key");
  cfg.bind_address = "127.0.0.1";
  cfg.port = 0;
  zquic_context *ctx;
  ASSERT_OK(zquic_init(&cfg, &ctx));
  zquic_grpc_server *srv;
  ASSERT_OK(zquic_grpc_serve(ctx, original_handler, NULL, &srv));
  char address[64];
  snprintf(address, sizeof(address), "localhost:%d", zquic_grpc_server_port(srv));
  zquic_connection *c;
  ASSERT_OK(zquic_create_connection(cctx, address, &c));
  zquic_grpc_response *r = NULL;
  ASSERT_OK(zquic_grpc_call(c, "any.Service/Anything", "abc", 3, NULL, &r));
  assert_int_equal(r->status, ZQUIC_GRPC_OK);
  assert_memory_equal(r->data, "abc", 3);
  zquic_grpc_response_free(r);
  /* the connection goes away under a running call: UNAVAILABLE, not a hang */
  zquic_grpc_stream *s;
  ASSERT_OK(zquic_grpc_stream_start(c, "/any.Service/Stream", NULL, &s));
  ASSERT_OK(zquic_grpc_stream_send(s, "x", 1, 5000));
  zquic_close_connection(c);
  const uint8_t *msg;
  size_t len;
  assert_int_equal(zquic_grpc_stream_recv(s, 10000, &msg, &len), 0);
  assert_int_equal(zquic_grpc_stream_status(s)->status, ZQUIC_GRPC_UNAVAILABLE);
  zquic_grpc_stream_free(s);
  zquic_grpc_server_free(srv);
  zquic_destroy(ctx);
}

static void test_channel(void **state) {
  (void)state;
  /* A client context whose connections go idle fast, to see the channel reconnect. */
  zquic_config cfg;
  zquic_config_init(&cfg);
  cfg.ca_file = cert_path("ca.pem");
  cfg.idle_timeout_ms = 300;
  zquic_context *ctx;
  ASSERT_OK(zquic_init(&cfg, &ctx));
  char target[64];
  snprintf(target, sizeof(target), "localhost:%d", zquic_server_port(server));
  zquic_grpc_channel *ch;
  ASSERT_OK(zquic_grpc_channel_create(ctx, target, NULL, &ch));
  async_result result = {0, 0};
  async_call calls[50];
  for (uint32_t i = 0; i < 50; i++) { /* async calls made before the handshake ended wait for it */
    calls[i] = (async_call){&result, i};
    ASSERT_OK(zquic_grpc_channel_call_async(ch, "/test.Echo/Echo", &i, 4, NULL, on_done, &calls[i]));
  }
  for (int i = 0; i < 1000 && atomic_load(&result.done) < 50; i++) usleep(10000);
  assert_int_equal(atomic_load(&result.ok), 50);
  zquic_grpc_response *r = NULL;
  ASSERT_OK(zquic_grpc_channel_call(ch, "/test.Echo/Echo", "a", 1, NULL, &r));
  assert_int_equal(r->status, ZQUIC_GRPC_OK);
  zquic_grpc_response_free(r);
  assert_int_equal(zquic_grpc_channel_connects(ch), 1); /* one connection for all of them */
  usleep(900000); /* the connection idles out */
  ASSERT_OK(zquic_grpc_channel_call(ch, "/test.Echo/Echo", "b", 1, NULL, &r));
  assert_int_equal(r->status, ZQUIC_GRPC_OK);
  zquic_grpc_response_free(r);
  assert_int_equal(zquic_grpc_channel_connects(ch), 2);
  zquic_grpc_channel_free(ch);
  /* Nobody at the target: the call ends UNAVAILABLE within the connect timeout. */
  zquic_connect_options co;
  zquic_connect_options_init(&co);
  co.timeout_ms = 500;
  ASSERT_OK(zquic_grpc_channel_create(ctx, "127.0.0.1:9", &co, &ch));
  ASSERT_OK(zquic_grpc_channel_call(ch, "/test.Echo/Echo", "c", 1, NULL, &r));
  assert_int_equal(r->status, ZQUIC_GRPC_UNAVAILABLE);
  zquic_grpc_response_free(r);
  zquic_grpc_channel_free(ch);
  assert_int_equal(zquic_grpc_channel_create(ctx, "no-port", NULL, &ch), ZQUIC_ERR_INVALID_ARGUMENT);
  zquic_destroy(ctx);
}

static void test_bad_arguments(void **state) {
  (void)state;
  zquic_grpc_response *r = (zquic_grpc_response *)1;
  assert_int_equal(zquic_grpc_call(NULL, "/a.B/C", "x", 1, NULL, &r), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_null(r);
  assert_int_equal(zquic_grpc_call(conn, "/a.B/C", NULL, 1, NULL, &r), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(zquic_grpc_call(conn, "/a.B/C", "x", 1, NULL, NULL), ZQUIC_ERR_INVALID_ARGUMENT);
  const char *bad_paths[] = {"", "/", "nomethod", "/a.B/", "//C", "/a.B/C/D", "/a B/C", NULL};
  for (int i = 0; bad_paths[i]; i++)
    assert_int_equal(zquic_grpc_call(conn, bad_paths[i], "x", 1, NULL, &r),
                     ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(zquic_grpc_call(conn, NULL, "x", 1, NULL, &r), ZQUIC_ERR_INVALID_ARGUMENT);
  zquic_grpc_call_options o;
  memset(&o, 0, sizeof(o));
  assert_int_equal(zquic_grpc_call(conn, "/a.B/C", "x", 1, &o, &r), ZQUIC_ERR_INVALID_ARGUMENT);
  zquic_grpc_call_options_init(&o);
  zquic_grpc_metadata bad_key = {"X-Upper", (const uint8_t *)"v", 1};
  zquic_grpc_metadata reserved = {"grpc-status", (const uint8_t *)"0", 1};
  zquic_grpc_metadata ctrl = {"x-text", (const uint8_t *)"a\nb", 3};
  zquic_grpc_metadata *bad[] = {&bad_key, &reserved, &ctrl};
  for (int i = 0; i < 3; i++) {
    o.metadata = bad[i];
    o.n_metadata = 1;
    assert_int_equal(zquic_grpc_call(conn, "/a.B/C", "x", 1, &o, &r), ZQUIC_ERR_INVALID_ARGUMENT);
  }
  o.metadata = no_md;
  o.n_metadata = 1;
  assert_int_equal(zquic_grpc_call(conn, "/a.B/C", "x", 1, &o, &r), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(zquic_grpc_call_async(conn, "/a.B/C", "x", 1, NULL, NULL, NULL),
                   ZQUIC_ERR_INVALID_ARGUMENT);
  zquic_grpc_stream *s = (zquic_grpc_stream *)1;
  assert_int_equal(zquic_grpc_stream_start(conn, "bad", NULL, &s), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_null(s);
  assert_int_equal(zquic_grpc_stream_send(NULL, "x", 1, 0), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(zquic_grpc_stream_recv(NULL, 0, NULL, NULL), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_null(zquic_grpc_stream_status(NULL));
  zquic_grpc_stream_free(NULL);
  zquic_grpc_response_free(NULL);
  zquic_grpc_method m;
  zquic_grpc_method_init(&m);
  assert_int_equal(zquic_grpc_server_register(grpc, "/a.B/C", &m), ZQUIC_ERR_INVALID_ARGUMENT);
  m.on_call = echo;
  assert_int_equal(zquic_grpc_server_register(grpc, "a.B/C", &m), ZQUIC_ERR_INVALID_ARGUMENT);
  m.kind = 7;
  assert_int_equal(zquic_grpc_server_register(grpc, "/a.B/C", &m), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(zquic_grpc_server_create(NULL, NULL, NULL), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(zquic_grpc_server_port(grpc), ZQUIC_ERR_STATE);
  assert_int_equal(zquic_grpc_server_call_finish(NULL, 0, NULL, NULL, 0),
                   ZQUIC_ERR_INVALID_ARGUMENT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_unary_metadata),
    cmocka_unit_test(test_status_and_unknown),
    cmocka_unit_test(test_health),
    cmocka_unit_test(test_deadline_and_deferred),
    cmocka_unit_test(test_server_streaming),
    cmocka_unit_test(test_client_and_bidi_streaming),
    cmocka_unit_test(test_cancel),
    cmocka_unit_test(test_limits_and_gzip),
    cmocka_unit_test(test_malformed_requests),
    cmocka_unit_test(test_thousand_concurrent),
    cmocka_unit_test(test_channel),
    cmocka_unit_test(test_bad_arguments),
    cmocka_unit_test(test_original_serve),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
