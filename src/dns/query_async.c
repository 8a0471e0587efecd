/*
 * query_async.c — a DoQ query as an event-driven exchange on the loop thread: opening its stream
 * (or waiting in line for one), sending the framed query with FIN, reading the length-prefixed
 * answer through zq_stream_hooks, and ending with exactly one result.
 *
 * Why on the loop: a blocking query per thread cost a loop round trip to open its stream and a
 * wake-up of every waiting thread per answer. Here the answer is read where it arrives, and the
 * callback may start the next query at once, so a loop turn's answers and new queries share one
 * write batch.
 *
 * The result comes from the first of: the whole answer (with FIN), a broken answer, a stream
 * reset, 0-RTT refusal, the deadline timer, or the connection's end. Whatever came first wins;
 * the stream is let go at once (cancelled unless the exchange finished) and the callback is
 * posted to the loop's call queue rather than run inside ngtcp2's callbacks, so that it may open
 * streams freely and never runs inside the call that started the query.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "doq_client.h"

#define DOQ_REQUEST_CANCELLED 0x3

typedef struct zq_dns_query {
  zq_loop_call post;       /* the start (from another thread), later the delivery */
  zq_stream_waiter waiter; /* in the connection's line for a stream */
  uv_timer_t timer;
  zquic_context *ctx;
  zquic_connection *conn;  /* a reference */
  zquic_stream *s;         /* while the exchange runs */
  uint8_t *wire;           /* the framed query */
  size_t wire_len;
  uint8_t prefix[2];       /* the answer's length, then its bytes */
  uint8_t *answer;
  size_t have, answer_len; /* bytes of prefix + answer received so far; the answer's length */
  char *name;
  int type;
  uint16_t wire_type;
  int timeout_ms;
  uint64_t deadline_ns;    /* 0 = none */
  zquic_dns_callback cb;
  zq_doq_exchange_cb raw_cb; /* instead of cb: the answer's bytes, not parsed (forwarding) */
  void *user;
  int result;
  zquic_dns_response *resp;
  char error[256];
  bool waiting, finished, timer_inited;
} zq_dns_query;

static void query_free(zq_dns_query *q) {
  zquic_dns_response_free(q->resp);
  free(q->wire);
  free(q->answer);
  free(q->name);
  if (q->conn) zq_conn_release(q->conn);
  free(q);
}

static void on_timer_closed(uv_handle_t *h) { query_free(h->data); }

/* The callback, from the loop's call queue: the query's one and only end for its owner. */
static int deliver(void *arg) {
  zq_dns_query *q = arg;
  zquic_dns_response *resp = q->resp;
  q->resp = NULL;
  if (q->result) zq_error(q->result, "%s", q->error);
  else zq_error_clear();
  if (q->raw_cb) q->raw_cb(q->result, q->result ? NULL : q->answer, q->answer_len, q->user);
  else q->cb(q->result, resp, q->user);
  if (q->timer_inited) uv_close((uv_handle_t *)&q->timer, on_timer_closed);
  else query_free(q);
  return 0;
}

/* End the query (loop thread): let the stream go, leave the line, queue the callback. */
static void finish(zq_dns_query *q, int result, zquic_dns_response *resp, int64_t cancel_code) {
  if (q->finished) {
    zquic_dns_response_free(resp);
    return;
  }
  q->finished = true;
  q->result = result;
  q->resp = resp;
  if (q->timer_inited) uv_timer_stop(&q->timer);
  if (q->waiting) zq_h3_cancel_wait(q->conn, &q->waiter);
  q->waiting = false;
  if (q->s) {
    zquic_stream *s = q->s;
    q->s = NULL;
    zq_stream_unhook(s, cancel_code);
  }
  q->post = (zq_loop_call){.fn = deliver, .arg = q};
  if (zq_ctx_post(q->ctx, &q->post) != 0) deliver(q); /* the loop is stopping: now */
}

static void fail(zq_dns_query *q, int result, int64_t cancel_code, const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));
static void fail(zq_dns_query *q, int result, int64_t cancel_code, const char *fmt, ...) {
  if (q->finished) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(q->error, sizeof(q->error), fmt, ap);
  va_end(ap);
  finish(q, result ? result : ZQUIC_ERR_INTERNAL, NULL, cancel_code);
}

/* Why the connection cannot carry the query: its close reason, or plainly closed. */
static void fail_conn(zq_dns_query *q, const char *what) {
  int rc = zq_conn_check_open(q->conn);
  fail(q, rc ? rc : ZQUIC_ERR_CLOSED, -1, "%s: %s", what,
       rc ? zquic_last_error() : "connection closed");
}

/* ---- the answer ----------------------------------------------------------------------------- */

