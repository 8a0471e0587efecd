/*
 * server.c — a GhostBridge service: an HTTP/3 handler that turns requests into gRPC calls and
 * routes them to registered methods, the default handler or the built-in health service.
 *
 * Requests that are not gRPC go to the fallback HTTP/3 handler when there is one (so a node can
 * serve web pages and gRPC on one port), else 415. Everything a call's request can get wrong is
 * answered here with a status, before the application sees the call: an unknown method
 * (UNIMPLEMENTED), an unknown grpc-encoding (UNIMPLEMENTED), a message over the limit
 * (RESOURCE_EXHAUSTED), framing cut short (INTERNAL), a unary call without exactly one message.
 */
#include <stdlib.h>
#include <string.h>

#include "grpc_internal.h"

#define EXCHANGE(st) ((zquic_h3_exchange *)(void *)(st))
/* st->service of a request handed to the fallback handler. */
static char fallback_mark;

static const zquic_grpc_method *find_method(zquic_grpc_server *srv, const char *path,
                                            bool *builtin) {
  *builtin = false;
  for (size_t i = 0; i < srv->n_routes; i++)
    if (!strcmp(srv->routes[i].path, path)) return &srv->routes[i].method;
  if (srv->health && !strcmp(path, "/grpc.health.v1.Health/Check")) {
    *builtin = true;
    return NULL;
  }
  return srv->default_method.on_call ? &srv->default_method : NULL;
}

static void on_deadline(uv_timer_t *t) {
  zquic_grpc_server_call *call = t->data;
  zquic_context *ctx = call->ctx;
  pthread_mutex_lock(&ctx->lock);
  zq_grpc_server_call_abort(call, ZQ_GRPC_DEADLINE_EXCEEDED, "deadline exceeded");
  zq_ctx_flush_dirty(ctx);
  zq_ctx_unlock(ctx);
}

/* Hand the call to the application (it then holds a reference until finish). */
static void deliver(zquic_grpc_server_call *call, const uint8_t *request, size_t len) {
  call->app_holds = true;
  call->refs++;
  call->method.on_call(call, request, len, call->method.user);
}

static zquic_grpc_server_call *call_new(zquic_grpc_server *srv, zq_h3_stream *st) {
  zquic_grpc_server_call *call = calloc(1, sizeof(*call));
  if (!call) return NULL;
  call->srv = srv;
  call->ctx = srv->ctx;
  call->st = st;
  call->refs = 1;
  zq_grpc_deframer_init(&call->deframer, srv->max_receive);
  const char *path = zq_fields_get(&st->headers, ":path");
  call->path = strdup(path ? path : "");
  static const char *const skip[] = {"content-type", "te", "grpc-timeout", "grpc-encoding",
                                     "grpc-accept-encoding", "user-agent", NULL};
  if (!call->path || zq_grpc_md_add_fields(&call->md_in, &st->headers, skip) != 0) {
    zq_grpc_server_call_unref(call);
    return NULL;
  }
  return call;
}

/* Start the deadline the client asked for (grpc-timeout); a malformed value is ignored. */
static void arm_deadline(zquic_grpc_server_call *call, const char *timeout_text) {
  int64_t ns = zq_grpc_timeout_parse(timeout_text);
  if (ns < 0) return;
  uint64_t ms = (uint64_t)ns / 1000000 + ((uint64_t)ns % 1000000 != 0);
  if (ms > (uint64_t)30 * 24 * 3600 * 1000) return; /* a month: effectively none */
  call->deadline_ns = zq_now_ns() + (uint64_t)ns;
  uv_timer_init(&call->ctx->loop, &call->timer);
  call->timer.data = call;
  call->timer_inited = true;
  uv_timer_start(&call->timer, on_deadline, ms, 0);
}

static void respond_plain(zq_h3_stream *st, int status, const char *text) {
  zquic_h3_header h[] = {{"content-type", "text/plain"}};
  /* Under the lock on the loop thread: the internal path, not the public (locking) one. */
  if (zq_h3_respond_open(st, status, h, 1) == 0) {
    zq_buf_append(&st->tx, text, strlen(text));
    st->tx_eof = true;
    zq_h3_stream_resume(st);
  }
}

