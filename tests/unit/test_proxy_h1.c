/*
 * test_proxy_h1.c — Wraith's HTTP/1.1 backend client (src/proxy/h1_*.c): the main program of
 * the test_proxy_h1 executable and the harness its groups share. The groups: the response parser
 * alone (test_proxy_h1_parse.c), the pool against scripted TCP backends
 * (test_proxy_h1_scripted.c) and against a real nginx (test_proxy_h1_nginx.c).
 *
 * The pool's calls run on the context's loop thread through zq_ctx_call, as the proxy engine
 * will make them; its callbacks record into an h1_result under ctx->lock and signal a condition
 * variable that the test thread waits on with that same lock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_proxy_h1.h"

zquic_context *zq_test_ctx;
static pthread_cond_t signalled;

uint64_t h1_fnv(uint64_t h, const uint8_t *data, size_t len) {
  for (size_t i = 0; i < len; i++) h = (h ^ data[i]) * 1099511628211ull;
  return h;
}

uint64_t h1_ms_now(void) { return zq_now_ns() / 1000000; }

/* ---- callbacks ---- */

static void append_section(char *out, size_t cap, const zquic_h3_header *h, size_t n) {
  for (size_t i = 0; i < n; i++) {
    size_t used = strlen(out);
    snprintf(out + used, cap - used, "%s=%s;", h[i].name, h[i].value);
  }
}

static void on_response(zq_h1_request *r, int status, const zquic_h3_header *f, size_t n,
                        void *user) {
  (void)r;
  h1_result *res = user;
  if (res->done) res->late_calls++;
  res->responses++;
  res->status = status;
  append_section(res->fields, sizeof(res->fields), f, n);
  pthread_cond_broadcast(&signalled);
}

static void on_body(zq_h1_request *r, const uint8_t *data, size_t len, void *user) {
  h1_result *res = user;
  if (res->done) res->late_calls++;
  if (res->body_total < sizeof(res->body)) {
    size_t room = sizeof(res->body) - (size_t)res->body_total;
    memcpy(res->body + res->body_total, data, len < room ? len : room);
  }
  res->body_total += len;
  res->body_hash = h1_fnv(res->body_hash, data, len);
  if (res->cancel_in_body) {
    zq_h1_request_cancel(r);
    res->done = true; /* nothing may follow */
  } else if (res->pause_after && !res->paused && res->body_total >= res->pause_after) {
    zq_h1_request_pause(r, true);
    res->paused = true;
    res->total_at_pause = res->body_total;
  }
  pthread_cond_broadcast(&signalled);
}

static void on_end(zq_h1_request *r, const zquic_h3_header *t, size_t n, void *user) {
  (void)r;
  h1_result *res = user;
  if (res->done) res->late_calls++;
  res->ends++;
  res->done = true;
  append_section(res->trailers, sizeof(res->trailers), t, n);
  pthread_cond_broadcast(&signalled);
}

static void on_error(zq_h1_request *r, int code, bool connect_failed, const char *detail,
                     void *user) {
  (void)r;
  h1_result *res = user;
  if (res->done) res->late_calls++;
  res->errors++;
  res->done = true;
  res->error_code = code;
  res->connect_failed = connect_failed;
  snprintf(res->detail, sizeof(res->detail), "%s", detail);
  pthread_cond_broadcast(&signalled);
}

static void on_writable(zq_h1_request *r, void *user) {
  (void)r;
  h1_result *res = user;
  res->writable_calls++;
  pthread_cond_broadcast(&signalled);
}

static const zq_h1_callbacks callbacks = {on_response, on_body, on_end, on_error, on_writable};

/* ---- calls on the loop thread ---- */

typedef struct loop_args {
  zq_h1_pool *pool;
  const char *address, *method, *path;
  const zq_h1_pool_options *opts;
  const zquic_h3_header *fields;
  size_t n, len;
  int body;
  uint64_t length;
  h1_result *res;
  const void *data;
  bool flag;
  int rc;
  unsigned count;
} loop_args;

static void on_loop(int (*fn)(void *), loop_args *a) {
  bool taken = zq_ctx_enter(zq_test_ctx);
  zq_ctx_call(zq_test_ctx, fn, a);
  zq_ctx_leave(zq_test_ctx, taken);
}

static int pool_new_fn(void *arg) {
  loop_args *a = arg;
  a->rc = zq_h1_pool_new(zq_test_ctx, a->address, a->opts, &a->pool);
  return 0;
}

zq_h1_pool *h1_pool_new(const char *address, const zq_h1_pool_options *o) {
  loop_args a = {.address = address, .opts = o};
  on_loop(pool_new_fn, &a);
  assert_int_equal(a.rc, ZQUIC_OK);
  return a.pool;
}

static int pool_free_fn(void *arg) {
  zq_h1_pool_free(((loop_args *)arg)->pool);
  return 0;
}

void h1_pool_free(zq_h1_pool *p) {
  loop_args a = {.pool = p};
  on_loop(pool_free_fn, &a);
}

static int start_fn(void *arg) {
  loop_args *a = arg;
  a->rc = zq_h1_request_start(a->pool, a->method, a->path, "backend.test", a->fields, a->n,
                              a->body, a->length, &callbacks, a->res, &a->res->req);
  return 0;
}

zq_h1_request *h1_start(zq_h1_pool *p, const char *method, const char *path,
                        const zquic_h3_header *fields, size_t n, int body, uint64_t length,
                        h1_result *res) {
  h1_result fresh = {.body_hash = H1_FNV_START, .cancel_in_body = res->cancel_in_body,
                     .pause_after = res->pause_after};
  *res = fresh;
  loop_args a = {.pool = p, .method = method, .path = path, .fields = fields, .n = n,
                 .body = body, .length = length, .res = res};
  on_loop(start_fn, &a);
  assert_int_equal(a.rc, ZQUIC_OK);
  return res->req;
}

