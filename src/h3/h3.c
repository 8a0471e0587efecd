/*
 * h3.c — the HTTP/3 session of a connection: nghttp3 on top of the ngtcp2 connection.
 *
 * ngtcp2 hands stream bytes here (zq_h3_on_stream_data) and nghttp3 parses frames and QPACK,
 * calling back with header fields and body bytes; in the other direction the connection's write
 * loop asks nghttp3 what to send next (zq_h3_writev). Body bytes are kept in each stream's tx
 * buffer until the peer acknowledges them, because nghttp3 points into them rather than copying.
 *
 * Flow-control credit for DATA payload is returned only when the application has taken the bytes
 * (client: zquic_h3_response_read; server: after on_body returns), so a slow reader slows the
 * sender instead of filling memory.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "h3_internal.h"

/* ---- header fields ------------------------------------------------------------------------- */

/* Room for `n` bytes of strings: the inline arena first, then heap blocks that never move. */
static char *arena_alloc(zq_fields *f, size_t n) {
  if (f->arena_used + n <= sizeof(f->arena)) {
    char *p = f->arena + f->arena_used;
    f->arena_used += n;
    return p;
  }
  zq_fields_block *b = f->blocks;
  if (!b || b->cap - b->used < n) {
    size_t cap = n > 2048 ? n : 2048;
    if (!(b = malloc(sizeof(*b) + cap))) return NULL;
    b->cap = cap;
    b->used = 0;
    b->next = f->blocks;
    f->blocks = b;
  }
  char *p = b->data + b->used;
  b->used += n;
  return p;
}

static int grow_arrays(zq_fields *f) {
  size_t cap = f->cap ? f->cap * 2 : (size_t)ZQ_FIELDS_INLINE * 2;
  char **names = malloc(cap * sizeof(char *)), **values = malloc(cap * sizeof(char *));
  if (!names || !values) {
    free(names);
    free(values);
    return ZQUIC_ERR_NO_MEMORY;
  }
  memcpy(names, f->names, f->count * sizeof(char *));
  memcpy(values, f->values, f->count * sizeof(char *));
  if (f->names != f->inline_names) {
    free(f->names);
    free(f->values);
  }
  f->names = names;
  f->values = values;
  f->cap = cap;
  return ZQUIC_OK;
}

int zq_fields_add(zq_fields *f, const uint8_t *name, size_t nlen, const uint8_t *value,
                  size_t vlen) {
  if (!f->names) {
    f->names = f->inline_names;
    f->values = f->inline_values;
    f->cap = ZQ_FIELDS_INLINE;
  }
  if (f->count == f->cap && grow_arrays(f) != 0) return ZQUIC_ERR_NO_MEMORY;
  char *n = arena_alloc(f, nlen + 1 + vlen + 1);
  if (!n) return ZQUIC_ERR_NO_MEMORY;
  char *v = n + nlen + 1;
  memcpy(n, name, nlen);
  n[nlen] = '\0';
  memcpy(v, value, vlen);
  v[vlen] = '\0';
  f->names[f->count] = n;
  f->values[f->count] = v;
  f->count++;
  return ZQUIC_OK;
}

void zq_fields_init(zq_fields *f) {
  f->count = f->cap = f->arena_used = 0;
  f->names = f->values = NULL;
  f->blocks = NULL;
}

void zq_fields_clear(zq_fields *f) {
  if (f->names && f->names != f->inline_names) {
    free(f->names);
    free(f->values);
  }
  zq_fields_block *b = f->blocks;
  while (b) {
    zq_fields_block *next = b->next;
    free(b);
    b = next;
  }
  f->names = f->values = NULL;
  f->blocks = NULL;
  f->count = f->cap = f->arena_used = 0;
}

const char *zq_fields_get(const zq_fields *f, const char *name) {
  /* Most names differ in their first two bytes (the pseudo-headers all begin with ':', then
   * differ): reject those without a strcasecmp call. names[i][1] is in bounds: the arena holds
   * "name\0value\0", so it is the name's terminator at worst (or an empty name's value). */
  if (!name[0]) return NULL;
  int first = tolower((unsigned char)name[0]), second = tolower((unsigned char)name[1]);
  for (size_t i = 0; i < f->count; i++) {
    const char *n = f->names[i];
    if (tolower((unsigned char)n[0]) == first && tolower((unsigned char)n[1]) == second &&
        strcasecmp(n, name) == 0)
      return f->values[i];
  }
  return NULL;
}

