/*
 * proxy_conf_read.c — reading Wraith's configuration from libconfig settings, strictly: each
 * group has a table of the keys it may hold (type, range, where the value goes), and a key not in
 * it, a value of the wrong type or out of range is refused with "FILE:LINE: what is wrong", so a
 * typo never passes silently. The reader only fills a zq_proxy_conf; the rules across the whole
 * configuration (pools that exist, duplicates, readable files, addresses) are
 * zq_proxy_conf_validate's, which configurations built by the API go through too.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "proxy_conf.h"

#define MAX_STRING 4096 /* longer than any path or name a configuration needs */

typedef struct reader {
  const char *file;
  char *error;
  size_t cap;
} reader;

/* How a key's value is stored. CUSTOM keys are known to the table but read by the group's own
 * function (lists, nested groups, names of algorithms). */
typedef enum { F_STRING, F_U32, F_UINT, F_INT, F_U64, F_BOOL, F_NUMBER, F_CUSTOM } field_type;

typedef struct field {
  const char *key;
  field_type type;
  size_t offset;
  double lo, hi; /* inclusive; every integer range here is exact in a double */
} field;

#define STRING(k, t, m) {k, F_STRING, offsetof(t, m), 0, 0}
#define NUM(k, ty, t, m, lo, hi) {k, ty, offsetof(t, m), lo, hi}
#define BOOLEAN(k, t, m) {k, F_BOOL, offsetof(t, m), 0, 0}
#define CUSTOM(k) {k, F_CUSTOM, 0, 0, 0}
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const field root_fields[] = {
    CUSTOM("listeners"), CUSTOM("pools"),   CUSTOM("routes"),
    CUSTOM("limits"),    CUSTOM("metrics"), STRING("access_log", zq_proxy_conf, access_log),
};
static const field metrics_fields[] = {STRING("listen", zq_proxy_conf, metrics_listen)};
static const field limits_fields[] = {
    NUM("max_header_bytes", F_U32, zq_proxy_limits_conf, max_header_bytes, 256, 1048576),
    NUM("max_body_bytes", F_U64, zq_proxy_limits_conf, max_body_bytes, 0, 1LL << 53),
    NUM("rate_per_second", F_NUMBER, zq_proxy_limits_conf, rate_per_second, 0, 1e9),
    NUM("rate_burst", F_U32, zq_proxy_limits_conf, rate_burst, 1, 2e9),
    NUM("max_clients", F_U32, zq_proxy_limits_conf, max_clients, 1, 16777216),
};
static const field listener_fields[] = {
    STRING("listen", zq_proxy_listener_conf, listen),
    CUSTOM("certs"),
    STRING("alt_svc", zq_proxy_listener_conf, alt_svc),
};
static const field cert_fields[] = {
    STRING("cert", zq_proxy_cert_conf, cert_file),
    STRING("key", zq_proxy_cert_conf, key_file),
};
static const field pool_fields[] = {
    STRING("name", zq_proxy_pool_conf, name),
    CUSTOM("algorithm"),
    NUM("retries", F_UINT, zq_proxy_pool_conf, retries, 0, 8),
    NUM("connect_timeout_ms", F_U32, zq_proxy_pool_conf, connect_timeout_ms, 1, 3600000),
    NUM("response_timeout_ms", F_U32, zq_proxy_pool_conf, response_timeout_ms, 1, 3600000),
    CUSTOM("health"),
    CUSTOM("backends"),
};
static const field health_fields[] = {
    NUM("interval_ms", F_U32, zq_proxy_health_conf, interval_ms, 0, 3600000),
    NUM("timeout_ms", F_U32, zq_proxy_health_conf, timeout_ms, 1, 3600000),
    STRING("path", zq_proxy_health_conf, path),
    NUM("expect_status", F_INT, zq_proxy_health_conf, expect_status, 100, 599),
    NUM("rise", F_UINT, zq_proxy_health_conf, rise, 1, 100),
    NUM("fall", F_UINT, zq_proxy_health_conf, fall, 1, 100),
    NUM("passive_failures", F_UINT, zq_proxy_health_conf, passive_failures, 0, 100),
    NUM("passive_down_ms", F_U32, zq_proxy_health_conf, passive_down_ms, 1, 3600000),
};
static const field backend_fields[] = {
    STRING("address", zq_proxy_backend_conf, address),
    CUSTOM("protocol"),
    NUM("weight", F_UINT, zq_proxy_backend_conf, weight, 1, ZQ_PROXY_MAX_WEIGHT),
    STRING("sni", zq_proxy_backend_conf, sni),
    STRING("ca_file", zq_proxy_backend_conf, ca_file),
    BOOLEAN("insecure_skip_verify", zq_proxy_backend_conf, insecure),
};
static const field route_fields[] = {
    CUSTOM("host"),
    STRING("path", zq_proxy_route_conf, path_prefix),
    STRING("pool", zq_proxy_route_conf, pool),
};

