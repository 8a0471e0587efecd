/*
 * cmd_zns.c — `zquic zns`: write and check ZNS registry files (docs/ZNS.md).
 *
 *   sign    --key PREFIX.key --registry FILE --domain NAME [--record "TYPE TTL VALUE"]...
 *           [--expires-in DAYS | --expiry UNIX] [--remove]
 *   verify  --registry FILE [--at UNIX]
 *
 * `sign` edits one entry and leaves every other byte of meaning in the file alone: it works on
 * the JSON document, not on a loaded registry, so entries the server would reject (another
 * owner's, expired ones) survive an edit untouched. It signs with the same code the server
 * verifies with (src/dns/zns_record.c), so a value the user types is canonicalised exactly once,
 * here. The file is replaced atomically (temp file + rename), so a server reloading on SIGHUP
 * sees the old file or the new one, never half of one.
 *
 * Exit status: 0 success / every entry valid; 1 refused (the name belongs to another key, no
 * entry to remove) or, for verify, some entry rejected; 2 bad command line or input (a record
 * that is not valid, an unreadable key or registry).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "zns.h"

#define CMD "zns"
#define DAY UINT64_C(86400)
#define DEFAULT_DAYS UINT64_C(365)

typedef struct zns_opts {
  const char *key, *registry, *domain, *expires_in, *expiry, *at;
  const char *records[ZQ_ZNS_RECORDS_MAX];
  size_t n_records;
  int remove, help, too_many;
} zns_opts;

static int parse_opts(int argc, char **argv, zns_opts *o) {
  static const struct option long_opts[] = {
    {"key", required_argument, NULL, 'k'},        {"registry", required_argument, NULL, 'r'},
    {"domain", required_argument, NULL, 'd'},     {"record", required_argument, NULL, 'R'},
    {"expires-in", required_argument, NULL, 'E'}, {"expiry", required_argument, NULL, 'x'},
    {"at", required_argument, NULL, 'a'},         {"remove", no_argument, NULL, 'D'},
    {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0},
  };
  memset(o, 0, sizeof(*o));
  optind = 0; /* glibc: restart scanning for this argv */
  int c;
  while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
    switch (c) {
    case 'k': o->key = optarg; break;
    case 'r': o->registry = optarg; break;
    case 'd': o->domain = optarg; break;
    case 'R':
      if (o->n_records == ZQ_ZNS_RECORDS_MAX) o->too_many = 1;
      else o->records[o->n_records++] = optarg;
      break;
    case 'E': o->expires_in = optarg; break;
    case 'x': o->expiry = optarg; break;
    case 'a': o->at = optarg; break;
    case 'D': o->remove = 1; break;
    case 'h': o->help = 1; break;
    default: return -1;
    }
  }
  return optind == argc ? 0 : -1;
}

static const char *const usage_text[] = {
  "sign",
  "usage: zquic zns sign --key PREFIX.key --registry FILE --domain NAME\n"
  "                      [--record \"TYPE TTL VALUE\"]... [--expires-in DAYS | --expiry UNIX]\n"
  "                      [--remove]\n"
  "Create or update the entry for NAME (under .zns or .ghost) with an Ed25519 key from\n"
  "'zquic crypto keygen --alg ed25519'. --record replaces all records (TYPE: A, AAAA, TXT,\n"
  "CNAME, MX \"PRIO HOST\", NS; TTL 0..604800); without --record an update keeps them.\n"
  "last_updated becomes now; expiry is kept, or 365 days for a new entry. --remove deletes\n"
  "the entry. An entry owned by another key is never changed. FILE is created if missing\n"
  "and always replaced atomically.\n",
  "verify",
  "usage: zquic zns verify --registry FILE [--at UNIX]\n"
  "Check every entry of FILE (signature, expiry, records) as the resolver would, now or at\n"
  "time UNIX: one line per entry, OK or REJECTED with the reason. Exit 0 all valid, 1 some\n"
  "rejected, 2 FILE unreadable or not a registry.\n",
};

static int usage_of(const char *sub, FILE *out, int code) {
  for (size_t i = 0; i < sizeof(usage_text) / sizeof(usage_text[0]); i += 2)
    if (strcmp(sub, usage_text[i]) == 0) fputs(usage_text[i + 1], out);
  return code;
}

