/*
 * client.c — the public client calls of GhostBridge: blocking and asynchronous unary calls, and
 * streaming calls through a handle. Each is a zq_grpc_call (call.c) that this file creates,
 * starts, waits for and releases; the loop thread does the rest.
 *
 * Waiting: a blocking caller sleeps on the context's condition variable until its call is done.
 * The deadline timer on the loop ends the call at its deadline, so the wait needs no timeout of
 * its own beyond a margin against a stuck loop.
 */
#include <stdlib.h>
#include <string.h>

#include "grpc_async.h"
#include "grpc_internal.h"

ZQUIC_API void zquic_grpc_call_options_init(zquic_grpc_call_options *opts) {
  if (!opts) return;
  memset(opts, 0, sizeof(*opts));
  opts->struct_size = sizeof(*opts);
  opts->timeout_ms = 30000;
  opts->max_receive_message = ZQ_GRPC_DEFAULT_MAX_MESSAGE;
}

static int read_options(const zquic_grpc_call_options *in, zquic_grpc_call_options *out) {
  zquic_grpc_call_options_init(out);
  if (!in) return ZQUIC_OK;
  if (in->struct_size == 0 || in->struct_size > sizeof(*out))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT,
                    "grpc call options: call zquic_grpc_call_options_init first");
  memcpy(out, in, in->struct_size);
  if (out->timeout_ms < 0) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "timeout_ms < 0");
  if (out->max_receive_message == 0) out->max_receive_message = ZQ_GRPC_DEFAULT_MAX_MESSAGE;
  return ZQUIC_OK;
}

/* "pkg.Svc/Method" or "/pkg.Svc/Method": a service and a method, each non-empty, printable. */
static char *method_path(const char *method) {
  if (!method) return NULL;
  size_t len = strlen(method);
  const char *p = method[0] == '/' ? method + 1 : method;
  const char *slash = strchr(p, '/');
  if (!slash || slash == p || !slash[1] || strchr(slash + 1, '/') || len > 1024) return NULL;
  for (const char *c = p; *c; c++)
    if (*c <= 0x20 || *c >= 0x7f) return NULL;
  char *path = malloc(strlen(p) + 2);
  if (path) {
    path[0] = '/';
    memcpy(path + 1, p, strlen(p) + 1);
  }
  return path;
}

int zq_grpc_call_new(zquic_connection *conn, const char *method, const zquic_grpc_call_options *opts,
                     zq_call_mode mode, zq_grpc_call **out) {
  *out = NULL;
  zquic_grpc_call_options o;
  int rc = read_options(opts, &o);
  if (rc) return rc;
  zq_grpc_call *call = calloc(1, sizeof(*call));
  if (!call) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  zq_list_init(&call->messages);
  zq_buf_init(&call->pending);
  zq_grpc_deframer_init(&call->deframer, o.max_receive_message);
  call->conn = conn;
  call->mode = mode;
  call->timeout_ms = o.timeout_ms;
  call->max_receive = o.max_receive_message;
  call->gzip_send = o.compress != 0;
  call->path = method_path(method);
  call->resp = zq_grpc_response_new();
  if (!call->path) {
    rc = zq_error(ZQUIC_ERR_INVALID_ARGUMENT,
                  "method must look like /package.Service/Method (got \"%.80s\")", method);
    goto err;
  }
  if (!call->resp || (o.authority && !(call->authority = strdup(o.authority)))) {
    rc = zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
    goto err;
  }
  if ((rc = zq_grpc_md_encode(o.metadata, o.n_metadata, &call->md_out)) != 0) goto err;
  conn->refs++;
  *out = call;
  return ZQUIC_OK;
err:
  zq_fields_clear(&call->md_out);
  zq_grpc_deframer_free(&call->deframer);
  if (call->resp) zquic_grpc_response_free(&call->resp->pub);
  free(call->path);
  free(call->authority);
  free(call);
  return rc;
}

static int check_conn(zquic_connection *conn) {
  return conn ? ZQUIC_OK : zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL connection");
}

/* Create, queue the request and start a unary call. Lock held. */
static int start_unary(zquic_connection *conn, const char *method, const void *request, size_t len,
                       const zquic_grpc_call_options *opts, zq_call_mode mode, zq_grpc_call **out) {
  zq_grpc_call *call = NULL;
  int rc = zq_grpc_call_new(conn, method, opts, mode, &call);
  if (rc || !call) return rc ? rc : ZQUIC_ERR_INTERNAL;
  rc = zq_grpc_call_queue_message(call, request, len);
  if (rc == 0) {
    call->half_closed = true;
    *out = call;
    rc = zq_grpc_call_start(call);
  }
  if (rc) {
    *out = NULL;
    call->refs = 1;
    zq_grpc_call_release(call);
  }
  return rc;
}

