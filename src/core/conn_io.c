/*
 * conn_io.c — moving a connection's packets: reading datagrams into ngtcp2, the write loop that
 * turns stream data into packets, the timer, and the end of a connection.
 *
 * The timer is the context's timerfd (timers.h) rather than a uv_timer: ngtcp2 schedules loss
 * detection and pacing in nanoseconds, and libuv timers only count milliseconds (a paced sender
 * woken a millisecond late loses most of its rate). ngtcp2 timestamps and the timerfd both use
 * CLOCK_MONOTONIC, so an expiry is armed as an absolute time with no conversion.
 *
 * Every connection ends in conn_teardown(), on the loop thread: ngtcp2 and TLS state are freed at
 * once, the libuv handles close asynchronously, and the memory goes when the last reference (the
 * user's handle, a held stream, or the transport's) is released.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "internal.h"
#include "tls.h"

int zq_conn_io_start(zquic_connection *conn) {
  zquic_context *ctx = conn->ctx;
  int rc = zq_timers_start(&ctx->timers, &ctx->loop);
  if (rc) return zq_error(rc, "cannot create the context's timerfd: %s", strerror(errno));
  if (zq_timers_join(&ctx->timers, &conn->timer) != 0)
    return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  conn->io_started = true;
  if (!conn->is_server) {
    rc = zq_endpoint_start(conn->ep);
    if (rc) return rc;
  }
  return ZQUIC_OK;
}

/* Arming after every flush is a comparison: the expiry only moves earlier in the heap, and the
 * timerfd is set only when this connection becomes the context's earliest (timers.h). */
static void arm_timer(zquic_connection *conn) {
  if (!conn->qc || !conn->io_started) return;
  ngtcp2_tstamp expiry = ngtcp2_conn_get_expiry(conn->qc);
  if (expiry == UINT64_MAX) return; /* nothing to wake for; a pending wake-up is harmless */
  if (expiry == 0) expiry = 1;      /* an all-zero value would disarm the timerfd */
  zq_timers_arm(&conn->ctx->timers, &conn->timer, expiry);
}

void zq_conn_schedule(zquic_connection *conn) {
  if (conn->in_dirty || !conn->qc) return;
  conn->in_dirty = true;
  zq_list_push_back(&conn->ctx->dirty, &conn->dirty_node);
  if (!zq_on_loop_thread(conn->ctx)) zq_ctx_wake(conn->ctx);
}

/* Credit an application thread gives back (it read stream bytes) reaches the peer with the
 * connection's next write, which every arriving packet causes, instead of waking the loop for
 * each read: in a bulk download that wake-up and the thread switches around it were a fifth of
 * the receiver's CPU. It wakes the loop once a quarter of the smallest initial window (1 MiB
 * per stream, zq_conn_fill_settings) is owed. That cannot stall a sender: ngtcp2 announces
 * credit at any write once half a window is owed, so a sender waiting for credit has at least a
 * quarter of its window left and its packets, still arriving, trigger the write. */
#define ZQ_CREDIT_WAKE_BYTES ((size_t)256 << 10)

void zq_conn_schedule_credit(zquic_connection *conn, size_t n) {
  if (!zq_on_loop_thread(conn->ctx)) {
    conn->credit_unflushed += n;
    if (conn->credit_unflushed < ZQ_CREDIT_WAKE_BYTES) return;
  }
  zq_conn_schedule(conn);
}

void zq_ctx_flush_dirty(zquic_context *ctx) {
  zq_list_node *n;
  while ((n = zq_list_pop_front(&ctx->dirty))) {
    zquic_connection *conn = zq_container_of(n, zquic_connection, dirty_node);
    conn->in_dirty = false;
    zq_conn_flush(conn);
  }
}

void zq_conn_release_deferred(zquic_context *ctx) {
  while (ctx->release_later) {
    zquic_connection *conn = ctx->release_later;
    ctx->release_later = conn->release_next; /* before the release, which may free conn */
    if (--conn->pending_closes == 0) zq_conn_release(conn);
  }
}

