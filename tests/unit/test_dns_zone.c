/*
 * test_dns_zone.c — local zones (src/dns/zone*): loading tests/data/example.zone, authoritative
 * answers (A, AAAA, TXT, MX with glue, CNAME chains in and out of the zone, a CNAME loop),
 * NODATA and NXDOMAIN with the negative SOA, empty non-terminals, RFC 4592 wildcards, a
 * referral, names outside the zone, zone sets, and zone files that must be refused with the line
 * that is wrong.
 */
#include <stdio.h>

#include "dns_test_util.h"
#include "zone.h"
#include "zquic.h"

static zq_dns_zone *example(void) {
  zq_dns_zone *z = NULL;
  char err[256];
  int rv = zq_dns_zone_load(ZQ_TEST_DATA_DIR "/example.zone", NULL, &z, err, sizeof(err));
  if (rv) fprintf(stderr, "%s\n", err);
  assert_int_equal(rv, 0);
  return z;
}

typedef struct res {
  int rv;
  ldns_pkt *a; /* the answer parsed back from the wire */
} res;

static res ask(const zq_dns_zone *z, const char *name, ldns_rr_type type) {
  zq_dns_query q;
  parse_ok(name, type, NULL, &q);
  ldns_pkt *a = zq_dns_answer_new(&q, ZQ_DNS_RCODE_NOERROR);
  res r = {zq_dns_zone_lookup(z, &q, a), NULL};
  r.a = roundtrip(a, &q, NULL);
  ldns_pkt_free(a);
  zq_dns_query_clear(&q);
  return r;
}

static const ldns_rr *an(const res *r, size_t i) { return ldns_rr_list_rr(ldns_pkt_answer(r->a), i); }

static void rdata_is(const ldns_rr *rr, size_t i, const char *text) {
  char *s = ldns_rdf2str(ldns_rr_rdf(rr, i));
  assert_string_equal(s, text);
  free(s);
}

static void owner_is(const ldns_rr *rr, const char *text) {
  char *s = ldns_rdf2str(ldns_rr_owner(rr));
  assert_string_equal(s, text);
  free(s);
}

/* NODATA or NXDOMAIN: authoritative, no answer, the SOA with its negative TTL (300). */
static void negative(const res *r, ldns_pkt_rcode rcode) {
  assert_int_equal(r->rv, ZQ_DNS_ZONE_ANSWERED);
  assert_int_equal(ldns_pkt_get_rcode(r->a), rcode);
  assert_true(ldns_pkt_aa(r->a));
  assert_int_equal(ldns_pkt_ancount(r->a), 0);
  assert_int_equal(ldns_pkt_nscount(r->a), 1);
  const ldns_rr *soa = ldns_rr_list_rr(ldns_pkt_authority(r->a), 0);
  assert_int_equal(ldns_rr_get_type(soa), LDNS_RR_TYPE_SOA);
  assert_int_equal(ldns_rr_ttl(soa), 300);
}

static void test_load(void **state) {
  (void)state;
  zq_dns_zone *z = example();
  char *o = ldns_rdf2str(zq_dns_zone_origin(z));
  assert_string_equal(o, "example.org.");
  free(o);
  assert_int_equal(zq_dns_zone_rr_count(z), 20);
  assert_non_null(zq_dns_zone_soa(z));
  zq_dns_zone_free(z);
}

