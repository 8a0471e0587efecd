/*
 * test_proxy_balance.c — the balancers of src/proxy/balance.c over many picks: round robin is
 * exactly even, weighted is exactly proportional and interleaved, least connections always takes
 * a minimum and spreads ties, power-of-two random is near even and avoids a loaded backend,
 * ip_hash is sticky, even and consistent (removing or failing a backend moves only its keys),
 * and every algorithm honours health and the exclude list.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "balance.h"
#include "proxy_conf.h"

#define PICKS 1000

static void make_backends(zq_lb_backend *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char address[32];
    snprintf(address, sizeof(address), "10.0.0.%zu:443", i + 1);
    b[i] = (zq_lb_backend){zq_lb_backend_id(address), 1, true, 0};
  }
}

static zq_balancer *balancer(int algorithm, const zq_lb_backend *b, size_t n) {
  zq_balancer *lb = NULL;
  assert_int_equal(zq_balancer_create(algorithm, &lb), ZQUIC_OK);
  assert_int_equal(zq_balancer_algorithm(lb), algorithm);
  assert_int_equal(zq_balancer_update(lb, b, n), ZQUIC_OK);
  zq_balancer_seed(lb, 42);
  return lb;
}

static int pick(zq_balancer *lb, const zq_lb_backend *b, size_t n, const bool *exclude) {
  return zq_balancer_pick(lb, b, n, NULL, 0, exclude);
}

static void test_round_robin_even(void **state) {
  (void)state;
  zq_lb_backend b[3];
  make_backends(b, 3);
  zq_balancer *lb = balancer(ZQ_LB_ROUND_ROBIN, b, 3);
  unsigned counts[3] = {0};
  int previous = -1;
  for (int i = 0; i < PICKS; i++) {
    int k = pick(lb, b, 3, NULL);
    assert_in_range(k, 0, 2);
    assert_int_not_equal(k, previous); /* in turn, never twice running */
    previous = k;
    counts[k]++;
  }
  for (int k = 0; k < 3; k++) assert_in_range(counts[k], PICKS / 3 - 1, PICKS / 3 + 1);
  /* An unhealthy backend is skipped and the rest stay even. */
  b[1].healthy = false;
  memset(counts, 0, sizeof(counts));
  for (int i = 0; i < PICKS; i++) counts[pick(lb, b, 3, NULL)]++;
  assert_int_equal(counts[1], 0);
  assert_in_range(counts[0], PICKS / 2 - 1, PICKS / 2 + 1);
  zq_balancer_free(lb);
}

static void test_weighted_smooth(void **state) {
  (void)state;
  zq_lb_backend b[3];
  make_backends(b, 3);
  b[0].weight = 5;
  b[1].weight = 3;
  b[2].weight = 2;
  zq_balancer *lb = balancer(ZQ_LB_WEIGHTED, b, 3);
  int seq[PICKS];
  unsigned counts[3] = {0};
  for (int i = 0; i < PICKS; i++) counts[seq[i] = pick(lb, b, 3, NULL)]++;
  /* 1000 picks are 100 full rounds of 10: exactly proportional. */
  assert_int_equal(counts[0], 500);
  assert_int_equal(counts[1], 300);
  assert_int_equal(counts[2], 200);
  /* Smooth: in any 10 consecutive picks nobody exceeds its share by more than one. */
  const unsigned limit[3] = {5 + 1, 3 + 1, 2 + 1};
  for (int start = 0; start + 10 <= PICKS; start++) {
    unsigned window[3] = {0};
    for (int i = start; i < start + 10; i++) window[seq[i]]++;
    for (int k = 0; k < 3; k++) assert_true(window[k] <= limit[k]);
  }
  /* And not in bursts: the heaviest backend never runs more than twice in a row here. */
  for (int i = 2; i < PICKS; i++) assert_false(seq[i] == 0 && seq[i - 1] == 0 && seq[i - 2] == 0);
  zq_balancer_free(lb);
}

static void test_least_connections(void **state) {
  (void)state;
  zq_lb_backend b[4];
  make_backends(b, 4);
  zq_balancer *lb = balancer(ZQ_LB_LEAST_CONNECTIONS, b, 4);
  unsigned counts[4] = {0};
  /* Requests that never finish: each pick must go to a backend with the fewest in flight. */
  for (int i = 0; i < PICKS; i++) {
    int k = pick(lb, b, 4, NULL);
    assert_in_range(k, 0, 3);
    for (int j = 0; j < 4; j++) assert_true(b[k].active <= b[j].active);
    b[k].active++;
    counts[k]++;
  }
  for (int k = 0; k < 4; k++) assert_int_equal(counts[k], PICKS / 4);
  /* Equal loads that stay equal (requests that finish at once): ties take turns. */
  for (int k = 0; k < 4; k++) b[k].active = 7;
  memset(counts, 0, sizeof(counts));
  for (int i = 0; i < PICKS; i++) counts[pick(lb, b, 4, NULL)]++;
  for (int k = 0; k < 4; k++) assert_in_range(counts[k], PICKS / 4 - 1, PICKS / 4 + 1);
  /* A clear minimum always wins. */
  b[2].active = 1;
  for (int i = 0; i < 20; i++) assert_int_equal(pick(lb, b, 4, NULL), 2);
  zq_balancer_free(lb);
}