static void on_release_check(uv_check_t *check) {
  zquic_context *ctx = check->data;
  pthread_mutex_lock(&ctx->lock);
  zq_conn_release_deferred(ctx);
  uv_check_stop(check);
  zq_ctx_unlock(ctx);
}

/* Release the transport's reference after the current loop callback: whoever tore the
 * connection down (a read, a timer) may still look at it on the way out. */
static void release_later(zquic_connection *conn) {
  zquic_context *ctx = conn->ctx;
  conn->pending_closes++;
  /* Once stopping, the check is closed: shutdown_on_loop or zquic_destroy releases the rest. */
  if (!ctx->release_later && !ctx->stopping)
    uv_check_start(&ctx->release_check, on_release_check);
  conn->release_next = ctx->release_later;
  ctx->release_later = conn;
}

static void on_ep_closed(zq_endpoint *ep) {
  zquic_connection *conn = zq_container_of(ep, zquic_connection, ep_storage);
  if (--conn->pending_closes == 0) zq_conn_release(conn);
}

void zq_conn_teardown(zquic_connection *conn) {
  if (conn->freed_transport) return;
  conn->freed_transport = true;
  conn->state = ZQ_CONN_CLOSED;
  if (conn->h3) zq_h3_free(conn);
  zq_h3_conn_gone(conn);
  if (conn->in_dirty) {
    zq_list_remove(&conn->ctx->dirty, &conn->dirty_node);
    conn->in_dirty = false;
  }
  if (conn->ep && !conn->ep->closing) zq_cidmap_del_value(&conn->ep->cids, conn);
  zq_conn_snapshot(conn);
  if (conn->qc) ngtcp2_conn_del(conn->qc);
  conn->qc = NULL;
  if (conn->tls) gnutls_deinit(conn->tls);
  conn->tls = NULL;
  zq_conn_qlog_close(conn);
  zq_client_params_free(conn->params);
  conn->params = NULL;
  free(conn->pending_pkt);
  conn->pending_pkt = NULL;
  zq_list_node *n, *tmp;
  zquic_server *srv = conn->server;
  zq_list_for_each_safe(n, tmp, &conn->streams) {
    zquic_stream *s = zq_container_of(n, zquic_stream, conn_node);
    s->transport_open = false;
    if (s->service_held) srv->service->on_closed(s, srv->service_user); /* it frees s */
    else if (s->hooks) s->hooks->on_closed(s, s->hooks_user);           /* it frees s */
    else if (!s->user_held && s != conn->first_stream) zq_stream_free(s);
  }
  if (srv && srv->service && srv->service->on_conn_closed)
    srv->service->on_conn_closed(conn, srv->service_user);
  if (conn->server) zq_server_conn_gone(conn->server, conn);
  else zq_list_remove(&conn->ctx->client_conns, &conn->list_node);
  conn->pending_closes = 0;
  if (conn->io_started) {
    zq_timers_leave(&conn->ctx->timers, &conn->timer);
    conn->io_started = false;
    release_later(conn);
  }
  if (!conn->is_server && conn->ep) {
    conn->pending_closes++;
    conn->ep->on_closed = on_ep_closed;
    zq_endpoint_close(conn->ep);
  }
  zquic_context *ctx = conn->ctx; /* the release below may free conn */
  if (conn->user_held) {
    bool clean = conn->close_code == 0 || conn->close_code == ZQUIC_ERR_CLOSED;
    zq_emit(ctx, clean ? ZQUIC_EVENT_DISCONNECTED : ZQUIC_EVENT_ERROR,
            clean ? ZQUIC_ERR_CLOSED : conn->close_code, NULL, conn, NULL);
  }
  if (conn->pending_closes == 0) zq_conn_release(conn);
  zq_ctx_notify(ctx);
}

void zq_conn_release(zquic_connection *conn) {
  if (--conn->refs > 0) return;
  zq_list_remove(&conn->ctx->live, &conn->live_node);
  if (conn->client_cred) gnutls_certificate_free_credentials(conn->client_cred);
  if (conn->session_blob) {
    gnutls_memset(conn->session_blob, 0, conn->session_blob_len);
    free(conn->session_blob);
  }
  free(conn->final_facts);
  free(conn);
}

