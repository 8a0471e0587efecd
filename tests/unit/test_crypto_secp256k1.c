/*
 * test_crypto_secp256k1.c — secp256k1 through the public API: known keys and their Ethereum
 * addresses, the EIP-55 examples, an RFC 6979 deterministic signature, compact/DER/recoverable
 * round trips with recovery, low-S enforcement, tampering, off-curve points, out-of-range scalars
 * and wrong lengths.
 */
#include "crypto_test_util.h"

static const char *const group_order =
  "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";

static void scalar_from_int(uint8_t out[32], unsigned value) {
  memset(out, 0, 32);
  out[31] = (uint8_t)value;
  out[30] = (uint8_t)(value >> 8);
}

static void test_known_keys_and_addresses(void **unused) {
  (void)unused;
  static const struct {
    unsigned secret;
    const char *address;
  } known[] = {
    {1, "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"},
    {2, "0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF"},
    {3, "0x6813Eb9362372EEF6200f3b1dbC3f819671cBA69"},
  };
  for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
    uint8_t secret[32], pk[65], full[65], address[20];
    size_t pk_len, full_len;
    char text[ZQUIC_ETH_ADDRESS_TEXT_LEN];
    scalar_from_int(secret, known[i].secret);
    ASSERT_OK(zquic_crypto_keygen_from_seed(ZQUIC_KEY_SECP256K1, secret, 32, pk, sizeof(pk), &pk_len));
    assert_int_equal(pk_len, 33);
    if (known[i].secret == 1) /* 1 * G = G */
      assert_hex_equal(pk, pk_len, "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
    ASSERT_OK(zquic_crypto_eth_address(pk, pk_len, address, sizeof(address), text, sizeof(text)));
    assert_string_equal(text, known[i].address);
    assert_hex_equal(address, 20, known[i].address);
    /* The same address from the uncompressed key. */
    ASSERT_OK(zquic_crypto_secp256k1_pubkey_convert(pk, 33, 0, full, sizeof(full), &full_len));
    assert_int_equal(full_len, 65);
    assert_int_equal(full[0], 4);
    memset(text, 0, sizeof(text));
    ASSERT_OK(zquic_crypto_eth_address(full, 65, NULL, 0, text, sizeof(text)));
    assert_string_equal(text, known[i].address);
    uint8_t back[33];
    size_t back_len;
    ASSERT_OK(zquic_crypto_secp256k1_pubkey_convert(full, 65, 1, back, sizeof(back), &back_len));
    assert_memory_equal(back, pk, 33);
  }
}

static void test_eip55_examples(void **unused) {
  (void)unused;
  static const char *const examples[] = {
    "0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
  };
  for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
    uint8_t address[20];
    char text[ZQUIC_ETH_ADDRESS_TEXT_LEN];
    test_unhex(examples[i], address, sizeof(address));
    ASSERT_OK(zquic_crypto_eth_address_text(address, 20, text, sizeof(text)));
    assert_string_equal(text, examples[i]);
  }
  uint8_t address[20] = {0};
  char text[64];
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_eth_address_text(address, 19, text, sizeof(text)));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_eth_address_text(address, 20, text, 42));
}

/* Private key 1, SHA-256("Satoshi Nakamoto"): the widely published RFC 6979 secp256k1 example. */
static void test_rfc6979_deterministic(void **unused) {
  (void)unused;
  uint8_t secret[32], sig[64], again[64];
  size_t len;
  scalar_from_int(secret, 1);
  const char *msg = "Satoshi Nakamoto";
  ASSERT_OK(zquic_crypto_sign(ZQUIC_KEY_SECP256K1, secret, 32, msg, strlen(msg), sig, sizeof(sig), &len));
  assert_hex_equal(sig, len,
                   "934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8"
                   "2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5");
  ASSERT_OK(zquic_crypto_sign(ZQUIC_KEY_SECP256K1, secret, 32, msg, strlen(msg), again, sizeof(again), &len));
  assert_memory_equal(sig, again, 64);
}

/* s -> n - s: the same signature in its high-S form. */
static void negate_s(uint8_t s[32]) {
  uint8_t n[32];
  test_unhex(group_order, n, sizeof(n));
  int borrow = 0;
  for (int i = 31; i >= 0; i--) {
    int d = n[i] - s[i] - borrow;
    borrow = d < 0;
    s[i] = (uint8_t)(d + (borrow ? 256 : 0));
  }
}

