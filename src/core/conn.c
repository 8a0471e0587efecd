/*
 * conn.c — creating QUIC connections and the ngtcp2 callbacks that feed them.
 *
 * A connection is born either here on a client (zq_conn_client_new, on the loop thread through
 * zq_ctx_call) or in zq_conn_accept_initial when a server endpoint sees a new Initial. Both build
 * the same ngtcp2 settings from the context's config and share one callbacks table; the callbacks
 * route stream events either to raw streams (stream.c) or to the HTTP/3 layer (src/h3) when the
 * connection speaks HTTP/3. Packet I/O, timers and closing live in conn_io.c.
 */
#include <string.h>
#include <sys/random.h>

#include "internal.h"
#include "tls.h"

ngtcp2_tstamp zq_conn_ts(void) { return zq_now_ns(); }

static ngtcp2_conn *get_conn(ngtcp2_crypto_conn_ref *ref) {
  zquic_connection *conn = ref->user_data;
  return conn->qc;
}

void zq_rand_cb(uint8_t *dest, size_t destlen, const ngtcp2_rand_ctx *rand_ctx) {
  (void)rand_ctx;
  if (gnutls_rnd(GNUTLS_RND_RANDOM, dest, destlen) != 0) memset(dest, 0, destlen);
}

static const uint8_t *reset_secret(zquic_connection *conn) {
  return conn->server ? conn->server->static_secret : conn->ctx->reset_secret;
}

static int new_cid_cb(ngtcp2_conn *qc, ngtcp2_cid *cid, uint8_t *token, size_t cidlen,
                      void *user_data) {
  (void)qc;
  zquic_connection *conn = user_data;
  if (gnutls_rnd(GNUTLS_RND_RANDOM, cid->data, cidlen) != 0) return NGTCP2_ERR_CALLBACK_FAILURE;
  cid->datalen = cidlen;
  zq_worker_mark_cid(conn->server, cid->data, cidlen); /* later packets find this worker */
  if (ngtcp2_crypto_generate_stateless_reset_token(token, reset_secret(conn), 32, cid) != 0)
    return NGTCP2_ERR_CALLBACK_FAILURE;
  if (zq_cidmap_put(&conn->ep->cids, cid->data, cid->datalen, conn) != 0)
    return NGTCP2_ERR_CALLBACK_FAILURE;
  return 0;
}

static int remove_cid_cb(ngtcp2_conn *qc, const ngtcp2_cid *cid, void *user_data) {
  (void)qc;
  zquic_connection *conn = user_data;
  zq_cidmap_del(&conn->ep->cids, cid->data, cid->datalen);
  return 0;
}

/* An HTTP/3 server must see a client's streams from their first byte, and with 0-RTT those bytes
 * arrive before the handshake completes: attach the session as soon as ALPN is known. */
static int ensure_server_h3(zquic_connection *conn) {
  if (conn->h3 || !conn->server || !conn->server->h3_enabled) return 0;
  gnutls_datum_t proto;
  if (gnutls_alpn_get_selected_protocol(conn->tls, &proto) != 0 || proto.size != 2 ||
      memcmp(proto.data, "h3", 2) != 0)
    return NGTCP2_ERR_CALLBACK_FAILURE;
  memcpy(conn->alpn, "h3", 3);
  return zq_h3_server_attach(conn) == 0 ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
}

static int server_handshake_completed(zquic_connection *conn) {
  zquic_server *srv = conn->server;
  gnutls_session_ticket_send(conn->tls, 1, 0);
  zq_server_send_new_token(conn);
  if (srv->h3_enabled) return ensure_server_h3(conn);
  if (srv->service) return 0; /* the library serves it: nobody accepts it */
  conn->queued_for_accept = true;
  zq_list_push_back(&srv->accept_queue, &conn->accept_node);
  zq_workers_notify_accept(srv);
  zq_emit(conn->ctx, ZQUIC_EVENT_ACCEPT_READY, 0, zq_server_handle(srv), NULL, NULL);
  return 0;
}

