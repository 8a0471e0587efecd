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
#include <arpa/inet.h>
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

/* The wire form of a presentation-format name (at most 255 octets). Names with escapes go
 * through ldns; plain ones, the common case, are split here (ldns costs ~20k instructions). */
static int encode_name(const char *name, uint8_t *out, size_t *len) {
  if (strchr(name, '\\')) {
    ldns_rdf *d = ldns_dname_new_frm_str(name);
    size_t n = d ? ldns_rdf_size(d) : 0;
    if (d && n <= 255) memcpy(out, ldns_rdf_data(d), n);
    ldns_rdf_deep_free(d);
    *len = n;
    return n && n <= 255 ? 0 : -1;
  }
  size_t o = 0;
  for (const char *p = strcmp(name, ".") ? name : ""; *p;) {
    const char *dot = strchr(p, '.');
    size_t l = dot ? (size_t)(dot - p) : strlen(p);
    if (l == 0 || l > 63 || o + 1 + l + 1 > 255) return -1;
    out[o++] = (uint8_t)l;
    memcpy(out + o, p, l);
    o += l;
    p += l + (dot ? 1 : 0);
  }
  out[o++] = 0;
  *len = o;
  return 0;
}

static void put16(uint8_t *p, unsigned v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

int zq_dns_build_wire(const char *name, uint16_t wire_type, const zquic_dns_query_options *o,
                      uint8_t **wire, size_t *len) {
  *wire = NULL;
  uint8_t qname[256];
  size_t qn;
  if (encode_name(name, qname, &qn) != 0)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "\"%.80s\" is not a domain name", name);
  /* header, question, OPT RR (root owner, type, class = UDP size, TTL = flags, RDLENGTH) */
  size_t base = 12 + qn + 4 + 11;
  size_t pad = o->padding ? (128 - (base + 4) % 128) % 128 : 0; /* the option's own 4 octets */
  size_t opt = o->padding ? 4 + pad : 0;
  size_t msg = base + opt;
  uint8_t *w = calloc(1, 2 + msg); /* zeros: ID 0, counts, padding */
  if (!w) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  put16(w, (unsigned)msg); /* DoQ's length prefix */
  uint8_t *h = w + 2;
  h[2] = 0x01; /* RD */
  put16(h + 4, 1); /* QDCOUNT */
  put16(h + 10, 1); /* ARCOUNT: the OPT RR */
  uint8_t *q = h + 12;
  memcpy(q, qname, qn);
  put16(q + qn, wire_type);
  put16(q + qn + 2, LDNS_RR_CLASS_IN);
  uint8_t *r = q + qn + 4; /* r[0] = 0: the root owner */
  put16(r + 1, LDNS_RR_TYPE_OPT);
  put16(r + 3, MAX_MESSAGE);
  if (o->dnssec_ok) r[7] = 0x80; /* the DO bit */
  put16(r + 9, (unsigned)opt);
  if (opt) {
    put16(r + 11, LDNS_EDNS_PADDING);
    put16(r + 13, (unsigned)pad);
  }
  *wire = w;
  *len = 2 + msg;
  return ZQUIC_OK;
}

/* A name in presentation form, as ldns writes it, without its printf-per-octet cost. */
static char *name_text(const ldns_rdf *dname) {
  const uint8_t *d = ldns_rdf_data(dname);
  size_t n = ldns_rdf_size(dname), i = 0, o = 0;
  char *out = malloc(n * 4 + 2);
  if (!out) return NULL;
  while (i < n && d[i] && i + 1 + d[i] <= n) {
    size_t l = d[i++];
    for (size_t k = 0; k < l; k++, i++) {
      uint8_t c = d[i];
      if (strchr(".;()\\", c) && c) {
        out[o++] = '\\';
        out[o++] = (char)c;
      } else if (c <= 0x20 || c >= 0x7f) {
        o += (size_t)snprintf(out + o, 5, "\\%03u", c);
      } else {
        out[o++] = (char)c;
      }
    }
    out[o++] = '.';
  }
  if (o == 0) out[o++] = '.';
  out[o] = '\0';
  return out;
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
  const ldns_rdf *rd = ldns_rr_rd_count(rr) == 1 ? ldns_rr_rdf(rr, 0) : NULL;
  int family = !rd ? 0 : ldns_rdf_get_type(rd) == LDNS_RDF_TYPE_A && ldns_rdf_size(rd) == 4 ? AF_INET
               : ldns_rdf_get_type(rd) == LDNS_RDF_TYPE_AAAA && ldns_rdf_size(rd) == 16 ? AF_INET6
               : 0;
  if (family) { /* the common answers, without ldns's buffer and printf */
    char *text = malloc(INET6_ADDRSTRLEN);
    if (text && !inet_ntop(family, ldns_rdf_data(rd), text, INET6_ADDRSTRLEN)) {
      free(text);
      text = NULL;
    }
    return text;
  }
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
    rec->name = keep(r, name_text(ldns_rr_owner(rr)));
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
  /* Every label too, here where each entry point starts: a client must not connect for a name
   * it cannot send. */
  uint8_t wire_name[256];
  size_t wire_name_len;
  if (encode_name(name, wire_name, &wire_name_len) != 0)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "\"%.80s\" is not a domain name", name);
  zquic_dns_query_options_init(o);
  if (opts) {
    if (opts->struct_size == 0 || opts->struct_size > sizeof(*o))
      return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "DNS options: call zquic_dns_query_options_init");
    memcpy(o, opts, opts->struct_size);
  }
  *wire_type = type == ZQUIC_DNS_ENS || type == ZQUIC_DNS_ZNS ? ZQUIC_DNS_TXT : (uint16_t)type;
  return ZQUIC_OK;
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
  zquic_dns_query_options_init(&o);
  uint16_t wire_type = 0;
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
