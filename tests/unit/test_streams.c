/*
 * test_streams.c — the C API over loopback: handshake and verification, streams both ways, many
 * streams on one connection, and a 100 MiB transfer checked with SHA-256.
 */
#include "test_helpers.h"

#include <unistd.h>

#include <gnutls/crypto.h>

static echo_server es;
static zquic_context *cctx;

static int setup(void **state) {
  (void)state;
  if (echo_server_start(&es, NULL) != ZQUIC_OK) {
    fprintf(stderr, "server: %s\n", zquic_last_error());
    return -1;
  }
  cctx = client_context();
  return cctx ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  zquic_destroy(cctx);
  echo_server_stop(&es);
  return 0;
}

static void read_all(zquic_stream *s, char *out, size_t cap, size_t *len) {
  *len = 0;
  for (;;) {
    size_t n = 0;
    ASSERT_OK(zquic_stream_receive(s, out + *len, cap - *len, 5000, &n));
    if (n == 0) break;
    *len += n;
    assert_true(*len <= cap);
  }
}

static void test_echo_bidi(void **state) {
  (void)state;
  zquic_connection *conn = NULL;
  ASSERT_OK(zquic_create_connection(cctx, es.address, &conn));
  assert_string_equal(zquic_connection_alpn(conn), "zq-test");
  zquic_stream *s = NULL;
  ASSERT_OK(zquic_stream_open(conn, ZQUIC_STREAM_BIDI, 1000, &s));
  assert_int_equal(zquic_stream_id(s), 0); /* first client bidi stream */
  ASSERT_OK(zquic_stream_send(s, "hello, ", 7, 0, 1000, NULL));
  ASSERT_OK(zquic_stream_send(s, "quic", 4, 1, 1000, NULL));
  /* After FIN the send side is over: a clear state error, not a crash. */
  assert_int_equal(zquic_stream_send(s, "x", 1, 0, 1000, NULL), ZQUIC_ERR_STATE);
  char buf[64];
  size_t len;
  read_all(s, buf, sizeof(buf), &len);
  assert_int_equal(len, 11);
  assert_memory_equal(buf, "hello, quic", 11);
  zquic_close_stream(s);
  zquic_close_connection(conn);
}

static void test_uni_both_ways(void **state) {
  (void)state;
  zquic_connection *conn = NULL;
  ASSERT_OK(zquic_create_connection(cctx, es.address, &conn));
  zquic_stream *s = NULL;
  ASSERT_OK(zquic_stream_open(conn, ZQUIC_STREAM_UNI, 1000, &s));
  assert_int_equal(zquic_stream_id(s) & 3, 2); /* client-initiated uni */
  ASSERT_OK(zquic_stream_send(s, "one-way", 7, 1, 1000, NULL));
  /* Receiving on our own uni stream is an error, never a hang. */
  char buf[32];
  size_t n;
  zquic_stream *back = NULL;
  ASSERT_OK(zquic_stream_accept(conn, 5000, &back));
  assert_int_equal(zquic_stream_id(back) & 3, 3); /* server-initiated uni */
  read_all(back, buf, sizeof(buf), &n);
  assert_int_equal(n, 7);
  assert_memory_equal(buf, "one-way", 7);
  assert_int_equal(zquic_stream_send(back, "x", 1, 0, 100, NULL), ZQUIC_ERR_STATE);
  zquic_close_stream(back);
  zquic_close_stream(s);
  zquic_close_connection(conn);
}

#define N_STREAMS 64

static void test_many_streams(void **state) {
  (void)state;
  zquic_connection *conn = NULL;
  ASSERT_OK(zquic_create_connection(cctx, es.address, &conn));
  zquic_stream *s[N_STREAMS];
  char msg[N_STREAMS][32];
  for (int i = 0; i < N_STREAMS; i++) {
    ASSERT_OK(zquic_stream_open(conn, ZQUIC_STREAM_BIDI, 5000, &s[i]));
    int len = snprintf(msg[i], sizeof(msg[i]), "stream %d payload", i);
    ASSERT_OK(zquic_stream_send(s[i], msg[i], (size_t)len, 1, 1000, NULL));
  }
  for (int i = N_STREAMS - 1; i >= 0; i--) { /* read in reverse: all are in flight at once */
    char buf[64];
    size_t len;
    read_all(s[i], buf, sizeof(buf), &len);
    assert_int_equal(len, strlen(msg[i]));
    assert_memory_equal(buf, msg[i], len);
    zquic_close_stream(s[i]);
  }
  /* More streams than the peer's initial limit (100): credit comes back as streams close. */
  for (int i = 0; i < 150; i++) {
    zquic_stream *t = NULL;
    ASSERT_OK(zquic_stream_open(conn, ZQUIC_STREAM_BIDI, 5000, &t));
    ASSERT_OK(zquic_stream_send(t, "x", 1, 1, 1000, NULL));
    char buf[4];
    size_t len;
    read_all(t, buf, sizeof(buf), &len);
    assert_int_equal(len, 1);
    zquic_close_stream(t);
  }
  zquic_close_connection(conn);
}

