/*
 * test_proxy_fields.c — the header fields Wraith forwards (src/proxy/exchange_fields.c): what a
 * backend gets (no pseudo-fields, no hop-by-hop fields or fields named by Connection, te:
 * trailers only to HTTP/3 backends, forwarding fields appended to what the client sent, IPv6
 * quoted in Forwarded, values with line breaks dropped) and what the client gets back (no
 * backend `server`, Via naming the backend's protocol, the listener's Alt-Svc); and how the
 * metrics endpoint reads a request (metrics.c): split anywhere, malformed, oversized.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proxy_internal.h"

static const char *get(const zq_px_fields *f, const char *name) {
  for (size_t i = 0; i < f->n; i++)
    if (strcmp(f->list[i].name, name) == 0) return f->list[i].value;
  return NULL;
}

static void add(zq_h3_stream *st, const char *name, const char *value) {
  assert_int_equal(zq_fields_add(&st->headers, (const uint8_t *)name, strlen(name),
                                 (const uint8_t *)value, strlen(value)), 0);
}

static void request_stream(zq_h3_stream *st) {
  memset(st, 0, sizeof(*st));
  add(st, ":method", "GET");
  add(st, ":scheme", "https");
  add(st, ":authority", "api.example.com");
  add(st, ":path", "/x");
}

static void test_request_fields(void **state) {
  (void)state;
  zq_h3_stream st;
  request_stream(&st);
  add(&st, "connection", "close, x-secret");
  add(&st, "x-secret", "1");
  add(&st, "keep-alive", "5");
  add(&st, "upgrade", "h2c");
  add(&st, "te", "trailers");
  add(&st, "host", "evil.example");
  add(&st, "x-forwarded-for", "192.0.2.1");
  add(&st, "via", "1.1 edge");
  add(&st, "x-smuggle", "a\r\nx-injected: 1");
  add(&st, "x-keep", "yes");
  zq_px_fields f;
  assert_int_equal(zq_px_request_fields(&st, "127.0.0.1", ZQ_PROXY_H3, &f), 0);
  for (size_t i = 0; i < f.n; i++) assert_true(f.list[i].name[0] != ':');
  assert_null(get(&f, "connection"));
  assert_null(get(&f, "x-secret"));
  assert_null(get(&f, "keep-alive"));
  assert_null(get(&f, "upgrade"));
  assert_null(get(&f, "host"));
  assert_null(get(&f, "x-smuggle"));
  assert_string_equal(get(&f, "te"), "trailers");
  assert_string_equal(get(&f, "x-keep"), "yes");
  assert_string_equal(get(&f, "x-forwarded-for"), "192.0.2.1, 127.0.0.1");
  assert_string_equal(get(&f, "x-forwarded-proto"), "https");
  assert_string_equal(get(&f, "x-forwarded-host"), "api.example.com");
  assert_string_equal(get(&f, "forwarded"), "for=127.0.0.1;proto=https;host=api.example.com");
  assert_string_equal(get(&f, "via"), "1.1 edge, 3 wraith");
  /* A request like this one costs no allocation: list and built strings stay inline. */
  assert_ptr_equal(f.list, f.inline_list);
  assert_null(f.storage);
  zq_px_fields_free(&f);
  /* HTTP/1.1 backends: no te at all; IPv6 clients quoted in Forwarded. */
  assert_int_equal(zq_px_request_fields(&st, "::1", ZQ_PROXY_HTTP1, &f), 0);
  assert_null(get(&f, "te"));
  assert_string_equal(get(&f, "forwarded"), "for=\"[::1]\";proto=https;host=api.example.com");
  zq_px_fields_free(&f);
  zq_fields_clear(&st.headers);
}

static void test_many_fields(void **state) {
  (void)state;
  zq_h3_stream st;
  request_stream(&st);
  char name[32], value[600];
  memset(value, 'v', sizeof(value) - 1);
  value[sizeof(value) - 1] = '\0';
  for (int i = 0; i < 100; i++) {
    snprintf(name, sizeof(name), "x-field-%d", i);
    add(&st, name, value);
  }
  add(&st, "via", value); /* a long Via: the built value lives in a block of its own */
  zq_px_fields f;
  assert_int_equal(zq_px_request_fields(&st, "127.0.0.1", ZQ_PROXY_H3, &f), 0);
  assert_int_equal(f.n, 100 + 5);
  assert_string_equal(get(&f, "x-field-99"), value);
  assert_true(strstr(get(&f, "via"), ", 3 wraith") != NULL);
  assert_ptr_not_equal(f.list, f.inline_list); /* outgrown: on the heap, all still there */
  assert_non_null(f.storage);
  zq_px_fields_free(&f);
  zq_fields_clear(&st.headers);
}

