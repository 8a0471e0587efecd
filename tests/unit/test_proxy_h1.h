/*
 * test_proxy_h1.h — what the files of the test_proxy_h1 executable share: their test lists, the
 * context they run on, and the harness that drives the pool on its loop thread (h1_upstream.h
 * calls are loop-thread only) and waits for its callbacks on a condition variable.
 */
#ifndef ZQ_TEST_PROXY_H1_H
#define ZQ_TEST_PROXY_H1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "h1_upstream.h"

struct CMUnitTest;

extern const struct CMUnitTest zq_test_h1_parse[];
extern const size_t zq_test_h1_parse_count;
extern const struct CMUnitTest zq_test_h1_scripted[];
extern const size_t zq_test_h1_scripted_count;
extern const struct CMUnitTest zq_test_h1_nginx[];
extern const size_t zq_test_h1_nginx_count;

extern zquic_context *zq_test_ctx;

/* What one request's callbacks saw (written on the loop thread under ctx->lock). */
typedef struct h1_result {
  zq_h1_request *req;
  bool done;                 /* on_end or on_error ran */
  int responses, ends, errors, late_calls; /* late: any callback after done */
  int status;
  char fields[2048];         /* "name=value;" */
  char trailers[1024];
  uint8_t body[8192];        /* the first bytes of the body */
  uint64_t body_total, body_hash; /* every byte: count and FNV-1a */
  int error_code;
  bool connect_failed;
  char detail[512];
  int writable_calls;
  /* behaviour asked of the callbacks */
  bool cancel_in_body;       /* cancel the request at its first body bytes */
  uint64_t pause_after;      /* pause once this many body bytes arrived (0 = never) */
  bool paused;               /* ...and it did */
  uint64_t total_at_pause;
} h1_result;

uint64_t h1_fnv(uint64_t h, const uint8_t *data, size_t len);
#define H1_FNV_START 1469598103934665603ull

zq_h1_pool *h1_pool_new(const char *address, const zq_h1_pool_options *o);
void h1_pool_free(zq_h1_pool *p);
/* Start a request; res is reset. Asserts that it started. */
zq_h1_request *h1_start(zq_h1_pool *p, const char *method, const char *path,
                        const zquic_h3_header *fields, size_t n, int body, uint64_t length,
                        h1_result *res);
/* Two GETs of `path` in one loop call: neither can finish before the other starts. Returns the
 * pool's open connections right after. */
unsigned h1_start_pair(zq_h1_pool *p, const char *path, h1_result *first, h1_result *second);
/* The same, returning zq_h1_request_start's result. */
int h1_try_start(zq_h1_pool *p, const char *method, const char *path,
                 const zquic_h3_header *fields, size_t n, h1_result *res);
int h1_write(h1_result *res, const void *data, size_t len, bool fin);
void h1_pause(h1_result *res, bool paused);
void h1_cancel(h1_result *res);
unsigned h1_open_connections(zq_h1_pool *p);
unsigned h1_idle_connections(zq_h1_pool *p);
/* Wait until the request is done (true) or ms passed. */
bool h1_wait(h1_result *res, int ms);
/* Wait until res->writable_calls exceeds `seen` or ms passed. */
bool h1_wait_writable(h1_result *res, int seen, int ms);
/* Wait until the pool's idle count is `idle` (true) or ms passed. */
bool h1_wait_idle(zq_h1_pool *p, unsigned idle, int ms);
uint64_t h1_ms_now(void);
/* cmocka group setup/teardown: a fresh context in zq_test_ctx. */
int h1_ctx_setup(void **state);
int h1_ctx_teardown(void **state);
int h1_nginx_setup(void **state);
int h1_nginx_teardown(void **state);

#endif
