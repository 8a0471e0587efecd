/*
 * h3_server.c — the server half of the HTTP/3 API: exchanges handed to the application's
 * callbacks, and the responses it gives, now or later from any thread.
 *
 * An exchange is a zq_h3_stream owned by the library. The application sees it from on_request
 * until on_close (or, without on_close, until the stream closes); responding after that is the
 * caller's bug, which is why deferred responders should set on_close.
 */
#include <stdlib.h>
#include <string.h>

#include "h3_internal.h"

#define EX(ex) ((zq_h3_stream *)(void *)(ex))

static zquic_h3_handler_config *handler_of(zq_h3_stream *st) {
  return st->conn->server ? &st->conn->server->h3 : NULL;
}

void zq_h3_server_on_headers(zq_h3_stream *st) {
  zquic_h3_handler_config *h = handler_of(st);
  if (h && h->on_request) h->on_request((zquic_h3_exchange *)st, h->user);
}

void zq_h3_server_on_body(zq_h3_stream *st, const uint8_t *data, size_t len) {
  zquic_h3_handler_config *h = handler_of(st);
  if (h && h->on_body) h->on_body((zquic_h3_exchange *)st, data, len, h->user);
}

void zq_h3_server_on_end(zq_h3_stream *st) {
  zquic_h3_handler_config *h = handler_of(st);
  if (h && h->on_request_end) h->on_request_end((zquic_h3_exchange *)st, h->user);
}

void zq_h3_server_on_close(zq_h3_stream *st) {
  zquic_h3_handler_config *h = handler_of(st);
  if (h && h->on_close && st->headers_done) h->on_close((zquic_h3_exchange *)st, h->user);
  if (st->conn->h3 && st->conn->qc) nghttp3_conn_set_stream_user_data(st->conn->h3->session, st->id, NULL);
  zq_h3_stream_free(st);
}

ZQUIC_API const char *zquic_h3_exchange_method(const zquic_h3_exchange *ex) {
  return ex ? zq_fields_get(&EX(ex)->headers, ":method") : NULL;
}
ZQUIC_API const char *zquic_h3_exchange_path(const zquic_h3_exchange *ex) {
  return ex ? zq_fields_get(&EX(ex)->headers, ":path") : NULL;
}
ZQUIC_API const char *zquic_h3_exchange_authority(const zquic_h3_exchange *ex) {
  return ex ? zq_fields_get(&EX(ex)->headers, ":authority") : NULL;
}
ZQUIC_API const char *zquic_h3_exchange_header_get(const zquic_h3_exchange *ex, const char *name) {
  return ex && name ? zq_fields_get(&EX(ex)->headers, name) : NULL;
}
ZQUIC_API int zquic_h3_exchange_header(const zquic_h3_exchange *ex, size_t index,
                                       const char **name, const char **value) {
  if (!ex || !name || !value) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  const zq_fields *f = &EX(ex)->headers;
  if (index >= f->count) return ZQUIC_ERR_NOT_FOUND;
  *name = f->names[index];
  *value = f->values[index];
  return ZQUIC_OK;
}
ZQUIC_API const char *zquic_h3_exchange_peer(zquic_h3_exchange *ex) {
  if (!ex) return NULL;
  /* Formatted on demand (most handlers never ask) and from the current path: after a migration
   * the client's address is the new one. */
  zq_h3_stream *st = EX(ex);
  bool taken = zq_ctx_enter(st->conn->ctx);
  snprintf(st->peer, sizeof(st->peer), "%s", zq_conn_peer(st->conn));
  zq_ctx_leave(st->conn->ctx, taken);
  return st->peer;
}
ZQUIC_API void zquic_h3_exchange_set_user(zquic_h3_exchange *ex, void *user) {
  if (ex) EX(ex)->user = user;
}
ZQUIC_API void *zquic_h3_exchange_get_user(const zquic_h3_exchange *ex) {
  return ex ? EX(ex)->user : NULL;
}

static int submit_response(zq_h3_stream *st, int status, const zquic_h3_header *headers,
                           size_t n, bool has_body) {
  if (status < 100 || status > 999)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "HTTP status %d out of range", status);
  if (n > 200) return zq_error(ZQUIC_ERR_LIMIT, "too many response header fields (%zu)", n);
  zquic_h3_handler_config *h = handler_of(st);
  /* Three digits by hand: snprintf was a visible share of a proxied request's CPU. */
  char status_text[3] = {(char)('0' + status / 100), (char)('0' + status / 10 % 10),
                         (char)('0' + status % 10)};
  const char *server_text = h && h->server_name ? h->server_name : "zquic/" ZQUIC_VERSION_STRING;
  nghttp3_nv nv[202]; /* nghttp3 copies names and values: pointers to ours are enough */
  nv[0] = (nghttp3_nv){(uint8_t *)":status", (uint8_t *)status_text, 7, 3, 0};
  nv[1] = (nghttp3_nv){(uint8_t *)"server", (uint8_t *)(uintptr_t)server_text, 6,
                       strlen(server_text), 0};
  int rc = zq_fields_to_nv(headers, n, nv + 2);
  if (rc) return rc;
  static const nghttp3_data_reader reader = {zq_h3_read_body};
  int rv = nghttp3_conn_submit_response(st->conn->h3->session, st->id, nv, n + 2,
                                        has_body ? &reader : NULL);
  if (rv != 0) return zq_error(ZQUIC_ERR_PROTOCOL, "submit response: %s", nghttp3_strerror(rv));
  st->submitted = true;
  zq_conn_schedule(st->conn);
  return ZQUIC_OK;
}

