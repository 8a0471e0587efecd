/*
 * secp256k1.c — ECDSA on secp256k1 over libsecp256k1: RFC 6979 deterministic nonces, low-S
 * signatures (libsecp256k1 produces only those and its verifier rejects high S, which closes the
 * malleability that broke Bitcoin transaction ids), compact/DER/recoverable encodings, public-key
 * recovery and (de)compression. Public keys and DER signatures arrive from the network, so their
 * parsers have fuzz targets (fuzz/fuzz_secp256k1.c).
 */
#include <secp256k1_recovery.h>
#include <string.h>

#include "crypto_internal.h"

static int parse_public(const char *fn, const uint8_t *public_key, size_t public_len,
                        secp256k1_pubkey *out) {
  int rc = zq_check_ptr(fn, "public_key", public_key);
  if (rc != ZQUIC_OK) return rc;
  if (public_len != ZQUIC_SECP256K1_PUBLIC_KEY_LEN &&
      public_len != ZQUIC_SECP256K1_UNCOMPRESSED_PUBLIC_KEY_LEN)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT,
                    "%s: secp256k1 public_key is %zu bytes, expected 33 or 65", fn, public_len);
  if (!secp256k1_ec_pubkey_parse(zq_secp256k1_context(), out, public_key, public_len))
    return zq_error(ZQUIC_ERR_INVALID_KEY, "%s: public_key is not a secp256k1 point", fn);
  return ZQUIC_OK;
}

static int serialize_public(const char *fn, const secp256k1_pubkey *key, int compressed,
                            uint8_t *out, size_t out_cap, size_t *out_len) {
  size_t need = compressed ? ZQUIC_SECP256K1_PUBLIC_KEY_LEN
                           : ZQUIC_SECP256K1_UNCOMPRESSED_PUBLIC_KEY_LEN;
  int rc = zq_check_ptr(fn, "out_len", out_len);
  if (rc == ZQUIC_OK) rc = zq_check_out(fn, "public key output", out, out_cap, need);
  if (rc != ZQUIC_OK) return rc;
  size_t len = need;
  secp256k1_ec_pubkey_serialize(zq_secp256k1_context(), out, &len, key,
                                compressed ? SECP256K1_EC_COMPRESSED : SECP256K1_EC_UNCOMPRESSED);
  *out_len = len;
  return ZQUIC_OK;
}

int zq_secp256k1_public_from_secret(const uint8_t secret[32], uint8_t *out, size_t cap,
                                    size_t *out_len) {
  secp256k1_pubkey key;
  if (!secp256k1_ec_pubkey_create(zq_secp256k1_context(), &key, secret))
    return zq_error(ZQUIC_ERR_INVALID_KEY, "secp256k1 secret key is zero or not below the group order");
  return serialize_public("secp256k1 keygen", &key, 1, out, cap, out_len);
}

static size_t sig_len_for(int format) {
  switch (format) {
  case ZQUIC_SIG_COMPACT: return ZQUIC_SECP256K1_SIGNATURE_LEN;
  case ZQUIC_SIG_DER: return ZQUIC_SECP256K1_DER_SIGNATURE_MAX_LEN;
  case ZQUIC_SIG_RECOVERABLE: return ZQUIC_SECP256K1_RECOVERABLE_SIGNATURE_LEN;
  default: return 0;
  }
}

/* Signing fails only for a secret that is 0 or >= n (RFC 6979 never runs out of nonces in
 * practice); checking the key inside the signing call saves a separate scalar check. */
static int bad_secret(void) {
  return zq_error(ZQUIC_ERR_INVALID_KEY, "secp256k1 secret key is zero or not below the group order");
}

