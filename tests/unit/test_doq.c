/*
 * test_doq.c — the DoQ server transport (src/dns/doq_server.c) against a real QUIC client using
 * raw streams, so every RFC 9250 stream rule can be broken on purpose: a normal exchange, a
 * deferred answer, a unidirectional stream, bytes beyond the length prefix, FIN before the
 * message is whole, a missing FIN, a client reset while the answer is pending, and many queries
 * at once. The handler echoes the query with QR set, so the framing is all that is tested.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "doq.h"

static zquic_context *sctx, *cctx;
static zq_doq_server *doq;
static char address[64];
static int cancels;
static zq_doq_query *held; /* a query the handler keeps unanswered */

#define ASSERT_OK(expr)                                                                            \
  do {                                                                                             \
    int rc_ = (expr);                                                                              \
    if (rc_ != ZQUIC_OK) fail_msg("%s = %d: %s", #expr, rc_, zquic_last_error());                 \
  } while (0)

static const char *certs(const char *file) {
  static char buf[4][512];
  static int next;
  const char *dir = getenv("ZQUIC_TEST_CERTS");
  char *out = buf[next++ % 4];
  snprintf(out, 512, "%s/%s", dir ? dir : "certs", file);
  return out;
}

static void on_query(zq_doq_query *q, const uint8_t *msg, size_t len, bool early, void *user) {
  (void)early;
  (void)user;
  if (len >= 3 && !memcmp(msg, "HLD", 3)) { /* hold: answered never, cancelled by the client */
    held = q;
    return;
  }
  uint8_t copy[512];
  size_t n = len < sizeof(copy) ? len : sizeof(copy);
  memcpy(copy, msg, n);
  if (n > 2) copy[2] |= 0x80; /* QR */
  zq_doq_answer(q, copy, n);
}

static void on_cancel(zq_doq_query *q, void *user) {
  (void)user;
  if (q == held) held = NULL;
  cancels++;
}

static int setup(void **state) {
  (void)state;
  zquic_config cfg;
  zquic_config_init(&cfg);
  if (zquic_init(&cfg, &sctx) != ZQUIC_OK) return -1;
  zquic_server_config scfg;
  zquic_server_config_init(&scfg);
  scfg.listen = "127.0.0.1:0";
  scfg.cert_file = certs("server-chain.pem");
  scfg.key_file = certs("server.key");
  zq_doq_handler h = {on_query, on_cancel, NULL};
  if (zq_doq_server_create(sctx, &scfg, &h, 300, &doq) != ZQUIC_OK) return -1;
  snprintf(address, sizeof(address), "localhost:%d", zquic_server_port(zq_doq_server_quic(doq)));
  zquic_config_init(&cfg);
  cfg.ca_file = certs("ca.pem");
  cfg.alpn = "doq";
  return zquic_init(&cfg, &cctx) == ZQUIC_OK ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  zquic_destroy(cctx);
  zq_doq_server_free(doq);
  zquic_destroy(sctx);
  return 0;
}

static zquic_connection *connect_doq(void) {
  zquic_connection *c = NULL;
  ASSERT_OK(zquic_create_connection(cctx, address, &c));
  return c;
}

/* Send raw bytes on a new stream; read everything back until FIN, a reset or a close. */
static int exchange(zquic_connection *c, const uint8_t *data, size_t len, int fin, uint8_t *out,
                    size_t *out_len) {
  zquic_stream *s;
  int rc = zquic_stream_open(c, ZQUIC_STREAM_BIDI, 2000, &s);
  if (rc) return rc;
  rc = zquic_stream_send(s, data, len, fin, 2000, NULL);
  size_t have = 0, n = 1;
  while (rc == 0 && n > 0) {
    rc = zquic_stream_receive(s, out + have, 4096 - have, 3000, &n);
    have += n;
  }
  zquic_close_stream(s);
  *out_len = have;
  return rc;
}

static void test_normal_and_many(void **state) {
  (void)state;
  zquic_connection *c = connect_doq();
  const uint8_t q[] = {0, 5, 0, 0, 0x01, 'a', 'b'};
  uint8_t out[4096];
  size_t n;
  for (int i = 0; i < 200; i++) { /* more than the stream limit: credit comes back */
    ASSERT_OK(exchange(c, q, sizeof(q), 1, out, &n));
    assert_int_equal(n, 7);
    assert_int_equal(out[1], 5);
    assert_int_equal(out[4], 0x81);
  }
  /* sent in pieces: the length prefix split from the message */
  zquic_stream *s;
  ASSERT_OK(zquic_stream_open(c, ZQUIC_STREAM_BIDI, 2000, &s));
  ASSERT_OK(zquic_stream_send(s, q, 1, 0, 2000, NULL));
  usleep(20000);
  ASSERT_OK(zquic_stream_send(s, q + 1, sizeof(q) - 1, 1, 2000, NULL));
  ASSERT_OK(zquic_stream_receive(s, out, sizeof(out), 3000, &n));
  assert_true(n > 0);
  zquic_close_stream(s);
  zq_doq_stats st;
  zq_doq_server_stats(doq, &st);
  assert_true(st.answers >= 201);
  zquic_close_connection(c);
}

/* The connection must be closed by the server: a later call on it fails. */
static void expect_conn_closed(zquic_connection *c) {
  zquic_stream *s;
  int rc = ZQUIC_OK;
  for (int i = 0; i < 100 && rc == ZQUIC_OK; i++) {
    rc = zquic_stream_open(c, ZQUIC_STREAM_BIDI, 100, &s);
    if (rc == ZQUIC_OK) {
      zquic_close_stream(s);
      usleep(20000);
    }
  }
  assert_int_not_equal(rc, ZQUIC_OK);
  zquic_connection_info info;
  memset(&info, 0, sizeof(info));
  info.struct_size = sizeof(info);
  zquic_get_connection_info(c, &info);
  zquic_close_connection(c);
}

static void test_protocol_errors_close(void **state) {
  (void)state;
  uint8_t out[4096];
  size_t n;
  /* bytes beyond the announced length */
  zquic_connection *c = connect_doq();
  const uint8_t extra[] = {0, 3, 0, 0, 0x01, 'x', 'y'};
  exchange(c, extra, sizeof(extra), 1, out, &n);
  expect_conn_closed(c);
  /* FIN before the whole message */
  c = connect_doq();
  const uint8_t cut[] = {0, 9, 0, 0, 0x01};
  exchange(c, cut, sizeof(cut), 1, out, &n);
  expect_conn_closed(c);
  /* a unidirectional stream from the client */
  c = connect_doq();
  zquic_stream *s;
  ASSERT_OK(zquic_stream_open(c, ZQUIC_STREAM_UNI, 2000, &s));
  zquic_stream_send(s, "\0\1x", 3, 1, 2000, NULL);
  zquic_close_stream(s);
  expect_conn_closed(c);
  zq_doq_stats st;
  zq_doq_server_stats(doq, &st);
  assert_true(st.protocol_errors >= 3);
}

static void test_no_fin_and_cancel(void **state) {
  (void)state;
  zquic_connection *c = connect_doq();
  uint8_t out[4096];
  size_t n;
  /* whole message, no FIN: reset after the server's 300 ms */
  const uint8_t q[] = {0, 5, 0, 0, 0x01, 'a', 'b'};
  int rc = exchange(c, q, sizeof(q), 0, out, &n);
  assert_int_equal(rc, ZQUIC_ERR_STREAM_RESET);
  zq_doq_stats st;
  zq_doq_server_stats(doq, &st);
  assert_int_equal(st.no_fin_resets, 1);
  /* the connection is still fine */
  ASSERT_OK(exchange(c, q, sizeof(q), 1, out, &n));
  /* a held query the client resets: the handler hears on_cancel, and no answer goes out */
  int before = __atomic_load_n(&cancels, __ATOMIC_SEQ_CST);
  zquic_stream *s;
  ASSERT_OK(zquic_stream_open(c, ZQUIC_STREAM_BIDI, 2000, &s));
  const uint8_t hold[] = {0, 5, 'H', 'L', 'D', 0, 0};
  ASSERT_OK(zquic_stream_send(s, hold, sizeof(hold), 1, 2000, NULL));
  for (int i = 0; i < 200 && !__atomic_load_n(&held, __ATOMIC_SEQ_CST); i++) usleep(10000);
  assert_non_null(__atomic_load_n(&held, __ATOMIC_SEQ_CST));
  ASSERT_OK(zquic_stream_reset(s, ZQ_DOQ_REQUEST_CANCELLED));
  zquic_close_stream(s);
  for (int i = 0; i < 200 && __atomic_load_n(&cancels, __ATOMIC_SEQ_CST) == before; i++)
    usleep(10000);
  assert_int_equal(__atomic_load_n(&cancels, __ATOMIC_SEQ_CST), before + 1);
  assert_null(__atomic_load_n(&held, __ATOMIC_SEQ_CST));
  /* a held query whose connection goes away is cancelled too */
  ASSERT_OK(zquic_stream_open(c, ZQUIC_STREAM_BIDI, 2000, &s));
  ASSERT_OK(zquic_stream_send(s, hold, sizeof(hold), 1, 2000, NULL));
  for (int i = 0; i < 200 && !__atomic_load_n(&held, __ATOMIC_SEQ_CST); i++) usleep(10000);
  zquic_close_stream(s);
  zquic_close_connection(c);
  for (int i = 0; i < 300 && __atomic_load_n(&cancels, __ATOMIC_SEQ_CST) == before + 1; i++)
    usleep(10000);
  assert_int_equal(__atomic_load_n(&cancels, __ATOMIC_SEQ_CST), before + 2);
}

/* Many streams opened and left without FIN: each is reset after the server's 300 ms, the stream
 * limit keeps the flood bounded, and another client is answered meanwhile. */
static void test_stream_flood(void **state) {
  (void)state;
  zquic_connection *flooder = connect_doq(), *good = connect_doq();
  zq_doq_stats st;
  zq_doq_server_stats(doq, &st);
  uint64_t before = st.no_fin_resets;
  const uint8_t q[] = {0, 5, 0, 0, 0x01, 'a', 'b'};
  zquic_stream *streams[300];
  int opened = 0;
  for (; opened < 300; opened++) {
    if (zquic_stream_open(flooder, ZQUIC_STREAM_BIDI, 0, &streams[opened]) != ZQUIC_OK) break;
    zquic_stream_send(streams[opened], q, sizeof(q), 0, 0, NULL);
  }
  assert_true(opened >= 50); /* up to the server's stream limit at least */
  uint8_t out[4096];
  size_t n;
  ASSERT_OK(exchange(good, q, sizeof(q), 1, out, &n));
  assert_int_equal(n, 7);
  for (int i = 0; i < 300; i++) {
    zq_doq_server_stats(doq, &st);
    if (st.no_fin_resets - before >= (uint64_t)opened) break;
    usleep(10000);
  }
  assert_int_equal(st.no_fin_resets - before, (uint64_t)opened); /* every one of them was reset */
  for (int i = 0; i < opened; i++) zquic_close_stream(streams[i]);
  ASSERT_OK(exchange(good, q, sizeof(q), 1, out, &n));
  zquic_close_connection(flooder);
  zquic_close_connection(good);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_normal_and_many),
    cmocka_unit_test(test_protocol_errors_close),
    cmocka_unit_test(test_no_fin_and_cancel),
    cmocka_unit_test(test_stream_flood),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