int zq_fields_to_nv(const zquic_h3_header *src, size_t n, nghttp3_nv *out) {
  for (size_t i = 0; i < n; i++) {
    if (!src[i].name || !src[i].value || !src[i].name[0])
      return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "header %zu: NULL or empty name/value", i);
    out[i].name = (uint8_t *)(uintptr_t)src[i].name;
    out[i].namelen = strlen(src[i].name);
    out[i].value = (uint8_t *)(uintptr_t)src[i].value;
    out[i].valuelen = strlen(src[i].value);
    out[i].flags = NGHTTP3_NV_FLAG_NONE;
  }
  return ZQUIC_OK;
}

/* ---- per-request streams ------------------------------------------------------------------- */

zq_h3_stream *zq_h3_stream_new(zquic_connection *conn, int64_t id, bool is_client) {
  zq_h3_stream *st = zq_h3_mem_stream_alloc(&conn->ctx->h3_mem, sizeof(*st));
  if (!st) return NULL;
  memset(st, 0, offsetof(zq_h3_stream, headers));
  zq_fields_init(&st->headers);
  zq_fields_init(&st->trailers);
  zq_fields_init(&st->trailers_out);
  st->conn = conn;
  st->id = id;
  st->is_client = is_client;
  zq_buf_init_cached(&st->rx, &conn->ctx->buf_cache);
  zq_buf_init_cached(&st->tx, &conn->ctx->buf_cache);
  zq_list_push_back(&conn->h3_streams, &st->node);
  return st;
}

void zq_h3_stream_free(zq_h3_stream *st) {
  zq_list_remove(&st->conn->h3_streams, &st->node);
  zq_fields_clear(&st->headers);
  zq_fields_clear(&st->trailers);
  zq_fields_clear(&st->trailers_out);
  zq_buf_clear(&st->rx);
  zq_buf_clear(&st->tx);
  zq_h3_mem_stream_free(&st->conn->ctx->h3_mem, st);
}

void zq_h3_stream_resume(zq_h3_stream *st) {
  zquic_connection *conn = st->conn;
  if (st->tx_blocked && conn->h3 && !st->closed) {
    st->tx_blocked = false;
    nghttp3_conn_resume_stream(conn->h3->session, st->id);
  }
  zq_conn_schedule(conn);
}

static void reset_stream(zq_h3_stream *st, uint64_t code) {
  if (st->conn->qc) ngtcp2_conn_shutdown_stream(st->conn->qc, 0, st->id, code);
}

/* Pull more body bytes from the stream's source into tx. */
static void pull_source(zq_h3_stream *st) {
  /* The source writes straight into the send buffer: no bounce copy on the bulk path. Most
   * bodies are small: the first pull asks for 4 KiB (one small chunk), later ones for 64 KiB. */
  const size_t step = st->pulled ? ZQ_BUF_CHUNK_LARGE : ZQ_BUF_CHUNK_FIRST_RESERVE;
  while (!st->tx_eof && st->tx.len < ZQ_H3_TX_WINDOW && st->tx.len - st->tx_given < step) {
    uint8_t *dst;
    size_t cap = zq_buf_reserve(&st->tx, step, &dst);
    size_t n = 0;
    int eof = 0;
    int rc = cap ? st->source(st->source_user, dst, cap, &n, &eof) : ZQUIC_ERR_NO_MEMORY;
    if (n > cap) rc = ZQUIC_ERR_INTERNAL;
    if (rc != ZQUIC_OK && rc != ZQUIC_ERR_WOULD_BLOCK) {
      reset_stream(st, NGHTTP3_H3_INTERNAL_ERROR);
      st->tx_eof = true;
      st->source = NULL;
      return;
    }
    zq_buf_commit(&st->tx, n);
    st->pulled += n;
    if (eof) st->tx_eof = true;
    if (rc == ZQUIC_ERR_WOULD_BLOCK || n == 0) return;
  }
}

