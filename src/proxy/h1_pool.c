/*
 * h1_pool.c — see h1_upstream.h: the pool of connections to one backend, and the life of a
 * request on it: writing its head and framing its body (Content-Length or chunked), the
 * back-pressure on body writes, the one transparent retry of a request that met a stale
 * keep-alive connection, and how it ends (on_end, on_error, cancel).
 *
 * The retry: a backend may close an idle connection at the very moment we reuse it, and then
 * the request fails before any byte of a response came back — through no fault of the request
 * or the backend. So until the first response byte, a request on a reused connection keeps the
 * bytes it wrote (up to ZQ_H1_WRITE_HIGH_WATER) and, on such a failure, sends them again on a
 * fresh connection, once. A request that wrote more than that had to let some go and is failed
 * instead (ZQUIC_ERR_CLOSED): replaying half a body is not possible.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "h1_internal.h"

void zq_h1_pool_options_init(zq_h1_pool_options *o) {
  o->connect_timeout_ms = 3000;
  o->response_timeout_ms = 30000;
  o->idle_timeout_ms = 60000;
  o->max_idle = 32;
  o->max_response_header_bytes = 65536;
}

/* ---- the end of a request ------------------------------------------------------------------ */

static void request_free(zq_h1_request *r) {
  zq_buf_clear(&r->out);
  free(r);
}

static void request_error(zq_h1_request *r, int code, bool connect_failed, const char *detail) {
  r->finishing = true;
  r->cb.on_error(r, code, connect_failed, detail, r->user);
  request_free(r);
}

/* Send the request again on a fresh connection; false when that cannot even start. */
static bool retry(zq_h1_request *r) {
  r->retried = true;
  r->kept = 0; /* what was written counts as unwritten again */
  return zq_h1_conn_open(r->pool, r) != NULL;
}

void zq_h1_request_failed(zq_h1_request *r, int code, bool connect_failed, bool reused,
                          const char *detail) {
  bool stale_reuse = reused && !r->response_started && !r->retried &&
                     (code == ZQUIC_ERR_SOCKET || code == ZQUIC_ERR_CLOSED);
  if (stale_reuse && r->replayable && retry(r)) return;
  if (stale_reuse && !r->replayable) {
    char text[ZQ_H1_DETAIL_MAX + 96];
    snprintf(text, sizeof(text), "%s (a kept-alive connection; the request body sent was too "
             "large to send again)", detail);
    request_error(r, ZQUIC_ERR_CLOSED, false, text);
    return;
  }
  request_error(r, code, connect_failed, detail);
}

void zq_h1_request_finish(zq_h1_request *r, const zquic_h3_header *trailers, size_t n) {
  zq_h1_conn *c = r->conn;
  /* Detached first: a request the owner starts from on_end must not get this connection
   * before it is known to be reusable (feed() parks it afterwards). */
  c->req = NULL;
  r->conn = NULL;
  r->finishing = true;
  if (r->cb.on_end) r->cb.on_end(r, trailers, n, r->user);
  bool request_complete = r->body_fin && r->out.len == 0 && !c->write_in_flight;
  request_free(r);
  if (!request_complete || !c->parser.keep_alive || c->pool->freeing) zq_h1_conn_close(c);
}

void zq_h1_request_sent(zq_h1_request *r, size_t n) {
  bool keep = r->conn->reused && !r->response_started && r->replayable;
  if (keep && r->kept + n <= ZQ_H1_WRITE_HIGH_WATER) {
    r->kept += n;
    return;
  }
  if (keep) r->replayable = false;
  zq_buf_consume(&r->out, r->kept + n);
  r->kept = 0;
}

/* ---- the pool ------------------------------------------------------------------------------ */

int zq_h1_pool_new(zquic_context *ctx, const char *address, const zq_h1_pool_options *opts,
                   zq_h1_pool **out) {
  *out = NULL;
  if (!ctx || !address) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "no context or address");
  zq_h1_pool *p = calloc(1, sizeof(*p));
  if (!p) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  p->ctx = ctx;
  zq_h1_pool_options_init(&p->opts);
  if (opts) { /* zero means "the default" for the limits that cannot sensibly be zero */
    if (opts->connect_timeout_ms) p->opts.connect_timeout_ms = opts->connect_timeout_ms;
    if (opts->response_timeout_ms) p->opts.response_timeout_ms = opts->response_timeout_ms;
    if (opts->idle_timeout_ms) p->opts.idle_timeout_ms = opts->idle_timeout_ms;
    if (opts->max_response_header_bytes)
      p->opts.max_response_header_bytes = opts->max_response_header_bytes;
    p->opts.max_idle = opts->max_idle;
  }
  uint16_t port = 0;
  snprintf(p->address, sizeof(p->address), "%s", address);
  if (zq_addr_split(address, p->host, sizeof(p->host), &port) != 0 || port == 0 || !p->host[0]) {
    free(p);
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "backend \"%s\": expected host:port or "
                    "[IPv6]:port", address);
  }
  snprintf(p->port_text, sizeof(p->port_text), "%u", (unsigned)port);
  p->numeric = zq_host_is_ip(p->host);
  if (p->numeric && zq_addr_resolve(p->host, port, 0, &p->addr) != 0) {
    free(p);
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "backend \"%s\": not an address", address);
  }
  zq_list_init(&p->conns);
  zq_list_init(&p->idle);
  *out = p;
  return ZQUIC_OK;
}

