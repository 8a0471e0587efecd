/*
 * message_build.c — answers for DoQ queries (see message.h).
 *
 * An answer is an ldns_pkt that the resolver chain fills; only at the end, in
 * zq_dns_answer_to_wire, is it fitted to the query that asked: EDNS(0) appears only if the query
 * had it (RFC 6891 section 7), the DO bit is echoed (RFC 3225), the extended rcode goes into the
 * OPT, padding follows the RFC 8467 block policy and the message stays within DoQ's 65535 bytes.
 * To do that without copying records, serialization goes through a throw-away "view" packet whose
 * section lists borrow the answer's records; the answer itself is never changed, so one cached
 * or zone answer can be sent to several queries.
 *
 * Between building and serializing, an answer keeps the upper rcode bits in its EDNS extended
 * rcode field and its EDNS options (e.g. Extended DNS Errors) as raw option bytes in its EDNS
 * data; both are only read back here.
 */
#include <stdlib.h>
#include <string.h>

#include "message.h"
#include "zquic.h"

#define EDE_TEXT_MAX 1024 /* keeps the option far below the 65535-byte limit */

ldns_pkt *zq_dns_answer_new(const zq_dns_query *q, int rcode) {
  ldns_pkt *p = ldns_pkt_new();
  if (!p) return NULL;
  ldns_pkt_set_id(p, q->id);
  ldns_pkt_set_qr(p, true);
  ldns_pkt_set_opcode(p, (ldns_pkt_opcode)q->opcode);
  ldns_pkt_set_rd(p, q->rd);
  ldns_pkt_set_cd(p, q->cd);
  ldns_pkt_set_ra(p, true);
  zq_dns_answer_set_rcode(p, rcode);
  if (q->question) {
    ldns_rr *c = ldns_rr_clone(q->question);
    if (!c || !ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, c)) {
      ldns_rr_free(c);
      ldns_pkt_free(p);
      return NULL;
    }
  }
  return p;
}

void zq_dns_answer_set_rcode(ldns_pkt *answer, int rcode) {
  ldns_pkt_set_rcode(answer, (uint8_t)(rcode & 0x0F));
  ldns_pkt_set_edns_extended_rcode(answer, (uint8_t)((rcode >> 4) & 0xFF));
}

int zq_dns_answer_rcode(const ldns_pkt *answer) {
  return (ldns_pkt_get_rcode(answer) & 0x0F) | (ldns_pkt_edns_extended_rcode(answer) << 4);
}

/* Append one option to the answer's kept EDNS option bytes. */
static int append_option(ldns_pkt *answer, uint16_t code, const uint8_t *data, size_t len) {
  ldns_rdf *old = ldns_pkt_edns_data(answer);
  size_t oldlen = old ? ldns_rdf_size(old) : 0;
  if (len > 0xFFFF || oldlen + 4 + len > 0xFFFF) return ZQUIC_ERR_INVALID_ARGUMENT;
  uint8_t *buf = malloc(oldlen + 4 + len);
  if (!buf) return ZQUIC_ERR_NO_MEMORY;
  if (oldlen) memcpy(buf, ldns_rdf_data(old), oldlen);
  buf[oldlen] = (uint8_t)(code >> 8);
  buf[oldlen + 1] = (uint8_t)code;
  buf[oldlen + 2] = (uint8_t)(len >> 8);
  buf[oldlen + 3] = (uint8_t)len;
  if (len) memcpy(buf + oldlen + 4, data, len);
  ldns_rdf *rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, oldlen + 4 + len, buf);
  free(buf);
  if (!rdf) return ZQUIC_ERR_NO_MEMORY;
  ldns_pkt_set_edns_data(answer, rdf);
  ldns_rdf_deep_free(old);
  return ZQUIC_OK;
}

int zq_dns_answer_add_ede(ldns_pkt *answer, uint16_t info_code, const char *text) {
  size_t tlen = text ? strnlen(text, EDE_TEXT_MAX + 1) : 0;
  if (tlen > EDE_TEXT_MAX) return ZQUIC_ERR_INVALID_ARGUMENT;
  uint8_t buf[2 + EDE_TEXT_MAX];
  buf[0] = (uint8_t)(info_code >> 8);
  buf[1] = (uint8_t)info_code;
  if (tlen) memcpy(buf + 2, text, tlen);
  return append_option(answer, ZQ_DNS_OPT_EDE, buf, 2 + tlen);
}

