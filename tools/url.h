/*
 * url.h — the command line's parsers of untrusted text: `zquic get`'s https URL and the static
 * server's request path. Kept apart from the commands so that fuzz targets and unit tests can
 * call them directly.
 */
#ifndef ZQ_CLI_URL_H
#define ZQ_CLI_URL_H

#include <stddef.h>

typedef struct url_parts {
  char authority[300]; /* host[:port] as written, for :authority */
  char connect[300];   /* host:port / [v6]:port for zquic_create_connection */
  char host[256];
  const char *path;    /* points into the parsed URL; "/" when it has no path */
} url_parts;

/* Split "https://HOST[:PORT][/PATH]" (scheme case-insensitive, port default 443). 0 or -1. */
int cli_parse_url(const char *url, url_parts *u);

/* Percent-decode the path part of a request target `raw` (stops at '?' or '#') into `out`.
 * -1 when an escape is malformed, the result holds NUL, does not start with '/', has a ".."
 * segment, or does not fit in `cap` bytes with its terminator. */
int cli_decode_path(const char *raw, char *out, size_t cap);

#endif
