/*
 * zquic.h — the whole public API of zquic, a QUIC transport stack (RFC 9000/9001/9002) with
 * HTTP/3, built on ngtcp2, nghttp3 and GnuTLS.
 *
 * This header is the contract. Conventions that hold for every function below:
 *
 *  - Every fallible call returns `int`: ZQUIC_OK (0) or a negative ZQUIC_ERR_* code.
 *    zquic_strerror(code) names the code; zquic_last_error() returns a detail text set by the
 *    last failing call *on the calling thread*.
 *  - Handles are opaque. Whoever receives a handle through an out-parameter owns it and releases it
 *    with the function named at that call; nothing returned by the library is freed with free().
 *  - Structs that cross the ABI start with `size_t struct_size` and are filled with defaults by
 *    their `*_init()` function; new fields are only ever appended, so old callers keep working.
 *  - Every function is thread-safe. Each context runs one event-loop thread; callbacks run on that
 *    thread (a server with zquic_server_config.workers > 1 adds worker loop threads, and its
 *    connections' callbacks run on theirs). A blocking call made on a loop thread (from inside a
 *    callback) returns ZQUIC_ERR_LOOP_THREAD instead of deadlocking.
 *  - Timeouts are in milliseconds; a negative timeout waits forever, 0 polls.
 */
#ifndef ZQUIC_H
#define ZQUIC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(ZQUIC_BUILDING) && defined(__GNUC__)
#define ZQUIC_API __attribute__((visibility("default")))
#else
#define ZQUIC_API
#endif

/* ============================================================================================= */
/* Version and errors                                                                            */
/* ============================================================================================= */

#define ZQUIC_VERSION_MAJOR 0
#define ZQUIC_VERSION_MINOR 1
#define ZQUIC_VERSION_PATCH 0
#define ZQUIC_VERSION_STRING "0.1.0"

/* "zquic 0.1.0 (ngtcp2 1.11.0, nghttp3 1.8.0, GnuTLS 3.7.9)". Static storage; never freed. */
ZQUIC_API const char *zquic_version(void);

/* One table of result codes. Values are part of the ABI and never change. */
#define ZQUIC_OK 0
#define ZQUIC_ERR_INVALID_ARGUMENT (-1) /* NULL, wrong length, out of range, malformed text */
#define ZQUIC_ERR_NO_MEMORY (-2)
#define ZQUIC_ERR_TIMEOUT (-3)         /* a blocking call's timeout expired; nothing was lost */
#define ZQUIC_ERR_WOULD_BLOCK (-4)     /* non-blocking call cannot proceed now */
#define ZQUIC_ERR_CLOSED (-5)          /* the connection or stream is closed */
#define ZQUIC_ERR_STATE (-6)           /* the call does not fit the object's state */
#define ZQUIC_ERR_LOOP_THREAD (-7)     /* blocking call made on the loop thread */
#define ZQUIC_ERR_RESOLVE (-8)         /* host name could not be resolved */
#define ZQUIC_ERR_SOCKET (-9)          /* socket, bind or send failed (errno text in detail) */
#define ZQUIC_ERR_TLS (-10)            /* TLS set-up or handshake failure */
#define ZQUIC_ERR_CERT_VERIFY (-11)    /* the peer's certificate was rejected */
#define ZQUIC_ERR_HANDSHAKE (-12)      /* QUIC handshake failed or timed out */
#define ZQUIC_ERR_PROTOCOL (-13)       /* the peer violated QUIC or HTTP/3 */
#define ZQUIC_ERR_STREAM_RESET (-14)   /* the peer reset the stream */
#define ZQUIC_ERR_IDLE_TIMEOUT (-15)   /* the connection went idle and was closed */
#define ZQUIC_ERR_PEER_CLOSED (-16)    /* the peer closed the connection with an error */
#define ZQUIC_ERR_LIMIT (-17)          /* a configured limit (streams, size, connections) hit */
#define ZQUIC_ERR_IO (-18)             /* file read/write failure */
#define ZQUIC_ERR_NOT_FOUND (-19)
#define ZQUIC_ERR_INTERNAL (-20)       /* a bug in zquic or a library below it */
#define ZQUIC_ERR_BAD_SIGNATURE (-21)  /* ZCrypto: signature does not verify */
#define ZQUIC_ERR_INVALID_KEY (-22)    /* ZCrypto: malformed key */
#define ZQUIC_ERR_UNSUPPORTED (-23)    /* algorithm, option or version not supported */
#define ZQUIC_ERR_CANCELLED (-24)
#define ZQUIC_ERR_EARLY_DATA_REJECTED (-25) /* 0-RTT refused by the server: send it again */

/* Name and one-line description of a result code ("invalid argument"). Static storage. */
ZQUIC_API const char *zquic_strerror(int code);
/* Detail of the last failure on this thread ("connect: certificate is not trusted ..."), or "" if
 * the last call on this thread succeeded. Thread-local storage, valid until the next zquic call on
 * this thread; never freed by the caller. */
ZQUIC_API const char *zquic_last_error(void);

/* ============================================================================================= */
/* Context: owns the event loop thread, TLS defaults and every handle created from it            */
/* ============================================================================================= */

typedef struct zquic_context zquic_context;
typedef struct zquic_server zquic_server;
typedef struct zquic_connection zquic_connection;
typedef struct zquic_stream zquic_stream;

typedef struct zquic_config {
  size_t struct_size;             /* set by zquic_config_init */
  uint16_t port;                  /* server port used by zquic_create_server(ctx, NULL, ..) */
  uint32_t max_connections;       /* per server; default 10000 */
  uint32_t connection_timeout_ms; /* handshake/connect deadline; default 10000 */
  int enable_ipv6;                /* default server bind is [::] (dual-stack) when 1, else 0.0.0.0 */
  int tls_verify;                 /* 1 (default): verify peers. 0 is refused: use the option below */
  const char *cert_file;          /* PEM certificate chain for servers; copied */
  const char *key_file;           /* PEM private key for servers; copied */
  const char *ca_file;            /* PEM trust anchors for clients; NULL = system CAs; copied */
  const char *alpn;               /* comma list, e.g. "h3" or "doq,h3"; default "h3"; copied */
  uint32_t idle_timeout_ms;       /* default 30000 */
  uint32_t max_streams_bidi;      /* peer-initiated bidi streams allowed at once; default 100 */
  uint32_t max_streams_uni;       /* default 100 */
  /* Turns off certificate verification for clients. Anyone on the path can then impersonate the
   * server. For tests only. Default 0. */
  int insecure_skip_verify_DANGEROUS;
  const char *bind_address; /* server bind address; default per enable_ipv6; copied */
  /* ---- fields added in 0.2 ---- */
  uint32_t keep_alive_ms;   /* send PINGs after this much quiet so NATs keep state; 0 = off */
  int cc_algorithm;         /* ZQUIC_CC_CUBIC (default), ZQUIC_CC_BBR, ZQUIC_CC_RENO */
  const char *qlog_dir;     /* write one qlog file per connection here; NULL = off; copied */
  int detailed_stats;       /* count lost packets (zquic_connection_info.packets_lost); costs CPU */
  int event_queue;          /* queue readiness events for zquic_poll_events / zquic_event_fd */
} zquic_config;

#define ZQUIC_CC_CUBIC 0
#define ZQUIC_CC_BBR 1
#define ZQUIC_CC_RENO 2

/* Fill `cfg` with defaults (and struct_size). Always call before setting fields. */
ZQUIC_API void zquic_config_init(zquic_config *cfg);

/* Create a context and start its loop thread. `cfg` may be NULL (defaults). On success *out owns a
 * context: release it with zquic_destroy. */
ZQUIC_API int zquic_init(const zquic_config *cfg, zquic_context **out);

/* Close every server, connection and stream of the context (abruptly if still open), stop and join
 * the loop thread and free everything. Handles obtained from this context become invalid; calling
 * their *_free/close functions afterwards is not allowed. NULL is a no-op. */
ZQUIC_API void zquic_destroy(zquic_context *ctx);

/* ============================================================================================= */
/* Servers                                                                                       */
/* ============================================================================================= */

typedef struct zquic_h3_handler_config zquic_h3_handler_config;

typedef struct zquic_server_config {
  size_t struct_size;
  const char *listen;    /* "127.0.0.1:4433", "[::1]:0", "0.0.0.0:853", "localhost:0"; NULL = the
                            context's bind address and port */
  const char *cert_file; /* NULL = the context's */
  const char *key_file;  /* NULL = the context's */
  const char *alpn;      /* comma list in order of preference; NULL = the context's */
  /* When set, the server speaks HTTP/3 itself and hands requests to these callbacks; connections
   * are then not queued for zquic_server_accept. The pointed-to struct is copied. */
  const zquic_h3_handler_config *h3;
  /* ---- fields added in 0.2 ---- */
  int retry;             /* 1: validate every client address with a Retry round trip first */
  int enable_0rtt;       /* 1: accept early data from clients resuming a session */
  const char *quic_versions; /* versions accepted, e.g. "1,2" (default); first preferred */
  uint32_t max_streams_bidi; /* override the context's value when > 0 */
  /* Loop threads serving this server's port (Linux, SO_REUSEPORT), 0 or 1 = the context's loop
   * only. With N > 1 the server binds N UDP sockets to one address, each served by its own loop
   * thread with its own lock; the kernel spreads new connections over them and steers every later
   * packet to the loop that owns its connection (connection IDs carry the worker's number).
   * Connections, their streams and HTTP/3 exchanges then live on that worker's thread: callbacks
   * (h3 handlers, connection callbacks) run on up to N threads at once. Events still arrive on
   * the context's queue. At most 64. The context keeps the extra loop threads until zquic_destroy
   * and reuses them for its other servers. */
  uint32_t workers;
  /* ---- fields added in 0.3 ---- */
  /* More certificates (PEM chain and key files, pairwise) besides cert_file: the one whose names
   * match the client's SNI is served, cert_file when none does. Copied at creation. */
  const char *const *sni_cert_files;
  const char *const *sni_key_files;
  size_t n_sni_certs;
} zquic_server_config;

ZQUIC_API void zquic_server_config_init(zquic_server_config *cfg);

/* Bind a UDP socket and start accepting QUIC connections. `cfg` may be NULL (everything from the
 * context's config). On success *out owns the server: release with zquic_server_free. */
ZQUIC_API int zquic_create_server(zquic_context *ctx, const zquic_server_config *cfg,
                                  zquic_server **out);
/* The bound UDP port (useful after binding port 0), or a negative error code. */
ZQUIC_API int zquic_server_port(const zquic_server *server);
/* Resume accepting new connections after zquic_stop_server (servers start accepting). */
ZQUIC_API int zquic_start_server(zquic_server *server);
/* Stop accepting new connections; connections already up carry on. */
ZQUIC_API int zquic_stop_server(zquic_server *server);
/* Wait for the next fully handshaken connection. *out owns it: release with
 * zquic_close_connection. ZQUIC_ERR_TIMEOUT when none arrived in time. */
