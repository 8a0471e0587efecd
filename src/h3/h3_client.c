/*
 * h3_client.c — the client half of the HTTP/3 API: blocking requests with timeouts over a
 * connection whose ALPN is "h3". The response body is read as it arrives; credit goes back to the
 * server as the caller reads, so a large download never sits in memory whole.
 *
 * Each request holds a reference on its connection, so a request outlives a closed connection
 * safely (its calls then report the connection's close reason).
 */
#include <stdlib.h>
#include <string.h>

#include "h3_internal.h"

#define REQ(r) ((zq_h3_stream *)(void *)(r))

struct start_args {
  zquic_connection *conn;
  int64_t id;
};

int zq_h3_open_request(zquic_connection *conn, int64_t *id) {
  int rc = zq_h3_client_attach(conn);
  if (rc) return rc;
  int rv = ngtcp2_conn_open_bidi_stream(conn->qc, id, NULL);
  if (rv == NGTCP2_ERR_STREAM_ID_BLOCKED) return ZQUIC_ERR_LIMIT;
  return rv ? zq_error_ngtcp2(rv, "open request stream") : ZQUIC_OK;
}

static int open_request_stream(void *arg) {
  struct start_args *a = arg;
  return zq_h3_open_request(a->conn, &a->id);
}

void zq_h3_wait_streams(zquic_connection *conn, zq_stream_waiter *w) {
  zq_list_push_back(&conn->stream_waiters, &w->node);
}

void zq_h3_cancel_wait(zquic_connection *conn, zq_stream_waiter *w) {
  zq_list_remove(&conn->stream_waiters, &w->node);
}

void zq_h3_conn_gone(zquic_connection *conn) {
  zq_list_node *n;
  while ((n = zq_list_pop_front(&conn->stream_waiters))) {
    zq_stream_waiter *w = zq_container_of(n, zq_stream_waiter, node);
    w->ready(w, true);
  }
}

int zq_h3_submit_request(zquic_connection *conn, int64_t id, const char *method, const char *path,
                         const char *authority, const zquic_h3_header *extra, size_t n_extra,
                         int end_stream, zq_h3_stream *st) {
  nghttp3_nv nv[136];
  if (n_extra > 131) return zq_error(ZQUIC_ERR_LIMIT, "at most 131 extra header fields");
  const char *ua = "zquic/" ZQUIC_VERSION_STRING;
  const char *pseudo[][2] = {
    {":method", method}, {":scheme", "https"}, {":authority", authority}, {":path", path},
    {"user-agent", ua},
  };
  /* A user-agent among the extra fields (a proxy passing its client's on) replaces ours. */
  size_t n = 0, n_pseudo = 5;
  for (size_t i = 0; i < n_extra; i++)
    if (extra[i].name && strcmp(extra[i].name, "user-agent") == 0) n_pseudo = 4;
  for (size_t i = 0; i < n_pseudo; i++, n++)
    nv[n] = (nghttp3_nv){(uint8_t *)(uintptr_t)pseudo[i][0], (uint8_t *)(uintptr_t)pseudo[i][1],
                         strlen(pseudo[i][0]), strlen(pseudo[i][1]), NGHTTP3_NV_FLAG_NONE};
  int rc = zq_fields_to_nv(extra, n_extra, nv + n);
  if (rc) return rc;
  static const nghttp3_data_reader reader = {zq_h3_read_body};
  int rv = nghttp3_conn_submit_request(conn->h3->session, id, nv, n + n_extra,
                                       end_stream ? NULL : &reader, st);
  if (rv != 0) return zq_error(ZQUIC_ERR_PROTOCOL, "submit request: %s", nghttp3_strerror(rv));
  return ZQUIC_OK;
}

