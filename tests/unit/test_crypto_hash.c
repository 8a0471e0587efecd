/*
 * test_crypto_hash.c — SHA-256, SHA-512, SHA3-256 (NIST "abc" and empty-string answers), BLAKE2b,
 * Keccak-256 and ENS namehash against ../shared/testdata/ens_keccak_vectors.json (read at run
 * time from $ZQUIC_ENS_VECTORS), streaming equal to one-shot for every algorithm, and the
 * argument checks of the hash calls.
 */
#include "crypto_test_util.h"

static const int all_types[] = {ZQUIC_HASH_BLAKE3,      ZQUIC_HASH_SHA256,    ZQUIC_HASH_SHA3_256,
                                ZQUIC_HASH_BLAKE2B_256, ZQUIC_HASH_KECCAK256, ZQUIC_HASH_SHA512};

static void check_hash(int type, const char *input, const char *want_hex) {
  uint8_t out[ZQUIC_HASH_MAX_LEN];
  size_t len = 0;
  ASSERT_OK(zquic_crypto_hash(type, input, strlen(input), out, sizeof(out), &len));
  assert_hex_equal(out, len, want_hex);
}

static void test_known_answers(void **unused) {
  (void)unused;
  /* FIPS 180-2 / FIPS 202 examples. */
  check_hash(ZQUIC_HASH_SHA256, "abc",
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  check_hash(ZQUIC_HASH_SHA256, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  check_hash(ZQUIC_HASH_SHA256, "",
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  check_hash(ZQUIC_HASH_SHA512, "abc",
             "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
             "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  check_hash(ZQUIC_HASH_SHA3_256, "abc",
             "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532");
  check_hash(ZQUIC_HASH_SHA3_256, "",
             "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
  /* BLAKE2b with a 32-byte digest (RFC 7693 parameters; same as Python's
   * hashlib.blake2b(b"abc", digest_size=32)). */
  check_hash(ZQUIC_HASH_BLAKE2B_256, "abc",
             "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
  check_hash(ZQUIC_HASH_BLAKE3, "",
             "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
}

/* Keccak-256 must differ from SHA3-256 on the same input: the padding byte is the whole point. */
static void test_keccak_vectors(void **unused) {
  (void)unused;
  json_t *root = load_vectors("ZQUIC_ENS_VECTORS");
  json_t *cases = json_object_get(root, "keccak256");
  assert_true(json_array_size(cases) >= 4);
  for (size_t i = 0; i < json_array_size(cases); i++) {
    json_t *c = json_array_get(cases, i);
    check_hash(ZQUIC_HASH_KECCAK256, json_string_value(json_object_get(c, "input_utf8")),
               json_string_value(json_object_get(c, "hex")));
  }
  cases = json_object_get(root, "sha3_256_for_contrast");
  for (size_t i = 0; i < json_array_size(cases); i++) {
    json_t *c = json_array_get(cases, i);
    check_hash(ZQUIC_HASH_SHA3_256, json_string_value(json_object_get(c, "input_utf8")),
               json_string_value(json_object_get(c, "hex")));
  }
  /* labelhash = keccak256(label); selectors are its first 4 bytes. */
  cases = json_object_get(root, "labelhash");
  for (size_t i = 0; i < json_array_size(cases); i++) {
    json_t *c = json_array_get(cases, i);
    check_hash(ZQUIC_HASH_KECCAK256, json_string_value(json_object_get(c, "label")),
               json_string_value(json_object_get(c, "hex")));
  }
  const char *signature;
  json_t *selector;
  size_t checked = 0;
  json_object_foreach(json_object_get(root, "selectors"), signature, selector) {
    uint8_t out[32];
    size_t len;
    ASSERT_OK(zquic_crypto_hash(ZQUIC_HASH_KECCAK256, signature, strlen(signature), out,
                                sizeof(out), &len));
    assert_hex_equal(out, 4, json_string_value(selector));
    checked++;
  }
  assert_true(checked >= 20);
  json_decref(root);
}

static void test_ens_namehash_vectors(void **unused) {
  (void)unused;
  json_t *root = load_vectors("ZQUIC_ENS_VECTORS");
  json_t *cases = json_object_get(root, "namehash");
  assert_true(json_array_size(cases) >= 8);
  for (size_t i = 0; i < json_array_size(cases); i++) {
    json_t *c = json_array_get(cases, i);
    uint8_t node[32];
    ASSERT_OK(zquic_crypto_ens_namehash(json_string_value(json_object_get(c, "name")), node,
                                        sizeof(node)));
    assert_hex_equal(node, sizeof(node), json_string_value(json_object_get(c, "hex")));
  }
  json_decref(root);
  uint8_t node[32];
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_ens_namehash("a..eth", node, sizeof(node)));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_ens_namehash(".eth", node, sizeof(node)));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_ens_namehash("eth.", node, sizeof(node)));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_ens_namehash(NULL, node, sizeof(node)));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_ens_namehash("eth", NULL, 32));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_ens_namehash("eth", node, 31));
}

/* Every algorithm: pieces of every size add up to the one-shot digest, across block boundaries
 * (64, 128, 136 and 1024 bytes). */
