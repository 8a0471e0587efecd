/*
 * grpc_echo.c — the GhostBridge service `zquic grpc serve` and `zquic node` run by default:
 * every method (or each of a given list) answers with the request it got, and the library's
 * health service reports SERVING. It is what interop tests and benchmarks call, and a quick way
 * to see that a node's gRPC side is up.
 *
 * Like the Go peer's echo server, request metadata can ask for a different answer:
 * "x-echo-status: N" and "x-echo-message: TEXT" end the call with that status, and
 * "x-echo-delay-ms: N" answers N ms later from another thread (a deferred answer; the client's
 * deadline, if shorter, ends the call first and the late answer is dropped).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

typedef struct late_answer {
  zquic_grpc_server_call *call;
  long delay_ms;
  size_t len;
  uint8_t data[];
} late_answer;

/* Metadata value as a number in [0, max], or -1. */
static long md_number(zquic_grpc_server_call *call, const char *key, long max) {
  const uint8_t *v;
  size_t len;
  if (zquic_grpc_server_call_metadata(call, key, &v, &len) != ZQUIC_OK || len == 0 || len > 9)
    return -1;
  char *end;
  long n = strtol((const char *)v, &end, 10);
  return *end || n < 0 || n > max ? -1 : n;
}

static void answer(zquic_grpc_server_call *call, const uint8_t *request, size_t len) {
  long status = md_number(call, "x-echo-status", 16);
  if (status > 0) {
    const uint8_t *msg = NULL;
    size_t mlen;
    zquic_grpc_server_call_metadata(call, "x-echo-message", &msg, &mlen);
    zquic_grpc_server_call_finish(call, (int)status, (const char *)msg, NULL, 0);
    return;
  }
  int rc = zquic_grpc_server_call_reply(call, request, len);
  if (rc && rc != ZQUIC_ERR_CANCELLED)
    cli_log(1, "grpc: %s: reply failed: %s", zquic_grpc_server_call_method(call),
            zquic_last_error());
}

static void *answer_later(void *arg) {
  late_answer *la = arg;
  usleep((useconds_t)la->delay_ms * 1000);
  answer(la->call, la->data, la->len);
  free(la);
  return NULL;
}

static void echo(zquic_grpc_server_call *call, const uint8_t *request, size_t len, void *user) {
  (void)user;
  long delay_ms = md_number(call, "x-echo-delay-ms", 60000);
  late_answer *la = delay_ms > 0 ? malloc(sizeof(*la) + len) : NULL;
  pthread_t t;
  if (la) {
    la->call = call;
    la->delay_ms = delay_ms;
    la->len = len;
    memcpy(la->data, request, len);
    if (pthread_create(&t, NULL, answer_later, la) == 0) {
      pthread_detach(t);
      return;
    }
    free(la);
  }
  answer(call, request, len);
}

int grpc_echo_create(zquic_context *ctx, const zquic_h3_handler_config *fallback,
                     uint32_t max_message, const char *methods, zquic_grpc_server **out) {
  zquic_grpc_server_config cfg;
  zquic_grpc_server_config_init(&cfg);
  cfg.handler = methods ? NULL : echo;
  cfg.fallback = fallback;
  if (max_message) cfg.max_receive_message = max_message;
  int rc = zquic_grpc_server_create(ctx, &cfg, out);
  char *list = methods && rc == 0 ? strdup(methods) : NULL;
  char *save = NULL;
  zquic_grpc_method m;
  zquic_grpc_method_init(&m);
  m.on_call = echo;
  for (char *p = list ? strtok_r(list, ",", &save) : NULL; p && rc == 0;
       p = strtok_r(NULL, ",", &save))
    rc = zquic_grpc_server_register(*out, p, &m);
  free(list);
  if (rc && *out) {
    zquic_grpc_server_free(*out);
    *out = NULL;
  }
  return rc;
}
