/*
 * ratelimit.h — per-client token buckets: each client address gets `burst` tokens that refill at
 * `rate` per second; a request takes one or is refused with the seconds until one is back
 * (Retry-After). The table of clients is bounded (max_clients): when full, the least recently
 * seen client is forgotten (it starts again with a full bucket), so memory cannot grow with the
 * number of addresses an attacker owns.
 *
 * Internal (zq_ prefix). One thread at a time (the proxy's loop).
 */
#ifndef ZQ_PROXY_RATELIMIT_H
#define ZQ_PROXY_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct zq_ratelimit zq_ratelimit;

/* rate > 0 tokens per second, burst >= 1, max_clients >= 1. */
int zq_ratelimit_create(double rate, uint32_t burst, size_t max_clients, zq_ratelimit **out);
/* Take a token for `client` (the address text without port, e.g. "127.0.0.1", "::1") at
 * `now_ns` (monotonic). True when allowed; false when limited, with *retry_after_s (>= 1) set. */
bool zq_ratelimit_take(zq_ratelimit *rl, const char *client, uint64_t now_ns,
                       uint32_t *retry_after_s);
size_t zq_ratelimit_clients(const zq_ratelimit *rl); /* addresses tracked now */
void zq_ratelimit_free(zq_ratelimit *rl);

#endif
