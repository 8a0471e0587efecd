/*
 * test_proxy_route.c — the route table (src/proxy/route.c) and the per-client rate limiter
 * (src/proxy/ratelimit.c). Routes: the precedence of exact, wildcard and any host, longest
 * prefix on segment boundaries, authorities with ports, IPv6 and capitals, and a table of
 * thousands of routes. Rate limits: a burst then refusals with the right Retry-After, refill over
 * synthetic time, clients kept apart, and a table that never grows past max_clients.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ratelimit.h"
#include "route.h"

/* Routes as string literals: the table copies what it needs, so these can be const-cast. */
#define ROUTE(h, p) {(char *)(h), (char *)(p), (char *)"pool", 0}

static zq_route_table *build(const zq_proxy_route_conf *routes, size_t n) {
  zq_route_table *t = NULL;
  assert_int_equal(zq_route_table_build(routes, n, &t), ZQUIC_OK);
  assert_non_null(t);
  return t;
}

static void test_host_precedence(void **state) {
  (void)state;
  const zq_proxy_route_conf routes[] = {
      ROUTE(NULL, "/"),                     /* 0: any host */
      ROUTE("*.example.com", "/"),          /* 1 */
      ROUTE("api.example.com", "/"),        /* 2 */
      ROUTE("*.eu.example.com", "/"),       /* 3: a longer wildcard */
      ROUTE("*", "/only-any"),              /* 4: "*" = any host */
  };
  zq_route_table *t = build(routes, 5);
  assert_int_equal(zq_route_match(t, "api.example.com", "/x"), 2);     /* exact beats wildcard */
  assert_int_equal(zq_route_match(t, "www.example.com", "/x"), 1);     /* wildcard beats any */
  assert_int_equal(zq_route_match(t, "a.b.example.com", "/x"), 1);     /* any name below it */
  assert_int_equal(zq_route_match(t, "x.eu.example.com", "/x"), 3);    /* longer wildcard wins */
  assert_int_equal(zq_route_match(t, "example.com", "/x"), 0);         /* not below itself */
  assert_int_equal(zq_route_match(t, "other.org", "/x"), 0);
  /* A more specific host beats a longer path prefix on a less specific one. */
  assert_int_equal(zq_route_match(t, "api.example.com", "/only-any"), 2);
  assert_int_equal(zq_route_match(t, "other.org", "/only-any/a"), 4);
  zq_route_table_free(t);
}

static void test_fall_through_on_path(void **state) {
  (void)state;
  /* The exact host has routes, but none for this path: the wildcard's still serves it. */
  const zq_proxy_route_conf routes[] = {
      ROUTE("api.example.com", "/v1"),
      ROUTE("*.example.com", "/static"),
  };
  zq_route_table *t = build(routes, 2);
  assert_int_equal(zq_route_match(t, "api.example.com", "/v1/users"), 0);
  assert_int_equal(zq_route_match(t, "api.example.com", "/static/a.css"), 1);
  assert_int_equal(zq_route_match(t, "api.example.com", "/other"), -1); /* no match at all */
  assert_int_equal(zq_route_match(t, NULL, "/v1"), -1); /* no any-host route */
  zq_route_table_free(t);
}

static void test_prefixes(void **state) {
  (void)state;
  const zq_proxy_route_conf routes[] = {
      ROUTE(NULL, "/"),          /* 0 */
      ROUTE(NULL, "/api"),       /* 1 */
      ROUTE(NULL, "/api/v2"),    /* 2: longer prefix */
      ROUTE(NULL, "/files/"),    /* 3: ends in '/' */
  };
  zq_route_table *t = build(routes, 4);
  assert_int_equal(zq_route_match(t, "h", "/api"), 1);
  assert_int_equal(zq_route_match(t, "h", "/api/"), 1);
  assert_int_equal(zq_route_match(t, "h", "/api/users"), 1);
  assert_int_equal(zq_route_match(t, "h", "/api?x=1"), 1);
  assert_int_equal(zq_route_match(t, "h", "/apix"), 0); /* not on a segment boundary */
  assert_int_equal(zq_route_match(t, "h", "/api/v2"), 2);
  assert_int_equal(zq_route_match(t, "h", "/api/v2/x"), 2);
  assert_int_equal(zq_route_match(t, "h", "/api/v20"), 1);
  assert_int_equal(zq_route_match(t, "h", "/files/a/b"), 3);
  assert_int_equal(zq_route_match(t, "h", "/files"), 0); /* "/files/" needs what is below it */
  assert_int_equal(zq_route_match(t, "h", "/API"), 0);   /* paths are case-sensitive */
  assert_int_equal(zq_route_match(t, "h", NULL), 0);     /* no path: "/" */
  zq_route_table_free(t);
}

