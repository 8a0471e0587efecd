/*
 * workers.c — one server port served by N loop threads (zquic_server_config.workers).
 *
 * One loop thread and one lock per context is the library's threading model, so a server with N
 * workers is N servers: the one the user holds (worker 0, on the user's context) and N-1 siblings,
 * each on a worker context of its own (a loop thread, a lock, a send buffer, timers). Each binds
 * its own UDP socket to the same address with SO_REUSEPORT. They share what any of them may need
 * to check another's work: the TLS credentials and session ticket key, the 0-RTT replay table and
 * the static secret behind Retry tokens, NEW_TOKEN tokens and stateless reset tokens. A connection
 * belongs to the worker that accepted it (conn->ctx is that worker's context), so every public
 * call on a connection, stream or HTTP/3 exchange works unchanged: it locks conn->ctx.
 *
 * Steering. The kernel picks a socket of the group by a hash of the 4-tuple, which keeps a path
 * on one worker but not a connection that migrates or is NAT-rebound to a new port. So every
 * connection ID a worker issues carries its number (byte ZQ_CID_WORKER_BYTE, value mod N), and a
 * classic BPF program attached to the group (SO_ATTACH_REUSEPORT_CBPF) returns that byte mod N
 * as the socket index for short-header packets. Long-header packets get an index out of range,
 * which makes the kernel fall back to its hash: a first Initial carries a DCID the client chose,
 * so whichever worker the hash picks accepts it, and the handshake's later long-header packets
 * come from the same 4-tuple to the same worker. Socket index i is worker i because the sockets
 * join the group in worker order and leave it only all together.
 *
 * Without the program (a kernel that refuses it) the hash still keeps each path on one worker.
 * A short-header packet that reaches a worker which does not own its CID is handed to the owner
 * through that worker's inbox (one copy, one wake-up) instead of being answered with a Stateless
 * Reset, so migration keeps working, just slower.
 *
 * Locks. Never two context locks at once from one thread (each loop thread holds its own while it
 * works, so nesting them could deadlock two loops). The group's own mutex is a leaf: the accept
 * wake-ups and the inboxes. Events go to the user's context through its leaf events_lock.
 */
#include <errno.h>
#include <linux/filter.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif

#define INBOX_MAX 4096 /* packets waiting per worker; beyond that they are dropped (QUIC resends) */

typedef struct zq_fwd_pkt {
  zq_list_node node;
  zq_addr local;
  struct sockaddr_storage from;
  socklen_t fromlen;
  uint32_t ecn;
  size_t len;
  uint8_t data[];
} zq_fwd_pkt;

struct zq_worker_group {
  unsigned n;
  zquic_server *members[ZQ_MAX_WORKERS]; /* [0] is the user's handle */
  atomic_bool accepting;
  atomic_size_t connections;             /* open connections of every worker */
  atomic_uint_fast64_t forwarded;        /* packets handed from one worker to another */
  bool steered;                          /* the kernel runs our BPF program */
  pthread_mutex_t lock;                  /* leaf: the fields below */
  pthread_cond_t accepted;               /* CLOCK_MONOTONIC, like ctx->changed */
  uint64_t accept_seq;
  bool closing;
  zq_list inbox[ZQ_MAX_WORKERS];
};

/* ---- what a worker asks about its group -------------------------------------------------- */

unsigned zq_server_members(const zquic_server *srv) { return srv->group ? srv->group->n : 1; }

zquic_server *zq_server_member(const zquic_server *srv, unsigned i) {
  return srv->group ? srv->group->members[i] : (zquic_server *)srv;
}

zquic_server *zq_server_handle(zquic_server *srv) {
  return srv->group ? srv->group->members[0] : srv;
}

bool zq_server_on_any_loop(const zquic_server *srv) {
  for (unsigned i = 0; i < zq_server_members(srv); i++)
    if (zq_on_loop_thread(zq_server_member(srv, i)->ctx)) return true;
  return false;
}

bool zq_server_accepting(const zquic_server *srv) {
  return srv->group ? atomic_load(&srv->group->accepting) : srv->accepting;
}

void zq_workers_set_accepting(zquic_server *srv, bool on) { atomic_store(&srv->group->accepting, on); }

size_t zq_server_total_connections(const zquic_server *srv) {
  return srv->group ? atomic_load(&srv->group->connections) : srv->n_connections;
}

