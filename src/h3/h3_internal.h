/*
 * h3_internal.h — the HTTP/3 layer's shared state: one zq_h3 per connection (the nghttp3 session)
 * and one zq_h3_stream per request, used both as a client's zquic_h3_request and as a server's
 * zquic_h3_exchange.
 */
#ifndef ZQ_H3_INTERNAL_H
#define ZQ_H3_INTERNAL_H

#include "../core/internal.h"

/* Body bytes handed to nghttp3 but not yet acknowledged, per stream, before a body source is
 * paused: enough to keep a fast path busy, small enough that a body is never held whole. */
#define ZQ_H3_TX_WINDOW (2u << 20)

#define ZQ_FIELDS_INLINE 16
#define ZQ_FIELDS_ARENA 512

/* Header fields with their strings in an arena: a typical request's fields fit the inline
 * arrays and arena, so receiving one allocates nothing (this was most of a small request's cost). */
typedef struct zq_fields_block {
  struct zq_fields_block *next;
  size_t used, cap;
  char data[];
} zq_fields_block;

typedef struct zq_fields {
  size_t count, cap;
  char **names, **values; /* the inline arrays, or heap ones past ZQ_FIELDS_INLINE */
  char *inline_names[ZQ_FIELDS_INLINE], *inline_values[ZQ_FIELDS_INLINE];
  zq_fields_block *blocks; /* arena overflow */
  size_t arena_used;
  char arena[ZQ_FIELDS_ARENA];
} zq_fields;

int zq_fields_add(zq_fields *f, const uint8_t *name, size_t nlen, const uint8_t *value,
                  size_t vlen);
void zq_fields_clear(zq_fields *f);
/* Empty, without touching the inline arrays and arena (a zeroed struct is empty too). */
void zq_fields_init(zq_fields *f);
const char *zq_fields_get(const zq_fields *f, const char *name);
/* Copy public headers into an nghttp3 name/value array (pointers into `src`). */
int zq_fields_to_nv(const zquic_h3_header *src, size_t n, nghttp3_nv *out);

struct zq_h3 {
  nghttp3_conn *session;
  zquic_connection *conn;
  bool server;
};

struct zq_h3_stream;
/* Event hooks for client streams driven by an internal layer (gRPC) instead of the blocking
 * request API. They run on the loop thread. While hooks are set the layer holds the stream
 * (user_held) and frees it, like a zquic_h3_request. */
typedef struct zq_h3_hooks {
  void (*on_headers)(struct zq_h3_stream *st, void *user); /* final response header section */
  /* Response body bytes; return true to return their flow-control credit now, false to do it
   * later with zq_h3_credit. */
  bool (*on_data)(struct zq_h3_stream *st, const uint8_t *data, size_t len, void *user);
  void (*on_end)(struct zq_h3_stream *st, void *user);   /* FIN: trailers are complete */
  void (*on_close)(struct zq_h3_stream *st, void *user); /* closed, reset or connection gone */
  /* Optional: the peer acknowledged body bytes, so tx has room again (Wraith streams an upload
   * or a download through and waits for this before taking more). Server exchanges may set
   * hooks with only this member. */
  void (*on_acked)(struct zq_h3_stream *st, void *user);
} zq_h3_hooks;

