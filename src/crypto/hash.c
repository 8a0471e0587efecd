/*
 * hash.c — one entry point per shape (one-shot, streaming) over every hash: SHA-256, SHA-512 and
 * SHA3-256 from nettle, BLAKE2b from libsodium, Keccak-256 (keccak.c) and BLAKE3 (blake3.c). The
 * streaming state is opaque and heap-allocated so that its size (BLAKE3's is ~2 KiB) can change
 * without breaking callers.
 */
#include <nettle/sha2.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "blake3_impl.h"
#include "crypto_internal.h"

struct zquic_crypto_hash_state {
  union {
    crypto_generichash_state blake2b; /* first: needs 64-byte alignment */
    struct sha256_ctx sha256;
    struct sha512_ctx sha512;
    struct sha3_256_ctx sha3;
    zq_keccak256 keccak;
    zq_blake3 blake3;
  } u;
  int type;
  bool finished;
};

ZQUIC_API size_t zquic_crypto_hash_length(int hash_type) {
  switch (hash_type) {
  case ZQUIC_HASH_BLAKE3:
  case ZQUIC_HASH_SHA256:
  case ZQUIC_HASH_SHA3_256:
  case ZQUIC_HASH_BLAKE2B_256:
  case ZQUIC_HASH_KECCAK256: return 32;
  case ZQUIC_HASH_SHA512: return 64;
  default: return 0;
  }
}

static void state_start(zquic_crypto_hash_state *st, int type) {
  st->type = type;
  st->finished = false;
  switch (type) {
  case ZQUIC_HASH_BLAKE3: zq_blake3_init(&st->u.blake3, NULL); break;
  case ZQUIC_HASH_SHA256: nettle_sha256_init(&st->u.sha256); break;
  case ZQUIC_HASH_SHA3_256: nettle_sha3_256_init(&st->u.sha3); break;
  case ZQUIC_HASH_BLAKE2B_256: crypto_generichash_init(&st->u.blake2b, NULL, 0, 32); break;
  case ZQUIC_HASH_KECCAK256: zq_keccak256_init(&st->u.keccak); break;
  case ZQUIC_HASH_SHA512: nettle_sha512_init(&st->u.sha512); break;
  }
}

static void state_update(zquic_crypto_hash_state *st, const uint8_t *data, size_t len) {
  if (len == 0) return; /* data may be NULL then; no library below needs to see it */
  switch (st->type) {
  case ZQUIC_HASH_BLAKE3: zq_blake3_update(&st->u.blake3, data, len); break;
  case ZQUIC_HASH_SHA256: nettle_sha256_update(&st->u.sha256, len, data); break;
  case ZQUIC_HASH_SHA3_256: nettle_sha3_256_update(&st->u.sha3, len, data); break;
  case ZQUIC_HASH_BLAKE2B_256: crypto_generichash_update(&st->u.blake2b, data, len); break;
  case ZQUIC_HASH_KECCAK256: zq_keccak256_update(&st->u.keccak, data, len); break;
  case ZQUIC_HASH_SHA512: nettle_sha512_update(&st->u.sha512, len, data); break;
  }
}

static void state_digest(zquic_crypto_hash_state *st, uint8_t *out) {
  switch (st->type) {
  case ZQUIC_HASH_BLAKE3: zq_blake3_finalize(&st->u.blake3, out, 32); break;
  case ZQUIC_HASH_SHA256: nettle_sha256_digest(&st->u.sha256, 32, out); break;
  case ZQUIC_HASH_SHA3_256: nettle_sha3_256_digest(&st->u.sha3, 32, out); break;
  case ZQUIC_HASH_BLAKE2B_256: crypto_generichash_final(&st->u.blake2b, out, 32); break;
  case ZQUIC_HASH_KECCAK256: zq_keccak256_final(&st->u.keccak, out); break;
  case ZQUIC_HASH_SHA512: nettle_sha512_digest(&st->u.sha512, 64, out); break;
  }
  st->finished = true;
}

static int check_type(const char *fn, int hash_type) {
  if (zquic_crypto_hash_length(hash_type) == 0)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "%s: unknown hash type %d", fn, hash_type);
  return ZQUIC_OK;
}

