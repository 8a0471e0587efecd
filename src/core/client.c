/*
 * client.c — the public connection API: connecting (resolve, handshake, verify), closing, and
 * facts about a connection.
 *
 * Name resolution runs on the calling thread before the lock is taken, so a slow resolver never
 * stalls the loop; only the socket and ngtcp2 set-up are handed to the loop thread.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

ZQUIC_API void zquic_connect_options_init(zquic_connect_options *opts) {
  if (!opts) return;
  memset(opts, 0, sizeof(*opts));
  opts->struct_size = sizeof(*opts);
}

struct connect_args {
  zquic_context *ctx;
  zq_addr remote;
  zq_alpn_list alpn;
  const char *sni;
  gnutls_certificate_credentials_t cred;
  bool verify;
  zquic_connection *conn;
};

static int connect_on_loop(void *arg) {
  struct connect_args *a = arg;
  return zq_conn_client_new(a->ctx, &a->remote, &a->alpn, a->sni, a->cred, a->verify, &a->conn);
}

static int copy_options(const zquic_connect_options *in, zquic_connect_options *out) {
  zquic_connect_options_init(out);
  if (!in) return ZQUIC_OK;
  if (in->struct_size == 0 || in->struct_size > sizeof(*out))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT,
                    "zquic_connect_options.struct_size is %zu: call zquic_connect_options_init",
                    in->struct_size);
  memcpy(out, in, in->struct_size);
  return ZQUIC_OK;
}

ZQUIC_API int zquic_create_connection_ex(zquic_context *ctx, const char *address,
                                         const zquic_connect_options *opts_in,
                                         zquic_connection **out) {
  if (!ctx || !address || !out)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "zquic_create_connection: NULL argument");
  *out = NULL;
  if (zq_on_loop_thread(ctx))
    return zq_error(ZQUIC_ERR_LOOP_THREAD, "connecting blocks: not allowed on the loop thread");
  zquic_connect_options opts;
  int rc = copy_options(opts_in, &opts);
  if (rc) return rc;
  struct connect_args a = {.ctx = ctx};
  char host[256];
  uint16_t port;
  if ((rc = zq_addr_split(address, host, sizeof(host), &port)) != 0) return rc;
  if (port == 0) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "address \"%s\": port 0", address);
  if ((rc = zq_addr_resolve(host, port, 0, &a.remote)) != 0) return rc;
  if ((rc = zq_alpn_parse(opts.alpn ? opts.alpn : ctx->alpn, &a.alpn)) != 0) return rc;
  a.sni = opts.sni ? opts.sni : host;
  if (strlen(a.sni) >= 256) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "SNI longer than 255");
  a.verify = !(opts.insecure_skip_verify_DANGEROUS || ctx->config.insecure_skip_verify_DANGEROUS);
  const char *ca = opts.ca_file ? opts.ca_file : ctx->ca_file;
  if ((rc = zq_tls_client_cred(ca, &a.cred)) != 0) return rc;
  int timeout_ms = opts.timeout_ms > 0 ? opts.timeout_ms : (int)ctx->config.connection_timeout_ms;

  pthread_mutex_lock(&ctx->lock);
  rc = zq_ctx_call(ctx, connect_on_loop, &a);
  if (rc) {
    gnutls_certificate_free_credentials(a.cred);
    pthread_mutex_unlock(&ctx->lock);
    return rc;
  }
  zquic_connection *conn = a.conn;
  uint64_t deadline = zq_deadline_from_timeout(timeout_ms);
  while (conn->state == ZQ_CONN_HANDSHAKING) {
    if (!zq_ctx_wait(ctx, deadline)) break;
  }
  if (conn->state == ZQ_CONN_HANDSHAKING) {
    rc = zq_error(ZQUIC_ERR_TIMEOUT, "connect %s: no handshake within %d ms", address, timeout_ms);
  } else if (conn->state != ZQ_CONN_ESTABLISHED) {
    rc = zq_error(conn->close_code ? conn->close_code : ZQUIC_ERR_HANDSHAKE, "connect %s: %s",
                  address, conn->close_reason[0] ? conn->close_reason : "handshake failed");
  }
  pthread_mutex_unlock(&ctx->lock);
  if (rc) {
    zquic_close_connection(conn);
    return rc;
  }
  *out = conn;
  zq_error_clear();
  return ZQUIC_OK;
}

ZQUIC_API int zquic_create_connection(zquic_context *ctx, const char *address,
                                      zquic_connection **out) {
  return zquic_create_connection_ex(ctx, address, NULL, out);
}

static int close_on_loop(void *arg) {
  zquic_connection *conn = arg;
  if (conn->qc) zq_conn_close_now(conn, conn->h3 ? NGHTTP3_H3_NO_ERROR : conn->close_app_error, NULL);
  conn->user_held = false;
  zq_conn_release(conn);
  return 0;
}

ZQUIC_API void zquic_close_connection(zquic_connection *conn) {
  if (!conn) return;
  zquic_context *ctx = conn->ctx;
  bool taken = zq_ctx_enter(ctx);
  if (conn->user_held) zq_ctx_call(ctx, close_on_loop, conn);
  zq_ctx_leave(ctx, taken);
}

ZQUIC_API const char *zquic_connection_alpn(const zquic_connection *conn) {
  if (!conn) return "";
  return conn->alpn;
}