static int fail(const reader *r, const config_setting_t *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(const reader *r, const config_setting_t *at, const char *fmt, ...) {
  char what[384];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof(what), fmt, ap);
  va_end(ap);
  /* The root group has no line of its own: what is missing from it is missing from line 1 on. */
  int line = at ? (int)config_setting_source_line(at) : 0;
  if (line <= 0) line = 1;
  if (r->error && r->cap) snprintf(r->error, r->cap, "%s:%d: %s", r->file, line, what);
  return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "%s:%d: %s", r->file, line, what);
}

static const char *type_name(field_type t) {
  switch (t) {
  case F_STRING: return "a string";
  case F_BOOL: return "true or false";
  case F_NUMBER: return "a number";
  default: return "an integer";
  }
}

static int store_number(const reader *r, const config_setting_t *s, const field *f, char *dst) {
  int type = config_setting_type(s);
  bool integer = type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64;
  if (!integer && !(f->type == F_NUMBER && type == CONFIG_TYPE_FLOAT))
    return fail(r, s, "%s must be %s", f->key, type_name(f->type));
  double v = integer ? (double)config_setting_get_int64(s) : config_setting_get_float(s);
  if (!isfinite(v) || v < f->lo || v > f->hi)
    return fail(r, s, "%s must be from %.15g to %.15g", f->key, f->lo, f->hi);
  switch (f->type) {
  case F_U32: *(uint32_t *)(void *)dst = (uint32_t)v; break;
  case F_UINT: *(unsigned *)(void *)dst = (unsigned)v; break;
  case F_INT: *(int *)(void *)dst = (int)v; break;
  case F_U64: *(uint64_t *)(void *)dst = (uint64_t)v; break;
  default: *(double *)(void *)dst = v; break;
  }
  return ZQUIC_OK;
}

static int store(const reader *r, const config_setting_t *s, const field *f, void *base) {
  char *dst = (char *)base + f->offset;
  if (f->type == F_STRING) {
    const char *v = config_setting_type(s) == CONFIG_TYPE_STRING ? config_setting_get_string(s)
                                                                 : NULL;
    if (!v) return fail(r, s, "%s must be a string", f->key);
    if (strlen(v) > MAX_STRING) return fail(r, s, "%s is longer than %d bytes", f->key, MAX_STRING);
    char *copy = strdup(v);
    if (!copy) return zq_error(ZQUIC_ERR_NO_MEMORY, "proxy configuration: out of memory");
    free(*(char **)(void *)dst);
    *(char **)(void *)dst = copy;
    return ZQUIC_OK;
  }
  if (f->type == F_BOOL) {
    if (config_setting_type(s) != CONFIG_TYPE_BOOL)
      return fail(r, s, "%s must be true or false", f->key);
    *(bool *)(void *)dst = config_setting_get_bool(s) != 0;
    return ZQUIC_OK;
  }
  return store_number(r, s, f, dst);
}

