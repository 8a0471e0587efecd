/*
 * forward_internal.h — what forward.c (the forwarder, UDP and TCP attempts) and forward_doq.c
 * (attempts at DNS-over-QUIC upstreams) share: the forwarder, forward and attempt structs and
 * the few functions through which an attempt ends.
 */
#ifndef ZQ_DNS_FORWARD_INTERNAL_H
#define ZQ_DNS_FORWARD_INTERNAL_H

#include "forward.h"

#define ZQ_FWD_UDP_SIZE 1232 /* what we advertise upstream: no IP fragmentation (DNS flag day) */
#define ZQ_FWD_MAX_MESSAGE 65535

typedef struct upstream {
  zq_addr addr;
  char text[96];
  zquic_dns_client *doq; /* a DoQ upstream's client (connection kept and resumed); NULL = plain */
} upstream;

typedef struct attempt attempt;

struct zq_dns_forwarder {
  zquic_context *ctx;
  upstream ups[ZQ_DNS_FORWARD_MAX_UPSTREAMS];
  size_t n_ups;
  uint32_t timeout_ms;
  size_t preferred;  /* where forwards start: moves past an upstream that failed */
  size_t inflight;
  zq_list forwards;  /* zq_dns_forward in flight */
  zq_list attempts;  /* every attempt whose handles are not all closed yet */
  bool freeing;
  zq_dns_forwarder_stats st;
  uint8_t udp_buf[ZQ_FWD_MAX_MESSAGE + 1]; /* one datagram at a time: recv callbacks do not nest */
};

struct zq_dns_forward {
  zq_list_node node;
  zq_dns_forwarder *fw;
  attempt *current;
  zq_dns_forward_cb cb;
  void *user;
  uint16_t client_id;
  ldns_rdf *qname;
  uint16_t qtype, qclass;
  uint8_t *wire;  /* the upstream query, ID still 0 */
  size_t wire_len;
  size_t first, tried; /* upstream index of the first attempt; attempts made */
  int last_status;
};

struct attempt {
  zq_list_node node;
  zq_dns_forwarder *fw;
  zq_dns_forward *f; /* NULL once abandoned: callbacks then only wait for the handles to close */
  size_t up;         /* index into fw->ups */
  uv_timer_t timer;
  uv_udp_t udp;
  uv_tcp_t tcp;
  bool udp_open, tcp_open;
  int open_handles;
  int fail_status;   /* set when starting failed: the timer, fired at once, reports it */
  uv_connect_t connect_req;
  uv_write_t write_req;
  uint16_t id;
  uint8_t *query;    /* 2-byte length prefix (TCP) + the message with our ID */
  size_t query_len;  /* of the message, without the prefix */
  uint8_t *rx;       /* TCP answer: length prefix + message */
  size_t rx_have, rx_need;
};

/* forward.c */
void zq_fwd_attempt_end(attempt *a, int status, const uint8_t *answer, size_t len);
/* An answer that came over a stream (TCP or QUIC): check it, give it the client's ID, end. */
void zq_fwd_on_stream_message(attempt *a, uint8_t *msg, size_t len);
/* One of the attempt's handles (or its DoQ exchange) is done; the last frees it. */
void zq_fwd_attempt_unref(attempt *a);

/* "IP", "IP:PORT", "[IPv6]" or "[IPv6]:PORT" (IP addresses only: a resolver must not need DNS to
 * reach its upstream). */
int zq_fwd_parse_address(const char *text, uint16_t default_port, zq_addr *out);

/* forward_doq.c */
/* "doq://IP[:PORT][#NAME]" (or "quic://..."): 1 when `text` names a DoQ upstream, 0 when it is
 * plain DNS; *rest points past the scheme. */
int zq_fwd_doq_scheme(const char *text, const char **rest);
/* Make up's DoQ client for `address` (IP, IP:PORT, [IPv6]:PORT; port 853 by default) and the
 * optional certificate name after '#'; ca_file NULL = the system's trust store. */
int zq_fwd_doq_open(zq_dns_forwarder *fw, upstream *up, const char *address, const char *ca_file);
void zq_fwd_doq_close(upstream *up);
/* Send the attempt's query to its DoQ upstream. An error here means it could not even be queued;
 * later failures come back through zq_fwd_attempt_end, never inside this call. */
int zq_fwd_doq_send(attempt *a);

#endif
