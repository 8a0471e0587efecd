/*
 * proxy_conf.c — Wraith's configuration model: defaults, deep copy and release, the names of
 * algorithms and protocols, the value checks shared by the file reader (proxy_conf_read.c) and
 * the public API, and zq_proxy_conf_validate, the whole-configuration rules. Keeping the rules
 * here rather than in the reader means a configuration built through the API passes exactly the
 * same checks as one read from a file before it may serve.
 */
#include "proxy_conf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../core/internal.h"

static const char *const lb_names[ZQ_LB_COUNT] = {"round_robin", "least_connections", "weighted",
                                                  "ip_hash", "random"};
static const char *const protocol_names[] = {"h3", "http1"};

int zq_proxy_lb_from_name(const char *name) {
  for (int i = 0; name && i < ZQ_LB_COUNT; i++)
    if (strcmp(lb_names[i], name) == 0) return i;
  return -1;
}

const char *zq_proxy_lb_name(int algorithm) {
  return algorithm >= 0 && algorithm < ZQ_LB_COUNT ? lb_names[algorithm] : NULL;
}

int zq_proxy_protocol_from_name(const char *name) {
  for (int i = 0; name && i < 2; i++)
    if (strcmp(protocol_names[i], name) == 0) return i;
  return -1;
}

const char *zq_proxy_protocol_name(int protocol) {
  return protocol == ZQ_PROXY_H3 || protocol == ZQ_PROXY_HTTP1 ? protocol_names[protocol] : NULL;
}

void zq_proxy_health_conf_init(zq_proxy_health_conf *h) {
  memset(h, 0, sizeof(*h));
  h->interval_ms = 5000;
  h->timeout_ms = 2000;
  h->path = strdup("/"); /* NULL only when out of memory; clear and copy accept that */
  h->expect_status = 200;
  h->rise = 2;
  h->fall = 3;
  h->passive_failures = 3;
  h->passive_down_ms = 10000;
}

int zq_proxy_pool_conf_init(zq_proxy_pool_conf *p, const char *name) {
  memset(p, 0, sizeof(*p));
  p->algorithm = ZQ_LB_ROUND_ROBIN;
  p->retries = 1;
  p->connect_timeout_ms = 3000;
  p->response_timeout_ms = 30000;
  zq_proxy_health_conf_init(&p->health);
  p->name = strdup(name ? name : "");
  if (!p->name || !p->health.path) {
    free(p->name);
    free(p->health.path);
    memset(p, 0, sizeof(*p));
    return ZQUIC_ERR_NO_MEMORY;
  }
  return ZQUIC_OK;
}

void zq_proxy_conf_init(zq_proxy_conf *c) {
  memset(c, 0, sizeof(*c));
  c->limits.max_header_bytes = 16384;
  c->limits.max_body_bytes = 64ULL << 20;
  c->limits.rate_per_second = 0;
  c->limits.rate_burst = 1; /* max(1, 2 * rate) with rate 0; the reader recomputes it */
  c->limits.max_clients = 65536;
}

static void pool_clear(zq_proxy_pool_conf *p) {
  for (size_t i = 0; i < p->n_backends; i++) {
    free(p->backends[i].address);
    free(p->backends[i].sni);
    free(p->backends[i].ca_file);
  }
  free(p->backends);
  free(p->name);
  free(p->health.path);
}

static void listener_clear(zq_proxy_listener_conf *l) {
  for (size_t i = 0; i < l->n_certs; i++) {
    free(l->certs[i].cert_file);
    free(l->certs[i].key_file);
  }
  free(l->certs);
  free(l->listen);
  free(l->alt_svc);
}

void zq_proxy_conf_clear(zq_proxy_conf *c) {
  for (size_t i = 0; i < c->n_listeners; i++) listener_clear(&c->listeners[i]);
  for (size_t i = 0; i < c->n_pools; i++) pool_clear(&c->pools[i]);
  for (size_t i = 0; i < c->n_routes; i++) {
    free(c->routes[i].host);
    free(c->routes[i].path_prefix);
    free(c->routes[i].pool);
  }
  free(c->listeners);
  free(c->pools);
  free(c->routes);
  free(c->metrics_listen);
  free(c->access_log);
  free(c->source);
  zq_proxy_conf_init(c);
}

