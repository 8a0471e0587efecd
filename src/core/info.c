/*
 * info.c — what a connection can tell about itself, and the diagnostics behind it: counters,
 * qlog files, key updates.
 *
 * ngtcp2 1.11 reports RTT and congestion window but no packet-loss count. When the context asks
 * for detailed_stats (or writes qlog anyway) we read ngtcp2's own qlog stream and count its
 * "packet_lost" events, so the number is ngtcp2's loss detection, not a guess.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void qlog_write(void *user_data, uint32_t flags, const void *data, size_t len) {
  zquic_connection *conn = user_data;
  if (conn->count_losses) {
    const char *p = data, *end = p + len;
    static const char needle[] = "\"packet_lost\"";
    while ((p = memmem(p, (size_t)(end - p), needle, sizeof(needle) - 1))) {
      conn->stats.packets_lost++;
      p += sizeof(needle) - 1;
    }
  }
  if (conn->qlog) {
    fwrite(data, 1, len, conn->qlog);
    if (flags & NGTCP2_QLOG_WRITE_FLAG_FIN) zq_conn_qlog_close(conn);
  }
}

void zq_conn_qlog_open(zquic_connection *conn, ngtcp2_settings *settings, const ngtcp2_cid *odcid) {
  zquic_context *ctx = conn->ctx;
  conn->count_losses = ctx->config.detailed_stats != 0;
  conn->stats.packets_lost = 0;
  if (ctx->qlog_dir) {
    char path[4096], hex[2 * NGTCP2_MAX_CIDLEN + 1];
    for (size_t i = 0; i < odcid->datalen; i++) sprintf(hex + 2 * i, "%02x", odcid->data[i]);
    hex[2 * odcid->datalen] = '\0';
    snprintf(path, sizeof(path), "%s/%s-%s.sqlog", ctx->qlog_dir, hex,
             conn->is_server ? "server" : "client");
    conn->qlog = fopen(path, "we");
    /* A qlog that cannot be written must not cost the connection: it runs without one. */
  }
  if (conn->qlog || conn->count_losses) settings->qlog_write = qlog_write;
}

void zq_conn_qlog_close(zquic_connection *conn) {
  if (conn->qlog) fclose(conn->qlog);
  conn->qlog = NULL;
}

int zq_conn_update_key_cb(ngtcp2_conn *qc, uint8_t *rx_secret, uint8_t *tx_secret,
                          ngtcp2_crypto_aead_ctx *rx_aead_ctx, uint8_t *rx_iv,
                          ngtcp2_crypto_aead_ctx *tx_aead_ctx, uint8_t *tx_iv,
                          const uint8_t *current_rx_secret, const uint8_t *current_tx_secret,
                          size_t secretlen, void *user_data) {
  zquic_connection *conn = user_data;
  conn->stats.key_updates++;
  return ngtcp2_crypto_update_key_cb(qc, rx_secret, tx_secret, rx_aead_ctx, rx_iv, tx_aead_ctx,
                                     tx_iv, current_rx_secret, current_tx_secret, secretlen,
                                     user_data);
}

/* --key-update BYTES: once that many bytes went out, start a key update, then again after as
 * many more (ngtcp2 refuses while the previous one is unconfirmed; we simply try later). */
void zq_conn_maybe_key_update(zquic_connection *conn) {
  if (!conn->key_update_bytes || conn->stats.bytes_sent < conn->next_key_update_at) return;
  if (!ngtcp2_conn_get_handshake_completed(conn->qc)) return;
  if (ngtcp2_conn_initiate_key_update(conn->qc, zq_conn_ts()) == 0)
    conn->next_key_update_at = conn->stats.bytes_sent + conn->key_update_bytes;
}

static int key_update_on_loop(void *arg) {
  zquic_connection *conn = arg;
  if (!conn->qc) return zq_error(ZQUIC_ERR_CLOSED, "connection closed");
  int rv = ngtcp2_conn_initiate_key_update(conn->qc, zq_conn_ts());
  if (rv != 0)
    return zq_error(ZQUIC_ERR_STATE, "key update not possible now: %s", ngtcp2_strerror(rv));
  zq_conn_schedule(conn);
  return ZQUIC_OK;
}

ZQUIC_API int zquic_connection_key_update(zquic_connection *conn) {
  if (!conn) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "connection is NULL");
  bool taken = zq_ctx_enter(conn->ctx);
  int rc = zq_ctx_call(conn->ctx, key_update_on_loop, conn);
  zq_ctx_leave(conn->ctx, taken);
  if (rc == 0) zq_error_clear();
  return rc;
}

static void fill_tls_facts(const zquic_connection *conn, zquic_connection_info *out) {
  if (!conn->tls) return;
  const char *suite = gnutls_ciphersuite_get(conn->tls);
  if (suite) snprintf(out->cipher, sizeof(out->cipher), "%s", suite);
  out->resumed = gnutls_session_is_resumed(conn->tls) != 0;
  /* Client: only what we actually sent counts (GnuTLS flags early data whenever the ticket
   * allowed it). Server: what GnuTLS accepted. */
  if (!conn->is_server && !conn->early_data_sent) return;
  if (conn->qc && ngtcp2_conn_get_tls_early_data_rejected(conn->qc))
    out->early_data = ZQUIC_EARLY_DATA_REJECTED;
  else if (gnutls_session_get_flags(conn->tls) & GNUTLS_SFLAGS_EARLY_DATA)
    out->early_data = ZQUIC_EARLY_DATA_ACCEPTED;
}

