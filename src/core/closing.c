/*
 * closing.c — what a server remembers of a connection it closed (RFC 9000 section 10.2.1).
 *
 * The connection's state is freed as soon as its CONNECTION_CLOSE is sent, but packets the peer
 * sent before that packet reached it are still on their way. Answering them with a Stateless
 * Reset (what an unknown connection ID gets) can reach the peer first and hide the reason we
 * closed: a DoQ client would see "stateless reset" instead of DOQ_PROTOCOL_ERROR. So for three
 * PTOs the endpoint keeps the connection IDs and a copy of the CONNECTION_CLOSE packet, and a
 * packet for one of those IDs gets that packet again, as the closing state prescribes.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_CIDS 8

typedef struct zq_closed_conn {
  zq_list_node node; /* ep->closed_list, oldest first */
  uint64_t expiry_ns;
  size_t n_cids;
  uint8_t cid_len[MAX_CIDS];
  uint8_t cids[MAX_CIDS][NGTCP2_MAX_CIDLEN];
  size_t len;
  uint8_t pkt[]; /* the CONNECTION_CLOSE datagram */
} zq_closed_conn;

static void forget(zq_endpoint *ep, zq_closed_conn *c) {
  for (size_t i = 0; i < c->n_cids; i++) zq_cidmap_del(&ep->closed, c->cids[i], c->cid_len[i]);
  zq_list_remove(&ep->closed_list, &c->node);
  free(c);
}

static void expire(zq_endpoint *ep, uint64_t now) {
  zq_list_node *n, *tmp;
  zq_list_for_each_safe(n, tmp, &ep->closed_list) {
    zq_closed_conn *c = zq_container_of(n, zq_closed_conn, node);
    if (c->expiry_ns > now) break; /* added in time order with similar PTOs: good enough */
    forget(ep, c);
  }
}

void zq_closing_remember(zquic_connection *conn, const uint8_t *pkt, size_t len) {
  zq_endpoint *ep = conn->ep;
  if (!ep || !ep->server || ep->closing || !conn->qc || len == 0) return;
  zq_closed_conn *c = calloc(1, sizeof(*c) + len);
  if (!c) return; /* then the peer gets a Stateless Reset: still correct, less informative */
  size_t n = ngtcp2_conn_get_scid(conn->qc, NULL);
  ngtcp2_cid *scids = n ? calloc(n, sizeof(*scids)) : NULL;
  if (!scids) {
    free(c);
    return;
  }
  n = ngtcp2_conn_get_scid(conn->qc, scids);
  uint64_t now = zq_now_ns();
  expire(ep, now);
  c->expiry_ns = now + 3 * ngtcp2_conn_get_pto(conn->qc);
  memcpy(c->pkt, pkt, len);
  c->len = len;
  for (size_t i = 0; i < n && i < MAX_CIDS; i++) {
    if (zq_cidmap_put(&ep->closed, scids[i].data, scids[i].datalen, c) != 0) continue;
    memcpy(c->cids[c->n_cids], scids[i].data, scids[i].datalen);
    c->cid_len[c->n_cids++] = (uint8_t)scids[i].datalen;
  }
  free(scids);
  if (!c->n_cids) {
    free(c);
    return;
  }
  zq_list_push_back(&ep->closed_list, &c->node);
}

bool zq_closing_answer(zq_endpoint *ep, const ngtcp2_path *path, const uint8_t *dcid,
                       size_t dcidlen) {
  if (zq_list_empty(&ep->closed_list)) return false;
  expire(ep, zq_now_ns());
  zq_closed_conn *c = zq_cidmap_get(&ep->closed, dcid, dcidlen);
  if (!c) return false;
  zq_endpoint_send(ep, path, c->pkt, c->len, 0);
  return true;
}

void zq_closing_clear(zq_endpoint *ep) {
  zq_list_node *n, *tmp;
  zq_list_for_each_safe(n, tmp, &ep->closed_list) free(zq_container_of(n, zq_closed_conn, node));
  zq_list_init(&ep->closed_list);
  zq_cidmap_clear(&ep->closed);
}