static void test_random_two_choices(void **state) {
  (void)state;
  zq_lb_backend b[4];
  make_backends(b, 4);
  zq_balancer *lb = balancer(ZQ_LB_RANDOM, b, 4);
  unsigned counts[4] = {0};
  for (int i = 0; i < 4 * PICKS; i++) counts[pick(lb, b, 4, NULL)]++;
  for (int k = 0; k < 4; k++) assert_in_range(counts[k], PICKS * 85 / 100, PICKS * 115 / 100);
  /* One backend with many requests in flight: it loses every pair it is drawn into. */
  b[3].active = 100;
  memset(counts, 0, sizeof(counts));
  for (int i = 0; i < PICKS; i++) counts[pick(lb, b, 4, NULL)]++;
  assert_int_equal(counts[3], 0);
  /* Two backends: the idle one always wins (the two candidates are distinct). */
  b[1].active = 5;
  for (int i = 0; i < 100; i++) assert_int_equal(pick(lb, b, 2, NULL), 0);
  /* The seed decides the sequence. */
  zq_balancer *other = balancer(ZQ_LB_RANDOM, b, 4);
  zq_balancer_seed(lb, 7);
  zq_balancer_seed(other, 7);
  for (int k = 0; k < 4; k++) b[k].active = 0;
  for (int i = 0; i < 100; i++) assert_int_equal(pick(lb, b, 4, NULL), pick(other, b, 4, NULL));
  zq_balancer_free(other);
  zq_balancer_free(lb);
}

static int hash_pick(zq_balancer *lb, const zq_lb_backend *b, size_t n, unsigned key,
                     const bool *exclude) {
  char text[32];
  int len = snprintf(text, sizeof(text), "192.0.%u.%u", (key >> 8) & 255, key & 255);
  return zq_balancer_pick(lb, b, n, (const uint8_t *)text, (size_t)len, exclude);
}

#define KEYS 10000

static void test_ip_hash_sticky_and_even(void **state) {
  (void)state;
  zq_lb_backend b[4];
  make_backends(b, 4);
  zq_balancer *lb = balancer(ZQ_LB_IP_HASH, b, 4);
  static int owner[KEYS];
  unsigned counts[4] = {0};
  for (unsigned k = 0; k < KEYS; k++) {
    owner[k] = hash_pick(lb, b, 4, k, NULL);
    assert_in_range(owner[k], 0, 3);
    counts[owner[k]]++;
  }
  for (int i = 0; i < 4; i++) assert_in_range(counts[i], KEYS / 4 * 75 / 100, KEYS / 4 * 125 / 100);
  /* The same key always lands on the same backend, whatever the load. */
  b[0].active = 1000;
  for (unsigned k = 0; k < KEYS; k += 7) assert_int_equal(hash_pick(lb, b, 4, k, NULL), owner[k]);
  zq_balancer_free(lb);
}

static void test_ip_hash_consistent(void **state) {
  (void)state;
  zq_lb_backend b[4], three[3];
  make_backends(b, 4);
  zq_balancer *lb = balancer(ZQ_LB_IP_HASH, b, 4);
  static uint64_t owner[KEYS];
  for (unsigned k = 0; k < KEYS; k++) owner[k] = b[hash_pick(lb, b, 4, k, NULL)].id;

  /* Backend 1 leaves the pool (the array shrinks, later ones shift down). */
  three[0] = b[0];
  three[1] = b[2];
  three[2] = b[3];
  assert_int_equal(zq_balancer_update(lb, three, 3), ZQUIC_OK);
  unsigned moved = 0;
  for (unsigned k = 0; k < KEYS; k++) {
    uint64_t now = three[hash_pick(lb, three, 3, k, NULL)].id;
    if (owner[k] != b[1].id)
      assert_true(now == owner[k]); /* keys of the others stay put */
    else
      moved++;
  }
  assert_in_range(moved, KEYS / 8, KEYS / 2); /* it did own a share, and only that moved */

  /* Back to four, then backend 2 goes unhealthy: only its keys fall through, and they come
   * back when it is healthy again. */
  assert_int_equal(zq_balancer_update(lb, b, 4), ZQUIC_OK);
  for (unsigned k = 0; k < KEYS; k++) assert_true(b[hash_pick(lb, b, 4, k, NULL)].id == owner[k]);
  b[2].healthy = false;
  for (unsigned k = 0; k < KEYS; k++) {
    int now = hash_pick(lb, b, 4, k, NULL);
    assert_int_not_equal(now, 2);
    if (owner[k] != b[2].id) assert_true(b[now].id == owner[k]);
  }
  b[2].healthy = true;
  for (unsigned k = 0; k < KEYS; k++) assert_true(b[hash_pick(lb, b, 4, k, NULL)].id == owner[k]);
  zq_balancer_free(lb);
}

