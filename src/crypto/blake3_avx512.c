/*
 * blake3_avx512.c — BLAKE3 over sixteen inputs at once with AVX-512F (compiled with -mavx512f,
 * called only when the CPU reports it). Same layout as the AVX2 code with twice the lanes; the
 * native 32-bit rotate (vprord) replaces the shift/or and byte-shuffle rotations. Leftovers go to
 * the AVX2 code.
 */
#include <immintrin.h>

#include "blake3_impl.h"

static inline void g16(__m512i *a, __m512i *b, __m512i *c, __m512i *d, __m512i x, __m512i y) {
  *a = _mm512_add_epi32(_mm512_add_epi32(*a, *b), x);
  *d = _mm512_ror_epi32(_mm512_xor_si512(*d, *a), 16);
  *c = _mm512_add_epi32(*c, *d);
  *b = _mm512_ror_epi32(_mm512_xor_si512(*b, *c), 12);
  *a = _mm512_add_epi32(_mm512_add_epi32(*a, *b), y);
  *d = _mm512_ror_epi32(_mm512_xor_si512(*d, *a), 8);
  *c = _mm512_add_epi32(*c, *d);
  *b = _mm512_ror_epi32(_mm512_xor_si512(*b, *c), 7);
}

static inline __attribute__((always_inline)) void round16(__m512i v[16], const __m512i m[16], int r) {
  const uint8_t *s = zq_blake3_schedule[r];
  g16(&v[0], &v[4], &v[8], &v[12], m[s[0]], m[s[1]]);
  g16(&v[1], &v[5], &v[9], &v[13], m[s[2]], m[s[3]]);
  g16(&v[2], &v[6], &v[10], &v[14], m[s[4]], m[s[5]]);
  g16(&v[3], &v[7], &v[11], &v[15], m[s[6]], m[s[7]]);
  g16(&v[0], &v[5], &v[10], &v[15], m[s[8]], m[s[9]]);
  g16(&v[1], &v[6], &v[11], &v[12], m[s[10]], m[s[11]]);
  g16(&v[2], &v[7], &v[8], &v[13], m[s[12]], m[s[13]]);
  g16(&v[3], &v[4], &v[9], &v[14], m[s[14]], m[s[15]]);
}

/* 16x16 transpose of 32-bit words. After the 32- and 64-bit interleaves, 128-bit lane k of u[i],
 * u[4+i], u[8+i], u[12+i] holds word 4k+i of rows 0-3, 4-7, 8-11, 12-15; two rounds of
 * 128-bit-lane shuffles gather those four pieces into one vector per word. */
static inline __attribute__((always_inline)) void transpose16(__m512i v[16]) {
  __m512i t[16], u[16];
  for (size_t i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_epi32(v[2 * i], v[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_epi32(v[2 * i], v[2 * i + 1]);
  }
  for (size_t quad = 0; quad < 4; quad++) {
    const __m512i *tt = t + 4 * quad;
    u[4 * quad + 0] = _mm512_unpacklo_epi64(tt[0], tt[2]);
    u[4 * quad + 1] = _mm512_unpackhi_epi64(tt[0], tt[2]);
    u[4 * quad + 2] = _mm512_unpacklo_epi64(tt[1], tt[3]);
    u[4 * quad + 3] = _mm512_unpackhi_epi64(tt[1], tt[3]);
  }
  for (size_t i = 0; i < 4; i++) {
    __m512i even01 = _mm512_shuffle_i32x4(u[i], u[4 + i], 0x88);
    __m512i odd01 = _mm512_shuffle_i32x4(u[i], u[4 + i], 0xDD);
    __m512i even23 = _mm512_shuffle_i32x4(u[8 + i], u[12 + i], 0x88);
    __m512i odd23 = _mm512_shuffle_i32x4(u[8 + i], u[12 + i], 0xDD);
    v[i] = _mm512_shuffle_i32x4(even01, even23, 0x88);
    v[8 + i] = _mm512_shuffle_i32x4(even01, even23, 0xDD);
    v[4 + i] = _mm512_shuffle_i32x4(odd01, odd23, 0x88);
    v[12 + i] = _mm512_shuffle_i32x4(odd01, odd23, 0xDD);
  }
}

static void hash16(const uint8_t *const *inputs, size_t blocks, const uint32_t key[8],
                   uint64_t counter, bool increment_counter, uint8_t flags, uint8_t flags_start,
                   uint8_t flags_end, uint8_t *out) {
  __m512i h[16];
  for (size_t i = 0; i < 8; i++) h[i] = _mm512_set1_epi32((int)key[i]);
  uint32_t lo[16], hi[16];
  for (size_t lane = 0; lane < 16; lane++) {
    uint64_t c = counter + (increment_counter ? (uint64_t)lane : 0);
    lo[lane] = (uint32_t)c;
    hi[lane] = (uint32_t)(c >> 32);
  }
  const __m512i counter_lo = _mm512_loadu_si512(lo), counter_hi = _mm512_loadu_si512(hi);
  uint8_t block_flags = flags | flags_start;
  for (size_t b = 0; b < blocks; b++) {
    if (b + 1 == blocks) block_flags |= flags_end;
    __m512i m[16], v[16];
    /* Sixteen streams 1 KiB apart defeat the hardware prefetcher; ask for each lane's data a few
     * blocks ahead (a prefetch past the end of an input is harmless). */
    for (size_t lane = 0; lane < 16; lane++) {
      _mm_prefetch((const char *)inputs[lane] + (b + 4) * ZQ_BLAKE3_BLOCK_LEN, _MM_HINT_T0);
      m[lane] = _mm512_loadu_si512(inputs[lane] + b * ZQ_BLAKE3_BLOCK_LEN);
    }
    transpose16(m);
    for (size_t i = 0; i < 8; i++) v[i] = h[i];
    for (size_t i = 0; i < 4; i++) v[8 + i] = _mm512_set1_epi32((int)zq_blake3_iv[i]);
    v[12] = counter_lo;
    v[13] = counter_hi;
    v[14] = _mm512_set1_epi32(ZQ_BLAKE3_BLOCK_LEN);
    v[15] = _mm512_set1_epi32(block_flags);
#pragma GCC unroll 7
    for (int r = 0; r < 7; r++) round16(v, m, r);
    for (size_t i = 0; i < 8; i++) h[i] = _mm512_xor_si512(v[i], v[i + 8]);
    block_flags = flags;
  }
  /* Rows 8-15 are don't-care: after the transpose each lane's CV is the low half of its row. */
  for (size_t i = 8; i < 16; i++) h[i] = _mm512_setzero_si512();
  transpose16(h);
  for (size_t lane = 0; lane < 16; lane++)
    _mm256_storeu_si256((__m256i *)(void *)(out + 32 * lane), _mm512_castsi512_si256(h[lane]));
}

void zq_blake3_hash_many_avx512(const uint8_t *const *inputs, size_t n, size_t blocks,
                                const uint32_t key[8], uint64_t counter, bool increment_counter,
                                uint8_t flags, uint8_t flags_start, uint8_t flags_end,
                                uint8_t *out) {
  while (n >= 16) {
    hash16(inputs, blocks, key, counter, increment_counter, flags, flags_start, flags_end, out);
    inputs += 16;
    n -= 16;
    out += 16 * (size_t)ZQ_BLAKE3_OUT_LEN;
    if (increment_counter) counter += 16;
  }
  zq_blake3_hash_many_avx2(inputs, n, blocks, key, counter, increment_counter, flags, flags_start,
                           flags_end, out);
}
