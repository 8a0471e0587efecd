/*
 * fuzz_dns_query.c — what a DoQ server does with the bytes of one stream: zq_dns_parse_query,
 * then the answer it would send (the verdict's FORMERR/NOTIMP/REFUSED/BADVERS, or a lookup in a
 * small built-in zone, REFUSED + EDE outside it), serialized with padding as asked and with the
 * padding choice flipped, and a round trip through a small cache. Our output must always be a
 * message ldns can read back, no longer than 65535 bytes, padded to 468 when padding was asked
 * and it fits.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "message.h"
#include "zone.h"

static const char zone_text[] =
    "$ORIGIN example.org.\n$TTL 300\n"
    "@ IN SOA ns1 hostmaster 1 7200 900 1209600 60\n"
    "@ IN NS ns1\n@ IN MX 10 mail\nns1 IN A 192.0.2.53\nmail IN A 192.0.2.25\n"
    "www IN A 192.0.2.80\nwww IN AAAA 2001:db8::80\ntxt IN TXT \"a\" \"b\"\n"
    "alias IN CNAME www\nloop1 IN CNAME loop2\nloop2 IN CNAME loop1\nout IN CNAME x.example.net.\n"
    "*.wild IN A 192.0.2.99\ndeep.ent IN A 192.0.2.7\nsub IN NS ns.sub\nns.sub IN A 192.0.2.54\n";

/* Loaded once: zones are immutable, so sharing one across inputs changes nothing. */
static zq_dns_zone *zone;

static void load_zone(void) {
  FILE *fp = fmemopen((void *)zone_text, sizeof(zone_text) - 1, "r");
  char err[256];
  if (!fp || zq_dns_zone_load_fp(fp, "builtin", NULL, &zone, err, sizeof(err)) != 0) abort();
  fclose(fp);
}

static void check_wire(const ldns_pkt *answer, const zq_dns_query *q) {
  uint8_t *w = NULL;
  size_t len = 0;
  if (zq_dns_answer_to_wire(answer, q, &w, &len) != 0) return; /* only out of memory */
  if (len < ZQ_DNS_HEADER_LEN || len > ZQ_DNS_MAX_MESSAGE) abort();
  if (q->has_edns && q->padding_requested && len % ZQ_DNS_PAD_BLOCK != 0 &&
      len + ZQ_DNS_PAD_BLOCK + 4 <= ZQ_DNS_MAX_MESSAGE)
    abort();
  ldns_pkt *back = NULL;
  if (ldns_wire2pkt(&back, w, len) != LDNS_STATUS_OK) abort(); /* we wrote something unreadable */
  if (ldns_pkt_id(back) != q->id || !ldns_pkt_qr(back)) abort();
  ldns_pkt_free(back);
  free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!zone) load_zone();
  zq_dns_query q;
  int r = zq_dns_parse_query(data, size, &q);
  if (r == ZQ_DNS_PARSE_DROP) {
    if (size >= ZQ_DNS_HEADER_LEN) abort(); /* a header is always answerable */
    zq_dns_query_clear(&q);
    return 0;
  }
  if (r != ZQ_DNS_PARSE_OK && r != ZQ_DNS_PARSE_ANSWER) abort();
  if (r == ZQ_DNS_PARSE_OK && (!q.qname || !q.question || !q.pkt)) abort();

  ldns_pkt *a = NULL;
  if (r == ZQ_DNS_PARSE_ANSWER) {
    a = zq_dns_answer_for_parse(&q);
  } else {
    a = zq_dns_answer_new(&q, ZQ_DNS_RCODE_NOERROR);
    if (a && zq_dns_zone_lookup(zone, &q, a) == ZQ_DNS_ZONE_NOT_MINE) {
      zq_dns_answer_set_rcode(a, ZQ_DNS_RCODE_REFUSED);
      (void)zq_dns_answer_add_ede(a, ZQ_DNS_EDE_NOT_AUTHORITATIVE, "not served here");
    }
  }
  if (a) {
    check_wire(a, &q);
    zq_dns_query flipped = q; /* shallow: only flags differ, nothing is freed through it */
    flipped.padding_requested = !q.padding_requested;
    check_wire(a, &flipped);

    zq_dns_cache_config cfg;
    zq_dns_cache_config_init(&cfg);
    cfg.max_bytes = 4096;
    zq_dns_cache *c = NULL;
    if (r == ZQ_DNS_PARSE_OK && zq_dns_cache_new(&cfg, &c) == 0) {
      ldns_pkt *got = NULL;
      if (zq_dns_cache_put(c, &q, a, 1000) == 1 && zq_dns_cache_get(c, &q, 1500, &got) == 0) {
        check_wire(got, &q);
        ldns_pkt_free(got);
      }
      zq_dns_cache_free(c);
    }
    ldns_pkt_free(a);
  }
  zq_dns_query_clear(&q);
  return 0;
}