static void hook_data(zquic_stream *s, void *user) {
  zq_dns_query *q = user;
  if (s->reset_received) {
    fail(q, ZQUIC_ERR_STREAM_RESET, -1, "the server reset the query's stream (DoQ error 0x%llx)",
         (unsigned long long)s->reset_code);
    return;
  }
  while (s->rx.len) {
    if (q->have < 2) {
      q->have += zq_stream_take(s, q->prefix + q->have, 2 - q->have);
      if (q->have < 2) continue;
      q->answer_len = (size_t)q->prefix[0] << 8 | q->prefix[1];
      if (!(q->answer = malloc(q->answer_len ? q->answer_len : 1))) {
        fail(q, ZQUIC_ERR_NO_MEMORY, DOQ_REQUEST_CANCELLED, "out of memory");
        return;
      }
      continue;
    }
    size_t got = q->have - 2;
    if (got == q->answer_len) {
      fail(q, ZQUIC_ERR_PROTOCOL, DOQ_REQUEST_CANCELLED,
           "DoQ answer longer than its length prefix allows");
      return;
    }
    q->have += zq_stream_take(s, q->answer + got, q->answer_len - got);
  }
  if (!s->fin_received) return; /* more to come */
  if (q->have < 2 || q->have - 2 != q->answer_len) {
    fail(q, ZQUIC_ERR_PROTOCOL, -1, "DoQ answer length prefix does not match its %zu bytes",
         q->have);
    return;
  }
  if (q->raw_cb) { /* the owner judges the bytes itself */
    finish(q, ZQUIC_OK, NULL, -1);
    return;
  }
  zquic_dns_response *resp = NULL;
  int rc = zq_dns_parse_answer(q->answer, q->answer_len, q->name, q->type, q->wire_type, &resp);
  if (rc) snprintf(q->error, sizeof(q->error), "%s", zquic_last_error());
  finish(q, rc, resp, -1);
}

static void hook_closed(zquic_stream *s, void *user) {
  zq_dns_query *q = user;
  if (s->early_rejected)
    fail(q, ZQUIC_ERR_EARLY_DATA_REJECTED, -1, "the server refused 0-RTT: ask again");
  else if (s->reset_received)
    fail(q, ZQUIC_ERR_STREAM_RESET, -1, "the server reset the query's stream (DoQ error 0x%llx)",
         (unsigned long long)s->reset_code);
  else if (zq_conn_check_open(q->conn) != 0 || !s->conn->qc)
    fail_conn(q, "connection ended before the answer");
  else
    fail(q, ZQUIC_ERR_PROTOCOL, -1, "the query's stream closed before the whole answer");
}

static const zq_stream_hooks hooks = {hook_data, hook_closed};

/* ---- starting ------------------------------------------------------------------------------- */

/* Open the stream now: ZQUIC_OK, ZQUIC_ERR_LIMIT (wait in line) or another error (set). */
static int try_open(zq_dns_query *q) {
  zquic_stream *s;
  int rc = zq_stream_open_hooked(q->conn, &hooks, q, &s);
  if (rc) return rc;
  q->s = s;
  if ((rc = zq_stream_put(s, q->wire, q->wire_len, true)) != 0) {
    q->s = NULL;
    zq_stream_unhook(s, DOQ_REQUEST_CANCELLED);
    return zq_error(rc, "cannot queue the query");
  }
  return ZQUIC_OK;
}

static bool on_stream_free(zq_stream_waiter *w, bool closed) {
  zq_dns_query *q = zq_container_of(w, zq_dns_query, waiter);
  q->waiting = false;
  if (closed) {
    fail_conn(q, "connection ended before the query was sent");
    return true;
  }
  int rc = try_open(q);
  if (rc == ZQUIC_ERR_LIMIT) {
    q->waiting = true;
    return false;
  }
  if (rc) fail(q, rc, -1, "cannot send the query: %s", zquic_last_error());
  return true;
}

static void on_deadline(uv_timer_t *t) {
  zq_dns_query *q = t->data;
  zquic_context *ctx = q->ctx;
  pthread_mutex_lock(&ctx->lock);
  fail(q, ZQUIC_ERR_TIMEOUT, DOQ_REQUEST_CANCELLED, "no DoQ answer within %d ms", q->timeout_ms);
  zq_ctx_flush_dirty(ctx);
  zq_ctx_unlock(ctx);
}

static int start_on_loop(void *arg) {
  zq_dns_query *q = arg;
  if (q->deadline_ns) {
    uv_timer_init(&q->ctx->loop, &q->timer);
    q->timer.data = q;
    q->timer_inited = true;
    uint64_t now = zq_now_ns();
    uv_timer_start(&q->timer, on_deadline,
                   q->deadline_ns > now ? (q->deadline_ns - now + 999999) / 1000000 : 0, 0);
  }
  int rc = try_open(q);
  if (rc == ZQUIC_ERR_LIMIT) {
    q->waiter.ready = on_stream_free;
    q->waiting = true;
    zq_h3_wait_streams(q->conn, &q->waiter);
  } else if (rc) {
    fail(q, rc, -1, "cannot send the query: %s", zquic_last_error());
  }
  return 0;
}