/* Check that `g` is a group of known keys only and store every non-CUSTOM one into `base`. */
static int read_fields(const reader *r, const config_setting_t *g, const field *fields, size_t n,
                       void *base, const char *where) {
  if (config_setting_type(g) != CONFIG_TYPE_GROUP)
    return fail(r, g, "%s must be a group { ... }", where);
  int count = config_setting_length(g);
  for (int i = 0; i < count; i++) {
    const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
    const char *name = config_setting_name(s);
    const field *f = NULL;
    for (size_t k = 0; name && k < n && !f; k++)
      if (strcmp(fields[k].key, name) == 0) f = &fields[k];
    if (!f)
      return fail(r, s, "unknown setting \"%s\" in %s (see docs/CONFIG.md)", name ? name : "?",
                  where);
    if (f->type == F_CUSTOM) continue;
    int rc = store(r, s, f, base);
    if (rc != ZQUIC_OK) return rc;
  }
  return ZQUIC_OK;
}

/* A list `key = ( ... )` of at most `max` entries, or NULL (*count 0) when the key is absent. */
static int get_list(const reader *r, const config_setting_t *g, const char *key, size_t max,
                    const config_setting_t **list, size_t *count) {
  *list = config_setting_get_member(g, key);
  *count = 0;
  if (!*list) return ZQUIC_OK;
  int type = config_setting_type(*list);
  int n = config_setting_length(*list);
  /* An empty "[ ]" is an array to libconfig, but means the same as "( )". */
  if (type != CONFIG_TYPE_LIST && !(type == CONFIG_TYPE_ARRAY && n == 0))
    return fail(r, *list, "%s must be a list ( { ... }, ... )", key);
  if ((size_t)n > max) return fail(r, *list, "%s: more than %zu entries", key, max);
  *count = (size_t)n;
  return ZQUIC_OK;
}

static int alloc_entries(void **array, size_t n, size_t size) {
  *array = n ? calloc(n, size) : NULL;
  return n && !*array ? zq_error(ZQUIC_ERR_NO_MEMORY, "proxy configuration: out of memory")
                      : ZQUIC_OK;
}

static int read_listener(const reader *r, const config_setting_t *g, zq_proxy_listener_conf *l) {
  l->line = (int)config_setting_source_line(g);
  int rc = read_fields(r, g, listener_fields, COUNT(listener_fields), l, "a listener");
  if (rc != ZQUIC_OK) return rc;
  if (!l->listen) return fail(r, g, "a listener needs listen = \"ADDR:PORT\"");
  const config_setting_t *list;
  size_t n;
  if ((rc = get_list(r, g, "certs", ZQ_PROXY_MAX_CERTS, &list, &n)) != ZQUIC_OK ||
      (rc = alloc_entries((void **)&l->certs, n, sizeof(*l->certs))) != ZQUIC_OK)
    return rc;
  for (size_t i = 0; i < n; i++) {
    const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
    zq_proxy_cert_conf *k = &l->certs[i];
    l->n_certs = i + 1;
    k->line = (int)config_setting_source_line(e);
    if ((rc = read_fields(r, e, cert_fields, COUNT(cert_fields), k, "a certificate")) != ZQUIC_OK)
      return rc;
    if (!k->cert_file || !k->key_file)
      return fail(r, e, "a certificate needs both cert = \"FILE\" and key = \"FILE\"");
  }
  return ZQUIC_OK;
}

static int read_backend(const reader *r, const config_setting_t *g, zq_proxy_backend_conf *b) {
  b->line = (int)config_setting_source_line(g);
  b->protocol = ZQ_PROXY_H3;
  b->weight = 1;
  int rc = read_fields(r, g, backend_fields, COUNT(backend_fields), b, "a backend");
  if (rc != ZQUIC_OK) return rc;
  if (!b->address) return fail(r, g, "a backend needs address = \"HOST:PORT\"");
  const config_setting_t *s = config_setting_get_member(g, "protocol");
  if (s) {
    const char *name = config_setting_get_string(s);
    b->protocol = zq_proxy_protocol_from_name(name);
    if (b->protocol < 0)
      return fail(r, s, "protocol must be \"h3\" or \"http1\"");
  }
  return ZQUIC_OK;
}

