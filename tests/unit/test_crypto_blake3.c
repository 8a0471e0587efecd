/*
 * test_crypto_blake3.c — BLAKE3 against the 35 official test vectors (hash, keyed_hash,
 * derive_key, 131-byte extended output) on every code path this CPU runs, in one shot and in
 * streaming pieces of awkward sizes, plus cross-path agreement on large random inputs. The vector
 * file is read at run time from $ZQUIC_BLAKE3_VECTORS.
 */
#include "crypto_test_util.h"

#include "blake3_impl.h"

#define XOF_LEN 131

typedef struct vectors {
  json_t *root;
  const char *key;
  const char *context;
  json_t *cases;
} vectors;

static vectors load(void) {
  vectors v;
  v.root = load_vectors("ZQUIC_BLAKE3_VECTORS");
  v.key = json_string_value(json_object_get(v.root, "key"));
  v.context = json_string_value(json_object_get(v.root, "context_string"));
  v.cases = json_object_get(v.root, "cases");
  assert_non_null(v.key);
  assert_non_null(v.context);
  assert_int_equal(strlen(v.key), 32);
  assert_int_equal(json_array_size(v.cases), 35);
  return v;
}

static uint8_t *make_input(size_t len) {
  uint8_t *in = malloc(len + 1);
  assert_non_null(in);
  for (size_t i = 0; i < len; i++) in[i] = (uint8_t)(i % 251);
  return in;
}

typedef enum { MODE_HASH, MODE_KEYED, MODE_DERIVE } mode;
static const char *const mode_names[] = {"hash", "keyed_hash", "derive_key"};

static void start(zq_blake3 *h, mode m, const vectors *v, const zq_blake3_ops *ops) {
  if (m == MODE_HASH) zq_blake3_init(h, ops);
  if (m == MODE_KEYED) zq_blake3_init_keyed(h, (const uint8_t *)v->key, ops);
  if (m == MODE_DERIVE) zq_blake3_init_derive_key(h, v->context, strlen(v->context), ops);
}

/* Hash `in` in pieces of `piece` bytes (0 = all at once) and compare the full extended output. */
static void check_case(const vectors *v, json_t *c, mode m, const zq_blake3_ops *ops,
                       size_t piece) {
  size_t len = (size_t)json_integer_value(json_object_get(c, "input_len"));
  const char *want = json_string_value(json_object_get(c, mode_names[m]));
  assert_non_null(want);
  uint8_t *in = make_input(len);
  zq_blake3 h;
  start(&h, m, v, ops);
  if (piece == 0) {
    zq_blake3_update(&h, in, len);
  } else {
    for (size_t off = 0; off < len; off += piece)
      zq_blake3_update(&h, in + off, len - off < piece ? len - off : piece);
  }
  uint8_t out[XOF_LEN], short_out[32];
  zq_blake3_finalize(&h, out, sizeof(out));
  zq_blake3_finalize(&h, short_out, sizeof(short_out));
  if (memcmp(out, short_out, 32) != 0)
    fail_msg("%s len %zu: 32-byte output is not a prefix of the extended output", mode_names[m], len);
  char label[128];
  snprintf(label, sizeof(label), "%s path %s len %zu piece %zu", mode_names[m], ops->name, len, piece);
  uint8_t want_bytes[XOF_LEN];
  test_unhex(want, want_bytes, sizeof(want_bytes));
  if (memcmp(out, want_bytes, XOF_LEN) != 0) fail_msg("mismatch: %s", label);
  free(in);
}

static int paths_tested;

static void test_vectors_every_path(void **unused) {
  (void)unused;
  vectors v = load();
  paths_tested = 0;
  for (int p = 0; p < ZQ_BLAKE3_PATH_COUNT; p++) {
    const zq_blake3_ops *ops = zq_blake3_ops_get((zq_blake3_path)p);
    if (!ops) {
      print_message("BLAKE3 path %d: not supported by this CPU, skipped\n", p);
      continue;
    }
    for (size_t i = 0; i < json_array_size(v.cases); i++)
      for (int m = MODE_HASH; m <= MODE_DERIVE; m++)
        check_case(&v, json_array_get(v.cases, i), (mode)m, ops, 0);
    print_message("BLAKE3 path %s: 35 cases x 3 modes OK\n", ops->name);
    paths_tested++;
  }
  assert_true(paths_tested >= 1);
  json_decref(v.root);
}

/* A CPU that reports an extension must get its path: a dispatch bug must not hide behind the
 * portable fallback. */
