/*
 * call.c — a client gRPC call on the loop thread: opening its HTTP/3 stream (or waiting in line
 * for one when the server's stream limit is reached), sending the request header section, reading
 * the answer through zq_h3_hooks, and ending with exactly one status.
 *
 * The status comes from the first of: the server's grpc-status (trailers, or the header section of
 * a Trailers-Only answer), a broken answer (framing, size, encoding: the stream is then cancelled),
 * the deadline timer, a cancel, a stream reset or the connection's end. Whatever came first wins;
 * later events find `done` set and change nothing.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "grpc_internal.h"

static void call_free(zq_grpc_call *call) {
  zq_list_node *n, *tmp;
  zq_list_for_each_safe(n, tmp, &call->messages) free(zq_container_of(n, zq_grpc_msg, node));
  free(call->current);
  zq_grpc_deframer_free(&call->deframer);
  zq_fields_clear(&call->md_out);
  zq_buf_clear(&call->pending);
  if (call->resp) zquic_grpc_response_free(&call->resp->pub);
  free(call->path);
  free(call->authority);
  zq_conn_release(call->conn);
  free(call);
}

static void on_timer_closed(uv_handle_t *h) { call_free(h->data); }

static int unref_on_loop(void *arg) {
  zq_grpc_call *call = arg;
  if (--call->refs > 0) return 0;
  if (call->timer_inited) uv_close((uv_handle_t *)&call->timer, on_timer_closed);
  else call_free(call);
  return 0;
}

void zq_grpc_call_release(zq_grpc_call *call) {
  /* A timer handle can only be closed on the loop thread; without one any thread may free. */
  if (call->refs > 1 || !call->timer_inited) unref_on_loop(call);
  else zq_ctx_call(call->conn->ctx, unref_on_loop, call);
}

/* Let go of the HTTP/3 stream: a finished one closes by itself, an unfinished one is cancelled. */
static void detach_stream(zq_grpc_call *call) {
  zq_h3_stream *st = call->st;
  if (!st) return;
  call->st = NULL;
  st->hooks = NULL;
  st->user_held = false;
  if (call->owed_credit) zq_h3_credit(st, call->owed_credit); /* the connection's share too */
  call->owed_credit = 0;
  if (st->closed) {
    zq_h3_stream_free(st);
    return;
  }
  if ((!st->fin_received || !st->tx_eof) && st->conn->qc) {
    ngtcp2_conn_shutdown_stream(st->conn->qc, 0, st->id, NGHTTP3_H3_REQUEST_CANCELLED);
    zq_conn_schedule(st->conn);
  }
}

void zq_grpc_call_complete(zq_grpc_call *call, int status, const char *fmt, ...) {
  if (call->done) return;
  call->done = true;
  call->resp->pub.status = status;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(call->resp->pub.error, sizeof(call->resp->pub.error), fmt, ap);
  va_end(ap);
  if (call->timer_inited) uv_timer_stop(&call->timer);
  if (call->waiting) zq_h3_cancel_wait(call->conn, &call->waiter);
  call->waiting = false;
  detach_stream(call);
  zq_ctx_notify(call->conn->ctx);
  if (call->mode == ZQ_CALL_ASYNC) {
    zq_grpc_response *resp = call->resp;
    call->resp = NULL;
    call->callback(&resp->pub, call->callback_user);
    call->refs--; /* the owner's: the callback has run (the loop's, below, is still held) */
  }
  unref_on_loop(call); /* the loop's */
}

/* ---- the answer ----------------------------------------------------------------------------- */

