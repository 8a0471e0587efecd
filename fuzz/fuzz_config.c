/*
 * fuzz_config.c — the node's configuration reader (tools/node_config.c, on libconfig) with
 * arbitrary file contents: it must accept or refuse with a "FILE:LINE: what" message, never crash,
 * and never leave a setting half-written into a string it could overflow.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "node_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static char path[64];
  if (!path[0]) snprintf(path, sizeof(path), "/tmp/zquic-fuzz-config-%d.cfg", (int)getpid());
  FILE *f = fopen(path, "wb");
  if (!f) return 0;
  fwrite(data, 1, size, f);
  fclose(f);
  node_config c;
  node_config_defaults(&c);
  char error[512] = "";
  if (node_config_load(&c, path, error, sizeof(error)) != 0) {
    if (!error[0]) abort(); /* a refusal always says why */
  } else {
    /* Accepted values are NUL-terminated within their fields. */
    if (memchr(c.listen, 0, sizeof(c.listen)) == NULL || memchr(c.cert, 0, sizeof(c.cert)) == NULL)
      abort();
  }
  return 0;
}