static void fill_transport_facts(const zquic_connection *conn, zquic_connection_info *out) {
  if (!conn->qc) return;
  ngtcp2_conn_info ci;
  ngtcp2_conn_get_conn_info(conn->qc, &ci);
  out->rtt_us = ci.smoothed_rtt / NGTCP2_MICROSECONDS;
  out->min_rtt_us = ci.min_rtt == UINT64_MAX ? 0 : ci.min_rtt / NGTCP2_MICROSECONDS;
  out->rtt_var_us = ci.rttvar / NGTCP2_MICROSECONDS;
  out->cwnd = ci.cwnd;
  out->bytes_in_flight = ci.bytes_in_flight;
  out->quic_version = ngtcp2_conn_get_negotiated_version(conn->qc);
  const ngtcp2_path *path = ngtcp2_conn_get_path(conn->qc);
  zq_addr a = {.len = path->remote.addrlen};
  memcpy(&a.ss, path->remote.addr, path->remote.addrlen);
  zq_addr_format(&a, out->remote_address, sizeof(out->remote_address));
  a.len = path->local.addrlen;
  memcpy(&a.ss, path->local.addr, path->local.addrlen);
  zq_addr_format(&a, out->local_address, sizeof(out->local_address));
  ngtcp2_cid scids[8];
  size_t n = ngtcp2_conn_get_scid(conn->qc, NULL);
  if (n > 0 && n <= 8) {
    ngtcp2_conn_get_scid(conn->qc, scids);
    out->connection_id_len = scids[0].datalen;
    memcpy(out->connection_id, scids[0].data, scids[0].datalen);
  }
}

static void copy_facts(const zquic_connection_info *from, zquic_connection_info *to) {
  memcpy(to->remote_address, from->remote_address, sizeof(to->remote_address));
  memcpy(to->local_address, from->local_address, sizeof(to->local_address));
  memcpy(to->connection_id, from->connection_id, sizeof(to->connection_id));
  to->connection_id_len = from->connection_id_len;
  to->rtt_us = from->rtt_us;
  to->min_rtt_us = from->min_rtt_us;
  to->rtt_var_us = from->rtt_var_us;
  to->cwnd = from->cwnd;
  to->quic_version = from->quic_version;
  memcpy(to->cipher, from->cipher, sizeof(to->cipher));
  to->resumed = from->resumed;
  to->early_data = from->early_data;
}

/* Before the transport state goes: keep what zquic_get_connection_info reports about it. */
void zq_conn_snapshot(zquic_connection *conn) {
  if (!conn->qc || conn->final_facts) return;
  conn->final_facts = calloc(1, sizeof(*conn->final_facts));
  if (!conn->final_facts) return;
  fill_transport_facts(conn, conn->final_facts);
  fill_tls_facts(conn, conn->final_facts);
}

ZQUIC_API int zquic_get_connection_info(const zquic_connection *conn, zquic_connection_info *info) {
  if (!conn || !info) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  if (info->struct_size < offsetof(zquic_connection_info, state) ||
      info->struct_size > sizeof(zquic_connection_info))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT,
                    "zquic_connection_info.struct_size must be set to sizeof(zquic_connection_info)");
  zquic_connection_info out;
  memset(&out, 0, sizeof(out));
  zquic_connection *c = (zquic_connection *)(uintptr_t)conn;
  bool taken = zq_ctx_enter(c->ctx);
  snprintf(out.remote_address, sizeof(out.remote_address), "%s", conn->peer_text);
  out.state = conn->state == ZQ_CONN_ESTABLISHED ? ZQUIC_STATE_CONNECTED
              : conn->state == ZQ_CONN_CLOSED || conn->state == ZQ_CONN_CLOSING
                ? ZQUIC_STATE_CLOSED
                : ZQUIC_STATE_CONNECTING;
  out.bytes_sent = conn->stats.bytes_sent;
  out.bytes_received = conn->stats.bytes_received;
  out.packets_sent = conn->stats.packets_sent;
  out.packets_received = conn->stats.packets_received;
  out.packets_lost = conn->count_losses ? conn->stats.packets_lost : UINT64_MAX;
  out.retry = conn->stats.retry;
  /* ngtcp2 derives the next keys once right after the handshake, then once per update. */
  out.key_updates = conn->stats.key_updates > 0 ? conn->stats.key_updates - 1 : 0;
  out.path_changes = conn->stats.path_changes;
  out.close_code = conn->state == ZQ_CONN_CLOSED ? (conn->close_code ? conn->close_code : ZQUIC_ERR_CLOSED) : 0;
  snprintf(out.alpn, sizeof(out.alpn), "%s", conn->alpn);
  if (conn->qc) {
    fill_transport_facts(conn, &out);
    fill_tls_facts(conn, &out);
  } else if (conn->final_facts) {
    copy_facts(conn->final_facts, &out);
  }
  zq_ctx_leave(c->ctx, taken);
  size_t size = info->struct_size;
  memcpy(info, &out, size);
  info->struct_size = size;
  zq_error_clear();
  return ZQUIC_OK;
}