static void test_100mib_checksum(void **state) {
  (void)state;
  /* 100 MiB by default; the valgrind run asks for less through ZQUIC_TEST_BIG_MIB. */
  const char *mib = getenv("ZQUIC_TEST_BIG_MIB");
  const size_t total = (size_t)(mib ? atoi(mib) : 100) << 20;
  zquic_connection *conn = NULL;
  ASSERT_OK(zquic_create_connection(cctx, es.address, &conn));
  zquic_stream *s = NULL;
  ASSERT_OK(zquic_stream_open(conn, ZQUIC_STREAM_BIDI, 1000, &s));
  ASSERT_OK(zquic_stream_send(s, "SHA256\n", 7, 0, 1000, NULL));
  gnutls_hash_hd_t hash;
  gnutls_hash_init(&hash, GNUTLS_DIG_SHA256);
  size_t chunk = 256 * 1024;
  uint8_t *buf = malloc(chunk);
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (size_t sent = 0; sent < total; sent += chunk) {
    for (size_t i = 0; i < chunk; i += 8) { /* xorshift: incompressible, reproducible */
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      memcpy(buf + i, &x, 8);
    }
    gnutls_hash(hash, buf, chunk);
    ASSERT_OK(zquic_stream_send(s, buf, chunk, sent + chunk == total, 30000, NULL));
  }
  free(buf);
  uint8_t digest[32];
  char expect[65], got[80];
  gnutls_hash_deinit(hash, digest);
  for (int i = 0; i < 32; i++) sprintf(expect + 2 * i, "%02x", digest[i]);
  size_t len;
  read_all(s, got, sizeof(got) - 1, &len);
  assert_int_equal(len, 64);
  got[64] = '\0';
  assert_string_equal(got, expect);
  zquic_close_stream(s);
  zquic_close_connection(conn);
}

static void expect_connect_failure(const char *ca, const char *sni, int expect_code,
                                   const char *expect_text) {
  zquic_connect_options o;
  zquic_connect_options_init(&o);
  o.ca_file = ca;
  o.sni = sni;
  o.timeout_ms = 5000;
  zquic_connection *conn = NULL;
  int rc = zquic_create_connection_ex(cctx, es.address, &o, &conn);
  assert_int_equal(rc, expect_code);
  assert_null(conn);
  if (!strstr(zquic_last_error(), expect_text))
    fail_msg("error text \"%s\" lacks \"%s\"", zquic_last_error(), expect_text);
}

/* Streams whose transport closes before their data is read (the echo and both FINs are done
 * while the reader sleeps) still hand their connection-level credit back when it is read:
 * 100 x 64 KiB is well past the 4 MiB connection window, so a leak would stall the connection. */
static void test_read_after_close_returns_credit(void **state) {
  (void)state;
  zquic_connection *conn = NULL;
  ASSERT_OK(zquic_create_connection(cctx, es.address, &conn));
  static uint8_t out[65536];
  static char in[65536 + 1];
  for (size_t i = 0; i < sizeof(out); i++) out[i] = (uint8_t)(i * 7);
  for (int round = 0; round < 100; round++) {
    zquic_stream *s = NULL;
    ASSERT_OK(zquic_stream_open(conn, ZQUIC_STREAM_BIDI, 5000, &s));
    ASSERT_OK(zquic_stream_send(s, out, sizeof(out), 1, 5000, NULL));
    usleep(3000); /* let the echo finish (and the stream close) before reading */
    size_t len = 0;
    read_all(s, in, sizeof(in), &len);
    assert_int_equal(len, sizeof(out));
    assert_memory_equal(in, out, sizeof(out));
    zquic_close_stream(s);
  }
  zquic_close_connection(conn);
}

static void test_wrong_ca_and_host(void **state) {
  (void)state;
  expect_connect_failure(cert_path("other-ca.pem"), NULL, ZQUIC_ERR_CERT_VERIFY,
                         "issuer is unknown");
  expect_connect_failure(NULL, "wrong.example", ZQUIC_ERR_CERT_VERIFY,
                         "does not match the expected");
  /* The loudly named switch turns verification off. */
  zquic_connect_options o;
  zquic_connect_options_init(&o);
  o.ca_file = cert_path("other-ca.pem");
  o.insecure_skip_verify_DANGEROUS = 1;
  zquic_connection *conn = NULL;
  ASSERT_OK(zquic_create_connection_ex(cctx, es.address, &o, &conn));
  zquic_close_connection(conn);
}

