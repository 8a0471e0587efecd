/*
 * zns_bridge_pb.c — the bytes of ResolveDomain, both ways, and what makes an answer servable.
 *
 * The GhostChain service is trusted to carry answers, not to write them: every byte of a
 * DomainResponse is read with bounds checks (a varint of at most 10 bytes, lengths inside the
 * message, strings without NUL and of bounded size, a bounded record count), and then the
 * answer is rebuilt as the registry entry it claims to be, so that the very checks and the very
 * signed message of the registry file (zns_record.c) decide whether it is served. Nothing here
 * knows a second canonical form.
 *
 * The registry's message ends with the entry's expiry; a DomainResponse carries none, so the
 * owner signs it with expiry 2^53-1 ("no expiry"; the chain, not the message, says whether the
 * name is still registered): the message `zquic zns sign --expiry 9007199254740991` signs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zns_bridge.h"
#include "zquic.h"

#define WHY(...) (why ? (void)snprintf(why, why_cap, __VA_ARGS__) : (void)0)

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

/* ---- writing ------------------------------------------------------------------------------- */

static size_t put_varint(uint8_t *p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  p[n++] = (uint8_t)v;
  return n;
}

static size_t put_string(uint8_t *p, unsigned field, const char *s) {
  size_t len = strlen(s);
  size_t n = put_varint(p, ((uint64_t)field << 3) | WT_LEN);
  n += put_varint(p + n, len);
  memcpy(p + n, s, len); // NOLINT(bugprone-not-null-terminated-result): protobuf bytes, no NUL
  return n + len;
}

int zq_gc_query_encode(const char *domain, const char *record_type, const char *network,
                       uint8_t **out, size_t *out_len) {
  *out = NULL;
  *out_len = 0;
  const char *s[3] = {domain, record_type, network};
  for (size_t i = 0; i < 3; i++)
    if (!s[i] || strlen(s[i]) > ZQ_GC_MAX_STRING) return -1;
  /* each field: 1 tag byte + at most 2 length bytes (1024 < 2^14) + the string */
  uint8_t *buf = malloc((size_t)3 * 3 + strlen(domain) + strlen(record_type) + strlen(network));
  if (!buf) return -1;
  size_t n = 0;
  /* proto3 leaves empty strings out; an empty record_types entry would still be sent */
  if (domain[0]) n += put_string(buf + n, 1, domain);
  n += put_string(buf + n, 2, record_type);
  if (network[0]) n += put_string(buf + n, 3, network);
  *out = buf;
  *out_len = n;
  return 0;
}

/* ---- reading ------------------------------------------------------------------------------- */

typedef struct reader {
  const uint8_t *p, *end;
  char *why;
  size_t why_cap;
} reader;

static int fail(reader *r, const char *what) {
  if (r->why) snprintf(r->why, r->why_cap, "malformed DomainResponse: %s", what);
  return -1;
}

static int get_varint(reader *r, uint64_t *v) {
  *v = 0;
  for (unsigned shift = 0; shift < 70; shift += 7) {
    if (r->p >= r->end) return fail(r, "truncated varint");
    uint8_t b = *r->p++;
    if (shift == 63 && b > 1) return fail(r, "varint over 64 bits");
    *v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) return 0;
  }
  return fail(r, "varint over 64 bits"); /* not reached: the 10th byte ended the loop */
}

/* A length-delimited field's bytes: *data points into the message. */
static int get_bytes(reader *r, const uint8_t **data, size_t *len) {
  uint64_t n;
  if (get_varint(r, &n) != 0) return -1;
  if (n > (uint64_t)(r->end - r->p)) return fail(r, "length past the end of the message");
  *data = r->p;
  *len = (size_t)n;
  r->p += n;
  return 0;
}

static int get_u32(reader *r, uint32_t *v) {
  uint64_t x;
  if (get_varint(r, &x) != 0) return -1;
  if (x > UINT32_MAX) return fail(r, "uint32 field over 2^32-1");
  *v = (uint32_t)x;
  return 0;
}

/* A string field into a new NUL-terminated copy; a later occurrence replaces an earlier one
 * (protobuf's "last one wins" for singular fields). */
static int get_string(reader *r, char **out) {
  const uint8_t *data;
  size_t len;
  if (get_bytes(r, &data, &len) != 0) return -1;
  if (len > ZQ_GC_MAX_STRING) return fail(r, "string field too long");
  if (memchr(data, 0, len)) return fail(r, "string field with a NUL byte");
  char *s = malloc(len + 1);
  if (!s) return fail(r, "out of memory");
  memcpy(s, data, len);
  s[len] = '\0';
  free(*out);
  *out = s;
  return 0;
}

