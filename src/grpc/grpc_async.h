/*
 * grpc_async.h — asynchronous unary calls that the caller may cancel, for other modules of the
 * library (the ZNS bridge asks a GhostChain service and gives up when its DNS client does).
 * The public zquic_grpc_call_async has no handle, because a handle whose lifetime ends inside a
 * callback is easy to misuse; these internal twins return one with that rule written down.
 * Internal (zq_grpc_*); the types are the public opaque ones.
 */
#ifndef ZQ_GRPC_ASYNC_H
#define ZQ_GRPC_ASYNC_H

#include "zquic.h"

/* As zquic_grpc_call_async / zquic_grpc_channel_call_async; on ZQUIC_OK *out (may be NULL) is
 * the call, valid until `done` has run (on the loop thread). */
int zq_grpc_call_async_start(zquic_connection *conn, const char *method, const void *request,
                             size_t len, const zquic_grpc_call_options *opts,
                             zquic_grpc_callback done, void *user, zquic_grpc_stream **out);
int zq_grpc_channel_call_async_ex(zquic_grpc_channel *ch, const char *method, const void *request,
                                  size_t len, const zquic_grpc_call_options *opts,
                                  zquic_grpc_callback done, void *user, zquic_grpc_stream **out);
/* End a call handed out above and not yet done, with CANCELLED: its stream is reset (the server
 * sees the cancel) and `done` runs before this returns. Loop thread, lock held, and only from a
 * function queued with zq_ctx_post after the start (which is itself queued), never directly. */
void zq_grpc_call_cancel_now(zquic_grpc_stream *call);

#endif
