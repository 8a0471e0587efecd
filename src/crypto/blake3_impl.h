/*
 * blake3_impl.h — BLAKE3 internals shared by the tree logic (blake3.c), the compression back-ends
 * (blake3_portable.c, blake3_sse41.c, blake3_avx2.c, blake3_avx512.c) and the run-time dispatch
 * (blake3_dispatch.c). Written from the BLAKE3 specification (Aumasson, Neves, O'Connor,
 * Wilcox-O'Hearn, 2020).
 *
 * The back-ends differ only in how fast they run the compression function; the tree is built in
 * one place. Each hasher carries the back-end it was created with, so that a test can hash the
 * same input through every back-end without any global switch.
 */
#ifndef ZQ_BLAKE3_IMPL_H
#define ZQ_BLAKE3_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ZQ_BLAKE3_KEY_LEN 32
#define ZQ_BLAKE3_OUT_LEN 32
#define ZQ_BLAKE3_BLOCK_LEN 64
#define ZQ_BLAKE3_CHUNK_LEN 1024
/* 2^64 bytes of input make at most 2^54 chunks: one stack entry per tree level. */
#define ZQ_BLAKE3_MAX_DEPTH 54
/* Chunks hashed together as one subtree when a large input arrives at once. Each subtree ends in
 * parent levels narrower than 16 (8, 4, 2, 1 nodes) that the wide back-ends cannot fill, plus a
 * merge into the stack; at 64 chunks those took ~5% of the time on AVX-512, at 256 ~1%. The two
 * CV arrays are 8 + 4 KiB on the stack. */
#define ZQ_BLAKE3_MAX_BATCH 256

/* Domain flags of the compression function (spec, section 2.1). */
enum {
  ZQ_B3_CHUNK_START = 1 << 0,
  ZQ_B3_CHUNK_END = 1 << 1,
  ZQ_B3_PARENT = 1 << 2,
  ZQ_B3_ROOT = 1 << 3,
  ZQ_B3_KEYED_HASH = 1 << 4,
  ZQ_B3_DERIVE_KEY_CONTEXT = 1 << 5,
  ZQ_B3_DERIVE_KEY_MATERIAL = 1 << 6,
};

/* Both tables are static in every file that includes this header, not extern: the compiler must
 * see their values to turn m[schedule[r][i]] into a fixed register once the rounds are unrolled.
 * Read through an extern table, each message word cost a table load, a shift and an indexed load,
 * and those scalar instructions competed with the vector ones for the same execution ports. */
static const uint32_t zq_blake3_iv[8] = {0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
                                         0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};

/* Round r reads message word schedule[r][i] where the spec would permute the words r times; a
 * table lets every round index the original block instead of shuffling it. */