static void test_round_trips_and_recovery(void **unused) {
  (void)unused;
  uint8_t sk[32], pk[33], digest[32], sig[72], rec[65];
  size_t sk_len, pk_len, sig_len, rec_len, digest_len;
  const char *msg = "transfer 1 GHOST to alice.ghost";
  ASSERT_OK(zquic_crypto_keygen(ZQUIC_KEY_SECP256K1, sk, sizeof(sk), &sk_len, pk, sizeof(pk), &pk_len));
  assert_int_equal(pk_len, 33);
  assert_true(pk[0] == 2 || pk[0] == 3);
  ASSERT_OK(zquic_crypto_hash(ZQUIC_HASH_KECCAK256, msg, strlen(msg), digest, sizeof(digest), &digest_len));

  ASSERT_OK(zquic_crypto_secp256k1_sign(sk, 32, digest, 32, ZQUIC_SIG_COMPACT, sig, sizeof(sig), &sig_len));
  assert_int_equal(sig_len, 64);
  ASSERT_OK(zquic_crypto_secp256k1_verify(pk, 33, digest, 32, sig, 64, ZQUIC_SIG_COMPACT));
  uint8_t compact[64];
  memcpy(compact, sig, 64);

  ASSERT_OK(zquic_crypto_secp256k1_sign(sk, 32, digest, 32, ZQUIC_SIG_DER, sig, sizeof(sig), &sig_len));
  assert_true(sig_len >= 8 && sig_len <= 72);
  assert_int_equal(sig[0], 0x30);
  ASSERT_OK(zquic_crypto_secp256k1_verify(pk, 33, digest, 32, sig, sig_len, ZQUIC_SIG_DER));
  ASSERT_RC(ZQUIC_ERR_BAD_SIGNATURE, zquic_crypto_secp256k1_verify(pk, 33, digest, 32, sig, sig_len - 1, ZQUIC_SIG_DER));

  ASSERT_OK(zquic_crypto_secp256k1_sign(sk, 32, digest, 32, ZQUIC_SIG_RECOVERABLE, sig, sizeof(sig), &sig_len));
  assert_int_equal(sig_len, 65);
  assert_true(sig[64] <= 3);
  assert_memory_equal(sig, compact, 64); /* same RFC 6979 nonce */
  ASSERT_OK(zquic_crypto_secp256k1_verify(pk, 33, digest, 32, sig, 65, ZQUIC_SIG_RECOVERABLE));
  ASSERT_OK(zquic_crypto_secp256k1_recover(digest, 32, sig, 65, 1, rec, sizeof(rec), &rec_len));
  assert_int_equal(rec_len, 33);
  assert_memory_equal(rec, pk, 33);
  sig[64] += 27; /* Ethereum's v */
  ASSERT_OK(zquic_crypto_secp256k1_recover(digest, 32, sig, 65, 0, rec, sizeof(rec), &rec_len));
  assert_int_equal(rec_len, 65);
  uint8_t full[65];
  size_t full_len;
  ASSERT_OK(zquic_crypto_secp256k1_pubkey_convert(pk, 33, 0, full, sizeof(full), &full_len));
  assert_memory_equal(rec, full, 65);
  sig[64] = 31;
  ASSERT_RC(ZQUIC_ERR_BAD_SIGNATURE, zquic_crypto_secp256k1_recover(digest, 32, sig, 65, 1, rec, sizeof(rec), &rec_len));
  /* Another digest recovers another key (or none), never ours. */
  sig[64] -= 4;
  digest[0] ^= 1;
  int rc = zquic_crypto_secp256k1_recover(digest, 32, sig, 65, 1, rec, sizeof(rec), &rec_len);
  assert_true(rc == ZQUIC_ERR_BAD_SIGNATURE || (rc == ZQUIC_OK && memcmp(rec, pk, 33) != 0));
}

