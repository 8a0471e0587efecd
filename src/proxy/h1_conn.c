/*
 * h1_conn.c — one TCP connection to an HTTP/1.1 backend, on the context's libuv loop: resolving
 * and connecting (with the connect timeout), writing a request's bytes, reading and parsing its
 * response (h1_parse.c), the response timeout, pausing, and watching an idle connection (any
 * byte, EOF or error while idle ends it: a backend may close a kept-alive connection whenever it
 * likes). Every libuv callback here takes ctx->lock and flushes dirty QUIC connections before
 * letting go, as src/dns/forward.c does: the owner's callbacks queue HTTP/3 data.
 *
 * Failures found while starting something (a refused uv_tcp_connect, a write that libuv refuses
 * at once) are reported through the `soon` timer fired at once, so that no owner callback ever
 * runs inside zq_h1_request_start or zq_h1_request_write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h1_internal.h"

#define MAX_WRITE_IOVECS 16

/* ---- locking, closing, failing ------------------------------------------------------------- */

static zquic_context *lock(zq_h1_conn *c) {
  zquic_context *ctx = c->pool->ctx; /* kept: the pool may go while the callback runs */
  pthread_mutex_lock(&ctx->lock);
  return ctx;
}

static void unlock(zquic_context *ctx) {
  zq_ctx_flush_dirty(ctx); /* response bytes handed on queued HTTP/3 data: send it now */
  zq_ctx_unlock(ctx);
}

static void conn_free_if_closed(zq_h1_conn *c) {
  if (c->open_handles > 0) return;
  zq_h1_pool *p = c->pool;
  zq_list_remove(&p->conns, &c->node);
  zq_h1_response_parser_clear(&c->parser);
  free(c->pending);
  free(c);
  if (p->freeing && zq_list_empty(&p->conns)) free(p);
}

static void on_handle_closed(uv_handle_t *h) {
  zq_h1_conn *c = h->data;
  c->open_handles--;
  conn_free_if_closed(c);
}

void zq_h1_conn_close(zq_h1_conn *c) {
  if (c->state == ZQ_H1_CLOSING) return;
  zq_h1_pool *p = c->pool;
  if (c->state == ZQ_H1_IDLE) zq_list_remove(&p->idle, &c->idle_node);
  c->state = ZQ_H1_CLOSING;
  p->n_open--;
  if (c->req) {
    c->req->conn = NULL;
    c->req = NULL;
  }
  if (c->resolving) uv_cancel((uv_req_t *)&c->resolve); /* else its callback frees the result */
  uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
  uv_close((uv_handle_t *)&c->timer, on_handle_closed);
  uv_close((uv_handle_t *)&c->response_timer, on_handle_closed);
  uv_close((uv_handle_t *)&c->soon, on_handle_closed);
}

/* Close the connection and hand its request the failure. */
static void conn_failed(zq_h1_conn *c, int code, bool connect_failed, const char *detail) {
  zq_h1_request *r = c->req;
  bool reused = c->reused;
  char text[sizeof(c->fail_detail)];
  snprintf(text, sizeof(text), "%s", detail); /* detail may live in the connection */
  zq_h1_conn_close(c);
  if (r) zq_h1_request_failed(r, code, connect_failed, reused, text);
}

static void on_soon(uv_timer_t *t);

/* Report a failure from the loop, not from inside the caller's call. */
static void defer_failure(zq_h1_conn *c, int code, bool connect_failed, const char *what, int uverr) {
  if (c->fail_code) return;
  c->fail_code = code;
  c->fail_connect = connect_failed;
  snprintf(c->fail_detail, sizeof(c->fail_detail), "%s %s: %s", what, c->pool->address,
           uv_strerror(uverr));
  uv_timer_start(&c->soon, on_soon, 0, 0);
}

void zq_h1_conn_fail_soon(zq_h1_conn *c, int code, const char *detail) {
  if (c->fail_code || c->state == ZQ_H1_CLOSING) return;
  c->fail_code = code;
  c->fail_connect = false;
  snprintf(c->fail_detail, sizeof(c->fail_detail), "%s", detail);
  uv_timer_start(&c->soon, on_soon, 0, 0);
}

/* ---- reading ------------------------------------------------------------------------------- */

static bool on_parsed_response(void *user, int status, const zquic_h3_header *fields, size_t n) {
  zq_h1_conn *c = user;
  zq_h1_request *r = c->req;
  uv_timer_stop(&c->response_timer);
  r->cb.on_response(r, status, fields, n, r->user);
  return c->req == r && !r->paused; /* stop when it was cancelled or paused */
}