static int skip_field(reader *r, unsigned wt) {
  uint64_t v;
  const uint8_t *d;
  size_t n;
  switch (wt) {
  case WT_VARINT: return get_varint(r, &v);
  case WT_LEN: return get_bytes(r, &d, &n);
  case WT_I64:
  case WT_I32:
    n = wt == WT_I64 ? 8 : 4;
    if ((size_t)(r->end - r->p) < n) return fail(r, "truncated fixed-width field");
    r->p += n;
    return 0;
  default: return fail(r, "group or unknown wire type");
  }
}

/* The next tag: field number and wire type. */
static int get_tag(reader *r, unsigned *field, unsigned *wt) {
  uint64_t tag;
  if (get_varint(r, &tag) != 0) return -1;
  if ((tag >> 3) == 0 || (tag >> 3) > 536870911u) return fail(r, "bad field number");
  *field = (unsigned)(tag >> 3);
  *wt = (unsigned)(tag & 7);
  return 0;
}

static int expect(reader *r, unsigned wt, unsigned want) {
  return wt == want ? 0 : fail(r, "known field with the wrong wire type");
}

static int decode_record(reader *outer, const uint8_t *p, size_t len, zq_gc_record *rec) {
  reader r = {p, p + len, outer->why, outer->why_cap};
  while (r.p < r.end) {
    unsigned field, wt;
    if (get_tag(&r, &field, &wt) != 0) return -1;
    int rc;
    switch (field) {
    case 1: rc = expect(&r, wt, WT_LEN) ?: get_string(&r, &rec->type); break;
    case 2: rc = expect(&r, wt, WT_LEN) ?: get_string(&r, &rec->value); break;
    case 3: rc = expect(&r, wt, WT_VARINT) ?: get_u32(&r, &rec->priority); break;
    case 4: rc = expect(&r, wt, WT_VARINT) ?: get_u32(&r, &rec->ttl); break;
    default: rc = skip_field(&r, wt);
    }
    if (rc) return -1;
  }
  return 0;
}

static int add_record(reader *r, zq_gc_response *out) {
  const uint8_t *data;
  size_t len;
  if (get_bytes(r, &data, &len) != 0) return -1;
  if (out->n_records >= ZQ_ZNS_RECORDS_MAX) return fail(r, "more than 64 records");
  zq_gc_record *grown = realloc(out->records, (out->n_records + 1) * sizeof(*grown));
  if (!grown) return fail(r, "out of memory");
  out->records = grown;
  zq_gc_record *rec = &grown[out->n_records++];
  memset(rec, 0, sizeof(*rec));
  return decode_record(r, data, len, rec);
}

static int get_signature(reader *r, zq_gc_response *out) {
  const uint8_t *data;
  size_t len;
  if (get_bytes(r, &data, &len) != 0) return -1;
  if (len > ZQ_GC_MAX_SIGNATURE) return fail(r, "signature longer than 64 bytes");
  memcpy(out->signature, data, len);
  out->signature_len = len;
  return 0;
}

static int decode_field(reader *r, unsigned field, unsigned wt, zq_gc_response *out) {
  switch (field) {
  case 1: return expect(r, wt, WT_LEN) ?: get_string(r, &out->domain);
  case 2: return expect(r, wt, WT_LEN) ?: add_record(r, out);
  case 3: return expect(r, wt, WT_LEN) ?: get_string(r, &out->owner_id);
  case 4: return expect(r, wt, WT_LEN) ?: get_signature(r, out);
  case 5: return expect(r, wt, WT_VARINT) ?: get_varint(r, &out->timestamp);
  case 6: return expect(r, wt, WT_VARINT) ?: get_u32(r, &out->ttl);
  default: return skip_field(r, wt);
  }
}

/* Absent strings read as "" (proto3 defaults), so later code never meets NULL. */
static int fill_defaults(zq_gc_response *out) {
  char **s[2] = {&out->domain, &out->owner_id};
  for (size_t i = 0; i < 2; i++)
    if (!*s[i] && !(*s[i] = strdup(""))) return -1;
  for (size_t i = 0; i < out->n_records; i++) {
    zq_gc_record *rec = &out->records[i];
    if ((!rec->type && !(rec->type = strdup(""))) || (!rec->value && !(rec->value = strdup(""))))
      return -1;
  }
  return 0;
}

int zq_gc_response_decode(const uint8_t *msg, size_t len, zq_gc_response *out, char *why,
                          size_t why_cap) {
  static const uint8_t empty[1];
  memset(out, 0, sizeof(*out));
  reader r = {empty, empty, why, why_cap};
  if (!msg && len) return fail(&r, "no data");
  if (len > ZQ_GC_MAX_MESSAGE) return fail(&r, "message too large");
  if (msg) r = (reader){msg, msg + len, why, why_cap}; /* an empty message may come as NULL */
  while (r.p < r.end) {
    unsigned field, wt;
    if (get_tag(&r, &field, &wt) != 0 || decode_field(&r, field, wt, out) != 0) return -1;
  }
  if (fill_defaults(out) != 0) return fail(&r, "out of memory");
  return 0;
}

