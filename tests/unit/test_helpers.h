/*
 * test_helpers.h — shared set-up for the C API tests: the test PKI directory, a context with a
 * loopback server on port 0, and an echo service that runs on its own threads.
 */
#ifndef ZQ_TEST_HELPERS_H
#define ZQ_TEST_HELPERS_H

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "zquic.h"

static inline const char *cert_path(const char *file) {
  static _Thread_local char buf[8][512];
  static _Thread_local int next;
  const char *dir = getenv("ZQUIC_TEST_CERTS");
  if (!dir) dir = "certs";
  char *out = buf[next++ % 8];
  snprintf(out, 512, "%s/%s", dir, file);
  return out;
}

#define ASSERT_OK(expr)                                                                            \
  do {                                                                                             \
    int rc_ = (expr);                                                                              \
    if (rc_ != ZQUIC_OK) fail_msg("%s = %d (%s): %s", #expr, rc_, zquic_strerror(rc_),            \
                                  zquic_last_error());                                             \
  } while (0)

/* A context + server on 127.0.0.1:0 whose accepted connections echo every stream. */
typedef struct echo_server {
  zquic_context *ctx;
  zquic_server *server;
  pthread_t thread;
  volatile int stop;
  char address[64];
} echo_server;

int echo_server_start(echo_server *es, const char *alpn);
void echo_server_stop(echo_server *es);
/* A client context trusting the test CA. */
zquic_context *client_context(void);

#endif
