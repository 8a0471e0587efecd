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

/* The rounds as inline assembly, for the reason given in the AVX2 file: the 16 state words need
 * all 16 xmm registers, and GCC kept the shuffle masks in registers too and spilled state
 * vectors on the critical path. Here the state is pinned to xmm0-15, masks and message words are
 * (16-byte aligned) memory operands, and one `c` word is parked in a stack slot while its register
 * serves as the rotations' temporary. Legacy SSE encodings (two operands, the destination
 * last in AT&T syntax), since this path must run on CPUs without AVX. */
#define R(x) "%%" #x
#define MSG(s) #s "*16(%[m])" /* message word s of all four lanes */
#define ADDM(a, s) "paddd " MSG(s) ", " R(a) "\n\t"
#define ADD(a, b) "paddd " R(b) ", " R(a) "\n\t"
/* c = d + the parked c (the copy is a register move, which the renamer absorbs) */
#define ADDP(c, d) "movdqa " R(d) ", " R(c) "\n\tpaddd %[park], " R(c) "\n\t"
#define XOR(a, b) "pxor " R(b) ", " R(a) "\n\t"
#define SHUF(a, mask) "pshufb %[" #mask "], " R(a) "\n\t"
#define ROT(b, r, t)                                                                            \
  "movdqa " R(b) ", " R(t) "\n\tpsrld $" #r ", " R(t) "\n\tpslld $32-" #r ", " R(b) "\n\tpor " \
  R(t) ", " R(b) "\n\t"
#define PARK(c) "movdqa " R(c) ", %[park]\n\t"

/* Four G functions step by step together; c0 enters parked, cn leaves parked (as in AVX2). */
#define HALF(a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3, d0, d1, d2, d3, cn, x0, x1, x2, x3, \
             y0, y1, y2, y3)                                                                    \
  ADDM(a0, x0) ADDM(a1, x1) ADDM(a2, x2) ADDM(a3, x3)                                           \
  ADD(a0, b0) ADD(a1, b1) ADD(a2, b2) ADD(a3, b3)                                               \
  XOR(d0, a0) XOR(d1, a1) XOR(d2, a2) XOR(d3, a3)                                               \
  SHUF(d0, rot16) SHUF(d1, rot16) SHUF(d2, rot16) SHUF(d3, rot16)                               \
  ADDP(c0, d0) ADD(c1, d1) ADD(c2, d2) ADD(c3, d3)                                              \
  XOR(b0, c0) XOR(b1, c1) XOR(b2, c2) XOR(b3, c3)                                               \
  PARK(c0) ROT(b0, 12, c0) ROT(b1, 12, c0) ROT(b2, 12, c0) ROT(b3, 12, c0)                      \
  ADDM(a0, y0) ADDM(a1, y1) ADDM(a2, y2) ADDM(a3, y3)                                           \
  ADD(a0, b0) ADD(a1, b1) ADD(a2, b2) ADD(a3, b3)                                               \
  XOR(d0, a0) XOR(d1, a1) XOR(d2, a2) XOR(d3, a3)                                               \
  SHUF(d0, rot8) SHUF(d1, rot8) SHUF(d2, rot8) SHUF(d3, rot8)                                   \
  ADDP(c0, d0) ADD(c1, d1) ADD(c2, d2) ADD(c3, d3)                                              \
  XOR(b0, c0) XOR(b1, c1) XOR(b2, c2) XOR(b3, c3)                                               \
  PARK(cn) ROT(b0, 7, cn) ROT(b1, 7, cn) ROT(b2, 7, cn) ROT(b3, 7, cn)

/* State word i lives in xmm i. Columns park xmm10 for the diagonals, which park xmm8 back. */
#define ROUND(s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15)               \
  HALF(xmm0, xmm1, xmm2, xmm3, xmm4, xmm5, xmm6, xmm7, xmm8, xmm9, xmm10, xmm11, xmm12, xmm13,   \
       xmm14, xmm15, xmm10, s0, s2, s4, s6, s1, s3, s5, s7)                                       \
  HALF(xmm0, xmm1, xmm2, xmm3, xmm5, xmm6, xmm7, xmm4, xmm10, xmm11, xmm8, xmm9, xmm15, xmm12,   \
       xmm13, xmm14, xmm8, s8, s10, s12, s14, s9, s11, s13, s15)

