/*
 * admission.c — what a server does with a packet from someone it has no connection for:
 * validate the client's address with Retry (always when configured, or when more than three
 * quarters of the connection slots are taken), accept a valid Retry or NEW_TOKEN token, answer
 * unknown versions with Version Negotiation, and answer short-header packets for forgotten
 * connections with a Stateless Reset (RFC 9000 10.3) so their peers stop at once instead of
 * waiting for an idle timeout.
 *
 * Tokens and reset tokens are derived from the server's random static secret; the secret never
 * leaves the process, and a restart simply invalidates old tokens.
 */
#include <string.h>

#include "internal.h"

#define RETRY_TOKEN_LIFETIME (10 * NGTCP2_SECONDS)
#define REGULAR_TOKEN_LIFETIME (3600 * NGTCP2_SECONDS)
#define RESETS_PER_SECOND 100

static bool under_load(const zquic_server *srv) {
  return zq_server_total_connections(srv) * 4 >= (size_t)srv->max_connections * 3;
}

static void send_retry(zq_endpoint *ep, const ngtcp2_path *path, const ngtcp2_pkt_hd *hd) {
  zquic_server *srv = ep->server;
  ngtcp2_cid retry_scid;
  retry_scid.datalen = ZQ_CID_LEN;
  zq_rand_cb(retry_scid.data, retry_scid.datalen, NULL);
  uint8_t token[NGTCP2_CRYPTO_MAX_RETRY_TOKENLEN2];
  ngtcp2_ssize tokenlen = ngtcp2_crypto_generate_retry_token2(
    token, srv->static_secret, sizeof(srv->static_secret), hd->version, path->remote.addr,
    path->remote.addrlen, &retry_scid, &hd->dcid, zq_conn_ts());
  if (tokenlen < 0) return;
  uint8_t pkt[ZQ_MAX_UDP_PAYLOAD];
  ngtcp2_ssize n = ngtcp2_crypto_write_retry(pkt, sizeof(pkt), hd->version, &hd->scid, &retry_scid,
                                             &hd->dcid, token, (size_t)tokenlen);
  if (n > 0) zq_endpoint_send(ep, path, pkt, (size_t)n, 0);
}

int zq_server_admit(zq_endpoint *ep, const ngtcp2_path *path, const ngtcp2_pkt_hd *hd,
                    zq_admission *out) {
  zquic_server *srv = ep->server;
  memset(out, 0, sizeof(*out));
  out->odcid = hd->dcid;
  out->token_type = NGTCP2_TOKEN_TYPE_UNKNOWN;
  ngtcp2_tstamp now = zq_conn_ts();
  if (hd->tokenlen > 0 && hd->token[0] == NGTCP2_CRYPTO_TOKEN_MAGIC_RETRY2) {
    /* The answer to our Retry: valid means the address is proven; invalid means forged. */
    if (ngtcp2_crypto_verify_retry_token2(&out->odcid, hd->token, hd->tokenlen, srv->static_secret,
                                          sizeof(srv->static_secret), hd->version,
                                          path->remote.addr, path->remote.addrlen, &hd->dcid,
                                          RETRY_TOKEN_LIFETIME, now) != 0)
      return ZQ_ADMIT_DROP;
    out->retry_scid = hd->dcid;
    out->retried = true;
    out->token_type = NGTCP2_TOKEN_TYPE_RETRY;
    return ZQ_ADMIT_ACCEPT;
  }
  if (hd->tokenlen > 0 && hd->token[0] == NGTCP2_CRYPTO_TOKEN_MAGIC_REGULAR &&
      ngtcp2_crypto_verify_regular_token(hd->token, hd->tokenlen, srv->static_secret,
                                         sizeof(srv->static_secret), path->remote.addr,
                                         path->remote.addrlen, REGULAR_TOKEN_LIFETIME, now) == 0) {
    out->token_type = NGTCP2_TOKEN_TYPE_NEW_TOKEN; /* validated by an earlier connection */
    return ZQ_ADMIT_ACCEPT;
  }
  if (srv->retry || under_load(srv)) {
    send_retry(ep, path, hd);
    return ZQ_ADMIT_RETRIED;
  }
  return ZQ_ADMIT_ACCEPT;
}

