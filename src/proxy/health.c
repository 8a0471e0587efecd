/*
 * health.c — active health checks: every `health.interval_ms` each backend of a pool gets
 * `GET health.path` through the same upstream layer requests use (so an HTTP/3 backend is checked
 * over its QUIC connection, an HTTP/1.1 one through its pool). `fall` bad results in a row take a
 * backend out, `rise` good ones bring it back; a check that does not answer within
 * `health.timeout_ms` is bad.
 *
 * A good verdict also ends a passive "down for a while" mark: the check is fresh evidence. A
 * check that times out drops the backend's QUIC connection, since a backend that restarted leaves
 * a connection that looks alive but leads nowhere; the next check connects anew.
 *
 * A pool's checks stop with zq_health_stop (a reload or the end); a check still running then is
 * cancelled. The backends are reference counted, so a check never outlives its backend.
 */
#include <stdlib.h>
#include <string.h>

#include "proxy_internal.h"

typedef struct zq_health {
  uv_timer_t timer;
  zq_proxy *px;
  zq_pool_rt *pool;
  zq_list checks;
} zq_health;

typedef struct zq_check {
  zq_list_node node;
  zq_health *health;
  zq_backend_rt *backend;
  zq_upstream *up;
  uv_timer_t *deadline;
  int status;
} zq_check;

static void handle_freed(uv_handle_t *h) { free(h); }

static void check_free(zq_check *c) {
  if (c->deadline) {
    c->deadline->data = NULL;
    uv_close((uv_handle_t *)c->deadline, handle_freed);
  }
  c->backend->check_running = false;
  zq_list_remove(&c->health->checks, &c->node);
  zq_backend_unref(c->backend);
  free(c);
}

static void verdict(zq_check *c, bool good, const char *why) {
  zq_backend_rt *b = c->backend;
  const zq_proxy_health_conf *h = &c->health->pool->conf->health;
  if (good) {
    b->check_bad = 0;
    if (++b->check_good >= h->rise && !b->active_up) {
      b->active_up = true;
      b->down_until_ns = 0;
      zq_px_log(b->proxy, "backend %s of pool %s is up again", b->conf.address, b->pool_name);
    }
    if (b->active_up) b->down_until_ns = 0;
  } else {
    b->check_good = 0;
    if (++b->check_bad >= h->fall && b->active_up) {
      b->active_up = false;
      zq_px_log(b->proxy, "backend %s of pool %s is down: %s", b->conf.address, b->pool_name,
                why);
    }
  }
  check_free(c);
}

static void on_response(zq_upstream *u, int status, const zquic_h3_header *f, size_t n,
                        void *user) {
  (void)u;
  (void)f;
  (void)n;
  ((zq_check *)user)->status = status;
}

static void on_body(zq_upstream *u, const uint8_t *d, size_t len, void *user) {
  (void)u;
  (void)d;
  (void)len;
  (void)user;
}

static void on_end(zq_upstream *u, const zquic_h3_header *t, size_t n, void *user) {
  (void)u;
  (void)t;
  (void)n;
  zq_check *c = user;
  int want = c->health->pool->conf->health.expect_status;
  char why[64];
  snprintf(why, sizeof(why), "health check answered %d, not %d", c->status, want);
  c->up = NULL;
  verdict(c, c->status == want, why);
}

static void on_error(zq_upstream *u, int code, bool connect_failed, const char *detail,
                     void *user) {
  (void)u;
  (void)code;
  (void)connect_failed;
  zq_check *c = user;
  c->up = NULL;
  verdict(c, false, detail);
}

static const zq_upstream_callbacks check_callbacks = {on_response, on_body, on_end, on_error,
                                                      NULL};

static void check_timed_out(uv_timer_t *t) {
  zq_check *c = t->data;
  if (!c) return;
  zquic_context *ctx = c->health->px->ctx;
  pthread_mutex_lock(&ctx->lock);
  zq_backend_rt *b = c->backend;
  zq_upstream_cancel(c->up);
  c->up = NULL;
  if (b->h3_conn) { /* may lead nowhere (a restarted backend): connect anew next time */
    zquic_close_connection(b->h3_conn);
    b->h3_conn = NULL;
  }
  verdict(c, false, "health check timed out");
  zq_ctx_flush_dirty(ctx);
  zq_ctx_unlock(ctx);
}

/* The name a check asks for: the SNI when set, else the host part of the address. */
static void check_authority(const zq_backend_rt *b, char *out, size_t cap) {
  uint16_t port;
  if (b->conf.sni) snprintf(out, cap, "%s", b->conf.sni);
  else if (zq_addr_split(b->conf.address, out, cap, &port) != 0) snprintf(out, cap, "localhost");
}

static void start_check(zq_health *h, zq_backend_rt *b) {
  const zq_proxy_health_conf *conf = &h->pool->conf->health;
  zq_check *c = calloc(1, sizeof(*c));
  uv_timer_t *deadline = malloc(sizeof(*deadline));
  if (!c || !deadline) {
    free(c);
    free(deadline);
    return;
  }
  char authority[256];
  check_authority(b, authority, sizeof(authority));
  zq_upstream_request req = {"GET", conf->path, authority, NULL, 0, ZQ_H1_BODY_NONE, 0,
                             conf->timeout_ms, true};
  c->health = h;
  c->backend = b;
  zq_backend_ref(b);
  b->check_running = true;
  zq_list_push_back(&h->checks, &c->node);
  uv_timer_init(&h->px->ctx->loop, deadline);
  deadline->data = c;
  c->deadline = deadline;
  uv_timer_start(deadline, check_timed_out, conf->timeout_ms, 0);
  if (zq_upstream_start(b, &req, &check_callbacks, c, &c->up) != ZQUIC_OK)
    verdict(c, false, zquic_last_error());
}

static void tick(uv_timer_t *t) {
  zq_health *h = t->data;
  zquic_context *ctx = h->px->ctx;
  pthread_mutex_lock(&ctx->lock);
  for (size_t i = 0; i < h->pool->n_backends; i++)
    if (!h->pool->backends[i]->check_running) start_check(h, h->pool->backends[i]);
  zq_ctx_flush_dirty(ctx);
  zq_ctx_unlock(ctx);
}

void zq_health_start(zq_proxy *px, zq_pool_rt *pool) {
  uint32_t interval = pool->conf->health.interval_ms;
  if (interval == 0 || pool->health) return;
  zq_health *h = calloc(1, sizeof(*h));
  if (!h) {
    zq_px_log(px, "pool %s: no memory for health checks", pool->conf->name);
    return;
  }
  h->px = px;
  h->pool = pool;
  zq_list_init(&h->checks);
  uv_timer_init(&px->ctx->loop, &h->timer);
  h->timer.data = h;
  uv_timer_start(&h->timer, tick, interval, interval);
  pool->health = h;
}

static void health_closed(uv_handle_t *handle) { free(handle->data); }

void zq_health_stop(zq_pool_rt *pool) {
  zq_health *h = pool->health;
  if (!h) return;
  pool->health = NULL;
  zq_list_node *n, *tmp;
  zq_list_for_each_safe(n, tmp, &h->checks) {
    zq_check *c = zq_container_of(n, zq_check, node);
    zq_upstream_cancel(c->up);
    check_free(c);
  }
  uv_timer_stop(&h->timer);
  uv_close((uv_handle_t *)&h->timer, health_closed);
}