static int handshake_completed_cb(ngtcp2_conn *qc, void *user_data) {
  (void)qc;
  zquic_connection *conn = user_data;
  gnutls_datum_t proto;
  if (gnutls_alpn_get_selected_protocol(conn->tls, &proto) == 0 && proto.size < sizeof(conn->alpn)) {
    memcpy(conn->alpn, proto.data, proto.size);
    conn->alpn[proto.size] = '\0';
  }
  conn->state = ZQ_CONN_ESTABLISHED;
  if (conn->server) {
    if (server_handshake_completed(conn) != 0) return NGTCP2_ERR_CALLBACK_FAILURE;
  } else {
    /* An "h3" connection is HTTP/3 from its first byte: the server's control stream may arrive
     * before our first request, and must reach nghttp3, not the raw stream queue. */
    if (strcmp(conn->alpn, "h3") == 0 && zq_h3_client_attach(conn) != 0)
      return NGTCP2_ERR_CALLBACK_FAILURE;
    zq_h3_on_extend_max_streams(conn); /* calls queued during the handshake may start now */
    zq_emit(conn->ctx, ZQUIC_EVENT_CONNECTED, 0, NULL, conn, NULL);
  }
  zq_ctx_notify(conn->ctx);
  return 0;
}

/* 0-RTT refused: ngtcp2 forgot every stream opened early. Fail them clearly so callers resend. */
static int early_data_rejected_cb(ngtcp2_conn *qc, void *user_data) {
  (void)qc;
  zquic_connection *conn = user_data;
  zq_list_node *n, *tmp;
  zq_list_for_each_safe(n, tmp, &conn->streams) {
    zquic_stream *s = zq_container_of(n, zquic_stream, conn_node);
    s->transport_open = false;
    s->early_rejected = true;
    if (s->hooks) s->hooks->on_closed(s, s->hooks_user); /* unhooks, which frees s */
    else if (!s->user_held && s != conn->first_stream) zq_stream_free(s);
  }
  if (conn->h3) zq_h3_early_data_rejected(conn);
  zq_ctx_notify(conn->ctx);
  return 0;
}

/* The peer forgot this connection (it restarted, or dropped its state) and said so with a
 * Stateless Reset: end now with a clear reason instead of waiting out the idle timeout. */
static int stateless_reset_cb(ngtcp2_conn *qc, const ngtcp2_pkt_stateless_reset *sr,
                              void *user_data) {
  (void)qc;
  (void)sr;
  zquic_connection *conn = user_data;
  if (!conn->close_code) {
    conn->close_code = ZQUIC_ERR_PEER_CLOSED;
    snprintf(conn->close_reason, sizeof(conn->close_reason),
             "connection reset by peer (stateless reset: the peer no longer knows it)");
  }
  return 0;
}

static int recv_retry_cb(ngtcp2_conn *qc, const ngtcp2_pkt_hd *hd, void *user_data) {
  zquic_connection *conn = user_data;
  conn->stats.retry = true;
  return ngtcp2_crypto_recv_retry_cb(qc, hd, user_data);
}

static int path_validation_cb(ngtcp2_conn *qc, uint32_t flags, const ngtcp2_path *path,
                              const ngtcp2_path *old_path, ngtcp2_path_validation_result res,
                              void *user_data) {
  (void)qc;
  (void)flags;
  (void)path;
  zquic_connection *conn = user_data;
  if (res == NGTCP2_PATH_VALIDATION_RESULT_SUCCESS && old_path) conn->stats.path_changes++;
  return 0;
}

/* GnuTLS treats quic_transport_parameters as an optional extension, so a ClientHello without it
 * completed the server's first flight while ngtcp2 had no transport parameters and no negotiated
 * version; the next write then hit an assertion in ngtcp2 and aborted the process. RFC 9001
 * section 8.2 makes the extension mandatory: refuse with missing_extension instead. */