ZQUIC_API int zquic_crypto_hash(int hash_type, const void *data, size_t len, uint8_t *out,
                                size_t out_cap, size_t *out_len) {
  int rc = zq_crypto_ready();
  if (rc == ZQUIC_OK) rc = check_type("crypto_hash", hash_type);
  if (rc == ZQUIC_OK && len > 0) rc = zq_check_ptr("crypto_hash", "data", data);
  if (rc == ZQUIC_OK) rc = zq_check_ptr("crypto_hash", "out_len", out_len);
  if (rc == ZQUIC_OK)
    rc = zq_check_out("crypto_hash", "out", out, out_cap, zquic_crypto_hash_length(hash_type));
  if (rc != ZQUIC_OK) return rc;
  /* On the stack: a one-shot hash should not cost an allocation. */
  zquic_crypto_hash_state st __attribute__((aligned(64)));
  state_start(&st, hash_type);
  state_update(&st, data, len);
  state_digest(&st, out);
  *out_len = zquic_crypto_hash_length(hash_type);
  sodium_memzero(&st, sizeof(st));
  zq_error_clear();
  return ZQUIC_OK;
}

static int state_new(const char *fn, zquic_crypto_hash_state **out,
                     zquic_crypto_hash_state **st) {
  int rc = zq_crypto_ready();
  if (rc == ZQUIC_OK) rc = zq_check_ptr(fn, "out", out);
  if (rc != ZQUIC_OK) return rc;
  *out = NULL;
  size_t size = (sizeof(**st) + 63) & ~(size_t)63;
  *st = aligned_alloc(64, size);
  if (!*st) return zq_error(ZQUIC_ERR_NO_MEMORY, "%s: out of memory", fn);
  return ZQUIC_OK;
}

ZQUIC_API int zquic_crypto_hash_init(int hash_type, zquic_crypto_hash_state **out) {
  zquic_crypto_hash_state *st;
  int rc = check_type("crypto_hash_init", hash_type);
  if (rc == ZQUIC_OK) rc = state_new("crypto_hash_init", out, &st);
  if (rc != ZQUIC_OK) return rc;
  state_start(st, hash_type);
  *out = st;
  zq_error_clear();
  return ZQUIC_OK;
}

ZQUIC_API int zquic_crypto_blake3_init_keyed(const uint8_t *key, size_t key_len,
                                             zquic_crypto_hash_state **out) {
  zquic_crypto_hash_state *st;
  int rc = zq_check_in("crypto_blake3_init_keyed", "key", key, key_len, ZQ_BLAKE3_KEY_LEN);
  if (rc == ZQUIC_OK) rc = state_new("crypto_blake3_init_keyed", out, &st);
  if (rc != ZQUIC_OK) return rc;
  st->type = ZQUIC_HASH_BLAKE3;
  st->finished = false;
  zq_blake3_init_keyed(&st->u.blake3, key, NULL);
  *out = st;
  zq_error_clear();
  return ZQUIC_OK;
}

ZQUIC_API int zquic_crypto_blake3_init_derive_key(const char *context,
                                                  zquic_crypto_hash_state **out) {
  zquic_crypto_hash_state *st;
  int rc = zq_check_ptr("crypto_blake3_init_derive_key", "context", context);
  if (rc == ZQUIC_OK) rc = state_new("crypto_blake3_init_derive_key", out, &st);
  if (rc != ZQUIC_OK) return rc;
  st->type = ZQUIC_HASH_BLAKE3;
  st->finished = false;
  zq_blake3_init_derive_key(&st->u.blake3, context, strlen(context), NULL);
  *out = st;
  zq_error_clear();
  return ZQUIC_OK;
}

static int check_open_state(const char *fn, const zquic_crypto_hash_state *st) {
  int rc = zq_check_ptr(fn, "state", st);
  if (rc == ZQUIC_OK && st->finished)
    rc = zq_error(ZQUIC_ERR_STATE, "%s: the hash was already finalised", fn);
  return rc;
}

ZQUIC_API int zquic_crypto_hash_update(zquic_crypto_hash_state *state, const void *data,
                                       size_t len) {
  int rc = check_open_state("crypto_hash_update", state);
  if (rc == ZQUIC_OK && len > 0) rc = zq_check_ptr("crypto_hash_update", "data", data);
  if (rc != ZQUIC_OK) return rc;
  state_update(state, data, len);
  zq_error_clear();
  return ZQUIC_OK;
}

