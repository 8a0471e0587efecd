/*
 * message_parse.c — reading a query from a DoQ client (see message.h).
 *
 * ldns_wire2pkt alone would do for a well-formed message, but a server needs more than a yes/no:
 * it has to answer FORMERR echoing whatever it could read (the ID, the question), find out whether
 * there was exactly one OPT and where, and look at EDNS options that ldns does not expose cleanly
 * (keepalive, padding). So a small bounded walk over the sections comes first — it only skips
 * names and checks lengths — and ldns then parses the message for real. Names in the question are
 * read by ldns_wire2dname, which follows compression pointers safely.
 */
#include <stdlib.h>
#include <string.h>

#include "message.h"
#include "zquic.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static uint32_t rd32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Step over a (possibly compressed) name without following pointers: only lengths matter here. */
static bool skip_name(const uint8_t *w, size_t len, size_t *pos) {
  size_t p = *pos, total = 0;
  for (;;) {
    if (p >= len) return false;
    uint8_t c = w[p];
    if ((c & 0xC0) == 0xC0) {
      if (len - p < 2) return false;
      *pos = p + 2;
      return true;
    }
    if (c & 0xC0) return false; /* the 0x40 / 0x80 label types are obsolete or unassigned */
    total += (size_t)c + 1;
    if (total > LDNS_MAX_DOMAINLEN) return false;
    p += (size_t)c + 1;
    if (c == 0) {
      *pos = p;
      return true;
    }
  }
}

/* The EDNS facts the walk collects. */
typedef struct opt_info {
  unsigned count;
  bool misplaced, bad_owner, bad_options;
  uint16_t udp_size;
  uint32_t ttl;
  bool keepalive, padding;
} opt_info;

static void read_options(const uint8_t *p, size_t len, opt_info *o) {
  size_t off = 0;
  while (off < len) {
    if (len - off < 4) {
      o->bad_options = true;
      return;
    }
    uint16_t code = rd16(p + off), olen = rd16(p + off + 2);
    if (len - off - 4 < olen) {
      o->bad_options = true;
      return;
    }
    if (code == ZQ_DNS_OPT_KEEPALIVE) o->keepalive = true;
    if (code == ZQ_DNS_OPT_PADDING) o->padding = true;
    off += 4 + (size_t)olen;
  }
}

/* Walk answer, authority and additional records from *pos to the end. False when malformed. */
static bool walk_records(const uint8_t *w, size_t len, size_t pos, const uint16_t counts[3],
                         opt_info *o) {
  for (int s = 0; s < 3; s++) {
    for (unsigned i = 0; i < counts[s]; i++) {
      size_t owner = pos;
      if (!skip_name(w, len, &pos) || len - pos < 10) return false;
      uint16_t type = rd16(w + pos), rdlen = rd16(w + pos + 8);
      uint16_t rclass = rd16(w + pos + 2);
      uint32_t ttl = rd32(w + pos + 4);
      pos += 10;
      if (len - pos < rdlen) return false;
      if (type == LDNS_RR_TYPE_OPT) {
        o->count++;
        if (s != 2) o->misplaced = true;
        if (w[owner] != 0) o->bad_owner = true; /* OPT is owned by the root, written plainly */
        if (o->count == 1) {
          o->udp_size = rclass;
          o->ttl = ttl;
          read_options(w + pos, rdlen, o);
        }
      }
      pos += rdlen;
    }
  }
  return pos == len; /* trailing bytes make the message malformed too */
}

/* Read the first question into q (owner as sent, plus a lower-cased copy and its text). Returns
 * 1 when read, 0 when malformed, ZQUIC_ERR_NO_MEMORY. */
static int read_question(const uint8_t *w, size_t len, size_t *pos, zq_dns_query *q) {
  ldns_rdf *name = NULL;
  ldns_status st = ldns_wire2dname(&name, w, len, pos);
  if (st == LDNS_STATUS_MEM_ERR) return ZQUIC_ERR_NO_MEMORY;
  if (st != LDNS_STATUS_OK) return 0;
  if (len - *pos < 4) {
    ldns_rdf_deep_free(name);
    return 0;
  }
  q->qtype = rd16(w + *pos);
  q->qclass = rd16(w + *pos + 2);
  *pos += 4;
  q->question = ldns_rr_new();
  q->qname = ldns_rdf_clone(name);
  if (!q->question || !q->qname) goto nomem;
  ldns_rr_set_owner(q->question, name);
  name = NULL;
  ldns_rr_set_type(q->question, q->qtype);
  ldns_rr_set_class(q->question, q->qclass);
  ldns_rr_set_question(q->question, true);
  ldns_dname2canonical(q->qname);
  q->qname_text = ldns_rdf2str(q->qname);
  if (!q->qname_text) goto nomem;
  return 1;
nomem:
  ldns_rdf_deep_free(name);
  return ZQUIC_ERR_NO_MEMORY;
}

