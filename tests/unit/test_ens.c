/*
 * test_ens.c — the ENS link's codec and lookup (src/dns/ens_abi.c, ens_lookup.c) without a
 * network: function selectors and namehashes against ../shared/testdata/ens_keccak_vectors.json,
 * ABI encoding of the calls, decoding of results with hostile inputs (truncated, huge offsets and
 * lengths, dirty padding), JSON-RPC batch replies, and whole lookups against a fake chain written
 * here (a `post` function that answers eth_calls from a table).
 */
#include "crypto_test_util.h"

#include "ens.h"

/* ---- vectors -------------------------------------------------------------------------------- */

static void test_selectors(void **state) {
  (void)state;
  json_t *root = load_vectors("ZQUIC_ENS_VECTORS");
  json_t *sel = json_object_get(root, "selectors");
  assert_non_null(sel);
  const char *sig;
  json_t *v;
  size_t n = 0;
  json_object_foreach(sel, sig, v) {
    uint8_t got[4];
    zq_ens_selector(sig, got);
    assert_hex_equal(got, 4, json_string_value(v));
    n++;
  }
  assert_true(n >= 20);
  json_decref(root);
}

static void test_names(void **state) {
  (void)state;
  json_t *root = load_vectors("ZQUIC_ENS_VECTORS");
  size_t i;
  json_t *v;
  /* dnsRecord's name argument: Keccak-256 of the wire form given in the vectors. */
  json_array_foreach(json_object_get(root, "dns_wire_encoding"), i, v) {
    const char *name = json_string_value(json_object_get(v, "name"));
    uint8_t wire[300], want[32], got[32];
    size_t len = test_unhex(json_string_value(json_object_get(v, "hex")), wire, sizeof(wire));
    size_t hl;
    ASSERT_OK(zquic_crypto_hash(ZQUIC_HASH_KECCAK256, wire, len, want, 32, &hl));
    if (*name) {
      ASSERT_OK(zq_ens_wire_name_hash(name, got));
      assert_memory_equal(got, want, 32);
      char text[300];
      assert_int_equal(zq_ens_name_from_wire(wire, len, text, sizeof(text)), ZQ_ENS_NAME_OK);
      assert_string_equal(text, name);
    }
  }
  /* The node of every ASCII vector name, as the lookup computes it. */
  json_array_foreach(json_object_get(root, "namehash"), i, v) {
    const char *name = json_string_value(json_object_get(v, "name"));
    bool ascii = true;
    for (const char *p = name; *p; p++) ascii &= (unsigned char)*p < 0x80;
    if (!ascii) continue;
    uint8_t node[32];
    ASSERT_OK(zquic_crypto_ens_namehash(name, node, sizeof(node)));
    assert_hex_equal(node, 32, json_string_value(json_object_get(v, "hex")));
  }
  json_decref(root);
}

static void test_name_rules(void **state) {
  (void)state;
  char text[300];
  const uint8_t eth[] = "\5zquic\3eth";           /* sizeof includes the root label's 0 */
  const uint8_t upper[] = "\5ZQuic\3ETH";
  const uint8_t utf8[] = "\5caf\xc3\xa9\3eth";
  const uint8_t dot[] = "\3a.b\3eth";
  const uint8_t com[] = "\7example\3com";
  const uint8_t bare[] = "\3eth";
  const uint8_t bad_len[] = "\77ab";
  assert_int_equal(zq_ens_name_from_wire(eth, sizeof(eth), text, sizeof(text)), ZQ_ENS_NAME_OK);
  assert_string_equal(text, "zquic.eth");
  assert_int_equal(zq_ens_name_from_wire(upper, sizeof(upper), text, sizeof(text)), ZQ_ENS_NAME_OK);
  assert_string_equal(text, "zquic.eth");
  assert_int_equal(zq_ens_name_from_wire(utf8, sizeof(utf8), text, sizeof(text)),
                   ZQ_ENS_NAME_UNSUPPORTED);
  assert_int_equal(zq_ens_name_from_wire(dot, sizeof(dot), text, sizeof(text)),
                   ZQ_ENS_NAME_UNSUPPORTED);
  assert_int_equal(zq_ens_name_from_wire(com, sizeof(com), text, sizeof(text)), ZQ_ENS_NAME_NOT_ENS);
  assert_int_equal(zq_ens_name_from_wire(bare, sizeof(bare), text, sizeof(text)), ZQ_ENS_NAME_OK);
  assert_int_equal(zq_ens_name_from_wire(bad_len, sizeof(bad_len), text, sizeof(text)),
                   ZQ_ENS_NAME_NOT_ENS);
  assert_int_equal(zq_ens_name_from_wire(eth, 3, text, sizeof(text)), ZQ_ENS_NAME_NOT_ENS);
  assert_int_equal(zq_ens_name_from_wire(eth, sizeof(eth), text, 5), ZQ_ENS_NAME_UNSUPPORTED);
}