static bool on_parsed_body(void *user, const uint8_t *data, size_t len) {
  zq_h1_conn *c = user;
  zq_h1_request *r = c->req;
  if (r->cb.on_body) r->cb.on_body(r, data, len, r->user);
  return c->req == r && !r->paused;
}

static void on_parsed_end(void *user, const zquic_h3_header *trailers, size_t n) {
  zq_h1_conn *c = user;
  zq_h1_request_finish(c->req, trailers, n);
}

static const zq_h1_parser_callbacks parser_callbacks = {on_parsed_response, on_parsed_body,
                                                        on_parsed_end};

static void start_reading(zq_h1_conn *c);
static void stop_reading(zq_h1_conn *c);

/* Parse response bytes; keeps what a pause left unparsed. */
static void feed(zq_h1_conn *c, const uint8_t *data, size_t len) {
  size_t used = 0;
  int rc = zq_h1_response_parser_feed(&c->parser, data, len, &used);
  if (rc) {
    if (c->req) conn_failed(c, rc, false, c->parser.detail);
    else zq_h1_conn_close(c);
    return;
  }
  if (c->state == ZQ_H1_CLOSING) return; /* cancelled, or ended and not reusable */
  if (!c->req) { /* the response ended and the connection may be kept */
    if (used < len) zq_h1_conn_close(c); /* the backend sent more than one answer */
    else zq_h1_conn_park(c);
    return;
  }
  if (used < len) { /* paused in the middle of this read */
    stop_reading(c);
    uint8_t *rest = malloc(len - used);
    if (!rest) {
      conn_failed(c, ZQUIC_ERR_NO_MEMORY, false, "out of memory keeping paused response bytes");
      return;
    }
    memcpy(rest, data + used, len - used);
    c->pending = rest;
    c->pending_len = len - used;
  }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  zq_h1_conn *c = h->data;
  buf->base = (char *)c->pool->read_buf;
  buf->len = sizeof(c->pool->read_buf);
}

static void on_eof(zq_h1_conn *c) {
  zq_h1_request *r = c->req;
  int rc = zq_h1_response_parser_eof(&c->parser); /* may end a body delimited by the close */
  if (rc && c->req == r) conn_failed(c, rc, false, c->parser.detail);
  else if (c->state != ZQ_H1_CLOSING) zq_h1_conn_close(c); /* nothing more can come */
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  zq_h1_conn *c = s->data;
  zquic_context *ctx = lock(c);
  if (nread == 0 || c->state == ZQ_H1_CLOSING) goto out;
  if (c->state != ZQ_H1_BUSY || !c->req) { /* idle: a close, a reset or bytes nobody asked for */
    zq_h1_conn_close(c);
    goto out;
  }
  if (nread == UV_EOF) {
    on_eof(c);
  } else if (nread < 0) {
    char text[ZQ_H1_DETAIL_MAX];
    snprintf(text, sizeof(text), "reading from %s: %s", c->pool->address, uv_strerror((int)nread));
    conn_failed(c, ZQUIC_ERR_SOCKET, false, text);
  } else {
    zq_h1_request *r = c->req;
    if (!r->response_started) { /* a retry is out of the question now: drop the copy */
      r->response_started = true;
      zq_buf_consume(&r->out, r->kept);
      r->kept = 0;
    }
    feed(c, (const uint8_t *)buf->base, (size_t)nread);
  }
out:
  unlock(ctx);
}

static void start_reading(zq_h1_conn *c) {
  if (c->reading) return;
  int rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
  if (rc) defer_failure(c, ZQUIC_ERR_SOCKET, false, "reading from", rc);
  else c->reading = true;
}

static void stop_reading(zq_h1_conn *c) {
  uv_read_stop((uv_stream_t *)&c->tcp);
  c->reading = false;
}

/* Parse the bytes a pause left behind, then read again unless paused anew. */
static void resume_pending(zq_h1_conn *c) {
  uint8_t *bytes = c->pending;
  size_t len = c->pending_len;
  c->pending = NULL; /* feed() may keep a new remainder */
  c->pending_len = 0;
  feed(c, bytes, len);
  free(bytes);
  if (c->state == ZQ_H1_BUSY && c->req && !c->req->paused && !c->pending) start_reading(c);
}

static void on_soon(uv_timer_t *t) {
  zq_h1_conn *c = t->data;
  zquic_context *ctx = lock(c);
  if (c->state == ZQ_H1_CLOSING) goto out;
  if (c->fail_code) conn_failed(c, c->fail_code, c->fail_connect, c->fail_detail);
  else if (c->pending && c->req && !c->req->paused) resume_pending(c);
out:
  unlock(ctx);
}

