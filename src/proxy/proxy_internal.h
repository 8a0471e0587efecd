/*
 * proxy_internal.h — Wraith's running state, shared by the engine's files.
 *
 * A proxy lives on its context's loop thread: its listeners' exchanges, its backend connections
 * (HTTP/3 client connections of the same context, HTTP/1.1 TCP pools on the same libuv loop),
 * its health-check timers and its metrics socket all run there, so nothing in here needs a lock
 * beyond the context's (held by every loop callback). Public calls hop onto the loop with
 * zq_ctx_call.
 *
 * Configuration and running state are kept apart. A zq_proxy_conf (proxy_conf.h) is immutable
 * once applied; the runtime (zq_proxy_rt) built from it holds pools, backends, the route table
 * and the rate limiter. A reload builds a new runtime and swaps it in: a backend that is in the
 * old and the new configuration (same pool name, address and protocol) moves over with its
 * health, counters and connections, and requests in flight hold a reference to the backend they
 * use, so neither a reload nor a removed backend cuts them off.
 */
#ifndef ZQ_PROXY_INTERNAL_H
#define ZQ_PROXY_INTERNAL_H

#include "../h3/h3_internal.h"
#include "balance.h"
#include "h1_upstream.h"
#include "proxy_conf.h"
#include "ratelimit.h"
#include "route.h"

#define ZQ_PROXY_LATENCY_BUCKETS 12 /* Prometheus histogram buckets (+Inf apart) */
extern const double zq_proxy_latency_bounds_s[ZQ_PROXY_LATENCY_BUCKETS];

typedef struct zq_proxy zq_proxy;
typedef struct zq_pool_rt zq_pool_rt;
typedef struct zq_upstream zq_upstream;

/* One backend as it runs: its configuration, health, counters and connection(s). */
typedef struct zq_backend_rt {
  int refs;                 /* the runtime that lists it + one per request or check using it */
  zq_proxy *proxy;
  zq_proxy_backend_conf conf; /* owned copy */
  char pool_name[128];
  /* health */
  bool active_up;           /* the active checks' verdict (true until they say otherwise) */
  unsigned check_good, check_bad; /* consecutive results of active checks */
  unsigned passive_bad;     /* consecutive connect failures / 5xx */
  uint64_t down_until_ns;   /* passive checks took it out until then */
  bool check_running;
  /* connections */
  zquic_connection *h3_conn; /* HTTP/3 backends: the shared connection (our handle) */
  zq_h1_pool *h1_pool;       /* HTTP/1.1 backends */
  /* counters (zquic_proxy_backend_stats, metrics) */
  unsigned in_flight;
  uint64_t requests, errors, responses_5xx, connects;
  uint64_t latency_count, latency_buckets[ZQ_PROXY_LATENCY_BUCKETS];
  double latency_sum_s;
} zq_backend_rt;

struct zq_pool_rt {
  const zq_proxy_pool_conf *conf; /* points into the runtime's conf */
  zq_backend_rt **backends;
  zq_lb_backend *lb;              /* the balancer's view, refreshed before each pick */
  size_t n_backends;
  zq_balancer *balancer;
  struct zq_health *health;       /* active health checks (health.c); NULL when off */
  uint64_t no_backend;            /* requests answered 503 */
};

typedef struct zq_proxy_rt {
  int refs; /* the proxy while it is current + one per exchange routed with it */
  zq_proxy_conf conf;
  zq_pool_rt *pools;
  size_t n_pools;
  zq_route_table *routes;
  zq_ratelimit *ratelimit; /* NULL = no limit */
} zq_proxy_rt;

typedef struct zq_listener_rt {
  zquic_server *server;
  char alt_svc[128];
  char listen[256];
} zq_listener_rt;

struct zq_proxy {
  zquic_context *ctx;
  zq_proxy_rt *rt;             /* current runtime (loop thread) */
  zq_listener_rt *listeners;
  size_t n_listeners;
  zquic_h3_handler_config handler;
  char *config_file;           /* re-read by zquic_proxy_reload; NULL = API-built */
  FILE *access_log;
  bool access_log_owned;
  struct zq_metrics *metrics;
  zq_list exchanges;           /* every zq_px_exchange alive, to end them at destroy */
  bool stopping;
  /* counters */
  uint64_t requests, responses[6], rate_limited, retries, too_large, bad_requests;
  uint64_t reloads, reload_failures, upstream_timeouts;
  char last_reload_error[512];
};