static int recv_crypto_data_cb(ngtcp2_conn *qc, ngtcp2_encryption_level level, uint64_t offset,
                               const uint8_t *data, size_t len, void *user_data) {
  int rv = ngtcp2_crypto_recv_crypto_data_cb(qc, level, offset, data, len, user_data);
  if (rv != 0) return rv;
  zquic_connection *conn = user_data;
  if (conn->is_server && !ngtcp2_conn_get_remote_transport_params(qc) &&
      gnutls_handshake_get_last_in(conn->tls) == GNUTLS_HANDSHAKE_CLIENT_HELLO) {
    ngtcp2_conn_set_tls_alert(qc, GNUTLS_A_MISSING_EXTENSION);
    return NGTCP2_ERR_CRYPTO;
  }
  return 0;
}

static int recv_stream_data_cb(ngtcp2_conn *qc, uint32_t flags, int64_t id, uint64_t offset,
                               const uint8_t *data, size_t len, void *user_data,
                               void *stream_user_data) {
  (void)qc;
  (void)offset;
  zquic_connection *conn = user_data;
  if (ensure_server_h3(conn) != 0) return NGTCP2_ERR_CALLBACK_FAILURE;
  if (conn->h3) return zq_h3_on_stream_data(conn, id, flags, data, len);
  zquic_stream *s = stream_user_data ? stream_user_data : zq_stream_find(conn, id);
  if (!s) return 0; /* already released by its user: discard */
  return zq_stream_on_data(conn, s, flags, data, len);
}

static int stream_open_cb(ngtcp2_conn *qc, int64_t id, void *user_data) {
  zquic_connection *conn = user_data;
  if (ensure_server_h3(conn) != 0) return NGTCP2_ERR_CALLBACK_FAILURE;
  if (conn->h3) return 0; /* nghttp3 creates its own stream state */
  zquic_stream *s = zq_stream_new(conn, id);
  if (!s) return NGTCP2_ERR_CALLBACK_FAILURE;
  ngtcp2_conn_set_stream_user_data(qc, id, s);
  zquic_server *srv = conn->server;
  if (srv && srv->service) {
    s->service_held = true;
    srv->service->on_stream(s, srv->service_user);
    return 0;
  }
  zq_list_push_back(&conn->incoming, &s->incoming_node);
  zq_emit(conn->ctx, ZQUIC_EVENT_STREAM_INCOMING, 0, NULL, conn, NULL);
  zq_ctx_notify(conn->ctx);
  return 0;
}

static int acked_cb(ngtcp2_conn *qc, int64_t id, uint64_t offset, uint64_t datalen,
                    void *user_data, void *stream_user_data) {
  (void)qc;
  (void)offset;
  zquic_connection *conn = user_data;
  if (conn->h3) return zq_h3_on_acked(conn, id, datalen);
  if (stream_user_data) zq_stream_on_acked(stream_user_data, datalen);
  return 0;
}

static int stream_close_cb(ngtcp2_conn *qc, uint32_t flags, int64_t id, uint64_t app_error,
                           void *user_data, void *stream_user_data) {
  zquic_connection *conn = user_data;
  if (!(flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET)) app_error = 0;
  /* ngtcp2 never raises the peer's stream limit by itself: give back one credit per closed
   * peer-initiated stream, so a long-lived connection can keep opening streams. */
  if (!ngtcp2_conn_is_local_stream(qc, id)) {
    if (id & 0x2) ngtcp2_conn_extend_max_streams_uni(qc, 1);
    else ngtcp2_conn_extend_max_streams_bidi(qc, 1);
  }
  if (conn->h3) return zq_h3_on_stream_close(conn, id, app_error);
  if (stream_user_data) zq_stream_on_closed(stream_user_data, app_error);
  return 0;
}

