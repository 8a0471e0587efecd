/*
 * zns_bridge.c — a .zns/.ghost name the registry file does not hold, asked of a GhostChain
 * service over GhostBridge while its DoQ stream waits.
 *
 * The story of one query: the resolver finds no registry entry and hands the query here; we
 * write a DomainQuery for the name and the asked type and start an asynchronous gRPC call to
 * ResolveDomain on our channel (one QUIC connection to the service, made on first use and again
 * after it closed), with a deadline of timeout_ms. The loop goes on serving other queries. When
 * the call ends, on the loop thread: NOT_FOUND or an answer without records is NXDOMAIN; an
 * answer is decoded strictly, rebuilt as the registry entry it claims to be and served only if
 * the registry's own checks and the owner's Ed25519 signature hold; everything else — a dead or
 * slow service, garbage, another domain, a bad or missing signature — is SERVFAIL with an
 * Extended DNS Error and one log line saying why. The resolver caches what we answer.
 *
 * Lifetimes: the DoQ query's user slot holds the lookup; when the client resets its stream
 * (zq_resolver_on_cancel) the lookup is detached (dq = NULL), so the query is never touched
 * again, and a cancel of its gRPC call is queued to the loop: the service sees the stream reset
 * and stops working for nobody. The cancel is queued rather than done at once because the
 * call's own start is queued too and must run first; until the queued cancel has run, it owns
 * the lookup. The object itself is freed by the last of: zq_zns_bridge_free and the lookups
 * still running.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../grpc/grpc_async.h"
#include "resolver.h"

typedef struct bridge_lookup {
  zq_resolver_pending base; /* first: the DoQ query's user slot points here */
  zq_list_node node;        /* in running */
  struct zq_zns_bridge *b;
  zq_doq_query *dq; /* NULL once the query is gone */
  zq_dns_query q;   /* owned */
  char name[ZQ_ZNS_NAME_MAX + 1];
  zquic_grpc_stream *call; /* until on_reply */
  bool replied;            /* on_reply has run */
  bool cancel_posted;      /* cancel_post is queued: it frees the lookup */
  zq_loop_call cancel_post;
} bridge_lookup;

struct zq_zns_bridge {
  zquic_context *ctx;
  zquic_grpc_channel *ch;
  char *network;
  uint32_t timeout_ms;
  zq_zns_bridge_done_fn done;
  void *user;
  zq_list running;
  bool closing;
  zq_zns_bridge_stats stats;
};

int zq_zns_bridge_new(zquic_context *ctx, const zq_zns_bridge_config *cfg,
                      zq_zns_bridge_done_fn done, void *user, zq_zns_bridge **out) {
  *out = NULL;
  const char *network = cfg->network ? cfg->network : "mainnet";
  if (!cfg->target || !cfg->target[0] || strlen(network) > ZQ_GC_MAX_STRING)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "ZNS GhostBridge: target \"host:port\" missing "
                    "or network name too long");
  zq_zns_bridge *b = calloc(1, sizeof(*b));
  if (!b || !(b->network = strdup(network))) {
    free(b);
    return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  }
  zquic_connect_options o;
  zquic_connect_options_init(&o);
  o.ca_file = cfg->ca_file; /* verification stays on; NULL = the context's CAs or the system's */
  int rc = zquic_grpc_channel_create(ctx, cfg->target, &o, &b->ch);
  if (rc) {
    free(b->network);
    free(b);
    return zq_error(rc, "ZNS GhostBridge %s: %s", cfg->target, zquic_last_error());
  }
  b->ctx = ctx;
  b->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : ZQ_ZNS_BRIDGE_DEFAULT_TIMEOUT_MS;
  if (b->timeout_ms > ZQ_ZNS_BRIDGE_MAX_TIMEOUT_MS) b->timeout_ms = ZQ_ZNS_BRIDGE_MAX_TIMEOUT_MS;
  b->done = done;
  b->user = user;
  zq_list_init(&b->running);
  *out = b;
  return ZQUIC_OK;
}

static void lookup_free(bridge_lookup *l) {
  zq_dns_query_clear(&l->q);
  free(l);
}

static void maybe_free_self(zq_zns_bridge *b) {
  if (!b->closing || !zq_list_empty(&b->running)) return;
  free(b->network);
  free(b);
}

/* The lookup is over: forget it (and the object, when it was waiting for the last one). */
static void release(bridge_lookup *l) {
  zq_zns_bridge *b = l->b;
  zq_list_remove(&b->running, &l->node);
  lookup_free(l);
  maybe_free_self(b);
}

/* ---- answers -------------------------------------------------------------------------------- */

static ldns_pkt *servfail(const zq_dns_query *q, uint16_t ede, const char *text) {
  ldns_pkt *p = zq_dns_answer_servfail(q);
  if (p && zq_dns_answer_add_ede(p, ede, text) != 0) {
    ldns_pkt_free(p);
    p = NULL;
  }
  return p;
}