nghttp3_ssize zq_h3_read_body(nghttp3_conn *session, int64_t id, nghttp3_vec *vec, size_t veccnt,
                              uint32_t *pflags, void *conn_user, void *stream_user) {
  (void)conn_user;
  zq_h3_stream *st = stream_user;
  if (!st) return NGHTTP3_ERR_CALLBACK_FAILURE;
  if (st->source && st->tx.len == st->tx_given) pull_source(st);
  size_t unsent = st->tx.len - st->tx_given;
  size_t cnt = zq_buf_peek(&st->tx, st->tx_given, (struct iovec *)vec, veccnt, unsent);
  size_t total = 0;
  for (size_t i = 0; i < cnt; i++) total += vec[i].len;
  st->tx_given += total;
  /* Senders that wait for room (gRPC streaming) count unsent bytes: tell them at once. */
  if (total) zq_ctx_notify(st->conn->ctx);
  if (st->tx_eof && st->tx_given == st->tx.len) {
    *pflags |= NGHTTP3_DATA_FLAG_EOF;
    if (st->trailers_out.count) {
      nghttp3_nv nv[64];
      size_t n = st->trailers_out.count < 64 ? st->trailers_out.count : 64;
      for (size_t i = 0; i < n; i++) {
        nv[i] = (nghttp3_nv){(uint8_t *)st->trailers_out.names[i],
                             (uint8_t *)st->trailers_out.values[i],
                             strlen(st->trailers_out.names[i]), strlen(st->trailers_out.values[i]),
                             NGHTTP3_NV_FLAG_NONE};
      }
      *pflags |= NGHTTP3_DATA_FLAG_NO_END_STREAM;
      nghttp3_conn_submit_trailers(session, id, nv, n);
    }
    return (nghttp3_ssize)cnt;
  }
  if (cnt == 0) {
    st->tx_blocked = true;
    return NGHTTP3_ERR_WOULDBLOCK;
  }
  return (nghttp3_ssize)cnt;
}

void zq_h3_sink_deliver(zq_h3_stream *st, const uint8_t *data, size_t len) {
  if (st->sink_error) return;
  int rc = st->sink(st->sink_user, data, len);
  if (rc == ZQUIC_OK) return;
  st->sink_error = rc < 0 ? rc : ZQUIC_ERR_CANCELLED;
  reset_stream(st, NGHTTP3_H3_REQUEST_CANCELLED);
  zq_conn_schedule(st->conn);
  zq_ctx_notify(st->conn->ctx);
}

/* ---- nghttp3 callbacks --------------------------------------------------------------------- */

static void give_credit(zquic_connection *conn, int64_t id, size_t n) {
  if (!conn->qc || n == 0) return;
  ngtcp2_conn_extend_max_stream_offset(conn->qc, id, n);
  ngtcp2_conn_extend_max_offset(conn->qc, n);
}

void zq_h3_credit(zq_h3_stream *st, size_t n) {
  zquic_connection *conn = st->conn;
  if (!conn->qc || n == 0) return;
  /* After the stream closed only the connection's share of the credit still matters, but it
   * does: those bytes counted against the connection window. */
  if (!st->closed) ngtcp2_conn_extend_max_stream_offset(conn->qc, st->id, n);
  ngtcp2_conn_extend_max_offset(conn->qc, n);
  zq_conn_schedule_credit(conn, n);
}

static int acked_cb(nghttp3_conn *s, int64_t id, uint64_t datalen, void *cu, void *su) {
  (void)s;
  (void)id;
  (void)cu;
  zq_h3_stream *st = su;
  if (!st) return 0;
  zq_buf_consume(&st->tx, (size_t)datalen);
  st->tx_given -= (size_t)datalen;
  if (st->tx_blocked && (st->source || st->tx.len > st->tx_given)) zq_h3_stream_resume(st);
  if (st->hooks && st->hooks->on_acked) st->hooks->on_acked(st, st->hooks_user);
  zq_ctx_notify(st->conn->ctx);
  return 0;
}

static int stream_close_cb(nghttp3_conn *s, int64_t id, uint64_t app_error, void *cu, void *su) {
  (void)s;
  (void)id;
  (void)cu;
  zq_h3_stream *st = su;
  if (!st) return 0;
  st->closed = true;
  if (app_error != NGHTTP3_H3_NO_ERROR && !st->fin_received) {
    st->reset = true;
    st->reset_code = app_error;
  }
  zq_ctx_notify(st->conn->ctx);
  if (!st->is_client) {
    zq_h3_server_on_close(st);
  } else if (st->hooks) {
    st->hooks->on_close(st, st->hooks_user);
  } else if (!st->user_held) {
    zq_h3_stream_free(st);
  }
  return 0;
}

