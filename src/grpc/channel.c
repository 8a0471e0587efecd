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

#include "../core/keeper.h"
#include "grpc_async.h"
#include "grpc_internal.h"

struct zquic_grpc_channel {
  zq_keeper keeper;
};

ZQUIC_API int zquic_grpc_channel_create(zquic_context *ctx, const char *target,
                                        const zquic_connect_options *opts,
                                        zquic_grpc_channel **out) {
  if (out) *out = NULL;
  if (!ctx || !target || !out) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  zquic_grpc_channel *ch = calloc(1, sizeof(*ch));
  if (!ch) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  /* Connect without blocking: calls wait for the handshake in the stream line. */
  int rc = zq_keeper_init(&ch->keeper, ctx, target, opts, "h3", true, false);
  if (rc) {
    free(ch);
    return rc;
  }
  *out = ch;
  return ZQUIC_OK;
}

static int get_conn(zquic_grpc_channel *ch, zquic_connection **out) {
  return zq_keeper_get(&ch->keeper, out, NULL);
}

static void put_conn(zquic_connection *conn) { zq_keeper_put(conn); }

ZQUIC_API int zquic_grpc_channel_call(zquic_grpc_channel *ch, const char *method,
                                      const void *request, size_t len,
                                      const zquic_grpc_call_options *opts,
                                      zquic_grpc_response **out) {
  if (out) *out = NULL;
  if (!ch) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL channel");
  if (zq_on_loop_thread(ch->keeper.ctx))
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
  return zq_grpc_channel_call_async_ex(ch, method, request, len, opts, done, user, NULL);
}

int zq_grpc_channel_call_async_ex(zquic_grpc_channel *ch, const char *method, const void *request,
                                  size_t len, const zquic_grpc_call_options *opts,
                                  zquic_grpc_callback done, void *user, zquic_grpc_stream **out) {
  if (out) *out = NULL;
  if (!ch) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL channel");
  zquic_connection *conn = NULL;
  int rc = get_conn(ch, &conn);
  if (rc || !conn) return rc ? rc : ZQUIC_ERR_INTERNAL;
  rc = zq_grpc_call_async_start(conn, method, request, len, opts, done, user, out);
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
  return ch ? ch->keeper.connects : 0;
}

ZQUIC_API void zquic_grpc_channel_free(zquic_grpc_channel *ch) {
  if (!ch) return;
  zq_keeper_clear(&ch->keeper);
  free(ch);
}
