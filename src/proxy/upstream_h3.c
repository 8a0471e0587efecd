/*
 * upstream_h3.c — requests to HTTP/3 backends. Each backend has one QUIC connection, made with
 * zquic_connect_async on the proxy's loop the first time it is needed and made again once it has
 * closed (an idle timeout, the backend restarting); every request to the backend is a stream on
 * it, so a busy backend costs one handshake, not one per request.
 *
 * A request waits in the connection's stream line (zq_h3_wait_streams) until the handshake is
 * done and the backend's stream limit allows another stream, exactly like a gRPC call
 * (src/grpc/call.c); until then its header section and body bytes stay in the upstream. The
 * response comes through zq_h3_hooks. While the proxy's client cannot take more (pause), the
 * response bytes are still passed on but their flow-control credit is held back, so the backend
 * slows down instead of the proxy buffering a whole body.
 */
#include <stdlib.h>
#include <string.h>

#include "proxy_internal.h"

void zq_upstream_h3_finished(zq_upstream *u);

/* The backend's connection, made now when there is none usable. */
static int backend_conn(zq_backend_rt *b, uint32_t timeout_ms, zquic_connection **out) {
  zquic_connection *c = b->h3_conn;
  if (c && !c->close_requested &&
      (c->state == ZQ_CONN_RESOLVING || c->state == ZQ_CONN_HANDSHAKING ||
       c->state == ZQ_CONN_ESTABLISHED)) {
    *out = c;
    return ZQUIC_OK;
  }
  if (c) zquic_close_connection(c); /* closed: let our handle go */
  b->h3_conn = NULL;
  zquic_connect_options o;
  zquic_connect_options_init(&o);
  o.alpn = "h3";
  o.sni = b->conf.sni;
  o.ca_file = b->conf.ca_file;
  o.insecure_skip_verify_DANGEROUS = b->conf.insecure;
  o.timeout_ms = (int)timeout_ms;
  int rc = zquic_connect_async(b->proxy->ctx, b->conf.address, &o, &b->h3_conn);
  if (rc) return rc;
  b->connects++;
  *out = b->h3_conn;
  return ZQUIC_OK;
}

/* Let go of the stream: a finished one closes by itself, an unfinished one is cancelled. */
static void detach(zq_upstream *u) {
  zq_h3_stream *st = u->st;
  if (!st) return;
  u->st = NULL;
  st->hooks = NULL;
  st->user_held = false;
  if (u->owed_credit) zq_h3_credit(st, u->owed_credit);
  u->owed_credit = 0;
  if (st->closed) {
    zq_h3_stream_free(st);
    return;
  }
  if ((!st->fin_received || !st->tx_eof) && st->conn->qc) {
    ngtcp2_conn_shutdown_stream(st->conn->qc, 0, st->id, NGHTTP3_H3_REQUEST_CANCELLED);
    zq_conn_schedule(st->conn);
  }
}

static void release(zq_upstream *u) {
  detach(u);
  if (u->waiting) zq_h3_cancel_wait(u->conn, &u->waiter);
  u->waiting = false;
  if (u->conn) zq_conn_release(u->conn);
  u->conn = NULL;
}

static void fail(zq_upstream *u, int code, bool connect_failed, const char *detail) {
  if (u->done) return;
  u->done = true;
  release(u);
  u->cb->on_error(u, code, connect_failed, detail, u->user);
  zq_upstream_h3_finished(u);
}

/* ---- the response ------------------------------------------------------------------------- */

/* Regular fields of a section (pseudo-fields left out), pointing into `f`. */
static size_t plain_fields(const zq_fields *f, zquic_h3_header *out, size_t cap) {
  size_t n = 0;
  for (size_t i = 0; i < f->count && n < cap; i++)
    if (f->names[i][0] != ':') out[n++] = (zquic_h3_header){f->names[i], f->values[i]};
  return n;
}

static void hook_headers(zq_h3_stream *st, void *user) {
  zq_upstream *u = user;
  zquic_h3_header fields[256];
  size_t n = plain_fields(&st->headers, fields, 256);
  u->cb->on_response(u, st->status, fields, n, u->user); /* may cancel u */
}

static bool hook_data(zq_h3_stream *st, const uint8_t *data, size_t len, void *user) {
  (void)st;
  zq_upstream *u = user;
  bool paused = u->paused;
  if (paused) u->owed_credit += len; /* given back on resume */
  u->cb->on_body(u, data, len, u->user); /* may cancel u: not touched after */
  return !paused;
}

static void hook_end(zq_h3_stream *st, void *user) {
  zq_upstream *u = user;
  if (u->done) return;
  u->done = true;
  zquic_h3_header trailers[64];
  size_t n = plain_fields(&st->trailers, trailers, 64);
  u->cb->on_end(u, trailers, n, u->user);
  release(u);
  zq_upstream_h3_finished(u);
}

