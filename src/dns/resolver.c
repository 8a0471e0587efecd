/*
 * resolver.c — what a DoQ query goes through on the server: RFC 9250's checks on the message,
 * then the resolution chain, first answer wins:
 *   1. the cache (answers of later links that may be reused),
 *   2. local zones (authoritative, from master files),
 *   3. the ZNS registry for .zns and .ghost names (signed entries, verified at load); names it
 *      does not hold go to a GhostChain service over GhostBridge when one is configured
 *      (zns_bridge.c): answered later, verified like registry entries,
 *   4. ENS for .eth names when an Ethereum endpoint is configured (ens.c): answered later, from
 *      a thread-pool lookup; the query stays pending meanwhile,
 *   5. the upstream resolvers, when configured (resolver_forward.c): the answer comes later;
 *   6. otherwise REFUSED with Extended DNS Error 20 ("Not Authoritative"): this server forwards
 *      nowhere unless upstreams are configured, so nothing leaves the machine by default.
 * Everything here runs on the loop thread with the context lock held. Links 1-3 are lookups in
 * memory, answered in the same turn as their query; an ENS or forwarded query stays pending
 * until its answer, and on_cancel forgets it when the client goes away first.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "resolver.h"

/* RFC 8914 info-codes used here. */
#define EDE_NOT_AUTHORITATIVE 20

/* ---- ZNS entries as DNS answers ------------------------------------------------------------- */

/* Names in a registry have no trailing dot; DNS presentation needs it. */
static void absolute(const char *name, char *out, size_t cap) {
  size_t n = strlen(name);
  snprintf(out, cap, "%s%s", name, n && name[n - 1] == '.' ? "" : ".");
}

/* One record in presentation form, parsed by ldns (the registry validated its value). */
static ldns_rr *zns_rr(const char *owner, uint16_t type, uint32_t ttl, const char *value) {
  char text[2048], data[1400];
  switch (type) {
  case ZQ_ZNS_TYPE_CNAME:
  case ZQ_ZNS_TYPE_NS: absolute(value, data, sizeof(data)); break;
  case ZQ_ZNS_TYPE_MX: {
    unsigned prio = 0;
    char host[300] = "", abs_host[310];
    if (sscanf(value, "%u %299s", &prio, host) != 2) return NULL;
    absolute(host, abs_host, sizeof(abs_host));
    snprintf(data, sizeof(data), "%u %s", prio, abs_host);
    break;
  }
  case ZQ_ZNS_TYPE_TXT: { /* quoted, in strings of at most 255 bytes, quotes and \ escaped */
    size_t o = 0, run = 0;
    for (const char *p = value; *p && o + 8 < sizeof(data); p++) {
      if (run == 0) data[o++] = '"';
      if (*p == '"' || *p == '\\') data[o++] = '\\';
      data[o++] = *p;
      if (++run == 255 || !p[1]) {
        data[o++] = '"';
        data[o++] = ' ';
        run = 0;
      }
    }
    data[o ? o - 1 : 0] = '\0';
    break;
  }
  default: snprintf(data, sizeof(data), "%s", value);
  }
  char rtype[16];
  snprintf(rtype, sizeof(rtype), "%s", zq_zns_type_name(type) ? zq_zns_type_name(type) : "TXT");
  snprintf(text, sizeof(text), "%s %u IN %s %s", owner, ttl, rtype, data);
  ldns_rr *rr = NULL;
  return ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) == LDNS_STATUS_OK ? rr : NULL;
}

/* The SOA negative answers for ZNS carry, so resolvers may cache them (RFC 2308). */
static ldns_rr *zns_soa(const char *name) {
  const char *apex = strlen(name) >= 6 && !strcasecmp(name + strlen(name) - 6, ".ghost")
                       ? "ghost." : "zns.";
  char text[256];
  snprintf(text, sizeof(text), "%s 300 IN SOA ns.%s hostmaster.%s 1 3600 600 86400 300", apex,
           apex, apex);
  ldns_rr *rr = NULL;
  return ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) == LDNS_STATUS_OK ? rr : NULL;
}

