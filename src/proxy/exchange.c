/*
 * exchange.c — Wraith's request path: one client request on a listener, checked, routed, sent to
 * a backend and answered with what the backend says.
 *
 * The story of a request: on_request checks it (authority, header size, rate limit, declared body
 * size), finds its route and pool, and starts an upstream to a backend the pool's balancer picks.
 * The request body streams through as it arrives: its flow-control credit is handed back to the
 * client only once the backend's side has taken the bytes, so a slow backend slows the client down
 * instead of the proxy holding the upload. The response streams back the same way: its bytes go
 * into the client stream's send buffer, and above ZQ_PX_RESPONSE_HIGH_WATER the upstream is paused
 * (its credit held back) until the client has acknowledged enough.
 *
 * Failures map to the statuses a client expects: no route 404, no healthy backend 503, a backend
 * that cannot be reached or answers garbage 502, one that does not answer in time 504. A connect
 * failure of an idempotent request that has sent no body is retried on another backend, at most
 * pool.retries times. Once the response has started, a failure can only reset the client's stream.
 *
 * An exchange lives from on_request until the client stream's on_close; it holds a reference to
 * the runtime it was routed with, so a reload in the middle does not pull its pool away.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proxy_internal.h"

#define ZQ_PX_RESPONSE_HIGH_WATER ((size_t)1 << 20) /* client send buffer: pause the backend */
#define ZQ_PX_RESPONSE_LOW_WATER ((size_t)256 << 10) /* ... and resume it below this */

typedef struct zq_px_exchange {
  zq_list_node node; /* px->exchanges */
  zq_proxy *px;
  zq_proxy_rt *rt;   /* referenced: the runtime this request was routed with */
  zq_h3_stream *st;  /* the client's exchange */
  zq_pool_rt *pool;
  zq_backend_rt *backend; /* of the current attempt (the upstream holds the reference) */
  zq_upstream *up;
  uv_timer_t *timer;      /* response deadline of the current attempt */
  const char *method, *path, *authority; /* point into st->headers */
  char client_ip[64];
  int body;               /* ZQ_H1_BODY_* of the request */
  uint64_t content_length, body_received;
  zq_buf pending;         /* request body the upstream has not taken yet */
  size_t held_credit;     /* client credit for bytes in `pending` */
  bool pending_fin, body_forwarded, request_ended;
  bool responded, paused;
  bool tried[ZQ_PROXY_MAX_BACKENDS];
  unsigned attempts;
  int status;
  uint64_t start_ns, bytes_out;
  char last_error[160];
} zq_px_exchange;

static const zq_upstream_callbacks upstream_callbacks;
static int start_attempt(zq_px_exchange *x);

/* ---- answering on the proxy's own behalf ---------------------------------------------------- */

static void count_status(zq_proxy *px, int status) {
  int cls = status / 100;
  if (cls >= 1 && cls <= 5) px->responses[cls]++;
}

static void access_log(zq_px_exchange *x) {
  FILE *f = x->px->access_log;
  if (!f) return;
  char when[32];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
  double ms = (double)(zq_now_ns() - x->start_ns) / 1e6;
  fprintf(f, "%s %s \"%s %s%s\" %d %llu %.3fms %s\n", when, x->client_ip,
          x->method ? x->method : "-", x->authority ? x->authority : "-", x->path ? x->path : "",
          x->status,
          (unsigned long long)x->bytes_out, ms, x->backend ? x->backend->conf.address : "-");
  fflush(f);
}

/* Send `status` with a one-line text body; extra fields (e.g. Retry-After) may be given. */
static void reply(zq_px_exchange *x, int status, const char *why, const zquic_h3_header *extra,
                  size_t n_extra) {
  if (x->responded || !x->st) return;
  x->responded = true;
  x->status = status;
  count_status(x->px, status);
  zquic_h3_header fields[4] = {{"content-type", "text/plain; charset=utf-8"}};
  size_t n = 1;
  for (size_t i = 0; i < n_extra && n < 4; i++) fields[n++] = extra[i];
  char body[256];
  int len = snprintf(body, sizeof(body), "%d %s\n", status, why);
  x->bytes_out = (uint64_t)len;
  zquic_h3_respond_bytes((zquic_h3_exchange *)x->st, status, fields, n, body, (size_t)len);
  /* The request body is of no use any more: ask the client to stop sending it. */
  if (!x->request_ended && x->st->conn->qc) {
    ngtcp2_conn_shutdown_stream_read(x->st->conn->qc, 0, x->st->id, NGHTTP3_H3_NO_ERROR);
    zq_conn_schedule(x->st->conn);
  }
}

