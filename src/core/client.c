/*
 * client.c — client connections: connecting (resolve, handshake, verify), synchronously or
 * asynchronously, resuming sessions with 0-RTT, and closing.
 *
 * A synchronous connect resolves on the calling thread, then hands the socket and ngtcp2 set-up to
 * the loop thread and waits for the handshake. An asynchronous one returns a connection at once;
 * names are resolved with uv_getaddrinfo in libuv's thread pool and the outcome arrives as an event.
 * With a session blob and enable_0rtt the connection is usable immediately: streams and HTTP/3
 * requests opened before the handshake completes travel as early data.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "tls.h"

ZQUIC_API void zquic_connect_options_init(zquic_connect_options *opts) {
  if (!opts) return;
  memset(opts, 0, sizeof(*opts));
  opts->struct_size = sizeof(*opts);
}

void zq_client_params_free(zq_client_params *p) {
  if (!p) return;
  if (p->cred) gnutls_certificate_free_credentials(p->cred);
  if (p->session) {
    gnutls_memset(p->session, 0, p->session_len);
    free(p->session);
  }
  free(p);
}

/* TLS 1.3 suite names (IANA) to GnuTLS priority keywords. */
static int ciphers_to_priority(const char *list, char *out, size_t cap) {
  static const struct {
    const char *iana, *gnutls;
  } suites[] = {{"TLS_AES_128_GCM_SHA256", "+AES-128-GCM"},
                {"TLS_AES_256_GCM_SHA384", "+AES-256-GCM"},
                {"TLS_CHACHA20_POLY1305_SHA256", "+CHACHA20-POLY1305"},
                {"TLS_AES_128_CCM_SHA256", "+AES-128-CCM"}};
  int n = snprintf(out, cap, "%%DISABLE_TLS13_COMPAT_MODE:NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL");
  const char *p = list;
  while (*p) {
    size_t len = strcspn(p, ",");
    size_t i;
    for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
      if (strlen(suites[i].iana) == len && strncmp(p, suites[i].iana, len) == 0) break;
    if (i == sizeof(suites) / sizeof(suites[0]))
      return zq_error(ZQUIC_ERR_INVALID_ARGUMENT,
                      "unknown TLS 1.3 cipher suite \"%.*s\" (known: TLS_AES_128_GCM_SHA256, "
                      "TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256, "
                      "TLS_AES_128_CCM_SHA256)", (int)len, p);
    n += snprintf(out + n, cap - (size_t)n, ":%s", suites[i].gnutls);
    p += len;
    if (*p == ',') p++;
  }
  snprintf(out + n, cap - (size_t)n,
           ":-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:+GROUP-SECP521R1");
  return ZQUIC_OK;
}

/* Everything about the connection that can be checked before any socket exists. */
static int build_params(zquic_context *ctx, const zquic_connect_options *o, const char *host,
                        zq_client_params **out) {
  zq_client_params *p = calloc(1, sizeof(*p));
  if (!p) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  int rc = zq_alpn_parse(o->alpn ? o->alpn : ctx->alpn, &p->alpn);
  const char *sni = o->sni ? o->sni : host;
  if (rc == 0 && strlen(sni) >= sizeof(p->sni))
    rc = zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "SNI longer than 255 bytes");
  if (rc == 0 && o->quic_version != 0 && o->quic_version != 1 && o->quic_version != 2)
    rc = zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "quic_version must be 1 or 2, not %u", o->quic_version);
  if (rc == 0 && o->tls_ciphers) rc = ciphers_to_priority(o->tls_ciphers, p->priority, sizeof(p->priority));
  if (rc == 0 && (o->session_len > 65536 || (!o->session) != (o->session_len == 0)))
    rc = zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "session blob: NULL with a length, or over 64 KiB");
  if (rc == 0 && o->session && o->session_len > 0) {
    if (!(p->session = malloc(o->session_len))) rc = zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
    else memcpy(p->session, o->session, p->session_len = o->session_len);
  }
  if (rc == 0) {
    snprintf(p->sni, sizeof(p->sni), "%s", sni);
    p->verify = !(o->insecure_skip_verify_DANGEROUS || ctx->config.insecure_skip_verify_DANGEROUS);
    p->enable_0rtt = o->enable_0rtt && o->session;
    p->version = o->quic_version == 2 ? NGTCP2_PROTO_VER_V2 : NGTCP2_PROTO_VER_V1;
    p->key_update_bytes = o->key_update_bytes;
    rc = zq_tls_client_cred(o->ca_file ? o->ca_file : ctx->ca_file, &p->cred);
  }
  if (rc) {
    zq_client_params_free(p);
    return rc;
  }
  *out = p;
  return ZQUIC_OK;
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