/* ---- runtime (runtime.c) ---- */
/* Build a runtime for `conf` (moved in: *conf is left empty), taking over backends of `old`
 * (may be NULL) that are still configured. Loop thread. */
int zq_proxy_rt_build(zq_proxy *px, zq_proxy_conf *conf, const zq_proxy_rt *old,
                      zq_proxy_rt **out);
/* Drop a reference; the last one frees the runtime and its references to backends (backends in
 * use live on until their requests end). */
void zq_proxy_rt_unref(zq_proxy_rt *rt);
/* Free now, whatever the count (a runtime that was never applied). */
void zq_proxy_rt_free(zq_proxy_rt *rt);
zq_pool_rt *zq_proxy_rt_pool(zq_proxy_rt *rt, const char *name);
void zq_backend_ref(zq_backend_rt *b);
void zq_backend_unref(zq_backend_rt *b);
bool zq_backend_healthy(const zq_backend_rt *b, uint64_t now_ns);
/* Pick a backend of `pool` not in `exclude`; NULL when none is healthy. */
zq_backend_rt *zq_pool_pick(zq_pool_rt *pool, const char *client_ip, const bool *exclude);
/* Passive health: a request to `b` failed to connect / got a 5xx (bad) or succeeded. */
void zq_backend_passive(zq_backend_rt *b, const zq_proxy_health_conf *h, bool bad);
void zq_backend_observe_latency(zq_backend_rt *b, double seconds);

/* ---- upstream requests, HTTP/3 or HTTP/1.1 alike (upstream.c, upstream_h3.c) ---- */
typedef struct zq_upstream_callbacks {
  void (*on_response)(zq_upstream *u, int status, const zquic_h3_header *fields, size_t n,
                      void *user);
  void (*on_body)(zq_upstream *u, const uint8_t *data, size_t len, void *user);
  void (*on_end)(zq_upstream *u, const zquic_h3_header *trailers, size_t n, void *user);
  /* `connect_failed`: the request never reached the backend (safe to send elsewhere). */
  void (*on_error)(zq_upstream *u, int code, bool connect_failed, const char *detail, void *user);
  void (*on_writable)(zq_upstream *u, void *user);
} zq_upstream_callbacks;

typedef struct zq_upstream_request {
  const char *method, *path, *authority;
  const zquic_h3_header *fields; /* already rewritten for forwarding */
  size_t n_fields;
  int body;                      /* ZQ_H1_BODY_* */
  uint64_t content_length;
  uint32_t connect_timeout_ms;
  bool health_check;             /* not counted as a request of the backend */
} zq_upstream_request;

/* Start a request to backend `b` (which it references until it ends). After on_end / on_error
 * the upstream is freed by this layer; zq_upstream_cancel ends it without callbacks. */
int zq_upstream_start(zq_backend_rt *b, const zq_upstream_request *req,
                      const zq_upstream_callbacks *cb, void *user, zq_upstream **out);
/* Request body bytes (copied). ZQUIC_ERR_WOULD_BLOCK when the backend's buffer is full:
 * on_writable follows. */
int zq_upstream_write(zq_upstream *u, const void *data, size_t len, bool fin);
void zq_upstream_pause(zq_upstream *u, bool paused);
void zq_upstream_cancel(zq_upstream *u);
/* Close the backend's connections (the backend left the configuration or the proxy stops). */
void zq_upstream_close_backend(zq_backend_rt *b);
unsigned zq_upstream_open_connections(const zq_backend_rt *b);

/* The HTTP/3 implementation behind zq_upstream for ZQ_PROXY_H3 backends (upstream_h3.c). */
int zq_upstream_h3_start(zq_upstream *u);
int zq_upstream_h3_write(zq_upstream *u, const void *data, size_t len, bool fin);
void zq_upstream_h3_pause(zq_upstream *u, bool paused);
void zq_upstream_h3_cancel(zq_upstream *u);

