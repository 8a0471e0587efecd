/*
 * route.c — the route table (route.h). Routes are sorted once by host key and then by longest
 * path prefix, so each host's routes form one run, already in the order they must be tried.
 * One hash table maps a host key to its run: an exact host is its own key, a wildcard
 * "*.example.com" is keyed ".example.com". A lookup therefore costs one probe for the exact
 * host, then one per dot of the name (".b.example.com" before ".example.com": the longer
 * wildcard first), then the "any host" run — independent of how many routes there are.
 */
#include "route.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"

typedef struct route_rec {
  char *host_key; /* lower-cased host, ".suffix" for a wildcard, NULL for any host */
  char *prefix;
  size_t prefix_len;
  int index; /* into the routes given to build */
} route_rec;

typedef struct host_slot {
  const char *key; /* NULL = empty slot */
  size_t start, count; /* the run in routes[] */
} host_slot;

struct zq_route_table {
  route_rec *routes; /* sorted: runs per host key, "any host" last, longest prefix first */
  size_t n;
  host_slot *slots; /* open addressing, a power of two, at most half full */
  size_t slot_mask;
  size_t any_start, any_count;
};

static uint64_t hash_text(const char *s, size_t len) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < len; i++) {
    h ^= (unsigned char)s[i];
    h *= 0x100000001b3ULL;
  }
  return h ^ (h >> 32);
}

static int compare_routes(const void *a, const void *b) {
  const route_rec *x = a, *y = b;
  if (!x->host_key != !y->host_key) return x->host_key ? -1 : 1; /* any host last */
  int c = x->host_key ? strcmp(x->host_key, y->host_key) : 0;
  if (c) return c;
  if (x->prefix_len != y->prefix_len) return x->prefix_len > y->prefix_len ? -1 : 1;
  return x->index - y->index; /* equal prefixes (refused by validation): the first one wins */
}

void zq_route_table_free(zq_route_table *t) {
  if (!t) return;
  for (size_t i = 0; i < t->n; i++) {
    free(t->routes[i].host_key);
    free(t->routes[i].prefix);
  }
  free(t->routes);
  free(t->slots);
  free(t);
}

/* Copy one route in the table's form; its host is checked and lower-cased on the way. */
static int copy_route(const zq_proxy_route_conf *in, int index, route_rec *out) {
  const char *why = NULL;
  char *host = NULL;
  int rc = zq_proxy_host_pattern(in->host, &host, &why);
  if (rc != ZQUIC_OK)
    return zq_error(rc, "route %d: host \"%s\": %s", index, in->host, why ? why : "out of memory");
  const char *prefix = in->path_prefix ? in->path_prefix : "/";
  if ((why = zq_proxy_path_prefix_problem(prefix))) {
    free(host);
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "route %d: path \"%s\": %s", index, prefix, why);
  }
  if (host && host[0] == '*') memmove(host, host + 1, strlen(host)); /* "*.x" is keyed ".x" */
  out->host_key = host;
  out->index = index;
  out->prefix_len = strlen(prefix);
  if (!(out->prefix = strdup(prefix))) return zq_error(ZQUIC_ERR_NO_MEMORY, "route table");
  return ZQUIC_OK;
}

static host_slot *find_slot(const zq_route_table *t, const char *key, size_t len) {
  for (size_t i = hash_text(key, len) & t->slot_mask;; i = (i + 1) & t->slot_mask) {
    host_slot *s = &t->slots[i];
    if (!s->key || (strncmp(s->key, key, len) == 0 && s->key[len] == '\0')) return s;
  }
}