static int on_message(void *user, const uint8_t *msg, size_t len, bool compressed) {
  zq_grpc_call *call = user;
  uint8_t *plain = NULL;
  if (compressed) {
    if (!call->gzip_recv) return ZQ_GRPC_INTERNAL; /* flag set without grpc-encoding */
    size_t plain_len;
    int status = zq_grpc_gunzip(msg, len, call->max_receive, &plain, &plain_len);
    if (status || !plain) return status ? status : ZQ_GRPC_INTERNAL;
    msg = plain;
    len = plain_len;
  }
  call->n_messages++;
  int status = ZQ_GRPC_OK;
  if (call->mode != ZQ_CALL_STREAM) {
    /* A second message is a broken unary answer (hook_data says why), like a failed copy. */
    uint8_t *copy = call->n_messages > 1 ? NULL : plain ? plain : malloc(len ? len : 1);
    if (!copy) {
      status = ZQ_GRPC_INTERNAL;
    } else {
      if (copy != plain && len) memcpy(copy, msg, len);
      plain = NULL;
      call->resp->pub.data = copy;
      call->resp->pub.len = len;
    }
  } else {
    zq_grpc_msg *m = malloc(sizeof(*m) + len);
    if (!m) {
      status = ZQ_GRPC_INTERNAL;
    } else {
      m->len = len;
      m->wire_len = 0;
      memcpy(m->data, msg, len);
      zq_list_push_back(&call->messages, &m->node);
      call->queued_bytes += len;
      zq_ctx_notify(call->conn->ctx); /* a reader may wait in zquic_grpc_stream_recv */
    }
  }
  free(plain);
  return status;
}

static const char *const not_metadata[] = {"content-type", "grpc-encoding", "grpc-accept-encoding",
                                           "grpc-status", "grpc-message", "content-length",
                                           "server", "date", NULL};

static void hook_headers(zq_h3_stream *st, void *user) {
  zq_grpc_call *call = user;
  call->resp->pub.http_status = st->status;
  call->not_grpc = st->status != 200 ||
                   !zq_grpc_content_type_ok(zq_fields_get(&st->headers, "content-type"));
  zq_grpc_md_add_fields(&call->resp->md, &st->headers, not_metadata);
  const char *enc = zq_fields_get(&st->headers, "grpc-encoding");
  if (enc && !strcmp(enc, "gzip")) call->gzip_recv = true;
  else if (enc && strcmp(enc, "identity") != 0)
    zq_grpc_call_complete(call, ZQ_GRPC_INTERNAL, "server used unsupported grpc-encoding \"%.64s\"",
                          enc);
}

static bool hook_data(zq_h3_stream *st, const uint8_t *data, size_t len, void *user) {
  (void)st;
  zq_grpc_call *call = user;
  if (call->done || call->not_grpc) return true; /* hook_end maps the HTTP status */
  size_t before = call->queued_bytes;
  int status = zq_grpc_deframer_feed(&call->deframer, data, len, on_message, call);
  /* complete() may free the call: nothing of it is touched after. */
  if (status == ZQ_GRPC_RESOURCE_EXHAUSTED) {
    zq_grpc_call_complete(call, status, "received message larger than the limit (%u bytes)",
                          call->max_receive);
    return true;
  }
  if (status) {
    bool cardinality = call->mode != ZQ_CALL_STREAM && call->n_messages > 1;
    zq_grpc_call_complete(call, status, "%s",
                          cardinality ? "more than one response message on a unary call"
                                      : "malformed or undecodable response message");
    return true;
  }
  if (call->mode != ZQ_CALL_STREAM || before < ZQ_GRPC_RECV_WINDOW) return true;
  call->owed_credit += len; /* the reader is behind: credit flows again as it catches up */
  return false;
}

static int parse_status(const char *text) {
  if (!text || !text[0] || strlen(text) > 3) return -1;
  int v = 0;
  for (const char *p = text; *p; p++) {
    if (*p < '0' || *p > '9') return -1;
    v = v * 10 + (*p - '0');
  }
  return v;
}