static void test_authority_forms(void **state) {
  (void)state;
  const zq_proxy_route_conf routes[] = {
      ROUTE("api.example.com", "/"), /* 0 */
      ROUTE("127.0.0.1", "/"),       /* 1 */
      ROUTE("*.Example.COM", "/"),   /* 2: capitals in the pattern too */
      ROUTE(NULL, "/"),              /* 3 */
  };
  zq_route_table *t = build(routes, 4);
  assert_int_equal(zq_route_match(t, "api.example.com:443", "/"), 0);
  assert_int_equal(zq_route_match(t, "API.Example.Com", "/"), 0);
  assert_int_equal(zq_route_match(t, "API.EXAMPLE.COM:8443", "/"), 0);
  assert_int_equal(zq_route_match(t, "api.example.com.", "/"), 0); /* the final dot */
  assert_int_equal(zq_route_match(t, "WWW.example.com", "/"), 2);
  assert_int_equal(zq_route_match(t, "127.0.0.1:8443", "/"), 1);
  assert_int_equal(zq_route_match(t, "[::1]:443", "/"), 3);
  assert_int_equal(zq_route_match(t, "[::1", "/"), 3);
  assert_int_equal(zq_route_match(t, NULL, "/"), 3);
  assert_int_equal(zq_route_match(t, "", "/"), 3);
  assert_int_equal(zq_route_match(t, ".example.com", "/"), 3); /* not the wildcard's own key */
  char longhost[400];
  memset(longhost, 'a', sizeof(longhost) - 1);
  longhost[sizeof(longhost) - 1] = '\0';
  assert_int_equal(zq_route_match(t, longhost, "/"), 3);
  zq_route_table_free(t);
}