/* Copy an optional string: false only when a non-NULL source could not be copied. */
static bool dup_opt(const char *src, char **dst) {
  *dst = src ? strdup(src) : NULL;
  return !src || *dst;
}

/* A zeroed array of n elements (n may be 0: NULL, which is not a failure). */
static bool alloc_array(void **out, size_t n, size_t size) {
  *out = n ? calloc(n, size) : NULL;
  return n == 0 || *out;
}

/* On failure the copy holds what was copied so far; the caller clears it. */
static int copy_pool(const zq_proxy_pool_conf *src, zq_proxy_pool_conf *dst) {
  *dst = *src;
  dst->backends = NULL;
  dst->n_backends = 0;
  dst->name = NULL;
  dst->health.path = NULL;
  if (!dup_opt(src->name, &dst->name) || !dup_opt(src->health.path, &dst->health.path) ||
      !alloc_array((void **)&dst->backends, src->n_backends, sizeof(*dst->backends)))
    return ZQUIC_ERR_NO_MEMORY;
  for (size_t i = 0; i < src->n_backends; i++) {
    const zq_proxy_backend_conf *b = &src->backends[i];
    zq_proxy_backend_conf *d = &dst->backends[i];
    *d = *b;
    d->address = d->sni = d->ca_file = NULL;
    dst->n_backends = i + 1;
    if (!dup_opt(b->address, &d->address) || !dup_opt(b->sni, &d->sni) ||
        !dup_opt(b->ca_file, &d->ca_file))
      return ZQUIC_ERR_NO_MEMORY;
  }
  return ZQUIC_OK;
}

static int copy_listener(const zq_proxy_listener_conf *src, zq_proxy_listener_conf *dst) {
  *dst = *src;
  dst->certs = NULL;
  dst->n_certs = 0;
  dst->listen = dst->alt_svc = NULL;
  if (!dup_opt(src->listen, &dst->listen) || !dup_opt(src->alt_svc, &dst->alt_svc) ||
      !alloc_array((void **)&dst->certs, src->n_certs, sizeof(*dst->certs)))
    return ZQUIC_ERR_NO_MEMORY;
  for (size_t i = 0; i < src->n_certs; i++) {
    dst->certs[i] = src->certs[i];
    dst->certs[i].cert_file = dst->certs[i].key_file = NULL;
    dst->n_certs = i + 1;
    if (!dup_opt(src->certs[i].cert_file, &dst->certs[i].cert_file) ||
        !dup_opt(src->certs[i].key_file, &dst->certs[i].key_file))
      return ZQUIC_ERR_NO_MEMORY;
  }
  return ZQUIC_OK;
}

static int copy_route(const zq_proxy_route_conf *src, zq_proxy_route_conf *dst) {
  *dst = *src;
  dst->host = dst->path_prefix = dst->pool = NULL;
  if (!dup_opt(src->host, &dst->host) || !dup_opt(src->path_prefix, &dst->path_prefix) ||
      !dup_opt(src->pool, &dst->pool))
    return ZQUIC_ERR_NO_MEMORY;
  return ZQUIC_OK;
}

int zq_proxy_conf_copy(const zq_proxy_conf *src, zq_proxy_conf *dst) {
  zq_proxy_conf_init(dst);
  dst->limits = src->limits;
  if (!dup_opt(src->metrics_listen, &dst->metrics_listen) ||
      !dup_opt(src->access_log, &dst->access_log) || !dup_opt(src->source, &dst->source) ||
      !alloc_array((void **)&dst->listeners, src->n_listeners, sizeof(*dst->listeners)) ||
      !alloc_array((void **)&dst->pools, src->n_pools, sizeof(*dst->pools)) ||
      !alloc_array((void **)&dst->routes, src->n_routes, sizeof(*dst->routes)))
    goto err;
  /* Each count grows before its element is filled, so clear frees a half-copied element too. */
  for (size_t i = 0; i < src->n_listeners; i++) {
    dst->n_listeners = i + 1;
    if (copy_listener(&src->listeners[i], &dst->listeners[i]) != ZQUIC_OK) goto err;
  }
  for (size_t i = 0; i < src->n_pools; i++) {
    dst->n_pools = i + 1;
    if (copy_pool(&src->pools[i], &dst->pools[i]) != ZQUIC_OK) goto err;
  }
  for (size_t i = 0; i < src->n_routes; i++) {
    dst->n_routes = i + 1;
    if (copy_route(&src->routes[i], &dst->routes[i]) != ZQUIC_OK) goto err;
  }
  return ZQUIC_OK;
err:
  zq_proxy_conf_clear(dst);
  return zq_error(ZQUIC_ERR_NO_MEMORY, "proxy configuration: out of memory while copying");
}

