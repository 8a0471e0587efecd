/*
 * blake3_avx512.c — BLAKE3 over sixteen inputs at once with AVX-512F (compiled with -mavx512f,
 * called only when the CPU reports it). Vector i holds state word i of all sixteen inputs (lane j
 * = input j), so one G on four vectors runs the same quarter-round for sixteen chunks, and the
 * native 32-bit rotate (vprord) does every rotation in one instruction. Leftovers go to the AVX2
 * code.
 *
 * Why it is written out by hand: the speed is set by how many vector instructions one 64-byte
 * block of all sixteen lanes costs (7 rounds x 8 G x 14 = 784, plus 64 shuffles for the message
 * transpose). Anything else in that loop — scalar index arithmetic for the message schedule, a
 * rolled transpose loop, reloads of spilled state — competes with them for the same two 512-bit
 * ports, so the rounds use literal message indices (ZQ_B3_ROUNDS), the state lives in sixteen
 * named variables, and both transposes are straight-line code.
 */
/* The G and ROUND macros assign to their (register-variable) arguments, and the pointer offsets
 * are small constant products: both clang-tidy checks below only add noise in this file. */
// NOLINTBEGIN(bugprone-macro-parentheses, bugprone-implicit-widening-of-multiplication-result)
#include <immintrin.h>

#include "blake3_impl.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* a + x is issued before the + b: x (a message word) and a are ready before b, which the previous
 * step has just produced, so this is one add shorter on the critical path than (a + b) + x. */
#define G(a, b, c, d, x, y)                                          \
  do {                                                               \
    a = _mm512_add_epi32(_mm512_add_epi32(a, x), b);                 \
    d = _mm512_ror_epi32(_mm512_xor_si512(d, a), 16);                \
    c = _mm512_add_epi32(c, d);                                      \
    b = _mm512_ror_epi32(_mm512_xor_si512(b, c), 12);                \
    a = _mm512_add_epi32(_mm512_add_epi32(a, y), b);                 \
    d = _mm512_ror_epi32(_mm512_xor_si512(d, a), 8);                 \
    c = _mm512_add_epi32(c, d);                                      \
    b = _mm512_ror_epi32(_mm512_xor_si512(b, c), 7);                 \
  } while (0)

/* Columns, then diagonals (spec section 2.2), with this round's message words. */
#define ROUND(s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15) \
  G(v0, v4, v8, v12, m[s0], m[s1]);                                                  \
  G(v1, v5, v9, v13, m[s2], m[s3]);                                                  \
  G(v2, v6, v10, v14, m[s4], m[s5]);                                                 \
  G(v3, v7, v11, v15, m[s6], m[s7]);                                                 \
  G(v0, v5, v10, v15, m[s8], m[s9]);                                                 \
  G(v1, v6, v11, v12, m[s10], m[s11]);                                               \
  G(v2, v7, v8, v13, m[s12], m[s13]);                                                \
  G(v3, v4, v9, v14, m[s14], m[s15]);

/* Load block `offset` of sixteen inputs and transpose: m[w] lane j = word w of input j.
 * Stage 1-2 (32- and 64-bit interleaves) leave u[4q + i] with, in its 128-bit lane k, word 4k + i
 * of inputs 4q..4q+3; stage 3-4 (128-bit-lane shuffles) gather lane k of u[i], u[4+i], u[8+i],
 * u[12+i] into one vector per word. 64 shuffles in all, the fewest for a 16x16 word transpose
 * with two-input shuffles (four stages of sixteen). */