void zq_h1_pool_free(zq_h1_pool *p) {
  if (!p) return;
  p->freeing = true;
  bool any = !zq_list_empty(&p->conns);
  zq_list_node *n, *tmp;
  zq_list_for_each_safe(n, tmp, &p->conns) {
    zq_h1_conn *c = zq_container_of(n, zq_h1_conn, node);
    zq_h1_request *r = c->req;
    zq_h1_conn_close(c); /* detaches r */
    if (r) request_free(r);
  }
  if (!any) free(p); /* else the last connection to close frees it */
}

unsigned zq_h1_pool_open_connections(const zq_h1_pool *p) { return p->n_open; }
unsigned zq_h1_pool_idle_connections(const zq_h1_pool *p) { return (unsigned)p->idle.size; }

/* ---- starting a request -------------------------------------------------------------------- */

static bool is_token(const char *s) {
  if (!*s) return false;
  for (; *s; s++)
    if (*s <= ' ' || *s >= 127 || strchr("\"(),/:;<=>?@[\\]{}", *s)) return false;
  return true;
}

/* No CR, LF or NUL (the string ends at NUL): nothing that could end a line early. */
static bool is_field_text(const char *s, bool spaces_allowed) {
  for (; *s; s++)
    if (*s == '\r' || *s == '\n' || (!spaces_allowed && (*s == ' ' || *s == '\t'))) return false;
  return true;
}

/* The pool writes these itself; a copy from the caller would contradict them (and a second
 * Content-Length or Transfer-Encoding is how requests are smuggled). */
static bool is_ours(const char *name) {
  return !strcasecmp(name, "host") || !strcasecmp(name, "content-length") ||
         !strcasecmp(name, "transfer-encoding") || !strcasecmp(name, "connection");
}

static int check_request(const char *method, const char *path, const char *host,
                         const zquic_h3_header *fields, size_t n_fields, int body,
                         const zq_h1_callbacks *cb) {
  if (!method || !is_token(method))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "request method is not a token");
  if (!path || !*path || !is_field_text(path, false))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "request target is empty or has spaces/CR/LF");
  if (!host || !*host || !is_field_text(host, false))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "Host value is empty or has spaces/CR/LF");
  for (size_t i = 0; i < n_fields; i++)
    if (!fields[i].name || !is_token(fields[i].name) || !fields[i].value ||
        !is_field_text(fields[i].value, true))
      return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "request field %zu: bad name or value", i);
  if (body != ZQ_H1_BODY_NONE && body != ZQ_H1_BODY_LENGTH && body != ZQ_H1_BODY_CHUNKED)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "unknown body kind %d", body);
  if (!cb || !cb->on_response || !cb->on_error)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "on_response and on_error are required");
  return ZQUIC_OK;
}

static int put(zq_buf *b, const char *a, const char *c, const char *d) {
  if (zq_buf_append(b, a, strlen(a))) return -1;
  if (c && zq_buf_append(b, c, strlen(c))) return -1;
  if (d && zq_buf_append(b, d, strlen(d))) return -1;
  return 0;
}

