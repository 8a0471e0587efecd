/*
 * client.c — zquic_dns_query: one DNS query over QUIC (RFC 9250) on its own stream, and the
 * pieces every client path shares (doq_client.h): building the query, believing the answer.
 *
 * The query is built with ldns: Message ID 0 (DoQ requires it: the stream identifies the
 * exchange), RD set, EDNS(0) with the padding option filling the message to a multiple of 128
 * octets (RFC 8467's recommendation for queries) so the query's length says nothing about the
 * name. The answer is checked before it is believed: ID 0, QR set, the same question; anything
 * else is ZQUIC_ERR_PROTOCOL. The exchange itself runs on the loop thread (query_async.c); the
 * blocking call is that plus a wait, so blocking callers on many threads need no thread each on
 * the loop side and no round trip to open their stream.
 */
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#include "doq_client.h"

#define MAX_MESSAGE 65535

typedef struct zq_dns_response {
  zquic_dns_response pub; /* first: the public pointer is this struct's */
  zquic_dns_record *records;
  char **strings;         /* everything the records point at */
  size_t n_strings;
} zq_dns_response;

ZQUIC_API void zquic_dns_query_options_init(zquic_dns_query_options *opts) {
  if (!opts) return;
  memset(opts, 0, sizeof(*opts));
  opts->struct_size = sizeof(*opts);
  opts->timeout_ms = 5000;
  opts->padding = 1;
}

ZQUIC_API void zquic_dns_response_free(zquic_dns_response *resp) {
  if (!resp) return;
  zq_dns_response *r = (zq_dns_response *)(void *)resp;
  for (size_t i = 0; i < r->n_strings; i++) free(r->strings[i]);
  free(r->strings);
  free(r->records);
  free(r);
}

/* Keep `s` (heap) with the response; NULL on failure (s freed). */
static char *keep(zq_dns_response *r, char *s) {
  if (!s) return NULL;
  char **grown = realloc(r->strings, (r->n_strings + 1) * sizeof(char *));
  if (!grown) {
    free(s);
    return NULL;
  }
  r->strings = grown;
  r->strings[r->n_strings++] = s;
  return s;
}

/* Build the query's wire form (heap) with ID 0 and, when asked, padding to 128-octet blocks. */
static int build_query(const char *name, uint16_t type, const zquic_dns_query_options *o,
                       uint8_t **wire, size_t *len) {
  ldns_rdf *dname = ldns_dname_new_frm_str(name);
  if (!dname) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "\"%.80s\" is not a domain name", name);
  ldns_pkt *pkt = ldns_pkt_query_new(dname, (ldns_rr_type)type, LDNS_RR_CLASS_IN, LDNS_RD);
  if (!pkt) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  ldns_pkt_set_id(pkt, 0);
  ldns_pkt_set_edns_udp_size(pkt, MAX_MESSAGE);
  ldns_pkt_set_edns_do(pkt, o->dnssec_ok != 0);
  int rc = ZQUIC_OK;
  if (ldns_pkt2wire(wire, pkt, len) != LDNS_STATUS_OK) rc = ZQUIC_ERR_NO_MEMORY;
  if (rc == 0 && o->padding) {
    /* The option adds 4 octets of header plus the padding itself. */
    size_t pad = (128 - (*len + 4) % 128) % 128;
    uint8_t zeros[128] = {0};
    ldns_edns_option_list *list = ldns_edns_option_list_new();
    ldns_edns_option *opt = ldns_edns_new_from_data(LDNS_EDNS_PADDING, pad, zeros);
    if (!list || !opt || !ldns_edns_option_list_push(list, opt)) {
      rc = ZQUIC_ERR_NO_MEMORY;
    } else {
      ldns_pkt_set_edns_option_list(pkt, list);
      list = NULL;
      free(*wire);
      *wire = NULL;
      if (ldns_pkt2wire(wire, pkt, len) != LDNS_STATUS_OK) rc = ZQUIC_ERR_NO_MEMORY;
    }
    if (list) ldns_edns_option_list_deep_free(list);
  }
  ldns_pkt_free(pkt);
  return rc ? zq_error(rc, "cannot build the DNS query") : ZQUIC_OK;
}

/* TXT data as one string: the character-strings concatenated, without quotes. */
static char *txt_value(const ldns_rr *rr) {
  size_t total = 1;
  for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) total += ldns_rdf_size(ldns_rr_rdf(rr, i));
  char *out = malloc(total), *p = out;
  for (size_t i = 0; out && i < ldns_rr_rd_count(rr); i++) {
    const ldns_rdf *rdf = ldns_rr_rdf(rr, i);
    const uint8_t *d = ldns_rdf_data(rdf);
    size_t n = ldns_rdf_size(rdf) ? d[0] : 0; /* a character-string: length octet + bytes */
    if (n + 1 > ldns_rdf_size(rdf)) n = ldns_rdf_size(rdf) ? ldns_rdf_size(rdf) - 1 : 0;
    memcpy(p, d + 1, n);
    p += n;
  }
  if (out) *p = '\0';
  return out;
}