struct zq_upstream {
  zq_backend_rt *backend;
  const zq_upstream_callbacks *cb;
  void *user;
  bool done;
  /* HTTP/1.1 */
  zq_h1_request *h1;
  /* HTTP/3 */
  zquic_connection *conn;      /* referenced while the request uses it */
  zq_h3_stream *st;
  zq_stream_waiter waiter;
  bool waiting, paused;
  size_t owed_credit;          /* response bytes taken while paused, credit not yet returned */
  zq_buf pending;              /* request body before the stream opened */
  bool pending_fin;
  zq_fields head;              /* method, path, authority and fields until the stream opens */
  char *method, *path, *authority;
};

/* ---- the request path (exchange.c, exchange_fields.c) ---- */
void zq_px_on_request(zquic_h3_exchange *ex, void *user);
void zq_px_on_body(zquic_h3_exchange *ex, const uint8_t *data, size_t len, void *user);
void zq_px_on_request_end(zquic_h3_exchange *ex, void *user);
void zq_px_on_close(zquic_h3_exchange *ex, void *user);
/* End every exchange (destroy): upstreams cancelled, clients reset. */
void zq_px_abort_all(zq_proxy *px);

/* Header rewriting for the way to the backend and the way back. */
/* A stack object, never copied once filled: `list` and the built strings start inside it (a
 * request's fields almost always fit, so forwarding them costs no allocation) and move to the
 * heap only when they outgrow it. A zeroed struct may be freed. */
#define ZQ_PX_FIELDS_INLINE 32
#define ZQ_PX_FIELDS_ARENA 512
typedef struct zq_px_fields {
  zquic_h3_header *list; /* inline_list, or a heap copy once it overflowed */
  size_t n, cap;
  char *storage;         /* heap blocks for strings past the arena (exchange_fields.c) */
  size_t arena_used;
  zquic_h3_header inline_list[ZQ_PX_FIELDS_INLINE];
  char arena[ZQ_PX_FIELDS_ARENA];
} zq_px_fields;
void zq_px_fields_free(zq_px_fields *f);
/* The request's fields minus pseudo-fields and hop-by-hop ones, plus Forwarded,
 * X-Forwarded-For/-Proto/-Host and Via. `client_ip` is the peer address without its port. */
int zq_px_request_fields(const zq_h3_stream *st, const char *client_ip, int protocol,
                         zq_px_fields *out);
/* The backend's response fields minus hop-by-hop ones (and its `server`), plus Via (naming
 * the backend's protocol, ZQ_PROXY_H3 / ZQ_PROXY_HTTP1) and Alt-Svc (NULL = none). */
int zq_px_response_fields(const zquic_h3_header *in, size_t n, int backend_protocol,
                          const char *alt_svc, zq_px_fields *out);
bool zq_px_hop_by_hop(const char *name);
bool zq_px_method_idempotent(const char *method);

/* ---- health checks (health.c) ---- */
void zq_health_start(zq_proxy *px, zq_pool_rt *pool);
void zq_health_stop(zq_pool_rt *pool);

/* ---- metrics (metrics.c) ---- */
typedef struct zq_metrics zq_metrics;
int zq_metrics_start(zq_proxy *px, const char *listen, zq_metrics **out);
int zq_metrics_port(const zq_metrics *m);
void zq_metrics_stop(zq_metrics *m);
/* The Prometheus text of everything the proxy counts (malloc'd, caller frees). */
char *zq_metrics_render(zq_proxy *px, size_t *len);
/* What a metrics client asked for, judged from the first `len` bytes it sent into a buffer of
 * `cap` bytes: INCOMPLETE until the header section's blank line arrives (TOO_LARGE once the
 * buffer is full without one). Only the request line counts: `GET /metrics[?...] HTTP/1.x`. */
typedef enum {
  ZQ_METRICS_INCOMPLETE,
  ZQ_METRICS_SCRAPE,     /* GET /metrics: answer with the text */
  ZQ_METRICS_BAD,        /* 400: no request line of the form METHOD SP TARGET SP HTTP/1.x */
  ZQ_METRICS_NOT_GET,    /* 405 */
  ZQ_METRICS_NOT_FOUND,  /* 404: another path */
  ZQ_METRICS_TOO_LARGE,  /* 431 */
} zq_metrics_request;
zq_metrics_request zq_metrics_read_request(const char *buf, size_t len, size_t cap);

/* ---- logging ---- */
void zq_px_log(zq_proxy *px, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
