/*
 * zns.c — reading a ZNS registry file (JSON, docs/ZNS.md) into an immutable, sorted table.
 *
 * The file is trusted as a container, never as content: it may have been written by anyone who
 * could reach the disk, so every entry must carry a valid owner signature and must not have
 * expired; the others are reported with their reason and left out. What makes the whole file fail
 * is only what leaves us unable to tell entries apart (bad JSON, a wrong top-level shape, over a
 * limit): then the caller keeps serving the registry it had.
 *
 * Two valid entries for one domain are settled conservatively: the newest one wins only when both
 * have the same owner. Different owners mean someone who could write the file signed the name with
 * another key; serving either would let that write decide who owns the name, so neither is
 * served and both are reported.
 *
 * The registry is sorted by domain once and never written again, which is what makes lookups
 * lock-free across threads and a SIGHUP reload a pointer swap.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zns.h"
#include "zquic.h"

struct zq_zns_registry {
  zq_zns_entry *entries; /* sorted by domain, unique */
  size_t n;
};

typedef struct loader {
  uint64_t now;
  zq_zns_reject_fn reject;
  void *user;
} loader;

static void entry_clear(zq_zns_entry *e) {
  free(e->domain);
  for (size_t i = 0; e->records && i < e->n_records; i++) free(e->records[i].value);
  free(e->records);
  memset(e, 0, sizeof(*e));
}

static void report(const loader *l, const char *domain, size_t index, const char *reason) {
  if (!l->reject) return;
  char label[32];
  if (!domain) {
    snprintf(label, sizeof(label), "#%zu", index + 1);
    domain = label;
  }
  l->reject(l->user, domain, reason);
}

/* A key name fit for a message: short printable ASCII, or nothing (it is untrusted text). */
static const char *printable(const char *s) {
  size_t n = strnlen(s, 33);
  for (size_t i = 0; i < n; i++)
    if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"') return "(unprintable)";
  return n > 32 ? "(long name)" : s;
}

