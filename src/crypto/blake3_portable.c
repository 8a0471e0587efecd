/*
 * blake3_portable.c — the BLAKE3 compression function in plain C. It is the reference the SIMD
 * back-ends are tested against and the fallback on CPUs without SSE4.1.
 */
#include "blake3_impl.h"

static inline uint32_t rotr32(uint32_t w, unsigned c) { return (w >> c) | (w << (32 - c)); }

static inline void mix(uint32_t v[16], int a, int b, int c, int d, uint32_t x, uint32_t y) {
  v[a] = v[a] + v[b] + x;
  v[d] = rotr32(v[d] ^ v[a], 16);
  v[c] = v[c] + v[d];
  v[b] = rotr32(v[b] ^ v[c], 12);
  v[a] = v[a] + v[b] + y;
  v[d] = rotr32(v[d] ^ v[a], 8);
  v[c] = v[c] + v[d];
  v[b] = rotr32(v[b] ^ v[c], 7);
}

static void compress_state(uint32_t v[16], const uint32_t cv[8], const uint8_t block[64],
                           uint8_t block_len, uint64_t counter, uint8_t flags) {
  uint32_t m[16];
  for (size_t i = 0; i < 16; i++) m[i] = zq_load32_le(block + 4 * i);
  for (size_t i = 0; i < 8; i++) v[i] = cv[i];
  for (size_t i = 0; i < 4; i++) v[8 + i] = zq_blake3_iv[i];
  v[12] = (uint32_t)counter;
  v[13] = (uint32_t)(counter >> 32);
  v[14] = block_len;
  v[15] = flags;
  /* Unrolled so each m[s[i]] is a fixed slot (the schedule is a static table in the header). */
#pragma GCC unroll 7
  for (int r = 0; r < 7; r++) {
    const uint8_t *s = zq_blake3_schedule[r];
    mix(v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
    mix(v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
    mix(v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
    mix(v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
    mix(v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
    mix(v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
    mix(v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
    mix(v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
  }
}

void zq_blake3_compress_in_place_portable(uint32_t cv[8], const uint8_t block[64],
                                          uint8_t block_len, uint64_t counter, uint8_t flags) {
  uint32_t v[16];
  compress_state(v, cv, block, block_len, counter, flags);
  for (size_t i = 0; i < 8; i++) cv[i] = v[i] ^ v[i + 8];
}

void zq_blake3_compress_xof_portable(const uint32_t cv[8], const uint8_t block[64],
                                     uint8_t block_len, uint64_t counter, uint8_t flags,
                                     uint8_t out[64]) {
  uint32_t v[16];
  compress_state(v, cv, block, block_len, counter, flags);
  for (size_t i = 0; i < 8; i++) {
    zq_store32_le(out + 4 * i, v[i] ^ v[i + 8]);
    zq_store32_le(out + 32 + 4 * i, v[i + 8] ^ cv[i]);
  }
}

void zq_blake3_hash_many_portable(const uint8_t *const *inputs, size_t n, size_t blocks,
                                  const uint32_t key[8], uint64_t counter, bool increment_counter,
                                  uint8_t flags, uint8_t flags_start, uint8_t flags_end,
                                  uint8_t *out) {
  for (size_t i = 0; i < n; i++) {
    uint32_t cv[8];
    memcpy(cv, key, sizeof(cv));
    uint8_t block_flags = flags | flags_start;
    for (size_t b = 0; b < blocks; b++) {
      if (b + 1 == blocks) block_flags |= flags_end;
      zq_blake3_compress_in_place_portable(cv, inputs[i] + b * ZQ_BLAKE3_BLOCK_LEN,
                                           ZQ_BLAKE3_BLOCK_LEN, counter, block_flags);
      block_flags = flags;
    }
    for (size_t w = 0; w < 8; w++) zq_store32_le(out + 32 * i + 4 * w, cv[w]);
    if (increment_counter) counter++;
  }
}
