/*
 * fuzz_proxy_config.c — Wraith's configuration reader (src/proxy/proxy_conf*.c) with arbitrary
 * text: it must accept, or refuse with a "NAME:LINE: what" message, never crash or leak; what it
 * accepts must copy, validate again and clear cleanly, and the route table built from it must
 * answer lookups.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_conf.h"
#include "route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = '\0'; /* the reader takes text; bytes after a NUL are simply not part of it */
  zq_proxy_conf c, copy;
  char error[512] = "";
  int rc = zq_proxy_conf_load_string(text, "fuzz.cfg", &c, error, sizeof(error));
  free(text);
  if (rc != ZQUIC_OK) {
    if (strncmp(error, "fuzz.cfg:", 9) != 0) abort(); /* a refusal always says where */
    if (c.n_listeners || c.n_pools || c.n_routes || c.source) abort(); /* and keeps nothing */
    return 0;
  }
  if (zq_proxy_conf_copy(&c, &copy) != ZQUIC_OK) abort();
  if (zq_proxy_conf_validate(&copy, error, sizeof(error)) != ZQUIC_OK) abort();
  zq_route_table *t = NULL;
  if (zq_route_table_build(copy.routes, copy.n_routes, &t) != ZQUIC_OK) abort();
  for (size_t i = 0; i < copy.n_routes; i++) {
    const zq_proxy_route_conf *r = &copy.routes[i];
    /* A route's own host and prefix reach some route at least as specific. */
    if (!r->host && zq_route_match(t, NULL, r->path_prefix) < 0) abort();
    if (r->host && r->host[0] != '*' && zq_route_match(t, r->host, r->path_prefix) < 0) abort();
  }
  zq_route_table_free(t);
  zq_proxy_conf_clear(&copy);
  zq_proxy_conf_clear(&c);
  return 0;
}
