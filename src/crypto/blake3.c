/*
 * blake3.c — the BLAKE3 tree: chunks of 1 KiB, parent nodes, the chaining-value stack and the
 * extendable root output (spec sections 2.2-2.6), on top of whichever compression back-end the
 * hasher was created with.
 *
 * Why the shape: a node may only be compressed once we know it is not the root, because the root
 * gets the ROOT flag. So the last block of a chunk, the last chunk and pending merges wait until
 * more input proves them non-final ("lazy merging"). When a large input arrives at once, whole
 * power-of-two subtrees of up to ZQ_BLAKE3_MAX_BATCH chunks are hashed level by level with the
 * back-end's many-inputs function, which is where the SIMD speed comes from.
 */
#include "blake3_impl.h"

static void key_words(uint32_t out[8], const uint8_t key[ZQ_BLAKE3_KEY_LEN]) {
  for (size_t i = 0; i < 8; i++) out[i] = zq_load32_le(key + 4 * i);
}

static void words_to_bytes(uint8_t out[ZQ_BLAKE3_OUT_LEN], const uint32_t cv[8]) {
  for (size_t i = 0; i < 8; i++) zq_store32_le(out + 4 * i, cv[i]);
}

/* ---- chunk state ---- */

static void chunk_reset(zq_blake3_chunk *c, const uint32_t key[8], uint64_t counter,
                        uint8_t flags) {
  memcpy(c->cv, key, sizeof(c->cv));
  c->counter = counter;
  memset(c->buf, 0, sizeof(c->buf));
  c->buf_len = 0;
  c->blocks_compressed = 0;
  c->flags = flags;
}

static size_t chunk_len(const zq_blake3_chunk *c) {
  return (size_t)c->blocks_compressed * ZQ_BLAKE3_BLOCK_LEN + c->buf_len;
}

static uint8_t chunk_start_flag(const zq_blake3_chunk *c) {
  return c->blocks_compressed == 0 ? ZQ_B3_CHUNK_START : 0;
}

/* Absorb up to the rest of the chunk. A full buffered block is compressed only when another byte
 * arrives, so that the chunk's last block can still get CHUNK_END. */
static size_t chunk_update(const zq_blake3_ops *ops, zq_blake3_chunk *c, const uint8_t *in,
                           size_t len) {
  size_t taken = 0;
  while (len > 0) {
    if (c->buf_len == ZQ_BLAKE3_BLOCK_LEN) {
      ops->compress_in_place(c->cv, c->buf, ZQ_BLAKE3_BLOCK_LEN, c->counter,
                             c->flags | chunk_start_flag(c));
      c->blocks_compressed++;
      c->buf_len = 0;
      memset(c->buf, 0, sizeof(c->buf));
    }
    size_t n = ZQ_BLAKE3_BLOCK_LEN - c->buf_len;
    if (n > len) n = len;
    memcpy(c->buf + c->buf_len, in, n);
    c->buf_len += (uint8_t)n;
    in += n;
    len -= n;
    taken += n;
  }
  return taken;
}

/* ---- node outputs: everything needed to compress a node as a non-root or as the root ---- */

typedef struct node_output {
  uint32_t cv[8];
  uint8_t block[ZQ_BLAKE3_BLOCK_LEN];
  uint8_t block_len;
  uint64_t counter;
  uint8_t flags;
} node_output;

static node_output chunk_output(const zq_blake3_chunk *c) {
  node_output o;
  memcpy(o.cv, c->cv, sizeof(o.cv));
  memcpy(o.block, c->buf, sizeof(o.block));
  o.block_len = c->buf_len;
  o.counter = c->counter;
  o.flags = c->flags | chunk_start_flag(c) | ZQ_B3_CHUNK_END;
  return o;
}

static node_output parent_output(const uint8_t left[32], const uint8_t right[32],
                                 const uint32_t key[8], uint8_t flags) {
  node_output o;
  memcpy(o.cv, key, sizeof(o.cv));
  memcpy(o.block, left, 32);
  memcpy(o.block + 32, right, 32);
  o.block_len = ZQ_BLAKE3_BLOCK_LEN;
  o.counter = 0;
  o.flags = flags | ZQ_B3_PARENT;
  return o;
}

