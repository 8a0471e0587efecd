/*
 * internal.h — the structures behind the opaque handles, shared by the core modules.
 *
 * Threading model (see docs/ARCHITECTURE.md): each context has one loop thread running libuv and
 * one mutex, ctx->lock. Every libuv callback takes the lock on entry; every public function takes
 * it through zq_ctx_enter() unless it already runs on the loop thread (where the lock is held).
 * Other threads never call libuv or ngtcp2-writing functions directly: they change state under the
 * lock, then zq_conn_schedule() puts the connection on the context's dirty list and wakes the loop
 * with uv_async_send. Blocking calls wait on ctx->changed, which is broadcast after every loop
 * iteration that changed something a waiter could care about.
 */
#ifndef ZQ_INTERNAL_H
#define ZQ_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <nghttp3/nghttp3.h>
#include <uv.h>

#include "zquic.h"
#include "buf.h"
#include "cidmap.h"
#include "list.h"
#include "timers.h"

#define ZQ_MAX_UDP_PAYLOAD 1452
#define ZQ_BATCH_MAX 64 /* packets per GSO sendmsg */
#define ZQ_BATCH_BYTES ((size_t)ZQ_BATCH_MAX * ZQ_MAX_UDP_PAYLOAD)
#define ZQ_STREAM_SEND_BUFFER (1u << 20) /* bytes queued per stream before send blocks */
#define ZQ_ALPN_MAX 8
/* Every connection ID we issue has this length: short-header packets do not carry it. */
#define ZQ_CID_LEN 18
/* Servers with worker loops: this byte of every connection ID they issue, modulo the number of
 * workers, names the worker that owns the connection (workers.c; the kernel's BPF program reads it
 * at packet offset 1 + ZQ_CID_WORKER_BYTE). */
#define ZQ_CID_WORKER_BYTE 0
#define ZQ_MAX_WORKERS 64

/* ---- errors (error.c) ---- */
int zq_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void zq_error_clear(void);
/* Map an ngtcp2 / nghttp3 / GnuTLS failure to one of our codes with its text as detail. */
int zq_error_ngtcp2(int liberr, const char *what);

/* ---- time ---- */
uint64_t zq_now_ns(void);

/* ---- addresses (addr.c) ---- */
typedef struct zq_addr {
  struct sockaddr_storage ss;
  socklen_t len;
} zq_addr;
/* Split "host:port" / "[v6]:port" into host (no brackets) and port. */
int zq_addr_split(const char *text, char *host, size_t host_cap, uint16_t *port);
/* Resolve host:port (getaddrinfo; numeric hosts never touch DNS). */
int zq_addr_resolve(const char *host, uint16_t port, int passive, zq_addr *out);
void zq_addr_format(const zq_addr *addr, char *out, size_t cap);
uint16_t zq_addr_port(const zq_addr *addr);
int zq_host_is_ip(const char *host);

/* ---- ALPN lists ---- */
typedef struct zq_alpn_list {
  size_t count;
  char names[ZQ_ALPN_MAX][32];
} zq_alpn_list;
int zq_alpn_parse(const char *text, zq_alpn_list *out);

/* ---- the context (context.c) ---- */
/* A function queued for the loop thread (zq_ctx_call waits for it; zq_ctx_post does not). */
typedef struct zq_loop_call {
  zq_list_node node;
  int (*fn)(void *arg);
  void *arg;
  int result;
  bool done, posted;
} zq_loop_call;

/* The allocator HTTP/3 sessions hand nghttp3 (src/h3/h3_mem.c): malloc behind a bounded cache
 * of freed small blocks, one per context (its sessions all run under the context's lock). */
#define ZQ_H3_MEM_CLASSES 64 /* 16-byte classes up to 1 KiB */
typedef struct zq_h3_mem {
  nghttp3_mem mem; /* what nghttp3 is given; its user_data is this struct */
  void *free_lists[ZQ_H3_MEM_CLASSES];
  void *free_streams;   /* freed zq_h3_stream structs (~2.8 KB, past malloc's fast bins) */
  size_t cached_streams;
  size_t cached_bytes;
} zq_h3_mem;
void zq_h3_mem_init(zq_h3_mem *m);
/* Give every cached block back to malloc (the context is going). */
void zq_h3_mem_trim(zq_h3_mem *m);
/* The struct of one HTTP/3 stream, `size` bytes (always the same): from the cache or malloc. */
void *zq_h3_mem_stream_alloc(zq_h3_mem *m, size_t size);
void zq_h3_mem_stream_free(zq_h3_mem *m, void *stream);