static int read_pool_algorithm(const reader *r, const config_setting_t *g, zq_proxy_pool_conf *p) {
  const config_setting_t *s = config_setting_get_member(g, "algorithm");
  if (!s) return ZQUIC_OK;
  const char *name = config_setting_get_string(s);
  p->algorithm = zq_proxy_lb_from_name(name);
  if (p->algorithm < 0)
    return fail(r, s,
                "unknown algorithm \"%s\" (round_robin, least_connections, weighted, ip_hash, "
                "random)",
                name ? name : "(not a string)");
  return ZQUIC_OK;
}

/* Pool names appear in metrics labels and log lines, so they stay plain. */
static bool pool_name_ok(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n > 64) return false;
  for (const char *c = name; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
          *c == '-' || *c == '_' || *c == '.'))
      return false;
  return true;
}

static int read_pool(const reader *r, const config_setting_t *g, zq_proxy_pool_conf *p) {
  int rc = zq_proxy_pool_conf_init(p, NULL);
  if (rc != ZQUIC_OK) return zq_error(rc, "proxy configuration: out of memory");
  free(p->name); /* the pool must name itself */
  p->name = NULL;
  p->line = (int)config_setting_source_line(g);
  if ((rc = read_fields(r, g, pool_fields, COUNT(pool_fields), p, "a pool")) != ZQUIC_OK ||
      (rc = read_pool_algorithm(r, g, p)) != ZQUIC_OK)
    return rc;
  if (!p->name || !pool_name_ok(p->name))
    return fail(r, g, "a pool needs name = \"NAME\" (1 to 64 of A-Z a-z 0-9 - _ .)");
  const config_setting_t *health = config_setting_get_member(g, "health");
  if (health &&
      (rc = read_fields(r, health, health_fields, COUNT(health_fields), &p->health,
                        "health")) != ZQUIC_OK)
    return rc;
  const config_setting_t *list;
  size_t n;
  if ((rc = get_list(r, g, "backends", ZQ_PROXY_MAX_BACKENDS, &list, &n)) != ZQUIC_OK ||
      (rc = alloc_entries((void **)&p->backends, n, sizeof(*p->backends))) != ZQUIC_OK)
    return rc;
  for (size_t i = 0; i < n; i++) {
    p->n_backends = i + 1;
    rc = read_backend(r, config_setting_get_elem(list, (unsigned)i), &p->backends[i]);
    if (rc != ZQUIC_OK) return rc;
  }
  return ZQUIC_OK;
}

static int read_route(const reader *r, const config_setting_t *g, zq_proxy_route_conf *rt) {
  rt->line = (int)config_setting_source_line(g);
  int rc = read_fields(r, g, route_fields, COUNT(route_fields), rt, "a route");
  if (rc != ZQUIC_OK) return rc;
  if (!rt->pool) return fail(r, g, "a route needs pool = \"NAME\"");
  const config_setting_t *host = config_setting_get_member(g, "host");
  if (host) {
    const char *text = config_setting_get_string(host);
    const char *why = NULL;
    if (!text) return fail(r, host, "host must be a string");
    if ((rc = zq_proxy_host_pattern(text, &rt->host, &why)) == ZQUIC_ERR_NO_MEMORY)
      return zq_error(rc, "proxy configuration: out of memory");
    if (rc != ZQUIC_OK) return fail(r, host, "host \"%s\": %s", text, why);
  }
  if (!rt->path_prefix && !(rt->path_prefix = strdup("/")))
    return zq_error(ZQUIC_ERR_NO_MEMORY, "proxy configuration: out of memory");
  const char *why = zq_proxy_path_prefix_problem(rt->path_prefix);
  if (why) return fail(r, config_setting_get_member(g, "path"), "path \"%s\": %s", rt->path_prefix, why);
  return ZQUIC_OK;
}