/* ---- value checks ---- */

/* Checks one dot-separated name (no wildcard left), already lower-cased. */
static const char *host_name_problem(const char *name) {
  size_t label = 0;
  if (strlen(name) > 253) return "host name longer than 253 bytes";
  for (const char *p = name;; p++) {
    if (*p == '.' || *p == '\0') {
      if (label == 0) return "empty label in host name (\"..\", or a leading or trailing dot)";
      if (label > 63) return "label longer than 63 bytes in host name";
      if (*p == '\0') return NULL;
      label = 0;
      continue;
    }
    if (*p == ':') return "a host pattern has no port (the request's port is ignored)";
    if (*p == '*') return "'*' only as the whole first label (\"*.example.com\")";
    if (*p == ' ' || *p == '\t') return "spaces in host name";
    if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-' || *p == '_'))
      return "host names hold only letters, digits, '-', '_' and '.'";
    label++;
  }
}

int zq_proxy_host_pattern(const char *in, char **out, const char **why) {
  *out = NULL;
  *why = NULL;
  if (!in || strcmp(in, "*") == 0) return ZQUIC_OK;
  char *lower = strdup(in);
  if (!lower) return ZQUIC_ERR_NO_MEMORY;
  for (char *p = lower; *p; p++) *p = (char)tolower((unsigned char)*p);
  const char *name = strncmp(lower, "*.", 2) == 0 ? lower + 2 : lower;
  *why = *lower ? host_name_problem(name) : "empty host (leave it out, or \"*\", for any host)";
  if (*why) {
    free(lower);
    return ZQUIC_ERR_INVALID_ARGUMENT;
  }
  *out = lower;
  return ZQUIC_OK;
}

const char *zq_proxy_path_prefix_problem(const char *prefix) {
  if (!prefix || prefix[0] != '/') return "a path prefix starts with '/'";
  if (strlen(prefix) > 1024) return "path prefix longer than 1024 bytes";
  for (const unsigned char *p = (const unsigned char *)prefix; *p; p++) {
    if (*p <= ' ' || *p == 0x7f) return "spaces or control characters in path prefix";
    if (*p == '?' || *p == '#') return "a path prefix has no query or fragment";
  }
  return NULL;
}

/* A health check's request target: a path, perhaps with a query, that fits a request line. */
static const char *request_path_problem(const char *path) {
  if (!path || path[0] != '/') return "a path starts with '/'";
  if (strlen(path) > 1024) return "path longer than 1024 bytes";
  for (const unsigned char *p = (const unsigned char *)path; *p; p++)
    if (*p <= ' ' || *p == 0x7f) return "spaces or control characters in path";
  return NULL;
}

const char *zq_proxy_address_problem(const char *address, bool port_zero_ok) {
  char host[256];
  uint16_t port = 0;
  if (!address || zq_addr_split(address, host, sizeof(host), &port) != ZQUIC_OK)
    return "expected host:port (IPv6 as [addr]:port)";
  if (port == 0 && !port_zero_ok) return "port 0 is not an address to connect to";
  return NULL;
}

/* ---- zq_proxy_conf_validate ---- */

/* The message prefix: "FILE:LINE: ", "FILE: " without a line, nothing without a source. */
static int conf_fail(const zq_proxy_conf *c, int line, char *error, size_t cap, const char *fmt,
                     ...) __attribute__((format(printf, 5, 6)));
static int conf_fail(const zq_proxy_conf *c, int line, char *error, size_t cap, const char *fmt,
                     ...) {
  char what[384];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof(what), fmt, ap);
  va_end(ap);
  const char *file = c->source ? c->source : "proxy configuration";
  if (error && cap) {
    if (line > 0)
      snprintf(error, cap, "%s:%d: %s", file, line, what);
    else
      snprintf(error, cap, "%s: %s", file, what);
  }
  return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "%s: %s", file, what);
}

