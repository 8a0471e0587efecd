/*
 * test_proxy_h1_parse.c — the response parser of Wraith's HTTP/1.1 backend client
 * (src/proxy/h1_parse.c) driven without sockets: each response is fed whole and again one byte
 * at a time, since a backend's bytes may arrive split anywhere (inside a field name, a chunk
 * size, the CRLF after the last chunk). Part of the test_proxy_h1 executable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "h1_parse.h"
#include "test_proxy_h1.h"

typedef struct seen {
  int responses, ends, status;
  char fields[1024];   /* "name=value;" of the final response */
  char trailers[512];
  char body[4096];
  size_t body_len;
  int stop_after_body; /* on_body returns false this many times */
} seen;

static void append_section(char *out, size_t cap, const zquic_h3_header *h, size_t n) {
  for (size_t i = 0; i < n; i++) {
    size_t used = strlen(out);
    snprintf(out + used, cap - used, "%s=%s;", h[i].name, h[i].value);
  }
}

static bool rec_response(void *user, int status, const zquic_h3_header *fields, size_t n) {
  seen *s = user;
  s->responses++;
  s->status = status;
  append_section(s->fields, sizeof(s->fields), fields, n);
  return true;
}

static bool rec_body(void *user, const uint8_t *data, size_t len) {
  seen *s = user;
  assert_true(s->body_len + len <= sizeof(s->body));
  memcpy(s->body + s->body_len, data, len);
  s->body_len += len;
  if (s->stop_after_body > 0) {
    s->stop_after_body--;
    return false;
  }
  return true;
}

static void rec_end(void *user, const zquic_h3_header *trailers, size_t n) {
  seen *s = user;
  s->ends++;
  append_section(s->trailers, sizeof(s->trailers), trailers, n);
}

static const zq_h1_parser_callbacks rec_cb = {rec_response, rec_body, rec_end};

/* Feed `text` in pieces of `piece` bytes (0 = whole), following stops; returns the first error
 * (or 0) and leaves in *rest how many bytes were never consumed after the end. */
static int feed_all(zq_h1_response_parser *p, const char *text, size_t len, size_t piece,
                    size_t *rest) {
  size_t off = 0, calls = 0;
  *rest = 0;
  while (off < len) {
    if (++calls > 4 * len + 16) fail_msg("the parser makes no progress");
    size_t n = piece && len - off > piece ? piece : len - off;
    size_t used;
    int rc = zq_h1_response_parser_feed(p, (const uint8_t *)text + off, n, &used);
    if (rc) return rc;
    off += used;
    if (zq_h1_response_parser_done(p)) break;
  }
  *rest = len - off;
  return 0;
}

/* Parse a whole response twice (whole and byte by byte); both runs must see the same thing. */
static int parse(const char *text, bool head, size_t limit, seen *out, size_t *rest) {
  int rc_whole = 0;
  for (int pass = 0; pass < 2; pass++) {
    seen s = {0};
    s.stop_after_body = out->stop_after_body;
    zq_h1_response_parser p;
    zq_h1_response_parser_init(&p, limit, head, &rec_cb, &s);
    int rc = feed_all(&p, text, strlen(text), pass ? 1 : 0, rest);
    if (rc == 0 && !zq_h1_response_parser_done(&p) && *rest == 0)
      rc = zq_h1_response_parser_eof(&p);
    if (pass == 0) {
      rc_whole = rc;
      *out = s;
    } else {
      assert_int_equal(rc, rc_whole);
      assert_int_equal(s.responses, out->responses);
      assert_int_equal(s.ends, out->ends);
      assert_string_equal(s.fields, out->fields);
      assert_string_equal(s.trailers, out->trailers);
      assert_int_equal(s.body_len, out->body_len);
      assert_memory_equal(s.body, out->body, s.body_len);
    }
    if (rc) assert_true(p.detail[0] != '\0');
    zq_h1_response_parser_clear(&p);
  }
  return rc_whole;
}

static void test_parse_fields(void **state) {
  (void)state;
  seen s = {0};
  size_t rest;
  const char *r = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Drop-Me: 1\r\n"
                  "Connection: close, X-Drop-Me\r\nKeep-Alive: timeout=5\r\nProxy-Connection: x\r\n"
                  "Upgrade: h2c\r\nTrailer: x\r\nTE: trailers\r\nX-Empty:\r\nContent-Length: 5\r\n"
                  "\r\nhello";
  assert_int_equal(parse(r, false, 65536, &s, &rest), 0);
  assert_int_equal(s.responses, 1);
  assert_int_equal(s.status, 200);
  assert_string_equal(s.fields, "content-type=text/plain;x-empty=;content-length=5;");
  assert_int_equal(s.body_len, 5);
  assert_memory_equal(s.body, "hello", 5);
  assert_int_equal(s.ends, 1);
  assert_int_equal(rest, 0);
}