static void hook_close(zq_h3_stream *st, void *user) {
  zq_upstream *u = user;
  char detail[160];
  if (st->reset)
    snprintf(detail, sizeof(detail), "backend reset the stream (HTTP/3 error 0x%llx)",
             (unsigned long long)st->reset_code);
  else if (zq_conn_check_open(st->conn) != 0)
    snprintf(detail, sizeof(detail), "backend connection lost: %.120s", zquic_last_error());
  else
    snprintf(detail, sizeof(detail), "backend closed the stream before the response ended");
  fail(u, st->reset ? ZQUIC_ERR_STREAM_RESET : ZQUIC_ERR_CLOSED, false, detail);
}

static void hook_acked(zq_h3_stream *st, void *user) {
  zq_upstream *u = user;
  if (u->cb->on_writable && st->tx.len < ZQ_H3_TX_WINDOW / 2) u->cb->on_writable(u, u->user);
}

static const zq_h3_hooks hooks = {hook_headers, hook_data, hook_end, hook_close, hook_acked};

/* ---- starting ------------------------------------------------------------------------------ */

static int submit(void *user, int64_t id) {
  zq_upstream *u = user;
  zquic_h3_header fields[128];
  size_t n = 0;
  for (size_t i = 0; i < u->head.count && n < 128; i++)
    fields[n++] = (zquic_h3_header){u->head.names[i], u->head.values[i]};
  bool no_body = u->st->tx_eof && u->st->tx.len == 0; /* the body has moved into st->tx */
  return zq_h3_submit_request(u->conn, id, u->method, u->path, u->authority, fields, n, no_body,
                              u->st);
}

/* Open the stream now: ZQUIC_OK, ZQUIC_ERR_LIMIT (wait in line) or another error. */
static int try_open(zq_upstream *u) {
  return zq_h3_open_hooked(u->conn, &hooks, u, &u->pending, u->pending_fin, &u->st, submit);
}

static bool on_stream_free(zq_stream_waiter *w, bool closed) {
  zq_upstream *u = zq_container_of(w, zq_upstream, waiter);
  u->waiting = false;
  if (closed) {
    char detail[200];
    snprintf(detail, sizeof(detail), "cannot reach backend %s: %.140s",
             u->backend->conf.address,
             u->conn->handshake_detail[0] ? u->conn->handshake_detail : "connection closed");
    fail(u, ZQUIC_ERR_HANDSHAKE, true, detail);
    return true;
  }
  int rc = try_open(u);
  if (rc == ZQUIC_ERR_LIMIT) {
    u->waiting = true;
    return false;
  }
  if (rc) fail(u, rc, true, zquic_last_error());
  return true;
}

int zq_upstream_h3_start(zq_upstream *u) {
  zquic_connection *conn;
  int rc = backend_conn(u->backend, 0, &conn);
  if (rc) return rc;
  u->conn = conn;
  conn->refs++;
  rc = try_open(u);
  if (rc == ZQUIC_ERR_LIMIT) {
    u->waiter.ready = on_stream_free;
    u->waiting = true;
    zq_h3_wait_streams(conn, &u->waiter);
    return ZQUIC_OK;
  }
  if (rc) release(u);
  return rc;
}

int zq_upstream_h3_write(zq_upstream *u, const void *data, size_t len, bool fin) {
  if (u->done) return zq_error(ZQUIC_ERR_CLOSED, "backend request has ended");
  zq_h3_stream *st = u->st;
  if (!st) { /* not open yet: keep up to a stream window, then make the exchange wait */
    if (len && u->pending.len >= ZQ_H3_TX_WINDOW)
      return zq_error(ZQUIC_ERR_WOULD_BLOCK, "backend request buffer full");
    int rc = len ? zq_buf_append(&u->pending, data, len) : 0;
    if (rc == 0 && fin) u->pending_fin = true;
    return rc;
  }
  if (st->tx_eof) return zq_error(ZQUIC_ERR_STATE, "request body already ended");
  if (len && st->tx.len >= ZQ_H3_TX_WINDOW)
    return zq_error(ZQUIC_ERR_WOULD_BLOCK, "backend request buffer full");
  int rc = len ? zq_buf_append(&st->tx, data, len) : 0;
  if (rc) return rc;
  if (fin) st->tx_eof = true;
  zq_h3_stream_resume(st);
  return ZQUIC_OK;
}

void zq_upstream_h3_pause(zq_upstream *u, bool paused) {
  u->paused = paused;
  if (!paused && u->st && u->owed_credit) {
    zq_h3_credit(u->st, u->owed_credit);
    u->owed_credit = 0;
  }
}

void zq_upstream_h3_cancel(zq_upstream *u) {
  u->done = true;
  release(u);
}
