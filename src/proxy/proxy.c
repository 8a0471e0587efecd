/*
 * proxy.c — Wraith's public face: zquic_proxy_create, reload, the API that edits a running
 * configuration, stats and destroy.
 *
 * Every change takes the same road: a complete new zq_proxy_conf is made (read from the file, or
 * copied from the running one and edited), validated as a whole, turned into a runtime on the
 * loop thread and swapped in. So an API call and a reload cannot disagree about what is valid,
 * and a refused change leaves the serving configuration untouched. Listeners and the metrics
 * endpoint are opened once, at create: their sockets are not part of a reload.
 *
 * Public calls run their work on the loop thread (zq_ctx_call); the error text is carried back
 * in the call's arguments, since zquic_last_error() is per thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proxy_internal.h"

ZQUIC_API void zquic_proxy_config_init(zquic_proxy_config *cfg) {
  if (!cfg) return;
  memset(cfg, 0, sizeof(*cfg));
  cfg->struct_size = sizeof(*cfg);
  cfg->lb_mode = ZQUIC_LB_ROUND_ROBIN;
  cfg->timeout_ms = 30000;
  cfg->backend_protocol = ZQUIC_PROXY_BACKEND_H3;
}

ZQUIC_API void zquic_proxy_backend_init(zquic_proxy_backend *backend) {
  if (!backend) return;
  memset(backend, 0, sizeof(*backend));
  backend->struct_size = sizeof(*backend);
  backend->weight = 1;
}

/* ---- a configuration from the API's fields -------------------------------------------------- */

static char *dup_opt(const char *s) { return s ? strdup(s) : NULL; }

static int backend_conf_from(const zquic_proxy_backend *in, zq_proxy_backend_conf *out) {
  memset(out, 0, sizeof(*out));
  out->protocol = in->protocol;
  out->weight = in->weight;
  out->insecure = in->insecure_skip_verify_DANGEROUS != 0;
  out->address = dup_opt(in->address);
  out->sni = dup_opt(in->sni);
  out->ca_file = dup_opt(in->ca_file);
  if ((in->address && !out->address) || (in->sni && !out->sni) || (in->ca_file && !out->ca_file))
    return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  return ZQUIC_OK;
}

static int pool_add_backend(zq_proxy_pool_conf *p, const zquic_proxy_backend *b) {
  if (p->n_backends >= ZQ_PROXY_MAX_BACKENDS)
    return zq_error(ZQUIC_ERR_LIMIT, "pool \"%s\" has %d backends already", p->name,
                    ZQ_PROXY_MAX_BACKENDS);
  zq_proxy_backend_conf *grown = realloc(p->backends, (p->n_backends + 1) * sizeof(*grown));
  if (!grown) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  p->backends = grown;
  int rc = backend_conf_from(b, &p->backends[p->n_backends]);
  p->n_backends++; /* counted even when half filled, so that clear frees it */
  return rc;
}

static zq_proxy_pool_conf *conf_pool(zq_proxy_conf *c, const char *name, bool create) {
  for (size_t i = 0; i < c->n_pools; i++)
    if (strcmp(c->pools[i].name, name) == 0) return &c->pools[i];
  if (!create || c->n_pools >= ZQ_PROXY_MAX_POOLS) return NULL;
  zq_proxy_pool_conf *grown = realloc(c->pools, (c->n_pools + 1) * sizeof(*grown));
  if (!grown) return NULL;
  c->pools = grown;
  if (zq_proxy_pool_conf_init(&c->pools[c->n_pools], name) != ZQUIC_OK) return NULL;
  c->pools[c->n_pools].health.interval_ms = 0; /* API pools: active checks off, like "default" */
  return &c->pools[c->n_pools++];
}

