/*
 * channel.c — a gRPC channel: the calls a service makes to one target share one connection,
 * which the channel makes on first use and again after it closed ("a client reuses its
 * connection per target").
 *
 * Connecting never blocks a call: the channel starts an asynchronous connect and calls wait in
 * the connection's line for the handshake, like calls waiting for a free stream. The channel's
 * mutex guards only which connection is current; each call takes its own reference on that
 * connection before the mutex is let go, so a reconnect never pulls it from under a call.
 */
#include <stdlib.h>
#include <string.h>

#include "grpc_internal.h"

struct zquic_grpc_channel {
  zquic_context *ctx;
  char *target, *sni, *ca_file, *ciphers;
  zquic_connect_options opts;
  pthread_mutex_t lock;
  zquic_connection *conn; /* the channel's handle on the current connection */
  unsigned connects;
};

static char *dup_opt(const char *s, bool *failed) {
  if (!s) return NULL;
  char *d = strdup(s);
  if (!d) *failed = true;
  return d;
}

ZQUIC_API int zquic_grpc_channel_create(zquic_context *ctx, const char *target,
                                        const zquic_connect_options *opts,
                                        zquic_grpc_channel **out) {
  if (out) *out = NULL;
  if (!ctx || !target || !out) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  if (opts && (opts->struct_size == 0 || opts->struct_size > sizeof(zquic_connect_options)))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "connect options: call zquic_connect_options_init");
  char host[256];
  uint16_t port;
  if (zq_addr_split(target, host, sizeof(host), &port) != 0)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "target must be host:port (got \"%.80s\")", target);
  zquic_grpc_channel *ch = calloc(1, sizeof(*ch));
  if (!ch) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  zquic_connect_options_init(&ch->opts);
  if (opts) memcpy(&ch->opts, opts, opts->struct_size);
  bool failed = false;
  ch->target = dup_opt(target, &failed);
  ch->sni = dup_opt(ch->opts.sni, &failed);
  ch->ca_file = dup_opt(ch->opts.ca_file, &failed);
  ch->ciphers = dup_opt(ch->opts.tls_ciphers, &failed);
  ch->opts.alpn = "h3";
  ch->opts.sni = ch->sni;
  ch->opts.ca_file = ch->ca_file;
  ch->opts.tls_ciphers = ch->ciphers;
  ch->opts.session = NULL; /* a resumption blob is for one connection, not every reconnect */
  ch->opts.session_len = 0;
  ch->opts.enable_0rtt = 0;
  ch->ctx = ctx;
  pthread_mutex_init(&ch->lock, NULL);
  if (failed) {
    zquic_grpc_channel_free(ch);
    return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  }
  *out = ch;
  return ZQUIC_OK;
}

static bool usable(zquic_connection *conn) {
  bool taken = zq_ctx_enter(conn->ctx);
  bool ok = !conn->close_requested &&
            (conn->state == ZQ_CONN_RESOLVING || zq_conn_check_open(conn) == ZQUIC_OK);
  zq_ctx_leave(conn->ctx, taken);
  return ok;
}

/* The current connection with a reference for the caller (drop it with put_conn). */
static int get_conn(zquic_grpc_channel *ch, zquic_connection **out) {
  pthread_mutex_lock(&ch->lock);
  int rc = ZQUIC_OK;
  if (ch->conn && !usable(ch->conn)) {
    zquic_close_connection(ch->conn);
    ch->conn = NULL;
  }
  if (!ch->conn) {
    rc = zquic_connect_async(ch->ctx, ch->target, &ch->opts, &ch->conn);
    if (rc == 0) ch->connects++;
  }
  if (rc == 0 && !ch->conn) rc = zq_error(ZQUIC_ERR_INTERNAL, "no connection");
  if (rc == 0 && ch->conn) {
    bool taken = zq_ctx_enter(ch->ctx);
    ch->conn->refs++;
    zq_ctx_leave(ch->ctx, taken);
    *out = ch->conn;
  }
  pthread_mutex_unlock(&ch->lock);
  return rc;
}

static void put_conn(zquic_connection *conn) {
  bool taken = zq_ctx_enter(conn->ctx);
  zq_conn_release(conn);
  zq_ctx_leave(conn->ctx, taken);
}

ZQUIC_API int zquic_grpc_channel_call(zquic_grpc_channel *ch, const char *method,
                                      const void *request, size_t len,
                                      const zquic_grpc_call_options *opts,
                                      zquic_grpc_response **out) {
  if (out) *out = NULL;
  if (!ch) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL channel");
  if (zq_on_loop_thread(ch->ctx))
    return zq_error(ZQUIC_ERR_LOOP_THREAD, "zquic_grpc_channel_call would block the loop thread");
  zquic_connection *conn = NULL;
  int rc = get_conn(ch, &conn);
  if (rc || !conn) return rc ? rc : ZQUIC_ERR_INTERNAL;
  rc = zquic_grpc_call(conn, method, request, len, opts, out);
  put_conn(conn);
  return rc;
}

ZQUIC_API int zquic_grpc_channel_call_async(zquic_grpc_channel *ch, const char *method,
                                            const void *request, size_t len,
                                            const zquic_grpc_call_options *opts,
                                            zquic_grpc_callback done, void *user) {
  if (!ch) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL channel");
  zquic_connection *conn = NULL;
  int rc = get_conn(ch, &conn);
  if (rc || !conn) return rc ? rc : ZQUIC_ERR_INTERNAL;
  rc = zquic_grpc_call_async(conn, method, request, len, opts, done, user);
  put_conn(conn);
  return rc;
}

ZQUIC_API int zquic_grpc_channel_stream_start(zquic_grpc_channel *ch, const char *method,
                                              const zquic_grpc_call_options *opts,
                                              zquic_grpc_stream **out) {
  if (out) *out = NULL;
  if (!ch) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL channel");
  zquic_connection *conn = NULL;
  int rc = get_conn(ch, &conn);
  if (rc || !conn) return rc ? rc : ZQUIC_ERR_INTERNAL;
  rc = zquic_grpc_stream_start(conn, method, opts, out);
  put_conn(conn);
  return rc;
}

ZQUIC_API unsigned zquic_grpc_channel_connects(const zquic_grpc_channel *ch) {
  return ch ? ch->connects : 0;
}

ZQUIC_API void zquic_grpc_channel_free(zquic_grpc_channel *ch) {
  if (!ch) return;
  if (ch->conn) zquic_close_connection(ch->conn);
  pthread_mutex_destroy(&ch->lock);
  free(ch->target);
  free(ch->sni);
  free(ch->ca_file);
  free(ch->ciphers);
  free(ch);
}
