/*
 * doq_server.c — DNS over QUIC (RFC 9250), the server's transport: one query per
 * client-initiated bidirectional stream, a 2-octet length prefix, the answer and STREAM FIN back.
 *
 * It is a zq_stream_service: the core hands every peer stream here on the loop thread. The rules
 * RFC 9250 makes MUSTs are enforced here, the rest is left to the handler:
 *  - a unidirectional stream from the client, bytes beyond the announced length, or FIN before
 *    the whole message close the connection with DOQ_PROTOCOL_ERROR;
 *  - a query whose FIN does not follow within no_fin_timeout_ms gets its stream reset with
 *    DOQ_PROTOCOL_ERROR (a server may wait for FIN; waiting forever would pin the stream);
 *  - a stream the client resets or stops is abandoned: the handler's on_cancel runs and no
 *    answer is sent.
 * Closing a connection from inside a transport callback would free ngtcp2 state under it, so
 * protocol errors ask the write loop to close (close_requested), which it does right after.
 */
#include <stdlib.h>
#include <string.h>

#include "doq.h"

#define MAX_QUERY 65535

struct zq_doq_query {
  zq_list_node node;      /* srv->waiting_fin while the FIN is late */
  zq_doq_server *srv;
  zquic_stream *s;        /* NULL once the stream is gone */
  uint8_t *buf;           /* length prefix + message as it arrives */
  size_t have, need;      /* need = 2 + announced length once known */
  bool dispatched;        /* handed to the handler */
  uint64_t fin_deadline_ns;
  void *user;
  char peer[64];
};

struct zq_doq_server {
  zquic_context *ctx;
  zquic_server *quic;
  zq_doq_handler handler;
  uint32_t no_fin_timeout_ms;
  zq_list waiting_fin;
  uv_timer_t timer;
  zq_doq_stats stats;
};

static void query_free(zq_doq_query *q) {
  zq_list_remove(&q->srv->waiting_fin, &q->node);
  free(q->buf);
  free(q);
}

/* Let go of the stream; the query struct lives on while the handler holds it. */
static void release_stream(zq_doq_query *q) {
  zquic_stream *s = q->s;
  if (!s) return;
  q->s = NULL;
  s->service_state = NULL;
  s->service_held = false;
  if (!s->transport_open) zq_stream_free(s);
  /* else the stream closes by itself (answered) or was reset; zq_stream_on_closed frees it */
}

static void request_close(zquic_connection *conn, uint64_t code) {
  if (conn->close_requested || !conn->qc) return;
  conn->close_requested = true;
  conn->close_app_error = code;
  zq_conn_schedule(conn);
}

void zq_doq_protocol_error(zq_doq_query *q, const char *reason) {
  (void)reason;
  q->srv->stats.protocol_errors++;
  if (q->s) request_close(q->s->conn, ZQ_DOQ_PROTOCOL_ERROR);
  release_stream(q);
  query_free(q);
}

int zq_doq_answer(zq_doq_query *q, const uint8_t *msg, size_t len) {
  int rc = ZQUIC_OK;
  if (len > MAX_QUERY) rc = zq_error(ZQUIC_ERR_LIMIT, "DNS answer over 65535 bytes");
  if (rc == 0 && q->s) {
    uint8_t prefix[2] = {(uint8_t)(len >> 8), (uint8_t)len};
    rc = zq_stream_put(q->s, prefix, 2, false);
    if (rc == 0) rc = zq_stream_put(q->s, msg, len, true);
    if (rc == 0) q->srv->stats.answers++;
  }
  if (rc && q->s && q->s->conn->qc) /* cannot answer properly: at least do not leave it hanging */
    ngtcp2_conn_shutdown_stream(q->s->conn->qc, 0, q->s->id, ZQ_DOQ_INTERNAL_ERROR);
  release_stream(q);
  query_free(q);
  return rc;
}