static void test_exact(void **state) {
  (void)state;
  zq_dns_zone *z = example();
  res r = ask(z, "WWW.example.org.", LDNS_RR_TYPE_A);
  assert_int_equal(r.rv, ZQ_DNS_ZONE_ANSWERED);
  assert_true(ldns_pkt_aa(r.a));
  assert_int_equal(ldns_pkt_get_rcode(r.a), LDNS_RCODE_NOERROR);
  assert_int_equal(ldns_pkt_ancount(r.a), 1);
  rdata_is(an(&r, 0), 0, "192.0.2.80");
  assert_int_equal(ldns_rr_ttl(an(&r, 0)), 3600);
  ldns_pkt_free(r.a);

  r = ask(z, "www.example.org.", LDNS_RR_TYPE_AAAA);
  rdata_is(an(&r, 0), 0, "2001:db8::80");
  ldns_pkt_free(r.a);

  r = ask(z, "txt.example.org.", LDNS_RR_TYPE_TXT);
  assert_int_equal(ldns_pkt_ancount(r.a), 1);
  rdata_is(an(&r, 0), 0, "\"hello world\"");
  rdata_is(an(&r, 0), 1, "\"second string\"");
  ldns_pkt_free(r.a);

  r = ask(z, "short.example.org.", LDNS_RR_TYPE_A);
  assert_int_equal(ldns_rr_ttl(an(&r, 0)), 60);
  ldns_pkt_free(r.a);

  /* MX at the apex, with the mail host's addresses as additional data */
  r = ask(z, "example.org.", LDNS_RR_TYPE_MX);
  assert_int_equal(ldns_pkt_ancount(r.a), 1);
  rdata_is(an(&r, 0), 1, "mail.example.org.");
  assert_int_equal(ldns_pkt_arcount(r.a), 2);
  ldns_pkt_free(r.a);
  zq_dns_zone_free(z);
}

static void test_cname(void **state) {
  (void)state;
  zq_dns_zone *z = example();
  /* alias2 → alias → www: the whole chain and the A */
  res r = ask(z, "alias2.example.org.", LDNS_RR_TYPE_A);
  assert_int_equal(r.rv, ZQ_DNS_ZONE_ANSWERED);
  assert_int_equal(ldns_pkt_ancount(r.a), 3);
  assert_int_equal(ldns_rr_get_type(an(&r, 0)), LDNS_RR_TYPE_CNAME);
  assert_int_equal(ldns_rr_get_type(an(&r, 1)), LDNS_RR_TYPE_CNAME);
  assert_int_equal(ldns_rr_get_type(an(&r, 2)), LDNS_RR_TYPE_A);
  owner_is(an(&r, 2), "www.example.org.");
  ldns_pkt_free(r.a);

  /* asking for the CNAME itself does not follow it */
  r = ask(z, "alias.example.org.", LDNS_RR_TYPE_CNAME);
  assert_int_equal(ldns_pkt_ancount(r.a), 1);
  ldns_pkt_free(r.a);

  /* chain to a name without that type: CNAME + NODATA */
  r = ask(z, "alias.example.org.", LDNS_RR_TYPE_TXT);
  assert_int_equal(ldns_pkt_ancount(r.a), 1);
  assert_int_equal(ldns_pkt_nscount(r.a), 1);
  ldns_pkt_free(r.a);

  /* a loop ends, bounded */
  r = ask(z, "loop1.example.org.", LDNS_RR_TYPE_A);
  assert_int_equal(r.rv, ZQ_DNS_ZONE_ANSWERED);
  assert_int_equal(ldns_pkt_ancount(r.a), 2);
  ldns_pkt_free(r.a);

  /* leaving the zone: the CNAME, and the resolver is told to go on */
  r = ask(z, "out.example.org.", LDNS_RR_TYPE_A);
  assert_int_equal(r.rv, ZQ_DNS_ZONE_CNAME_OUT);
  assert_int_equal(ldns_pkt_ancount(r.a), 1);
  rdata_is(an(&r, 0), 0, "www.example.net.");
  ldns_pkt_free(r.a);
  zq_dns_zone_free(z);
}

static void test_negative(void **state) {
  (void)state;
  zq_dns_zone *z = example();
  res r = ask(z, "www.example.org.", LDNS_RR_TYPE_TXT);
  negative(&r, LDNS_RCODE_NOERROR);
  ldns_pkt_free(r.a);
  r = ask(z, "nope.example.org.", LDNS_RR_TYPE_A);
  negative(&r, LDNS_RCODE_NXDOMAIN);
  ldns_pkt_free(r.a);
  r = ask(z, "a.b.c.nope.example.org.", LDNS_RR_TYPE_A);
  negative(&r, LDNS_RCODE_NXDOMAIN);
  ldns_pkt_free(r.a);
  /* empty non-terminals exist: NODATA, not NXDOMAIN */
  r = ask(z, "ent.b.example.org.", LDNS_RR_TYPE_A);
  negative(&r, LDNS_RCODE_NOERROR);
  ldns_pkt_free(r.a);
  r = ask(z, "b.example.org.", LDNS_RR_TYPE_A);
  negative(&r, LDNS_RCODE_NOERROR);
  ldns_pkt_free(r.a);
  r = ask(z, "deep.ent.b.example.org.", LDNS_RR_TYPE_A);
  assert_int_equal(ldns_pkt_ancount(r.a), 1);
  ldns_pkt_free(r.a);
  zq_dns_zone_free(z);
}