static void test_response_fields(void **state) {
  (void)state;
  const zquic_h3_header in[] = {{"content-type", "text/plain"}, {"server", "backend/1.0"},
                                {"connection", "x-hop"},        {"x-hop", "1"},
                                {"transfer-encoding", "chunked"}, {"x-server-id", "b1"}};
  zq_px_fields f;
  assert_int_equal(zq_px_response_fields(in, 6, ZQ_PROXY_HTTP1, "h3=\":443\"", &f), 0);
  assert_null(get(&f, "server"));
  assert_null(get(&f, "x-hop"));
  assert_null(get(&f, "transfer-encoding"));
  assert_string_equal(get(&f, "x-server-id"), "b1");
  assert_string_equal(get(&f, "via"), "1.1 wraith");
  assert_string_equal(get(&f, "alt-svc"), "h3=\":443\"");
  zq_px_fields_free(&f);
  const zquic_h3_header own[] = {{"alt-svc", "clear"}, {"via", "3 origin"}};
  assert_int_equal(zq_px_response_fields(own, 2, ZQ_PROXY_H3, "h3=\":443\"", &f), 0);
  assert_string_equal(get(&f, "alt-svc"), "clear"); /* the backend's own wins */
  assert_string_equal(get(&f, "via"), "3 origin, 3 wraith");
  zq_px_fields_free(&f);
}

static void test_methods(void **state) {
  (void)state;
  assert_true(zq_px_method_idempotent("GET"));
  assert_true(zq_px_method_idempotent("PUT"));
  assert_false(zq_px_method_idempotent("POST"));
  assert_false(zq_px_method_idempotent("get"));
  assert_false(zq_px_method_idempotent(NULL));
  assert_true(zq_px_hop_by_hop("Transfer-Encoding"));
  assert_false(zq_px_hop_by_hop("content-length"));
}

/* The metrics endpoint's request reader: it answers at the first verdict, so a request split
 * anywhere must wait for its blank line, and bad request lines get 400 rather than a scrape. */
static zq_metrics_request metrics_req(const char *text) {
  return zq_metrics_read_request(text, strlen(text), 8192);
}

static void test_metrics_requests(void **state) {
  (void)state;
  const char *scrape = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9100\r\nAccept: text/plain\r\n\r\n";
  assert_int_equal(metrics_req(scrape), ZQ_METRICS_SCRAPE);
  for (size_t cut = 0; cut < strlen(scrape); cut++)
    assert_int_equal(zq_metrics_read_request(scrape, cut, 8192), ZQ_METRICS_INCOMPLETE);
  assert_int_equal(metrics_req("GET /metrics?name[]=up HTTP/1.0\n\n"), ZQ_METRICS_SCRAPE);
  assert_int_equal(metrics_req("GET /metricsx HTTP/1.1\r\n\r\n"), ZQ_METRICS_NOT_FOUND);
  assert_int_equal(metrics_req("GET / HTTP/1.1\r\n\r\n"), ZQ_METRICS_NOT_FOUND);
  assert_int_equal(metrics_req("POST /metrics HTTP/1.1\r\n\r\n"), ZQ_METRICS_NOT_GET);
  assert_int_equal(metrics_req("get /metrics HTTP/1.1\r\n\r\n"), ZQ_METRICS_NOT_GET);
  const char *bad[] = {"\r\n\r\n", "GET\r\n\r\n", "GET /metrics\r\n\r\n",
                       "GET  /metrics HTTP/1.1\r\n\r\n", "GET /metrics HTTP/2\r\n\r\n",
                       "GET /metrics HTTP/1.1 x\r\n\r\n", "GET /metrics HTTP/1.12\r\n\r\n",
                       "GET /met\x01rics HTTP/1.1\r\n\r\n"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_int_equal(metrics_req(bad[i]), ZQ_METRICS_BAD);
  /* a NUL inside the request line is bad input, not the end of it */
  const char nul[] = "GET /metrics\0 HTTP/1.1\r\n\r\n";
  assert_int_equal(zq_metrics_read_request(nul, sizeof(nul) - 1, 8192), ZQ_METRICS_BAD);
  /* no blank line and the buffer full: 431, not a wait forever */
  char big[8192];
  memset(big, 'a', sizeof(big));
  assert_int_equal(zq_metrics_read_request(big, sizeof(big) - 2, sizeof(big)), ZQ_METRICS_INCOMPLETE);
  assert_int_equal(zq_metrics_read_request(big, sizeof(big) - 1, sizeof(big)), ZQ_METRICS_TOO_LARGE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_request_fields),
    cmocka_unit_test(test_many_fields),
    cmocka_unit_test(test_response_fields),
    cmocka_unit_test(test_methods),
    cmocka_unit_test(test_metrics_requests),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
