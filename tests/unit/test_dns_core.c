/*
 * test_dns_core.c — the DoQ server's DNS message rules (src/dns/message*) and its answer cache
 * (src/dns/cache.c), called directly through the static library. Queries are built with ldns
 * as a client would; answers are parsed back with ldns, so both directions meet an independent
 * reader.
 */
#include "cache.h"
#include "dns_test_util.h"
#include "zquic.h"

/* ---- parsing ---- */

static void test_parse_good(void **state) {
  (void)state;
  zq_dns_query q;
  qopts o = {.edns = true, .do_bit = true};
  parse_ok("WWW.Example.ORG.", LDNS_RR_TYPE_AAAA, &o, &q);
  assert_string_equal(q.qname_text, "www.example.org.");
  assert_int_equal(q.qtype, LDNS_RR_TYPE_AAAA);
  assert_int_equal(q.qclass, LDNS_RR_CLASS_IN);
  assert_true(q.has_edns && q.do_bit && q.rd);
  assert_int_equal(q.udp_size, 1232);
  assert_false(q.padding_requested || q.keepalive_present || q.id_nonzero);
  assert_false(zq_dns_query_protocol_error(&q));
  assert_non_null(q.pkt);
  /* the question keeps the case it was asked in (for echoing) */
  char *owner = ldns_rdf2str(ldns_rr_owner(q.question));
  assert_string_equal(owner, "WWW.Example.ORG.");
  free(owner);
  zq_dns_query_clear(&q);
}

static void test_parse_protocol_errors(void **state) {
  (void)state;
  zq_dns_query q;
  qopts o = {.id = 0x1234};
  parse_ok("example.org.", LDNS_RR_TYPE_A, &o, &q);
  assert_true(q.id_nonzero);
  assert_int_equal(q.id, 0x1234);
  assert_true(zq_dns_query_protocol_error(&q));
  zq_dns_query_clear(&q);

  static const uint8_t keepalive[] = {0, 11, 0, 0};
  qopts k = {.edns = true, .opts = keepalive, .optlen = sizeof(keepalive)};
  parse_ok("example.org.", LDNS_RR_TYPE_A, &k, &q);
  assert_true(q.keepalive_present);
  assert_false(q.id_nonzero);
  assert_true(zq_dns_query_protocol_error(&q));
  zq_dns_query_clear(&q);
}

static void test_parse_two_questions(void **state) {
  (void)state;
  size_t len;
  uint8_t *w = mkquery("example.org.", LDNS_RR_TYPE_A, NULL, &len);
  /* duplicate the question: qdcount 2 */
  size_t qlen = len - ZQ_DNS_HEADER_LEN;
  uint8_t *w2 = malloc(len + qlen);
  memcpy(w2, w, len);
  memcpy(w2 + len, w + ZQ_DNS_HEADER_LEN, qlen);
  w2[5] = 2;
  zq_dns_query q;
  assert_int_equal(zq_dns_parse_query(w2, len + qlen, &q), ZQ_DNS_PARSE_ANSWER);
  assert_int_equal(q.rcode, ZQ_DNS_RCODE_FORMERR);
  ldns_pkt *a = zq_dns_answer_for_parse(&q);
  ldns_pkt *back = roundtrip(a, &q, NULL);
  assert_int_equal(ldns_pkt_get_rcode(back), LDNS_RCODE_FORMERR);
  assert_true(ldns_pkt_qr(back));
  assert_int_equal(ldns_pkt_qdcount(back), 1); /* the first question is echoed */
  ldns_pkt_free(back);
  ldns_pkt_free(a);
  zq_dns_query_clear(&q);
  free(w);
  free(w2);
}