static void hook_end(zq_h3_stream *st, void *user) {
  zq_grpc_call *call = user;
  if (call->done) return;
  /* Trailers-Only: grpc-status arrives in the header section and there are no trailers. */
  const zq_fields *src = st->trailers.count ? &st->trailers : &st->headers;
  const char *status_text = zq_fields_get(src, "grpc-status");
  const char *message = zq_fields_get(src, "grpc-message");
  if (st->trailers.count) zq_grpc_md_add_fields(&call->resp->md, &st->trailers, not_metadata);
  int status = parse_status(status_text);
  if (!status_text) {
    if (st->status != 200)
      zq_grpc_call_complete(call, zq_grpc_status_from_http(st->status),
                            "HTTP status %d from a non-gRPC answer", st->status);
    else if (!zq_grpc_content_type_ok(zq_fields_get(&st->headers, "content-type")))
      zq_grpc_call_complete(call, ZQ_GRPC_UNKNOWN, "answer is not gRPC (content-type %.64s)",
                            zq_fields_get(&st->headers, "content-type") ?: "missing");
    else
      zq_grpc_call_complete(call, ZQ_GRPC_INTERNAL, "answer ended without grpc-status");
    return;
  }
  if (zq_grpc_deframer_finish(&call->deframer) != ZQ_GRPC_OK) {
    zq_grpc_call_complete(call, ZQ_GRPC_INTERNAL, "response body ended inside a message");
    return;
  }
  if (status < 0) status = ZQ_GRPC_UNKNOWN;
  if (status == ZQ_GRPC_OK && call->mode != ZQ_CALL_STREAM && call->n_messages == 0) {
    zq_grpc_call_complete(call, ZQ_GRPC_UNIMPLEMENTED, "unary call answered without a message");
    return;
  }
  char *decoded = message ? malloc(strlen(message) + 1) : NULL;
  if (decoded) zq_grpc_percent_decode(message, decoded);
  zq_grpc_call_complete(call, status, "%s", decoded ? decoded : "");
  free(decoded);
}

/* gRFC G2 takes HTTP/2's RST_STREAM mapping; these are the HTTP/3 codes that mean the same. */
static int status_from_reset(uint64_t code) {
  switch (code) {
  case NGHTTP3_H3_REQUEST_CANCELLED: return ZQ_GRPC_CANCELLED;
  case NGHTTP3_H3_REQUEST_REJECTED: return ZQ_GRPC_UNAVAILABLE;
  case NGHTTP3_H3_EXCESSIVE_LOAD: return ZQ_GRPC_RESOURCE_EXHAUSTED;
  default: return ZQ_GRPC_INTERNAL;
  }
}

static void hook_close(zq_h3_stream *st, void *user) {
  zq_grpc_call *call = user;
  if (call->done) { /* cannot happen: complete() unhooks the stream; kept for safety */
    detach_stream(call);
    return;
  }
  {
    if (st->early_rejected)
      zq_grpc_call_complete(call, ZQ_GRPC_UNAVAILABLE, "the server refused 0-RTT: call again");
    else if (st->reset)
      zq_grpc_call_complete(call, status_from_reset(st->reset_code),
                            "stream reset by the server (HTTP/3 error 0x%llx)",
                            (unsigned long long)st->reset_code);
    else if (zq_conn_check_open(call->conn) != 0)
      zq_grpc_call_complete(call, ZQ_GRPC_UNAVAILABLE, "connection lost: %s", zquic_last_error());
    else
      zq_grpc_call_complete(call, ZQ_GRPC_INTERNAL, "stream closed without a status");
  }
}

static const zq_h3_hooks hooks = {hook_headers, hook_data, hook_end, hook_close, NULL};

/* ---- starting ------------------------------------------------------------------------------- */

static int submit(void *user, int64_t id) {
  zq_grpc_call *call = user;
  zquic_h3_header h[8 + ZQ_GRPC_MAX_METADATA];
  size_t n = 0;
  char timeout[24];
  h[n++] = (zquic_h3_header){"content-type", "application/grpc"};
  h[n++] = (zquic_h3_header){"te", "trailers"};
  h[n++] = (zquic_h3_header){"grpc-accept-encoding", zq_grpc_accept_encoding};
  if (call->gzip_send) h[n++] = (zquic_h3_header){"grpc-encoding", "gzip"};
  if (call->deadline_ns) {
    uint64_t now = zq_now_ns();
    uint64_t left_ms = call->deadline_ns > now ? (call->deadline_ns - now + 999999) / 1000000 : 1;
    zq_grpc_timeout_format(left_ms, timeout, sizeof(timeout));
    h[n++] = (zquic_h3_header){"grpc-timeout", timeout};
  }
  for (size_t i = 0; i < call->md_out.count; i++)
    h[n++] = (zquic_h3_header){call->md_out.names[i], call->md_out.values[i]};
  return zq_h3_submit_request(call->conn, id, "POST", call->path,
                              call->authority ? call->authority : call->conn->sni, h, n, 0,
                              call->st);
}

/* Open the stream now: ZQUIC_OK, ZQUIC_ERR_LIMIT (wait in line) or another error. */
static int try_open(zq_grpc_call *call) {
  return zq_h3_open_hooked(call->conn, &hooks, call, &call->pending, call->half_closed, &call->st,
                           submit);
}

