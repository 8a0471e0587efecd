/*
 * blake3_avx2.c — BLAKE3 over eight inputs at once with AVX2 (compiled with -mavx2, called only
 * when the CPU reports it): one 256-bit vector per state word, lane i holding input i. Fewer than
 * eight inputs left over go to the SSE4.1 code, which every AVX2 CPU also runs.
 *
 * Why the rounds are inline assembly: the 16 state words need all 16 ymm registers, and GCC (12)
 * also kept the two byte-shuffle masks and the message words in registers, so it spilled ~130
 * state vectors per block, some on the critical path (3.4 GiB/s). Here the state is pinned to
 * ymm0-15, the masks and message words are memory operands (a fused load, no register), and the
 * one temporary that the shift-or rotations need is the register of one `c` word, parked in a
 * stack slot meanwhile: 2 stores per half-round, no reloads (the slot is read back as the memory
 * operand of the next `c += d`). The block setup, loads and transposes stay in C.
 */
/* The pointer offsets are small constant products and the macros build strings: both clang-tidy
 * checks below only add noise in this file. */
// NOLINTBEGIN(bugprone-macro-parentheses, bugprone-implicit-widening-of-multiplication-result)
#include <immintrin.h>

#include "blake3_impl.h"

#define STOREU(p, v) _mm256_storeu_si256((__m256i *)(void *)(p), (v))
#define LOAD128(p) _mm_loadu_si128((const __m128i *)(const void *)(p))

/* ---- the rounds, as assembler text; registers are named without operands (all are clobbered) */

#define R(x) "%%" #x
#define MSG(s) #s "*32(%[m])" /* message word s of all eight lanes */
#define ADDM(a, s) "vpaddd " MSG(s) ", " R(a) ", " R(a) "\n\t"
#define ADD(a, b) "vpaddd " R(b) ", " R(a) ", " R(a) "\n\t"
/* c = d + the parked c (see HALF) */
#define ADDP(c, d) "vpaddd %[park], " R(d) ", " R(c) "\n\t"
#define XOR(a, b) "vpxor " R(b) ", " R(a) ", " R(a) "\n\t"
/* Rotations by 16 and 8 move whole bytes: one shuffle. */
#define SHUF(a, mask) "vpshufb %[" #mask "], " R(a) ", " R(a) "\n\t"
/* Rotations by 12 and 7: two shifts and an or, through temporary t. */
#define ROT(b, r, t)                                                                              \
  "vpsrld $" #r ", " R(b) ", " R(t) "\n\tvpslld $32-" #r ", " R(b) ", " R(b) "\n\tvpor " R(t) \
  ", " R(b) ", " R(b) "\n\t"
#define PARK(c) "vmovdqa " R(c) ", %[park]\n\t"

/* Four G functions (columns or diagonals) step by step together, so that each step's four
 * independent operations are adjacent. c0 enters parked in %[park], not in its register, whose
 * register is the rotations' temporary; cn (c0 of the next half-round) leaves parked. */
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

/* State word i lives in ymm i. Columns park ymm10 for the diagonals, which park ymm8 back. */
#define ROUND(s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15)               \
  HALF(ymm0, ymm1, ymm2, ymm3, ymm4, ymm5, ymm6, ymm7, ymm8, ymm9, ymm10, ymm11, ymm12, ymm13,   \
       ymm14, ymm15, ymm10, s0, s2, s4, s6, s1, s3, s5, s7)                                       \
  HALF(ymm0, ymm1, ymm2, ymm3, ymm5, ymm6, ymm7, ymm4, ymm10, ymm11, ymm8, ymm9, ymm15, ymm12,   \
       ymm13, ymm14, ymm8, s8, s10, s12, s14, s9, s11, s13, s15)

#define LOAD8(base, r0, r1, r2, r3, r4, r5, r6, r7)                                            \
  "vmovdqa 0*32(" base "), " R(r0) "\n\tvmovdqa 1*32(" base "), " R(r1) "\n\t"                 \
  "vmovdqa 2*32(" base "), " R(r2) "\n\tvmovdqa 3*32(" base "), " R(r3) "\n\t"                 \
  "vmovdqa 4*32(" base "), " R(r4) "\n\tvmovdqa 5*32(" base "), " R(r5) "\n\t"                 \
  "vmovdqa 6*32(" base "), " R(r6) "\n\tvmovdqa 7*32(" base "), " R(r7) "\n\t"

/* h = first half of the compression of m (16 words, transposed) under h and `tail` (the last 8
 * state words: IV, counter, block length, flags), for all eight lanes. */
