/*
 * test_crypto_sign.c — keys and signatures: RFC 8032 Ed25519 vectors, RFC 7748 X25519 vectors and
 * the all-zero shared secret, secp256k1 round trips in every encoding, RFC 6979 determinism,
 * recovery, low-S enforcement, Ethereum addresses of known keys and the EIP-55 examples, and
 * tampered or malformed input, which must fail with the right code and never crash.
 */
#include "crypto_test_util.h"

/* ---- Ed25519 ---- */

typedef struct ed_vector {
  const char *secret, *public_key, *msg, *sig;
} ed_vector;

static const ed_vector rfc8032[] = {
  {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
   "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
   "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b4"
   "6bd25bf5f0595bbe24655141438e7a100b"},
  {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
   "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
   "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d"
   "8c387b2eaeb4302aeeb00d291612bb0c00"},
};

static void test_ed25519_rfc8032(void **unused) {
  (void)unused;
  for (size_t i = 0; i < sizeof(rfc8032) / sizeof(rfc8032[0]); i++) {
    const ed_vector *v = &rfc8032[i];
    uint8_t seed[32], pk[32], msg[8], sig[64], full[64];
    size_t pk_len, sig_len;
    test_unhex(v->secret, seed, sizeof(seed));
    size_t msg_len = test_unhex(v->msg, msg, sizeof(msg));
    ASSERT_OK(zquic_crypto_keygen_from_seed(ZQUIC_KEY_ED25519, seed, 32, pk, sizeof(pk), &pk_len));
    assert_hex_equal(pk, pk_len, v->public_key);
    ASSERT_OK(zquic_crypto_sign(ZQUIC_KEY_ED25519, seed, 32, msg, msg_len, sig, sizeof(sig), &sig_len));
    assert_hex_equal(sig, sig_len, v->sig);
    /* libsodium's 64-byte secret (seed || public) signs the same. */
    memcpy(full, seed, 32);
    memcpy(full + 32, pk, 32);
    memset(sig, 0, sizeof(sig));
    ASSERT_OK(zquic_crypto_sign(ZQUIC_KEY_ED25519, full, 64, msg, msg_len, sig, sizeof(sig), &sig_len));
    assert_hex_equal(sig, sig_len, v->sig);
    ASSERT_OK(zquic_crypto_verify(ZQUIC_KEY_ED25519, pk, 32, msg, msg_len, sig, 64));
  }
}