static void on_request(zquic_h3_exchange *ex, void *user) {
  zquic_grpc_server *srv = user;
  zq_h3_stream *st = (zq_h3_stream *)(void *)ex;
  const char *ctype = zq_fields_get(&st->headers, "content-type");
  if (!zq_grpc_content_type_ok(ctype)) {
    if (srv->has_fallback) {
      st->service = &fallback_mark;
      srv->fallback.on_request(ex, srv->fallback.user);
    } else {
      respond_plain(st, 415, "gRPC requests need content-type application/grpc\n");
    }
    return;
  }
  const char *method = zq_fields_get(&st->headers, ":method");
  if (!method || strcmp(method, "POST") != 0) {
    respond_plain(st, 405, "gRPC requests use POST\n");
    return;
  }
  zquic_grpc_server_call *call = call_new(srv, st);
  if (!call) {
    respond_plain(st, 500, "out of memory\n");
    return;
  }
  st->service = call;
  arm_deadline(call, zq_fields_get(&st->headers, "grpc-timeout"));
  const char *accept = zq_fields_get(&st->headers, "grpc-accept-encoding");
  call->gzip_out = srv->compress && accept && strstr(accept, "gzip");
  const char *enc = zq_fields_get(&st->headers, "grpc-encoding");
  if (enc && !strcmp(enc, "gzip")) call->gzip_in = true;
  else if (enc && strcmp(enc, "identity") != 0) {
    zq_grpc_server_call_abort(call, ZQ_GRPC_UNIMPLEMENTED, "unsupported grpc-encoding");
    return;
  }
  const zquic_grpc_method *m = find_method(srv, call->path, &call->builtin);
  if (!m && !call->builtin) {
    char text[160];
    snprintf(text, sizeof(text), "unknown method %.120s", call->path);
    zq_grpc_server_call_abort(call, ZQ_GRPC_UNIMPLEMENTED, text);
    return;
  }
  if (m) call->method = *m;
  if (m && m->kind == ZQUIC_GRPC_METHOD_STREAMING) deliver(call, NULL, 0);
}

static int on_message(void *user, const uint8_t *msg, size_t len, bool compressed) {
  zquic_grpc_server_call *call = user;
  uint8_t *plain = NULL;
  if (compressed) {
    if (!call->gzip_in) return ZQ_GRPC_INTERNAL; /* flag set without grpc-encoding */
    size_t plain_len;
    int status = zq_grpc_gunzip(msg, len, call->srv->max_receive, &plain, &plain_len);
    if (status || !plain) return status ? status : ZQ_GRPC_INTERNAL;
    msg = plain;
    len = plain_len;
  }
  call->n_messages++;
  int status = ZQ_GRPC_OK;
  if (call->method.kind == ZQUIC_GRPC_METHOD_STREAMING && !call->builtin) {
    if (!call->finished && call->method.on_message)
      call->method.on_message(call, msg, len, call->method.user);
  } else if (call->n_messages > 1) {
    status = ZQ_GRPC_UNIMPLEMENTED; /* gRPC's answer to a second message on a unary method */
  } else if (plain) {
    call->request = plain;
    call->request_len = len;
    plain = NULL;
  } else if ((call->request = malloc(len ? len : 1)) != NULL) {
    if (len) memcpy(call->request, msg, len);
    call->request_len = len;
  } else {
    status = ZQ_GRPC_INTERNAL;
  }
  free(plain);
  return status;
}

