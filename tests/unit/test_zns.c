/*
 * test_zns.c — the ZNS registry (src/dns/zns*.c) as an attacker with write access to the file
 * would meet it: a valid entry is served under any spelling of its name; changing any signed
 * field (a record, last_updated, expiry), signing with another key, an expired entry or a name
 * outside .zns/.ghost gets the entry rejected with its reason and never served; broken JSON fails
 * the whole file with its line; malformed records, duplicates and the limits behave as
 * docs/ZNS.md says. Entries are signed here with the library's own signing message, whose exact
 * bytes are pinned by one test against a hand-written canonical text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "zns.h"
#include "zquic.h"

#define NOW 1700000000ull
#define LU (NOW - 100)
#define EXP (NOW + 86400)

static const uint8_t seed_a[32] = {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                   0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                   0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11};
static const uint8_t seed_b[32] = {0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
                                   0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
                                   0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22};

static zq_zns_record basic[] = {
  {ZQ_ZNS_TYPE_A, 300, "192.0.2.1"},
  {ZQ_ZNS_TYPE_TXT, 60, "hello world"},
};

/* One entry as JSON text: `owner_seed`'s public key as owner, signed by `signer_seed`. */
static char *make_entry(const char *domain, const uint8_t *signer_seed, const uint8_t *owner_seed,
                        const zq_zns_record *recs, size_t n, uint64_t lu, uint64_t exp) {
  zq_zns_entry e = {.domain = (char *)domain, .records = (zq_zns_record *)recs, .n_records = n,
                    .last_updated = lu, .expiry = exp};
  size_t len;
  assert_int_equal(zquic_crypto_keygen_from_seed(ZQUIC_KEY_ED25519, owner_seed, 32, e.owner, 32,
                                                 &len), ZQUIC_OK);
  char msg[ZQ_ZNS_MESSAGE_MAX], owner_hex[65], sig_hex[129];
  int msg_len = zq_zns_signing_message(&e, msg, sizeof(msg));
  assert_true(msg_len > 0);
  assert_int_equal(zquic_crypto_sign(ZQUIC_KEY_ED25519, signer_seed, 32, msg, (size_t)msg_len,
                                     e.signature, 64, &len), ZQUIC_OK);
  zquic_crypto_hex_encode(e.owner, 32, owner_hex, sizeof(owner_hex));
  zquic_crypto_hex_encode(e.signature, 64, sig_hex, sizeof(sig_hex));
  char *out = malloc(65536);
  int off = snprintf(out, 65536, "{\"domain\": \"%s\", \"owner\": \"%s\", \"records\": [", domain,
                     owner_hex);
  for (size_t i = 0; i < n; i++)
    off += snprintf(out + off, 65536 - (size_t)off, "%s{\"type\": \"%s\", \"ttl\": %u, "
                    "\"value\": \"%s\"}", i ? ", " : "", zq_zns_type_name(recs[i].type),
                    (unsigned)recs[i].ttl, recs[i].value);
  snprintf(out + off, 65536 - (size_t)off, "], \"last_updated\": %llu, \"expiry\": %llu, "
           "\"signature\": \"%s\"}", (unsigned long long)lu, (unsigned long long)exp, sig_hex);
  return out;
}

static char *entry_a(const char *domain) {
  return make_entry(domain, seed_a, seed_a, basic, 2, LU, EXP);
}

