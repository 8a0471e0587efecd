/*
 * dns_client.c — zquic_dns_client: a DoQ client for one server that reuses its connection.
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

#include "../core/internal.h"

#define MAX_SESSION 8192

struct zquic_dns_client {
  zquic_context *ctx;
  char *server, *sni, *ca_file, *ciphers;
  zquic_connect_options opts;
  pthread_mutex_t lock;
  zquic_connection *conn;
  uint8_t *session; /* the newest resumption blob (wiped on free) */
  size_t session_len;
  unsigned connects, early_connects;
  zquic_connection *early_unknown; /* made with 0-RTT, not yet known whether it was accepted */
};

static char *dup_opt(const char *s, bool *failed) {
  if (!s) return NULL;
  char *d = strdup(s);
  if (!d) *failed = true;
  return d;
}

ZQUIC_API int zquic_dns_client_create(zquic_context *ctx, const char *server,
                                      const zquic_connect_options *opts,
                                      zquic_dns_client **out) {
  if (out) *out = NULL;
  if (!ctx || !server || !out) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  if (opts && (opts->struct_size == 0 || opts->struct_size > sizeof(zquic_connect_options)))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "connect options: call zquic_connect_options_init");
  char host[256];
  uint16_t port;
  if (zq_addr_split(server, host, sizeof(host), &port) != 0)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "server must be host:port (got \"%.80s\")", server);
  zquic_dns_client *c = calloc(1, sizeof(*c));
  if (!c) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  zquic_connect_options_init(&c->opts);
  if (opts) memcpy(&c->opts, opts, opts->struct_size);
  bool failed = false;
  c->server = dup_opt(server, &failed);
  c->sni = dup_opt(c->opts.sni, &failed);
  c->ca_file = dup_opt(c->opts.ca_file, &failed);
  c->ciphers = dup_opt(c->opts.tls_ciphers, &failed);
  c->opts.alpn = "doq";
  c->opts.sni = c->sni;
  c->opts.ca_file = c->ca_file;
  c->opts.tls_ciphers = c->ciphers;
  c->opts.session = NULL; /* the client keeps its own, newest blob */
  c->opts.session_len = 0;
  c->ctx = ctx;
  pthread_mutex_init(&c->lock, NULL);
  if (failed) {
    zquic_dns_client_free(c);
    return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  }
  *out = c;
  return ZQUIC_OK;
}

/* Keep the newest session blob of the current connection (lock held). */
static void save_session(zquic_dns_client *c) {
  size_t len = 0;
  if (!c->conn || zquic_connection_session(c->conn, NULL, 0, &len) != ZQUIC_ERR_LIMIT ||
      len == 0 || len > MAX_SESSION)
    return;
  uint8_t *blob = malloc(len);
  if (!blob) return;
  if (zquic_connection_session(c->conn, blob, len, &len) != ZQUIC_OK) {
    free(blob);
    return;
  }
  if (c->session) zquic_crypto_memzero(c->session, c->session_len);
  free(c->session);
  c->session = blob;
  c->session_len = len;
}

static bool usable(zquic_connection *conn) {
  bool taken = zq_ctx_enter(conn->ctx);
  bool ok = zq_conn_check_open(conn) == ZQUIC_OK;
  zq_ctx_leave(conn->ctx, taken);
  return ok;
}

/* The current connection with a reference for the caller (drop it with put_conn). */
static int get_conn(zquic_dns_client *c, zquic_connection **out) {
  pthread_mutex_lock(&c->lock);
  int rc = ZQUIC_OK;
  save_session(c);
  if (c->conn && !usable(c->conn)) {
    if (c->early_unknown == c->conn) c->early_unknown = NULL;
    zquic_close_connection(c->conn);
    c->conn = NULL;
  }
  if (!c->conn) {
    zquic_connect_options o = c->opts;
    o.session = c->session;
    o.session_len = c->session_len;
    o.enable_0rtt = c->opts.enable_0rtt && c->session;
    rc = zquic_create_connection_ex(c->ctx, c->server, &o, &c->conn);
    if (rc == 0) {
      c->connects++;
      /* With 0-RTT the call returns before the handshake: the verdict comes later. */
      c->early_unknown = o.enable_0rtt ? c->conn : NULL;
    }
  }
  if (rc == 0 && c->conn) {
    bool taken = zq_ctx_enter(c->ctx);
    c->conn->refs++;
    zq_ctx_leave(c->ctx, taken);
    *out = c->conn;
  }
  pthread_mutex_unlock(&c->lock);
  return rc;
}

static void put_conn(zquic_connection *conn) {
  zquic_context *ctx = conn->ctx; /* the release may free conn */
  bool taken = zq_ctx_enter(ctx);
  zq_conn_release(conn);
  zq_ctx_leave(ctx, taken);
}

/* After a query the handshake has ended: count a connection whose 0-RTT was accepted. */
static void note_early_verdict(zquic_dns_client *c, zquic_connection *conn) {
  pthread_mutex_lock(&c->lock);
  if (c->early_unknown == conn) {
    zquic_connection_info info;
    memset(&info, 0, sizeof(info));
    info.struct_size = sizeof(info);
    if (zquic_get_connection_info(conn, &info) == 0 && info.early_data != ZQUIC_EARLY_DATA_NONE) {
      if (info.early_data == ZQUIC_EARLY_DATA_ACCEPTED) c->early_connects++;
      c->early_unknown = NULL;
    }
  }
  pthread_mutex_unlock(&c->lock);
}

ZQUIC_API int zquic_dns_client_query(zquic_dns_client *client, const char *name, int type,
                                     const zquic_dns_query_options *opts,
                                     zquic_dns_response **out) {
  if (out) *out = NULL;
  if (!client || !out) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  if (zq_on_loop_thread(client->ctx))
    return zq_error(ZQUIC_ERR_LOOP_THREAD, "zquic_dns_client_query blocks: not on the loop thread");
  int rc = ZQUIC_OK;
  for (int attempt = 0; attempt < 2; attempt++) {
    zquic_connection *conn = NULL;
    rc = get_conn(client, &conn);
    if (rc || !conn) return rc ? rc : ZQUIC_ERR_INTERNAL;
    rc = zquic_dns_query_ex(conn, name, type, opts, out);
    note_early_verdict(client, conn);
    put_conn(conn);
    /* Refused in 0-RTT: the connection carries on after its handshake; ask again once. */
    if (rc != ZQUIC_ERR_EARLY_DATA_REJECTED) break;
  }
  return rc;
}

ZQUIC_API unsigned zquic_dns_client_connects(const zquic_dns_client *client) {
  return client ? client->connects : 0;
}

ZQUIC_API unsigned zquic_dns_client_early_connects(const zquic_dns_client *client) {
  return client ? client->early_connects : 0;
}

ZQUIC_API void zquic_dns_client_free(zquic_dns_client *client) {
  if (!client) return;
  if (client->conn) zquic_close_connection(client->conn);
  if (client->session) zquic_crypto_memzero(client->session, client->session_len);
  free(client->session);
  pthread_mutex_destroy(&client->lock);
  free(client->server);
  free(client->sni);
  free(client->ca_file);
  free(client->ciphers);
  free(client);
}