/* Enough for a bulk receiver's buffer to grow and drain without going back to malloc. */
#define ZQ_BUF_CACHE_BYTES ((size_t)4 << 20)

struct zquic_context {
  zquic_config config; /* with the strings below owning copies */
  char *cert_file, *key_file, *ca_file, *alpn, *bind_address;
  zq_alpn_list alpn_list;

  uv_loop_t loop;
  uv_async_t wakeup;
  uv_thread_t loop_thread;
  pthread_mutex_t lock;
  pthread_cond_t changed;
  bool stopping;
  bool notify_pending;    /* zq_ctx_notify since the lock was taken: zq_ctx_unlock broadcasts */
  zq_h3_mem h3_mem;       /* outlives every session: nghttp3 keeps a pointer to it */
  zq_buf_cache buf_cache; /* drained stream-buffer chunks (buf.h), ZQ_BUF_CACHE_BYTES at most */

  zq_timers timers;       /* every connection's ngtcp2 expiry under one timerfd (timers.h) */
  /* Connections torn down during the current loop callback, released once it returns (by
   * release_check): the code that tore one down may still look at it. */
  struct zquic_connection *release_later; /* linked through release_next */
  uv_check_t release_check;
  zq_list dirty;          /* connections needing a write / timer re-arm */
  zq_list calls;          /* zq_loop_call queued for the loop thread */
  zq_list servers;
  zq_list client_conns;   /* client connections (each with its own endpoint) */
  zq_list live;           /* every connection struct not yet freed, to free at destroy */
  uint8_t reset_secret[32]; /* stateless reset tokens of client connections */
  char *qlog_dir;
  uint8_t *send_batch; /* ZQ_BATCH_BYTES: the write loop's GSO buffer (loop thread only) */
  /* the event queue (events.c), guarded by events_lock, a leaf lock: worker contexts report
   * into their parent's queue while holding their own ctx->lock */
  zquic_event *events;
  size_t events_len, events_cap;
  int event_fd;
  pthread_mutex_t events_lock;
  zquic_context *event_sink; /* where this context's events go: NULL = here, else the parent */
  /* Worker loops (workers.c): extra contexts, each with its own loop thread, for servers created
   * with workers > 1. Created on demand, owned by this context, destroyed by zquic_destroy. */
  zquic_context **workers;
  size_t n_workers;
};

bool zq_on_loop_thread(zquic_context *ctx);
/* Take the lock unless on the loop thread (which already holds it). Returns whether taken. */
bool zq_ctx_enter(zquic_context *ctx);
void zq_ctx_leave(zquic_context *ctx, bool taken);
/* Release ctx->lock, then wake the waiters if zq_ctx_notify was called since it was taken. Every
 * release of the lock goes through here (or zq_ctx_leave, or a zq_ctx_wait, which wakes first). */
void zq_ctx_unlock(zquic_context *ctx);
/* Wait on ctx->changed until `deadline_ns` (0 = forever); returns false on timeout. */
bool zq_ctx_wait(zquic_context *ctx, uint64_t deadline_ns);
uint64_t zq_deadline_from_timeout(int timeout_ms);
/* State changed: blocked callers are to re-check (they are woken when the lock is released). */
void zq_ctx_notify(zquic_context *ctx);
/* Run fn(arg) on the loop thread and wait for it (directly when already there). Lock held. */
int zq_ctx_call(zquic_context *ctx, int (*fn)(void *arg), void *arg);
void zq_ctx_wake(zquic_context *ctx);
/* Queue call->fn(call->arg) for the loop thread without waiting (lock held). `call` must stay
 * valid until fn runs; fn may free it. ZQUIC_ERR_CLOSED when the context is shutting down. */
int zq_ctx_post(zquic_context *ctx, zq_loop_call *call);
/* Flush every connection marked dirty (loop thread). */
void zq_ctx_flush_dirty(zquic_context *ctx);
/* ctx->timers fired: handle every connection whose expiry is due (conn_io.c). */
void zq_conn_timers_due(zq_timers *t, void *ctx);
/* Release now the connections waiting in ctx->release_later (the release check, shutdown). */
void zq_conn_release_deferred(zquic_context *ctx);

/* ---- TLS (tls.c) ---- */
#define ZQ_REPLAY_SLOTS 8192
typedef struct zq_replay_slot {
  uint8_t digest[32];
  time_t expires;
} zq_replay_slot;

