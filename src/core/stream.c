/*
 * stream.c — raw QUIC streams: the public stream API and the ngtcp2 events behind it.
 *
 * A stream struct is alive while either side needs it: the user (between open/accept and
 * zquic_close_stream) or the transport (until ngtcp2 reports the stream closed). Each user-held
 * stream also holds a reference on its connection so the connection's memory outlives it.
 *
 * Flow control is the back-pressure: received bytes wait in s->rx and the peer's credit is only
 * extended (ngtcp2_conn_extend_max_stream_offset) when the application reads them; sends block
 * once ZQ_STREAM_SEND_BUFFER bytes are queued and not yet acknowledged.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

zquic_stream *zq_stream_new(zquic_connection *conn, int64_t id) {
  zquic_stream *s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  s->conn = conn;
  s->id = id;
  s->transport_open = true;
  zq_buf_init_cached(&s->rx, &conn->ctx->buf_cache);
  zq_buf_init_cached(&s->tx, &conn->ctx->buf_cache);
  zq_list_push_back(&conn->streams, &s->conn_node);
  return s;
}

void zq_stream_free(zquic_stream *s) {
  zquic_connection *conn = s->conn;
  zq_list_remove(&conn->streams, &s->conn_node);
  zq_list_remove(&conn->incoming, &s->incoming_node);
  zq_list_remove(&conn->writable, &s->write_node);
  if (conn->qc && s->transport_open) ngtcp2_conn_set_stream_user_data(conn->qc, s->id, NULL);
  zq_buf_clear(&s->rx);
  zq_buf_clear(&s->tx);
  free(s);
}

zquic_stream *zq_stream_find(zquic_connection *conn, int64_t id) {
  /* The stream being written is almost always at the front of the writable list. */
  zq_list_node *front = zq_list_front(&conn->writable);
  if (front) {
    zquic_stream *s = zq_container_of(front, zquic_stream, write_node);
    if (s->id == id) return s;
  }
  zq_list_node *n, *tmp;
  zq_list_for_each_safe(n, tmp, &conn->streams) {
    zquic_stream *s = zq_container_of(n, zquic_stream, conn_node);
    if (s->id == id && s->transport_open) return s;
  }
  return NULL;
}

int zq_stream_on_data(zquic_connection *conn, zquic_stream *s, uint32_t flags, const uint8_t *data,
                      size_t len) {
  if (len && zq_buf_append(&s->rx, data, len) != 0) return NGTCP2_ERR_CALLBACK_FAILURE;
  if (flags & NGTCP2_STREAM_DATA_FLAG_FIN) s->fin_received = true;
  if (s->service_held) {
    conn->server->service->on_data(s, conn->server->service_user);
    return 0;
  }
  if (s->hooks) {
    s->hooks->on_data(s, s->hooks_user); /* may unhook and free s */
    return 0;
  }
  if (s->user_held) zq_emit(conn->ctx, ZQUIC_EVENT_STREAM_READABLE, 0, NULL, conn, s);
  if (!s->user_held && !zq_list_node_linked(&s->incoming_node) && s != conn->first_stream) {
    /* Released by its user but still open: nobody will read, so give the credit straight back. */
    zq_buf_clear(&s->rx);
    ngtcp2_conn_extend_max_stream_offset(conn->qc, s->id, len);
    ngtcp2_conn_extend_max_offset(conn->qc, len);
  }
  zq_ctx_notify(conn->ctx);
  return 0;
}

void zq_stream_on_acked(zquic_stream *s, uint64_t datalen) {
  zq_buf_consume(&s->tx, (size_t)datalen);
  s->tx_sent_off -= (size_t)datalen;
  if (s->want_writable && s->tx.len < ZQ_STREAM_SEND_BUFFER) {
    s->want_writable = false;
    zq_emit(s->conn->ctx, ZQUIC_EVENT_STREAM_WRITABLE, 0, NULL, s->conn, s);
  }
  zq_ctx_notify(s->conn->ctx);
}