ZQUIC_API int zquic_h3_request_start(zquic_connection *conn, const char *method, const char *path,
                                     const char *authority, const zquic_h3_header *extra,
                                     size_t n_extra, int end_stream, zquic_h3_request **out) {
  if (!conn || !method || !path || !out || (!extra && n_extra))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "zquic_h3_request_start: NULL argument");
  *out = NULL;
  if (!*method || path[0] != '/')
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "method must be non-empty, path must start with /");
  if (n_extra > 128) return zq_error(ZQUIC_ERR_LIMIT, "at most 128 extra header fields");
  zquic_context *ctx = conn->ctx;
  bool taken = zq_ctx_enter(ctx);
  int rc = zq_conn_check_open(conn);
  if (rc == 0 && strcmp(conn->alpn, "h3") != 0)
    rc = zq_error(ZQUIC_ERR_STATE, "connection ALPN is \"%s\", not h3", conn->alpn);
  /* After refused 0-RTT the old session is gone and the new one starts with the handshake's
   * end; a request made in between waits for it instead of racing ngtcp2's stream reset. */
  uint64_t deadline = zq_deadline_from_timeout((int)ctx->config.connection_timeout_ms);
  while (rc == 0 && !conn->h3 && conn->state == ZQ_CONN_HANDSHAKING && !zq_on_loop_thread(ctx)) {
    if (!zq_ctx_wait(ctx, deadline)) rc = zq_error(ZQUIC_ERR_TIMEOUT, "handshake did not finish");
    else rc = zq_conn_check_open(conn);
  }
  struct start_args a = {conn, -1};
  if (rc == 0) rc = zq_ctx_call(ctx, open_request_stream, &a);
  if (rc == ZQUIC_ERR_LIMIT) rc = zq_error(rc, "server allows no more concurrent requests now");
  /* The loop may have torn the connection down between that call and now (a CONNECTION_CLOSE
   * read before this thread got the lock back): conn->qc and conn->h3 are then gone. */
  if (rc == 0 && (rc = zq_conn_check_open(conn)) == 0 && !conn->h3)
    rc = zq_error(ZQUIC_ERR_CLOSED, "connection closed");
  zq_h3_stream *st = rc == 0 ? zq_h3_stream_new(conn, a.id, true) : NULL;
  if (rc == 0 && !st) rc = zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  if (st) {
    st->tx_eof = end_stream != 0;
    rc = zq_h3_submit_request(conn, a.id, method, path, authority ? authority : conn->sni, extra, n_extra,
                end_stream, st);
    if (rc) {
      ngtcp2_conn_shutdown_stream(conn->qc, 0, a.id, NGHTTP3_H3_REQUEST_CANCELLED);
      zq_h3_stream_free(st);
    }
  }
  if (rc == 0 && st) {
    st->user_held = true;
    conn->refs++;
    zq_conn_schedule(conn);
    *out = (zquic_h3_request *)st;
    zq_error_clear();
  }
  zq_ctx_leave(ctx, taken);
  return rc;
}

/* The request's failure, if it has one: reset, or its connection closed. */
static int request_failure(zq_h3_stream *st) {
  if (st->early_rejected)
    return zq_error(ZQUIC_ERR_EARLY_DATA_REJECTED,
                    "the server refused 0-RTT: send the request again");
  if (st->reset)
    return zq_error(ZQUIC_ERR_STREAM_RESET, "request reset by peer (HTTP/3 error 0x%llx)",
                    (unsigned long long)st->reset_code);
  int rc = zq_conn_check_open(st->conn);
  if (rc) return rc;
  if (st->closed && !st->fin_received) return zq_error(ZQUIC_ERR_CLOSED, "request stream closed");
  return ZQUIC_OK;
}

ZQUIC_API int zquic_h3_request_send(zquic_h3_request *req, const void *data, size_t len, int fin,
                                    int timeout_ms) {
  if (!req || (!data && len)) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  zq_h3_stream *st = REQ(req);
  zquic_context *ctx = st->conn->ctx;
  bool on_loop = zq_on_loop_thread(ctx);
  bool taken = zq_ctx_enter(ctx);
  uint64_t deadline = zq_deadline_from_timeout(timeout_ms);
  const uint8_t *p = data;
  size_t done = 0;
  int rc = ZQUIC_OK;
  if (st->tx_eof) rc = zq_error(ZQUIC_ERR_STATE, "request body already ended");
  while (rc == 0) {
    if ((rc = request_failure(st)) != 0) break;
    size_t space = st->tx.len < ZQ_H3_TX_WINDOW ? ZQ_H3_TX_WINDOW - st->tx.len : 0;
    size_t n = len - done < space ? len - done : space;
    if (n && (rc = zq_buf_append(&st->tx, p + done, n)) != 0) break;
    done += n;
    if (done == len) {
      if (fin) st->tx_eof = true;
      zq_h3_stream_resume(st);
      break;
    }
    if (n) zq_h3_stream_resume(st);
    if (on_loop || timeout_ms == 0) {
      rc = zq_error(ZQUIC_ERR_WOULD_BLOCK, "request body buffer full");
      break;
    }
    if (!zq_ctx_wait(ctx, deadline)) rc = zq_error(ZQUIC_ERR_TIMEOUT, "request body send timed out");
  }
  zq_ctx_leave(ctx, taken);
  return rc;
}

