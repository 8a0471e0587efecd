/*
 * test_h3_mem.c — the allocator HTTP/3 sessions hand nghttp3 (src/h3/h3_mem.c): a freed small
 * block is handed out again for its size class, calloc zeroes recycled blocks, realloc keeps the
 * contents across classes and past them, the cache never holds more than its bound, and trim
 * gives everything back (valgrind, which runs this test too, reports any block it lost).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../core/internal.h"
#include "../core/sanitizer.h"

static void test_reuse_and_calloc(void **state) {
  (void)state;
  zq_h3_mem m;
  zq_h3_mem_init(&m);
  const nghttp3_mem *mem = &m.mem;
  uint8_t *a = mem->malloc(100, mem->user_data);
  assert_non_null(a);
  memset(a, 0xAB, 100);
  mem->free(a, mem->user_data);
#if !ZQ_UNDER_ASAN
  assert_true(m.cached_bytes > 0);
  uint8_t *b = mem->malloc(97, mem->user_data); /* the same 16-byte class */
  assert_ptr_equal(a, b);
  mem->free(b, mem->user_data);
#endif
  uint8_t *c = mem->calloc(10, 10, mem->user_data);
  for (int i = 0; i < 100; i++) assert_int_equal(c[i], 0);
  mem->free(c, mem->user_data);
  mem->free(NULL, mem->user_data);
  assert_null(mem->calloc(SIZE_MAX / 2, 4, mem->user_data)); /* overflow refused */
  zq_h3_mem_trim(&m);
  assert_int_equal(m.cached_bytes, 0);
}

static void test_realloc_keeps_contents(void **state) {
  (void)state;
  zq_h3_mem m;
  zq_h3_mem_init(&m);
  const nghttp3_mem *mem = &m.mem;
  uint8_t *p = mem->realloc(NULL, 20, mem->user_data);
  for (int i = 0; i < 20; i++) p[i] = (uint8_t)i;
  p = mem->realloc(p, 30, mem->user_data);  /* same class (32 bytes): in place */
  p = mem->realloc(p, 500, mem->user_data); /* another class */
  for (int i = 0; i < 20; i++) assert_int_equal(p[i], i);
  memset(p + 20, 7, 480);
  p = mem->realloc(p, 5000, mem->user_data); /* past the classes */
  for (int i = 0; i < 20; i++) assert_int_equal(p[i], i);
  assert_int_equal(p[499], 7);
  p = mem->realloc(p, 9000, mem->user_data);
  assert_int_equal(p[19], 19);
  assert_null(mem->realloc(p, 0, mem->user_data)); /* frees */
  zq_h3_mem_trim(&m);
}

static void test_cache_is_bounded(void **state) {
  (void)state;
  zq_h3_mem m;
  zq_h3_mem_init(&m);
  const nghttp3_mem *mem = &m.mem;
  enum { N = 2000 };
  void **blocks = calloc(N, sizeof(*blocks));
  for (int i = 0; i < N; i++) blocks[i] = mem->malloc(1024, mem->user_data);
  for (int i = 0; i < N; i++) mem->free(blocks[i], mem->user_data); /* 2 MB freed */
  assert_true(m.cached_bytes <= 256 * 1024);
  zq_h3_mem_trim(&m);
  assert_int_equal(m.cached_bytes, 0);
  free(blocks);
}

/* Stream structs: a freed one is handed out again, at most 64 are kept, trim frees them. */
static void test_stream_structs(void **state) {
  (void)state;
  zq_h3_mem m;
  zq_h3_mem_init(&m);
  void *streams[100];
  for (int i = 0; i < 100; i++) {
    streams[i] = zq_h3_mem_stream_alloc(&m, 2800);
    assert_non_null(streams[i]);
    memset(streams[i], i, 2800);
  }
  void *last = streams[99];
  for (int i = 0; i < 100; i++) zq_h3_mem_stream_free(&m, streams[i]);
#if !ZQ_UNDER_ASAN
  assert_int_equal(m.cached_streams, 64);
  assert_ptr_equal(zq_h3_mem_stream_alloc(&m, 2800), streams[63]); /* last kept, first out */
  (void)last;
  zq_h3_mem_stream_free(&m, streams[63]);
#else
  (void)last;
  assert_int_equal(m.cached_streams, 0);
#endif
  zq_h3_mem_trim(&m);
  assert_int_equal(m.cached_streams, 0);
  assert_null(m.free_streams);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_reuse_and_calloc),
    cmocka_unit_test(test_realloc_keeps_contents),
    cmocka_unit_test(test_cache_is_bounded),
    cmocka_unit_test(test_stream_structs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
