/*
 * ens.c — the ENS link of the resolver chain as the loop thread sees it: a query under .eth is
 * moved into a lookup, the lookup runs in libuv's thread pool (ens_lookup.c over ens_rpc.c), and
 * its answer is sent from the loop thread when it comes back. The DoQ query stays pending
 * meanwhile; other queries go on.
 *
 * Bounds: every lookup has a deadline (timeout_ms from its arrival). At most ZQ_ENS_MAX_RUNNING
 * run at once, because the thread pool is shared with libuv's own work (getaddrinfo) and a dead
 * endpoint must not take all of it; the others wait in a queue of at most ZQ_ENS_MAX_QUEUED. A
 * running lookup ends by its deadline (curl's timeouts come from it), and one that reaches the
 * front of the queue past its deadline is answered SERVFAIL at once, so every query is answered
 * within about timeout_ms, whatever the endpoint does.
 *
 * Lifetimes: a cancelled DoQ query (on_cancel) is dropped from the queue, or, when its lookup is
 * already running, detached (dq = NULL) and the lookup told to stop; the lookup's result is then
 * thrown away and the query never touched again. zq_ens_free works the same way for all of them
 * and leaves the object to the last lookup that comes back.
 */
#include <stdlib.h>
#include <string.h>

#include "ens.h"

#define ZQ_ENS_MAX_RUNNING 2
#define ZQ_ENS_MAX_QUEUED 256
#define ZQ_ENS_MAX_TIMEOUT_MS 60000u

typedef struct ens_lookup {
  zq_list_node node; /* in queued or running */
  struct zq_ens *e;
  uv_work_t work;
  zq_doq_query *dq; /* NULL once the query is gone */
  zq_dns_query q;   /* owned */
  char name[ZQ_ENS_NAME_MAX + 1];
  uint16_t qtype;
  uint64_t deadline_ns;
  atomic_bool abort;
  zq_ens_result result; /* written by the worker, read back on the loop thread */
} ens_lookup;

struct zq_ens {
  zquic_context *ctx;
  char *url;
  char registry[43];
  uint32_t timeout_ms;
  zq_ens_done_fn done;
  void *user;
  zq_list queued, running;
  bool closing;
  uint64_t lookups, failures;
};

static bool valid_address(const char *a) {
  if (!a || strlen(a) != 42 || a[0] != '0' || (a[1] != 'x' && a[1] != 'X')) return false;
  for (size_t i = 2; i < 42; i++)
    if (!strchr("0123456789abcdefABCDEF", a[i])) return false;
  return true;
}

int zq_ens_new(zquic_context *ctx, const zq_ens_config *cfg, zq_ens_done_fn done, void *user,
               zq_ens **out) {
  *out = NULL;
  const char *url = cfg->rpc_url;
  const char *registry = cfg->registry ? cfg->registry : ZQ_ENS_MAINNET_REGISTRY;
  if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "Ethereum RPC URL must start with http:// or "
                    "https://");
  if (!valid_address(registry))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "ENS registry \"%s\" is not a 0x address of 40 "
                    "hex digits", registry);
  if (zq_ens_http_global_init() != ZQUIC_OK)
    return zq_error(ZQUIC_ERR_INTERNAL, "libcurl initialisation failed");
  zq_ens *e = calloc(1, sizeof(*e));
  if (!e || !(e->url = strdup(url))) {
    free(e);
    return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  }
  e->ctx = ctx;
  snprintf(e->registry, sizeof(e->registry), "%s", registry);
  e->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : ZQ_ENS_DEFAULT_TIMEOUT_MS;
  if (e->timeout_ms > ZQ_ENS_MAX_TIMEOUT_MS) e->timeout_ms = ZQ_ENS_MAX_TIMEOUT_MS;
  e->done = done;
  e->user = user;
  zq_list_init(&e->queued);
  zq_list_init(&e->running);
  *out = e;
  return ZQUIC_OK;
}

static void lookup_free(ens_lookup *l) {
  zq_dns_query_clear(&l->q);
  zq_ens_result_clear(&l->result);
  free(l);
}

static void maybe_free_self(zq_ens *e) {
  if (!e->closing || !zq_list_empty(&e->running)) return;
  free(e->url);
  free(e);
}