/* The response had begun: all that is left is to tell the client it is cut short. */
static void abort_client(zq_px_exchange *x) {
  zq_h3_stream *st = x->st;
  if (!st || st->closed || !st->conn->qc) return;
  ngtcp2_conn_shutdown_stream(st->conn->qc, 0, st->id, NGHTTP3_H3_INTERNAL_ERROR);
  zq_conn_schedule(st->conn);
}

/* ---- the current attempt --------------------------------------------------------------------- */

static void timer_closed(uv_handle_t *h) { free(h); }

static void stop_timer(zq_px_exchange *x) {
  if (!x->timer) return;
  x->timer->data = NULL;
  uv_close((uv_handle_t *)x->timer, timer_closed);
  x->timer = NULL;
}

/* The attempt is over: the backend's in-flight count drops. */
static void end_attempt(zq_px_exchange *x) {
  stop_timer(x);
  if (x->backend && x->backend->in_flight) x->backend->in_flight--;
}

static void timed_out(uv_timer_t *t) {
  zq_px_exchange *x = t->data;
  if (!x) return;
  zquic_context *ctx = x->px->ctx;
  pthread_mutex_lock(&ctx->lock);
  zq_backend_rt *b = x->backend;
  x->px->upstream_timeouts++;
  zq_upstream_cancel(x->up);
  x->up = NULL;
  end_attempt(x);
  zq_backend_passive(b, &x->pool->conf->health, true);
  zq_px_log(x->px, "backend %s did not answer %s %s within %u ms", b->conf.address, x->method,
            x->path, x->pool->conf->response_timeout_ms);
  if (x->responded) abort_client(x);
  else reply(x, 504, "the backend did not answer in time", NULL, 0);
  zq_ctx_flush_dirty(ctx);
  zq_ctx_unlock(ctx);
}

static int arm_timer(zq_px_exchange *x) {
  x->timer = malloc(sizeof(*x->timer));
  if (!x->timer) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  uv_timer_init(&x->px->ctx->loop, x->timer);
  x->timer->data = x;
  uv_timer_start(x->timer, timed_out, x->pool->conf->response_timeout_ms, 0);
  return ZQUIC_OK;
}

/* Hand the upstream what of the request body it will take; return the client's credit for it. */
static void flush_body(zq_px_exchange *x) {
  while (x->up && x->pending.len) {
    struct iovec iov;
    if (zq_buf_peek(&x->pending, 0, &iov, 1, (size_t)64 * 1024) == 0) break;
    int rc = zq_upstream_write(x->up, iov.iov_base, iov.iov_len, false);
    if (rc == ZQUIC_ERR_WOULD_BLOCK) return; /* on_writable brings us back */
    if (rc) {
      zq_upstream_cancel(x->up);
      x->up = NULL;
      end_attempt(x);
      reply(x, 502, "the request body could not be passed on", NULL, 0);
      return;
    }
    x->body_forwarded = true;
    zq_buf_consume(&x->pending, iov.iov_len);
    size_t credit = iov.iov_len < x->held_credit ? iov.iov_len : x->held_credit;
    x->held_credit -= credit;
    if (x->st) zq_h3_credit(x->st, credit);
  }
  if (x->up && x->pending_fin && x->pending.len == 0) {
    x->pending_fin = false;
    if (zq_upstream_write(x->up, NULL, 0, true) == 0) x->body_forwarded = true;
  }
}

static size_t backend_index(const zq_pool_rt *pool, const zq_backend_rt *b) {
  for (size_t i = 0; i < pool->n_backends; i++)
    if (pool->backends[i] == b) return i;
  return 0;
}

/* Pick a backend and start the request there; a backend where it cannot even start is passed
 * over (every backend once at most). 0, or -1 when the client has been answered. */