static char *rr_value(const ldns_rr *rr) {
  if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_TXT) return txt_value(rr);
  ldns_buffer *b = ldns_buffer_new(256);
  for (size_t i = 0; b && i < ldns_rr_rd_count(rr); i++) {
    if (i) ldns_buffer_printf(b, " ");
    ldns_rdf2buffer_str(b, ldns_rr_rdf(rr, i));
  }
  char *s = b ? ldns_buffer_export2str(b) : NULL;
  ldns_buffer_free(b);
  return s;
}

static void read_ede(zq_dns_response *r, ldns_pkt *pkt) {
  r->pub.ede_code = -1;
  ldns_edns_option_list *list = ldns_pkt_edns(pkt) ? ldns_pkt_edns_get_option_list(pkt) : NULL;
  for (size_t i = 0; list && i < ldns_edns_option_list_get_count(list); i++) {
    ldns_edns_option *o = ldns_edns_option_list_get_option(list, i);
    if (ldns_edns_get_code(o) != LDNS_EDNS_EDE || ldns_edns_get_size(o) < 2) continue;
    const uint8_t *d = ldns_edns_get_data(o);
    r->pub.ede_code = d[0] << 8 | d[1];
    size_t n = ldns_edns_get_size(o) - 2;
    if (n >= sizeof(r->pub.ede_text)) n = sizeof(r->pub.ede_text) - 1;
    memcpy(r->pub.ede_text, d + 2, n);
    r->pub.ede_text[n] = '\0';
  }
}

static int fill_records(zq_dns_response *r, ldns_pkt *pkt, int kind) {
  ldns_rr_list *answers = ldns_pkt_answer(pkt);
  size_t n = answers ? ldns_rr_list_rr_count(answers) : 0;
  r->records = calloc(n ? n : 1, sizeof(zquic_dns_record));
  if (!r->records) return ZQUIC_ERR_NO_MEMORY;
  const char *prefix = kind == ZQUIC_DNS_ENS ? "eth=" : kind == ZQUIC_DNS_ZNS ? "zns-owner=" : NULL;
  for (size_t i = 0; i < n; i++) {
    const ldns_rr *rr = ldns_rr_list_rr(answers, i);
    zquic_dns_record *rec = &r->records[r->pub.n_records];
    rec->name = keep(r, ldns_rdf2str(ldns_rr_owner(rr)));
    rec->value = keep(r, rr_value(rr));
    ldns_buffer *wire = ldns_buffer_new(256);
    for (size_t k = 0; wire && k < ldns_rr_rd_count(rr); k++)
      ldns_rdf2buffer_wire(wire, ldns_rr_rdf(rr, k));
    rec->rdata_len = wire ? ldns_buffer_position(wire) : 0;
    rec->rdata = wire ? (const uint8_t *)keep(r, ldns_buffer_export(wire)) : NULL;
    ldns_buffer_free(wire);
    if (!rec->name || !rec->value || !rec->rdata) return ZQUIC_ERR_NO_MEMORY;
    rec->type = (uint16_t)ldns_rr_get_type(rr);
    rec->rr_class = (uint16_t)ldns_rr_get_class(rr);
    rec->ttl = ldns_rr_ttl(rr);
    r->pub.n_records++;
    bool first = r->pub.answer[0] == '\0';
    if (prefix) {
      if (rec->type == ZQUIC_DNS_TXT && first && !strncmp(rec->value, prefix, strlen(prefix))) {
        snprintf(r->pub.answer, sizeof(r->pub.answer), "%s", rec->value + strlen(prefix));
        r->pub.ttl = rec->ttl;
      }
    } else if (first) {
      snprintf(r->pub.answer, sizeof(r->pub.answer), "%s", rec->value);
      r->pub.ttl = rec->ttl;
    }
  }
  r->pub.records = r->records;
  r->pub.len = strlen(r->pub.answer);
  return ZQUIC_OK;
}

/* Believe the answer only if it answers our question. */
static int check_answer(ldns_pkt *pkt, const char *name, uint16_t wire_type) {
  if (ldns_pkt_id(pkt) != 0 || !ldns_pkt_qr(pkt))
    return zq_error(ZQUIC_ERR_PROTOCOL, "DoQ answer with Message ID %u or without QR",
                    ldns_pkt_id(pkt));
  ldns_rr_list *q = ldns_pkt_question(pkt);
  ldns_rdf *want = ldns_dname_new_frm_str(name);
  bool same = q && ldns_rr_list_rr_count(q) == 1 && want &&
              ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(q, 0)), want) == 0 &&
              ldns_rr_get_type(ldns_rr_list_rr(q, 0)) == (ldns_rr_type)wire_type;
  ldns_rdf_deep_free(want);
  return same ? ZQUIC_OK : zq_error(ZQUIC_ERR_PROTOCOL, "the answer is for another question");
}