typedef struct zq_tls_server {
  gnutls_certificate_credentials_t cred;
  gnutls_datum_t ticket_key;
  gnutls_anti_replay_t anti_replay; /* set when the server accepts 0-RTT */
  zq_replay_slot *replay;           /* ClientHellos seen with early data, until they expire */
  /* The replay table is shared by a server's worker loops: GnuTLS calls back with the worker 0
   * struct (anti-replay db pointer), so only that copy's lock is ever used. */
  pthread_mutex_t replay_lock;
} zq_tls_server;
int zq_tls_server_init(zq_tls_server *tls, const char *cert_file, const char *key_file);
/* One more certificate chosen by SNI (see zquic_server_config.sni_cert_files). */
int zq_tls_server_add_cert(zq_tls_server *tls, const char *cert_file, const char *key_file);
void zq_tls_server_clear(zq_tls_server *tls);
/* Client credentials: system trust or `ca_file`. */
int zq_tls_client_cred(const char *ca_file, gnutls_certificate_credentials_t *out);

/* ---- endpoints: one UDP socket and the connections reached through it (endpoint.c) ---- */
typedef struct zq_endpoint {
  zquic_context *ctx;
  int fd;
  uv_poll_t poll;
  bool poll_started, want_writable, closing;
  bool no_gso;               /* the kernel refused UDP_SEGMENT once: one datagram per sendmsg */
  bool pktinfo;              /* wildcard-bound server: per-datagram local address (endpoint.c) */
  zq_addr local;
  zq_cidmap cids;            /* Destination CID -> connection */
  zq_cidmap closed;          /* server: CIDs of connections in their closing period */
  zq_list closed_list;       /* their records, oldest first (closing.c) */
  struct zquic_server *server; /* NULL for a client endpoint */
  void (*on_closed)(struct zq_endpoint *ep);
} zq_endpoint;

/* `reuseport`: set SO_REUSEPORT once bound, so that sibling workers may bind the same address. */
/* ---- the closing period of server connections (closing.c) ---- */
/* Remember a connection's CIDs and its CONNECTION_CLOSE datagram for 3 PTOs (before teardown). */
void zq_closing_remember(struct zquic_connection *conn, const uint8_t *pkt, size_t len);
/* A packet for a remembered CID: send the close again. True when it was one of ours. */
bool zq_closing_answer(zq_endpoint *ep, const ngtcp2_path *path, const uint8_t *dcid,
                       size_t dcidlen);
void zq_closing_clear(zq_endpoint *ep);

int zq_endpoint_open(zquic_context *ctx, const zq_addr *bind_addr, bool reuseport, zq_endpoint *ep);
/* Bind a further socket into the reuseport group of an address already bound. */
int zq_endpoint_open_sibling(zquic_context *ctx, const zq_addr *bound, zq_endpoint *ep);
/* Route one datagram that arrived for `ep` (its connection, the accept path, a reset). */
void zq_endpoint_dispatch(zq_endpoint *ep, const zq_addr *local, const struct sockaddr_storage *from,
                          socklen_t fromlen, const uint8_t *pkt, size_t len, uint32_t ecn);
/* Servers on a wildcard address: learn each datagram's destination and answer from it. */
int zq_endpoint_want_pktinfo(zq_endpoint *ep);
int zq_endpoint_start(zq_endpoint *ep);   /* loop thread */
void zq_endpoint_close(zq_endpoint *ep);  /* loop thread; on_closed runs later */
/* Send one datagram; returns 0, or ZQUIC_ERR_WOULD_BLOCK when the socket buffer is full. */
int zq_endpoint_send(zq_endpoint *ep, const ngtcp2_path *path, const uint8_t *data, size_t len,
                     uint32_t ecn);
/* Send `len` bytes as packets of `gso_size` bytes (the last may be shorter) in one sendmsg;
 * gso_size 0 = one datagram. Falls back to one sendmsg per packet where GSO is unavailable. */
int zq_endpoint_send_gso(zq_endpoint *ep, const ngtcp2_path *path, const uint8_t *data, size_t len,
                         size_t gso_size, uint32_t ecn);

/* ---- GSO batches for the write loop (batch.c) ---- */
typedef struct zq_batch {
  uint8_t *buf;
  size_t len, count, gso, max_count;
  uint32_t ecn;
  ngtcp2_path_storage path;
} zq_batch;
void zq_batch_begin(struct zquic_connection *conn, zq_batch *b);
uint8_t *zq_batch_slot(zq_batch *b); /* where ngtcp2 writes the next packet */
/* Account the packet just written at the slot; may send. ZQUIC_ERR_WOULD_BLOCK: stop writing. */
int zq_batch_add(struct zquic_connection *conn, zq_batch *b, const ngtcp2_path *path, size_t len,
                 uint32_t ecn);
