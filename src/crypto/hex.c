/*
 * hex.c — hex text for keys and signatures. Key files are written by people and editors, so the
 * decoder forgives surrounding whitespace (a trailing newline) and a "0x" prefix, but nothing
 * inside the digits: a typo must fail loudly rather than yield a different key. It runs on file
 * contents, so it has a fuzz target (fuzz/fuzz_hex.c).
 */
#include "crypto_internal.h"

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

ZQUIC_API int zquic_crypto_hex_encode(const uint8_t *data, size_t len, char *text,
                                      size_t text_cap) {
  static const char digits[] = "0123456789abcdef";
  int rc = len > 0 ? zq_check_ptr("crypto_hex_encode", "data", data) : ZQUIC_OK;
  if (rc == ZQUIC_OK && len > (SIZE_MAX - 1) / 2)
    rc = zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "crypto_hex_encode: len too large");
  if (rc == ZQUIC_OK) rc = zq_check_out("crypto_hex_encode", "text", text, text_cap, 2 * len + 1);
  if (rc != ZQUIC_OK) return rc;
  for (size_t i = 0; i < len; i++) {
    text[2 * i] = digits[data[i] >> 4];
    text[2 * i + 1] = digits[data[i] & 15];
  }
  text[2 * len] = '\0';
  zq_error_clear();
  return ZQUIC_OK;
}

ZQUIC_API int zquic_crypto_hex_decode(const char *text, size_t text_len, uint8_t *out,
                                      size_t out_cap, size_t *out_len) {
  int rc = text_len > 0 ? zq_check_ptr("crypto_hex_decode", "text", text) : ZQUIC_OK;
  if (rc == ZQUIC_OK) rc = zq_check_ptr("crypto_hex_decode", "out_len", out_len);
  if (rc != ZQUIC_OK) return rc;
  size_t start = 0, end = text_len;
  while (start < end && is_space(text[start])) start++;
  while (end > start && is_space(text[end - 1])) end--;
  if (end - start >= 2 && text[start] == '0' && (text[start + 1] == 'x' || text[start + 1] == 'X'))
    start += 2;
  size_t digits = end - start;
  if (digits % 2 != 0)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "crypto_hex_decode: odd number of hex digits (%zu)",
                    digits);
  rc = zq_check_out("crypto_hex_decode", "out", out, out_cap, digits / 2);
  if (rc != ZQUIC_OK) return rc;
  for (size_t i = start; i < end; i++) {
    if (hex_digit(text[i]) < 0)
      return zq_error(ZQUIC_ERR_INVALID_ARGUMENT,
                      "crypto_hex_decode: character %zu is not a hex digit", i);
  }
  for (size_t i = 0; i < digits / 2; i++)
    out[i] = (uint8_t)((unsigned)hex_digit(text[start + 2 * i]) << 4 |
                       (unsigned)hex_digit(text[start + 2 * i + 1]));
  *out_len = digits / 2;
  zq_error_clear();
  return ZQUIC_OK;
}