/* Hand q (its wire built) to the loop: ZQUIC_OK, or an error (set) and q is still the caller's. */
static int submit(zquic_connection *conn, zq_dns_query *q) {
  if (q->timeout_ms > 0) q->deadline_ns = zq_now_ns() + (uint64_t)q->timeout_ms * 1000000;
  zquic_context *ctx = conn->ctx;
  bool taken = zq_ctx_enter(ctx);
  int rc = ZQUIC_OK;
  if (ctx->stopping) {
    zq_ctx_leave(ctx, taken);
    return zq_error(ZQUIC_ERR_CLOSED, "the context is shutting down");
  }
  conn->refs++;
  q->conn = conn;
  q->ctx = ctx;
  if (zq_on_loop_thread(ctx)) {
    start_on_loop(q); /* a failure is delivered later, never inside this call */
  } else {
    q->post = (zq_loop_call){.fn = start_on_loop, .arg = q};
    rc = zq_ctx_post(ctx, &q->post);
  }
  if (rc) {
    zq_conn_release(conn);
    q->conn = NULL;
  }
  zq_ctx_leave(ctx, taken);
  return rc;
}

int zq_dns_query_start(zquic_connection *conn, const char *name, int type,
                       const zquic_dns_query_options *opts, zquic_dns_callback cb, void *user) {
  if (!conn || !name || !cb)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL connection, name or callback");
  zquic_dns_query_options o;
  zquic_dns_query_options_init(&o);
  uint16_t wire_type = 0;
  int rc = zq_dns_prepare(name, type, opts, &o, &wire_type);
  if (rc) return rc;
  zq_dns_query *q = calloc(1, sizeof(*q));
  if (!q || !(q->name = strdup(name))) {
    rc = zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
    goto err;
  }
  /* Built before the lock is taken: callers on many threads build their queries in parallel. */
  if ((rc = zq_dns_build_wire(name, wire_type, &o, &q->wire, &q->wire_len)) != 0) goto err;
  q->type = type;
  q->wire_type = wire_type;
  q->cb = cb;
  q->user = user;
  q->timeout_ms = o.timeout_ms;
  if ((rc = submit(conn, q)) != 0) goto err;
  return ZQUIC_OK;
err:
  if (q) query_free(q);
  return rc;
}

int zq_doq_exchange_start(zquic_connection *conn, const uint8_t *msg, size_t len, int timeout_ms,
                          zq_doq_exchange_cb cb, void *user) {
  if (!conn || !msg || !cb) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  if (len < 12 || len > 65535)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "a DNS message of %zu bytes", len);
  zq_dns_query *q = calloc(1, sizeof(*q));
  if (!q || !(q->wire = malloc(2 + len))) {
    free(q);
    return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  }
  q->wire[0] = (uint8_t)(len >> 8);
  q->wire[1] = (uint8_t)len;
  memcpy(q->wire + 2, msg, len);
  q->wire_len = 2 + len;
  q->raw_cb = cb;
  q->user = user;
  q->timeout_ms = timeout_ms;
  int rc = submit(conn, q);
  if (rc) query_free(q);
  /* On success the loop owns q (call queue, timer, stream hooks): the analyzer loses it there. */
  return rc; // NOLINT(clang-analyzer-unix.Malloc)
}

/* ---- blocking callers ----------------------------------------------------------------------- */

struct zq_dns_wait {
  zquic_context *ctx;
  int refs; /* the waiter's and the callback's, under ctx->lock */
  int timeout_ms;
  bool done;
  int result;
  zquic_dns_response *resp;
  char error[256];
};

zq_dns_wait *zq_dns_wait_new(zquic_context *ctx, int timeout_ms) {
  zq_dns_wait *w = calloc(1, sizeof(*w));
  if (!w) return NULL;
  w->ctx = ctx;
  w->refs = 2;
  w->timeout_ms = timeout_ms;
  return w;
}

static void wait_unref(zq_dns_wait *w) {
  if (--w->refs > 0) return;
  zquic_dns_response_free(w->resp);
  free(w);
}

void zq_dns_wait_done(int result, zquic_dns_response *resp, void *user) {
  zq_dns_wait *w = user;
  w->done = true;
  w->result = result;
  w->resp = resp;
  if (result) snprintf(w->error, sizeof(w->error), "%s", zquic_last_error());
  zq_ctx_notify(w->ctx);
  wait_unref(w);
}

void zq_dns_wait_abandon(zq_dns_wait *w) { free(w); }

int zq_dns_wait_end(zq_dns_wait *w, zquic_dns_response **out) {
  zquic_context *ctx = w->ctx;
  pthread_mutex_lock(&ctx->lock);
  /* The deadline timer on the loop ends the query; this bound only guards against a loop that
   * stopped running. */
  uint64_t deadline = w->timeout_ms > 0 ? zq_now_ns() + (uint64_t)(w->timeout_ms + 5000) * 1000000
                                        : 0;
  while (!w->done)
    if (!zq_ctx_wait(ctx, deadline)) break;
  int rc;
  if (!w->done) {
    rc = zq_error(ZQUIC_ERR_TIMEOUT, "DNS query did not end (event loop stalled)");
  } else if (w->result) {
    rc = zq_error(w->result, "%s", w->error);
  } else {
    *out = w->resp;
    w->resp = NULL;
    rc = ZQUIC_OK;
    zq_error_clear();
  }
  wait_unref(w);
  zq_ctx_unlock(ctx);
  return rc;
}
