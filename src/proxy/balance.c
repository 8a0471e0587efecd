/*
 * balance.c — the five balancers of a pool (balance.h): round robin, least connections with
 * round-robin ties, smooth weighted round robin, consistent hashing of the client address, and
 * power-of-two random choices. Everything a pick needs is built in zq_balancer_update, so
 * zq_balancer_pick never allocates and costs O(n) at most (O(log n + walk) for ip_hash).
 *
 * If the backends given to pick no longer match the last update (the proxy forgot to call it),
 * pick still answers sensibly rather than reading past its state: weighted degrades to round
 * robin and ip_hash to rendezvous hashing, which is consistent too but O(n).
 */
#include "balance.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "proxy_conf.h"
#include "zquic.h"

/* Virtual nodes per backend on the ip_hash ring: with 160 the share of each backend stays within
 * a few percent of even for small pools. Weights do not scale it (ip_hash ignores weights), which
 * keeps the ring at most 256 * 160 points. */
#define RING_REPLICAS 160

typedef struct ring_point {
  uint64_t hash;
  uint32_t index; /* into the backends of the last update */
} ring_point;

struct zq_balancer {
  int algorithm;
  uint64_t rng;    /* splitmix64 state */
  size_t cursor;   /* round robin and least-connections ties: where the next scan starts */
  size_t n;        /* backends at the last update */
  uint64_t *ids;   /* their ids, to notice a set that changed without an update */
  int64_t *current; /* smooth weighted round robin: each backend's current weight */
  ring_point *ring; /* ip_hash: n * RING_REPLICAS points sorted by hash */
  size_t ring_len;
};

/* The splitmix64 finalizer: every input bit affects every output bit, which plain FNV-1a lacks
 * in its high bits (and the ring is searched by the whole 64-bit value). */
static uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

static uint64_t fnv1a(const uint8_t *data, size_t len) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < len; i++) {
    h ^= data[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t zq_lb_backend_id(const char *address) {
  return address ? fnv1a((const uint8_t *)address, strlen(address)) : fnv1a(NULL, 0);
}

static uint64_t next_random(zq_balancer *b) {
  b->rng += 0x9e3779b97f4a7c15ULL;
  return mix64(b->rng);
}

void zq_balancer_seed(zq_balancer *b, uint64_t seed) { b->rng = seed; }

int zq_balancer_algorithm(const zq_balancer *b) { return b->algorithm; }

int zq_balancer_create(int algorithm, zq_balancer **out) {
  *out = NULL;
  if (algorithm < 0 || algorithm >= ZQ_LB_COUNT) return ZQUIC_ERR_INVALID_ARGUMENT;
  zq_balancer *b = calloc(1, sizeof(*b));
  if (!b) return ZQUIC_ERR_NO_MEMORY;
  b->algorithm = algorithm;
  uint64_t seed = 0;
  if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed)) {
    /* Too early in boot for the kernel's pool: the seed only spreads load, it guards no secret. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    seed = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)b;
  }
  b->rng = seed;
  *out = b;
  return ZQUIC_OK;
}

void zq_balancer_free(zq_balancer *b) {
  if (!b) return;
  free(b->ids);
  free(b->current);
  free(b->ring);
  free(b);
}

static int compare_points(const void *a, const void *b) {
  const ring_point *x = a, *y = b;
  if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index; /* equal hashes: a stable order */
}

static uint64_t point_hash(uint64_t id, uint32_t replica) { return mix64(mix64(id) + replica); }

int zq_balancer_update(zq_balancer *b, const zq_lb_backend *backends, size_t n) {
  if (!b || (n && !backends) || n > UINT32_MAX / RING_REPLICAS) return ZQUIC_ERR_INVALID_ARGUMENT;
  uint64_t *ids = n ? calloc(n, sizeof(*ids)) : NULL;
  int64_t *current = n ? calloc(n, sizeof(*current)) : NULL;
  size_t ring_len = b->algorithm == ZQ_LB_IP_HASH ? n * RING_REPLICAS : 0;
  ring_point *ring = ring_len ? calloc(ring_len, sizeof(*ring)) : NULL;
  if ((n && (!ids || !current)) || (ring_len && !ring)) goto err;
  for (size_t i = 0; i < n; i++) {
    ids[i] = backends[i].id;
    for (uint32_t r = 0; r < RING_REPLICAS && ring; r++)
      ring[i * RING_REPLICAS + r] = (ring_point){point_hash(backends[i].id, r), (uint32_t)i};
  }
  if (ring) qsort(ring, ring_len, sizeof(*ring), compare_points);
  /* Built completely before anything is replaced: a failed update keeps the old state. */
  free(b->ids);
  free(b->current);
  free(b->ring);
  b->ids = ids;
  b->current = current;
  b->ring = ring;
  b->ring_len = ring_len;
  b->n = n;
  b->cursor = 0;
  return ZQUIC_OK;
err:
  free(ids);
  free(current);
  free(ring);
  return ZQUIC_ERR_NO_MEMORY;
}

static bool qualifies(const zq_lb_backend *backends, const bool *exclude, size_t i) {
  return backends[i].healthy && !(exclude && exclude[i]);
}

/* The state of the last update still describes these backends. */
static bool state_matches(const zq_balancer *b, const zq_lb_backend *backends, size_t n) {
  if (b->n != n) return false;
  for (size_t i = 0; i < n; i++)
    if (b->ids[i] != backends[i].id) return false;
  return true;
}

static int pick_round_robin(zq_balancer *b, const zq_lb_backend *backends, size_t n,
                            const bool *exclude) {
  for (size_t k = 0; k < n; k++) {
    size_t i = (b->cursor + k) % n;
    if (qualifies(backends, exclude, i)) {
      b->cursor = i + 1;
      return (int)i;
    }
  }
  return -1;
}

/* Scanning from the cursor and keeping the first minimum makes equal loads take turns. */
static int pick_least_connections(zq_balancer *b, const zq_lb_backend *backends, size_t n,
                                  const bool *exclude) {
  int best = -1;
  for (size_t k = 0; k < n; k++) {
    size_t i = (b->cursor + k) % n;
    if (qualifies(backends, exclude, i) &&
        (best < 0 || backends[i].active < backends[best].active))
      best = (int)i;
  }
  if (best >= 0) b->cursor = (size_t)best + 1;
  return best;
}

/* nginx's smooth weighted round robin: every candidate gains its weight, the largest current
 * weight wins and pays back the total. Backends that cannot be picked neither gain nor pay, so
 * they rejoin without a burst. */
static int pick_weighted(zq_balancer *b, const zq_lb_backend *backends, size_t n,
                         const bool *exclude) {
  int64_t total = 0;
  int best = -1;
  for (size_t i = 0; i < n; i++) {
    if (!qualifies(backends, exclude, i)) continue;
    int64_t weight = backends[i].weight ? backends[i].weight : 1;
    b->current[i] += weight;
    total += weight;
    if (best < 0 || b->current[i] > b->current[best]) best = (int)i;
  }
  if (best >= 0) b->current[best] -= total;
  return best;
}

/* The first ring point at or after `hash`, then onwards (wrapping) to a qualifying backend. */
static int pick_ring(const zq_balancer *b, const zq_lb_backend *backends, const bool *exclude,
                     uint64_t hash) {
  size_t lo = 0, hi = b->ring_len;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (b->ring[mid].hash < hash)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (size_t k = 0; k < b->ring_len; k++) {
    uint32_t i = b->ring[(lo + k) % b->ring_len].index;
    if (qualifies(backends, exclude, i)) return (int)i;
  }
  return -1;
}

/* Without a matching ring: each qualifying backend scores mix(id, key) and the highest wins. */
static int pick_rendezvous(const zq_lb_backend *backends, size_t n, const bool *exclude,
                           uint64_t hash) {
  int best = -1;
  uint64_t best_score = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t score = mix64(mix64(backends[i].id) ^ hash);
    if (qualifies(backends, exclude, i) && (best < 0 || score > best_score)) {
      best = (int)i;
      best_score = score;
    }
  }
  return best;
}