static void test_dispatch_matches_cpu(void **unused) {
  (void)unused;
  __builtin_cpu_init();
  assert_non_null(zq_blake3_ops_get(ZQ_BLAKE3_PORTABLE));
  if (__builtin_cpu_supports("sse4.1")) assert_non_null(zq_blake3_ops_get(ZQ_BLAKE3_SSE41));
  if (__builtin_cpu_supports("avx2")) assert_non_null(zq_blake3_ops_get(ZQ_BLAKE3_AVX2));
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2"))
    assert_non_null(zq_blake3_ops_get(ZQ_BLAKE3_AVX512));
  assert_null(zq_blake3_ops_get(ZQ_BLAKE3_PATH_COUNT));
  const char *env = getenv("ZQUIC_BLAKE3_PATH");
  if (!env) {
    /* The best path is the widest one supported. */
    const zq_blake3_ops *best = zq_blake3_ops_best();
    for (int p = best->path + 1; p < ZQ_BLAKE3_PATH_COUNT; p++)
      assert_null(zq_blake3_ops_get((zq_blake3_path)p));
  }
  assert_string_equal(zquic_crypto_blake3_path(), zq_blake3_ops_best()->name);
}

static void test_vectors_streaming(void **unused) {
  (void)unused;
  vectors v = load();
  static const size_t pieces[] = {1, 7, 63, 64, 65, 1000, 1023, 1024, 1025, 4097, 31 * 1024 + 5};
  for (int p = 0; p < ZQ_BLAKE3_PATH_COUNT; p++) {
    const zq_blake3_ops *ops = zq_blake3_ops_get((zq_blake3_path)p);
    if (!ops) continue;
    for (size_t k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++)
      for (size_t i = 0; i < json_array_size(v.cases); i++)
        for (int m = MODE_HASH; m <= MODE_DERIVE; m++)
          check_case(&v, json_array_get(v.cases, i), (mode)m, ops, pieces[k]);
  }
  json_decref(v.root);
}

/* The public calls (auto-selected path) against the same vectors, including streaming handles. */
static void test_public_api_vectors(void **unused) {
  (void)unused;
  vectors v = load();
  for (size_t i = 0; i < json_array_size(v.cases); i++) {
    json_t *c = json_array_get(v.cases, i);
    size_t len = (size_t)json_integer_value(json_object_get(c, "input_len"));
    uint8_t *in = make_input(len);
    uint8_t out[XOF_LEN], digest[32];
    size_t digest_len = 0;
    ASSERT_OK(zquic_crypto_blake3(in, len, out, sizeof(out)));
    assert_hex_equal(out, sizeof(out), json_string_value(json_object_get(c, "hash")));
    ASSERT_OK(zquic_crypto_hash(ZQUIC_HASH_BLAKE3, in, len, digest, sizeof(digest), &digest_len));
    assert_int_equal(digest_len, 32);
    assert_memory_equal(digest, out, 32);
    ASSERT_OK(zquic_crypto_blake3_keyed((const uint8_t *)v.key, 32, in, len, out, sizeof(out)));
    assert_hex_equal(out, sizeof(out), json_string_value(json_object_get(c, "keyed_hash")));
    ASSERT_OK(zquic_crypto_blake3_derive_key(v.context, in, len, out, sizeof(out)));
    assert_hex_equal(out, sizeof(out), json_string_value(json_object_get(c, "derive_key")));

    zquic_crypto_hash_state *st = NULL;
    ASSERT_OK(zquic_crypto_blake3_init_keyed((const uint8_t *)v.key, 32, &st));
    for (size_t off = 0; off < len; off += 333)
      ASSERT_OK(zquic_crypto_hash_update(st, in + off, len - off < 333 ? len - off : 333));
    ASSERT_OK(zquic_crypto_hash_final_xof(st, out, sizeof(out)));
    assert_hex_equal(out, sizeof(out), json_string_value(json_object_get(c, "keyed_hash")));
    zquic_crypto_hash_free(st);

    ASSERT_OK(zquic_crypto_blake3_init_derive_key(v.context, &st));
    ASSERT_OK(zquic_crypto_hash_update(st, in, len));
    ASSERT_OK(zquic_crypto_hash_final(st, digest, sizeof(digest), &digest_len));
    char prefix[65];
    snprintf(prefix, sizeof(prefix), "%s", json_string_value(json_object_get(c, "derive_key")));
    assert_int_equal(digest_len, 32);
    assert_hex_equal(digest, 32, prefix);
    zquic_crypto_hash_free(st);
    free(in);
  }
  json_decref(v.root);
}

/* Deterministic pseudo-random bytes (xorshift) so failures reproduce. */
static void fill_random(uint8_t *buf, size_t len, uint64_t seed) {
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    buf[i] = (uint8_t)(x >> 24);
  }
}

/* Beyond the vectors' 100 chunks: deeper trees, several batches, unaligned tails. Every SIMD path
 * must agree with the portable one, in one shot and with random split points. */
