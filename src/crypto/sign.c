/*
 * sign.c — the generic key calls (keygen, keygen_from_seed, sign, verify) that dispatch on the key
 * type, with Ed25519 and X25519 done here on libsodium and secp256k1 in secp256k1.c. Every secret
 * key is 32 bytes for every type, so key files and FFI callers need no per-type sizes; the 64-byte
 * libsodium Ed25519 form is accepted by sign to save the key expansion on hot paths.
 */
#include <nettle/sha2.h>
#include <sodium.h>
#include <string.h>

#include "crypto_internal.h"

static size_t public_key_len(int key_type) {
  switch (key_type) {
  case ZQUIC_KEY_ED25519: return ZQUIC_ED25519_PUBLIC_KEY_LEN;
  case ZQUIC_KEY_SECP256K1: return ZQUIC_SECP256K1_PUBLIC_KEY_LEN;
  case ZQUIC_KEY_X25519: return ZQUIC_X25519_KEY_LEN;
  default: return 0;
  }
}

static int check_key_type(const char *fn, int key_type) {
  if (public_key_len(key_type) == 0)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "%s: unknown key type %d", fn, key_type);
  return ZQUIC_OK;
}

/* Public key of a 32-byte secret; out has room (checked by the caller). */
static int derive_public(int key_type, const uint8_t secret[32], uint8_t *out, size_t out_cap,
                         size_t *out_len) {
  switch (key_type) {
  case ZQUIC_KEY_ED25519: {
    uint8_t expanded[crypto_sign_SECRETKEYBYTES];
    crypto_sign_seed_keypair(out, expanded, secret);
    sodium_memzero(expanded, sizeof(expanded));
    *out_len = ZQUIC_ED25519_PUBLIC_KEY_LEN;
    return ZQUIC_OK;
  }
  case ZQUIC_KEY_X25519:
    crypto_scalarmult_base(out, secret);
    *out_len = ZQUIC_X25519_KEY_LEN;
    return ZQUIC_OK;
  default: return zq_secp256k1_public_from_secret(secret, out, out_cap, out_len);
  }
}

static int keypair_args(const char *fn, int key_type, const uint8_t *public_key,
                        size_t public_cap, const size_t *public_len) {
  int rc = zq_crypto_ready();
  if (rc == ZQUIC_OK) rc = check_key_type(fn, key_type);
  if (rc == ZQUIC_OK) rc = zq_check_ptr(fn, "public_len", public_len);
  if (rc == ZQUIC_OK)
    rc = zq_check_out(fn, "public_key", public_key, public_cap, public_key_len(key_type));
  return rc;
}

ZQUIC_API int zquic_crypto_keygen(int key_type, uint8_t *secret_key, size_t secret_cap,
                                  size_t *secret_len, uint8_t *public_key, size_t public_cap,
                                  size_t *public_len) {
  int rc = keypair_args("crypto_keygen", key_type, public_key, public_cap, public_len);
  if (rc == ZQUIC_OK) rc = zq_check_ptr("crypto_keygen", "secret_len", secret_len);
  if (rc == ZQUIC_OK)
    rc = zq_check_out("crypto_keygen", "secret_key", secret_key, secret_cap,
                      ZQUIC_CRYPTO_SECRET_KEY_LEN);
  if (rc != ZQUIC_OK) return rc;
  uint8_t secret[32];
  /* A random secp256k1 scalar is out of range with probability ~2^-128: draw again. */
  do {
    randombytes_buf(secret, sizeof(secret));
    rc = derive_public(key_type, secret, public_key, public_cap, public_len);
  } while (rc == ZQUIC_ERR_INVALID_KEY);
  if (rc == ZQUIC_OK) {
    memcpy(secret_key, secret, sizeof(secret));
    *secret_len = sizeof(secret);
    zq_error_clear();
  }
  sodium_memzero(secret, sizeof(secret));
  return rc;
}

ZQUIC_API int zquic_crypto_keygen_from_seed(int key_type, const uint8_t *seed, size_t seed_len,
                                            uint8_t *public_key, size_t public_cap,
                                            size_t *public_len) {
  int rc = keypair_args("crypto_keygen_from_seed", key_type, public_key, public_cap, public_len);
  if (rc == ZQUIC_OK)
    rc = zq_check_in("crypto_keygen_from_seed", "seed", seed, seed_len,
                     ZQUIC_CRYPTO_SECRET_KEY_LEN);
  if (rc == ZQUIC_OK) rc = derive_public(key_type, seed, public_key, public_cap, public_len);
  if (rc == ZQUIC_OK) zq_error_clear();
  return rc;
}

