/*
 * test_h3.c — the HTTP/3 API end to end on loopback: responses with trailers, request bodies
 * streamed to the server, a large response read slowly (flow control, not buffering), many
 * requests in flight on one connection, a body sink (buffered bytes first, then the loop's; a
 * refusal cancels), responses given later from another thread, and bad arguments.
 */
#include "test_helpers.h"

#include <stdbool.h>
#include <unistd.h>

static zquic_context *sctx, *cctx;
static zquic_server *server;
static char address[64];

typedef struct pending_answer {
  zquic_h3_exchange *ex;
} pending_answer;

/* Produces `left` bytes of a counting pattern, 16 KiB per call at most. */
typedef struct pattern_body {
  size_t left, offset;
} pattern_body;

static pattern_body *volatile last_pattern; /* for the test that checks nothing is buffered */

static int pattern_source(void *user, uint8_t *buf, size_t cap, size_t *len, int *eof) {
  pattern_body *pb = user;
  size_t n = pb->left < cap ? pb->left : cap;
  for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)((pb->offset + i) % 251);
  pb->offset += n;
  pb->left -= n;
  *len = n;
  *eof = pb->left == 0;
  return ZQUIC_OK;
}

static void *answer_later(void *arg) {
  pending_answer *pa = arg;
  usleep(50000); /* the loop keeps serving while this thread "works" */
  zquic_h3_respond_bytes(pa->ex, 200, NULL, 0, "late", 4);
  free(pa);
  return NULL;
}

static void on_request(zquic_h3_exchange *ex, void *user) {
  (void)user;
  const char *path = zquic_h3_exchange_path(ex);
  if (strcmp(path, "/trailers") == 0) {
    zquic_h3_header t[] = {{"x-checksum", "abc123"}, {"grpc-status", "0"}};
    assert_int_equal(zquic_h3_exchange_set_trailers(ex, t, 2), ZQUIC_OK);
    zquic_h3_header h[] = {{"content-type", "text/plain"}};
    zquic_h3_respond_bytes(ex, 200, h, 1, "body", 4);
  } else if (strncmp(path, "/pattern/", 9) == 0) {
    pattern_body *pb = calloc(1, sizeof(*pb));
    pb->left = (size_t)atol(path + 9);
    last_pattern = pb;
    zquic_h3_exchange_set_user(ex, pb);
    zquic_h3_respond(ex, 200, NULL, 0, pattern_source, pb);
  } else if (strcmp(path, "/echo") == 0) {
    /* Answered in on_request_end, once the whole body has arrived. */
    size_t *count = calloc(1, sizeof(size_t));
    zquic_h3_exchange_set_user(ex, count);
  } else if (strcmp(path, "/later") == 0) {
    pending_answer *pa = calloc(1, sizeof(*pa));
    pa->ex = ex;
    pthread_t t;
    pthread_create(&t, NULL, answer_later, pa);
    pthread_detach(t);
  } else if (strcmp(path, "/header") == 0) {
    const char *v = zquic_h3_exchange_header_get(ex, "x-test");
    zquic_h3_respond_bytes(ex, 200, NULL, 0, v ? v : "none", v ? strlen(v) : 4);
  } else {
    zquic_h3_respond_bytes(ex, 404, NULL, 0, "nope", 4);
  }
}

static void on_body(zquic_h3_exchange *ex, const uint8_t *data, size_t len, void *user) {
  (void)data;
  (void)user;
  size_t *count = zquic_h3_exchange_get_user(ex);
  if (count) *count += len;
}

static void on_request_end(zquic_h3_exchange *ex, void *user) {
  (void)user;
  if (strcmp(zquic_h3_exchange_path(ex), "/echo") != 0) return;
  size_t *count = zquic_h3_exchange_get_user(ex);
  char text[32];
  snprintf(text, sizeof(text), "%zu", *count);
  zquic_h3_respond_bytes(ex, 200, NULL, 0, text, strlen(text));
}

static void on_close(zquic_h3_exchange *ex, void *user) {
  (void)user;
  const char *path = zquic_h3_exchange_path(ex);
  if (path && (strncmp(path, "/pattern/", 9) == 0 || strcmp(path, "/echo") == 0))
    free(zquic_h3_exchange_get_user(ex));
}