void zq_h1_conn_set_paused(zq_h1_conn *c, bool paused) {
  if (c->state != ZQ_H1_BUSY || !c->connected) return; /* connecting: reading starts later */
  if (paused) stop_reading(c);
  else if (c->pending) uv_timer_start(&c->soon, on_soon, 0, 0); /* not inside the caller's call */
  else start_reading(c);
}

/* ---- writing ------------------------------------------------------------------------------- */

static void on_written(uv_write_t *req, int status) {
  zq_h1_conn *c = req->data;
  zquic_context *ctx = lock(c);
  if (c->state == ZQ_H1_CLOSING) goto out; /* cancelled by the close */
  c->write_in_flight = false;
  zq_h1_request *r = c->req;
  if (status < 0) {
    char text[ZQ_H1_DETAIL_MAX];
    snprintf(text, sizeof(text), "writing to %s: %s", c->pool->address, uv_strerror(status));
    conn_failed(c, ZQUIC_ERR_SOCKET, false, text);
    goto out;
  }
  if (!r) goto out;
  zq_h1_request_sent(r, c->in_flight);
  zq_h1_conn_write_more(c);
  if (r->want_writable && r->out.len - r->kept < ZQ_H1_WRITE_HIGH_WATER / 2) {
    r->want_writable = false;
    if (r->cb.on_writable) r->cb.on_writable(r, r->user);
  }
out:
  unlock(ctx);
}

void zq_h1_conn_write_more(zq_h1_conn *c) {
  zq_h1_request *r = c->req;
  if (!r || c->state != ZQ_H1_BUSY || c->write_in_flight || r->out.len == r->kept) return;
  struct iovec iov[MAX_WRITE_IOVECS];
  uv_buf_t bufs[MAX_WRITE_IOVECS];
  size_t n = zq_buf_peek(&r->out, r->kept, iov, MAX_WRITE_IOVECS, ZQ_H1_WRITE_HIGH_WATER);
  size_t total = 0;
  for (size_t i = 0; i < n; i++) {
    bufs[i] = uv_buf_init(iov[i].iov_base, (unsigned)iov[i].iov_len);
    total += iov[i].iov_len;
  }
  c->write_req.data = c;
  int rc = uv_write(&c->write_req, (uv_stream_t *)&c->tcp, bufs, (unsigned)n, on_written);
  if (rc) {
    defer_failure(c, ZQUIC_ERR_SOCKET, false, "writing to", rc);
    return;
  }
  c->write_in_flight = true;
  c->in_flight = total;
}

/* ---- connecting ---------------------------------------------------------------------------- */

static void on_connect_or_idle_timeout(uv_timer_t *t) {
  zq_h1_conn *c = t->data;
  zquic_context *ctx = lock(c);
  if (c->state == ZQ_H1_IDLE) {
    zq_h1_conn_close(c);
  } else if (c->state == ZQ_H1_RESOLVING || c->state == ZQ_H1_CONNECTING) {
    char text[ZQ_H1_DETAIL_MAX];
    snprintf(text, sizeof(text), "connecting to %s timed out after %u ms", c->pool->address,
             (unsigned)c->pool->opts.connect_timeout_ms);
    conn_failed(c, ZQUIC_ERR_TIMEOUT, true, text);
  }
  unlock(ctx);
}

static void on_response_timeout(uv_timer_t *t) {
  zq_h1_conn *c = t->data;
  zquic_context *ctx = lock(c);
  if (c->state != ZQ_H1_CLOSING && c->req) {
    char text[ZQ_H1_DETAIL_MAX];
    snprintf(text, sizeof(text), "no response from %s within %u ms", c->pool->address,
             (unsigned)c->pool->opts.response_timeout_ms);
    conn_failed(c, ZQUIC_ERR_TIMEOUT, !c->connected, text);
  }
  unlock(ctx);
}

static void on_connected(uv_connect_t *req, int status) {
  zq_h1_conn *c = req->data;
  zquic_context *ctx = lock(c);
  if (c->state == ZQ_H1_CLOSING) goto out; /* UV_ECANCELED */
  if (status < 0) {
    char text[ZQ_H1_DETAIL_MAX];
    snprintf(text, sizeof(text), "connecting to %s: %s", c->pool->address, uv_strerror(status));
    conn_failed(c, ZQUIC_ERR_SOCKET, true, text);
    goto out;
  }
  uv_timer_stop(&c->timer);
  uv_tcp_nodelay(&c->tcp, 1); /* request heads are small and must not wait for an ACK */
  c->connected = true;
  c->state = ZQ_H1_BUSY;
  if (!c->req->paused) start_reading(c);
  zq_h1_conn_write_more(c);
out:
  unlock(ctx);
}

