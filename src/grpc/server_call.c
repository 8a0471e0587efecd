/*
 * server_call.c — answering a gRPC call: reply messages, initial and trailing metadata and the
 * status, from any thread, now or later.
 *
 * The response header section goes out with the first message (or with send_metadata); a call
 * finished before anything was sent is answered in the Trailers-Only form, one HEADERS frame
 * carrying grpc-status. A call the library ended first (deadline, cancel, bad request) stays
 * valid for the application until it finishes it, which then reports ZQUIC_ERR_CANCELLED.
 */
#include <stdlib.h>
#include <string.h>

#include "grpc_internal.h"

static void call_free(zquic_grpc_server_call *call) {
  zq_grpc_md_clear(&call->md_in);
  zq_grpc_deframer_free(&call->deframer);
  zq_fields_clear(&call->md_headers);
  free(call->request);
  free(call->path);
  free(call);
}

static void on_timer_closed(uv_handle_t *h) { call_free(h->data); }

static int free_on_loop(void *arg) {
  zquic_grpc_server_call *call = arg;
  uv_close((uv_handle_t *)&call->timer, on_timer_closed);
  return 0;
}

void zq_grpc_server_call_unref(zquic_grpc_server_call *call) {
  if (--call->refs > 0) return;
  if (!call->timer_inited) {
    call_free(call);
  } else if (zq_on_loop_thread(call->ctx)) {
    free_on_loop(call);
  } else {
    /* The timer handle must be closed by the loop; nobody needs to wait for that. */
    call->post = (zq_loop_call){.fn = free_on_loop, .arg = call};
    zq_ctx_post(call->ctx, &call->post);
  }
}

static int send_headers(zquic_grpc_server_call *call) {
  if (call->headers_sent) return ZQUIC_OK;
  zquic_h3_header h[3 + ZQ_GRPC_MAX_METADATA];
  size_t n = 0;
  h[n++] = (zquic_h3_header){"content-type", "application/grpc"};
  h[n++] = (zquic_h3_header){"grpc-accept-encoding", zq_grpc_accept_encoding};
  if (call->gzip_out) h[n++] = (zquic_h3_header){"grpc-encoding", "gzip"};
  for (size_t i = 0; i < call->md_headers.count; i++)
    h[n++] = (zquic_h3_header){call->md_headers.names[i], call->md_headers.values[i]};
  int rc = zq_h3_respond_open(call->st, 200, h, n);
  if (rc == 0) call->headers_sent = true;
  return rc;
}

int zq_grpc_server_call_send_status(zquic_grpc_server_call *call, int status, const char *message,
                                    const zquic_grpc_metadata *md, size_t n) {
  zq_h3_stream *st = call->st;
  call->finished = true;
  if (!st) return ZQUIC_ERR_CLOSED;
  char status_text[8];
  snprintf(status_text, sizeof(status_text), "%d", status);
  char *encoded = NULL;
  if (message && message[0]) {
    size_t need = zq_grpc_percent_encode((const uint8_t *)message, strlen(message), NULL, 0);
    if ((encoded = malloc(need)) != NULL)
      zq_grpc_percent_encode((const uint8_t *)message, strlen(message), encoded, need);
  }
  zq_fields trailers;
  memset(&trailers, 0, sizeof(trailers));
  int rc = zq_grpc_md_encode(md, n, &trailers);
  if (rc == 0 && !call->headers_sent) {
    /* Trailers-Only: everything in one header section that ends the stream. */
    zquic_h3_header h[4 + 2 * ZQ_GRPC_MAX_METADATA];
    size_t k = 0;
    h[k++] = (zquic_h3_header){"content-type", "application/grpc"};
    h[k++] = (zquic_h3_header){"grpc-status", status_text};
    if (encoded) h[k++] = (zquic_h3_header){"grpc-message", encoded};
    for (size_t i = 0; i < call->md_headers.count; i++)
      h[k++] = (zquic_h3_header){call->md_headers.names[i], call->md_headers.values[i]};
    for (size_t i = 0; i < trailers.count; i++)
      h[k++] = (zquic_h3_header){trailers.names[i], trailers.values[i]};
    rc = zq_h3_respond_headers_only(st, 200, h, k);
    call->headers_sent = true;
  } else if (rc == 0) {
    rc = zq_fields_add(&st->trailers_out, (const uint8_t *)"grpc-status", 11,
                       (const uint8_t *)status_text, strlen(status_text));
    if (rc == 0 && encoded)
      rc = zq_fields_add(&st->trailers_out, (const uint8_t *)"grpc-message", 12,
                         (const uint8_t *)encoded, strlen(encoded));
    for (size_t i = 0; rc == 0 && i < trailers.count; i++)
      rc = zq_fields_add(&st->trailers_out, (const uint8_t *)trailers.names[i],
                         strlen(trailers.names[i]), (const uint8_t *)trailers.values[i],
                         strlen(trailers.values[i]));
    st->tx_eof = true;
    zq_h3_stream_resume(st);
  }
  zq_fields_clear(&trailers);
  free(encoded);
  if (rc && st->conn->qc) { /* cannot say it properly: at least end the stream */
    ngtcp2_conn_shutdown_stream(st->conn->qc, 0, st->id, NGHTTP3_H3_INTERNAL_ERROR);
    zq_conn_schedule(st->conn);
  }
  return rc;
}