static void test_parse_truncated_and_garbage(void **state) {
  (void)state;
  zq_dns_query q;
  static const uint8_t tiny[5] = {0, 0, 1, 0, 0};
  assert_int_equal(zq_dns_parse_query(tiny, sizeof(tiny), &q), ZQ_DNS_PARSE_DROP);
  zq_dns_query_clear(&q);
  assert_int_equal(zq_dns_parse_query(NULL, 0, &q), ZQ_DNS_PARSE_DROP);
  zq_dns_query_clear(&q);

  /* a header that promises a question which is not there: FORMERR, ID echoed, no question */
  static const uint8_t hdr[12] = {0xab, 0xcd, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  assert_int_equal(zq_dns_parse_query(hdr, sizeof(hdr), &q), ZQ_DNS_PARSE_ANSWER);
  assert_int_equal(q.rcode, ZQ_DNS_RCODE_FORMERR);
  assert_true(q.id_nonzero);
  ldns_pkt *a = zq_dns_answer_for_parse(&q);
  ldns_pkt *back = roundtrip(a, &q, NULL);
  assert_int_equal(ldns_pkt_id(back), 0xabcd);
  assert_int_equal(ldns_pkt_qdcount(back), 0);
  assert_int_equal(ldns_pkt_get_rcode(back), LDNS_RCODE_FORMERR);
  ldns_pkt_free(back);
  ldns_pkt_free(a);
  zq_dns_query_clear(&q);

  /* random bytes after a header: never OK, never a crash */
  uint8_t junk[300];
  srand(7);
  for (int round = 0; round < 200; round++) {
    for (size_t i = 0; i < sizeof(junk); i++) junk[i] = (uint8_t)rand();
    size_t len = 12 + (size_t)rand() % (sizeof(junk) - 12);
    int r = zq_dns_parse_query(junk, len, &q);
    assert_true(r == ZQ_DNS_PARSE_OK || r == ZQ_DNS_PARSE_ANSWER);
    zq_dns_query_clear(&q);
  }

  /* a trailing byte is malformed */
  size_t len;
  uint8_t *w = mkquery("example.org.", LDNS_RR_TYPE_A, NULL, &len);
  w = realloc(w, len + 1);
  w[len] = 0;
  assert_int_equal(zq_dns_parse_query(w, len + 1, &q), ZQ_DNS_PARSE_ANSWER);
  assert_int_equal(q.rcode, ZQ_DNS_RCODE_FORMERR);
  zq_dns_query_clear(&q);
  free(w);
}

static void test_parse_verdicts(void **state) {
  (void)state;
  zq_dns_query q;
  size_t len;
  /* QR=1: FORMERR */
  uint8_t *w = mkquery("example.org.", LDNS_RR_TYPE_A, NULL, &len);
  w[2] |= 0x80;
  assert_int_equal(zq_dns_parse_query(w, len, &q), ZQ_DNS_PARSE_ANSWER);
  assert_int_equal(q.rcode, ZQ_DNS_RCODE_FORMERR);
  zq_dns_query_clear(&q);
  free(w);
  /* NOTIFY: NOTIMP */
  qopts n = {.opcode = LDNS_PACKET_NOTIFY};
  w = mkquery("example.org.", LDNS_RR_TYPE_SOA, &n, &len);
  assert_int_equal(zq_dns_parse_query(w, len, &q), ZQ_DNS_PARSE_ANSWER);
  assert_int_equal(q.rcode, ZQ_DNS_RCODE_NOTIMP);
  zq_dns_query_clear(&q);
  free(w);
  /* AXFR: REFUSED; class CH: REFUSED */
  w = mkquery("example.org.", LDNS_RR_TYPE_AXFR, NULL, &len);
  assert_int_equal(zq_dns_parse_query(w, len, &q), ZQ_DNS_PARSE_ANSWER);
  assert_int_equal(q.rcode, ZQ_DNS_RCODE_REFUSED);
  zq_dns_query_clear(&q);
  w[len - 1] = LDNS_RR_CLASS_CH;
  assert_int_equal(zq_dns_parse_query(w, len, &q), ZQ_DNS_PARSE_ANSWER);
  assert_int_equal(q.rcode, ZQ_DNS_RCODE_REFUSED);
  zq_dns_query_clear(&q);
  free(w);
  /* two OPT records: FORMERR (RFC 6891 section 6.1.1) */
  qopts e = {.edns = true};
  w = mkquery("example.org.", LDNS_RR_TYPE_A, &e, &len);
  static const uint8_t opt[11] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};
  w = realloc(w, len + sizeof(opt));
  memcpy(w + len, opt, sizeof(opt));
  w[11] = 2;
  assert_int_equal(zq_dns_parse_query(w, len + sizeof(opt), &q), ZQ_DNS_PARSE_ANSWER);
  assert_int_equal(q.rcode, ZQ_DNS_RCODE_FORMERR);
  zq_dns_query_clear(&q);
  free(w);
}