static int parse_u64(const char *text, uint64_t max, uint64_t *out) {
  char *end;
  errno = 0;
  if (!text || *text < '0' || *text > '9') return -1;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno || *end || v > max) return -1;
  *out = v;
  return 0;
}

/* The 32-byte Ed25519 secret of a key file. 0, or prints why and returns EXIT_USAGE. */
static int read_secret(const char *path, uint8_t seed[32]) {
  size_t len = strlen(path), got = 0;
  if (len >= 4 && strcmp(path + len - 4, ".pub") == 0) {
    cli_error(CMD, "--key takes the secret key file PREFIX.key, not %s", path);
    return EXIT_USAGE;
  }
  return cli_read_hex_file(CMD, path, "Ed25519 secret key", seed, 32, 32, &got);
}

/* The registry document: the file's, or an empty one when FILE does not exist yet. */
static json_t *load_doc(const char *path) {
  json_error_t jerr;
  if (access(path, F_OK) != 0 && errno == ENOENT)
    return json_pack("{s:i,s:[]}", "zns_registry", 1, "entries");
  json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
  if (!doc) {
    cli_error(CMD, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
    return NULL;
  }
  if (json_integer_value(json_object_get(doc, "zns_registry")) != 1 ||
      !json_is_array(json_object_get(doc, "entries"))) {
    cli_error(CMD, "%s is not a ZNS registry (no \"zns_registry\": 1 and \"entries\" array)", path);
    json_decref(doc);
    return NULL;
  }
  return doc;
}

/* Write doc to path through a temp file in the same directory and rename. 0 or -1 (printed). */
static int save_doc(const char *path, const json_t *doc) {
  size_t len = strlen(path);
  char *tmp = malloc(len + 16);
  if (!tmp) return -1;
  snprintf(tmp, len + 16, "%s.tmp.XXXXXX", path);
  int fd = mkstemp(tmp);
  int ok = fd >= 0 && fchmod(fd, 0644) == 0 && json_dumpfd(doc, fd, JSON_INDENT(2)) == 0 &&
           write(fd, "\n", 1) == 1 && fsync(fd) == 0;
  int saved = errno;
  if (fd >= 0 && close(fd) != 0) ok = 0;
  if (ok && rename(tmp, path) != 0) {
    ok = 0;
    saved = errno;
  }
  if (!ok) {
    cli_error(CMD, "cannot write %s: %s", path, strerror(saved));
    if (fd >= 0) unlink(tmp);
  }
  free(tmp);
  return ok ? 0 : -1;
}

/* "TYPE TTL VALUE" (VALUE is the rest of the line, spaces included) into a canonical record. */
static int parse_record(const char *text, zq_zns_record *r) {
  char type[16], why[200], value[ZQ_ZNS_VALUE_MAX + 1];
  const char *p = text + strspn(text, " ");
  size_t n = strcspn(p, " ");
  uint64_t ttl;
  if (n == 0 || n >= sizeof(type)) goto bad;
  memcpy(type, p, n);
  type[n] = '\0';
  p += n + strspn(p + n, " ");
  n = strcspn(p, " ");
  char ttl_text[16];
  if (n == 0 || n >= sizeof(ttl_text)) goto bad;
  memcpy(ttl_text, p, n);
  ttl_text[n] = '\0';
  p += n + strspn(p + n, " ");
  if (!(r->type = zq_zns_type_from_name(type))) {
    cli_error(CMD, "record \"%s\": unknown type (A, AAAA, TXT, CNAME, MX, NS)", text);
    return -1;
  }
  if (parse_u64(ttl_text, ZQ_ZNS_TTL_MAX, &ttl) != 0) {
    cli_error(CMD, "record \"%s\": TTL must be 0..%u seconds", text, ZQ_ZNS_TTL_MAX);
    return -1;
  }
  r->ttl = (uint32_t)ttl;
  if (zq_zns_value_normalize(r->type, p, value, sizeof(value), why, sizeof(why)) != 0) {
    cli_error(CMD, "record \"%s\": %s", text, why);
    return -1;
  }
  if (!(r->value = strdup(value))) return -1;
  return 0;
bad:
  cli_error(CMD, "record \"%s\" is not \"TYPE TTL VALUE\"", text);
  return -1;
}

/* The records of an existing entry object, for an update that does not replace them (e has
 * none yet). */
static int records_of(const json_t *entry, zq_zns_entry *e) {
  const json_t *records = json_object_get(entry, "records");
  size_t n = json_array_size(records);
  free(e->records); /* the empty list the caller started with */
  e->records = NULL;
  if (n == 0 || n > ZQ_ZNS_RECORDS_MAX || !(e->records = calloc(n, sizeof(*e->records))))
    return -1;
  for (size_t i = 0; i < n; i++) {
    const json_t *r = json_array_get(records, i);
    const char *value = json_string_value(json_object_get(r, "value"));
    uint64_t ttl = 0;
    e->records[i].type = zq_zns_type_from_name(json_string_value(json_object_get(r, "type")));
    if (!value || !json_is_integer(json_object_get(r, "ttl")) || !e->records[i].type) return -1;
    ttl = (uint64_t)json_integer_value(json_object_get(r, "ttl"));
    e->records[i].ttl = ttl > ZQ_ZNS_TTL_MAX ? ZQ_ZNS_TTL_MAX + 1 : (uint32_t)ttl;
    if (!(e->records[i].value = strdup(value))) return -1;
    e->n_records = i + 1;
  }
  return 0;
}

static json_t *entry_to_json(const zq_zns_entry *e, const char *owner_hex, const char *sig_hex) {
  json_t *records = json_array();
  for (size_t i = 0; records && i < e->n_records; i++) {
    const zq_zns_record *r = &e->records[i];
    if (json_array_append_new(records, json_pack("{s:s,s:I,s:s}", "type", zq_zns_type_name(r->type),
                                                 "ttl", (json_int_t)r->ttl, "value", r->value)))
      break;
  }
  if (!records || json_array_size(records) != e->n_records) {
    json_decref(records);
    return NULL;
  }
  return json_pack("{s:s,s:s,s:o,s:I,s:I,s:s}", "domain", e->domain, "owner", owner_hex,
                   "records", records, "last_updated", (json_int_t)e->last_updated, "expiry",
                   (json_int_t)e->expiry, "signature", sig_hex);
}

static void free_records(zq_zns_entry *e) {
  for (size_t i = 0; e->records && i < e->n_records; i++) free(e->records[i].value);
  free(e->records);
  e->records = NULL;
  e->n_records = 0;
}

/* Whether an entry object names `domain` (in any spelling the registry rules accept). */
static int names_domain(const json_t *entry, const char *domain) {
  char canon[ZQ_ZNS_NAME_MAX + 1];
  const char *d = json_string_value(json_object_get(entry, "domain"));
  return d && zq_zns_name_normalize(d, canon, sizeof(canon)) == 0 && strcmp(canon, domain) == 0;
}

static uint64_t time_field(const json_t *entry, const char *key) {
  json_int_t v = json_integer_value(json_object_get(entry, key));
  return v > 0 ? (uint64_t)v : 0;
}

/* The option checks of sign: the domain in canonical form into domain, an explicit expiry (or 0)
 * into *expiry. 0, or prints why and returns EXIT_USAGE. */
static int sign_args(const zns_opts *o, uint64_t now, char *domain, uint64_t *expiry) {
  uint64_t days;
  *expiry = 0;
  if (!o->key || !o->registry || !o->domain) {
    cli_error(CMD, "sign needs --key, --registry and --domain");
  } else if (o->too_many) {
    cli_error(CMD, "at most %d --record options", ZQ_ZNS_RECORDS_MAX);
  } else if (o->remove && (o->n_records || o->expires_in || o->expiry)) {
    cli_error(CMD, "--remove takes no --record, --expires-in or --expiry");
  } else if (o->expires_in && o->expiry) {
    cli_error(CMD, "give --expires-in or --expiry, not both");
  } else if (zq_zns_name_normalize(o->domain, domain, ZQ_ZNS_NAME_MAX + 1) != 0) {
    cli_error(CMD, "--domain \"%s\" is not a valid DNS name", o->domain);
  } else if (!zq_zns_name_is_zns(domain)) {
    cli_error(CMD, "--domain %s is not under .zns or .ghost", domain);
  } else if (o->expires_in && (parse_u64(o->expires_in, 36500, &days) != 0 || days == 0)) {
    cli_error(CMD, "--expires-in takes 1..36500 days");
  } else if (o->expiry && (parse_u64(o->expiry, ZQ_ZNS_TIME_MAX, expiry) != 0 || *expiry <= now)) {
    cli_error(CMD, "--expiry must be a Unix time in the future (now is %" PRIu64 ")", now);
  } else {
    if (o->expires_in) *expiry = now + days * DAY;
    return EXIT_OK;
  }
  return EXIT_USAGE;
}

static int cmd_zns_sign(int argc, char **argv) {
  zns_opts o;
  if (parse_opts(argc, argv, &o) != 0) return usage_of("sign", stderr, EXIT_USAGE);
  if (o.help) return usage_of("sign", stdout, EXIT_OK);
  uint64_t now = (uint64_t)time(NULL), expiry;
  char domain[ZQ_ZNS_NAME_MAX + 1], owner_hex[65], sig_hex[129], msg[ZQ_ZNS_MESSAGE_MAX];
  char why[256];
  uint8_t seed[32];
  size_t len;
  if (sign_args(&o, now, domain, &expiry) != EXIT_OK) return usage_of("sign", stderr, EXIT_USAGE);
  zq_zns_entry e = {.domain = domain};
  json_t *doc = NULL, *obj = NULL;
  int rc = EXIT_USAGE;
  if (!(e.records = calloc(o.n_records ? o.n_records : 1, sizeof(*e.records)))) goto done;
  for (; e.n_records < o.n_records; e.n_records++)
    if (parse_record(o.records[e.n_records], &e.records[e.n_records]) != 0) goto done;
  if (read_secret(o.key, seed) != EXIT_OK) goto done;
  if (zquic_crypto_keygen_from_seed(ZQUIC_KEY_ED25519, seed, 32, e.owner, 32, &len) != ZQUIC_OK ||
      zquic_crypto_hex_encode(e.owner, 32, owner_hex, sizeof(owner_hex)) != ZQUIC_OK) {
    cli_error(CMD, "key %s: %s", o.key, zquic_last_error());
    goto done;
  }
  if (!(doc = load_doc(o.registry))) goto done;
  json_t *entries = json_object_get(doc, "entries");
  /* Every entry for the name must be ours; the newest one is the one we update. */
  size_t first = (size_t)-1;
  const json_t *newest = NULL;
  for (size_t i = 0; i < json_array_size(entries); i++) {
    const json_t *entry = json_array_get(entries, i);
    if (!names_domain(entry, domain)) continue;
    const char *owner = json_string_value(json_object_get(entry, "owner"));
    if (!owner || strcasecmp(owner, owner_hex) != 0) {
      cli_error(CMD, "%s in %s belongs to another key; %s cannot change it", domain, o.registry,
                o.key);
      rc = EXIT_FAIL;
      goto done;
    }
    if (first == (size_t)-1) first = i;
    if (!newest || time_field(entry, "last_updated") > time_field(newest, "last_updated"))
      newest = entry;
  }
  if (o.remove && !newest) {
    cli_error(CMD, "no entry for %s in %s", domain, o.registry);
    rc = EXIT_FAIL;
    goto done;
  }
  if (!o.remove) {
    if (e.n_records == 0 && (!newest || records_of(newest, &e) != 0)) {
      cli_error(CMD, "give at least one --record (%s has no records to keep)", domain);
      goto done;
    }
    uint64_t old_updated = newest ? time_field(newest, "last_updated") : 0;
    uint64_t old_expiry = newest ? time_field(newest, "expiry") : 0;
    /* Strictly newer than what it replaces, even when signed twice within a second. */
    e.last_updated = now > old_updated ? now : old_updated + 1;
    e.expiry = expiry ? expiry : old_expiry > now ? old_expiry : now + DEFAULT_DAYS * DAY;
    if (zq_zns_entry_check(&e, why, sizeof(why)) != 0) {
      cli_error(CMD, "%s: %s", domain, why);
      goto done;
    }
    int msg_len = zq_zns_signing_message(&e, msg, sizeof(msg));
    if (msg_len < 0 ||
        zquic_crypto_sign(ZQUIC_KEY_ED25519, seed, 32, msg, (size_t)msg_len, e.signature,
                          sizeof(e.signature), &len) != ZQUIC_OK ||
        zquic_crypto_hex_encode(e.signature, 64, sig_hex, sizeof(sig_hex)) != ZQUIC_OK ||
        !(obj = entry_to_json(&e, owner_hex, sig_hex))) {
      cli_error(CMD, "cannot sign the entry for %s", domain);
      rc = EXIT_FAIL;
      goto done;
    }
  }
  zquic_crypto_memzero(seed, sizeof(seed)); /* the secret is not needed past this point */
  /* The newest entry's slot takes the new entry (file order stays); other copies go. */
  for (size_t i = json_array_size(entries); i-- > 0;)
    if ((o.remove || i != first) && names_domain(json_array_get(entries, i), domain))
      json_array_remove(entries, i);
  if (obj && (first == (size_t)-1 ? json_array_append(entries, obj)
                                  : json_array_set(entries, first, obj)) != 0)
    goto done;
  if (save_doc(o.registry, doc) != 0) {
    rc = EXIT_FAIL;
    goto done;
  }
  if (o.remove)
    printf("%s: removed from %s\n", domain, o.registry);
  else
    printf("%s: signed by %s (%zu records, last_updated %" PRIu64 ", expiry %" PRIu64 ")\n",
           domain, owner_hex, e.n_records, e.last_updated, e.expiry);
  rc = EXIT_OK;
done:
  zquic_crypto_memzero(seed, sizeof(seed));
  free_records(&e);
  json_decref(obj);
  json_decref(doc);
  return rc;
}

static void print_reject(void *user, const char *domain, const char *reason) {
  (*(size_t *)user)++;
  printf("REJECTED %s: %s\n", domain, reason);
}

static int cmd_zns_verify(int argc, char **argv) {
  zns_opts o;
  if (parse_opts(argc, argv, &o) != 0) return usage_of("verify", stderr, EXIT_USAGE);
  if (o.help) return usage_of("verify", stdout, EXIT_OK);
  uint64_t now = (uint64_t)time(NULL);
  if (!o.registry || (o.at && parse_u64(o.at, ZQ_ZNS_TIME_MAX, &now) != 0)) {
    cli_error(CMD, "verify needs --registry FILE (and --at takes Unix seconds)");
    return usage_of("verify", stderr, EXIT_USAGE);
  }
  zq_zns_registry *r = NULL;
  size_t rejected = 0;
  char err[512];
  if (zq_zns_registry_load(o.registry, now, print_reject, &rejected, &r, err, sizeof(err)) != 0) {
    cli_error(CMD, "%s", err);
    return EXIT_USAGE;
  }
  for (size_t i = 0; i < zq_zns_registry_count(r); i++) {
    const zq_zns_entry *e = zq_zns_registry_entry(r, i);
    char owner_hex[65];
    zquic_crypto_hex_encode(e->owner, 32, owner_hex, sizeof(owner_hex));
    printf("OK %s (%zu records, owner %s, expiry %" PRIu64 ")\n", e->domain, e->n_records,
           owner_hex, e->expiry);
  }
  printf("%zu served, %zu rejected\n", zq_zns_registry_count(r), rejected);
  zq_zns_registry_free(r);
  return rejected ? EXIT_FAIL : EXIT_OK;
}

static void zns_usage(FILE *out) {
  fprintf(out, "usage: zquic zns sign|verify [OPTIONS]\n"
               "Signed ZNS registry files (.zns and .ghost names; docs/ZNS.md).\n"
               "  sign    create, update or remove an entry with an Ed25519 key\n"
               "  verify  check every entry as the resolver would\n"
               "'zquic zns SUBCOMMAND --help' for each. Exit status: 0 success, 1 refused or\n"
               "entries rejected, 2 bad input.\n");
}

int cmd_zns(int argc, char **argv) {
  static const cli_command subs[] = {{"sign", cmd_zns_sign, NULL}, {"verify", cmd_zns_verify, NULL}};
  return cli_run_subcommand(CMD, argc, argv, subs, 2, zns_usage);
}
