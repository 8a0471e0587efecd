/*
 * server.c — a listening QUIC server: one UDP endpoint, its TLS credentials, the connections it
 * accepted, and the queue of handshaken connections waiting for zquic_server_accept. A server
 * with worker loops (config.workers > 1) is this one plus N-1 siblings on other loops; the public
 * calls below hand such servers to workers.c, which speaks for the whole group.
 *
 * Lifecycle (as libuv handles have): create binds and starts; stop refuses new connections;
 * start resumes; free closes the socket and frees the server once libuv has closed its handle.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "tls.h"

ZQUIC_API void zquic_server_config_init(zquic_server_config *cfg) {
  if (!cfg) return;
  memset(cfg, 0, sizeof(*cfg));
  cfg->struct_size = sizeof(*cfg);
}

ZQUIC_API void zquic_h3_handler_config_init(zquic_h3_handler_config *cfg) {
  if (!cfg) return;
  memset(cfg, 0, sizeof(*cfg));
  cfg->struct_size = sizeof(*cfg);
}

static int resolve_listen(zquic_context *ctx, const char *listen, zq_addr *out) {
  char host[256];
  uint16_t port;
  if (listen) {
    int rc = zq_addr_split(listen, host, sizeof(host), &port);
    if (rc) return rc;
  } else {
    snprintf(host, sizeof(host), "%s",
             ctx->bind_address ? ctx->bind_address : ctx->config.enable_ipv6 ? "::" : "0.0.0.0");
    port = ctx->config.port;
  }
  return zq_addr_resolve(host, port, 1, out);
}

/* "1,2" -> the versions a server accepts, the first one preferred. */
static int parse_versions(const char *text, zquic_server *srv) {
  srv->n_versions = 0;
  if (!text) text = "1,2";
  for (const char *p = text; *p;) {
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p || (v != 1 && v != 2) || (*end && *end != ',') || srv->n_versions == 2)
      return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "quic_versions \"%s\": expected 1, 2 or 1,2", text);
    srv->versions[srv->n_versions++] = v == 2 ? NGTCP2_PROTO_VER_V2 : NGTCP2_PROTO_VER_V1;
    p = *end ? end + 1 : end;
  }
  if (srv->n_versions == 0)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "quic_versions is empty");
  return ZQUIC_OK;
}

static void free_server_memory(zq_endpoint *ep) {
  zquic_server *srv = zq_container_of(ep, zquic_server, ep);
  if (!srv->tls_borrowed) zq_tls_server_clear(&srv->tls);
  if (srv->group && srv->worker == 0) zq_workers_group_free(srv->group);
  gnutls_memset(srv->static_secret, 0, sizeof(srv->static_secret));
  free(srv);
}

int zq_server_start_on_loop(void *arg) {
  zquic_server *srv = arg;
  srv->ep.server = srv;
  srv->ep.on_closed = free_server_memory;
  int rc = zq_endpoint_start(&srv->ep);
  if (rc) return rc;
  zq_list_push_back(&srv->ctx->servers, &srv->ctx_node);
  return ZQUIC_OK;
}

static int copy_server_config(const zquic_server_config *in, zquic_server_config *out) {
  zquic_server_config_init(out);
  if (!in) return ZQUIC_OK;
  if (in->struct_size == 0 || in->struct_size > sizeof(*out))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT,
                    "zquic_server_config.struct_size is %zu: call zquic_server_config_init",
                    in->struct_size);
  memcpy(out, in, in->struct_size);
  return ZQUIC_OK;
}

ZQUIC_API int zquic_create_server(zquic_context *ctx, const zquic_server_config *cfg_in,
                                  zquic_server **out) {
  return zq_server_create(ctx, cfg_in, NULL, NULL, out);
}