/* The entry as a DNS answer, or NXDOMAIN for entry NULL: the registry's own answer builder, with
 * AA cleared (the data came from elsewhere, as a forwarded answer does). */
static ldns_pkt *entry_answer(const zq_dns_query *q, const zq_zns_entry *e) {
  ldns_pkt *p = zq_dns_answer_new(q, LDNS_RCODE_NOERROR);
  if (!p) return NULL;
  zq_resolver_zns_answer(e, q, p);
  ldns_pkt_set_aa(p, false);
  return p;
}

static void log_refusal(const bridge_lookup *l, const char *why) {
  /* l->name is canonical (checked before the call); `why` is our text with any untrusted part
   * already made printable. */
  fprintf(stderr, "zquic dns: zns-bridge: %s: answer not served: %s\n", l->name, why);
}

/* A successful call's message: decode, rebuild, verify. */
static ldns_pkt *answer_from_message(zq_zns_bridge *b, bridge_lookup *l, const uint8_t *msg,
                                     size_t len) {
  zq_gc_response r;
  char why[300] = "", text[120];
  ldns_pkt *answer = NULL;
  if (zq_gc_response_decode(msg, len, &r, why, sizeof(why)) != 0) {
    b->stats.rejected++;
    log_refusal(l, why);
    answer = servfail(&l->q, ZQ_DNS_EDE_INVALID_DATA, "GhostChain answer is not a DomainResponse");
  } else if (r.n_records == 0) { /* the chain knows no records for the name */
    answer = entry_answer(&l->q, NULL);
  } else {
    zq_zns_entry e;
    int rc = zq_gc_response_entry(&r, l->name, (uint64_t)time(NULL), &e, why, sizeof(why));
    if (rc == ZQ_GC_OK) {
      answer = entry_answer(&l->q, &e);
      zq_gc_entry_clear(&e);
    } else {
      b->stats.rejected++;
      log_refusal(l, why);
      snprintf(text, sizeof(text), "GhostChain answer refused: %.90s", why);
      answer = servfail(&l->q, rc == ZQ_GC_BOGUS ? ZQ_DNS_EDE_DNSSEC_BOGUS
                                                 : ZQ_DNS_EDE_INVALID_DATA, text);
    }
  }
  zq_gc_response_clear(&r);
  return answer;
}

static ldns_pkt *answer_from_call(zq_zns_bridge *b, bridge_lookup *l,
                                  const zquic_grpc_response *resp) {
  char text[120];
  switch (resp->status) {
  case ZQUIC_GRPC_OK: return answer_from_message(b, l, resp->data, resp->len);
  case ZQUIC_GRPC_NOT_FOUND: return entry_answer(&l->q, NULL);
  case ZQUIC_GRPC_DEADLINE_EXCEEDED:
    fprintf(stderr, "zquic dns: zns-bridge: %s: no answer within %u ms\n", l->name,
            (unsigned)b->timeout_ms);
    return servfail(&l->q, ZQ_DNS_EDE_NO_REACHABLE_AUTHORITY,
                    "GhostChain service did not answer in time");
  default:
    /* grpc-message is the service's text: only its status name reaches the log. */
    fprintf(stderr, "zquic dns: zns-bridge: %s: call failed with %s\n", l->name,
            zquic_grpc_status_name(resp->status));
    snprintf(text, sizeof(text), "GhostChain service failed: %s",
             zquic_grpc_status_name(resp->status));
    return servfail(&l->q, ZQ_DNS_EDE_NETWORK_ERROR, text);
  }
}

/* The gRPC call has ended (loop thread, lock held). */
static void on_reply(zquic_grpc_response *resp, void *user) {
  bridge_lookup *l = user;
  zq_zns_bridge *b = l->b;
  l->call = NULL;
  l->replied = true;
  if (b->closing || !l->dq) { /* nobody waits for the answer any more */
    zquic_grpc_response_free(resp);
    if (!l->cancel_posted) release(l); /* else the queued cancel does */
    return;
  }
  ldns_pkt *answer = answer_from_call(b, l, resp);
  zquic_grpc_response_free(resp);
  if (answer && zq_dns_answer_rcode(answer) != LDNS_RCODE_SERVFAIL) b->stats.answers++;
  else b->stats.failures++; /* NULL (no memory) becomes SERVFAIL too */
  zq_doq_query_set_user(l->dq, NULL);
  zq_dns_query q = l->q;
  memset(&l->q, 0, sizeof(l->q));
  b->done(b->user, l->dq, &q, answer); /* takes q and answer */
  release(l);
}

/* ---- the resolver's side -------------------------------------------------------------------- */