ZQUIC_API int zquic_server_accept(zquic_server *server, int timeout_ms, zquic_connection **out);
/* Graceful stop (0.2): refuse new connections, tell HTTP/3 clients to send no new requests
 * (GOAWAY), wait up to `timeout_ms` for requests in flight to finish, then close every connection
 * (H3_NO_ERROR). ZQUIC_ERR_TIMEOUT when requests were still running at the deadline (their
 * connections are closed anyway). The server stays allocated: free it with zquic_server_free. */
ZQUIC_API int zquic_server_shutdown(zquic_server *server, int timeout_ms);
/* Open connections of the server right now, or a negative error code. */
ZQUIC_API int zquic_server_connection_count(const zquic_server *server);
/* Close every connection of the server (CONNECTION_CLOSE, no error), close the socket and free the
 * server. Connection handles obtained from zquic_server_accept stay valid until released with
 * zquic_close_connection; their calls then return ZQUIC_ERR_CLOSED. NULL is a no-op. */
ZQUIC_API void zquic_server_free(zquic_server *server);

/* ============================================================================================= */
/* Client connections                                                                            */
/* ============================================================================================= */

typedef struct zquic_connect_options {
  size_t struct_size;
  const char *alpn;      /* comma list; NULL = the context's; the first is offered first */
  const char *sni;       /* name to verify and send as SNI; NULL = the host part of the address */
  const char *ca_file;   /* NULL = the context's (or system CAs) */
  int timeout_ms;        /* handshake deadline; <= 0 = the context's connection_timeout_ms */
  /* See zquic_config.insecure_skip_verify_DANGEROUS. Either one turns verification off. */
  int insecure_skip_verify_DANGEROUS;
  /* ---- fields added in 0.2 ---- */
  const uint8_t *session;  /* a blob from zquic_connection_session: resume that session */
  size_t session_len;
  int enable_0rtt;         /* with `session`: the connection is usable for early data at once */
  uint32_t quic_version;   /* 1 (default) or 2 (RFC 9369) */
  const char *tls_ciphers; /* TLS 1.3 suites, comma list, e.g. "TLS_CHACHA20_POLY1305_SHA256" */
  uint64_t key_update_bytes; /* start a key update once this many bytes were sent; 0 = never */
} zquic_connect_options;

ZQUIC_API void zquic_connect_options_init(zquic_connect_options *opts);

/* Resolve `address` ("host:port", "[v6]:port"), connect, complete the handshake and verify the
 * certificate (DNS name or IP address SAN). Blocks up to the connection timeout. On success *out
 * owns the connection: release with zquic_close_connection. */
ZQUIC_API int zquic_create_connection(zquic_context *ctx, const char *address,
                                      zquic_connection **out);
ZQUIC_API int zquic_create_connection_ex(zquic_context *ctx, const char *address,
                                         const zquic_connect_options *opts,
                                         zquic_connection **out);

/* Close the connection gracefully (CONNECTION_CLOSE with application error 0, i.e. H3_NO_ERROR
 * semantics for HTTP/3) and release the caller's handle. Streams the caller still holds stay
 * valid until closed with zquic_close_stream; their calls then return ZQUIC_ERR_CLOSED. NULL is a
 * no-op. */
ZQUIC_API void zquic_close_connection(zquic_connection *conn);

/* The ALPN protocol the handshake selected. Static or connection-owned storage, valid while the
 * caller holds the connection; "" before the handshake. */
ZQUIC_API const char *zquic_connection_alpn(const zquic_connection *conn);

/* ============================================================================================= */
/* Streams                                                                                       */
/* ============================================================================================= */

#define ZQUIC_STREAM_BIDI 0
#define ZQUIC_STREAM_UNI 1

/* Open a stream (ZQUIC_STREAM_BIDI or ZQUIC_STREAM_UNI). Waits up to `timeout_ms` for the peer to
 * allow another stream. *out owns the stream: release with zquic_close_stream. */
ZQUIC_API int zquic_stream_open(zquic_connection *conn, int type, int timeout_ms,
                                zquic_stream **out);
/* Original shape: open without waiting for stream credit (ZQUIC_ERR_LIMIT when none). */
ZQUIC_API int zquic_create_stream(zquic_connection *conn, int type, zquic_stream **out);
/* Wait for a stream the peer opened. *out owns it: release with zquic_close_stream. */
ZQUIC_API int zquic_stream_accept(zquic_connection *conn, int timeout_ms, zquic_stream **out);
/* QUIC stream id (bit 0: server-initiated, bit 1: unidirectional). */
ZQUIC_API int64_t zquic_stream_id(const zquic_stream *stream);

/* Queue `len` bytes (copied) for sending; with `fin` the stream's send side ends after them.
 * Blocks while the stream's send buffer is full (flow control back-pressure), up to `timeout_ms`;
 * on timeout, *sent (if not NULL) tells how many bytes were queued. len 0 with fin sends FIN. */
ZQUIC_API int zquic_stream_send(zquic_stream *stream, const void *data, size_t len, int fin,
                                int timeout_ms, size_t *sent);
/* Receive up to `cap` bytes. Blocks until data, end of stream or timeout. *received = 0 with
 * ZQUIC_OK means the peer ended the stream (FIN) and everything was read. */
ZQUIC_API int zquic_stream_receive(zquic_stream *stream, void *buf, size_t cap, int timeout_ms,
                                   size_t *received);
/* Release the caller's handle. If the send side is still open it is ended with FIN; if unread data
 * remains, the peer is told to stop sending. NULL is a no-op. */
ZQUIC_API void zquic_close_stream(zquic_stream *stream);

/* ============================================================================================= */
/* HTTP/3 (RFC 9114) on nghttp3                                                                  */
/* ============================================================================================= */

typedef struct zquic_h3_header {
  const char *name;  /* lower-case field name, NUL-terminated */
  const char *value; /* NUL-terminated */
} zquic_h3_header;

/* --- client ---------------------------------------------------------------------------------- */

typedef struct zquic_h3_request zquic_h3_request;

/* Send a request on `conn` (its ALPN must be "h3"). `authority` NULL = the connection's SNI host.
 * `extra`/`n_extra` are further header fields (copied). With `end_stream` the request has no
 * body; otherwise send it with zquic_h3_request_send. *out owns the request: release with
 * zquic_h3_request_free. */
ZQUIC_API int zquic_h3_request_start(zquic_connection *conn, const char *method, const char *path,
                                     const char *authority, const zquic_h3_header *extra,
                                     size_t n_extra, int end_stream, zquic_h3_request **out);
/* Send request body bytes (copied), blocking on flow control like zquic_stream_send. */
ZQUIC_API int zquic_h3_request_send(zquic_h3_request *req, const void *data, size_t len, int fin,
                                    int timeout_ms);
/* Wait for the final response header section; *status receives the HTTP status. */
ZQUIC_API int zquic_h3_response_wait(zquic_h3_request *req, int timeout_ms, int *status);
/* The `index`th response header field (0-based). Pointers are owned by the request and valid until
 * zquic_h3_request_free. ZQUIC_ERR_NOT_FOUND past the end. */
ZQUIC_API int zquic_h3_response_header(const zquic_h3_request *req, size_t index,
                                       const char **name, const char **value);
/* First response header field named `name` (case-insensitive), or NULL. Owned by the request. */
ZQUIC_API const char *zquic_h3_response_header_get(const zquic_h3_request *req,
                                                   const char *name);
/* Read response body bytes as they arrive (the body is never held whole: flow-control credit is
 * returned to the server as the caller reads). *nread = 0 with ZQUIC_OK means the body ended. */
ZQUIC_API int zquic_h3_response_read(zquic_h3_request *req, void *buf, size_t cap, int timeout_ms,
                                     size_t *nread);
/* Receives response body bytes on the loop thread as they arrive (zquic_h3_response_set_sink).
 * Return ZQUIC_OK to take them, or another code to cancel the request: the stream is reset
 * (H3_REQUEST_CANCELLED) and zquic_h3_response_read reports that code. Like the server's
 * handlers it must not block; `data` is valid only during the call. */
typedef int (*zquic_h3_body_sink)(void *user, const uint8_t *data, size_t len);
/* (0.2) Deliver the rest of the response body to `sink` instead of buffering it for
 * zquic_h3_response_read: no copy out and no hand-off between threads, so a bulk download costs
 * less CPU. Bytes already buffered go to `sink` first, on the calling thread, before this
 * returns; later ones on the loop thread. Flow-control credit goes back as `sink` returns. Once
 * a sink is set, zquic_h3_response_read returns no bytes: it waits for the body's end (*nread = 0
 * with ZQUIC_OK), the request's failure or its timeout. A NULL `sink` goes back to buffering.
 * Once this returns, the sink it replaced is never called again. */
ZQUIC_API int zquic_h3_response_set_sink(zquic_h3_request *req, zquic_h3_body_sink sink,
                                         void *user);
/* The `index`th trailer field, available once zquic_h3_response_read reported the end. */
ZQUIC_API int zquic_h3_response_trailer(const zquic_h3_request *req, size_t index,
                                        const char **name, const char **value);
/* Release the request; an unfinished one is cancelled (H3_REQUEST_CANCELLED). NULL is a no-op. */
ZQUIC_API void zquic_h3_request_free(zquic_h3_request *req);

/* --- server ---------------------------------------------------------------------------------- */

/* One request/response exchange on a server. Owned by the library: valid from on_request until
 * on_close returns (or, with no on_close, until the response has been fully sent or the stream
 * closed). */
typedef struct zquic_h3_exchange zquic_h3_exchange;

/* Produce up to `cap` body bytes into `buf`, setting *len and, at the end, *eof = 1. Return
 * ZQUIC_OK, ZQUIC_ERR_WOULD_BLOCK to pause until zquic_h3_exchange_resume, or another error to
 * reset the stream. Called on the loop thread whenever the stream can take more. */
typedef int (*zquic_h3_body_source)(void *body_user, uint8_t *buf, size_t cap, size_t *len,
                                    int *eof);

struct zquic_h3_handler_config {
  size_t struct_size;
  /* The request's header section is complete. Answer with zquic_h3_respond* now or later, from
   * any thread. Runs on the loop thread. Required. */
  void (*on_request)(zquic_h3_exchange *ex, void *user);
  /* Request body bytes as they arrive (optional; without it the body is discarded). */
  void (*on_body)(zquic_h3_exchange *ex, const uint8_t *data, size_t len, void *user);
  /* The request ended (FIN); trailers, if any, are readable. Optional. */
  void (*on_request_end)(zquic_h3_exchange *ex, void *user);
  /* The exchange is over (response sent and acknowledged, or reset). Optional. */
  void (*on_close)(zquic_h3_exchange *ex, void *user);
  void *user;
  const char *server_name; /* value of the `server` response field; NULL = "zquic/VERSION" */
};