int zq_batch_end(struct zquic_connection *conn, zq_batch *b);
/* Hand one datagram to the endpoint as if it had arrived from `from`, through the same dispatch
 * as the socket (on the loop thread, under the lock; waits for it). Lets fuzz targets and tests
 * drive a real server without sockets. Not exported. Call from outside the loop thread. */
void zq_endpoint_inject(zq_endpoint *ep, const struct sockaddr_storage *from, socklen_t fromlen,
                        const uint8_t *pkt, size_t len);

/* ---- admission of packets from unknown peers (admission.c) ---- */
enum { ZQ_ADMIT_ACCEPT, ZQ_ADMIT_RETRIED, ZQ_ADMIT_DROP };
typedef struct zq_admission {
  ngtcp2_cid odcid;      /* the client's original Destination CID */
  ngtcp2_cid retry_scid; /* when retried: the CID our Retry carried */
  bool retried;
  ngtcp2_token_type token_type;
} zq_admission;
int zq_server_admit(zq_endpoint *ep, const ngtcp2_path *path, const ngtcp2_pkt_hd *hd,
                    zq_admission *out);
void zq_server_send_new_token(zquic_connection *conn);
void zq_server_refuse(zq_endpoint *ep, const ngtcp2_path *path, const ngtcp2_pkt_hd *hd,
                      const char *reason);
void zq_server_version_negotiation(zq_endpoint *ep, const ngtcp2_path *path,
                                   const ngtcp2_version_cid *vc);
void zq_server_stateless_reset(zq_endpoint *ep, const ngtcp2_path *path, const uint8_t *dcid,
                               size_t dcidlen, size_t received_len);

/* ---- connections (conn.c) ---- */
typedef enum {
  ZQ_CONN_RESOLVING, /* async connect waiting for getaddrinfo: no ngtcp2 state yet */
  ZQ_CONN_HANDSHAKING,
  ZQ_CONN_ESTABLISHED,
  ZQ_CONN_CLOSING,
  ZQ_CONN_CLOSED
} zq_conn_state;

/* What a client connection is asked to be (copied from zquic_connect_options). */
typedef struct zq_client_params {
  zq_addr remote;
  zq_alpn_list alpn;
  char sni[256];
  gnutls_certificate_credentials_t cred; /* owned by the connection once started */
  bool verify, enable_0rtt;
  uint32_t version;
  char priority[256];       /* GnuTLS priority string; "" = the default QUIC one */
  uint64_t key_update_bytes;
  uint8_t *session;         /* resumption blob (owned) */
  size_t session_len;
} zq_client_params;

/* Counters behind zquic_connection_info. */
typedef struct zq_conn_stats {
  uint64_t bytes_sent, bytes_received, packets_sent, packets_received, packets_lost;
  uint64_t key_updates, path_changes;
  bool retry;
} zq_conn_stats;

typedef struct zq_h3 zq_h3;

struct zquic_connection {
  zquic_context *ctx;
  zq_endpoint *ep;       /* shared (server) or owned (client, ep_storage) */
  zq_endpoint ep_storage;
  struct zquic_server *server;
  ngtcp2_conn *qc;
  ngtcp2_crypto_conn_ref conn_ref;
  gnutls_session_t tls;
  gnutls_certificate_credentials_t client_cred; /* owned by client connections */
  ngtcp2_path_storage path;
  ngtcp2_ccerr last_error;
  zq_timer_entry timer;   /* in ctx->timers: ngtcp2's expiry at nanosecond precision */
  bool io_started;        /* a member of ctx->timers */
  int pending_closes;     /* libuv handles still closing (and the deferred release) after teardown */
  struct zquic_connection *release_next; /* in ctx->release_later until the callback ends */
  uint8_t *pending_pkt;   /* a batch the socket refused (EAGAIN), sent first next time */
  size_t pending_len, pending_gso;
  uint32_t pending_ecn;
  ngtcp2_path_storage pending_path;
  bool close_requested;   /* the user closed: the loop sends CONNECTION_CLOSE */
  size_t credit_unflushed; /* credit given back off the loop since its last write (conn_io.c) */
  uint64_t close_app_error;

  zq_conn_state state;
  int close_code;          /* our error code when the transport ended badly */
  char close_reason[256];
  bool is_server, user_held, in_dirty, queued_for_accept, freed_transport;
  int refs;                /* user handle + one per user-held stream + transport */
  zq_list_node dirty_node;
  zq_list_node list_node;  /* server's connection list or ctx->client_conns */
  zq_list_node live_node;  /* ctx->live, from allocation to the final free */
  zq_list_node accept_node;