ZQUIC_API int zquic_grpc_call(zquic_connection *conn, const char *method, const void *request,
                              size_t len, const zquic_grpc_call_options *opts,
                              zquic_grpc_response **out) {
  if (out) *out = NULL;
  int rc = check_conn(conn);
  if (rc) return rc;
  if (!out || (!request && len)) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  zquic_context *ctx = conn->ctx;
  if (zq_on_loop_thread(ctx))
    return zq_error(ZQUIC_ERR_LOOP_THREAD, "zquic_grpc_call would block the loop thread: use "
                                           "zquic_grpc_call_async");
  bool taken = zq_ctx_enter(ctx);
  zq_grpc_call *call = NULL;
  rc = start_unary(conn, method, request, len, opts, ZQ_CALL_BLOCKING, &call);
  if (rc == 0) {
    /* The loop's timer ends the call at its deadline; this bound only guards against a loop
     * that stopped running (context destroyed under us). */
    int64_t bound_ms = call->timeout_ms > 0 ? (int64_t)call->timeout_ms + 5000 : -1;
    uint64_t deadline = bound_ms > 0 ? zq_now_ns() + (uint64_t)bound_ms * 1000000 : 0;
    while (!call->done) {
      if (!zq_ctx_wait(ctx, deadline)) {
        rc = zq_error(ZQUIC_ERR_TIMEOUT, "gRPC call did not end (event loop stalled)");
        break;
      }
    }
    if (rc == 0) {
      *out = &call->resp->pub;
      call->resp = NULL;
      zq_error_clear();
    }
    zq_grpc_call_release(call);
  }
  zq_ctx_leave(ctx, taken);
  return rc;
}

ZQUIC_API int zquic_grpc_call_async(zquic_connection *conn, const char *method,
                                    const void *request, size_t len,
                                    const zquic_grpc_call_options *opts, zquic_grpc_callback done,
                                    void *user) {
  return zq_grpc_call_async_start(conn, method, request, len, opts, done, user, NULL);
}

int zq_grpc_call_async_start(zquic_connection *conn, const char *method, const void *request,
                             size_t len, const zquic_grpc_call_options *opts,
                             zquic_grpc_callback done, void *user, zquic_grpc_stream **out) {
  if (out) *out = NULL;
  int rc = check_conn(conn);
  if (rc) return rc;
  if (!done || (!request && len)) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  zquic_context *ctx = conn->ctx;
  bool taken = zq_ctx_enter(ctx);
  zq_grpc_call *call = NULL;
  rc = zq_grpc_call_new(conn, method, opts, ZQ_CALL_ASYNC, &call);
  if (rc == 0 && call) {
    call->callback = done;
    call->callback_user = user;
    rc = zq_grpc_call_queue_message(call, request, len);
    call->half_closed = true;
    if (rc == 0) rc = zq_grpc_call_start(call);
    if (rc) {
      call->refs = 1;
      zq_grpc_call_release(call);
    } else if (out) {
      *out = call; /* the owner's reference lasts until `done` has run */
    }
  }
  if (rc == 0) zq_error_clear();
  zq_ctx_leave(ctx, taken);
  return rc;
}

void zq_grpc_call_cancel_now(zquic_grpc_stream *call) {
  zq_grpc_call_complete(call, ZQ_GRPC_CANCELLED, "cancelled by the client");
}

/* ---- streaming calls ------------------------------------------------------------------------ */

ZQUIC_API int zquic_grpc_stream_start(zquic_connection *conn, const char *method,
                                      const zquic_grpc_call_options *opts,
                                      zquic_grpc_stream **out) {
  if (out) *out = NULL;
  int rc = check_conn(conn);
  if (rc) return rc;
  if (!out) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  zquic_context *ctx = conn->ctx;
  bool taken = zq_ctx_enter(ctx);
  zq_grpc_call *call = NULL;
  rc = zq_grpc_call_new(conn, method, opts, ZQ_CALL_STREAM, &call);
  if (rc == 0 && !call) rc = ZQUIC_ERR_INTERNAL;
  if (rc == 0 && (rc = zq_grpc_call_start(call)) != 0) {
    call->refs = 1;
    zq_grpc_call_release(call);
    call = NULL;
  }
  if (rc == 0) {
    *out = call;
    zq_error_clear();
  }
  zq_ctx_leave(ctx, taken);
  return rc;
}

