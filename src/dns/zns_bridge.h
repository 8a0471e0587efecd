/*
 * zns_bridge.h — ZNS names the local registry does not hold, asked of a GhostChain service over
 * GhostBridge: ghost.chain.v1.GhostChainService/ResolveDomain (docs/ZNS.md, "Through
 * GhostBridge").
 *
 * Two layers:
 *   zns_bridge_pb.c  pure and bounds-checked: DomainQuery written by hand, DomainResponse read by
 *                    a strict protobuf parser (the service chooses every byte), and the response
 *                    turned into a registry entry (zns.h) so that the registry's own checks and
 *                    signature verification decide whether it is served.
 *   zns_bridge.c     the asynchronous link: one gRPC call per cache miss on a channel (one
 *                    connection, reused), a deadline, the answer built and cached on the loop
 *                    thread; a DoQ query cancelled meanwhile is forgotten, never touched again.
 * Internal (zq_zns_bridge_*, zq_gc_*).
 */
#ifndef ZQ_DNS_ZNS_BRIDGE_H
#define ZQ_DNS_ZNS_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "doq.h"
#include "message.h"
#include "zns.h"

#define ZQ_GC_METHOD "/ghost.chain.v1.GhostChainService/ResolveDomain"
#define ZQ_GC_MAX_MESSAGE (64u << 10) /* the largest DomainResponse we accept */
#define ZQ_GC_MAX_STRING 1024u        /* longest string field (a TXT value is at most this) */
#define ZQ_GC_MAX_SIGNATURE 64u       /* Ed25519 */
#define ZQ_ZNS_BRIDGE_DEFAULT_TIMEOUT_MS 3000u
#define ZQ_ZNS_BRIDGE_MAX_TIMEOUT_MS 60000u
#define ZQ_ZNS_BRIDGE_MAX_RUNNING 1024u /* calls in flight; more are answered SERVFAIL at once */

/* ---- messages (zns_bridge_pb.c) ------------------------------------------------------------ */

typedef struct zq_gc_record { /* DNSRecord */
  char *type, *value;         /* NUL-terminated, owned; "" when absent */
  uint32_t priority, ttl;
} zq_gc_record;

typedef struct zq_gc_response { /* DomainResponse */
  char *domain, *owner_id;      /* NUL-terminated, owned; "" when absent */
  zq_gc_record *records;
  size_t n_records;
  uint8_t signature[ZQ_GC_MAX_SIGNATURE];
  size_t signature_len;
  uint64_t timestamp;
  uint32_t ttl;
} zq_gc_response;

/* DomainQuery{domain, record_types = [record_type], network} in protobuf wire form (*out
 * malloc'd). 0, or -1 (a string over ZQ_GC_MAX_STRING, no memory). */
int zq_gc_query_encode(const char *domain, const char *record_type, const char *network,
                       uint8_t **out, size_t *out_len);
/* Decode a DomainResponse. Unknown fields are skipped; a known field of the wrong wire type,
 * a truncated or over-long varint, a length past the end, a string with a NUL or over
 * ZQ_GC_MAX_STRING, more than ZQ_ZNS_RECORDS_MAX records, a signature over 64 bytes, a uint32
 * over 2^32-1, groups and field number 0 are errors. 0, or -1 with the reason in why. `out` is
 * always initialised: release with zq_gc_response_clear. */
int zq_gc_response_decode(const uint8_t *msg, size_t len, zq_gc_response *out, char *why,
                          size_t why_cap);
void zq_gc_response_clear(zq_gc_response *r);

/* Why an answer is not served: the Extended DNS Error it gets. */
enum { ZQ_GC_OK = 0, ZQ_GC_INVALID = 1, ZQ_GC_BOGUS = 2 };

/* The response as the registry entry it claims to be, for the canonical name `qname` (no
 * trailing dot): domain equal to qname, owner_id 64 hex digits, records typed and canonical (MX
 * value "PRIORITY HOST" from priority and value; each TTL the record's, else the response's),
 * timestamp as last_updated and ZQ_ZNS_TIME_MAX ("no expiry") as expiry, then
 * zq_zns_entry_verify at `now`. ZQ_GC_OK with *out filled (release with zq_gc_entry_clear), or
 * ZQ_GC_INVALID (not usable data) / ZQ_GC_BOGUS (the owner's signature does not hold) with the
 * reason in why. */
int zq_gc_response_entry(const zq_gc_response *r, const char *qname, uint64_t now,
                         zq_zns_entry *out, char *why, size_t why_cap);
/* Only the rebuilding (owner, signature length, records, times) without the domain comparison,
 * the entry checks or the signature: ZQ_GC_OK with *out filled, else as above. For the fuzz
 * target, which signs what it rebuilt to get past the signature. */
int zq_gc_response_to_entry(const zq_gc_response *r, zq_zns_entry *out, char *why,
                            size_t why_cap);
void zq_gc_entry_clear(zq_zns_entry *e);

/* ---- the asynchronous link (zns_bridge.c) -------------------------------------------------- */

typedef struct zq_zns_bridge zq_zns_bridge;

typedef struct zq_zns_bridge_config {
  const char *target;   /* "host:port" of the GhostChain service */
  const char *ca_file;  /* trust anchors; NULL = the context's, else the system's */
  const char *network;  /* DomainQuery.network; NULL = "mainnet" */
  uint32_t timeout_ms;  /* each lookup; 0 = ZQ_ZNS_BRIDGE_DEFAULT_TIMEOUT_MS */
} zq_zns_bridge_config;

typedef struct zq_zns_bridge_stats {
  uint64_t lookups, answers, failures, rejected;
} zq_zns_bridge_stats;

/* Called on the loop thread, lock held, when a lookup ends for a query that is still there.
 * Takes `q` (clear it) and `answer` (free it; NULL = SERVFAIL). */
typedef void (*zq_zns_bridge_done_fn)(void *user, zq_doq_query *dq, zq_dns_query *q,
                                      ldns_pkt *answer);

int zq_zns_bridge_new(zquic_context *ctx, const zq_zns_bridge_config *cfg,
                      zq_zns_bridge_done_fn done, void *user, zq_zns_bridge **out);
/* Loop thread, lock held, for a .zns/.ghost query the registry does not hold. Returns 0 and
 * *now = NULL when the lookup went on (q's contents are moved into it, *q zeroed, the DoQ
 * query's user slot holds a zq_resolver_pending), or 0 with *now set to an answer to send at
 * once (a name that cannot be asked, too many lookups). Non-zero: out of memory, q untouched. */
int zq_zns_bridge_start(zq_zns_bridge *b, zq_doq_query *dq, zq_dns_query *q, ldns_pkt **now);
void zq_zns_bridge_stats_get(const zq_zns_bridge *b, zq_zns_bridge_stats *out);
/* Without the lock. Lookups still running are detached; the object is freed when the last of
 * them has ended. */
void zq_zns_bridge_free(zq_zns_bridge *b);

#endif