int zq_secp256k1_sign_digest(const uint8_t secret[32], const uint8_t digest[32], int format,
                             uint8_t *sig, size_t sig_cap, size_t *sig_len) {
  const secp256k1_context *ctx = zq_secp256k1_context();
  if (sig_len_for(format) == 0)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "secp256k1 sign: unknown format %d", format);
  int rc = zq_check_out("secp256k1 sign", "sig", sig, sig_cap, sig_len_for(format));
  if (rc != ZQUIC_OK) return rc;
  if (format == ZQUIC_SIG_RECOVERABLE) {
    secp256k1_ecdsa_recoverable_signature rsig;
    int recid = 0;
    if (!secp256k1_ecdsa_sign_recoverable(ctx, &rsig, digest, secret, NULL, NULL))
      return bad_secret();
    secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, sig, &recid, &rsig);
    sig[64] = (uint8_t)recid;
    *sig_len = ZQUIC_SECP256K1_RECOVERABLE_SIGNATURE_LEN;
    return ZQUIC_OK;
  }
  secp256k1_ecdsa_signature esig;
  /* NULL nonce function = RFC 6979 (secp256k1_nonce_function_default). */
  if (!secp256k1_ecdsa_sign(ctx, &esig, digest, secret, NULL, NULL)) return bad_secret();
  if (format == ZQUIC_SIG_COMPACT) {
    secp256k1_ecdsa_signature_serialize_compact(ctx, sig, &esig);
    *sig_len = ZQUIC_SECP256K1_SIGNATURE_LEN;
  } else {
    size_t len = sig_cap;
    secp256k1_ecdsa_signature_serialize_der(ctx, sig, &len, &esig);
    *sig_len = len;
  }
  return ZQUIC_OK;
}

/* Recovery ids travel as 0..3, or as Ethereum's 27..30. */
static int parse_recoverable(const uint8_t sig[65], secp256k1_ecdsa_recoverable_signature *out) {
  int v = sig[64] >= 27 ? sig[64] - 27 : sig[64];
  if (v > 3) return 0;
  return secp256k1_ecdsa_recoverable_signature_parse_compact(zq_secp256k1_context(), out, sig, v);
}

static int parse_signature(const uint8_t *sig, size_t sig_len, int format,
                           secp256k1_ecdsa_signature *out) {
  const secp256k1_context *ctx = zq_secp256k1_context();
  if (format == ZQUIC_SIG_COMPACT)
    return sig_len == 64 && secp256k1_ecdsa_signature_parse_compact(ctx, out, sig);
  if (format == ZQUIC_SIG_DER) return secp256k1_ecdsa_signature_parse_der(ctx, out, sig, sig_len);
  secp256k1_ecdsa_recoverable_signature rsig;
  if (sig_len != 65 || !parse_recoverable(sig, &rsig)) return 0;
  return secp256k1_ecdsa_recoverable_signature_convert(ctx, out, &rsig);
}

int zq_secp256k1_verify_digest(const uint8_t *public_key, size_t public_len,
                               const uint8_t digest[32], const uint8_t *sig, size_t sig_len,
                               int format) {
  if (sig_len_for(format) == 0)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "secp256k1 verify: unknown format %d", format);
  if (format != ZQUIC_SIG_DER && sig_len != sig_len_for(format))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "secp256k1 verify: sig is %zu bytes, expected %zu",
                    sig_len, sig_len_for(format));
  secp256k1_pubkey key;
  int rc = parse_public("secp256k1 verify", public_key, public_len, &key);
  if (rc != ZQUIC_OK) return rc;
  secp256k1_ecdsa_signature esig;
  if (!parse_signature(sig, sig_len, format, &esig))
    return zq_error(ZQUIC_ERR_BAD_SIGNATURE, "secp256k1 verify: signature does not parse");
  /* Rejects high S too: only the low-S form of a signature is accepted. */
  if (!secp256k1_ecdsa_verify(zq_secp256k1_context(), &esig, digest, &key))
    return zq_error(ZQUIC_ERR_BAD_SIGNATURE, "secp256k1 verify: signature does not verify");
  return ZQUIC_OK;
}

/* ---- public entry points ---- */

ZQUIC_API int zquic_crypto_secp256k1_sign(const uint8_t *secret_key, size_t secret_len,
                                          const uint8_t *digest, size_t digest_len, int format,
                                          uint8_t *sig, size_t sig_cap, size_t *sig_len) {
  const char *fn = "crypto_secp256k1_sign";
  int rc = zq_crypto_ready();
  if (rc == ZQUIC_OK) rc = zq_check_in(fn, "secret_key", secret_key, secret_len, 32);
  if (rc == ZQUIC_OK) rc = zq_check_in(fn, "digest", digest, digest_len, 32);
  if (rc == ZQUIC_OK) rc = zq_check_ptr(fn, "sig_len", sig_len);
  if (rc == ZQUIC_OK) rc = zq_secp256k1_sign_digest(secret_key, digest, format, sig, sig_cap, sig_len);
  if (rc == ZQUIC_OK) zq_error_clear();
  return rc;
}