static int setup(void **state) {
  (void)state;
  zquic_config cfg;
  zquic_config_init(&cfg);
  cfg.cert_file = cert_path("server-chain.pem");
  cfg.key_file = cert_path("server.key");
  if (zquic_init(&cfg, &sctx) != ZQUIC_OK) return -1;
  zquic_h3_handler_config h3;
  zquic_h3_handler_config_init(&h3);
  h3.on_request = on_request;
  h3.on_body = on_body;
  h3.on_request_end = on_request_end;
  h3.on_close = on_close;
  zquic_server_config scfg;
  zquic_server_config_init(&scfg);
  scfg.listen = "127.0.0.1:0";
  scfg.h3 = &h3;
  if (zquic_create_server(sctx, &scfg, &server) != ZQUIC_OK) return -1;
  snprintf(address, sizeof(address), "localhost:%d", zquic_server_port(server));
  zquic_config_init(&cfg);
  cfg.ca_file = cert_path("ca.pem");
  cfg.alpn = "h3";
  return zquic_init(&cfg, &cctx) == ZQUIC_OK ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  zquic_destroy(cctx);
  zquic_server_free(server);
  zquic_destroy(sctx);
  return 0;
}

/* GET path, expect status, return the body (malloc'd, NUL-terminated). */
static char *get(zquic_connection *conn, const char *path, int expect_status, size_t *len_out,
                 zquic_h3_request **keep) {
  zquic_h3_request *req = NULL;
  ASSERT_OK(zquic_h3_request_start(conn, "GET", path, NULL, NULL, 0, 1, &req));
  int status = 0;
  ASSERT_OK(zquic_h3_response_wait(req, 5000, &status));
  assert_int_equal(status, expect_status);
  size_t cap = 1 << 16, len = 0;
  char *body = malloc(cap + 1);
  for (;;) {
    size_t n = 0;
    ASSERT_OK(zquic_h3_response_read(req, body + len, cap - len, 5000, &n));
    if (n == 0) break;
    len += n;
    if (len == cap) body = realloc(body, (cap *= 2) + 1);
  }
  body[len] = '\0';
  if (len_out) *len_out = len;
  if (keep) *keep = req;
  else zquic_h3_request_free(req);
  return body;
}

static void test_trailers(void **state) {
  (void)state;
  zquic_connection *conn = NULL;
  ASSERT_OK(zquic_create_connection(cctx, address, &conn));
  zquic_h3_request *req = NULL;
  char *body = get(conn, "/trailers", 200, NULL, &req);
  assert_string_equal(body, "body");
  assert_string_equal(zquic_h3_response_header_get(req, "content-type"), "text/plain");
  assert_string_equal(zquic_h3_response_header_get(req, "SERVER"), "zquic/" ZQUIC_VERSION_STRING);
  const char *name, *value;
  ASSERT_OK(zquic_h3_response_trailer(req, 0, &name, &value));
  assert_string_equal(name, "x-checksum");
  assert_string_equal(value, "abc123");
  ASSERT_OK(zquic_h3_response_trailer(req, 1, &name, &value));
  assert_string_equal(name, "grpc-status");
  assert_int_equal(zquic_h3_response_trailer(req, 2, &name, &value), ZQUIC_ERR_NOT_FOUND);
  free(body);
  zquic_h3_request_free(req);
  zquic_close_connection(conn);
}

static void test_request_body_streamed(void **state) {
  (void)state;
  zquic_connection *conn = NULL;
  ASSERT_OK(zquic_create_connection(cctx, address, &conn));
  zquic_h3_request *req = NULL;
  ASSERT_OK(zquic_h3_request_start(conn, "POST", "/echo", NULL, NULL, 0, 0, &req));
  char chunk[10000];
  memset(chunk, 'x', sizeof(chunk));
  for (int i = 0; i < 500; i++) /* 5 MB, more than any buffer or window on either side */
    ASSERT_OK(zquic_h3_request_send(req, chunk, sizeof(chunk), i == 499, 10000));
  int status = 0;
  ASSERT_OK(zquic_h3_response_wait(req, 10000, &status));
  assert_int_equal(status, 200);
  char buf[64];
  size_t n = 0;
  ASSERT_OK(zquic_h3_response_read(req, buf, sizeof(buf) - 1, 5000, &n));
  buf[n] = '\0';
  assert_string_equal(buf, "5000000");
  assert_int_equal(zquic_h3_request_send(req, "x", 1, 1, 100), ZQUIC_ERR_STATE);
  zquic_h3_request_free(req);
  zquic_close_connection(conn);
}