static int start_pair_fn(void *arg) {
  loop_args *a = arg;
  h1_result *second = (h1_result *)a->data;
  start_fn(a);
  if (a->rc == ZQUIC_OK)
    a->rc = zq_h1_request_start(a->pool, a->method, a->path, "backend.test", NULL, 0,
                                ZQ_H1_BODY_NONE, 0, &callbacks, second, &second->req);
  a->count = zq_h1_pool_open_connections(a->pool);
  return 0;
}

unsigned h1_start_pair(zq_h1_pool *p, const char *path, h1_result *first, h1_result *second) {
  h1_result fresh = {.body_hash = H1_FNV_START};
  *first = fresh;
  *second = fresh;
  loop_args a = {.pool = p, .method = "GET", .path = path, .body = ZQ_H1_BODY_NONE,
                 .res = first, .data = second};
  on_loop(start_pair_fn, &a);
  assert_int_equal(a.rc, ZQUIC_OK);
  return a.count;
}

int h1_try_start(zq_h1_pool *p, const char *method, const char *path,
                 const zquic_h3_header *fields, size_t n, h1_result *res) {
  h1_result fresh = {.body_hash = H1_FNV_START};
  *res = fresh;
  loop_args a = {.pool = p, .method = method, .path = path, .fields = fields, .n = n,
                 .body = ZQ_H1_BODY_NONE, .res = res};
  on_loop(start_fn, &a);
  return a.rc;
}

static int write_fn(void *arg) {
  loop_args *a = arg;
  a->rc = a->res->done ? ZQUIC_ERR_CLOSED : zq_h1_request_write(a->res->req, a->data, a->len,
                                                                a->flag);
  return 0;
}

int h1_write(h1_result *res, const void *data, size_t len, bool fin) {
  loop_args a = {.res = res, .data = data, .len = len, .flag = fin};
  on_loop(write_fn, &a);
  return a.rc;
}

static int pause_fn(void *arg) {
  loop_args *a = arg;
  if (!a->res->done) zq_h1_request_pause(a->res->req, a->flag);
  return 0;
}

void h1_pause(h1_result *res, bool paused) {
  loop_args a = {.res = res, .flag = paused};
  on_loop(pause_fn, &a);
}

static int cancel_fn(void *arg) {
  loop_args *a = arg;
  if (!a->res->done) zq_h1_request_cancel(a->res->req);
  a->res->done = true;
  return 0;
}

void h1_cancel(h1_result *res) {
  loop_args a = {.res = res};
  on_loop(cancel_fn, &a);
}

static int count_fn(void *arg) {
  loop_args *a = arg;
  a->count = a->flag ? zq_h1_pool_idle_connections(a->pool) : zq_h1_pool_open_connections(a->pool);
  return 0;
}

unsigned h1_open_connections(zq_h1_pool *p) {
  loop_args a = {.pool = p, .flag = false};
  on_loop(count_fn, &a);
  return a.count;
}

unsigned h1_idle_connections(zq_h1_pool *p) {
  loop_args a = {.pool = p, .flag = true};
  on_loop(count_fn, &a);
  return a.count;
}

/* ---- waiting ---- */

static bool wait_until(bool (*ready)(void *), void *arg, int ms) {
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += ms / 1000;
  deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&zq_test_ctx->lock);
  bool ok = ready(arg);
  while (!ok && pthread_cond_timedwait(&signalled, &zq_test_ctx->lock, &deadline) == 0)
    ok = ready(arg);
  ok = ready(arg);
  pthread_mutex_unlock(&zq_test_ctx->lock);
  return ok;
}

static bool is_done(void *arg) { return ((h1_result *)arg)->done; }

bool h1_wait(h1_result *res, int ms) { return wait_until(is_done, res, ms); }

typedef struct writable_wait {
  h1_result *res;
  int seen;
} writable_wait;

static bool is_writable(void *arg) {
  writable_wait *w = arg;
  return w->res->writable_calls > w->seen || w->res->done;
}

bool h1_wait_writable(h1_result *res, int seen, int ms) {
  writable_wait w = {res, seen};
  return wait_until(is_writable, &w, ms) && res->writable_calls > seen;
}

bool h1_wait_idle(zq_h1_pool *p, unsigned idle, int ms) {
  for (int i = 0; i < ms / 5; i++) {
    if (h1_idle_connections(p) == idle) return true;
    usleep(5000);
  }
  return h1_idle_connections(p) == idle;
}

/* ---- main ---- */

int h1_ctx_setup(void **state) {
  (void)state;
  return zquic_init(NULL, &zq_test_ctx) == ZQUIC_OK ? 0 : -1;
}

int h1_ctx_teardown(void **state) {
  (void)state;
  zquic_destroy(zq_test_ctx);
  return 0;
}

int main(void) {
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&signalled, &attr);
  int failed = 0;
  failed += _cmocka_run_group_tests("h1_parse", zq_test_h1_parse, zq_test_h1_parse_count, NULL,
                                    NULL);
  failed += _cmocka_run_group_tests("h1_scripted", zq_test_h1_scripted,
                                    zq_test_h1_scripted_count, h1_ctx_setup, h1_ctx_teardown);
  failed += _cmocka_run_group_tests("h1_nginx", zq_test_h1_nginx, zq_test_h1_nginx_count,
                                    h1_nginx_setup, h1_nginx_teardown);
  pthread_cond_destroy(&signalled);
  return failed;
}
