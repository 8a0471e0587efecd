/*
 * zns.h — the ZNS registry: signed name entries for .zns and .ghost, read from a JSON file
 * (docs/ZNS.md). Each entry names a domain, its owner's Ed25519 public key, a few DNS records,
 * when it was last updated and when it expires, and the owner's signature over
 *
 *     domain|owner_hex|blake3_hex(canonical records)|last_updated|expiry
 *
 * A registry is built once by zq_zns_registry_load/parse and never changes afterwards, so any
 * number of threads may look names up in it without locks. Reloading (SIGHUP) means loading a new
 * registry and swapping a pointer; the old one is freed once no reader holds it (the caller's
 * business). An entry that fails any check is never part of a registry: it is reported through
 * the reject callback with the reason and skipped. Internal (zq_zns_*); not exported.
 */
#ifndef ZQ_DNS_ZNS_H
#define ZQ_DNS_ZNS_H

#include <stddef.h>
#include <stdint.h>

/* Record types, with their DNS wire numbers. */
#define ZQ_ZNS_TYPE_A 1
#define ZQ_ZNS_TYPE_NS 2
#define ZQ_ZNS_TYPE_CNAME 5
#define ZQ_ZNS_TYPE_MX 15
#define ZQ_ZNS_TYPE_TXT 16
#define ZQ_ZNS_TYPE_AAAA 28

#define ZQ_ZNS_FILE_MAX (16u << 20)  /* bytes of a registry file */
#define ZQ_ZNS_ENTRIES_MAX 100000    /* entries in one file */
#define ZQ_ZNS_RECORDS_MAX 64        /* records in one entry */
#define ZQ_ZNS_TTL_MAX 604800u       /* one week, as RFC 8767 caps stale answers */
#define ZQ_ZNS_TXT_MAX 1024          /* bytes of one TXT value (sent as 255-byte strings) */
#define ZQ_ZNS_NAME_MAX 253          /* presentation length without the trailing dot */
#define ZQ_ZNS_VALUE_MAX 1024        /* room for any canonical value, without the NUL */
#define ZQ_ZNS_MESSAGE_MAX 512       /* room for any signing message, with the NUL */
#define ZQ_ZNS_TIME_MAX 9007199254740991ull /* 2^53 - 1: exact in every JSON reader */
#define ZQ_ZNS_CLOCK_SKEW 86400      /* last_updated may be this far ahead of our clock */

typedef struct zq_zns_record {
  uint16_t type; /* ZQ_ZNS_TYPE_* */
  uint32_t ttl;  /* seconds, 0..ZQ_ZNS_TTL_MAX */
  char *value;   /* canonical presentation form (see zq_zns_value_normalize) */
} zq_zns_record;

typedef struct zq_zns_entry {
  char *domain;       /* lower case, no trailing dot, under .zns or .ghost */
  uint8_t owner[32];  /* Ed25519 public key */
  zq_zns_record *records;
  size_t n_records;
  uint64_t last_updated, expiry; /* Unix seconds; served while now < expiry */
  uint8_t signature[64];
} zq_zns_entry;

typedef struct zq_zns_registry zq_zns_registry;

/* Told about every entry that is skipped. `domain` is the entry's domain when that was valid,
 * otherwise "#N" (N = 1-based position in the file), so nothing untrusted reaches a log line
 * unchecked; `reason` says why. Both strings live only for the call. */
typedef void (*zq_zns_reject_fn)(void *user, const char *domain, const char *reason);

/* Read and verify the registry file `path` at time `now` (Unix seconds). Returns 0 with a new
 * registry in *out (free with zq_zns_registry_free), even when entries were rejected; -1 when the
 * file cannot be read or is not a registry at all, with "FILE:LINE:COLUMN: what" (or "FILE: what"
 * when there is no position) in err. `reject` may be NULL. */
int zq_zns_registry_load(const char *path, uint64_t now, zq_zns_reject_fn reject, void *user,
                         zq_zns_registry **out, char *err, size_t err_cap);
/* The same from text[0..len); `name` stands for the file name in messages. */
int zq_zns_registry_parse(const char *text, size_t len, const char *name, uint64_t now,
                          zq_zns_reject_fn reject, void *user, zq_zns_registry **out, char *err,
                          size_t err_cap);

/* The entry for `name` (any case, a trailing dot allowed), or NULL when there is none or it has
 * expired by `now`. The entry lives as long as the registry. Thread-safe. */
const zq_zns_entry *zq_zns_lookup(const zq_zns_registry *r, const char *name, uint64_t now);
/* Entries served, and the i-th of them in domain order (NULL when i >= count). */
size_t zq_zns_registry_count(const zq_zns_registry *r);
const zq_zns_entry *zq_zns_registry_entry(const zq_zns_registry *r, size_t i);
/* NULL is a no-op. */
void zq_zns_registry_free(zq_zns_registry *r);

/* ---- names, records and signatures (zns_record.c; also used by `zquic zns sign`) ---- */

/* Canonical form of a DNS name: ASCII lower case, one trailing dot dropped; labels of 1..63
 * characters from [a-z0-9_-], not starting or ending with '-'; at most ZQ_ZNS_NAME_MAX in all.
 * out_cap >= ZQ_ZNS_NAME_MAX + 1 always suffices. 0, or -1 when the name is not valid. */
int zq_zns_name_normalize(const char *in, char *out, size_t out_cap);
/* Non-zero when the canonical name is below .zns or .ghost (not the suffix itself). */
int zq_zns_name_is_zns(const char *name);

/* "A" for ZQ_ZNS_TYPE_A ... ; NULL for a type ZNS does not carry. */
const char *zq_zns_type_name(uint16_t type);
/* ZQ_ZNS_TYPE_* of a mnemonic in any case; 0 when unknown. */
uint16_t zq_zns_type_from_name(const char *name);

/* Canonical form of a record value: A and AAAA as inet_ntop writes them (AAAA per RFC 5952),
 * names (CNAME, NS) through zq_zns_name_normalize, MX as "PRIO HOST" (PRIO 0..65535 in decimal,
 * one space), TXT unchanged (1..ZQ_ZNS_TXT_MAX bytes, no control characters). A value is valid
 * in a registry file only when it already is in canonical form. 0, or -1 with the reason in why. */
int zq_zns_value_normalize(uint16_t type, const char *in, char *out, size_t out_cap, char *why,
                           size_t why_cap);

/* Everything about an entry that does not need a clock or a signature check: the domain, each
 * record canonical, the limits, no duplicate record, a CNAME alone, 0 < last_updated < expiry
 * <= ZQ_ZNS_TIME_MAX. 0, or -1 with the reason in why. */
int zq_zns_entry_check(const zq_zns_entry *e, char *why, size_t why_cap);

/* BLAKE3 of the canonical records: each record as "TYPE\tTTL\tVALUE\n", the lines sorted
 * bytewise and concatenated (docs/ZNS.md). 0 or -1. */
int zq_zns_records_digest(const zq_zns_record *records, size_t n, uint8_t out[32]);

/* The message the owner signs, with a NUL. Returns its length (without the NUL), or -1 when
 * out_cap is too small (ZQ_ZNS_MESSAGE_MAX always suffices) or hashing failed. */
int zq_zns_signing_message(const zq_zns_entry *e, char *out, size_t out_cap);

/* zq_zns_entry_check, then expiry against `now` and last_updated against now + the clock skew,
 * then the signature. 0 when the entry may be served, or -1 with the reason in why. */
int zq_zns_entry_verify(const zq_zns_entry *e, uint64_t now, char *why, size_t why_cap);

#endif
