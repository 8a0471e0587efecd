/*
 * context.c — the context: its config, its loop thread and the hand-off between API threads and
 * that loop.
 *
 * API threads never touch libuv. They change state under ctx->lock and either mark a connection
 * dirty (zq_conn_schedule) or queue a zq_loop_call and wait for it; both wake the loop through one
 * uv_async. The loop drains calls first (they may create connections), then flushes every dirty
 * connection, then broadcasts ctx->changed so that blocked callers re-check their conditions
 * (zq_ctx_notify marks it; zq_ctx_unlock broadcasts once the lock is released).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"


uint64_t zq_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

ZQUIC_API void zquic_config_init(zquic_config *cfg) {
  if (!cfg) return;
  memset(cfg, 0, sizeof(*cfg));
  cfg->struct_size = sizeof(*cfg);
  cfg->max_connections = 10000;
  cfg->connection_timeout_ms = 10000;
  cfg->tls_verify = 1;
  cfg->alpn = "h3";
  cfg->idle_timeout_ms = 30000;
  cfg->max_streams_bidi = 100;
  cfg->max_streams_uni = 100;
}

bool zq_on_loop_thread(zquic_context *ctx) {
  uv_thread_t self = uv_thread_self();
  return uv_thread_equal(&self, &ctx->loop_thread);
}

bool zq_ctx_enter(zquic_context *ctx) {
  if (zq_on_loop_thread(ctx)) return false;
  pthread_mutex_lock(&ctx->lock);
  return true;
}

void zq_ctx_leave(zquic_context *ctx, bool taken) {
  if (taken) zq_ctx_unlock(ctx);
}

/* Waiters are woken after the lock is released, not while it is held: a waiter woken under the
 * lock ran only to sleep again on the mutex, two more thread switches per wake-up (a tenth of a
 * bulk receiver's CPU went to that futex traffic). */
void zq_ctx_unlock(zquic_context *ctx) {
  bool wake = ctx->notify_pending;
  ctx->notify_pending = false;
  pthread_mutex_unlock(&ctx->lock);
  if (wake) pthread_cond_broadcast(&ctx->changed);
}

/* A thread about to wait wakes the others first: what it changed must not wait for its unlock. */
static void wake_before_wait(zquic_context *ctx) {
  if (!ctx->notify_pending) return;
  ctx->notify_pending = false;
  pthread_cond_broadcast(&ctx->changed);
}

uint64_t zq_deadline_from_timeout(int timeout_ms) {
  if (timeout_ms < 0) return 0;
  return zq_now_ns() + (uint64_t)timeout_ms * 1000000ull + 1;
}

bool zq_ctx_wait(zquic_context *ctx, uint64_t deadline_ns) {
  wake_before_wait(ctx);
  if (deadline_ns == 0) {
    pthread_cond_wait(&ctx->changed, &ctx->lock);
    return true;
  }
  uint64_t now = zq_now_ns();
  if (now >= deadline_ns) return false;
  /* ctx->changed uses CLOCK_MONOTONIC (see zquic_init), so the deadline survives clock steps. */
  struct timespec ts = {(time_t)(deadline_ns / 1000000000ull), (long)(deadline_ns % 1000000000ull)};
  return pthread_cond_timedwait(&ctx->changed, &ctx->lock, &ts) != ETIMEDOUT ||
         zq_now_ns() < deadline_ns;
}

void zq_ctx_notify(zquic_context *ctx) { ctx->notify_pending = true; }

void zq_ctx_wake(zquic_context *ctx) { uv_async_send(&ctx->wakeup); }

int zq_ctx_call(zquic_context *ctx, int (*fn)(void *arg), void *arg) {
  if (zq_on_loop_thread(ctx)) return fn(arg);
  if (ctx->stopping) return zq_error(ZQUIC_ERR_CLOSED, "context is shutting down");
  zq_loop_call call = {.fn = fn, .arg = arg};
  zq_list_push_back(&ctx->calls, &call.node);
  uv_async_send(&ctx->wakeup);
  while (!call.done) zq_ctx_wait(ctx, 0);
  return call.result;
}

int zq_ctx_post(zquic_context *ctx, zq_loop_call *call) {
  if (ctx->stopping) return zq_error(ZQUIC_ERR_CLOSED, "context is shutting down");
  call->posted = true;
  zq_list_push_back(&ctx->calls, &call->node);
  uv_async_send(&ctx->wakeup);
  return ZQUIC_OK;
}