static void test_badvers(void **state) {
  (void)state;
  qopts o = {.edns = true, .version = 1};
  size_t len;
  uint8_t *w = mkquery("example.org.", LDNS_RR_TYPE_A, &o, &len);
  zq_dns_query q;
  assert_int_equal(zq_dns_parse_query(w, len, &q), ZQ_DNS_PARSE_ANSWER);
  assert_int_equal(q.rcode, ZQ_DNS_RCODE_BADVERS);
  ldns_pkt *a = zq_dns_answer_for_parse(&q);
  ldns_pkt *back = roundtrip(a, &q, NULL);
  /* BADVERS = 16: header rcode 0, extended rcode 1, OPT version 0 */
  assert_int_equal(ldns_pkt_get_rcode(back), 0);
  assert_int_equal(ldns_pkt_edns_extended_rcode(back), 1);
  assert_int_equal(ldns_pkt_edns_version(back), 0);
  ldns_pkt_free(back);
  ldns_pkt_free(a);
  zq_dns_query_clear(&q);
  free(w);
}

/* ---- answers ---- */

static ldns_rr *rr(const char *text) {
  ldns_rr *r = NULL;
  assert_int_equal(ldns_rr_new_frm_str(&r, text, 3600, NULL, NULL), LDNS_STATUS_OK);
  return r;
}

static void add(ldns_pkt *a, ldns_pkt_section s, const char *text) {
  ldns_rr *r = rr(text);
  assert_int_equal(zq_dns_answer_add_rr(a, s, r), 0);
  ldns_rr_free(r);
}

static void test_padding(void **state) {
  (void)state;
  static const uint8_t pad[] = {0, 12, 0, 0};
  qopts o = {.edns = true, .opts = pad, .optlen = sizeof(pad)};
  zq_dns_query q;
  parse_ok("example.org.", LDNS_RR_TYPE_A, &o, &q);
  assert_true(q.padding_requested);
  for (int n = 0; n < 40; n += 7) {
    ldns_pkt *a = zq_dns_answer_new(&q, ZQ_DNS_RCODE_NOERROR);
    for (int i = 0; i < n; i++) add(a, LDNS_SECTION_ANSWER, "example.org. 60 IN A 192.0.2.1");
    size_t len;
    ldns_pkt *back = roundtrip(a, &q, &len);
    assert_int_equal(len % ZQ_DNS_PAD_BLOCK, 0);
    assert_true(find_option(back, ZQ_DNS_OPT_PADDING, NULL) >= 0);
    assert_int_equal(ldns_pkt_ancount(back), n);
    ldns_pkt_free(back);
    ldns_pkt_free(a);
  }
  zq_dns_query_clear(&q);

  /* EDNS without the padding option: OPT echoed, no padding */
  qopts e = {.edns = true, .do_bit = true};
  parse_ok("example.org.", LDNS_RR_TYPE_A, &e, &q);
  ldns_pkt *a = zq_dns_answer_new(&q, ZQ_DNS_RCODE_NOERROR);
  ldns_pkt *back = roundtrip(a, &q, NULL);
  assert_true(ldns_pkt_edns_do(back));
  assert_int_equal(ldns_pkt_edns_udp_size(back), ZQ_DNS_EDNS_UDP_SIZE);
  assert_int_equal(find_option(back, ZQ_DNS_OPT_PADDING, NULL), -1);
  ldns_pkt_free(back);
  ldns_pkt_free(a);
  zq_dns_query_clear(&q);
}

static void test_no_edns_no_opt(void **state) {
  (void)state;
  zq_dns_query q;
  parse_ok("example.org.", LDNS_RR_TYPE_A, NULL, &q);
  assert_false(q.has_edns);
  ldns_pkt *a = zq_dns_answer_refused(&q, ZQ_DNS_EDE_TOO_EARLY, "x");
  uint8_t *w;
  size_t len;
  assert_int_equal(zq_dns_answer_to_wire(a, &q, &w, &len), 0);
  assert_int_equal(w[10] << 8 | w[11], 0); /* ARCOUNT 0: no OPT, so no EDE either */
  assert_int_equal(w[3] & 0x0F, LDNS_RCODE_REFUSED);
  free(w);
  ldns_pkt_free(a);
  zq_dns_query_clear(&q);
}