ZQUIC_API int zquic_crypto_hash_final(zquic_crypto_hash_state *state, uint8_t *out,
                                      size_t out_cap, size_t *out_len) {
  int rc = check_open_state("crypto_hash_final", state);
  if (rc == ZQUIC_OK) rc = zq_check_ptr("crypto_hash_final", "out_len", out_len);
  if (rc == ZQUIC_OK)
    rc = zq_check_out("crypto_hash_final", "out", out, out_cap,
                      zquic_crypto_hash_length(state->type));
  if (rc != ZQUIC_OK) return rc;
  state_digest(state, out);
  *out_len = zquic_crypto_hash_length(state->type);
  zq_error_clear();
  return ZQUIC_OK;
}

ZQUIC_API int zquic_crypto_hash_final_xof(zquic_crypto_hash_state *state, uint8_t *out,
                                          size_t out_len) {
  int rc = check_open_state("crypto_hash_final_xof", state);
  if (rc == ZQUIC_OK && state->type != ZQUIC_HASH_BLAKE3)
    rc = zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "crypto_hash_final_xof: only BLAKE3 has extended output");
  if (rc == ZQUIC_OK) rc = zq_check_out("crypto_hash_final_xof", "out", out, out_len, 1);
  if (rc != ZQUIC_OK) return rc;
  zq_blake3_finalize(&state->u.blake3, out, out_len);
  state->finished = true;
  zq_error_clear();
  return ZQUIC_OK;
}

ZQUIC_API void zquic_crypto_hash_free(zquic_crypto_hash_state *state) {
  if (!state) return;
  sodium_memzero(state, sizeof(*state));
  free(state);
}

/* ---- one-shot BLAKE3 with extended output ---- */

static int blake3_out_check(const char *fn, const void *data, size_t len, const uint8_t *out,
                            size_t out_len) {
  int rc = zq_crypto_ready();
  if (rc == ZQUIC_OK && len > 0) rc = zq_check_ptr(fn, "data", data);
  if (rc == ZQUIC_OK) rc = zq_check_out(fn, "out", out, out_len, 1);
  return rc;
}

static int blake3_run(zq_blake3 *h, const void *data, size_t len, uint8_t *out, size_t out_len) {
  zq_blake3_update(h, data, len);
  zq_blake3_finalize(h, out, out_len);
  sodium_memzero(h, sizeof(*h)); /* keyed and derived states hold key material */
  zq_error_clear();
  return ZQUIC_OK;
}

ZQUIC_API int zquic_crypto_blake3(const void *data, size_t len, uint8_t *out, size_t out_len) {
  int rc = blake3_out_check("crypto_blake3", data, len, out, out_len);
  if (rc != ZQUIC_OK) return rc;
  zq_blake3 h;
  zq_blake3_init(&h, NULL);
  return blake3_run(&h, data, len, out, out_len);
}

ZQUIC_API int zquic_crypto_blake3_keyed(const uint8_t *key, size_t key_len, const void *data,
                                        size_t len, uint8_t *out, size_t out_len) {
  int rc = blake3_out_check("crypto_blake3_keyed", data, len, out, out_len);
  if (rc == ZQUIC_OK)
    rc = zq_check_in("crypto_blake3_keyed", "key", key, key_len, ZQ_BLAKE3_KEY_LEN);
  if (rc != ZQUIC_OK) return rc;
  zq_blake3 h;
  zq_blake3_init_keyed(&h, key, NULL);
  return blake3_run(&h, data, len, out, out_len);
}

ZQUIC_API int zquic_crypto_blake3_derive_key(const char *context, const void *material,
                                             size_t material_len, uint8_t *out, size_t out_len) {
  int rc = blake3_out_check("crypto_blake3_derive_key", material, material_len, out, out_len);
  if (rc == ZQUIC_OK) rc = zq_check_ptr("crypto_blake3_derive_key", "context", context);
  if (rc != ZQUIC_OK) return rc;
  zq_blake3 h;
  zq_blake3_init_derive_key(&h, context, strlen(context), NULL);
  return blake3_run(&h, material, material_len, out, out_len);
}

ZQUIC_API const char *zquic_crypto_blake3_path(void) { return zq_blake3_ops_best()->name; }