/* ---- sign ---- */

static int ed25519_sign(const uint8_t *secret_key, size_t secret_len, const uint8_t *msg,
                        size_t msg_len, uint8_t *sig) {
  uint8_t expanded[crypto_sign_SECRETKEYBYTES];
  const uint8_t *sk = secret_key;
  if (secret_len == ZQUIC_CRYPTO_SECRET_KEY_LEN) {
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    crypto_sign_seed_keypair(pk, expanded, secret_key);
    sk = expanded;
  } else if (secret_len != crypto_sign_SECRETKEYBYTES) {
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT,
                    "crypto_sign: Ed25519 secret_key is %zu bytes, expected 32 or 64", secret_len);
  }
  crypto_sign_detached(sig, NULL, msg, msg_len, sk);
  sodium_memzero(expanded, sizeof(expanded));
  return ZQUIC_OK;
}

static int secp256k1_sign_message(const uint8_t *secret_key, size_t secret_len,
                                  const uint8_t *msg, size_t msg_len, uint8_t *sig,
                                  size_t sig_cap, size_t *sig_len) {
  int rc = zq_check_in("crypto_sign", "secret_key", secret_key, secret_len,
                       ZQUIC_CRYPTO_SECRET_KEY_LEN);
  if (rc != ZQUIC_OK) return rc;
  uint8_t digest[32];
  struct sha256_ctx sha;
  nettle_sha256_init(&sha);
  nettle_sha256_update(&sha, msg_len, msg);
  nettle_sha256_digest(&sha, sizeof(digest), digest);
  return zq_secp256k1_sign_digest(secret_key, digest, ZQUIC_SIG_COMPACT, sig, sig_cap, sig_len);
}

ZQUIC_API int zquic_crypto_sign(int key_type, const uint8_t *secret_key, size_t secret_len,
                                const void *msg, size_t msg_len, uint8_t *sig, size_t sig_cap,
                                size_t *sig_len) {
  int rc = zq_crypto_ready();
  if (rc == ZQUIC_OK) rc = check_key_type("crypto_sign", key_type);
  if (rc == ZQUIC_OK && key_type == ZQUIC_KEY_X25519)
    rc = zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "crypto_sign: X25519 keys cannot sign");
  if (rc == ZQUIC_OK) rc = zq_check_ptr("crypto_sign", "secret_key", secret_key);
  if (rc == ZQUIC_OK && msg_len > 0) rc = zq_check_ptr("crypto_sign", "msg", msg);
  if (rc == ZQUIC_OK) rc = zq_check_ptr("crypto_sign", "sig_len", sig_len);
  if (rc == ZQUIC_OK) rc = zq_check_out("crypto_sign", "sig", sig, sig_cap, 64);
  if (rc != ZQUIC_OK) return rc;
  if (key_type == ZQUIC_KEY_ED25519) {
    rc = ed25519_sign(secret_key, secret_len, msg, msg_len, sig);
    if (rc == ZQUIC_OK) *sig_len = ZQUIC_ED25519_SIGNATURE_LEN;
  } else {
    rc = secp256k1_sign_message(secret_key, secret_len, msg, msg_len, sig, sig_cap, sig_len);
  }
  if (rc == ZQUIC_OK) zq_error_clear();
  return rc;
}

/* ---- verify ---- */

static int ed25519_verify(const uint8_t *public_key, size_t public_len, const uint8_t *msg,
                          size_t msg_len, const uint8_t *sig, size_t sig_len) {
  int rc = zq_check_in("crypto_verify", "public_key", public_key, public_len,
                       ZQUIC_ED25519_PUBLIC_KEY_LEN);
  if (rc == ZQUIC_OK)
    rc = zq_check_in("crypto_verify", "sig", sig, sig_len, ZQUIC_ED25519_SIGNATURE_LEN);
  if (rc != ZQUIC_OK) return rc;
  if (crypto_sign_verify_detached(sig, msg, msg_len, public_key) == 0) return ZQUIC_OK;
  /* Tell a broken key from a broken signature only on failure: the point check costs as much as
   * the verification itself. */
  if (!crypto_core_ed25519_is_valid_point(public_key))
    return zq_error(ZQUIC_ERR_INVALID_KEY, "crypto_verify: Ed25519 public key is not a valid point");
  return zq_error(ZQUIC_ERR_BAD_SIGNATURE, "crypto_verify: Ed25519 signature does not verify");
}