/* Parse the address and options shared by both connect calls. */
static int prepare(zquic_context *ctx, const char *address, const zquic_connect_options *opts_in,
                   char *host, size_t host_cap, uint16_t *port, zq_client_params **params) {
  zquic_connect_options opts;
  int rc = copy_options(opts_in, &opts);
  if (rc) return rc;
  if ((rc = zq_addr_split(address, host, host_cap, port)) != 0) return rc;
  if (*port == 0) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "address \"%s\": port 0", address);
  return build_params(ctx, &opts, host, params);
}

static int start_on_loop(void *arg) { return zq_client_start(arg); }

static zquic_connection *new_client(zquic_context *ctx, zq_client_params *params) {
  zquic_connection *conn = zq_conn_alloc(ctx);
  if (!conn) return NULL;
  conn->params = params;
  conn->state = ZQ_CONN_RESOLVING;
  conn->refs++; /* the caller's handle */
  conn->user_held = true;
  snprintf(conn->sni, sizeof(conn->sni), "%s", params->sni);
  return conn;
}

ZQUIC_API int zquic_create_connection_ex(zquic_context *ctx, const char *address,
                                         const zquic_connect_options *opts,
                                         zquic_connection **out) {
  if (!ctx || !address || !out)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "zquic_create_connection: NULL argument");
  *out = NULL;
  if (zq_on_loop_thread(ctx))
    return zq_error(ZQUIC_ERR_LOOP_THREAD, "connecting blocks: not allowed on the loop thread");
  char host[256];
  uint16_t port;
  zq_client_params *params = NULL;
  int rc = prepare(ctx, address, opts, host, sizeof(host), &port, &params);
  if (rc || !params) return rc ? rc : ZQUIC_ERR_INTERNAL;
  if ((rc = zq_addr_resolve(host, port, 0, &params->remote)) != 0) {
    zq_client_params_free(params);
    return rc;
  }
  int timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms
                                                : (int)ctx->config.connection_timeout_ms;
  bool early = params->enable_0rtt;
  pthread_mutex_lock(&ctx->lock);
  zquic_connection *conn = new_client(ctx, params);
  if (!conn) {
    zq_client_params_free(params);
    zq_ctx_unlock(ctx);
    return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  }
  rc = zq_ctx_call(ctx, start_on_loop, conn);
  uint64_t deadline = zq_deadline_from_timeout(timeout_ms);
  /* With 0-RTT the connection is usable before the handshake ends: return at once. */
  while (rc == 0 && conn->state == ZQ_CONN_HANDSHAKING && !early)
    if (!zq_ctx_wait(ctx, deadline)) break;
  if (rc) {
    /* zq_client_start set the detail */
  } else if (conn->state == ZQ_CONN_HANDSHAKING && !early) {
    rc = zq_error(ZQUIC_ERR_TIMEOUT, "connect %s: no handshake within %d ms", address, timeout_ms);
  } else if (conn->state != ZQ_CONN_ESTABLISHED && conn->state != ZQ_CONN_HANDSHAKING) {
    rc = zq_error(conn->close_code ? conn->close_code : ZQUIC_ERR_HANDSHAKE, "connect %s: %s",
                  address, conn->close_reason[0] ? conn->close_reason : "handshake failed");
  }
  zq_ctx_unlock(ctx);
  if (rc) {
    char detail[512];
    snprintf(detail, sizeof(detail), "%s", zquic_last_error());
    zquic_close_connection(conn);
    return zq_error(rc, "%s", detail);
  }
  *out = conn;
  zq_error_clear();
  return ZQUIC_OK;
}

ZQUIC_API int zquic_create_connection(zquic_context *ctx, const char *address,
                                      zquic_connection **out) {
  return zquic_create_connection_ex(ctx, address, NULL, out);
}

/* ---- asynchronous connect ------------------------------------------------------------------ */

typedef struct resolve_job {
  uv_getaddrinfo_t req;
  zquic_connection *conn;
} resolve_job;

static void fail_async(zquic_connection *conn, int code, const char *detail) {
  conn->close_code = code;
  snprintf(conn->close_reason, sizeof(conn->close_reason), "%.255s", detail);
  zq_conn_teardown(conn); /* emits ZQUIC_EVENT_ERROR */
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
  resolve_job *job = req->data;
  zquic_connection *conn = job->conn;
  zquic_context *ctx = conn->ctx;
  pthread_mutex_lock(&ctx->lock);
  conn->resolve_pending = false;
  if (!conn->user_held) {
    zq_conn_teardown(conn); /* closed by its user while resolving */
  } else if (conn->state == ZQ_CONN_RESOLVING && ctx->stopping) {
    /* zquic_destroy ran while the name was being looked up: starting now would open a socket
     * on a loop that is winding down, and the loop would never return. */
    fail_async(conn, ZQUIC_ERR_CLOSED, "the context was destroyed while resolving");
  } else if (conn->state == ZQ_CONN_RESOLVING) {
    if (status != 0 || !res) {
      char text[200];
      snprintf(text, sizeof(text), "cannot resolve \"%.120s\": %s", conn->sni, uv_strerror(status));
      fail_async(conn, ZQUIC_ERR_RESOLVE, text);
    } else {
      memcpy(&conn->params->remote.ss, res->ai_addr, res->ai_addrlen);
      conn->params->remote.len = res->ai_addrlen;
      if (zq_client_start(conn) != 0) fail_async(conn, ZQUIC_ERR_SOCKET, zquic_last_error());
      else if (conn->early_data_sent) zq_h3_on_extend_max_streams(conn); /* 0-RTT: go now */
    }
  }
  uv_freeaddrinfo(res);
  zq_conn_release(conn); /* the resolver's reference */
  free(job);
  zq_ctx_flush_dirty(ctx);
  zq_ctx_notify(ctx);
  zq_ctx_unlock(ctx);
}