/* Flip every bit of the signature and of the public key, and bits of the message: never valid. */
static void check_tampering(int type, const uint8_t *pk, size_t pk_len, const uint8_t *msg,
                            size_t msg_len, const uint8_t *sig, size_t sig_len) {
  uint8_t m[256], s[80], k[80];
  memcpy(m, msg, msg_len);
  memcpy(s, sig, sig_len);
  memcpy(k, pk, pk_len);
  ASSERT_OK(zquic_crypto_verify(type, k, pk_len, m, msg_len, s, sig_len));
  for (size_t bit = 0; bit < msg_len * 8; bit += 5) {
    m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    ASSERT_RC(ZQUIC_ERR_BAD_SIGNATURE, zquic_crypto_verify(type, k, pk_len, m, msg_len, s, sig_len));
    m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  }
  for (size_t bit = 0; bit < sig_len * 8; bit++) {
    s[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    ASSERT_RC(ZQUIC_ERR_BAD_SIGNATURE, zquic_crypto_verify(type, k, pk_len, m, msg_len, s, sig_len));
    s[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  }
  /* A flipped key bit gives either another valid key (the signature does not verify) or no key
   * at all (malformed); both are errors, and some of each must occur. */
  int bad_signature = 0, invalid_key = 0;
  for (size_t bit = 0; bit < pk_len * 8; bit++) {
    k[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    int rc = zquic_crypto_verify(type, k, pk_len, m, msg_len, s, sig_len);
    if (rc == ZQUIC_ERR_BAD_SIGNATURE) bad_signature++;
    else if (rc == ZQUIC_ERR_INVALID_KEY) invalid_key++;
    else fail_msg("flipped key bit %zu: rc %d (%s)", bit, rc, zquic_strerror(rc));
    k[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  }
  assert_true(bad_signature > 0);
  assert_true(invalid_key > 0);
  /* A message one byte longer or shorter. */
  ASSERT_RC(ZQUIC_ERR_BAD_SIGNATURE, zquic_crypto_verify(type, k, pk_len, m, msg_len - 1, s, sig_len));
}

static void test_ed25519_round_trip_and_tampering(void **unused) {
  (void)unused;
  uint8_t sk[32], pk[32], pk2[32], sig[64];
  size_t sk_len, pk_len, pk2_len, sig_len;
  const char *msg = "the GhostChain registry record for vitalik.eth";
  ASSERT_OK(zquic_crypto_keygen(ZQUIC_KEY_ED25519, sk, sizeof(sk), &sk_len, pk, sizeof(pk), &pk_len));
  assert_int_equal(sk_len, 32);
  assert_int_equal(pk_len, 32);
  ASSERT_OK(zquic_crypto_keygen_from_seed(ZQUIC_KEY_ED25519, sk, 32, pk2, sizeof(pk2), &pk2_len));
  assert_memory_equal(pk, pk2, 32);
  ASSERT_OK(zquic_crypto_sign(ZQUIC_KEY_ED25519, sk, 32, msg, strlen(msg), sig, sizeof(sig), &sig_len));
  check_tampering(ZQUIC_KEY_ED25519, pk, pk_len, (const uint8_t *)msg, strlen(msg), sig, sig_len);
  /* Another valid key. */
  ASSERT_OK(zquic_crypto_keygen(ZQUIC_KEY_ED25519, sk, sizeof(sk), &sk_len, pk2, sizeof(pk2), &pk2_len));
  ASSERT_RC(ZQUIC_ERR_BAD_SIGNATURE, zquic_crypto_verify(ZQUIC_KEY_ED25519, pk2, 32, msg, strlen(msg), sig, 64));
  /* The identity point is a small-order key: malformed, whatever the signature. */
  uint8_t identity[32] = {1};
  ASSERT_RC(ZQUIC_ERR_INVALID_KEY, zquic_crypto_verify(ZQUIC_KEY_ED25519, identity, 32, msg, strlen(msg), sig, 64));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_verify(ZQUIC_KEY_ED25519, pk, 31, msg, strlen(msg), sig, 64));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_verify(ZQUIC_KEY_ED25519, pk, 33, msg, strlen(msg), sig, 64));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_verify(ZQUIC_KEY_ED25519, pk, 32, msg, strlen(msg), sig, 63));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_verify(ZQUIC_KEY_ED25519, pk, 32, msg, strlen(msg), sig, 65));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_sign(ZQUIC_KEY_ED25519, sk, 31, msg, 1, sig, sizeof(sig), &sig_len));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_sign(ZQUIC_KEY_ED25519, sk, 32, msg, 1, sig, 63, &sig_len));
}

/* ---- X25519 ---- */

static void x25519_expect(const char *secret_hex, const char *peer_hex, const char *want_hex) {
  uint8_t secret[32], peer[32], shared[32];
  size_t len;
  test_unhex(secret_hex, secret, sizeof(secret));
  test_unhex(peer_hex, peer, sizeof(peer));
  ASSERT_OK(zquic_crypto_x25519(secret, 32, peer, 32, shared, sizeof(shared), &len));
  assert_hex_equal(shared, len, want_hex);
}