static int index_hosts(zq_route_table *t) {
  size_t cap = 8;
  while (cap < 2 * t->n) cap *= 2;
  if (!(t->slots = calloc(cap, sizeof(*t->slots)))) return zq_error(ZQUIC_ERR_NO_MEMORY, "route table");
  t->slot_mask = cap - 1;
  t->any_start = t->n;
  for (size_t i = 0; i < t->n; i++) {
    const char *key = t->routes[i].host_key;
    if (!key) {
      if (t->any_count++ == 0) t->any_start = i;
      continue;
    }
    host_slot *s = find_slot(t, key, strlen(key));
    if (!s->key) *s = (host_slot){key, i, 0};
    s->count++;
  }
  return ZQUIC_OK;
}

int zq_route_table_build(const zq_proxy_route_conf *routes, size_t n, zq_route_table **out) {
  *out = NULL;
  if ((n && !routes) || n > ZQ_PROXY_MAX_ROUTES)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "route table: at most %d routes",
                    ZQ_PROXY_MAX_ROUTES);
  zq_route_table *t = calloc(1, sizeof(*t));
  int rc = ZQUIC_ERR_NO_MEMORY;
  if (!t || (n && !(t->routes = calloc(n, sizeof(*t->routes))))) goto err;
  for (size_t i = 0; i < n; i++) {
    t->n = i + 1;
    if ((rc = copy_route(&routes[i], (int)i, &t->routes[i])) != ZQUIC_OK) goto err;
  }
  if (n) qsort(t->routes, n, sizeof(*t->routes), compare_routes);
  if ((rc = index_hosts(t)) != ZQUIC_OK) goto err;
  *out = t;
  return ZQUIC_OK;
err:
  zq_route_table_free(t);
  return rc == ZQUIC_ERR_NO_MEMORY ? zq_error(rc, "route table: out of memory") : rc;
}

/* "/api" matches "/api", "/api/x" and "/api?q" but not "/apix"; "/api/" matches below it. */
static bool prefix_matches(const route_rec *r, const char *path) {
  if (strncmp(path, r->prefix, r->prefix_len) != 0) return false;
  char next = path[r->prefix_len];
  return r->prefix[r->prefix_len - 1] == '/' || next == '\0' || next == '/' || next == '?';
}

static int match_run(const zq_route_table *t, size_t start, size_t count, const char *path) {
  for (size_t i = start; i < start + count; i++)
    if (prefix_matches(&t->routes[i], path)) return t->routes[i].index;
  return -1;
}

/* The host of an authority, lower-cased, without port, brackets or a final dot. False when
 * there is none worth looking up (no authority, too long for any route). */
static bool authority_host(const char *authority, char *host, size_t cap, size_t *len) {
  /* A leading dot would look up a wildcard's key as if it were an exact host. */
  if (!authority || !*authority || *authority == '.') return false;
  const char *start = authority, *end;
  if (*start == '[') {
    start++;
    end = strchr(start, ']');
    if (!end) return false;
  } else {
    end = strchr(start, ':');
    if (!end) end = start + strlen(start);
  }
  size_t n = (size_t)(end - start);
  if (n && start[n - 1] == '.') n--; /* "example.com." names the same host */
  if (n == 0 || n >= cap) return false;
  for (size_t i = 0; i < n; i++) host[i] = (char)tolower((unsigned char)start[i]);
  host[n] = '\0';
  *len = n;
  return true;
}

int zq_route_match(const zq_route_table *t, const char *authority, const char *path) {
  if (!t) return -1;
  if (!path || !*path) path = "/";
  char host[256];
  size_t len = 0;
  if (t->n > t->any_count && authority_host(authority, host, sizeof(host), &len)) {
    const host_slot *s = find_slot(t, host, len);
    int found = s->key ? match_run(t, s->start, s->count, path) : -1;
    /* Wildcards from the longest: ".b.example.com", then ".example.com", ... */
    for (const char *dot = strchr(host, '.'); found < 0 && dot; dot = strchr(dot + 1, '.')) {
      s = find_slot(t, dot, len - (size_t)(dot - host));
      if (s->key) found = match_run(t, s->start, s->count, path);
    }
    if (found >= 0) return found;
  }
  return match_run(t, t->any_start, t->any_count, path);
}