static int conf_add_route(zq_proxy_conf *c, const char *host, const char *prefix,
                          const char *pool) {
  if (host && strcmp(host, "*") == 0) host = NULL;
  for (size_t i = 0; i < c->n_routes; i++) { /* same host and prefix: replaced */
    zq_proxy_route_conf *r = &c->routes[i];
    bool same_host = (!host && !r->host) || (host && r->host && strcasecmp(host, r->host) == 0);
    if (same_host && strcmp(r->path_prefix, prefix) == 0) {
      char *p = strdup(pool);
      if (!p) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
      free(r->pool);
      r->pool = p;
      return ZQUIC_OK;
    }
  }
  if (c->n_routes >= ZQ_PROXY_MAX_ROUTES)
    return zq_error(ZQUIC_ERR_LIMIT, "at most %d routes", ZQ_PROXY_MAX_ROUTES);
  zq_proxy_route_conf *grown = realloc(c->routes, (c->n_routes + 1) * sizeof(*grown));
  if (!grown) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  c->routes = grown;
  zq_proxy_route_conf *r = &c->routes[c->n_routes++];
  memset(r, 0, sizeof(*r));
  r->host = dup_opt(host);
  r->path_prefix = strdup(prefix);
  r->pool = strdup(pool);
  if ((host && !r->host) || !r->path_prefix || !r->pool)
    return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  return ZQUIC_OK;
}

static int conf_from_api(const zquic_proxy_config *cfg, zq_proxy_conf *c) {
  zq_proxy_conf_init(c);
  if (!cfg->listen || !cfg->cert_file || !cfg->key_file)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT,
                    "a proxy needs config_file, or listen, cert_file and key_file");
  c->listeners = calloc(1, sizeof(*c->listeners));
  if (!c->listeners) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  c->n_listeners = 1;
  zq_proxy_listener_conf *l = &c->listeners[0];
  l->listen = strdup(cfg->listen);
  l->certs = calloc(1, sizeof(*l->certs));
  if (!l->listen || !l->certs) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  l->n_certs = 1;
  l->certs[0].cert_file = strdup(cfg->cert_file);
  l->certs[0].key_file = strdup(cfg->key_file);
  c->metrics_listen = dup_opt(cfg->metrics_listen);
  c->access_log = dup_opt(cfg->access_log);
  zq_proxy_pool_conf *p = conf_pool(c, "default", true);
  if (!p || !l->certs[0].cert_file || !l->certs[0].key_file ||
      (cfg->metrics_listen && !c->metrics_listen) || (cfg->access_log && !c->access_log))
    return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  if (cfg->lb_mode < 0 || cfg->lb_mode >= ZQ_LB_COUNT)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "lb_mode %d: use a ZQUIC_LB_* value", cfg->lb_mode);
  p->algorithm = cfg->lb_mode;
  p->health.interval_ms = cfg->health_check_interval_s * 1000u;
  if (cfg->timeout_ms) p->response_timeout_ms = cfg->timeout_ms;
  if (cfg->backend_address) {
    zquic_proxy_backend b;
    zquic_proxy_backend_init(&b);
    b.address = cfg->backend_address;
    b.protocol = cfg->backend_protocol;
    b.ca_file = cfg->backend_ca_file;
    int rc = pool_add_backend(p, &b);
    if (rc) return rc;
  }
  return conf_add_route(c, NULL, "/", "default");
}

/* ---- applying a configuration (loop thread) ------------------------------------------------- */

typedef struct px_call {
  zq_proxy *px;
  zq_proxy_conf *conf;            /* apply: moved into the runtime */
  const zquic_proxy_backend *backend;
  const char *host, *prefix, *pool;
  void *out;
  size_t index;
  char error[512];
} px_call;

static int keep_error(px_call *a, int rc) {
  if (rc && !a->error[0]) snprintf(a->error, sizeof(a->error), "%s", zquic_last_error());
  return rc;
}

/* Swap in a runtime built from a->conf; the old one goes once its last exchange ends. */
static int apply_on_loop(void *arg) {
  px_call *a = arg;
  zq_proxy *px = a->px;
  zq_proxy_rt *rt;
  int rc = zq_proxy_rt_build(px, a->conf, px->rt, &rt);
  if (rc) return keep_error(a, rc);
  zq_proxy_rt *old = px->rt;
  if (old)
    for (size_t p = 0; p < old->n_pools; p++) zq_health_stop(&old->pools[p]);
  px->rt = rt;
  for (size_t p = 0; p < rt->n_pools; p++) zq_health_start(px, &rt->pools[p]);
  zq_proxy_rt_unref(old);
  return ZQUIC_OK;
}

