/*
 * eth.c — Ethereum and ENS helpers on Keccak-256: the address of a secp256k1 key, its EIP-55
 * checksum text (mixed case that catches typos), and the ENS namehash (EIP-137) that CNS/ZNS
 * uses to look names up in the ENS registry.
 */
#include <string.h>

#include "crypto_internal.h"

ZQUIC_API int zquic_crypto_eth_address_text(const uint8_t *address, size_t address_len,
                                            char *text, size_t text_cap) {
  static const char digits[] = "0123456789abcdef";
  const char *fn = "crypto_eth_address_text";
  int rc = zq_check_in(fn, "address", address, address_len, ZQUIC_ETH_ADDRESS_LEN);
  if (rc == ZQUIC_OK) rc = zq_check_out(fn, "text", text, text_cap, ZQUIC_ETH_ADDRESS_TEXT_LEN);
  if (rc != ZQUIC_OK) return rc;
  char lower[40];
  for (size_t i = 0; i < 20; i++) {
    lower[2 * i] = digits[address[i] >> 4];
    lower[2 * i + 1] = digits[address[i] & 15];
  }
  /* EIP-55: upper-case hex letter i when nibble i of Keccak-256(lower-case hex) is >= 8. */
  uint8_t hash[32];
  zq_keccak256_hash(lower, sizeof(lower), hash);
  text[0] = '0';
  text[1] = 'x';
  for (size_t i = 0; i < 40; i++) {
    int nibble = i % 2 == 0 ? hash[i / 2] >> 4 : hash[i / 2] & 15;
    char c = lower[i];
    text[2 + i] = (c >= 'a' && nibble >= 8) ? (char)(c - 'a' + 'A') : c;
  }
  text[42] = '\0';
  zq_error_clear();
  return ZQUIC_OK;
}

ZQUIC_API int zquic_crypto_eth_address(const uint8_t *public_key, size_t public_len,
                                       uint8_t *address, size_t address_cap, char *text,
                                       size_t text_cap) {
  const char *fn = "crypto_eth_address";
  int rc = zq_crypto_ready();
  if (rc == ZQUIC_OK && !address && !text)
    rc = zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "%s: address and text are both NULL", fn);
  if (rc == ZQUIC_OK && address) rc = zq_check_out(fn, "address", address, address_cap, 20);
  if (rc == ZQUIC_OK && text) rc = zq_check_out(fn, "text", text, text_cap, 43);
  uint8_t xy[64];
  if (rc == ZQUIC_OK) rc = zq_secp256k1_public_xy(public_key, public_len, xy);
  if (rc != ZQUIC_OK) return rc;
  uint8_t hash[32];
  zq_keccak256_hash(xy, sizeof(xy), hash);
  if (address) memcpy(address, hash + 12, 20);
  if (text) return zquic_crypto_eth_address_text(hash + 12, 20, text, text_cap);
  zq_error_clear();
  return ZQUIC_OK;
}

ZQUIC_API int zquic_crypto_ens_namehash(const char *name, uint8_t *node, size_t node_cap) {
  const char *fn = "crypto_ens_namehash";
  int rc = zq_crypto_ready();
  if (rc == ZQUIC_OK) rc = zq_check_ptr(fn, "name", name);
  if (rc == ZQUIC_OK) rc = zq_check_out(fn, "node", node, node_cap, 32);
  if (rc != ZQUIC_OK) return rc;
  /* node(name) = keccak(node(parent) || keccak(label)), from the root (32 zero bytes) down, so
   * the labels are taken right to left. */
  uint8_t buf[64];
  memset(buf, 0, 32);
  size_t end = strlen(name);
  while (end > 0) {
    size_t start = end;
    while (start > 0 && name[start - 1] != '.') start--;
    if (start == end || start == 1)
      return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "%s: \"%s\" has an empty label", fn, name);
    zq_keccak256_hash(name + start, end - start, buf + 32);
    zq_keccak256_hash(buf, sizeof(buf), buf);
    end = start > 0 ? start - 1 : 0;
  }
  memcpy(node, buf, 32);
  zq_error_clear();
  return ZQUIC_OK;
}
