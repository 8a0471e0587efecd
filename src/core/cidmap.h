/*
 * cidmap.h — connection-ID → connection table for an endpoint. Separate chaining over a power of
 * two bucket array that doubles when the load passes 1; keys are the raw CID bytes (≤ 20).
 */
#ifndef ZQ_CIDMAP_H
#define ZQ_CIDMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct zq_cidmap_entry {
  struct zq_cidmap_entry *next;
  uint8_t len;
  uint8_t cid[20];
  void *value;
} zq_cidmap_entry;

typedef struct zq_cidmap {
  zq_cidmap_entry **buckets;
  size_t nbuckets, size;
  uint64_t seed;
  /* The entry the last lookup found: consecutive datagrams mostly belong to one connection (a
   * client endpoint has only one, a GRO batch is one flow), so most lookups are one compare. */
  zq_cidmap_entry *last;
} zq_cidmap;

int zq_cidmap_init(zq_cidmap *m);
void zq_cidmap_clear(zq_cidmap *m);
/* Insert or replace. 0 or ZQUIC_ERR_NO_MEMORY / ZQUIC_ERR_INVALID_ARGUMENT (len > 20). */
int zq_cidmap_put(zq_cidmap *m, const uint8_t *cid, size_t len, void *value);
void *zq_cidmap_get(zq_cidmap *m, const uint8_t *cid, size_t len);
void zq_cidmap_del(zq_cidmap *m, const uint8_t *cid, size_t len);
/* Remove every entry pointing at `value`. */
void zq_cidmap_del_value(zq_cidmap *m, const void *value);

#endif