ZQUIC_API void zquic_h3_handler_config_init(zquic_h3_handler_config *cfg);

/* Request facts. Strings are owned by the exchange. */
ZQUIC_API const char *zquic_h3_exchange_method(const zquic_h3_exchange *ex);
ZQUIC_API const char *zquic_h3_exchange_path(const zquic_h3_exchange *ex);
ZQUIC_API const char *zquic_h3_exchange_authority(const zquic_h3_exchange *ex);
ZQUIC_API const char *zquic_h3_exchange_header_get(const zquic_h3_exchange *ex, const char *name);
ZQUIC_API int zquic_h3_exchange_header(const zquic_h3_exchange *ex, size_t index,
                                       const char **name, const char **value);
/* Text of the client's address when the request arrived (after a NAT rebinding or migration, the
 * new one), "127.0.0.1:54321" / "[::1]:54321". Owned by the exchange. */
ZQUIC_API const char *zquic_h3_exchange_peer(zquic_h3_exchange *ex);
ZQUIC_API void zquic_h3_exchange_set_user(zquic_h3_exchange *ex, void *user);
ZQUIC_API void *zquic_h3_exchange_get_user(const zquic_h3_exchange *ex);

/* Respond with a body produced by `source` (NULL source = no body). Header fields are copied. */
ZQUIC_API int zquic_h3_respond(zquic_h3_exchange *ex, int status, const zquic_h3_header *headers,
                               size_t n_headers, zquic_h3_body_source source, void *body_user);
/* Respond with a body held in memory (copied). */
ZQUIC_API int zquic_h3_respond_bytes(zquic_h3_exchange *ex, int status,
                                     const zquic_h3_header *headers, size_t n_headers,
                                     const void *body, size_t len);
/* Trailers to send after the body (copied). Call before the body source reports eof. */
ZQUIC_API int zquic_h3_exchange_set_trailers(zquic_h3_exchange *ex, const zquic_h3_header *trailers,
                                             size_t n);
/* Wake a body source that returned ZQUIC_ERR_WOULD_BLOCK. */
ZQUIC_API int zquic_h3_exchange_resume(zquic_h3_exchange *ex);

/* ============================================================================================= */
/* Connection control and facts (0.2)                                                            */
/* ============================================================================================= */

/* Close with an application error code and reason (UTF-8, copied, truncated at 255 bytes), and
 * release the caller's handle like zquic_close_connection. */
ZQUIC_API void zquic_close_connection_ex(zquic_connection *conn, uint64_t app_error,
                                         const char *reason);

/* Abruptly end the stream's send side: RESET_STREAM with `app_error`. Queued data is dropped. */
ZQUIC_API int zquic_stream_reset(zquic_stream *stream, uint64_t app_error);
/* Ask the peer to stop sending (STOP_SENDING with `app_error`); unread data is discarded. */
ZQUIC_API int zquic_stream_stop_sending(zquic_stream *stream, uint64_t app_error);
/* The peer's application error code after ZQUIC_ERR_STREAM_RESET, else 0. */
ZQUIC_API uint64_t zquic_stream_reset_code(const zquic_stream *stream);

/* Conveniences of the original API: send on / receive from the connection's first bidirectional
 * stream (opened by the first zquic_send_data on a client, taken from the peer on a server). */
ZQUIC_API int zquic_send_data(zquic_connection *conn, const void *data, size_t len, int timeout_ms);
ZQUIC_API int zquic_receive_data(zquic_connection *conn, void *buf, size_t cap, int timeout_ms,
                                 size_t *received);

/* Start a key update now (RFC 9001 section 6). ZQUIC_ERR_STATE until the handshake is
 * confirmed or while the previous update is unconfirmed. */
ZQUIC_API int zquic_connection_key_update(zquic_connection *conn);

#define ZQUIC_STATE_CONNECTING 0
#define ZQUIC_STATE_CONNECTED 1
#define ZQUIC_STATE_CLOSED 2

#define ZQUIC_EARLY_DATA_NONE 0
#define ZQUIC_EARLY_DATA_ACCEPTED 1
#define ZQUIC_EARLY_DATA_REJECTED 2

typedef struct zquic_connection_info {
  size_t struct_size;            /* set by the caller: sizeof(zquic_connection_info) */
  char remote_address[64];       /* "127.0.0.1:4433", "[::1]:4433" */
  char local_address[64];
  uint8_t connection_id[20];     /* our current source connection ID */
  size_t connection_id_len;
  int state;                     /* ZQUIC_STATE_* */
  uint64_t rtt_us, min_rtt_us, rtt_var_us;
  uint64_t cwnd, bytes_in_flight;
  uint64_t bytes_sent, bytes_received;     /* UDP payload bytes */
  uint64_t packets_sent, packets_received; /* UDP datagrams */
  uint64_t packets_lost;         /* UINT64_MAX unless the context has detailed_stats */
  uint32_t quic_version;         /* 1 or 0x6b3343cf (v2) */
  char alpn[32];
  char cipher[48];               /* "TLS_AES_128_GCM_SHA256" */
  int resumed;                   /* the TLS session was resumed */
  int early_data;                /* ZQUIC_EARLY_DATA_* */
  int retry;                     /* a Retry round trip happened (client: received one) */
  uint64_t key_updates;          /* key updates done, by either side */
  uint64_t path_changes;         /* validated migrations to a new network path */
  int close_code;                /* ZQUIC_ERR_* the connection ended with, 0 while open */
} zquic_connection_info;

/* Fill `info` (whose struct_size says how much the caller's struct holds). Works on closed
 * connections too (state ZQUIC_STATE_CLOSED, last known figures). */
ZQUIC_API int zquic_get_connection_info(const zquic_connection *conn, zquic_connection_info *info);

/* A resumption blob (TLS session ticket + the server's transport parameters) for
 * zquic_connect_options.session, once the server has sent a ticket (shortly after the
 * handshake). Copies at most `cap` bytes; *len receives the full size. ZQUIC_ERR_NOT_FOUND while
 * no ticket has arrived, ZQUIC_ERR_LIMIT when `cap` is too small (call with cap 0 to size). */
ZQUIC_API int zquic_connection_session(zquic_connection *conn, uint8_t *buf, size_t cap,
                                       size_t *len);

/* ============================================================================================= */
/* Events: callbacks and a pollable event queue (0.2)                                            */
/* ============================================================================================= */

/* Events say something is *ready*; the matching non-blocking call (timeout 0) then succeeds. */
#define ZQUIC_EVENT_CONNECTED 1       /* handshake complete (async connect or accepted) */
#define ZQUIC_EVENT_DISCONNECTED 2    /* closed cleanly; code = ZQUIC_ERR_CLOSED */
#define ZQUIC_EVENT_ERROR 3           /* closed on an error (code); also a failed async connect */
#define ZQUIC_EVENT_STREAM_INCOMING 4 /* zquic_stream_accept(conn, 0, ..) has a stream */
#define ZQUIC_EVENT_STREAM_READABLE 5 /* data, FIN or reset to read on `stream` */
#define ZQUIC_EVENT_STREAM_WRITABLE 6 /* send buffer space after a ZQUIC_ERR_WOULD_BLOCK */
#define ZQUIC_EVENT_STREAMS_AVAILABLE 7 /* the peer allows more streams: retry opening */
#define ZQUIC_EVENT_ACCEPT_READY 8    /* zquic_server_accept(server, 0, ..) has a connection */

typedef struct zquic_event {
  int type;                  /* ZQUIC_EVENT_* */
  int code;                  /* ZQUIC_ERR_* for ERROR, else 0 */
  zquic_server *server;      /* ACCEPT_READY */
  zquic_connection *conn;    /* every other event */
  zquic_stream *stream;      /* STREAM_READABLE / STREAM_WRITABLE */
  void *user_data;           /* the object's zquic_*_set_user_data value when polled */
} zquic_event;

/* Per-connection callback of the original API, run on the loop thread for every event of the
 * connection (events above). May call non-blocking zquic functions; must not block. NULL clears. */
typedef void (*zquic_connection_callback)(zquic_connection *conn, int event_type, void *user);
ZQUIC_API int zquic_set_connection_callback(zquic_connection *conn, zquic_connection_callback cb,
                                            void *user);

ZQUIC_API void zquic_connection_set_user_data(zquic_connection *conn, void *user);
ZQUIC_API void *zquic_connection_get_user_data(const zquic_connection *conn);
ZQUIC_API void zquic_stream_set_user_data(zquic_stream *stream, void *user);
ZQUIC_API void *zquic_stream_get_user_data(const zquic_stream *stream);
ZQUIC_API void zquic_server_set_user_data(zquic_server *server, void *user);

/* With zquic_config.event_queue set: a file descriptor that is readable while events are queued
 * (an eventfd; add it to epoll/poll/a Rust reactor). Owned by the context; do not close it.
 * Returns the fd or a negative error code. */
ZQUIC_API int zquic_event_fd(zquic_context *ctx);
/* Take up to `max` queued events (never blocks). Events of handles released since they were
 * queued are dropped, so every pointer in an event is valid when it is returned. */
ZQUIC_API int zquic_poll_events(zquic_context *ctx, zquic_event *events, size_t max, size_t *count);

/* Start connecting without waiting: *out is a connection in ZQUIC_STATE_CONNECTING at once, and
 * ZQUIC_EVENT_CONNECTED or ZQUIC_EVENT_ERROR follows (name resolution runs in libuv's thread pool,
 * never on the caller's thread or the loop). Release *out with zquic_close_connection as usual. */
ZQUIC_API int zquic_connect_async(zquic_context *ctx, const char *address,
                                  const zquic_connect_options *opts, zquic_connection **out);

/* ============================================================================================= */
/* ZCrypto: signatures, key exchange and hashes                                                  */
/* ============================================================================================= */
/*
 * Ed25519, X25519, BLAKE2b and randomness come from libsodium, secp256k1 from libsecp256k1,
 * SHA-2/SHA-3/Keccak from nettle, BLAKE3 is zquic's own (portable, SSE4.1, AVX2 and AVX-512 code
 * chosen at run time). No function here needs a context; all are thread-safe.
 *
 * Buffers: inputs are (pointer, length); outputs are (pointer, capacity) plus, where the size
 * varies, a size_t out-parameter receiving the bytes written. A capacity smaller than the result,
 * an input of the wrong length, a NULL pointer or an unknown algorithm is
 * ZQUIC_ERR_INVALID_ARGUMENT; nothing is written then. Key bytes that are not a valid key are
 * ZQUIC_ERR_INVALID_KEY; a signature that does not verify (including a malformed one) is
 * ZQUIC_ERR_BAD_SIGNATURE. The caller owns every buffer; the library keeps no pointer after
 * returning and wipes its own copies of secrets.
 *
 * Keys: every secret key is 32 bytes (Ed25519 seed, secp256k1 scalar, X25519 scalar). Public
 * keys: Ed25519 32 bytes, secp256k1 33 (compressed; 65-byte uncompressed accepted on input),
 * X25519 32.
 */

