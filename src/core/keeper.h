/*
 * keeper.h — one connection to one target, kept for many calls and made again once it has
 * closed: what a gRPC channel and a DoQ client both need ("reuse the connection per target").
 * Internal (zq_keeper_*); see keeper.c.
 */
#ifndef ZQ_KEEPER_H
#define ZQ_KEEPER_H

#include "internal.h"

typedef struct zq_keeper {
  zquic_context *ctx;
  char *target, *sni, *ca_file, *ciphers; /* owned copies of what opts points at */
  zquic_connect_options opts;             /* ALPN forced; session fields filled per connect */
  bool async_connect;                     /* connect without waiting: calls wait in line */
  bool keep_session;                      /* offer the newest session blob on reconnects */
  pthread_mutex_t lock;                   /* guards conn, session and connects */
  zquic_connection *conn;                 /* the keeper's handle on the current connection */
  uint8_t *session;                       /* newest resumption blob (wiped on clear) */
  size_t session_len;
  unsigned connects;
} zq_keeper;

/* Copy `target` ("host:port") and `opts` (may be NULL); `alpn` replaces its ALPN. */
int zq_keeper_init(zq_keeper *k, zquic_context *ctx, const char *target,
                   const zquic_connect_options *opts, const char *alpn, bool async_connect,
                   bool keep_session);
/* Close the connection, wipe the session, free the copies. */
void zq_keeper_clear(zq_keeper *k);
/* The current connection (made now when there is none usable; *fresh says so) with a
 * reference for the caller: give it back with zq_keeper_put. */
int zq_keeper_get(zq_keeper *k, zquic_connection **out, bool *fresh);
void zq_keeper_put(zquic_connection *conn);
/* Keep the newest session blob of k->conn (k->lock held, or the owner's own serialisation). */
void zq_keeper_save_session(zq_keeper *k);

#endif
