/*
 * fuzz_secp256k1_der.c — arbitrary bytes as a secp256k1 signature (DER, compact, recoverable)
 * over a fixed digest and key: parsing and verification return a defined code and never crash.
 * The seed corpus (fuzz/corpus/fuzz_secp256k1_der) holds valid signatures of this key and digest
 * so that mutations start from something that parses; a signature accepted for our digest must
 * be rejected for any other digest.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zquic.h"

static uint8_t public_key[33], digest[32];

static void setup(void) {
  static int done;
  if (done) return;
  done = 1;
  uint8_t secret[32] = {0};
  secret[31] = 7;
  size_t n;
  if (zquic_crypto_keygen_from_seed(ZQUIC_KEY_SECP256K1, secret, 32, public_key, 33, &n) != 0 ||
      zquic_crypto_hash(ZQUIC_HASH_SHA256, "fuzz", 4, digest, 32, &n) != 0)
    abort();
}

static void expect_rejected(int rc) {
  if (rc != ZQUIC_ERR_BAD_SIGNATURE && rc != ZQUIC_ERR_INVALID_ARGUMENT) abort();
}

static void verify_as(const uint8_t *sig, size_t size, int format) {
  int rc = zquic_crypto_secp256k1_verify(public_key, 33, digest, 32, sig, size, format);
  if (rc == ZQUIC_OK) {
    uint8_t other[32];
    memcpy(other, digest, 32);
    other[31] ^= 1;
    expect_rejected(zquic_crypto_secp256k1_verify(public_key, 33, other, 32, sig, size, format));
    return;
  }
  expect_rejected(rc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  setup();
  verify_as(data, size, ZQUIC_SIG_DER);
  verify_as(data, size, ZQUIC_SIG_COMPACT);
  verify_as(data, size, ZQUIC_SIG_RECOVERABLE);
  int rc = zquic_crypto_verify(ZQUIC_KEY_SECP256K1, public_key, 33, "fuzz", 4, data, size);
  if (rc != ZQUIC_OK) expect_rejected(rc);
  uint8_t recovered[65];
  size_t n;
  rc = zquic_crypto_secp256k1_recover(digest, 32, data, size, 0, recovered, sizeof(recovered), &n);
  /* Recovery may succeed: almost any (r, s, v) is the signature of *some* key. */
  if (rc == ZQUIC_OK && n != 65) abort();
  if (rc != ZQUIC_OK) expect_rejected(rc);
  return 0;
}
