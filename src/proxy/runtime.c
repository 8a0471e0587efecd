/*
 * runtime.c — the running form of a configuration: pools with their backends and balancers,
 * the route table and the rate limiter, built from a validated zq_proxy_conf.
 *
 * Building a runtime on a reload takes over every backend the old one had with the same pool,
 * address and protocol (and TLS settings): its health verdict, counters and open connections
 * carry on, so a reload neither forgets that a backend is down nor reconnects to the ones that
 * are up. Backends are reference counted; the one a request is using outlives the runtime that
 * dropped it until the request ends.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_internal.h"

const double zq_proxy_latency_bounds_s[ZQ_PROXY_LATENCY_BUCKETS] = {
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0};

static void backend_conf_clear(zq_proxy_backend_conf *c) {
  free(c->address);
  free(c->sni);
  free(c->ca_file);
  memset(c, 0, sizeof(*c));
}

static char *dup_opt(const char *s) { return s ? strdup(s) : NULL; }

static bool str_eq(const char *a, const char *b) {
  return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Same backend for the purpose of keeping its state across a reload. */
static bool same_backend(const zq_backend_rt *b, const char *pool,
                         const zq_proxy_backend_conf *c) {
  return strcmp(b->pool_name, pool) == 0 && strcmp(b->conf.address, c->address) == 0 &&
         b->conf.protocol == c->protocol && str_eq(b->conf.sni, c->sni) &&
         str_eq(b->conf.ca_file, c->ca_file) && b->conf.insecure == c->insecure;
}

static zq_backend_rt *backend_new(zq_proxy *px, const char *pool, const zq_proxy_backend_conf *c) {
  zq_backend_rt *b = calloc(1, sizeof(*b));
  if (!b) return NULL;
  b->refs = 1;
  b->proxy = px;
  b->active_up = true;
  snprintf(b->pool_name, sizeof(b->pool_name), "%s", pool);
  b->conf = *c;
  b->conf.address = strdup(c->address);
  b->conf.sni = dup_opt(c->sni);
  b->conf.ca_file = dup_opt(c->ca_file);
  if (!b->conf.address || (c->sni && !b->conf.sni) || (c->ca_file && !b->conf.ca_file)) {
    backend_conf_clear(&b->conf);
    free(b);
    return NULL;
  }
  if (c->insecure)
    zq_px_log(px, "warning: backend %s of pool %s: TLS verification is OFF "
              "(insecure_skip_verify)", c->address, pool);
  return b;
}

void zq_backend_ref(zq_backend_rt *b) { b->refs++; }

void zq_backend_unref(zq_backend_rt *b) {
  if (--b->refs > 0) return;
  zq_upstream_close_backend(b);
  backend_conf_clear(&b->conf);
  free(b);
}

static zq_backend_rt *take_over(const zq_proxy_rt *old, const char *pool,
                                const zq_proxy_backend_conf *c) {
  for (size_t p = 0; old && p < old->n_pools; p++)
    for (size_t i = 0; i < old->pools[p].n_backends; i++) {
      zq_backend_rt *b = old->pools[p].backends[i];
      if (same_backend(b, pool, c)) {
        b->conf.weight = c->weight; /* weights may change in place */
        b->conf.line = c->line;
        zq_backend_ref(b);
        return b;
      }
    }
  return NULL;
}

static int pool_build(zq_proxy *px, zq_pool_rt *pool, const zq_proxy_pool_conf *conf,
                      const zq_proxy_rt *old) {
  pool->conf = conf;
  pool->backends = calloc(conf->n_backends ? conf->n_backends : 1, sizeof(zq_backend_rt *));
  pool->lb = calloc(conf->n_backends ? conf->n_backends : 1, sizeof(*pool->lb));
  if (!pool->backends || !pool->lb) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  for (size_t i = 0; i < conf->n_backends; i++) {
    const zq_proxy_backend_conf *c = &conf->backends[i];
    zq_backend_rt *b = take_over(old, conf->name, c);
    if (!b) b = backend_new(px, conf->name, c);
    if (!b) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
    pool->backends[pool->n_backends++] = b;
    pool->lb[i] = (zq_lb_backend){zq_lb_backend_id(c->address), c->weight ? c->weight : 1, true, 0};
  }
  int rc = zq_balancer_create(conf->algorithm, &pool->balancer);
  if (rc == 0) rc = zq_balancer_update(pool->balancer, pool->lb, pool->n_backends);
  return rc;
}

