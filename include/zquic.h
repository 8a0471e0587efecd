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
 *    thread. A blocking call made on the loop thread (from inside a callback) returns
 *    ZQUIC_ERR_LOOP_THREAD instead of deadlocking.
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
} zquic_config;

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
ZQUIC_API const char *zquic_h3_exchange_peer(const zquic_h3_exchange *ex);
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

#ifdef __cplusplus
}
#endif

#endif /* ZQUIC_H */