void zq_server_count_connection(zquic_server *srv, int delta) {
  if (!srv->group) return;
  if (delta > 0) atomic_fetch_add(&srv->group->connections, (size_t)delta);
  else atomic_fetch_sub(&srv->group->connections, (size_t)-delta);
}

/* The byte stays random apart from its residue: values b with b % n == worker, spread over
 * [0, 256 - 256 % n), so an observer learns the worker's number and nothing else. */
void zq_worker_mark_cid(const zquic_server *srv, uint8_t *cid, size_t len) {
  if (!srv || !srv->group || len <= ZQ_CID_WORKER_BYTE) return;
  unsigned n = srv->group->n, span = 256 / n;
  cid[ZQ_CID_WORKER_BYTE] = (uint8_t)((cid[ZQ_CID_WORKER_BYTE] % span) * n + srv->worker);
}

void zq_workers_stats(const zquic_server *srv, bool *steered, uint64_t *forwarded) {
  *steered = srv->group && srv->group->steered;
  *forwarded = srv->group ? atomic_load(&srv->group->forwarded) : 0;
}

/* ---- packets that reached the wrong worker ------------------------------------------------ */

bool zq_worker_forward(zquic_server *srv, const zq_addr *local, const struct sockaddr_storage *from,
                       socklen_t fromlen, const uint8_t *pkt, size_t len, const uint8_t *dcid,
                       size_t dcidlen, uint32_t ecn) {
  zq_worker_group *g = srv->group;
  if (dcidlen != ZQ_CID_LEN) return false;
  unsigned owner = dcid[ZQ_CID_WORKER_BYTE] % g->n;
  if (owner == srv->worker) return false; /* ours, and unknown: the caller resets it */
  zq_fwd_pkt *p = malloc(sizeof(*p) + len);
  if (!p) return true;
  p->local = *local;
  memcpy(&p->from, from, fromlen);
  p->fromlen = fromlen;
  p->ecn = ecn;
  p->len = len;
  memcpy(p->data, pkt, len);
  pthread_mutex_lock(&g->lock);
  bool queued = !g->closing && g->inbox[owner].size < INBOX_MAX;
  if (queued) {
    zq_list_push_back(&g->inbox[owner], &p->node);
    /* Under the group lock: the owner's context outlives the group, and `closing` is set before
     * any member goes away. */
    zq_ctx_wake(g->members[owner]->ctx);
  }
  pthread_mutex_unlock(&g->lock);
  if (!queued) free(p);
  else atomic_fetch_add(&g->forwarded, 1);
  return true;
}

void zq_workers_drain(zquic_context *ctx) {
  zq_list_node *n, *tmp;
  zq_list_for_each_safe(n, tmp, &ctx->servers) {
    zquic_server *srv = zq_container_of(n, zquic_server, ctx_node);
    zq_worker_group *g = srv->group;
    if (!g) continue;
    for (;;) {
      pthread_mutex_lock(&g->lock);
      zq_list_node *item = zq_list_pop_front(&g->inbox[srv->worker]);
      pthread_mutex_unlock(&g->lock);
      if (!item) break;
      zq_fwd_pkt *p = zq_container_of(item, zq_fwd_pkt, node);
      if (!srv->ep.closing)
        zq_endpoint_dispatch(&srv->ep, &p->local, &p->from, p->fromlen, p->data, p->len, p->ecn);
      free(p);
    }
  }
}

/* ---- accepting from every worker ---------------------------------------------------------- */

void zq_workers_notify_accept(zquic_server *srv) {
  zq_worker_group *g = srv->group;
  if (!g) return;
  pthread_mutex_lock(&g->lock);
  g->accept_seq++;
  pthread_cond_broadcast(&g->accepted);
  pthread_mutex_unlock(&g->lock);
}

static zquic_connection *pop_accepted(zquic_server *m, bool try_only) {
  bool taken;
  if (try_only) {
    if (pthread_mutex_trylock(&m->ctx->lock) != 0) return NULL;
    taken = true;
  } else {
    taken = zq_ctx_enter(m->ctx);
  }
  zquic_connection *conn = NULL;
  zq_list_node *n = zq_list_pop_front(&m->accept_queue);
  if (n) {
    conn = zq_container_of(n, zquic_connection, accept_node);
    conn->queued_for_accept = false;
    conn->user_held = true;
    conn->refs++;
  }
  zq_ctx_leave(m->ctx, taken);
  return conn;
}