#define LOAD8(base, r0, r1, r2, r3, r4, r5, r6, r7)                                          \
  "movdqa 0*16(" base "), " R(r0) "\n\tmovdqa 1*16(" base "), " R(r1) "\n\t"                 \
  "movdqa 2*16(" base "), " R(r2) "\n\tmovdqa 3*16(" base "), " R(r3) "\n\t"                 \
  "movdqa 4*16(" base "), " R(r4) "\n\tmovdqa 5*16(" base "), " R(r5) "\n\t"                 \
  "movdqa 6*16(" base "), " R(r6) "\n\tmovdqa 7*16(" base "), " R(r7) "\n\t"

/* h = first half of the compression of m (16 words, transposed) under h and `tail` (IV,
 * counter, block length, flags), for all four lanes. */
static inline __attribute__((always_inline)) void compress4(__m128i h[8], const __m128i m[16],
                                                            const __m128i tail[8]) {
  static const uint8_t rot16[16] __attribute__((aligned(16))) = {2,  3,  0, 1,  6,  7,  4,  5,
                                                                 10, 11, 8, 9, 14, 15, 12, 13};
  static const uint8_t rot8[16] __attribute__((aligned(16))) = {1, 2,  3,  0,  5,  6,  7,  4,
                                                                9, 10, 11, 8, 13, 14, 15, 12};
  __m128i park;
  __asm__(LOAD8("%[h]", xmm0, xmm1, xmm2, xmm3, xmm4, xmm5, xmm6, xmm7)
          LOAD8("%[tail]", xmm8, xmm9, xmm10, xmm11, xmm12, xmm13, xmm14, xmm15)
          PARK(xmm8)
          ZQ_B3_ROUNDS(ROUND)
          "pxor %[park], %%xmm0\n\tpxor %%xmm9, %%xmm1\n\tpxor %%xmm10, %%xmm2\n\t"
          "pxor %%xmm11, %%xmm3\n\tpxor %%xmm12, %%xmm4\n\tpxor %%xmm13, %%xmm5\n\t"
          "pxor %%xmm14, %%xmm6\n\tpxor %%xmm15, %%xmm7\n\t"
          "movdqa %%xmm0, 0*16(%[h])\n\tmovdqa %%xmm1, 1*16(%[h])\n\t"
          "movdqa %%xmm2, 2*16(%[h])\n\tmovdqa %%xmm3, 3*16(%[h])\n\t"
          "movdqa %%xmm4, 4*16(%[h])\n\tmovdqa %%xmm5, 5*16(%[h])\n\t"
          "movdqa %%xmm6, 6*16(%[h])\n\tmovdqa %%xmm7, 7*16(%[h])"
          : [park] "=m"(park), "+m"(*(__m128i(*)[8])h)
          : [h] "r"(h), [m] "r"(m), [tail] "r"(tail), "m"(*(const __m128i(*)[16])m),
            "m"(*(const __m128i(*)[8])tail), [rot16] "m"(rot16), [rot8] "m"(rot8)
          : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
            "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

static void hash4(const uint8_t *const *inputs, size_t blocks, const uint32_t key[8],
                  uint64_t counter, bool increment_counter, uint8_t flags, uint8_t flags_start,
                  uint8_t flags_end, uint8_t *out) {
  __m128i h[8], tail[8];
  for (size_t i = 0; i < 8; i++) h[i] = _mm_set1_epi32((int)key[i]);
  uint32_t lo[4], hi[4];
  for (size_t lane = 0; lane < 4; lane++) {
    uint64_t c = counter + (increment_counter ? (uint64_t)lane : 0);
    lo[lane] = (uint32_t)c;
    hi[lane] = (uint32_t)(c >> 32);
  }
  for (size_t i = 0; i < 4; i++) tail[i] = _mm_set1_epi32((int)zq_blake3_iv[i]);
  tail[4] = LOADU(lo);
  tail[5] = LOADU(hi);
  tail[6] = _mm_set1_epi32(ZQ_BLAKE3_BLOCK_LEN);
  uint8_t block_flags = flags | flags_start;
  for (size_t b = 0; b < blocks; b++) {
    if (b + 1 == blocks) block_flags |= flags_end;
    /* The inputs of the next call, 256 bytes per block (see the AVX-512 file). */
    const char *next = (const char *)inputs[3] + ZQ_BLAKE3_CHUNK_LEN + ZQ_BLAKE3_CHUNK_LEN / 4 * b;
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) _mm_prefetch(next + 64 * j, _MM_HINT_T0);
    __m128i m[16];
    load_transposed(m, inputs, b * ZQ_BLAKE3_BLOCK_LEN);
    tail[7] = _mm_set1_epi32(block_flags);
    compress4(h, m, tail);
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