int zq_dns_answer_add_rr(ldns_pkt *answer, ldns_pkt_section section, const ldns_rr *rr) {
  ldns_rr *c = ldns_rr_clone(rr);
  if (!c) return ZQUIC_ERR_NO_MEMORY;
  if (!ldns_pkt_push_rr(answer, section, c)) {
    ldns_rr_free(c);
    return ZQUIC_ERR_NO_MEMORY;
  }
  return ZQUIC_OK;
}

/* ---- serialization through a view ---- */

typedef struct view {
  ldns_pkt *pkt;
  ldns_rr_list *sec[4]; /* question, answer, authority, additional: borrowed records */
  size_t full[4];       /* their full record counts */
} view;

static void view_free(view *v) {
  if (!v->pkt) return;
  /* The lists hold borrowed records: empty them so that ldns_pkt_free frees only the lists. */
  for (int i = 0; i < 4; i++)
    if (v->sec[i]) ldns_rr_list_set_rr_count(v->sec[i], 0);
  ldns_pkt_free(v->pkt); /* also frees the view's own OPT rdata */
  v->pkt = NULL;
}

static ldns_rr_list *shallow(const ldns_rr_list *src) {
  ldns_rr_list *l = ldns_rr_list_new();
  if (!l) return NULL;
  size_t n = src ? ldns_rr_list_rr_count(src) : 0;
  for (size_t i = 0; i < n; i++) {
    if (!ldns_rr_list_push_rr(l, ldns_rr_list_rr(src, i))) {
      ldns_rr_list_set_rr_count(l, 0);
      ldns_rr_list_free(l);
      return NULL;
    }
  }
  return l;
}

/* Put list l in place of section i (question, answer, authority, additional) of a new packet. */
static void install(ldns_pkt *p, int i, ldns_rr_list *l) {
  switch (i) {
  case 0:
    ldns_rr_list_free(ldns_pkt_question(p));
    ldns_pkt_set_question(p, l);
    break;
  case 1:
    ldns_rr_list_free(ldns_pkt_answer(p));
    ldns_pkt_set_answer(p, l);
    break;
  case 2:
    ldns_rr_list_free(ldns_pkt_authority(p));
    ldns_pkt_set_authority(p, l);
    break;
  default:
    ldns_rr_list_free(ldns_pkt_additional(p));
    ldns_pkt_set_additional(p, l);
    break;
  }
}

static int view_init(view *v, const ldns_pkt *a, const zq_dns_query *q) {
  memset(v, 0, sizeof(*v));
  v->pkt = ldns_pkt_new();
  if (!v->pkt) return ZQUIC_ERR_NO_MEMORY;
  const ldns_rr_list *src[4] = {ldns_pkt_question(a), ldns_pkt_answer(a), ldns_pkt_authority(a),
                                ldns_pkt_additional(a)};
  for (int i = 0; i < 4; i++) {
    v->sec[i] = shallow(src[i]);
    if (!v->sec[i]) return ZQUIC_ERR_NO_MEMORY;
    v->full[i] = ldns_rr_list_rr_count(v->sec[i]);
    /* Installed at once, so that view_free finds every list in the packet. */
    install(v->pkt, i, v->sec[i]);
  }

  ldns_pkt *p = v->pkt;
  ldns_pkt_set_id(p, q->id);
  ldns_pkt_set_qr(p, true);
  ldns_pkt_set_opcode(p, ldns_pkt_get_opcode(a));
  ldns_pkt_set_aa(p, ldns_pkt_aa(a));
  ldns_pkt_set_tc(p, ldns_pkt_tc(a));
  ldns_pkt_set_rd(p, ldns_pkt_rd(a));
  ldns_pkt_set_cd(p, ldns_pkt_cd(a));
  ldns_pkt_set_ra(p, ldns_pkt_ra(a));
  ldns_pkt_set_ad(p, ldns_pkt_ad(a));
  ldns_pkt_set_rcode(p, ldns_pkt_get_rcode(a) & 0x0F);
  ldns_pkt_set_qdcount(p, (uint16_t)v->full[0]);
  if (q->has_edns) {
    ldns_pkt_set_edns_udp_size(p, ZQ_DNS_EDNS_UDP_SIZE);
    ldns_pkt_set_edns_extended_rcode(p, ldns_pkt_edns_extended_rcode(a));
    ldns_pkt_set_edns_version(p, 0);
    ldns_pkt_set_edns_do(p, q->do_bit);
  }
  return ZQUIC_OK;
}

