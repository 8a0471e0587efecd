/*
 * net_upload.c — the upload half of the bad-network tests, driven by tests/net/impair.sh.
 *
 * `zquic get` only sends small inline bodies, so the client->server direction is exercised
 * through the C API on a raw stream, with the echo server of the API tests (test_helpers.c),
 * which hashes everything after a "SHA256\n" line and answers with the hex digest:
 *
 *   net_upload serve PORT_FILE     echo server on 127.0.0.1:0; writes its port; runs until
 *                                  SIGTERM/SIGINT (or 120 s, so a lost test never lingers)
 *   net_upload upload ADDR MIB     sends MIB MiB of reproducible incompressible bytes to ADDR
 *                                  (normally the relay in front of the server) and compares the
 *                                  server's SHA-256 with its own; exit 0 only if they match
 */
#include "test_helpers.h"

#include <gnutls/crypto.h>
#include <signal.h>
#include <time.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int serve(const char *port_file) {
  /* Block the stop signals before the library starts its threads, so only sigtimedwait sees
   * them and no library system call is interrupted. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  echo_server es;
  if (echo_server_start(&es, NULL) != ZQUIC_OK) {
    fprintf(stderr, "net_upload: server: %s\n", zquic_last_error());
    return 1;
  }
  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
  FILE *f = fopen(tmp, "w");
  if (!f || fprintf(f, "%d\n", zquic_server_port(es.server)) < 0 || fclose(f) != 0 ||
      rename(tmp, port_file) != 0) { /* readers never see a half-written file */
    perror("net_upload: port file");
    return 1;
  }
  struct timespec limit = {.tv_sec = 120};
  sigtimedwait(&set, NULL, &limit);
  echo_server_stop(&es);
  return 0;
}

static int upload(const char *address, size_t mib) {
  const size_t total = mib << 20, chunk = 256 * 1024;
  zquic_context *ctx = client_context();
  if (!ctx) {
    fprintf(stderr, "net_upload: context: %s\n", zquic_last_error());
    return 1;
  }
  double t0 = now_s();
  zquic_connection *conn = NULL;
  zquic_stream *s = NULL;
  int rc = zquic_create_connection(ctx, address, &conn);
  if (rc == ZQUIC_OK) rc = zquic_stream_open(conn, ZQUIC_STREAM_BIDI, 5000, &s);
  if (rc == ZQUIC_OK) rc = zquic_stream_send(s, "SHA256\n", 7, 0, 5000, NULL);
  gnutls_hash_hd_t hash;
  gnutls_hash_init(&hash, GNUTLS_DIG_SHA256);
  uint8_t *buf = malloc(chunk);
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (size_t sent = 0; rc == ZQUIC_OK && sent < total; sent += chunk) {
    for (size_t i = 0; i < chunk; i += 8) { /* xorshift: incompressible, reproducible */
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      memcpy(buf + i, &x, 8);
    }
    gnutls_hash(hash, buf, chunk);
    /* Generous per-call timeout: at 5% loss a 1 MiB send buffer can take seconds to drain. */
    rc = zquic_stream_send(s, buf, chunk, sent + chunk == total, 30000, NULL);
  }
  free(buf);
  uint8_t digest[32];
  char expect[65], got[80];
  gnutls_hash_deinit(hash, digest);
  for (int i = 0; i < 32; i++) sprintf(expect + 2 * i, "%02x", digest[i]);
  size_t len = 0;
  while (rc == ZQUIC_OK) {
    size_t n = 0;
    rc = zquic_stream_receive(s, got + len, sizeof(got) - 1 - len, 30000, &n);
    if (rc != ZQUIC_OK || n == 0) break;
    len += n;
    if (len == sizeof(got) - 1) break;
  }
  int status = 1;
  if (rc != ZQUIC_OK) {
    fprintf(stderr, "net_upload: %s: %s\n", zquic_strerror(rc), zquic_last_error());
  } else {
    got[len] = '\0';
    if (len == 64 && strcmp(got, expect) == 0) {
      printf("uploaded %zu MiB in %.2f s, sha256 %s matches\n", mib, now_s() - t0, expect);
      status = 0;
    } else {
      fprintf(stderr, "net_upload: server's sha256 \"%s\" != ours %s\n", got, expect);
    }
  }
  zquic_close_stream(s);
  zquic_close_connection(conn);
  zquic_destroy(ctx);
  return status;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "serve") == 0) return serve(argv[2]);
  if (argc == 4 && strcmp(argv[1], "upload") == 0 && atoi(argv[3]) > 0)
    return upload(argv[2], (size_t)atoi(argv[3]));
  fprintf(stderr, "usage: net_upload serve PORT_FILE | net_upload upload ADDR MIB\n");
  return 2;
}
