/*
 * fuzz_url.c — libFuzzer target for the command line's URL parser (cli_parse_url, `zquic get`) and
 * the static server's request-path decoder (cli_decode_path, fed by any HTTP/3 client). Byte 0
 * picks the parser and, for the decoder, the output capacity (small ones probe the bounds).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"

static void check_url(const char *text) {
  url_parts u;
  memset(&u, 0x5a, sizeof(u));
  if (cli_parse_url(text, &u) != 0) return;
  if (strnlen(u.authority, sizeof(u.authority)) == sizeof(u.authority) ||
      strnlen(u.host, sizeof(u.host)) == sizeof(u.host) ||
      strnlen(u.connect, sizeof(u.connect)) == sizeof(u.connect) || !u.host[0] ||
      u.path[0] != '/')
    abort();
}

static void check_path(const char *text, size_t cap) {
  char *out = malloc(cap); /* exact size: ASan catches a write past it */
  if (cli_decode_path(text, out, cap) == 0) {
    size_t n = strnlen(out, cap);
    if (n == cap || out[0] != '/') abort();
    for (const char *s = out; (s = strstr(s, "..")); s += 2)
      if ((s == out || s[-1] == '/') && (s[2] == '/' || s[2] == '\0')) abort();
  }
  free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > 8192) return 0;
  char *text = malloc(size);
  memcpy(text, data + 1, size - 1);
  text[size - 1] = '\0';
  if (data[0] & 1) check_url(text);
  else check_path(text, data[0] & 0x80 ? 1024 : 1 + (data[0] >> 1) % 32);
  free(text);
  return 0;
}