void zq_conn_free_abandoned(zquic_connection *conn) {
  zq_list_node *n, *tmp;
  zq_list_for_each_safe(n, tmp, &conn->streams) {
    zq_stream_free(zq_container_of(n, zquic_stream, conn_node));
  }
  zq_h3_free_abandoned(conn);
  conn->refs = 1;
  zq_conn_release(conn);
}

static void set_close(zquic_connection *conn, int code, const char *fmt, const char *detail) {
  if (conn->close_code) return; /* keep the first, most specific reason */
  conn->close_code = code;
  snprintf(conn->close_reason, sizeof(conn->close_reason), fmt, detail);
}

/* Send a CONNECTION_CLOSE carrying `ccerr`, then tear down. */
static void close_with(zquic_connection *conn, const ngtcp2_ccerr *ccerr) {
  uint8_t buf[ZQ_MAX_UDP_PAYLOAD];
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info pi;
  if (conn->qc && !ngtcp2_conn_in_closing_period(conn->qc) &&
      !ngtcp2_conn_in_draining_period(conn->qc)) {
    ngtcp2_ssize n = ngtcp2_conn_write_connection_close(conn->qc, &ps.path, &pi, buf, sizeof(buf),
                                                        ccerr, zq_conn_ts());
    if (n > 0) {
      zq_endpoint_send(conn->ep, &ps.path, buf, (size_t)n, pi.ecn);
      zq_closing_remember(conn, buf, (size_t)n);
    }
  }
  zq_conn_teardown(conn);
}

void zq_conn_close_now(zquic_connection *conn, uint64_t app_error, const char *reason) {
  if (!conn->qc) return;
  ngtcp2_ccerr cc;
  ngtcp2_ccerr_default(&cc);
  ngtcp2_ccerr_set_application_error(&cc, app_error, (const uint8_t *)reason,
                                     reason ? strlen(reason) : 0);
  set_close(conn, ZQUIC_ERR_CLOSED, "%s", "connection closed locally");
  close_with(conn, &cc);
}

void zq_conn_abort(zquic_connection *conn) {
  set_close(conn, ZQUIC_ERR_CLOSED, "%s", "context destroyed");
  zq_conn_close_now(conn, 0, NULL);
}

static void describe_peer_close(zquic_connection *conn) {
  const ngtcp2_ccerr *cc = ngtcp2_conn_get_ccerr(conn->qc);
  char text[200];
  int n = snprintf(text, sizeof(text), "%s error 0x%llx",
                   cc->type == NGTCP2_CCERR_TYPE_APPLICATION ? "application" : "transport",
                   (unsigned long long)cc->error_code);
  if (cc->reasonlen && n > 0 && (size_t)n < sizeof(text))
    snprintf(text + n, sizeof(text) - (size_t)n, ": %.*s", (int)cc->reasonlen, cc->reason);
  bool clean = cc->error_code == 0;
  if (conn->state == ZQ_CONN_HANDSHAKING) {
    /* 0x100-0x1ff carry a TLS alert: the peer's TLS rejected us (e.g. our certificate). */
    if (cc->type == NGTCP2_CCERR_TYPE_TRANSPORT && (cc->error_code & ~0xffull) == 0x100)
      snprintf(text + strlen(text), sizeof(text) - strlen(text), " (peer TLS alert %s)",
               gnutls_alert_get_strname((gnutls_alert_description_t)(cc->error_code & 0xff))
                 ?: "?");
    set_close(conn, ZQUIC_ERR_HANDSHAKE, "handshake failed: peer closed the connection with %s",
              text);
  } else {
    set_close(conn, clean ? ZQUIC_ERR_CLOSED : ZQUIC_ERR_PEER_CLOSED,
              "connection closed by peer with %s", text);
  }
}

