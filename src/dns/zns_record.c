/*
 * zns_record.c — what makes a ZNS entry valid and what its owner signs.
 *
 * A signature is only as good as the bytes it covers, so every value has exactly one accepted
 * spelling (its canonical form): a registry file must hold values already canonical, and
 * `zquic zns sign` canonicalises what the user typed before signing. Then the canonical records
 * text — one "TYPE\tTTL\tVALUE\n" line per record, lines sorted bytewise — is reproducible by
 * anyone with a sort and a BLAKE3, and what the resolver serves is byte for byte what was signed.
 *
 * Expiry is signed too (the message ends at last_updated): an unsigned expiry could be
 * pushed into the future by anyone who can write the file, reviving an entry its owner let lapse.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "zns.h"
#include "zquic.h"

#define WHY(...) (why ? (void)snprintf(why, why_cap, __VA_ARGS__) : (void)0)

int zq_zns_name_normalize(const char *in, char *out, size_t out_cap) {
  if (!in || !out) return -1;
  size_t len = strnlen(in, ZQ_ZNS_NAME_MAX + 2);
  if (len > 0 && in[len - 1] == '.') len--;
  if (len == 0 || len > ZQ_ZNS_NAME_MAX || len + 1 > out_cap) return -1;
  size_t label = 0;
  for (size_t i = 0; i < len; i++) {
    char c = in[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c == '.') {
      if (label == 0 || out[i - 1] == '-') return -1;
      label = 0;
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
      if ((c == '-' && label == 0) || ++label > 63) return -1;
    } else {
      return -1;
    }
    out[i] = c;
  }
  if (label == 0 || out[len - 1] == '-') return -1;
  out[len] = '\0';
  return 0;
}

int zq_zns_name_is_zns(const char *name) {
  static const char *const suffixes[] = {".zns", ".ghost"};
  size_t len = strlen(name);
  for (size_t i = 0; i < 2; i++) {
    size_t n = strlen(suffixes[i]);
    if (len > n && strcmp(name + len - n, suffixes[i]) == 0) return 1;
  }
  return 0;
}

static const struct {
  uint16_t type;
  const char *name;
} types[] = {
  {ZQ_ZNS_TYPE_A, "A"},   {ZQ_ZNS_TYPE_NS, "NS"},   {ZQ_ZNS_TYPE_CNAME, "CNAME"},
  {ZQ_ZNS_TYPE_MX, "MX"}, {ZQ_ZNS_TYPE_TXT, "TXT"}, {ZQ_ZNS_TYPE_AAAA, "AAAA"},
};

const char *zq_zns_type_name(uint16_t type) {
  for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
    if (types[i].type == type) return types[i].name;
  return NULL;
}

uint16_t zq_zns_type_from_name(const char *name) {
  for (size_t i = 0; name && i < sizeof(types) / sizeof(types[0]); i++)
    if (strcasecmp(name, types[i].name) == 0) return types[i].type;
  return 0;
}

/* Well-formed UTF-8 without control characters: a TXT value must survive JSON, logs and the
 * canonical line (no newline or tab inside) unchanged. */
static int text_ok(const unsigned char *s, size_t len) {
  for (size_t i = 0; i < len;) {
    unsigned c = s[i];
    if (c < 0x20 || c == 0x7f) return 0;
    if (c < 0x80) {
      i++;
      continue;
    }
    /* n continuation bytes follow a lead byte */
    size_t n = c >= 0xc2 && c <= 0xdf   ? 1
               : c >= 0xe0 && c <= 0xef ? 2
               : c >= 0xf0 && c <= 0xf4 ? 3
                                        : 0;
    if (n == 0 || i + n >= len) return 0;
    uint32_t cp = c & (0x3fu >> n); /* the lead byte's payload bits */
    for (size_t k = 1; k <= n; k++) {
      if ((s[i + k] & 0xc0) != 0x80) return 0;
      cp = (cp << 6) | (s[i + k] & 0x3fu);
    }
    /* overlong, surrogate or beyond U+10FFFF */
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return 0;
    i += n + 1;
  }
  return 1;
}

static int copy_out(const char *s, char *out, size_t out_cap) {
  size_t n = strlen(s);
  if (n + 1 > out_cap) return -1;
  memcpy(out, s, n + 1);
  return 0;
}