static void test_wildcard(void **state) {
  (void)state;
  zq_dns_zone *z = example();
  res r = ask(z, "Foo.wild.example.org.", LDNS_RR_TYPE_A);
  assert_int_equal(ldns_pkt_ancount(r.a), 1);
  owner_is(an(&r, 0), "Foo.wild.example.org."); /* synthesized for the name asked */
  rdata_is(an(&r, 0), 0, "192.0.2.99");
  ldns_pkt_free(r.a);
  r = ask(z, "x.y.wild.example.org.", LDNS_RR_TYPE_TXT);
  assert_int_equal(ldns_pkt_ancount(r.a), 1);
  rdata_is(an(&r, 0), 0, "\"synthesized\"");
  ldns_pkt_free(r.a);
  /* the wildcard has no AAAA: NODATA */
  r = ask(z, "foo.wild.example.org.", LDNS_RR_TYPE_AAAA);
  negative(&r, LDNS_RCODE_NOERROR);
  ldns_pkt_free(r.a);
  /* wild.example.org itself is an empty non-terminal, not matched by its own wildcard */
  r = ask(z, "wild.example.org.", LDNS_RR_TYPE_A);
  negative(&r, LDNS_RCODE_NOERROR);
  ldns_pkt_free(r.a);
  /* no wildcard at the apex: NXDOMAIN stays */
  r = ask(z, "x.www.example.org.", LDNS_RR_TYPE_A);
  negative(&r, LDNS_RCODE_NXDOMAIN);
  ldns_pkt_free(r.a);
  zq_dns_zone_free(z);
}

static void test_referral_and_not_mine(void **state) {
  (void)state;
  zq_dns_zone *z = example();
  res r = ask(z, "www.sub.example.org.", LDNS_RR_TYPE_A);
  assert_int_equal(r.rv, ZQ_DNS_ZONE_ANSWERED);
  assert_false(ldns_pkt_aa(r.a));
  assert_int_equal(ldns_pkt_ancount(r.a), 0);
  assert_int_equal(ldns_pkt_nscount(r.a), 1);
  assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_authority(r.a), 0)), LDNS_RR_TYPE_NS);
  assert_int_equal(ldns_pkt_arcount(r.a), 1); /* glue for ns.sub */
  ldns_pkt_free(r.a);

  r = ask(z, "www.example.net.", LDNS_RR_TYPE_A);
  assert_int_equal(r.rv, ZQ_DNS_ZONE_NOT_MINE);
  assert_int_equal(ldns_pkt_ancount(r.a), 0);
  ldns_pkt_free(r.a);
  r = ask(z, "org.", LDNS_RR_TYPE_A);
  assert_int_equal(r.rv, ZQ_DNS_ZONE_NOT_MINE);
  ldns_pkt_free(r.a);
  zq_dns_zone_free(z);
}

static zq_dns_zone *from_text(const char *text, const char *origin, int *rv, char *err,
                              size_t cap) {
  FILE *fp = fmemopen((void *)text, strlen(text), "r");
  assert_non_null(fp);
  zq_dns_zone *z = NULL;
  *rv = zq_dns_zone_load_fp(fp, "t.zone", origin, &z, err, cap);
  fclose(fp);
  return z;
}