static void test_bad_arguments(void **state) {
  (void)state;
  zquic_connection *conn = NULL;
  assert_int_equal(zquic_create_connection(NULL, es.address, &conn), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(zquic_create_connection(cctx, NULL, &conn), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(zquic_create_connection(cctx, "no-port", &conn), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(zquic_create_connection(cctx, "127.0.0.1:99999", &conn),
                   ZQUIC_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(zquic_last_error(), "port"));
  assert_int_equal(zquic_stream_open(NULL, 0, 0, NULL), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(zquic_stream_send(NULL, "x", 1, 0, 0, NULL), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(zquic_stream_receive(NULL, NULL, 0, 0, NULL), ZQUIC_ERR_INVALID_ARGUMENT);
  zquic_close_stream(NULL);
  zquic_close_connection(NULL);
  zquic_config bad;
  memset(&bad, 0, sizeof(bad)); /* forgot zquic_config_init */
  zquic_context *ctx = NULL;
  assert_int_equal(zquic_init(&bad, &ctx), ZQUIC_ERR_INVALID_ARGUMENT);
  zquic_config_init(&bad);
  bad.tls_verify = 0; /* refused without the DANGEROUS switch */
  assert_int_equal(zquic_init(&bad, &ctx), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_null(ctx);
  assert_string_equal(zquic_strerror(ZQUIC_ERR_TIMEOUT), "timed out");
  assert_string_equal(zquic_strerror(12345), "unknown error code");
}

static void test_no_server_times_out(void **state) {
  (void)state;
  /* A port where nobody listens: the handshake deadline ends the attempt with a clear error. */
  zquic_connect_options o;
  zquic_connect_options_init(&o);
  o.timeout_ms = 300;
  zquic_connection *conn = NULL;
  int rc = zquic_create_connection_ex(cctx, "127.0.0.1:9", &o, &conn);
  assert_true(rc == ZQUIC_ERR_TIMEOUT || rc == ZQUIC_ERR_HANDSHAKE);
  assert_null(conn);
}

static void test_destroy_with_open_handles(void **state) {
  (void)state;
  /* A context destroyed while its connection and stream are still held frees them too
   * (the valgrind run of this test proves nothing leaks). */
  zquic_context *ctx = client_context();
  assert_non_null(ctx);
  zquic_connection *conn = NULL;
  ASSERT_OK(zquic_create_connection(ctx, es.address, &conn));
  zquic_stream *s = NULL;
  ASSERT_OK(zquic_stream_open(conn, ZQUIC_STREAM_BIDI, 1000, &s));
  ASSERT_OK(zquic_stream_send(s, "unfinished", 10, 0, 1000, NULL));
  zquic_destroy(ctx);
}

static void test_server_stop_and_free(void **state) {
  (void)state;
  /* A second server: stop refuses new connections, start resumes, free closes the ones it has. */
  zquic_config cfg;
  zquic_config_init(&cfg);
  cfg.cert_file = cert_path("server-chain.pem");
  cfg.key_file = cert_path("server.key");
  cfg.alpn = "zq-test";
  zquic_context *sctx = NULL;
  ASSERT_OK(zquic_init(&cfg, &sctx));
  zquic_server_config scfg;
  zquic_server_config_init(&scfg);
  scfg.listen = "[::1]:0";
  zquic_server *srv = NULL;
  ASSERT_OK(zquic_create_server(sctx, &scfg, &srv));
  char addr[64];
  snprintf(addr, sizeof(addr), "[::1]:%d", zquic_server_port(srv));
  ASSERT_OK(zquic_stop_server(srv));
  zquic_connect_options o;
  zquic_connect_options_init(&o);
  o.timeout_ms = 300;
  o.sni = "localhost";
  zquic_connection *conn = NULL;
  assert_int_not_equal(zquic_create_connection_ex(cctx, addr, &o, &conn), ZQUIC_OK);
  ASSERT_OK(zquic_start_server(srv));
  o.timeout_ms = 5000;
  ASSERT_OK(zquic_create_connection_ex(cctx, addr, &o, &conn));
  zquic_connection *accepted = NULL;
  ASSERT_OK(zquic_server_accept(srv, 5000, &accepted));
  zquic_server_free(srv);
  /* The accepted handle stays valid, reporting the closed connection. */
  zquic_stream *s = NULL;
  assert_int_equal(zquic_stream_open(accepted, ZQUIC_STREAM_BIDI, 0, &s), ZQUIC_ERR_CLOSED);
  zquic_close_connection(accepted);
  /* The client learns of it from the server's CONNECTION_CLOSE. */
  char buf[8];
  size_t n;
  zquic_stream *cs = NULL;
  if (zquic_stream_open(conn, ZQUIC_STREAM_BIDI, 1000, &cs) == ZQUIC_OK) {
    assert_int_not_equal(zquic_stream_receive(cs, buf, sizeof(buf), 2000, &n), ZQUIC_OK);
    zquic_close_stream(cs);
  }
  zquic_close_connection(conn);
  zquic_destroy(sctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_echo_bidi),        cmocka_unit_test(test_uni_both_ways),
    cmocka_unit_test(test_many_streams),     cmocka_unit_test(test_100mib_checksum),
    cmocka_unit_test(test_wrong_ca_and_host), cmocka_unit_test(test_bad_arguments),
    cmocka_unit_test(test_no_server_times_out),
    cmocka_unit_test(test_destroy_with_open_handles),
    cmocka_unit_test(test_server_stop_and_free),
    cmocka_unit_test(test_read_after_close_returns_credit),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
