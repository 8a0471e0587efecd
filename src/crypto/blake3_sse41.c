/*
 * blake3_sse41.c — BLAKE3 compression with SSE4.1 (compiled with -msse4.1, called only when the
 * CPU reports it). Two shapes: one block with the 4x4 state in four row vectors (used for parent
 * nodes, the last chunk and extended output), and four chunks at once with one vector per state
 * word, lane i holding chunk i — the shape that makes long inputs fast. The AVX2 and AVX-512
 * back-ends reuse the single-block code, which every CPU with those extensions can run.
 */
/* The G and ROUND macros assign to their (register-variable) arguments, and the pointer offsets
 * are small constant products: both clang-tidy checks below only add noise in this file. */
// NOLINTBEGIN(bugprone-macro-parentheses, bugprone-implicit-widening-of-multiplication-result)
#include <immintrin.h>

#include "blake3_impl.h"

#define LOADU(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define STOREU(p, v) _mm_storeu_si128((__m128i *)(void *)(p), (v))

static inline __m128i rot16(__m128i x) {
  return _mm_shuffle_epi8(x, _mm_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13));
}
static inline __m128i rot12(__m128i x) {
  return _mm_or_si128(_mm_srli_epi32(x, 12), _mm_slli_epi32(x, 20));
}
static inline __m128i rot8(__m128i x) {
  return _mm_shuffle_epi8(x, _mm_setr_epi8(1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12));
}
static inline __m128i rot7(__m128i x) {
  return _mm_or_si128(_mm_srli_epi32(x, 7), _mm_slli_epi32(x, 25));
}

/* The quarter-round applied to four (a, b, c, d) columns at once. */
static inline void g4(__m128i *a, __m128i *b, __m128i *c, __m128i *d, __m128i x, __m128i y) {
  *a = _mm_add_epi32(_mm_add_epi32(*a, *b), x);
  *d = rot16(_mm_xor_si128(*d, *a));
  *c = _mm_add_epi32(*c, *d);
  *b = rot12(_mm_xor_si128(*b, *c));
  *a = _mm_add_epi32(_mm_add_epi32(*a, *b), y);
  *d = rot8(_mm_xor_si128(*d, *a));
  *c = _mm_add_epi32(*c, *d);
  *b = rot7(_mm_xor_si128(*b, *c));
}

/* ---- one block: rows of the state ---- */

static void compress_rows(__m128i row[4], const uint32_t cv[8], const uint8_t block[64],
                          uint8_t block_len, uint64_t counter, uint8_t flags) {
  uint32_t m[16];
  memcpy(m, block, 64); /* x86 is little-endian, as the spec's word order */
  row[0] = LOADU(cv);
  row[1] = LOADU(cv + 4);
  row[2] = LOADU(zq_blake3_iv);
  row[3] = _mm_setr_epi32((int)(uint32_t)counter, (int)(uint32_t)(counter >> 32), block_len, flags);
#pragma GCC unroll 7
  for (int r = 0; r < 7; r++) {
    const uint8_t *s = zq_blake3_schedule[r];
    g4(&row[0], &row[1], &row[2], &row[3], _mm_setr_epi32((int)m[s[0]], (int)m[s[2]], (int)m[s[4]], (int)m[s[6]]),
       _mm_setr_epi32((int)m[s[1]], (int)m[s[3]], (int)m[s[5]], (int)m[s[7]]));
    /* Rotate rows 1..3 so that the diagonals line up as columns, mix, rotate back. */
    row[1] = _mm_shuffle_epi32(row[1], 0x39);
    row[2] = _mm_shuffle_epi32(row[2], 0x4E);
    row[3] = _mm_shuffle_epi32(row[3], 0x93);
    g4(&row[0], &row[1], &row[2], &row[3], _mm_setr_epi32((int)m[s[8]], (int)m[s[10]], (int)m[s[12]], (int)m[s[14]]),
       _mm_setr_epi32((int)m[s[9]], (int)m[s[11]], (int)m[s[13]], (int)m[s[15]]));
    row[1] = _mm_shuffle_epi32(row[1], 0x93);
    row[2] = _mm_shuffle_epi32(row[2], 0x4E);
    row[3] = _mm_shuffle_epi32(row[3], 0x39);
  }
}