/* Key types (values of the original API). */
#define ZQUIC_KEY_ED25519 1
#define ZQUIC_KEY_SECP256K1 2
#define ZQUIC_KEY_X25519 3

/* Hash algorithms (the first three are the original API's). */
#define ZQUIC_HASH_BLAKE3 1      /* 32-byte default output; any length via the BLAKE3 calls */
#define ZQUIC_HASH_SHA256 2
#define ZQUIC_HASH_SHA3_256 3    /* FIPS 202 */
#define ZQUIC_HASH_BLAKE2B_256 4 /* BLAKE2b, unkeyed, 32-byte output */
#define ZQUIC_HASH_KECCAK256 5   /* Ethereum's Keccak-256 (padding 0x01, not SHA3's 0x06) */
#define ZQUIC_HASH_SHA512 6      /* 64-byte output */

/* secp256k1 signature encodings. */
#define ZQUIC_SIG_COMPACT 1     /* 64 bytes r||s, big-endian, low-S */
#define ZQUIC_SIG_DER 2         /* ASN.1 DER, at most 72 bytes, low-S */
#define ZQUIC_SIG_RECOVERABLE 3 /* 65 bytes r||s||v, v = recovery id 0..3 (27..30 accepted) */

#define ZQUIC_CRYPTO_SECRET_KEY_LEN 32
#define ZQUIC_ED25519_PUBLIC_KEY_LEN 32
#define ZQUIC_ED25519_SIGNATURE_LEN 64
#define ZQUIC_SECP256K1_PUBLIC_KEY_LEN 33 /* compressed */
#define ZQUIC_SECP256K1_UNCOMPRESSED_PUBLIC_KEY_LEN 65
#define ZQUIC_SECP256K1_SIGNATURE_LEN 64
#define ZQUIC_SECP256K1_DER_SIGNATURE_MAX_LEN 72
#define ZQUIC_SECP256K1_RECOVERABLE_SIGNATURE_LEN 65
#define ZQUIC_X25519_KEY_LEN 32
#define ZQUIC_CRYPTO_PUBLIC_KEY_MAX_LEN 65 /* room for any public key */
#define ZQUIC_CRYPTO_SIGNATURE_MAX_LEN 72  /* room for any signature */
#define ZQUIC_HASH_MAX_LEN 64              /* room for any default-length digest */
#define ZQUIC_ETH_ADDRESS_LEN 20
#define ZQUIC_ETH_ADDRESS_TEXT_LEN 43 /* "0x" + 40 hex digits + NUL */

/* Initialise libsodium and the secp256k1 context and pick the BLAKE3 code path. Optional: every
 * other function does it on first use. Idempotent and thread-safe. ZQUIC_ERR_INTERNAL when a
 * library below fails to initialise (then every crypto call fails the same way). */
ZQUIC_API int zquic_crypto_init(void);

/* Fill buf[0..len) with unpredictable bytes from the operating system (libsodium). */
ZQUIC_API int zquic_crypto_random(void *buf, size_t len);
/* Overwrite len bytes with zeros in a way the compiler does not remove. NULL or 0 is a no-op. */
ZQUIC_API void zquic_crypto_memzero(void *buf, size_t len);

/* --- keys and signatures -------------------------------------------------------------------- */

/* New random key pair of `key_type`. Writes the 32-byte secret to secret_key (capacity
 * secret_cap >= 32; *secret_len = 32) and the public key to public_key (capacity public_cap >= 32,
 * or 33 for secp256k1; *public_len = bytes written). The caller owns both and should wipe the
 * secret with zquic_crypto_memzero when done. */
ZQUIC_API int zquic_crypto_keygen(int key_type, uint8_t *secret_key, size_t secret_cap,
                                  size_t *secret_len, uint8_t *public_key, size_t public_cap,
                                  size_t *public_len);

/* Deterministic key pair from a 32-byte seed: the seed *is* the secret key, so this derives the
 * public key from a secret. secp256k1: a seed that is 0 or >= the group order is
 * ZQUIC_ERR_INVALID_KEY. Writes the public key as zquic_crypto_keygen does. */
ZQUIC_API int zquic_crypto_keygen_from_seed(int key_type, const uint8_t *seed, size_t seed_len,
                                            uint8_t *public_key, size_t public_cap,
                                            size_t *public_len);

/* Sign msg[0..msg_len) (msg may be NULL when msg_len is 0).
 *   Ed25519: secret_key is the 32-byte seed, or libsodium's 64-byte form seed||public (faster:
 *            no key derivation per call); 64-byte signature (RFC 8032).
 *   secp256k1: signs SHA-256(msg) with ECDSA, RFC 6979 nonces, low-S; 64-byte compact signature.
 *            For another digest (Keccak-256, double SHA-256) or encoding use
 *            zquic_crypto_secp256k1_sign.
 *   X25519 cannot sign: ZQUIC_ERR_INVALID_ARGUMENT.
 * sig_cap >= 64; *sig_len = 64. */
ZQUIC_API int zquic_crypto_sign(int key_type, const uint8_t *secret_key, size_t secret_len,
                                const void *msg, size_t msg_len, uint8_t *sig, size_t sig_cap,
                                size_t *sig_len);

/* Verify a signature made by zquic_crypto_sign. ZQUIC_OK when valid, ZQUIC_ERR_BAD_SIGNATURE when
 * not (tampered message, signature or wrong key), ZQUIC_ERR_INVALID_KEY when public_key is not a
 * valid point. secp256k1: public_key 33 or 65 bytes; sig 64 bytes (compact), 65 (recoverable; v
 * is ignored) or otherwise DER; high-S signatures are rejected. */
ZQUIC_API int zquic_crypto_verify(int key_type, const uint8_t *public_key, size_t public_len,
                                  const void *msg, size_t msg_len, const uint8_t *sig,
                                  size_t sig_len);

/* X25519 (RFC 7748): shared secret of our 32-byte secret and the peer's 32-byte public key into
 * shared (shared_cap >= 32; *shared_len = 32). A low-order peer key gives an all-zero secret,
 * refused with ZQUIC_ERR_INVALID_KEY. Hash the result (with both public keys) before using it as
 * a key; wipe it after. */
ZQUIC_API int zquic_crypto_x25519(const uint8_t *secret_key, size_t secret_len,
                                  const uint8_t *peer_public, size_t peer_len, uint8_t *shared,
                                  size_t shared_cap, size_t *shared_len);

/* --- secp256k1 extras ------------------------------------------------------------------------ */

/* ECDSA over a 32-byte digest the caller computed, in `format` (ZQUIC_SIG_*). Deterministic
 * (RFC 6979) and low-S. sig_cap: 64 compact, 72 DER, 65 recoverable; *sig_len = bytes written. */
ZQUIC_API int zquic_crypto_secp256k1_sign(const uint8_t *secret_key, size_t secret_len,
                                          const uint8_t *digest, size_t digest_len, int format,
                                          uint8_t *sig, size_t sig_cap, size_t *sig_len);

/* Verify a signature in `format` over a 32-byte digest with a 33- or 65-byte public key.
 * ZQUIC_ERR_BAD_SIGNATURE also for unparsable DER, r or s out of range, and high S. */
ZQUIC_API int zquic_crypto_secp256k1_verify(const uint8_t *public_key, size_t public_len,
                                            const uint8_t *digest, size_t digest_len,
                                            const uint8_t *sig, size_t sig_len, int format);

/* Public key that made a 65-byte recoverable signature over a 32-byte digest; compressed (33
 * bytes) when `compressed` is non-zero, else 65 bytes. ZQUIC_ERR_BAD_SIGNATURE when no key
 * recovers. */
ZQUIC_API int zquic_crypto_secp256k1_recover(const uint8_t *digest, size_t digest_len,
                                             const uint8_t *sig, size_t sig_len, int compressed,
                                             uint8_t *public_key, size_t public_cap,
                                             size_t *public_len);

/* Parse a 33- or 65-byte public key and write it compressed (33) or uncompressed (65).
 * ZQUIC_ERR_INVALID_KEY when the bytes are not a point on the curve. */
ZQUIC_API int zquic_crypto_secp256k1_pubkey_convert(const uint8_t *public_key, size_t public_len,
                                                    int compressed, uint8_t *out, size_t out_cap,
                                                    size_t *out_len);

/* --- Ethereum and ENS ------------------------------------------------------------------------ */

/* Ethereum address of a secp256k1 public key (33 or 65 bytes): the last 20 bytes of
 * Keccak-256(x||y). `address` (cap >= 20) receives the bytes, `text` (cap >= 43) the EIP-55
 * mixed-case checksum text "0x..." with a NUL; either may be NULL, not both. */
ZQUIC_API int zquic_crypto_eth_address(const uint8_t *public_key, size_t public_len,
                                       uint8_t *address, size_t address_cap, char *text,
                                       size_t text_cap);

/* EIP-55 checksum text of a 20-byte address into text (cap >= 43, NUL-terminated). */
ZQUIC_API int zquic_crypto_eth_address_text(const uint8_t *address, size_t address_len,
                                            char *text, size_t text_cap);

/* ENS namehash (EIP-137) of a NUL-terminated, already normalised (ENSIP-15) name such as
 * "vitalik.eth"; "" gives 32 zero bytes. node_cap >= 32. Empty labels ("a..eth") are
 * ZQUIC_ERR_INVALID_ARGUMENT. */
ZQUIC_API int zquic_crypto_ens_namehash(const char *name, uint8_t *node, size_t node_cap);

/* --- hashes ---------------------------------------------------------------------------------- */

/* Default digest length of `hash_type` (32, or 64 for SHA-512); 0 for an unknown type. */
ZQUIC_API size_t zquic_crypto_hash_length(int hash_type);

/* One-shot digest of data[0..len) into out (out_cap >= zquic_crypto_hash_length; *out_len =
 * bytes written). data may be NULL when len is 0. */
ZQUIC_API int zquic_crypto_hash(int hash_type, const void *data, size_t len, uint8_t *out,
                                size_t out_cap, size_t *out_len);

/* Streaming hash. Opaque, heap-allocated by the *_init functions: *out owns the state; release
 * it with zquic_crypto_hash_free (which wipes it). A state is used by one thread at a time. */
typedef struct zquic_crypto_hash_state zquic_crypto_hash_state;

ZQUIC_API int zquic_crypto_hash_init(int hash_type, zquic_crypto_hash_state **out);
/* BLAKE3 keyed hash (key_len must be 32) / key derivation with a NUL-terminated context string
 * (hard-coded, globally unique, e.g. "zquic 2025-01-01 session tokens v1"). */
