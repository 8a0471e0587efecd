/*
 * crypto_test_util.h — small helpers shared by the ZCrypto tests: hex literals to bytes, loading
 * the JSON vector files named by environment variables (set by CTest), and an assertion that
 * prints the library's error detail.
 */
#ifndef ZQ_CRYPTO_TEST_UTIL_H
#define ZQ_CRYPTO_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "zquic.h"

#define ASSERT_OK(expr)                                                                            \
  do {                                                                                             \
    int rc_ = (expr);                                                                              \
    if (rc_ != ZQUIC_OK)                                                                           \
      fail_msg("%s = %d (%s): %s", #expr, rc_, zquic_strerror(rc_), zquic_last_error());          \
  } while (0)

#define ASSERT_RC(expected, expr)                                                                  \
  do {                                                                                             \
    int rc_ = (expr);                                                                              \
    if (rc_ != (expected))                                                                         \
      fail_msg("%s = %d (%s), expected %d (%s); detail: %s", #expr, rc_, zquic_strerror(rc_),     \
               (expected), zquic_strerror(expected), zquic_last_error());                          \
  } while (0)

/* Decode a hex literal (optional 0x) into out; fails the test on bad input. Returns the length. */
static inline size_t test_unhex(const char *hex, uint8_t *out, size_t cap) {
  if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex += 2;
  size_t len = strlen(hex);
  if (len % 2 != 0 || len / 2 > cap) fail_msg("bad hex literal in test: %s", hex);
  for (size_t i = 0; i < len / 2; i++) {
    unsigned v;
    if (sscanf(hex + 2 * i, "%2x", &v) != 1) fail_msg("bad hex literal in test: %s", hex);
    out[i] = (uint8_t)v;
  }
  return len / 2;
}

static inline void assert_hex_equal(const uint8_t *got, size_t len, const char *want_hex) {
  uint8_t want[512];
  size_t want_len = test_unhex(want_hex, want, sizeof(want));
  assert_int_equal(len, want_len);
  if (memcmp(got, want, len) != 0) {
    char text[1025];
    for (size_t i = 0; i < len && i < 512; i++) sprintf(text + 2 * i, "%02x", got[i]);
    fail_msg("got %s\nwant %s", text, want_hex);
  }
}

/* Load the JSON file named by environment variable `var`; fails the test when missing. */
static inline json_t *load_vectors(const char *var) {
  const char *path = getenv(var);
  if (!path) fail_msg("environment variable %s is not set (run through ctest)", var);
  json_error_t error;
  json_t *root = json_load_file(path, 0, &error);
  if (!root) fail_msg("%s: %s (line %d)", path, error.text, error.line);
  return root;
}

#endif