void zq_blake3_compress_in_place_sse41(uint32_t cv[8], const uint8_t block[64],
                                       uint8_t block_len, uint64_t counter, uint8_t flags) {
  __m128i row[4];
  compress_rows(row, cv, block, block_len, counter, flags);
  STOREU(cv, _mm_xor_si128(row[0], row[2]));
  STOREU(cv + 4, _mm_xor_si128(row[1], row[3]));
}

void zq_blake3_compress_xof_sse41(const uint32_t cv[8], const uint8_t block[64], uint8_t block_len,
                                  uint64_t counter, uint8_t flags, uint8_t out[64]) {
  __m128i row[4];
  compress_rows(row, cv, block, block_len, counter, flags);
  STOREU(out, _mm_xor_si128(row[0], row[2]));
  STOREU(out + 16, _mm_xor_si128(row[1], row[3]));
  STOREU(out + 32, _mm_xor_si128(row[2], LOADU(cv)));
  STOREU(out + 48, _mm_xor_si128(row[3], LOADU(cv + 4)));
}

/* ---- four inputs at once: vector i = state word i of every input ---- */

static inline __attribute__((always_inline)) void transpose4(__m128i v[4]) {
  __m128i t0 = _mm_unpacklo_epi32(v[0], v[1]);
  __m128i t1 = _mm_unpackhi_epi32(v[0], v[1]);
  __m128i t2 = _mm_unpacklo_epi32(v[2], v[3]);
  __m128i t3 = _mm_unpackhi_epi32(v[2], v[3]);
  v[0] = _mm_unpacklo_epi64(t0, t2);
  v[1] = _mm_unpackhi_epi64(t0, t2);
  v[2] = _mm_unpacklo_epi64(t1, t3);
  v[3] = _mm_unpackhi_epi64(t1, t3);
}

static inline __attribute__((always_inline)) void load_transposed(__m128i m[16],
                                                                  const uint8_t *const *inputs,
                                                                  size_t offset) {
#pragma GCC unroll 4
  for (size_t q = 0; q < 4; q++) {
    __m128i *quarter = m + 4 * q;
#pragma GCC unroll 4
    for (size_t lane = 0; lane < 4; lane++) quarter[lane] = LOADU(inputs[lane] + offset + 16 * q);
    transpose4(quarter);
  }
}

/* One G on four inputs at once, with literal message indices via ZQ_B3_ROUNDS (why: see the
 * AVX-512 file). */