static int validate_listener(const zq_proxy_conf *c, const zq_proxy_listener_conf *l,
                             char *error, size_t cap) {
  const char *why = zq_proxy_address_problem(l->listen, true);
  if (why) return conf_fail(c, l->line, error, cap, "listen \"%s\": %s", l->listen ? l->listen : "", why);
  if (l->n_certs == 0)
    return conf_fail(c, l->line, error, cap, "listener %s has no certificate (certs = ...)",
                     l->listen);
  if (l->n_certs > ZQ_PROXY_MAX_CERTS)
    return conf_fail(c, l->line, error, cap, "more than %d certificates on listener %s",
                     ZQ_PROXY_MAX_CERTS, l->listen);
  for (size_t i = 0; i < l->n_certs; i++) {
    const zq_proxy_cert_conf *k = &l->certs[i];
    int line = k->line ? k->line : l->line;
    if (!k->cert_file || access(k->cert_file, R_OK) != 0)
      return conf_fail(c, line, error, cap, "cannot read the certificate \"%s\"",
                       k->cert_file ? k->cert_file : "");
    if (!k->key_file || access(k->key_file, R_OK) != 0)
      return conf_fail(c, line, error, cap, "cannot read the key \"%s\"",
                       k->key_file ? k->key_file : "");
  }
  if (l->alt_svc) {
    for (const unsigned char *p = (const unsigned char *)l->alt_svc; *p; p++)
      if (*p < ' ' || *p == 0x7f)
        return conf_fail(c, l->line, error, cap, "alt_svc holds a control character");
  }
  return ZQUIC_OK;
}

static int validate_backend(const zq_proxy_conf *c, const zq_proxy_pool_conf *p,
                            const zq_proxy_backend_conf *b, char *error, size_t cap) {
  int line = b->line ? b->line : p->line;
  const char *why = zq_proxy_address_problem(b->address, false);
  if (why)
    return conf_fail(c, line, error, cap, "backend address \"%s\": %s",
                     b->address ? b->address : "", why);
  if (!zq_proxy_protocol_name(b->protocol))
    return conf_fail(c, line, error, cap, "backend %s: unknown protocol %d", b->address,
                     b->protocol);
  if (b->weight < 1 || b->weight > ZQ_PROXY_MAX_WEIGHT)
    return conf_fail(c, line, error, cap, "backend %s: weight must be 1 to %d", b->address,
                     ZQ_PROXY_MAX_WEIGHT);
  if (b->ca_file && access(b->ca_file, R_OK) != 0)
    return conf_fail(c, line, error, cap, "cannot read the CA file \"%s\"", b->ca_file);
  return ZQUIC_OK;
}

static int validate_pool(const zq_proxy_conf *c, size_t index, char *error, size_t cap) {
  const zq_proxy_pool_conf *p = &c->pools[index];
  if (!p->name || !*p->name) return conf_fail(c, p->line, error, cap, "a pool needs a name");
  for (size_t j = 0; j < index; j++)
    if (strcmp(c->pools[j].name, p->name) == 0)
      return conf_fail(c, p->line, error, cap, "duplicate pool \"%s\" (first at line %d)",
                       p->name, c->pools[j].line);
  if (!zq_proxy_lb_name(p->algorithm))
    return conf_fail(c, p->line, error, cap, "pool \"%s\": unknown algorithm %d", p->name,
                     p->algorithm);
  /* A file names its backends; a proxy built by the API gets them later (503 until then). */
  if (p->n_backends == 0 && c->source)
    return conf_fail(c, p->line, error, cap, "pool \"%s\" has no backends", p->name);
  if (p->n_backends > ZQ_PROXY_MAX_BACKENDS)
    return conf_fail(c, p->line, error, cap, "pool \"%s\": more than %d backends", p->name,
                     ZQ_PROXY_MAX_BACKENDS);
  if (request_path_problem(p->health.path))
    return conf_fail(c, p->line, error, cap, "pool \"%s\": health path \"%s\": %s", p->name,
                     p->health.path ? p->health.path : "", request_path_problem(p->health.path));
  for (size_t i = 0; i < p->n_backends; i++) {
    int rc = validate_backend(c, p, &p->backends[i], error, cap);
    if (rc != ZQUIC_OK) return rc;
  }
  return ZQUIC_OK;
}

