/*
 * dns_server.c — zquic_dns_serve: a DoQ resolver made of the DoQ transport (doq_server.c) and the
 * resolution chain (resolver.c), with the zones and the ZNS registry it serves.
 *
 * Loading happens off the loop: files are read and verified into new immutable objects, and only
 * then swapped in under the context lock, so a reload never stalls queries and a bad file never
 * replaces good data (the error is returned and the old objects keep serving).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "resolver.h"

struct zquic_dns_server {
  zquic_context *ctx;
  zq_doq_server *doq;
  zq_resolver resolver;
  char **zone_files;
  size_t n_zone_files;
  char *zns_path;
};

ZQUIC_API void zquic_dns_config_init(zquic_dns_config *cfg) {
  if (!cfg) return;
  memset(cfg, 0, sizeof(*cfg));
  cfg->struct_size = sizeof(*cfg);
  cfg->cache_max_bytes = (size_t)32 << 20;
  cfg->no_fin_timeout_ms = 2000;
  cfg->upstream_timeout_ms = 2000;
}

static void count_reject(void *user, const char *domain, const char *reason) {
  uint64_t *rejected = user;
  (*rejected)++;
  /* No logging callback in the library: the count is in the stats, the reasons come from
   * `zquic zns verify`. */
  (void)domain;
  (void)reason;
}

/* Read every zone and the registry into new objects. */
static int load_data(zquic_dns_server *srv, zq_dns_zones **zones_out, zq_zns_registry **zns_out,
                     uint64_t *rejected) {
  *zones_out = NULL;
  *zns_out = NULL;
  *rejected = 0;
  char err[512];
  zq_dns_zones *zones = NULL;
  int rc = srv->n_zone_files ? zq_dns_zones_new(&zones) : 0;
  for (size_t i = 0; rc == 0 && i < srv->n_zone_files; i++) {
    zq_dns_zone *z = NULL;
    rc = zq_dns_zone_load(srv->zone_files[i], NULL, &z, err, sizeof(err));
    if (rc) {
      rc = zq_error(rc, "zone %s", err);
    } else if ((rc = zq_dns_zones_add(zones, z)) != 0) {
      zq_dns_zone_free(z);
      rc = zq_error(rc, "zone %s: another zone file has the same origin", srv->zone_files[i]);
    }
  }
  zq_zns_registry *zns = NULL;
  if (rc == 0 && srv->zns_path &&
      zq_zns_registry_load(srv->zns_path, (uint64_t)time(NULL), count_reject, rejected, &zns, err,
                           sizeof(err)) != 0)
    rc = zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "ZNS registry %s", err);
  if (rc) {
    zq_dns_zones_free(zones);
    zq_zns_registry_free(zns);
    return rc;
  }
  *zones_out = zones;
  *zns_out = zns;
  return ZQUIC_OK;
}

static void free_strings(char **v, size_t n) {
  for (size_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

static void server_free(zquic_dns_server *srv) {
  zq_doq_server_free(srv->doq); /* cancels the queries still waiting for upstreams */
  zq_dns_forwarder_free(srv->resolver.forwarder);
  zq_dns_cache_free(srv->resolver.cache);
  zq_dns_zones_free(srv->resolver.zones);
  zq_zns_registry_free(srv->resolver.zns);
  if (srv->resolver.ens) { /* after the DoQ server: its queries are all cancelled by now */
    bool taken = zq_ctx_enter(srv->ctx);
    zq_ens_free(srv->resolver.ens);
    zq_ctx_leave(srv->ctx, taken);
  }
  zq_zns_bridge_free(srv->resolver.zns_bridge); /* after the DoQ server too, without the lock */
  free_strings(srv->zone_files, srv->n_zone_files);
  free(srv->zns_path);
  free(srv);
}

ZQUIC_API int zquic_dns_serve(zquic_context *ctx, const zquic_dns_config *cfg,
                              zquic_dns_server **out) {
  if (out) *out = NULL;
  if (!ctx || !out) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  zquic_dns_config c;
  zquic_dns_config_init(&c);
  if (cfg) {
    if (cfg->struct_size == 0 || cfg->struct_size > sizeof(c))
      return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "DNS config: call zquic_dns_config_init first");
    memcpy(&c, cfg, cfg->struct_size);
  }
  if (c.n_zone_files && !c.zone_files)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "zone_files is NULL");
  if (c.n_upstreams && !c.upstreams)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "upstreams is NULL");
  zquic_dns_server *srv = calloc(1, sizeof(*srv));
  if (!srv) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  srv->ctx = ctx;
  int rc = ZQUIC_OK;
  srv->zone_files = calloc(c.n_zone_files ? c.n_zone_files : 1, sizeof(char *));
  for (size_t i = 0; srv->zone_files && i < c.n_zone_files; i++) {
    if (!c.zone_files[i] || !(srv->zone_files[i] = strdup(c.zone_files[i]))) {
      rc = zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "zone file %zu: NULL or out of memory", i);
      break;
    }
    srv->n_zone_files++;
  }
  if (!srv->zone_files || (c.zns_registry && !(srv->zns_path = strdup(c.zns_registry))))
    rc = zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  zq_dns_cache_config cc;
  zq_dns_cache_config_init(&cc);
  if (c.cache_max_bytes) cc.max_bytes = c.cache_max_bytes;
  if (rc == 0 && zq_dns_cache_new(&cc, &srv->resolver.cache) != 0)
    rc = zq_error(ZQUIC_ERR_NO_MEMORY, "cannot make the cache");
  if (rc == 0)
    rc = load_data(srv, &srv->resolver.zones, &srv->resolver.zns, &srv->resolver.zns_rejected);
  if (rc == 0 && c.n_upstreams) /* the forwarder copies the addresses */
    rc = zq_dns_forwarder_new(ctx, c.upstreams, c.n_upstreams, c.upstream_timeout_ms,
                              c.upstream_ca_file, &srv->resolver.forwarder);
  if (rc == 0 && c.eth_rpc_url) {
    zq_ens_config ec = {c.eth_rpc_url, c.ens_registry, c.eth_timeout_ms};
    rc = zq_ens_new(ctx, &ec, zq_resolver_on_ens_answer, &srv->resolver, &srv->resolver.ens);
  }
  if (rc == 0 && c.zns_ghostbridge) {
    zq_zns_bridge_config bc = {c.zns_ghostbridge, c.zns_ghostbridge_ca_file, c.zns_network,
                               c.zns_ghostbridge_timeout_ms};
    rc = zq_zns_bridge_new(ctx, &bc, zq_resolver_on_ens_answer, &srv->resolver,
                           &srv->resolver.zns_bridge);
  }
  zquic_server_config scfg;
  zquic_server_config_init(&scfg);
  scfg.listen = c.listen;
  scfg.cert_file = c.cert_file;
  scfg.key_file = c.key_file;
  scfg.enable_0rtt = c.enable_0rtt;
  scfg.retry = c.retry;
  zq_doq_handler h = {zq_resolver_on_query, zq_resolver_on_cancel, &srv->resolver};
  if (rc == 0) rc = zq_doq_server_create(ctx, &scfg, &h, c.no_fin_timeout_ms, &srv->doq);
  if (rc) {
    server_free(srv);
    return rc;
  }
  *out = srv;
  zq_error_clear();
  return ZQUIC_OK;
}