static int recv_data_cb(nghttp3_conn *s, int64_t id, const uint8_t *data, size_t len, void *cu,
                        void *su) {
  (void)s;
  zq_h3 *h3 = cu;
  zq_h3_stream *st = su;
  if (!st) return 0;
  if (st->is_client) {
    if (st->hooks) {
      if (st->hooks->on_data(st, data, len, st->hooks_user)) give_credit(h3->conn, id, len);
      return 0;
    }
    if (st->user_held && st->sink) {
      /* No notify: the reader waits for the end, not for each chunk (that wake-up per chunk
       * was most of what the sink saves). */
      zq_h3_sink_deliver(st, data, len);
    } else if (st->user_held) {
      if (zq_buf_append(&st->rx, data, len) != 0) return NGHTTP3_ERR_CALLBACK_FAILURE;
      zq_ctx_notify(st->conn->ctx);
      return 0;
    }
  } else {
    zq_h3_server_on_body(st, data, len);
    if (st->hold_credit) return 0; /* the handler gives it back with zq_h3_credit */
  }
  give_credit(h3->conn, id, len);
  return 0;
}

static int deferred_consume_cb(nghttp3_conn *s, int64_t id, size_t consumed, void *cu, void *su) {
  (void)s;
  (void)su;
  zq_h3 *h3 = cu;
  give_credit(h3->conn, id, consumed);
  return 0;
}

static int begin_headers_cb(nghttp3_conn *s, int64_t id, void *cu, void *su) {
  zq_h3 *h3 = cu;
  if (!h3->server || su) return 0;
  zq_h3_stream *st = zq_h3_stream_new(h3->conn, id, false);
  if (!st) return NGHTTP3_ERR_CALLBACK_FAILURE;
  nghttp3_conn_set_stream_user_data(s, id, st);
  return 0;
}

static int recv_header_cb(nghttp3_conn *s, int64_t id, int32_t token, nghttp3_rcbuf *name,
                          nghttp3_rcbuf *value, uint8_t flags, void *cu, void *su) {
  (void)s;
  (void)id;
  (void)token;
  (void)flags;
  (void)cu;
  zq_h3_stream *st = su;
  if (!st) return 0;
  nghttp3_vec n = nghttp3_rcbuf_get_buf(name), v = nghttp3_rcbuf_get_buf(value);
  zq_fields *f = st->trailers_phase ? &st->trailers : &st->headers;
  if (f->count >= 256) return NGHTTP3_ERR_CALLBACK_FAILURE; /* field count limit */
  if (zq_fields_add(f, n.base, n.len, v.base, v.len) != 0) return NGHTTP3_ERR_CALLBACK_FAILURE;
  if (st->is_client && !st->trailers_phase && n.len == 7 && memcmp(n.base, ":status", 7) == 0)
    st->status = atoi(f->values[f->count - 1]);
  return 0;
}

static int end_headers_cb(nghttp3_conn *s, int64_t id, int fin, void *cu, void *su) {
  (void)s;
  (void)id;
  (void)cu;
  zq_h3_stream *st = su;
  if (!st) return 0;
  if (st->is_client) {
    if (st->status >= 100 && st->status < 200) { /* interim response: wait for the final one */
      zq_fields_clear(&st->headers);
      st->status = 0;
      return 0;
    }
    st->headers_done = true;
    if (st->hooks) st->hooks->on_headers(st, st->hooks_user);
    zq_ctx_notify(st->conn->ctx);
  } else {
    st->headers_done = true;
    st->headers_fin = fin != 0;
    zq_h3_server_on_headers(st);
  }
  return 0;
}

static int begin_trailers_cb(nghttp3_conn *s, int64_t id, void *cu, void *su) {
  (void)s;
  (void)id;
  (void)cu;
  zq_h3_stream *st = su;
  if (st) st->trailers_phase = true;
  return 0;
}

static int end_trailers_cb(nghttp3_conn *s, int64_t id, int fin, void *cu, void *su) {
  (void)s;
  (void)id;
  (void)fin;
  (void)cu;
  (void)su;
  return 0;
}

static int end_stream_cb(nghttp3_conn *s, int64_t id, void *cu, void *su) {
  (void)s;
  (void)id;
  (void)cu;
  zq_h3_stream *st = su;
  if (!st) return 0;
  st->fin_received = true;
  if (!st->is_client) zq_h3_server_on_end(st);
  else if (st->hooks) st->hooks->on_end(st, st->hooks_user);
  zq_ctx_notify(st->conn->ctx);
  return 0;
}