static int on_loop(zq_proxy *px, int (*fn)(void *), px_call *a) {
  a->px = px;
  bool taken = zq_ctx_enter(px->ctx);
  int rc = zq_ctx_call(px->ctx, fn, a);
  zq_ctx_leave(px->ctx, taken);
  /* Without a text of the call's own, zq_ctx_call's is already this thread's last error. */
  if (rc) return a->error[0] ? zq_error(rc, "%s", a->error) : rc;
  zq_error_clear();
  return ZQUIC_OK;
}

static int validate_and_apply(zq_proxy *px, zq_proxy_conf *conf) {
  px_call a = {.conf = conf};
  int rc = zq_proxy_conf_validate(conf, a.error, sizeof(a.error));
  if (rc) return zq_error(rc, "%s", a.error);
  return on_loop(px, apply_on_loop, &a);
}

/* ---- listeners -------------------------------------------------------------------------------- */

static int open_listener(zq_proxy *px, const zq_proxy_listener_conf *l, zq_listener_rt *out) {
  const char *certs[ZQ_PROXY_MAX_CERTS], *keys[ZQ_PROXY_MAX_CERTS];
  for (size_t i = 1; i < l->n_certs; i++) {
    certs[i - 1] = l->certs[i].cert_file;
    keys[i - 1] = l->certs[i].key_file;
  }
  zquic_server_config sc;
  zquic_server_config_init(&sc);
  sc.listen = l->listen;
  sc.cert_file = l->certs[0].cert_file;
  sc.key_file = l->certs[0].key_file;
  sc.sni_cert_files = certs;
  sc.sni_key_files = keys;
  sc.n_sni_certs = l->n_certs - 1;
  sc.h3 = &px->handler;
  snprintf(out->listen, sizeof(out->listen), "%s", l->listen);
  int rc = zquic_create_server(px->ctx, &sc, &out->server);
  if (rc) return zq_error(rc, "listener %s: %s", l->listen, zquic_last_error());
  if (l->alt_svc)
    snprintf(out->alt_svc, sizeof(out->alt_svc), "%s", l->alt_svc);
  else
    snprintf(out->alt_svc, sizeof(out->alt_svc), "h3=\":%d\"; ma=86400",
             zquic_server_port(out->server));
  return ZQUIC_OK;
}

static int open_listeners(zq_proxy *px, const zq_proxy_conf *c) {
  px->listeners = calloc(c->n_listeners, sizeof(*px->listeners));
  if (!px->listeners) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  for (size_t i = 0; i < c->n_listeners; i++) {
    int rc = open_listener(px, &c->listeners[i], &px->listeners[i]);
    if (rc) return rc;
    px->n_listeners = i + 1;
  }
  return ZQUIC_OK;
}

static int open_access_log(zq_proxy *px, const char *path) {
  if (!path) return ZQUIC_OK;
  if (strcmp(path, "-") == 0) {
    px->access_log = stderr;
    return ZQUIC_OK;
  }
  px->access_log = fopen(path, "a");
  if (!px->access_log)
    return zq_error(ZQUIC_ERR_IO, "cannot open the access log \"%s\": %s", path, strerror(errno));
  px->access_log_owned = true;
  return ZQUIC_OK;
}

static int metrics_on_loop(void *arg) {
  px_call *a = arg;
  return keep_error(a, zq_metrics_start(a->px, a->host, &a->px->metrics));
}

static int load_conf(const zquic_proxy_config *cfg, zq_proxy_conf *conf) {
  if (!cfg->config_file) return conf_from_api(cfg, conf);
  char error[512] = "";
  int rc = zq_proxy_conf_load_file(cfg->config_file, conf, error, sizeof(error));
  return rc ? zq_error(rc, "%s", error) : ZQUIC_OK;
}

