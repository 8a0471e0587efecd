/*
 * keeper.c — a kept connection (see keeper.h).
 *
 * The mutex only guards which connection is current; callers run their calls on it
 * concurrently. Each caller takes its own reference before the mutex is let go, so replacing a
 * closed connection never frees one a call still uses. With keep_session the newest resumption
 * blob the server gave is kept and offered on the next connection (0-RTT when the options ask
 * for it), so a call after a pause costs no handshake round trip.
 */
#include <stdlib.h>
#include <string.h>

#include "keeper.h"

#define MAX_SESSION 8192

static char *dup_opt(const char *s, bool *failed) {
  if (!s) return NULL;
  char *d = strdup(s);
  if (!d) *failed = true;
  return d;
}

int zq_keeper_init(zq_keeper *k, zquic_context *ctx, const char *target,
                   const zquic_connect_options *opts, const char *alpn, bool async_connect,
                   bool keep_session) {
  memset(k, 0, sizeof(*k));
  if (opts && (opts->struct_size == 0 || opts->struct_size > sizeof(zquic_connect_options)))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "connect options: call zquic_connect_options_init");
  char host[256];
  uint16_t port;
  if (zq_addr_split(target, host, sizeof(host), &port) != 0)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "target must be host:port (got \"%.80s\")", target);
  zquic_connect_options_init(&k->opts);
  if (opts) memcpy(&k->opts, opts, opts->struct_size);
  bool failed = false;
  k->target = dup_opt(target, &failed);
  k->sni = dup_opt(k->opts.sni, &failed);
  k->ca_file = dup_opt(k->opts.ca_file, &failed);
  k->ciphers = dup_opt(k->opts.tls_ciphers, &failed);
  k->opts.alpn = alpn;
  k->opts.sni = k->sni;
  k->opts.ca_file = k->ca_file;
  k->opts.tls_ciphers = k->ciphers;
  k->opts.session = NULL; /* a caller's blob is for one connection, not every reconnect */
  k->opts.session_len = 0;
  if (!keep_session) k->opts.enable_0rtt = 0;
  k->ctx = ctx;
  k->async_connect = async_connect;
  k->keep_session = keep_session;
  pthread_mutex_init(&k->lock, NULL);
  if (failed) {
    zq_keeper_clear(k);
    return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  }
  return ZQUIC_OK;
}

void zq_keeper_clear(zq_keeper *k) {
  if (k->conn) zquic_close_connection(k->conn);
  k->conn = NULL;
  if (k->session) zquic_crypto_memzero(k->session, k->session_len);
  free(k->session);
  pthread_mutex_destroy(&k->lock);
  free(k->target);
  free(k->sni);
  free(k->ca_file);
  free(k->ciphers);
  k->target = k->sni = k->ca_file = k->ciphers = NULL;
  k->session = NULL;
}

void zq_keeper_save_session(zq_keeper *k) {
  size_t len = 0;
  if (!k->keep_session || !k->conn ||
      zquic_connection_session(k->conn, NULL, 0, &len) != ZQUIC_ERR_LIMIT || len == 0 ||
      len > MAX_SESSION)
    return;
  uint8_t *blob = malloc(len);
  if (!blob) return;
  if (zquic_connection_session(k->conn, blob, len, &len) != ZQUIC_OK) {
    free(blob);
    return;
  }
  if (k->session) zquic_crypto_memzero(k->session, k->session_len);
  free(k->session);
  k->session = blob;
  k->session_len = len;
}

static bool usable(zquic_connection *conn) {
  bool taken = zq_ctx_enter(conn->ctx);
  /* An async connect still resolving its name has no transport yet, but is not closed. */
  bool ok = !conn->close_requested &&
            (conn->state == ZQ_CONN_RESOLVING || zq_conn_check_open(conn) == ZQUIC_OK);
  zq_ctx_leave(conn->ctx, taken);
  return ok;
}

int zq_keeper_get(zq_keeper *k, zquic_connection **out, bool *fresh) {
  *out = NULL;
  if (fresh) *fresh = false;
  pthread_mutex_lock(&k->lock);
  int rc = ZQUIC_OK;
  zq_keeper_save_session(k);
  if (k->conn && !usable(k->conn)) {
    zquic_close_connection(k->conn);
    k->conn = NULL;
  }
  if (!k->conn) {
    zquic_connect_options o = k->opts;
    o.session = k->session;
    o.session_len = k->session_len;
    o.enable_0rtt = k->opts.enable_0rtt && k->session;
    rc = k->async_connect ? zquic_connect_async(k->ctx, k->target, &o, &k->conn)
                          : zquic_create_connection_ex(k->ctx, k->target, &o, &k->conn);
    if (rc == 0) {
      k->connects++;
      if (fresh) *fresh = true;
    }
  }
  if (rc == 0 && !k->conn) rc = zq_error(ZQUIC_ERR_INTERNAL, "no connection");
  if (rc == 0 && k->conn) {
    bool taken = zq_ctx_enter(k->ctx);
    k->conn->refs++;
    zq_ctx_leave(k->ctx, taken);
    *out = k->conn;
  }
  pthread_mutex_unlock(&k->lock);
  return rc;
}

void zq_keeper_put(zquic_connection *conn) {
  zquic_context *ctx = conn->ctx; /* the release may free conn */
  bool taken = zq_ctx_enter(ctx);
  zq_conn_release(conn);
  zq_ctx_leave(ctx, taken);
}
