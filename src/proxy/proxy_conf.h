/*
 * proxy_conf.h — Wraith's configuration model: listeners, pools of backends, routes and limits,
 * as plain data. It is filled from a libconfig file (proxy_conf.c; docs/CONFIG.md, "Wraith") or
 * by the public API (zquic_proxy_add_backend, zquic_proxy_route), validated as a whole, and then
 * used read-only by the proxy: a reload builds a new one and swaps it in, so a bad file never
 * touches the configuration that is serving.
 *
 * Every string is owned by the struct that holds it (malloc'd copies) and freed by
 * zq_proxy_conf_clear. `line` fields remember where a setting came from (0 = from the API) so
 * that later errors can name FILE:LINE too.
 *
 * Internal (zq_ prefix). No global state, no I/O except reading the file.
 */
#ifndef ZQ_PROXY_CONF_H
#define ZQ_PROXY_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libconfig.h>

#include "zquic.h"

/* Backend protocols (public values: ZQUIC_PROXY_BACKEND_*). */
#define ZQ_PROXY_H3 0
#define ZQ_PROXY_HTTP1 1

/* Balancing algorithms (public values: ZQUIC_LB_*; 0 and 1 are the original lb_mode values). */
#define ZQ_LB_ROUND_ROBIN 0
#define ZQ_LB_LEAST_CONNECTIONS 1
#define ZQ_LB_WEIGHTED 2 /* smooth weighted round robin */
#define ZQ_LB_IP_HASH 3  /* consistent hashing of the client address */
#define ZQ_LB_RANDOM 4   /* power of two random choices (fewer requests in flight wins) */
#define ZQ_LB_COUNT 5

#define ZQ_PROXY_MAX_BACKENDS 256 /* per pool */
#define ZQ_PROXY_MAX_POOLS 256
#define ZQ_PROXY_MAX_ROUTES 4096
#define ZQ_PROXY_MAX_LISTENERS 16
#define ZQ_PROXY_MAX_CERTS 16 /* per listener */
#define ZQ_PROXY_MAX_WEIGHT 1000

typedef struct zq_proxy_backend_conf {
  char *address;  /* "host:port", "[v6]:port"; a name is resolved when connecting */
  int protocol;   /* ZQ_PROXY_H3 (default) or ZQ_PROXY_HTTP1 */
  unsigned weight; /* 1..ZQ_PROXY_MAX_WEIGHT, default 1 (used by ZQ_LB_WEIGHTED) */
  char *sni;      /* h3: name sent and verified; NULL = the host part of address */
  char *ca_file;  /* h3: pinned trust anchors (PEM); NULL = the system's */
  bool insecure;  /* h3: no certificate verification (tests only; logged loudly) */
  int line;
} zq_proxy_backend_conf;

typedef struct zq_proxy_health_conf {
  uint32_t interval_ms;      /* active checks: 0 = off; default 5000 */
  uint32_t timeout_ms;       /* per check; default 2000 */
  char *path;                /* GET this path; default "/" (always set after init) */
  int expect_status;         /* the status that counts as healthy; default 200 */
  unsigned rise;             /* consecutive good checks that bring a down backend up; default 2 */
  unsigned fall;             /* consecutive bad checks that take an up backend down; default 3 */
  unsigned passive_failures; /* consecutive connect failures / 5xx answers that mark a backend
                                down for passive_down_ms; 0 = no passive checks; default 3 */
  uint32_t passive_down_ms;  /* default 10000 */
} zq_proxy_health_conf;

typedef struct zq_proxy_pool_conf {
  char *name;
  int algorithm;                  /* ZQ_LB_*; default ZQ_LB_ROUND_ROBIN */
  zq_proxy_backend_conf *backends;
  size_t n_backends;
  zq_proxy_health_conf health;
  unsigned retries;               /* further backends tried when connecting fails, idempotent
                                     methods only; default 1, at most 8 */
  uint32_t connect_timeout_ms;    /* default 3000 */
  uint32_t response_timeout_ms;   /* until the backend's response header section: else 504;
                                     default 30000 */
  int line;
} zq_proxy_pool_conf;

typedef struct zq_proxy_route_conf {
  char *host;        /* "api.example.com" (exact), "*.example.com" (any name below it), or NULL
                        = any host; compared case-insensitively, a ":port" in the request's
                        authority is ignored */
  char *path_prefix; /* "/" (default), "/api": matches "/api", "/api/..." and "/api?..." but not
                        "/apix" (a prefix ending in '/' matches anything below it) */
  char *pool;        /* the name of a pool in the same configuration */
  int line;
} zq_proxy_route_conf;

typedef struct zq_proxy_cert_conf {
  char *cert_file; /* PEM chain */
  char *key_file;  /* PEM key */
  int line;        /* so that an unreadable file is reported where it was named */
} zq_proxy_cert_conf;