static void test_paths_agree_on_large_inputs(void **unused) {
  (void)unused;
  static const size_t lengths[] = {65 * 1024, 128 * 1024, 129 * 1024 + 1, 1000003, 3 << 20};
  const size_t max = 3 << 20;
  uint8_t *in = malloc(max);
  assert_non_null(in);
  fill_random(in, max, 42);
  const zq_blake3_ops *portable = zq_blake3_ops_get(ZQ_BLAKE3_PORTABLE);
  for (size_t k = 0; k < sizeof(lengths) / sizeof(lengths[0]); k++) {
    uint8_t want[200], got[200];
    zq_blake3 h;
    zq_blake3_init(&h, portable);
    zq_blake3_update(&h, in, lengths[k]);
    zq_blake3_finalize(&h, want, sizeof(want));
    for (int p = ZQ_BLAKE3_SSE41; p < ZQ_BLAKE3_PATH_COUNT; p++) {
      const zq_blake3_ops *ops = zq_blake3_ops_get((zq_blake3_path)p);
      if (!ops) continue;
      zq_blake3_init(&h, ops);
      zq_blake3_update(&h, in, lengths[k]);
      zq_blake3_finalize(&h, got, sizeof(got));
      if (memcmp(want, got, sizeof(want)) != 0) fail_msg("%s differs at len %zu", ops->name, lengths[k]);
      /* Random split points. */
      uint64_t x = lengths[k] + (uint64_t)p;
      zq_blake3_init(&h, ops);
      for (size_t off = 0; off < lengths[k];) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        size_t n = (size_t)(x >> 33) % 70000;
        if (n > lengths[k] - off) n = lengths[k] - off;
        zq_blake3_update(&h, in + off, n);
        off += n;
      }
      zq_blake3_finalize(&h, got, sizeof(got));
      if (memcmp(want, got, sizeof(want)) != 0)
        fail_msg("%s split updates differ at len %zu", ops->name, lengths[k]);
    }
  }
  free(in);
}

/* Extended output: every length is a prefix of a longer one; finalize does not consume the state
 * (more input may follow); the 64-byte output blocks beyond the first are right. */
static void test_xof_prefixes_and_reuse(void **unused) {
  (void)unused;
  uint8_t long_out[4096], out[4096];
  ASSERT_OK(zquic_crypto_blake3("abc", 3, long_out, sizeof(long_out)));
  for (size_t len = 1; len <= 300; len += 7) {
    ASSERT_OK(zquic_crypto_blake3("abc", 3, out, len));
    assert_memory_equal(out, long_out, len);
  }
  zq_blake3 h;
  zq_blake3_init(&h, NULL);
  zq_blake3_update(&h, "ab", 2);
  zq_blake3_finalize(&h, out, 32);
  zq_blake3_update(&h, "c", 1);
  zq_blake3_finalize(&h, out, sizeof(out));
  assert_memory_equal(out, long_out, sizeof(out));
}

static void test_bad_arguments(void **unused) {
  (void)unused;
  uint8_t out[32], key[32] = {0};
  zquic_crypto_hash_state *st = NULL;
  size_t len;
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_blake3(NULL, 1, out, 32));
  ASSERT_OK(zquic_crypto_blake3(NULL, 0, out, 32));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_blake3("a", 1, NULL, 32));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_blake3("a", 1, out, 0));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_blake3_keyed(key, 31, "a", 1, out, 32));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_blake3_keyed(key, 33, "a", 1, out, 32));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_blake3_keyed(NULL, 32, "a", 1, out, 32));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_blake3_derive_key(NULL, "a", 1, out, 32));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_blake3_derive_key("ctx", NULL, 1, out, 32));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_blake3_init_keyed(key, 16, &st));
  assert_null(st);
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_blake3_init_keyed(key, 32, NULL));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_blake3_init_derive_key(NULL, &st));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_blake3_init_derive_key("ctx", NULL));
  ASSERT_OK(zquic_crypto_hash_init(ZQUIC_HASH_BLAKE3, &st));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_hash_final_xof(st, NULL, 10));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_hash_final_xof(st, out, 0));
  ASSERT_OK(zquic_crypto_hash_final_xof(st, out, 10));
  ASSERT_RC(ZQUIC_ERR_STATE, zquic_crypto_hash_final_xof(st, out, 10));
  ASSERT_RC(ZQUIC_ERR_STATE, zquic_crypto_hash_update(st, "a", 1));
  ASSERT_RC(ZQUIC_ERR_STATE, zquic_crypto_hash_final(st, out, sizeof(out), &len));
  zquic_crypto_hash_free(st);
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_hash_final_xof(NULL, out, 10));
  ASSERT_OK(zquic_crypto_hash_init(ZQUIC_HASH_SHA256, &st));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_hash_final_xof(st, out, 10));
  assert_true(strlen(zquic_last_error()) > 0);
  zquic_crypto_hash_free(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_vectors_every_path),
    cmocka_unit_test(test_dispatch_matches_cpu),
    cmocka_unit_test(test_vectors_streaming),
    cmocka_unit_test(test_public_api_vectors),
    cmocka_unit_test(test_paths_agree_on_large_inputs),
    cmocka_unit_test(test_xof_prefixes_and_reuse),
    cmocka_unit_test(test_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