static int stream_reset_cb(ngtcp2_conn *qc, int64_t id, uint64_t final_size, uint64_t app_error,
                           void *user_data, void *stream_user_data) {
  (void)qc;
  (void)final_size;
  zquic_connection *conn = user_data;
  if (conn->h3) return zq_h3_on_stream_reset(conn, id);
  zquic_stream *s = stream_user_data;
  if (s) {
    s->reset_received = true;
    s->reset_code = app_error;
    if (s->service_held) conn->server->service->on_data(s, conn->server->service_user);
    else if (s->hooks) s->hooks->on_data(s, s->hooks_user);
    zq_ctx_notify(conn->ctx);
  }
  return 0;
}

static int stop_sending_cb(ngtcp2_conn *qc, int64_t id, uint64_t app_error, void *user_data,
                           void *stream_user_data) {
  (void)qc;
  (void)app_error;
  (void)stream_user_data;
  zquic_connection *conn = user_data;
  /* ngtcp2 calls this when *we* stop reading; the peer's STOP_SENDING shows up in the write
   * loop as NGTCP2_ERR_STREAM_SHUT_WR (conn_io.c stream_shut). */
  if (conn->h3) return zq_h3_on_stop_sending(conn, id);
  return 0;
}

static int extend_stream_data_cb(ngtcp2_conn *qc, int64_t id, uint64_t max_data, void *user_data,
                                 void *stream_user_data) {
  (void)qc;
  (void)max_data;
  zquic_connection *conn = user_data;
  if (conn->h3) return zq_h3_on_extend_max_stream_data(conn, id);
  if (stream_user_data) zq_stream_mark_writable(stream_user_data);
  return 0;
}

static int extend_streams_cb(ngtcp2_conn *qc, uint64_t max_streams, void *user_data) {
  (void)qc;
  (void)max_streams;
  zquic_connection *conn = user_data;
  zq_h3_on_extend_max_streams(conn); /* the line of queued calls and queries, raw or HTTP/3 */
  zq_emit(conn->ctx, ZQUIC_EVENT_STREAMS_AVAILABLE, 0, NULL, conn, NULL);
  zq_ctx_notify(conn->ctx);
  return 0;
}

void zq_conn_fill_callbacks(ngtcp2_callbacks *cb, bool server) {
  memset(cb, 0, sizeof(*cb));
  if (server) {
    cb->recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
  } else {
    cb->client_initial = ngtcp2_crypto_client_initial_cb;
    cb->recv_retry = recv_retry_cb;
    cb->tls_early_data_rejected = early_data_rejected_cb;
  }
  cb->recv_crypto_data = recv_crypto_data_cb;
  cb->encrypt = ngtcp2_crypto_encrypt_cb;
  cb->decrypt = ngtcp2_crypto_decrypt_cb;
  cb->hp_mask = ngtcp2_crypto_hp_mask_cb;
  cb->update_key = zq_conn_update_key_cb;
  cb->path_validation = path_validation_cb;
  cb->delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
  cb->delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
  cb->get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
  cb->version_negotiation = ngtcp2_crypto_version_negotiation_cb;
  cb->rand = zq_rand_cb;
  cb->get_new_connection_id = new_cid_cb;
  cb->remove_connection_id = remove_cid_cb;
  cb->recv_stateless_reset = stateless_reset_cb;
  cb->handshake_completed = handshake_completed_cb;
  cb->recv_stream_data = recv_stream_data_cb;
  cb->stream_open = stream_open_cb;
  cb->acked_stream_data_offset = acked_cb;
  cb->stream_close = stream_close_cb;
  cb->stream_reset = stream_reset_cb;
  cb->stream_stop_sending = stop_sending_cb;
  cb->extend_max_stream_data = extend_stream_data_cb;
  cb->extend_max_local_streams_bidi = extend_streams_cb;
  cb->extend_max_local_streams_uni = extend_streams_cb;
}