/* ---- encoding ------------------------------------------------------------------------------- */

static void test_encode(void **state) {
  (void)state;
  uint8_t node[32];
  memset(node, 0x11, sizeof(node));
  char *c = zq_ens_encode_node_call("addr(bytes32)", node);
  assert_string_equal(c, "0x3b3b57de1111111111111111111111111111111111111111111111111111111111111111");
  free(c);
  c = zq_ens_encode_text_call(node, "url");
  assert_string_equal(c, "0x59d1d43c"
                         "1111111111111111111111111111111111111111111111111111111111111111"
                         "0000000000000000000000000000000000000000000000000000000000000040"
                         "0000000000000000000000000000000000000000000000000000000000000003"
                         "75726c0000000000000000000000000000000000000000000000000000000000");
  free(c);
  uint8_t h[32];
  memset(h, 0x22, sizeof(h));
  c = zq_ens_encode_dns_record_call(node, h, 28);
  assert_string_equal(c, "0xa8fa5682"
                         "1111111111111111111111111111111111111111111111111111111111111111"
                         "2222222222222222222222222222222222222222222222222222222222222222"
                         "000000000000000000000000000000000000000000000000000000000000001c");
  free(c);
}

/* ---- decoding, hostile inputs ---------------------------------------------------------------- */

static size_t unhex_into(const char *hex, uint8_t *out, size_t cap) {
  return test_unhex(hex, out, cap);
}

static void test_decode_address(void **state) {
  (void)state;
  uint8_t w[64], a[20];
  size_t n = unhex_into("0000000000000000000000005aaeb6053f3e94c9b9a09f33669435e7ef1beaed", w,
                        sizeof(w));
  ASSERT_OK(zq_ens_decode_address(w, n, a));
  assert_hex_equal(a, 20, "5aaeb6053f3e94c9b9a09f33669435e7ef1beaed");
  ASSERT_OK(zq_ens_decode_address(w, 0, a)); /* no code there: zero address */
  assert_hex_equal(a, 20, "0000000000000000000000000000000000000000");
  w[0] = 1; /* dirty padding */
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zq_ens_decode_address(w, n, a));
  w[0] = 0;
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zq_ens_decode_address(w, 31, a)); /* truncated */
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zq_ens_decode_address(w, 33, a));
}