static void on_body(zquic_h3_exchange *ex, const uint8_t *data, size_t len, void *user) {
  zquic_grpc_server *srv = user;
  zq_h3_stream *st = (zq_h3_stream *)(void *)ex;
  if (st->service == &fallback_mark) {
    if (srv->fallback.on_body) srv->fallback.on_body(ex, data, len, srv->fallback.user);
    return;
  }
  zquic_grpc_server_call *call = st->service;
  if (!call || call->finished) return;
  int status = zq_grpc_deframer_feed(&call->deframer, data, len, on_message, call);
  if (status == ZQ_GRPC_RESOURCE_EXHAUSTED)
    zq_grpc_server_call_abort(call, status, "request message larger than the server's limit");
  else if (status == ZQ_GRPC_UNIMPLEMENTED)
    zq_grpc_server_call_abort(call, status, "more than one request message on a unary method");
  else if (status)
    zq_grpc_server_call_abort(call, status, "malformed or undecodable request message");
}

static void on_request_end(zquic_h3_exchange *ex, void *user) {
  zquic_grpc_server *srv = user;
  zq_h3_stream *st = (zq_h3_stream *)(void *)ex;
  if (st->service == &fallback_mark) {
    if (srv->fallback.on_request_end) srv->fallback.on_request_end(ex, srv->fallback.user);
    return;
  }
  zquic_grpc_server_call *call = st->service;
  if (!call || call->finished) return;
  if (zq_grpc_deframer_finish(&call->deframer) != ZQ_GRPC_OK) {
    zq_grpc_server_call_abort(call, ZQ_GRPC_INTERNAL,
                              "request body ended inside a message (length beyond the body)");
    return;
  }
  if (call->method.kind == ZQUIC_GRPC_METHOD_STREAMING && !call->builtin) {
    if (call->method.on_half_close) call->method.on_half_close(call, call->method.user);
    return;
  }
  if (call->n_messages != 1) {
    zq_grpc_server_call_abort(call, ZQ_GRPC_UNIMPLEMENTED, "unary method without a request");
    return;
  }
  if (call->builtin) zq_grpc_health_check(call, call->request, call->request_len);
  else deliver(call, call->request, call->request_len);
}

static void on_close(zquic_h3_exchange *ex, void *user) {
  zquic_grpc_server *srv = user;
  zq_h3_stream *st = (zq_h3_stream *)(void *)ex;
  if (st->service == &fallback_mark) {
    if (srv->fallback.on_close) srv->fallback.on_close(ex, srv->fallback.user);
    return;
  }
  zquic_grpc_server_call *call = st->service;
  if (!call) return;
  st->service = NULL;
  if (call->timer_inited) uv_timer_stop(&call->timer);
  if (!call->finished) {
    call->finished = true;
    call->cancelled = true;
    if (call->app_holds && call->method.on_cancel) call->method.on_cancel(call, call->method.user);
  }
  call->st = NULL;
  zq_grpc_server_call_unref(call); /* the exchange's */
}

/* ---- the service object --------------------------------------------------------------------- */

ZQUIC_API void zquic_grpc_server_config_init(zquic_grpc_server_config *cfg) {
  if (!cfg) return;
  memset(cfg, 0, sizeof(*cfg));
  cfg->struct_size = sizeof(*cfg);
  cfg->max_receive_message = ZQ_GRPC_DEFAULT_MAX_MESSAGE;
  cfg->health = 1;
}

ZQUIC_API void zquic_grpc_method_init(zquic_grpc_method *method) {
  if (!method) return;
  memset(method, 0, sizeof(*method));
  method->struct_size = sizeof(*method);
}