/* The k-th qualifying backend (k < the number that qualify). */
static int nth_qualifying(const zq_lb_backend *backends, size_t n, const bool *exclude, size_t k) {
  for (size_t i = 0; i < n; i++)
    if (qualifies(backends, exclude, i) && k-- == 0) return (int)i;
  return -1;
}

static int pick_two_choices(zq_balancer *b, const zq_lb_backend *backends, size_t n,
                            const bool *exclude) {
  size_t count = 0;
  for (size_t i = 0; i < n; i++) count += qualifies(backends, exclude, i);
  if (count == 0) return -1;
  if (count == 1) return nth_qualifying(backends, n, exclude, 0);
  size_t first = next_random(b) % count;
  size_t second = next_random(b) % (count - 1);
  if (second >= first) second++; /* two distinct candidates, each pair equally likely */
  int x = nth_qualifying(backends, n, exclude, first);
  int y = nth_qualifying(backends, n, exclude, second);
  return backends[y].active < backends[x].active ? y : x;
}

int zq_balancer_pick(zq_balancer *b, const zq_lb_backend *backends, size_t n, const uint8_t *key,
                     size_t key_len, const bool *exclude) {
  if (!b || !backends || n == 0 || n > INT32_MAX) return -1;
  switch (b->algorithm) {
  case ZQ_LB_ROUND_ROBIN: return pick_round_robin(b, backends, n, exclude);
  case ZQ_LB_LEAST_CONNECTIONS: return pick_least_connections(b, backends, n, exclude);
  case ZQ_LB_WEIGHTED:
    return state_matches(b, backends, n) ? pick_weighted(b, backends, n, exclude)
                                         : pick_round_robin(b, backends, n, exclude);
  case ZQ_LB_IP_HASH: {
    uint64_t hash = mix64(fnv1a(key_len ? key : NULL, key ? key_len : 0));
    return state_matches(b, backends, n) ? pick_ring(b, backends, exclude, hash)
                                         : pick_rendezvous(backends, n, exclude, hash);
  }
  case ZQ_LB_RANDOM: return pick_two_choices(b, backends, n, exclude);
  default: return -1;
  }
}