static void test_decode_bytes(void **state) {
  (void)state;
  uint8_t w[256];
  const uint8_t *d;
  size_t dl, n;
  n = unhex_into("0000000000000000000000000000000000000000000000000000000000000020"
                 "0000000000000000000000000000000000000000000000000000000000000003"
                 "abcdef0000000000000000000000000000000000000000000000000000000000", w, sizeof(w));
  ASSERT_OK(zq_ens_decode_bytes(w, n, &d, &dl));
  assert_int_equal(dl, 3);
  assert_hex_equal(d, dl, "abcdef");
  ASSERT_OK(zq_ens_decode_bytes(w, 0, &d, &dl));
  assert_int_equal(dl, 0);
  /* truncated: the tail cut off, not a multiple of 32, only the head */
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zq_ens_decode_bytes(w, 64, &d, &dl));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zq_ens_decode_bytes(w, n - 1, &d, &dl));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zq_ens_decode_bytes(w, 32, &d, &dl));
  /* dirty padding after the data */
  w[95] = 1;
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zq_ens_decode_bytes(w, n, &d, &dl));
  w[95] = 0;
  const char *hostile[] = {
    /* offset 2^255 */
    "8000000000000000000000000000000000000000000000000000000000000020"
    "0000000000000000000000000000000000000000000000000000000000000003"
    "abcdef0000000000000000000000000000000000000000000000000000000000",
    /* offset just past the data, offset not a multiple of 32, offset 0 */
    "0000000000000000000000000000000000000000000000000000000000000060"
    "0000000000000000000000000000000000000000000000000000000000000003"
    "abcdef0000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000021"
    "0000000000000000000000000000000000000000000000000000000000000003"
    "abcdef0000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000003"
    "abcdef0000000000000000000000000000000000000000000000000000000000",
    /* length 2^64 - 1, length 2^200, length 33 > the 32 bytes there */
    "0000000000000000000000000000000000000000000000000000000000000020"
    "000000000000000000000000000000000000000000000000ffffffffffffffff"
    "abcdef0000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000020"
    "0000000000000001000000000000000000000000000000000000000000000000"
    "abcdef0000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000020"
    "0000000000000000000000000000000000000000000000000000000000000021"
    "abcdef0000000000000000000000000000000000000000000000000000000000",
  };
  for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
    n = unhex_into(hostile[i], w, sizeof(w));
    if (zq_ens_decode_bytes(w, n, &d, &dl) != ZQUIC_ERR_INVALID_ARGUMENT)
      fail_msg("hostile input %zu decoded (len %zu)", i, dl);
  }
  /* over ZQ_ENS_MAX_BYTES even when the data is really there */
  size_t big = 64 + ZQ_ENS_MAX_BYTES + 32;
  uint8_t *b = calloc(1, big);
  b[31] = 32;
  b[62] = (uint8_t)((ZQ_ENS_MAX_BYTES + 1) >> 8);
  b[63] = (uint8_t)((ZQ_ENS_MAX_BYTES + 1) & 0xff);
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zq_ens_decode_bytes(b, big, &d, &dl));
  free(b);
}

static void test_hex(void **state) {
  (void)state;
  uint8_t *b;
  size_t n;
  ASSERT_OK(zq_ens_hex_decode("0x", 2, &b, &n));
  assert_null(b);
  ASSERT_OK(zq_ens_hex_decode("0xAbCd", 6, &b, &n));
  assert_int_equal(n, 2);
  free(b);
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zq_ens_hex_decode("abcd", 4, &b, &n));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zq_ens_hex_decode("0xabc", 5, &b, &n));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zq_ens_hex_decode("0xzz", 4, &b, &n));
  ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zq_ens_hex_decode("", 0, &b, &n));
}

/* ---- JSON-RPC ------------------------------------------------------------------------------- */

