/*
 * fuzz_public_key.c — arbitrary bytes as public keys of every type (secp256k1 33/65-byte points,
 * Ed25519 and X25519 keys) through conversion, Ethereum address, verification and key agreement:
 * error codes only, no crash; a secp256k1 key that parses must round-trip through both encodings.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zquic.h"

static void expect(int rc, int allowed_a, int allowed_b, int allowed_c) {
  if (rc != allowed_a && rc != allowed_b && rc != allowed_c) abort();
}

static void secp256k1_key(const uint8_t *key, size_t len) {
  uint8_t compressed[33], full[65], again[33], address[20];
  char text[ZQUIC_ETH_ADDRESS_TEXT_LEN];
  size_t n, m;
  int rc = zquic_crypto_secp256k1_pubkey_convert(key, len, 1, compressed, sizeof(compressed), &n);
  expect(rc, ZQUIC_OK, ZQUIC_ERR_INVALID_KEY, ZQUIC_ERR_INVALID_ARGUMENT);
  expect(zquic_crypto_eth_address(key, len, address, sizeof(address), text, sizeof(text)),
         rc, rc, rc);
  if (rc == ZQUIC_OK) {
    if (zquic_crypto_secp256k1_pubkey_convert(compressed, 33, 0, full, sizeof(full), &m) != 0 ||
        zquic_crypto_secp256k1_pubkey_convert(full, 65, 1, again, sizeof(again), &m) != 0 ||
        memcmp(again, compressed, 33) != 0)
      abort();
  }
  uint8_t sig[64] = {1};
  expect(zquic_crypto_verify(ZQUIC_KEY_SECP256K1, key, len, "m", 1, sig, sizeof(sig)),
         ZQUIC_ERR_BAD_SIGNATURE, ZQUIC_ERR_INVALID_KEY, ZQUIC_ERR_INVALID_ARGUMENT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  secp256k1_key(data, size);
  uint8_t sig[64] = {0}, secret[32] = {9}, shared[32];
  size_t n;
  expect(zquic_crypto_verify(ZQUIC_KEY_ED25519, data, size, "m", 1, sig, sizeof(sig)),
         ZQUIC_ERR_BAD_SIGNATURE, ZQUIC_ERR_INVALID_KEY, ZQUIC_ERR_INVALID_ARGUMENT);
  expect(zquic_crypto_x25519(secret, sizeof(secret), data, size, shared, sizeof(shared), &n),
         ZQUIC_OK, ZQUIC_ERR_INVALID_KEY, ZQUIC_ERR_INVALID_ARGUMENT);
  /* The input as a secret: secp256k1 scalars out of range are invalid keys. */
  uint8_t pk[33];
  expect(zquic_crypto_keygen_from_seed(ZQUIC_KEY_SECP256K1, data, size, pk, sizeof(pk), &n),
         ZQUIC_OK, ZQUIC_ERR_INVALID_KEY, ZQUIC_ERR_INVALID_ARGUMENT);
  return 0;
}