static int read_limits(const reader *r, const config_setting_t *g, zq_proxy_limits_conf *l) {
  int rc = read_fields(r, g, limits_fields, COUNT(limits_fields), l, "limits");
  if (rc != ZQUIC_OK) return rc;
  if (!config_setting_get_member(g, "rate_burst")) {
    double burst = ceil(2 * l->rate_per_second);
    l->rate_burst = burst < 1 ? 1 : (uint32_t)burst;
  }
  return ZQUIC_OK;
}

/* listeners, pools and routes: allocate the array, then read each entry with `read_one`. */
typedef int (*entry_reader)(const reader *r, const config_setting_t *g, void *entry);

static int read_entries(const reader *r, const config_setting_t *root, const char *key,
                        size_t max, size_t size, void **array, size_t *count,
                        entry_reader read_one) {
  const config_setting_t *list;
  size_t n;
  int rc;
  if ((rc = get_list(r, root, key, max, &list, &n)) != ZQUIC_OK ||
      (rc = alloc_entries(array, n, size)) != ZQUIC_OK)
    return rc;
  for (size_t i = 0; i < n; i++) {
    *count = i + 1; /* before reading, so that clearing frees a half-read entry */
    rc = read_one(r, config_setting_get_elem(list, (unsigned)i), (char *)*array + i * size);
    if (rc != ZQUIC_OK) return rc;
  }
  return ZQUIC_OK;
}

static int read_listener_entry(const reader *r, const config_setting_t *g, void *e) {
  return read_listener(r, g, e);
}
static int read_pool_entry(const reader *r, const config_setting_t *g, void *e) {
  return read_pool(r, g, e);
}
static int read_route_entry(const reader *r, const config_setting_t *g, void *e) {
  return read_route(r, g, e);
}

static int read_root(const reader *r, const config_setting_t *g, zq_proxy_conf *c) {
  int rc = read_fields(r, g, root_fields, COUNT(root_fields), c, "the proxy configuration");
  if (rc != ZQUIC_OK) return rc;
  if ((rc = read_entries(r, g, "listeners", ZQ_PROXY_MAX_LISTENERS, sizeof(*c->listeners),
                         (void **)&c->listeners, &c->n_listeners, read_listener_entry)) != 0 ||
      (rc = read_entries(r, g, "pools", ZQ_PROXY_MAX_POOLS, sizeof(*c->pools), (void **)&c->pools,
                         &c->n_pools, read_pool_entry)) != 0 ||
      (rc = read_entries(r, g, "routes", ZQ_PROXY_MAX_ROUTES, sizeof(*c->routes),
                         (void **)&c->routes, &c->n_routes, read_route_entry)) != 0)
    return rc;
  if (c->n_listeners == 0) {
    const config_setting_t *at = config_setting_get_member(g, "listeners");
    return fail(r, at ? at : g, "no listener (listeners = ( { listen = ...; certs = ...; } ))");
  }
  const config_setting_t *limits = config_setting_get_member(g, "limits");
  if (limits && (rc = read_limits(r, limits, &c->limits)) != ZQUIC_OK) return rc;
  const config_setting_t *metrics = config_setting_get_member(g, "metrics");
  if (metrics &&
      (rc = read_fields(r, metrics, metrics_fields, COUNT(metrics_fields), c, "metrics")) != 0)
    return rc;
  /* Checked here as well as in validate: only here is its line known. */
  const char *why = c->metrics_listen ? zq_proxy_address_problem(c->metrics_listen, true) : NULL;
  if (why)
    return fail(r, config_setting_get_member(metrics, "listen"), "metrics listen \"%s\": %s",
                c->metrics_listen, why);
  return ZQUIC_OK;
}

