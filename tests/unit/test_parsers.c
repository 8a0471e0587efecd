/*
 * test_parsers.c — table-driven tests of the parsers of untrusted text: address "host:port"
 * (zq_addr_split), ALPN lists (zq_alpn_parse), `zquic get` URLs (cli_parse_url) and request paths
 * of the static server (cli_decode_path). Each row is an input and the exact expected result;
 * every rejection must also leave a readable error, never a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "url.h"

static void test_addr_split(void **state) {
  (void)state;
  static const struct {
    const char *text;
    int ok;
    const char *host;
    uint16_t port;
  } rows[] = {
    {"127.0.0.1:4433", 1, "127.0.0.1", 4433},
    {"localhost:0", 1, "localhost", 0},
    {"example.org:65535", 1, "example.org", 65535},
    {"[::1]:853", 1, "::1", 853},
    {"[fe80::1%lo]:9", 1, "fe80::1%lo", 9},
    {"[::]:443", 1, "::", 443},
    {"", 0, NULL, 0},
    {":443", 0, NULL, 0},
    {"host", 0, NULL, 0},
    {"host:", 0, NULL, 0},
    {"host:65536", 0, NULL, 0},
    {"host:-1", 0, NULL, 0},
    {"host:+80", 0, NULL, 0},  /* strtol would accept a sign ... */
    {"host: 80", 0, NULL, 0},  /* ... and leading blanks: a port is digits only */
    {"host:80 ", 0, NULL, 0},
    {"host:0x50", 0, NULL, 0},
    {"host:99999999999999999999", 0, NULL, 0},
    {"::1:443", 0, NULL, 0},   /* IPv6 needs brackets */
    {"[::1]", 0, NULL, 0},
    {"[::1]:", 0, NULL, 0},
    {"[::1]443", 0, NULL, 0},
    {"[]:443", 0, NULL, 0},
    {"[::1:443", 0, NULL, 0},
    {"a:b:c", 0, NULL, 0},
  };
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    char host[256] = "unchanged";
    uint16_t port = 7;
    int rc = zq_addr_split(rows[i].text, host, sizeof(host), &port);
    if (rows[i].ok) {
      if (rc != ZQUIC_OK) fail_msg("\"%s\": rejected: %s", rows[i].text, zquic_last_error());
      assert_string_equal(host, rows[i].host);
      assert_int_equal(port, rows[i].port);
    } else {
      if (rc != ZQUIC_ERR_INVALID_ARGUMENT)
        fail_msg("\"%s\": accepted as host \"%s\" port %u", rows[i].text, host, port);
      assert_true(strlen(zquic_last_error()) > 0);
    }
  }
  /* A host that does not fit the caller's buffer is an error, not a truncation. */
  char small[4];
  uint16_t port;
  assert_int_equal(zq_addr_split("abcd:1", small, sizeof(small), &port), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(zq_addr_split("abc:1", small, sizeof(small), &port), ZQUIC_OK);
  assert_int_equal(zq_addr_split(NULL, small, sizeof(small), &port), ZQUIC_ERR_INVALID_ARGUMENT);
}

static void test_alpn_parse(void **state) {
  (void)state;
  static const struct {
    const char *text;
    int count; /* -1: rejected */
    const char *names[3];
  } rows[] = {
    {"h3", 1, {"h3"}},
    {"doq,h3", 2, {"doq", "h3"}},
    {"a,b,c", 3, {"a", "b", "c"}},
    {"1234567890123456789012345678901", 1, {"1234567890123456789012345678901"}}, /* 31 bytes */
    {"12345678901234567890123456789012", -1, {NULL}},                             /* 32 bytes */
    {"", -1, {NULL}},
    {",", -1, {NULL}},
    {",h3", -1, {NULL}},
    {"h3,", -1, {NULL}}, /* an empty last name is still an empty name */
    {"h3,,doq", -1, {NULL}},
    {"a,b,c,d,e,f,g,h", 8, {"a", "b", "c"}},
    {"a,b,c,d,e,f,g,h,i", -1, {NULL}}, /* at most 8 names */
  };
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    zq_alpn_list list;
    int rc = zq_alpn_parse(rows[i].text, &list);
    if (rows[i].count < 0) {
      if (rc != ZQUIC_ERR_INVALID_ARGUMENT) fail_msg("\"%s\": accepted", rows[i].text);
      continue;
    }
    if (rc != ZQUIC_OK) fail_msg("\"%s\": rejected: %s", rows[i].text, zquic_last_error());
    assert_int_equal(list.count, rows[i].count);
    for (int j = 0; j < 3 && rows[i].names[j]; j++)
      assert_string_equal(list.names[j], rows[i].names[j]);
  }
  zq_alpn_list list;
  assert_int_equal(zq_alpn_parse(NULL, &list), ZQUIC_ERR_INVALID_ARGUMENT);
}