ALWAYS_INLINE void load_transposed(__m512i m[16], const uint8_t *const *in, size_t offset) {
  __m512i r[16], t[16], u[16];
#pragma GCC unroll 16
  for (int j = 0; j < 16; j++) r[j] = _mm512_loadu_si512(in[j] + offset);
#pragma GCC unroll 8
  for (int j = 0; j < 8; j++) {
    t[2 * j] = _mm512_unpacklo_epi32(r[2 * j], r[2 * j + 1]);
    t[2 * j + 1] = _mm512_unpackhi_epi32(r[2 * j], r[2 * j + 1]);
  }
#pragma GCC unroll 4
  for (int q = 0; q < 4; q++) {
    u[4 * q + 0] = _mm512_unpacklo_epi64(t[4 * q + 0], t[4 * q + 2]);
    u[4 * q + 1] = _mm512_unpackhi_epi64(t[4 * q + 0], t[4 * q + 2]);
    u[4 * q + 2] = _mm512_unpacklo_epi64(t[4 * q + 1], t[4 * q + 3]);
    u[4 * q + 3] = _mm512_unpackhi_epi64(t[4 * q + 1], t[4 * q + 3]);
  }
#pragma GCC unroll 4
  for (int i = 0; i < 4; i++) {
    __m512i lo01 = _mm512_shuffle_i32x4(u[i], u[4 + i], 0x44);     /* lanes 0,1 | 0,1 */
    __m512i hi01 = _mm512_shuffle_i32x4(u[i], u[4 + i], 0xEE);     /* lanes 2,3 | 2,3 */
    __m512i lo23 = _mm512_shuffle_i32x4(u[8 + i], u[12 + i], 0x44);
    __m512i hi23 = _mm512_shuffle_i32x4(u[8 + i], u[12 + i], 0xEE);
    m[i] = _mm512_shuffle_i32x4(lo01, lo23, 0x88);      /* lane 0 of each: word i */
    m[4 + i] = _mm512_shuffle_i32x4(lo01, lo23, 0xDD);  /* lane 1: word 4 + i */
    m[8 + i] = _mm512_shuffle_i32x4(hi01, hi23, 0x88);  /* lane 2: word 8 + i */
    m[12 + i] = _mm512_shuffle_i32x4(hi01, hi23, 0xDD); /* lane 3: word 12 + i */
  }
}

/* Store the eight CV words of sixteen lanes as sixteen 32-byte CVs. After the two interleave
 * stages, 128-bit lane k of u[i] holds words 0-3 of input 4k + i and of u[4 + i] words 4-7. */
ALWAYS_INLINE void store_transposed(const __m512i h[8], uint8_t *out) {
  __m512i t[8], u[8];
#pragma GCC unroll 4
  for (int j = 0; j < 4; j++) {
    t[2 * j] = _mm512_unpacklo_epi32(h[2 * j], h[2 * j + 1]);
    t[2 * j + 1] = _mm512_unpackhi_epi32(h[2 * j], h[2 * j + 1]);
  }
#pragma GCC unroll 2
  for (int q = 0; q < 2; q++) {
    u[4 * q + 0] = _mm512_unpacklo_epi64(t[4 * q + 0], t[4 * q + 2]);
    u[4 * q + 1] = _mm512_unpackhi_epi64(t[4 * q + 0], t[4 * q + 2]);
    u[4 * q + 2] = _mm512_unpacklo_epi64(t[4 * q + 1], t[4 * q + 3]);
    u[4 * q + 3] = _mm512_unpackhi_epi64(t[4 * q + 1], t[4 * q + 3]);
  }
#pragma GCC unroll 4
  for (int i = 0; i < 4; i++) {
    /* [u_i.0, u_{4+i}.0, u_i.1, u_{4+i}.1] = CVs of inputs i and 4 + i, and lanes 2-3 likewise. */
    __m512i a = _mm512_shuffle_i32x4(u[i], u[4 + i], 0x44);
    __m512i b = _mm512_shuffle_i32x4(u[i], u[4 + i], 0xEE);
    a = _mm512_shuffle_i32x4(a, a, 0xD8);
    b = _mm512_shuffle_i32x4(b, b, 0xD8);
    _mm256_storeu_si256((__m256i *)(void *)(out + 32 * i), _mm512_castsi512_si256(a));
    _mm256_storeu_si256((__m256i *)(void *)(out + 32 * (4 + i)), _mm512_extracti64x4_epi64(a, 1));
    _mm256_storeu_si256((__m256i *)(void *)(out + 32 * (8 + i)), _mm512_castsi512_si256(b));
    _mm256_storeu_si256((__m256i *)(void *)(out + 32 * (12 + i)), _mm512_extracti64x4_epi64(b, 1));
  }
}