static void dispatch(zq_doq_query *q) {
  zq_list_remove(&q->srv->waiting_fin, &q->node);
  q->dispatched = true;
  q->srv->stats.queries++;
  zquic_connection *conn = q->s->conn;
  bool early = conn->qc && !ngtcp2_conn_get_handshake_completed(conn->qc);
  q->srv->handler.on_query(q, q->buf + 2, q->need - 2, early, q->srv->handler.user);
}

static void arm_timer(zq_doq_server *srv);

static void on_stream(zquic_stream *s, void *user) {
  zq_doq_server *srv = user;
  /* Clients send queries on bidirectional streams only; anything else breaks the protocol. */
  if (s->id & 0x2) {
    srv->stats.protocol_errors++;
    request_close(s->conn, ZQ_DOQ_PROTOCOL_ERROR);
    return; /* the stream stays service-held; on_closed frees it */
  }
  zq_doq_query *q = calloc(1, sizeof(*q));
  if (!q) {
    request_close(s->conn, ZQ_DOQ_INTERNAL_ERROR);
    return;
  }
  q->srv = srv;
  q->s = s;
  s->service_state = q;
}

static void on_data(zquic_stream *s, void *user) {
  zq_doq_server *srv = user;
  zq_doq_query *q = s->service_state;
  if (!q) { /* refused stream, or a query already answered: drop whatever comes */
    uint8_t sink[512];
    while (zq_stream_take(s, sink, sizeof(sink)) > 0) {}
    return;
  }
  if (s->reset_received) { /* the client gave up on it */
    srv->stats.cancelled++;
    release_stream(q);
    if (q->dispatched && srv->handler.on_cancel) srv->handler.on_cancel(q, srv->handler.user);
    query_free(q);
    return;
  }
  if (q->dispatched) {
    if (s->rx.len) zq_doq_protocol_error(q, "bytes after the query"); /* after its FIN: cannot */
    return;
  }
  while (s->rx.len) {
    if (!q->buf && !(q->buf = malloc(2 + MAX_QUERY))) {
      request_close(s->conn, ZQ_DOQ_INTERNAL_ERROR);
      return;
    }
    size_t want = q->need ? q->need - q->have : 2 - q->have;
    if (want == 0) { /* more than the announced length */
      zq_doq_protocol_error(q, "data beyond the announced length");
      return;
    }
    q->have += zq_stream_take(s, q->buf + q->have, want);
    if (!q->need && q->have == 2) q->need = 2 + ((size_t)q->buf[0] << 8 | q->buf[1]);
  }
  bool complete = q->need && q->have == q->need && q->need > 2;
  if (s->fin_received) {
    if (!complete) zq_doq_protocol_error(q, "FIN before the whole query");
    else dispatch(q);
    return;
  }
  if (complete && !zq_list_node_linked(&q->node) && srv->no_fin_timeout_ms) {
    q->fin_deadline_ns = zq_now_ns() + (uint64_t)srv->no_fin_timeout_ms * 1000000;
    zq_list_push_back(&srv->waiting_fin, &q->node);
    arm_timer(srv);
  }
}

static void on_closed(zquic_stream *s, void *user) {
  zq_doq_server *srv = user;
  zq_doq_query *q = s->service_state;
  if (q) {
    release_stream(q); /* frees s: the transport is done with it */
    if (q->dispatched) {
      srv->stats.cancelled++;
      if (srv->handler.on_cancel) srv->handler.on_cancel(q, srv->handler.user);
    }
    query_free(q);
    return;
  }
  s->service_held = false;
  zq_stream_free(s);
}

static const zq_stream_service doq_service = {on_stream, on_data, on_closed, NULL};

/* Streams whose query is whole but whose FIN never came: reset them. */
static void on_timer(uv_timer_t *t) {
  zq_doq_server *srv = t->data;
  pthread_mutex_lock(&srv->ctx->lock);
  uint64_t now = zq_now_ns(), next = 0;
  zq_list_node *n, *tmp;
  zq_list_for_each_safe(n, tmp, &srv->waiting_fin) {
    zq_doq_query *q = zq_container_of(n, zq_doq_query, node);
    if (q->fin_deadline_ns > now) {
      if (!next || q->fin_deadline_ns < next) next = q->fin_deadline_ns;
      continue;
    }
    srv->stats.no_fin_resets++;
    zquic_stream *s = q->s;
    if (s && s->conn->qc) {
      ngtcp2_conn_shutdown_stream(s->conn->qc, 0, s->id, ZQ_DOQ_PROTOCOL_ERROR);
      zq_conn_schedule(s->conn);
    }
    release_stream(q);
    query_free(q);
  }
  if (next) uv_timer_start(&srv->timer, on_timer, (next - now) / 1000000 + 1, 0);
  zq_ctx_flush_dirty(srv->ctx);
  zq_ctx_unlock(srv->ctx);
}

