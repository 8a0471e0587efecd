/*
 * events.c — readiness events: the per-connection callback of the original API and the pollable
 * event queue that async runtimes (a tokio reactor, epoll) wait on through an eventfd.
 *
 * Events are level-ish hints, not data: each says "this call would now make progress". To keep
 * the queue small and every pointer in it valid, an object has at most one pending event of each
 * type (a bit in pending_events), and releasing a handle drops its queued events
 * (zq_events_forget). The queue and the pending bits are guarded by the queue's own events_lock,
 * a leaf lock taken under ctx->lock: the worker loops of a multi-core server (workers.c) report
 * their connections' events into the queue of the context the user created, which is the only
 * one the user can see.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "internal.h"

static zquic_context *sink(zquic_context *ctx) { return ctx->event_sink ? ctx->event_sink : ctx; }

int zq_events_init(zquic_context *ctx) {
  ctx->event_fd = -1;
  if (!ctx->config.event_queue) return ZQUIC_OK;
  ctx->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (ctx->event_fd < 0) return zq_error(ZQUIC_ERR_SOCKET, "eventfd: %s", strerror(errno));
  return ZQUIC_OK;
}

void zq_events_free(zquic_context *ctx) {
  if (ctx->event_fd >= 0) close(ctx->event_fd);
  ctx->event_fd = -1;
  free(ctx->events);
  ctx->events = NULL;
  ctx->events_len = ctx->events_cap = 0;
  pthread_mutex_destroy(&ctx->events_lock);
}

static unsigned *pending_bits(zquic_server *server, zquic_connection *conn, zquic_stream *stream) {
  if (stream) return &stream->pending_events;
  if (conn) return &conn->pending_events;
  return &server->pending_events;
}

static void enqueue(zquic_context *ctx, const zquic_event *ev) {
  unsigned *bits = pending_bits(ev->server, ev->conn, ev->stream);
  unsigned bit = 1u << ev->type;
  if (*bits & bit) return; /* already waiting to be polled */
  if (ctx->events_len == ctx->events_cap) {
    size_t cap = ctx->events_cap ? ctx->events_cap * 2 : 64;
    zquic_event *grown = realloc(ctx->events, cap * sizeof(*grown));
    if (!grown) return; /* the object's state is still visible to non-blocking calls */
    ctx->events = grown;
    ctx->events_cap = cap;
  }
  ctx->events[ctx->events_len++] = *ev;
  *bits |= bit;
  uint64_t one = 1;
  ssize_t n = write(ctx->event_fd, &one, sizeof(one));
  (void)n;
}

void zq_emit(zquic_context *ctx, int type, int code, zquic_server *server, zquic_connection *conn,
             zquic_stream *stream) {
  if (stream && !stream->user_held) stream = NULL;
  if ((type == ZQUIC_EVENT_STREAM_READABLE || type == ZQUIC_EVENT_STREAM_WRITABLE) && !stream)
    return; /* nobody holds the stream: nobody to tell */
  if (conn && conn->callback && conn->user_held) conn->callback(conn, type, conn->callback_user);
  ctx = sink(ctx);
  if (ctx->event_fd < 0) return;
  if (conn && !conn->user_held) return;
  zquic_event ev = {.type = type, .code = code, .server = server, .conn = conn, .stream = stream};
  ev.user_data = stream ? stream->user_data : conn ? conn->user_data : server ? server->user_data : NULL;
  pthread_mutex_lock(&ctx->events_lock);
  enqueue(ctx, &ev);
  pthread_mutex_unlock(&ctx->events_lock);
}

void zq_events_forget(zquic_context *ctx, const void *handle) {
  ctx = sink(ctx);
  if (ctx->event_fd < 0) return;
  pthread_mutex_lock(&ctx->events_lock);
  size_t kept = 0;
  for (size_t i = 0; i < ctx->events_len; i++) {
    zquic_event *ev = &ctx->events[i];
    if (ev->server == handle || ev->conn == handle || ev->stream == handle) continue;
    ctx->events[kept++] = *ev;
  }
  ctx->events_len = kept;
  pthread_mutex_unlock(&ctx->events_lock);
}

ZQUIC_API int zquic_event_fd(zquic_context *ctx) {
  if (!ctx) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "context is NULL");
  if (ctx->event_fd < 0)
    return zq_error(ZQUIC_ERR_STATE, "the context was created without config.event_queue");
  return ctx->event_fd;
}

ZQUIC_API int zquic_poll_events(zquic_context *ctx, zquic_event *events, size_t max, size_t *count) {
  if (count) *count = 0;
  if (!ctx || !events || !count || max == 0)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "zquic_poll_events: NULL argument or max 0");
  if (ctx->event_fd < 0)
    return zq_error(ZQUIC_ERR_STATE, "the context was created without config.event_queue");
  pthread_mutex_lock(&ctx->events_lock);
  size_t n = ctx->events_len < max ? ctx->events_len : max;
  for (size_t i = 0; i < n; i++) {
    events[i] = ctx->events[i];
    /* The value now, not when the event was queued: a caller that sets it right after
     * zquic_connect_async returns must see it even if the handshake won that race. (The handle
     * is alive: freeing one forgets its events.) */
    const zquic_event *e = &events[i];
    events[i].user_data = e->stream ? e->stream->user_data
                          : e->conn ? e->conn->user_data
                          : e->server ? e->server->user_data : NULL;
    *pending_bits(events[i].server, events[i].conn, events[i].stream) &= ~(1u << events[i].type);
  }
  memmove(ctx->events, ctx->events + n, (ctx->events_len - n) * sizeof(*ctx->events));
  ctx->events_len -= n;
  if (ctx->events_len == 0) {
    uint64_t drained;
    ssize_t r = read(ctx->event_fd, &drained, sizeof(drained)); /* readable again on the next event */
    (void)r;
  }
  *count = n;
  pthread_mutex_unlock(&ctx->events_lock);
  zq_error_clear();
  return ZQUIC_OK;
}

ZQUIC_API int zquic_set_connection_callback(zquic_connection *conn, zquic_connection_callback cb,
                                            void *user) {
  if (!conn) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "connection is NULL");
  bool taken = zq_ctx_enter(conn->ctx);
  conn->callback = cb;
  conn->callback_user = user;
  zq_ctx_leave(conn->ctx, taken);
  return ZQUIC_OK;
}

ZQUIC_API void zquic_connection_set_user_data(zquic_connection *conn, void *user) {
  if (conn) conn->user_data = user;
}
ZQUIC_API void *zquic_connection_get_user_data(const zquic_connection *conn) {
  return conn ? conn->user_data : NULL;
}
ZQUIC_API void zquic_stream_set_user_data(zquic_stream *stream, void *user) {
  if (stream) stream->user_data = user;
}
ZQUIC_API void *zquic_stream_get_user_data(const zquic_stream *stream) {
  return stream ? stream->user_data : NULL;
}
ZQUIC_API void zquic_server_set_user_data(zquic_server *server, void *user) {
  if (server) server->user_data = user;
}
