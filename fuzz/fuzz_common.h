/*
 * fuzz_common.h — what the network fuzz targets share: a throw-away certificate made at start-up,
 * a real zquic context with an HTTP/3 server on 127.0.0.1:0, and a sink socket that stands in for
 * the fuzzed peer's address (so the server's replies go somewhere harmless).
 */
#ifndef ZQ_FUZZ_COMMON_H
#define ZQ_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "zquic.h"

typedef struct fuzz_env {
  char cert_file[256], key_file[256], ca_file[256];
  zquic_context *ctx;
  zquic_server *server;
  zquic_grpc_server *grpc; /* the server's HTTP/3 handler: GhostBridge, plain HTTP/3 behind it */
  int sink_fd;                  /* UDP socket the injected datagrams claim to come from */
  struct sockaddr_storage sink; /* its address */
  socklen_t sink_len;
  char server_address[64];      /* "127.0.0.1:PORT" */
} fuzz_env;

/* Make the certificate, context, HTTP/3 server and sink; aborts on failure (a fuzzer that cannot
 * start must not report success). The environment lives until exit. */
fuzz_env *fuzz_env_get(void);

/* Feed one datagram to the server endpoint as if sent from the sink (or `from` when not NULL). */
void fuzz_inject(fuzz_env *env, const struct sockaddr_storage *from, socklen_t fromlen,
                 const uint8_t *pkt, size_t len);

/* Close every connection the server has, so that one input's state never leaks into the next. */
void fuzz_reset_server(fuzz_env *env);

/* Read and drop whatever the server sent to the sink. */
void fuzz_drain_sink(fuzz_env *env);

/* Split a fuzz input into datagrams: each is [u16 big-endian length][bytes]; a short tail is the
 * last datagram. Returns false when nothing is left. */
typedef struct fuzz_reader {
  const uint8_t *p;
  size_t left;
} fuzz_reader;
bool fuzz_next_chunk(fuzz_reader *r, const uint8_t **chunk, size_t *len);

#endif