static int start_attempt(zq_px_exchange *x) {
  for (;;) {
    zq_backend_rt *b = zq_pool_pick(x->pool, x->client_ip, x->tried);
    if (!b) {
      if (x->attempts == 0) {
        x->pool->no_backend++;
        reply(x, 503, "no healthy backend", NULL, 0);
      } else {
        reply(x, 502, x->last_error[0] ? x->last_error : "no backend could be reached", NULL, 0);
      }
      return -1;
    }
    x->tried[backend_index(x->pool, b)] = true;
    x->attempts++;
    x->backend = b;
    zq_px_fields fwd;
    int rc = zq_px_request_fields(x->st, x->client_ip, b->conf.protocol, &fwd);
    if (rc == 0) {
      zq_upstream_request req = {x->method, x->path, x->authority, fwd.list, fwd.n, x->body,
                                 x->content_length, x->pool->conf->connect_timeout_ms, false};
      rc = zq_upstream_start(b, &req, &upstream_callbacks, x, &x->up);
    }
    zq_px_fields_free(&fwd);
    if (rc == 0) {
      b->in_flight++;
      rc = arm_timer(x);
      if (rc == 0) flush_body(x);
      return rc;
    }
    snprintf(x->last_error, sizeof(x->last_error), "cannot start a request to %s: %s",
             b->conf.address, zquic_last_error());
    zq_backend_passive(b, &x->pool->conf->health, true);
    x->backend = NULL;
  }
}

/* ---- the backend's answer ---------------------------------------------------------------------- */

static zq_px_exchange *of(void *user) { return user; }

static const char *alt_svc_of(const zq_px_exchange *x) {
  for (size_t i = 0; i < x->px->n_listeners; i++)
    if (x->px->listeners[i].server == x->st->conn->server) return x->px->listeners[i].alt_svc;
  return NULL;
}

static void up_response(zq_upstream *u, int status, const zquic_h3_header *fields, size_t n,
                        void *user) {
  (void)u;
  zq_px_exchange *x = of(user);
  zq_backend_rt *b = x->backend;
  stop_timer(x);
  zq_backend_passive(b, &x->pool->conf->health, status >= 500);
  if (status >= 500) b->responses_5xx++;
  zq_backend_observe_latency(b, (double)(zq_now_ns() - x->start_ns) / 1e9);
  if (x->responded || !x->st) return;
  zq_px_fields out;
  int rc = zq_px_response_fields(fields, n, b->conf.protocol, alt_svc_of(x), &out);
  if (rc == 0) rc = zq_h3_respond_open(x->st, status, out.list, out.n);
  zq_px_fields_free(&out);
  if (rc) {
    zq_upstream_cancel(x->up);
    x->up = NULL;
    end_attempt(x);
    reply(x, 502, "the backend's response could not be passed on", NULL, 0);
    return;
  }
  x->responded = true;
  x->status = status;
  count_status(x->px, status);
}

static void up_body(zq_upstream *u, const uint8_t *data, size_t len, void *user) {
  zq_px_exchange *x = of(user);
  zq_h3_stream *st = x->st;
  if (!st || st->closed) return;
  if (zq_buf_append(&st->tx, data, len) != 0) {
    zq_upstream_cancel(u);
    x->up = NULL;
    end_attempt(x);
    abort_client(x);
    return;
  }
  x->bytes_out += len;
  zq_h3_stream_resume(st);
  if (!x->paused && st->tx.len > ZQ_PX_RESPONSE_HIGH_WATER) {
    x->paused = true;
    zq_upstream_pause(u, true);
  }
}

static void up_end(zq_upstream *u, const zquic_h3_header *trailers, size_t n, void *user) {
  (void)u;
  zq_px_exchange *x = of(user);
  x->up = NULL; /* the upstream layer frees it after this returns */
  end_attempt(x);
  zq_h3_stream *st = x->st;
  if (!st || st->closed) return;
  for (size_t i = 0; i < n; i++)
    if (!zq_px_hop_by_hop(trailers[i].name))
      zq_fields_add(&st->trailers_out, (const uint8_t *)trailers[i].name,
                    strlen(trailers[i].name), (const uint8_t *)trailers[i].value,
                    strlen(trailers[i].value));
  st->tx_eof = true;
  zq_h3_stream_resume(st);
}

static bool may_retry(const zq_px_exchange *x, bool connect_failed) {
  return connect_failed && !x->responded && !x->body_forwarded &&
         x->attempts <= x->pool->conf->retries && zq_px_method_idempotent(x->method);
}