int zq_dns_prepare(const char *name, int type, const zquic_dns_query_options *opts,
                   zquic_dns_query_options *o, uint16_t *wire_type) {
  if (!name) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL name");
  if (type <= 0 || (type > 65535 && type != ZQUIC_DNS_ENS && type != ZQUIC_DNS_ZNS))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "query type %d out of range", type);
  size_t nlen = strlen(name);
  if (nlen == 0 || nlen > 254 || (nlen == 254 && name[253] != '.'))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "domain name empty or longer than 253 characters");
  zquic_dns_query_options_init(o);
  if (opts) {
    if (opts->struct_size == 0 || opts->struct_size > sizeof(*o))
      return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "DNS options: call zquic_dns_query_options_init");
    memcpy(o, opts, opts->struct_size);
  }
  *wire_type = type == ZQUIC_DNS_ENS || type == ZQUIC_DNS_ZNS ? ZQUIC_DNS_TXT : (uint16_t)type;
  return ZQUIC_OK;
}

int zq_dns_build_wire(const char *name, uint16_t wire_type, const zquic_dns_query_options *o,
                      uint8_t **wire, size_t *len) {
  uint8_t *q = NULL;
  size_t qlen = 0;
  *wire = NULL;
  int rc = build_query(name, wire_type, o, &q, &qlen);
  if (rc == 0 && qlen > MAX_MESSAGE) rc = zq_error(ZQUIC_ERR_INTERNAL, "DNS query too long");
  uint8_t *framed = rc == 0 ? malloc(2 + qlen) : NULL;
  if (rc == 0 && !framed) rc = zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  if (rc == 0) {
    framed[0] = (uint8_t)(qlen >> 8);
    framed[1] = (uint8_t)qlen;
    memcpy(framed + 2, q, qlen);
    *wire = framed;
    *len = 2 + qlen;
  }
  free(q);
  return rc;
}

int zq_dns_parse_answer(const uint8_t *answer, size_t len, const char *name, int type,
                        uint16_t wire_type, zquic_dns_response **out) {
  *out = NULL;
  ldns_pkt *pkt = NULL;
  if (ldns_wire2pkt(&pkt, answer, len) != LDNS_STATUS_OK || !pkt) {
    ldns_pkt_free(pkt);
    return zq_error(ZQUIC_ERR_PROTOCOL, "the DoQ answer is not a DNS message");
  }
  int rc = check_answer(pkt, name, wire_type);
  zq_dns_response *r = rc == 0 ? calloc(1, sizeof(*r)) : NULL;
  if (rc == 0 && !r) rc = zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  if (rc == 0 && r) {
    r->pub.query_type = type;
    r->pub.rcode = ldns_pkt_get_rcode(pkt);
    r->pub.authoritative = ldns_pkt_aa(pkt) ? 1 : 0;
    r->pub.truncated = ldns_pkt_tc(pkt) ? 1 : 0;
    read_ede(r, pkt);
    if ((rc = fill_records(r, pkt, type)) != 0) {
      zquic_dns_response_free(&r->pub);
      rc = zq_error(rc, "out of memory");
    } else {
      *out = &r->pub;
    }
  }
  ldns_pkt_free(pkt);
  return rc;
}

ZQUIC_API int zquic_dns_query_ex(zquic_connection *conn, const char *name, int type,
                                 const zquic_dns_query_options *opts, zquic_dns_response **out) {
  if (out) *out = NULL;
  if (!conn || !name || !out) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  if (zq_on_loop_thread(conn->ctx))
    return zq_error(ZQUIC_ERR_LOOP_THREAD,
                    "zquic_dns_query blocks: use zquic_dns_query_async on the loop thread");
  zquic_dns_query_options o;
  uint16_t wire_type;
  int rc = zq_dns_prepare(name, type, opts, &o, &wire_type);
  if (rc) return rc;
  zq_dns_wait *w = zq_dns_wait_new(conn->ctx, o.timeout_ms);
  if (!w) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  if ((rc = zq_dns_query_start(conn, name, type, &o, zq_dns_wait_done, w)) != 0) {
    zq_dns_wait_abandon(w);
    return rc;
  }
  return zq_dns_wait_end(w, out);
}

ZQUIC_API int zquic_dns_query(zquic_connection *conn, const char *name, int type,
                              zquic_dns_response **out) {
  return zquic_dns_query_ex(conn, name, type, NULL, out);
}

ZQUIC_API int zquic_dns_query_async(zquic_connection *conn, const char *name, int type,
                                    const zquic_dns_query_options *opts, zquic_dns_callback cb,
                                    void *user) {
  int rc = zq_dns_query_start(conn, name, type, opts, cb, user);
  if (rc == 0) zq_error_clear();
  return rc;
}
