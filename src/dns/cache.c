/*
 * cache.c — see cache.h. A chained hash table (seeded like the core's CID map, so that names a
 * client picks cannot all land in one bucket) plus an intrusive LRU list. Each entry is one
 * allocation: the bookkeeping, the key (the lower-cased wire name) and the answer in wire form
 * with its ID zeroed. Wire form is compact, its size is what we account, and a hit only needs
 * ldns_wire2pkt plus a TTL walk on a private copy, which happens outside the lock.
 */
#include "cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "../core/list.h"
#include "zquic.h"

typedef struct entry {
  struct entry *hnext;
  zq_list_node lru; /* front = most recently used */
  uint64_t hash;
  uint64_t stored_ms, expire_ms;
  uint32_t ttl; /* lifetime in seconds; no served TTL exceeds it */
  int rcode;
  uint16_t qtype, qclass;
  bool do_bit;
  size_t keylen, wirelen, bytes;
  uint8_t data[]; /* key, then the answer */
} entry;

struct zq_dns_cache {
  zq_dns_cache_config cfg;
  pthread_mutex_t lock;
  entry **buckets;
  size_t nbuckets;
  uint64_t seed;
  zq_list lru;
  zq_dns_cache_stats st;
};

void zq_dns_cache_config_init(zq_dns_cache_config *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->max_bytes = (size_t)32 << 20;
  cfg->max_ttl = 86400;
  cfg->neg_max_ttl = 900;
  cfg->servfail_ttl = 5;
  cfg->key_do_bit = true;
}

int zq_dns_cache_new(const zq_dns_cache_config *cfg, zq_dns_cache **out) {
  *out = NULL;
  zq_dns_cache *c = calloc(1, sizeof(*c));
  if (!c) return ZQUIC_ERR_NO_MEMORY;
  if (cfg)
    c->cfg = *cfg;
  else
    zq_dns_cache_config_init(&c->cfg);
  if (c->cfg.max_bytes == 0) {
    free(c);
    return ZQUIC_ERR_INVALID_ARGUMENT;
  }
  c->nbuckets = 256;
  c->buckets = calloc(c->nbuckets, sizeof(entry *));
  if (!c->buckets || pthread_mutex_init(&c->lock, NULL) != 0) {
    free(c->buckets);
    free(c);
    return ZQUIC_ERR_NO_MEMORY;
  }
  if (getrandom(&c->seed, sizeof(c->seed), 0) != sizeof(c->seed)) c->seed = (uintptr_t)c;
  zq_list_init(&c->lru);
  *out = c;
  return ZQUIC_OK;
}

static void drop_all(zq_dns_cache *c) {
  zq_list_node *n, *tmp;
  zq_list_for_each_safe(n, tmp, &c->lru) free(zq_container_of(n, entry, lru));
  zq_list_init(&c->lru);
  memset(c->buckets, 0, c->nbuckets * sizeof(entry *));
  c->st.bytes = c->st.entries = 0;
}

void zq_dns_cache_free(zq_dns_cache *c) {
  if (!c) return;
  drop_all(c);
  free(c->buckets);
  pthread_mutex_destroy(&c->lock);
  free(c);
}

void zq_dns_cache_clear(zq_dns_cache *c) {
  pthread_mutex_lock(&c->lock);
  drop_all(c);
  pthread_mutex_unlock(&c->lock);
}

void zq_dns_cache_stats_get(zq_dns_cache *c, zq_dns_cache_stats *out) {
  pthread_mutex_lock(&c->lock);
  *out = c->st;
  pthread_mutex_unlock(&c->lock);
}

/* ---- the table ---- */

typedef struct key {
  const uint8_t *name;
  size_t len;
  uint16_t qtype, qclass;
  bool do_bit;
} key;

static key key_of(const zq_dns_cache *c, const zq_dns_query *q) {
  key k = {ldns_rdf_data(q->qname), ldns_rdf_size(q->qname), q->qtype, q->qclass,
           c->cfg.key_do_bit && q->do_bit};
  return k;
}