static void handle_read_error(zquic_connection *conn, int rv) {
  ngtcp2_ccerr cc;
  ngtcp2_ccerr_default(&cc);
  switch (rv) {
  case NGTCP2_ERR_DRAINING:
    describe_peer_close(conn);
    zq_conn_teardown(conn);
    return;
  case NGTCP2_ERR_DROP_CONN:
  case NGTCP2_ERR_RETRY:
    set_close(conn, ZQUIC_ERR_CLOSED, "%s", "connection dropped");
    zq_conn_teardown(conn);
    return;
  case NGTCP2_ERR_CRYPTO: {
    char detail[256];
    uint8_t alert = ngtcp2_conn_get_tls_alert(conn->qc);
    zq_tls_describe_failure(conn->tls, alert, detail, sizeof(detail));
    bool cert = conn->tls && gnutls_session_get_verify_cert_status(conn->tls) != 0;
    set_close(conn, cert ? ZQUIC_ERR_CERT_VERIFY : ZQUIC_ERR_TLS, "%s", detail);
    ngtcp2_ccerr_set_tls_alert(&cc, alert, NULL, 0);
    close_with(conn, &cc);
    return;
  }
  default:
    set_close(conn, ZQUIC_ERR_PROTOCOL, "QUIC error: %s", ngtcp2_strerror(rv));
    if (rv == NGTCP2_ERR_CALLBACK_FAILURE && conn->app_close_error)
      ngtcp2_ccerr_set_application_error(&cc, conn->app_close_error, NULL, 0);
    else
      ngtcp2_ccerr_set_liberr(&cc, rv, NULL, 0);
    close_with(conn, &cc);
    return;
  }
}

void zq_conn_read(zquic_connection *conn, const ngtcp2_path *path, const uint8_t *pkt, size_t len,
                  uint32_t ecn) {
  if (!conn->qc) return;
  ngtcp2_pkt_info pi = {.ecn = (uint8_t)ecn};
  conn->stats.packets_received++;
  conn->stats.bytes_received += len;
  int rv = ngtcp2_conn_read_pkt(conn->qc, path, &pi, pkt, len, zq_conn_ts());
  if (rv != 0) {
    handle_read_error(conn, rv);
    return;
  }
  zq_conn_schedule(conn);
}

static bool send_pending(zquic_connection *conn) {
  if (!conn->pending_pkt || conn->pending_len == 0) return true;
  if (zq_endpoint_send_gso(conn->ep, &conn->pending_path.path, conn->pending_pkt,
                           conn->pending_len, conn->pending_gso, conn->pending_ecn) ==
      ZQUIC_ERR_WOULD_BLOCK)
    return false;
  conn->pending_len = 0;
  return true;
}

/* Pick the data for the next packet: from nghttp3, or from the first raw stream with some. */
static nghttp3_ssize next_stream_data(zquic_connection *conn, int64_t *id, int *fin,
                                      ngtcp2_vec *vec, size_t max) {
  *id = -1;
  *fin = 0;
  if (conn->h3) return zq_h3_writev(conn, id, fin, (nghttp3_vec *)vec, max);
  zq_list_node *n = zq_list_front(&conn->writable);
  if (!n) return 0;
  zquic_stream *s = zq_container_of(n, zquic_stream, write_node);
  *id = s->id;
  size_t unsent = s->tx.len - s->tx_sent_off;
  size_t cnt = zq_buf_peek(&s->tx, s->tx_sent_off, (struct iovec *)vec, max, unsent);
  size_t covered = 0;
  for (size_t i = 0; i < cnt; i++) covered += vec[i].len;
  *fin = s->fin_queued && covered == unsent;
  return (nghttp3_ssize)cnt;
}

static void wrote_stream_data(zquic_connection *conn, int64_t id, ngtcp2_ssize n, int fin) {
  if (conn->h3) {
    if (n >= 0) zq_h3_wrote(conn, id, (size_t)n);
    return;
  }
  zquic_stream *s = zq_stream_find(conn, id);
  if (!s || n < 0) return;
  s->tx_sent_off += (size_t)n;
  if (fin && s->tx_sent_off == s->tx.len) s->fin_sent = true;
  if (s->tx_sent_off == s->tx.len && (!s->fin_queued || s->fin_sent)) {
    zq_list_remove(&conn->writable, &s->write_node);
    s->write_listed = false;
  }
}

