/*
 * zone_load.c — reading an RFC 1035 master file into an immutable zone (see zone.h).
 *
 * libldns parses each record (ldns_rr_new_frm_fp_l: $ORIGIN, $TTL, relative names, parentheses,
 * every RR type it knows). The loop around it is ours rather than ldns_zone_new_frm_fp_l for two
 * reasons: that function drops the records it already read when it fails (a leak we would repeat
 * on every bad reload), and we want the line number of each record so that content errors (a
 * record outside the zone, a CNAME beside other data) point at the line as syntax errors do.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "zone_internal.h"
#include "zquic.h"

typedef struct loaded {
  ldns_rr *rr;
  int line;
} loaded;

static int fail(char *err, size_t cap, int rv, const char *name, int line, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static int fail(char *err, size_t cap, int rv, const char *name, int line, const char *fmt, ...) {
  if (!err || cap == 0) return rv;
  int n = line > 0 ? snprintf(err, cap, "%s:%d: ", name, line) : snprintf(err, cap, "%s: ", name);
  if (n < 0 || (size_t)n >= cap) return rv;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err + n, cap - (size_t)n, fmt, ap);
  va_end(ap);
  return rv;
}

static int cmp_loaded(const void *a, const void *b) {
  const loaded *x = a, *y = b;
  int c = ldns_dname_compare(ldns_rr_owner(x->rr), ldns_rr_owner(y->rr));
  if (c) return c;
  if (ldns_rr_get_type(x->rr) != ldns_rr_get_type(y->rr))
    return ldns_rr_get_type(x->rr) < ldns_rr_get_type(y->rr) ? -1 : 1;
  return x->line < y->line ? -1 : x->line > y->line; /* keep the file's order within an RRset */
}

void zq_dns_zone_free(zq_dns_zone *z) {
  if (!z) return;
  for (size_t i = 0; i < z->nrrs; i++) ldns_rr_free(z->rrs[i]);
  for (size_t i = 0; i < z->nnodes; i++) ldns_rdf_deep_free(z->nodes[i].name);
  free(z->rrs);
  free(z->nodes);
  ldns_rdf_deep_free(z->origin);
  free(z);
}

/* Group the sorted records into nodes, checking RFC 1034 section 3.6.2 (a CNAME stands alone)
 * and RFC 2181 section 10.1 (one CNAME per name) on the way. */
static int build_nodes(zq_dns_zone *z, const loaded *recs, const char *name, char *err,
                       size_t cap) {
  z->nodes = calloc(z->nrrs, sizeof(*z->nodes));
  if (!z->nodes) return ZQUIC_ERR_NO_MEMORY;
  for (size_t i = 0; i < z->nrrs;) {
    size_t j = i + 1, cnames = 0;
    while (j < z->nrrs && ldns_dname_compare(ldns_rr_owner(recs[j].rr),
                                             ldns_rr_owner(recs[i].rr)) == 0)
      j++;
    for (size_t k = i; k < j; k++)
      if (ldns_rr_get_type(recs[k].rr) == LDNS_RR_TYPE_CNAME) cnames++;
    for (size_t k = i; cnames && k < j; k++) {
      ldns_rr_type t = ldns_rr_get_type(recs[k].rr);
      if ((t != LDNS_RR_TYPE_CNAME && t != LDNS_RR_TYPE_RRSIG && t != LDNS_RR_TYPE_NSEC) ||
          (t == LDNS_RR_TYPE_CNAME && cnames > 1))
        return fail(err, cap, ZQUIC_ERR_INVALID_ARGUMENT, name, recs[k].line,
                    "a CNAME must be the only record at its name");
    }
    zq_zone_node *n = &z->nodes[z->nnodes++];
    n->name = ldns_rdf_clone(ldns_rr_owner(recs[i].rr));
    if (!n->name) return ZQUIC_ERR_NO_MEMORY;
    ldns_dname2canonical(n->name);
    n->first = i;
    n->count = j - i;
    i = j;
  }
  return ZQUIC_OK;
}

