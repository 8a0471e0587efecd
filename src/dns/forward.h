/*
 * forward.h — the last link of the DoQ resolver chain: queries nobody here can answer go to
 * upstream resolvers the operator configured, over plain DNS (UDP, then TCP when the UDP answer
 * is truncated, RFC 7766) or DNS over QUIC (forward_doq.c). Nothing is forwarded unless upstreams
 * are configured.
 *
 * Everything runs on the context's loop thread with libuv sockets and timers, so a dead upstream
 * never stalls other queries. Each attempt uses a fresh UDP socket (a kernel-chosen random source
 * port) connected to the upstream and a random 16-bit ID; an answer is believed only when it
 * comes from the upstream's address and port and carries our ID and our question (RFC 5452).
 * An attempt lasts at most timeout_ms (the TCP fallback included); upstreams are tried in turn,
 * so one forward never lasts longer than timeout_ms × the number of upstreams.
 *
 * Internal (zq_ prefix). Loop thread only, ctx->lock held, except new/free.
 */
#ifndef ZQ_DNS_FORWARD_H
#define ZQ_DNS_FORWARD_H

#include "../core/internal.h"
#include "message.h"

#define ZQ_DNS_FORWARD_DEFAULT_TIMEOUT_MS 2000
#define ZQ_DNS_FORWARD_MAX_UPSTREAMS 16
#define ZQ_DNS_FORWARD_MAX_INFLIGHT 1024 /* forwards at once: each attempt holds a socket */

/* How a forward ended. */
typedef enum zq_dns_forward_status {
  ZQ_DNS_FWD_OK = 0,      /* an answer (NOERROR or NXDOMAIN, maybe TC over TCP) */
  ZQ_DNS_FWD_TIMEOUT,     /* no upstream answered in time */
  ZQ_DNS_FWD_NETWORK,     /* sockets failed: refused, unreachable, reset, too many in flight */
  ZQ_DNS_FWD_BAD_ANSWER,  /* upstreams answered, but with garbage or SERVFAIL/REFUSED/FORMERR */
} zq_dns_forward_status;

typedef struct zq_dns_forwarder zq_dns_forwarder;
typedef struct zq_dns_forward zq_dns_forward; /* one query on its way upstream */

/* The outcome, on the loop thread under the lock. On ZQ_DNS_FWD_OK `answer` is the upstream's
 * message (len bytes, valid during the call) with its ID set back to the client's; else NULL.
 * The forward is gone when this returns: do not cancel it from here. */
typedef void (*zq_dns_forward_cb)(int status, const uint8_t *answer, size_t len, void *user);

typedef struct zq_dns_forwarder_stats {
  uint64_t forwarded;   /* forwards started */
  uint64_t answered;    /* ended with ZQ_DNS_FWD_OK */
  uint64_t failed;      /* ended with an error status */
  uint64_t timeouts, network_errors, bad_answers; /* per attempt */
  uint64_t tcp_fallbacks; /* UDP answers with TC=1 asked again over TCP */
  uint64_t ignored;     /* datagrams dropped as not ours: wrong ID, source or question */
} zq_dns_forwarder_stats;

/* A forwarder to `upstreams`: plain DNS as "IP", "IP:PORT", "[IPv6]:PORT" (port 53 by default),
 * DNS over QUIC as "doq://IP[:PORT][#NAME]" (port 853; forward_doq.c; ca_file NULL = the
 * system's trust store). Names are refused: a resolver must not need DNS to reach its upstream.
 * timeout_ms 0 = the default. Any thread; free with zq_dns_forwarder_free. 0 or
 * ZQUIC_ERR_INVALID_ARGUMENT (detail set), ZQUIC_ERR_NO_MEMORY. */
int zq_dns_forwarder_new(zquic_context *ctx, const char *const *upstreams, size_t n_upstreams,
                         uint32_t timeout_ms, const char *ca_file, zq_dns_forwarder **out);
/* Any thread but the loop's (it waits for the loop). Forwards still in flight end without
 * their callbacks; their sockets close. NULL is a no-op. */
void zq_dns_forwarder_free(zq_dns_forwarder *fw);

/* Ask the upstreams q's question (RD=1, CD and DO as the client set them, EDNS(0) with a
 * 1232-byte UDP size). On success *out is the forward, until its callback runs or it is
 * cancelled. ZQUIC_ERR_LIMIT when ZQ_DNS_FORWARD_MAX_INFLIGHT are in flight,
 * ZQUIC_ERR_NO_MEMORY. Loop thread. */
int zq_dns_forward_start(zq_dns_forwarder *fw, const zq_dns_query *q, zq_dns_forward_cb cb,
                         void *user, zq_dns_forward **out);
/* The client went away: stop, and never call the callback. Loop thread. */
void zq_dns_forward_cancel(zq_dns_forward *f);

void zq_dns_forwarder_stats_get(const zq_dns_forwarder *fw, zq_dns_forwarder_stats *out);
size_t zq_dns_forwarder_upstreams(const zq_dns_forwarder *fw);

#endif