static void on_wakeup(uv_async_t *handle) {
  zquic_context *ctx = handle->data;
  pthread_mutex_lock(&ctx->lock);
  zq_list_node *n;
  while ((n = zq_list_pop_front(&ctx->calls))) {
    zq_loop_call *call = zq_container_of(n, zq_loop_call, node);
    if (call->posted) { /* nobody waits: fn owns the struct and may free it */
      call->fn(call->arg);
      continue;
    }
    call->result = call->fn(call->arg);
    call->done = true;
  }
  zq_workers_drain(ctx);
  zq_ctx_flush_dirty(ctx);
  zq_ctx_notify(ctx);
  zq_ctx_unlock(ctx);
}

static void loop_main(void *arg) {
  zquic_context *ctx = arg;
  uv_run(&ctx->loop, UV_RUN_DEFAULT);
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static int copy_config(zquic_context *ctx, const zquic_config *in) {
  zquic_config_init(&ctx->config);
  if (in) {
    if (in->struct_size == 0 || in->struct_size > sizeof(zquic_config))
      return zq_error(ZQUIC_ERR_INVALID_ARGUMENT,
                      "zquic_config.struct_size is %zu: call zquic_config_init first",
                      in->struct_size);
    memcpy(&ctx->config, in, in->struct_size);
    ctx->config.struct_size = sizeof(zquic_config);
  }
  zquic_config *c = &ctx->config;
  if (!c->tls_verify && !c->insecure_skip_verify_DANGEROUS)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT,
                    "tls_verify=0 is refused; set insecure_skip_verify_DANGEROUS to turn "
                    "certificate checks off");
  if (c->max_connections == 0 || c->connection_timeout_ms == 0)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT,
                    "max_connections and connection_timeout_ms must be > 0");
  ctx->cert_file = dup_or_null(c->cert_file);
  ctx->key_file = dup_or_null(c->key_file);
  ctx->ca_file = dup_or_null(c->ca_file);
  ctx->alpn = dup_or_null(c->alpn ? c->alpn : "h3");
  ctx->bind_address = dup_or_null(c->bind_address);
  ctx->qlog_dir = dup_or_null(c->qlog_dir);
  c->qlog_dir = ctx->qlog_dir;
  if (c->cc_algorithm < ZQUIC_CC_CUBIC || c->cc_algorithm > ZQUIC_CC_RENO)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "cc_algorithm %d: use ZQUIC_CC_CUBIC, _BBR or _RENO",
                    c->cc_algorithm);
  c->cert_file = ctx->cert_file;
  c->key_file = ctx->key_file;
  c->ca_file = ctx->ca_file;
  c->alpn = ctx->alpn;
  c->bind_address = ctx->bind_address;
  return zq_alpn_parse(ctx->alpn, &ctx->alpn_list);
}

static void free_config(zquic_context *ctx) {
  free(ctx->cert_file);
  free(ctx->key_file);
  free(ctx->ca_file);
  free(ctx->alpn);
  free(ctx->bind_address);
  free(ctx->qlog_dir);
}

ZQUIC_API int zquic_init(const zquic_config *cfg, zquic_context **out) {
  if (!out) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "zquic_init: out is NULL");
  *out = NULL;
  zquic_context *ctx = calloc(1, sizeof(*ctx));
  if (!ctx) return zq_error(ZQUIC_ERR_NO_MEMORY, "zquic_init: out of memory");
  ctx->event_fd = -1;
  pthread_mutex_init(&ctx->events_lock, NULL);
  ctx->send_batch = malloc(ZQ_BATCH_BYTES);
  int rc = ctx->send_batch ? copy_config(ctx, cfg) : zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  if (rc == 0) rc = zq_events_init(ctx);
  if (rc) goto err_config;
  rc = gnutls_global_init();
  if (rc < 0) {
    rc = zq_error(ZQUIC_ERR_TLS, "gnutls_global_init: %s", gnutls_strerror(rc));
    goto err_config;
  }
  gnutls_rnd(GNUTLS_RND_KEY, ctx->reset_secret, sizeof(ctx->reset_secret));
  zq_list_init(&ctx->dirty);
  zq_h3_mem_init(&ctx->h3_mem);
  zq_buf_cache_init(&ctx->buf_cache, ZQ_BUF_CACHE_BYTES);
  zq_list_init(&ctx->calls);
  zq_list_init(&ctx->servers);
  zq_list_init(&ctx->client_conns);
  zq_list_init(&ctx->live);
  pthread_mutex_init(&ctx->lock, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&ctx->changed, &ca);
  pthread_condattr_destroy(&ca);
  if (uv_loop_init(&ctx->loop) != 0) {
    rc = zq_error(ZQUIC_ERR_INTERNAL, "uv_loop_init failed");
    goto err_sync;
  }
  uv_async_init(&ctx->loop, &ctx->wakeup, on_wakeup);
  ctx->wakeup.data = ctx;
  zq_timers_init(&ctx->timers, zq_conn_timers_due, ctx);
  uv_check_init(&ctx->loop, &ctx->release_check);
  ctx->release_check.data = ctx;
  if (uv_thread_create(&ctx->loop_thread, loop_main, ctx) != 0) {
    rc = zq_error(ZQUIC_ERR_INTERNAL, "cannot start the loop thread");
    goto err_loop;
  }
  *out = ctx;
  zq_error_clear();
  return ZQUIC_OK;