int zq_workers_accept(zquic_server *srv, int timeout_ms, zquic_connection **out) {
  zq_worker_group *g = srv->group;
  int self = -1; /* the worker whose loop thread this is: its lock is already held */
  for (unsigned i = 0; i < g->n; i++)
    if (zq_on_loop_thread(g->members[i]->ctx)) self = (int)i;
  if (self >= 0 && timeout_ms != 0)
    return zq_error(ZQUIC_ERR_LOOP_THREAD, "zquic_server_accept would block the loop thread");
  uint64_t deadline = zq_deadline_from_timeout(timeout_ms);
  for (;;) {
    pthread_mutex_lock(&g->lock);
    uint64_t seen = g->accept_seq;
    pthread_mutex_unlock(&g->lock);
    for (unsigned i = 0; i < g->n; i++) {
      /* On a loop thread, another worker's lock is only tried: waiting for it there could
       * deadlock against that worker doing the same. */
      zquic_connection *conn = pop_accepted(g->members[i], self >= 0 && (int)i != self);
      if (conn) {
        *out = conn;
        zq_error_clear();
        return ZQUIC_OK;
      }
    }
    bool timed_out = false;
    pthread_mutex_lock(&g->lock);
    while (g->accept_seq == seen && !timed_out) {
      if (deadline == 0) {
        pthread_cond_wait(&g->accepted, &g->lock);
      } else if (zq_now_ns() >= deadline) {
        timed_out = true;
      } else {
        struct timespec ts = {(time_t)(deadline / 1000000000ull), (long)(deadline % 1000000000ull)};
        pthread_cond_timedwait(&g->accepted, &g->lock, &ts);
      }
    }
    pthread_mutex_unlock(&g->lock);
    if (timed_out) return zq_error(ZQUIC_ERR_TIMEOUT, "no connection within %d ms", timeout_ms);
  }
}

/* ---- the group's life ---------------------------------------------------------------------- */

/* Classic BPF, run by the kernel on each datagram's UDP payload: the socket index to deliver to. */
static int attach_steering(int fd, unsigned n) {
  struct sock_filter code[] = {
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),                       /* A = first byte */
    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x80, 3, 0),            /* long header: to "hash" */
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 1 + ZQ_CID_WORKER_BYTE),  /* A = the DCID's worker byte */
    BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, n),                      /* A %= workers */
    BPF_STMT(BPF_RET | BPF_A, 0),                                /* deliver to socket A */
    BPF_STMT(BPF_RET | BPF_K, 0xffffffffu),                      /* hash: out of range */
  };
  struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};
  return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog));
}

/* The context's worker contexts 1..count, created on first need and kept for its other servers. */
static int ensure_worker_contexts(zquic_context *ctx, size_t count) {
  bool taken = zq_ctx_enter(ctx);
  int rc = ZQUIC_OK;
  if (ctx->n_workers < count) {
    zquic_context **grown = realloc(ctx->workers, count * sizeof(zquic_context *));
    if (!grown) rc = zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
    else ctx->workers = grown;
  }
  while (rc == ZQUIC_OK && ctx->n_workers < count) {
    zquic_config cfg = ctx->config;
    cfg.event_queue = 0; /* its events go to this context's queue */
    zquic_context *w = NULL;
    rc = zquic_init(&cfg, &w);
    if (rc) break;
    w->event_sink = ctx;
    ctx->workers[ctx->n_workers++] = w;
  }
  zq_ctx_leave(ctx, taken);
  return rc;
}

void zq_ctx_destroy_workers(zquic_context *ctx) {
  for (size_t i = 0; i < ctx->n_workers; i++) zquic_destroy(ctx->workers[i]);
  free(ctx->workers);
  ctx->workers = NULL;
  ctx->n_workers = 0;
}

static zquic_server *new_sibling(zquic_server *srv, zquic_context *ctx, unsigned index) {
  zquic_server *m = calloc(1, sizeof(*m));
  if (!m) return NULL;
  m->ctx = ctx;
  m->tls = srv->tls; /* the same credentials, ticket key and replay table */
  m->tls_borrowed = true;
  m->alpn = srv->alpn;
  m->accepting = true;
  m->max_connections = srv->max_connections;
  zq_list_init(&m->conns);
  zq_list_init(&m->accept_queue);
  m->h3 = srv->h3;
  m->h3_enabled = srv->h3_enabled;
  memcpy(m->static_secret, srv->static_secret, sizeof(m->static_secret));
  m->retry = srv->retry;
  m->enable_0rtt = srv->enable_0rtt;
  memcpy(m->versions, srv->versions, sizeof(m->versions));
  m->n_versions = srv->n_versions;
  m->max_streams_bidi = srv->max_streams_bidi;
  m->worker = index;
  return m;
}