  zq_list streams;         /* every zq stream struct still alive */
  zq_list incoming;        /* peer-opened streams not yet accepted */
  zq_list writable;        /* streams with unsent data */
  char sni[256];
  char alpn[32];
  char peer_text[64];
  zq_addr peer_text_of;     /* the address peer_text was formatted from (zq_conn_peer) */
  ngtcp2_cid ocid;         /* client's original DCID (server: route early retransmits) */
  bool ocid_registered;
  bool verify_disabled;
  int handshake_error;
  char handshake_detail[256];
  zq_conn_stats stats;
  FILE *qlog;               /* qlog output, when the context has a qlog_dir */
  bool count_losses;        /* qlog events are scanned for packet_lost (detailed_stats) */
  uint64_t key_update_bytes, next_key_update_at;
  uint8_t *session_blob;    /* latest resumption blob (ticket + transport params), owned */
  size_t session_blob_len;
  bool early_data_sent;     /* client: 0-RTT keys were installed for this connection */
  zquic_stream *first_stream; /* zquic_send_data / zquic_receive_data, held by the connection */
  zquic_connection_callback callback;
  void *callback_user, *user_data;
  unsigned pending_events;  /* bit per ZQUIC_EVENT_* queued and not yet polled */
  bool async_connect;       /* created by zquic_connect_async */
  bool resolve_pending;     /* a uv_getaddrinfo for this connection is running */
  zq_client_params *params; /* client: kept until the connection is started */
  zquic_connection_info *final_facts; /* transport/TLS facts kept at teardown */
  zq_h3 *h3;
  zq_list h3_streams;       /* every zq_h3_stream of this connection still alive */
  zq_list stream_waiters;   /* zq_stream_waiter: want a request stream when the limit allows */
  uint64_t app_close_error; /* set by the HTTP/3 layer when it must close with its own code */
  void *service_state;      /* the server's zq_stream_service state for this connection */
};

zquic_connection *zq_conn_alloc(zquic_context *ctx); /* refs = 1 (the transport's) */
void zq_conn_fill_callbacks(ngtcp2_callbacks *cb, bool server);
void zq_conn_fill_settings(zquic_context *ctx, ngtcp2_settings *settings,
                           ngtcp2_transport_params *params);
void zq_rand_cb(uint8_t *dest, size_t destlen, const ngtcp2_rand_ctx *rand_ctx);
/* Server side: a new Initial arrived on `ep`. */
int zq_conn_accept_initial(zq_endpoint *ep, const ngtcp2_path *path, const ngtcp2_pkt_hd *hd,
                           const zq_admission *adm, const uint8_t *pkt, size_t len, uint32_t ecn);
/* Feed one datagram to a connection (loop thread). */
void zq_conn_read(zquic_connection *conn, const ngtcp2_path *path, const uint8_t *pkt, size_t len,
                  uint32_t ecn);
/* Ask the loop to write pending data and re-arm the timer. Lock held. */
void zq_conn_schedule(zquic_connection *conn);
void zq_conn_flush(zquic_connection *conn); /* loop thread */
/* `n` bytes of flow-control credit were just given to ngtcp2 (lock held): get them to the peer. */
void zq_conn_schedule_credit(zquic_connection *conn, size_t n);
int zq_conn_io_start(zquic_connection *conn); /* loop thread: timer + (client) socket poll */
void zq_conn_release(zquic_connection *conn); /* drop one ref; frees at 0. Lock held. */
/* End the transport now (no goodbye packet): free ngtcp2/TLS state, close the libuv handles,
 * emit DISCONNECTED/ERROR to the user. Idempotent; loop thread. */
void zq_conn_teardown(zquic_connection *conn);
/* zquic_destroy: free a torn-down connection whose handles the user never released. */
void zq_conn_free_abandoned(zquic_connection *conn);
/* Start closing (loop thread). */
void zq_conn_close_now(zquic_connection *conn, uint64_t app_error, const char *reason);
void zq_conn_abort(zquic_connection *conn); /* context teardown: free without goodbye */
int zq_conn_check_open(zquic_connection *conn); /* ZQUIC_OK or a closed-state error (set) */
ngtcp2_tstamp zq_conn_ts(void);
/* "addr:port" of the peer on the connection's current path (it changes with migration). */
const char *zq_conn_peer(zquic_connection *conn);