ZQUIC_API int zquic_crypto_blake3_init_keyed(const uint8_t *key, size_t key_len,
                                             zquic_crypto_hash_state **out);
ZQUIC_API int zquic_crypto_blake3_init_derive_key(const char *context,
                                                  zquic_crypto_hash_state **out);
/* Absorb data[0..len). ZQUIC_ERR_STATE after a final call. */
ZQUIC_API int zquic_crypto_hash_update(zquic_crypto_hash_state *state, const void *data,
                                       size_t len);
/* Write the default-length digest (out_cap >= zquic_crypto_hash_length; *out_len = written). The
 * state is finished afterwards: update/final return ZQUIC_ERR_STATE; free it. */
ZQUIC_API int zquic_crypto_hash_final(zquic_crypto_hash_state *state, uint8_t *out,
                                      size_t out_cap, size_t *out_len);
/* BLAKE3 states only: exactly out_len (>= 1) bytes of extended output; the first 32 equal the
 * default digest. Finishes the state like zquic_crypto_hash_final. */
ZQUIC_API int zquic_crypto_hash_final_xof(zquic_crypto_hash_state *state, uint8_t *out,
                                          size_t out_len);
/* Wipe and free. NULL is a no-op. */
ZQUIC_API void zquic_crypto_hash_free(zquic_crypto_hash_state *state);

/* One-shot BLAKE3: hash, keyed hash (32-byte key), derive_key (NUL-terminated context, key
 * material), each writing exactly out_len >= 1 bytes of (extended) output. */
ZQUIC_API int zquic_crypto_blake3(const void *data, size_t len, uint8_t *out, size_t out_len);
ZQUIC_API int zquic_crypto_blake3_keyed(const uint8_t *key, size_t key_len, const void *data,
                                        size_t len, uint8_t *out, size_t out_len);
ZQUIC_API int zquic_crypto_blake3_derive_key(const char *context, const void *material,
                                             size_t material_len, uint8_t *out, size_t out_len);
/* Name of the BLAKE3 code path in use: "avx512", "avx2", "sse41" or "portable". Static. */
ZQUIC_API const char *zquic_crypto_blake3_path(void);

/* --- hex text (key files, signatures on the command line) ------------------------------------ */

/* Lower-case hex of data[0..len) into text with a NUL (text_cap >= 2 * len + 1). */
ZQUIC_API int zquic_crypto_hex_encode(const uint8_t *data, size_t len, char *text,
                                      size_t text_cap);
/* Decode hex text[0..text_len): surrounding ASCII whitespace and one "0x"/"0X" prefix are
 * skipped; digits of either case; an odd digit count or any other character is
 * ZQUIC_ERR_INVALID_ARGUMENT. *out_len = bytes written (out_cap must hold them). */
ZQUIC_API int zquic_crypto_hex_decode(const char *text, size_t text_len, uint8_t *out,
                                      size_t out_cap, size_t *out_len);

/* ============================================================================================= */
/* GhostBridge: gRPC over HTTP/3                                                                 */
/* ============================================================================================= */
/*
 * gRPC calls over HTTP/3 with the wire rules of gRFC G2 (the headers, length-prefixed messages and
 * trailers of gRPC over HTTP/2), so that any gRPC-over-HTTP/3 peer interoperates. A client calls
 * on an "h3" connection; a server is an HTTP/3 handler (zquic_grpc_server_h3_handler) given to
 * zquic_create_server, or made in one step by zquic_grpc_serve. Method paths are
 * "/package.Service/Method"; a client may leave out the leading '/'.
 *
 * Statuses: every call that was started ends with a gRPC status (ZQUIC_GRPC_*): the server's, or
 * one the client sets itself as gRPC clients do: DEADLINE_EXCEEDED when the deadline passed,
 * CANCELLED when cancelled, UNAVAILABLE when the connection failed, INTERNAL for malformed
 * framing, RESOURCE_EXHAUSTED for a message over the receive limit, and the HTTP mapping (404 ->
 * UNIMPLEMENTED, 503 -> UNAVAILABLE, ...) for an answer that is not gRPC. Negative ZQUIC_ERR_*
 * codes mean the call could not be made at all (bad argument, no memory, blocking on the loop
 * thread) or, for the streaming calls, that a wait timed out.
 *
 * Messages are opaque bytes (serialise with protobuf-c or anything else). Every received message
 * is limited to max_receive_message bytes (default 4 MiB); gzip (grpc-encoding) is understood on
 * receipt and optional on sending. All functions are thread-safe; callbacks run on the loop
 * thread and must not block (answer a server call later, from any thread, instead).
 */

/* gRPC status codes (the protocol's numbers). */
#define ZQUIC_GRPC_OK 0
#define ZQUIC_GRPC_CANCELLED 1
#define ZQUIC_GRPC_UNKNOWN 2
#define ZQUIC_GRPC_INVALID_ARGUMENT 3
#define ZQUIC_GRPC_DEADLINE_EXCEEDED 4
#define ZQUIC_GRPC_NOT_FOUND 5
#define ZQUIC_GRPC_ALREADY_EXISTS 6
#define ZQUIC_GRPC_PERMISSION_DENIED 7
#define ZQUIC_GRPC_RESOURCE_EXHAUSTED 8
#define ZQUIC_GRPC_FAILED_PRECONDITION 9
#define ZQUIC_GRPC_ABORTED 10
#define ZQUIC_GRPC_OUT_OF_RANGE 11
#define ZQUIC_GRPC_UNIMPLEMENTED 12
#define ZQUIC_GRPC_INTERNAL 13
#define ZQUIC_GRPC_UNAVAILABLE 14
#define ZQUIC_GRPC_DATA_LOSS 15
#define ZQUIC_GRPC_UNAUTHENTICATED 16

/* "DEADLINE_EXCEEDED" for 4; "UNKNOWN_CODE" outside 0..16. Static storage. */
ZQUIC_API const char *zquic_grpc_status_name(int status);

/* One metadata entry. Keys are lower-case; a key ending in "-bin" carries any bytes (sent
 * base64-encoded, as gRPC requires), other values must be printable ASCII (0x20..0x7E). */
typedef struct zquic_grpc_metadata {
  const char *key;
  const uint8_t *value;
  size_t value_len;
} zquic_grpc_metadata;

/* --- client ---------------------------------------------------------------------------------- */

typedef struct zquic_grpc_call_options {
  size_t struct_size;                 /* set by zquic_grpc_call_options_init */
  int timeout_ms;                     /* deadline of the whole call, sent as grpc-timeout;
                                         default 30000; 0 = no deadline */
  const zquic_grpc_metadata *metadata; /* custom request metadata (copied) */
  size_t n_metadata;                  /* at most 64 */
  const char *authority;              /* NULL = the connection's server name */
  uint32_t max_receive_message;       /* default 4 MiB */
  int compress;                       /* 1: send messages gzip-compressed; default 0 */
} zquic_grpc_call_options;

ZQUIC_API void zquic_grpc_call_options_init(zquic_grpc_call_options *opts);

/* The outcome of a call. Allocated by the library (which may grow it at its end); release with
 * zquic_grpc_response_free, never free(). */
typedef struct zquic_grpc_response {
  uint8_t *data;    /* the reply message of a unary call (owned by the response); NULL if none */
  size_t len;
  int status;       /* gRPC status; ZQUIC_GRPC_OK = 0 */
  char error[256];  /* grpc-message (percent-decoded) or the client's reason; "" when OK */
  int http_status;  /* :status of the answer; 0 when none arrived */
} zquic_grpc_response;

/* Blocking unary call: send `request` (copied) to `method` and wait for the status (bounded by
 * opts->timeout_ms). `opts` may be NULL (defaults). On ZQUIC_OK *out holds the response, whatever
 * its gRPC status; the caller owns it. Must not be called on the loop thread. */
ZQUIC_API int zquic_grpc_call(zquic_connection *conn, const char *method, const void *request,
                              size_t len, const zquic_grpc_call_options *opts,
                              zquic_grpc_response **out);

/* Called once per asynchronous call, on the loop thread, with a response the callee owns. */
typedef void (*zquic_grpc_callback)(zquic_grpc_response *resp, void *user);

/* Start a unary call and return at once; `done` runs when it ends (never before this function
 * returned). Calls beyond the server's stream limit wait in order for a free stream. On an error
 * return `done` never runs. Safe from any thread, the loop thread included. */
ZQUIC_API int zquic_grpc_call_async(zquic_connection *conn, const char *method,
                                    const void *request, size_t len,
                                    const zquic_grpc_call_options *opts, zquic_grpc_callback done,
                                    void *user);

/* The `index`th metadata entry the server sent (response headers, then trailers, pseudo-headers
 * left out); "-bin" values decoded. Pointers are owned by the response (values are also
 * NUL-terminated). ZQUIC_ERR_NOT_FOUND past the end. */
ZQUIC_API int zquic_grpc_response_metadata(const zquic_grpc_response *resp, size_t index,
                                           const char **key, const uint8_t **value,
                                           size_t *value_len);
/* The first metadata entry named `key`, or ZQUIC_ERR_NOT_FOUND. */
ZQUIC_API int zquic_grpc_response_metadata_get(const zquic_grpc_response *resp, const char *key,
                                               const uint8_t **value, size_t *value_len);
/* NULL is a no-op. */
ZQUIC_API void zquic_grpc_response_free(zquic_grpc_response *resp);

/* Streaming calls (client-, server- and bidirectional streaming) through a call handle. */
typedef struct zquic_grpc_stream zquic_grpc_stream;

/* Open a call on `method`; send with zquic_grpc_stream_send, end the request side with
 * zquic_grpc_stream_close_send. *out is owned by the caller: release with zquic_grpc_stream_free. */
ZQUIC_API int zquic_grpc_stream_start(zquic_connection *conn, const char *method,
                                      const zquic_grpc_call_options *opts,
                                      zquic_grpc_stream **out);
/* Send one message (copied). Waits up to timeout_ms while more than 1 MiB is queued unsent
 * (ZQUIC_ERR_WOULD_BLOCK with timeout 0 or on the loop thread). ZQUIC_ERR_CLOSED once the call
 * has ended (its status says why). */
ZQUIC_API int zquic_grpc_stream_send(zquic_grpc_stream *call, const void *msg, size_t len,
                                     int timeout_ms);
/* Half-close: no more request messages. */
ZQUIC_API int zquic_grpc_stream_close_send(zquic_grpc_stream *call);
/* Receive the next reply message: returns 1 with *msg and *len set (owned by the call, valid until the
 * next receive or free), 0 when the call has ended (see zquic_grpc_stream_status), or a negative
 * code (ZQUIC_ERR_TIMEOUT: nothing within timeout_ms; ZQUIC_ERR_WOULD_BLOCK for timeout 0). */
ZQUIC_API int zquic_grpc_stream_recv(zquic_grpc_stream *call, int timeout_ms, const uint8_t **msg,
                                     size_t *len);
