/*
 * fuzz_addr.c — libFuzzer target for address text ("host:port", "[v6]:port": zq_addr_split, then
 * zq_addr_resolve and zq_addr_format for numeric hosts only, so that no input makes a DNS query)
 * and ALPN lists (zq_alpn_parse). Byte 0 picks which; the rest is the text.
 */
#include <stdlib.h>
#include <string.h>

#include "../src/core/internal.h"

static void check_split(const char *text) {
  char host[256];
  uint16_t port = 0;
  memset(host, 0x5a, sizeof(host));
  if (zq_addr_split(text, host, sizeof(host), &port) != ZQUIC_OK) return;
  /* A success must give a terminated, non-empty host that was part of the text. */
  size_t hlen = strnlen(host, sizeof(host));
  if (hlen == 0 || hlen == sizeof(host) || !strstr(text, host)) abort();
  if (!zq_host_is_ip(host)) return;
  zq_addr addr;
  if (zq_addr_resolve(host, port, 0, &addr) != ZQUIC_OK) return;
  char out[80];
  zq_addr_format(&addr, out, sizeof(out));
  if (zq_addr_port(&addr) != port) abort();
}

static void check_alpn(const char *text) {
  zq_alpn_list list;
  if (zq_alpn_parse(text, &list) != ZQUIC_OK) return;
  if (list.count == 0 || list.count > ZQ_ALPN_MAX) abort();
  for (size_t i = 0; i < list.count; i++) {
    size_t n = strnlen(list.names[i], sizeof(list.names[i]));
    if (n == 0 || n == sizeof(list.names[i])) abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > 4096) return 0;
  char *text = malloc(size);
  memcpy(text, data + 1, size - 1);
  text[size - 1] = '\0';
  if (data[0] & 1) check_alpn(text);
  else check_split(text);
  free(text);
  return 0;
}