void zq_stream_on_closed(zquic_stream *s, uint64_t app_error) {
  zquic_connection *conn = s->conn;
  s->transport_open = false;
  if (app_error && !s->fin_received && !s->reset_received) {
    s->reset_received = true;
    s->reset_code = app_error;
  }
  ngtcp2_conn_set_stream_user_data(conn->qc, s->id, NULL);
  if (s->service_held) {
    conn->server->service->on_closed(s, conn->server->service_user);
    return;
  }
  if (s->hooks) {
    s->hooks->on_closed(s, s->hooks_user); /* unhooks, which frees s */
    return;
  }
  if (s->user_held) zq_emit(conn->ctx, ZQUIC_EVENT_STREAM_READABLE, 0, NULL, conn, s);
  if (!s->user_held && !zq_list_node_linked(&s->incoming_node) && s != conn->first_stream)
    zq_stream_free(s);
  zq_ctx_notify(conn->ctx);
}

/* `n` received bytes were read or dropped: give their flow-control credit back. The
 * connection's share always goes back, also when the transport has already closed the stream
 * (its bytes still counted against the connection window: keeping that share would stall the
 * connection once a window's worth of answers had been read after their streams closed). */
static void give_back(zquic_stream *s, size_t n) {
  zquic_connection *conn = s->conn;
  if (!n || !conn->qc) return;
  if (s->transport_open) ngtcp2_conn_extend_max_stream_offset(conn->qc, s->id, n);
  ngtcp2_conn_extend_max_offset(conn->qc, n);
  zq_conn_schedule_credit(conn, n);
}

size_t zq_stream_take(zquic_stream *s, void *out, size_t n) {
  size_t got = zq_buf_read(&s->rx, out, n);
  give_back(s, got);
  return got;
}

int zq_stream_put(zquic_stream *s, const void *data, size_t len, bool fin) {
  if (!s->transport_open || s->fin_queued) return ZQUIC_ERR_CLOSED;
  if (len && zq_buf_append(&s->tx, data, len) != 0) return ZQUIC_ERR_NO_MEMORY;
  if (fin) s->fin_queued = true;
  zq_stream_mark_writable(s);
  return ZQUIC_OK;
}

int zq_stream_open_hooked(zquic_connection *conn, const zq_stream_hooks *hooks, void *user,
                          zquic_stream **out) {
  *out = NULL;
  bool early = conn->state == ZQ_CONN_HANDSHAKING && conn->early_data_sent;
  /* Not yet usable but not closed either: the handshake's end (or the resolver) wakes the line. */
  if (!conn->close_requested && ((conn->state == ZQ_CONN_RESOLVING && !conn->qc) ||
                                 (conn->state == ZQ_CONN_HANDSHAKING && !early)))
    return ZQUIC_ERR_LIMIT;
  int rc = zq_conn_check_open(conn);
  if (rc) return rc;
  if (conn->h3) return zq_error(ZQUIC_ERR_STATE, "connection is in HTTP/3 mode");
  int64_t id;
  int rv = ngtcp2_conn_open_bidi_stream(conn->qc, &id, NULL);
  if (rv == NGTCP2_ERR_STREAM_ID_BLOCKED) return ZQUIC_ERR_LIMIT;
  if (rv) return zq_error(ZQUIC_ERR_INTERNAL, "cannot open a stream: %s", ngtcp2_strerror(rv));
  zquic_stream *s = zq_stream_new(conn, id);
  if (!s) {
    ngtcp2_conn_shutdown_stream(conn->qc, 0, id, 0);
    return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  }
  ngtcp2_conn_set_stream_user_data(conn->qc, id, s);
  s->hooks = hooks;
  s->hooks_user = user;
  *out = s;
  return ZQUIC_OK;
}

void zq_stream_unhook(zquic_stream *s, int64_t cancel_code) {
  zquic_connection *conn = s->conn;
  s->hooks = NULL;
  s->hooks_user = NULL;
  if (!s->transport_open) {
    zq_stream_free(s);
    return;
  }
  if (conn->qc && cancel_code >= 0) {
    ngtcp2_conn_shutdown_stream(conn->qc, 0, s->id, (uint64_t)cancel_code);
    s->fin_queued = true; /* nothing queued will be sent now */
    zq_list_remove(&conn->writable, &s->write_node);
    s->write_listed = false;
  } else if (conn->qc) {
    if (!s->fin_queued) {
      s->fin_queued = true;
      zq_stream_mark_writable(s);
    }
    if (!s->fin_received && !s->reset_received)
      ngtcp2_conn_shutdown_stream_read(conn->qc, 0, s->id, 0);
  }
  if (s->rx.len && conn->qc) { /* nobody will read it: its credit goes back now */
    ngtcp2_conn_extend_max_offset(conn->qc, s->rx.len);
    zq_buf_clear(&s->rx);
  }
  zq_conn_schedule(conn);
}

