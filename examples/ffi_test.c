/*
 * ffi_test.c — the smallest complete zquic program: connect to an HTTP/3 server by host name,
 * verify its certificate against a CA file, GET a path and print the status, the headers and the
 * body size. Built against the *installed* header and library:
 *
 *   cc ffi_test.c $(pkg-config --cflags --libs zquic) -o ffi_test
 *   ./ffi_test localhost:4433 ~/.local/state/zquic/cert.pem /
 *
 * Every call returns ZQUIC_OK or a negative code; zquic_last_error() says why.
 */
#include <stdio.h>
#include <stdlib.h>

#include <zquic.h>

static int check(int rc, const char *what) {
  if (rc != ZQUIC_OK)
    fprintf(stderr, "ffi_test: %s failed: %s (%s)\n", what, zquic_strerror(rc), zquic_last_error());
  return rc;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: ffi_test HOST:PORT CA_FILE PATH\n");
    return 2;
  }
  printf("%s\n", zquic_version());

  zquic_config cfg;
  zquic_config_init(&cfg); /* defaults first, then the fields we care about */
  cfg.ca_file = argv[2];
  cfg.alpn = "h3";
  zquic_context *ctx = NULL;
  if (check(zquic_init(&cfg, &ctx), "zquic_init")) return 1;

  int status = 1;
  zquic_connection *conn = NULL;
  zquic_h3_request *req = NULL;
  if (check(zquic_create_connection(ctx, argv[1], &conn), "connect")) goto out;
  printf("connected, ALPN %s\n", zquic_connection_alpn(conn));

  if (check(zquic_h3_request_start(conn, "GET", argv[3], NULL, NULL, 0, 1, &req), "request"))
    goto out;
  int http_status = 0;
  if (check(zquic_h3_response_wait(req, 5000, &http_status), "response")) goto out;
  printf("status %d\n", http_status);
  const char *name, *value;
  for (size_t i = 0; zquic_h3_response_header(req, i, &name, &value) == ZQUIC_OK; i++)
    printf("  %s: %s\n", name, value);

  size_t total = 0, n = 0;
  char buf[16384];
  do {
    if (check(zquic_h3_response_read(req, buf, sizeof(buf), 5000, &n), "read")) goto out;
    total += n;
  } while (n > 0);
  printf("body %zu bytes\n", total);
  status = http_status == 200 ? 0 : 1;

out:
  zquic_h3_request_free(req);    /* each handle is released by its own function... */
  zquic_close_connection(conn);
  zquic_destroy(ctx);            /* ...and the context last */
  return status;
}