ZQUIC_API int zquic_h3_response_wait(zquic_h3_request *req, int timeout_ms, int *status) {
  if (!req || !status) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  zq_h3_stream *st = REQ(req);
  zquic_context *ctx = st->conn->ctx;
  if (zq_on_loop_thread(ctx) && timeout_ms != 0)
    return zq_error(ZQUIC_ERR_LOOP_THREAD, "zquic_h3_response_wait would block the loop thread");
  bool taken = zq_ctx_enter(ctx);
  uint64_t deadline = zq_deadline_from_timeout(timeout_ms);
  int rc = ZQUIC_OK;
  while (!st->headers_done) {
    if ((rc = request_failure(st)) != 0) break;
    if (st->closed) {
      rc = zq_error(ZQUIC_ERR_PROTOCOL, "stream ended without a response");
      break;
    }
    if (!zq_ctx_wait(ctx, deadline)) {
      rc = zq_error(ZQUIC_ERR_TIMEOUT, "no response within %d ms", timeout_ms);
      break;
    }
  }
  if (rc == 0) {
    *status = st->status;
    zq_error_clear();
  }
  zq_ctx_leave(ctx, taken);
  return rc;
}

static int field_at(const zq_fields *f, size_t index, const char **name, const char **value) {
  if (!name || !value) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  if (index >= f->count) return ZQUIC_ERR_NOT_FOUND;
  *name = f->names[index];
  *value = f->values[index];
  return ZQUIC_OK;
}

ZQUIC_API int zquic_h3_response_header(const zquic_h3_request *req, size_t index,
                                       const char **name, const char **value) {
  if (!req) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL request");
  return field_at(&REQ(req)->headers, index, name, value);
}

ZQUIC_API const char *zquic_h3_response_header_get(const zquic_h3_request *req, const char *name) {
  return req && name ? zq_fields_get(&REQ(req)->headers, name) : NULL;
}

ZQUIC_API int zquic_h3_response_trailer(const zquic_h3_request *req, size_t index,
                                        const char **name, const char **value) {
  if (!req) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL request");
  return field_at(&REQ(req)->trailers, index, name, value);
}

ZQUIC_API int zquic_h3_response_read(zquic_h3_request *req, void *buf, size_t cap, int timeout_ms,
                                     size_t *nread) {
  if (nread) *nread = 0;
  if (!req || !nread) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  zq_h3_stream *st = REQ(req);
  zquic_connection *conn = st->conn;
  zquic_context *ctx = conn->ctx;
  bool on_loop = zq_on_loop_thread(ctx);
  bool taken = zq_ctx_enter(ctx);
  uint64_t deadline = zq_deadline_from_timeout(timeout_ms);
  int rc = ZQUIC_OK;
  while (rc == ZQUIC_OK) {
    /* Checked on every pass: another thread may take the sink away while this one waits. */
    if (!st->sink && (!buf || !cap)) {
      rc = zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL buffer or cap 0 without a body sink");
      break;
    }
    if (st->sink_error) {
      rc = zq_error(st->sink_error, "the body sink refused the body (%s): request cancelled",
                    zquic_strerror(st->sink_error));
      break;
    }
    if (st->rx.len) {
      size_t n = zq_buf_read(&st->rx, buf, cap);
      *nread = n;
      zq_h3_credit(st, n);
      break;
    }
    if (st->fin_received) break; /* end of body */
    if ((rc = request_failure(st)) != 0) break;
    if (on_loop || timeout_ms == 0) {
      rc = zq_error(ZQUIC_ERR_WOULD_BLOCK, "no body bytes yet");
      break;
    }
    if (!zq_ctx_wait(ctx, deadline)) {
      rc = zq_error(ZQUIC_ERR_TIMEOUT, st->sink ? "the body did not end within %d ms"
                                                : "no body bytes within %d ms", timeout_ms);
      break;
    }
  }
  if (rc == 0) zq_error_clear();
  zq_ctx_leave(ctx, taken);
  return rc;
}

