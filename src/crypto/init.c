/*
 * init.c — ZCrypto's one-time set-up: sodium_init, a randomised secp256k1 context (blinding
 * against timing side channels when signing) and the BLAKE3 path choice, all under one
 * pthread_once so that the first calls from several threads race safely. Also the small helpers
 * that check arguments and the random/memzero entry points.
 */
#include <pthread.h>
#include <stdio.h>
#include <sodium.h>

#include "blake3_impl.h"
#include "crypto_internal.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result = ZQUIC_ERR_INTERNAL;
static char init_failure[96];
static secp256k1_context *secp_context;

static void init_all(void) {
  if (sodium_init() < 0) {
    snprintf(init_failure, sizeof(init_failure), "sodium_init failed");
    return;
  }
  secp_context = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  if (!secp_context) {
    snprintf(init_failure, sizeof(init_failure), "secp256k1_context_create failed");
    return;
  }
  unsigned char seed[32];
  randombytes_buf(seed, sizeof(seed));
  int randomized = secp256k1_context_randomize(secp_context, seed);
  sodium_memzero(seed, sizeof(seed));
  if (!randomized) {
    snprintf(init_failure, sizeof(init_failure), "secp256k1_context_randomize failed");
    return;
  }
  (void)zq_blake3_ops_best();
  init_result = ZQUIC_OK;
}

int zq_crypto_ready(void) {
  pthread_once(&init_once, init_all);
  if (init_result != ZQUIC_OK) return zq_error(init_result, "crypto init: %s", init_failure);
  return ZQUIC_OK;
}

const secp256k1_context *zq_secp256k1_context(void) { return secp_context; }

ZQUIC_API int zquic_crypto_init(void) {
  int rc = zq_crypto_ready();
  if (rc == ZQUIC_OK) zq_error_clear();
  return rc;
}

ZQUIC_API int zquic_crypto_random(void *buf, size_t len) {
  int rc = zq_crypto_ready();
  if (rc != ZQUIC_OK) return rc;
  if (len > 0 && !buf) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "crypto_random: buf is NULL");
  if (len > 0) randombytes_buf(buf, len);
  zq_error_clear();
  return ZQUIC_OK;
}

ZQUIC_API void zquic_crypto_memzero(void *buf, size_t len) {
  if (buf && len > 0) sodium_memzero(buf, len);
}

int zq_check_ptr(const char *fn, const char *what, const void *ptr) {
  if (!ptr) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn, what);
  return ZQUIC_OK;
}

int zq_check_in(const char *fn, const char *what, const void *ptr, size_t len, size_t want) {
  if (!ptr) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn, what);
  if (len != want)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "%s: %s is %zu bytes, expected %zu", fn, what,
                    len, want);
  return ZQUIC_OK;
}

int zq_check_out(const char *fn, const char *what, const void *ptr, size_t cap, size_t need) {
  if (!ptr) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn, what);
  if (cap < need)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "%s: %s holds %zu bytes, needs %zu", fn, what,
                    cap, need);
  return ZQUIC_OK;
}