static void test_bad_routes_refused(void **state) {
  (void)state;
  zq_route_table *t = NULL;
  const zq_proxy_route_conf bad_host[] = {ROUTE("a.*.com", "/")};
  assert_int_equal(zq_route_table_build(bad_host, 1, &t), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_null(t);
  const zq_proxy_route_conf bad_path[] = {ROUTE(NULL, "/"), ROUTE("a.com", "api")};
  assert_int_equal(zq_route_table_build(bad_path, 2, &t), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_null(t);
  /* No routes at all: a table that matches nothing. */
  assert_int_equal(zq_route_table_build(NULL, 0, &t), ZQUIC_OK);
  assert_int_equal(zq_route_match(t, "a.com", "/"), -1);
  zq_route_table_free(t);
  assert_int_equal(zq_route_match(NULL, "a.com", "/"), -1);
  zq_route_table_free(NULL);
}

#define MANY 4000

static void test_many_routes(void **state) {
  (void)state;
  static zq_proxy_route_conf routes[MANY];
  static char hosts[MANY][48], paths[MANY][16];
  /* A thousand sites with two prefixes each, a thousand wildcards, one catch-all per path. */
  for (int i = 0; i < MANY; i++) {
    int site = i / 2;
    if (i < 2000)
      snprintf(hosts[i], sizeof(hosts[i]), "site%d.example.com", site);
    else if (i < MANY - 2)
      snprintf(hosts[i], sizeof(hosts[i]), "*.zone%d.example.net", i - 2000);
    else
      hosts[i][0] = '\0';
    snprintf(paths[i], sizeof(paths[i]), i % 2 ? "/api" : "/");
    routes[i] = (zq_proxy_route_conf){hosts[i][0] ? hosts[i] : NULL, paths[i], (char *)"p", 0};
  }
  routes[MANY - 2].path_prefix = (char *)"/"; /* the catch-alls: "/" and "/api" */
  routes[MANY - 1].path_prefix = (char *)"/api";
  zq_route_table *t = build(routes, MANY);
  for (int site = 0; site < 1000; site++) {
    char host[64];
    snprintf(host, sizeof(host), "Site%d.example.com:443", site);
    assert_int_equal(zq_route_match(t, host, "/index.html"), 2 * site);
    assert_int_equal(zq_route_match(t, host, "/api/x"), 2 * site + 1);
  }
  for (int z = 0; z < MANY - 2 - 2000; z++) {
    char host[64];
    snprintf(host, sizeof(host), "a.b.zone%d.example.net", z);
    assert_int_equal(zq_route_match(t, host, "/api"), 2000 + z);
  }
  assert_int_equal(zq_route_match(t, "zone5.example.net", "/"), MANY - 2);
  assert_int_equal(zq_route_match(t, "nowhere", "/api/q"), MANY - 1);
  zq_route_table_free(t);
  zq_route_table *too_many = NULL;
  assert_int_equal(zq_route_table_build(routes, ZQ_PROXY_MAX_ROUTES + 1, &too_many),
                   ZQUIC_ERR_INVALID_ARGUMENT);
}

/* ---- rate limits ---- */

#define SEC 1000000000ULL

static void test_burst_then_refusal(void **state) {
  (void)state;
  zq_ratelimit *rl = NULL;
  assert_int_equal(zq_ratelimit_create(0.5, 3, 100, &rl), ZQUIC_OK); /* one token per 2 s */
  uint32_t retry = 99;
  uint64_t now = 1000 * SEC;
  for (int i = 0; i < 3; i++) {
    assert_true(zq_ratelimit_take(rl, "192.0.2.1", now, &retry));
    assert_int_equal(retry, 0);
  }
  assert_false(zq_ratelimit_take(rl, "192.0.2.1", now, &retry));
  assert_int_equal(retry, 2); /* ceil((1 - 0) / 0.5) */
  /* Half a second later a quarter token is back: 0.75 missing at 0.5/s is 1.5 s, so 2. */
  assert_false(zq_ratelimit_take(rl, "192.0.2.1", now + SEC / 2, &retry));
  assert_int_equal(retry, 2);
  /* 1.5 s in: 0.75 back, 0.25 missing: half a second, rounded up to the minimum 1. */
  assert_false(zq_ratelimit_take(rl, "192.0.2.1", now + 3 * SEC / 2, &retry));
  assert_int_equal(retry, 1);
  assert_true(zq_ratelimit_take(rl, "192.0.2.1", now + 2 * SEC, &retry));
  assert_false(zq_ratelimit_take(rl, "192.0.2.1", now + 2 * SEC, &retry));
  zq_ratelimit_free(rl);
}

static void test_refill_over_time(void **state) {
  (void)state;
  zq_ratelimit *rl = NULL;
  assert_int_equal(zq_ratelimit_create(10, 5, 100, &rl), ZQUIC_OK);
  uint32_t retry;
  uint64_t now = 5 * SEC;
  for (int i = 0; i < 5; i++) assert_true(zq_ratelimit_take(rl, "::1", now, &retry));
  assert_false(zq_ratelimit_take(rl, "::1", now, &retry));
  assert_int_equal(retry, 1);
  /* 10 per second for 10 s: 100 requests pass when spread out, at 0.1 s each. */
  unsigned passed = 0;
  for (int i = 1; i <= 100; i++) passed += zq_ratelimit_take(rl, "::1", now + (uint64_t)i * SEC / 10 + 1000, &retry);
  assert_int_equal(passed, 100);
  /* A long idle refills to the burst and no further. */
  now += 3600 * SEC;
  passed = 0;
  for (int i = 0; i < 20; i++) passed += zq_ratelimit_take(rl, "::1", now, &retry);
  assert_int_equal(passed, 5);
  /* A clock that steps back refills nothing and does not crash the arithmetic. */
  assert_false(zq_ratelimit_take(rl, "::1", now - 100 * SEC, &retry));
  assert_true(retry >= 1);
  zq_ratelimit_free(rl);
}

static void test_separate_clients(void **state) {
  (void)state;
  zq_ratelimit *rl = NULL;
  assert_int_equal(zq_ratelimit_create(1, 2, 100, &rl), ZQUIC_OK);
  uint32_t retry;
  assert_true(zq_ratelimit_take(rl, "10.0.0.1", 0, &retry));
  assert_true(zq_ratelimit_take(rl, "10.0.0.1", 0, &retry));
  assert_false(zq_ratelimit_take(rl, "10.0.0.1", 0, &retry));
  /* Another address, even one that shares a prefix, has its own bucket. */
  assert_true(zq_ratelimit_take(rl, "10.0.0.10", 0, &retry));
  assert_true(zq_ratelimit_take(rl, "10.0.0.10", 0, &retry));
  assert_false(zq_ratelimit_take(rl, "10.0.0.10", 0, &retry));
  assert_true(zq_ratelimit_take(rl, "2001:db8::1", 0, &retry));
  assert_int_equal(zq_ratelimit_clients(rl), 3);
  zq_ratelimit_free(rl);
}

static void test_eviction_bounds_table(void **state) {
  (void)state;
  zq_ratelimit *rl = NULL;
  assert_int_equal(zq_ratelimit_create(1, 1, 100, &rl), ZQUIC_OK);
  uint32_t retry;
  char addr[64];
  for (unsigned i = 0; i < 10000; i++) {
    snprintf(addr, sizeof(addr), "198.51.%u.%u", i / 256, i % 256);
    assert_true(zq_ratelimit_take(rl, addr, 0, &retry)); /* each new client starts full */
    assert_true(zq_ratelimit_clients(rl) <= 100);
  }
  assert_int_equal(zq_ratelimit_clients(rl), 100);
  /* The 100 most recent are still tracked (and empty); the first one was forgotten. */
  assert_false(zq_ratelimit_take(rl, addr, 0, &retry));
  assert_true(zq_ratelimit_take(rl, "198.51.0.0", 0, &retry));
  /* Seeing a client again makes it recent: it survives the next 99 newcomers. */
  assert_false(zq_ratelimit_take(rl, "198.51.0.0", 0, &retry));
  for (unsigned i = 0; i < 99; i++) {
    snprintf(addr, sizeof(addr), "203.0.113.%u", i);
    assert_true(zq_ratelimit_take(rl, addr, 0, &retry));
  }
  assert_false(zq_ratelimit_take(rl, "198.51.0.0", 0, &retry));
  assert_int_equal(zq_ratelimit_clients(rl), 100);
  zq_ratelimit_free(rl);
}

static void test_ratelimit_arguments(void **state) {
  (void)state;
  zq_ratelimit *rl = NULL;
  assert_int_equal(zq_ratelimit_create(0, 1, 1, &rl), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(zq_ratelimit_create(1, 0, 1, &rl), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(zq_ratelimit_create(1, 1, 0, &rl), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_null(rl);
  assert_int_equal(zq_ratelimit_create(1, 1, 1, &rl), ZQUIC_OK);
  char longtext[300];
  memset(longtext, 'x', sizeof(longtext) - 1);
  longtext[sizeof(longtext) - 1] = '\0';
  uint32_t retry;
  assert_true(zq_ratelimit_take(rl, longtext, 0, &retry));
  assert_false(zq_ratelimit_take(rl, longtext, 0, NULL)); /* no retry pointer: still refused */
  zq_ratelimit_free(rl);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_host_precedence),
      cmocka_unit_test(test_fall_through_on_path),
      cmocka_unit_test(test_prefixes),
      cmocka_unit_test(test_authority_forms),
      cmocka_unit_test(test_bad_routes_refused),
      cmocka_unit_test(test_many_routes),
      cmocka_unit_test(test_burst_then_refusal),
      cmocka_unit_test(test_refill_over_time),
      cmocka_unit_test(test_separate_clients),
      cmocka_unit_test(test_eviction_bounds_table),
      cmocka_unit_test(test_ratelimit_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
