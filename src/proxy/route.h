/*
 * route.h — which pool serves a request: routes by host (exact, wildcard "*.example.com", or any)
 * and path prefix, and the most specific one wins. Specificity: an exact host beats a wildcard,
 * a longer wildcard beats a shorter one, any wildcard beats "any host"; among routes of equally
 * specific hosts the longer path prefix wins. Built once per configuration (immutable afterwards,
 * so lookups need no lock).
 *
 * Internal (zq_ prefix).
 */
#ifndef ZQ_PROXY_ROUTE_H
#define ZQ_PROXY_ROUTE_H

#include "proxy_conf.h"

typedef struct zq_route_table zq_route_table;

/* Index the routes (pointers into `routes` are not kept: what matching needs is copied). */
int zq_route_table_build(const zq_proxy_route_conf *routes, size_t n, zq_route_table **out);
/* Index into the routes given to build of the best match for a request, or -1 when none
 * matches. `authority` may be NULL or carry a port ("api.example.com:443", "[::1]:443");
 * `path` is the request's :path (query included). */
int zq_route_match(const zq_route_table *t, const char *authority, const char *path);
void zq_route_table_free(zq_route_table *t);

#endif