/* Keep the first `keep` records of answer, authority and additional (in that order). */
static void view_keep(view *v, size_t keep) {
  for (int i = 1; i < 4; i++) {
    size_t n = v->full[i] < keep ? v->full[i] : keep;
    keep -= n;
    ldns_rr_list_set_rr_count(v->sec[i], n);
  }
  ldns_pkt_set_ancount(v->pkt, (uint16_t)ldns_rr_list_rr_count(v->sec[1]));
  ldns_pkt_set_nscount(v->pkt, (uint16_t)ldns_rr_list_rr_count(v->sec[2]));
  ldns_pkt_set_arcount(v->pkt, (uint16_t)ldns_rr_list_rr_count(v->sec[3]));
}

static int view_wire(view *v, uint8_t **out, size_t *len) {
  free(*out);
  *out = NULL;
  ldns_status st = ldns_pkt2wire(out, v->pkt, len);
  if (st == LDNS_STATUS_MEM_ERR) return ZQUIC_ERR_NO_MEMORY;
  if (st != LDNS_STATUS_OK || !*out) return ZQUIC_ERR_INTERNAL;
  return ZQUIC_OK;
}

/* The OPT rdata to send: the answer's options, plus `pad` bytes of padding when pad >= 0. */
static ldns_rdf *options_rdf(const ldns_pkt *a, long pad) {
  const ldns_rdf *opts = ldns_pkt_edns_data(a);
  size_t olen = opts ? ldns_rdf_size(opts) : 0;
  size_t total = olen + (pad >= 0 ? 4 + (size_t)pad : 0);
  if (total == 0) return NULL;
  uint8_t *buf = calloc(1, total);
  if (!buf) return NULL;
  if (olen) memcpy(buf, ldns_rdf_data(opts), olen);
  if (pad >= 0) {
    buf[olen] = 0;
    buf[olen + 1] = ZQ_DNS_OPT_PADDING;
    buf[olen + 2] = (uint8_t)(pad >> 8);
    buf[olen + 3] = (uint8_t)pad; /* the padding itself stays zero (RFC 7830 section 4) */
  }
  ldns_rdf *r = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, total, buf);
  free(buf);
  return r;
}