struct async_args {
  zquic_connection *conn;
  char host[256];
  uint16_t port;
};

static int async_on_loop(void *arg) {
  struct async_args *a = arg;
  zquic_connection *conn = a->conn;
  if (zq_host_is_ip(a->host)) {
    int rc = zq_addr_resolve(a->host, a->port, 0, &conn->params->remote);
    if (rc == 0) rc = zq_client_start(conn);
    return rc;
  }
  resolve_job *job = calloc(1, sizeof(*job));
  if (!job) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  job->conn = conn;
  job->req.data = job;
  char port[8];
  snprintf(port, sizeof(port), "%u", a->port);
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM};
  int rc = uv_getaddrinfo(&conn->ctx->loop, &job->req, on_resolved, a->host, port, &hints);
  if (rc != 0) {
    free(job);
    return zq_error(ZQUIC_ERR_RESOLVE, "cannot start resolving \"%s\": %s", a->host, uv_strerror(rc));
  }
  conn->refs++; /* held by the pending lookup */
  conn->resolve_pending = true;
  return ZQUIC_OK;
}

ZQUIC_API int zquic_connect_async(zquic_context *ctx, const char *address,
                                  const zquic_connect_options *opts, zquic_connection **out) {
  if (!ctx || !address || !out)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "zquic_connect_async: NULL argument");
  *out = NULL;
  struct async_args a;
  zq_client_params *params = NULL;
  int rc = prepare(ctx, address, opts, a.host, sizeof(a.host), &a.port, &params);
  if (rc) return rc;
  bool taken = zq_ctx_enter(ctx);
  zquic_connection *conn = new_client(ctx, params);
  if (!conn) {
    zq_client_params_free(params);
    zq_ctx_leave(ctx, taken);
    return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  }
  conn->async_connect = true;
  a.conn = conn;
  rc = zq_ctx_call(ctx, async_on_loop, &a);
  zq_ctx_leave(ctx, taken);
  if (rc) {
    char detail[512];
    snprintf(detail, sizeof(detail), "%s", zquic_last_error());
    zquic_close_connection(conn);
    return zq_error(rc, "%s", detail);
  }
  *out = conn;
  zq_error_clear();
  return ZQUIC_OK;
}

/* ---- closing ------------------------------------------------------------------------------- */

struct close_args {
  zquic_connection *conn;
  uint64_t app_error;
  const char *reason;
};

static int close_on_loop(void *arg) {
  struct close_args *a = arg;
  zquic_connection *conn = a->conn;
  if (conn->first_stream) {
    zquic_stream *s = conn->first_stream;
    conn->first_stream = NULL;
    zq_stream_release(s);
  }
  conn->user_held = false; /* no events for a handle being released */
  if (conn->qc) {
    uint64_t code = a->app_error ? a->app_error : conn->h3 ? NGHTTP3_H3_NO_ERROR : 0;
    zq_conn_close_now(conn, code, a->reason);
  } else if (!conn->resolve_pending) {
    zq_conn_teardown(conn); /* never started, or a failed start: free what exists */
  }
  zq_events_forget(conn->ctx, conn);
  zq_conn_release(conn);
  return 0;
}

static void close_connection(zquic_connection *conn, uint64_t app_error, const char *reason) {
  if (!conn) return;
  zquic_context *ctx = conn->ctx;
  bool taken = zq_ctx_enter(ctx);
  struct close_args a = {conn, app_error, reason};
  if (conn->user_held) zq_ctx_call(ctx, close_on_loop, &a);
  zq_ctx_leave(ctx, taken);
}

ZQUIC_API void zquic_close_connection(zquic_connection *conn) { close_connection(conn, 0, NULL); }

ZQUIC_API void zquic_close_connection_ex(zquic_connection *conn, uint64_t app_error,
                                         const char *reason) {
  char text[256] = "";
  if (reason) snprintf(text, sizeof(text), "%s", reason);
  close_connection(conn, app_error, reason ? text : NULL);
}

ZQUIC_API const char *zquic_connection_alpn(const zquic_connection *conn) {
  if (!conn) return "";
  return conn->alpn;
}