/* "PRIO HOST": PRIO plain decimal 0..65535, then spaces, then a host name. */
static int mx_normalize(const char *in, char *out, size_t out_cap) {
  const char *p = in;
  unsigned long prio = 0;
  size_t digits = 0;
  for (; *p >= '0' && *p <= '9' && digits < 6; p++, digits++)
    prio = prio * 10 + (unsigned long)(*p - '0');
  if (digits == 0 || prio > 65535 || *p != ' ') return -1;
  while (*p == ' ') p++;
  char host[ZQ_ZNS_NAME_MAX + 1];
  if (zq_zns_name_normalize(p, host, sizeof(host)) != 0) return -1;
  int n = snprintf(out, out_cap, "%lu %s", prio, host);
  return n < 0 || (size_t)n >= out_cap ? -1 : 0;
}

int zq_zns_value_normalize(uint16_t type, const char *in, char *out, size_t out_cap, char *why,
                           size_t why_cap) {
  const char *name = zq_zns_type_name(type);
  if (!name) {
    WHY("unknown record type %u", (unsigned)type);
    return -1;
  }
  if (!in || !out) {
    WHY("%s record without a value", name);
    return -1;
  }
  unsigned char addr[16];
  char text[64];
  switch (type) {
  case ZQ_ZNS_TYPE_A:
  case ZQ_ZNS_TYPE_AAAA: {
    int family = type == ZQ_ZNS_TYPE_A ? AF_INET : AF_INET6;
    if (inet_pton(family, in, addr) != 1 || !inet_ntop(family, addr, text, sizeof(text)) ||
        copy_out(text, out, out_cap) != 0) {
      WHY("%s value is not an %s address", name, type == ZQ_ZNS_TYPE_A ? "IPv4 dotted-quad"
                                                                        : "IPv6");
      return -1;
    }
    return 0;
  }
  case ZQ_ZNS_TYPE_CNAME:
  case ZQ_ZNS_TYPE_NS:
    if (zq_zns_name_normalize(in, out, out_cap) != 0) {
      WHY("%s value is not a valid DNS name", name);
      return -1;
    }
    return 0;
  case ZQ_ZNS_TYPE_MX:
    if (mx_normalize(in, out, out_cap) != 0) {
      WHY("MX value is not \"PRIORITY HOST\" (priority 0..65535, a valid DNS name)");
      return -1;
    }
    return 0;
  default: { /* TXT */
    size_t len = strnlen(in, ZQ_ZNS_TXT_MAX + 1);
    if (len == 0 || len > ZQ_ZNS_TXT_MAX || !text_ok((const unsigned char *)in, len)) {
      WHY("TXT value must be 1..%d bytes of UTF-8 without control characters", ZQ_ZNS_TXT_MAX);
      return -1;
    }
    return copy_out(in, out, out_cap);
  }
  }
}

int zq_zns_entry_check(const zq_zns_entry *e, char *why, size_t why_cap) {
  char canon[ZQ_ZNS_VALUE_MAX + 1];
  if (!e->domain || zq_zns_name_normalize(e->domain, canon, sizeof(canon)) != 0 ||
      strcmp(canon, e->domain) != 0) {
    WHY("domain is not a canonical DNS name (lower case, no trailing dot)");
    return -1;
  }
  if (!zq_zns_name_is_zns(e->domain)) {
    WHY("domain is not under .zns or .ghost");
    return -1;
  }
  if (e->n_records == 0 || e->n_records > ZQ_ZNS_RECORDS_MAX || !e->records) {
    WHY("an entry needs 1..%d records", ZQ_ZNS_RECORDS_MAX);
    return -1;
  }
  for (size_t i = 0; i < e->n_records; i++) {
    const zq_zns_record *r = &e->records[i];
    char reason[160];
    if (zq_zns_value_normalize(r->type, r->value, canon, sizeof(canon), reason,
                               sizeof(reason)) != 0) {
      WHY("record %zu: %s", i + 1, reason);
      return -1;
    }
    if (strcmp(canon, r->value) != 0) {
      WHY("record %zu: %s value is not in canonical form (write \"%s\")", i + 1,
          zq_zns_type_name(r->type), canon);
      return -1;
    }
    if (r->ttl > ZQ_ZNS_TTL_MAX) {
      WHY("record %zu: ttl %" PRIu32 " is over %u", i + 1, r->ttl, ZQ_ZNS_TTL_MAX);
      return -1;
    }
    if (r->type == ZQ_ZNS_TYPE_CNAME && e->n_records != 1) {
      WHY("a CNAME must be the only record of its name (RFC 1034 3.6.2)");
      return -1;
    }
    for (size_t j = 0; j < i; j++) {
      const zq_zns_record *o = &e->records[j];
      if (o->type != r->type) continue;
      if (strcmp(o->value, r->value) == 0) {
        WHY("records %zu and %zu are the same %s record", j + 1, i + 1, zq_zns_type_name(r->type));
        return -1;
      }
      if (o->ttl != r->ttl) {
        WHY("records %zu and %zu: one %s set with two TTLs (RFC 2181 5.2)", j + 1, i + 1,
            zq_zns_type_name(r->type));
        return -1;
      }
    }
  }
  if (e->last_updated == 0 || e->expiry <= e->last_updated || e->expiry > ZQ_ZNS_TIME_MAX) {
    WHY("times must satisfy 0 < last_updated < expiry <= 2^53-1");
    return -1;
  }
  return 0;
}

