/*
 * timers.c — the context's connection timers: a binary min-heap of expiries under one timerfd
 * (see timers.h for why). The heap holds pointers to entries embedded in the connections; each
 * entry knows its slot, so moving it earlier or taking it out is O(log n) with no search.
 */
#include "timers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "zquic.h"

void zq_timers_init(zq_timers *t, void (*on_due)(zq_timers *t, void *user), void *user) {
  memset(t, 0, sizeof(*t));
  t->fd = -1;
  t->on_due = on_due;
  t->user = user;
}

static void place(zq_timers *t, size_t i, zq_timer_entry *e) {
  t->heap[i] = e;
  e->slot = i + 1;
}

static void sift_up(zq_timers *t, size_t i) {
  zq_timer_entry *e = t->heap[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (t->heap[parent]->expiry <= e->expiry) break;
    place(t, i, t->heap[parent]);
    i = parent;
  }
  place(t, i, e);
}

static void sift_down(zq_timers *t, size_t i) {
  zq_timer_entry *e = t->heap[i];
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= t->count) break;
    if (child + 1 < t->count && t->heap[child + 1]->expiry < t->heap[child]->expiry) child++;
    if (t->heap[child]->expiry >= e->expiry) break;
    place(t, i, t->heap[child]);
    i = child;
  }
  place(t, i, e);
}

static void take_out(zq_timers *t, zq_timer_entry *e) {
  size_t i = e->slot - 1;
  e->slot = 0;
  zq_timer_entry *last = t->heap[--t->count];
  if (last == e) return;
  place(t, i, last);
  if (i > 0 && t->heap[(i - 1) / 2]->expiry > last->expiry) sift_up(t, i);
  else sift_down(t, i);
}

void zq_timers_rearm(zq_timers *t) {
  if (t->fd < 0 || t->count == 0) return;
  uint64_t earliest = t->heap[0]->expiry;
  if (t->fd_armed && earliest >= t->fd_armed) return; /* set that early already */
  struct itimerspec its;
  memset(&its, 0, sizeof(its));
  its.it_value.tv_sec = (time_t)(earliest / 1000000000ull);
  its.it_value.tv_nsec = (long)(earliest % 1000000000ull);
  timerfd_settime(t->fd, TFD_TIMER_ABSTIME, &its, NULL);
  t->fd_armed = earliest;
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  (void)status;
  (void)events;
  zq_timers *t = handle->data;
  uint64_t expirations;
  ssize_t r = read(t->fd, &expirations, sizeof(expirations));
  (void)r; /* EAGAIN after a spurious wake-up: nothing to do but look */
  t->fd_armed = 0; /* a timerfd fires once: it is disarmed now */
  t->on_due(t, t->user);
}

int zq_timers_start(zq_timers *t, uv_loop_t *loop) {
  if (t->fd >= 0) return ZQUIC_OK;
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) return ZQUIC_ERR_SOCKET;
  if (uv_poll_init(loop, &t->poll, fd) != 0) {
    close(fd);
    return ZQUIC_ERR_INTERNAL;
  }
  t->fd = fd;
  t->poll.data = t;
  uv_poll_start(&t->poll, UV_READABLE, on_poll);
  zq_timers_rearm(t);
  return ZQUIC_OK;
}

int zq_timers_join(zq_timers *t, zq_timer_entry *e) {
  e->slot = 0;
  if (t->members == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 64;
    zq_timer_entry **heap = realloc(t->heap, cap * sizeof(zq_timer_entry *));
    if (!heap) return ZQUIC_ERR_NO_MEMORY;
    t->heap = heap;
    t->cap = cap;
  }
  t->members++;
  return ZQUIC_OK;
}

void zq_timers_leave(zq_timers *t, zq_timer_entry *e) {
  if (e->slot) take_out(t, e);
  t->members--;
}

void zq_timers_arm(zq_timers *t, zq_timer_entry *e, uint64_t expiry) {
  if (e->slot) {
    if (expiry >= e->expiry) return;
    e->expiry = expiry;
    sift_up(t, e->slot - 1);
  } else {
    e->expiry = expiry;
    t->heap[t->count++] = e; /* room was made by zq_timers_join */
    sift_up(t, t->count - 1);
  }
  if (t->heap[0] == e) zq_timers_rearm(t);
}

zq_timer_entry *zq_timers_pop_due(zq_timers *t, uint64_t now) {
  if (t->count == 0 || t->heap[0]->expiry > now) return NULL;
  zq_timer_entry *e = t->heap[0];
  take_out(t, e);
  return e;
}

static void on_closed(uv_handle_t *handle) {
  zq_timers *t = handle->data;
  close(t->fd);
  t->fd = -1;
}

void zq_timers_close(zq_timers *t) {
  if (t->fd >= 0 && !uv_is_closing((uv_handle_t *)&t->poll))
    uv_close((uv_handle_t *)&t->poll, on_closed);
}

void zq_timers_free(zq_timers *t) {
  free(t->heap);
  t->heap = NULL;
  t->count = t->cap = t->members = 0;
}
