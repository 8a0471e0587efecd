/*
 * grpc_internal.h — what the GhostBridge modules share: metadata stores, the response behind a
 * zquic_grpc_response, message framing with optional gzip, and the client call and server call
 * structures. The wire rules themselves are in wire.h; the HTTP/3 streams underneath in
 * ../h3/h3_internal.h.
 */
#ifndef ZQ_GRPC_INTERNAL_H
#define ZQ_GRPC_INTERNAL_H

#include "../h3/h3_internal.h"
#include "wire.h"

/* Unsent bytes a sender may queue before send waits (or says WOULD_BLOCK). */
#define ZQ_GRPC_SEND_WINDOW ((size_t)1 << 20)
/* Received messages a streaming reader may leave queued before credit stops flowing. */
#define ZQ_GRPC_RECV_WINDOW ((size_t)1 << 20)
#define ZQ_GRPC_MAX_METADATA 64

/* ---- metadata (metadata.c) ---- */
typedef struct zq_grpc_md_entry {
  char *key;      /* NUL-terminated; the value follows it in the same allocation */
  uint8_t *value; /* decoded bytes, NUL-terminated for convenience */
  size_t len;
} zq_grpc_md_entry;

typedef struct zq_grpc_md {
  zq_grpc_md_entry *entries;
  size_t count, cap;
} zq_grpc_md;

void zq_grpc_md_clear(zq_grpc_md *md);
/* Add one received field; "-bin" values are base64-decoded (a malformed one is kept as text). */
int zq_grpc_md_add(zq_grpc_md *md, const char *key, const char *value);
/* Add every field of `f` except pseudo-headers and those named in `skip` (NULL-terminated). */
int zq_grpc_md_add_fields(zq_grpc_md *md, const zq_fields *f, const char *const *skip);
int zq_grpc_md_get(const zq_grpc_md *md, const char *key, const uint8_t **value, size_t *len);

/* Outgoing metadata as HTTP/3 header fields: keys checked (lower-case token characters, not
 * reserved), "-bin" values base64-encoded, text values checked. The strings live in `store`
 * (a zq_fields) until it is cleared. */
int zq_grpc_md_encode(const zquic_grpc_metadata *md, size_t n, zq_fields *store);

/* The response behind zquic_grpc_response. */
typedef struct zq_grpc_response {
  zquic_grpc_response pub; /* first: the public pointer is this struct's */
  zq_grpc_md md;
} zq_grpc_response;

zq_grpc_response *zq_grpc_response_new(void);
/* Set status and error text (printf-style; the text is cut at 255 bytes). */
void zq_grpc_response_set(zq_grpc_response *r, int status, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));

/* ---- messages (compress.c) ---- */
/* Append one framed message (prefix + payload, gzip-compressed when `gzip`) to `out`. */
int zq_grpc_frame_append(zq_buf *out, const uint8_t *msg, size_t len, bool gzip);
/* Inflate a gzip message into a new buffer of at most `max` bytes (*out owned by the caller).
 * Returns ZQ_GRPC_OK, RESOURCE_EXHAUSTED past `max` or INTERNAL for corrupt data. */
int zq_grpc_gunzip(const uint8_t *in, size_t len, uint32_t max, uint8_t **out, size_t *out_len);

/* ---- client calls (call.c: the loop side; client.c: the public functions) ---- */
typedef enum { ZQ_CALL_BLOCKING, ZQ_CALL_ASYNC, ZQ_CALL_STREAM } zq_call_mode;

typedef struct zq_grpc_msg {
  zq_list_node node;
  size_t len, wire_len; /* payload, and body bytes it took (credit owed when it is read) */
  uint8_t data[];
} zq_grpc_msg;

/* One client call; the public zquic_grpc_stream is this struct. Every field is guarded by the
 * context lock. Two references keep it: the owner's (the caller's handle, or the async callback
 * not yet run) and the loop's (from start until the call is done and its stream let go). */