static void test_parse_url(void **state) {
  (void)state;
  static const struct {
    const char *url;
    int ok;
    const char *authority, *host, *connect, *path;
  } rows[] = {
    {"https://localhost:4433/a/b?c=d", 1, "localhost:4433", "localhost", "localhost:4433",
     "/a/b?c=d"},
    {"https://example.org", 1, "example.org", "example.org", "example.org:443", "/"},
    {"HTTPS://Example.org/", 1, "Example.org", "Example.org", "Example.org:443", "/"},
    {"https://[::1]:8443/x", 1, "[::1]:8443", "::1", "[::1]:8443", "/x"},
    {"https://[::1]/", 1, "[::1]", "::1", "[::1]:443", "/"},
    {"https://127.0.0.1:1/", 1, "127.0.0.1:1", "127.0.0.1", "127.0.0.1:1", "/"},
    {"http://localhost/", 0, NULL, NULL, NULL, NULL},
    {"https://", 0, NULL, NULL, NULL, NULL},
    {"https:///path", 0, NULL, NULL, NULL, NULL},
    {"https://:443/", 0, NULL, NULL, NULL, NULL},
    {"https://host:/", 0, NULL, NULL, NULL, NULL},
    {"https://[::1/", 0, NULL, NULL, NULL, NULL},
    {"https://[]:443/", 0, NULL, NULL, NULL, NULL},
    {"https://[::1]x/", 0, NULL, NULL, NULL, NULL},
    {"https://[::1]:/", 0, NULL, NULL, NULL, NULL},
    {"localhost:4433", 0, NULL, NULL, NULL, NULL},
  };
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    url_parts u;
    int rc = cli_parse_url(rows[i].url, &u);
    if (!rows[i].ok) {
      if (rc == 0) fail_msg("\"%s\": accepted", rows[i].url);
      continue;
    }
    if (rc != 0) fail_msg("\"%s\": rejected", rows[i].url);
    assert_string_equal(u.authority, rows[i].authority);
    assert_string_equal(u.host, rows[i].host);
    assert_string_equal(u.connect, rows[i].connect);
    assert_string_equal(u.path, rows[i].path);
  }
  /* An authority of 300 bytes or more does not fit: rejected, not truncated. */
  char longurl[400] = "https://";
  memset(longurl + 8, 'a', 300);
  longurl[308] = '\0';
  url_parts u;
  assert_int_equal(cli_parse_url(longurl, &u), -1);
}

static void test_decode_path(void **state) {
  (void)state;
  static const struct {
    const char *raw;
    const char *decoded; /* NULL: rejected */
  } rows[] = {
    {"/", "/"},
    {"/index.html", "/index.html"},
    {"/a%20b", "/a b"},
    {"/%41%62", "/Ab"},
    {"/x?y=/../z", "/x"},         /* the query is not part of the path */
    {"/x#frag", "/x"},
    {"/a..b/c..", "/a..b/c.."},   /* dots inside a name are fine */
    {"/.../x", "/.../x"},
    {"", NULL},
    {"index.html", NULL},
    {"?x", NULL},
    {"/..", NULL},
    {"/../etc/passwd", NULL},
    {"/a/../../b", NULL},
    {"/a/%2e%2e/b", NULL},        /* escapes cannot hide a .. segment */
    {"/a/%2E%2e", NULL},
    {"/%00", NULL},               /* NUL would cut the path short in open() */
    {"/%", NULL},
    {"/%4", NULL},
    {"/%zz", NULL},
    {"/%-1", NULL},               /* strtol would read a sign ... */
    {"/%+4", NULL},
    {"/% 4", NULL},               /* ... or a blank: an escape is two hex digits */
    {"/%4 ", NULL},
  };
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    char out[64];
    int rc = cli_decode_path(rows[i].raw, out, sizeof(out));
    if (!rows[i].decoded) {
      if (rc == 0) fail_msg("\"%s\": accepted as \"%s\"", rows[i].raw, out);
      continue;
    }
    if (rc != 0) fail_msg("\"%s\": rejected", rows[i].raw);
    assert_string_equal(out, rows[i].decoded);
  }
  /* The output must fit with its terminator: 6 bytes hold "/abcd", not "/abcde". */
  char out[6];
  assert_int_equal(cli_decode_path("/abcd", out, sizeof(out)), 0);
  assert_string_equal(out, "/abcd");
  assert_int_equal(cli_decode_path("/abcde", out, sizeof(out)), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_addr_split),
    cmocka_unit_test(test_alpn_parse),
    cmocka_unit_test(test_parse_url),
    cmocka_unit_test(test_decode_path),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
