/*
 * dns_client.c — zquic_dns_client: a DoQ client for one server that reuses its connection and
 * makes it again, on the loop thread, once it has closed.
 *
 * RFC 9250 expects clients to keep a connection for many queries and to resume with 0-RTT, so
 * that a query after a pause costs no handshake round trip. The client keeps the newest session
 * blob the server gave (a ticket plus its transport parameters, in keeper.c's zq_keeper) and
 * offers it on the next connection; a query the server refuses in 0-RTT
 * (ZQUIC_ERR_EARLY_DATA_REJECTED) is asked again once, after the handshake.
 *
 * Every query, blocking or not, is handed to the loop thread, which alone looks at and replaces
 * the connection (with zquic_connect_async, so it never waits): no lock of the client's own, and
 * an asynchronous query from a callback never waits behind a blocking caller's connect. Queries
 * hold the client (refs, under the context's lock), so its memory outlives a free with queries
 * in flight until their callbacks have run.
 */
#include <stdlib.h>
#include <string.h>

#include "../core/keeper.h"
#include "doq_client.h"

struct zquic_dns_client {
  zq_keeper keeper;                /* option copies, the session, the connection (loop thread) */
  unsigned early_connects;
  zquic_connection *early_unknown; /* made with 0-RTT, verdict not known yet (compared only) */
  int refs;                        /* the user's + one per query; ctx->lock */
  bool freed;
};

typedef struct client_query {
  zq_loop_call post;
  zquic_dns_client *client;
  zquic_connection *conn; /* the connection that carried it (compared only) */
  char *name;
  int type;
  zquic_dns_query_options opts;
  zquic_dns_callback cb;
  uint8_t *msg;              /* a raw exchange (zq_dns_client_exchange) instead of name/type */
  size_t msg_len;
  zq_doq_exchange_cb raw_cb;
  void *user;
  bool retried;
} client_query;

ZQUIC_API int zquic_dns_client_create(zquic_context *ctx, const char *server,
                                      const zquic_connect_options *opts,
                                      zquic_dns_client **out) {
  if (out) *out = NULL;
  if (!ctx || !server || !out) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  zquic_dns_client *c = calloc(1, sizeof(*c));
  if (!c) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  int rc = zq_keeper_init(&c->keeper, ctx, server, opts, "doq", true, true);
  if (rc) {
    free(c);
    return rc;
  }
  c->refs = 1;
  *out = c;
  return ZQUIC_OK;
}

static void client_unref(zquic_dns_client *c) {
  if (--c->refs > 0) return;
  zq_keeper_clear(&c->keeper); /* its connection is already closed: nothing waits here */
  free(c);
}

/* The current connection, made now (without waiting) when there is none usable. Loop thread. */
static int get_conn(zquic_dns_client *c, zquic_connection **out) {
  zq_keeper *k = &c->keeper;
  if (k->conn && (k->conn->close_requested || (k->conn->state != ZQ_CONN_RESOLVING &&
                                               zq_conn_check_open(k->conn) != ZQUIC_OK))) {
    zq_keeper_save_session(k);
    zquic_close_connection(k->conn);
    k->conn = NULL;
    c->early_unknown = NULL;
  }
  if (!k->conn) {
    zquic_connect_options o = k->opts;
    o.session = k->session;
    o.session_len = k->session_len;
    o.enable_0rtt = k->opts.enable_0rtt && k->session;
    int rc = zquic_connect_async(k->ctx, k->target, &o, &k->conn);
    if (rc) return rc;
    k->connects++;
    if (o.enable_0rtt) c->early_unknown = k->conn;
  }
  *out = k->conn;
  return ZQUIC_OK;
}

