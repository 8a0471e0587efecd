/*
 * test_timers.c — the context's connection timers (src/core/timers.c): entries come out of the
 * heap in expiry order, each exactly once; arming later is ignored and arming earlier moves an
 * entry up; entries that leave from anywhere in the heap never come out; only what is due is
 * popped; and the timerfd really wakes a libuv loop, not before the earliest expiry, and is set
 * again for the next one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "timers.h"
#include "zquic.h"

#define COUNT 2000

static void never_due(zq_timers *t, void *user) {
  (void)t;
  (void)user;
  fail_msg("no timerfd was started");
}

static uint64_t next_random(uint64_t *state) {
  *state = *state * 6364136223846793005ull + 1442695040888963407ull;
  return *state >> 20;
}

/* Pop everything; check the order and that exactly the entries flagged in `expect` came out. */
static void drain_in_order(zq_timers *t, zq_timer_entry *entries, const bool *expect) {
  static bool seen[COUNT];
  memset(seen, 0, sizeof(seen));
  uint64_t last = 0;
  zq_timer_entry *e;
  while ((e = zq_timers_pop_due(t, UINT64_MAX)) != NULL) {
    size_t i = (size_t)(e - entries);
    assert_true(i < COUNT);
    assert_false(seen[i]);
    assert_true(expect[i]);
    assert_true(e->expiry >= last);
    assert_int_equal(e->slot, 0);
    last = e->expiry;
    seen[i] = true;
  }
  for (size_t i = 0; i < COUNT; i++) assert_int_equal(seen[i], expect[i]);
  assert_int_equal(t->count, 0);
}

static void test_order_and_rearm(void **state) {
  (void)state;
  static zq_timer_entry entries[COUNT];
  static bool expect[COUNT];
  zq_timers t;
  zq_timers_init(&t, never_due, NULL);
  uint64_t rng = 42;
  for (size_t i = 0; i < COUNT; i++) {
    assert_int_equal(zq_timers_join(&t, &entries[i]), ZQUIC_OK);
    zq_timers_arm(&t, &entries[i], 1000 + next_random(&rng) % 100000);
    expect[i] = true;
  }
  /* Later is ignored, earlier moves up: entry 7 becomes the earliest of all. */
  uint64_t before = entries[7].expiry;
  zq_timers_arm(&t, &entries[7], before + 5);
  assert_int_equal(entries[7].expiry, before);
  zq_timers_arm(&t, &entries[7], 1);
  assert_ptr_equal(t.heap[0], &entries[7]);
  /* Only what is due comes out. */
  assert_null(zq_timers_pop_due(&t, 0));
  assert_ptr_equal(zq_timers_pop_due(&t, 1), &entries[7]);
  expect[7] = false;
  assert_true(t.count == COUNT - 1);
  drain_in_order(&t, entries, expect);
  for (size_t i = 0; i < COUNT; i++) zq_timers_leave(&t, &entries[i]);
  assert_int_equal(t.members, 0);
  zq_timers_free(&t);
}

static void test_leave_from_anywhere(void **state) {
  (void)state;
  static zq_timer_entry entries[COUNT];
  static bool expect[COUNT];
  zq_timers t;
  zq_timers_init(&t, never_due, NULL);
  uint64_t rng = 7;
  for (size_t i = 0; i < COUNT; i++) {
    assert_int_equal(zq_timers_join(&t, &entries[i]), ZQUIC_OK);
    if (i % 5 != 4) zq_timers_arm(&t, &entries[i], 1 + next_random(&rng) % 5000); /* ties too */
    expect[i] = i % 5 != 4;
  }
  for (size_t i = 0; i < COUNT; i += 3) { /* queued or not: both must be fine */
    zq_timers_leave(&t, &entries[i]);
    expect[i] = false;
  }
  drain_in_order(&t, entries, expect);
  zq_timers_free(&t);
}

typedef struct fire_log {
  zq_timer_entry a, b;
  int fired;
  uint64_t fired_at[2];
  uv_loop_t *loop;
} fire_log;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void on_due(zq_timers *t, void *user) {
  fire_log *log = user;
  uint64_t now = now_ns();
  zq_timer_entry *e;
  while ((e = zq_timers_pop_due(t, now)) != NULL) {
    assert_true(log->fired < 2);
    log->fired_at[log->fired++] = now;
  }
  if (log->fired == 2) zq_timers_close(t);
  else zq_timers_rearm(t);
}

static void test_timerfd_wakes_the_loop(void **state) {
  (void)state;
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  fire_log log = {.loop = &loop};
  zq_timers t;
  zq_timers_init(&t, on_due, &log);
  assert_int_equal(zq_timers_join(&t, &log.a), ZQUIC_OK);
  assert_int_equal(zq_timers_join(&t, &log.b), ZQUIC_OK);
  uint64_t start = now_ns();
  zq_timers_arm(&t, &log.b, start + 40000000); /* armed before the fd exists: start sets it */
  assert_int_equal(zq_timers_start(&t, &loop), ZQUIC_OK);
  zq_timers_arm(&t, &log.a, start + 10000000);
  uv_run(&loop, UV_RUN_DEFAULT); /* returns once on_due closed the timerfd's handle */
  assert_int_equal(log.fired, 2);
  assert_true(log.fired_at[0] >= start + 10000000);
  assert_true(log.fired_at[1] >= start + 40000000);
  assert_int_equal(t.fd, -1);
  assert_int_equal(uv_loop_close(&loop), 0);
  zq_timers_leave(&t, &log.a);
  zq_timers_leave(&t, &log.b);
  zq_timers_free(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_order_and_rearm),
    cmocka_unit_test(test_leave_from_anywhere),
    cmocka_unit_test(test_timerfd_wakes_the_loop),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