void zq_conn_fill_settings(zquic_context *ctx, ngtcp2_settings *settings,
                           ngtcp2_transport_params *params) {
  ngtcp2_settings_default(settings);
  settings->initial_ts = zq_conn_ts();
  settings->handshake_timeout = (uint64_t)ctx->config.connection_timeout_ms * NGTCP2_MILLISECONDS;
  static const ngtcp2_cc_algo algorithms[] = {NGTCP2_CC_ALGO_CUBIC, NGTCP2_CC_ALGO_BBR,
                                              NGTCP2_CC_ALGO_RENO};
  settings->cc_algo = algorithms[ctx->config.cc_algorithm]; /* validated by zquic_init */
  settings->max_window = 24u << 20;
  settings->max_stream_window = 16u << 20;
  ngtcp2_transport_params_default(params);
  params->initial_max_stream_data_bidi_local = 1u << 20;
  params->initial_max_stream_data_bidi_remote = 1u << 20;
  params->initial_max_stream_data_uni = 1u << 20;
  params->initial_max_data = 4u << 20;
  params->initial_max_streams_bidi = ctx->config.max_streams_bidi;
  params->initial_max_streams_uni = ctx->config.max_streams_uni;
  params->max_idle_timeout = (uint64_t)ctx->config.idle_timeout_ms * NGTCP2_MILLISECONDS;
  params->active_connection_id_limit = 7;
}

const char *zq_conn_peer(zquic_connection *conn) {
  /* ngtcp2 moves a connection to a new path when the peer's address changes (NAT rebinding,
   * migration), so the address the connection started from can be stale: ask for the current
   * one while the transport exists. */
  if (conn->qc) {
    const ngtcp2_path *path = ngtcp2_conn_get_path(conn->qc);
    zq_addr *seen = &conn->peer_text_of;
    if (path->remote.addrlen > 0 && path->remote.addrlen <= sizeof(struct sockaddr_storage) &&
        (seen->len != path->remote.addrlen ||
         memcmp(&seen->ss, path->remote.addr, path->remote.addrlen) != 0)) {
      /* Formatting (inet_ntop, snprintf) costs more than a request's header rewriting: only
       * when the path's address changed. */
      seen->len = path->remote.addrlen;
      memcpy(&seen->ss, path->remote.addr, path->remote.addrlen);
      zq_addr_format(seen, conn->peer_text, sizeof(conn->peer_text));
    }
  }
  return conn->peer_text;
}

zquic_connection *zq_conn_alloc(zquic_context *ctx) {
  zquic_connection *conn = calloc(1, sizeof(*conn));
  if (!conn) return NULL;
  conn->ctx = ctx;
  conn->refs = 1; /* the transport's */
  conn->conn_ref.get_conn = get_conn;
  conn->conn_ref.user_data = conn;
  zq_list_init(&conn->streams);
  zq_list_init(&conn->incoming);
  zq_list_init(&conn->writable);
  zq_list_init(&conn->h3_streams);
  zq_list_init(&conn->stream_waiters);
  zq_list_push_back(&ctx->live, &conn->live_node);
  return conn;
}

static void fill_server_params(zquic_server *srv, const ngtcp2_pkt_hd *hd,
                               const zq_admission *adm, uint32_t prefer[4],
                               ngtcp2_settings *settings, ngtcp2_transport_params *params) {
  params->original_dcid = adm->odcid;
  params->original_dcid_present = 1;
  if (adm->retried) {
    params->retry_scid = adm->retry_scid;
    params->retry_scid_present = 1;
  }
  if (srv->max_streams_bidi) params->initial_max_streams_bidi = srv->max_streams_bidi;
  settings->token = hd->token;
  settings->tokenlen = hd->tokenlen;
  settings->token_type = adm->token_type;
  /* Keep the client's chosen version when we accept it; otherwise our order decides. */
  size_t n = 0;
  prefer[n++] = hd->version;
  for (size_t i = 0; i < srv->n_versions && n < 4; i++)
    if (srv->versions[i] != hd->version) prefer[n++] = srv->versions[i];
  settings->preferred_versions = prefer;
  settings->preferred_versionslen = n;
  settings->available_versions = srv->versions;
  settings->available_versionslen = srv->n_versions;
}