static void test_streaming_equals_one_shot(void **unused) {
  (void)unused;
  static uint8_t data[5000];
  for (size_t i = 0; i < sizeof(data); i++) data[i] = (uint8_t)(i * 7 + 3);
  static const size_t pieces[] = {1, 3, 64, 135, 136, 137, 1000, 5000};
  for (size_t t = 0; t < sizeof(all_types) / sizeof(all_types[0]); t++) {
    uint8_t want[64], got[64];
    size_t want_len, got_len;
    ASSERT_OK(zquic_crypto_hash(all_types[t], data, sizeof(data), want, sizeof(want), &want_len));
    assert_int_equal(want_len, zquic_crypto_hash_length(all_types[t]));
    for (size_t k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++) {
      zquic_crypto_hash_state *st = NULL;
      ASSERT_OK(zquic_crypto_hash_init(all_types[t], &st));
      for (size_t off = 0; off < sizeof(data); off += pieces[k]) {
        size_t n = sizeof(data) - off < pieces[k] ? sizeof(data) - off : pieces[k];
        ASSERT_OK(zquic_crypto_hash_update(st, data + off, n));
        ASSERT_OK(zquic_crypto_hash_update(st, NULL, 0));
      }
      ASSERT_OK(zquic_crypto_hash_final(st, got, sizeof(got), &got_len));
      assert_int_equal(got_len, want_len);
      assert_memory_equal(got, want, want_len);
      ASSERT_RC(ZQUIC_ERR_STATE, zquic_crypto_hash_update(st, data, 1));
      zquic_crypto_hash_free(st);
    }
  }
}

static void test_bad_arguments(void **unused) {
  (void)unused;
  uint8_t out[64];
  size_t len = 99;
  zquic_crypto_hash_state *st = (zquic_crypto_hash_state *)&len;
  assert_int_equal(zquic_crypto_hash_length(0), 0);
  assert_int_equal(zquic_crypto_hash_length(7), 0);
  assert_int_equal(zquic_crypto_hash_length(ZQUIC_HASH_SHA512), 64);
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_hash(0, "a", 1, out, sizeof(out), &len));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_hash(99, "a", 1, out, sizeof(out), &len));
  assert_true(strstr(zquic_last_error(), "unknown hash type") != NULL);
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_hash(ZQUIC_HASH_SHA256, NULL, 1, out, 32, &len));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_hash(ZQUIC_HASH_SHA256, "a", 1, NULL, 32, &len));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_hash(ZQUIC_HASH_SHA256, "a", 1, out, 31, &len));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_hash(ZQUIC_HASH_SHA512, "a", 1, out, 63, &len));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_hash(ZQUIC_HASH_SHA256, "a", 1, out, 32, NULL));
  assert_int_equal(len, 99); /* nothing written on failure */
  ASSERT_OK(zquic_crypto_hash(ZQUIC_HASH_SHA256, NULL, 0, out, 32, &len));
  assert_string_equal(zquic_last_error(), ""); /* success clears the detail */
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_hash_init(42, &st));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_hash_init(ZQUIC_HASH_SHA256, NULL));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_hash_update(NULL, "a", 1));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_hash_final(NULL, out, 32, &len));
  ASSERT_OK(zquic_crypto_hash_init(ZQUIC_HASH_SHA512, &st));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_hash_update(st, NULL, 5));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_hash_final(st, out, 32, &len));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_hash_final(st, NULL, 64, &len));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_hash_final(st, out, 64, NULL));
  ASSERT_OK(zquic_crypto_hash_final(st, out, 64, &len));
  assert_int_equal(len, 64);
  zquic_crypto_hash_free(st);
  zquic_crypto_hash_free(NULL);
}

static void test_hex(void **unused) {
  (void)unused;
  uint8_t out[8];
  size_t len = 0;
  char text[17];
  ASSERT_OK(zquic_crypto_hex_decode(" 0xDEADbeef\n", 12, out, sizeof(out), &len));
  assert_int_equal(len, 4);
  ASSERT_OK(zquic_crypto_hex_encode(out, len, text, sizeof(text)));
  assert_string_equal(text, "deadbeef");
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_hex_encode(out, 4, text, 8));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_hex_decode("abc", 3, out, sizeof(out), &len));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_hex_decode("zz", 2, out, sizeof(out), &len));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_hex_decode("ab cd", 5, out, sizeof(out), &len));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_hex_decode("0x0x00", 6, out, sizeof(out), &len));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT,
            zquic_crypto_hex_decode("000102030405060708", 18, out, sizeof(out), &len));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_hex_decode(NULL, 2, out, sizeof(out), &len));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_hex_decode("00", 2, out, sizeof(out), NULL));
  ASSERT_OK(zquic_crypto_hex_decode("\n", 1, out, sizeof(out), &len));
  assert_int_equal(len, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_known_answers),
    cmocka_unit_test(test_keccak_vectors),
    cmocka_unit_test(test_ens_namehash_vectors),
    cmocka_unit_test(test_streaming_equals_one_shot),
    cmocka_unit_test(test_bad_arguments),
    cmocka_unit_test(test_hex),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