static void hash16(const uint8_t *const *inputs, size_t blocks, const uint32_t key[8],
                   uint64_t counter, bool increment_counter, uint8_t flags, uint8_t flags_start,
                   uint8_t flags_end, uint8_t *out) {
  __m512i h[8];
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++) h[i] = _mm512_set1_epi32((int)key[i]);
  /* Lane j's counter is counter + j: add in 32 bits and carry into the high word where it wraps. */
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i base_lo = _mm512_set1_epi32((int)(uint32_t)counter);
  __m512i counter_lo = base_lo, counter_hi = _mm512_set1_epi32((int)(uint32_t)(counter >> 32));
  if (increment_counter) {
    counter_lo = _mm512_add_epi32(base_lo, lane);
    __mmask16 carry = _mm512_cmplt_epu32_mask(counter_lo, base_lo);
    counter_hi = _mm512_mask_add_epi32(counter_hi, carry, counter_hi, _mm512_set1_epi32(1));
  }
  uint8_t block_flags = flags | flags_start;
  for (size_t b = 0; b < blocks; b++) {
    if (b + 1 == blocks) block_flags |= flags_end;
    /* Prefetch the inputs of the next call, 1 KiB per block so that the 16 KiB are in L1 when it
     * starts. Out of cache this took 4.2 -> 6.3 GiB/s: one block of all lanes is ~900 instructions,
     * more than the out-of-order window, so without it the sixteen loads of each block waited for
     * DRAM one block at a time, and per-lane prefetching a few blocks ahead left the first blocks
     * of every call exposed. The guess "the next inputs follow the last one" is what subtree_cv
     * does with chunks; a prefetch never faults, so a wrong guess costs only the hint (and
     * skipping it for parent nodes measured slower: the branch cost more than the hint). */
    const char *next = (const char *)inputs[15] + ZQ_BLAKE3_CHUNK_LEN * (b + 1);
#pragma GCC unroll 16
    for (int j = 0; j < 16; j++) _mm_prefetch(next + 64 * j, _MM_HINT_T0);
    __m512i m[16];
    load_transposed(m, inputs, b * ZQ_BLAKE3_BLOCK_LEN);
    __m512i v0 = h[0], v1 = h[1], v2 = h[2], v3 = h[3], v4 = h[4], v5 = h[5], v6 = h[6],
            v7 = h[7];
    __m512i v8 = _mm512_set1_epi32((int)zq_blake3_iv[0]);
    __m512i v9 = _mm512_set1_epi32((int)zq_blake3_iv[1]);
    __m512i v10 = _mm512_set1_epi32((int)zq_blake3_iv[2]);
    __m512i v11 = _mm512_set1_epi32((int)zq_blake3_iv[3]);
    __m512i v12 = counter_lo, v13 = counter_hi;
    __m512i v14 = _mm512_set1_epi32(ZQ_BLAKE3_BLOCK_LEN);
    __m512i v15 = _mm512_set1_epi32(block_flags);
    ZQ_B3_ROUNDS(ROUND)
    h[0] = _mm512_xor_si512(v0, v8);
    h[1] = _mm512_xor_si512(v1, v9);
    h[2] = _mm512_xor_si512(v2, v10);
    h[3] = _mm512_xor_si512(v3, v11);
    h[4] = _mm512_xor_si512(v4, v12);
    h[5] = _mm512_xor_si512(v5, v13);
    h[6] = _mm512_xor_si512(v6, v14);
    h[7] = _mm512_xor_si512(v7, v15);
    block_flags = flags;
  }
  store_transposed(h, out);
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
// NOLINTEND(bugprone-macro-parentheses, bugprone-implicit-widening-of-multiplication-result)