/* Without an update for the current array, ip_hash still maps keys consistently. */
static void test_ip_hash_without_update(void **state) {
  (void)state;
  zq_lb_backend b[4];
  make_backends(b, 4);
  zq_balancer *lb = NULL;
  assert_int_equal(zq_balancer_create(ZQ_LB_IP_HASH, &lb), ZQUIC_OK);
  unsigned counts[4] = {0};
  for (unsigned k = 0; k < KEYS; k++) {
    int first = hash_pick(lb, b, 4, k, NULL);
    assert_int_equal(hash_pick(lb, b, 4, k, NULL), first);
    counts[first]++;
  }
  for (int i = 0; i < 4; i++) assert_in_range(counts[i], KEYS / 4 * 75 / 100, KEYS / 4 * 125 / 100);
  zq_balancer_free(lb);
}

static const int algorithms[] = {ZQ_LB_ROUND_ROBIN, ZQ_LB_LEAST_CONNECTIONS, ZQ_LB_WEIGHTED,
                                 ZQ_LB_IP_HASH, ZQ_LB_RANDOM};

static void test_exclude_every_algorithm(void **state) {
  (void)state;
  for (size_t a = 0; a < sizeof(algorithms) / sizeof(algorithms[0]); a++) {
    zq_lb_backend b[4];
    make_backends(b, 4);
    b[1].weight = 9; /* the weighted favourite is excluded: the others must still be chosen */
    zq_balancer *lb = balancer(algorithms[a], b, 4);
    bool exclude[4] = {false, true, false, true};
    bool seen[4] = {false};
    for (unsigned i = 0; i < 200; i++) {
      int k = hash_pick(lb, b, 4, i, exclude);
      assert_true(k == 0 || k == 2);
      seen[k] = true;
    }
    assert_true(seen[0] && seen[2]); /* both of the remaining ones get traffic */
    /* Excluded and unhealthy together leave one backend. */
    b[0].healthy = false;
    for (unsigned i = 0; i < 50; i++) assert_int_equal(hash_pick(lb, b, 4, i, exclude), 2);
    zq_balancer_free(lb);
  }
}

static void test_no_backend(void **state) {
  (void)state;
  for (size_t a = 0; a < sizeof(algorithms) / sizeof(algorithms[0]); a++) {
    zq_lb_backend b[3];
    make_backends(b, 3);
    zq_balancer *lb = balancer(algorithms[a], b, 3);
    for (int k = 0; k < 3; k++) b[k].healthy = false;
    assert_int_equal(hash_pick(lb, b, 3, 1, NULL), -1);
    b[1].healthy = true;
    bool all[3] = {true, true, true};
    assert_int_equal(hash_pick(lb, b, 3, 1, all), -1);
    assert_int_equal(zq_balancer_pick(lb, b, 0, NULL, 0, NULL), -1);
    assert_int_equal(zq_balancer_pick(lb, NULL, 3, NULL, 0, NULL), -1);
    assert_int_equal(hash_pick(lb, b, 3, 1, NULL), 1); /* and recovers */
    zq_balancer_free(lb);
  }
  zq_balancer *lb = NULL;
  assert_int_equal(zq_balancer_create(ZQ_LB_COUNT, &lb), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_null(lb);
  zq_balancer_free(NULL);
}

static void test_backend_id(void **state) {
  (void)state;
  /* 64-bit FNV-1a: the published test vectors, and stable across calls. */
  assert_true(zq_lb_backend_id("") == 0xcbf29ce484222325ULL);
  assert_true(zq_lb_backend_id("a") == 0xaf63dc4c8601ec8cULL);
  assert_true(zq_lb_backend_id("127.0.0.1:9001") == zq_lb_backend_id("127.0.0.1:9001"));
  assert_true(zq_lb_backend_id("127.0.0.1:9001") != zq_lb_backend_id("127.0.0.1:9002"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_robin_even),
      cmocka_unit_test(test_weighted_smooth),
      cmocka_unit_test(test_least_connections),
      cmocka_unit_test(test_random_two_choices),
      cmocka_unit_test(test_ip_hash_sticky_and_even),
      cmocka_unit_test(test_ip_hash_consistent),
      cmocka_unit_test(test_ip_hash_without_update),
      cmocka_unit_test(test_exclude_every_algorithm),
      cmocka_unit_test(test_no_backend),
      cmocka_unit_test(test_backend_id),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
