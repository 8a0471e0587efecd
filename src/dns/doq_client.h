/*
 * doq_client.h — the DoQ client's internal pieces (src/dns): query building and answer checking
 * (client.c), shared by the blocking call, the asynchronous engine (query_async.c) and the
 * reconnecting client (dns_client.c), so that every path asks and believes alike.
 */
#ifndef ZQ_DOQ_CLIENT_H
#define ZQ_DOQ_CLIENT_H

#include "../core/internal.h"

/* Check name, type and options (zquic_last_error says what is wrong); fill *o with the options
 * (defaults where opts is NULL) and *wire_type with the type sent (TXT for the ENS/ZNS kinds). */
int zq_dns_prepare(const char *name, int type, const zquic_dns_query_options *opts,
                   zquic_dns_query_options *o, uint16_t *wire_type);
/* The query in DoQ framing (2-byte length prefix), heap, owned by the caller. */
int zq_dns_build_wire(const char *name, uint16_t wire_type, const zquic_dns_query_options *o,
                      uint8_t **wire, size_t *len);
/* Believe and convert an answer (without its prefix): ZQUIC_ERR_PROTOCOL unless it answers the
 * question. *out is the caller's (zquic_dns_response_free). */
int zq_dns_parse_answer(const uint8_t *answer, size_t len, const char *name, int type,
                        uint16_t wire_type, zquic_dns_response **out);

/* Start an asynchronous query (query_async.c): any thread, lock not held. On ZQUIC_OK `cb` runs
 * exactly once, later, on the loop thread; before it runs, zquic_last_error() is set to the
 * failure's text. */
int zq_dns_query_start(zquic_connection *conn, const char *name, int type,
                       const zquic_dns_query_options *opts, zquic_dns_callback cb, void *user);

/* A raw exchange (query_async.c), for forwarding: send `msg` (a whole DNS message, copied; its ID
 * should be 0) on a new stream and hand back the answer's bytes unjudged. `answer` is valid
 * during the call and may be changed in place; NULL when result is not ZQUIC_OK (the text is in
 * zquic_last_error()). Same threading and single-callback promise as zq_dns_query_start. */
typedef void (*zq_doq_exchange_cb)(int result, uint8_t *answer, size_t len, void *user);
int zq_doq_exchange_start(zquic_connection *conn, const uint8_t *msg, size_t len, int timeout_ms,
                          zq_doq_exchange_cb cb, void *user);

/* As zq_doq_exchange_start on a zquic_dns_client's connection (made again when closed, 0-RTT
 * refusals asked again once). Any thread; cb on the loop thread, never inside this call. */
int zq_dns_client_exchange(zquic_dns_client *c, const uint8_t *msg, size_t len, int timeout_ms,
                           zq_doq_exchange_cb cb, void *user);

/* A blocking caller's wait for one asynchronous query (query_async.c): zq_dns_wait_new, start
 * with zq_dns_wait_done as the callback and the wait as its user, then zq_dns_wait_end, which
 * waits (off the loop thread) and frees its share. */
typedef struct zq_dns_wait zq_dns_wait;
zq_dns_wait *zq_dns_wait_new(zquic_context *ctx, int timeout_ms);
void zq_dns_wait_done(int result, zquic_dns_response *resp, void *user);
/* The wait never started (the start failed): free it. */
void zq_dns_wait_abandon(zq_dns_wait *w);
int zq_dns_wait_end(zq_dns_wait *w, zquic_dns_response **out);

#endif