/* Read every record; on success *recs and *n hold them, with their line numbers. */
static int read_records(FILE *fp, const char *name, ldns_rdf **origin, loaded **recs, size_t *n,
                        char *err, size_t cap) {
  uint32_t ttl = 3600; /* RFC 1035 leaves the default to us when neither $TTL nor a TTL is given */
  ldns_rdf *prev = NULL;
  int line = 0, rv = ZQUIC_OK;
  size_t capn = 0;
  while (!feof(fp)) {
    ldns_rr *rr = NULL;
    ldns_status st = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, origin, &prev, &line);
    if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL ||
        st == LDNS_STATUS_SYNTAX_ORIGIN)
      continue;
    if (st == LDNS_STATUS_SYNTAX_INCLUDE) {
      rv = fail(err, cap, ZQUIC_ERR_INVALID_ARGUMENT, name, line, "$INCLUDE is not supported");
      goto err;
    }
    if (st == LDNS_STATUS_MEM_ERR) {
      rv = ZQUIC_ERR_NO_MEMORY;
      goto err;
    }
    if (st != LDNS_STATUS_OK) {
      rv = fail(err, cap, ZQUIC_ERR_INVALID_ARGUMENT, name, line, "%s",
                ldns_get_errorstr_by_id(st));
      goto err;
    }
    if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
      ldns_rr_free(rr);
      rv = fail(err, cap, ZQUIC_ERR_INVALID_ARGUMENT, name, line, "only class IN is served");
      goto err;
    }
    if (*n == capn) {
      size_t nc = capn ? capn * 2 : 64;
      loaded *g = realloc(*recs, nc * sizeof(*g));
      if (!g) {
        ldns_rr_free(rr);
        rv = ZQUIC_ERR_NO_MEMORY;
        goto err;
      }
      *recs = g;
      capn = nc;
    }
    (*recs)[*n].rr = rr;
    (*recs)[(*n)++].line = line;
    /* Like ldns' own reader: without an origin, the SOA's owner becomes it. */
    if (!*origin && ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA) {
      *origin = ldns_rdf_clone(ldns_rr_owner(rr));
      if (!*origin) {
        rv = ZQUIC_ERR_NO_MEMORY;
        goto err;
      }
    }
  }
  if (ferror(fp)) rv = fail(err, cap, ZQUIC_ERR_IO, name, 0, "read error");
err:
  ldns_rdf_deep_free(prev);
  return rv;
}