struct zquic_grpc_stream {
  zquic_connection *conn; /* one connection reference held */
  zq_call_mode mode;
  int refs;
  zq_loop_call post;       /* start_on_loop, queued from another thread */
  zq_stream_waiter waiter; /* queued for a free stream */
  bool waiting;
  zq_h3_stream *st;        /* while the HTTP/3 stream is attached */
  char *path, *authority;
  zq_fields md_out;        /* encoded request metadata */
  zq_buf pending;          /* framed request bytes until the stream opens */
  bool half_closed, gzip_send, gzip_recv;
  uint32_t max_receive;
  int timeout_ms;
  uint64_t deadline_ns;    /* 0 = none */
  uv_timer_t timer;
  bool timer_inited;
  zq_grpc_deframer deframer;
  size_t n_messages;
  zq_list messages;        /* streaming: received, not yet read */
  size_t queued_bytes, owed_credit;
  zq_grpc_msg *current;    /* the message the last receive returned */
  zq_grpc_response *resp;  /* built as the answer arrives; final once done */
  bool done;
  zquic_grpc_callback callback;
  void *callback_user;
};
typedef struct zquic_grpc_stream zq_grpc_call;

/* Make a call (not started): validates and copies everything. */
int zq_grpc_call_new(zquic_connection *conn, const char *method, const zquic_grpc_call_options *opts,
                     zq_call_mode mode, zq_grpc_call **out);
/* Start it: on the loop thread at once, else queued to it. Lock held. */
int zq_grpc_call_start(zq_grpc_call *call);
/* End the call now with `status` (no-op once done). Loop thread. */
void zq_grpc_call_complete(zq_grpc_call *call, int status, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));
/* Drop the owner's reference (frees when the loop is done with it). Lock held, any thread. */
void zq_grpc_call_release(zq_grpc_call *call);
/* Append a request message; make it go out if the stream is open. Lock held. */
int zq_grpc_call_queue_message(zq_grpc_call *call, const uint8_t *msg, size_t len);
/* Unsent request bytes right now. */
size_t zq_grpc_call_unsent(const zq_grpc_call *call);
void zq_grpc_call_half_close(zq_grpc_call *call);

/* ---- servers (server.c: dispatch; server_call.c: answers; health.c) ---- */
extern const char zq_grpc_accept_encoding[]; /* "gzip, identity" */

typedef struct zq_grpc_route {
  char *path;
  zquic_grpc_method method;
} zq_grpc_route;

typedef struct zq_grpc_health_entry {
  char *service;
  int status;
} zq_grpc_health_entry;

struct zquic_grpc_server {
  zquic_context *ctx;
  zquic_h3_handler_config h3;       /* what zquic_server_config.h3 points at */
  zquic_h3_handler_config fallback; /* non-gRPC requests */
  bool has_fallback, health, compress;
  zquic_grpc_method default_method; /* the config's handler, as a unary method */
  uint32_t max_receive;
  zq_grpc_route *routes;
  size_t n_routes;
  zq_grpc_health_entry *health_entries;
  size_t n_health;
  zquic_server *server;             /* made by zquic_grpc_serve */
};

/* One incoming call; guarded by the context lock. References: the exchange's (until its stream
 * closes) and the application's (from on_call until finish). */
struct zquic_grpc_server_call {
  zquic_grpc_server *srv;
  zquic_context *ctx;
  zq_h3_stream *st;            /* NULL once the exchange is over */
  zquic_grpc_method method;
  bool builtin;                /* answered by the library (health) */
  char *path;
  zq_grpc_md md_in;
  zq_grpc_deframer deframer;
  bool gzip_in, gzip_out;       /* request messages may be / reply messages are gzip */
  uint8_t *request;            /* unary: the one request message */
  size_t request_len, n_messages;
  bool app_holds, finished, cancelled, headers_sent;
  zq_fields md_headers;        /* initial metadata to send */
  uint64_t deadline_ns;        /* 0 = none */
  uv_timer_t timer;
  bool timer_inited;
  int refs;
  zq_loop_call post;           /* the last release, when it must close the timer on the loop */
  void *user;
  char peer[64];
};

/* End the call with `status` unless it has ended; tells the application (on_cancel) when it
 * still holds the call. Lock held; loop thread. */
void zq_grpc_server_call_abort(zquic_grpc_server_call *call, int status, const char *message);
/* Send the status (Trailers-Only when nothing was sent yet). Lock held. */
int zq_grpc_server_call_send_status(zquic_grpc_server_call *call, int status, const char *message,
                                    const zquic_grpc_metadata *md, size_t n);
void zq_grpc_server_call_unref(zquic_grpc_server_call *call); /* lock held */
/* The built-in grpc.health.v1.Health/Check (health.c). */
void zq_grpc_health_check(zquic_grpc_server_call *call, const uint8_t *req, size_t len);

#endif