static void test_large_body_slow_reader(void **state) {
  (void)state;
  zquic_connection *conn = NULL;
  ASSERT_OK(zquic_create_connection(cctx, address, &conn));
  zquic_h3_request *req = NULL;
  ASSERT_OK(zquic_h3_request_start(conn, "GET", "/pattern/50000000", NULL, NULL, 0, 1, &req));
  int status = 0;
  ASSERT_OK(zquic_h3_response_wait(req, 5000, &status));
  assert_int_equal(status, 200);
  /* Don't read for a while: the server must stop at the flow-control window, not buffer 50 MB. */
  usleep(300000);
  /* What the server has produced so far is bounded by the windows (a few MiB), not the body. */
  size_t produced = last_pattern->offset;
  if (produced > 20000000) fail_msg("server produced %zu bytes for a reader that read none", produced);
  uint8_t *buf = malloc(1 << 16);
  size_t total = 0, n = 0;
  do {
    ASSERT_OK(zquic_h3_response_read(req, buf, 1 << 16, 10000, &n));
    for (size_t i = 0; i < n; i++)
      if (buf[i] != (uint8_t)((total + i) % 251)) fail_msg("byte %zu differs", total + i);
    total += n;
  } while (n > 0);
  assert_int_equal(total, 50000000);
  free(buf);
  zquic_h3_request_free(req);
  zquic_close_connection(conn);
}

/* A body sink that checks the counting pattern and can refuse after `refuse_after` bytes. */
typedef struct pattern_sink {
  size_t got, refuse_after, calls_after_refusal;
  bool refused;
  pthread_t test_thread;
  size_t calls_elsewhere; /* calls not on the test's thread: the loop's */
  bool bad_byte;
} pattern_sink;

static int check_sink(void *user, const uint8_t *data, size_t len) {
  pattern_sink *ps = user;
  if (ps->refused) {
    ps->calls_after_refusal++;
    return ZQUIC_OK;
  }
  if (!pthread_equal(pthread_self(), ps->test_thread)) ps->calls_elsewhere++;
  for (size_t i = 0; i < len; i++)
    if (data[i] != (uint8_t)((ps->got + i) % 251)) ps->bad_byte = true;
  ps->got += len;
  if (ps->refuse_after && ps->got >= ps->refuse_after) {
    ps->refused = true;
    return ZQUIC_ERR_IO;
  }
  return ZQUIC_OK;
}

static void test_body_sink(void **state) {
  (void)state;
  zquic_connection *conn = NULL;
  ASSERT_OK(zquic_create_connection(cctx, address, &conn));
  zquic_h3_request *req = NULL;
  ASSERT_OK(zquic_h3_request_start(conn, "GET", "/pattern/20000000", NULL, NULL, 0, 1, &req));
  int status = 0;
  ASSERT_OK(zquic_h3_response_wait(req, 5000, &status));
  /* Read a little the ordinary way, let more pile up, then switch: the buffered bytes must reach
   * the sink first and in order, then the rest from the loop thread. */
  uint8_t head[1000];
  size_t n = 0;
  ASSERT_OK(zquic_h3_response_read(req, head, sizeof(head), 5000, &n));
  assert_true(n > 0);
  usleep(100000);
  pattern_sink ps = {.got = n, .test_thread = pthread_self()};
  ASSERT_OK(zquic_h3_response_set_sink(req, check_sink, &ps));
  ASSERT_OK(zquic_h3_response_read(req, NULL, 0, 10000, &n));
  assert_int_equal(n, 0);
  assert_int_equal(ps.got, 20000000);
  assert_false(ps.bad_byte);
  assert_true(ps.calls_elsewhere > 0);
  zquic_h3_request_free(req);

  /* A sink that refuses: the request is cancelled with its code, the sink is not called again,
   * and the connection carries on. */
  ASSERT_OK(zquic_h3_request_start(conn, "GET", "/pattern/20000000", NULL, NULL, 0, 1, &req));
  ASSERT_OK(zquic_h3_response_wait(req, 5000, &status));
  pattern_sink refusing = {.refuse_after = 100000, .test_thread = pthread_self()};
  ASSERT_OK(zquic_h3_response_set_sink(req, check_sink, &refusing));
  assert_int_equal(zquic_h3_response_read(req, NULL, 0, 10000, &n), ZQUIC_ERR_IO);
  assert_non_null(strstr(zquic_last_error(), "sink"));
  usleep(100000);
  assert_int_equal(refusing.calls_after_refusal, 0);
  assert_true(refusing.got < 20000000);
  zquic_h3_request_free(req);
  free(get(conn, "/missing", 404, NULL, NULL));

  assert_int_equal(zquic_h3_response_set_sink(NULL, check_sink, &ps), ZQUIC_ERR_INVALID_ARGUMENT);
  zquic_close_connection(conn);
}