static inline __attribute__((always_inline)) void compress8(__m256i h[8], const __m256i m[16],
                                                            const __m256i tail[8]) {
  static const uint8_t rot16[32] __attribute__((aligned(32))) = {
    2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13,
    2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13};
  static const uint8_t rot8[32] __attribute__((aligned(32))) = {
    1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12,
    1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12};
  __m256i park;
  __asm__(LOAD8("%[h]", ymm0, ymm1, ymm2, ymm3, ymm4, ymm5, ymm6, ymm7)
          LOAD8("%[tail]", ymm8, ymm9, ymm10, ymm11, ymm12, ymm13, ymm14, ymm15)
          PARK(ymm8)
          ZQ_B3_ROUNDS(ROUND)
          "vpxor %[park], %%ymm0, %%ymm0\n\tvpxor %%ymm9, %%ymm1, %%ymm1\n\t"
          "vpxor %%ymm10, %%ymm2, %%ymm2\n\tvpxor %%ymm11, %%ymm3, %%ymm3\n\t"
          "vpxor %%ymm12, %%ymm4, %%ymm4\n\tvpxor %%ymm13, %%ymm5, %%ymm5\n\t"
          "vpxor %%ymm14, %%ymm6, %%ymm6\n\tvpxor %%ymm15, %%ymm7, %%ymm7\n\t"
          "vmovdqa %%ymm0, 0*32(%[h])\n\tvmovdqa %%ymm1, 1*32(%[h])\n\t"
          "vmovdqa %%ymm2, 2*32(%[h])\n\tvmovdqa %%ymm3, 3*32(%[h])\n\t"
          "vmovdqa %%ymm4, 4*32(%[h])\n\tvmovdqa %%ymm5, 5*32(%[h])\n\t"
          "vmovdqa %%ymm6, 6*32(%[h])\n\tvmovdqa %%ymm7, 7*32(%[h])"
          : [park] "=m"(park), "+m"(*(__m256i(*)[8])h)
          : [h] "r"(h), [m] "r"(m), [tail] "r"(tail), "m"(*(const __m256i(*)[16])m),
            "m"(*(const __m256i(*)[8])tail), [rot16] "m"(rot16), [rot8] "m"(rot8)
          : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
            "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

/* ---- loading and storing across lanes ---- */

/* m[w] = word w of the block at `offset` of every input. Each vector starts as 16 bytes of input
 * j below 16 bytes of input j + 4 (a load and an insert from memory), so one 4x4 transpose
 * within the 128-bit halves finishes it. The 8x8 transpose through vperm2i128 that this replaced
 * put 16 more 3-cycle shuffles per block on the one port that runs them: 3.8 -> 4.0 GiB/s. */
static inline __attribute__((always_inline)) void load_transposed(__m256i m[16],
                                                                  const uint8_t *const *inputs,
                                                                  size_t offset) {
#pragma GCC unroll 4
  for (size_t q = 0; q < 4; q++) {
    __m256i r[4];
#pragma GCC unroll 4
    for (size_t j = 0; j < 4; j++)
      r[j] = _mm256_inserti128_si256(_mm256_castsi128_si256(LOAD128(inputs[j] + offset + 16 * q)),
                                     LOAD128(inputs[j + 4] + offset + 16 * q), 1);
    __m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]);
    __m256i t1 = _mm256_unpackhi_epi32(r[0], r[1]);
    __m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]);
    __m256i t3 = _mm256_unpackhi_epi32(r[2], r[3]);
    m[4 * q + 0] = _mm256_unpacklo_epi64(t0, t2);
    m[4 * q + 1] = _mm256_unpackhi_epi64(t0, t2);
    m[4 * q + 2] = _mm256_unpacklo_epi64(t1, t3);
    m[4 * q + 3] = _mm256_unpackhi_epi64(t1, t3);
  }
}

/* 8x8 transpose of 32-bit words (once per chunk, for the output): row i becomes column i. */
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

static void hash8(const uint8_t *const *inputs, size_t blocks, const uint32_t key[8],
                  uint64_t counter, bool increment_counter, uint8_t flags, uint8_t flags_start,
                  uint8_t flags_end, uint8_t *out) {
  __m256i h[8], tail[8];
  for (size_t i = 0; i < 8; i++) h[i] = _mm256_set1_epi32((int)key[i]);
  uint32_t lo[8], hi[8];
  for (size_t lane = 0; lane < 8; lane++) {
    uint64_t c = counter + (increment_counter ? (uint64_t)lane : 0);
    lo[lane] = (uint32_t)c;
    hi[lane] = (uint32_t)(c >> 32);
  }
  for (size_t i = 0; i < 4; i++) tail[i] = _mm256_set1_epi32((int)zq_blake3_iv[i]);
  tail[4] = _mm256_loadu_si256((const __m256i *)(const void *)lo);
  tail[5] = _mm256_loadu_si256((const __m256i *)(const void *)hi);
  tail[6] = _mm256_set1_epi32(ZQ_BLAKE3_BLOCK_LEN);
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
    tail[7] = _mm256_set1_epi32(block_flags);
    compress8(h, m, tail);
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