int zq_proxy_rt_build(zq_proxy *px, zq_proxy_conf *conf, const zq_proxy_rt *old,
                      zq_proxy_rt **out) {
  zq_proxy_rt *rt = calloc(1, sizeof(*rt));
  if (!rt) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  rt->refs = 1;
  rt->conf = *conf;
  zq_proxy_conf_init(conf); /* moved in */
  int rc = ZQUIC_OK;
  rt->pools = calloc(rt->conf.n_pools ? rt->conf.n_pools : 1, sizeof(*rt->pools));
  if (!rt->pools) {
    zq_proxy_conf_clear(&rt->conf); /* nothing else is held yet */
    free(rt);
    return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  }
  for (size_t p = 0; rc == 0 && p < rt->conf.n_pools; p++) {
    rt->n_pools = p + 1;
    rc = pool_build(px, &rt->pools[p], &rt->conf.pools[p], old);
  }
  if (rc == 0) rc = zq_route_table_build(rt->conf.routes, rt->conf.n_routes, &rt->routes);
  const zq_proxy_limits_conf *l = &rt->conf.limits;
  if (rc == 0 && l->rate_per_second > 0) {
    uint32_t burst = l->rate_burst ? l->rate_burst : (uint32_t)fmax(1.0, 2 * l->rate_per_second);
    rc = zq_ratelimit_create(l->rate_per_second, burst, l->max_clients ? l->max_clients : 65536,
                             &rt->ratelimit);
  }
  if (rc) {
    zq_proxy_rt_free(rt);
    return rc;
  }
  *out = rt;
  return ZQUIC_OK;
}

void zq_proxy_rt_free(zq_proxy_rt *rt) {
  if (!rt) return;
  for (size_t p = 0; p < rt->n_pools; p++) {
    zq_pool_rt *pool = &rt->pools[p];
    zq_health_stop(pool);
    for (size_t i = 0; i < pool->n_backends; i++) zq_backend_unref(pool->backends[i]);
    free(pool->backends);
    free(pool->lb);
    zq_balancer_free(pool->balancer);
  }
  free(rt->pools);
  zq_route_table_free(rt->routes);
  zq_ratelimit_free(rt->ratelimit);
  zq_proxy_conf_clear(&rt->conf);
  free(rt);
}

void zq_proxy_rt_unref(zq_proxy_rt *rt) {
  if (rt && --rt->refs == 0) zq_proxy_rt_free(rt);
}

zq_pool_rt *zq_proxy_rt_pool(zq_proxy_rt *rt, const char *name) {
  for (size_t p = 0; p < rt->n_pools; p++)
    if (strcmp(rt->pools[p].conf->name, name) == 0) return &rt->pools[p];
  return NULL;
}

bool zq_backend_healthy(const zq_backend_rt *b, uint64_t now_ns) {
  return b->active_up && now_ns >= b->down_until_ns;
}

zq_backend_rt *zq_pool_pick(zq_pool_rt *pool, const char *client_ip, const bool *exclude) {
  uint64_t now = zq_now_ns();
  for (size_t i = 0; i < pool->n_backends; i++) {
    pool->lb[i].healthy = zq_backend_healthy(pool->backends[i], now);
    pool->lb[i].active = pool->backends[i]->in_flight;
    pool->lb[i].weight = pool->backends[i]->conf.weight ? pool->backends[i]->conf.weight : 1;
  }
  size_t key_len = client_ip ? strlen(client_ip) : 0;
  int i = zq_balancer_pick(pool->balancer, pool->lb, pool->n_backends,
                           (const uint8_t *)client_ip, key_len, exclude);
  return i < 0 ? NULL : pool->backends[i];
}

void zq_backend_passive(zq_backend_rt *b, const zq_proxy_health_conf *h, bool bad) {
  if (!bad) {
    b->passive_bad = 0;
    return;
  }
  b->errors++;
  if (!h->passive_failures || ++b->passive_bad < h->passive_failures) return;
  b->passive_bad = 0;
  b->down_until_ns = zq_now_ns() + (uint64_t)h->passive_down_ms * 1000000u;
  zq_px_log(b->proxy, "backend %s of pool %s marked down for %u ms after %u failures in a row",
            b->conf.address, b->pool_name, h->passive_down_ms, h->passive_failures);
}

void zq_backend_observe_latency(zq_backend_rt *b, double seconds) {
  b->latency_count++;
  b->latency_sum_s += seconds;
  for (size_t i = 0; i < ZQ_PROXY_LATENCY_BUCKETS; i++)
    if (seconds <= zq_proxy_latency_bounds_s[i]) b->latency_buckets[i]++;
}
