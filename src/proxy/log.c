/*
 * log.c — Wraith's operational log: one line per event (backend up or down, a reload refused,
 * a backend that failed a request) on stderr, where `zquic proxy` and the node keep their logs.
 */
#include <stdarg.h>
#include <stdio.h>

#include "proxy_internal.h"

void zq_px_log(zq_proxy *px, const char *fmt, ...) {
  (void)px;
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  fprintf(stderr, "zquic proxy: %s\n", line);
}