int zq_conn_accept_initial(zq_endpoint *ep, const ngtcp2_path *path, const ngtcp2_pkt_hd *hd,
                           const zq_admission *adm, const uint8_t *pkt, size_t len, uint32_t ecn) {
  zquic_server *srv = ep->server;
  bool accepting = zq_server_accepting(srv);
  if (!accepting || zq_server_total_connections(srv) >= srv->max_connections) {
    zq_server_refuse(ep, path, hd, accepting ? "server is full" : "server is not accepting");
    return ZQUIC_ERR_LIMIT;
  }
  zquic_context *ctx = ep->ctx;
  zquic_connection *conn = zq_conn_alloc(ctx);
  if (!conn) return ZQUIC_ERR_NO_MEMORY;
  conn->is_server = true;
  conn->server = srv;
  conn->ep = ep;
  conn->stats.retry = adm->retried;
  zq_addr remote = {.len = path->remote.addrlen};
  memcpy(&remote.ss, path->remote.addr, path->remote.addrlen);
  zq_addr_format(&remote, conn->peer_text, sizeof(conn->peer_text));
  conn->peer_text_of = remote;
  ngtcp2_settings settings;
  ngtcp2_transport_params params;
  zq_conn_fill_settings(ctx, &settings, &params);
  uint32_t prefer[4];
  fill_server_params(srv, hd, adm, prefer, &settings, &params);
  params.stateless_reset_token_present = 1;
  ngtcp2_cid scid;
  scid.datalen = ZQ_CID_LEN;
  zq_rand_cb(scid.data, scid.datalen, NULL);
  zq_worker_mark_cid(srv, scid.data, scid.datalen);
  int rc = ngtcp2_crypto_generate_stateless_reset_token(params.stateless_reset_token,
                                                        srv->static_secret, 32, &scid);
  if (rc) goto err_free;
  zq_conn_qlog_open(conn, &settings, &adm->odcid);
  ngtcp2_callbacks cb;
  zq_conn_fill_callbacks(&cb, true);
  rc = ngtcp2_conn_server_new(&conn->qc, &hd->scid, &scid, path, hd->version, &cb, &settings,
                              &params, NULL, conn);
  if (rc) goto err_free;
  rc = zq_tls_session_server(&srv->tls, &srv->alpn, &conn->conn_ref, &conn->tls);
  if (rc) goto err_qc;
  ngtcp2_conn_set_tls_native_handle(conn->qc, conn->tls);
  conn->ocid = hd->dcid;
  if (zq_cidmap_put(&ep->cids, scid.data, scid.datalen, conn) != 0 ||
      zq_cidmap_put(&ep->cids, hd->dcid.data, hd->dcid.datalen, conn) != 0 ||
      zq_conn_io_start(conn) != 0)
    goto err_cids;
  conn->ocid_registered = true;
  if (ctx->config.keep_alive_ms)
    ngtcp2_conn_set_keep_alive_timeout(conn->qc, (uint64_t)ctx->config.keep_alive_ms * NGTCP2_MILLISECONDS);
  zq_list_push_back(&srv->conns, &conn->list_node);
  srv->n_connections++;
  zq_server_count_connection(srv, 1);
  zq_conn_read(conn, path, pkt, len, ecn);
  return ZQUIC_OK;

err_cids:
  zq_cidmap_del_value(&ep->cids, conn);
  gnutls_deinit(conn->tls);
err_qc:
  ngtcp2_conn_del(conn->qc);
err_free:
  zq_conn_qlog_close(conn);
  zq_list_remove(&ctx->live, &conn->live_node);
  free(conn);
  return ZQUIC_ERR_INTERNAL;
}