static int create(zq_proxy *px, const zquic_proxy_config *cfg) {
  zq_proxy_conf conf;
  int rc = load_conf(cfg, &conf);
  if (rc == 0 && !cfg->config_file) {
    char error[512];
    rc = zq_proxy_conf_validate(&conf, error, sizeof(error));
    if (rc) zq_error(rc, "%s", error);
  }
  if (rc == 0 && cfg->config_file && !(px->config_file = strdup(cfg->config_file)))
    rc = zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  if (rc == 0) rc = open_access_log(px, conf.access_log);
  if (rc == 0) rc = open_listeners(px, &conf);
  if (rc == 0 && conf.metrics_listen) {
    px_call a = {.host = conf.metrics_listen};
    rc = on_loop(px, metrics_on_loop, &a);
  }
  if (rc == 0) {
    px_call a = {.conf = &conf};
    rc = on_loop(px, apply_on_loop, &a);
  }
  zq_proxy_conf_clear(&conf);
  return rc;
}

ZQUIC_API int zquic_proxy_create(zquic_context *ctx, const zquic_proxy_config *cfg,
                                 zquic_proxy **out) {
  if (!ctx || !cfg || !out) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  *out = NULL;
  if (cfg->struct_size == 0 || cfg->struct_size > sizeof(zquic_proxy_config))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT,
                    "zquic_proxy_config.struct_size is %zu: call zquic_proxy_config_init",
                    cfg->struct_size);
  zquic_proxy_config c;
  zquic_proxy_config_init(&c);
  memcpy(&c, cfg, cfg->struct_size);
  zq_proxy *px = calloc(1, sizeof(*px));
  if (!px) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  px->ctx = ctx;
  zq_list_init(&px->exchanges);
  zquic_h3_handler_config_init(&px->handler);
  px->handler.on_request = zq_px_on_request;
  px->handler.on_body = zq_px_on_body;
  px->handler.on_request_end = zq_px_on_request_end;
  px->handler.on_close = zq_px_on_close;
  px->handler.user = px;
  px->handler.server_name = "wraith (zquic/" ZQUIC_VERSION_STRING ")";
  int rc = create(px, &c);
  if (rc) {
    char why[512];
    snprintf(why, sizeof(why), "%s", zquic_last_error());
    zquic_proxy_destroy((zquic_proxy *)px);
    return zq_error(rc, "%s", why);
  }
  *out = (zquic_proxy *)px;
  return ZQUIC_OK;
}

#define PX(p) ((zq_proxy *)(void *)(p))

ZQUIC_API int zquic_proxy_config_check(const char *config_file) {
  if (!config_file) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL config_file");
  zq_proxy_conf conf;
  char error[512] = "";
  int rc = zq_proxy_conf_load_file(config_file, &conf, error, sizeof(error));
  zq_proxy_conf_clear(&conf);
  if (rc) return zq_error(rc, "%s", error);
  zq_error_clear();
  return ZQUIC_OK;
}

/* ---- changes to a running proxy -------------------------------------------------------------- */

static int reload_on_loop(void *arg) {
  px_call *a = arg;
  int rc = apply_on_loop(a);
  if (rc) {
    a->px->reload_failures++;
    snprintf(a->px->last_reload_error, sizeof(a->px->last_reload_error), "%s", a->error);
  } else {
    a->px->reloads++;
  }
  return rc;
}

ZQUIC_API int zquic_proxy_reload(zquic_proxy *proxy) {
  if (!proxy) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL proxy");
  zq_proxy *px = PX(proxy);
  if (!px->config_file)
    return zq_error(ZQUIC_ERR_STATE, "this proxy was built by the API: there is no file to reload");
  zq_proxy_conf conf;
  px_call a = {.conf = &conf};
  int rc = zq_proxy_conf_load_file(px->config_file, &conf, a.error, sizeof(a.error));
  if (rc == 0) {
    rc = on_loop(px, reload_on_loop, &a);
  } else {
    bool taken = zq_ctx_enter(px->ctx);
    px->reload_failures++;
    snprintf(px->last_reload_error, sizeof(px->last_reload_error), "%s", a.error);
    zq_ctx_leave(px->ctx, taken);
    zq_error(rc, "%s", a.error);
  }
  zq_proxy_conf_clear(&conf);
  if (rc) zq_px_log(px, "reload refused, the old configuration keeps serving: %s",
                    zquic_last_error());
  else zq_px_log(px, "configuration reloaded from %s", px->config_file);
  return rc;
}