/* Exactly 2*n lower-case hex digits: one spelling per key, as for every signed value. */
static int hex_field(const json_t *v, uint8_t *out, size_t n) {
  const char *s = json_string_value(v);
  if (!s || json_string_length(v) != 2 * n) return -1;
  for (size_t i = 0; i < 2 * n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return -1;
  size_t got = 0;
  return zquic_crypto_hex_decode(s, 2 * n, out, n, &got) == ZQUIC_OK && got == n ? 0 : -1;
}

static int uint_field(const json_t *v, uint64_t max, uint64_t *out) {
  if (!json_is_integer(v) || json_integer_value(v) < 0 ||
      (uint64_t)json_integer_value(v) > max)
    return -1;
  *out = (uint64_t)json_integer_value(v);
  return 0;
}

static int record_from_json(const json_t *o, zq_zns_record *r, char *why, size_t cap) {
  const char *key;
  json_t *v;
  if (!json_is_object(o)) {
    snprintf(why, cap, "is not an object");
    return -1;
  }
  json_object_foreach((json_t *)o, key, v) {
    if (strcmp(key, "type") != 0 && strcmp(key, "ttl") != 0 && strcmp(key, "value") != 0) {
      snprintf(why, cap, "unknown field \"%s\"", printable(key));
      return -1;
    }
  }
  const char *type = json_string_value(json_object_get(o, "type"));
  r->type = zq_zns_type_from_name(type);
  if (!r->type || strcmp(type, zq_zns_type_name(r->type)) != 0) {
    snprintf(why, cap, "type must be one of A, AAAA, TXT, CNAME, MX, NS (upper case)");
    return -1;
  }
  uint64_t ttl;
  if (uint_field(json_object_get(o, "ttl"), ZQ_ZNS_TTL_MAX, &ttl) != 0) {
    snprintf(why, cap, "ttl must be an integer 0..%u", ZQ_ZNS_TTL_MAX);
    return -1;
  }
  r->ttl = (uint32_t)ttl;
  const json_t *value = json_object_get(o, "value");
  /* A NUL inside would make the value we check differ from the value we serve. */
  if (!json_is_string(value) || strlen(json_string_value(value)) != json_string_length(value)) {
    snprintf(why, cap, "value must be a string");
    return -1;
  }
  if (!(r->value = strdup(json_string_value(value)))) {
    snprintf(why, cap, "out of memory");
    return -1;
  }
  return 0;
}

/* One entry object into e (which the caller clears). *domain_ok tells whether e->domain may be
 * named in messages. */
static int entry_from_json(const json_t *o, zq_zns_entry *e, int *domain_ok, char *why,
                           size_t cap) {
  static const char *const fields[] = {"domain", "owner",  "records",
                                       "last_updated", "expiry", "signature"};
  const char *key;
  json_t *v;
  *domain_ok = 0;
  if (!json_is_object(o)) {
    snprintf(why, cap, "entry is not a JSON object");
    return -1;
  }
  const char *domain = json_string_value(json_object_get(o, "domain"));
  char canon[ZQ_ZNS_NAME_MAX + 1];
  if (!domain || zq_zns_name_normalize(domain, canon, sizeof(canon)) != 0 ||
      strcmp(canon, domain) != 0) {
    snprintf(why, cap, "domain missing or not a canonical DNS name (lower case, no trailing dot)");
    return -1;
  }
  if (!(e->domain = strdup(domain))) {
    snprintf(why, cap, "out of memory");
    return -1;
  }
  *domain_ok = 1;
  json_object_foreach((json_t *)o, key, v) {
    size_t i = 0;
    while (i < sizeof(fields) / sizeof(fields[0]) && strcmp(key, fields[i]) != 0) i++;
    if (i == sizeof(fields) / sizeof(fields[0])) {
      snprintf(why, cap, "unknown field \"%s\" (every field must be covered by the signature)",
               printable(key));
      return -1;
    }
  }
  if (hex_field(json_object_get(o, "owner"), e->owner, 32) != 0) {
    snprintf(why, cap, "owner must be 64 lower-case hex digits (an Ed25519 public key)");
    return -1;
  }
  if (hex_field(json_object_get(o, "signature"), e->signature, 64) != 0) {
    snprintf(why, cap, "signature must be 128 lower-case hex digits");
    return -1;
  }
  if (uint_field(json_object_get(o, "last_updated"), ZQ_ZNS_TIME_MAX, &e->last_updated) != 0 ||
      uint_field(json_object_get(o, "expiry"), ZQ_ZNS_TIME_MAX, &e->expiry) != 0) {
    snprintf(why, cap, "last_updated and expiry must be integers (Unix seconds)");
    return -1;
  }
  const json_t *records = json_object_get(o, "records");
  size_t n = json_array_size(records);
  if (!json_is_array(records) || n == 0 || n > ZQ_ZNS_RECORDS_MAX) {
    snprintf(why, cap, "records must be an array of 1..%d records", ZQ_ZNS_RECORDS_MAX);
    return -1;
  }
  if (!(e->records = calloc(n, sizeof(*e->records)))) {
    snprintf(why, cap, "out of memory");
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    char reason[200];
    e->n_records = i + 1; /* so that entry_clear frees what was made */
    if (record_from_json(json_array_get(records, i), &e->records[i], reason, sizeof(reason)) !=
        0) {
      snprintf(why, cap, "record %zu: %s", i + 1, reason);
      return -1;
    }
  }
  return 0;
}

static int by_domain_newest_first(const void *a, const void *b) {
  const zq_zns_entry *x = a, *y = b;
  int c = strcmp(x->domain, y->domain);
  if (c != 0) return c;
  return x->last_updated > y->last_updated ? -1 : x->last_updated < y->last_updated ? 1 : 0;
}

/* Sort, then keep one entry per domain (see the top of the file for the rule). */
static void settle_duplicates(zq_zns_registry *r, const loader *l) {
  qsort(r->entries, r->n, sizeof(r->entries[0]), by_domain_newest_first);
  size_t kept = 0;
  for (size_t a = 0, b; a < r->n; a = b) {
    int conflict = 0, tie = 0;
    for (b = a + 1; b < r->n && strcmp(r->entries[b].domain, r->entries[a].domain) == 0; b++) {
      if (memcmp(r->entries[b].owner, r->entries[a].owner, 32) != 0) conflict = 1;
      if (r->entries[b].last_updated == r->entries[a].last_updated &&
          memcmp(r->entries[b].signature, r->entries[a].signature, 64) != 0)
        tie = 1;
    }
    char reason[160];
    for (size_t i = a; i < b; i++) {
      zq_zns_entry *e = &r->entries[i];
      if (!conflict && !tie && i == a) {
        if (kept != i) r->entries[kept] = *e;
        kept++;
        continue;
      }
      if (conflict)
        snprintf(reason, sizeof(reason), "%zu entries for this domain with different owners; "
                 "none served", b - a);
      else if (tie)
        snprintf(reason, sizeof(reason), "different entries with the same last_updated %" PRIu64
                 "; none served", r->entries[a].last_updated);
      else
        snprintf(reason, sizeof(reason), "superseded by the entry of last_updated %" PRIu64,
                 r->entries[a].last_updated);
      report(l, e->domain, 0, reason);
      entry_clear(e);
    }
  }
  r->n = kept;
}

static int top_level(const json_t *root, const json_t **entries, char *why, size_t cap) {
  const char *key;
  json_t *v;
  if (!json_is_object(root)) {
    snprintf(why, cap, "not a ZNS registry (the top level must be an object)");
    return -1;
  }
  json_object_foreach((json_t *)root, key, v) {
    if (strcmp(key, "zns_registry") != 0 && strcmp(key, "entries") != 0) {
      snprintf(why, cap, "unknown top-level field \"%s\"", printable(key));
      return -1;
    }
  }
  const json_t *version = json_object_get(root, "zns_registry");
  if (!json_is_integer(version) || json_integer_value(version) != 1) {
    snprintf(why, cap, "\"zns_registry\": 1 missing (or a version this build does not read)");
    return -1;
  }
  *entries = json_object_get(root, "entries");
  if (!json_is_array(*entries)) {
    snprintf(why, cap, "\"entries\" must be an array");
    return -1;
  }
  if (json_array_size(*entries) > ZQ_ZNS_ENTRIES_MAX) {
    snprintf(why, cap, "%zu entries, more than the limit of %d", json_array_size(*entries),
             ZQ_ZNS_ENTRIES_MAX);
    return -1;
  }
  return 0;
}

int zq_zns_registry_parse(const char *text, size_t len, const char *name, uint64_t now,
                          zq_zns_reject_fn reject, void *user, zq_zns_registry **out, char *err,
                          size_t err_cap) {
  loader l = {now, reject, user};
  zq_zns_registry *r = NULL;
  json_t *root = NULL;
  const json_t *entries = NULL;
  char why[256];
  *out = NULL;
  if (!name) name = "(registry)";
  if (len > ZQ_ZNS_FILE_MAX) {
    snprintf(err, err_cap, "%s: %zu bytes, more than the limit of %u", name, len,
             ZQ_ZNS_FILE_MAX);
    return -1;
  }
  json_error_t jerr;
  /* Duplicate keys would let two readers see two different entries in the same bytes. */
  if (!(root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr))) {
    if (jerr.line > 0)
      snprintf(err, err_cap, "%s:%d:%d: %s", name, jerr.line, jerr.column, jerr.text);
    else
      snprintf(err, err_cap, "%s: %s", name, jerr.text);
    return -1;
  }
  if (top_level(root, &entries, why, sizeof(why)) != 0) {
    snprintf(err, err_cap, "%s: %s", name, why);
    goto err;
  }
  size_t n = json_array_size(entries);
  if (!(r = calloc(1, sizeof(*r))) || !(r->entries = calloc(n ? n : 1, sizeof(*r->entries)))) {
    snprintf(err, err_cap, "%s: out of memory", name);
    goto err;
  }
  for (size_t i = 0; i < n; i++) {
    zq_zns_entry *e = &r->entries[r->n];
    int domain_ok;
    if (entry_from_json(json_array_get(entries, i), e, &domain_ok, why, sizeof(why)) != 0 ||
        zq_zns_entry_verify(e, now, why, sizeof(why)) != 0) {
      report(&l, domain_ok ? e->domain : NULL, i, why);
      entry_clear(e);
      continue;
    }
    r->n++;
  }
  settle_duplicates(r, &l);
  json_decref(root);
  *out = r;
  return 0;
err:
  zq_zns_registry_free(r);
  json_decref(root);
  return -1;
}