void zq_stream_mark_writable(zquic_stream *s) {
  if (s->write_listed || !s->transport_open) return;
  if (s->tx_sent_off == s->tx.len && (!s->fin_queued || s->fin_sent)) return;
  zq_list_push_back(&s->conn->writable, &s->write_node);
  s->write_listed = true;
  zq_conn_schedule(s->conn);
}

/* ---- public API ---------------------------------------------------------------------------- */

struct open_args {
  zquic_connection *conn;
  int type;
  int64_t id;
  zquic_stream *stream;
};

static int open_on_loop(void *arg) {
  struct open_args *a = arg;
  ngtcp2_conn *qc = a->conn->qc;
  if (!qc) return ZQUIC_ERR_CLOSED;
  int rv = a->type == ZQUIC_STREAM_UNI ? ngtcp2_conn_open_uni_stream(qc, &a->id, NULL)
                                       : ngtcp2_conn_open_bidi_stream(qc, &a->id, NULL);
  if (rv) return rv == NGTCP2_ERR_STREAM_ID_BLOCKED ? ZQUIC_ERR_LIMIT : ZQUIC_ERR_INTERNAL;
  /* The stream and the user's hold on it are made here, in the same turn as the ngtcp2 stream:
   * once this call returns, the loop may tear the connection down (a CONNECTION_CLOSE read
   * before the caller gets the lock back), which frees ngtcp2 state and unheld streams. */
  zquic_stream *s = zq_stream_new(a->conn, a->id);
  if (!s) {
    ngtcp2_conn_shutdown_stream(qc, 0, a->id, 0);
    return ZQUIC_ERR_NO_MEMORY;
  }
  ngtcp2_conn_set_stream_user_data(qc, a->id, s);
  s->user_held = true;
  a->conn->refs++;
  a->stream = s;
  return ZQUIC_OK;
}

static int stream_open(zquic_connection *conn, int type, int timeout_ms, bool wait,
                       zquic_stream **out) {
  if (!conn || !out || (type != ZQUIC_STREAM_BIDI && type != ZQUIC_STREAM_UNI))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "stream open: NULL handle or type not 0/1");
  *out = NULL;
  zquic_context *ctx = conn->ctx;
  if (wait && zq_on_loop_thread(ctx) && timeout_ms != 0)
    return zq_error(ZQUIC_ERR_LOOP_THREAD, "zquic_stream_open would block the loop thread");
  bool taken = zq_ctx_enter(ctx);
  uint64_t deadline = zq_deadline_from_timeout(timeout_ms);
  int rc;
  for (;;) {
    if ((rc = zq_conn_check_open(conn)) != 0) break;
    bool early = conn->state == ZQ_CONN_HANDSHAKING && conn->early_data_sent;
    if ((conn->state != ZQ_CONN_ESTABLISHED && !early) || conn->h3) {
      rc = zq_error(ZQUIC_ERR_STATE, conn->h3 ? "connection is in HTTP/3 mode: use zquic_h3_*"
                                              : "connection is not established");
      break;
    }
    struct open_args a = {conn, type, -1, NULL};
    rc = zq_ctx_call(ctx, open_on_loop, &a);
    if (rc == 0) {
      *out = a.stream;
      break;
    }
    if (rc == ZQUIC_ERR_NO_MEMORY) {
      rc = zq_error(rc, "out of memory");
      break;
    }
    if (rc != ZQUIC_ERR_LIMIT) {
      rc = zq_error(rc, "cannot open stream");
      break;
    }
    if (!wait || timeout_ms == 0) {
      rc = zq_error(ZQUIC_ERR_LIMIT, "peer allows no more %s streams now",
                    type == ZQUIC_STREAM_UNI ? "unidirectional" : "bidirectional");
      break;
    }
    if (!zq_ctx_wait(ctx, deadline)) {
      rc = zq_error(ZQUIC_ERR_TIMEOUT, "timed out waiting for the peer to allow a new stream");
      break;
    }
  }
  zq_ctx_leave(ctx, taken);
  if (rc == 0) zq_error_clear();
  return rc;
}