/* Copy the running configuration (loop thread: it is only ever swapped there). */
static int copy_on_loop(void *arg) {
  px_call *a = arg;
  return keep_error(a, zq_proxy_conf_copy(&a->px->rt->conf, a->conf));
}

/* Edit a copy of the running configuration with `edit`, then validate and apply it. Two
 * concurrent edits could each miss the other's change: the API documents calls as made from
 * one thread at a time per proxy. */
static int edit(zq_proxy *px, int (*change)(zq_proxy_conf *, const px_call *), const px_call *in) {
  zq_proxy_conf conf;
  zq_proxy_conf_init(&conf);
  px_call a = {.conf = &conf};
  int rc = on_loop(px, copy_on_loop, &a);
  if (rc == 0) rc = change(&conf, in);
  if (rc == 0) rc = validate_and_apply(px, &conf);
  zq_proxy_conf_clear(&conf);
  return rc;
}

static int change_add_backend(zq_proxy_conf *c, const px_call *in) {
  const zquic_proxy_backend *b = in->backend;
  zq_proxy_pool_conf *p = conf_pool(c, b->pool ? b->pool : "default", true);
  if (!p) return zq_error(ZQUIC_ERR_LIMIT, "cannot add a pool (at most %d)", ZQ_PROXY_MAX_POOLS);
  return pool_add_backend(p, b);
}

ZQUIC_API int zquic_proxy_add_backend(zquic_proxy *proxy, const zquic_proxy_backend *backend) {
  if (!proxy || !backend || !backend->address)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL proxy, backend or address");
  if (backend->struct_size == 0 || backend->struct_size > sizeof(zquic_proxy_backend))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT,
                    "zquic_proxy_backend.struct_size is %zu: call zquic_proxy_backend_init",
                    backend->struct_size);
  zquic_proxy_backend b;
  zquic_proxy_backend_init(&b);
  memcpy(&b, backend, backend->struct_size);
  if (b.pool && (!*b.pool || strlen(b.pool) >= 128))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "pool name must be 1 to 127 bytes");
  px_call in = {.backend = &b};
  return edit(PX(proxy), change_add_backend, &in);
}

static int change_route(zq_proxy_conf *c, const px_call *in) {
  return conf_add_route(c, in->host, in->prefix, in->pool);
}

ZQUIC_API int zquic_proxy_route(zquic_proxy *proxy, const char *host, const char *path_prefix,
                                const char *pool) {
  if (!proxy || !pool) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL proxy or pool");
  px_call in = {.host = host, .prefix = path_prefix ? path_prefix : "/", .pool = pool};
  return edit(PX(proxy), change_route, &in);
}

/* ---- facts -------------------------------------------------------------------------------------- */

ZQUIC_API int zquic_proxy_port(const zquic_proxy *proxy, size_t index) {
  if (!proxy) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL proxy");
  const zq_proxy *px = (const zq_proxy *)(const void *)proxy;
  if (index >= px->n_listeners) return zq_error(ZQUIC_ERR_NOT_FOUND, "no listener %zu", index);
  return zquic_server_port(px->listeners[index].server);
}

ZQUIC_API int zquic_proxy_metrics_port(const zquic_proxy *proxy) {
  if (!proxy) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL proxy");
  const zq_proxy *px = (const zq_proxy *)(const void *)proxy;
  if (!px->metrics) return zq_error(ZQUIC_ERR_NOT_FOUND, "the metrics endpoint is off");
  return zq_metrics_port(px->metrics);
}

/* Copy `full` into the caller's struct as far as its struct_size reaches (an older caller's
 * struct is shorter); both start with struct_size, which is left as the caller set it. */
static void copy_out(void *out, const void *full) {
  size_t size = *(const size_t *)out;
  memcpy((char *)out + sizeof(size_t), (const char *)full + sizeof(size_t), size - sizeof(size_t));
}