/* Queued by lookup_cancel: end the call (on_reply runs inside and throws the answer away). */
static int cancel_on_loop(void *arg) {
  bridge_lookup *l = arg;
  if (!l->replied && l->call) zq_grpc_call_cancel_now(l->call);
  release(l);
  return 0;
}

static void lookup_cancel(zq_resolver_pending *p) {
  bridge_lookup *l = (bridge_lookup *)(void *)p;
  l->dq = NULL; /* from now on on_reply throws the result away */
  if (l->cancel_posted || l->replied) return;
  l->cancel_post = (zq_loop_call){.fn = cancel_on_loop, .arg = l};
  /* A context shutting down refuses: the call then ends by its deadline at the latest. */
  if (zq_ctx_post(l->b->ctx, &l->cancel_post) == 0) l->cancel_posted = true;
}

/* Start the call for l; 0, or an error with the reason in zquic_last_error(). */
static int call_service(zq_zns_bridge *b, bridge_lookup *l) {
  char *type = ldns_rr_type2str(l->q.qtype); /* "A", "MX", "TYPE65534" */
  uint8_t *req = NULL;
  size_t req_len = 0;
  int rc = type && zq_gc_query_encode(l->name, type, b->network, &req, &req_len) == 0
             ? ZQUIC_OK : zq_error(ZQUIC_ERR_NO_MEMORY, "cannot encode the DomainQuery");
  free(type);
  if (rc == 0) {
    zquic_grpc_call_options o;
    zquic_grpc_call_options_init(&o);
    o.timeout_ms = (int)b->timeout_ms;
    o.max_receive_message = ZQ_GC_MAX_MESSAGE;
    rc = zq_grpc_channel_call_async_ex(b->ch, ZQ_GC_METHOD, req, req_len, &o, on_reply, l,
                                       &l->call);
  }
  free(req);
  return rc;
}

int zq_zns_bridge_start(zq_zns_bridge *b, zq_doq_query *dq, zq_dns_query *q, ldns_pkt **now) {
  *now = NULL;
  char name[ZQ_ZNS_NAME_MAX + 1];
  if (!q->qname_text || zq_zns_name_normalize(q->qname_text, name, sizeof(name)) != 0) {
    *now = entry_answer(q, NULL); /* no ZNS entry can have this name */
    return *now ? ZQUIC_OK : ZQUIC_ERR_NO_MEMORY;
  }
  b->stats.lookups++;
  if (b->running.size >= ZQ_ZNS_BRIDGE_MAX_RUNNING) {
    b->stats.failures++;
    *now = servfail(q, ZQ_DNS_EDE_OTHER, "too many GhostChain lookups in flight");
    return *now ? ZQUIC_OK : ZQUIC_ERR_NO_MEMORY;
  }
  bridge_lookup *l = calloc(1, sizeof(*l));
  if (!l) return ZQUIC_ERR_NO_MEMORY;
  l->base.cancel = lookup_cancel;
  l->b = b;
  l->dq = dq;
  l->q = *q;
  memcpy(l->name, name, sizeof(name));
  if (call_service(b, l) != 0) {
    /* The callback will never run: answer now, leaving q to the caller as it was. */
    fprintf(stderr, "zquic dns: zns-bridge: %s: cannot call the service: %s\n", name,
            zquic_last_error());
    free(l);
    b->stats.failures++;
    *now = servfail(q, ZQ_DNS_EDE_NETWORK_ERROR, "cannot reach the GhostChain service");
    return *now ? ZQUIC_OK : ZQUIC_ERR_NO_MEMORY;
  }
  memset(q, 0, sizeof(*q));
  zq_list_push_back(&b->running, &l->node);
  zq_doq_query_set_user(dq, &l->base);
  return ZQUIC_OK;
}

void zq_zns_bridge_stats_get(const zq_zns_bridge *b, zq_zns_bridge_stats *out) {
  memset(out, 0, sizeof(*out));
  if (b) *out = b->stats;
}

void zq_zns_bridge_free(zq_zns_bridge *b) {
  if (!b) return;
  zquic_context *ctx = b->ctx;
  bool taken = zq_ctx_enter(ctx);
  zq_list_node *n, *tmp; /* from now on no reply reaches a query */
  zq_list_for_each_safe(n, tmp, &b->running) zq_container_of(n, bridge_lookup, node)->dq = NULL;
  zquic_grpc_channel *ch = b->ch;
  b->ch = NULL;
  zq_ctx_leave(ctx, taken);
  /* Without the lock: closing the connection waits for the loop, whose callbacks end the calls
   * still running on it (UNAVAILABLE) and so free their lookups. `closing` is set only after,
   * so that none of them frees the object under this function. */
  zquic_grpc_channel_free(ch);
  taken = zq_ctx_enter(ctx);
  b->closing = true;
  maybe_free_self(b); /* or the last reply still to come does */
  zq_ctx_leave(ctx, taken);
}