/* text with the first `from` replaced by `to` (the test's tampering tool); frees text. */
static char *replace(char *text, const char *from, const char *to) {
  char *at = strstr(text, from);
  assert_non_null(at);
  size_t len = strlen(text) + strlen(to) + 1;
  char *out = malloc(len);
  snprintf(out, len, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
  free(text);
  return out;
}

/* A registry document around the entries (each freed). */
static char *doc_of(int n, ...) {
  char *out = malloc(1 << 20);
  size_t off = (size_t)snprintf(out, 1 << 20, "{\"zns_registry\": 1, \"entries\": [");
  va_list ap;
  va_start(ap, n);
  for (int i = 0; i < n; i++) {
    char *e = va_arg(ap, char *);
    off += (size_t)snprintf(out + off, (1 << 20) - off, "%s%s", i ? ",\n" : "\n", e);
    free(e);
  }
  va_end(ap);
  snprintf(out + off, (1 << 20) - off, "\n]}\n");
  return out;
}

typedef struct rejects {
  int n;
  char domain[16][300];
  char reason[16][300];
} rejects;

static void on_reject(void *user, const char *domain, const char *reason) {
  rejects *r = user;
  if (r->n < 16) {
    snprintf(r->domain[r->n], 300, "%s", domain);
    snprintf(r->reason[r->n], 300, "%s", reason);
  }
  r->n++;
}

/* Parse doc (freed) at NOW; the registry, with the rejections in *rj. */
static zq_zns_registry *parse(char *doc, rejects *rj) {
  zq_zns_registry *r = NULL;
  char err[512] = "";
  memset(rj, 0, sizeof(*rj));
  int rc = zq_zns_registry_parse(doc, strlen(doc), "test.json", NOW, on_reject, rj, &r, err,
                                 sizeof(err));
  if (rc != 0) fprintf(stderr, "parse: %s\n", err);
  assert_int_equal(rc, 0);
  free(doc);
  return r;
}

/* The one entry in doc is rejected with `why` in its reason, for `domain`. */
static void expect_rejected(char *doc, const char *domain, const char *why) {
  rejects rj;
  zq_zns_registry *r = parse(doc, &rj);
  if (rj.n != 1 || !strstr(rj.reason[0], why) || strcmp(rj.domain[0], domain) != 0)
    fail_msg("expected one rejection of %s for \"%s\", got %d: %s: %s", domain, why, rj.n,
             rj.domain[0], rj.reason[0]);
  assert_int_equal(zq_zns_registry_count(r), 0);
  zq_zns_registry_free(r);
}

static void test_valid_lookup(void **state) {
  (void)state;
  rejects rj;
  zq_zns_registry *r = parse(doc_of(2, entry_a("alice.zns"), entry_a("bob.ghost")), &rj);
  assert_int_equal(rj.n, 0);
  assert_int_equal(zq_zns_registry_count(r), 2);
  const zq_zns_entry *e = zq_zns_lookup(r, "alice.zns", NOW);
  assert_non_null(e);
  assert_string_equal(e->domain, "alice.zns");
  assert_int_equal(e->n_records, 2);
  assert_int_equal(e->records[0].type, ZQ_ZNS_TYPE_A);
  assert_string_equal(e->records[0].value, "192.0.2.1");
  assert_int_equal(e->records[1].ttl, 60);
  assert_ptr_equal(zq_zns_lookup(r, "ALICE.Zns.", NOW), e);
  assert_non_null(zq_zns_lookup(r, "Bob.GHOST", NOW));
  assert_null(zq_zns_lookup(r, "carol.zns", NOW));
  assert_null(zq_zns_lookup(r, "alice.zns..", NOW));
  assert_null(zq_zns_lookup(r, "x.alice.zns", NOW));
  assert_null(zq_zns_lookup(r, "", NOW));
  /* Served up to, not at, its expiry. */
  assert_non_null(zq_zns_lookup(r, "alice.zns", EXP - 1));
  assert_null(zq_zns_lookup(r, "alice.zns", EXP));
  assert_string_equal(zq_zns_registry_entry(r, 0)->domain, "alice.zns");
  assert_null(zq_zns_registry_entry(r, 2));
  zq_zns_registry_free(r);
  zq_zns_registry_free(NULL);
  assert_null(zq_zns_lookup(NULL, "alice.zns", NOW));
}

static void test_tampering(void **state) {
  (void)state;
  char lu[32], exp[32];
  snprintf(lu, sizeof(lu), "\"last_updated\": %llu", (unsigned long long)LU);
  snprintf(exp, sizeof(exp), "\"expiry\": %llu", (unsigned long long)EXP);
  expect_rejected(doc_of(1, replace(entry_a("alice.zns"), "192.0.2.1", "192.0.2.2")), "alice.zns",
                  "bad signature");
  expect_rejected(doc_of(1, replace(entry_a("alice.zns"), "\"ttl\": 60", "\"ttl\": 61")),
                  "alice.zns", "bad signature");
  expect_rejected(doc_of(1, replace(entry_a("alice.zns"), lu, "\"last_updated\": 1699999901")),
                  "alice.zns", "bad signature");
  expect_rejected(doc_of(1, replace(entry_a("alice.zns"), exp, "\"expiry\": 1900000000")),
                  "alice.zns", "bad signature");
  /* the same records in another order are the same signed content */
  char *swapped = make_entry("alice.zns", seed_a, seed_a, basic, 2, LU, EXP);
  zq_zns_record reversed[] = {basic[1], basic[0]};
  char *other = make_entry("alice.zns", seed_a, seed_a, reversed, 2, LU, EXP);
  assert_string_equal(strstr(swapped, "\"signature\""), strstr(other, "\"signature\""));
  free(swapped);
  free(other);
  /* a flipped signature digit */
  char *e = entry_a("alice.zns");
  char *sig = strstr(e, "\"signature\": \"") + 14;
  *sig = *sig == '0' ? '1' : '0';
  expect_rejected(doc_of(1, e), "alice.zns", "bad signature");
}

static void test_wrong_owner_expired_outside(void **state) {
  (void)state;
  /* owner A listed, signed by B */
  expect_rejected(doc_of(1, make_entry("alice.zns", seed_b, seed_a, basic, 2, LU, EXP)),
                  "alice.zns", "bad signature");
  expect_rejected(doc_of(1, make_entry("alice.zns", seed_a, seed_a, basic, 2, LU, NOW)),
                  "alice.zns", "expired at 1700000000");
  expect_rejected(doc_of(1, make_entry("alice.zns", seed_a, seed_a, basic, 2, NOW + 2 * 86400,
                                       NOW + 3 * 86400)), "alice.zns", "ahead of now");
  expect_rejected(doc_of(1, entry_a("alice.com")), "alice.com", "not under .zns or .ghost");
  expect_rejected(doc_of(1, entry_a("zns")), "zns", "not under .zns or .ghost");
  expect_rejected(doc_of(1, entry_a("alice.zns.evil")), "alice.zns.evil", "not under");
  /* an owner that is not a curve point */
  char *e = entry_a("alice.zns");
  char *owner = strstr(e, "\"owner\": \"") + 10;
  memset(owner, 'f', 64);
  expect_rejected(doc_of(1, e), "alice.zns", "not a valid Ed25519 public key");
}

static void test_malformed_file(void **state) {
  (void)state;
  static const struct {
    const char *text, *err;
  } cases[] = {
    {"{\n  \"zns_registry\": 1,\n  \"entries\": [\n    {,\n  ]\n}\n", "test.json:4:"},
    {"", "test.json:"},
    {"[]", "top level must be an object"},
    {"{\"zns_registry\": 2, \"entries\": []}", "zns_registry"},
    {"{\"entries\": []}", "zns_registry"},
    {"{\"zns_registry\": 1, \"entries\": {}}", "\"entries\" must be an array"},
    {"{\"zns_registry\": 1, \"entries\": [], \"x\": 1}", "unknown top-level field \"x\""},
    {"{\"zns_registry\": 1,\n\"entries\": [],\n\"entries\": []}", "test.json:3:"},
    {"{\"zns_registry\": 1, \"entries\": [{\"domain\": 99999999999999999999999}]}", "test.json:1:"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    zq_zns_registry *r = (zq_zns_registry *)1;
    char err[512] = "";
    int rc = zq_zns_registry_parse(cases[i].text, strlen(cases[i].text), "test.json", NOW, NULL,
                                   NULL, &r, err, sizeof(err));
    if (rc != -1 || !strstr(err, cases[i].err))
      fail_msg("case %zu: rc %d, error \"%s\", expected \"%s\"", i, rc, err, cases[i].err);
    assert_null(r);
  }
  zq_zns_registry *r;
  char err[512];
  assert_int_equal(zq_zns_registry_load("/nonexistent/zns.json", NOW, NULL, NULL, &r, err,
                                        sizeof(err)), -1);
  assert_non_null(strstr(err, "/nonexistent/zns.json: cannot open"));
}

static void test_load_file(void **state) {
  (void)state;
  char path[] = "/tmp/test_zns.XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  char *doc = doc_of(2, entry_a("alice.zns"), replace(entry_a("bob.zns"), "hello", "hellO"));
  assert_int_equal(write(fd, doc, strlen(doc)), (ssize_t)strlen(doc));
  close(fd);
  free(doc);
  rejects rj = {0};
  zq_zns_registry *r = NULL;
  char err[512];
  assert_int_equal(zq_zns_registry_load(path, NOW, on_reject, &rj, &r, err, sizeof(err)), 0);
  unlink(path);
  assert_int_equal(zq_zns_registry_count(r), 1);
  assert_int_equal(rj.n, 1);
  assert_string_equal(rj.domain[0], "bob.zns");
  assert_non_null(zq_zns_lookup(r, "alice.zns", NOW));
  assert_null(zq_zns_lookup(r, "bob.zns", NOW));
  zq_zns_registry_free(r);
}

static void test_malformed_entries(void **state) {
  (void)state;
  static const struct {
    const char *from, *to, *label, *why;
  } cases[] = {
    {"192.0.2.1", "192.0.2", "alice.zns", "record 1: A value is not an IPv4"},
    {"192.0.2.1", "fe80::1", "alice.zns", "record 1: A value is not an IPv4"},
    {"\"TXT\"", "\"SRV\"", "alice.zns", "record 2: type must be one of"},
    {"\"TXT\"", "\"txt\"", "alice.zns", "record 2: type must be one of"},
    {"hello world", "bad\\u0001text", "alice.zns", "record 2: TXT value must be"},
    {"hello world", "nul\\u0000inside", "alice.zns", "JSON"}, /* whole file: see below */
    {"\"ttl\": 60", "\"ttl\": 604801", "alice.zns", "record 2: ttl must be"},
    {"\"ttl\": 60", "\"ttl\": -1", "alice.zns", "record 2: ttl must be"},
    {"\"ttl\": 60", "\"ttl\": \"60\"", "alice.zns", "record 2: ttl must be"},
    {"\"ttl\": 60", "\"ttl\": 60, \"prio\": 1", "alice.zns", "record 2: unknown field \"prio\""},
    {"\"owner\"", "\"note\": \"x\", \"owner\"", "alice.zns", "unknown field \"note\""},
    {"\"signature\": \"", "\"signature\": \"00", "alice.zns", "signature must be 128"},
    {"\"records\": [", "\"records\": [1, ", "alice.zns", "record 1: is not an object"},
    {"\"last_updated\": 1699999900", "\"last_updated\": 1.5", "alice.zns", "must be integers"},
    {"\"expiry\": 1700086400", "\"expiry\": 9007199254740992", "alice.zns", "must be integers"},
    {"\"domain\": \"alice.zns\"", "\"domain\": \"Alice.zns\"", "#1", "canonical DNS name"},
    {"\"domain\": \"alice.zns\"", "\"domain\": \"alice.zns.\"", "#1", "canonical DNS name"},
    {"\"domain\": \"alice.zns\"", "\"domain\": \"a\\nb.zns\"", "#1", "canonical DNS name"},
    {"\"domain\": \"alice.zns\"", "\"domain\": 7", "#1", "domain missing"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char *doc = doc_of(1, replace(entry_a("alice.zns"), cases[i].from, cases[i].to));
    if (strcmp(cases[i].why, "JSON") == 0) { /* jansson refuses \u0000 by default */
      zq_zns_registry *r;
      char err[256];
      assert_int_equal(zq_zns_registry_parse(doc, strlen(doc), "t", NOW, NULL, NULL, &r, err,
                                             sizeof(err)), -1);
      free(doc);
      continue;
    }
    expect_rejected(doc, cases[i].label, cases[i].why);
  }
  /* Checks that need their own records, signed as they are so only the check can object. */
  zq_zns_record upper[] = {{ZQ_ZNS_TYPE_AAAA, 300, "2001:DB8::1"}};
  zq_zns_record cname_plus[] = {{ZQ_ZNS_TYPE_CNAME, 300, "x.zns"}, {ZQ_ZNS_TYPE_A, 300, "1.2.3.4"}};
  zq_zns_record dup[] = {{ZQ_ZNS_TYPE_A, 300, "1.2.3.4"}, {ZQ_ZNS_TYPE_A, 300, "1.2.3.4"}};
  zq_zns_record two_ttls[] = {{ZQ_ZNS_TYPE_A, 300, "1.2.3.4"}, {ZQ_ZNS_TYPE_A, 60, "1.2.3.5"}};
  zq_zns_record mx_bad[] = {{ZQ_ZNS_TYPE_MX, 300, "10mail.zns"}};
  zq_zns_record mx_lead[] = {{ZQ_ZNS_TYPE_MX, 300, "010 mail.zns"}};
  zq_zns_record host_dot[] = {{ZQ_ZNS_TYPE_NS, 300, "ns1.example.com."}};
  expect_rejected(doc_of(1, make_entry("a.zns", seed_a, seed_a, upper, 1, LU, EXP)), "a.zns",
                  "not in canonical form (write \"2001:db8::1\")");
  expect_rejected(doc_of(1, make_entry("a.zns", seed_a, seed_a, cname_plus, 2, LU, EXP)), "a.zns",
                  "CNAME must be the only record");
  expect_rejected(doc_of(1, make_entry("a.zns", seed_a, seed_a, dup, 2, LU, EXP)), "a.zns",
                  "are the same A record");
  expect_rejected(doc_of(1, make_entry("a.zns", seed_a, seed_a, two_ttls, 2, LU, EXP)), "a.zns",
                  "two TTLs");
  expect_rejected(doc_of(1, make_entry("a.zns", seed_a, seed_a, mx_bad, 1, LU, EXP)), "a.zns",
                  "MX value is not");
  expect_rejected(doc_of(1, make_entry("a.zns", seed_a, seed_a, mx_lead, 1, LU, EXP)), "a.zns",
                  "write \"10 mail.zns\"");
  expect_rejected(doc_of(1, make_entry("a.zns", seed_a, seed_a, host_dot, 1, LU, EXP)), "a.zns",
                  "write \"ns1.example.com\"");
  expect_rejected(doc_of(1, make_entry("a.zns", seed_a, seed_a, basic, 2, EXP, LU)), "a.zns",
                  "0 < last_updated < expiry");
  expect_rejected(doc_of(1, replace(entry_a("a.zns"), "\"records\": [",
                                    "\"records\": [], \"x\": [")), "a.zns", "unknown field");
  /* an empty record list */
  char *e = entry_a("a.zns");
  char *open = strstr(e, "\"records\": [") + 12, *close = strstr(open, "]");
  memmove(open, close, strlen(close) + 1);
  expect_rejected(doc_of(1, e), "a.zns", "1..64 records");
}

static void test_duplicates(void **state) {
  (void)state;
  zq_zns_record newer[] = {{ZQ_ZNS_TYPE_A, 300, "192.0.2.9"}};
  rejects rj;
  /* same owner: the newest wins, wherever it is in the file */
  zq_zns_registry *r = parse(doc_of(3, entry_a("alice.zns"),
                                    make_entry("alice.zns", seed_a, seed_a, newer, 1, LU + 50, EXP),
                                    make_entry("alice.zns", seed_a, seed_a, basic, 1, LU - 50, EXP)),
                             &rj);
  assert_int_equal(zq_zns_registry_count(r), 1);
  assert_string_equal(zq_zns_lookup(r, "alice.zns", NOW)->records[0].value, "192.0.2.9");
  assert_int_equal(rj.n, 2);
  assert_string_equal(rj.domain[0], "alice.zns");
  assert_non_null(strstr(rj.reason[0], "superseded by the entry of last_updated 1699999950"));
  zq_zns_registry_free(r);
  /* different owners: neither, even when one is newer */
  r = parse(doc_of(3, entry_a("alice.zns"),
                   make_entry("alice.zns", seed_b, seed_b, newer, 1, LU + 50, EXP),
                   entry_a("bob.zns")), &rj);
  assert_int_equal(zq_zns_registry_count(r), 1);
  assert_null(zq_zns_lookup(r, "alice.zns", NOW));
  assert_non_null(zq_zns_lookup(r, "bob.zns", NOW));
  assert_int_equal(rj.n, 2);
  assert_non_null(strstr(rj.reason[1], "different owners; none served"));
  zq_zns_registry_free(r);
  /* a bad-signature copy by someone else does not take a name down */
  r = parse(doc_of(2, entry_a("alice.zns"),
                   make_entry("alice.zns", seed_b, seed_a, newer, 1, LU + 50, EXP)), &rj);
  assert_non_null(zq_zns_lookup(r, "alice.zns", NOW));
  assert_int_equal(rj.n, 1);
  zq_zns_registry_free(r);
  /* same owner, same last_updated, different content: neither */
  r = parse(doc_of(2, entry_a("alice.zns"),
                   make_entry("alice.zns", seed_a, seed_a, newer, 1, LU, EXP)), &rj);
  assert_int_equal(zq_zns_registry_count(r), 0);
  assert_non_null(strstr(rj.reason[0], "same last_updated"));
  zq_zns_registry_free(r);
  /* the very same entry twice: served once */
  r = parse(doc_of(2, entry_a("alice.zns"), entry_a("alice.zns")), &rj);
  assert_int_equal(zq_zns_registry_count(r), 1);
  zq_zns_registry_free(r);
}

static void test_limits(void **state) {
  (void)state;
  zq_zns_registry *r;
  char err[256];
  size_t big = ZQ_ZNS_FILE_MAX + 1;
  char *text = malloc(big);
  memset(text, ' ', big);
  assert_int_equal(zq_zns_registry_parse(text, big, "big", NOW, NULL, NULL, &r, err, sizeof(err)),
                   -1);
  assert_non_null(strstr(err, "more than the limit"));
  free(text);
  size_t n = ZQ_ZNS_ENTRIES_MAX + 1, cap = 64 + 2 * n;
  text = malloc(cap);
  size_t off = (size_t)snprintf(text, cap, "{\"zns_registry\": 1, \"entries\": [");
  for (size_t i = 0; i < n; i++) off += (size_t)snprintf(text + off, cap - off, i ? ",0" : "0");
  snprintf(text + off, cap - off, "]}");
  assert_int_equal(zq_zns_registry_parse(text, strlen(text), "many", NOW, NULL, NULL, &r, err,
                                         sizeof(err)), -1);
  assert_non_null(strstr(err, "entries, more than the limit"));
  free(text);
  /* 64 records are fine, 65 are not */
  zq_zns_record many[ZQ_ZNS_RECORDS_MAX + 1];
  char values[ZQ_ZNS_RECORDS_MAX + 1][16];
  for (int i = 0; i <= ZQ_ZNS_RECORDS_MAX; i++) {
    snprintf(values[i], sizeof(values[i]), "10.0.0.%d", i);
    many[i] = (zq_zns_record){ZQ_ZNS_TYPE_A, 60, values[i]};
  }
  rejects rj;
  r = parse(doc_of(1, make_entry("a.zns", seed_a, seed_a, many, 64, LU, EXP)), &rj);
  assert_int_equal(zq_zns_registry_count(r), 1);
  zq_zns_registry_free(r);
  zq_zns_entry e = {.domain = "a.zns", .records = many, .n_records = 65, .last_updated = LU,
                    .expiry = EXP};
  char msg[ZQ_ZNS_MESSAGE_MAX];
  assert_int_equal(zq_zns_signing_message(&e, msg, sizeof(msg)), -1);
  char why[128];
  assert_int_equal(zq_zns_entry_check(&e, why, sizeof(why)), -1);
  /* longest name, longest TXT */
  char name[300], label[64];
  memset(label, 'a', 63);
  label[63] = '\0';
  snprintf(name, sizeof(name), "%s.%s.%s.%.57s.zns", label, label, label, label);
  assert_int_equal(strlen(name), 253);
  char out[300];
  assert_int_equal(zq_zns_name_normalize(name, out, sizeof(out)), 0);
  char longer[310];
  snprintf(longer, sizeof(longer), "a%s", name);
  assert_int_equal(zq_zns_name_normalize(longer, out, sizeof(out)), -1);
  char txt[ZQ_ZNS_TXT_MAX + 2];
  memset(txt, 'x', sizeof(txt) - 1);
  txt[ZQ_ZNS_TXT_MAX] = '\0';
  char value[ZQ_ZNS_VALUE_MAX + 1];
  assert_int_equal(zq_zns_value_normalize(ZQ_ZNS_TYPE_TXT, txt, value, sizeof(value), NULL, 0), 0);
  txt[ZQ_ZNS_TXT_MAX] = 'x';
  txt[ZQ_ZNS_TXT_MAX + 1] = '\0';
  assert_int_equal(zq_zns_value_normalize(ZQ_ZNS_TYPE_TXT, txt, value, sizeof(value), NULL, 0), -1);
}

static void test_signing_message(void **state) {
  (void)state;
  zq_zns_entry e = {.domain = "alice.zns", .records = basic, .n_records = 2, .last_updated = LU,
                    .expiry = EXP};
  memset(e.owner, 0xab, 32);
  /* The canonical text: lines sorted bytewise ("A" < "TXT"). */
  const char *canonical = "A\t300\t192.0.2.1\nTXT\t60\thello world\n";
  uint8_t digest[32], expect[32];
  char hex[65], want[ZQ_ZNS_MESSAGE_MAX], msg[ZQ_ZNS_MESSAGE_MAX];
  assert_int_equal(zquic_crypto_blake3(canonical, strlen(canonical), expect, 32), ZQUIC_OK);
  assert_int_equal(zq_zns_records_digest(basic, 2, digest), 0);
  assert_memory_equal(digest, expect, 32);
  zquic_crypto_hex_encode(expect, 32, hex, sizeof(hex));
  snprintf(want, sizeof(want), "alice.zns|%s|%s|1699999900|1700086400",
           "abababababababababababababababababababababababababababababababab", hex);
  assert_int_equal(zq_zns_signing_message(&e, msg, sizeof(msg)), (int)strlen(want));
  assert_string_equal(msg, want);
  assert_int_equal(zq_zns_signing_message(&e, msg, 20), -1);
}

static void test_names_and_values(void **state) {
  (void)state;
  char out[ZQ_ZNS_VALUE_MAX + 1];
  static const struct {
    uint16_t type;
    const char *in, *out; /* out NULL: invalid */
  } cases[] = {
    {ZQ_ZNS_TYPE_A, "192.0.2.1", "192.0.2.1"},       {ZQ_ZNS_TYPE_A, "1.2.3.4.5", NULL},
    {ZQ_ZNS_TYPE_A, " 1.2.3.4", NULL},               {ZQ_ZNS_TYPE_A, "", NULL},
    {ZQ_ZNS_TYPE_AAAA, "2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
    {ZQ_ZNS_TYPE_AAAA, "1.2.3.4", NULL},             {ZQ_ZNS_TYPE_AAAA, "::", "::"},
    {ZQ_ZNS_TYPE_CNAME, "Target.Example.", "target.example"},
    {ZQ_ZNS_TYPE_CNAME, "-bad.example", NULL},       {ZQ_ZNS_TYPE_CNAME, "bad-.example", NULL},
    {ZQ_ZNS_TYPE_CNAME, "a..b", NULL},               {ZQ_ZNS_TYPE_CNAME, ".", NULL},
    {ZQ_ZNS_TYPE_CNAME, "_srv.x-y.zns", "_srv.x-y.zns"},
    {ZQ_ZNS_TYPE_NS, "sp ace.zns", NULL},            {ZQ_ZNS_TYPE_MX, "10 Mail.X.", "10 mail.x"},
    {ZQ_ZNS_TYPE_MX, "65536 mail.x", NULL},          {ZQ_ZNS_TYPE_MX, "10", NULL},
    {ZQ_ZNS_TYPE_MX, "0  mail.x", "0 mail.x"},       {ZQ_ZNS_TYPE_TXT, "v=spf1 -all", "v=spf1 -all"},
    {ZQ_ZNS_TYPE_TXT, "caf\xc3\xa9", "caf\xc3\xa9"}, {ZQ_ZNS_TYPE_TXT, "bad\xc3", NULL},
    {ZQ_ZNS_TYPE_TXT, "\xc0\xaf", NULL},             {ZQ_ZNS_TYPE_TXT, "\xed\xa0\x80", NULL},
    {ZQ_ZNS_TYPE_TXT, "tab\there", NULL},            {ZQ_ZNS_TYPE_TXT, "", NULL},
    {99, "x", NULL},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char why[200] = "";
    int rc = zq_zns_value_normalize(cases[i].type, cases[i].in, out, sizeof(out), why,
                                    sizeof(why));
    if (cases[i].out ? rc != 0 || strcmp(out, cases[i].out) != 0 : rc != -1 || !why[0])
      fail_msg("case %zu (%s): rc %d out \"%s\" why \"%s\"", i, cases[i].in, rc, rc ? "" : out,
               why);
  }
  assert_int_equal(zq_zns_type_from_name("aaaa"), ZQ_ZNS_TYPE_AAAA);
  assert_int_equal(zq_zns_type_from_name("SRV"), 0);
  assert_null(zq_zns_type_name(33));
  assert_true(zq_zns_name_is_zns("a.ghost"));
  assert_false(zq_zns_name_is_zns("ghost"));
  assert_false(zq_zns_name_is_zns("aghost"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_valid_lookup),       cmocka_unit_test(test_tampering),
    cmocka_unit_test(test_wrong_owner_expired_outside), cmocka_unit_test(test_malformed_file),
    cmocka_unit_test(test_load_file),          cmocka_unit_test(test_malformed_entries),
    cmocka_unit_test(test_duplicates),         cmocka_unit_test(test_limits),
    cmocka_unit_test(test_signing_message),    cmocka_unit_test(test_names_and_values),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
