/*
 * test_cidmap.c — the connection-ID map every received datagram is routed through
 * (src/core/cidmap.c): 20,000 CIDs of every length 0..20 are all found again with their values,
 * a CID differing in one byte or only in length is not (also right after a hit, which the map
 * remembers), deletes by key and by value remove exactly what they name, over-long CIDs are
 * refused, and the hash spreads CIDs that share all but their last bytes (what a server's own
 * CIDs look like) over the buckets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cidmap.h"
#include "zquic.h"

#define COUNT 20000

static void make_cid(uint8_t *cid, size_t *len, unsigned i) {
  *len = i % 21;
  memset(cid, 0xA5, 20); /* shared prefix: only the trailing counter bytes differ */
  for (size_t k = 0; k < *len && k < 4; k++) cid[*len - 1 - k] = (uint8_t)(i >> (8 * k));
}

static void test_put_get_del(void **state) {
  (void)state;
  zq_cidmap m;
  assert_int_equal(zq_cidmap_init(&m), 0);
  uint8_t cid[21];
  size_t len;
  /* lengths 0..20 with up to 4 distinct trailing bytes: keep keys unique by skipping repeats */
  unsigned stored = 0;
  for (unsigned i = 0; i < COUNT; i++) {
    make_cid(cid, &len, i);
    if (zq_cidmap_get(&m, cid, len)) continue; /* short lengths repeat */
    assert_int_equal(zq_cidmap_put(&m, cid, len, (void *)(uintptr_t)(i + 1)), 0);
    stored++;
  }
  assert_true(stored > COUNT / 2);
  for (unsigned i = 0; i < COUNT; i++) {
    make_cid(cid, &len, i);
    uintptr_t v = (uintptr_t)zq_cidmap_get(&m, cid, len);
    assert_true(v != 0);
    unsigned first = (unsigned)v - 1; /* the first i that made this key */
    uint8_t again[21];
    size_t again_len;
    make_cid(again, &again_len, first);
    assert_int_equal(again_len, len);
    assert_memory_equal(again, cid, len);
  }
  /* one byte off, or one byte longer: not found */
  make_cid(cid, &len, 20 + 21 * 7);
  assert_int_equal(len, 20);
  cid[0] ^= 1;
  assert_null(zq_cidmap_get(&m, cid, len));
  cid[0] ^= 1;
  assert_non_null(zq_cidmap_get(&m, cid, len));
  assert_int_equal(zq_cidmap_put(&m, cid, 21, cid), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_null(zq_cidmap_get(&m, cid, 21));
  void *value = zq_cidmap_get(&m, cid, len);
  zq_cidmap_del(&m, cid, len);
  assert_null(zq_cidmap_get(&m, cid, len));
  assert_int_equal(m.size, stored - 1);
  make_cid(cid, &len, 19 + 21 * 9);
  value = zq_cidmap_get(&m, cid, len);
  zq_cidmap_del_value(&m, value);
  assert_null(zq_cidmap_get(&m, cid, len));
  assert_int_equal(m.size, stored - 2);
  /* The last-found entry short-cuts the next lookup: a CID one byte off must still miss, and a
   * replaced value must show. */
  make_cid(cid, &len, 18 + 21 * 11);
  assert_non_null(zq_cidmap_get(&m, cid, len));
  cid[len - 1] ^= 0x80;
  assert_null(zq_cidmap_get(&m, cid, len));
  cid[len - 1] ^= 0x80;
  assert_int_equal(zq_cidmap_put(&m, cid, len, &m), 0);
  assert_ptr_equal(zq_cidmap_get(&m, cid, len), &m);
  assert_true(zq_cidmap_get(&m, cid, len - 1) != &m); /* same bytes, shorter: another key */
  zq_cidmap_clear(&m);
}

static void test_spread(void **state) {
  (void)state;
  zq_cidmap m;
  assert_int_equal(zq_cidmap_init(&m), 0);
  uint8_t cid[18];
  memset(cid, 0x42, sizeof(cid));
  for (unsigned i = 0; i < COUNT; i++) {
    memcpy(cid + sizeof(cid) - 4, &i, 4);
    assert_int_equal(zq_cidmap_put(&m, cid, sizeof(cid), (void *)(uintptr_t)(i + 1)), 0);
  }
  size_t longest = 0, used = 0;
  for (size_t b = 0; b < m.nbuckets; b++) {
    size_t chain = 0;
    for (zq_cidmap_entry *e = m.buckets[b]; e; e = e->next) chain++;
    if (chain) used++;
    if (chain > longest) longest = chain;
  }
  /* COUNT keys in at least COUNT buckets: a fair hash fills over half of them, chains short */
  assert_true(m.nbuckets >= COUNT);
  assert_true(used > m.nbuckets / 3);
  assert_true(longest <= 12);
  zq_cidmap_clear(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_put_get_del),
      cmocka_unit_test(test_spread),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