/* After a query the handshake has ended: count a connection whose 0-RTT was accepted. */
static void note_early_verdict(zquic_dns_client *c, zquic_connection *conn) {
  if (!conn || c->early_unknown != conn) return;
  zquic_connection_info info;
  memset(&info, 0, sizeof(info));
  info.struct_size = sizeof(info);
  if (zquic_get_connection_info(conn, &info) == 0 && info.early_data != ZQUIC_EARLY_DATA_NONE) {
    if (info.early_data == ZQUIC_EARLY_DATA_ACCEPTED) c->early_connects++;
    c->early_unknown = NULL;
  }
}

static void on_done(int result, zquic_dns_response *resp, void *user);
static void on_raw_done(int result, uint8_t *answer, size_t len, void *user);

/* Send the query on the client's connection (loop thread); an error is set when it cannot. */
static int send_on_loop(client_query *cq) {
  zquic_dns_client *c = cq->client;
  if (c->freed) return zq_error(ZQUIC_ERR_CLOSED, "the DNS client was freed");
  zquic_connection *conn = NULL;
  int rc = get_conn(c, &conn);
  if (rc == 0) {
    cq->conn = conn;
    rc = cq->raw_cb ? zq_doq_exchange_start(conn, cq->msg, cq->msg_len, cq->opts.timeout_ms,
                                            on_raw_done, cq)
                    : zq_dns_query_start(conn, cq->name, cq->type, &cq->opts, on_done, cq);
  }
  return rc;
}

static void client_query_free(client_query *cq) {
  free(cq->name);
  free(cq->msg);
  free(cq);
}

static void end_query(client_query *cq, int result, zquic_dns_response *resp) {
  if (cq->raw_cb) cq->raw_cb(result, NULL, 0, cq->user);
  else cq->cb(result, resp, cq->user);
  client_unref(cq->client);
  client_query_free(cq);
}

/* Refused in 0-RTT: the connection carries on after its handshake, so ask again once. True when
 * the query went again (its end comes later); else *result and *why say how it ends. */
static bool retry_early(client_query *cq, int *result, char *why, size_t cap) {
  note_early_verdict(cq->client, cq->conn);
  if (*result != ZQUIC_ERR_EARLY_DATA_REJECTED || cq->retried) return false;
  cq->retried = true;
  if ((*result = send_on_loop(cq)) == 0) return true;
  snprintf(why, cap, "%s", zquic_last_error());
  return false;
}

static void on_done(int result, zquic_dns_response *resp, void *user) {
  client_query *cq = user;
  char why[256];
  snprintf(why, sizeof(why), "%s", result ? zquic_last_error() : "");
  if (retry_early(cq, &result, why, sizeof(why))) return;
  if (result) zq_error(result, "%s", why);
  else zq_error_clear();
  end_query(cq, result, resp);
}

static void on_raw_done(int result, uint8_t *answer, size_t len, void *user) {
  client_query *cq = user;
  char why[256];
  snprintf(why, sizeof(why), "%s", result ? zquic_last_error() : "");
  if (retry_early(cq, &result, why, sizeof(why))) return;
  if (result) {
    zq_error(result, "%s", why);
    end_query(cq, result, NULL);
    return;
  }
  zq_error_clear();
  cq->raw_cb(ZQUIC_OK, answer, len, cq->user);
  client_unref(cq->client);
  client_query_free(cq);
}

static int run_on_loop(void *arg) {
  client_query *cq = arg;
  int rc = send_on_loop(cq);
  if (rc) end_query(cq, rc, NULL); /* posted: never inside the call that started it */
  return 0;
}

/* Queue cq on the loop (always through the call queue, also on the loop thread: the callback
 * then never runs inside the call that started it, even when the connection cannot be made). */
static int client_post(zquic_dns_client *c, client_query *cq) {
  cq->client = c;
  zquic_context *ctx = c->keeper.ctx;
  bool taken = zq_ctx_enter(ctx);
  cq->post = (zq_loop_call){.fn = run_on_loop, .arg = cq};
  int rc = c->freed ? zq_error(ZQUIC_ERR_CLOSED, "the DNS client was freed")
                    : zq_ctx_post(ctx, &cq->post);
  if (rc == 0) c->refs++;
  zq_ctx_leave(ctx, taken);
  if (rc) client_query_free(cq);
  return rc;
}