static void test_rpc(void **state) {
  (void)state;
  zq_ens_call calls[3];
  memset(calls, 0, sizeof(calls));
  for (int i = 0; i < 3; i++) {
    snprintf(calls[i].to, sizeof(calls[i].to), "0x%040d", i);
    calls[i].data = strdup("0x3b3b57de");
  }
  char *body = zq_ens_rpc_request(calls, 3);
  json_t *req = json_loads(body, 0, NULL);
  assert_true(json_is_array(req) && json_array_size(req) == 3);
  assert_string_equal(json_string_value(json_object_get(json_array_get(req, 1), "method")),
                      "eth_call");
  json_decref(req);
  free(body);
  /* out of order, one error, one duplicate (first wins), an unknown id */
  const char *r1 = "[{\"id\":2,\"result\":\"0xab\"},{\"id\":0,\"error\":{\"code\":3}},"
                   "{\"id\":2,\"result\":\"0xcd\"},{\"id\":9,\"result\":\"0x\"}]";
  ASSERT_OK(zq_ens_rpc_parse(r1, strlen(r1), calls, 3));
  assert_int_equal(calls[0].status, ZQ_ENS_CALL_REVERTED);
  assert_int_equal(calls[1].status, ZQ_ENS_CALL_MISSING);
  assert_int_equal(calls[2].status, ZQ_ENS_CALL_OK);
  assert_int_equal(calls[2].ret_len, 1);
  assert_int_equal(calls[2].ret[0], 0xab);
  /* bad hex, a number for a result, an id of the wrong type */
  const char *r2 = "[{\"id\":0,\"result\":\"0xabc\"},{\"id\":1,\"result\":5},{\"id\":\"2\"}]";
  ASSERT_OK(zq_ens_rpc_parse(r2, strlen(r2), calls, 3));
  for (int i = 0; i < 3; i++) assert_int_equal(calls[i].status, ZQ_ENS_CALL_MISSING);
  const char *bad[] = {"", "{", "[1,2", "\"x\"", "{\"jsonrpc\":\"2.0\",\"error\":{}}", "null"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    ASSERT_RC(ZQUIC_ERR_INVALID_ARGUMENT, zq_ens_rpc_parse(bad[i], strlen(bad[i]), calls, 3));
  for (int i = 0; i < 3; i++) zq_ens_call_clear(&calls[i]);
}

/* ---- lookups against a fake chain ------------------------------------------------------------ */

#define REGISTRY "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define RESOLVER "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

typedef struct fake_chain {
  enum { FAKE_OK, FAKE_TIMEOUT, FAKE_DOWN, FAKE_GARBAGE, FAKE_BAD_ABI, FAKE_BAD_RR } mode;
  int posts;
} fake_chain;

static void hex_append(char *out, const uint8_t *d, size_t n) {
  zq_ens_hex_encode(d, n, out + strlen(out));
}

/* "0x" + ABI bytes of d[0..n) */
static void abi_bytes(char *out, const uint8_t *d, size_t n) {
  uint8_t w[64] = {0};
  w[31] = 32;
  w[63] = (uint8_t)n;
  strcpy(out, "0x");
  hex_append(out, w, 64);
  uint8_t pad[256] = {0};
  memcpy(pad, d, n);
  hex_append(out, pad, (n + 31) / 32 * 32);
}

static void fake_answer(fake_chain *f, const char *to, const char *data, char *out) {
  uint8_t zquic[32], hname[32], hwww[32];
  zquic_crypto_ens_namehash("zquic.eth", zquic, 32);
  zq_ens_wire_name_hash("zquic.eth", hname);
  zq_ens_wire_name_hash("www.zquic.eth", hwww);
  char zhex[65] = "", nhex[65] = "", whex[65] = "";
  hex_append(zhex, zquic, 32);
  hex_append(nhex, hname, 32);
  hex_append(whex, hwww, 32);
  const char *args = data + 10;
  if (!strcmp(to, REGISTRY) && !strncmp(data, "0x0178b8bf", 10)) {
    bool ours = !strncmp(args, zhex, 64);
    sprintf(out, "0x%024d%s", 0, ours ? RESOLVER : "0000000000000000000000000000000000000000");
    if (f->mode == FAKE_BAD_ABI) out[2] = '1';
    return;
  }
  if (strcmp(to, "0x" RESOLVER) != 0 || strncmp(args, zhex, 64) != 0) {
    strcpy(out, "0x");
    return;
  }
  if (!strncmp(data, "0xa8fa5682", 10)) {
    int type = (int)strtol(args + 128, NULL, 16);
    /* zquic.eth. 300 IN A 192.0.2.10 and www.zquic.eth. 60 IN A 192.0.2.11 */
    static const uint8_t a_root[] = {5, 'z', 'q', 'u', 'i', 'c', 3, 'e', 't', 'h', 0, 0, 1, 0, 1,
                                     0, 0, 1, 44, 0, 4, 192, 0, 2, 10};
    static const uint8_t a_www[] = {3, 'w', 'w', 'w', 5, 'z', 'q', 'u', 'i', 'c', 3, 'e', 't',
                                    'h', 0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 11};
    if (type == 1 && !strncmp(args + 64, nhex, 64))
      abi_bytes(out, a_root, f->mode == FAKE_BAD_RR ? sizeof(a_root) - 2 : sizeof(a_root));
    else if (type == 1 && !strncmp(args + 64, whex, 64)) abi_bytes(out, a_www, sizeof(a_www));
    else strcpy(out, "0x");
    return;
  }
  if (!strncmp(data, "0x3b3b57de", 10)) {
    strcpy(out, "0x0000000000000000000000005aaeb6053f3e94c9b9a09f33669435e7ef1beaed");
    return;
  }
  if (!strncmp(data, "0xbc1c58d1", 10)) {
    static const uint8_t ch[] = {0xe3, 0x01, 0x01, 0x70};
    abi_bytes(out, ch, sizeof(ch));
    return;
  }
  if (!strncmp(data, "0x59d1d43c", 10) && !strncmp(args + 192, "75726c00", 8)) { /* "url" */
    abi_bytes(out, (const uint8_t *)"https://zquic.example", 21);
    return;
  }
  strcpy(out, "0x");
}

static int fake_post(void *user, const char *body, char **resp, size_t *resp_len, char *why,
                     size_t why_cap) {
  fake_chain *f = user;
  f->posts++;
  if (f->mode == FAKE_TIMEOUT || f->mode == FAKE_DOWN) {
    snprintf(why, why_cap, "fake: %s", f->mode == FAKE_TIMEOUT ? "timeout" : "refused");
    return f->mode == FAKE_TIMEOUT ? ZQUIC_ERR_TIMEOUT : ZQUIC_ERR_SOCKET;
  }
  if (f->mode == FAKE_GARBAGE) {
    *resp = strdup("<html>502</html>");
    *resp_len = strlen(*resp);
    return 0;
  }
  json_t *req = json_loads(body, 0, NULL), *out = json_array();
  assert_non_null(req);
  size_t i;
  json_t *r;
  json_array_foreach(req, i, r) {
    json_t *p = json_array_get(json_object_get(r, "params"), 0);
    char result[1024];
    fake_answer(f, json_string_value(json_object_get(p, "to")),
                json_string_value(json_object_get(p, "data")), result);
    json_array_append_new(out, json_pack("{s:s,s:O,s:s}", "jsonrpc", "2.0", "id",
                                         json_object_get(r, "id"), "result", result));
  }
  *resp = json_dumps(out, JSON_COMPACT);
  *resp_len = strlen(*resp);
  json_decref(req);
  json_decref(out);
  return 0;
}

static size_t count_type(const zq_ens_result *r, ldns_rr_type t) {
  size_t n = 0;
  for (size_t i = 0; r->answer && i < ldns_rr_list_rr_count(r->answer); i++)
    n += ldns_rr_get_type(ldns_rr_list_rr(r->answer, i)) == t;
  return n;
}

static bool has_txt(const zq_ens_result *r, const char *want) {
  for (size_t i = 0; r->answer && i < ldns_rr_list_rr_count(r->answer); i++) {
    ldns_rr *rr = ldns_rr_list_rr(r->answer, i);
    if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TXT) continue;
    char joined[2048] = "";
    for (size_t k = 0; k < ldns_rr_rd_count(rr); k++) {
      ldns_rdf *rd = ldns_rr_rdf(rr, k);
      strncat(joined, (const char *)ldns_rdf_data(rd) + 1, ldns_rdf_data(rd)[0]);
    }
    if (!strcmp(joined, want)) return true;
  }
  return false;
}