int zq_server_create(zquic_context *ctx, const zquic_server_config *cfg_in,
                     const zq_stream_service *service, void *service_user, zquic_server **out) {
  if (!ctx || !out) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "zquic_create_server: NULL argument");
  *out = NULL;
  zquic_server_config cfg;
  int rc = copy_server_config(cfg_in, &cfg);
  if (rc) return rc;
  if (cfg.h3 && (cfg.h3->struct_size == 0 || cfg.h3->struct_size > sizeof(zquic_h3_handler_config) ||
                 !cfg.h3->on_request))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT,
                    "h3 handler config: call zquic_h3_handler_config_init and set on_request");
  if (cfg.workers > ZQ_MAX_WORKERS)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "workers is %u: at most %d", cfg.workers,
                    ZQ_MAX_WORKERS);
  /* A service's state (DoQ's timers and lists) lives on one loop; workers would race on it. */
  if (service && cfg.workers > 1)
    return zq_error(ZQUIC_ERR_UNSUPPORTED, "worker loops are not supported for this protocol yet");
  zquic_server *srv = calloc(1, sizeof(*srv));
  if (!srv) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  srv->ctx = ctx;
  srv->service = service; /* set before the socket exists: no connection can miss it */
  srv->service_user = service_user;
  srv->accepting = true;
  srv->max_connections = ctx->config.max_connections;
  zq_list_init(&srv->conns);
  zq_list_init(&srv->accept_queue);
  gnutls_rnd(GNUTLS_RND_KEY, srv->static_secret, sizeof(srv->static_secret));
  if (cfg.h3) {
    zquic_h3_handler_config_init(&srv->h3);
    memcpy(&srv->h3, cfg.h3, cfg.h3->struct_size);
    srv->h3_enabled = true;
  }
  const char *alpn = cfg.alpn ? cfg.alpn : cfg.h3 ? "h3" : ctx->alpn;
  zq_addr bind_addr;
  srv->retry = cfg.retry != 0;
  srv->enable_0rtt = cfg.enable_0rtt != 0;
  srv->max_streams_bidi = cfg.max_streams_bidi;
  if ((rc = parse_versions(cfg.quic_versions, srv)) != 0 ||
      (rc = zq_alpn_parse(alpn, &srv->alpn)) != 0 ||
      (rc = zq_tls_server_init(&srv->tls, cfg.cert_file ? cfg.cert_file : ctx->cert_file,
                               cfg.key_file ? cfg.key_file : ctx->key_file)) != 0 ||
      (rc = resolve_listen(ctx, cfg.listen, &bind_addr)) != 0)
    goto err;
  if (cfg.n_sni_certs && (!cfg.sni_cert_files || !cfg.sni_key_files)) {
    rc = zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "n_sni_certs is %zu but the file lists are NULL",
                  cfg.n_sni_certs);
    goto err;
  }
  for (size_t i = 0; i < cfg.n_sni_certs; i++)
    if ((rc = zq_tls_server_add_cert(&srv->tls, cfg.sni_cert_files[i], cfg.sni_key_files[i])))
      goto err;
  if (srv->enable_0rtt && (rc = zq_tls_server_enable_early_data(&srv->tls)) != 0) goto err;
  if ((rc = zq_endpoint_open(ctx, &bind_addr, cfg.workers > 1, &srv->ep)) != 0) goto err;
  srv->ep.server = srv;
  srv->ep.on_closed = free_server_memory;
  if ((rc = zq_endpoint_want_pktinfo(&srv->ep)) != 0) {
    zq_endpoint_close(&srv->ep); /* never started: closes and frees synchronously */
    return rc;
  }
  bool taken = zq_ctx_enter(ctx);
  rc = zq_ctx_call(ctx, zq_server_start_on_loop, srv);
  zq_ctx_leave(ctx, taken);
  if (rc) {
    zq_endpoint_close(&srv->ep); /* never started: closes and frees synchronously */
    return rc;
  }
  if (cfg.workers > 1 && (rc = zq_workers_create(srv, cfg.workers)) != 0) {
    zquic_server_free(srv); /* zq_workers_create left it a plain server */
    return rc;
  }
  *out = srv;
  zq_error_clear();
  return ZQUIC_OK;
err:
  zq_tls_server_clear(&srv->tls);
  free(srv);
  return rc;
}

ZQUIC_API int zquic_server_port(const zquic_server *srv) {
  if (!srv) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "server is NULL");
  return zq_addr_port(&srv->ep.local);
}

static int set_accepting(zquic_server *srv, bool on) {
  if (!srv) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "server is NULL");
  if (srv->group) {
    zq_workers_set_accepting(srv, on);
    zq_error_clear();
    return ZQUIC_OK;
  }
  bool taken = zq_ctx_enter(srv->ctx);
  srv->accepting = on;
  zq_ctx_leave(srv->ctx, taken);
  zq_error_clear();
  return ZQUIC_OK;
}

ZQUIC_API int zquic_start_server(zquic_server *srv) { return set_accepting(srv, true); }
ZQUIC_API int zquic_stop_server(zquic_server *srv) { return set_accepting(srv, false); }

ZQUIC_API int zquic_server_accept(zquic_server *srv, int timeout_ms, zquic_connection **out) {
  if (!srv || !out) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "server accept: NULL argument");
  *out = NULL;
  zquic_context *ctx = srv->ctx;
  if (zq_on_loop_thread(ctx) && timeout_ms != 0)
    return zq_error(ZQUIC_ERR_LOOP_THREAD, "zquic_server_accept would block the loop thread");
  if (srv->h3_enabled)
    return zq_error(ZQUIC_ERR_STATE, "this server handles HTTP/3 itself; nothing to accept");
  if (srv->group) return zq_workers_accept(srv, timeout_ms, out);
  bool taken = zq_ctx_enter(ctx);
  uint64_t deadline = zq_deadline_from_timeout(timeout_ms);
  int rc = ZQUIC_OK;
  for (;;) {
    zq_list_node *n = zq_list_pop_front(&srv->accept_queue);
    if (n) {
      zquic_connection *conn = zq_container_of(n, zquic_connection, accept_node);
      conn->queued_for_accept = false;
      conn->user_held = true;
      conn->refs++;
      *out = conn;
      break;
    }
    if (!zq_ctx_wait(ctx, deadline)) {
      rc = zq_error(ZQUIC_ERR_TIMEOUT, "no connection within %d ms", timeout_ms);
      break;
    }
  }
  zq_ctx_leave(ctx, taken);
  if (rc == 0) zq_error_clear();
  return rc;
}

