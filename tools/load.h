/* load.h — the load mode of `zquic get` (see load.c). */
#ifndef ZQ_LOAD_H
#define ZQ_LOAD_H

#include "zquic.h"

typedef struct load_params {
  zquic_context *ctx;
  zquic_connection *shared;        /* one connection for all requests, or NULL: one each */
  const char *address, *path, *authority;
  const zquic_connect_options *connect_options;
  long requests;
  int concurrency, timeout_ms;
} load_params;

/* Run the requests, print the summary to stdout; returns an exit code. */
int load_run_all(const load_params *p);

#endif