static void test_many_requests_one_connection(void **state) {
  (void)state;
  zquic_connection *conn = NULL;
  ASSERT_OK(zquic_create_connection(cctx, address, &conn));
  enum { N = 80 };
  zquic_h3_request *reqs[N];
  for (int i = 0; i < N; i++) {
    char value[16];
    snprintf(value, sizeof(value), "req-%d", i);
    zquic_h3_header h[] = {{"x-test", value}};
    ASSERT_OK(zquic_h3_request_start(conn, "GET", "/header", NULL, h, 1, 1, &reqs[i]));
  }
  for (int i = 0; i < N; i++) {
    int status = 0;
    ASSERT_OK(zquic_h3_response_wait(reqs[i], 5000, &status));
    char buf[32], expect[16];
    size_t n = 0, len = 0;
    do {
      ASSERT_OK(zquic_h3_response_read(reqs[i], buf + len, sizeof(buf) - 1 - len, 5000, &n));
      len += n;
    } while (n > 0);
    buf[len] = '\0';
    snprintf(expect, sizeof(expect), "req-%d", i);
    assert_string_equal(buf, expect);
    zquic_h3_request_free(reqs[i]);
  }
  /* Sequentially past the server's concurrent stream limit (100): credit is given back. */
  for (int i = 0; i < 150; i++) free(get(conn, "/missing", 404, NULL, NULL));
  zquic_close_connection(conn);
}

static void test_deferred_answer(void **state) {
  (void)state;
  zquic_connection *conn = NULL;
  ASSERT_OK(zquic_create_connection(cctx, address, &conn));
  char *body = get(conn, "/later", 200, NULL, NULL);
  assert_string_equal(body, "late");
  free(body);
  zquic_close_connection(conn);
}

static void test_h3_bad_arguments(void **state) {
  (void)state;
  zquic_connection *conn = NULL;
  ASSERT_OK(zquic_create_connection(cctx, address, &conn));
  zquic_h3_request *req = NULL;
  assert_int_equal(zquic_h3_request_start(conn, "GET", "no-slash", NULL, NULL, 0, 1, &req),
                   ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(zquic_h3_request_start(conn, NULL, "/", NULL, NULL, 0, 1, &req),
                   ZQUIC_ERR_INVALID_ARGUMENT);
  zquic_h3_header bad[] = {{NULL, "x"}};
  assert_int_equal(zquic_h3_request_start(conn, "GET", "/", NULL, bad, 1, 1, &req),
                   ZQUIC_ERR_INVALID_ARGUMENT);
  assert_null(req);
  /* Without a sink, reading needs somewhere to put the bytes. */
  ASSERT_OK(zquic_h3_request_start(conn, "GET", "/missing", NULL, NULL, 0, 1, &req));
  size_t n = 0;
  assert_int_equal(zquic_h3_response_read(req, NULL, 0, 100, &n), ZQUIC_ERR_INVALID_ARGUMENT);
  zquic_h3_request_free(req);
  /* Raw streams are refused on an HTTP/3 connection. */
  zquic_stream *s = NULL;
  assert_int_equal(zquic_stream_open(conn, ZQUIC_STREAM_BIDI, 100, &s), ZQUIC_ERR_STATE);
  int status;
  assert_int_equal(zquic_h3_response_wait(NULL, 0, &status), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(zquic_h3_respond_bytes(NULL, 200, NULL, 0, NULL, 0), ZQUIC_ERR_INVALID_ARGUMENT);
  zquic_h3_request_free(NULL);
  /* The connection still works after all that. */
  free(get(conn, "/missing", 404, NULL, NULL));
  zquic_close_connection(conn);
  /* A server refuses to accept when it runs HTTP/3 itself. */
  zquic_connection *none = NULL;
  assert_int_equal(zquic_server_accept(server, 0, &none), ZQUIC_ERR_STATE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_trailers),
    cmocka_unit_test(test_request_body_streamed),
    cmocka_unit_test(test_large_body_slow_reader),
    cmocka_unit_test(test_many_requests_one_connection),
    cmocka_unit_test(test_body_sink),
    cmocka_unit_test(test_deferred_answer),
    cmocka_unit_test(test_h3_bad_arguments),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