/* The call's end: a response with status, error text and metadata (no data), owned by the call;
 * NULL while the call is still running. */
ZQUIC_API const zquic_grpc_response *zquic_grpc_stream_status(const zquic_grpc_stream *call);
/* Cancel: the server sees the stream reset (H3_REQUEST_CANCELLED); the status becomes CANCELLED
 * unless the call had already ended. */
ZQUIC_API int zquic_grpc_stream_cancel(zquic_grpc_stream *call);
/* Release the handle; a call still running is cancelled. NULL is a no-op. */
ZQUIC_API void zquic_grpc_stream_free(zquic_grpc_stream *call);

/* Channels: calls to one target ("host:port") through one shared connection, made on first use
 * (without blocking: calls wait for the handshake) and made again once it has closed. Safe from
 * any thread. */
typedef struct zquic_grpc_channel zquic_grpc_channel;

/* `opts` (may be NULL) is copied; its ALPN is always "h3". *out is owned by the caller: release
 * with zquic_grpc_channel_free. */
ZQUIC_API int zquic_grpc_channel_create(zquic_context *ctx, const char *target,
                                        const zquic_connect_options *opts,
                                        zquic_grpc_channel **out);
/* As zquic_grpc_call, zquic_grpc_call_async and zquic_grpc_stream_start, on the channel's
 * connection. A failed connection attempt ends the call with UNAVAILABLE. */
ZQUIC_API int zquic_grpc_channel_call(zquic_grpc_channel *ch, const char *method,
                                      const void *request, size_t len,
                                      const zquic_grpc_call_options *opts,
                                      zquic_grpc_response **out);
ZQUIC_API int zquic_grpc_channel_call_async(zquic_grpc_channel *ch, const char *method,
                                            const void *request, size_t len,
                                            const zquic_grpc_call_options *opts,
                                            zquic_grpc_callback done, void *user);
ZQUIC_API int zquic_grpc_channel_stream_start(zquic_grpc_channel *ch, const char *method,
                                              const zquic_grpc_call_options *opts,
                                              zquic_grpc_stream **out);
/* Connections the channel has made so far (1 while the first one lives). */
ZQUIC_API unsigned zquic_grpc_channel_connects(const zquic_grpc_channel *ch);
/* Close the channel's connection (calls still running on it end with UNAVAILABLE) and free the
 * channel. NULL is a no-op. */
ZQUIC_API void zquic_grpc_channel_free(zquic_grpc_channel *ch);

/* --- server ---------------------------------------------------------------------------------- */

typedef struct zquic_grpc_server zquic_grpc_server;
/* One incoming call. Every call handed to an application callback must be ended exactly once with
 * zquic_grpc_server_call_finish or zquic_grpc_server_call_reply, from any thread, at any time
 * (also after on_cancel): that releases it, and the handle is invalid afterwards. */
typedef struct zquic_grpc_server_call zquic_grpc_server_call;

/* A unary call's request is complete (request = the one message, owned by the library, valid
 * during the callback), or a streaming call has begun (request NULL, len 0). Loop thread. */
typedef void (*zquic_grpc_handler)(zquic_grpc_server_call *call, const uint8_t *request,
                                   size_t len, void *user);

#define ZQUIC_GRPC_METHOD_UNARY 0     /* one request message, then on_call */
#define ZQUIC_GRPC_METHOD_STREAMING 1 /* on_call at once, request messages through on_message */

typedef struct zquic_grpc_method {
  size_t struct_size; /* set by zquic_grpc_method_init */
  int kind;           /* ZQUIC_GRPC_METHOD_UNARY (default) or _STREAMING */
  zquic_grpc_handler on_call; /* required */
  /* Streaming: each request message (valid during the callback), then the client's half-close. */
  void (*on_message)(zquic_grpc_server_call *call, const uint8_t *msg, size_t len, void *user);
  void (*on_half_close)(zquic_grpc_server_call *call, void *user);
  /* The call ended before it was finished: the client cancelled, the deadline passed (the
   * library has answered DEADLINE_EXCEEDED) or the connection was lost. Stop the work and
   * finish the call to release it. Optional. */
  void (*on_cancel)(zquic_grpc_server_call *call, void *user);
  void *user;
} zquic_grpc_method;

ZQUIC_API void zquic_grpc_method_init(zquic_grpc_method *method);

typedef struct zquic_grpc_server_config {
  size_t struct_size;          /* set by zquic_grpc_server_config_init */
  zquic_grpc_handler handler;  /* unary handler for every method not registered; NULL =
                                  UNIMPLEMENTED */
  void *user;
  uint32_t max_receive_message; /* default 4 MiB; bigger requests get RESOURCE_EXHAUSTED */
  int health;                   /* 1 (default): serve grpc.health.v1.Health/Check */
  /* Requests that are not gRPC (content-type not application/grpc...) go to this HTTP/3
   * handler (copied); NULL = answer them 415. */
  const zquic_h3_handler_config *fallback;
  int compress; /* 1: gzip reply messages to clients that accept it (grpc-accept-encoding); 0 */
} zquic_grpc_server_config;

ZQUIC_API void zquic_grpc_server_config_init(zquic_grpc_server_config *cfg);
/* Create a gRPC service on `ctx` (no socket yet: give zquic_grpc_server_h3_handler to
 * zquic_create_server). *out is owned by the caller: zquic_grpc_server_free. */
ZQUIC_API int zquic_grpc_server_create(zquic_context *ctx, const zquic_grpc_server_config *cfg,
                                       zquic_grpc_server **out);
/* Route `path` ("/pkg.Svc/Method") to `method` (copied); its service is reported SERVING by the
 * health service. Replaces an earlier registration of the same path. */
ZQUIC_API int zquic_grpc_server_register(zquic_grpc_server *srv, const char *path,
                                         const zquic_grpc_method *method);
/* The HTTP/3 handler to put in zquic_server_config.h3. Owned by the service. */
ZQUIC_API const zquic_h3_handler_config *zquic_grpc_server_h3_handler(zquic_grpc_server *srv);
/* Health status of `service` ("" = the whole server): 1 SERVING, 2 NOT_SERVING. */
ZQUIC_API int zquic_grpc_server_set_health(zquic_grpc_server *srv, const char *service,
                                           int serving_status);
/* Original entry point: serve gRPC with `handler` for every method on a new server bound to the
 * context's port, certificate and key (zquic_config), listening at once. *out owns both. */
ZQUIC_API int zquic_grpc_serve(zquic_context *ctx, zquic_grpc_handler handler, void *user,
                               zquic_grpc_server **out);
/* The UDP port of a server made by zquic_grpc_serve, or a negative error code. */
ZQUIC_API int zquic_grpc_server_port(const zquic_grpc_server *srv);
/* Free the service (and the server zquic_grpc_serve made). Free the zquic_server that uses its
 * handler first. NULL is a no-op. */
ZQUIC_API void zquic_grpc_server_free(zquic_grpc_server *srv);

/* Call facts. Strings are owned by the call. */
ZQUIC_API const char *zquic_grpc_server_call_method(const zquic_grpc_server_call *call);
ZQUIC_API const char *zquic_grpc_server_call_peer(zquic_grpc_server_call *call);
/* First request metadata entry named `key` ("-bin" values decoded), or ZQUIC_ERR_NOT_FOUND. */
ZQUIC_API int zquic_grpc_server_call_metadata(const zquic_grpc_server_call *call, const char *key,
                                              const uint8_t **value, size_t *value_len);
/* Milliseconds left before the client's deadline (0 when passed), or -1 when it set none. */
ZQUIC_API int64_t zquic_grpc_server_call_time_left_ms(const zquic_grpc_server_call *call);
/* 1 when the call has ended early (on_cancel ran or is about to), else 0. */
ZQUIC_API int zquic_grpc_server_call_cancelled(const zquic_grpc_server_call *call);
ZQUIC_API void zquic_grpc_server_call_set_user(zquic_grpc_server_call *call, void *user);
ZQUIC_API void *zquic_grpc_server_call_get_user(const zquic_grpc_server_call *call);
/* Initial response metadata (copied); only before the first message. */
ZQUIC_API int zquic_grpc_server_call_send_metadata(zquic_grpc_server_call *call,
                                                   const zquic_grpc_metadata *md, size_t n);
/* Send one reply message (copied). Waits up to timeout_ms while more than 1 MiB is unsent
 * (ZQUIC_ERR_WOULD_BLOCK with 0 or on the loop thread); ZQUIC_ERR_CANCELLED once the call ended. */
ZQUIC_API int zquic_grpc_server_call_send(zquic_grpc_server_call *call, const void *msg,
                                          size_t len, int timeout_ms);
/* End the call with `status`, an optional message (any UTF-8; percent-encoded on the wire) and
 * optional trailing metadata, and release the handle. Returns ZQUIC_ERR_CANCELLED (the handle is
 * still released) when the call had already ended. */
ZQUIC_API int zquic_grpc_server_call_finish(zquic_grpc_server_call *call, int status,
                                            const char *message,
                                            const zquic_grpc_metadata *trailers, size_t n);
/* Unary shorthand: send `msg` and finish with OK. */
ZQUIC_API int zquic_grpc_server_call_reply(zquic_grpc_server_call *call, const void *msg,
                                           size_t len);

/* ============================================================================================= */
/* CNS/ZNS: DNS over QUIC (RFC 9250)                                                             */
/* ============================================================================================= */
/*
 * Standard DNS on the wire, ALPN "doq": one query per stream, so any RFC 9250 client or server
 * interoperates. A client queries on a connection made with ALPN "doq" (zquic_connect_options.alpn)
 * to port 853 or wherever the server listens.
 */

/* Query kinds: DNS RR types (the original API's values), and two client-side kinds that are never
 * sent as types: on the wire they are TXT queries whose answer the client interprets. */
#define ZQUIC_DNS_A 1
#define ZQUIC_DNS_NS 2
#define ZQUIC_DNS_CNAME 5
#define ZQUIC_DNS_SOA 6
#define ZQUIC_DNS_MX 15
#define ZQUIC_DNS_TXT 16
#define ZQUIC_DNS_AAAA 28
#define ZQUIC_DNS_ENS 65001 /* .eth names: `answer` is the EIP-55 address from "eth=0x..." */
#define ZQUIC_DNS_ZNS 65002 /* .zns/.ghost names: `answer` is the owner key from "zns-owner=..." */

/* DNS response codes (RFC 1035, 6891). */
#define ZQUIC_DNS_NOERROR 0
#define ZQUIC_DNS_FORMERR 1
#define ZQUIC_DNS_SERVFAIL 2
#define ZQUIC_DNS_NXDOMAIN 3
#define ZQUIC_DNS_NOTIMP 4
#define ZQUIC_DNS_REFUSED 5

