/*
 * h1_upstream.h — Wraith's HTTP/1.1 backends: a pool of keep-alive TCP connections to one
 * backend address, and requests on them whose bodies stream both ways (never held whole).
 * Responses are parsed with http-parser (libhttp-parser); requests are written by hand (a
 * request line and fields, Content-Length or chunked, chunked request trailers never).
 *
 * Lifecycle: zq_h1_pool_new → zq_h1_request_start (many, concurrently: each takes an idle
 * connection or opens one) → callbacks → the request ends (on_end or on_error) or is cancelled →
 * zq_h1_pool_free. A connection goes back to the pool's idle list only when both the request
 * and the response were complete and neither side said "Connection: close"; an idle connection
 * the backend closed is noticed (EOF while idle) and dropped. A request that fails on a reused
 * connection before any response byte arrived is sent once more on a fresh connection, since the
 * backend may have closed it just as it was reused (a stale keep-alive connection is not a
 * backend failure); `connect_failed` in on_error then reports only failures of fresh connects.
 *
 * Threading: everything runs on the context's loop thread. libuv callbacks take ctx->lock (and
 * flush dirty QUIC connections on the way out, like src/dns/forward.c), so the callbacks below
 * run with the lock held, like every other loop-thread callback of the library. new/free and
 * every other call: loop thread, lock held.
 *
 * Internal (zq_ prefix).
 */
#ifndef ZQ_PROXY_H1_UPSTREAM_H
#define ZQ_PROXY_H1_UPSTREAM_H

#include "../core/internal.h"

typedef struct zq_h1_pool zq_h1_pool;
typedef struct zq_h1_request zq_h1_request;

typedef struct zq_h1_pool_options {
  uint32_t connect_timeout_ms;     /* TCP connect; default 3000 */
  uint32_t response_timeout_ms;    /* from the request's start to the response's status line and
                                      fields: else on_error(ZQUIC_ERR_TIMEOUT); default 30000 */
  uint32_t idle_timeout_ms;        /* idle keep-alive connections are closed after this; 60000 */
  unsigned max_idle;               /* idle connections kept; default 32 */
  uint32_t max_response_header_bytes; /* a larger header section is ZQUIC_ERR_PROTOCOL; 65536 */
} zq_h1_pool_options;

/* zq_h1_pool_new takes a zero timeout or header limit as "the default"; max_idle 0 keeps no
 * idle connection (no keep-alive). */
void zq_h1_pool_options_init(zq_h1_pool_options *o);

/* Callbacks of one request, on the loop thread with ctx->lock held. After on_end or on_error the
 * request is gone (freed by the pool when the callback returns): do not touch it again. A
 * callback may call zq_h1_request_cancel on its own request (nothing is called after that). */
typedef struct zq_h1_callbacks {
  /* The final response's status and fields (1xx answers are skipped). Field names are
   * lower-cased; hop-by-hop fields (Connection and the fields it names, Keep-Alive,
   * Transfer-Encoding, TE, Trailer, Upgrade, Proxy-Connection) are left out. The arrays are
   * valid during the call only. */
  void (*on_response)(zq_h1_request *r, int status, const zquic_h3_header *fields, size_t n,
                      void *user);
  /* Response body bytes (de-chunked), valid during the call. */
  void (*on_body)(zq_h1_request *r, const uint8_t *data, size_t len, void *user);
  /* The response ended; chunked trailers (lower-cased names), if any. */
  void (*on_end)(zq_h1_request *r, const zquic_h3_header *trailers, size_t n, void *user);
  /* The request failed: ZQUIC_ERR_SOCKET (connect refused/unreachable, reset, write failure),
   * ZQUIC_ERR_TIMEOUT (connect or response timeout), ZQUIC_ERR_PROTOCOL (the backend answered
   * something that is not HTTP/1.1, or too large a header section), ZQUIC_ERR_CLOSED (the backend
   * closed before the response was complete). `connect_failed`: no connection to the backend
   * could be made at all (the request never reached it: safe to retry elsewhere). `detail` says
   * what happened, for logs. */
  void (*on_error)(zq_h1_request *r, int code, bool connect_failed, const char *detail,
                   void *user);
  /* Optional: the request body buffer drained below half of what zq_h1_request_write allows
   * queued (ZQ_H1_WRITE_HIGH_WATER): write more. */
  void (*on_writable)(zq_h1_request *r, void *user);
} zq_h1_callbacks;

#define ZQ_H1_WRITE_HIGH_WATER ((size_t)256 * 1024) /* size_t: compared with buffer lengths */

/* A pool for `address` ("host:port", "[v6]:port"; names resolved with libuv's getaddrinfo in the
 * thread pool). `opts` may be NULL. Loop thread. */
int zq_h1_pool_new(zquic_context *ctx, const char *address, const zq_h1_pool_options *opts,
                   zq_h1_pool **out);
/* Close every connection; requests still running end without callbacks (their handles are
 * invalid afterwards). The memory goes once libuv has closed the sockets. Loop thread. */
void zq_h1_pool_free(zq_h1_pool *p);
unsigned zq_h1_pool_open_connections(const zq_h1_pool *p); /* idle + busy */
unsigned zq_h1_pool_idle_connections(const zq_h1_pool *p);

/* Start a request. `path` is the origin-form target ("/x?y"), `host` the Host field's value.
 * `fields` are sent as they are (the caller has removed hop-by-hop fields and added forwarding
 * ones); names may be lower-case. `body`: ZQ_H1_BODY_NONE (no body), ZQ_H1_BODY_LENGTH
 * (`content_length` bytes follow with zq_h1_request_write) or ZQ_H1_BODY_CHUNKED (an unknown
 * length: sent chunked). The pool adds Host, Content-Length / Transfer-Encoding and
 * "Connection: keep-alive" (Host, Content-Length, Transfer-Encoding and Connection among
 * `fields` are left out: the pool frames the message; "Content-Length: 0" for a POST, PUT or
 * PATCH without a body). A method, target, Host or field that could break a line (CR, LF; spaces
 * in a method, target or name) is ZQUIC_ERR_INVALID_ARGUMENT. "HEAD" expects no response body.
 * Callbacks never run inside this call. On success *out is the request until its on_end /
 * on_error, or zq_h1_request_cancel. */
#define ZQ_H1_BODY_NONE 0
#define ZQ_H1_BODY_LENGTH 1
#define ZQ_H1_BODY_CHUNKED 2
int zq_h1_request_start(zq_h1_pool *p, const char *method, const char *path, const char *host,
                        const zquic_h3_header *fields, size_t n_fields, int body,
                        uint64_t content_length, const zq_h1_callbacks *cb, void *user,
                        zq_h1_request **out);
/* Queue request body bytes (copied) and, with `fin`, end the body. ZQUIC_ERR_WOULD_BLOCK
 * (nothing queued) while ZQ_H1_WRITE_HIGH_WATER bytes wait to be written: on_writable follows.
 * ZQUIC_ERR_INVALID_ARGUMENT past a declared Content-Length, at `fin` short of it, or after the
 * body ended. ZQUIC_ERR_NO_MEMORY: the request cannot go on and on_error follows. */
int zq_h1_request_write(zq_h1_request *r, const void *data, size_t len, bool fin);
/* Stop (true) or resume (false) reading the response: the client side cannot take more now. */
void zq_h1_request_pause(zq_h1_request *r, bool paused);
/* Abandon the request: no further callbacks; its connection is closed, never reused. */
void zq_h1_request_cancel(zq_h1_request *r);

#endif
