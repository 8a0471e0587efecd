/*
 * blake3_avx2.c — BLAKE3 over eight inputs at once with AVX2 (compiled with -mavx2, called only
 * when the CPU reports it): one 256-bit vector per state word, lane i holding input i. Fewer than
 * eight inputs left over go to the SSE4.1 code, which every AVX2 CPU also runs.
 */
/* The G and ROUND macros assign to their (register-variable) arguments, and the pointer offsets
 * are small constant products: both clang-tidy checks below only add noise in this file. */
// NOLINTBEGIN(bugprone-macro-parentheses, bugprone-implicit-widening-of-multiplication-result)
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

/* One G on eight inputs at once; a + x first because x and a are ready before b (see the AVX-512
 * file). Literal message indices via ZQ_B3_ROUNDS: GCC left the rounds' table lookups as scalar
 * loads and index arithmetic in the hot loop, competing with the vector work. */
#define G(a, b, c, d, x, y)                               \
  do {                                                    \
    a = _mm256_add_epi32(_mm256_add_epi32(a, x), b);      \
    d = rot16(_mm256_xor_si256(d, a));                    \
    c = _mm256_add_epi32(c, d);                           \
    b = rot12(_mm256_xor_si256(b, c));                    \
    a = _mm256_add_epi32(_mm256_add_epi32(a, y), b);      \
    d = rot8(_mm256_xor_si256(d, a));                     \
    c = _mm256_add_epi32(c, d);                           \
    b = rot7(_mm256_xor_si256(b, c));                     \
  } while (0)

#define ROUND(s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15) \
  G(v0, v4, v8, v12, m[s0], m[s1]);                                                  \
  G(v1, v5, v9, v13, m[s2], m[s3]);                                                  \
  G(v2, v6, v10, v14, m[s4], m[s5]);                                                 \
  G(v3, v7, v11, v15, m[s6], m[s7]);                                                 \
  G(v0, v5, v10, v15, m[s8], m[s9]);                                                 \
  G(v1, v6, v11, v12, m[s10], m[s11]);                                               \
  G(v2, v7, v8, v13, m[s12], m[s13]);                                                \
  G(v3, v4, v9, v14, m[s14], m[s15]);

/* 8x8 transpose of 32-bit words: row i becomes column i. Pairs are interleaved within 128-bit
 * halves first, then the halves are exchanged. */
static inline __attribute__((always_inline)) void transpose8(__m256i v[8]) {
  __m256i t[8], u[8];
#pragma GCC unroll 4
  for (size_t i = 0; i < 4; i++) {
    t[2 * i] = _mm256_unpacklo_epi32(v[2 * i], v[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_epi32(v[2 * i], v[2 * i + 1]);
  }
#pragma GCC unroll 2
  for (size_t half = 0; half < 2; half++) {
    const __m256i *tt = t + 4 * half;
    u[4 * half + 0] = _mm256_unpacklo_epi64(tt[0], tt[2]);
    u[4 * half + 1] = _mm256_unpackhi_epi64(tt[0], tt[2]);
    u[4 * half + 2] = _mm256_unpacklo_epi64(tt[1], tt[3]);
    u[4 * half + 3] = _mm256_unpackhi_epi64(tt[1], tt[3]);
  }
#pragma GCC unroll 4
  for (size_t i = 0; i < 4; i++) {
    v[i] = _mm256_permute2x128_si256(u[i], u[4 + i], 0x20);
    v[4 + i] = _mm256_permute2x128_si256(u[i], u[4 + i], 0x31);
  }
}

static inline __attribute__((always_inline)) void load_transposed(__m256i m[16],
                                                                  const uint8_t *const *inputs,
                                                                  size_t offset) {
#pragma GCC unroll 8
  for (size_t lane = 0; lane < 8; lane++) {
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
    /* The inputs of the next call, 512 bytes per block, so that they are cached when it starts
     * (why, and why guessing "they follow the last input" is right here: see the AVX-512 file). */
    const char *next = (const char *)inputs[7] + ZQ_BLAKE3_CHUNK_LEN + ZQ_BLAKE3_CHUNK_LEN / 2 * b;
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++) _mm_prefetch(next + 64 * j, _MM_HINT_T0);
    __m256i m[16];
    load_transposed(m, inputs, b * ZQ_BLAKE3_BLOCK_LEN);
    __m256i v0 = h[0], v1 = h[1], v2 = h[2], v3 = h[3], v4 = h[4], v5 = h[5], v6 = h[6],
            v7 = h[7];
    __m256i v8 = _mm256_set1_epi32((int)zq_blake3_iv[0]);
    __m256i v9 = _mm256_set1_epi32((int)zq_blake3_iv[1]);
    __m256i v10 = _mm256_set1_epi32((int)zq_blake3_iv[2]);
    __m256i v11 = _mm256_set1_epi32((int)zq_blake3_iv[3]);
    __m256i v12 = counter_lo, v13 = counter_hi;
    __m256i v14 = _mm256_set1_epi32(ZQ_BLAKE3_BLOCK_LEN);
    __m256i v15 = _mm256_set1_epi32(block_flags);
    ZQ_B3_ROUNDS(ROUND)
    h[0] = _mm256_xor_si256(v0, v8);
    h[1] = _mm256_xor_si256(v1, v9);
    h[2] = _mm256_xor_si256(v2, v10);
    h[3] = _mm256_xor_si256(v3, v11);
    h[4] = _mm256_xor_si256(v4, v12);
    h[5] = _mm256_xor_si256(v5, v13);
    h[6] = _mm256_xor_si256(v6, v14);
    h[7] = _mm256_xor_si256(v7, v15);
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
// NOLINTEND(bugprone-macro-parentheses, bugprone-implicit-widening-of-multiplication-result)
