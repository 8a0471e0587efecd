/*
 * dns_test_util.h — small helpers shared by the DNS unit tests: queries as a client would write
 * them (built with ldns, independently of the code under test), parsing an answer back, and
 * finding an EDNS option in it.
 */
#ifndef ZQ_DNS_TEST_UTIL_H
#define ZQ_DNS_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "message.h"

typedef struct qopts {
  uint16_t id;
  bool edns;
  uint8_t version;
  bool do_bit;
  const uint8_t *opts; /* raw EDNS options */
  size_t optlen;
  ldns_pkt_opcode opcode;
} qopts;

static inline uint8_t *mkquery(const char *name, ldns_rr_type type, const qopts *o, size_t *len) {
  ldns_pkt *p = NULL;
  assert_int_equal(ldns_pkt_query_new_frm_str(&p, name, type, LDNS_RR_CLASS_IN, LDNS_RD),
                   LDNS_STATUS_OK);
  ldns_pkt_set_id(p, o ? o->id : 0);
  if (o && o->opcode) ldns_pkt_set_opcode(p, o->opcode);
  if (o && o->edns) {
    ldns_pkt_set_edns_udp_size(p, 1232);
    ldns_pkt_set_edns_version(p, o->version);
    ldns_pkt_set_edns_do(p, o->do_bit);
    if (o->optlen)
      ldns_pkt_set_edns_data(p, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, o->optlen, o->opts));
  }
  uint8_t *w = NULL;
  assert_int_equal(ldns_pkt2wire(&w, p, len), LDNS_STATUS_OK);
  ldns_pkt_free(p);
  return w;
}

/* Parse a query that must be well-formed. */
static inline void parse_ok(const char *name, ldns_rr_type type, const qopts *o, zq_dns_query *q) {
  size_t len;
  uint8_t *w = mkquery(name, type, o, &len);
  assert_int_equal(zq_dns_parse_query(w, len, q), ZQ_DNS_PARSE_OK);
  free(w);
}

/* Serialize an answer for q and parse it back with ldns. */
static inline ldns_pkt *roundtrip(const ldns_pkt *a, const zq_dns_query *q, size_t *len_out) {
  uint8_t *w = NULL;
  size_t len = 0;
  assert_int_equal(zq_dns_answer_to_wire(a, q, &w, &len), 0);
  ldns_pkt *p = NULL;
  assert_int_equal(ldns_wire2pkt(&p, w, len), LDNS_STATUS_OK);
  if (len_out) *len_out = len;
  free(w);
  return p;
}

/* The first EDNS option `code` in a parsed answer: its length, or -1. */
static inline int find_option(const ldns_pkt *p, uint16_t code, const uint8_t **data) {
  const ldns_rdf *r = ldns_pkt_edns_data(p);
  if (!r) return -1;
  const uint8_t *d = ldns_rdf_data(r);
  size_t n = ldns_rdf_size(r), off = 0;
  while (n - off >= 4) {
    uint16_t c = (uint16_t)(d[off] << 8 | d[off + 1]), l = (uint16_t)(d[off + 2] << 8 | d[off + 3]);
    if (n - off - 4 < l) return -1;
    if (c == code) {
      if (data) *data = d + off + 4;
      return l;
    }
    off += 4 + (size_t)l;
  }
  return -1;
}

#endif