ZQUIC_API int zquic_stream_open(zquic_connection *conn, int type, int timeout_ms,
                                zquic_stream **out) {
  return stream_open(conn, type, timeout_ms, true, out);
}

ZQUIC_API int zquic_create_stream(zquic_connection *conn, int type, zquic_stream **out) {
  return stream_open(conn, type, 0, false, out);
}

ZQUIC_API int zquic_stream_accept(zquic_connection *conn, int timeout_ms, zquic_stream **out) {
  if (!conn || !out) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "stream accept: NULL argument");
  *out = NULL;
  zquic_context *ctx = conn->ctx;
  if (zq_on_loop_thread(ctx) && timeout_ms != 0)
    return zq_error(ZQUIC_ERR_LOOP_THREAD, "zquic_stream_accept would block the loop thread");
  bool taken = zq_ctx_enter(ctx);
  uint64_t deadline = zq_deadline_from_timeout(timeout_ms);
  int rc = ZQUIC_OK;
  for (;;) {
    zq_list_node *n = zq_list_pop_front(&conn->incoming);
    if (n) {
      zquic_stream *s = zq_container_of(n, zquic_stream, incoming_node);
      s->user_held = true;
      conn->refs++;
      *out = s;
      break;
    }
    if ((rc = zq_conn_check_open(conn)) != 0) break;
    if (!zq_ctx_wait(ctx, deadline)) {
      rc = zq_error(ZQUIC_ERR_TIMEOUT, "no stream from the peer within %d ms", timeout_ms);
      break;
    }
  }
  zq_ctx_leave(ctx, taken);
  if (rc == 0) zq_error_clear();
  return rc;
}

ZQUIC_API int64_t zquic_stream_id(const zquic_stream *stream) {
  return stream ? stream->id : (int64_t)zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "stream is NULL");
}

static int send_state_error(zquic_stream *s) {
  if (s->early_rejected)
    return zq_error(ZQUIC_ERR_EARLY_DATA_REJECTED, "the server refused 0-RTT: open a new stream");
  if ((s->id & 0x2) && ((s->id & 0x1) != (s->conn->is_server ? 1 : 0)))
    return zq_error(ZQUIC_ERR_STATE, "cannot send on the peer's unidirectional stream");
  if (s->fin_queued) return zq_error(ZQUIC_ERR_STATE, "stream send side already ended (FIN)");
  if (s->peer_stopped)
    return zq_error(ZQUIC_ERR_STREAM_RESET, "peer stopped reading stream %lld (STOP_SENDING)",
                    (long long)s->id);
  if (!s->transport_open)
    return zq_error(s->reset_received ? ZQUIC_ERR_STREAM_RESET : ZQUIC_ERR_CLOSED,
                    "stream %lld is closed", (long long)s->id);
  return ZQUIC_OK;
}

ZQUIC_API int zquic_stream_send(zquic_stream *s, const void *data, size_t len, int fin,
                                int timeout_ms, size_t *sent) {
  if (sent) *sent = 0;
  if (!s || (!data && len)) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "stream send: NULL argument");
  zquic_context *ctx = s->conn->ctx;
  bool on_loop = zq_on_loop_thread(ctx);
  bool taken = zq_ctx_enter(ctx);
  uint64_t deadline = zq_deadline_from_timeout(timeout_ms);
  const uint8_t *p = data;
  size_t done = 0;
  int rc = ZQUIC_OK;
  while (rc == ZQUIC_OK) {
    if ((rc = zq_conn_check_open(s->conn)) != 0 || (rc = send_state_error(s)) != 0) break;
    size_t space = s->tx.len < ZQ_STREAM_SEND_BUFFER ? ZQ_STREAM_SEND_BUFFER - s->tx.len : 0;
    size_t n = len - done < space ? len - done : space;
    if (n > 0 && (rc = zq_buf_append(&s->tx, p + done, n)) != 0) {
      rc = zq_error(rc, "out of memory");
      break;
    }
    done += n;
    if (done == len) {
      if (fin) s->fin_queued = true;
      zq_stream_mark_writable(s);
      break;
    }
    if (n > 0) zq_stream_mark_writable(s);
    if (on_loop || timeout_ms == 0) {
      s->want_writable = true;
      rc = zq_error(ZQUIC_ERR_WOULD_BLOCK, "stream send buffer full");
      break;
    }
    if (!zq_ctx_wait(ctx, deadline))
      rc = zq_error(ZQUIC_ERR_TIMEOUT, "send timed out after %zu of %zu bytes", done, len);
  }
  if (sent) *sent = done;
  zq_ctx_leave(ctx, taken);
  if (rc == 0) zq_error_clear();
  return rc;
}