#define G(a, b, c, d, x, y)                         \
  do {                                              \
    a = _mm_add_epi32(_mm_add_epi32(a, x), b);      \
    d = rot16(_mm_xor_si128(d, a));                 \
    c = _mm_add_epi32(c, d);                        \
    b = rot12(_mm_xor_si128(b, c));                 \
    a = _mm_add_epi32(_mm_add_epi32(a, y), b);      \
    d = rot8(_mm_xor_si128(d, a));                  \
    c = _mm_add_epi32(c, d);                        \
    b = rot7(_mm_xor_si128(b, c));                  \
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

static void hash4(const uint8_t *const *inputs, size_t blocks, const uint32_t key[8],
                  uint64_t counter, bool increment_counter, uint8_t flags, uint8_t flags_start,
                  uint8_t flags_end, uint8_t *out) {
  __m128i h[8];
  for (size_t i = 0; i < 8; i++) h[i] = _mm_set1_epi32((int)key[i]);
  uint32_t lo[4], hi[4];
  for (size_t lane = 0; lane < 4; lane++) {
    uint64_t c = counter + (increment_counter ? (uint64_t)lane : 0);
    lo[lane] = (uint32_t)c;
    hi[lane] = (uint32_t)(c >> 32);
  }
  const __m128i counter_lo = LOADU(lo), counter_hi = LOADU(hi);
  uint8_t block_flags = flags | flags_start;
  for (size_t b = 0; b < blocks; b++) {
    if (b + 1 == blocks) block_flags |= flags_end;
    /* The inputs of the next call, 256 bytes per block (see the AVX-512 file). */
    const char *next = (const char *)inputs[3] + ZQ_BLAKE3_CHUNK_LEN + ZQ_BLAKE3_CHUNK_LEN / 4 * b;
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) _mm_prefetch(next + 64 * j, _MM_HINT_T0);
    __m128i m[16];
    load_transposed(m, inputs, b * ZQ_BLAKE3_BLOCK_LEN);
    __m128i v0 = h[0], v1 = h[1], v2 = h[2], v3 = h[3], v4 = h[4], v5 = h[5], v6 = h[6],
            v7 = h[7];
    __m128i v8 = _mm_set1_epi32((int)zq_blake3_iv[0]);
    __m128i v9 = _mm_set1_epi32((int)zq_blake3_iv[1]);
    __m128i v10 = _mm_set1_epi32((int)zq_blake3_iv[2]);
    __m128i v11 = _mm_set1_epi32((int)zq_blake3_iv[3]);
    __m128i v12 = counter_lo, v13 = counter_hi;
    __m128i v14 = _mm_set1_epi32(ZQ_BLAKE3_BLOCK_LEN);
    __m128i v15 = _mm_set1_epi32(block_flags);
    ZQ_B3_ROUNDS(ROUND)
    h[0] = _mm_xor_si128(v0, v8);
    h[1] = _mm_xor_si128(v1, v9);
    h[2] = _mm_xor_si128(v2, v10);
    h[3] = _mm_xor_si128(v3, v11);
    h[4] = _mm_xor_si128(v4, v12);
    h[5] = _mm_xor_si128(v5, v13);
    h[6] = _mm_xor_si128(v6, v14);
    h[7] = _mm_xor_si128(v7, v15);
    block_flags = flags;
  }
  transpose4(h);
  transpose4(h + 4);
  for (size_t lane = 0; lane < 4; lane++) {
    STOREU(out + 32 * lane, h[lane]);
    STOREU(out + 32 * lane + 16, h[4 + lane]);
  }
}

void zq_blake3_hash_many_sse41(const uint8_t *const *inputs, size_t n, size_t blocks,
                               const uint32_t key[8], uint64_t counter, bool increment_counter,
                               uint8_t flags, uint8_t flags_start, uint8_t flags_end,
                               uint8_t *out) {
  while (n >= 4) {
    hash4(inputs, blocks, key, counter, increment_counter, flags, flags_start, flags_end, out);
    inputs += 4;
    n -= 4;
    out += 4 * (size_t)ZQ_BLAKE3_OUT_LEN;
    if (increment_counter) counter += 4;
  }
  for (size_t i = 0; i < n; i++) {
    uint32_t cv[8];
    memcpy(cv, key, sizeof(cv));
    uint8_t block_flags = flags | flags_start;
    for (size_t b = 0; b < blocks; b++) {
      if (b + 1 == blocks) block_flags |= flags_end;
      zq_blake3_compress_in_place_sse41(cv, inputs[i] + b * ZQ_BLAKE3_BLOCK_LEN,
                                        ZQ_BLAKE3_BLOCK_LEN, counter, block_flags);
      block_flags = flags;
    }
    memcpy(out + ZQ_BLAKE3_OUT_LEN * i, cv, ZQ_BLAKE3_OUT_LEN);
    if (increment_counter) counter++;
  }
}
// NOLINTEND(bugprone-macro-parentheses, bugprone-implicit-widening-of-multiplication-result)