int zq_dns_answer_to_wire(const ldns_pkt *answer, const zq_dns_query *q, uint8_t **out,
                          size_t *len) {
  *out = NULL;
  *len = 0;
  view v;
  uint8_t *buf = NULL;
  size_t n = 0;
  int rv = view_init(&v, answer, q);
  if (rv) goto err;
  bool edns = q->has_edns;
  if (edns && ldns_pkt_edns_data(answer) && ldns_rdf_size(ldns_pkt_edns_data(answer)) > 0) {
    ldns_rdf *o = options_rdf(answer, -1);
    if (!o) goto nomem;
    ldns_pkt_set_edns_data(v.pkt, o);
  }
  size_t records = v.full[1] + v.full[2] + v.full[3];
  view_keep(&v, records);
  if ((rv = view_wire(&v, &buf, &n))) goto err;
  if (n > ZQ_DNS_MAX_MESSAGE) {
    /* Too big for DoQ: keep the longest prefix of records that fits (binary search; the
     * header, question and OPT alone always fit) and say so with TC. */
    size_t lo = 0, hi = records; /* lo fits, hi does not */
    ldns_pkt_set_tc(v.pkt, true);
    while (hi - lo > 1) {
      size_t mid = lo + (hi - lo) / 2;
      view_keep(&v, mid);
      if ((rv = view_wire(&v, &buf, &n))) goto err;
      if (n <= ZQ_DNS_MAX_MESSAGE)
        lo = mid;
      else
        hi = mid;
    }
    view_keep(&v, lo);
    if ((rv = view_wire(&v, &buf, &n))) goto err;
  }
  if (edns && q->padding_requested) {
    size_t pad = (ZQ_DNS_PAD_BLOCK - (n + 4) % ZQ_DNS_PAD_BLOCK) % ZQ_DNS_PAD_BLOCK;
    if (n + 4 + pad <= ZQ_DNS_MAX_MESSAGE) {
      ldns_rdf *o = options_rdf(answer, (long)pad);
      if (!o) goto nomem;
      ldns_rdf_deep_free(ldns_pkt_edns_data(v.pkt));
      ldns_pkt_set_edns_data(v.pkt, o);
      if ((rv = view_wire(&v, &buf, &n))) goto err;
    }
  }
  view_free(&v);
  *out = buf;
  *len = n;
  return ZQUIC_OK;
nomem:
  rv = ZQUIC_ERR_NO_MEMORY;
err:
  view_free(&v);
  free(buf);
  return rv;
}

/* ---- the usual answers ---- */

uint32_t zq_dns_soa_negative_ttl(const ldns_rr *soa) {
  if (!soa || ldns_rr_get_type(soa) != LDNS_RR_TYPE_SOA || ldns_rr_rd_count(soa) < 7) return 0;
  const ldns_rdf *min = ldns_rr_rdf(soa, 6);
  if (ldns_rdf_size(min) != 4) return 0;
  uint32_t minimum = ldns_rdf2native_int32(min);
  return ldns_rr_ttl(soa) < minimum ? ldns_rr_ttl(soa) : minimum;
}

ldns_rr *zq_dns_soa_for_negative(const ldns_rr *soa) {
  ldns_rr *c = ldns_rr_clone(soa);
  if (c) ldns_rr_set_ttl(c, zq_dns_soa_negative_ttl(soa));
  return c;
}

ldns_pkt *zq_dns_answer_formerr(const zq_dns_query *q) {
  return zq_dns_answer_new(q, ZQ_DNS_RCODE_FORMERR);
}
ldns_pkt *zq_dns_answer_servfail(const zq_dns_query *q) {
  return zq_dns_answer_new(q, ZQ_DNS_RCODE_SERVFAIL);
}
ldns_pkt *zq_dns_answer_notimp(const zq_dns_query *q) {
  return zq_dns_answer_new(q, ZQ_DNS_RCODE_NOTIMP);
}

ldns_pkt *zq_dns_answer_refused(const zq_dns_query *q, int ede_code, const char *text) {
  ldns_pkt *p = zq_dns_answer_new(q, ZQ_DNS_RCODE_REFUSED);
  if (p && ede_code >= 0 && zq_dns_answer_add_ede(p, (uint16_t)ede_code, text) != ZQUIC_OK) {
    ldns_pkt_free(p);
    return NULL;
  }
  return p;
}

ldns_pkt *zq_dns_answer_nxdomain(const zq_dns_query *q, const ldns_rr *soa) {
  ldns_pkt *p = zq_dns_answer_new(q, ZQ_DNS_RCODE_NXDOMAIN);
  if (!p || !soa) return p;
  ldns_pkt_set_aa(p, true);
  ldns_rr *neg = zq_dns_soa_for_negative(soa);
  if (!neg || !ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, neg)) {
    ldns_rr_free(neg);
    ldns_pkt_free(p);
    return NULL;
  }
  return p;
}

ldns_pkt *zq_dns_answer_for_parse(const zq_dns_query *q) { return zq_dns_answer_new(q, q->rcode); }

ldns_pkt *zq_dns_answer_too_early(const zq_dns_query *q) {
  return zq_dns_answer_refused(q, ZQ_DNS_EDE_TOO_EARLY, "opcode not allowed in 0-RTT");
}