static void stream_blocked(zquic_connection *conn, int64_t id) {
  if (conn->h3) {
    zq_h3_blocked(conn, id);
    return;
  }
  zquic_stream *s = zq_stream_find(conn, id);
  if (s && s->write_listed) {
    zq_list_remove(&conn->writable, &s->write_node);
    s->write_listed = false;
  }
}

static void stream_shut(zquic_connection *conn, int64_t id) {
  if (conn->h3) {
    zq_h3_shutdown_write(conn, id);
    return;
  }
  zquic_stream *s = zq_stream_find(conn, id);
  stream_blocked(conn, id);
  if (s && !s->fin_sent) {
    /* The peer sent STOP_SENDING (ngtcp2 1.11 answers with RESET_STREAM itself and does not
     * pass the code on). Queued bytes will never be acknowledged: drop them, fail senders. */
    s->peer_stopped = true;
    zq_buf_clear(&s->tx);
    s->tx_sent_off = 0;
    zq_emit(conn->ctx, ZQUIC_EVENT_STREAM_WRITABLE, 0, NULL, conn, s);
    zq_ctx_notify(conn->ctx);
  }
}

typedef enum { ZQ_WROTE_ALL, ZQ_WRITE_BLOCKED, ZQ_WRITE_CLOSED } zq_write_result;

/* One pass of the write loop: until ngtcp2 has nothing more to write now, the socket is full,
 * or the connection closed on an error. */
static zq_write_result write_packets(zquic_connection *conn) {
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_tstamp ts = zq_conn_ts();
  bool blocked = false;
  conn->credit_unflushed = 0; /* what ngtcp2 owes the peer goes out with these packets */
  zq_batch batch;
  zq_batch_begin(conn, &batch);
  for (int budget = 0; budget < 4096; budget++) {
    int64_t id;
    int fin;
    ngtcp2_vec vec[16];
    nghttp3_ssize cnt = next_stream_data(conn, &id, &fin, vec, 16);
    if (cnt < 0) {
      set_close(conn, ZQUIC_ERR_PROTOCOL, "HTTP/3 error: %s", nghttp3_strerror((int)cnt));
      zq_batch_end(conn, &batch);
      zq_conn_close_now(conn, NGHTTP3_H3_INTERNAL_ERROR, NULL);
      return ZQ_WRITE_CLOSED;
    }
    uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_MORE | (fin ? NGTCP2_WRITE_STREAM_FLAG_FIN : 0);
    ngtcp2_ssize ndatalen = -1;
    ngtcp2_pkt_info pi;
    ngtcp2_ssize nwrite = ngtcp2_conn_writev_stream(conn->qc, &ps.path, &pi, zq_batch_slot(&batch),
                                                    ZQ_MAX_UDP_PAYLOAD, &ndatalen, flags, id, vec,
                                                    (size_t)cnt, ts);
    if (nwrite < 0) {
      switch (nwrite) {
      case NGTCP2_ERR_STREAM_DATA_BLOCKED: stream_blocked(conn, id); continue;
      case NGTCP2_ERR_STREAM_SHUT_WR: stream_shut(conn, id); continue;
      case NGTCP2_ERR_WRITE_MORE: wrote_stream_data(conn, id, ndatalen, fin); continue;
      default: {
        ngtcp2_ccerr cc;
        ngtcp2_ccerr_default(&cc);
        ngtcp2_ccerr_set_liberr(&cc, (int)nwrite, NULL, 0);
        set_close(conn, ZQUIC_ERR_PROTOCOL, "QUIC write error: %s", ngtcp2_strerror((int)nwrite));
        zq_batch_end(conn, &batch);
        close_with(conn, &cc);
        return ZQ_WRITE_CLOSED;
      }
      }
    }
    if (id >= 0) wrote_stream_data(conn, id, ndatalen, fin);
    if (nwrite == 0) break;
    conn->stats.packets_sent++;
    conn->stats.bytes_sent += (uint64_t)nwrite;
    if (zq_batch_add(conn, &batch, &ps.path, (size_t)nwrite, pi.ecn) == ZQUIC_ERR_WOULD_BLOCK) {
      blocked = true;
      break;
    }
  }
  zq_batch_end(conn, &batch);
  ngtcp2_conn_update_pkt_tx_time(conn->qc, ts);
  zq_conn_maybe_key_update(conn);
  return blocked ? ZQ_WRITE_BLOCKED : ZQ_WROTE_ALL;
}

