/*
 * message.h — DNS messages as a DNS-over-QUIC server (RFC 9250) sees them. A query arrives as
 * the bytes of one stream; zq_dns_parse_query checks it the way a server must (one question,
 * opcode, EDNS(0) rules of RFC 6891) and reports apart the two things RFC 9250 makes a
 * *transport* error rather than a DNS one: a Message ID other than 0 and the edns-tcp-keepalive
 * option. The builders make answers that echo what the query asked for (ID, question, RD, EDNS,
 * DO) and serialize them with EDNS(0) padding (RFC 8467) and within DoQ's 2-byte length prefix.
 *
 * Everything here is internal (zq_ prefix) and stateless; ldns objects are owned as noted.
 */
#ifndef ZQ_DNS_MESSAGE_H
#define ZQ_DNS_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

/* RCODEs, including the extended ones that only exist with EDNS (RFC 6891 section 6.1.3). */
enum {
  ZQ_DNS_RCODE_NOERROR = 0,
  ZQ_DNS_RCODE_FORMERR = 1,
  ZQ_DNS_RCODE_SERVFAIL = 2,
  ZQ_DNS_RCODE_NXDOMAIN = 3,
  ZQ_DNS_RCODE_NOTIMP = 4,
  ZQ_DNS_RCODE_REFUSED = 5,
  ZQ_DNS_RCODE_BADVERS = 16,
};

/* EDNS(0) option codes this module reads or writes. */
enum {
  ZQ_DNS_OPT_KEEPALIVE = 11, /* RFC 7828; forbidden on DoQ (RFC 9250 section 5.5.2) */
  ZQ_DNS_OPT_PADDING = 12,   /* RFC 7830 */
  ZQ_DNS_OPT_EDE = 15,       /* RFC 8914 Extended DNS Error */
};

/* Extended DNS Error INFO-CODEs (RFC 8914 section 4, and 26 from RFC 9250 section 8.3). */
enum {
  ZQ_DNS_EDE_OTHER = 0,
  ZQ_DNS_EDE_STALE_ANSWER = 3,
  ZQ_DNS_EDE_DNSSEC_BOGUS = 6,
  ZQ_DNS_EDE_CACHED_ERROR = 13,
  ZQ_DNS_EDE_NOT_READY = 14,
  ZQ_DNS_EDE_BLOCKED = 15,
  ZQ_DNS_EDE_FILTERED = 17,
  ZQ_DNS_EDE_PROHIBITED = 18,
  ZQ_DNS_EDE_NOT_AUTHORITATIVE = 20,
  ZQ_DNS_EDE_NOT_SUPPORTED = 21,
  ZQ_DNS_EDE_NO_REACHABLE_AUTHORITY = 22,
  ZQ_DNS_EDE_NETWORK_ERROR = 23,
  ZQ_DNS_EDE_INVALID_DATA = 24,
  ZQ_DNS_EDE_TOO_EARLY = 26, /* a non-QUERY opcode in 0-RTT */
};

#define ZQ_DNS_HEADER_LEN 12
#define ZQ_DNS_MAX_MESSAGE 65535u  /* DoQ's 2-byte length prefix */
#define ZQ_DNS_PAD_BLOCK 468u      /* RFC 8467 section 4.1: responses pad to a multiple of 468 */
#define ZQ_DNS_EDNS_UDP_SIZE 1232u /* what our OPT advertises; DoQ itself has no such limit */

/* What zq_dns_parse_query concluded. */
typedef enum zq_dns_parse_result {
  ZQ_DNS_PARSE_OK = 0,     /* a well-formed QUERY: hand it to the resolver chain */
  ZQ_DNS_PARSE_ANSWER = 1, /* answer at once with out->rcode (FORMERR, NOTIMP, REFUSED, BADVERS) */
  ZQ_DNS_PARSE_DROP = 2,   /* not even a header: no answer can be built (reset the stream) */
} zq_dns_parse_result;

typedef struct zq_dns_query {
  /* Header, valid whenever the result is not ZQ_DNS_PARSE_DROP. */
  uint16_t id;
  uint8_t opcode;
  bool rd, cd;
  /* RFC 9250 protocol errors: the transport closes the connection with DOQ_PROTOCOL_ERROR
   * (section 4.2.1 for the ID, 5.5.2 for keepalive) whatever the parse result says. */
  bool id_nonzero;
  bool keepalive_present;
  /* The question, when one could be read (also for most FORMERR answers, to echo it). */
  ldns_rr *question;  /* owned; as sent (case preserved), for echoing */
  ldns_rdf *qname;    /* owned; lower-cased wire name, the key for caches and zones */
  char *qname_text;   /* owned; lower-cased presentation form with the trailing dot */
  uint16_t qtype, qclass;
  /* EDNS(0), valid when has_edns (a readable, single OPT in the additional section). */
  bool has_edns;
  uint8_t edns_version;
  uint16_t udp_size;
  bool do_bit;
  bool padding_requested; /* option 12 present: pad the answer (RFC 8467) */
  /* The rcode to answer with when the result is ZQ_DNS_PARSE_ANSWER. */
  int rcode;
  /* The whole message as ldns parsed it (owned), only for ZQ_DNS_PARSE_OK. */
  ldns_pkt *pkt;
} zq_dns_query;

