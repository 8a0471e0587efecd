/*
 * balance.h — the balancers of a pool: given the pool's backends as the proxy sees them right
 * now (weight, health, requests in flight), pick one. Five algorithms (ZQ_LB_* in proxy_conf.h):
 *
 *  - round_robin: each healthy backend in turn.
 *  - least_connections: fewest requests in flight; ties go round robin.
 *  - weighted: smooth weighted round robin (nginx's): over any window of sum(weights) picks each
 *    backend is chosen in proportion to its weight, interleaved rather than in bursts.
 *  - ip_hash: consistent hashing of a client key (its address) onto a ring of virtual nodes per
 *    backend, so a backend leaving or coming back moves only its own share of keys; an unhealthy
 *    owner falls through to the next backend on the ring.
 *  - random: power of two choices: two distinct healthy backends at random, the one with fewer
 *    requests in flight.
 *
 * A balancer is a small state machine owned by one pool and used on one thread; it never
 * allocates while picking. The random source is seeded per balancer (zq_balancer_seed for tests).
 *
 * Internal (zq_ prefix).
 */
#ifndef ZQ_PROXY_BALANCE_H
#define ZQ_PROXY_BALANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a balancer reads about a backend. The proxy owns the array and keeps `healthy` and
 * `active` current; `id` identifies the backend across configuration changes (a hash of its
 * address), so ip_hash keeps a key on the same backend after a reload. */
typedef struct zq_lb_backend {
  uint64_t id;
  unsigned weight;  /* >= 1 */
  bool healthy;     /* up (active checks) and not marked down by passive checks */
  unsigned active;  /* requests in flight */
} zq_lb_backend;

typedef struct zq_balancer zq_balancer;

int zq_balancer_create(int algorithm, zq_balancer **out);
/* The set of backends changed (count, ids or weights; not health or load): rebuild what the
 * algorithm keeps (the hash ring, the weighted state). */
int zq_balancer_update(zq_balancer *b, const zq_lb_backend *backends, size_t n);
/* Pick a healthy backend whose `exclude` entry is false (exclude may be NULL; retries exclude the
 * backends already tried). `key` (may be NULL with len 0) is hashed by ip_hash and ignored by the
 * others. Returns the index, or -1 when no backend qualifies. */
int zq_balancer_pick(zq_balancer *b, const zq_lb_backend *backends, size_t n, const uint8_t *key,
                     size_t key_len, const bool *exclude);
void zq_balancer_seed(zq_balancer *b, uint64_t seed);
int zq_balancer_algorithm(const zq_balancer *b);
void zq_balancer_free(zq_balancer *b);

/* The id of a backend address (64-bit FNV-1a of the text). */
uint64_t zq_lb_backend_id(const char *address);

#endif