static int secp256k1_verify_message(const uint8_t *public_key, size_t public_len,
                                    const uint8_t *msg, size_t msg_len, const uint8_t *sig,
                                    size_t sig_len) {
  int rc = zq_check_ptr("crypto_verify", "public_key", public_key);
  if (rc == ZQUIC_OK) rc = zq_check_ptr("crypto_verify", "sig", sig);
  if (rc != ZQUIC_OK) return rc;
  int format = sig_len == ZQUIC_SECP256K1_SIGNATURE_LEN ? ZQUIC_SIG_COMPACT
               : sig_len == ZQUIC_SECP256K1_RECOVERABLE_SIGNATURE_LEN ? ZQUIC_SIG_RECOVERABLE
                                                                       : ZQUIC_SIG_DER;
  uint8_t digest[32];
  struct sha256_ctx sha;
  nettle_sha256_init(&sha);
  nettle_sha256_update(&sha, msg_len, msg);
  nettle_sha256_digest(&sha, sizeof(digest), digest);
  return zq_secp256k1_verify_digest(public_key, public_len, digest, sig, sig_len, format);
}

ZQUIC_API int zquic_crypto_verify(int key_type, const uint8_t *public_key, size_t public_len,
                                  const void *msg, size_t msg_len, const uint8_t *sig,
                                  size_t sig_len) {
  int rc = zq_crypto_ready();
  if (rc == ZQUIC_OK) rc = check_key_type("crypto_verify", key_type);
  if (rc == ZQUIC_OK && key_type == ZQUIC_KEY_X25519)
    rc = zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "crypto_verify: X25519 keys cannot sign");
  if (rc == ZQUIC_OK && msg_len > 0) rc = zq_check_ptr("crypto_verify", "msg", msg);
  if (rc != ZQUIC_OK) return rc;
  if (key_type == ZQUIC_KEY_ED25519)
    rc = ed25519_verify(public_key, public_len, msg, msg_len, sig, sig_len);
  else
    rc = secp256k1_verify_message(public_key, public_len, msg, msg_len, sig, sig_len);
  if (rc == ZQUIC_OK) zq_error_clear();
  return rc;
}

/* ---- X25519 ---- */

ZQUIC_API int zquic_crypto_x25519(const uint8_t *secret_key, size_t secret_len,
                                  const uint8_t *peer_public, size_t peer_len, uint8_t *shared,
                                  size_t shared_cap, size_t *shared_len) {
  int rc = zq_crypto_ready();
  if (rc == ZQUIC_OK)
    rc = zq_check_in("crypto_x25519", "secret_key", secret_key, secret_len, ZQUIC_X25519_KEY_LEN);
  if (rc == ZQUIC_OK)
    rc = zq_check_in("crypto_x25519", "peer_public", peer_public, peer_len, ZQUIC_X25519_KEY_LEN);
  if (rc == ZQUIC_OK) rc = zq_check_ptr("crypto_x25519", "shared_len", shared_len);
  if (rc == ZQUIC_OK)
    rc = zq_check_out("crypto_x25519", "shared", shared, shared_cap, ZQUIC_X25519_KEY_LEN);
  if (rc != ZQUIC_OK) return rc;
  uint8_t result[ZQUIC_X25519_KEY_LEN];
  /* libsodium refuses (returns -1) when the result is all zeros: a low-order peer point that
   * would let the peer force a known "shared" secret. */
  if (crypto_scalarmult(result, secret_key, peer_public) != 0) {
    sodium_memzero(result, sizeof(result));
    return zq_error(ZQUIC_ERR_INVALID_KEY,
                    "crypto_x25519: peer public key is a low-order point (all-zero shared secret)");
  }
  memcpy(shared, result, sizeof(result));
  sodium_memzero(result, sizeof(result));
  *shared_len = ZQUIC_X25519_KEY_LEN;
  zq_error_clear();
  return ZQUIC_OK;
}
