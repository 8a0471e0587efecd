/*
 * fuzz_h3_request.c — libFuzzer target for the HTTP/3 layer behind a real handshake: a zquic
 * client connects to the fuzz server (HTTP/3 handler), then each input's bytes are written on
 * QUIC streams and parsed by the server's nghttp3 session through src/h3 (frames, QPACK, header
 * validation, the request callbacks and the response path).
 *
 * The client's own HTTP/3 session is dropped once its SETTINGS and QPACK stream headers were sent
 * and acknowledged, which turns the connection back into raw streams: the client's control (id 2)
 * and QPACK encoder/decoder streams (6, 10) are adopted as raw streams so inputs can continue
 * them. Input byte 0 % 4 picks where the rest ([u16 length][bytes] chunks, one write each) goes:
 *   0  a new request stream (bidi), ended with FIN; the response is read until it ends
 *   1  the control stream     2  the QPACK encoder stream     3  the QPACK decoder stream
 * After modes 1-3 a well-formed GET must still be answered unless the server closed the
 * connection. The connection (and with it the dynamic table) is replaced when it closes and every
 * 256 inputs, so a crash may depend on a few inputs before the one saved.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "../src/core/internal.h"

static zquic_context *client_ctx;
static zquic_connection *conn;
static zquic_stream *uni[3]; /* control, QPACK encoder, QPACK decoder */
static unsigned inputs_on_conn;
static unsigned long connects, timeouts;

static void print_stats(void) {
  fprintf(stderr, "fuzz_h3_request: %lu connections, %lu inputs ended by a timeout\n", connects,
          timeouts);
}

static const uint8_t valid_get[] = {0x01, 0x10, 0x00, 0x00, 0xd1, 0xd7, 0xc1, 0x50, 0x09,
                                    'l',  'o',  'c',  'a',  'l',  'h',  'o',  's',  't'};

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fuzz_env *env = fuzz_env_get();
  zquic_config cfg;
  zquic_config_init(&cfg);
  cfg.ca_file = env->ca_file;
  cfg.alpn = "h3";
  cfg.connection_timeout_ms = 5000;
  if (zquic_init(&cfg, &client_ctx) != ZQUIC_OK) {
    fprintf(stderr, "client context: %s\n", zquic_last_error());
    abort();
  }
  atexit(print_stats);
  return 0;
}

static void drop_connection(void) {
  if (!conn) return;
  zquic_close_connection(conn); /* first, so that closing the streams sends no FIN */
  for (int i = 0; i < 3; i++) {
    zquic_close_stream(uni[i]);
    uni[i] = NULL;
  }
  conn = NULL;
}

static int adopt_on_loop(void *arg) {
  (void)arg;
  if (!conn->qc) return ZQUIC_ERR_CLOSED;
  zq_h3_free(conn);
  for (int i = 0; i < 3; i++) {
    int64_t id = 2 + 4 * i; /* the client's first three uni streams, opened by its h3 session */
    zquic_stream *s = zq_stream_new(conn, id);
    if (!s) return ZQUIC_ERR_NO_MEMORY;
    ngtcp2_conn_set_stream_user_data(conn->qc, id, s);
    s->user_held = true;
    conn->refs++;
    uni[i] = s;
  }
  return ZQUIC_OK;
}

/* A new HTTP/3 connection whose first plain GET was answered; false (and no connection) if not. */
static bool connect_and_get(void) {
  fuzz_env *env = fuzz_env_get();
  if (zquic_create_connection(client_ctx, env->server_address, &conn) != ZQUIC_OK) {
    fprintf(stderr, "connect: %s\n", zquic_last_error());
    conn = NULL;
    return false;
  }
  zquic_h3_request *req = NULL;
  int status = 0;
  int rc = zquic_h3_request_start(conn, "GET", "/", NULL, NULL, 0, 1, &req);
  if (rc == ZQUIC_OK) rc = zquic_h3_response_wait(req, 5000, &status);
  zquic_h3_request_free(req);
  if (rc == ZQUIC_OK && status == 200) return true;
  fprintf(stderr, "first request: status %d, %s (server has %zu connections)\n", status,
          zquic_last_error(), env->server->n_connections);
  drop_connection();
  return false;
}

