/*
 * doq.h — the DNS-over-QUIC transport (RFC 9250) of a server: framing and stream rules only.
 * What a query means is the handler's business (resolver.c); this layer hands it the query's
 * bytes and sends back the answer it is given. Internal (zq_doq_*).
 */
#ifndef ZQ_DOQ_H
#define ZQ_DOQ_H

#include "../core/internal.h"

/* RFC 9250 section 4.3 error codes. */
#define ZQ_DOQ_NO_ERROR 0x0
#define ZQ_DOQ_INTERNAL_ERROR 0x1
#define ZQ_DOQ_PROTOCOL_ERROR 0x2
#define ZQ_DOQ_REQUEST_CANCELLED 0x3
#define ZQ_DOQ_EXCESSIVE_LOAD 0x4

/* One query in flight on one stream. Valid until answered, failed or cancelled: on_cancel is the
 * last the handler hears of it (the transport frees it right after), so a handler that answers
 * later must set on_cancel and forget the query there. */
typedef struct zq_doq_query zq_doq_query;

typedef struct zq_doq_handler {
  /* A whole query arrived (the DNS message, without the length prefix, valid during the call).
   * `early`: it came in 0-RTT. Answer with zq_doq_answer now or later, on the loop thread. */
  void (*on_query)(zq_doq_query *q, const uint8_t *msg, size_t len, bool early, void *user);
  /* The client reset the stream or the connection ended before the answer. */
  void (*on_cancel)(zq_doq_query *q, void *user);
  void *user;
} zq_doq_handler;

typedef struct zq_doq_stats {
  uint64_t queries, answers, protocol_errors, cancelled, no_fin_resets;
} zq_doq_stats;

typedef struct zq_doq_server zq_doq_server;

/* A DoQ server on `cfg` (ALPN forced to "doq"). `no_fin_timeout_ms`: how long a complete query
 * may wait for its STREAM FIN before the stream is reset with DOQ_PROTOCOL_ERROR. */
int zq_doq_server_create(zquic_context *ctx, const zquic_server_config *cfg,
                         const zq_doq_handler *handler, uint32_t no_fin_timeout_ms,
                         zq_doq_server **out);
zquic_server *zq_doq_server_quic(zq_doq_server *srv);
void zq_doq_server_stats(zq_doq_server *srv, zq_doq_stats *out); /* takes the lock */
void zq_doq_server_free(zq_doq_server *srv);

/* Send the answer (copied, at most 65535 bytes) and FIN; the query is then gone. */
int zq_doq_answer(zq_doq_query *q, const uint8_t *msg, size_t len);
/* The query broke a MUST of RFC 9250 (Message ID, edns-tcp-keepalive...): close the whole
 * connection with DOQ_PROTOCOL_ERROR. The query is then gone. */
void zq_doq_protocol_error(zq_doq_query *q, const char *reason);
/* Per-query slot for the handler. */
void zq_doq_query_set_user(zq_doq_query *q, void *user);
void *zq_doq_query_get_user(const zq_doq_query *q);
const char *zq_doq_query_peer(zq_doq_query *q);

#endif