int zq_dns_zone_load_fp(FILE *fp, const char *name, const char *origin_or_null,
                        zq_dns_zone **out, char *err, size_t cap) {
  *out = NULL;
  if (err && cap) err[0] = '\0';
  if (!name) name = "zone";
  ldns_rdf *origin = NULL, *want = NULL;
  loaded *recs = NULL;
  size_t n = 0;
  int rv = ZQUIC_OK;
  zq_dns_zone *z = NULL;
  if (origin_or_null) {
    /* "example.org" and "example.org." both mean the absolute name. */
    size_t l = strlen(origin_or_null);
    char *abs = malloc(l + 2);
    if (!abs) return ZQUIC_ERR_NO_MEMORY;
    memcpy(abs, origin_or_null, l + 1);
    if (l == 0 || abs[l - 1] != '.') memcpy(abs + l, ".", 2);
    origin = ldns_dname_new_frm_str(abs);
    free(abs);
    if (!origin)
      return fail(err, cap, ZQUIC_ERR_INVALID_ARGUMENT, name, 0, "bad origin '%s'",
                  origin_or_null);
    want = ldns_rdf_clone(origin);
    if (!want) goto nomem;
  }
  if ((rv = read_records(fp, name, &origin, &recs, &n, err, cap))) goto err;

  const loaded *soa = NULL;
  for (size_t i = 0; i < n; i++) {
    if (ldns_rr_get_type(recs[i].rr) != LDNS_RR_TYPE_SOA) continue;
    if (soa) {
      rv = fail(err, cap, ZQUIC_ERR_INVALID_ARGUMENT, name, recs[i].line, "a second SOA record");
      goto err;
    }
    soa = &recs[i];
  }
  if (!soa) {
    rv = fail(err, cap, ZQUIC_ERR_INVALID_ARGUMENT, name, 0, "no SOA record");
    goto err;
  }
  const ldns_rdf *apex = ldns_rr_owner(soa->rr);
  if (want && ldns_dname_compare(want, apex) != 0) {
    rv = fail(err, cap, ZQUIC_ERR_INVALID_ARGUMENT, name, soa->line,
              "the SOA is not at the origin given");
    goto err;
  }
  for (size_t i = 0; i < n; i++) {
    if (!zq_zone_contains(ldns_rr_owner(recs[i].rr), apex)) {
      char *o = ldns_rdf2str(ldns_rr_owner(recs[i].rr));
      rv = fail(err, cap, ZQUIC_ERR_INVALID_ARGUMENT, name, recs[i].line,
                "%s is outside the zone", o ? o : "the owner");
      free(o);
      goto err;
    }
  }

  z = calloc(1, sizeof(*z));
  if (!z) goto nomem;
  z->origin = ldns_rdf_clone(apex);
  if (!z->origin) goto nomem;
  ldns_dname2canonical(z->origin);
  qsort(recs, n, sizeof(*recs), cmp_loaded);
  z->rrs = calloc(n, sizeof(ldns_rr *));
  if (!z->rrs) goto nomem;
  for (size_t i = 0; i < n; i++) {
    z->rrs[i] = recs[i].rr;
    if (ldns_rr_get_type(recs[i].rr) == LDNS_RR_TYPE_SOA) z->soa = recs[i].rr;
  }
  z->nrrs = n; /* the zone owns the records from here on */
  if ((rv = build_nodes(z, recs, name, err, cap))) goto err_zone;
  free(recs);
  ldns_rdf_deep_free(origin);
  ldns_rdf_deep_free(want);
  *out = z;
  return ZQUIC_OK;

nomem:
  rv = ZQUIC_ERR_NO_MEMORY;
err:
  for (size_t i = 0; i < n; i++) ldns_rr_free(recs[i].rr);
err_zone:
  zq_dns_zone_free(z);
  free(recs);
  ldns_rdf_deep_free(origin);
  ldns_rdf_deep_free(want);
  if (rv == ZQUIC_ERR_NO_MEMORY) fail(err, cap, rv, name, 0, "out of memory");
  return rv;
}

int zq_dns_zone_load(const char *path, const char *origin_or_null, zq_dns_zone **out, char *err,
                     size_t cap) {
  *out = NULL;
  FILE *fp = fopen(path, "r");
  if (!fp) return fail(err, cap, ZQUIC_ERR_IO, path, 0, "cannot open: %s", strerror(errno));
  struct stat sb;
  if (fstat(fileno(fp), &sb) != 0 || !S_ISREG(sb.st_mode)) {
    fclose(fp);
    return fail(err, cap, ZQUIC_ERR_IO, path, 0, "not a regular file");
  }
  if (sb.st_size > ZQ_DNS_ZONE_MAX_FILE) {
    fclose(fp);
    return fail(err, cap, ZQUIC_ERR_IO, path, 0, "larger than %ld bytes", ZQ_DNS_ZONE_MAX_FILE);
  }
  int rv = zq_dns_zone_load_fp(fp, path, origin_or_null, out, err, cap);
  fclose(fp);
  return rv;
}

const ldns_rdf *zq_dns_zone_origin(const zq_dns_zone *z) { return z->origin; }
const ldns_rr *zq_dns_zone_soa(const zq_dns_zone *z) { return z->soa; }
size_t zq_dns_zone_rr_count(const zq_dns_zone *z) { return z->nrrs; }