static void start_connect(zq_h1_conn *c, const struct sockaddr *to) {
  c->state = ZQ_H1_CONNECTING;
  c->connect_req.data = c;
  int rc = uv_tcp_connect(&c->connect_req, &c->tcp, to, on_connected);
  if (rc) defer_failure(c, ZQUIC_ERR_SOCKET, true, "connecting to", rc);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
  zq_h1_conn *c = req->data;
  zquic_context *ctx = lock(c);
  c->resolving = false;
  c->open_handles--;
  if (c->state == ZQ_H1_CLOSING) {
    uv_freeaddrinfo(res);
    conn_free_if_closed(c);
    goto out;
  }
  if (status < 0 || !res) {
    char text[ZQ_H1_DETAIL_MAX];
    snprintf(text, sizeof(text), "cannot resolve %s: %s", c->pool->address,
             uv_strerror(status < 0 ? status : UV_EAI_NONAME));
    conn_failed(c, ZQUIC_ERR_SOCKET, true, text);
  } else {
    start_connect(c, res->ai_addr); /* the first address; a pool per backend keeps it simple */
  }
  uv_freeaddrinfo(res);
out:
  unlock(ctx);
}

static void init_handles(zq_h1_conn *c, uv_loop_t *loop) {
  uv_tcp_init(loop, &c->tcp);
  uv_timer_init(loop, &c->timer);
  uv_timer_init(loop, &c->response_timer);
  uv_timer_init(loop, &c->soon);
  c->tcp.data = c->timer.data = c->response_timer.data = c->soon.data = c;
  c->open_handles = 4;
}

/* The request's parser and response deadline on this connection. */
static void attach(zq_h1_conn *c, zq_h1_request *r) {
  zq_h1_pool *p = c->pool;
  c->req = r;
  r->conn = c;
  zq_h1_response_parser_clear(&c->parser);
  zq_h1_response_parser_init(&c->parser, p->opts.max_response_header_bytes, r->head,
                             &parser_callbacks, c);
  uint64_t now = uv_now(&p->ctx->loop);
  uint64_t left = r->deadline_ms > now ? r->deadline_ms - now : 1;
  uv_timer_start(&c->response_timer, on_response_timeout, left, 0);
}

zq_h1_conn *zq_h1_conn_open(zq_h1_pool *p, zq_h1_request *r) {
  zq_h1_conn *c = calloc(1, sizeof(*c));
  if (!c) return NULL;
  c->pool = p;
  zq_list_push_back(&p->conns, &c->node);
  p->n_open++;
  uv_loop_t *loop = &p->ctx->loop;
  init_handles(c, loop);
  attach(c, r);
  uv_timer_start(&c->timer, on_connect_or_idle_timeout, p->opts.connect_timeout_ms, 0);
  if (p->numeric) {
    start_connect(c, (const struct sockaddr *)&p->addr.ss);
    return c;
  }
  c->state = ZQ_H1_RESOLVING;
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  c->resolve.data = c;
  int rc = uv_getaddrinfo(loop, &c->resolve, on_resolved, p->host, p->port_text, &hints);
  if (rc == 0) {
    c->resolving = true;
    c->open_handles++;
  } else {
    defer_failure(c, ZQUIC_ERR_SOCKET, true, "resolving", rc);
  }
  return c;
}

void zq_h1_conn_reuse(zq_h1_conn *c, zq_h1_request *r) {
  uv_timer_stop(&c->timer); /* the idle timeout */
  c->state = ZQ_H1_BUSY;
  attach(c, r);
  /* It kept reading while idle (to notice a close); it goes on unless the request is paused. */
  if (r->paused) stop_reading(c);
  zq_h1_conn_write_more(c);
}

void zq_h1_conn_park(zq_h1_conn *c) {
  zq_h1_pool *p = c->pool;
  if (p->freeing || p->idle.size >= p->opts.max_idle) {
    zq_h1_conn_close(c);
    return;
  }
  c->state = ZQ_H1_IDLE;
  c->reused = true;
  zq_list_push_front(&p->idle, &c->idle_node);
  uv_timer_start(&c->timer, on_connect_or_idle_timeout, p->opts.idle_timeout_ms, 0);
  start_reading(c); /* a pause may have stopped it; while idle any event ends the connection */
}