static void test_x25519_rfc7748(void **unused) {
  (void)unused;
  /* Section 5.2. */
  x25519_expect("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
                "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
                "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
  x25519_expect("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
                "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
                "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
  /* Section 6.1: both sides derive their public keys and agree. */
  const char *alice = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
  const char *bob = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
  uint8_t secret[32], pk[32];
  size_t len;
  test_unhex(alice, secret, sizeof(secret));
  ASSERT_OK(zquic_crypto_keygen_from_seed(ZQUIC_KEY_X25519, secret, 32, pk, sizeof(pk), &len));
  assert_hex_equal(pk, len, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  test_unhex(bob, secret, sizeof(secret));
  ASSERT_OK(zquic_crypto_keygen_from_seed(ZQUIC_KEY_X25519, secret, 32, pk, sizeof(pk), &len));
  assert_hex_equal(pk, len, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  const char *shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
  x25519_expect(alice, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", shared);
  x25519_expect(bob, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", shared);
}

static void test_x25519_random_agreement_and_zero(void **unused) {
  (void)unused;
  uint8_t a_sk[32], a_pk[32], b_sk[32], b_pk[32], s1[32], s2[32];
  size_t n;
  ASSERT_OK(zquic_crypto_keygen(ZQUIC_KEY_X25519, a_sk, 32, &n, a_pk, 32, &n));
  ASSERT_OK(zquic_crypto_keygen(ZQUIC_KEY_X25519, b_sk, 32, &n, b_pk, 32, &n));
  ASSERT_OK(zquic_crypto_x25519(a_sk, 32, b_pk, 32, s1, sizeof(s1), &n));
  ASSERT_OK(zquic_crypto_x25519(b_sk, 32, a_pk, 32, s2, sizeof(s2), &n));
  assert_memory_equal(s1, s2, 32);
  /* Low-order peer points (0 and 1) force an all-zero secret: refused. */
  uint8_t zero[32] = {0}, one[32] = {1};
  memset(s1, 0xAA, sizeof(s1));
  ASSERT_RC(ZQUIC_ERR_INVALID_KEY, zquic_crypto_x25519(a_sk, 32, zero, 32, s1, sizeof(s1), &n));
  ASSERT_RC(ZQUIC_ERR_INVALID_KEY, zquic_crypto_x25519(a_sk, 32, one, 32, s1, sizeof(s1), &n));
  assert_int_equal(s1[0], 0xAA); /* nothing written */
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_x25519(a_sk, 31, b_pk, 32, s1, 32, &n));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_x25519(a_sk, 32, b_pk, 33, s1, 32, &n));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_x25519(a_sk, 32, b_pk, 32, s1, 31, &n));
  /* X25519 keys do not sign. */
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_sign(ZQUIC_KEY_X25519, a_sk, 32, "m", 1, s1, 64, &n));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_verify(ZQUIC_KEY_X25519, a_pk, 32, "m", 1, s1, 64));
}

/* ---- every function with NULL pointers: an error code and a detail, never a crash ---- */

static void expect_null_rejected(int rc, const char *call) {
  if (rc != ZQUIC_ERR_INVALID_ARGUMENT)
    fail_msg("%s with NULL returned %d (%s)", call, rc, zquic_strerror(rc));
  if (zquic_last_error()[0] == '\0') fail_msg("%s with NULL left no error detail", call);
}

#define NULL_CASE(expr) expect_null_rejected((expr), #expr)

static void test_null_arguments_everywhere(void **unused) {
  (void)unused;
  uint8_t b[128] = {1}, d[32] = {1};
  size_t n;
  char text[64];
  zquic_crypto_hash_state *st = NULL;
  NULL_CASE(zquic_crypto_random(NULL, 4));
  NULL_CASE(zquic_crypto_keygen(ZQUIC_KEY_ED25519, NULL, 32, &n, b, 32, &n));
  NULL_CASE(zquic_crypto_keygen(ZQUIC_KEY_ED25519, b, 32, NULL, b + 32, 32, &n));
  NULL_CASE(zquic_crypto_keygen(ZQUIC_KEY_SECP256K1, b, 32, &n, NULL, 33, &n));
  NULL_CASE(zquic_crypto_keygen(ZQUIC_KEY_X25519, b, 32, &n, b + 32, 32, NULL));
  NULL_CASE(zquic_crypto_keygen_from_seed(ZQUIC_KEY_ED25519, NULL, 32, b, 32, &n));
  NULL_CASE(zquic_crypto_keygen_from_seed(ZQUIC_KEY_ED25519, d, 32, NULL, 32, &n));
  NULL_CASE(zquic_crypto_keygen_from_seed(ZQUIC_KEY_ED25519, d, 32, b, 32, NULL));
  for (int type = ZQUIC_KEY_ED25519; type <= ZQUIC_KEY_SECP256K1; type++) {
    NULL_CASE(zquic_crypto_sign(type, NULL, 32, "m", 1, b, 64, &n));
    NULL_CASE(zquic_crypto_sign(type, d, 32, NULL, 1, b, 64, &n));
    NULL_CASE(zquic_crypto_sign(type, d, 32, "m", 1, NULL, 64, &n));
    NULL_CASE(zquic_crypto_sign(type, d, 32, "m", 1, b, 64, NULL));
    NULL_CASE(zquic_crypto_verify(type, NULL, 33, "m", 1, b, 64));
    NULL_CASE(zquic_crypto_verify(type, b, 33, NULL, 1, b, 64));
    NULL_CASE(zquic_crypto_verify(type, b, 33, "m", 1, NULL, 64));
  }
  NULL_CASE(zquic_crypto_x25519(NULL, 32, d, 32, b, 32, &n));
  NULL_CASE(zquic_crypto_x25519(d, 32, NULL, 32, b, 32, &n));
  NULL_CASE(zquic_crypto_x25519(d, 32, d, 32, NULL, 32, &n));
  NULL_CASE(zquic_crypto_x25519(d, 32, d, 32, b, 32, NULL));
  NULL_CASE(zquic_crypto_secp256k1_sign(NULL, 32, d, 32, ZQUIC_SIG_DER, b, 72, &n));
  NULL_CASE(zquic_crypto_secp256k1_sign(d, 32, NULL, 32, ZQUIC_SIG_DER, b, 72, &n));
  NULL_CASE(zquic_crypto_secp256k1_sign(d, 32, d, 32, ZQUIC_SIG_DER, NULL, 72, &n));
  NULL_CASE(zquic_crypto_secp256k1_sign(d, 32, d, 32, ZQUIC_SIG_DER, b, 72, NULL));
  NULL_CASE(zquic_crypto_secp256k1_verify(NULL, 33, d, 32, b, 64, ZQUIC_SIG_COMPACT));
  NULL_CASE(zquic_crypto_secp256k1_verify(b, 33, NULL, 32, b, 64, ZQUIC_SIG_COMPACT));
  NULL_CASE(zquic_crypto_secp256k1_verify(b, 33, d, 32, NULL, 64, ZQUIC_SIG_COMPACT));
  NULL_CASE(zquic_crypto_secp256k1_recover(NULL, 32, b, 65, 1, b, 33, &n));
  NULL_CASE(zquic_crypto_secp256k1_recover(d, 32, NULL, 65, 1, b, 33, &n));
  NULL_CASE(zquic_crypto_secp256k1_pubkey_convert(NULL, 33, 0, b, 65, &n));
  NULL_CASE(zquic_crypto_eth_address(NULL, 33, b, 20, text, sizeof(text)));
  NULL_CASE(zquic_crypto_eth_address(b, 33, NULL, 20, NULL, 0));
  NULL_CASE(zquic_crypto_eth_address_text(NULL, 20, text, sizeof(text)));
  NULL_CASE(zquic_crypto_eth_address_text(b, 20, NULL, 43));
  NULL_CASE(zquic_crypto_ens_namehash(NULL, b, 32));
  NULL_CASE(zquic_crypto_hash(ZQUIC_HASH_SHA256, NULL, 1, b, 32, &n));
  NULL_CASE(zquic_crypto_hash_init(ZQUIC_HASH_SHA256, NULL));
  NULL_CASE(zquic_crypto_hash_update(NULL, "a", 1));
  NULL_CASE(zquic_crypto_hash_final(NULL, b, 32, &n));
  NULL_CASE(zquic_crypto_hash_final_xof(NULL, b, 32));
  NULL_CASE(zquic_crypto_blake3(NULL, 1, b, 32));
  NULL_CASE(zquic_crypto_blake3_keyed(NULL, 32, "a", 1, b, 32));
  NULL_CASE(zquic_crypto_blake3_derive_key(NULL, "a", 1, b, 32));
  NULL_CASE(zquic_crypto_blake3_init_keyed(NULL, 32, &st));
  NULL_CASE(zquic_crypto_blake3_init_derive_key(NULL, &st));
  NULL_CASE(zquic_crypto_hex_encode(NULL, 1, text, sizeof(text)));
  NULL_CASE(zquic_crypto_hex_encode(b, 1, NULL, 3));
  NULL_CASE(zquic_crypto_hex_decode(NULL, 2, b, 1, &n));
  NULL_CASE(zquic_crypto_hex_decode("00", 2, NULL, 1, &n));
  NULL_CASE(zquic_crypto_hex_decode("00", 2, b, 1, NULL));
  zquic_crypto_memzero(NULL, 10);
  zquic_crypto_hash_free(NULL);
  /* Unknown key types. */
  NULL_CASE(zquic_crypto_keygen(0, b, 32, &n, b + 32, 33, &n));
  NULL_CASE(zquic_crypto_keygen(4, b, 32, &n, b + 32, 33, &n));
  NULL_CASE(zquic_crypto_sign(-1, d, 32, "m", 1, b, 64, &n));
  NULL_CASE(zquic_crypto_verify(9, b, 32, "m", 1, b, 64));
}

static void test_init_random_memzero(void **unused) {
  (void)unused;
  ASSERT_OK(zquic_crypto_init());
  ASSERT_OK(zquic_crypto_init());
  uint8_t a[32] = {0}, b[32] = {0}, zero[32] = {0};
  ASSERT_OK(zquic_crypto_random(a, sizeof(a)));
  ASSERT_OK(zquic_crypto_random(b, sizeof(b)));
  assert_memory_not_equal(a, b, sizeof(a));
  assert_memory_not_equal(a, zero, sizeof(a));
  zquic_crypto_memzero(a, sizeof(a));
  assert_memory_equal(a, zero, sizeof(a));
  ASSERT_OK(zquic_crypto_random(NULL, 0));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_init_random_memzero),
    cmocka_unit_test(test_ed25519_rfc8032),
    cmocka_unit_test(test_ed25519_round_trip_and_tampering),
    cmocka_unit_test(test_x25519_rfc7748),
    cmocka_unit_test(test_x25519_random_agreement_and_zero),
    cmocka_unit_test(test_null_arguments_everywhere),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