ZQUIC_API int zquic_stream_receive(zquic_stream *s, void *buf, size_t cap, int timeout_ms,
                                   size_t *received) {
  if (received) *received = 0;
  if (!s || !buf || !received || cap == 0)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "stream receive: NULL argument or cap 0");
  zquic_connection *conn = s->conn;
  zquic_context *ctx = conn->ctx;
  bool on_loop = zq_on_loop_thread(ctx);
  bool taken = zq_ctx_enter(ctx);
  uint64_t deadline = zq_deadline_from_timeout(timeout_ms);
  int rc = ZQUIC_OK;
  for (;;) {
    if (s->rx.len > 0) {
      size_t n = zq_buf_read(&s->rx, buf, cap);
      *received = n;
      give_back(s, n);
      break;
    }
    if (s->early_rejected) {
      rc = zq_error(ZQUIC_ERR_EARLY_DATA_REJECTED, "the server refused 0-RTT: open a new stream");
      break;
    }
    if (s->reset_received) {
      rc = zq_error(ZQUIC_ERR_STREAM_RESET, "stream %lld reset by peer (error 0x%llx)",
                    (long long)s->id, (unsigned long long)s->reset_code);
      break;
    }
    if (s->fin_received) break; /* *received == 0: end of stream */
    if ((rc = zq_conn_check_open(conn)) != 0) break;
    if (!s->transport_open) {
      rc = zq_error(ZQUIC_ERR_CLOSED, "stream closed");
      break;
    }
    if (on_loop || timeout_ms == 0) {
      rc = zq_error(ZQUIC_ERR_WOULD_BLOCK, "no data yet");
      break;
    }
    if (!zq_ctx_wait(ctx, deadline)) {
      rc = zq_error(ZQUIC_ERR_TIMEOUT, "no data within %d ms", timeout_ms);
      break;
    }
  }
  zq_ctx_leave(ctx, taken);
  if (rc == 0) zq_error_clear();
  return rc;
}

int zq_stream_release(zquic_stream *s) {
  zquic_connection *conn = s->conn;
  if (conn->qc && s->transport_open) {
    bool local_uni_or_bidi = !((s->id & 0x2) && ((s->id & 0x1) != (conn->is_server ? 1 : 0)));
    if (local_uni_or_bidi && !s->fin_queued) {
      s->fin_queued = true;
      zq_stream_mark_writable(s);
    }
    bool can_receive = !((s->id & 0x2) && ((s->id & 0x1) == (conn->is_server ? 1 : 0)));
    if (can_receive && !s->fin_received && !s->reset_received)
      ngtcp2_conn_shutdown_stream_read(conn->qc, 0, s->id, 0);
    zq_conn_schedule(conn);
  }
  if (s->rx.len) { /* unread: nobody will take it, so its credit goes back now */
    size_t unread = s->rx.len;
    zq_buf_clear(&s->rx);
    if (conn->qc) ngtcp2_conn_extend_max_offset(conn->qc, unread);
    zq_conn_schedule(conn);
  }
  s->user_held = false;
  zq_events_forget(conn->ctx, s);
  if (!s->transport_open) zq_stream_free(s);
  zq_conn_release(conn);
  return 0;
}

static int release_on_loop(void *arg) { return zq_stream_release(arg); }

ZQUIC_API void zquic_close_stream(zquic_stream *s) {
  if (!s) return;
  zquic_context *ctx = s->conn->ctx;
  bool taken = zq_ctx_enter(ctx);
  zq_ctx_call(ctx, release_on_loop, s);
  zq_ctx_leave(ctx, taken);
}