static int respond_check(zq_h3_stream *st) {
  if (st->submitted) return zq_error(ZQUIC_ERR_STATE, "exchange already has a response");
  if (st->closed || !st->conn->h3) return zq_error(ZQUIC_ERR_CLOSED, "exchange stream is closed");
  return ZQUIC_OK;
}

static bool is_head(zq_h3_stream *st) {
  const char *m = zq_fields_get(&st->headers, ":method");
  return m && strcmp(m, "HEAD") == 0;
}

ZQUIC_API int zquic_h3_respond(zquic_h3_exchange *ex, int status, const zquic_h3_header *headers,
                               size_t n_headers, zquic_h3_body_source source, void *body_user) {
  if (!ex || (!headers && n_headers)) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  zq_h3_stream *st = EX(ex);
  zquic_context *ctx = st->conn->ctx;
  bool taken = zq_ctx_enter(ctx);
  int rc = respond_check(st);
  if (rc == 0) {
    bool body = source && !is_head(st);
    st->source = body ? source : NULL;
    st->source_user = body_user;
    st->tx_eof = !body;
    rc = submit_response(st, status, headers, n_headers, body || st->trailers_out.count);
  }
  zq_ctx_leave(ctx, taken);
  return rc;
}

int zq_h3_respond_headers_only(zq_h3_stream *st, int status, const zquic_h3_header *headers,
                               size_t n) {
  int rc = respond_check(st);
  if (rc) return rc;
  st->source = NULL;
  st->tx_eof = true;
  return submit_response(st, status, headers, n, false);
}

int zq_h3_respond_open(zq_h3_stream *st, int status, const zquic_h3_header *headers, size_t n) {
  int rc = respond_check(st);
  if (rc) return rc;
  st->source = NULL;
  st->tx_eof = false;
  return submit_response(st, status, headers, n, true);
}

ZQUIC_API int zquic_h3_respond_bytes(zquic_h3_exchange *ex, int status,
                                     const zquic_h3_header *headers, size_t n_headers,
                                     const void *body, size_t len) {
  if (!ex || (!headers && n_headers) || (!body && len))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  zq_h3_stream *st = EX(ex);
  zquic_context *ctx = st->conn->ctx;
  bool taken = zq_ctx_enter(ctx);
  int rc = respond_check(st);
  if (rc == 0 && len && !is_head(st)) rc = zq_buf_append(&st->tx, body, len);
  if (rc == 0) {
    st->tx_eof = true;
    rc = submit_response(st, status, headers, n_headers, st->tx.len > 0 || st->trailers_out.count);
  }
  zq_ctx_leave(ctx, taken);
  return rc;
}

ZQUIC_API int zquic_h3_exchange_set_trailers(zquic_h3_exchange *ex, const zquic_h3_header *trailers,
                                             size_t n) {
  if (!ex || (!trailers && n)) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  zq_h3_stream *st = EX(ex);
  zquic_context *ctx = st->conn->ctx;
  bool taken = zq_ctx_enter(ctx);
  int rc = ZQUIC_OK;
  if (n > 64) rc = zq_error(ZQUIC_ERR_LIMIT, "at most 64 trailer fields");
  for (size_t i = 0; rc == 0 && i < n; i++) {
    if (!trailers[i].name || !trailers[i].value) {
      rc = zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "trailer %zu: NULL name or value", i);
      break;
    }
    rc = zq_fields_add(&st->trailers_out, (const uint8_t *)trailers[i].name,
                       strlen(trailers[i].name), (const uint8_t *)trailers[i].value,
                       strlen(trailers[i].value));
  }
  zq_ctx_leave(ctx, taken);
  return rc;
}

ZQUIC_API int zquic_h3_exchange_resume(zquic_h3_exchange *ex) {
  if (!ex) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL exchange");
  zq_h3_stream *st = EX(ex);
  zquic_context *ctx = st->conn->ctx;
  bool taken = zq_ctx_enter(ctx);
  if (!st->closed) zq_h3_stream_resume(st);
  zq_ctx_leave(ctx, taken);
  return ZQUIC_OK;
}
