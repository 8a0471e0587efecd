/*
 * ratelimit.c — per-client token buckets (ratelimit.h) in a chained hash table with an LRU list.
 * Once the table holds max_clients, a new client takes over the least recently seen client's
 * entry, so memory is bounded and a full table never allocates. The hash is seeded per table
 * from getrandom: client addresses are chosen by whoever sends the requests, and a fixed hash
 * would let them pile every address into one chain.
 */
#include "ratelimit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "zquic.h"

/* An address as text is at most 45 bytes (IPv6 with an IPv4 tail) plus a zone ("%eth0", at most
 * IFNAMSIZ): 64 holds any of them. Longer text is cut, never overflowed. */
#define CLIENT_MAX 64

typedef struct client {
  char key[CLIENT_MAX];
  double tokens;
  uint64_t last_ns;
  struct client *chain;       /* next in the hash bucket */
  struct client *newer, *older; /* the LRU list */
} client;

struct zq_ratelimit {
  double rate;
  double burst;
  size_t max_clients;
  size_t count;
  client **buckets;
  size_t bucket_mask; /* buckets - 1, a power of two */
  uint64_t seed;
  client *newest, *oldest;
};

static uint64_t hash_key(const zq_ratelimit *rl, const char *key) {
  uint64_t h = 0xcbf29ce484222325ULL ^ rl->seed;
  for (; *key; key++) {
    h ^= (unsigned char)*key;
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 29; /* the bucket index comes from the low bits, which FNV mixes least */
  h *= 0xbf58476d1ce4e5b9ULL;
  return h ^ (h >> 32);
}

int zq_ratelimit_create(double rate, uint32_t burst, size_t max_clients, zq_ratelimit **out) {
  *out = NULL;
  if (!(rate > 0) || !isfinite(rate) || burst < 1 || max_clients < 1)
    return ZQUIC_ERR_INVALID_ARGUMENT;
  zq_ratelimit *rl = calloc(1, sizeof(*rl));
  if (!rl) return ZQUIC_ERR_NO_MEMORY;
  rl->rate = rate;
  rl->burst = burst;
  rl->max_clients = max_clients;
  rl->bucket_mask = 15; /* grows with the clients, up to one bucket per client */
  if (!(rl->buckets = calloc(rl->bucket_mask + 1, sizeof(client *)))) {
    free(rl);
    return ZQUIC_ERR_NO_MEMORY;
  }
  if (getrandom(&rl->seed, sizeof(rl->seed), GRND_NONBLOCK) != (ssize_t)sizeof(rl->seed)) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    rl->seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)(uintptr_t)rl;
  }
  *out = rl;
  return ZQUIC_OK;
}

void zq_ratelimit_free(zq_ratelimit *rl) {
  if (!rl) return;
  for (client *c = rl->newest, *next; c; c = next) {
    next = c->older;
    free(c);
  }
  free(rl->buckets);
  free(rl);
}

size_t zq_ratelimit_clients(const zq_ratelimit *rl) { return rl ? rl->count : 0; }

static void lru_unlink(zq_ratelimit *rl, client *c) {
  if (c->newer) c->newer->older = c->older; else rl->newest = c->older;
  if (c->older) c->older->newer = c->newer; else rl->oldest = c->newer;
  c->newer = c->older = NULL;
}

static void lru_push_newest(zq_ratelimit *rl, client *c) {
  c->older = rl->newest;
  c->newer = NULL;
  if (rl->newest) rl->newest->newer = c; else rl->oldest = c;
  rl->newest = c;
}

static void bucket_remove(zq_ratelimit *rl, client *c) {
  client **p = &rl->buckets[hash_key(rl, c->key) & rl->bucket_mask];
  while (*p && *p != c) p = &(*p)->chain;
  if (*p) *p = c->chain;
  c->chain = NULL;
}

static void bucket_insert(zq_ratelimit *rl, client *c) {
  client **head = &rl->buckets[hash_key(rl, c->key) & rl->bucket_mask];
  c->chain = *head;
  *head = c;
}

/* Double the buckets while clients outnumber them; a failed growth only lengthens chains. */
static void maybe_grow(zq_ratelimit *rl) {
  size_t buckets = rl->bucket_mask + 1;
  if (rl->count < buckets || buckets >= rl->max_clients || buckets > SIZE_MAX / 4) return;
  client **bigger = calloc(buckets * 2, sizeof(client *));
  if (!bigger) return;
  free(rl->buckets);
  rl->buckets = bigger;
  rl->bucket_mask = buckets * 2 - 1;
  for (client *c = rl->newest; c; c = c->older) bucket_insert(rl, c);
}

static client *lookup(const zq_ratelimit *rl, const char *key) {
  for (client *c = rl->buckets[hash_key(rl, key) & rl->bucket_mask]; c; c = c->chain)
    if (strcmp(c->key, key) == 0) return c;
  return NULL;
}

/* A new entry with a full bucket: a fresh allocation, or the least recently seen client's. */
static client *admit(zq_ratelimit *rl, const char *key, uint64_t now_ns) {
  client *c = NULL;
  if (rl->count < rl->max_clients && (c = calloc(1, sizeof(*c)))) {
    rl->count++;
  } else if ((c = rl->oldest)) {
    bucket_remove(rl, c);
    lru_unlink(rl, c);
  } else {
    return NULL;
  }
  memcpy(c->key, key, strlen(key) + 1);
  c->tokens = rl->burst;
  c->last_ns = now_ns;
  bucket_insert(rl, c);
  lru_push_newest(rl, c);
  maybe_grow(rl);
  return c;
}

bool zq_ratelimit_take(zq_ratelimit *rl, const char *client_text, uint64_t now_ns,
                       uint32_t *retry_after_s) {
  if (retry_after_s) *retry_after_s = 0;
  if (!rl || !client_text) return true;
  char key[CLIENT_MAX];
  size_t len = strnlen(client_text, CLIENT_MAX - 1);
  memcpy(key, client_text, len);
  key[len] = '\0';
  client *c = lookup(rl, key);
  if (c) {
    lru_unlink(rl, c);
    lru_push_newest(rl, c);
    /* A clock that went backwards refills nothing rather than draining the bucket. */
    if (now_ns > c->last_ns) {
      c->tokens += (double)(now_ns - c->last_ns) / 1e9 * rl->rate;
      if (c->tokens > rl->burst) c->tokens = rl->burst;
      c->last_ns = now_ns;
    }
  } else if (!(c = admit(rl, key, now_ns))) {
    return true; /* out of memory with an empty table: refusing everyone would be worse */
  }
  if (c->tokens >= 1) {
    c->tokens -= 1;
    return true;
  }
  double wait = ceil((1 - c->tokens) / rl->rate);
  if (retry_after_s) *retry_after_s = wait < 1 ? 1 : wait > UINT32_MAX ? UINT32_MAX : (uint32_t)wait;
  return false;
}
