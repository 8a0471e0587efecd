/*
 * keccak.c — Keccak-256 as Ethereum uses it: the SHA3-256 sponge (rate 136 bytes, nettle's
 * Keccak-f[1600] permutation) with the original submission's padding byte 0x01 where FIPS 202
 * SHA3 uses 0x06. nettle exposes the permutation, so only the sponge lives here.
 */
#include <string.h>

#include "crypto_internal.h"

/* nettle's state keeps lane i as a native uint64_t; the sponge's byte order is little-endian. */
static void absorb_block(struct sha3_state *state, const uint8_t *block) {
  for (int i = 0; i < ZQ_KECCAK256_RATE / 8; i++) {
    uint64_t lane = 0;
    for (int b = 7; b >= 0; b--) lane = lane << 8 | block[8 * i + b];
    state->a[i] ^= lane;
  }
  nettle_sha3_permute(state);
}

void zq_keccak256_init(zq_keccak256 *k) { memset(k, 0, sizeof(*k)); }

void zq_keccak256_update(zq_keccak256 *k, const uint8_t *data, size_t len) {
  if (len == 0) return;
  if (k->block_len > 0) {
    size_t n = ZQ_KECCAK256_RATE - k->block_len;
    if (n > len) n = len;
    memcpy(k->block + k->block_len, data, n);
    k->block_len += n;
    data += n;
    len -= n;
    if (k->block_len < ZQ_KECCAK256_RATE) return;
    absorb_block(&k->state, k->block);
    k->block_len = 0;
  }
  for (; len >= ZQ_KECCAK256_RATE; data += ZQ_KECCAK256_RATE, len -= ZQ_KECCAK256_RATE)
    absorb_block(&k->state, data);
  memcpy(k->block, data, len);
  k->block_len = len;
}

void zq_keccak256_final(zq_keccak256 *k, uint8_t out[32]) {
  memset(k->block + k->block_len, 0, ZQ_KECCAK256_RATE - k->block_len);
  k->block[k->block_len] ^= 0x01;
  k->block[ZQ_KECCAK256_RATE - 1] ^= 0x80;
  absorb_block(&k->state, k->block);
  for (int i = 0; i < 4; i++)
    for (int b = 0; b < 8; b++) out[8 * i + b] = (uint8_t)(k->state.a[i] >> (8 * b));
}

void zq_keccak256_hash(const void *data, size_t len, uint8_t out[32]) {
  zq_keccak256 k;
  zq_keccak256_init(&k);
  zq_keccak256_update(&k, data, len);
  zq_keccak256_final(&k, out);
}
