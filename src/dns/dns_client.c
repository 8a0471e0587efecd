/*
 * dns_client.c — zquic_dns_client: a DoQ client for one server that reuses its connection
 * (kept by keeper.c, which a gRPC channel uses too).
 *
 * RFC 9250 expects clients to keep a connection for many queries and to resume with 0-RTT, so
 * that a query after a pause costs no handshake round trip. The client keeps the newest session
 * blob the server gave (a ticket plus its transport parameters) and offers it on the next
 * connection; a query the server refuses in 0-RTT (ZQUIC_ERR_EARLY_DATA_REJECTED) is asked again
 * once, after the handshake. The mutex only guards which connection is current; queries run
 * concurrently on it, one stream each.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../core/keeper.h"

struct zquic_dns_client {
  zq_keeper keeper;                /* blocking connects; sessions kept for 0-RTT */
  unsigned early_connects;         /* guarded by keeper.lock */
  zquic_connection *early_unknown; /* made with 0-RTT, verdict not known yet */
};

ZQUIC_API int zquic_dns_client_create(zquic_context *ctx, const char *server,
                                      const zquic_connect_options *opts,
                                      zquic_dns_client **out) {
  if (out) *out = NULL;
  if (!ctx || !server || !out) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  zquic_dns_client *c = calloc(1, sizeof(*c));
  if (!c) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  int rc = zq_keeper_init(&c->keeper, ctx, server, opts, "doq", false, true);
  if (rc) {
    free(c);
    return rc;
  }
  *out = c;
  return ZQUIC_OK;
}

/* The current connection with a reference; remember to learn whether a fresh 0-RTT one was
 * accepted. */
static int get_conn(zquic_dns_client *c, zquic_connection **out) {
  bool fresh = false;
  bool early = c->keeper.opts.enable_0rtt;
  int rc = zq_keeper_get(&c->keeper, out, &fresh);
  if (rc == 0 && fresh && early) {
    pthread_mutex_lock(&c->keeper.lock);
    c->early_unknown = *out;
    pthread_mutex_unlock(&c->keeper.lock);
  }
  return rc;
}

/* After a query the handshake has ended: count a connection whose 0-RTT was accepted. */
static void note_early_verdict(zquic_dns_client *c, zquic_connection *conn) {
  pthread_mutex_lock(&c->keeper.lock);
  if (c->early_unknown == conn) {
    zquic_connection_info info;
    memset(&info, 0, sizeof(info));
    info.struct_size = sizeof(info);
    if (zquic_get_connection_info(conn, &info) == 0 && info.early_data != ZQUIC_EARLY_DATA_NONE) {
      if (info.early_data == ZQUIC_EARLY_DATA_ACCEPTED) c->early_connects++;
      c->early_unknown = NULL;
    }
  }
  pthread_mutex_unlock(&c->keeper.lock);
}

ZQUIC_API int zquic_dns_client_query(zquic_dns_client *client, const char *name, int type,
                                     const zquic_dns_query_options *opts,
                                     zquic_dns_response **out) {
  if (out) *out = NULL;
  if (!client || !out) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  if (zq_on_loop_thread(client->keeper.ctx))
    return zq_error(ZQUIC_ERR_LOOP_THREAD, "zquic_dns_client_query blocks: not on the loop thread");
  int rc = ZQUIC_OK;
  for (int attempt = 0; attempt < 2; attempt++) {
    zquic_connection *conn = NULL;
    rc = get_conn(client, &conn);
    if (rc || !conn) return rc ? rc : ZQUIC_ERR_INTERNAL;
    rc = zquic_dns_query_ex(conn, name, type, opts, out);
    note_early_verdict(client, conn);
    zq_keeper_put(conn);
    /* Refused in 0-RTT: the connection carries on after its handshake; ask again once. */
    if (rc != ZQUIC_ERR_EARLY_DATA_REJECTED) break;
  }
  return rc;
}

ZQUIC_API unsigned zquic_dns_client_connects(const zquic_dns_client *client) {
  return client ? client->keeper.connects : 0;
}

ZQUIC_API unsigned zquic_dns_client_early_connects(const zquic_dns_client *client) {
  return client ? client->early_connects : 0;
}

ZQUIC_API void zquic_dns_client_free(zquic_dns_client *client) {
  if (!client) return;
  zq_keeper_clear(&client->keeper);
  free(client);
}