/* ---- answers ------------------------------------------------------------------------------- */

static ldns_pkt *build_answer(ens_lookup *l) {
  const zq_ens_result *r = &l->result;
  ldns_pkt *p = zq_dns_answer_new(&l->q, r->rcode);
  if (!p) return NULL;
  int rc = ZQUIC_OK;
  for (size_t i = 0; rc == 0 && r->answer && i < ldns_rr_list_rr_count(r->answer); i++)
    rc = zq_dns_answer_add_rr(p, LDNS_SECTION_ANSWER, ldns_rr_list_rr(r->answer, i));
  if (rc == 0 && r->soa) rc = zq_dns_answer_add_rr(p, LDNS_SECTION_AUTHORITY, r->soa);
  if (rc == 0 && r->ede >= 0) rc = zq_dns_answer_add_ede(p, (uint16_t)r->ede, r->ede_text);
  if (rc) {
    ldns_pkt_free(p);
    return NULL;
  }
  return p;
}

/* The lookup is over (result filled): answer its query if it is still there, then free it. */
static void finish(zq_ens *e, ens_lookup *l) {
  if (l->result.rcode == ZQ_DNS_RCODE_SERVFAIL) e->failures++;
  if (l->dq) {
    ldns_pkt *answer = build_answer(l);
    zq_dns_query q = l->q;
    memset(&l->q, 0, sizeof(l->q));
    e->done(e->user, l->dq, &q, answer); /* takes q and answer */
  }
  lookup_free(l);
}

static void fail_now(ens_lookup *l, int ede, const char *text) {
  zq_ens_result_clear(&l->result);
  l->result.rcode = ZQ_DNS_RCODE_SERVFAIL;
  l->result.ede = ede;
  snprintf(l->result.ede_text, sizeof(l->result.ede_text), "%s", text);
}

/* ---- the thread pool ------------------------------------------------------------------------ */

static void work_cb(uv_work_t *w) {
  ens_lookup *l = zq_container_of(w, ens_lookup, work);
  /* Reads only this lookup and the zq_ens fields fixed at creation (url, registry): the object
   * outlives every running lookup (maybe_free_self). */
  zq_ens_http h = {.url = l->e->url, .deadline_ns = l->deadline_ns, .abort = &l->abort};
  zq_ens_lookup(l->e->registry, l->name, l->qtype, zq_ens_http_post, &h, &l->result);
  zq_ens_http_clear(&h);
}

static void pump(zq_ens *e);

static void after_cb(uv_work_t *w, int status) {
  ens_lookup *l = zq_container_of(w, ens_lookup, work);
  zq_ens *e = l->e;
  zquic_context *ctx = e->ctx;
  pthread_mutex_lock(&ctx->lock); /* a libuv callback: the loop thread takes the lock itself */
  zq_list_remove(&e->running, &l->node);
  if (e->closing) {
    lookup_free(l);
    maybe_free_self(e);
    zq_ctx_unlock(ctx);
    return;
  }
  if (status != 0) fail_now(l, ZQ_DNS_EDE_OTHER, "ENS lookup did not run");
  finish(e, l);
  pump(e);
  zq_ctx_flush_dirty(ctx);
  zq_ctx_notify(ctx);
  zq_ctx_unlock(ctx);
}

/* Start queued lookups while there is room; those already past their deadline fail at once. */
static void pump(zq_ens *e) {
  /* Those that fail are answered after the walk, so that no answer (which may reach back into
   * the resolver) runs while the queue is being taken apart. */
  ens_lookup *failed[ZQ_ENS_MAX_QUEUED];
  size_t n_failed = 0;
  zq_list_node *n;
  while (e->running.size < ZQ_ENS_MAX_RUNNING && (n = zq_list_pop_front(&e->queued))) {
    ens_lookup *l = zq_container_of(n, ens_lookup, node);
    if (zq_now_ns() >= l->deadline_ns) {
      fail_now(l, ZQ_DNS_EDE_NO_REACHABLE_AUTHORITY, "ENS lookup timed out in the queue");
      failed[n_failed++] = l;
    } else if (uv_queue_work(&e->ctx->loop, &l->work, work_cb, after_cb) != 0) {
      fail_now(l, ZQ_DNS_EDE_OTHER, "cannot start the ENS lookup");
      failed[n_failed++] = l;
    } else {
      zq_list_push_back(&e->running, &l->node);
    }
  }
  /* Each lookup is in the array once; the analyzer cannot tell, and sees finish() free them. */
  for (size_t i = 0; i < n_failed; i++) finish(e, failed[i]); // NOLINT(clang-analyzer-unix.Malloc)
}