static void free_unstarted(zquic_server *m) {
  zq_endpoint_close(&m->ep); /* never started: closes at once; on_closed is not set yet */
  gnutls_memset(m->static_secret, 0, sizeof(m->static_secret));
  free(m);
}

int zq_workers_create(zquic_server *srv, unsigned n) {
  zquic_context *ctx = srv->ctx;
  int rc = ensure_worker_contexts(ctx, n - 1);
  if (rc) return rc;
  zq_worker_group *g = calloc(1, sizeof(*g));
  if (!g) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  g->n = n;
  g->members[0] = srv;
  atomic_init(&g->accepting, true);
  atomic_init(&g->connections, 0);
  atomic_init(&g->forwarded, 0);
  pthread_mutex_init(&g->lock, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&g->accepted, &ca);
  pthread_condattr_destroy(&ca);
  for (unsigned i = 0; i < n; i++) zq_list_init(&g->inbox[i]);
  unsigned bound = 1, started = 1;
  /* Bind them all before any starts: socket index i in the kernel's group is worker i. */
  for (; bound < n; bound++) {
    zquic_server *m = new_sibling(srv, ctx->workers[bound - 1], bound);
    if (!m) {
      rc = zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
      goto err;
    }
    m->group = g;
    if ((rc = zq_endpoint_open_sibling(m->ctx, &srv->ep.local, &m->ep)) != 0) {
      free(m);
      goto err;
    }
    g->members[bound] = m;
    if ((rc = zq_endpoint_want_pktinfo(&m->ep)) != 0) {
      bound++;
      goto err;
    }
  }
  g->steered = attach_steering(srv->ep.fd, n) == 0;
  for (; started < n; started++) {
    zquic_server *m = g->members[started];
    bool taken = zq_ctx_enter(m->ctx);
    rc = zq_ctx_call(m->ctx, zq_server_start_on_loop, m);
    zq_ctx_leave(m->ctx, taken);
    if (rc) goto err;
  }
  /* Last: from here worker 0 forwards to the others and accepts count for the group. */
  bool taken = zq_ctx_enter(ctx);
  srv->group = g;
  srv->worker = 0;
  atomic_fetch_add(&g->connections, srv->n_connections); /* siblings may have counted already */
  zq_ctx_leave(ctx, taken);
  return ZQUIC_OK;

err:
  pthread_mutex_lock(&g->lock);
  g->closing = true;
  pthread_mutex_unlock(&g->lock);
  for (unsigned i = 1; i < bound; i++) {
    zquic_server *m = g->members[i];
    if (i >= started) {
      free_unstarted(m);
      continue;
    }
    zquic_context *wctx = m->ctx; /* m is freed by its loop once the call has run */
    bool t = zq_ctx_enter(wctx);
    zq_ctx_call(wctx, zq_server_free_on_loop, m);
    zq_ctx_leave(wctx, t);
  }
  zq_workers_group_free(g);
  return rc;
}

void zq_workers_free(zquic_server *srv) {
  zq_worker_group *g = srv->group;
  atomic_store(&g->accepting, false);
  pthread_mutex_lock(&g->lock);
  g->closing = true; /* no more forwarding: members may go */
  pthread_mutex_unlock(&g->lock);
  for (unsigned i = 1; i < g->n; i++) {
    zquic_server *m = g->members[i];
    zquic_context *wctx = m->ctx; /* m is freed by its loop once the call has run */
    bool taken = zq_ctx_enter(wctx);
    zq_ctx_call(wctx, zq_server_free_on_loop, m);
    zq_ctx_leave(wctx, taken);
  }
}

void zq_workers_group_free(zq_worker_group *g) {
  for (unsigned i = 0; i < g->n; i++) {
    zq_list_node *n, *tmp;
    zq_list_for_each_safe(n, tmp, &g->inbox[i]) free(zq_container_of(n, zq_fwd_pkt, node));
  }
  pthread_mutex_destroy(&g->lock);
  pthread_cond_destroy(&g->accepted);
  free(g);
}