/* ---- client connections (client.c) ---- */
/* Create the ngtcp2/TLS state of an allocated client connection and send its first flight
 * (loop thread). Takes ownership of conn->params. */
int zq_client_start(zquic_connection *conn);
void zq_client_params_free(zq_client_params *p);

/* ---- events (events.c) ---- */
/* Report an event: the connection's callback (if any) runs now, on the loop thread, and the
 * event is queued when the context has an event queue. `stream` may be NULL. */
void zq_emit(zquic_context *ctx, int type, int code, zquic_server *server, zquic_connection *conn,
             zquic_stream *stream);
/* Drop queued events that point at a handle being released. */
void zq_events_forget(zquic_context *ctx, const void *handle);
int zq_events_init(zquic_context *ctx);
void zq_events_free(zquic_context *ctx);

/* ---- facts, qlog, key updates, session tickets (info.c) ---- */
void zq_conn_qlog_open(zquic_connection *conn, ngtcp2_settings *settings, const ngtcp2_cid *odcid);
void zq_conn_qlog_close(zquic_connection *conn);
void zq_conn_snapshot(zquic_connection *conn);
int zq_conn_update_key_cb(ngtcp2_conn *qc, uint8_t *rx_secret, uint8_t *tx_secret,
                          ngtcp2_crypto_aead_ctx *rx_aead_ctx, uint8_t *rx_iv,
                          ngtcp2_crypto_aead_ctx *tx_aead_ctx, uint8_t *tx_iv,
                          const uint8_t *current_rx_secret, const uint8_t *current_tx_secret,
                          size_t secretlen, void *user_data);
void zq_conn_maybe_key_update(zquic_connection *conn);
/* Client: remember the server's session ticket with our transport parameters. */
void zq_conn_store_ticket(zquic_connection *conn);

/* ---- streams (stream.c) ---- */
struct zquic_stream {
  zquic_connection *conn;
  int64_t id;
  bool user_held, transport_open, fin_received, fin_queued, fin_sent, reset_received;
  bool write_listed, is_h3;
  uint64_t reset_code;
  zq_buf rx;                   /* received, not yet read */
  zq_buf tx;                   /* queued; bytes before tx_sent_off are in flight awaiting ack */
  size_t tx_sent_off;          /* offset into tx of the first byte not yet handed to ngtcp2 */
  zq_list_node conn_node;
  zq_list_node incoming_node;
  zq_list_node write_node;
  bool want_writable;       /* a send hit a full buffer: emit STREAM_WRITABLE when space frees */
  bool early_rejected;      /* opened as 0-RTT and the server refused early data */
  bool peer_stopped;        /* the peer sent STOP_SENDING: our sending side is reset */
  bool service_held;        /* given to the server's zq_stream_service, which frees it */
  void *service_state;      /* the service's per-stream state */
  unsigned pending_events;
  void *user_data;
  const struct zq_stream_hooks *hooks; /* a client stream driven by library code (zq_stream_hooks) */
  void *hooks_user;
};

zquic_stream *zq_stream_new(zquic_connection *conn, int64_t id);
void zq_stream_free(zquic_stream *s);
zquic_stream *zq_stream_find(zquic_connection *conn, int64_t id);
/* ngtcp2 callbacks for raw (non-HTTP/3) streams. */
int zq_stream_on_data(zquic_connection *conn, zquic_stream *s, uint32_t flags, const uint8_t *data,
                      size_t len);
void zq_stream_on_acked(zquic_stream *s, uint64_t datalen);
void zq_stream_on_closed(zquic_stream *s, uint64_t app_error);
/* Write queued raw stream data into packets: one packet per call; see conn.c. */
void zq_stream_mark_writable(zquic_stream *s);
/* Release the user's hold on a stream (zquic_close_stream's work, loop thread). */
int zq_stream_release(zquic_stream *s);

/* ---- raw-stream protocols served inside the library (DoQ) ---- */
/* With a service set on a server, its connections are not queued for zquic_server_accept and
 * peer streams go to these hooks instead of zquic_stream_accept. Loop thread, lock held. The
 * service holds each stream it was given (s->service_held) until it calls zq_stream_free, and
 * must do so at the latest in on_closed. */