typedef struct zq_h3_stream {
  zq_list_node node; /* in conn->h3_streams */
  zquic_connection *conn;
  int64_t id;
  bool is_client;
  int status;         /* client: final response status */
  bool headers_done, trailers_phase, fin_received, closed, reset, early_rejected;
  uint64_t reset_code;
  zq_buf rx;           /* client: response body bytes waiting to be read */
  zquic_h3_body_sink sink; /* client: takes body bytes on the loop thread instead of rx */
  void *sink_user;
  int sink_error;      /* client: the code the sink refused bytes with; the rest is dropped */
  zq_buf tx;           /* body bytes given or about to be given to nghttp3, kept until acked */
  size_t tx_given;     /* bytes of tx already handed to nghttp3 */
  bool tx_eof;         /* no body bytes will be added after those in tx */
  bool tx_blocked;     /* read_data returned WOULDBLOCK: resume when data or credit arrives */
  bool submitted;      /* request or response header section submitted */
  zquic_h3_body_source source;
  void *source_user;
  uint64_t pulled;     /* bytes the source has produced so far */
  bool user_held;      /* client: the caller holds the zquic_h3_request */
  void *user;          /* server: zquic_h3_exchange_set_user */
  const zq_h3_hooks *hooks; /* client streams of an internal layer; see zq_h3_hooks */
  void *hooks_user;
  void *service;       /* server: the gRPC layer's state for this exchange */
  /* server: request body credit is not returned after on_body; the handler returns it with
   * zq_h3_credit once it has passed the bytes on (Wraith: the upload moves at the backend's
   * pace instead of piling up in the proxy). */
  bool hold_credit;
  bool headers_fin;    /* server: the request's header section came with FIN (no body) */
  char peer[64];
  /* Last, and not zeroed at creation (zq_fields_init): their inline arrays and arenas are
   * most of the struct, and clearing them cost more than the rest of accepting a request. */
  zq_fields headers;  /* request headers (server) or response headers (client) */
  zq_fields trailers; /* received trailers */
  zq_fields trailers_out;
} zq_h3_stream;

zq_h3_stream *zq_h3_stream_new(zquic_connection *conn, int64_t id, bool is_client);
void zq_h3_stream_free(zq_h3_stream *st);
/* nghttp3's read_data for bodies held in st->tx or produced by st->source. */
nghttp3_ssize zq_h3_read_body(nghttp3_conn *session, int64_t id, nghttp3_vec *vec, size_t veccnt,
                              uint32_t *pflags, void *conn_user, void *stream_user);
/* New body bytes or credit: let nghttp3 ask read_data again and get the loop writing. */
void zq_h3_stream_resume(zq_h3_stream *st);

/* Client: hand body bytes to st->sink. A refusal records its code, resets the stream and
 * drops what follows. Lock held; the caller returns the bytes' credit. */
void zq_h3_sink_deliver(zq_h3_stream *st, const uint8_t *data, size_t len);
/* Return flow-control credit for `n` body bytes an on_data hook kept. */
void zq_h3_credit(zq_h3_stream *st, size_t n);
/* Client: open a bidirectional request stream (attaching the session when needed). Lock held.
 * ZQUIC_ERR_LIMIT when the server's stream limit is reached: wait with zq_h3_wait_streams. */
int zq_h3_open_request(zquic_connection *conn, int64_t *id);
/* Client: submit the request header section of stream `id` for `st` (a body follows from st->tx
 * unless end_stream). `extra` fields are copied. */
int zq_h3_submit_request(zquic_connection *conn, int64_t id, const char *method, const char *path,
                         const char *authority, const zquic_h3_header *extra, size_t n_extra,
                         int end_stream, zq_h3_stream *st);
/* Client: open a request stream driven by `hooks` (lock held). The body queued so far moves
 * into the stream without a copy (`body` gets the stream's empty buffer back), `body_eof` says
 * whether more follows, *slot is set to the stream, then submit(user, id) sends the header
 * section (on failure the stream is cancelled and *slot is NULL again). ZQUIC_ERR_LIMIT while
 * the handshake runs or the peer's stream limit is reached: wait with zq_h3_wait_streams. */
int zq_h3_open_hooked(zquic_connection *conn, const zq_h3_hooks *hooks, void *user, zq_buf *body,
                      bool body_eof, zq_h3_stream **slot,
                      int (*submit)(void *user, int64_t id));
/* Server: submit response headers whose body will be appended to st->tx over time (st->tx_eof
 * ends it; trailers_out are sent after it). Lock held. */
int zq_h3_respond_open(zq_h3_stream *st, int status, const zquic_h3_header *headers, size_t n);
/* Server: a response that is only a header section (HEADERS with FIN). Lock held. */
int zq_h3_respond_headers_only(zq_h3_stream *st, int status, const zquic_h3_header *headers,
                               size_t n);

/* Server hooks called from h3.c's nghttp3 callbacks. */
void zq_h3_server_on_headers(zq_h3_stream *st);
void zq_h3_server_on_body(zq_h3_stream *st, const uint8_t *data, size_t len);
void zq_h3_server_on_end(zq_h3_stream *st);
void zq_h3_server_on_close(zq_h3_stream *st);

#endif
