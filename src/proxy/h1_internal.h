/*
 * h1_internal.h — the structures behind h1_upstream.h's handles, shared by the pool and request
 * code (h1_pool.c) and the connection code (h1_conn.c).
 *
 * Ownership: the pool owns its connections (pool->conns, closing ones included); a connection
 * owns its libuv handles and lives until the last of them has closed, so a libuv callback always
 * finds its connection even after it was closed. A request is owned by the caller's code path
 * until on_end / on_error / cancel, and points at the one connection carrying it (none only for
 * an instant during a retry). Its bytes to send live in the request (`out`), so a retry can send
 * them again on another connection; a connection that is closed with a write in flight never
 * touches them again (libuv closes the socket at once and only cancels the write request).
 */
#ifndef ZQ_PROXY_H1_INTERNAL_H
#define ZQ_PROXY_H1_INTERNAL_H

#include "h1_parse.h"
#include "h1_upstream.h"

/* Room for a failure's text: what happened, the backend's address (up to 299 bytes), why. */
#define ZQ_H1_DETAIL_MAX 512

typedef enum zq_h1_conn_state {
  ZQ_H1_RESOLVING,  /* getaddrinfo for the backend's name */
  ZQ_H1_CONNECTING,
  ZQ_H1_BUSY,       /* connected, carrying a request (or just finishing one) */
  ZQ_H1_IDLE,       /* connected, on pool->idle */
  ZQ_H1_CLOSING,    /* handles closing; freed when the last is closed */
} zq_h1_conn_state;

typedef struct zq_h1_conn {
  zq_list_node node;      /* pool->conns */
  zq_list_node idle_node; /* pool->idle while idle */
  zq_h1_pool *pool;
  zq_h1_conn_state state;
  zq_h1_request *req;     /* the request it carries; NULL when idle or closing */
  bool reused;            /* it has carried a complete request before */
  bool connected;
  bool reading;           /* uv_read_start is in effect */
  bool write_in_flight;
  size_t in_flight;       /* bytes of the write in flight */
  int open_handles;       /* libuv handles (and the resolver request) not yet closed */
  bool resolving;
  int fail_code;          /* a failure found while starting something, reported by `soon` */
  bool fail_connect;
  char fail_detail[ZQ_H1_DETAIL_MAX];
  uv_tcp_t tcp;
  uv_timer_t timer;          /* connect timeout, then idle timeout */
  uv_timer_t response_timer; /* the request's response deadline */
  uv_timer_t soon;           /* deferred work: a failure to report, paused bytes to parse */
  uv_getaddrinfo_t resolve;
  uv_connect_t connect_req;
  uv_write_t write_req;
  zq_h1_response_parser parser;
  uint8_t *pending;       /* bytes read but not parsed when the request paused (owned) */
  size_t pending_len;
} zq_h1_conn;

struct zq_h1_pool {
  zquic_context *ctx;
  zq_h1_pool_options opts;
  char address[300];      /* as given, for messages */
  char host[256];
  char port_text[8];
  bool numeric;           /* host is an IP address: addr holds it, no resolver needed */
  zq_addr addr;
  zq_list conns;          /* every connection not yet freed */
  zq_list idle;           /* idle connections, most recently used first */
  unsigned n_open;        /* connections not closing */
  bool freeing;           /* zq_h1_pool_free ran: the last connection to close frees the pool */
  uint8_t read_buf[65536]; /* reads never nest: one buffer serves every connection */
};

struct zq_h1_request {
  zq_h1_pool *pool;
  zq_h1_conn *conn;
  zq_h1_callbacks cb;
  void *user;
  bool head;              /* HEAD: the response has no body */
  int body;               /* ZQ_H1_BODY_* */
  uint64_t content_length, body_queued;
  bool body_fin;          /* the whole body is queued in `out` */
  zq_buf out;             /* head and framed body not yet released */
  size_t kept;            /* bytes at the front of `out` already written, kept for a retry */
  bool replayable;        /* nothing written was released: a retry can send it all again */
  bool retried;
  bool response_started;  /* a byte of the response arrived */
  bool paused, want_writable;
  bool finishing;         /* on_end / on_error is running: cancel is a no-op */
  uint64_t deadline_ms;   /* uv_now() by which the response head must have arrived */
};

/* ---- h1_conn.c ---- */
/* A fresh connection for `r` (resolving or connecting; failures come later, through
 * zq_h1_request_failed). NULL only when out of memory. */
zq_h1_conn *zq_h1_conn_open(zq_h1_pool *p, zq_h1_request *r);
/* Give an idle connection a request (it was taken off the idle list). */
void zq_h1_conn_reuse(zq_h1_conn *c, zq_h1_request *r);
/* Close: never reused again; detaches its request, if any, without a callback. Idempotent. */
void zq_h1_conn_close(zq_h1_conn *c);
void zq_h1_conn_write_more(zq_h1_conn *c);
/* End the connection's request with this failure from the loop (not inside the caller's call). */
void zq_h1_conn_fail_soon(zq_h1_conn *c, int code, const char *detail);
/* The request paused or resumed reading. */
void zq_h1_conn_set_paused(zq_h1_conn *c, bool paused);

/* ---- h1_pool.c, called by the connection code ---- */
/* The request's connection failed (and was closed): retry it on a fresh connection or end it
 * with on_error. `reused`: the failed connection had carried a request before. */
void zq_h1_request_failed(zq_h1_request *r, int code, bool connect_failed, bool reused,
                          const char *detail);
/* The response ended: on_end, then the request is freed; the connection is closed unless it may
 * carry another request (then the caller puts it on the idle list with zq_h1_conn_park). */
void zq_h1_request_finish(zq_h1_request *r, const zquic_h3_header *trailers, size_t n);
/* `n` bytes of the request were written. */
void zq_h1_request_sent(zq_h1_request *r, size_t n);
/* A connection whose response ended cleanly: onto the idle list, or closed if the pool has
 * enough idle ones. */
void zq_h1_conn_park(zq_h1_conn *c);

#endif