static void arm_timer(zq_doq_server *srv) {
  zq_list_node *n = zq_list_front(&srv->waiting_fin);
  if (!n) {
    uv_timer_stop(&srv->timer);
    return;
  }
  uint64_t due = zq_container_of(n, zq_doq_query, node)->fin_deadline_ns, now = zq_now_ns();
  uv_timer_start(&srv->timer, on_timer, due > now ? (due - now) / 1000000 + 1 : 0, 0);
}

static int timer_init_on_loop(void *arg) {
  zq_doq_server *srv = arg;
  uv_timer_init(&srv->ctx->loop, &srv->timer);
  srv->timer.data = srv;
  return 0;
}

int zq_doq_server_create(zquic_context *ctx, const zquic_server_config *cfg,
                         const zq_doq_handler *handler, uint32_t no_fin_timeout_ms,
                         zq_doq_server **out) {
  *out = NULL;
  zq_doq_server *srv = calloc(1, sizeof(*srv));
  if (!srv) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  srv->ctx = ctx;
  srv->handler = *handler;
  srv->no_fin_timeout_ms = no_fin_timeout_ms;
  zq_list_init(&srv->waiting_fin);
  bool taken = zq_ctx_enter(ctx);
  int rc = zq_ctx_call(ctx, timer_init_on_loop, srv);
  zq_ctx_leave(ctx, taken);
  if (rc) {
    free(srv);
    return rc;
  }
  zquic_server_config c = *cfg;
  c.alpn = "doq";
  c.h3 = NULL;
  if ((rc = zq_server_create(ctx, &c, &doq_service, srv, &srv->quic)) != 0) {
    zq_doq_server_free(srv);
    return rc;
  }
  *out = srv;
  return ZQUIC_OK;
}

zquic_server *zq_doq_server_quic(zq_doq_server *srv) { return srv->quic; }

void zq_doq_server_stats(zq_doq_server *srv, zq_doq_stats *out) {
  bool taken = zq_ctx_enter(srv->ctx);
  *out = srv->stats;
  zq_ctx_leave(srv->ctx, taken);
}

static void on_timer_closed(uv_handle_t *h) { free(h->data); }

static int close_on_loop(void *arg) {
  zq_doq_server *srv = arg;
  zq_list_node *n, *tmp;
  zq_list_for_each_safe(n, tmp, &srv->waiting_fin) { /* streams are gone with the server */
    zq_doq_query *q = zq_container_of(n, zq_doq_query, node);
    free(q->buf);
    free(q);
  }
  uv_close((uv_handle_t *)&srv->timer, on_timer_closed);
  return 0;
}

void zq_doq_server_free(zq_doq_server *srv) {
  if (!srv) return;
  /* The server goes first: its connections close now, handing every stream back (on_closed). */
  if (srv->quic) zquic_server_free(srv->quic);
  zquic_context *ctx = srv->ctx; /* srv is freed by the loop once its timer has closed */
  bool taken = zq_ctx_enter(ctx);
  zq_ctx_call(ctx, close_on_loop, srv);
  zq_ctx_leave(ctx, taken);
}

void zq_doq_query_set_user(zq_doq_query *q, void *user) { q->user = user; }
void *zq_doq_query_get_user(const zq_doq_query *q) { return q->user; }

const char *zq_doq_query_peer(zq_doq_query *q) {
  if (q->s) snprintf(q->peer, sizeof(q->peer), "%s", zq_conn_peer(q->s->conn));
  return q->peer;
}