static const uint8_t zq_blake3_schedule[7][16] = {
  {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
  {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8},
  {3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1},
  {10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6},
  {12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4},
  {9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7},
  {11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13},
};

/* The same schedule as literal arguments, for the SIMD back-ends: ZQ_B3_ROUNDS(R) expands to the
 * seven rounds R(s0, ..., s15), so each round's message operands are fixed at compile time without
 * relying on the optimiser to unroll a loop and fold table loads (GCC 12 left the transposes and
 * some round loops rolled, with scalar index arithmetic in the hot loop). */
#define ZQ_B3_ROUNDS(R)                                \
  R(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) \
  R(2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8) \
  R(3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1) \
  R(10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6) \
  R(12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4) \
  R(9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7) \
  R(11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13)

typedef enum zq_blake3_path {
  ZQ_BLAKE3_PORTABLE = 0,
  ZQ_BLAKE3_SSE41 = 1,
  ZQ_BLAKE3_AVX2 = 2,
  ZQ_BLAKE3_AVX512 = 3,
  ZQ_BLAKE3_PATH_COUNT
} zq_blake3_path;

/* One compression back-end.
 *
 * compress_in_place: cv = first half of compress(cv, block, counter, block_len, flags).
 * compress_xof: the full 64-byte output (the root's extended output block).
 * hash_many: for each of n inputs of `blocks` 64-byte blocks, chain the compression over its
 *   blocks starting from `key` and write the 32-byte result to out + 32 * i. Input i uses counter
 *   `counter + i` when increment_counter, else `counter`; its first block gets flags|flags_start,
 *   its last flags|flags_end. Chunks are blocks = 16; parent nodes are blocks = 1. */
typedef struct zq_blake3_ops {
  const char *name;
  zq_blake3_path path;
  void (*compress_in_place)(uint32_t cv[8], const uint8_t block[ZQ_BLAKE3_BLOCK_LEN],
                            uint8_t block_len, uint64_t counter, uint8_t flags);
  void (*compress_xof)(const uint32_t cv[8], const uint8_t block[ZQ_BLAKE3_BLOCK_LEN],
                       uint8_t block_len, uint64_t counter, uint8_t flags, uint8_t out[64]);
  void (*hash_many)(const uint8_t *const *inputs, size_t n, size_t blocks, const uint32_t key[8],
                    uint64_t counter, bool increment_counter, uint8_t flags, uint8_t flags_start,
                    uint8_t flags_end, uint8_t *out);
} zq_blake3_ops;

/* The fastest back-end this CPU runs (or the one named by ZQUIC_BLAKE3_PATH, read once). */
const zq_blake3_ops *zq_blake3_ops_best(void);
/* A given back-end, or NULL when the CPU (or compiler) lacks it. */
const zq_blake3_ops *zq_blake3_ops_get(zq_blake3_path path);

/* ---- back-ends (each file defines its own; SIMD ones are compiled with their target flags) ---- */
void zq_blake3_compress_in_place_portable(uint32_t cv[8], const uint8_t block[64],
                                          uint8_t block_len, uint64_t counter, uint8_t flags);
void zq_blake3_compress_xof_portable(const uint32_t cv[8], const uint8_t block[64],
                                     uint8_t block_len, uint64_t counter, uint8_t flags,
                                     uint8_t out[64]);
void zq_blake3_hash_many_portable(const uint8_t *const *inputs, size_t n, size_t blocks,
                                  const uint32_t key[8], uint64_t counter, bool increment_counter,
                                  uint8_t flags, uint8_t flags_start, uint8_t flags_end,
                                  uint8_t *out);

void zq_blake3_compress_in_place_sse41(uint32_t cv[8], const uint8_t block[64],
                                       uint8_t block_len, uint64_t counter, uint8_t flags);
void zq_blake3_compress_xof_sse41(const uint32_t cv[8], const uint8_t block[64], uint8_t block_len,
                                  uint64_t counter, uint8_t flags, uint8_t out[64]);
void zq_blake3_hash_many_sse41(const uint8_t *const *inputs, size_t n, size_t blocks,
                               const uint32_t key[8], uint64_t counter, bool increment_counter,
                               uint8_t flags, uint8_t flags_start, uint8_t flags_end,
                               uint8_t *out);

void zq_blake3_hash_many_avx2(const uint8_t *const *inputs, size_t n, size_t blocks,
                              const uint32_t key[8], uint64_t counter, bool increment_counter,
                              uint8_t flags, uint8_t flags_start, uint8_t flags_end, uint8_t *out);

void zq_blake3_hash_many_avx512(const uint8_t *const *inputs, size_t n, size_t blocks,
                                const uint32_t key[8], uint64_t counter, bool increment_counter,
                                uint8_t flags, uint8_t flags_start, uint8_t flags_end,
                                uint8_t *out);

/* ---- the hasher (blake3.c) ---- */
typedef struct zq_blake3_chunk {
  uint32_t cv[8];
  uint64_t counter;
  uint8_t buf[ZQ_BLAKE3_BLOCK_LEN]; /* the last block is kept until we know whether it ends */
  uint8_t buf_len;
  uint8_t blocks_compressed;
  uint8_t flags;
} zq_blake3_chunk;

typedef struct zq_blake3 {
  const zq_blake3_ops *ops;
  uint32_t key[8];
  zq_blake3_chunk chunk;
  uint8_t stack_len;
  uint8_t stack[ZQ_BLAKE3_MAX_DEPTH + 1][ZQ_BLAKE3_OUT_LEN];
} zq_blake3;

/* `ops` NULL = zq_blake3_ops_best(). */
void zq_blake3_init(zq_blake3 *h, const zq_blake3_ops *ops);
void zq_blake3_init_keyed(zq_blake3 *h, const uint8_t key[ZQ_BLAKE3_KEY_LEN],
                          const zq_blake3_ops *ops);
void zq_blake3_init_derive_key(zq_blake3 *h, const void *context, size_t context_len,
                               const zq_blake3_ops *ops);
void zq_blake3_update(zq_blake3 *h, const void *data, size_t len);
/* Extended output of any length; does not change the hasher (more updates may follow). */
void zq_blake3_finalize(const zq_blake3 *h, uint8_t *out, size_t out_len);

static inline uint32_t zq_load32_le(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void zq_store32_le(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

#endif