static void up_error(zq_upstream *u, int code, bool connect_failed, const char *detail,
                     void *user) {
  (void)u;
  zq_px_exchange *x = of(user);
  zq_backend_rt *b = x->backend;
  x->up = NULL;
  end_attempt(x);
  zq_backend_passive(b, &x->pool->conf->health, connect_failed || !x->responded);
  snprintf(x->last_error, sizeof(x->last_error), "backend %s: %s", b->conf.address, detail);
  zq_px_log(x->px, "%s %s: %s", x->method, x->path, x->last_error);
  if (x->responded) {
    abort_client(x);
    return;
  }
  if (may_retry(x, connect_failed)) {
    x->px->retries++;
    x->backend = NULL;
    start_attempt(x);
    return;
  }
  if (code == ZQUIC_ERR_TIMEOUT) reply(x, 504, "the backend did not answer in time", NULL, 0);
  else reply(x, 502, connect_failed ? "the backend cannot be reached"
                                    : "the backend's answer was not valid HTTP", NULL, 0);
}

static void up_writable(zq_upstream *u, void *user) {
  (void)u;
  flush_body(of(user));
}

static const zq_upstream_callbacks upstream_callbacks = {up_response, up_body, up_end, up_error,
                                                         up_writable};

/* The client acknowledged response bytes: take more from the backend when there is room. */
static void client_acked(zq_h3_stream *st, void *user) {
  zq_px_exchange *x = user;
  if (x->paused && x->up && st->tx.len < ZQ_PX_RESPONSE_LOW_WATER) {
    x->paused = false;
    zq_upstream_pause(x->up, false);
  }
}

static const zq_h3_hooks client_hooks = {NULL, NULL, NULL, NULL, client_acked};

/* ---- the client's request ------------------------------------------------------------------------ */

static size_t header_bytes(const zq_fields *f) {
  size_t n = 0;
  for (size_t i = 0; i < f->count; i++) n += strlen(f->names[i]) + strlen(f->values[i]);
  return n;
}

/* "127.0.0.1:5000" → "127.0.0.1", "[::1]:5000" → "::1". */
static void peer_ip(zq_h3_stream *st, char *out, size_t cap) {
  char host[64];
  uint16_t port;
  if (zq_addr_split(zq_conn_peer(st->conn), host, sizeof(host), &port) == 0)
    snprintf(out, cap, "%s", host);
  else
    snprintf(out, cap, "unknown");
}

/* What to send the backend as the body's framing, or an error status for the client. */
static int body_framing(zq_px_exchange *x) {
  const zq_proxy_limits_conf *l = &x->rt->conf.limits;
  const char *cl = zq_fields_get(&x->st->headers, "content-length");
  if (x->st->headers_fin) {
    x->body = ZQ_H1_BODY_NONE;
    return 0;
  }
  if (!cl) {
    x->body = ZQ_H1_BODY_CHUNKED;
    return 0;
  }
  char *end;
  unsigned long long v = strtoull(cl, &end, 10);
  if (!*cl || *end || cl[0] == '-') return 400;
  if (l->max_body_bytes && v > l->max_body_bytes) return 413;
  x->body = ZQ_H1_BODY_LENGTH;
  x->content_length = v;
  return 0;
}

/* Checks before routing; 0 when the request may go on, else the status already sent. */
static int admit(zq_px_exchange *x) {
  zq_proxy_rt *rt = x->rt;
  if (!x->method || !x->path || !x->authority || !*x->authority || x->path[0] != '/') {
    x->px->bad_requests++;
    reply(x, 400, "a request needs :method, an origin-form :path and :authority (or host)", NULL, 0);
    return 400;
  }
  if (header_bytes(&x->st->headers) > rt->conf.limits.max_header_bytes) {
    x->px->too_large++;
    reply(x, 431, "request header fields too large", NULL, 0);
    return 431;
  }
  uint32_t retry_after = 0;
  if (rt->ratelimit && !zq_ratelimit_take(rt->ratelimit, x->client_ip, zq_now_ns(), &retry_after)) {
    char secs[16];
    snprintf(secs, sizeof(secs), "%u", retry_after ? retry_after : 1);
    zquic_h3_header ra = {"retry-after", secs};
    x->px->rate_limited++;
    reply(x, 429, "too many requests", &ra, 1);
    return 429;
  }
  int status = body_framing(x);
  if (status == 413) x->px->too_large++;
  if (status == 400) x->px->bad_requests++;
  if (status) reply(x, status, status == 413 ? "request body too large" : "bad content-length",
                    NULL, 0);
  return status;
}

static void route(zq_px_exchange *x) {
  int r = zq_route_match(x->rt->routes, x->authority, x->path);
  if (r < 0) {
    reply(x, 404, "no route for this host and path", NULL, 0);
    return;
  }
  x->pool = zq_proxy_rt_pool(x->rt, x->rt->conf.routes[r].pool);
  if (!x->pool) {
    reply(x, 503, "the route's pool is gone", NULL, 0);
    return;
  }
  start_attempt(x);
}