static int client_start(zquic_dns_client *c, const char *name, int type,
                        const zquic_dns_query_options *opts, zquic_dns_callback cb, void *user) {
  if (!c || !name || !cb) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  zquic_dns_query_options o;
  zquic_dns_query_options_init(&o);
  uint16_t wire_type = 0;
  int rc = zq_dns_prepare(name, type, opts, &o, &wire_type);
  if (rc) return rc;
  client_query *cq = calloc(1, sizeof(*cq));
  if (!cq || !(cq->name = strdup(name))) {
    free(cq);
    return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  }
  cq->type = type;
  cq->opts = o;
  cq->cb = cb;
  cq->user = user;
  return client_post(c, cq);
}

int zq_dns_client_exchange(zquic_dns_client *c, const uint8_t *msg, size_t len, int timeout_ms,
                           zq_doq_exchange_cb cb, void *user) {
  if (!c || !msg || !cb) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  client_query *cq = calloc(1, sizeof(*cq));
  if (!cq || !(cq->msg = malloc(len ? len : 1))) {
    free(cq);
    return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  }
  memcpy(cq->msg, msg, len);
  cq->msg_len = len;
  cq->opts.timeout_ms = timeout_ms;
  cq->raw_cb = cb;
  cq->user = user;
  return client_post(c, cq);
}

ZQUIC_API int zquic_dns_client_query_async(zquic_dns_client *client, const char *name, int type,
                                           const zquic_dns_query_options *opts,
                                           zquic_dns_callback cb, void *user) {
  int rc = client_start(client, name, type, opts, cb, user);
  if (rc == 0) zq_error_clear();
  return rc;
}

ZQUIC_API int zquic_dns_client_query(zquic_dns_client *client, const char *name, int type,
                                     const zquic_dns_query_options *opts,
                                     zquic_dns_response **out) {
  if (out) *out = NULL;
  if (!client || !out) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  zquic_context *ctx = client->keeper.ctx;
  if (zq_on_loop_thread(ctx))
    return zq_error(ZQUIC_ERR_LOOP_THREAD, "zquic_dns_client_query blocks: not on the loop thread");
  zquic_dns_query_options o;
  zquic_dns_query_options_init(&o);
  uint16_t wire_type = 0;
  int rc = zq_dns_prepare(name, type, opts, &o, &wire_type);
  if (rc) return rc;
  zq_dns_wait *w = zq_dns_wait_new(ctx, o.timeout_ms);
  if (!w) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  if ((rc = client_start(client, name, type, &o, zq_dns_wait_done, w)) != 0) {
    zq_dns_wait_abandon(w);
    return rc;
  }
  return zq_dns_wait_end(w, out);
}

ZQUIC_API unsigned zquic_dns_client_connects(const zquic_dns_client *client) {
  return client ? client->keeper.connects : 0;
}

ZQUIC_API unsigned zquic_dns_client_early_connects(const zquic_dns_client *client) {
  return client ? client->early_connects : 0;
}

static int free_on_loop(void *arg) {
  zquic_dns_client *c = arg;
  c->freed = true;
  if (c->keeper.conn) zquic_close_connection(c->keeper.conn); /* queries end: ZQUIC_ERR_CLOSED */
  c->keeper.conn = NULL;
  client_unref(c);
  return 0;
}

ZQUIC_API void zquic_dns_client_free(zquic_dns_client *client) {
  if (!client) return;
  zquic_context *ctx = client->keeper.ctx;
  bool taken = zq_ctx_enter(ctx);
  if (zq_ctx_call(ctx, free_on_loop, client) != 0) free_on_loop(client); /* loop already gone */
  zq_ctx_leave(ctx, taken);
}
