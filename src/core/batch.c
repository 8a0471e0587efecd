/*
 * batch.c — generic segmentation offload (GSO) for the write loop.
 *
 * ngtcp2 writes one packet at a time; a sendmsg per packet costs most of a sender's CPU. Packets
 * written back to back for one path have the same size (all but possibly the last), so they are
 * collected in one buffer and handed to the kernel in a single sendmsg with UDP_SEGMENT, which
 * splits them on the way out. A batch ends at a shorter packet, a change of path or ECN marking,
 * the pacing quantum ngtcp2 allows, or 64 packets. Kernels or devices without GSO answer EIO or
 * EINVAL once; the endpoint then falls back to one sendmsg per packet for good.
 */
#include <string.h>

#include "internal.h"

static int send_now(zquic_connection *conn, zq_batch *b) {
  if (b->count == 0) return ZQUIC_OK;
  int rc = zq_endpoint_send_gso(conn->ep, &b->path.path, b->buf, b->len,
                                b->count > 1 ? b->gso : 0, b->ecn);
  if (rc == ZQUIC_ERR_WOULD_BLOCK) {
    /* The socket is full: keep the whole batch and send it first when it drains. */
    if (!conn->pending_pkt && !(conn->pending_pkt = malloc(ZQ_BATCH_BYTES))) return rc;
    memcpy(conn->pending_pkt, b->buf, b->len);
    conn->pending_len = b->len;
    conn->pending_gso = b->count > 1 ? b->gso : 0;
    conn->pending_ecn = b->ecn;
    ngtcp2_path_storage_init(&conn->pending_path, b->path.path.local.addr,
                             b->path.path.local.addrlen, b->path.path.remote.addr,
                             b->path.path.remote.addrlen, NULL);
  }
  b->len = b->count = 0;
  return rc;
}

void zq_batch_begin(zquic_connection *conn, zq_batch *b) {
  b->buf = conn->ctx->send_batch;
  b->len = b->count = b->gso = 0;
  /* ngtcp2's send quantum is what pacing allows in one burst; never batch more than that. */
  size_t quantum = ngtcp2_conn_get_send_quantum(conn->qc);
  size_t max = quantum / ZQ_MAX_UDP_PAYLOAD;
  b->max_count = conn->ep->no_gso ? 1 : max < 1 ? 1 : max > ZQ_BATCH_MAX ? ZQ_BATCH_MAX : max;
}

uint8_t *zq_batch_slot(zq_batch *b) { return b->buf + b->len; }

int zq_batch_add(zquic_connection *conn, zq_batch *b, const ngtcp2_path *path, size_t len,
                 uint32_t ecn) {
  if (b->count > 0 && (len > b->gso || ecn != b->ecn || !ngtcp2_path_eq(path, &b->path.path))) {
    /* The new packet cannot join: send the others, then start over with it at the front. */
    uint8_t tail[ZQ_MAX_UDP_PAYLOAD];
    memcpy(tail, b->buf + b->len, len);
    int rc = send_now(conn, b);
    memcpy(b->buf, tail, len);
    if (rc) {
      /* The earlier packets are pending; this one is lost to the kernel's full buffer, and
       * QUIC's loss recovery resends what it carried. */
      return rc;
    }
  }
  if (b->count == 0) {
    b->gso = len;
    b->ecn = ecn;
    ngtcp2_path_storage_init(&b->path, path->local.addr, path->local.addrlen, path->remote.addr,
                             path->remote.addrlen, NULL);
  }
  b->len += len;
  b->count++;
  if (len < b->gso || b->count >= b->max_count) return send_now(conn, b);
  return ZQUIC_OK;
}

int zq_batch_end(zquic_connection *conn, zq_batch *b) { return send_now(conn, b); }