void zq_server_conn_gone(zquic_server *srv, zquic_connection *conn) {
  zq_list_remove(&srv->conns, &conn->list_node);
  if (conn->queued_for_accept) {
    zq_list_remove(&srv->accept_queue, &conn->accept_node);
    conn->queued_for_accept = false;
  }
  srv->n_connections--;
  zq_server_count_connection(srv, -1);
}

int zq_server_free_on_loop(void *arg) {
  zquic_server *srv = arg;
  srv->accepting = false;
  zq_list_node *n, *tmp;
  /* Every connection goes: the endpoint (and so the socket they all use) is closing. */
  zq_list_for_each_safe(n, tmp, &srv->conns) {
    zq_conn_close_now(zq_container_of(n, zquic_connection, list_node), 0, NULL);
  }
  zq_list_remove(&srv->ctx->servers, &srv->ctx_node);
  zq_events_forget(srv->ctx, srv);
  zq_endpoint_close(&srv->ep);
  return 0;
}

ZQUIC_API void zquic_server_free(zquic_server *srv) {
  if (!srv) return;
  if (srv->group && srv->worker == 0) zq_workers_free(srv); /* the others; this one below */
  zquic_context *ctx = srv->ctx;
  bool taken = zq_ctx_enter(ctx);
  zq_ctx_call(ctx, zq_server_free_on_loop, srv);
  zq_ctx_leave(ctx, taken);
}

/* ---- graceful shutdown ------------------------------------------------------------------ */

static int goaway_on_loop(void *arg) {
  zquic_server *srv = arg;
  srv->accepting = false;
  zq_list_node *n, *tmp;
  zq_list_for_each_safe(n, tmp, &srv->conns) {
    zquic_connection *conn = zq_container_of(n, zquic_connection, list_node);
    if (conn->h3) zq_h3_submit_goaway(conn);
  }
  return 0;
}

static bool requests_in_flight(zquic_server *srv) {
  zq_list_node *n, *tmp;
  zq_list_for_each_safe(n, tmp, &srv->conns) {
    zquic_connection *conn = zq_container_of(n, zquic_connection, list_node);
    if (!zq_list_empty(&conn->h3_streams)) return true;
  }
  return false;
}

static int close_all_on_loop(void *arg) {
  zquic_server *srv = arg;
  zq_list_node *n, *tmp;
  zq_list_for_each_safe(n, tmp, &srv->conns) {
    zquic_connection *conn = zq_container_of(n, zquic_connection, list_node);
    zq_conn_close_now(conn, conn->h3 ? NGHTTP3_H3_NO_ERROR : 0, "server shutting down");
  }
  return 0;
}

/* A server with workers is N servers on N loops: each step below runs on every one of them, one
 * lock at a time (never two at once, see workers.c), all against the same deadline. */
ZQUIC_API int zquic_server_shutdown(zquic_server *srv, int timeout_ms) {
  if (!srv) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "server is NULL");
  if (zq_server_on_any_loop(srv))
    return zq_error(ZQUIC_ERR_LOOP_THREAD, "zquic_server_shutdown waits: not on the loop thread");
  unsigned members = zq_server_members(srv);
  if (srv->group) zq_workers_set_accepting(srv, false);
  for (unsigned i = 0; i < members; i++) {
    zquic_server *m = zq_server_member(srv, i);
    pthread_mutex_lock(&m->ctx->lock);
    zq_ctx_call(m->ctx, goaway_on_loop, m);
    zq_ctx_unlock(m->ctx);
  }
  uint64_t deadline = zq_deadline_from_timeout(timeout_ms);
  int rc = ZQUIC_OK;
  for (unsigned i = 0; i < members; i++) {
    zquic_server *m = zq_server_member(srv, i);
    pthread_mutex_lock(&m->ctx->lock);
    while (rc == ZQUIC_OK && requests_in_flight(m)) {
      if (!zq_ctx_wait(m->ctx, deadline))
        rc = zq_error(ZQUIC_ERR_TIMEOUT, "requests still running after %d ms", timeout_ms);
    }
    zq_ctx_unlock(m->ctx);
  }
  for (unsigned i = 0; i < members; i++) {
    zquic_server *m = zq_server_member(srv, i);
    pthread_mutex_lock(&m->ctx->lock);
    zq_ctx_call(m->ctx, close_all_on_loop, m);
    zq_ctx_unlock(m->ctx);
  }
  if (rc == 0) zq_error_clear();
  return rc;
}

ZQUIC_API int zquic_server_connection_count(const zquic_server *srv) {
  if (!srv) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "server is NULL");
  if (srv->group) return (int)zq_server_total_connections(srv);
  zquic_context *ctx = srv->ctx;
  bool taken = zq_ctx_enter(ctx);
  int n = (int)srv->n_connections;
  zq_ctx_leave(ctx, taken);
  return n;
}