static uint64_t hash_key(uint64_t seed, const key *k) {
  uint64_t h = seed ^ ((uint64_t)k->qtype << 32 | (uint64_t)k->qclass << 16 | k->do_bit);
  for (size_t i = 0; i < k->len; i++) {
    h ^= k->name[i];
    h *= 0x100000001B3ull; /* FNV-1a step, seeded */
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

static bool matches(const entry *e, uint64_t h, const key *k) {
  return e->hash == h && e->qtype == k->qtype && e->qclass == k->qclass &&
         e->do_bit == k->do_bit && e->keylen == k->len && memcmp(e->data, k->name, k->len) == 0;
}

static entry **find_slot(zq_dns_cache *c, uint64_t h, const key *k) {
  entry **pe = &c->buckets[h & (c->nbuckets - 1)];
  while (*pe && !matches(*pe, h, k)) pe = &(*pe)->hnext;
  return pe;
}

static void unlink_entry(zq_dns_cache *c, entry *e) {
  entry **pe = &c->buckets[e->hash & (c->nbuckets - 1)];
  while (*pe != e) pe = &(*pe)->hnext;
  *pe = e->hnext;
  zq_list_remove(&c->lru, &e->lru);
  c->st.bytes -= e->bytes;
  c->st.entries--;
  free(e);
}

static void grow(zq_dns_cache *c) {
  size_t n = c->nbuckets * 2;
  entry **b = calloc(n, sizeof(entry *));
  if (!b) return; /* longer chains, still correct */
  for (size_t i = 0; i < c->nbuckets; i++) {
    entry *e = c->buckets[i];
    while (e) {
      entry *next = e->hnext;
      e->hnext = b[e->hash & (n - 1)];
      b[e->hash & (n - 1)] = e;
      e = next;
    }
  }
  free(c->buckets);
  c->buckets = b;
  c->nbuckets = n;
}

/* ---- what may be cached, and for how long ---- */

static uint32_t min_ttl(const ldns_rr_list *l, uint32_t ttl) {
  for (size_t i = 0; l && i < ldns_rr_list_rr_count(l); i++) {
    uint32_t t = ldns_rr_ttl(ldns_rr_list_rr(l, i));
    if (t < ttl) ttl = t;
  }
  return ttl;
}

static const ldns_rr *find_type(const ldns_rr_list *l, uint16_t type) {
  for (size_t i = 0; l && i < ldns_rr_list_rr_count(l); i++)
    if (ldns_rr_get_type(ldns_rr_list_rr(l, i)) == type) return ldns_rr_list_rr(l, i);
  return NULL;
}

uint32_t zq_dns_cache_ttl_for(const zq_dns_cache_config *cfg, const zq_dns_query *q,
                              const ldns_pkt *answer) {
  if (ldns_pkt_tc(answer)) return 0;
  int rcode = zq_dns_answer_rcode(answer);
  const ldns_rr_list *an = ldns_pkt_answer(answer);
  if (rcode == ZQ_DNS_RCODE_SERVFAIL) return cfg->servfail_ttl;
  if (rcode != ZQ_DNS_RCODE_NOERROR && rcode != ZQ_DNS_RCODE_NXDOMAIN) return 0;
  bool nodata = rcode == ZQ_DNS_RCODE_NOERROR &&
                (q->qtype == LDNS_RR_TYPE_ANY ? ldns_rr_list_rr_count(an) == 0
                                              : !find_type(an, q->qtype));
  if (rcode == ZQ_DNS_RCODE_NXDOMAIN || nodata) {
    /* RFC 2308 section 5: without an SOA a negative answer is not cached. */
    const ldns_rr *soa = find_type(ldns_pkt_authority(answer), LDNS_RR_TYPE_SOA);
    if (!soa) return 0;
    uint32_t ttl = min_ttl(an, zq_dns_soa_negative_ttl(soa)); /* a CNAME chain counts too */
    return ttl < cfg->neg_max_ttl ? ttl : cfg->neg_max_ttl;
  }
  uint32_t ttl = min_ttl(an, UINT32_MAX);
  ttl = min_ttl(ldns_pkt_authority(answer), ttl);
  ttl = min_ttl(ldns_pkt_additional(answer), ttl);
  return ttl < cfg->max_ttl ? ttl : cfg->max_ttl;
}

int zq_dns_cache_put(zq_dns_cache *c, const zq_dns_query *q, const ldns_pkt *answer,
                     uint64_t now_ms) {
  if (!q->qname) return 0;
  uint32_t ttl = zq_dns_cache_ttl_for(&c->cfg, q, answer);
  if (ttl == 0) return 0;
  uint8_t *wire = NULL;
  size_t wirelen = 0;
  ldns_status st = ldns_pkt2wire(&wire, answer, &wirelen);
  if (st != LDNS_STATUS_OK) return st == LDNS_STATUS_MEM_ERR ? ZQUIC_ERR_NO_MEMORY : 0;
  key k = key_of(c, q);
  size_t bytes = sizeof(entry) + k.len + wirelen;
  if (bytes > c->cfg.max_bytes) {
    free(wire);
    return 0;
  }
  entry *e = malloc(bytes);
  if (!e) {
    free(wire);
    return ZQUIC_ERR_NO_MEMORY;
  }
  memset(e, 0, sizeof(*e));
  e->stored_ms = now_ms;
  e->expire_ms = now_ms + (uint64_t)ttl * 1000;
  e->ttl = ttl;
  e->rcode = zq_dns_answer_rcode(answer);
  e->qtype = k.qtype;
  e->qclass = k.qclass;
  e->do_bit = k.do_bit;
  e->keylen = k.len;
  e->wirelen = wirelen;
  e->bytes = bytes;
  memcpy(e->data, k.name, k.len);
  memcpy(e->data + k.len, wire, wirelen);
  free(wire);
  e->data[k.len] = e->data[k.len + 1] = 0; /* the ID: each hit gets its query's */

  pthread_mutex_lock(&c->lock);
  e->hash = hash_key(c->seed, &k);
  entry **slot = find_slot(c, e->hash, &k);
  if (*slot) unlink_entry(c, *slot);
  slot = &c->buckets[e->hash & (c->nbuckets - 1)];
  e->hnext = *slot;
  *slot = e;
  zq_list_push_front(&c->lru, &e->lru);
  c->st.bytes += bytes;
  c->st.entries++;
  c->st.inserts++;
  while (c->st.bytes > c->cfg.max_bytes) {
    zq_list_node *last = c->lru.head.prev; /* never e: e alone fits */
    unlink_entry(c, zq_container_of(last, entry, lru));
    c->st.evictions++;
  }
  if (c->st.entries > c->nbuckets) grow(c);
  pthread_mutex_unlock(&c->lock);
  return 1;
}

/* ---- serving a hit ---- */

static void age(ldns_rr_list *l, uint32_t cap, uint32_t elapsed) {
  for (size_t i = 0; l && i < ldns_rr_list_rr_count(l); i++) {
    ldns_rr *rr = ldns_rr_list_rr(l, i);
    uint32_t t = ldns_rr_ttl(rr);
    if (t > cap) t = cap;
    ldns_rr_set_ttl(rr, t > elapsed ? t - elapsed : 0);
  }
}

/* Turn the stored answer into one for q. 0 or ZQUIC_ERR_NO_MEMORY / ZQUIC_ERR_INTERNAL. */
static int rebuild(const uint8_t *wire, size_t len, const zq_dns_query *q, int rcode,
                   uint32_t ttl, uint32_t elapsed, ldns_pkt **out) {
  ldns_pkt *p = NULL;
  ldns_status st = ldns_wire2pkt(&p, wire, len);
  if (st != LDNS_STATUS_OK) return st == LDNS_STATUS_MEM_ERR ? ZQUIC_ERR_NO_MEMORY : ZQUIC_ERR_INTERNAL;
  /* The question is q's own (its case, its ID), the flags those of a cached answer. */
  ldns_rr_list *question = ldns_rr_list_new();
  ldns_rr *qrr = q->question ? ldns_rr_clone(q->question) : NULL;
  if (!question || (q->question && (!qrr || !ldns_rr_list_push_rr(question, qrr)))) {
    ldns_rr_free(qrr);
    ldns_rr_list_free(question);
    ldns_pkt_free(p);
    return ZQUIC_ERR_NO_MEMORY;
  }
  ldns_rr_list_deep_free(ldns_pkt_question(p));
  ldns_pkt_set_question(p, question);
  ldns_pkt_set_qdcount(p, (uint16_t)ldns_rr_list_rr_count(question));
  ldns_pkt_set_id(p, q->id);
  ldns_pkt_set_qr(p, true);
  ldns_pkt_set_aa(p, false);
  ldns_pkt_set_ra(p, true);
  ldns_pkt_set_rd(p, q->rd);
  ldns_pkt_set_cd(p, q->cd);
  /* EDNS of the stored answer is not replayed: to_wire fits it to the query at hand. */
  ldns_rdf_deep_free(ldns_pkt_edns_data(p));
  ldns_pkt_set_edns_data(p, NULL);
  ldns_pkt_set_edns_udp_size(p, 0);
  ldns_pkt_set_edns_do(p, false);
  zq_dns_answer_set_rcode(p, rcode);
  age(ldns_pkt_answer(p), ttl, elapsed);
  age(ldns_pkt_authority(p), ttl, elapsed);
  age(ldns_pkt_additional(p), ttl, elapsed);
  *out = p;
  return ZQUIC_OK;
}

int zq_dns_cache_get(zq_dns_cache *c, const zq_dns_query *q, uint64_t now_ms,
                     ldns_pkt **answer_out) {
  *answer_out = NULL;
  if (!q->qname) return ZQUIC_ERR_NOT_FOUND;
  key k = key_of(c, q);
  pthread_mutex_lock(&c->lock);
  uint64_t h = hash_key(c->seed, &k);
  entry *e = *find_slot(c, h, &k);
  if (e && now_ms >= e->expire_ms) {
    unlink_entry(c, e);
    c->st.expired++;
    e = NULL;
  }
  if (!e) {
    c->st.misses++;
    pthread_mutex_unlock(&c->lock);
    return ZQUIC_ERR_NOT_FOUND;
  }
  zq_list_remove(&c->lru, &e->lru);
  zq_list_push_front(&c->lru, &e->lru);
  c->st.hits++;
  size_t len = e->wirelen;
  int rcode = e->rcode;
  uint32_t ttl = e->ttl;
  uint32_t elapsed = now_ms > e->stored_ms ? (uint32_t)((now_ms - e->stored_ms) / 1000) : 0;
  uint8_t *wire = malloc(len);
  if (wire) memcpy(wire, e->data + e->keylen, len);
  pthread_mutex_unlock(&c->lock);
  if (!wire) return ZQUIC_ERR_NO_MEMORY;
  int rv = rebuild(wire, len, q, rcode, ttl, elapsed, answer_out);
  free(wire);
  return rv;
}