ZQUIC_API int zquic_crypto_secp256k1_verify(const uint8_t *public_key, size_t public_len,
                                            const uint8_t *digest, size_t digest_len,
                                            const uint8_t *sig, size_t sig_len, int format) {
  const char *fn = "crypto_secp256k1_verify";
  int rc = zq_crypto_ready();
  if (rc == ZQUIC_OK) rc = zq_check_in(fn, "digest", digest, digest_len, 32);
  if (rc == ZQUIC_OK) rc = zq_check_ptr(fn, "sig", sig);
  if (rc == ZQUIC_OK)
    rc = zq_secp256k1_verify_digest(public_key, public_len, digest, sig, sig_len, format);
  if (rc == ZQUIC_OK) zq_error_clear();
  return rc;
}

ZQUIC_API int zquic_crypto_secp256k1_recover(const uint8_t *digest, size_t digest_len,
                                             const uint8_t *sig, size_t sig_len, int compressed,
                                             uint8_t *public_key, size_t public_cap,
                                             size_t *public_len) {
  const char *fn = "crypto_secp256k1_recover";
  int rc = zq_crypto_ready();
  if (rc == ZQUIC_OK) rc = zq_check_in(fn, "digest", digest, digest_len, 32);
  if (rc == ZQUIC_OK) rc = zq_check_in(fn, "sig", sig, sig_len, 65);
  if (rc == ZQUIC_OK) rc = zq_check_ptr(fn, "public_len", public_len);
  if (rc == ZQUIC_OK) rc = zq_check_out(fn, "public_key", public_key, public_cap, compressed ? 33 : 65);
  if (rc != ZQUIC_OK) return rc;
  secp256k1_ecdsa_recoverable_signature rsig;
  secp256k1_pubkey key;
  if (!parse_recoverable(sig, &rsig))
    return zq_error(ZQUIC_ERR_BAD_SIGNATURE, "%s: signature does not parse", fn);
  if (!secp256k1_ecdsa_recover(zq_secp256k1_context(), &key, &rsig, digest))
    return zq_error(ZQUIC_ERR_BAD_SIGNATURE, "%s: no public key recovers from this signature", fn);
  rc = serialize_public(fn, &key, compressed, public_key, public_cap, public_len);
  if (rc == ZQUIC_OK) zq_error_clear();
  return rc;
}

ZQUIC_API int zquic_crypto_secp256k1_pubkey_convert(const uint8_t *public_key, size_t public_len,
                                                    int compressed, uint8_t *out, size_t out_cap,
                                                    size_t *out_len) {
  const char *fn = "crypto_secp256k1_pubkey_convert";
  int rc = zq_crypto_ready();
  secp256k1_pubkey key;
  if (rc == ZQUIC_OK) rc = zq_check_ptr(fn, "out_len", out_len);
  if (rc == ZQUIC_OK) rc = zq_check_out(fn, "out", out, out_cap, compressed ? 33 : 65);
  if (rc == ZQUIC_OK) rc = parse_public(fn, public_key, public_len, &key);
  if (rc == ZQUIC_OK) rc = serialize_public(fn, &key, compressed, out, out_cap, out_len);
  if (rc == ZQUIC_OK) zq_error_clear();
  return rc;
}

int zq_secp256k1_public_xy(const uint8_t *public_key, size_t public_len, uint8_t xy[64]) {
  secp256k1_pubkey key;
  uint8_t full[65];
  size_t len;
  int rc = parse_public("crypto_eth_address", public_key, public_len, &key);
  if (rc == ZQUIC_OK) rc = serialize_public("crypto_eth_address", &key, 0, full, sizeof(full), &len);
  if (rc == ZQUIC_OK) memcpy(xy, full + 1, 64);
  return rc;
}