static void output_cv(const zq_blake3_ops *ops, const node_output *o, uint8_t out[32]) {
  uint32_t cv[8];
  memcpy(cv, o->cv, sizeof(cv));
  ops->compress_in_place(cv, o->block, o->block_len, o->counter, o->flags);
  words_to_bytes(out, cv);
}

static void output_root(const zq_blake3_ops *ops, const node_output *o, uint8_t *out,
                        size_t out_len) {
  uint64_t block_counter = 0;
  uint8_t block[64];
  while (out_len > 0) {
    ops->compress_xof(o->cv, o->block, o->block_len, block_counter++, o->flags | ZQ_B3_ROOT,
                      block);
    size_t n = out_len < sizeof(block) ? out_len : sizeof(block);
    memcpy(out, block, n);
    out += n;
    out_len -= n;
  }
}

/* ---- the chaining-value stack ---- */

/* Merge completed pairs until the stack holds one subtree per 1-bit of `total_chunks` (the
 * chunks covered so far). Called only when more input follows, so none of these parents is the
 * root; finalize can then fold the stack into the last chunk from the right. */
static void merge_stack(zq_blake3 *h, uint64_t total_chunks) {
  size_t want = (size_t)__builtin_popcountll(total_chunks);
  while (h->stack_len > want) {
    node_output parent = parent_output(h->stack[h->stack_len - 2], h->stack[h->stack_len - 1],
                                       h->key, h->chunk.flags);
    output_cv(h->ops, &parent, h->stack[h->stack_len - 2]);
    h->stack_len--;
  }
}

/* Push the CV of the subtree that ends after `total_chunks` chunks. */
static void push_cv(zq_blake3 *h, const uint8_t cv[32], uint64_t total_chunks) {
  memcpy(h->stack[h->stack_len], cv, ZQ_BLAKE3_OUT_LEN);
  h->stack_len++;
  merge_stack(h, total_chunks);
}

/* CV of the complete subtree of `n_chunks` (a power of two <= ZQ_BLAKE3_MAX_BATCH) chunks at
 * `in`: all chunks at once, then each parent level at once. */
static void subtree_cv(zq_blake3 *h, const uint8_t *in, size_t n_chunks, uint8_t out[32]) {
  const uint8_t *inputs[ZQ_BLAKE3_MAX_BATCH] = {0};
  uint8_t level_a[ZQ_BLAKE3_MAX_BATCH * ZQ_BLAKE3_OUT_LEN];
  uint8_t level_b[ZQ_BLAKE3_MAX_BATCH / 2 * ZQ_BLAKE3_OUT_LEN];
  for (size_t i = 0; i < n_chunks; i++) inputs[i] = in + i * ZQ_BLAKE3_CHUNK_LEN;
  h->ops->hash_many(inputs, n_chunks, ZQ_BLAKE3_CHUNK_LEN / ZQ_BLAKE3_BLOCK_LEN, h->key,
                    h->chunk.counter, true, h->chunk.flags, ZQ_B3_CHUNK_START, ZQ_B3_CHUNK_END,
                    level_a);
  uint8_t *cvs = level_a, *next = level_b;
  /* Adjacent CV pairs are exactly the 64-byte blocks of the parent nodes above them. */
  for (size_t count = n_chunks; count > 1; count /= 2) {
    for (size_t i = 0; i < count / 2; i++) inputs[i] = cvs + i * 2 * ZQ_BLAKE3_OUT_LEN;
    h->ops->hash_many(inputs, count / 2, 1, h->key, 0, false, h->chunk.flags | ZQ_B3_PARENT, 0, 0,
                      next);
    uint8_t *done = cvs;
    cvs = next;
    next = done;
  }
  memcpy(out, cvs, ZQ_BLAKE3_OUT_LEN);
}

/* Largest power-of-two chunk count that (a) leaves at least one byte of `len` for later, so the
 * subtree cannot be the root, (b) keeps the subtree aligned to the chunk counter, as the tree
 * requires, and (c) fits a batch. */
