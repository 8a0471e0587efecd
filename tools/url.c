/*
 * url.c — see url.h. Moved out of cmd_get.c and static_site.c so
 * that fuzz/fuzz_url.c and tests/unit/test_parsers.c exercise the code the command runs.
 */
#include "url.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int cli_parse_url(const char *url, url_parts *u) {
  if (strncasecmp(url, "https://", 8) != 0) return -1;
  const char *start = url + 8;
  const char *slash = strchr(start, '/');
  size_t alen = slash ? (size_t)(slash - start) : strlen(start);
  if (alen == 0 || alen >= sizeof(u->authority)) return -1;
  memcpy(u->authority, start, alen);
  u->authority[alen] = '\0';
  u->path = slash ? slash : "/";
  const char *port = "443";
  if (u->authority[0] == '[') {
    char *close = strchr(u->authority, ']');
    if (!close) return -1;
    size_t hlen = (size_t)(close - u->authority - 1);
    if (hlen == 0 || hlen >= sizeof(u->host)) return -1;
    memcpy(u->host, u->authority + 1, hlen);
    u->host[hlen] = '\0';
    if (close[1] == ':') port = close + 2;
    else if (close[1]) return -1;
    snprintf(u->connect, sizeof(u->connect), "[%s]:%s", u->host, port);
  } else {
    char *colon = strchr(u->authority, ':');
    size_t hlen = colon ? (size_t)(colon - u->authority) : strlen(u->authority);
    if (hlen == 0 || hlen >= sizeof(u->host)) return -1;
    memcpy(u->host, u->authority, hlen);
    u->host[hlen] = '\0';
    if (colon) port = colon + 1;
    snprintf(u->connect, sizeof(u->connect), "%s:%s", u->host, port);
  }
  return *port ? 0 : -1;
}

int cli_decode_path(const char *raw, char *out, size_t cap) {
  size_t o = 0;
  for (const char *p = raw; *p && *p != '?' && *p != '#'; p++) {
    int ch = (unsigned char)*p;
    if (ch == '%') {
      /* Exactly two hex digits: strtol alone would also take "%-1", "%+4" or "% 4". */
      if (!isxdigit((unsigned char)p[1]) || !isxdigit((unsigned char)p[2])) return -1;
      char hex[3] = {p[1], p[2], 0};
      ch = (int)strtol(hex, NULL, 16);
      p += 2;
    }
    if (ch == 0 || o + 1 >= cap) return -1;
    out[o++] = (char)ch;
  }
  out[o] = '\0';
  if (out[0] != '/') return -1;
  for (const char *seg = out; (seg = strstr(seg, "..")); seg += 2)
    if ((seg == out || seg[-1] == '/') && (seg[2] == '/' || seg[2] == '\0')) return -1;
  return 0;
}