static int reset_stream_cb(nghttp3_conn *s, int64_t id, uint64_t app_error, void *cu, void *su) {
  (void)s;
  zq_h3 *h3 = cu;
  zq_h3_stream *st = su;
  if (st) {
    st->reset = true;
    st->reset_code = app_error;
    zq_ctx_notify(h3->conn->ctx);
  }
  if (h3->conn->qc) ngtcp2_conn_shutdown_stream_write(h3->conn->qc, 0, id, app_error);
  return 0;
}

static int stop_sending_cb(nghttp3_conn *s, int64_t id, uint64_t app_error, void *cu, void *su) {
  (void)s;
  (void)su;
  zq_h3 *h3 = cu;
  if (h3->conn->qc) ngtcp2_conn_shutdown_stream_read(h3->conn->qc, 0, id, app_error);
  return 0;
}

static const nghttp3_callbacks h3_callbacks = {
  .acked_stream_data = acked_cb,
  .stream_close = stream_close_cb,
  .recv_data = recv_data_cb,
  .deferred_consume = deferred_consume_cb,
  .begin_headers = begin_headers_cb,
  .recv_header = recv_header_cb,
  .end_headers = end_headers_cb,
  .begin_trailers = begin_trailers_cb,
  .recv_trailer = recv_header_cb,
  .end_trailers = end_trailers_cb,
  .stop_sending = stop_sending_cb,
  .end_stream = end_stream_cb,
  .reset_stream = reset_stream_cb,
};

/* ---- session set-up ------------------------------------------------------------------------ */

static int attach(zquic_connection *conn, bool server) {
  if (conn->h3) return ZQUIC_OK;
  zq_h3 *h3 = calloc(1, sizeof(*h3));
  if (!h3) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  h3->conn = conn;
  h3->server = server;
  nghttp3_settings settings;
  nghttp3_settings_default(&settings);
  settings.qpack_max_dtable_capacity = 4096;
  settings.qpack_blocked_streams = 100;
  settings.max_field_section_size = (uint64_t)64 * 1024;
  const nghttp3_mem *mem = &conn->ctx->h3_mem.mem;
  int rv = server ? nghttp3_conn_server_new(&h3->session, &h3_callbacks, &settings, mem, h3)
                  : nghttp3_conn_client_new(&h3->session, &h3_callbacks, &settings, mem, h3);
  if (rv != 0) {
    free(h3);
    return zq_error(ZQUIC_ERR_NO_MEMORY, "nghttp3 session: %s", nghttp3_strerror(rv));
  }
  if (server)
    nghttp3_conn_set_max_client_streams_bidi(h3->session, conn->ctx->config.max_streams_bidi);
  int64_t ctrl, enc, dec;
  if (ngtcp2_conn_open_uni_stream(conn->qc, &ctrl, NULL) != 0 ||
      ngtcp2_conn_open_uni_stream(conn->qc, &enc, NULL) != 0 ||
      ngtcp2_conn_open_uni_stream(conn->qc, &dec, NULL) != 0 ||
      nghttp3_conn_bind_control_stream(h3->session, ctrl) != 0 ||
      nghttp3_conn_bind_qpack_streams(h3->session, enc, dec) != 0) {
    nghttp3_conn_del(h3->session);
    free(h3);
    return zq_error(ZQUIC_ERR_PROTOCOL, "HTTP/3: cannot open control streams (peer allows too few "
                                        "unidirectional streams)");
  }
  conn->h3 = h3;
  zq_conn_schedule(conn);
  return ZQUIC_OK;
}

int zq_h3_server_attach(zquic_connection *conn) { return attach(conn, true); }
int zq_h3_client_attach(zquic_connection *conn) { return attach(conn, false); }

void zq_h3_free(zquic_connection *conn) {
  zq_h3 *h3 = conn->h3;
  if (!h3) return;
  conn->h3 = NULL;
  nghttp3_conn_del(h3->session);
  /* nghttp3 does not report stream closure on deletion: release what it still pointed at. */
  zq_list_node *n, *tmp;
  zq_list_for_each_safe(n, tmp, &conn->h3_streams) {
    zq_h3_stream *st = zq_container_of(n, zq_h3_stream, node);
    st->closed = true;
    if (!st->is_client) {
      zq_h3_server_on_close(st);
    } else if (st->hooks) {
      st->hooks->on_close(st, st->hooks_user);
    } else if (!st->user_held) {
      zq_h3_stream_free(st);
    }
  }
  free(h3);
}