/* Routes built by the API may still spell "any host" as "*" and use capitals. */
static bool same_host_pattern(const char *a, const char *b) {
  if (a && strcmp(a, "*") == 0) a = NULL;
  if (b && strcmp(b, "*") == 0) b = NULL;
  return (!a && !b) || (a && b && strcasecmp(a, b) == 0);
}

static bool pool_exists(const zq_proxy_conf *c, const char *name) {
  for (size_t i = 0; name && i < c->n_pools; i++)
    if (strcmp(c->pools[i].name, name) == 0) return true;
  return false;
}

/* Routes are compared pairwise: validation runs once per reload, and 4096 routes cost about
 * eight million string comparisons at worst, well under the time a reload may take. */
static int validate_route(const zq_proxy_conf *c, size_t index, char *error, size_t cap) {
  const zq_proxy_route_conf *r = &c->routes[index];
  const char *why = NULL;
  char *normal = NULL;
  if (zq_proxy_host_pattern(r->host, &normal, &why) != ZQUIC_OK)
    return conf_fail(c, r->line, error, cap, "route host \"%s\": %s", r->host,
                     why ? why : "out of memory");
  free(normal);
  if ((why = zq_proxy_path_prefix_problem(r->path_prefix)))
    return conf_fail(c, r->line, error, cap, "route path \"%s\": %s",
                     r->path_prefix ? r->path_prefix : "", why);
  if (!pool_exists(c, r->pool))
    return conf_fail(c, r->line, error, cap, "route to pool \"%s\", which is not defined",
                     r->pool ? r->pool : "");
  for (size_t j = 0; j < index; j++) {
    const zq_proxy_route_conf *o = &c->routes[j];
    if (same_host_pattern(o->host, r->host) && strcmp(o->path_prefix, r->path_prefix) == 0)
      return conf_fail(c, r->line, error, cap,
                       "duplicate route for host %s and path %s (first at line %d)",
                       r->host ? r->host : "*", r->path_prefix, o->line);
  }
  return ZQUIC_OK;
}

static int validate_limits(const zq_proxy_conf *c, char *error, size_t cap) {
  const zq_proxy_limits_conf *l = &c->limits;
  if (l->max_header_bytes < 256 || l->max_header_bytes > 1048576)
    return conf_fail(c, 0, error, cap, "max_header_bytes must be 256 to 1048576");
  if (!(l->rate_per_second >= 0 && l->rate_per_second <= 1e9))
    return conf_fail(c, 0, error, cap, "rate_per_second must be 0 to 1e9");
  if (l->rate_per_second > 0 && l->rate_burst < 1)
    return conf_fail(c, 0, error, cap, "rate_burst must be at least 1");
  if (l->max_clients < 1 || l->max_clients > 16777216)
    return conf_fail(c, 0, error, cap, "max_clients must be 1 to 16777216");
  return ZQUIC_OK;
}

int zq_proxy_conf_validate(const zq_proxy_conf *c, char *error, size_t cap) {
  int rc;
  if (c->n_listeners == 0)
    return conf_fail(c, 0, error, cap, "no listener (listeners = ( { listen = ...; } ))");
  if (c->n_listeners > ZQ_PROXY_MAX_LISTENERS || c->n_pools > ZQ_PROXY_MAX_POOLS ||
      c->n_routes > ZQ_PROXY_MAX_ROUTES)
    return conf_fail(c, 0, error, cap, "more than %d listeners, %d pools or %d routes",
                     ZQ_PROXY_MAX_LISTENERS, ZQ_PROXY_MAX_POOLS, ZQ_PROXY_MAX_ROUTES);
  for (size_t i = 0; i < c->n_listeners; i++)
    if ((rc = validate_listener(c, &c->listeners[i], error, cap)) != ZQUIC_OK) return rc;
  for (size_t i = 0; i < c->n_pools; i++)
    if ((rc = validate_pool(c, i, error, cap)) != ZQUIC_OK) return rc;
  for (size_t i = 0; i < c->n_routes; i++)
    if ((rc = validate_route(c, i, error, cap)) != ZQUIC_OK) return rc;
  const char *why = c->metrics_listen ? zq_proxy_address_problem(c->metrics_listen, true) : NULL;
  if (why) return conf_fail(c, 0, error, cap, "metrics listen \"%s\": %s", c->metrics_listen, why);
  return validate_limits(c, error, cap);
}