static void test_parse_chunked_trailers(void **state) {
  (void)state;
  seen s = {0};
  size_t rest;
  const char *r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\nhello\r\n1;ext=1\r\n \r\n6\r\nworld!\r\n0\r\nX-Checksum: abc\r\n"
                  "Grpc-Status: 0\r\n\r\n";
  assert_int_equal(parse(r, false, 65536, &s, &rest), 0);
  assert_string_equal(s.fields, ""); /* transfer-encoding is hop-by-hop */
  assert_int_equal(s.body_len, 12);
  assert_memory_equal(s.body, "hello world!", 12);
  assert_string_equal(s.trailers, "x-checksum=abc;grpc-status=0;");
  assert_int_equal(s.ends, 1);
}

static void test_parse_interim_and_bodiless(void **state) {
  (void)state;
  seen s = {0};
  size_t rest;
  /* 100 Continue and 103 Early Hints are skipped: one response, the final one. */
  const char *r = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                  "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
  assert_int_equal(parse(r, false, 65536, &s, &rest), 0);
  assert_int_equal(s.responses, 1);
  assert_int_equal(s.status, 201);
  assert_string_equal(s.fields, "content-length=2;");
  /* HEAD: the length describes the GET answer; no body follows, the next bytes are not ours */
  memset(&s, 0, sizeof(s));
  assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nNEXT", true, 65536, &s,
                         &rest), 0);
  assert_int_equal(s.ends, 1);
  assert_int_equal(s.body_len, 0);
  assert_int_equal(rest, 4);
  /* 204 and 304 have no body either, whatever they say */
  memset(&s, 0, sizeof(s));
  assert_int_equal(parse("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", false, 65536,
                         &s, &rest), 0);
  assert_int_equal(s.ends, 1);
  assert_int_equal(s.body_len, 0);
  memset(&s, 0, sizeof(s));
  assert_int_equal(parse("HTTP/1.1 204 No Content\r\n\r\n", false, 65536, &s, &rest), 0);
  assert_int_equal(s.status, 204);
  assert_int_equal(s.ends, 1);
}

static void test_parse_eof_delimited(void **state) {
  (void)state;
  seen s = {0};
  size_t rest;
  /* no length: the body ends with the connection (parse() calls eof) */
  assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Type: x\r\n\r\nuntil the end", false, 65536,
                         &s, &rest), 0);
  assert_int_equal(s.ends, 1);
  assert_int_equal(s.body_len, 13);
  /* cut short: CLOSED, and no end */
  memset(&s, 0, sizeof(s));
  assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", false, 65536, &s,
                         &rest), ZQUIC_ERR_CLOSED);
  assert_int_equal(s.ends, 0);
  assert_int_equal(s.body_len, 5);
  memset(&s, 0, sizeof(s));
  assert_int_equal(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", false,
                         65536, &s, &rest), ZQUIC_ERR_CLOSED);
  memset(&s, 0, sizeof(s));
  assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-", false, 65536, &s, &rest),
                   ZQUIC_ERR_CLOSED);
  assert_int_equal(s.responses, 0);
}

static void test_parse_bad_input(void **state) {
  (void)state;
  static const char *const bad[] = {
    "HTTP/9 banana\r\n\r\n",
    "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n",
    "SSH-2.0-OpenSSH_9.2\r\n",
    "HTTP/1.1 99 Low\r\n\r\n",
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
    "HTTP/1.1 200 OK\r\nX: a\x01z\r\n\r\n",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    seen s = {0};
    size_t rest;
    int rc = parse(bad[i], false, 65536, &s, &rest);
    if (rc != ZQUIC_ERR_PROTOCOL) fail_msg("case %zu: %d, not PROTOCOL", i, rc);
    if (s.responses != 0) fail_msg("case %zu: a response was reported", i);
    assert_int_equal(s.ends, 0);
  }
  /* a good head, then a broken chunk size: the response was reported, its end never is */
  seen s = {0};
  size_t rest;
  assert_int_equal(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n"
                         "zz\r\n", false, 65536, &s, &rest), ZQUIC_ERR_PROTOCOL);
  assert_int_equal(s.responses, 1);
  assert_int_equal(s.body_len, 2);
  assert_int_equal(s.ends, 0);
}