ZQUIC_API int zquic_dns_server_port(const zquic_dns_server *srv) {
  if (!srv) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL server");
  return zquic_server_port(zq_doq_server_quic(srv->doq));
}

ZQUIC_API int zquic_dns_server_reload(zquic_dns_server *srv) {
  if (!srv) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL server");
  zq_dns_zones *zones;
  zq_zns_registry *zns;
  uint64_t rejected;
  int rc = load_data(srv, &zones, &zns, &rejected);
  if (rc) return rc;
  bool taken = zq_ctx_enter(srv->ctx);
  zq_dns_zones *old_zones = srv->resolver.zones;
  zq_zns_registry *old_zns = srv->resolver.zns;
  srv->resolver.zones = zones;
  srv->resolver.zns = zns;
  srv->resolver.zns_rejected = rejected;
  zq_dns_cache_clear(srv->resolver.cache);
  zq_ctx_leave(srv->ctx, taken);
  /* Readers only run under the lock, so nobody holds the old objects any more. */
  zq_dns_zones_free(old_zones);
  zq_zns_registry_free(old_zns);
  zq_error_clear();
  return ZQUIC_OK;
}

ZQUIC_API int zquic_dns_server_stats(zquic_dns_server *srv, zquic_dns_stats *out) {
  if (!srv || !out || out->struct_size == 0 || out->struct_size > sizeof(zquic_dns_stats))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument or struct_size not set");
  zquic_dns_stats s;
  memset(&s, 0, sizeof(s));
  s.struct_size = out->struct_size;
  zq_doq_stats ds;
  zq_doq_server_stats(srv->doq, &ds);
  bool taken = zq_ctx_enter(srv->ctx);
  const zq_resolver_stats *r = &srv->resolver.stats;
  s.queries = r->queries;
  s.answers = r->answers;
  s.cache_hits = r->cache_hits;
  s.cache_misses = r->cache_misses;
  s.zone_answers = r->zone_answers;
  s.zns_answers = r->zns_answers;
  s.nxdomain = r->nxdomain;
  s.refused = r->refused;
  s.servfail = r->servfail;
  s.formerr = r->formerr;
  s.protocol_errors = ds.protocol_errors;
  s.cancelled = ds.cancelled;
  s.zns_entries = srv->resolver.zns ? zq_zns_registry_count(srv->resolver.zns) : 0;
  s.zns_rejected = srv->resolver.zns_rejected;
  s.forwarded = r->forwarded;
  s.upstream_failures = r->upstream_failures;
  if (srv->resolver.forwarder) {
    zq_dns_forwarder_stats fs;
    zq_dns_forwarder_stats_get(srv->resolver.forwarder, &fs);
    s.upstream_tcp = fs.tcp_fallbacks;
  }
  zq_ens_stats(srv->resolver.ens, &s.ens_lookups, &s.ens_failures);
  zq_zns_bridge_stats bs;
  zq_zns_bridge_stats_get(srv->resolver.zns_bridge, &bs);
  s.zns_bridge_lookups = bs.lookups;
  s.zns_bridge_answers = bs.answers;
  s.zns_bridge_failures = bs.failures;
  s.zns_bridge_rejected = bs.rejected;
  zq_ctx_leave(srv->ctx, taken);
  memcpy(out, &s, out->struct_size);
  return ZQUIC_OK;
}

ZQUIC_API void zquic_dns_server_free(zquic_dns_server *srv) {
  if (srv) server_free(srv);
}
