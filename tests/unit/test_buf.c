/*
 * test_buf.c — the chunked byte queue behind every stream buffer (src/core/buf.c): bytes come
 * out in order across chunk boundaries and any split of reads, reserve/commit and peek see the
 * same bytes, and the context's chunk cache hands a drained standard chunk (2 KiB to 64 KiB) out
 * again, keeps no more than its bounds, ignores odd-sized chunks, and gives everything back on trim
 * (valgrind, which runs this test too, reports any chunk lost).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "sanitizer.h"

static uint8_t pattern(size_t i) { return (uint8_t)(i * 131 + (i >> 11)); }

static void fill(uint8_t *p, size_t off, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = pattern(off + i);
}

static void test_order_across_chunks(void **state) {
  (void)state;
  zq_buf b;
  zq_buf_init(&b);
  size_t total = 0, sizes[] = {1, 2047, 3000, 16384, 70000, 5, 40000};
  uint8_t *tmp = malloc(70000);
  for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
    fill(tmp, total, sizes[k]);
    assert_int_equal(zq_buf_append(&b, tmp, sizes[k]), 0);
    total += sizes[k];
  }
  assert_int_equal(b.len, total);
  struct iovec iov[64];
  size_t n = zq_buf_peek(&b, 10, iov, 64, SIZE_MAX), seen = 10;
  for (size_t k = 0; k < n; k++)
    for (size_t i = 0; i < iov[k].iov_len; i++)
      assert_int_equal(((uint8_t *)iov[k].iov_base)[i], pattern(seen++));
  assert_int_equal(seen, total);
  size_t got = 0, step = 1;
  while (b.len) {
    size_t r = zq_buf_read(&b, tmp, step);
    for (size_t i = 0; i < r; i++) assert_int_equal(tmp[i], pattern(got + i));
    got += r;
    step = step * 3 + 1 > 60000 ? 7 : step * 3 + 1;
  }
  assert_int_equal(got, total);
  assert_int_equal(zq_buf_read(&b, tmp, 10), 0);
  free(tmp);
  zq_buf_clear(&b);
}

static void test_reserve_commit(void **state) {
  (void)state;
  zq_buf b;
  zq_buf_init(&b);
  uint8_t *p;
  size_t off = 0;
  for (int round = 0; round < 5; round++) {
    size_t got = zq_buf_reserve(&b, ZQ_BUF_CHUNK_LARGE, &p);
    assert_true(got > 0 && got <= ZQ_BUF_CHUNK_LARGE);
    fill(p, off, got);
    zq_buf_commit(&b, got);
    off += got;
  }
  uint8_t *out = malloc(off);
  assert_int_equal(zq_buf_read(&b, out, off), off);
  for (size_t i = 0; i < off; i++) assert_int_equal(out[i], pattern(i));
  free(out);
  zq_buf_clear(&b);
}

static void test_cache_reuse_and_bound(void **state) {
  (void)state;
  zq_buf_cache cache;
  zq_buf_cache_init(&cache, 3 * ZQ_BUF_CHUNK);
  zq_buf b;
  zq_buf_init_cached(&b, &cache);
  uint8_t *big = calloc(1, 8 * ZQ_BUF_CHUNK);
  /* Eight full standard chunks: drained, one stays as the spare and three fit in the cache. */
  assert_int_equal(zq_buf_append(&b, big, ZQ_BUF_CHUNK), 0);
  for (int i = 1; i < 8; i++) assert_int_equal(zq_buf_append(&b, big, ZQ_BUF_CHUNK), 0);
  zq_buf_consume(&b, b.len);
  if (!ZQ_UNDER_ASAN) {
    assert_int_equal(cache.cached_bytes, 3 * ZQ_BUF_CHUNK); /* never past the bound */
    /* Another buffer on the same cache takes a cached chunk instead of malloc's. */
    zq_buf other;
    zq_buf_init_cached(&other, &cache);
    uint8_t *p;
    assert_int_equal(zq_buf_reserve(&other, 8192, &p), 8192);
    assert_int_equal(cache.cached_bytes, 2 * ZQ_BUF_CHUNK);
    zq_buf_clear(&other);
    assert_int_equal(cache.cached_bytes, 3 * ZQ_BUF_CHUNK);
  } else {
    assert_int_equal(cache.cached_bytes, 0); /* ASan watches every chunk */
  }
  /* A chunk of an odd size (a large append gets one of its own length) is never cached: with
   * room in the cache, clearing it leaves the cache as it was. */
  zq_buf_clear(&b); /* the spare: the cache is full, so it goes to free() */
  zq_buf_cache_trim(&cache);
  zq_buf_init_cached(&b, &cache);
  assert_int_equal(zq_buf_append(&b, big, 5 * ZQ_BUF_CHUNK + 3), 0);
  assert_ptr_equal(b.head, b.tail);
  zq_buf_clear(&b);
  assert_int_equal(cache.cached_bytes, 0);
  zq_buf_cache_trim(&cache);
  assert_int_equal(cache.cached_bytes, 0);
  for (size_t i = 0; i < ZQ_BUF_CACHE_CLASSES; i++) assert_null(cache.lists[i]);
  free(big);
}