static void test_parse_limits(void **state) {
  (void)state;
  char big[4096];
  snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\nX-Big: %01500d\r\nContent-Length: 0\r\n\r\n", 7);
  seen s = {0};
  size_t rest;
  assert_int_equal(parse(big, false, 1024, &s, &rest), ZQUIC_ERR_PROTOCOL);
  assert_int_equal(s.responses, 0);
  memset(&s, 0, sizeof(s));
  assert_int_equal(parse(big, false, 2048, &s, &rest), 0);
  /* trailers are bounded the same way */
  snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
           "X-T: %01500d\r\n\r\n", 7);
  memset(&s, 0, sizeof(s));
  assert_int_equal(parse(big, false, 1024, &s, &rest), ZQUIC_ERR_PROTOCOL);
  assert_int_equal(s.responses, 1);
  assert_int_equal(s.ends, 0);
  /* too many Connection options */
  char opts[2048] = "HTTP/1.1 200 OK\r\nConnection: ";
  for (int i = 0; i < 40; i++) snprintf(opts + strlen(opts), 32, "o%d,", i);
  strcat(opts, "\r\nContent-Length: 0\r\n\r\n");
  memset(&s, 0, sizeof(s));
  assert_int_equal(parse(opts, false, 65536, &s, &rest), ZQUIC_ERR_PROTOCOL);
}

static void test_parse_stop_and_keep_alive(void **state) {
  (void)state;
  /* a stop in on_body leaves the rest unconsumed; feeding it again goes on */
  const char *r = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabcdef";
  seen s = {0};
  s.stop_after_body = 1;
  zq_h1_response_parser p;
  zq_h1_response_parser_init(&p, 65536, false, &rec_cb, &s);
  size_t used, len = strlen(r);
  assert_int_equal(zq_h1_response_parser_feed(&p, (const uint8_t *)r, len - 3, &used), 0);
  assert_int_equal(used, len - 3); /* the stop came with the last byte of this piece */
  assert_int_equal(zq_h1_response_parser_feed(&p, (const uint8_t *)r + used, 3, &used), 0);
  assert_int_equal(used, 3);
  assert_true(zq_h1_response_parser_done(&p));
  assert_true(p.keep_alive);
  assert_int_equal(s.body_len, 6);
  zq_h1_response_parser_clear(&p);
  /* stopped in the middle of one read */
  memset(&s, 0, sizeof(s));
  s.stop_after_body = 1;
  const char *c = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n";
  zq_h1_response_parser_init(&p, 65536, false, &rec_cb, &s);
  assert_int_equal(zq_h1_response_parser_feed(&p, (const uint8_t *)c, strlen(c), &used), 0);
  assert_true(used < strlen(c));
  assert_int_equal(s.body_len, 2);
  size_t off = used;
  assert_int_equal(zq_h1_response_parser_feed(&p, (const uint8_t *)c + off, strlen(c) - off,
                                              &used), 0);
  assert_int_equal(off + used, strlen(c));
  assert_int_equal(s.body_len, 4);
  assert_int_equal(s.ends, 1);
  zq_h1_response_parser_clear(&p);
  /* HTTP/1.0 closes unless it says keep-alive; Connection: close closes */
  static const struct { const char *text; bool keep; } ka[] = {
    {"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false},
    {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", true},
    {"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false},
    {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true},
  };
  for (size_t i = 0; i < sizeof(ka) / sizeof(ka[0]); i++) {
    memset(&s, 0, sizeof(s));
    zq_h1_response_parser_init(&p, 65536, false, &rec_cb, &s);
    assert_int_equal(zq_h1_response_parser_feed(&p, (const uint8_t *)ka[i].text,
                                                strlen(ka[i].text), &used), 0);
    assert_true(zq_h1_response_parser_done(&p));
    assert_int_equal(p.keep_alive, ka[i].keep);
    zq_h1_response_parser_clear(&p);
  }
}

const struct CMUnitTest zq_test_h1_parse[] = {
  cmocka_unit_test(test_parse_fields),
  cmocka_unit_test(test_parse_chunked_trailers),
  cmocka_unit_test(test_parse_interim_and_bodiless),
  cmocka_unit_test(test_parse_eof_delimited),
  cmocka_unit_test(test_parse_bad_input),
  cmocka_unit_test(test_parse_limits),
  cmocka_unit_test(test_parse_stop_and_keep_alive),
};
const size_t zq_test_h1_parse_count = sizeof(zq_test_h1_parse) / sizeof(zq_test_h1_parse[0]);
