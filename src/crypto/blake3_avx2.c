/*
 * blake3_avx2.c — BLAKE3 over eight inputs at once with AVX2 (compiled with -mavx2, called only
 * when the CPU reports it): one 256-bit vector per state word, lane i holding input i. Fewer than
 * eight inputs left over go to the SSE4.1 code, which every AVX2 CPU also runs.
 */
#include <immintrin.h>

#include "blake3_impl.h"

#define LOADU(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define STOREU(p, v) _mm256_storeu_si256((__m256i *)(void *)(p), (v))

static inline __m256i rot16(__m256i x) {
  return _mm256_shuffle_epi8(x, _mm256_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12,
                                                 13, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15,
                                                 12, 13));
}
static inline __m256i rot12(__m256i x) {
  return _mm256_or_si256(_mm256_srli_epi32(x, 12), _mm256_slli_epi32(x, 20));
}
static inline __m256i rot8(__m256i x) {
  return _mm256_shuffle_epi8(x, _mm256_setr_epi8(1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15,
                                                 12, 1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14,
                                                 15, 12));
}
static inline __m256i rot7(__m256i x) {
  return _mm256_or_si256(_mm256_srli_epi32(x, 7), _mm256_slli_epi32(x, 25));
}

static inline void g8(__m256i *a, __m256i *b, __m256i *c, __m256i *d, __m256i x, __m256i y) {
  *a = _mm256_add_epi32(_mm256_add_epi32(*a, *b), x);
  *d = rot16(_mm256_xor_si256(*d, *a));
  *c = _mm256_add_epi32(*c, *d);
  *b = rot12(_mm256_xor_si256(*b, *c));
  *a = _mm256_add_epi32(_mm256_add_epi32(*a, *b), y);
  *d = rot8(_mm256_xor_si256(*d, *a));
  *c = _mm256_add_epi32(*c, *d);
  *b = rot7(_mm256_xor_si256(*b, *c));
}

static inline __attribute__((always_inline)) void round8(__m256i v[16], const __m256i m[16], int r) {
  const uint8_t *s = zq_blake3_schedule[r];
  g8(&v[0], &v[4], &v[8], &v[12], m[s[0]], m[s[1]]);
  g8(&v[1], &v[5], &v[9], &v[13], m[s[2]], m[s[3]]);
  g8(&v[2], &v[6], &v[10], &v[14], m[s[4]], m[s[5]]);
  g8(&v[3], &v[7], &v[11], &v[15], m[s[6]], m[s[7]]);
  g8(&v[0], &v[5], &v[10], &v[15], m[s[8]], m[s[9]]);
  g8(&v[1], &v[6], &v[11], &v[12], m[s[10]], m[s[11]]);
  g8(&v[2], &v[7], &v[8], &v[13], m[s[12]], m[s[13]]);
  g8(&v[3], &v[4], &v[9], &v[14], m[s[14]], m[s[15]]);
}

/* 8x8 transpose of 32-bit words: row i becomes column i. Pairs are interleaved within 128-bit
 * halves first, then the halves are exchanged. */
static inline __attribute__((always_inline)) void transpose8(__m256i v[8]) {
  __m256i t[8], u[8];
  for (size_t i = 0; i < 4; i++) {
    t[2 * i] = _mm256_unpacklo_epi32(v[2 * i], v[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_epi32(v[2 * i], v[2 * i + 1]);
  }
  for (size_t half = 0; half < 2; half++) {
    const __m256i *tt = t + 4 * half;
    u[4 * half + 0] = _mm256_unpacklo_epi64(tt[0], tt[2]);
    u[4 * half + 1] = _mm256_unpackhi_epi64(tt[0], tt[2]);
    u[4 * half + 2] = _mm256_unpacklo_epi64(tt[1], tt[3]);
    u[4 * half + 3] = _mm256_unpackhi_epi64(tt[1], tt[3]);
  }
  for (size_t i = 0; i < 4; i++) {
    v[i] = _mm256_permute2x128_si256(u[i], u[4 + i], 0x20);
    v[4 + i] = _mm256_permute2x128_si256(u[i], u[4 + i], 0x31);
  }
}

static inline void load_transposed(__m256i m[16], const uint8_t *const *inputs, size_t offset) {
  for (size_t lane = 0; lane < 8; lane++) {
    /* Eight streams 1 KiB apart: prefetch each a few blocks ahead (harmless past the end). */
    _mm_prefetch((const char *)inputs[lane] + offset + 4 * (size_t)ZQ_BLAKE3_BLOCK_LEN, _MM_HINT_T0);
    m[lane] = LOADU(inputs[lane] + offset);
    m[8 + lane] = LOADU(inputs[lane] + offset + 32);
  }
  transpose8(m);
  transpose8(m + 8);
}

static void hash8(const uint8_t *const *inputs, size_t blocks, const uint32_t key[8],
                  uint64_t counter, bool increment_counter, uint8_t flags, uint8_t flags_start,
                  uint8_t flags_end, uint8_t *out) {
  __m256i h[8];
  for (size_t i = 0; i < 8; i++) h[i] = _mm256_set1_epi32((int)key[i]);
  uint32_t lo[8], hi[8];
  for (size_t lane = 0; lane < 8; lane++) {
    uint64_t c = counter + (increment_counter ? (uint64_t)lane : 0);
    lo[lane] = (uint32_t)c;
    hi[lane] = (uint32_t)(c >> 32);
  }
  const __m256i counter_lo = LOADU(lo), counter_hi = LOADU(hi);
  uint8_t block_flags = flags | flags_start;
  for (size_t b = 0; b < blocks; b++) {
    if (b + 1 == blocks) block_flags |= flags_end;
    __m256i m[16], v[16];
    load_transposed(m, inputs, b * ZQ_BLAKE3_BLOCK_LEN);
    for (size_t i = 0; i < 8; i++) v[i] = h[i];
    for (size_t i = 0; i < 4; i++) v[8 + i] = _mm256_set1_epi32((int)zq_blake3_iv[i]);
    v[12] = counter_lo;
    v[13] = counter_hi;
    v[14] = _mm256_set1_epi32(ZQ_BLAKE3_BLOCK_LEN);
    v[15] = _mm256_set1_epi32(block_flags);
#pragma GCC unroll 7
    for (int r = 0; r < 7; r++) round8(v, m, r);
    for (size_t i = 0; i < 8; i++) h[i] = _mm256_xor_si256(v[i], v[i + 8]);
    block_flags = flags;
  }
  transpose8(h);
  for (size_t lane = 0; lane < 8; lane++) STOREU(out + 32 * lane, h[lane]);
}

void zq_blake3_hash_many_avx2(const uint8_t *const *inputs, size_t n, size_t blocks,
                              const uint32_t key[8], uint64_t counter, bool increment_counter,
                              uint8_t flags, uint8_t flags_start, uint8_t flags_end, uint8_t *out) {
  while (n >= 8) {
    hash8(inputs, blocks, key, counter, increment_counter, flags, flags_start, flags_end, out);
    inputs += 8;
    n -= 8;
    out += 8 * (size_t)ZQ_BLAKE3_OUT_LEN;
    if (increment_counter) counter += 8;
  }
  zq_blake3_hash_many_sse41(inputs, n, blocks, key, counter, increment_counter, flags, flags_start,
                            flags_end, out);
}