/* ---- reset, stop-sending, the original conveniences ---------------------------------------- */

struct shutdown_args {
  zquic_stream *s;
  uint64_t code;
  bool write_side;
};

static int shutdown_on_loop(void *arg) {
  struct shutdown_args *a = arg;
  zquic_stream *s = a->s;
  zquic_connection *conn = s->conn;
  if (!conn->qc || !s->transport_open) return zq_error(ZQUIC_ERR_CLOSED, "stream is closed");
  int rv = a->write_side ? ngtcp2_conn_shutdown_stream_write(conn->qc, 0, s->id, a->code)
                         : ngtcp2_conn_shutdown_stream_read(conn->qc, 0, s->id, a->code);
  if (rv != 0) return zq_error(ZQUIC_ERR_STATE, "stream %lld: %s", (long long)s->id, ngtcp2_strerror(rv));
  if (a->write_side) {
    /* Nothing queued will ever be sent or acknowledged now. */
    s->fin_queued = true;
    zq_list_remove(&conn->writable, &s->write_node);
    s->write_listed = false;
  } else if (s->rx.len) {
    ngtcp2_conn_extend_max_offset(conn->qc, s->rx.len);
    zq_buf_clear(&s->rx);
  }
  zq_conn_schedule(conn);
  return ZQUIC_OK;
}

static int stream_shutdown(zquic_stream *s, uint64_t code, bool write_side) {
  if (!s) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "stream is NULL");
  if (code >= (1ull << 62)) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "error code over 2^62-1");
  zquic_context *ctx = s->conn->ctx;
  bool taken = zq_ctx_enter(ctx);
  struct shutdown_args a = {s, code, write_side};
  int rc = zq_ctx_call(ctx, shutdown_on_loop, &a);
  zq_ctx_leave(ctx, taken);
  if (rc == 0) zq_error_clear();
  return rc;
}

ZQUIC_API int zquic_stream_reset(zquic_stream *s, uint64_t app_error) {
  return stream_shutdown(s, app_error, true);
}

ZQUIC_API int zquic_stream_stop_sending(zquic_stream *s, uint64_t app_error) {
  return stream_shutdown(s, app_error, false);
}

ZQUIC_API uint64_t zquic_stream_reset_code(const zquic_stream *s) {
  return s && s->reset_received ? s->reset_code : 0;
}

/* The connection's own hold on its first bidirectional stream (zquic_send_data and friends). */
static int first_stream(zquic_connection *conn, int timeout_ms, bool for_send, zquic_stream **out) {
  bool taken = zq_ctx_enter(conn->ctx);
  zquic_stream *s = conn->first_stream;
  zq_ctx_leave(conn->ctx, taken);
  if (!s) {
    int rc = conn->is_server || !for_send ? zquic_stream_accept(conn, timeout_ms, &s)
                                          : zquic_stream_open(conn, ZQUIC_STREAM_BIDI, timeout_ms, &s);
    if (rc) return rc;
    taken = zq_ctx_enter(conn->ctx);
    if (conn->first_stream) { /* another thread won the race: keep theirs */
      zq_ctx_leave(conn->ctx, taken);
      zquic_close_stream(s);
      taken = zq_ctx_enter(conn->ctx);
    } else {
      conn->first_stream = s;
    }
    s = conn->first_stream;
    zq_ctx_leave(conn->ctx, taken);
  }
  *out = s;
  return ZQUIC_OK;
}

ZQUIC_API int zquic_send_data(zquic_connection *conn, const void *data, size_t len, int timeout_ms) {
  if (!conn || (!data && len)) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  zquic_stream *s;
  int rc = first_stream(conn, timeout_ms, true, &s);
  return rc ? rc : zquic_stream_send(s, data, len, 0, timeout_ms, NULL);
}

ZQUIC_API int zquic_receive_data(zquic_connection *conn, void *buf, size_t cap, int timeout_ms,
                                 size_t *received) {
  if (received) *received = 0;
  if (!conn || !buf || !received || !cap)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument or cap 0");
  zquic_stream *s;
  int rc = first_stream(conn, timeout_ms, false, &s);
  return rc ? rc : zquic_stream_receive(s, buf, cap, timeout_ms, received);
}