static void test_zone_set(void **state) {
  (void)state;
  zq_dns_zones *s;
  assert_int_equal(zq_dns_zones_new(&s), 0);
  assert_int_equal(zq_dns_zones_add(s, example()), 0);
  char err[256];
  int rv;
  zq_dns_zone *sub = from_text("@ SOA ns a 1 2 3 4 5\n@ NS ns\nns A 192.0.2.54\n"
                               "www A 192.0.2.200\n",
                               "sub.example.org", &rv, err, sizeof(err));
  assert_int_equal(rv, 0);
  assert_int_equal(zq_dns_zones_add(s, sub), 0);
  zq_dns_zone *dup = example();
  assert_int_equal(zq_dns_zones_add(s, dup), ZQUIC_ERR_STATE);
  zq_dns_zone_free(dup);
  assert_int_equal(zq_dns_zones_count(s), 2);

  /* the more specific zone answers, authoritatively (no referral from the parent) */
  zq_dns_query q;
  parse_ok("www.sub.example.org.", LDNS_RR_TYPE_A, NULL, &q);
  ldns_pkt *a = zq_dns_answer_new(&q, ZQ_DNS_RCODE_NOERROR);
  assert_int_equal(zq_dns_zones_lookup(s, &q, a), ZQ_DNS_ZONE_ANSWERED);
  assert_true(ldns_pkt_aa(a));
  assert_int_equal(ldns_pkt_ancount(a), 1);
  ldns_pkt_free(a);
  zq_dns_query_clear(&q);
  parse_ok("example.com.", LDNS_RR_TYPE_A, NULL, &q);
  a = zq_dns_answer_new(&q, ZQ_DNS_RCODE_NOERROR);
  assert_int_equal(zq_dns_zones_lookup(s, &q, a), ZQ_DNS_ZONE_NOT_MINE);
  ldns_pkt_free(a);
  zq_dns_query_clear(&q);
  zq_dns_zones_free(s);
}

static void refused(const char *text, const char *origin, const char *where, const char *why) {
  char err[256];
  int rv;
  zq_dns_zone *z = from_text(text, origin, &rv, err, sizeof(err));
  if (z) fail_msg("accepted: %s", text);
  assert_int_equal(rv, ZQUIC_ERR_INVALID_ARGUMENT);
  if (!strstr(err, where) || !strstr(err, why)) fail_msg("error was: %s", err);
}

static void test_bad_zone_files(void **state) {
  (void)state;
  static const char soa[] = "$ORIGIN example.org.\n@ 3600 IN SOA ns h 1 2 3 4 5\n";
  char text[512];
  snprintf(text, sizeof(text), "%s%s", soa, "www IN A 192.0.2.1\nbad IN A 999.1.1.1\n");
  refused(text, NULL, "t.zone:4:", "");
  snprintf(text, sizeof(text), "%s%s", soa, "\n; comment\nwww IN MX ten mail\n");
  refused(text, NULL, "t.zone:5:", "");
  refused("www.example.org. 60 IN A 192.0.2.1\n", NULL, "t.zone", "no SOA");
  snprintf(text, sizeof(text), "%s%s", soa, "www.example.net. IN A 192.0.2.1\n");
  refused(text, NULL, "t.zone:3:", "outside the zone");
  snprintf(text, sizeof(text), "%s%s", soa, "www IN CNAME x\nwww IN A 192.0.2.1\n");
  refused(text, NULL, "t.zone:", "CNAME");
  snprintf(text, sizeof(text), "%s%s", soa, "@ IN SOA ns h 2 2 3 4 5\n");
  refused(text, NULL, "t.zone:3:", "second SOA");
  refused(soa, "example.com", "t.zone:2:", "origin");
  snprintf(text, sizeof(text), "%s%s", soa, "$INCLUDE /etc/passwd\n");
  refused(text, NULL, "t.zone:", "$INCLUDE");

  /* a file that cannot be opened */
  char err[256];
  zq_dns_zone *z;
  assert_int_equal(zq_dns_zone_load("/nonexistent/zone", NULL, &z, err, sizeof(err)),
                   ZQUIC_ERR_IO);
  assert_non_null(strstr(err, "/nonexistent/zone"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_load),
      cmocka_unit_test(test_exact),
      cmocka_unit_test(test_cname),
      cmocka_unit_test(test_negative),
      cmocka_unit_test(test_wildcard),
      cmocka_unit_test(test_referral_and_not_mine),
      cmocka_unit_test(test_zone_set),
      cmocka_unit_test(test_bad_zone_files),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