static int line_cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int zq_zns_records_digest(const zq_zns_record *records, size_t n, uint8_t out[32]) {
  if (n > ZQ_ZNS_RECORDS_MAX || (n && !records)) return -1;
  char *lines[ZQ_ZNS_RECORDS_MAX] = {0};
  zquic_crypto_hash_state *st = NULL;
  int rc = -1;
  for (size_t i = 0; i < n; i++) {
    const char *type = zq_zns_type_name(records[i].type);
    if (!type || !records[i].value) goto err;
    size_t len = strlen(type) + strlen(records[i].value) + 16;
    if (!(lines[i] = malloc(len))) goto err;
    snprintf(lines[i], len, "%s\t%" PRIu32 "\t%s\n", type, records[i].ttl, records[i].value);
  }
  qsort(lines, n, sizeof(lines[0]), line_cmp);
  if (zquic_crypto_hash_init(ZQUIC_HASH_BLAKE3, &st) != ZQUIC_OK) goto err;
  for (size_t i = 0; i < n; i++)
    if (zquic_crypto_hash_update(st, lines[i], strlen(lines[i])) != ZQUIC_OK) goto err;
  size_t len = 0;
  if (zquic_crypto_hash_final(st, out, 32, &len) != ZQUIC_OK || len != 32) goto err;
  rc = 0;
err:
  zquic_crypto_hash_free(st);
  for (size_t i = 0; i < n; i++) free(lines[i]);
  return rc;
}

int zq_zns_signing_message(const zq_zns_entry *e, char *out, size_t out_cap) {
  uint8_t digest[32];
  char owner_hex[65], digest_hex[65];
  if (!e->domain || zq_zns_records_digest(e->records, e->n_records, digest) != 0 ||
      zquic_crypto_hex_encode(e->owner, 32, owner_hex, sizeof(owner_hex)) != ZQUIC_OK ||
      zquic_crypto_hex_encode(digest, 32, digest_hex, sizeof(digest_hex)) != ZQUIC_OK)
    return -1;
  int n = snprintf(out, out_cap, "%s|%s|%s|%" PRIu64 "|%" PRIu64, e->domain, owner_hex,
                   digest_hex, e->last_updated, e->expiry);
  return n < 0 || (size_t)n >= out_cap ? -1 : n;
}

int zq_zns_entry_verify(const zq_zns_entry *e, uint64_t now, char *why, size_t why_cap) {
  if (zq_zns_entry_check(e, why, why_cap) != 0) return -1;
  if (e->expiry <= now) {
    WHY("expired at %" PRIu64 " (now %" PRIu64 ")", e->expiry, now);
    return -1;
  }
  if (e->last_updated > now + ZQ_ZNS_CLOCK_SKEW) {
    WHY("last_updated %" PRIu64 " is more than a day ahead of now (%" PRIu64 ")",
        e->last_updated, now);
    return -1;
  }
  char msg[ZQ_ZNS_MESSAGE_MAX];
  int len = zq_zns_signing_message(e, msg, sizeof(msg));
  if (len < 0) {
    WHY("cannot build the signed message");
    return -1;
  }
  int rc = zquic_crypto_verify(ZQUIC_KEY_ED25519, e->owner, 32, msg, (size_t)len, e->signature,
                               sizeof(e->signature));
  if (rc == ZQUIC_ERR_INVALID_KEY) {
    WHY("owner is not a valid Ed25519 public key");
    return -1;
  }
  if (rc != ZQUIC_OK) {
    WHY("bad signature: not made by the owner's key over this entry");
    return -1;
  }
  return 0;
}