err_loop:
  uv_close((uv_handle_t *)&ctx->wakeup, NULL);
  uv_close((uv_handle_t *)&ctx->release_check, NULL);
  uv_run(&ctx->loop, UV_RUN_DEFAULT);
  uv_loop_close(&ctx->loop);
err_sync:
  pthread_mutex_destroy(&ctx->lock);
  pthread_cond_destroy(&ctx->changed);
  gnutls_global_deinit();
err_config:
  free(ctx->send_batch);
  zq_events_free(ctx);
  free_config(ctx);
  free(ctx);
  return rc;
}

/* Runs on the loop thread: tear everything down, then close the async handle so uv_run returns. */
static int shutdown_on_loop(void *arg) {
  zquic_context *ctx = arg;
  zq_list_node *n, *tmp;
  zq_list_for_each_safe(n, tmp, &ctx->servers) {
    zquic_server *srv = zq_container_of(n, zquic_server, ctx_node);
    zquic_server_free(srv);
  }
  zq_list_for_each_safe(n, tmp, &ctx->client_conns) {
    zq_conn_abort(zq_container_of(n, zquic_connection, list_node));
  }
  ctx->stopping = true;
  zq_conn_release_deferred(ctx);
  uv_close((uv_handle_t *)&ctx->release_check, NULL);
  zq_timers_close(&ctx->timers);
  uv_close((uv_handle_t *)&ctx->wakeup, NULL);
  return 0;
}

ZQUIC_API void zquic_destroy(zquic_context *ctx) {
  if (!ctx) return;
  if (zq_on_loop_thread(ctx)) {
    zq_error(ZQUIC_ERR_LOOP_THREAD, "zquic_destroy called from a callback");
    return;
  }
  /* Servers with worker loops first, from this thread and holding no lock: freeing one waits for
   * each worker's loop, which must never happen under this context's lock (workers.c). */
  for (;;) {
    zquic_server *grouped = NULL;
    pthread_mutex_lock(&ctx->lock);
    zq_list_node *n, *tmp;
    zq_list_for_each_safe(n, tmp, &ctx->servers) {
      zquic_server *srv = zq_container_of(n, zquic_server, ctx_node);
      if (srv->group) grouped = srv;
    }
    zq_ctx_unlock(ctx);
    if (!grouped) break;
    zquic_server_free(grouped);
  }
  pthread_mutex_lock(&ctx->lock);
  zq_ctx_call(ctx, shutdown_on_loop, ctx);
  zq_ctx_unlock(ctx);
  uv_thread_join(&ctx->loop_thread);
  zq_ctx_destroy_workers(ctx); /* their connections, whose handles may be held until now */
  zq_conn_release_deferred(ctx); /* any torn down after shutdown_on_loop ran */
  /* Every transport is gone now; what remains are handles the caller never released. */
  zq_list_node *n;
  while ((n = zq_list_front(&ctx->live)))
    zq_conn_free_abandoned(zq_container_of(n, zquic_connection, live_node));
  zq_h3_mem_trim(&ctx->h3_mem); /* every HTTP/3 session is gone */
  zq_buf_cache_trim(&ctx->buf_cache); /* and every stream */
  zq_timers_free(&ctx->timers);
  uv_loop_close(&ctx->loop);
  pthread_mutex_destroy(&ctx->lock);
  pthread_cond_destroy(&ctx->changed);
  gnutls_global_deinit();
  zq_events_free(ctx);
  free(ctx->send_batch);
  free_config(ctx);
  free(ctx);
}
