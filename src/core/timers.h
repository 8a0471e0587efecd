/*
 * timers.h — one timerfd per context for all its connections' ngtcp2 expiries.
 *
 * Each connection used to own a timerfd watched with uv_poll. That cost nine system calls per
 * connection (create, the epoll additions and removals uv_poll makes, the settimes, close) and
 * one file descriptor per connection, so a server near the default limit of 1,024 descriptors
 * could not accept more. Now the context keeps a binary min-heap of the connections' expiries
 * and points its single timerfd at the earliest one; arming a connection makes a system call
 * only when it becomes the earliest.
 *
 * Like the per-connection timer before it, an expiry is only ever moved earlier: a timer that
 * fires early is harmless (ngtcp2 finds nothing due and the connection is armed again), and
 * never moving an entry later keeps the busy path to a comparison.
 */
#ifndef ZQ_TIMERS_H
#define ZQ_TIMERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct zq_timer_entry {
  uint64_t expiry; /* CLOCK_MONOTONIC ns while queued */
  size_t slot;     /* 1 + index in the heap; 0 = not queued */
} zq_timer_entry;

struct zq_timers;
typedef struct zq_timers {
  zq_timer_entry **heap;
  size_t count, cap;
  size_t members;    /* entries that may be queued: the heap never needs to grow past this */
  int fd;            /* -1 until zq_timers_start */
  uv_poll_t poll;
  uint64_t fd_armed; /* what fd is set to; 0 = disarmed */
  void (*on_due)(struct zq_timers *t, void *user); /* the timerfd fired (loop thread) */
  void *user;
} zq_timers;

void zq_timers_init(zq_timers *t, void (*on_due)(zq_timers *t, void *user), void *user);
/* Create the timerfd and watch it on `loop` (once; later calls do nothing). */
int zq_timers_start(zq_timers *t, uv_loop_t *loop);
/* Make room for one more member, so that arming it never allocates. ZQUIC_ERR_NO_MEMORY. */
int zq_timers_join(zq_timers *t, zq_timer_entry *e);
/* The member is gone: take it out of the heap. */
void zq_timers_leave(zq_timers *t, zq_timer_entry *e);
/* Wake `e` at `expiry` (ns) or earlier: a later expiry than the queued one changes nothing. */
void zq_timers_arm(zq_timers *t, zq_timer_entry *e, uint64_t expiry);
/* The earliest entry due at `now`, taken out of the heap, or NULL. */
zq_timer_entry *zq_timers_pop_due(zq_timers *t, uint64_t now);
/* Point the timerfd at the earliest entry if it is not already set that early (after on_due). */
void zq_timers_rearm(zq_timers *t);
/* Stop watching and close the timerfd (loop thread, before the loop ends). */
void zq_timers_close(zq_timers *t);
/* Free the heap, once the loop has ended. */
void zq_timers_free(zq_timers *t);

#endif