void zq_resolver_zns_answer(const zq_zns_entry *e, const zq_dns_query *q, ldns_pkt *answer) {
  ldns_pkt_set_aa(answer, true);
  ldns_rr *soa = zns_soa(q->qname_text);
  if (!e) {
    zq_dns_answer_set_rcode(answer, LDNS_RCODE_NXDOMAIN);
    if (soa) zq_dns_answer_add_rr(answer, LDNS_SECTION_AUTHORITY, soa);
    ldns_rr_free(soa);
    return;
  }
  char owner[300];
  absolute(e->domain, owner, sizeof(owner));
  size_t added = 0;
  for (size_t i = 0; i < e->n_records; i++) {
    const zq_zns_record *r = &e->records[i];
    if (r->type != q->qtype && r->type != ZQ_ZNS_TYPE_CNAME && q->qtype != LDNS_RR_TYPE_ANY)
      continue;
    ldns_rr *rr = zns_rr(owner, r->type, r->ttl, r->value);
    if (rr && zq_dns_answer_add_rr(answer, LDNS_SECTION_ANSWER, rr) == 0) added++;
    ldns_rr_free(rr);
  }
  if (q->qtype == LDNS_RR_TYPE_TXT || q->qtype == LDNS_RR_TYPE_ANY) {
    char hex[65], value[80];
    zquic_crypto_hex_encode(e->owner, sizeof(e->owner), hex, sizeof(hex));
    snprintf(value, sizeof(value), "zns-owner=%s", hex);
    ldns_rr *rr = zns_rr(owner, ZQ_ZNS_TYPE_TXT, 300, value);
    if (rr && zq_dns_answer_add_rr(answer, LDNS_SECTION_ANSWER, rr) == 0) added++;
    ldns_rr_free(rr);
  }
  if (!added && soa) zq_dns_answer_add_rr(answer, LDNS_SECTION_AUTHORITY, soa); /* NODATA */
  ldns_rr_free(soa);
}

static bool is_zns_name(const char *name) {
  size_t n = strlen(name);
  if (n && name[n - 1] == '.') n--;
  return (n > 4 && !strncasecmp(name + n - 4, ".zns", 4)) ||
         (n > 6 && !strncasecmp(name + n - 6, ".ghost", 6));
}

/* ---- the chain ------------------------------------------------------------------------------ */

static uint64_t now_ms(void) { return zq_now_ns() / 1000000; }

/* Link 3 for a .zns/.ghost name: the registry's entry, else the GhostChain service when one is
 * configured (answered later: NULL with *deferred), else NXDOMAIN. Takes `answer`. */
static ldns_pkt *zns_link(zq_resolver *r, zq_doq_query *dq, zq_dns_query *q, ldns_pkt *answer,
                          bool *deferred) {
  const zq_zns_entry *e = r->zns ? zq_zns_lookup(r->zns, q->qname_text, (uint64_t)time(NULL))
                                 : NULL;
  if (e || !r->zns_bridge) {
    zq_resolver_zns_answer(e, q, answer);
    r->stats.zns_answers++;
    return answer;
  }
  ldns_pkt_free(answer);
  ldns_pkt *now = NULL;
  int rc = zq_zns_bridge_start(r->zns_bridge, dq, q, &now);
  *deferred = rc == 0 && !now;
  return rc == 0 ? now : zq_dns_answer_servfail(q);
}

/* The chain for a well-formed QUERY: returns the answer to send (caller frees), or NULL with
 * *deferred set when ENS or the GhostChain service promised a later answer (q's contents moved
 * into the lookup), or with *forward set when the upstreams must be asked. */
static ldns_pkt *resolve(zq_resolver *r, zq_doq_query *dq, zq_dns_query *q, bool *deferred,
                         bool *forward) {
  ldns_pkt *answer = NULL;
  if (r->cache && zq_dns_cache_get(r->cache, q, now_ms(), &answer) == 0) {
    r->stats.cache_hits++;
    return answer;
  }
  r->stats.cache_misses++;
  if (!(answer = zq_dns_answer_new(q, LDNS_RCODE_NOERROR))) return NULL;
  if (r->zones) {
    int rc = zq_dns_zones_lookup(r->zones, q, answer);
    if (rc == ZQ_DNS_ZONE_ANSWERED || rc == ZQ_DNS_ZONE_CNAME_OUT) {
      r->stats.zone_answers++;
      return answer;
    }
    if (rc < 0) {
      ldns_pkt_free(answer);
      return zq_dns_answer_servfail(q);
    }
  }
  if ((r->zns || r->zns_bridge) && is_zns_name(q->qname_text))
    return zns_link(r, dq, q, answer, deferred);
  if (r->ens) { /* .eth names; anything else goes on down the chain */
    ldns_pkt *now = NULL;
    int rc = zq_ens_start(r->ens, dq, q, &now);
    if (rc != ZQUIC_ERR_NOT_FOUND) {
      ldns_pkt_free(answer);
      *deferred = rc == 0 && !now;
      return rc == 0 ? now : zq_dns_answer_servfail(q);
    }
  }
  ldns_pkt_free(answer);
  if (r->forwarder) {
    *forward = true;
    return NULL;
  }
  return zq_dns_answer_refused(q, EDE_NOT_AUTHORITATIVE, "no upstream resolver is configured");
}