static void test_lookup(void **state) {
  (void)state;
  fake_chain f = {FAKE_OK, 0};
  zq_ens_result r;
  zq_ens_lookup(REGISTRY, "zquic.eth", LDNS_RR_TYPE_A, fake_post, &f, &r);
  assert_int_equal(r.rcode, ZQ_DNS_RCODE_NOERROR);
  assert_int_equal(count_type(&r, LDNS_RR_TYPE_A), 1);
  assert_int_equal(f.posts, 2);
  zq_ens_result_clear(&r);

  zq_ens_lookup(REGISTRY, "zquic.eth", LDNS_RR_TYPE_TXT, fake_post, &f, &r);
  assert_int_equal(r.rcode, ZQ_DNS_RCODE_NOERROR);
  assert_true(has_txt(&r, "eth=0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"));
  assert_true(has_txt(&r, "contenthash=0xe3010170"));
  assert_true(has_txt(&r, "url=https://zquic.example"));
  assert_int_equal(count_type(&r, LDNS_RR_TYPE_TXT), 3);
  zq_ens_result_clear(&r);

  /* a subname without a resolver: the parent's node, the full name's records */
  zq_ens_lookup(REGISTRY, "www.zquic.eth", LDNS_RR_TYPE_A, fake_post, &f, &r);
  assert_int_equal(r.rcode, ZQ_DNS_RCODE_NOERROR);
  assert_int_equal(count_type(&r, LDNS_RR_TYPE_A), 1);
  zq_ens_result_clear(&r);
  zq_ens_lookup(REGISTRY, "www.zquic.eth", LDNS_RR_TYPE_TXT, fake_post, &f, &r);
  assert_int_equal(r.rcode, ZQ_DNS_RCODE_NOERROR); /* no eth= for a name that is not its own */
  assert_int_equal(count_type(&r, LDNS_RR_TYPE_TXT), 0);
  assert_non_null(r.soa);
  zq_ens_result_clear(&r);

  zq_ens_lookup(REGISTRY, "nobody.eth", LDNS_RR_TYPE_A, fake_post, &f, &r);
  assert_int_equal(r.rcode, ZQ_DNS_RCODE_NXDOMAIN);
  assert_non_null(r.soa);
  zq_ens_result_clear(&r);
  zq_ens_lookup(REGISTRY, "zquic.eth", LDNS_RR_TYPE_MX, fake_post, &f, &r);
  assert_int_equal(r.rcode, ZQ_DNS_RCODE_NOERROR);
  assert_int_equal(ldns_rr_list_rr_count(r.answer), 0);
  assert_non_null(r.soa);
  zq_ens_result_clear(&r);
}