void zq_h3_early_data_rejected(zquic_connection *conn) {
  zq_list_node *n, *tmp;
  zq_list_for_each_safe(n, tmp, &conn->h3_streams) {
    zq_container_of(n, zq_h3_stream, node)->early_rejected = true;
  }
  zq_h3_free(conn); /* handshake_completed attaches a new session */
}

void zq_h3_submit_goaway(zquic_connection *conn) {
  if (!conn->h3) return;
  nghttp3_conn_submit_shutdown_notice(conn->h3->session);
  nghttp3_conn_shutdown(conn->h3->session);
  zq_conn_schedule(conn);
}

void zq_h3_free_abandoned(zquic_connection *conn) {
  zq_list_node *n, *tmp;
  zq_list_for_each_safe(n, tmp, &conn->h3_streams) {
    zq_h3_stream_free(zq_container_of(n, zq_h3_stream, node));
  }
}

/* ---- glue called from the ngtcp2 callbacks (conn.c) and the write loop (conn_io.c) --------- */

int zq_h3_on_stream_data(zquic_connection *conn, int64_t id, uint32_t flags, const uint8_t *data,
                         size_t len) {
  nghttp3_ssize n = nghttp3_conn_read_stream(conn->h3->session, id, data, len,
                                             (flags & NGTCP2_STREAM_DATA_FLAG_FIN) != 0);
  if (n < 0) {
    conn->app_close_error = nghttp3_err_infer_quic_app_error_code((int)n);
    snprintf(conn->close_reason, sizeof(conn->close_reason), "HTTP/3 error: %s",
             nghttp3_strerror((int)n));
    conn->close_code = ZQUIC_ERR_PROTOCOL;
    return NGTCP2_ERR_CALLBACK_FAILURE;
  }
  give_credit(conn, id, (size_t)n);
  return 0;
}

int zq_h3_on_acked(zquic_connection *conn, int64_t id, uint64_t datalen) {
  return nghttp3_conn_add_ack_offset(conn->h3->session, id, datalen) ? NGTCP2_ERR_CALLBACK_FAILURE
                                                                     : 0;
}

int zq_h3_on_stream_close(zquic_connection *conn, int64_t id, uint64_t app_error) {
  if (!app_error) app_error = NGHTTP3_H3_NO_ERROR;
  int rv = nghttp3_conn_close_stream(conn->h3->session, id, app_error);
  if (rv != 0 && rv != NGHTTP3_ERR_STREAM_NOT_FOUND) {
    conn->app_close_error = nghttp3_err_infer_quic_app_error_code(rv);
    return NGTCP2_ERR_CALLBACK_FAILURE;
  }
  return 0;
}

int zq_h3_on_stream_reset(zquic_connection *conn, int64_t id) {
  return nghttp3_conn_shutdown_stream_read(conn->h3->session, id) ? NGTCP2_ERR_CALLBACK_FAILURE : 0;
}

int zq_h3_on_stop_sending(zquic_connection *conn, int64_t id) {
  return zq_h3_on_stream_reset(conn, id);
}

int zq_h3_on_extend_max_stream_data(zquic_connection *conn, int64_t id) {
  return nghttp3_conn_unblock_stream(conn->h3->session, id) ? NGTCP2_ERR_CALLBACK_FAILURE : 0;
}

void zq_h3_on_extend_max_streams(zquic_connection *conn) {
  zq_list_node *n;
  while ((n = zq_list_pop_front(&conn->stream_waiters))) {
    zq_stream_waiter *w = zq_container_of(n, zq_stream_waiter, node);
    if (!w->ready(w, false)) {
      zq_list_push_front(&conn->stream_waiters, n); /* still none: it keeps its place */
      break;
    }
  }
  zq_ctx_notify(conn->ctx);
}

nghttp3_ssize zq_h3_writev(zquic_connection *conn, int64_t *id, int *fin, nghttp3_vec *vec,
                           size_t veccnt) {
  return nghttp3_conn_writev_stream(conn->h3->session, id, fin, vec, veccnt);
}

int zq_h3_wrote(zquic_connection *conn, int64_t id, size_t n) {
  return nghttp3_conn_add_write_offset(conn->h3->session, id, n);
}

void zq_h3_blocked(zquic_connection *conn, int64_t id) {
  nghttp3_conn_block_stream(conn->h3->session, id);
}

void zq_h3_shutdown_write(zquic_connection *conn, int64_t id) {
  nghttp3_conn_shutdown_stream_write(conn->h3->session, id);
}
