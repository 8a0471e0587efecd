/*
 * resolver.h — the DoQ server's resolution chain (resolver.c) and the objects it reads: cache,
 * zones, ZNS registry. The chain runs on the loop thread under the context lock; reloads build
 * new zone and registry objects off the lock and swap the pointers under it.
 */
#ifndef ZQ_DNS_RESOLVER_H
#define ZQ_DNS_RESOLVER_H

#include "cache.h"
#include "doq.h"
#include "forward.h"
#include "ens.h"
#include "message.h"
#include "zns.h"
#include "zns_bridge.h"
#include "zone.h"

typedef struct zq_resolver_stats {
  uint64_t queries, answers, cache_hits, cache_misses, zone_answers, zns_answers;
  uint64_t nxdomain, refused, servfail, formerr, protocol_errors, cancelled;
  uint64_t forwarded, upstream_failures; /* sent to upstreams; SERVFAIL because none answered */
} zq_resolver_stats;

typedef struct zq_resolver {
  zq_dns_cache *cache;
  zq_dns_zones *zones;     /* NULL = none */
  zq_zns_registry *zns;    /* NULL = none */
  uint64_t zns_rejected;   /* entries skipped at the last load */
  zq_resolver_stats stats;
  zq_dns_forwarder *forwarder; /* NULL = none: the rest is REFUSED */
  /* ENS link (ens.c): NULL unless an Ethereum endpoint is configured. */
  zq_ens *ens;
  /* ZNS names the registry does not hold, through GhostBridge (zns_bridge.c); NULL = none. */
  zq_zns_bridge *zns_bridge;
} zq_resolver;

/* A link that answers later (forwarding) keeps its state in the DoQ query's user slot, starting
 * with this; zq_resolver_on_cancel calls `cancel`, which must forget the query. */
typedef struct zq_resolver_pending {
  void (*cancel)(struct zq_resolver_pending *p);
} zq_resolver_pending;

/* zq_doq_handler callbacks; `user` is the zq_resolver. */
void zq_resolver_on_query(zq_doq_query *q, const uint8_t *msg, size_t len, bool early, void *user);
void zq_resolver_on_cancel(zq_doq_query *q, void *user);
/* zq_ens_done_fn and zq_zns_bridge_done_fn: the answer of a link that answers later, for a query
 * still waiting (`user` is the zq_resolver): cached, then sent. */
void zq_resolver_on_ens_answer(void *user, zq_doq_query *dq, zq_dns_query *q, ldns_pkt *answer);

/* Fill `answer` (made by zq_dns_answer_new for q) from a ZNS entry: the records of the asked
 * type (a CNAME for any type), plus "zns-owner=HEX" for TXT so clients can see whose key signed
 * the name; AA set. e NULL: NXDOMAIN with the .zns/.ghost SOA. */
void zq_resolver_zns_answer(const zq_zns_entry *e, const zq_dns_query *q, ldns_pkt *answer);
/* Send `answer` (taken: freed here; NULL = SERVFAIL) to q's client, counting its rcode. */
void zq_resolver_answer(zq_resolver *r, zq_doq_query *dq, const zq_dns_query *q, ldns_pkt *answer);
/* The last link (resolver_forward.c): ask the upstreams. Takes q's contents (q is left empty)
 * and answers dq now or later: the answer, or SERVFAIL with an Extended DNS Error. */
void zq_resolver_forward(zq_resolver *r, zq_doq_query *dq, zq_dns_query *q);

#endif
