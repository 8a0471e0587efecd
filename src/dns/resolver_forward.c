/*
 * resolver_forward.c — the resolver chain's forwarding link: a query no local link could answer
 * goes to the configured upstream resolvers (forward.c) while its DoQ stream waits. The
 * upstream's records come back inside an answer built for our client (its ID, question, EDNS
 * and padding, AA cleared: we are not the authority), go into the cache so that the next asker
 * is served by the first link, and then to the client. When no upstream answers the client gets
 * SERVFAIL with an Extended DNS Error (RFC 8914) saying why, within timeout × upstreams.
 *
 * A pending query lives in the DoQ query's user slot; when the client resets the stream or the
 * connection ends, zq_resolver_on_cancel runs its cancel, which stops the forward so that its
 * callback never sees a query that is gone.
 */
#include <stdlib.h>
#include <string.h>

#include "resolver.h"

typedef struct pending {
  zq_resolver_pending base; /* first: the user slot points here */
  zq_resolver *r;
  zq_doq_query *dq;
  zq_dns_query q;
  zq_dns_forward *fwd;
} pending;

static void pending_free(pending *p) {
  zq_dns_query_clear(&p->q);
  free(p);
}

static void pending_cancel(zq_resolver_pending *base) {
  pending *p = (pending *)(void *)base;
  zq_dns_forward_cancel(p->fwd);
  pending_free(p);
}

/* Our client's answer carrying the upstream's rcode and records; NULL when they do not parse. */
static ldns_pkt *client_answer(const zq_dns_query *q, const uint8_t *wire, size_t len) {
  ldns_pkt *up = NULL;
  if (ldns_wire2pkt(&up, wire, len) != LDNS_STATUS_OK) return NULL;
  ldns_pkt *answer = zq_dns_answer_new(q, zq_dns_answer_rcode(up));
  static const ldns_pkt_section sections[] = {LDNS_SECTION_ANSWER, LDNS_SECTION_AUTHORITY,
                                              LDNS_SECTION_ADDITIONAL};
  for (size_t s = 0; answer && s < sizeof(sections) / sizeof(sections[0]); s++) {
    ldns_rr_list *list = ldns_pkt_get_section_clone(up, sections[s]);
    for (size_t i = 0; list && i < ldns_rr_list_rr_count(list); i++) {
      if (zq_dns_answer_add_rr(answer, sections[s], ldns_rr_list_rr(list, i)) != 0) {
        ldns_pkt_free(answer);
        answer = NULL;
        break;
      }
    }
    ldns_rr_list_deep_free(list);
  }
  if (answer) ldns_pkt_set_tc(answer, ldns_pkt_tc(up)); /* over TCP: more than 64 KB upstream */
  ldns_pkt_free(up);
  return answer;
}

static ldns_pkt *upstream_failure(const zq_dns_query *q, int status) {
  ldns_pkt *answer = zq_dns_answer_servfail(q);
  if (!answer) return NULL;
  if (status == ZQ_DNS_FWD_TIMEOUT)
    zq_dns_answer_add_ede(answer, ZQ_DNS_EDE_NO_REACHABLE_AUTHORITY,
                          "no upstream resolver answered in time");
  else if (status == ZQ_DNS_FWD_BAD_ANSWER)
    zq_dns_answer_add_ede(answer, ZQ_DNS_EDE_NETWORK_ERROR,
                          "upstream resolvers failed or sent unusable answers");
  else
    zq_dns_answer_add_ede(answer, ZQ_DNS_EDE_NETWORK_ERROR, "upstream resolvers are unreachable");
  return answer;
}

static uint64_t now_ms(void) { return zq_now_ns() / 1000000; }

static void on_forwarded(int status, const uint8_t *wire, size_t len, void *user) {
  pending *p = user;
  zq_resolver *r = p->r;
  zq_doq_query_set_user(p->dq, NULL);
  ldns_pkt *answer = status == ZQ_DNS_FWD_OK ? client_answer(&p->q, wire, len) : NULL;
  if (!answer) {
    r->stats.upstream_failures++;
    answer = upstream_failure(&p->q, status == ZQ_DNS_FWD_OK ? ZQ_DNS_FWD_BAD_ANSWER : status);
  }
  /* SERVFAIL is cached too, briefly (the cache's servfail_ttl): a dead upstream then costs one
   * timeout per name every few seconds, not one per query. */
  if (answer && r->cache) zq_dns_cache_put(r->cache, &p->q, answer, now_ms());
  zq_resolver_answer(r, p->dq, &p->q, answer);
  pending_free(p);
}

void zq_resolver_forward(zq_resolver *r, zq_doq_query *dq, zq_dns_query *q) {
  pending *p = calloc(1, sizeof(*p));
  if (!p) {
    zq_resolver_answer(r, dq, q, NULL); /* SERVFAIL */
    zq_dns_query_clear(q);
    return;
  }
  p->base.cancel = pending_cancel;
  p->r = r;
  p->dq = dq;
  p->q = *q; /* the ldns objects move into p */
  memset(q, 0, sizeof(*q));
  if (zq_dns_forward_start(r->forwarder, &p->q, on_forwarded, p, &p->fwd) != 0) {
    r->stats.upstream_failures++; /* too many in flight, or out of memory */
    zq_resolver_answer(r, dq, &p->q, upstream_failure(&p->q, ZQ_DNS_FWD_NETWORK));
    pending_free(p);
    return;
  }
  r->stats.forwarded++;
  zq_doq_query_set_user(dq, p);
}
