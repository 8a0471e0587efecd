/*
 * health.c — the standard health service (grpc.health.v1.Health/Check) every GhostBridge server
 * answers, and zquic_grpc_serve, the original one-call way to stand a gRPC server up.
 *
 * HealthCheckRequest is { string service = 1; } and HealthCheckResponse { ServingStatus status =
 * 1; } (SERVING = 1, NOT_SERVING = 2): small enough to read and write by hand, so the library
 * needs no protobuf runtime. "" names the server as a whole, which is SERVING; a service the
 * server does not know gets NOT_FOUND, as the health protocol asks.
 */
#include <stdlib.h>
#include <string.h>

#include "grpc_internal.h"

void zq_grpc_health_check(zquic_grpc_server_call *call, const uint8_t *req, size_t len) {
  zquic_grpc_server *srv = call->srv;
  const uint8_t *name = NULL;
  size_t name_len = 0;
  int found = zq_grpc_pb_string_field1(req, len, &name, &name_len);
  /* The application-facing calls below need the application's reference. */
  call->app_holds = true;
  call->refs++;
  if (found < 0) {
    zquic_grpc_server_call_finish(call, ZQ_GRPC_INVALID_ARGUMENT,
                                  "malformed HealthCheckRequest", NULL, 0);
    return;
  }
  int status = found && name_len ? -1 : 1;
  for (size_t i = 0; status < 0 && i < srv->n_health; i++) {
    const char *svc = srv->health_entries[i].service;
    if (strlen(svc) == name_len && !memcmp(svc, name, name_len))
      status = srv->health_entries[i].status;
  }
  if (found && name_len == 0) {
    for (size_t i = 0; i < srv->n_health; i++)
      if (!srv->health_entries[i].service[0]) status = srv->health_entries[i].status;
  }
  if (status < 0) {
    zquic_grpc_server_call_finish(call, ZQ_GRPC_NOT_FOUND, "unknown service", NULL, 0);
    return;
  }
  uint8_t reply[2] = {0x08, (uint8_t)status}; /* field 1, varint */
  zquic_grpc_server_call_reply(call, reply, sizeof(reply));
}

ZQUIC_API int zquic_grpc_server_set_health(zquic_grpc_server *srv, const char *service,
                                           int serving_status) {
  if (!srv || !service) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  if (serving_status != 1 && serving_status != 2)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "serving status is 1 (SERVING) or 2 "
                                                "(NOT_SERVING)");
  bool taken = zq_ctx_enter(srv->ctx);
  int rc = ZQUIC_OK;
  size_t i = 0;
  while (i < srv->n_health && strcmp(srv->health_entries[i].service, service) != 0) i++;
  if (i == srv->n_health) {
    zq_grpc_health_entry *e = realloc(srv->health_entries, (i + 1) * sizeof(*e));
    char *copy = strdup(service);
    if (e) srv->health_entries = e;
    if (!e || !copy) {
      free(copy);
      rc = zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
    } else {
      srv->health_entries[srv->n_health++] = (zq_grpc_health_entry){copy, 0};
    }
  }
  if (rc == 0) srv->health_entries[i].status = serving_status;
  zq_ctx_leave(srv->ctx, taken);
  return rc;
}

ZQUIC_API int zquic_grpc_serve(zquic_context *ctx, zquic_grpc_handler handler, void *user,
                               zquic_grpc_server **out) {
  if (out) *out = NULL;
  if (!ctx || !handler || !out) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  zquic_grpc_server_config cfg;
  zquic_grpc_server_config_init(&cfg);
  cfg.handler = handler;
  cfg.user = user;
  zquic_grpc_server *srv;
  int rc = zquic_grpc_server_create(ctx, &cfg, &srv);
  if (rc) return rc;
  zquic_server_config scfg;
  zquic_server_config_init(&scfg);
  scfg.h3 = &srv->h3;
  if ((rc = zquic_create_server(ctx, &scfg, &srv->server)) != 0) {
    zquic_grpc_server_free(srv);
    return rc;
  }
  *out = srv;
  return ZQUIC_OK;
}

ZQUIC_API int zquic_grpc_server_port(const zquic_grpc_server *srv) {
  if (!srv) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL server");
  if (!srv->server) return zq_error(ZQUIC_ERR_STATE, "this service has no server of its own");
  return zquic_server_port(srv->server);
}