ZQUIC_API int zquic_h3_response_set_sink(zquic_h3_request *req, zquic_h3_body_sink sink,
                                         void *user) {
  if (!req) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL request");
  zq_h3_stream *st = REQ(req);
  bool taken = zq_ctx_enter(st->conn->ctx);
  /* Under the lock the loop cannot deliver, so the buffered bytes reach the sink first and in
   * order; the loop's own deliveries start once the lock is released. */
  st->sink = sink;
  st->sink_user = user;
  while (sink && st->rx.len) {
    struct iovec chunk;
    zq_buf_peek(&st->rx, 0, &chunk, 1, st->rx.len);
    zq_h3_sink_deliver(st, chunk.iov_base, chunk.iov_len);
    zq_buf_consume(&st->rx, chunk.iov_len);
    zq_h3_credit(st, chunk.iov_len);
  }
  zq_error_clear();
  zq_ctx_leave(st->conn->ctx, taken);
  return ZQUIC_OK;
}

static int free_on_loop(void *arg) {
  zq_h3_stream *st = arg;
  zquic_connection *conn = st->conn;
  st->user_held = false;
  if (st->rx.len && conn->qc) /* unread: its connection credit goes back, open or not */
    ngtcp2_conn_extend_max_offset(conn->qc, st->rx.len);
  zq_buf_clear(&st->rx);
  if (!st->closed && conn->qc) {
    if (!st->fin_received || !st->tx_eof)
      ngtcp2_conn_shutdown_stream(conn->qc, 0, st->id, NGHTTP3_H3_REQUEST_CANCELLED);
    zq_conn_schedule(conn);
  } else {
    zq_h3_stream_free(st);
  }
  zq_conn_release(conn);
  return 0;
}

ZQUIC_API void zquic_h3_request_free(zquic_h3_request *req) {
  if (!req) return;
  zquic_context *ctx = REQ(req)->conn->ctx;
  bool taken = zq_ctx_enter(ctx);
  zq_ctx_call(ctx, free_on_loop, REQ(req));
  zq_ctx_leave(ctx, taken);
}

int zq_h3_open_hooked(zquic_connection *conn, const zq_h3_hooks *hooks, void *user, zq_buf *body,
                      bool body_eof, zq_h3_stream **slot,
                      int (*submit)(void *user, int64_t id)) {
  if ((conn->state == ZQ_CONN_RESOLVING || conn->state == ZQ_CONN_HANDSHAKING) && !conn->h3)
    return ZQUIC_ERR_LIMIT; /* not yet: the handshake's end wakes the line */
  if (!conn->h3 && strcmp(conn->alpn, "h3") != 0)
    return zq_error(ZQUIC_ERR_STATE, "connection ALPN is \"%s\", not h3", conn->alpn);
  int64_t id;
  int rc = zq_h3_open_request(conn, &id);
  if (rc) return rc;
  zq_h3_stream *st = zq_h3_stream_new(conn, id, true);
  if (!st) {
    ngtcp2_conn_shutdown_stream(conn->qc, 0, id, NGHTTP3_H3_REQUEST_CANCELLED);
    return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  }
  *slot = st;
  st->hooks = hooks;
  st->hooks_user = user;
  st->user_held = true;
  zq_buf tmp = st->tx; /* the body so far moves over without a copy */
  st->tx = *body;
  *body = tmp;
  st->tx_eof = body_eof;
  if ((rc = submit(user, id)) != 0) {
    *slot = NULL;
    ngtcp2_conn_shutdown_stream(conn->qc, 0, id, NGHTTP3_H3_REQUEST_CANCELLED);
    zq_h3_stream_free(st);
    return rc;
  }
  zq_conn_schedule(conn);
  return ZQUIC_OK;
}