void zq_grpc_server_call_abort(zquic_grpc_server_call *call, int status, const char *message) {
  if (call->finished) return;
  zq_grpc_server_call_send_status(call, status, message, NULL, 0);
  call->cancelled = true;
  zq_ctx_notify(call->ctx); /* a handler may be blocked in zquic_grpc_server_call_send */
  if (call->app_holds && call->method.on_cancel) call->method.on_cancel(call, call->method.user);
}

/* ---- public --------------------------------------------------------------------------------- */

ZQUIC_API const char *zquic_grpc_server_call_method(const zquic_grpc_server_call *call) {
  return call ? call->path : NULL;
}

ZQUIC_API const char *zquic_grpc_server_call_peer(zquic_grpc_server_call *call) {
  if (!call) return NULL;
  bool taken = zq_ctx_enter(call->ctx);
  if (call->st) snprintf(call->peer, sizeof(call->peer), "%s", zq_conn_peer(call->st->conn));
  zq_ctx_leave(call->ctx, taken);
  return call->peer;
}

ZQUIC_API int zquic_grpc_server_call_metadata(const zquic_grpc_server_call *call, const char *key,
                                              const uint8_t **value, size_t *value_len) {
  if (!call || !key) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  return zq_grpc_md_get(&call->md_in, key, value, value_len);
}

ZQUIC_API int64_t zquic_grpc_server_call_time_left_ms(const zquic_grpc_server_call *call) {
  if (!call || !call->deadline_ns) return -1;
  uint64_t now = zq_now_ns();
  return call->deadline_ns > now ? (int64_t)((call->deadline_ns - now) / 1000000) : 0;
}

ZQUIC_API int zquic_grpc_server_call_cancelled(const zquic_grpc_server_call *call) {
  return call && call->cancelled ? 1 : 0;
}

ZQUIC_API void zquic_grpc_server_call_set_user(zquic_grpc_server_call *call, void *user) {
  if (call) call->user = user;
}

ZQUIC_API void *zquic_grpc_server_call_get_user(const zquic_grpc_server_call *call) {
  return call ? call->user : NULL;
}

ZQUIC_API int zquic_grpc_server_call_send_metadata(zquic_grpc_server_call *call,
                                                   const zquic_grpc_metadata *md, size_t n) {
  if (!call) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL call");
  bool taken = zq_ctx_enter(call->ctx);
  int rc = ZQUIC_OK;
  if (call->finished || !call->st) rc = zq_error(ZQUIC_ERR_CANCELLED, "the call has ended");
  else if (call->headers_sent) rc = zq_error(ZQUIC_ERR_STATE, "response headers already sent");
  else if ((rc = zq_grpc_md_encode(md, n, &call->md_headers)) == 0) rc = send_headers(call);
  zq_ctx_leave(call->ctx, taken);
  return rc;
}

ZQUIC_API int zquic_grpc_server_call_send(zquic_grpc_server_call *call, const void *msg,
                                          size_t len, int timeout_ms) {
  if (!call || (!msg && len)) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  bool on_loop = zq_on_loop_thread(call->ctx);
  bool taken = zq_ctx_enter(call->ctx);
  uint64_t deadline = zq_deadline_from_timeout(timeout_ms);
  int rc;
  for (;;) {
    if (call->finished || !call->st) {
      rc = zq_error(ZQUIC_ERR_CANCELLED, "the call has ended");
      break;
    }
    if ((rc = send_headers(call)) != 0) break;
    zq_h3_stream *st = call->st;
    if (st->tx.len - st->tx_given < ZQ_GRPC_SEND_WINDOW) {
      rc = zq_grpc_frame_append(&st->tx, msg, len, call->gzip_out);
      zq_h3_stream_resume(st);
      break;
    }
    if (on_loop || timeout_ms == 0) {
      rc = zq_error(ZQUIC_ERR_WOULD_BLOCK, "send window full");
      break;
    }
    if (!zq_ctx_wait(call->ctx, deadline)) {
      rc = zq_error(ZQUIC_ERR_TIMEOUT, "send window still full after %d ms", timeout_ms);
      break;
    }
  }
  if (rc == 0) zq_error_clear();
  zq_ctx_leave(call->ctx, taken);
  return rc;
}

ZQUIC_API int zquic_grpc_server_call_finish(zquic_grpc_server_call *call, int status,
                                            const char *message,
                                            const zquic_grpc_metadata *trailers, size_t n) {
  if (!call) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL call");
  if (status < 0 || status > 99) status = ZQ_GRPC_UNKNOWN;
  zquic_context *ctx = call->ctx; /* the call may be gone before the lock is let go */
  bool taken = zq_ctx_enter(ctx);
  int rc = ZQUIC_OK;
  if (!call->app_holds) {
    rc = zq_error(ZQUIC_ERR_STATE, "call already finished");
  } else {
    if (call->finished || !call->st) rc = zq_error(ZQUIC_ERR_CANCELLED, "the call had ended");
    else rc = zq_grpc_server_call_send_status(call, status, message, trailers, n);
    call->app_holds = false;
    zq_grpc_server_call_unref(call); /* the application's: the handle is invalid from here */
  }
  zq_ctx_leave(ctx, taken);
  return rc;
}

ZQUIC_API int zquic_grpc_server_call_reply(zquic_grpc_server_call *call, const void *msg,
                                           size_t len) {
  if (!call || (!msg && len)) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  int rc = zquic_grpc_server_call_send(call, msg, len, 0); /* a first message always fits */
  int frc = zquic_grpc_server_call_finish(call, rc == 0 ? ZQ_GRPC_OK : ZQ_GRPC_INTERNAL,
                                          rc == 0 ? NULL : "reply could not be sent", NULL, 0);
  return rc ? rc : frc;
}
