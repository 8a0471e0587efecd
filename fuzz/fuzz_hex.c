/*
 * fuzz_hex.c — arbitrary bytes as the text of a hex key file: the decoder must reject or decode
 * within bounds, and whatever it decodes must survive encode -> decode unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zquic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t out[64], again[64];
  char text[2 * sizeof(out) + 1];
  size_t n = 0, m = 0;
  int rc = zquic_crypto_hex_decode((const char *)data, size, out, sizeof(out), &n);
  if (rc != ZQUIC_OK) {
    if (rc != ZQUIC_ERR_INVALID_ARGUMENT) abort();
    return 0;
  }
  if (n > sizeof(out) || n * 2 > size) abort();
  if (zquic_crypto_hex_encode(out, n, text, sizeof(text)) != ZQUIC_OK) abort();
  if (zquic_crypto_hex_decode(text, strlen(text), again, sizeof(again), &m) != ZQUIC_OK) abort();
  if (m != n || memcmp(out, again, n) != 0) abort();
  return 0;
}