typedef struct zq_stream_service {
  void (*on_stream)(zquic_stream *s, void *user);  /* a peer opened it */
  void (*on_data)(zquic_stream *s, void *user);    /* s->rx grew, FIN or a reset arrived */
  void (*on_closed)(zquic_stream *s, void *user);  /* the transport is done with it */
  void (*on_conn_closed)(zquic_connection *conn, void *user); /* before the teardown frees it */
} zq_stream_service;
/* Take `n` received bytes of a service stream (credit goes back to the peer). */
size_t zq_stream_take(zquic_stream *s, void *out, size_t n);
/* Queue bytes (and FIN) on a service stream; never blocks. */
int zq_stream_put(zquic_stream *s, const void *data, size_t len, bool fin);

/* ---- client streams driven by library code on the loop thread (DoQ queries) ---- */
/* The client-side twin of zq_stream_service, per stream: the hooks hear of the stream's data and
 * end on the loop thread, lock held, instead of a user blocking in zquic_stream_receive. The
 * owner holds the stream until zq_stream_unhook (at the latest in on_closed, where it may free
 * nothing else of the connection's streams). on_closed also reports a stream that 0-RTT refusal
 * forgot (s->early_rejected) and the connection's teardown. */
typedef struct zq_stream_hooks {
  void (*on_data)(zquic_stream *s, void *user);   /* s->rx grew, FIN or a reset arrived */
  void (*on_closed)(zquic_stream *s, void *user); /* the transport is done with it */
} zq_stream_hooks;
/* Open a bidirectional stream with hooks (loop thread): ZQUIC_ERR_LIMIT when the peer's limit
 * (or a handshake without 0-RTT keys) allows none now, ZQUIC_ERR_STATE on an HTTP/3 or closed
 * connection. Sets no error text for LIMIT (the caller waits in line: zq_h3_wait_streams). */
int zq_stream_open_hooked(zquic_connection *conn, const zq_stream_hooks *hooks, void *user,
                          zquic_stream **out);
/* The owner lets go: the stream becomes like one its user released (what still arrives is
 * dropped with its credit given back; unread, it stops the peer's sending) and is freed once the
 * transport is done with it, which may be now. cancel_code >= 0 resets both directions with that
 * application error instead (an abandoned exchange). */
void zq_stream_unhook(zquic_stream *s, int64_t cancel_code);

/* ---- servers (server.c) ---- */
struct zquic_server {
  zquic_context *ctx;
  zq_endpoint ep;
  zq_tls_server tls;
  zq_alpn_list alpn;
  bool accepting, freed;
  uint32_t max_connections;
  size_t n_connections;
  zq_list conns;
  zq_list accept_queue;
  zquic_h3_handler_config h3;
  bool h3_enabled;
  const zq_stream_service *service; /* DoQ: streams go to the library's own protocol code */
  void *service_user;
  zq_list_node ctx_node;
  uint8_t static_secret[32];  /* stateless reset tokens, tokens */
  bool retry, enable_0rtt;
  uint32_t versions[4];       /* accepted versions, preferred first */
  size_t n_versions;
  uint32_t max_streams_bidi;
  uint64_t reset_second;      /* stateless reset rate limit */
  unsigned resets_this_second;
  unsigned pending_events;
  void *user_data;
  /* Worker loops (workers.c): every worker's server points at one group; the user's handle is
   * worker 0 and owns it. NULL for a server with one loop. */
  struct zq_worker_group *group;
  unsigned worker;            /* index in the group */
  bool tls_borrowed;          /* tls belongs to worker 0 (credentials, ticket key, replay table) */
};

void zq_server_conn_gone(zquic_server *srv, zquic_connection *conn);
/* zquic_create_server with a raw-stream service (DoQ) built in. */
int zq_server_create(zquic_context *ctx, const zquic_server_config *cfg,
                     const zq_stream_service *service, void *service_user, zquic_server **out);
/* Set ep/ctx fields, start the endpoint on its loop and list the server on its context. */
int zq_server_start_on_loop(void *srv);
/* Close every connection and the socket; the memory goes once libuv has closed the handle. */
int zq_server_free_on_loop(void *srv);

/* ---- worker loops on one port (workers.c) ---- */
typedef struct zq_worker_group zq_worker_group;
/* Bind workers 1..n-1 beside `srv` (worker 0, already bound with reuseport), attach the steering
 * program and start them. On failure everything created here is gone again. */
int zq_workers_create(zquic_server *srv, unsigned n);
/* Write the owner's mark into a connection ID this server issues (no-op with one loop). */
void zq_worker_mark_cid(const zquic_server *srv, uint8_t *cid, size_t len);
/* A short-header packet this worker has no connection for: hand it to the worker its CID names.
 * Returns true when it did (the packet is no longer ours to answer). */
