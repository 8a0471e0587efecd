/*
 * zone.h — the second link of the DoQ resolver chain: local zones read from RFC 1035 master
 * files (with libldns) and answered authoritatively. A zone is immutable once loaded, so lookups
 * need no lock and a reload is "load new zones, swap the pointer, free the old ones" — the
 * caller's business, done when no lookup is running on the old set.
 *
 * Lookups follow RFC 1034 section 4.3.2 in the small: an exact RRset (AA=1); a CNAME at the name
 * and its chain inside the zone (a few steps, loop-safe); NODATA with the SOA when the name
 * exists without that type (empty non-terminals included); NXDOMAIN with the SOA; wildcards as
 * RFC 4592 describes (synthesis from "*.<closest encloser>"); a referral (AA=0, NS and glue)
 * below a delegation; and "not mine" for names outside the zone so the next link can try.
 */
#ifndef ZQ_DNS_ZONE_H
#define ZQ_DNS_ZONE_H

#include <stddef.h>
#include <stdio.h>

#include <ldns/ldns.h>

#include "message.h"

#define ZQ_DNS_ZONE_MAX_FILE ((long)64 << 20) /* refuse master files larger than this */
#define ZQ_DNS_ZONE_MAX_CHAIN 8              /* CNAME steps followed inside one zone */

/* zq_dns_zone_lookup results (>= 0; errors are negative ZQUIC_ERR_*). */
enum {
  ZQ_DNS_ZONE_ANSWERED = 0,  /* the answer is complete (records, NODATA, NXDOMAIN, referral) */
  ZQ_DNS_ZONE_NOT_MINE = 1,  /* the name is outside the zone(s): answer untouched */
  ZQ_DNS_ZONE_CNAME_OUT = 2, /* the answer holds a CNAME chain whose last target lies outside
                                the zone: a resolver may continue with that target */
};

typedef struct zq_dns_zone zq_dns_zone;
typedef struct zq_dns_zones zq_dns_zones;

/* Load a master file. origin_or_null sets the initial $ORIGIN (and must then match the SOA
 * owner); without it the file must name its origin. Requires exactly one SOA, at the apex, every
 * record in the zone, class IN, no CNAME beside other data. On failure err gets
 * "path:line: reason". 0, ZQUIC_ERR_IO (cannot read, too large), ZQUIC_ERR_INVALID_ARGUMENT
 * (syntax or content), ZQUIC_ERR_NO_MEMORY. Free with zq_dns_zone_free. */
int zq_dns_zone_load(const char *path, const char *origin_or_null, zq_dns_zone **out, char *err,
                     size_t cap);
/* The same from an open stream (e.g. fmemopen for built-in zones); `name` is used in errors. */
int zq_dns_zone_load_fp(FILE *fp, const char *name, const char *origin_or_null,
                        zq_dns_zone **out, char *err, size_t cap);
void zq_dns_zone_free(zq_dns_zone *z);
const ldns_rdf *zq_dns_zone_origin(const zq_dns_zone *z); /* lower-cased apex */
const ldns_rr *zq_dns_zone_soa(const zq_dns_zone *z);
size_t zq_dns_zone_rr_count(const zq_dns_zone *z);

/* Answer q from z into `answer` (made by zq_dns_answer_new(q, NOERROR)): sets AA and the rcode
 * and adds records. Returns a ZQ_DNS_ZONE_* result or ZQUIC_ERR_NO_MEMORY. */
int zq_dns_zone_lookup(const zq_dns_zone *z, const zq_dns_query *q, ldns_pkt *answer);

/* A set of zones; the one with the longest origin containing the name answers. */
int zq_dns_zones_new(zq_dns_zones **out);
/* Add z: on success the set owns it, on failure the caller still does. ZQUIC_ERR_STATE when a
 * zone with that origin is already there, ZQUIC_ERR_NO_MEMORY. */
int zq_dns_zones_add(zq_dns_zones *s, zq_dns_zone *z);
const zq_dns_zone *zq_dns_zones_find(const zq_dns_zones *s, const ldns_rdf *qname);
size_t zq_dns_zones_count(const zq_dns_zones *s);
int zq_dns_zones_lookup(const zq_dns_zones *s, const zq_dns_query *q, ldns_pkt *answer);
void zq_dns_zones_free(zq_dns_zones *s);

#endif