/* One resource record of an answer. Strings are owned by the response. */
typedef struct zquic_dns_record {
  const char *name;     /* owner name, "www.example.zns." */
  uint16_t type;        /* ZQUIC_DNS_A ... (wire types) */
  uint16_t rr_class;    /* 1 = IN */
  uint32_t ttl;
  const char *value;    /* the data as text: "192.0.2.1", "2001:db8::1", "10 mail.example.",
                           "target.example.", TXT strings concatenated without quotes */
  const uint8_t *rdata; /* the data in wire form */
  size_t rdata_len;
} zquic_dns_record;

/* A query's outcome. Allocated by the library (which may grow it at its end); release with
 * zquic_dns_response_free. */
typedef struct zquic_dns_response {
  char answer[512];   /* the original API's field: the first answer's value (for ENS/ZNS the
                         address or owner); "" when there is none */
  size_t len;         /* strlen(answer) */
  int query_type;     /* as asked (ENS/ZNS kinds kept) */
  int rcode;          /* ZQUIC_DNS_NOERROR, ZQUIC_DNS_NXDOMAIN, ... */
  uint32_t ttl;       /* TTL of the first answer record */
  const zquic_dns_record *records; /* the answer section, in order */
  size_t n_records;
  int authoritative;  /* AA bit */
  int truncated;      /* TC bit */
  int ede_code;       /* RFC 8914 extended error info-code, -1 when none */
  char ede_text[128];
} zquic_dns_response;

typedef struct zquic_dns_query_options {
  size_t struct_size; /* set by zquic_dns_query_options_init */
  int timeout_ms;     /* default 5000 */
  int dnssec_ok;      /* set the DO bit; default 0 */
  int padding;        /* EDNS(0) padding (RFC 8467), default 1: hides the query's length */
} zquic_dns_query_options;

ZQUIC_API void zquic_dns_query_options_init(zquic_dns_query_options *opts);
/* Ask `name` for `type` on a DoQ connection and wait for the answer. On ZQUIC_OK *out holds the
 * response, whatever its rcode; the caller owns it. Safe from any thread, concurrently (one
 * stream per query); not on the loop thread. */
ZQUIC_API int zquic_dns_query(zquic_connection *conn, const char *name, int type,
                              zquic_dns_response **out);
ZQUIC_API int zquic_dns_query_ex(zquic_connection *conn, const char *name, int type,
                                 const zquic_dns_query_options *opts, zquic_dns_response **out);
/* NULL is a no-op. */
ZQUIC_API void zquic_dns_response_free(zquic_dns_response *resp);

/* A DoQ client for one server: queries share one connection, made on first use and made again
 * when it has closed; with connect options enable_0rtt, a reconnection resumes the last session
 * and sends its first queries in 0-RTT (a query the server refuses early is sent again). Safe
 * from any thread, concurrently; not on the loop thread. */
typedef struct zquic_dns_client zquic_dns_client;

/* `server` is "host:port"; `opts` (may be NULL) is copied, its ALPN is always "doq". *out is owned
 * by the caller: zquic_dns_client_free. */
ZQUIC_API int zquic_dns_client_create(zquic_context *ctx, const char *server,
                                      const zquic_connect_options *opts,
                                      zquic_dns_client **out);
/* As zquic_dns_query_ex, on the client's connection. */
ZQUIC_API int zquic_dns_client_query(zquic_dns_client *client, const char *name, int type,
                                     const zquic_dns_query_options *opts,
                                     zquic_dns_response **out);
/* Connections made so far, and how many of them resumed a session with 0-RTT accepted. */
ZQUIC_API unsigned zquic_dns_client_connects(const zquic_dns_client *client);
ZQUIC_API unsigned zquic_dns_client_early_connects(const zquic_dns_client *client);
/* Close the connection and free. NULL is a no-op. */
ZQUIC_API void zquic_dns_client_free(zquic_dns_client *client);

/* --- asynchronous queries -------------------------------------------------------------------- */

/* The end of an asynchronous query. Runs exactly once per query that was started (the start
 * returned ZQUIC_OK), on the context's loop thread, never inside the call that started it.
 * `result` is ZQUIC_OK with `resp` set (whatever its rcode: NXDOMAIN and REFUSED are answers),
 * or an error with `resp` NULL and zquic_last_error() telling why (valid during the callback):
 * ZQUIC_ERR_TIMEOUT (no answer within the options' timeout_ms; the stream is cancelled with
 * DOQ_REQUEST_CANCELLED), ZQUIC_ERR_CLOSED (the connection was closed, or the client freed or
 * the context destroyed, with the query in flight), the connection's own end (ZQUIC_ERR_IDLE_TIMEOUT,
 * ZQUIC_ERR_PEER_CLOSED, ...), ZQUIC_ERR_STREAM_RESET, ZQUIC_ERR_PROTOCOL (an answer that does not
 * answer the question), ZQUIC_ERR_EARLY_DATA_REJECTED (sent in 0-RTT, which the server refused:
 * ask again). The callback owns `resp` (zquic_dns_response_free). It holds the context's lock:
 * it may call the non-blocking API, in particular start further queries, which then go out in
 * the same write as the others of its loop turn; it must not block. */
typedef void (*zquic_dns_callback)(int result, zquic_dns_response *resp, void *user);

/* Ask `name` for `type` (as zquic_dns_query_ex, ENS/ZNS kinds included) without waiting: from
 * any thread, including the loop thread inside a callback. `name` and `opts` (may be NULL) are
 * copied. opts->timeout_ms bounds the whole query from this call on, also the time it waits for
 * a stream (queries beyond the server's stream limit, or on a connection still handshaking,
 * wait in line and start as streams free up); 0 or less = no deadline. Bad arguments (NULL
 * connection, name or callback, a name that is empty, malformed or longer than 253 characters,
 * a type out of range, uninitialised options) and a context shutting down return an error code
 * and the callback never runs. The connection must stay open until the start returned;
 * zquic_close_connection with queries in flight ends them with ZQUIC_ERR_CLOSED. */
ZQUIC_API int zquic_dns_query_async(zquic_connection *conn, const char *name, int type,
                                    const zquic_dns_query_options *opts, zquic_dns_callback cb,
                                    void *user);
/* As zquic_dns_query_async on the client's connection, which it makes again when it has closed
 * (also in 0-RTT with enable_0rtt): the reconnect never waits either, it is started on the loop
 * thread and queries meanwhile wait in line for its handshake (with 0-RTT they go at once), so a
 * query during a reconnect costs a handshake, not a failure. A query refused in 0-RTT is asked
 * again once, after the handshake, before the callback hears of it. A query on a connection that
 * dies under it fails with that connection's error; the next query reconnects. Queries in flight
 * at zquic_dns_client_free end with ZQUIC_ERR_CLOSED (their callbacks run after the free, on the
 * loop thread). Blocking and asynchronous queries share the client's one connection. */
ZQUIC_API int zquic_dns_client_query_async(zquic_dns_client *client, const char *name, int type,
                                           const zquic_dns_query_options *opts,
                                           zquic_dns_callback cb, void *user);

/* --- server ---------------------------------------------------------------------------------- */

/* A DoQ resolver. Each query goes down a chain and the first link that knows answers: the cache,
 * the local zones (RFC 1035 master files), the ZNS registry (.zns and .ghost names, signed
 * entries: docs/ZNS.md; names it does not hold from a GhostChain service over GhostBridge when
 * zns_ghostbridge is set), ENS for .eth names when an Ethereum endpoint is configured (answered
 * asynchronously, SERVFAIL within eth_timeout_ms when the endpoint fails: docs/ENS.md), then the
 * configured upstream resolvers (plain DNS: UDP, TCP when the answer is truncated; or DNS over
 * QUIC; their answers are cached). Without upstreams anything else is REFUSED (Extended DNS Error 20). Nothing
 * leaves the machine unless configured to. */
typedef struct zquic_dns_server zquic_dns_server;

typedef struct zquic_dns_config {
  size_t struct_size;            /* set by zquic_dns_config_init */
  const char *listen;            /* "127.0.0.1:853"; NULL = the context's bind address and port */
  const char *cert_file;         /* NULL = the context's */
  const char *key_file;          /* NULL = the context's */
  const char *const *zone_files; /* master files, each naming its $ORIGIN or SOA owner */
  size_t n_zone_files;
  const char *zns_registry;      /* ZNS registry file; NULL = none */
  size_t cache_max_bytes;        /* default 32 MiB */
  int enable_0rtt;               /* accept 0-RTT queries (QUERY only, others REFUSED + EDE 26) */
  int retry;                     /* validate client addresses with Retry */
  uint32_t no_fin_timeout_ms;    /* a whole query whose FIN is this late is reset; default 2000 */
  /* Upstream resolvers for names no local link knows: plain DNS as "IP", "IP:PORT" or
   * "[IPv6]:PORT" (port 53 by default; UDP, TCP when truncated), or DNS over QUIC as
   * "doq://IP[:PORT][#NAME]" ("quic://" alike; port 853 by default; one kept connection each,
   * resumed with 0-RTT; the certificate must name NAME, else the IP address, and chain to
   * upstream_ca_file). IP addresses only, at most 16, tried in turn, each for
   * upstream_timeout_ms (default 2000): a query whose upstreams all fail gets SERVFAIL with
   * Extended DNS Error 22 (no answer in time) or 23 (unreachable, TLS failure, or unusable
   * answers) after at most upstream_timeout_ms x n_upstreams. None by default. */
  const char *const *upstreams;
  size_t n_upstreams;
  uint32_t upstream_timeout_ms;
  /* --- ENS (.eth names through an Ethereum JSON-RPC endpoint; docs/ENS.md) --- */
  const char *eth_rpc_url;       /* "http(s)://..." JSON-RPC endpoint; NULL (default) = no ENS:
                                    .eth names go on down the chain like any other name */
  const char *ens_registry;      /* ENS registry "0x..."; NULL = mainnet's
                                    0x00000000000C2E074eC69A0dFb2997BA6C7d2e1e */
  uint32_t eth_timeout_ms;       /* a .eth query is answered (SERVFAIL at worst) within this;
                                    0 = 3000 */
  /* --- DNS-over-QUIC upstreams --- */
  const char *upstream_ca_file;  /* PEM trust anchors for doq:// upstreams; NULL = the system's */
  /* --- ZNS through GhostBridge (docs/ZNS.md) --- */
  /* .zns/.ghost names the registry file does not hold are asked of a GhostChain service:
   * ghost.chain.v1.GhostChainService/ResolveDomain over gRPC over HTTP/3. Its answers are
   * served only when the owner's Ed25519 signature over the registry's signed message holds
   * (else SERVFAIL with an Extended DNS Error); NOT_FOUND and empty answers are NXDOMAIN. */
  const char *zns_ghostbridge;   /* "host:port" of the service; NULL (default) = none: without a
                                    registry such names go on down the chain */
  const char *zns_ghostbridge_ca_file; /* its trust anchors (PEM); NULL = the context's
                                          ca_file, else the system's store. The certificate
                                          and host name are verified (as every connection of
                                          the context: off only with its DANGEROUS flag) */
  const char *zns_network;       /* DomainQuery.network; NULL = "mainnet" */
  uint32_t zns_ghostbridge_timeout_ms; /* SERVFAIL (EDE 22) when no answer within this; 0 = 3000 */
} zquic_dns_config;