int zq_zns_registry_load(const char *path, uint64_t now, zq_zns_reject_fn reject, void *user,
                         zq_zns_registry **out, char *err, size_t err_cap) {
  *out = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    snprintf(err, err_cap, "%s: cannot open: %s", path, strerror(errno));
    return -1;
  }
  /* Read up to one byte past the limit, so that an over-long file (or pipe) is refused without
   * reading it all. */
  size_t cap = 1 << 16, len = 0;
  char *text = malloc(cap);
  int rc = -1;
  for (;;) {
    if (!text) {
      snprintf(err, err_cap, "%s: out of memory", path);
      goto done;
    }
    if (len > ZQ_ZNS_FILE_MAX) break; /* parse refuses it by its length */
    if (len == cap) {
      size_t bigger_cap = cap * 2 > ZQ_ZNS_FILE_MAX + 1 ? ZQ_ZNS_FILE_MAX + 1 : cap * 2;
      char *bigger = realloc(text, bigger_cap);
      if (!bigger) free(text);
      text = bigger;
      cap = bigger_cap;
      continue;
    }
    ssize_t got = read(fd, text + len, cap - len);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      snprintf(err, err_cap, "%s: cannot read: %s", path, strerror(errno));
      goto done;
    }
    if (got == 0) break;
    len += (size_t)got;
  }
  rc = zq_zns_registry_parse(text, len, path, now, reject, user, out, err, err_cap);
done:
  free(text);
  close(fd);
  return rc;
}

static int by_domain_key(const void *key, const void *elem) {
  return strcmp(key, ((const zq_zns_entry *)elem)->domain);
}

const zq_zns_entry *zq_zns_lookup(const zq_zns_registry *r, const char *name, uint64_t now) {
  char canon[ZQ_ZNS_NAME_MAX + 1];
  if (!r || !name || r->n == 0 || zq_zns_name_normalize(name, canon, sizeof(canon)) != 0)
    return NULL;
  const zq_zns_entry *e = bsearch(canon, r->entries, r->n, sizeof(r->entries[0]), by_domain_key);
  return e && now < e->expiry ? e : NULL;
}

size_t zq_zns_registry_count(const zq_zns_registry *r) { return r ? r->n : 0; }

const zq_zns_entry *zq_zns_registry_entry(const zq_zns_registry *r, size_t i) {
  return r && i < r->n ? &r->entries[i] : NULL;
}

void zq_zns_registry_free(zq_zns_registry *r) {
  if (!r) return;
  for (size_t i = 0; r->entries && i < r->n; i++) entry_clear(&r->entries[i]);
  free(r->entries);
  free(r);
}