static void count_rcode(zq_resolver *r, int rcode) {
  if (rcode == LDNS_RCODE_NXDOMAIN) r->stats.nxdomain++;
  else if (rcode == LDNS_RCODE_REFUSED) r->stats.refused++;
  else if (rcode == LDNS_RCODE_SERVFAIL) r->stats.servfail++;
  else if (rcode == LDNS_RCODE_FORMERR) r->stats.formerr++;
}

void zq_resolver_on_query(zq_doq_query *dq, const uint8_t *msg, size_t len, bool early,
                          void *user) {
  zq_resolver *r = user;
  r->stats.queries++;
  zq_dns_query q;
  int parsed = zq_dns_parse_query(msg, len, &q);
  ldns_pkt *answer = NULL;
  if (parsed == ZQ_DNS_PARSE_DROP || parsed < 0 || zq_dns_query_protocol_error(&q)) {
    /* RFC 9250 4.2.1 / 5.5.2: a non-zero ID or edns-tcp-keepalive ends the connection. */
    r->stats.protocol_errors++;
    zq_doq_protocol_error(dq, parsed == ZQ_DNS_PARSE_DROP ? "not a DNS message"
                                                          : "Message ID or keepalive");
    zq_dns_query_clear(&q);
    return;
  }
  bool deferred = false, forward = false;
  if (early && q.opcode != LDNS_PACKET_QUERY) answer = zq_dns_answer_too_early(&q);
  else if (parsed == ZQ_DNS_PARSE_ANSWER) answer = zq_dns_answer_for_parse(&q);
  else answer = resolve(r, dq, &q, &deferred, &forward);
  if (forward) zq_resolver_forward(r, dq, &q);
  else if (!deferred) zq_resolver_answer(r, dq, &q, answer); /* deferred: ENS answers later */
  zq_dns_query_clear(&q);
}

void zq_resolver_answer(zq_resolver *r, zq_doq_query *dq, const zq_dns_query *q,
                        ldns_pkt *answer) {
  uint8_t *wire = NULL;
  size_t wire_len = 0;
  if (!answer || zq_dns_answer_to_wire(answer, q, &wire, &wire_len) != 0) {
    ldns_pkt_free(answer);
    answer = zq_dns_answer_servfail(q);
    if (!answer || zq_dns_answer_to_wire(answer, q, &wire, &wire_len) != 0) {
      zq_doq_protocol_error(dq, "cannot build an answer"); /* out of memory: drop it */
      ldns_pkt_free(answer);
      return;
    }
  }
  count_rcode(r, zq_dns_answer_rcode(answer));
  /* Local links answer from memory and must not outlive a reload, so only answers fetched from
   * elsewhere (upstreams, ENS: later links) go into the cache, and they do it themselves. */
  if (zq_doq_answer(dq, wire, wire_len) == 0) r->stats.answers++;
  free(wire);
  ldns_pkt_free(answer);
}

void zq_resolver_on_cancel(zq_doq_query *dq, void *user) {
  zq_resolver *r = user;
  r->stats.cancelled++;
  if (r->ens) zq_ens_cancel(r->ens, dq);
  zq_resolver_pending *p = zq_doq_query_get_user(dq);
  if (p) p->cancel(p);
}

void zq_resolver_on_ens_answer(void *user, zq_doq_query *dq, zq_dns_query *q, ldns_pkt *answer) {
  zq_resolver *r = user;
  if (answer && r->cache) zq_dns_cache_put(r->cache, q, answer, now_ms());
  zq_resolver_answer(r, dq, q, answer);
  zq_dns_query_clear(q); /* the lookup handed its copy of the query over */
}
