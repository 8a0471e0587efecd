/*
 * crypto_internal.h — what the ZCrypto files share: the one-time library set-up, the secp256k1
 * context, Keccak-256 on nettle's permutation and argument-check helpers that set the error
 * detail at the place that knows what was wrong.
 */
#ifndef ZQ_CRYPTO_INTERNAL_H
#define ZQ_CRYPTO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nettle/sha3.h>
#include <secp256k1.h>

#include "zquic.h"

/* Same declarations as src/core/internal.h; repeated so the crypto files need not pull in the
 * QUIC internals. */
int zq_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void zq_error_clear(void);

/* Run the one-time set-up (pthread_once) and report whether it worked. Every public crypto
 * function calls this first. */
int zq_crypto_ready(void);
/* The process-wide secp256k1 context: created and randomised once, then only read (which
 * libsecp256k1 allows from any number of threads). Valid after zq_crypto_ready() succeeded. */
const secp256k1_context *zq_secp256k1_context(void);

/* ---- Keccak-256 (keccak.c): SHA3's sponge with Ethereum's original 0x01 padding ---- */
#define ZQ_KECCAK256_RATE 136
typedef struct zq_keccak256 {
  struct sha3_state state;
  uint8_t block[ZQ_KECCAK256_RATE];
  size_t block_len;
} zq_keccak256;

void zq_keccak256_init(zq_keccak256 *k);
void zq_keccak256_update(zq_keccak256 *k, const uint8_t *data, size_t len);
void zq_keccak256_final(zq_keccak256 *k, uint8_t out[32]);
void zq_keccak256_hash(const void *data, size_t len, uint8_t out[32]);

/* ---- argument checks: return ZQUIC_OK or set the detail and return the error ---- */
int zq_check_in(const char *fn, const char *what, const void *ptr, size_t len, size_t want);
int zq_check_out(const char *fn, const char *what, const void *ptr, size_t cap, size_t need);
int zq_check_ptr(const char *fn, const char *what, const void *ptr);

/* ---- per-algorithm halves of the generic calls (sign.c dispatches) ---- */
int zq_secp256k1_public_from_secret(const uint8_t secret[32], uint8_t *out, size_t cap,
                                    size_t *out_len);
int zq_secp256k1_sign_digest(const uint8_t secret[32], const uint8_t digest[32], int format,
                             uint8_t *sig, size_t sig_cap, size_t *sig_len);
int zq_secp256k1_verify_digest(const uint8_t *public_key, size_t public_len,
                               const uint8_t digest[32], const uint8_t *sig, size_t sig_len,
                               int format);
/* The 64 bytes x||y of a 33- or 65-byte public key, as Ethereum hashes them (eth.c). */
int zq_secp256k1_public_xy(const uint8_t *public_key, size_t public_len, uint8_t xy[64]);

#endif
