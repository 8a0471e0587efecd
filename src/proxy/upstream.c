/*
 * upstream.c — one request to one backend, whatever the backend speaks. The request path
 * (exchange.c) and the health checks (health.c) talk to a zq_upstream; this file sends it to the
 * HTTP/1.1 pool of the backend (h1_upstream.c) or to its HTTP/3 connection (upstream_h3.c) and
 * turns their callbacks into one set.
 *
 * An upstream references its backend until it ends, so a reload that drops the backend does not
 * free it under a running request. It ends exactly once: on_end, on_error, or a cancel (which
 * calls nothing).
 */
#include <stdlib.h>
#include <string.h>

#include "proxy_internal.h"

static void upstream_free(zq_upstream *u) {
  zq_buf_clear(&u->pending);
  zq_fields_clear(&u->head);
  free(u->method);
  free(u->path);
  free(u->authority);
  zq_backend_unref(u->backend);
  free(u);
}

/* ---- HTTP/1.1: the pool's callbacks, passed on ------------------------------------------- */

static void h1_response(zq_h1_request *r, int status, const zquic_h3_header *fields, size_t n,
                        void *user) {
  (void)r;
  zq_upstream *u = user;
  u->cb->on_response(u, status, fields, n, u->user);
}

static void h1_body(zq_h1_request *r, const uint8_t *data, size_t len, void *user) {
  (void)r;
  zq_upstream *u = user;
  u->cb->on_body(u, data, len, u->user);
}

static void h1_end(zq_h1_request *r, const zquic_h3_header *trailers, size_t n, void *user) {
  (void)r;
  zq_upstream *u = user;
  u->h1 = NULL; /* the pool frees it when this returns */
  u->done = true;
  u->cb->on_end(u, trailers, n, u->user);
  upstream_free(u);
}

static void h1_error(zq_h1_request *r, int code, bool connect_failed, const char *detail,
                     void *user) {
  (void)r;
  zq_upstream *u = user;
  u->h1 = NULL;
  u->done = true;
  u->cb->on_error(u, code, connect_failed, detail, u->user);
  upstream_free(u);
}

static void h1_writable(zq_h1_request *r, void *user) {
  (void)r;
  zq_upstream *u = user;
  if (u->cb->on_writable) u->cb->on_writable(u, u->user);
}

static const zq_h1_callbacks h1_callbacks = {h1_response, h1_body, h1_end, h1_error, h1_writable};

static int h1_start(zq_upstream *u, const zq_upstream_request *req) {
  zq_backend_rt *b = u->backend;
  if (!b->h1_pool) {
    zq_h1_pool_options o;
    zq_h1_pool_options_init(&o);
    if (req->connect_timeout_ms) o.connect_timeout_ms = req->connect_timeout_ms;
    o.response_timeout_ms = 3600000; /* the request path keeps its own deadline */
    int rc = zq_h1_pool_new(b->proxy->ctx, b->conf.address, &o, &b->h1_pool);
    if (rc) return rc;
  }
  return zq_h1_request_start(b->h1_pool, req->method, req->path, req->authority, req->fields,
                             req->n_fields, req->body, req->content_length, &h1_callbacks, u,
                             &u->h1);
}

/* ---- the common face ----------------------------------------------------------------------- */

static char *dup_or_empty(const char *s) { return strdup(s ? s : ""); }

int zq_upstream_start(zq_backend_rt *b, const zq_upstream_request *req,
                      const zq_upstream_callbacks *cb, void *user, zq_upstream **out) {
  zq_upstream *u = calloc(1, sizeof(*u));
  if (!u) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  u->backend = b;
  zq_backend_ref(b);
  u->cb = cb;
  u->user = user;
  zq_buf_init(&u->pending);
  int rc;
  if (b->conf.protocol == ZQ_PROXY_HTTP1) {
    rc = h1_start(u, req);
  } else {
    /* The HTTP/3 request may wait for the handshake or for stream credit: keep copies. */
    u->method = dup_or_empty(req->method);
    u->path = dup_or_empty(req->path);
    u->authority = dup_or_empty(req->authority);
    rc = u->method && u->path && u->authority ? 0 : zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
    for (size_t i = 0; rc == 0 && i < req->n_fields; i++)
      rc = zq_fields_add(&u->head, (const uint8_t *)req->fields[i].name,
                         strlen(req->fields[i].name), (const uint8_t *)req->fields[i].value,
                         strlen(req->fields[i].value));
    u->pending_fin = req->body == ZQ_H1_BODY_NONE;
    if (rc == 0) rc = zq_upstream_h3_start(u);
  }
  if (rc) {
    upstream_free(u);
    return rc;
  }
  if (!req->health_check) b->requests++;
  *out = u;
  return ZQUIC_OK;
}

int zq_upstream_write(zq_upstream *u, const void *data, size_t len, bool fin) {
  if (u->h1) return zq_h1_request_write(u->h1, data, len, fin);
  return zq_upstream_h3_write(u, data, len, fin);
}

void zq_upstream_pause(zq_upstream *u, bool paused) {
  if (u->h1) zq_h1_request_pause(u->h1, paused);
  else zq_upstream_h3_pause(u, paused);
}

void zq_upstream_cancel(zq_upstream *u) {
  if (!u) return;
  if (u->h1) {
    zq_h1_request_cancel(u->h1);
    u->h1 = NULL;
  } else if (u->backend->conf.protocol == ZQ_PROXY_H3) {
    zq_upstream_h3_cancel(u);
  }
  upstream_free(u);
}

/* The h3 side calls this once it has ended (after the user's callback). */
void zq_upstream_h3_finished(zq_upstream *u);
void zq_upstream_h3_finished(zq_upstream *u) { upstream_free(u); }

void zq_upstream_close_backend(zq_backend_rt *b) {
  if (b->h1_pool) {
    zq_h1_pool_free(b->h1_pool);
    b->h1_pool = NULL;
  }
  if (b->h3_conn) {
    zquic_close_connection(b->h3_conn);
    b->h3_conn = NULL;
  }
}

unsigned zq_upstream_open_connections(const zq_backend_rt *b) {
  if (b->h1_pool) return zq_h1_pool_open_connections(b->h1_pool);
  if (b->h3_conn && b->h3_conn->state == ZQ_CONN_ESTABLISHED) return 1;
  return 0;
}
