/*
 * zone_lookup.c — answering from a loaded zone, and sets of zones (see zone.h).
 *
 * The zone's names are sorted canonically, so "does this name exist" is a binary search that
 * also sees empty non-terminals (a name with no records whose descendants follow it directly),
 * and the closest encloser of a missing name is found by chopping labels until a name exists.
 * Zones are never written after loading: everything here reads them, clones records into the
 * answer and may run on any number of threads at once.
 */
#include <stdlib.h>
#include <string.h>

#include "zone_internal.h"
#include "zquic.h"

static size_t lower_bound(const zq_dns_zone *z, const ldns_rdf *name) {
  size_t lo = 0, hi = z->nnodes;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (ldns_dname_compare(z->nodes[mid].name, name) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static const zq_zone_node *find_node(const zq_dns_zone *z, const ldns_rdf *name) {
  size_t i = lower_bound(z, name);
  return i < z->nnodes && ldns_dname_compare(z->nodes[i].name, name) == 0 ? &z->nodes[i] : NULL;
}

/* A name exists when it owns records or has descendants that do (RFC 4592 section 2.2.2). */
static bool name_exists(const zq_dns_zone *z, const ldns_rdf *name) {
  size_t i = lower_bound(z, name);
  if (i >= z->nnodes) return false;
  return ldns_dname_compare(z->nodes[i].name, name) == 0 ||
         ldns_dname_is_subdomain(z->nodes[i].name, name);
}

static const ldns_rr *first_of(const zq_dns_zone *z, const zq_zone_node *n, ldns_rr_type t) {
  for (size_t i = 0; i < n->count; i++)
    if (ldns_rr_get_type(z->rrs[n->first + i]) == t) return z->rrs[n->first + i];
  return NULL;
}

/* Copy rr into a section, owned by `owner` when given (wildcard synthesis). Records already in
 * the section are skipped for the additional section and CNAMEs only: the check costs a
 * comparison with every record there, too much for a large RRset. */
static int push(ldns_pkt *a, ldns_pkt_section sec, const ldns_rr *rr, const ldns_rdf *owner) {
  ldns_rr *c = ldns_rr_clone(rr);
  if (!c) return ZQUIC_ERR_NO_MEMORY;
  if (owner) {
    ldns_rdf *o = ldns_rdf_clone(owner);
    if (!o) {
      ldns_rr_free(c);
      return ZQUIC_ERR_NO_MEMORY;
    }
    ldns_rdf_deep_free(ldns_rr_owner(c));
    ldns_rr_set_owner(c, o);
  }
  bool dedup = sec == LDNS_SECTION_ADDITIONAL || ldns_rr_get_type(c) == LDNS_RR_TYPE_CNAME;
  if (dedup && ldns_pkt_rr(a, sec, c)) {
    ldns_rr_free(c);
    return ZQUIC_OK;
  }
  if (!ldns_pkt_push_rr(a, sec, c)) {
    ldns_rr_free(c);
    return ZQUIC_ERR_NO_MEMORY;
  }
  return ZQUIC_OK;
}

/* Push the node's records of type t (every record for ANY); *count gets how many matched. */
static int push_rrset(ldns_pkt *a, ldns_pkt_section sec, const zq_dns_zone *z,
                      const zq_zone_node *n, uint16_t t, const ldns_rdf *owner, size_t *count) {
  *count = 0;
  for (size_t i = 0; i < n->count; i++) {
    const ldns_rr *rr = z->rrs[n->first + i];
    if (t != LDNS_RR_TYPE_ANY && ldns_rr_get_type(rr) != t) continue;
    int rv = push(a, sec, rr, owner);
    if (rv) return rv;
    (*count)++;
  }
  return ZQUIC_OK;
}

static int push_negative_soa(ldns_pkt *a, const zq_dns_zone *z) {
  ldns_rr *soa = zq_dns_soa_for_negative(z->soa);
  if (!soa) return ZQUIC_ERR_NO_MEMORY;
  if (!ldns_pkt_push_rr(a, LDNS_SECTION_AUTHORITY, soa)) {
    ldns_rr_free(soa);
    return ZQUIC_ERR_NO_MEMORY;
  }
  return ZQUIC_OK;
}

/* Additional-section processing (RFC 1034 section 4.3.2 step 6): addresses of NS, MX and SRV
 * targets that this zone holds. */
static int add_glue(ldns_pkt *a, const zq_dns_zone *z, const ldns_rr_list *l) {
  size_t n = ldns_rr_list_rr_count(l);
  for (size_t i = 0; i < n; i++) {
    const ldns_rr *rr = ldns_rr_list_rr(l, i);
    size_t idx;
    switch (ldns_rr_get_type(rr)) {
    case LDNS_RR_TYPE_NS: idx = 0; break;
    case LDNS_RR_TYPE_MX: idx = 1; break;
    case LDNS_RR_TYPE_SRV: idx = 3; break;
    default: continue;
    }
    if (ldns_rr_rd_count(rr) <= idx) continue;
    const ldns_rdf *target = ldns_rr_rdf(rr, idx);
    if (ldns_rdf_get_type(target) != LDNS_RDF_TYPE_DNAME) continue;
    const zq_zone_node *node = find_node(z, target);
    if (!node) continue;
    size_t cnt;
    int rv = push_rrset(a, LDNS_SECTION_ADDITIONAL, z, node, LDNS_RR_TYPE_A, NULL, &cnt);
    if (!rv) rv = push_rrset(a, LDNS_SECTION_ADDITIONAL, z, node, LDNS_RR_TYPE_AAAA, NULL, &cnt);
    if (rv) return rv;
  }
  return ZQUIC_OK;
}

/* The highest delegation point (NS below the apex) at or above name, or NULL. */
static int find_cut(const zq_dns_zone *z, const ldns_rdf *name, const zq_zone_node **cut) {
  *cut = NULL;
  ldns_rdf *cur = ldns_rdf_clone(name);
  if (!cur) return ZQUIC_ERR_NO_MEMORY;
  while (ldns_dname_label_count(cur) > ldns_dname_label_count(z->origin)) {
    const zq_zone_node *n = find_node(z, cur);
    if (n && first_of(z, n, LDNS_RR_TYPE_NS)) *cut = n;
    ldns_rdf *up = ldns_dname_left_chop(cur);
    ldns_rdf_deep_free(cur);
    if (!up) return ZQUIC_ERR_NO_MEMORY;
    cur = up;
  }
  ldns_rdf_deep_free(cur);
  return ZQUIC_OK;
}

/* RFC 4592 section 3.3.1: the source of synthesis for a missing name is "*." + its closest
 * encloser. *node is that wildcard's node; *wild_ent says the wildcard exists only as an empty
 * non-terminal (which answers NODATA). */
static int find_wildcard(const zq_dns_zone *z, const ldns_rdf *name, const zq_zone_node **node,
                         bool *wild_ent) {
  *node = NULL;
  *wild_ent = false;
  ldns_rdf *ce = ldns_dname_left_chop(name);
  while (ce && !name_exists(z, ce) && ldns_dname_compare(ce, z->origin) != 0) {
    ldns_rdf *up = ldns_dname_left_chop(ce);
    ldns_rdf_deep_free(ce);
    ce = up;
  }
  if (!ce) return ZQUIC_ERR_NO_MEMORY;
  size_t len = ldns_rdf_size(ce);
  uint8_t buf[LDNS_MAX_DOMAINLEN + 2];
  if (len + 2 > LDNS_MAX_DOMAINLEN) { /* ce is shorter than name, so this cannot happen */
    ldns_rdf_deep_free(ce);
    return ZQUIC_OK;
  }
  buf[0] = 1;
  buf[1] = '*';
  memcpy(buf + 2, ldns_rdf_data(ce), len);
  ldns_rdf_deep_free(ce);
  ldns_rdf *wild = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, len + 2, buf);
  if (!wild) return ZQUIC_ERR_NO_MEMORY;
  *node = find_node(z, wild);
  if (!*node) *wild_ent = name_exists(z, wild);
  ldns_rdf_deep_free(wild);
  return ZQUIC_OK;
}

int zq_dns_zone_lookup(const zq_dns_zone *z, const zq_dns_query *q, ldns_pkt *answer) {
  if (!q->qname || !q->question || !zq_zone_contains(q->qname, z->origin))
    return ZQ_DNS_ZONE_NOT_MINE;
  ldns_pkt_set_aa(answer, true);
  zq_dns_answer_set_rcode(answer, ZQ_DNS_RCODE_NOERROR);
  ldns_rdf *name = ldns_rdf_clone(q->qname);     /* lower-cased, for searching */
  ldns_rdf *asked = ldns_rdf_clone(ldns_rr_owner(q->question)); /* as asked, for synthesis */
  int rv = ZQUIC_ERR_NO_MEMORY;
  if (!name || !asked) goto out;
  for (int step = 0;; step++) {
    const zq_zone_node *cut;
    if ((rv = find_cut(z, name, &cut))) goto out;
    if (cut && !(q->qtype == LDNS_RR_TYPE_DS && ldns_dname_compare(cut->name, name) == 0)) {
      if (step > 0) { /* the chain went below a delegation: not ours to answer */
        rv = ZQ_DNS_ZONE_CNAME_OUT;
        goto out;
      }
      size_t cnt;
      ldns_pkt_set_aa(answer, false); /* a referral (RFC 1034 section 4.3.2 step 3b) */
      rv = push_rrset(answer, LDNS_SECTION_AUTHORITY, z, cut, LDNS_RR_TYPE_NS, NULL, &cnt);
      if (!rv) rv = add_glue(answer, z, ldns_pkt_authority(answer));
      goto out;
    }
    const zq_zone_node *n = find_node(z, name);
    const ldns_rdf *owner = NULL;
    if (!n) {
      bool wild_ent = false;
      if (!name_exists(z, name) && (rv = find_wildcard(z, name, &n, &wild_ent))) goto out;
      if (!n) {
        if (!name_exists(z, name) && !wild_ent)
          zq_dns_answer_set_rcode(answer, ZQ_DNS_RCODE_NXDOMAIN);
        rv = push_negative_soa(answer, z);
        goto out;
      }
      owner = asked; /* synthesized from the wildcard, owned by the name asked */
    }
    const ldns_rr *cname = first_of(z, n, LDNS_RR_TYPE_CNAME);
    if (cname && q->qtype != LDNS_RR_TYPE_CNAME && q->qtype != LDNS_RR_TYPE_ANY) {
      if ((rv = push(answer, LDNS_SECTION_ANSWER, cname, owner))) goto out;
      const ldns_rdf *target = ldns_rr_rdf(cname, 0);
      ldns_rdf *next = target ? ldns_rdf_clone(target) : NULL, *next_l = NULL;
      if (next) next_l = ldns_rdf_clone(next);
      if (!next_l) {
        ldns_rdf_deep_free(next);
        rv = ZQUIC_ERR_NO_MEMORY;
        goto out;
      }
      ldns_dname2canonical(next_l);
      ldns_rdf_deep_free(name);
      ldns_rdf_deep_free(asked);
      name = next_l;
      asked = next;
      if (!zq_zone_contains(name, z->origin)) {
        rv = ZQ_DNS_ZONE_CNAME_OUT;
        goto out;
      }
      if (step + 1 >= ZQ_DNS_ZONE_MAX_CHAIN) { /* long or looping chain: stop here */
        rv = ZQ_DNS_ZONE_ANSWERED;
        goto out;
      }
      continue;
    }
    size_t cnt;
    if ((rv = push_rrset(answer, LDNS_SECTION_ANSWER, z, n, q->qtype, owner, &cnt))) goto out;
    rv = cnt ? add_glue(answer, z, ldns_pkt_answer(answer)) : push_negative_soa(answer, z);
    goto out;
  }
out:
  ldns_rdf_deep_free(name);
  ldns_rdf_deep_free(asked);
  return rv;
}

/* ---- sets of zones ---- */

struct zq_dns_zones {
  zq_dns_zone **z;
  size_t n, cap;
};

int zq_dns_zones_new(zq_dns_zones **out) {
  *out = calloc(1, sizeof(**out));
  return *out ? ZQUIC_OK : ZQUIC_ERR_NO_MEMORY;
}

int zq_dns_zones_add(zq_dns_zones *s, zq_dns_zone *z) {
  for (size_t i = 0; i < s->n; i++)
    if (ldns_dname_compare(s->z[i]->origin, z->origin) == 0) return ZQUIC_ERR_STATE;
  if (s->n == s->cap) {
    size_t nc = s->cap ? s->cap * 2 : 4;
    zq_dns_zone **g = reallocarray(s->z, nc, sizeof(zq_dns_zone *));
    if (!g) return ZQUIC_ERR_NO_MEMORY;
    s->z = g;
    s->cap = nc;
  }
  s->z[s->n++] = z;
  return ZQUIC_OK;
}

const zq_dns_zone *zq_dns_zones_find(const zq_dns_zones *s, const ldns_rdf *qname) {
  const zq_dns_zone *best = NULL;
  size_t best_labels = 0;
  for (size_t i = 0; i < s->n; i++) {
    size_t labels = ldns_dname_label_count(s->z[i]->origin);
    if ((!best || labels > best_labels) && zq_zone_contains(qname, s->z[i]->origin)) {
      best = s->z[i];
      best_labels = labels;
    }
  }
  return best;
}

size_t zq_dns_zones_count(const zq_dns_zones *s) { return s->n; }

int zq_dns_zones_lookup(const zq_dns_zones *s, const zq_dns_query *q, ldns_pkt *answer) {
  const zq_dns_zone *z = q->qname ? zq_dns_zones_find(s, q->qname) : NULL;
  return z ? zq_dns_zone_lookup(z, q, answer) : ZQ_DNS_ZONE_NOT_MINE;
}

void zq_dns_zones_free(zq_dns_zones *s) {
  if (!s) return;
  for (size_t i = 0; i < s->n; i++) zq_dns_zone_free(s->z[i]);
  free(s->z);
  free(s);
}