void zq_server_send_new_token(zquic_connection *conn) {
  zquic_server *srv = conn->server;
  uint8_t token[NGTCP2_CRYPTO_MAX_REGULAR_TOKENLEN];
  const ngtcp2_path *path = ngtcp2_conn_get_path(conn->qc);
  ngtcp2_ssize n = ngtcp2_crypto_generate_regular_token(
    token, srv->static_secret, sizeof(srv->static_secret), path->remote.addr,
    path->remote.addrlen, zq_conn_ts());
  if (n > 0) ngtcp2_conn_submit_new_token(conn->qc, token, (size_t)n);
}

void zq_server_version_negotiation(zq_endpoint *ep, const ngtcp2_path *path,
                                   const ngtcp2_version_cid *vc) {
  zquic_server *srv = ep->server;
  uint8_t buf[ZQ_MAX_UDP_PAYLOAD], unused;
  zq_rand_cb(&unused, 1, NULL);
  ngtcp2_ssize n = ngtcp2_pkt_write_version_negotiation(buf, sizeof(buf), unused, vc->scid,
                                                        vc->scidlen, vc->dcid, vc->dcidlen,
                                                        srv->versions, srv->n_versions);
  if (n > 0) zq_endpoint_send(ep, path, buf, (size_t)n, 0);
}

void zq_server_stateless_reset(zq_endpoint *ep, const ngtcp2_path *path, const uint8_t *dcid,
                               size_t dcidlen, size_t received_len) {
  zquic_server *srv = ep->server;
  /* Smaller than what triggered it (so two endpoints can never loop) and at least the minimum
   * size that still looks like a short-header packet. */
  const size_t min_len = 1 + NGTCP2_MIN_STATELESS_RESET_RANDLEN + NGTCP2_STATELESS_RESET_TOKENLEN;
  if (dcidlen != ZQ_CID_LEN || received_len <= min_len) return;
  uint64_t second = zq_conn_ts() / NGTCP2_SECONDS;
  if (second != srv->reset_second) {
    srv->reset_second = second;
    srv->resets_this_second = 0;
  }
  if (++srv->resets_this_second > RESETS_PER_SECOND) return;
  ngtcp2_cid cid;
  ngtcp2_cid_init(&cid, dcid, dcidlen);
  uint8_t token[NGTCP2_STATELESS_RESET_TOKENLEN];
  if (ngtcp2_crypto_generate_stateless_reset_token(token, srv->static_secret,
                                                   sizeof(srv->static_secret), &cid) != 0)
    return;
  uint8_t rand[64], buf[128];
  size_t randlen = received_len - 2 - NGTCP2_STATELESS_RESET_TOKENLEN; /* one byte smaller */
  if (randlen > sizeof(rand)) randlen = sizeof(rand);
  zq_rand_cb(rand, randlen, NULL);
  ngtcp2_ssize n = ngtcp2_pkt_write_stateless_reset(buf, sizeof(buf), token, rand, randlen);
  if (n > 0) zq_endpoint_send(ep, path, buf, (size_t)n, 0);
}

/* No room (max_connections) or not accepting: say so with CONNECTION_REFUSED at once instead of
 * letting the client wait out its handshake timeout. Nothing is allocated for the attempt. */
void zq_server_refuse(zq_endpoint *ep, const ngtcp2_path *path, const ngtcp2_pkt_hd *hd,
                      const char *reason) {
  uint8_t buf[ZQ_MAX_UDP_PAYLOAD];
  ngtcp2_ssize n = ngtcp2_crypto_write_connection_close(
    buf, sizeof(buf), hd->version, &hd->scid, &hd->dcid, NGTCP2_CONNECTION_REFUSED,
    (const uint8_t *)reason, strlen(reason));
  if (n > 0) zq_endpoint_send(ep, path, buf, (size_t)n, 0);
}
