/*
 * client_start.c — turning a client connection's parameters into a live QUIC connection: its own
 * UDP socket, the ngtcp2 client state, the TLS session, and (when resuming) the remembered ticket
 * and transport parameters that make 0-RTT possible.
 *
 * The resumption blob is ours, versioned, and opaque to callers:
 *   "ZQS1" | u32 ticket length | GnuTLS session data | u32 params length | ngtcp2 0-RTT params
 * A blob that does not parse is ignored (a full handshake happens) rather than failing the
 * connection: a stale file must never stop a client from connecting.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "tls.h"

static const uint8_t blob_magic[4] = {'Z', 'Q', 'S', '1'};

static int read_u32(const uint8_t **p, const uint8_t *end, uint32_t *out) {
  if (end - *p < 4) return -1;
  uint32_t v;
  memcpy(&v, *p, 4);
  *out = ntohl(v);
  *p += 4;
  return 0;
}

/* Split a blob into its ticket and transport parameters; -1 when malformed. */
static int parse_blob(const uint8_t *blob, size_t len, gnutls_datum_t *ticket,
                      const uint8_t **params, size_t *params_len) {
  const uint8_t *p = blob, *end = blob + len;
  uint32_t n;
  if (len < 4 || memcmp(p, blob_magic, 4) != 0) return -1;
  p += 4;
  if (read_u32(&p, end, &n) != 0 || (size_t)(end - p) < n || n == 0) return -1;
  ticket->data = (unsigned char *)(uintptr_t)p;
  ticket->size = n;
  p += n;
  if (read_u32(&p, end, &n) != 0 || (size_t)(end - p) != n) return -1;
  *params = p;
  *params_len = n;
  return 0;
}

void zq_conn_store_ticket(zquic_connection *conn) {
  gnutls_datum_t data = {NULL, 0};
  uint8_t params[256];
  if (!conn->qc || gnutls_session_get_data2(conn->tls, &data) != 0) return;
  ngtcp2_ssize plen = ngtcp2_conn_encode_0rtt_transport_params(conn->qc, params, sizeof(params));
  if (plen < 0) {
    gnutls_free(data.data);
    return;
  }
  size_t total = 4 + 4 + data.size + 4 + (size_t)plen;
  uint8_t *blob = malloc(total);
  if (blob) {
    uint32_t n = htonl(data.size);
    memcpy(blob, blob_magic, 4);
    memcpy(blob + 4, &n, 4);
    memcpy(blob + 8, data.data, data.size);
    n = htonl((uint32_t)plen);
    memcpy(blob + 8 + data.size, &n, 4);
    memcpy(blob + 12 + data.size, params, (size_t)plen);
    if (conn->session_blob) {
      gnutls_memset(conn->session_blob, 0, conn->session_blob_len);
      free(conn->session_blob);
    }
    conn->session_blob = blob;
    conn->session_blob_len = total;
  }
  gnutls_memset(data.data, 0, data.size);
  gnutls_free(data.data);
}

static int ticket_hook(gnutls_session_t s, unsigned htype, unsigned when, unsigned incoming,
                       const gnutls_datum_t *msg) {
  (void)when;
  (void)incoming;
  (void)msg;
  if (htype != GNUTLS_HANDSHAKE_NEW_SESSION_TICKET) return 0;
  ngtcp2_crypto_conn_ref *ref = gnutls_session_get_ptr(s);
  zq_conn_store_ticket(ref->user_data);
  return 0;
}

ZQUIC_API int zquic_connection_session(zquic_connection *conn, uint8_t *buf, size_t cap,
                                       size_t *len) {
  if (!conn || !len || (!buf && cap)) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  bool taken = zq_ctx_enter(conn->ctx);
  int rc = ZQUIC_OK;
  *len = conn->session_blob_len;
  if (!conn->session_blob) rc = zq_error(ZQUIC_ERR_NOT_FOUND, "no session ticket received yet");
  else if (!buf || cap < conn->session_blob_len)
    rc = zq_error(ZQUIC_ERR_LIMIT, "session blob needs %zu bytes", conn->session_blob_len);
  else memcpy(buf, conn->session_blob, conn->session_blob_len);
  zq_ctx_leave(conn->ctx, taken);
  if (rc == 0) zq_error_clear();
  return rc;
}

/* Offer the remembered session; with 0-RTT also adopt the remembered transport parameters. */
static void apply_session(zquic_connection *conn, zq_client_params *p) {
  gnutls_datum_t ticket;
  const uint8_t *params;
  size_t params_len;
  if (!p->session || parse_blob(p->session, p->session_len, &ticket, &params, &params_len) != 0)
    return;
  if (gnutls_session_set_data(conn->tls, ticket.data, ticket.size) != 0) return;
  if (p->enable_0rtt &&
      ngtcp2_conn_decode_and_set_0rtt_transport_params(conn->qc, params, params_len) == 0)
    conn->early_data_sent = true;
}