void zq_gc_response_clear(zq_gc_response *r) {
  for (size_t i = 0; i < r->n_records; i++) {
    free(r->records[i].type);
    free(r->records[i].value);
  }
  free(r->records);
  free(r->domain);
  free(r->owner_id);
  memset(r, 0, sizeof(*r));
}

/* ---- the entry it claims to be ------------------------------------------------------------- */

void zq_gc_entry_clear(zq_zns_entry *e) {
  for (size_t i = 0; e->records && i < e->n_records; i++) free(e->records[i].value);
  free(e->records);
  free(e->domain);
  memset(e, 0, sizeof(*e));
}

/* Exactly 64 lower-case hex digits, as the registry writes owners. */
static int owner_from_hex(const char *hex, uint8_t owner[32]) {
  if (strlen(hex) != 64) return -1;
  for (const char *p = hex; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return -1;
  size_t n = 0;
  return zquic_crypto_hex_decode(hex, 64, owner, 32, &n) == ZQUIC_OK && n == 32 ? 0 : -1;
}

/* One DNSRecord as a registry record: the type by its mnemonic, an MX value from the priority
 * and the host, the TTL the record's or else the response's. */
static int record_from(const zq_gc_record *g, uint32_t default_ttl, zq_zns_record *out,
                       char *why, size_t why_cap) {
  out->type = zq_zns_type_from_name(g->type);
  if (!out->type) {
    char safe[17];
    size_t n = 0;
    for (const char *p = g->type; *p && n + 1 < sizeof(safe); p++)
      safe[n++] = *p > 0x20 && *p < 0x7f ? *p : '?'; /* untrusted: printable only in logs */
    safe[n] = '\0';
    WHY("record type \"%s\" is not one ZNS carries", safe);
    return -1;
  }
  out->ttl = g->ttl ? g->ttl : default_ttl;
  size_t len = strlen(g->value) + 16;
  if (!(out->value = malloc(len))) {
    WHY("out of memory");
    return -1;
  }
  if (out->type == ZQ_ZNS_TYPE_MX) snprintf(out->value, len, "%" PRIu32 " %s", g->priority,
                                            g->value);
  else memcpy(out->value, g->value, strlen(g->value) + 1);
  return 0;
}

static int fill_entry(const zq_gc_response *r, zq_zns_entry *e, char *why, size_t why_cap) {
  if (owner_from_hex(r->owner_id, e->owner) != 0) {
    WHY("owner_id is not an Ed25519 public key in 64 lower-case hex digits");
    return -1;
  }
  if (r->signature_len != 64) {
    WHY(r->signature_len ? "signature is not 64 bytes" : "answer is not signed");
    return ZQ_GC_BOGUS;
  }
  memcpy(e->signature, r->signature, 64);
  e->last_updated = r->timestamp;
  e->expiry = ZQ_ZNS_TIME_MAX;
  if (!(e->domain = strdup(r->domain)) ||
      !(e->records = calloc(r->n_records ? r->n_records : 1, sizeof(*e->records)))) {
    WHY("out of memory");
    return -1;
  }
  for (size_t i = 0; i < r->n_records; i++) {
    if (record_from(&r->records[i], r->ttl, &e->records[i], why, why_cap) != 0) return -1;
    e->n_records++;
  }
  return 0;
}

int zq_gc_response_to_entry(const zq_gc_response *r, zq_zns_entry *out, char *why,
                            size_t why_cap) {
  memset(out, 0, sizeof(*out));
  int rc = fill_entry(r, out, why, why_cap);
  if (rc == 0) return ZQ_GC_OK;
  zq_gc_entry_clear(out);
  return rc == ZQ_GC_BOGUS ? ZQ_GC_BOGUS : ZQ_GC_INVALID;
}

int zq_gc_response_entry(const zq_gc_response *r, const char *qname, uint64_t now,
                         zq_zns_entry *out, char *why, size_t why_cap) {
  memset(out, 0, sizeof(*out));
  if (strcmp(r->domain, qname) != 0) {
    WHY("answer is for another domain than the one asked");
    return ZQ_GC_INVALID;
  }
  int rc = zq_gc_response_to_entry(r, out, why, why_cap);
  if (rc == ZQ_GC_OK) {
    char reason[200] = "";
    if (zq_zns_entry_check(out, reason, sizeof(reason)) != 0) {
      WHY("%s", reason);
      rc = -1;
    } else if (zq_zns_entry_verify(out, now, reason, sizeof(reason)) != 0) {
      WHY("%s", reason); /* the signature, or a timestamp too far ahead */
      rc = ZQ_GC_BOGUS;
    }
  }
  if (rc == 0) return ZQ_GC_OK;
  zq_gc_entry_clear(out);
  return rc == ZQ_GC_BOGUS ? ZQ_GC_BOGUS : ZQ_GC_INVALID;
}