static void test_lookup_failures(void **state) {
  (void)state;
  struct {
    int mode, ede;
  } cases[] = {{FAKE_TIMEOUT, ZQ_DNS_EDE_NO_REACHABLE_AUTHORITY},
               {FAKE_DOWN, ZQ_DNS_EDE_NETWORK_ERROR},
               {FAKE_GARBAGE, ZQ_DNS_EDE_INVALID_DATA},
               {FAKE_BAD_ABI, ZQ_DNS_EDE_INVALID_DATA},
               {FAKE_BAD_RR, ZQ_DNS_EDE_INVALID_DATA}};
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    fake_chain f = {cases[i].mode, 0};
    zq_ens_result r;
    zq_ens_lookup(REGISTRY, "zquic.eth", LDNS_RR_TYPE_A, fake_post, &f, &r);
    if (r.rcode != ZQ_DNS_RCODE_SERVFAIL || r.ede != cases[i].ede)
      fail_msg("mode %d: rcode %d ede %d (%s)", cases[i].mode, r.rcode, r.ede, r.ede_text);
    assert_null(r.answer);
    zq_ens_result_clear(&r);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_selectors),      cmocka_unit_test(test_names),
    cmocka_unit_test(test_name_rules),     cmocka_unit_test(test_encode),
    cmocka_unit_test(test_decode_address), cmocka_unit_test(test_decode_bytes),
    cmocka_unit_test(test_hex),            cmocka_unit_test(test_rpc),
    cmocka_unit_test(test_lookup),         cmocka_unit_test(test_lookup_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
