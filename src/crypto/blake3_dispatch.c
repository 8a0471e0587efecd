/*
 * blake3_dispatch.c — picks the BLAKE3 back-end once per process from what the CPU reports
 * (__builtin_cpu_supports), under pthread_once so that concurrent first calls agree. The
 * environment variable ZQUIC_BLAKE3_PATH=portable|sse41|avx2|avx512 narrows the choice (for
 * benchmarks and cross-checks); a path the CPU lacks is never selected. Tests that want every
 * path ask zq_blake3_ops_get() for each and hand it to the hasher directly.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "blake3_impl.h"

static const zq_blake3_ops table[ZQ_BLAKE3_PATH_COUNT] = {
  {"portable", ZQ_BLAKE3_PORTABLE, zq_blake3_compress_in_place_portable,
   zq_blake3_compress_xof_portable, zq_blake3_hash_many_portable},
  {"sse41", ZQ_BLAKE3_SSE41, zq_blake3_compress_in_place_sse41, zq_blake3_compress_xof_sse41,
   zq_blake3_hash_many_sse41},
  {"avx2", ZQ_BLAKE3_AVX2, zq_blake3_compress_in_place_sse41, zq_blake3_compress_xof_sse41,
   zq_blake3_hash_many_avx2},
  {"avx512", ZQ_BLAKE3_AVX512, zq_blake3_compress_in_place_sse41, zq_blake3_compress_xof_sse41,
   zq_blake3_hash_many_avx512},
};

static pthread_once_t detect_once = PTHREAD_ONCE_INIT;
static bool supported[ZQ_BLAKE3_PATH_COUNT];
static const zq_blake3_ops *best;

static void detect(void) {
  __builtin_cpu_init();
  supported[ZQ_BLAKE3_PORTABLE] = true;
  supported[ZQ_BLAKE3_SSE41] = __builtin_cpu_supports("sse4.1");
  /* Each wider path falls back on the narrower ones for leftover inputs and single blocks. */
  supported[ZQ_BLAKE3_AVX2] = supported[ZQ_BLAKE3_SSE41] && __builtin_cpu_supports("avx2");
  supported[ZQ_BLAKE3_AVX512] = supported[ZQ_BLAKE3_AVX2] && __builtin_cpu_supports("avx512f");

  int limit = ZQ_BLAKE3_PATH_COUNT - 1;
  const char *wanted = getenv("ZQUIC_BLAKE3_PATH");
  if (wanted) {
    for (int i = 0; i < ZQ_BLAKE3_PATH_COUNT; i++)
      if (strcmp(wanted, table[i].name) == 0) limit = i;
  }
  best = &table[ZQ_BLAKE3_PORTABLE];
  for (int i = limit; i > ZQ_BLAKE3_PORTABLE; i--) {
    if (supported[i]) {
      best = &table[i];
      break;
    }
  }
}

const zq_blake3_ops *zq_blake3_ops_best(void) {
  pthread_once(&detect_once, detect);
  return best;
}

const zq_blake3_ops *zq_blake3_ops_get(zq_blake3_path path) {
  pthread_once(&detect_once, detect);
  if ((int)path < 0 || path >= ZQ_BLAKE3_PATH_COUNT || !supported[path]) return NULL;
  return &table[path];
}