ZQUIC_API int zquic_grpc_server_create(zquic_context *ctx, const zquic_grpc_server_config *cfg,
                                       zquic_grpc_server **out) {
  if (out) *out = NULL;
  if (!ctx || !out) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  zquic_grpc_server_config c;
  zquic_grpc_server_config_init(&c);
  if (cfg) {
    if (cfg->struct_size == 0 || cfg->struct_size > sizeof(c))
      return zq_error(ZQUIC_ERR_INVALID_ARGUMENT,
                      "grpc server config: call zquic_grpc_server_config_init first");
    memcpy(&c, cfg, cfg->struct_size);
  }
  if (c.fallback && (c.fallback->struct_size == 0 ||
                     c.fallback->struct_size > sizeof(zquic_h3_handler_config) ||
                     !c.fallback->on_request))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "fallback handler: init it and set on_request");
  zquic_grpc_server *srv = calloc(1, sizeof(*srv));
  if (!srv) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  srv->ctx = ctx;
  srv->max_receive = c.max_receive_message ? c.max_receive_message : ZQ_GRPC_DEFAULT_MAX_MESSAGE;
  srv->health = c.health != 0;
  srv->compress = c.compress != 0;
  zquic_grpc_method_init(&srv->default_method);
  srv->default_method.on_call = c.handler;
  srv->default_method.user = c.user;
  if (c.fallback) {
    zquic_h3_handler_config_init(&srv->fallback);
    memcpy(&srv->fallback, c.fallback, c.fallback->struct_size);
    srv->has_fallback = true;
  }
  zquic_h3_handler_config_init(&srv->h3);
  srv->h3.on_request = on_request;
  srv->h3.on_body = on_body;
  srv->h3.on_request_end = on_request_end;
  srv->h3.on_close = on_close;
  srv->h3.user = srv;
  if (c.fallback) srv->h3.server_name = c.fallback->server_name;
  *out = srv;
  zq_error_clear();
  return ZQUIC_OK;
}

ZQUIC_API const zquic_h3_handler_config *zquic_grpc_server_h3_handler(zquic_grpc_server *srv) {
  return srv ? &srv->h3 : NULL;
}

static char *service_of(const char *path) {
  const char *p = path + 1, *slash = strchr(p, '/');
  return slash ? strndup(p, (size_t)(slash - p)) : NULL;
}

ZQUIC_API int zquic_grpc_server_register(zquic_grpc_server *srv, const char *path,
                                         const zquic_grpc_method *method) {
  if (!srv || !path || !method) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  if (method->struct_size == 0 || method->struct_size > sizeof(zquic_grpc_method) ||
      !method->on_call)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "method: call zquic_grpc_method_init and set "
                                                "on_call");
  if (method->kind != ZQUIC_GRPC_METHOD_UNARY && method->kind != ZQUIC_GRPC_METHOD_STREAMING)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "method kind %d unknown", method->kind);
  const char *slash = path[0] == '/' ? strchr(path + 1, '/') : NULL;
  if (!slash || slash == path + 1 || !slash[1] || strchr(slash + 1, '/'))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "path must be /package.Service/Method");
  zquic_grpc_method m;
  zquic_grpc_method_init(&m);
  memcpy(&m, method, method->struct_size);
  bool taken = zq_ctx_enter(srv->ctx);
  int rc = ZQUIC_OK;
  size_t i = 0;
  while (i < srv->n_routes && strcmp(srv->routes[i].path, path) != 0) i++;
  if (i < srv->n_routes) {
    srv->routes[i].method = m;
  } else {
    zq_grpc_route *r = realloc(srv->routes, (srv->n_routes + 1) * sizeof(*r));
    char *copy = strdup(path);
    if (r) srv->routes = r;
    if (!r || !copy) {
      free(copy);
      rc = zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
    } else {
      srv->routes[srv->n_routes++] = (zq_grpc_route){copy, m};
    }
  }
  zq_ctx_leave(srv->ctx, taken);
  char *service = rc == 0 ? service_of(path) : NULL;
  if (service) {
    /* A service with a method is reported SERVING unless the application said otherwise. */
    bool known = false;
    taken = zq_ctx_enter(srv->ctx);
    for (size_t k = 0; k < srv->n_health; k++) known |= !strcmp(srv->health_entries[k].service, service);
    zq_ctx_leave(srv->ctx, taken);
    if (!known) rc = zquic_grpc_server_set_health(srv, service, 1);
    free(service);
  }
  return rc;
}

ZQUIC_API void zquic_grpc_server_free(zquic_grpc_server *srv) {
  if (!srv) return;
  if (srv->server) zquic_server_free(srv->server);
  for (size_t i = 0; i < srv->n_routes; i++) free(srv->routes[i].path);
  for (size_t i = 0; i < srv->n_health; i++) free(srv->health_entries[i].service);
  free(srv->routes);
  free(srv->health_entries);
  free(srv);
}