/* Parse a query of `len` bytes (the DoQ stream content without its length prefix). Returns a
 * zq_dns_parse_result, or ZQUIC_ERR_NO_MEMORY. `out` is always initialised: release it with
 * zq_dns_query_clear, whatever the result. */
int zq_dns_parse_query(const uint8_t *wire, size_t len, zq_dns_query *out);
void zq_dns_query_clear(zq_dns_query *q);
/* True when RFC 9250 requires the connection to be closed with DOQ_PROTOCOL_ERROR. */
static inline bool zq_dns_query_protocol_error(const zq_dns_query *q) {
  return q->id_nonzero || q->keepalive_present;
}

/* A new answer for q (caller frees with ldns_pkt_free): QR=1, RA=1, the ID, opcode, RD and CD
 * echoed, the question copied, AA=0 (zone lookups set it), and `rcode` (extended rcodes are kept
 * for zq_dns_answer_to_wire, which puts their upper bits into the OPT). NULL without memory. */
ldns_pkt *zq_dns_answer_new(const zq_dns_query *q, int rcode);
/* Change the rcode of an answer made by zq_dns_answer_new. */
void zq_dns_answer_set_rcode(ldns_pkt *answer, int rcode);
/* The full rcode of an answer (header bits plus the extended bits kept by the builders). */
int zq_dns_answer_rcode(const ldns_pkt *answer);
/* Append an Extended DNS Error option (RFC 8914): it is sent only when the query had EDNS.
 * `text` may be NULL. 0 or ZQUIC_ERR_NO_MEMORY / ZQUIC_ERR_INVALID_ARGUMENT (text too long). */
int zq_dns_answer_add_ede(ldns_pkt *answer, uint16_t info_code, const char *text);
/* Append a copy of rr to a section (LDNS_SECTION_ANSWER/AUTHORITY/ADDITIONAL). 0 or
 * ZQUIC_ERR_NO_MEMORY. */
int zq_dns_answer_add_rr(ldns_pkt *answer, ldns_pkt_section section, const ldns_rr *rr);

/* Serialize an answer for q into *out (freed with free()), *len bytes. EDNS(0) is included only
 * when the query had it (udp size, DO echoed, the extended rcode, options such as EDE); when the
 * query asked for padding the result is padded to a multiple of 468 bytes. A message over 65535
 * bytes keeps as many leading records as fit and gets TC=1. `answer` is not modified.
 * 0, ZQUIC_ERR_NO_MEMORY, or ZQUIC_ERR_INTERNAL when ldns refuses the packet. */
int zq_dns_answer_to_wire(const ldns_pkt *answer, const zq_dns_query *q, uint8_t **out,
                          size_t *len);

/* The usual error answers (caller frees with ldns_pkt_free; NULL without memory). */
ldns_pkt *zq_dns_answer_formerr(const zq_dns_query *q);
ldns_pkt *zq_dns_answer_servfail(const zq_dns_query *q);
ldns_pkt *zq_dns_answer_notimp(const zq_dns_query *q);
/* REFUSED with an Extended DNS Error when ede_code >= 0 (text may be NULL). */
ldns_pkt *zq_dns_answer_refused(const zq_dns_query *q, int ede_code, const char *text);
/* NXDOMAIN, authoritative when soa is given; the SOA goes into the authority section with the
 * negative-caching TTL of RFC 2308 section 3 (min of its TTL and its MINIMUM). */
ldns_pkt *zq_dns_answer_nxdomain(const zq_dns_query *q, const ldns_rr *soa);
/* The answer a ZQ_DNS_PARSE_ANSWER result calls for (q->rcode). */
ldns_pkt *zq_dns_answer_for_parse(const zq_dns_query *q);
/* RFC 9250 section 4.5: a non-QUERY opcode that arrived in 0-RTT, REFUSED + EDE 26 Too Early. */
ldns_pkt *zq_dns_answer_too_early(const zq_dns_query *q);

/* The SOA's negative TTL: min(TTL, MINIMUM) (RFC 2308 section 5). 0 when rr is not an SOA. */
uint32_t zq_dns_soa_negative_ttl(const ldns_rr *soa);
/* A copy of an SOA with its TTL set to zq_dns_soa_negative_ttl, for negative answers. */
ldns_rr *zq_dns_soa_for_negative(const ldns_rr *soa);

#endif