static void test_ede_too_early(void **state) {
  (void)state;
  zq_dns_query q;
  qopts o = {.edns = true};
  parse_ok("example.org.", LDNS_RR_TYPE_A, &o, &q);
  ldns_pkt *a = zq_dns_answer_too_early(&q);
  assert_int_equal(zq_dns_answer_add_ede(a, ZQ_DNS_EDE_BLOCKED, NULL), 0);
  ldns_pkt *back = roundtrip(a, &q, NULL);
  assert_int_equal(ldns_pkt_get_rcode(back), LDNS_RCODE_REFUSED);
  const uint8_t *d = NULL;
  int l = find_option(back, ZQ_DNS_OPT_EDE, &d);
  assert_true(l >= 2);
  assert_int_equal(d[0] << 8 | d[1], ZQ_DNS_EDE_TOO_EARLY);
  assert_memory_equal(d + 2, "opcode not allowed in 0-RTT", (size_t)l - 2);
  ldns_pkt_free(back);
  ldns_pkt_free(a);
  zq_dns_query_clear(&q);
}

static void test_nxdomain_soa(void **state) {
  (void)state;
  zq_dns_query q;
  parse_ok("nope.example.org.", LDNS_RR_TYPE_A, NULL, &q);
  ldns_rr *soa = rr("example.org. 3600 IN SOA ns1.example.org. h.example.org. 1 7200 900 1209600 300");
  ldns_pkt *a = zq_dns_answer_nxdomain(&q, soa);
  ldns_pkt *back = roundtrip(a, &q, NULL);
  assert_int_equal(ldns_pkt_get_rcode(back), LDNS_RCODE_NXDOMAIN);
  assert_true(ldns_pkt_aa(back));
  assert_int_equal(ldns_pkt_nscount(back), 1);
  assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_authority(back), 0)), 300);
  ldns_pkt_free(back);
  ldns_pkt_free(a);
  ldns_rr_free(soa);
  zq_dns_query_clear(&q);
}

static void test_truncation(void **state) {
  (void)state;
  static const uint8_t pad[] = {0, 12, 0, 0};
  qopts o = {.edns = true, .opts = pad, .optlen = sizeof(pad)};
  zq_dns_query q;
  parse_ok("big.example.org.", LDNS_RR_TYPE_TXT, &o, &q);
  ldns_pkt *a = zq_dns_answer_new(&q, ZQ_DNS_RCODE_NOERROR);
  char line[400];
  for (int i = 0; i < 400; i++) { /* ~ 400 * 220 bytes: well past 65535 */
    snprintf(line, sizeof(line), "big.example.org. 60 IN TXT \"%04d%0200d\"", i, 0);
    add(a, LDNS_SECTION_ANSWER, line);
  }
  size_t len;
  ldns_pkt *back = roundtrip(a, &q, &len);
  assert_true(len <= ZQ_DNS_MAX_MESSAGE);
  assert_true(ldns_pkt_tc(back));
  assert_true(ldns_pkt_ancount(back) > 200 && ldns_pkt_ancount(back) < 400);
  assert_int_equal(ldns_pkt_ancount(a), 400); /* the answer itself is untouched */
  ldns_pkt_free(back);
  ldns_pkt_free(a);
  zq_dns_query_clear(&q);
}

/* ---- cache ---- */

static ldns_pkt *answer_a(const zq_dns_query *q, uint32_t ttl) {
  ldns_pkt *a = zq_dns_answer_new(q, ZQ_DNS_RCODE_NOERROR);
  char line[200];
  snprintf(line, sizeof(line), "%s %u IN A 192.0.2.1", q->qname_text, ttl);
  add(a, LDNS_SECTION_ANSWER, line);
  snprintf(line, sizeof(line), "%s %u IN A 192.0.2.2", q->qname_text, ttl + 100);
  add(a, LDNS_SECTION_ANSWER, line);
  return a;
}