typedef struct zq_proxy_listener_conf {
  char *listen;              /* "127.0.0.1:443", "[::]:443" */
  zq_proxy_cert_conf *certs; /* at least one; the first is the default, SNI picks among them */
  size_t n_certs;
  char *alt_svc;             /* Alt-Svc value sent on responses; NULL = h3=":PORT"; ma=86400 */
  int line;
} zq_proxy_listener_conf;

typedef struct zq_proxy_limits_conf {
  uint32_t max_header_bytes;  /* request header section (names + values); 431 beyond; 16384 */
  uint64_t max_body_bytes;    /* request body; 413 beyond; default 64 MiB; 0 = no limit */
  double rate_per_second;     /* per client address (token bucket); 0 = no limit (default) */
  uint32_t rate_burst;        /* bucket size; default max(1, 2 * rate) */
  uint32_t max_clients;       /* addresses tracked by the rate limiter; default 65536 */
} zq_proxy_limits_conf;

typedef struct zq_proxy_conf {
  zq_proxy_listener_conf *listeners;
  size_t n_listeners;
  zq_proxy_pool_conf *pools;
  size_t n_pools;
  zq_proxy_route_conf *routes;
  size_t n_routes;
  zq_proxy_limits_conf limits;
  char *metrics_listen; /* "127.0.0.1:9100": Prometheus text over HTTP/1.1; NULL = off */
  char *access_log;     /* file to append one line per request to; "-" = stderr; NULL = off */
  char *source;         /* file the configuration came from, NULL = built by the API */
} zq_proxy_conf;

/* An empty configuration with the defaults above. */
void zq_proxy_conf_init(zq_proxy_conf *c);
void zq_proxy_health_conf_init(zq_proxy_health_conf *h); /* defaults; path = "/" (owned) */
/* Defaults for a pool named `name` (copied). ZQUIC_ERR_NO_MEMORY. */
int zq_proxy_pool_conf_init(zq_proxy_pool_conf *p, const char *name);
/* Free every string and array; leaves an empty, initialised configuration. */
void zq_proxy_conf_clear(zq_proxy_conf *c);
/* Deep copy (for the API, which edits a copy and swaps it in). */
int zq_proxy_conf_copy(const zq_proxy_conf *src, zq_proxy_conf *dst);

/* Read a whole proxy configuration from `setting` (the file's root, or a `proxy` group of the node
 * configuration). Unknown keys, wrong types and out-of-range values are errors. On failure
 * returns ZQUIC_ERR_INVALID_ARGUMENT with "FILE:LINE: what is wrong" in `error` (FILE = `file`)
 * and leaves *out cleared. */
int zq_proxy_conf_from_setting(const config_setting_t *setting, const char *file,
                               zq_proxy_conf *out, char *error, size_t error_cap);
/* Parse a libconfig file (or, for the second, text in memory named `name` in errors), then
 * zq_proxy_conf_from_setting its root and zq_proxy_conf_validate. ZQUIC_ERR_IO when the file
 * cannot be read, ZQUIC_ERR_INVALID_ARGUMENT for syntax or content, with error set. */
int zq_proxy_conf_load_file(const char *path, zq_proxy_conf *out, char *error, size_t error_cap);
int zq_proxy_conf_load_string(const char *text, const char *name, zq_proxy_conf *out, char *error,
                              size_t error_cap);
/* Whole-configuration rules: at least one listener with a certificate, unique pool names,
 * every route names an existing pool, no two routes with the same host and prefix, every pool
 * with a backend, addresses that parse, readable certificate files. Errors carry the line. */
int zq_proxy_conf_validate(const zq_proxy_conf *c, char *error, size_t error_cap);

/* The checks shared by the reader and the public API (zquic_proxy_route, _add_backend), so that a
 * value is refused the same way wherever it comes from. */
/* A route's host pattern: NULL or "*" = any host (*out = NULL); else a lower-cased copy in *out
 * (caller frees). Refused (ZQUIC_ERR_INVALID_ARGUMENT, *why = a static reason): a '*' anywhere
 * but as the whole first label, empty or overlong labels, a port, characters outside
 * [a-z0-9-_.]. ZQUIC_ERR_NO_MEMORY. */
int zq_proxy_host_pattern(const char *in, char **out, const char **why);
/* A route's path prefix: starts with '/', no spaces, controls, '?' or '#', at most 1024 bytes.
 * NULL when good, else a static reason. */
const char *zq_proxy_path_prefix_problem(const char *prefix);
/* An address splits as host:port / [v6]:port (zq_addr_split); `port_zero_ok` for listeners
 * (port 0 = any free port). NULL when good, else a static reason. */
const char *zq_proxy_address_problem(const char *address, bool port_zero_ok);

/* Names of algorithms and protocols as the file spells them ("round_robin", "least_connections",
 * "weighted", "ip_hash", "random"; "h3", "http1"). -1 / NULL when unknown. */
int zq_proxy_lb_from_name(const char *name);
const char *zq_proxy_lb_name(int algorithm);
int zq_proxy_protocol_from_name(const char *name);
const char *zq_proxy_protocol_name(int protocol);

#endif