static int connect_raw(void) {
  /* One real request proves the HTTP/3 set-up is through. A second failure in a row means the
   * server stopped serving new connections: that is a finding, not noise from a busy machine. */
  if (!connect_and_get() && !connect_and_get()) abort();
  /* Wait until the peer acknowledged everything: unacknowledged stream bytes live in the nghttp3
   * buffers the detach frees. */
  int rc;
  zquic_context *ctx = client_ctx;
  pthread_mutex_lock(&ctx->lock);
  for (int i = 0; i < 500 && conn->qc; i++) {
    ngtcp2_conn_info info;
    ngtcp2_conn_get_conn_info(conn->qc, &info);
    if (info.bytes_in_flight == 0) break;
    pthread_mutex_unlock(&ctx->lock);
    usleep(1000);
    pthread_mutex_lock(&ctx->lock);
  }
  rc = zq_ctx_call(ctx, adopt_on_loop, NULL);
  pthread_mutex_unlock(&ctx->lock);
  if (rc != ZQUIC_OK) {
    drop_connection();
    return -1;
  }
  inputs_on_conn = 0;
  connects++;
  return 0;
}

static bool fatal(int rc) {
  return rc == ZQUIC_ERR_CLOSED || rc == ZQUIC_ERR_PEER_CLOSED || rc == ZQUIC_ERR_PROTOCOL ||
         rc == ZQUIC_ERR_IDLE_TIMEOUT || rc == ZQUIC_ERR_STATE;
}

/* Send the chunks on a new request stream and read the answer; returns the last error seen. */
static int request(fuzz_reader *r, int timeout_ms) {
  zquic_stream *s = NULL;
  int rc = zquic_stream_open(conn, ZQUIC_STREAM_BIDI, 1000, &s);
  if (rc != ZQUIC_OK) return rc;
  const uint8_t *chunk;
  size_t len;
  bool more = fuzz_next_chunk(r, &chunk, &len);
  while (more && rc == ZQUIC_OK) {
    const uint8_t *this = chunk;
    size_t this_len = len;
    more = fuzz_next_chunk(r, &chunk, &len);
    rc = zquic_stream_send(s, this, this_len, !more, 1000, NULL);
  }
  if (rc == ZQUIC_OK && !r->p) rc = zquic_stream_send(s, NULL, 0, 1, 1000, NULL);
  uint8_t buf[4096];
  for (int i = 0; rc == ZQUIC_OK && i < 64; i++) {
    size_t n = 0;
    rc = zquic_stream_receive(s, buf, sizeof(buf), timeout_ms, &n);
    if (rc == ZQUIC_OK && n == 0) break;
  }
  zquic_close_stream(s);
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  if (conn && ++inputs_on_conn > 256) drop_connection();
  if (!conn && connect_raw() != 0) return 0;
  int mode = data[0] % 4;
  fuzz_reader r = {data + 1, size - 1};
  int rc;
  if (mode == 0) {
    r.p = size > 1 ? r.p : NULL; /* an empty request is just a FIN */
    rc = request(&r, 100);
  } else {
    const uint8_t *chunk;
    size_t len;
    rc = ZQUIC_OK;
    for (int i = 0; i < 64 && rc == ZQUIC_OK && fuzz_next_chunk(&r, &chunk, &len); i++)
      rc = zquic_stream_send(uni[mode - 1], chunk, len, 0, 1000, NULL);
    if (rc == ZQUIC_OK) {
      /* The server must still answer a plain request unless it closed the connection. */
      uint8_t probe[2 + sizeof(valid_get)] = {0, (uint8_t)sizeof(valid_get)};
      memcpy(probe + 2, valid_get, sizeof(valid_get));
      fuzz_reader pr = {probe, sizeof(probe)};
      rc = request(&pr, 1000);
    }
  }
  if (rc == ZQUIC_ERR_TIMEOUT) timeouts++;
  if (fatal(rc) || rc == ZQUIC_ERR_TIMEOUT) drop_connection();
  return 0;
}