static void test_cache_hit_ttl_expiry(void **state) {
  (void)state;
  zq_dns_cache *c;
  assert_int_equal(zq_dns_cache_new(NULL, &c), 0);
  zq_dns_query q;
  parse_ok("www.example.org.", LDNS_RR_TYPE_A, NULL, &q);
  ldns_pkt *got;
  assert_int_equal(zq_dns_cache_get(c, &q, 1000, &got), ZQUIC_ERR_NOT_FOUND);
  ldns_pkt *a = answer_a(&q, 300);
  assert_int_equal(zq_dns_cache_put(c, &q, a, 1000), 1);
  ldns_pkt_free(a);

  /* another case, another ID: same entry, answered in the asker's case and ID */
  zq_dns_query q2;
  qopts o = {.id = 77};
  parse_ok("WWW.example.org.", LDNS_RR_TYPE_A, &o, &q2);
  assert_int_equal(zq_dns_cache_get(c, &q2, 1000 + 100500, &got), 0);
  assert_int_equal(ldns_pkt_id(got), 77);
  assert_int_equal(ldns_pkt_ancount(got), 2);
  assert_false(ldns_pkt_aa(got));
  char *owner = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(got), 0)));
  assert_string_equal(owner, "WWW.example.org.");
  free(owner);
  /* 100.5 s later: 300 → 200, and 400 is capped by the entry's life (300) → 200 */
  assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(got), 0)), 200);
  assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(got), 1)), 200);
  ldns_pkt_free(got);

  assert_int_equal(zq_dns_cache_get(c, &q, 1000 + 300000, &got), ZQUIC_ERR_NOT_FOUND);
  zq_dns_cache_stats st;
  zq_dns_cache_stats_get(c, &st);
  assert_int_equal(st.hits, 1);
  assert_int_equal(st.misses, 2);
  assert_int_equal(st.inserts, 1);
  assert_int_equal(st.expired, 1);
  assert_int_equal(st.entries, 0);
  assert_int_equal(st.bytes, 0);
  zq_dns_query_clear(&q);
  zq_dns_query_clear(&q2);
  zq_dns_cache_free(c);
}

static void test_cache_negative(void **state) {
  (void)state;
  zq_dns_cache_config cfg;
  zq_dns_cache_config_init(&cfg);
  zq_dns_cache *c;
  assert_int_equal(zq_dns_cache_new(&cfg, &c), 0);
  zq_dns_query q;
  parse_ok("nope.example.org.", LDNS_RR_TYPE_A, NULL, &q);
  ldns_rr *soa = rr("example.org. 3600 IN SOA ns1.example.org. h.example.org. 1 7200 900 1209600 300");
  ldns_pkt *nx = zq_dns_answer_nxdomain(&q, soa);
  ldns_pkt *nosoa = zq_dns_answer_nxdomain(&q, NULL);
  assert_int_equal(zq_dns_cache_put(c, &q, nosoa, 0), 0); /* RFC 2308: no SOA, no caching */
  assert_int_equal(zq_dns_cache_put(c, &q, nx, 0), 1);
  ldns_pkt *got;
  assert_int_equal(zq_dns_cache_get(c, &q, 299000, &got), 0);
  assert_int_equal(ldns_pkt_get_rcode(got), LDNS_RCODE_NXDOMAIN);
  assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_authority(got), 0)), 1);
  ldns_pkt_free(got);
  assert_int_equal(zq_dns_cache_get(c, &q, 300000, &got), ZQUIC_ERR_NOT_FOUND);

  /* NODATA: NOERROR, no A, SOA → cached; capped by neg_max_ttl */
  zq_dns_cache_free(c);
  cfg.neg_max_ttl = 60;
  assert_int_equal(zq_dns_cache_new(&cfg, &c), 0);
  ldns_pkt *nodata = zq_dns_answer_new(&q, ZQ_DNS_RCODE_NOERROR);
  ldns_rr *neg = zq_dns_soa_for_negative(soa);
  assert_int_equal(zq_dns_answer_add_rr(nodata, LDNS_SECTION_AUTHORITY, neg), 0);
  assert_int_equal(zq_dns_cache_put(c, &q, nodata, 0), 1);
  assert_int_equal(zq_dns_cache_get(c, &q, 59999, &got), 0);
  ldns_pkt_free(got);
  assert_int_equal(zq_dns_cache_get(c, &q, 60000, &got), ZQUIC_ERR_NOT_FOUND);

  /* SERVFAIL: a few seconds; TC and REFUSED: never */
  ldns_pkt *sf = zq_dns_answer_servfail(&q);
  assert_int_equal(zq_dns_cache_put(c, &q, sf, 0), 1);
  assert_int_equal(zq_dns_cache_get(c, &q, 4999, &got), 0);
  assert_int_equal(ldns_pkt_get_rcode(got), LDNS_RCODE_SERVFAIL);
  ldns_pkt_free(got);
  assert_int_equal(zq_dns_cache_get(c, &q, 5000, &got), ZQUIC_ERR_NOT_FOUND);
  ldns_pkt *tc = answer_a(&q, 300);
  ldns_pkt_set_tc(tc, true);
  assert_int_equal(zq_dns_cache_put(c, &q, tc, 0), 0);
  ldns_pkt *ref = zq_dns_answer_refused(&q, -1, NULL);
  assert_int_equal(zq_dns_cache_put(c, &q, ref, 0), 0);

  ldns_pkt_free(nx);
  ldns_pkt_free(nosoa);
  ldns_pkt_free(nodata);
  ldns_pkt_free(sf);
  ldns_pkt_free(tc);
  ldns_pkt_free(ref);
  ldns_rr_free(neg);
  ldns_rr_free(soa);
  zq_dns_query_clear(&q);
  zq_dns_cache_free(c);
}