/* Under load the write loop often stops at a pacing or acknowledgement deadline that has passed
 * by the time it ends. Arming the timerfd for it costs a syscall (a sixth of a busy proxy's CPU
 * in a VM) only to wake at once, so a deadline already due is handled here, a few rounds at
 * most; later deadlines go to the timer. */
void zq_conn_flush(zquic_connection *conn) {
  if (!conn->qc || !send_pending(conn)) return;
  if (conn->close_requested) {
    zq_conn_close_now(conn, conn->h3 ? NGHTTP3_H3_NO_ERROR : conn->close_app_error, NULL);
    return;
  }
  for (int round = 0;; round++) {
    zq_write_result wrote = write_packets(conn);
    if (wrote == ZQ_WRITE_CLOSED) return;
    if (wrote == ZQ_WRITE_BLOCKED || round == 3) break;
    ngtcp2_tstamp now = zq_conn_ts();
    if (ngtcp2_conn_get_expiry(conn->qc) > now) break;
    if (ngtcp2_conn_handle_expiry(conn->qc, now) != 0) break; /* on_timer deals with it */
  }
  arm_timer(conn);
}

static void handle_expiry(zquic_connection *conn) {
  if (!conn->qc) return;
  int rv = ngtcp2_conn_handle_expiry(conn->qc, zq_conn_ts());
  if (rv == NGTCP2_ERR_IDLE_CLOSE) {
    set_close(conn, ZQUIC_ERR_IDLE_TIMEOUT, "%s", "connection closed after idle timeout");
    zq_conn_teardown(conn);
  } else if (rv == NGTCP2_ERR_HANDSHAKE_TIMEOUT) {
    set_close(conn, ZQUIC_ERR_HANDSHAKE, "%s", "handshake timed out (no answer from the peer)");
    zq_conn_teardown(conn);
  } else if (rv != 0) {
    ngtcp2_ccerr cc;
    ngtcp2_ccerr_default(&cc);
    ngtcp2_ccerr_set_liberr(&cc, rv, NULL, 0);
    set_close(conn, ZQUIC_ERR_PROTOCOL, "QUIC timer error: %s", ngtcp2_strerror(rv));
    close_with(conn, &cc);
  } else {
    zq_conn_flush(conn);
  }
}

void zq_conn_timers_due(zq_timers *t, void *arg) {
  zquic_context *ctx = arg;
  pthread_mutex_lock(&ctx->lock);
  /* At most the entries queued now: a connection whose flush leaves its expiry in the past is
   * queued again and waits for the next wake-up instead of spinning here. */
  uint64_t now = zq_conn_ts();
  zq_timer_entry *e;
  for (size_t due = t->count; due > 0 && (e = zq_timers_pop_due(t, now)) != NULL; due--)
    handle_expiry(zq_container_of(e, zquic_connection, timer));
  zq_timers_rearm(t);
  zq_ctx_flush_dirty(ctx); /* no blanket notify: see on_poll in endpoint.c */
  zq_ctx_unlock(ctx);
}

int zq_conn_check_open(zquic_connection *conn) {
  if (conn->state == ZQ_CONN_CLOSED || !conn->qc || conn->close_requested)
    return zq_error(conn->close_code ? conn->close_code : ZQUIC_ERR_CLOSED, "%s",
                    conn->close_reason[0] ? conn->close_reason : "connection closed");
  return ZQUIC_OK;
}