/* ---- the resolver's side -------------------------------------------------------------------- */

int zq_ens_start(zq_ens *e, zq_doq_query *dq, zq_dns_query *q, ldns_pkt **now) {
  *now = NULL;
  char name[ZQ_ENS_NAME_MAX + 1];
  if (!q->qname) return ZQUIC_ERR_NOT_FOUND;
  int kind = zq_ens_name_from_wire(ldns_rdf_data(q->qname), ldns_rdf_size(q->qname), name,
                                   sizeof(name));
  if (kind == ZQ_ENS_NAME_NOT_ENS) return ZQUIC_ERR_NOT_FOUND;
  if (kind == ZQ_ENS_NAME_UNSUPPORTED || q->qclass != LDNS_RR_CLASS_IN) {
    *now = zq_dns_answer_refused(q, ZQ_DNS_EDE_NOT_SUPPORTED,
                                 kind == ZQ_ENS_NAME_UNSUPPORTED
                                   ? "ENS names must be lower-case ASCII [a-z0-9_-] labels "
                                     "(UTS-46 normalisation is not supported)"
                                   : "ENS answers class IN only");
    return *now ? ZQUIC_OK : ZQUIC_ERR_NO_MEMORY;
  }
  e->lookups++;
  if (e->queued.size >= ZQ_ENS_MAX_QUEUED) {
    e->failures++;
    *now = zq_dns_answer_servfail(q);
    if (*now && zq_dns_answer_add_ede(*now, ZQ_DNS_EDE_OTHER, "too many ENS lookups waiting")) {
      ldns_pkt_free(*now);
      *now = NULL;
    }
    return *now ? ZQUIC_OK : ZQUIC_ERR_NO_MEMORY;
  }
  ens_lookup *l = calloc(1, sizeof(*l));
  if (!l) return ZQUIC_ERR_NO_MEMORY;
  l->e = e;
  l->dq = dq;
  l->q = *q;
  memset(q, 0, sizeof(*q));
  memcpy(l->name, name, sizeof(name));
  l->qtype = l->q.qtype;
  l->deadline_ns = zq_now_ns() + (uint64_t)e->timeout_ms * 1000000u;
  atomic_init(&l->abort, false);
  zq_ens_result_clear(&l->result);
  zq_list_push_back(&e->queued, &l->node);
  pump(e);
  return ZQUIC_OK;
}

void zq_ens_cancel(zq_ens *e, zq_doq_query *dq) {
  zq_list_node *n, *tmp;
  zq_list_for_each_safe(n, tmp, &e->queued) {
    ens_lookup *l = zq_container_of(n, ens_lookup, node);
    if (l->dq != dq) continue;
    zq_list_remove(&e->queued, n);
    lookup_free(l);
    return;
  }
  zq_list_for_each_safe(n, tmp, &e->running) {
    ens_lookup *l = zq_container_of(n, ens_lookup, node);
    if (l->dq != dq) continue;
    l->dq = NULL;
    atomic_store(&l->abort, true);
    return;
  }
}

void zq_ens_stats(const zq_ens *e, uint64_t *lookups, uint64_t *failures) {
  *lookups = e ? e->lookups : 0;
  *failures = e ? e->failures : 0;
}

void zq_ens_free(zq_ens *e) {
  if (!e) return;
  e->closing = true;
  zq_list_node *n, *tmp;
  zq_list_for_each_safe(n, tmp, &e->queued) {
    zq_list_remove(&e->queued, n);
    lookup_free(zq_container_of(n, ens_lookup, node));
  }
  zq_list_for_each_safe(n, tmp, &e->running) {
    ens_lookup *l = zq_container_of(n, ens_lookup, node);
    l->dq = NULL;
    atomic_store(&l->abort, true);
  }
  maybe_free_self(e);
}