static void test_cache_lru_and_do_bit(void **state) {
  (void)state;
  /* measure one entry, then allow three */
  zq_dns_cache *c;
  assert_int_equal(zq_dns_cache_new(NULL, &c), 0);
  zq_dns_query q[5];
  char name[64];
  for (int i = 0; i < 5; i++) {
    snprintf(name, sizeof(name), "host%d.example.org.", i);
    parse_ok(name, LDNS_RR_TYPE_A, NULL, &q[i]);
  }
  ldns_pkt *a = answer_a(&q[0], 300);
  assert_int_equal(zq_dns_cache_put(c, &q[0], a, 0), 1);
  ldns_pkt_free(a);
  zq_dns_cache_stats st;
  zq_dns_cache_stats_get(c, &st);
  size_t one = st.bytes;
  zq_dns_cache_free(c);

  zq_dns_cache_config cfg;
  zq_dns_cache_config_init(&cfg);
  cfg.max_bytes = one * 3 + one / 2;
  assert_int_equal(zq_dns_cache_new(&cfg, &c), 0);
  ldns_pkt *got;
  for (int i = 0; i < 5; i++) {
    a = answer_a(&q[i], 300);
    assert_int_equal(zq_dns_cache_put(c, &q[i], a, 0), 1);
    ldns_pkt_free(a);
    if (i == 2) { /* touch host0 so that host1 is the least recently used */
      assert_int_equal(zq_dns_cache_get(c, &q[0], 0, &got), 0);
      ldns_pkt_free(got);
    }
  }
  zq_dns_cache_stats_get(c, &st);
  assert_int_equal(st.entries, 3);
  assert_int_equal(st.evictions, 2);
  assert_true(st.bytes <= cfg.max_bytes);
  int present[5];
  for (int i = 0; i < 5; i++) {
    present[i] = zq_dns_cache_get(c, &q[i], 0, &got) == 0;
    ldns_pkt_free(got);
  }
  assert_true(present[0] && !present[1] && !present[2] && present[3] && present[4]);

  /* DO=1 is its own entry */
  zq_dns_query qd;
  qopts o = {.edns = true, .do_bit = true};
  parse_ok("host4.example.org.", LDNS_RR_TYPE_A, &o, &qd);
  assert_int_equal(zq_dns_cache_get(c, &qd, 0, &got), ZQUIC_ERR_NOT_FOUND);
  zq_dns_cache_clear(c);
  zq_dns_cache_stats_get(c, &st);
  assert_int_equal(st.entries, 0);
  assert_int_equal(st.bytes, 0);
  zq_dns_query_clear(&qd);
  for (int i = 0; i < 5; i++) zq_dns_query_clear(&q[i]);
  zq_dns_cache_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_good),
      cmocka_unit_test(test_parse_protocol_errors),
      cmocka_unit_test(test_parse_two_questions),
      cmocka_unit_test(test_parse_truncated_and_garbage),
      cmocka_unit_test(test_parse_verdicts),
      cmocka_unit_test(test_badvers),
      cmocka_unit_test(test_padding),
      cmocka_unit_test(test_no_edns_no_opt),
      cmocka_unit_test(test_ede_too_early),
      cmocka_unit_test(test_nxdomain_soa),
      cmocka_unit_test(test_truncation),
      cmocka_unit_test(test_cache_hit_ttl_expiry),
      cmocka_unit_test(test_cache_negative),
      cmocka_unit_test(test_cache_lru_and_do_bit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
