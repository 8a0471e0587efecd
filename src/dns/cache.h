/*
 * cache.h — the first link of the DoQ resolver chain: answers already given, kept until their
 * TTL runs out. Keys are (lower-cased qname, qtype, qclass[, DO bit]); values are the answer's
 * records in wire form with the rcode and an expiry. Positive answers live for the smallest TTL
 * among their records (capped by max_ttl), negative ones (NXDOMAIN, NODATA) for the SOA's
 * negative TTL (RFC 2308, capped by neg_max_ttl), SERVFAIL for a few seconds only, truncated
 * answers never. Served copies have their TTLs lowered by the time spent in the cache. Memory is
 * bounded by max_bytes with least-recently-used eviction.
 *
 * Thread-safe: one mutex guards the table, so the loop thread and worker threads may share one
 * cache. Parsing and building the returned packet happen outside the lock.
 */
#ifndef ZQ_DNS_CACHE_H
#define ZQ_DNS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "message.h"

typedef struct zq_dns_cache zq_dns_cache;

typedef struct zq_dns_cache_config {
  size_t max_bytes;      /* memory bound for keys, answers and bookkeeping; default 32 MiB */
  uint32_t max_ttl;      /* cap on positive answers, seconds; default 86400 */
  uint32_t neg_max_ttl;  /* cap on NXDOMAIN / NODATA, seconds; default 900 */
  uint32_t servfail_ttl; /* how long a SERVFAIL is remembered, seconds (0: never); default 5 */
  bool key_do_bit;       /* DO=1 and DO=0 queries get separate entries; default true */
} zq_dns_cache_config;

typedef struct zq_dns_cache_stats {
  uint64_t hits, misses, inserts, evictions, expired;
  size_t bytes, entries;
} zq_dns_cache_stats;

/* Fill cfg with the defaults above. */
void zq_dns_cache_config_init(zq_dns_cache_config *cfg);
/* A new cache (cfg NULL: defaults), freed with zq_dns_cache_free. 0, ZQUIC_ERR_NO_MEMORY or
 * ZQUIC_ERR_INVALID_ARGUMENT (max_bytes 0). */
int zq_dns_cache_new(const zq_dns_cache_config *cfg, zq_dns_cache **out);
void zq_dns_cache_free(zq_dns_cache *c);

/* Look q up at time now_ms (any monotonic millisecond clock, the same for put and get). On a hit
 * *answer_out is a new packet (caller frees with ldns_pkt_free) made for q: its ID, question,
 * RD/CD, RA=1, AA=0, TTLs lowered by the time spent in the cache. 0 on a hit,
 * ZQUIC_ERR_NOT_FOUND on a miss (also when the entry had expired), ZQUIC_ERR_NO_MEMORY. */
int zq_dns_cache_get(zq_dns_cache *c, const zq_dns_query *q, uint64_t now_ms,
                     ldns_pkt **answer_out);
/* Remember the answer to q (copied; `answer` is not kept). Returns 1 when stored, 0 when the
 * answer is not cacheable (TC, a TTL of 0, REFUSED/FORMERR/..., a negative answer without SOA,
 * larger than max_bytes), ZQUIC_ERR_NO_MEMORY. A stored entry replaces one with the same key. */
int zq_dns_cache_put(zq_dns_cache *c, const zq_dns_query *q, const ldns_pkt *answer,
                     uint64_t now_ms);
void zq_dns_cache_stats_get(zq_dns_cache *c, zq_dns_cache_stats *out);
/* Drop every entry (counters are kept). */
void zq_dns_cache_clear(zq_dns_cache *c);

/* How long an answer to q may be cached, in seconds, by the rules above (0: not at all). */
uint32_t zq_dns_cache_ttl_for(const zq_dns_cache_config *cfg, const zq_dns_query *q,
                              const ldns_pkt *answer);

#endif