ZQUIC_API void zquic_dns_config_init(zquic_dns_config *cfg);
/* Load the zones and the registry (a file that does not load is an error naming FILE:LINE;
 * registry entries that fail verification are skipped and counted), bind and serve. *out is
 * owned by the caller: zquic_dns_server_free. */
ZQUIC_API int zquic_dns_serve(zquic_context *ctx, const zquic_dns_config *cfg,
                              zquic_dns_server **out);
ZQUIC_API int zquic_dns_server_port(const zquic_dns_server *srv);
/* Read the zones and the registry again (SIGHUP). On any error the old ones keep serving and
 * the error is returned. */
ZQUIC_API int zquic_dns_server_reload(zquic_dns_server *srv);

typedef struct zquic_dns_stats {
  size_t struct_size; /* set by the caller to sizeof(zquic_dns_stats) */
  uint64_t queries, answers, cache_hits, cache_misses, zone_answers, zns_answers;
  uint64_t nxdomain, refused, servfail, formerr, protocol_errors, cancelled;
  uint64_t zns_entries, zns_rejected; /* in the registry now; skipped at the last (re)load */
  uint64_t forwarded;         /* queries sent to the upstream resolvers */
  uint64_t upstream_failures; /* of those, answered SERVFAIL because no upstream could answer */
  uint64_t upstream_tcp;      /* truncated UDP answers asked again over TCP */
  /* --- ENS --- */
  uint64_t ens_lookups;  /* .eth queries that went to the Ethereum endpoint (cache misses) */
  uint64_t ens_failures; /* of those, answered SERVFAIL (endpoint down, slow or lying) */
  /* --- ZNS through GhostBridge --- */
  uint64_t zns_bridge_lookups;  /* queries that went to the GhostChain service (cache misses) */
  uint64_t zns_bridge_answers;  /* of those, answered from it (records, NXDOMAIN) */
  uint64_t zns_bridge_failures; /* of those, answered SERVFAIL (down, slow, refused answers) */
  uint64_t zns_bridge_rejected; /* of the failures, answers refused: bad or missing signature,
                                   another domain, undecodable or invalid data */
} zquic_dns_stats;

ZQUIC_API int zquic_dns_server_stats(zquic_dns_server *srv, zquic_dns_stats *out);
/* Stop serving (connections close) and free. NULL is a no-op. */
ZQUIC_API void zquic_dns_server_free(zquic_dns_server *srv);


/* ============================================================================================= */
/* Wraith: HTTP/3 reverse proxy with load balancing and health checks                            */
/* ============================================================================================= */
/*
 * A proxy terminates HTTP/3 on its listeners and sends each request to a backend of the pool its
 * route names (host and path prefix, longest match), over HTTP/3 or HTTP/1.1; bodies and trailers
 * stream through. Configure it from a libconfig file (docs/CONFIG.md, "Wraith") or build it with
 * the calls below. Everything runs on the context's loop thread; these calls may be made from any
 * thread but not from inside a library callback of the same context.
 */
typedef struct zquic_proxy zquic_proxy;

/* Balancing algorithms (0 and 1 are the original lb_mode values). */
#define ZQUIC_LB_ROUND_ROBIN 0
#define ZQUIC_LB_LEAST_CONNECTIONS 1
#define ZQUIC_LB_WEIGHTED 2 /* smooth weighted round robin */
#define ZQUIC_LB_IP_HASH 3  /* consistent hashing of the client address */
#define ZQUIC_LB_RANDOM 4   /* power of two random choices */

#define ZQUIC_PROXY_BACKEND_H3 0
#define ZQUIC_PROXY_BACKEND_HTTP1 1

typedef struct zquic_proxy_config {
  size_t struct_size;     /* set by zquic_proxy_config_init */
  /* A libconfig file with listeners, pools, routes and limits; zquic_proxy_reload reads it
   * again. When set, the fields below are not used. Copied. */
  const char *config_file;
  /* Without a file: one listener, one pool "default" and a route of every request to it. */
  const char *listen;     /* e.g. "0.0.0.0:443", "127.0.0.1:0"; required without config_file */
  const char *cert_file;  /* PEM chain and key of the listener; required without config_file */
  const char *key_file;
  const char *backend_address; /* a first backend of "default" ("host:port"); NULL = none yet */
  int lb_mode;            /* ZQUIC_LB_* of "default"; default round robin */
  uint32_t health_check_interval_s; /* active checks of "default" (GET /); 0 = off (default) */
  uint32_t timeout_ms;    /* backend response deadline of "default" (504 after); default 30000 */
  const char *metrics_listen; /* Prometheus text endpoint, e.g. "127.0.0.1:9100"; NULL = off */
  const char *access_log; /* append one line per request; "-" = stderr; NULL = off */
  int backend_protocol;   /* ZQUIC_PROXY_BACKEND_* of backend_address; default H3 */
  const char *backend_ca_file; /* trust anchors for backend_address over HTTP/3; NULL = system */
} zquic_proxy_config;

ZQUIC_API void zquic_proxy_config_init(zquic_proxy_config *cfg);

/* Read and validate a proxy configuration file without starting anything (`zquic proxy
 * --check`): ZQUIC_OK, or ZQUIC_ERR_INVALID_ARGUMENT / ZQUIC_ERR_IO with "FILE:LINE: what" in
 * zquic_last_error(). Certificate and CA files must be readable. */
ZQUIC_API int zquic_proxy_config_check(const char *config_file);

/* Create and start a proxy: listeners bound, metrics listening, health checks running. A bad
 * file gives ZQUIC_ERR_INVALID_ARGUMENT (or ZQUIC_ERR_IO) with "FILE:LINE: what" in
 * zquic_last_error(). *out is owned by the caller: zquic_proxy_destroy. */
ZQUIC_API int zquic_proxy_create(zquic_context *ctx, const zquic_proxy_config *cfg,
                                 zquic_proxy **out);

typedef struct zquic_proxy_backend {
  size_t struct_size;     /* set by zquic_proxy_backend_init */
  const char *pool;       /* NULL = "default"; a new name makes a new pool (round robin) */
  const char *address;    /* "host:port", "[v6]:port"; required */
  int protocol;           /* ZQUIC_PROXY_BACKEND_H3 (default) or _HTTP1 */
  unsigned weight;        /* 1..1000 (ZQUIC_LB_WEIGHTED); default 1 */
  const char *sni;        /* HTTP/3: name to verify; NULL = the host part of address */
  const char *ca_file;    /* HTTP/3: pinned trust anchors (PEM); NULL = system */
  /* HTTP/3: no certificate verification. Tests only; logged as a warning. */
  int insecure_skip_verify_DANGEROUS;
} zquic_proxy_backend;

ZQUIC_API void zquic_proxy_backend_init(zquic_proxy_backend *backend);
/* Add a backend (copied) to a pool of the running configuration; requests in flight go on.
 * ZQUIC_ERR_INVALID_ARGUMENT for a bad address, weight or protocol, ZQUIC_ERR_LIMIT past 256
 * backends. A later zquic_proxy_reload of a file-based proxy replaces what was added. Edits of
 * one proxy from two threads at once are not serialised (one may be lost): callers serialise
 * their zquic_proxy_add_backend and zquic_proxy_route calls. */
ZQUIC_API int zquic_proxy_add_backend(zquic_proxy *proxy, const zquic_proxy_backend *backend);
/* Send requests for `host` (exact, "*.example.com" for any name below it, NULL or "*" for any)
 * whose path starts with `path_prefix` (NULL = "/") to `pool`, which must exist. A route with the
 * same host and prefix is replaced. Not serialised against other edits of the same proxy (see
 * zquic_proxy_add_backend): callers serialise them. */
ZQUIC_API int zquic_proxy_route(zquic_proxy *proxy, const char *host, const char *path_prefix,
                                const char *pool);
/* Read the configuration file again and apply it without dropping requests in flight: backends
 * that stay keep their health and connections. A file that does not read or validate is refused
 * (the error, with its line, in zquic_last_error() and the log) and the old configuration keeps
 * serving. Listeners and the metrics address are kept from the start. ZQUIC_ERR_STATE without a
 * file. */
ZQUIC_API int zquic_proxy_reload(zquic_proxy *proxy);
/* The bound UDP port of listener `index` (0 = the first), or a negative error code. */
ZQUIC_API int zquic_proxy_port(const zquic_proxy *proxy, size_t index);
/* The metrics endpoint's TCP port, or a negative error code when it is off. */
ZQUIC_API int zquic_proxy_metrics_port(const zquic_proxy *proxy);

typedef struct zquic_proxy_counters {
  size_t struct_size;     /* set by the caller to sizeof(zquic_proxy_counters) */
  uint64_t requests;      /* requests received */
  uint64_t responses[6];  /* [1]..[5]: answered 1xx..5xx (the proxy's own answers included) */
  uint64_t rate_limited;  /* 429 */
  uint64_t too_large;     /* 413 and 431 */
  uint64_t bad_requests;  /* 400 */
  uint64_t retries;       /* requests sent to another backend after a connect failure */
  uint64_t upstream_timeouts; /* 504 */
  uint64_t reloads, reload_failures;
  uint32_t pools, backends, backends_healthy;
  uint32_t in_flight;     /* requests at backends now */
} zquic_proxy_counters;

ZQUIC_API int zquic_proxy_stats(zquic_proxy *proxy, zquic_proxy_counters *out);

typedef struct zquic_proxy_backend_counters {
  size_t struct_size;     /* set by the caller to sizeof(zquic_proxy_backend_counters) */
  char pool[128];
  char address[256];
  int protocol;           /* ZQUIC_PROXY_BACKEND_* */
  int healthy;            /* 1 when it gets requests now */
  uint32_t in_flight, open_connections;
  uint64_t requests, errors, responses_5xx;
} zquic_proxy_backend_counters;

/* Facts of backend `index`, counting through the pools in configuration order;
 * ZQUIC_ERR_NOT_FOUND past the last. */
ZQUIC_API int zquic_proxy_backend_stats(zquic_proxy *proxy, size_t index,
                                            zquic_proxy_backend_counters *out);
/* Stop the listeners (requests in flight are reset), close the backend connections and free.
 * Call before zquic_destroy of its context. NULL is a no-op. */
ZQUIC_API void zquic_proxy_destroy(zquic_proxy *proxy);

#ifdef __cplusplus
}
#endif

#endif /* ZQUIC_H */