static void test_generic_sign_verify_and_tampering(void **unused) {
  (void)unused;
  uint8_t sk[32], pk[33], sig[64], other_pk[33];
  size_t n, sig_len;
  const char *msg = "ZNS record: alice.ghost A 192.0.2.7";
  ASSERT_OK(zquic_crypto_keygen(ZQUIC_KEY_SECP256K1, sk, 32, &n, pk, 33, &n));
  ASSERT_OK(zquic_crypto_sign(ZQUIC_KEY_SECP256K1, sk, 32, msg, strlen(msg), sig, sizeof(sig), &sig_len));
  assert_int_equal(sig_len, 64);
  ASSERT_OK(zquic_crypto_verify(ZQUIC_KEY_SECP256K1, pk, 33, msg, strlen(msg), sig, 64));
  uint8_t s_copy[64];
  memcpy(s_copy, sig, 64);
  for (size_t bit = 0; bit < 512; bit++) {
    s_copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    ASSERT_RC(ZQUIC_ERR_BAD_SIGNATURE, zquic_crypto_verify(ZQUIC_KEY_SECP256K1, pk, 33, msg, strlen(msg), s_copy, 64));
    s_copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  }
  char m[64];
  snprintf(m, sizeof(m), "%s", msg);
  m[3] ^= 0x20;
  ASSERT_RC(ZQUIC_ERR_BAD_SIGNATURE, zquic_crypto_verify(ZQUIC_KEY_SECP256K1, pk, 33, m, strlen(m), sig, 64));
  ASSERT_OK(zquic_crypto_keygen(ZQUIC_KEY_SECP256K1, sk, 32, &n, other_pk, 33, &n));
  ASSERT_RC(ZQUIC_ERR_BAD_SIGNATURE, zquic_crypto_verify(ZQUIC_KEY_SECP256K1, other_pk, 33, msg, strlen(msg), sig, 64));
  /* A flipped key bit: another point (bad signature) or none (invalid key), never valid. */
  int bad = 0, invalid = 0;
  for (size_t bit = 0; bit < 33 * 8; bit++) {
    uint8_t k[33];
    memcpy(k, pk, 33);
    k[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    int rc = zquic_crypto_verify(ZQUIC_KEY_SECP256K1, k, 33, msg, strlen(msg), sig, 64);
    if (rc == ZQUIC_ERR_BAD_SIGNATURE) bad++;
    else if (rc == ZQUIC_ERR_INVALID_KEY) invalid++;
    else fail_msg("flipped key bit %zu gave %d", bit, rc);
  }
  assert_true(bad > 0 && invalid > 0);
  /* High S: mathematically valid, but only the low-S form is accepted. */
  memcpy(s_copy, sig, 64);
  negate_s(s_copy + 32);
  assert_memory_not_equal(s_copy, sig, 64);
  ASSERT_RC(ZQUIC_ERR_BAD_SIGNATURE, zquic_crypto_verify(ZQUIC_KEY_SECP256K1, pk, 33, msg, strlen(msg), s_copy, 64));
  /* Our signatures are low-S: s < n/2, i.e. the top bit of s is clear for sure. */
  assert_true(sig[32] < 0x80);
}

static void test_malformed_keys(void **unused) {
  (void)unused;
  uint8_t secret[32], pk[65], out[65], sig[72], digest[32] = {7};
  size_t n;
  /* Zero scalar and scalars >= n. */
  memset(secret, 0, 32);
  ASSERT_RC(ZQUIC_ERR_INVALID_KEY, zquic_crypto_keygen_from_seed(ZQUIC_KEY_SECP256K1, secret, 32, pk, 33, &n));
  ASSERT_RC(ZQUIC_ERR_INVALID_KEY, zquic_crypto_sign(ZQUIC_KEY_SECP256K1, secret, 32, "m", 1, sig, 64, &n));
  ASSERT_RC(ZQUIC_ERR_INVALID_KEY, zquic_crypto_secp256k1_sign(secret, 32, digest, 32, ZQUIC_SIG_DER, sig, 72, &n));
  test_unhex(group_order, secret, sizeof(secret));
  ASSERT_RC(ZQUIC_ERR_INVALID_KEY, zquic_crypto_keygen_from_seed(ZQUIC_KEY_SECP256K1, secret, 32, pk, 33, &n));
  memset(secret, 0xff, 32);
  ASSERT_RC(ZQUIC_ERR_INVALID_KEY, zquic_crypto_sign(ZQUIC_KEY_SECP256K1, secret, 32, "m", 1, sig, 64, &n));
  /* Off-curve: G with one bit of y flipped; x = p (not a field element); bad prefix. */
  scalar_from_int(secret, 1);
  ASSERT_OK(zquic_crypto_keygen_from_seed(ZQUIC_KEY_SECP256K1, secret, 32, out, 33, &n));
  ASSERT_OK(zquic_crypto_secp256k1_pubkey_convert(out, 33, 0, pk, sizeof(pk), &n));
  ASSERT_OK(zquic_crypto_sign(ZQUIC_KEY_SECP256K1, secret, 32, "m", 1, sig, 64, &n));
  pk[64] ^= 1;
  ASSERT_RC(ZQUIC_ERR_INVALID_KEY, zquic_crypto_secp256k1_pubkey_convert(pk, 65, 1, out, sizeof(out), &n));
  ASSERT_RC(ZQUIC_ERR_INVALID_KEY, zquic_crypto_verify(ZQUIC_KEY_SECP256K1, pk, 65, "m", 1, sig, 64));
  ASSERT_RC(ZQUIC_ERR_INVALID_KEY, zquic_crypto_eth_address(pk, 65, out, 20, NULL, 0));
  test_unhex("02fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f", pk, sizeof(pk));
  ASSERT_RC(ZQUIC_ERR_INVALID_KEY, zquic_crypto_secp256k1_pubkey_convert(pk, 33, 1, out, sizeof(out), &n));
  pk[0] = 0x05;
  ASSERT_RC(ZQUIC_ERR_INVALID_KEY, zquic_crypto_verify(ZQUIC_KEY_SECP256K1, pk, 33, "m", 1, sig, 64));
  /* Wrong lengths. */
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_verify(ZQUIC_KEY_SECP256K1, pk, 32, "m", 1, sig, 64));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_verify(ZQUIC_KEY_SECP256K1, pk, 64, "m", 1, sig, 64));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_secp256k1_pubkey_convert(pk, 34, 1, out, sizeof(out), &n));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_sign(ZQUIC_KEY_SECP256K1, secret, 31, "m", 1, sig, 64, &n));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_secp256k1_sign(secret, 32, digest, 31, ZQUIC_SIG_COMPACT, sig, 64, &n));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_secp256k1_sign(secret, 32, digest, 32, ZQUIC_SIG_DER, sig, 71, &n));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_secp256k1_sign(secret, 32, digest, 32, ZQUIC_SIG_RECOVERABLE, sig, 64, &n));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_secp256k1_sign(secret, 32, digest, 32, 0, sig, 72, &n));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_secp256k1_sign(secret, 32, digest, 32, 4, sig, 72, &n));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_secp256k1_verify(out, 33, digest, 32, sig, 63, ZQUIC_SIG_COMPACT));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_secp256k1_verify(out, 33, digest, 32, sig, 64, 7));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_secp256k1_recover(digest, 32, sig, 64, 1, out, 65, &n));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_secp256k1_recover(digest, 32, sig, 65, 1, out, 32, &n));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_keygen(ZQUIC_KEY_SECP256K1, secret, 32, &n, out, 32, &n));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_keygen(ZQUIC_KEY_SECP256K1, secret, 31, &n, out, 33, &n));
  /* Garbage DER and r = 0 compact signatures parse to "bad signature", not a crash. */
  uint8_t junk[72];
  memset(junk, 0x30, sizeof(junk));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zquic_crypto_secp256k1_pubkey_convert(pk, 0, 1, out, 0, &n));
  scalar_from_int(secret, 1);
  ASSERT_OK(zquic_crypto_keygen_from_seed(ZQUIC_KEY_SECP256K1, secret, 32, pk, 33, &n));
  ASSERT_RC(ZQUIC_ERR_BAD_SIGNATURE, zquic_crypto_secp256k1_verify(pk, 33, digest, 32, junk, 72, ZQUIC_SIG_DER));
  ASSERT_RC(ZQUIC_ERR_BAD_SIGNATURE, zquic_crypto_secp256k1_verify(pk, 33, digest, 32, junk, 0, ZQUIC_SIG_DER));
  memset(junk, 0, sizeof(junk));
  ASSERT_RC(ZQUIC_ERR_BAD_SIGNATURE, zquic_crypto_secp256k1_verify(pk, 33, digest, 32, junk, 64, ZQUIC_SIG_COMPACT));
  memset(junk, 0xff, sizeof(junk));
  ASSERT_RC(ZQUIC_ERR_BAD_SIGNATURE, zquic_crypto_verify(ZQUIC_KEY_SECP256K1, pk, 33, "m", 1, junk, 64));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_known_keys_and_addresses),
    cmocka_unit_test(test_eip55_examples),
    cmocka_unit_test(test_rfc6979_deterministic),
    cmocka_unit_test(test_round_trips_and_recovery),
    cmocka_unit_test(test_generic_sign_verify_and_tampering),
    cmocka_unit_test(test_malformed_keys),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