static void test_cache_large_class(void **state) {
  (void)state;
  zq_buf_cache cache;
  zq_buf_cache_init(&cache, (size_t)1 << 20);
  zq_buf b;
  zq_buf_init_cached(&b, &cache);
  uint8_t *p;
  assert_int_equal(zq_buf_reserve(&b, ZQ_BUF_CHUNK_LARGE, &p), ZQ_BUF_CHUNK_LARGE);
  zq_buf_chunk *first = b.tail;
  zq_buf_commit(&b, ZQ_BUF_CHUNK_LARGE);
  zq_buf_consume(&b, ZQ_BUF_CHUNK_LARGE);
  assert_int_equal(cache.cached_bytes, ZQ_UNDER_ASAN ? 0 : ZQ_BUF_CHUNK_LARGE);
  assert_int_equal(zq_buf_reserve(&b, ZQ_BUF_CHUNK_LARGE, &p), ZQ_BUF_CHUNK_LARGE);
  if (!ZQ_UNDER_ASAN) assert_ptr_equal(b.tail, first); /* the same chunk, from the cache */
  zq_buf_clear(&b);
  zq_buf_cache_trim(&cache);
  assert_int_equal(cache.cached_bytes, 0);
}

/* A short body's first chunk (2 KiB) is cached too, up to its class's own bound. */
static void test_cache_small_class(void **state) {
  (void)state;
  zq_buf_cache cache;
  zq_buf_cache_init(&cache, (size_t)4 << 20);
  enum { N = 200 };
  zq_buf bufs[N];
  for (int i = 0; i < N; i++) {
    zq_buf_init_cached(&bufs[i], &cache);
    assert_int_equal(zq_buf_append(&bufs[i], "abc", 3), 0);
    assert_int_equal(bufs[i].head->cap, ZQ_BUF_CHUNK_FIRST_APPEND);
  }
  zq_buf_chunk *first = bufs[0].head;
  zq_buf_clear(&bufs[0]);
  if (!ZQ_UNDER_ASAN) {
    zq_buf again;
    zq_buf_init_cached(&again, &cache);
    assert_int_equal(zq_buf_append(&again, "xyz", 3), 0);
    assert_ptr_equal(again.head, first); /* taken back from the cache */
    assert_memory_equal(again.head->data, "xyz", 3);
    zq_buf_clear(&again);
  }
  for (int i = 1; i < N; i++) zq_buf_clear(&bufs[i]);
  assert_int_equal(cache.cached_bytes, ZQ_UNDER_ASAN ? 0 : ZQ_BUF_CACHE_SMALL_BYTES);
  zq_buf_cache_trim(&cache);
  assert_int_equal(cache.cached_bytes, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_order_across_chunks),
      cmocka_unit_test(test_reserve_commit),
      cmocka_unit_test(test_cache_reuse_and_bound),
      cmocka_unit_test(test_cache_large_class),
      cmocka_unit_test(test_cache_small_class),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
