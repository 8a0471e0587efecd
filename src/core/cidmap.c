/*
 * cidmap.c — see cidmap.h. The hash is seeded per table from the OS RNG so that a peer choosing
 * connection IDs cannot aim them all at one bucket.
 */
#include "cidmap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "zquic.h"

/* Eight bytes a step (a CID is up to 20): one lookup per received datagram made the byte-wise
 * loop a visible share of a bulk receiver's CPU. Not a keyed PRF, nor need it be: a peer cannot
 * insert entries (the CIDs in the map are ones we chose at random), so colliding chains cannot be
 * built from outside; the seed only varies the layout between runs. */
static uint64_t hash_cid(uint64_t seed, const uint8_t *cid, size_t len) {
  uint64_t h = seed ^ (len * 0x9E3779B97F4A7C15ull);
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t word;
    memcpy(&word, cid + i, 8);
    h = (h ^ word) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
  }
  uint64_t tail = 0;
  memcpy(&tail, cid + i, len - i);
  h = (h ^ tail) * 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

int zq_cidmap_init(zq_cidmap *m) {
  m->nbuckets = 64;
  m->size = 0;
  m->last = NULL;
  m->buckets = calloc(m->nbuckets, sizeof(zq_cidmap_entry *));
  if (!m->buckets) return ZQUIC_ERR_NO_MEMORY;
  if (getrandom(&m->seed, sizeof(m->seed), 0) != sizeof(m->seed)) m->seed = (uint64_t)(uintptr_t)m;
  return ZQUIC_OK;
}

void zq_cidmap_clear(zq_cidmap *m) {
  if (!m->buckets) return;
  for (size_t i = 0; i < m->nbuckets; i++) {
    zq_cidmap_entry *e = m->buckets[i];
    while (e) {
      zq_cidmap_entry *next = e->next;
      free(e);
      e = next;
    }
  }
  free(m->buckets);
  m->buckets = NULL;
  m->last = NULL;
  m->nbuckets = m->size = 0;
}

static void grow(zq_cidmap *m) {
  size_t n = m->nbuckets * 2;
  zq_cidmap_entry **b = calloc(n, sizeof(zq_cidmap_entry *));
  if (!b) return; /* keep working with longer chains */
  for (size_t i = 0; i < m->nbuckets; i++) {
    zq_cidmap_entry *e = m->buckets[i];
    while (e) {
      zq_cidmap_entry *next = e->next;
      size_t j = hash_cid(m->seed, e->cid, e->len) & (n - 1);
      e->next = b[j];
      b[j] = e;
      e = next;
    }
  }
  free(m->buckets);
  m->buckets = b;
  m->nbuckets = n;
}

int zq_cidmap_put(zq_cidmap *m, const uint8_t *cid, size_t len, void *value) {
  if (len > 20) return ZQUIC_ERR_INVALID_ARGUMENT;
  size_t i = hash_cid(m->seed, cid, len) & (m->nbuckets - 1);
  for (zq_cidmap_entry *e = m->buckets[i]; e; e = e->next) {
    if (e->len == len && memcmp(e->cid, cid, len) == 0) {
      e->value = value;
      return ZQUIC_OK;
    }
  }
  zq_cidmap_entry *e = calloc(1, sizeof(*e));
  if (!e) return ZQUIC_ERR_NO_MEMORY;
  e->len = (uint8_t)len;
  memcpy(e->cid, cid, len);
  e->value = value;
  e->next = m->buckets[i];
  m->buckets[i] = e;
  if (++m->size > m->nbuckets) grow(m);
  return ZQUIC_OK;
}

void *zq_cidmap_get(zq_cidmap *m, const uint8_t *cid, size_t len) {
  if (len > 20 || !m->buckets) return NULL;
  zq_cidmap_entry *last = m->last;
  if (last && last->len == len && memcmp(last->cid, cid, len) == 0) return last->value;
  size_t i = hash_cid(m->seed, cid, len) & (m->nbuckets - 1);
  for (zq_cidmap_entry *e = m->buckets[i]; e; e = e->next) {
    if (e->len == len && memcmp(e->cid, cid, len) == 0) {
      m->last = e;
      return e->value;
    }
  }
  return NULL;
}

void zq_cidmap_del(zq_cidmap *m, const uint8_t *cid, size_t len) {
  if (len > 20 || !m->buckets) return;
  size_t i = hash_cid(m->seed, cid, len) & (m->nbuckets - 1);
  for (zq_cidmap_entry **pe = &m->buckets[i]; *pe; pe = &(*pe)->next) {
    zq_cidmap_entry *e = *pe;
    if (e->len == len && memcmp(e->cid, cid, len) == 0) {
      *pe = e->next;
      if (m->last == e) m->last = NULL;
      free(e);
      m->size--;
      return;
    }
  }
}

void zq_cidmap_del_value(zq_cidmap *m, const void *value) {
  if (!m->buckets) return;
  for (size_t i = 0; i < m->nbuckets; i++) {
    zq_cidmap_entry **pe = &m->buckets[i];
    while (*pe) {
      zq_cidmap_entry *e = *pe;
      if (e->value == value) {
        *pe = e->next;
        if (m->last == e) m->last = NULL;
        free(e);
        m->size--;
      } else {
        pe = &e->next;
      }
    }
  }
}