static int stats_on_loop(void *arg) {
  px_call *a = arg;
  zq_proxy *px = a->px;
  zquic_proxy_counters s = {0};
  s.requests = px->requests;
  memcpy(s.responses, px->responses, sizeof(s.responses));
  s.rate_limited = px->rate_limited;
  s.too_large = px->too_large;
  s.bad_requests = px->bad_requests;
  s.retries = px->retries;
  s.upstream_timeouts = px->upstream_timeouts;
  s.reloads = px->reloads;
  s.reload_failures = px->reload_failures;
  uint64_t now = zq_now_ns();
  for (size_t p = 0; px->rt && p < px->rt->n_pools; p++) {
    const zq_pool_rt *pool = &px->rt->pools[p];
    s.pools++;
    for (size_t i = 0; i < pool->n_backends; i++) {
      s.backends++;
      s.backends_healthy += zq_backend_healthy(pool->backends[i], now);
      s.in_flight += pool->backends[i]->in_flight;
    }
  }
  copy_out(a->out, &s);
  return ZQUIC_OK;
}

ZQUIC_API int zquic_proxy_stats(zquic_proxy *proxy, zquic_proxy_counters *out) {
  if (!proxy || !out) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  if (out->struct_size < sizeof(size_t) || out->struct_size > sizeof(*out))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT,
                    "zquic_proxy_counters.struct_size is %zu: set it to sizeof(zquic_proxy_counters)",
                    out->struct_size);
  px_call a = {.out = out};
  return on_loop(PX(proxy), stats_on_loop, &a);
}

static int backend_stats_on_loop(void *arg) {
  px_call *a = arg;
  zq_proxy *px = a->px;
  size_t k = a->index;
  for (size_t p = 0; px->rt && p < px->rt->n_pools; p++) {
    const zq_pool_rt *pool = &px->rt->pools[p];
    if (k >= pool->n_backends) {
      k -= pool->n_backends;
      continue;
    }
    const zq_backend_rt *b = pool->backends[k];
    zquic_proxy_backend_counters s = {0};
    snprintf(s.pool, sizeof(s.pool), "%s", b->pool_name);
    snprintf(s.address, sizeof(s.address), "%s", b->conf.address);
    s.protocol = b->conf.protocol;
    s.healthy = zq_backend_healthy(b, zq_now_ns());
    s.in_flight = b->in_flight;
    s.open_connections = zq_upstream_open_connections(b);
    s.requests = b->requests;
    s.errors = b->errors;
    s.responses_5xx = b->responses_5xx;
    copy_out(a->out, &s);
    return ZQUIC_OK;
  }
  snprintf(a->error, sizeof(a->error), "no backend %zu", a->index);
  return ZQUIC_ERR_NOT_FOUND;
}

ZQUIC_API int zquic_proxy_backend_stats(zquic_proxy *proxy, size_t index,
                                            zquic_proxy_backend_counters *out) {
  if (!proxy || !out) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  if (out->struct_size < sizeof(size_t) || out->struct_size > sizeof(*out))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT,
                    "zquic_proxy_backend_counters.struct_size is %zu: set it to its sizeof",
                    out->struct_size);
  px_call a = {.out = out, .index = index};
  return on_loop(PX(proxy), backend_stats_on_loop, &a);
}

/* ---- the end ------------------------------------------------------------------------------------- */

static int teardown_on_loop(void *arg) {
  px_call *a = arg;
  zq_proxy *px = a->px;
  zq_px_abort_all(px);
  if (px->metrics) zq_metrics_stop(px->metrics);
  px->metrics = NULL;
  if (px->rt)
    for (size_t p = 0; p < px->rt->n_pools; p++) zq_health_stop(&px->rt->pools[p]);
  zq_proxy_rt_unref(px->rt);
  px->rt = NULL;
  return ZQUIC_OK;
}

ZQUIC_API void zquic_proxy_destroy(zquic_proxy *proxy) {
  if (!proxy) return;
  zq_proxy *px = PX(proxy);
  bool taken = zq_ctx_enter(px->ctx);
  px->stopping = true;
  zq_ctx_leave(px->ctx, taken);
  /* Servers first: closing their connections ends every exchange (on_close), and no request
   * can arrive once the runtime is gone. */
  for (size_t i = 0; i < px->n_listeners; i++) zquic_server_free(px->listeners[i].server);
  px_call a = {0};
  on_loop(px, teardown_on_loop, &a);
  if (px->access_log_owned) fclose(px->access_log);
  free(px->listeners);
  free(px->config_file);
  free(px);
}