static bool on_stream_free(zq_stream_waiter *w, bool closed) {
  zq_grpc_call *call = zq_container_of(w, zq_grpc_call, waiter);
  call->waiting = false;
  if (closed) {
    zq_grpc_call_complete(call, ZQ_GRPC_UNAVAILABLE, "connection closed before the call started");
    return true;
  }
  int rc = try_open(call);
  if (rc == ZQUIC_ERR_LIMIT) {
    call->waiting = true;
    return false;
  }
  if (rc) zq_grpc_call_complete(call, ZQ_GRPC_UNAVAILABLE, "cannot start the call: %s",
                                zquic_last_error());
  return true;
}

static void on_deadline(uv_timer_t *t) {
  zq_grpc_call *call = t->data;
  zquic_context *ctx = call->conn->ctx;
  pthread_mutex_lock(&ctx->lock);
  zq_grpc_call_complete(call, ZQ_GRPC_DEADLINE_EXCEEDED, "deadline of %d ms exceeded",
                        call->timeout_ms);
  zq_ctx_flush_dirty(ctx);
  zq_ctx_unlock(ctx);
}

static int start_on_loop(void *arg) {
  zq_grpc_call *call = arg;
  zquic_connection *conn = call->conn;
  if (call->done) return 0; /* cancelled before it started */
  if (call->timeout_ms > 0) {
    uv_timer_init(&conn->ctx->loop, &call->timer);
    call->timer.data = call;
    call->timer_inited = true;
    uint64_t now = zq_now_ns();
    uint64_t left = call->deadline_ns > now ? (call->deadline_ns - now) / 1000000 : 0;
    uv_timer_start(&call->timer, on_deadline, left, 0);
  }
  /* An async connect still resolving has no transport yet, but is not closed. */
  int rc = conn->state == ZQ_CONN_RESOLVING && !conn->close_requested ? 0
                                                                       : zq_conn_check_open(conn);
  if (rc) {
    zq_grpc_call_complete(call, ZQ_GRPC_UNAVAILABLE, "connection unusable: %s", zquic_last_error());
    return 0;
  }
  /* Before the handshake ends there is no HTTP/3 session yet: try_open says to wait in line
   * as if the stream limit were reached, and the handshake's end wakes the line. */
  rc = try_open(call);
  if (rc == ZQUIC_ERR_LIMIT) {
    call->waiter.ready = on_stream_free;
    call->waiting = true;
    zq_h3_wait_streams(conn, &call->waiter);
  } else if (rc) {
    zq_grpc_call_complete(call, ZQ_GRPC_UNAVAILABLE, "cannot start the call: %s",
                          zquic_last_error());
  }
  return 0;
}

int zq_grpc_call_start(zq_grpc_call *call) {
  zquic_context *ctx = call->conn->ctx;
  call->refs = 2; /* the owner's and the loop's */
  if (call->timeout_ms > 0) call->deadline_ns = zq_now_ns() + (uint64_t)call->timeout_ms * 1000000;
  /* An async call is always queued, so its callback never runs inside the starting call. */
  if (call->mode != ZQ_CALL_ASYNC && zq_on_loop_thread(ctx)) return start_on_loop(call);
  call->post = (zq_loop_call){.fn = start_on_loop, .arg = call};
  int rc = zq_ctx_post(ctx, &call->post);
  if (rc) call->refs = 1;
  return rc;
}

int zq_grpc_call_queue_message(zq_grpc_call *call, const uint8_t *msg, size_t len) {
  zq_buf *out = call->st ? &call->st->tx : &call->pending;
  int rc = zq_grpc_frame_append(out, msg, len, call->gzip_send);
  if (rc == 0 && call->st) zq_h3_stream_resume(call->st);
  return rc;
}

size_t zq_grpc_call_unsent(const zq_grpc_call *call) {
  return call->st ? call->st->tx.len - call->st->tx_given : call->pending.len;
}

void zq_grpc_call_half_close(zq_grpc_call *call) {
  call->half_closed = true;
  if (call->st) {
    call->st->tx_eof = true;
    zq_h3_stream_resume(call->st);
  }
}