static bool meta_type_notimp(uint16_t t) {
  return t == LDNS_RR_TYPE_TSIG || t == 249 /* TKEY */ || t == LDNS_RR_TYPE_MAILA ||
         t == LDNS_RR_TYPE_MAILB;
}

/* The rcode a server answers with at once, in RFC order of precedence (NOERROR: none). */
static int verdict(const zq_dns_query *q, bool formerr, unsigned qdcount) {
  if (formerr) return ZQ_DNS_RCODE_FORMERR;
  if (q->has_edns && q->edns_version != 0) return ZQ_DNS_RCODE_BADVERS;
  if (q->opcode != LDNS_PACKET_QUERY) return ZQ_DNS_RCODE_NOTIMP;
  if (qdcount != 1 || q->qtype == 0 || q->qtype == LDNS_RR_TYPE_OPT) return ZQ_DNS_RCODE_FORMERR;
  if (meta_type_notimp(q->qtype)) return ZQ_DNS_RCODE_NOTIMP;
  /* No zone transfers from this server, and only the Internet class. */
  if (q->qtype == LDNS_RR_TYPE_AXFR || q->qtype == LDNS_RR_TYPE_IXFR) return ZQ_DNS_RCODE_REFUSED;
  if (q->qclass != LDNS_RR_CLASS_IN && q->qclass != LDNS_RR_CLASS_ANY)
    return ZQ_DNS_RCODE_REFUSED;
  return ZQ_DNS_RCODE_NOERROR;
}

int zq_dns_parse_query(const uint8_t *wire, size_t len, zq_dns_query *out) {
  memset(out, 0, sizeof(*out));
  if (!wire || len < ZQ_DNS_HEADER_LEN) return ZQ_DNS_PARSE_DROP;

  out->id = rd16(wire);
  out->id_nonzero = out->id != 0;
  bool qr = wire[2] & 0x80;
  out->opcode = (wire[2] >> 3) & 0x0F;
  out->rd = wire[2] & 0x01;
  out->cd = wire[3] & 0x10;
  uint16_t qdcount = rd16(wire + 4);
  uint16_t counts[3] = {rd16(wire + 6), rd16(wire + 8), rd16(wire + 10)};

  /* Question(s): the first one is kept for echoing, further ones only skipped. */
  size_t pos = ZQ_DNS_HEADER_LEN;
  bool malformed = false;
  if (qdcount >= 1) {
    int r = read_question(wire, len, &pos, out);
    if (r < 0) return r;
    malformed = r == 0;
  }
  for (unsigned i = 1; i < qdcount && !malformed; i++) {
    if (!skip_name(wire, len, &pos) || len - pos < 4) malformed = true;
    pos += 4;
  }

  opt_info o = {0};
  if (!malformed && !walk_records(wire, len, pos, counts, &o)) malformed = true;
  bool opt_ok = o.count == 1 && !o.misplaced && !o.bad_owner && !o.bad_options;
  out->keepalive_present = o.keepalive;
  if (o.count > 0 && !opt_ok) malformed = true; /* RFC 6891 section 6.1.1: FORMERR */
  if (opt_ok) {
    out->has_edns = true;
    out->udp_size = o.udp_size;
    out->edns_version = (uint8_t)(o.ttl >> 16);
    out->do_bit = o.ttl & 0x8000;
    out->padding_requested = o.padding;
  }

  if (!malformed) {
    ldns_status st = ldns_wire2pkt(&out->pkt, wire, len);
    if (st == LDNS_STATUS_MEM_ERR) return ZQUIC_ERR_NO_MEMORY;
    if (st != LDNS_STATUS_OK) {
      out->pkt = NULL;
      malformed = true;
    }
  }

  out->rcode = verdict(out, qr || malformed, qdcount);
  int result = out->rcode == ZQ_DNS_RCODE_NOERROR ? ZQ_DNS_PARSE_OK : ZQ_DNS_PARSE_ANSWER;
  if (result != ZQ_DNS_PARSE_OK && out->pkt) {
    ldns_pkt_free(out->pkt); /* only queries the chain will answer keep the parsed message */
    out->pkt = NULL;
  }
  return result;
}

void zq_dns_query_clear(zq_dns_query *q) {
  if (!q) return;
  ldns_rr_free(q->question);
  ldns_rdf_deep_free(q->qname);
  free(q->qname_text);
  ldns_pkt_free(q->pkt);
  memset(q, 0, sizeof(*q));
}
