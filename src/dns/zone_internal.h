/*
 * zone_internal.h — the shape of a loaded zone, shared by zone_load.c (which builds it) and
 * zone_lookup.c (which reads it). Records are sorted in DNSSEC canonical order (RFC 4034
 * section 6.1) by owner, then type: one name's records are contiguous, and a name's descendants
 * follow it directly, which is what makes empty non-terminals and closest enclosers cheap to find
 * by binary search.
 */
#ifndef ZQ_DNS_ZONE_INTERNAL_H
#define ZQ_DNS_ZONE_INTERNAL_H

#include <stdbool.h>

#include "zone.h"

typedef struct zq_zone_node {
  ldns_rdf *name; /* lower-cased owner */
  size_t first, count; /* its records: rrs[first .. first+count) */
} zq_zone_node;

struct zq_dns_zone {
  ldns_rdf *origin; /* lower-cased apex */
  const ldns_rr *soa; /* one of rrs */
  ldns_rr **rrs;
  size_t nrrs;
  zq_zone_node *nodes;
  size_t nnodes;
};

/* Names here are compared in canonical (case-insensitive) order. */
static inline bool zq_zone_contains(const ldns_rdf *name, const ldns_rdf *apex) {
  return ldns_dname_compare(name, apex) == 0 || ldns_dname_is_subdomain(name, apex);
}

#endif