static size_t batch_chunks(uint64_t counter, size_t len) {
  size_t max = (len - 1) / ZQ_BLAKE3_CHUNK_LEN;
  if (max > ZQ_BLAKE3_MAX_BATCH) max = ZQ_BLAKE3_MAX_BATCH;
  size_t n = 1;
  while (n * 2 <= max) n *= 2;
  while (counter != 0 && (counter & (n - 1)) != 0) n /= 2;
  return n;
}

/* ---- public (internal) interface ---- */

static void init_with(zq_blake3 *h, const uint32_t key[8], uint8_t flags,
                      const zq_blake3_ops *ops) {
  h->ops = ops ? ops : zq_blake3_ops_best();
  memcpy(h->key, key, sizeof(h->key));
  chunk_reset(&h->chunk, key, 0, flags);
  h->stack_len = 0;
}

void zq_blake3_init(zq_blake3 *h, const zq_blake3_ops *ops) { init_with(h, zq_blake3_iv, 0, ops); }

void zq_blake3_init_keyed(zq_blake3 *h, const uint8_t key[ZQ_BLAKE3_KEY_LEN],
                          const zq_blake3_ops *ops) {
  uint32_t words[8];
  key_words(words, key);
  init_with(h, words, ZQ_B3_KEYED_HASH, ops);
}

void zq_blake3_init_derive_key(zq_blake3 *h, const void *context, size_t context_len,
                               const zq_blake3_ops *ops) {
  zq_blake3 context_hasher;
  init_with(&context_hasher, zq_blake3_iv, ZQ_B3_DERIVE_KEY_CONTEXT, ops);
  zq_blake3_update(&context_hasher, context, context_len);
  uint8_t context_key[ZQ_BLAKE3_KEY_LEN];
  zq_blake3_finalize(&context_hasher, context_key, sizeof(context_key));
  uint32_t words[8];
  key_words(words, context_key);
  init_with(h, words, ZQ_B3_DERIVE_KEY_MATERIAL, ops);
}

void zq_blake3_update(zq_blake3 *h, const void *data, size_t len) {
  const uint8_t *in = data;
  while (len > 0) {
    if (chunk_len(&h->chunk) == ZQ_BLAKE3_CHUNK_LEN) {
      /* The chunk is full and more input follows: it is not the root. */
      node_output o = chunk_output(&h->chunk);
      uint8_t cv[32];
      output_cv(h->ops, &o, cv);
      push_cv(h, cv, h->chunk.counter + 1);
      chunk_reset(&h->chunk, h->key, h->chunk.counter + 1, h->chunk.flags);
      continue;
    }
    if (chunk_len(&h->chunk) == 0 && len > ZQ_BLAKE3_CHUNK_LEN) {
      size_t n = batch_chunks(h->chunk.counter, len);
      uint8_t cv[32];
      subtree_cv(h, in, n, cv);
      h->chunk.counter += n;
      push_cv(h, cv, h->chunk.counter);
      in += n * ZQ_BLAKE3_CHUNK_LEN;
      len -= n * ZQ_BLAKE3_CHUNK_LEN;
      continue;
    }
    size_t room = ZQ_BLAKE3_CHUNK_LEN - chunk_len(&h->chunk);
    size_t taken = chunk_update(h->ops, &h->chunk, in, len < room ? len : room);
    in += taken;
    len -= taken;
  }
}

void zq_blake3_finalize(const zq_blake3 *h, uint8_t *out, size_t out_len) {
  if (out_len == 0) return;
  /* update() never leaves the chunk empty once anything was pushed (a batch always leaves a byte
   * behind), so the current chunk is the rightmost leaf; fold the stack into it from the right. */
  node_output o = chunk_output(&h->chunk);
  for (size_t next = h->stack_len; next > 0; next--) {
    uint8_t right[32];
    output_cv(h->ops, &o, right);
    o = parent_output(h->stack[next - 1], right, h->key, h->chunk.flags);
  }
  output_root(h->ops, &o, out, out_len);
}
