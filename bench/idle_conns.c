/*
 * idle_conns.c — open N HTTP/3 connections to ADDRESS, make one request on each so the server has
 * done its full per-connection work, then hold them all open for SECONDS and close them. Used by
 * bench/conns.sh to measure a server's resident memory per idle connection.
 *   idle_conns ADDRESS CA_FILE N SECONDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "zquic.h"

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: idle_conns ADDRESS CA_FILE N SECONDS\n");
    return 2;
  }
  int n = atoi(argv[3]), seconds = atoi(argv[4]);
  zquic_config cfg;
  zquic_config_init(&cfg);
  cfg.ca_file = argv[2];
  cfg.idle_timeout_ms = (uint32_t)(seconds + 30) * 1000;
  zquic_context *ctx;
  if (zquic_init(&cfg, &ctx) != ZQUIC_OK) return 1;
  zquic_connection **conns = calloc((size_t)n, sizeof(*conns));
  int opened = 0;
  for (int i = 0; i < n; i++) {
    if (zquic_create_connection(ctx, argv[1], &conns[i]) != ZQUIC_OK) {
      fprintf(stderr, "idle_conns: connection %d: %s\n", i, zquic_last_error());
      break;
    }
    zquic_h3_request *req;
    int status = 0;
    char body[256];
    size_t got = 1;
    if (zquic_h3_request_start(conns[i], "GET", "/", NULL, NULL, 0, 1, &req) == ZQUIC_OK) {
      zquic_h3_response_wait(req, 5000, &status);
      while (got > 0 && zquic_h3_response_read(req, body, sizeof(body), 5000, &got) == ZQUIC_OK) {
      }
      zquic_h3_request_free(req);
    }
    opened++;
  }
  printf("open %d\n", opened);
  fflush(stdout);
  sleep((unsigned)seconds);
  for (int i = 0; i < opened; i++) zquic_close_connection(conns[i]);
  free(conns);
  zquic_destroy(ctx);
  return opened == n ? 0 : 1;
}