ZQUIC_API int zquic_grpc_stream_send(zquic_grpc_stream *call, const void *msg, size_t len,
                                     int timeout_ms) {
  if (!call || (!msg && len)) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  zquic_context *ctx = call->conn->ctx;
  bool on_loop = zq_on_loop_thread(ctx);
  bool taken = zq_ctx_enter(ctx);
  uint64_t deadline = zq_deadline_from_timeout(timeout_ms);
  int rc = ZQUIC_OK;
  for (;;) {
    if (call->done) {
      rc = zq_error(ZQUIC_ERR_CLOSED, "the call has ended: %s %s",
                    zq_grpc_status_name(call->resp->pub.status), call->resp->pub.error);
      break;
    }
    if (call->half_closed) {
      rc = zq_error(ZQUIC_ERR_STATE, "the request side is already closed");
      break;
    }
    if (zq_grpc_call_unsent(call) < ZQ_GRPC_SEND_WINDOW) {
      rc = zq_grpc_call_queue_message(call, msg, len);
      break;
    }
    if (on_loop || timeout_ms == 0) {
      rc = zq_error(ZQUIC_ERR_WOULD_BLOCK, "send window full");
      break;
    }
    if (!zq_ctx_wait(ctx, deadline)) {
      rc = zq_error(ZQUIC_ERR_TIMEOUT, "send window still full after %d ms", timeout_ms);
      break;
    }
  }
  if (rc == 0) zq_error_clear();
  zq_ctx_leave(ctx, taken);
  return rc;
}

ZQUIC_API int zquic_grpc_stream_close_send(zquic_grpc_stream *call) {
  if (!call) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL call");
  zquic_context *ctx = call->conn->ctx;
  bool taken = zq_ctx_enter(ctx);
  if (!call->done && !call->half_closed) zq_grpc_call_half_close(call);
  zq_ctx_leave(ctx, taken);
  return ZQUIC_OK;
}

ZQUIC_API int zquic_grpc_stream_recv(zquic_grpc_stream *call, int timeout_ms, const uint8_t **msg,
                                     size_t *len) {
  if (!call || !msg || !len) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  zquic_context *ctx = call->conn->ctx;
  bool on_loop = zq_on_loop_thread(ctx);
  bool taken = zq_ctx_enter(ctx);
  uint64_t deadline = zq_deadline_from_timeout(timeout_ms);
  free(call->current);
  call->current = NULL;
  int rc;
  for (;;) {
    zq_list_node *n = zq_list_pop_front(&call->messages);
    if (n) {
      zq_grpc_msg *m = zq_container_of(n, zq_grpc_msg, node);
      call->current = m;
      call->queued_bytes -= m->len;
      if (call->owed_credit && call->queued_bytes < ZQ_GRPC_RECV_WINDOW && call->st) {
        zq_h3_credit(call->st, call->owed_credit);
        call->owed_credit = 0;
      }
      *msg = m->data;
      *len = m->len;
      rc = 1;
      break;
    }
    if (call->done) {
      rc = 0;
      break;
    }
    if (on_loop || timeout_ms == 0) {
      rc = zq_error(ZQUIC_ERR_WOULD_BLOCK, "no message yet");
      break;
    }
    if (!zq_ctx_wait(ctx, deadline)) {
      rc = zq_error(ZQUIC_ERR_TIMEOUT, "no message within %d ms", timeout_ms);
      break;
    }
  }
  if (rc >= 0) zq_error_clear();
  zq_ctx_leave(ctx, taken);
  return rc;
}

ZQUIC_API const zquic_grpc_response *zquic_grpc_stream_status(const zquic_grpc_stream *call) {
  if (!call) return NULL;
  zquic_context *ctx = call->conn->ctx;
  bool taken = zq_ctx_enter(ctx);
  const zquic_grpc_response *r = call->done ? &call->resp->pub : NULL;
  zq_ctx_leave(ctx, taken);
  return r;
}

static int cancel_on_loop(void *arg) {
  zq_grpc_call_complete(arg, ZQ_GRPC_CANCELLED, "cancelled by the client");
  return 0;
}

ZQUIC_API int zquic_grpc_stream_cancel(zquic_grpc_stream *call) {
  if (!call) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL call");
  zquic_context *ctx = call->conn->ctx;
  bool taken = zq_ctx_enter(ctx);
  if (!call->done) zq_ctx_call(ctx, cancel_on_loop, call);
  zq_ctx_leave(ctx, taken);
  return ZQUIC_OK;
}

ZQUIC_API void zquic_grpc_stream_free(zquic_grpc_stream *call) {
  if (!call) return;
  zquic_context *ctx = call->conn->ctx;
  bool taken = zq_ctx_enter(ctx);
  if (!call->done) zq_ctx_call(ctx, cancel_on_loop, call);
  zq_grpc_call_release(call);
  zq_ctx_leave(ctx, taken);
}