static int open_socket(zquic_connection *conn, const zq_addr *remote) {
  zq_addr local = {.len = remote->len};
  local.ss.ss_family = remote->ss.ss_family;
  int rc = zq_endpoint_open(conn->ctx, &local, false, &conn->ep_storage);
  if (rc) return rc;
  conn->ep = &conn->ep_storage;
  zq_addr_format(remote, conn->peer_text, sizeof(conn->peer_text));
  conn->peer_text_of = *remote;
  return ZQUIC_OK;
}

static int new_ngtcp2_client(zquic_connection *conn, zq_client_params *p, ngtcp2_cid *scid) {
  ngtcp2_cid dcid;
  dcid.datalen = ZQ_CID_LEN;
  scid->datalen = ZQ_CID_LEN;
  zq_rand_cb(dcid.data, dcid.datalen, NULL);
  zq_rand_cb(scid->data, scid->datalen, NULL);
  ngtcp2_path path = {
    .local = {.addr = (ngtcp2_sockaddr *)&conn->ep->local.ss, .addrlen = conn->ep->local.len},
    .remote = {.addr = (ngtcp2_sockaddr *)&p->remote.ss, .addrlen = p->remote.len},
  };
  ngtcp2_settings settings;
  ngtcp2_transport_params params;
  zq_conn_fill_settings(conn->ctx, &settings, &params);
  /* Offer both versions so a v1 start can be upgraded (RFC 9368), preferring the chosen one. */
  static const uint32_t prefer_v1[] = {NGTCP2_PROTO_VER_V1, NGTCP2_PROTO_VER_V2};
  static const uint32_t prefer_v2[] = {NGTCP2_PROTO_VER_V2, NGTCP2_PROTO_VER_V1};
  const uint32_t *versions = p->version == NGTCP2_PROTO_VER_V2 ? prefer_v2 : prefer_v1;
  settings.preferred_versions = versions;
  settings.preferred_versionslen = 2;
  settings.available_versions = versions;
  settings.available_versionslen = 2;
  zq_conn_qlog_open(conn, &settings, &dcid);
  ngtcp2_callbacks cb;
  zq_conn_fill_callbacks(&cb, false);
  int rv = ngtcp2_conn_client_new(&conn->qc, &dcid, scid, &path, p->version, &cb, &settings,
                                  &params, NULL, conn);
  return rv ? zq_error_ngtcp2(rv, "ngtcp2_conn_client_new") : ZQUIC_OK;
}

int zq_client_start(zquic_connection *conn) {
  zq_client_params *p = conn->params;
  conn->params = NULL;
  conn->state = ZQ_CONN_HANDSHAKING;
  conn->client_cred = p->cred;
  p->cred = NULL;
  conn->verify_disabled = !p->verify;
  conn->key_update_bytes = p->key_update_bytes;
  conn->next_key_update_at = p->key_update_bytes;
  ngtcp2_cid scid;
  int rc = open_socket(conn, &p->remote);
  if (rc == 0) rc = new_ngtcp2_client(conn, p, &scid);
  if (rc == 0)
    /* conn->sni, not p->sni: GnuTLS keeps the pointer for the verification step. */
    rc = zq_tls_session_client(conn->client_cred, &p->alpn, conn->sni, p->verify, p->priority,
                               &conn->conn_ref, &conn->tls);
  if (rc == 0) {
    gnutls_handshake_set_hook_function(conn->tls, GNUTLS_HANDSHAKE_NEW_SESSION_TICKET,
                                       GNUTLS_HOOK_POST, ticket_hook);
    ngtcp2_conn_set_tls_native_handle(conn->qc, conn->tls);
    apply_session(conn, p);
    if ((rc = zq_cidmap_put(&conn->ep->cids, scid.data, scid.datalen, conn)) != 0)
      rc = zq_error(rc, "out of memory");
  }
  if (rc == 0) rc = zq_conn_io_start(conn);
  if (rc == 0) {
    zq_list_push_back(&conn->ctx->client_conns, &conn->list_node);
    if (conn->ctx->config.keep_alive_ms)
      ngtcp2_conn_set_keep_alive_timeout(conn->qc,
                                         (uint64_t)conn->ctx->config.keep_alive_ms * NGTCP2_MILLISECONDS);
    /* Early data over HTTP/3 needs the session before the handshake: its control streams and
     * the first requests all go out as 0-RTT. */
    if (conn->early_data_sent && strcmp(p->alpn.names[0], "h3") == 0) {
      snprintf(conn->alpn, sizeof(conn->alpn), "h3");
      rc = zq_h3_client_attach(conn);
    }
  }
  if (rc == 0) zq_conn_flush(conn);
  /* On failure the half-built parts are freed by the teardown the caller's close runs. */
  if (p->session) {
    gnutls_memset(p->session, 0, p->session_len);
    free(p->session);
  }
  free(p);
  return rc;
}