int zq_proxy_conf_from_setting(const config_setting_t *setting, const char *file,
                               zq_proxy_conf *out, char *error, size_t error_cap) {
  reader r = {file ? file : "proxy configuration", error, error_cap};
  zq_proxy_conf_init(out);
  if (error && error_cap) error[0] = '\0';
  if (!setting) return fail(&r, NULL, "no proxy configuration");
  if (!(out->source = strdup(r.file)))
    return zq_error(ZQUIC_ERR_NO_MEMORY, "proxy configuration: out of memory");
  int rc = read_root(&r, setting, out);
  if (rc != ZQUIC_OK) {
    if (rc == ZQUIC_ERR_NO_MEMORY && error && error_cap)
      snprintf(error, error_cap, "%s: out of memory", r.file);
    zq_proxy_conf_clear(out);
  }
  return rc;
}

/* Shared tail of both loaders: read the parsed tree, then the whole-configuration rules. */
static int load_parsed(config_t *cfg, const char *name, zq_proxy_conf *out, char *error,
                       size_t cap) {
  int rc = zq_proxy_conf_from_setting(config_root_setting(cfg), name, out, error, cap);
  if (rc == ZQUIC_OK && (rc = zq_proxy_conf_validate(out, error, cap)) != ZQUIC_OK)
    zq_proxy_conf_clear(out);
  return rc;
}

static int parse_error(const config_t *cfg, const char *name, char *error, size_t cap) {
  const char *file = config_error_file(cfg) ? config_error_file(cfg) : name;
  if (error && cap)
    snprintf(error, cap, "%s:%d: %s", file, config_error_line(cfg), config_error_text(cfg));
  return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "%s:%d: %s", file, config_error_line(cfg),
                  config_error_text(cfg));
}

int zq_proxy_conf_load_file(const char *path, zq_proxy_conf *out, char *error, size_t error_cap) {
  zq_proxy_conf_init(out);
  if (!path) {
    if (error && error_cap) snprintf(error, error_cap, "proxy configuration: no file named");
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "proxy configuration: no file named");
  }
  config_t cfg;
  config_init(&cfg);
  int rc;
  if (config_read_file(&cfg, path) == CONFIG_TRUE) {
    rc = load_parsed(&cfg, path, out, error, error_cap);
  } else if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO) {
    if (error && error_cap) snprintf(error, error_cap, "%s: cannot read the file", path);
    rc = zq_error(ZQUIC_ERR_IO, "%s: cannot read the file", path);
  } else {
    rc = parse_error(&cfg, path, error, error_cap);
  }
  config_destroy(&cfg);
  return rc;
}

/* Text in memory has no directory to resolve "@include" against, and following it would let
 * whoever supplies the text (the API, a fuzzer) make the reader open any file. */
static int refuse_include(const char *text, const char *name, char *error, size_t cap) {
  const char *at = strstr(text, "@include");
  if (!at) return ZQUIC_OK;
  int line = 1;
  for (const char *p = text; p < at; p++) line += *p == '\n';
  if (error && cap) snprintf(error, cap, "%s:%d: @include is not allowed here", name, line);
  return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "%s:%d: @include is not allowed here", name, line);
}

int zq_proxy_conf_load_string(const char *text, const char *name, zq_proxy_conf *out, char *error,
                              size_t error_cap) {
  zq_proxy_conf_init(out);
  if (!name) name = "proxy configuration";
  if (!text) {
    if (error && error_cap) snprintf(error, error_cap, "%s: no text", name);
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "%s: no text", name);
  }
  int rc = refuse_include(text, name, error, error_cap);
  if (rc != ZQUIC_OK) return rc;
  config_t cfg;
  config_init(&cfg);
  if (config_read_string(&cfg, text) == CONFIG_TRUE)
    rc = load_parsed(&cfg, name, out, error, error_cap);
  else
    rc = parse_error(&cfg, name, error, error_cap);
  config_destroy(&cfg);
  return rc;
}