void zq_px_on_request(zquic_h3_exchange *ex, void *user) {
  zq_proxy *px = user;
  zq_h3_stream *st = (zq_h3_stream *)(void *)ex;
  px->requests++;
  zq_px_exchange *x = calloc(1, sizeof(*x));
  if (!x) {
    zquic_h3_respond_bytes(ex, 503, NULL, 0, NULL, 0);
    return;
  }
  x->px = px;
  x->st = st;
  x->rt = px->rt;
  x->rt->refs++;
  x->start_ns = zq_now_ns();
  zq_buf_init(&x->pending);
  zq_list_push_back(&px->exchanges, &x->node);
  st->user = x;
  st->hooks = &client_hooks;
  st->hooks_user = x;
  st->hold_credit = true;
  x->method = zq_fields_get(&st->headers, ":method");
  x->path = zq_fields_get(&st->headers, ":path");
  x->authority = zq_fields_get(&st->headers, ":authority");
  if (!x->authority) x->authority = zq_fields_get(&st->headers, "host");
  peer_ip(st, x->client_ip, sizeof(x->client_ip));
  if (px->stopping) {
    reply(x, 503, "the proxy is shutting down", NULL, 0);
    return;
  }
  if (admit(x) != 0) return;
  route(x);
}

void zq_px_on_body(zquic_h3_exchange *ex, const uint8_t *data, size_t len, void *user) {
  (void)user;
  zq_h3_stream *st = (zq_h3_stream *)(void *)ex;
  zq_px_exchange *x = st->user;
  if (!x) return;
  x->body_received += len;
  uint64_t max = x->rt->conf.limits.max_body_bytes;
  if ((x->body == ZQ_H1_BODY_LENGTH && x->body_received > x->content_length) ||
      (max && x->body_received > max)) {
    if (x->up) zq_upstream_cancel(x->up);
    x->up = NULL;
    end_attempt(x);
    x->px->too_large++;
    zq_h3_credit(st, len);
    if (x->responded) abort_client(x);
    else reply(x, 413, "request body too large", NULL, 0);
    return;
  }
  if (x->responded && !x->up) { /* answered already: the rest is dropped */
    zq_h3_credit(st, len);
    return;
  }
  if (zq_buf_append(&x->pending, data, len) != 0) {
    zq_h3_credit(st, len);
    return;
  }
  x->held_credit += len;
  flush_body(x);
}

void zq_px_on_request_end(zquic_h3_exchange *ex, void *user) {
  (void)user;
  zq_h3_stream *st = (zq_h3_stream *)(void *)ex;
  zq_px_exchange *x = st->user;
  if (!x) return;
  x->request_ended = true;
  if (x->body == ZQ_H1_BODY_NONE) return; /* the upstream knew from the start */
  if (x->body == ZQ_H1_BODY_LENGTH && x->body_received < x->content_length) {
    if (x->up) zq_upstream_cancel(x->up);
    x->up = NULL;
    end_attempt(x);
    x->px->bad_requests++;
    reply(x, 400, "request body shorter than its content-length", NULL, 0);
    return;
  }
  x->pending_fin = true;
  flush_body(x);
}

static void exchange_free(zq_px_exchange *x) {
  if (x->up) zq_upstream_cancel(x->up);
  x->up = NULL;
  end_attempt(x);
  zq_buf_clear(&x->pending);
  zq_list_remove(&x->px->exchanges, &x->node);
  zq_proxy_rt_unref(x->rt);
  free(x);
}

void zq_px_on_close(zquic_h3_exchange *ex, void *user) {
  (void)user;
  zq_h3_stream *st = (zq_h3_stream *)(void *)ex;
  zq_px_exchange *x = st->user;
  if (!x) return;
  access_log(x); /* status 0: the client gave up before any answer */
  if (x->held_credit) zq_h3_credit(st, x->held_credit); /* the connection's share still counts */
  st->user = NULL;
  st->hooks = NULL;
  exchange_free(x);
}

void zq_px_abort_all(zq_proxy *px) {
  zq_list_node *n, *tmp;
  zq_list_for_each_safe(n, tmp, &px->exchanges) {
    zq_px_exchange *x = zq_container_of(n, zq_px_exchange, node);
    if (x->st) {
      abort_client(x);
      x->st->user = NULL;
      x->st->hooks = NULL;
    }
    exchange_free(x);
  }
}