bool zq_worker_forward(zquic_server *srv, const zq_addr *local, const struct sockaddr_storage *from,
                       socklen_t fromlen, const uint8_t *pkt, size_t len, const uint8_t *dcid,
                       size_t dcidlen, uint32_t ecn);
/* Dispatch the packets other workers handed to this context's servers (loop thread). */
void zq_workers_drain(zquic_context *ctx);
/* Open connections of the whole server (every worker). */
size_t zq_server_total_connections(const zquic_server *srv);
void zq_server_count_connection(zquic_server *srv, int delta);
/* The handle the user holds (worker 0): events and accept report it. */
zquic_server *zq_server_handle(zquic_server *srv);
/* A connection finished its handshake on worker `srv`: wake zquic_server_accept callers. */
void zq_workers_notify_accept(zquic_server *srv);
/* Public server calls, for a server with workers (server.c hands them over). */
int zq_workers_accept(zquic_server *srv, int timeout_ms, zquic_connection **out);
void zq_workers_set_accepting(zquic_server *srv, bool on);
/* Free workers 1..N-1 (worker 0, the handle, is freed by zquic_server_free as usual). */
void zq_workers_free(zquic_server *srv);
void zq_workers_group_free(zq_worker_group *g); /* worker 0's memory goes: the group goes too */
/* The servers that make up the handle: 1 without workers, else the group's N. */
unsigned zq_server_members(const zquic_server *srv);
zquic_server *zq_server_member(const zquic_server *srv, unsigned i);
bool zq_server_on_any_loop(const zquic_server *srv);
bool zq_server_accepting(const zquic_server *srv);
/* Whether the kernel runs the steering program, and how many packets one worker handed to
 * another (tests; a figure for metrics later). */
void zq_workers_stats(const zquic_server *srv, bool *steered, uint64_t *forwarded);
/* zquic_destroy: join and free the worker contexts (after their servers are gone). */
void zq_ctx_destroy_workers(zquic_context *ctx);



/* ---- HTTP/3 glue (src/h3/h3.c) ---- */
/* Someone (a queued gRPC call or DoQ query) waiting for the peer to allow another bidirectional
 * stream; the line is the connection's, raw or HTTP/3.
 * `ready` runs on the loop thread when one may be free (return false if it still could not open
 * one: it stays first in line), or with `closed` when the connection ended. */
typedef struct zq_stream_waiter {
  zq_list_node node;
  bool (*ready)(struct zq_stream_waiter *w, bool closed);
} zq_stream_waiter;
void zq_h3_wait_streams(zquic_connection *conn, zq_stream_waiter *w); /* lock held */
void zq_h3_cancel_wait(zquic_connection *conn, zq_stream_waiter *w);
void zq_h3_conn_gone(zquic_connection *conn); /* teardown: fail every waiter */
int zq_h3_server_attach(zquic_connection *conn);
int zq_h3_client_attach(zquic_connection *conn);
void zq_h3_free(zquic_connection *conn);
/* 0-RTT was refused: fail the requests sent early and start a fresh session after the handshake. */
void zq_h3_early_data_rejected(zquic_connection *conn);
void zq_h3_free_abandoned(zquic_connection *conn); /* requests the user never freed */
void zq_h3_submit_goaway(zquic_connection *conn);     /* server: no new requests, please */
/* ngtcp2 events forwarded to nghttp3 when conn->h3 is set. */
int zq_h3_on_stream_data(zquic_connection *conn, int64_t id, uint32_t flags, const uint8_t *data,
                         size_t len);
int zq_h3_on_acked(zquic_connection *conn, int64_t id, uint64_t datalen);
int zq_h3_on_stream_close(zquic_connection *conn, int64_t id, uint64_t app_error);
int zq_h3_on_stream_reset(zquic_connection *conn, int64_t id);
int zq_h3_on_stop_sending(zquic_connection *conn, int64_t id);
int zq_h3_on_extend_max_stream_data(zquic_connection *conn, int64_t id);
void zq_h3_on_extend_max_streams(zquic_connection *conn);
void zq_h3_on_conn_closed(zquic_connection *conn);
/* Fetch stream data to write: returns vec count, sets *id (-1 = nothing) and *fin. */
nghttp3_ssize zq_h3_writev(zquic_connection *conn, int64_t *id, int *fin, nghttp3_vec *vec,
                           size_t veccnt);
int zq_h3_wrote(zquic_connection *conn, int64_t id, size_t n);
void zq_h3_blocked(zquic_connection *conn, int64_t id);
void zq_h3_shutdown_write(zquic_connection *conn, int64_t id);

#endif