static int write_head(zq_h1_request *r, const char *method, const char *path, const char *host,
                      const zquic_h3_header *fields, size_t n_fields) {
  zq_buf *b = &r->out;
  if (put(b, method, " ", path) || put(b, " HTTP/1.1\r\nHost: ", host, "\r\n")) return -1;
  for (size_t i = 0; i < n_fields; i++) {
    if (is_ours(fields[i].name)) continue;
    if (put(b, fields[i].name, ": ", fields[i].value) || put(b, "\r\n", NULL, NULL)) return -1;
  }
  char framing[64] = "";
  if (r->body == ZQ_H1_BODY_LENGTH)
    snprintf(framing, sizeof(framing), "Content-Length: %llu\r\n",
             (unsigned long long)r->content_length);
  else if (r->body == ZQ_H1_BODY_CHUNKED)
    snprintf(framing, sizeof(framing), "Transfer-Encoding: chunked\r\n");
  else if (!strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH"))
    snprintf(framing, sizeof(framing), "Content-Length: 0\r\n"); /* RFC 9110 §8.6: SHOULD */
  return put(b, framing, "Connection: keep-alive\r\n\r\n", NULL);
}

int zq_h1_request_start(zq_h1_pool *p, const char *method, const char *path, const char *host,
                        const zquic_h3_header *fields, size_t n_fields, int body,
                        uint64_t content_length, const zq_h1_callbacks *cb, void *user,
                        zq_h1_request **out) {
  *out = NULL;
  int rc = check_request(method, path, host, fields, n_fields, body, cb);
  if (rc) return rc;
  if (p->freeing) return zq_error(ZQUIC_ERR_CLOSED, "the pool is being freed");
  zq_h1_request *r = calloc(1, sizeof(*r));
  if (!r) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  r->pool = p;
  r->cb = *cb;
  r->user = user;
  r->head = !strcmp(method, "HEAD");
  r->body = body;
  r->content_length = body == ZQ_H1_BODY_LENGTH ? content_length : 0;
  r->body_fin = body == ZQ_H1_BODY_NONE || (body == ZQ_H1_BODY_LENGTH && content_length == 0);
  r->replayable = true;
  r->deadline_ms = uv_now(&p->ctx->loop) + p->opts.response_timeout_ms;
  zq_buf_init(&r->out);
  if (write_head(r, method, path, host, fields, n_fields)) goto no_memory;
  zq_list_node *idle = zq_list_pop_front(&p->idle);
  if (idle) zq_h1_conn_reuse(zq_container_of(idle, zq_h1_conn, idle_node), r);
  else if (!zq_h1_conn_open(p, r)) goto no_memory;
  *out = r;
  return ZQUIC_OK;
no_memory:
  request_free(r);
  return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
}

/* ---- the request body and reading ---------------------------------------------------------- */

static int check_body_write(const zq_h1_request *r, size_t len, bool fin) {
  if (r->body_fin)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, len ? "the request body has ended"
                                                    : "the request body has already ended");
  if (r->body == ZQ_H1_BODY_LENGTH) {
    uint64_t room = r->content_length - r->body_queued;
    if (len > room)
      return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "%zu bytes past the declared Content-Length "
                      "(%llu)", len, (unsigned long long)r->content_length);
    if (fin && len < room)
      return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "body ended %llu bytes short of its "
                      "Content-Length", (unsigned long long)(room - len));
  }
  return ZQUIC_OK;
}

int zq_h1_request_write(zq_h1_request *r, const void *data, size_t len, bool fin) {
  int rc = check_body_write(r, len, fin);
  if (rc) return rc;
  if (len > 0 && r->out.len - r->kept >= ZQ_H1_WRITE_HIGH_WATER) {
    r->want_writable = true;
    return zq_error(ZQUIC_ERR_WOULD_BLOCK, "%zu request bytes wait to be written",
                    r->out.len - r->kept);
  }
  bool failed = false;
  if (r->body == ZQ_H1_BODY_CHUNKED && len > 0) {
    char size[24];
    snprintf(size, sizeof(size), "%zx\r\n", len);
    failed = zq_buf_append(&r->out, size, strlen(size)) || zq_buf_append(&r->out, data, len) ||
             zq_buf_append(&r->out, "\r\n", 2);
  } else if (len > 0) {
    failed = zq_buf_append(&r->out, data, len) != 0;
  }
  if (!failed && fin && r->body == ZQ_H1_BODY_CHUNKED)
    failed = zq_buf_append(&r->out, "0\r\n\r\n", 5) != 0;
  if (failed) { /* what made it in is half a frame: the request cannot go on (on_error follows) */
    if (r->conn) zq_h1_conn_fail_soon(r->conn, ZQUIC_ERR_NO_MEMORY, "out of memory queueing the "
                                      "request body");
    return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory queueing the request body");
  }
  r->body_queued += len;
  r->body_fin = fin;
  if (r->conn) zq_h1_conn_write_more(r->conn);
  return ZQUIC_OK;
}

void zq_h1_request_pause(zq_h1_request *r, bool paused) {
  if (r->paused == paused) return;
  r->paused = paused;
  if (r->conn) zq_h1_conn_set_paused(r->conn, paused);
}

void zq_h1_request_cancel(zq_h1_request *r) {
  if (!r || r->finishing) return; /* on_end / on_error is running: the pool frees it */
  if (r->conn) zq_h1_conn_close(r->conn); /* detaches r */
  request_free(r);
}
