/*
 * test_grpc_wire.c — the gRPC wire rules GhostBridge stands on: message framing across arbitrary
 * body splits, the receive limit, messages cut short, grpc-timeout both ways, grpc-message
 * percent-encoding, base64 metadata, status names and the HTTP status mapping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire.h"

typedef struct collected {
  int count;
  size_t sizes[8];
  uint8_t first[8];
  bool compressed[8];
} collected;

static int collect(void *user, const uint8_t *msg, size_t len, bool compressed) {
  collected *c = user;
  if (c->count < 8) {
    c->sizes[c->count] = len;
    c->first[c->count] = len ? msg[0] : 0;
    c->compressed[c->count] = compressed;
  }
  c->count++;
  return 0;
}

static void test_framing_any_split(void **state) {
  (void)state;
  /* three messages: 3 bytes, empty, 300 KB — a body as it might arrive */
  size_t sizes[] = {3, 0, 300000};
  size_t total = 0;
  for (int i = 0; i < 3; i++) total += ZQ_GRPC_PREFIX + sizes[i];
  uint8_t *body = malloc(total), *p = body;
  for (int i = 0; i < 3; i++) {
    zq_grpc_prefix_encode(p, i == 2, (uint32_t)sizes[i]);
    memset(p + ZQ_GRPC_PREFIX, 'a' + i, sizes[i]);
    p += ZQ_GRPC_PREFIX + sizes[i];
  }
  size_t steps[] = {1, 2, 4, 5, 7, 1000, total};
  for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
    zq_grpc_deframer d;
    zq_grpc_deframer_init(&d, 0);
    collected c = {0};
    for (size_t off = 0; off < total; off += steps[s]) {
      size_t n = total - off < steps[s] ? total - off : steps[s];
      assert_int_equal(zq_grpc_deframer_feed(&d, body + off, n, collect, &c), ZQ_GRPC_OK);
    }
    assert_int_equal(zq_grpc_deframer_finish(&d), ZQ_GRPC_OK);
    assert_int_equal(c.count, 3);
    for (int i = 0; i < 3; i++) assert_int_equal(c.sizes[i], sizes[i]);
    assert_int_equal(c.first[0], 'a');
    assert_int_equal(c.first[2], 'c');
    assert_true(c.compressed[2] && !c.compressed[0]);
    zq_grpc_deframer_free(&d);
  }
  free(body);
}

static void test_limits_and_truncation(void **state) {
  (void)state;
  zq_grpc_deframer d;
  zq_grpc_deframer_init(&d, 1024);
  uint8_t prefix[ZQ_GRPC_PREFIX];
  zq_grpc_prefix_encode(prefix, false, 1025);
  assert_int_equal(zq_grpc_deframer_feed(&d, prefix, sizeof(prefix), collect, NULL),
                   ZQ_GRPC_RESOURCE_EXHAUSTED);
  assert_int_equal(zq_grpc_deframer_finish(&d), ZQ_GRPC_RESOURCE_EXHAUSTED); /* sticky */
  zq_grpc_deframer_free(&d);
  /* a length beyond the body: INTERNAL at the end */
  zq_grpc_deframer_init(&d, 0);
  collected c = {0};
  uint8_t msg[ZQ_GRPC_PREFIX + 2];
  zq_grpc_prefix_encode(msg, false, 10);
  msg[5] = msg[6] = 'x';
  assert_int_equal(zq_grpc_deframer_feed(&d, msg, sizeof(msg), collect, &c), ZQ_GRPC_OK);
  assert_int_equal(zq_grpc_deframer_finish(&d), ZQ_GRPC_INTERNAL);
  assert_int_equal(c.count, 0);
  zq_grpc_deframer_free(&d);
  /* a cut prefix is also a broken body */
  zq_grpc_deframer_init(&d, 0);
  assert_int_equal(zq_grpc_deframer_feed(&d, msg, 3, collect, &c), ZQ_GRPC_OK);
  assert_int_equal(zq_grpc_deframer_finish(&d), ZQ_GRPC_INTERNAL);
  zq_grpc_deframer_free(&d);
}

static void test_timeouts(void **state) {
  (void)state;
  assert_int_equal(zq_grpc_timeout_parse("1S"), 1000000000LL);
  assert_int_equal(zq_grpc_timeout_parse("250m"), 250000000LL);
  assert_int_equal(zq_grpc_timeout_parse("2H"), 7200000000000LL);
  assert_int_equal(zq_grpc_timeout_parse("3M"), 180000000000LL);
  assert_int_equal(zq_grpc_timeout_parse("7u"), 7000);
  assert_int_equal(zq_grpc_timeout_parse("99999999n"), 99999999);
  const char *bad[] = {"", "S", "100", "123456789S", "1s", "1 S", "-1S", "1SS", "1.5S", NULL};
  for (int i = 0; bad[i]; i++)
    if (zq_grpc_timeout_parse(bad[i]) != -1) fail_msg("\"%s\" accepted", bad[i]);
  assert_int_equal(zq_grpc_timeout_parse(NULL), -1);
  char text[16];
  zq_grpc_timeout_format(1500, text, sizeof(text));
  assert_string_equal(text, "1500m");
  zq_grpc_timeout_format(0, text, sizeof(text));
  assert_string_equal(text, "1m");
  zq_grpc_timeout_format(100000000ull, text, sizeof(text)); /* 9 digits of ms: seconds */
  assert_string_equal(text, "100000S");
  zq_grpc_timeout_format(100000000000ull, text, sizeof(text)); /* 9 digits of seconds: minutes */
  assert_string_equal(text, "1666667M");
  assert_true(zq_grpc_timeout_parse(text) >= 100000000000LL * 1000000); /* rounded up, never down */
}

static void test_percent_and_base64(void **state) {
  (void)state;
  const char *msg = "caf\xc3\xa9 100% done\n";
  char enc[64], dec[64];
  size_t n = zq_grpc_percent_encode((const uint8_t *)msg, strlen(msg), enc, sizeof(enc));
  assert_string_equal(enc, "caf%C3%A9 100%25 done%0A");
  assert_int_equal(n, strlen(enc));
  assert_int_equal(zq_grpc_percent_encode((const uint8_t *)msg, strlen(msg), enc, 5),
                   strlen("caf%C3%A9 100%25 done%0A") + 1); /* too small: the size needed */
  zq_grpc_percent_decode("caf%C3%A9 100%25 done%0A", dec);
  assert_string_equal(dec, msg);
  zq_grpc_percent_decode("bad %G1 and %4", dec); /* malformed escapes stay as they are */
  assert_string_equal(dec, "bad %G1 and %4");
  uint8_t bin[] = {0, 1, 2, 0xfe, 0xff};
  char b[16];
  zq_grpc_base64_encode(bin, sizeof(bin), b, sizeof(b));
  assert_string_equal(b, "AAEC/v8=");
  uint8_t back[8];
  assert_int_equal(zq_grpc_base64_decode("AAEC/v8=", 8, back, sizeof(back)), 5);
  assert_memory_equal(back, bin, 5);
  assert_int_equal(zq_grpc_base64_decode("AAEC/v8", 7, back, sizeof(back)), 5); /* unpadded */
  assert_int_equal(zq_grpc_base64_decode("AA*C", 4, back, sizeof(back)), -1);
  assert_int_equal(zq_grpc_base64_decode("AAEC/v8=", 8, back, 2), -1); /* too small */
}

static void test_status(void **state) {
  (void)state;
  assert_string_equal(zq_grpc_status_name(ZQ_GRPC_DEADLINE_EXCEEDED), "DEADLINE_EXCEEDED");
  assert_string_equal(zq_grpc_status_name(16), "UNAUTHENTICATED");
  assert_string_equal(zq_grpc_status_name(17), "UNKNOWN_CODE");
  assert_int_equal(zq_grpc_status_from_http(404), ZQ_GRPC_UNIMPLEMENTED);
  assert_int_equal(zq_grpc_status_from_http(503), ZQ_GRPC_UNAVAILABLE);
  assert_int_equal(zq_grpc_status_from_http(401), ZQ_GRPC_UNAUTHENTICATED);
  assert_int_equal(zq_grpc_status_from_http(500), ZQ_GRPC_UNKNOWN);
  assert_true(zq_grpc_content_type_ok("application/grpc"));
  assert_true(zq_grpc_content_type_ok("application/grpc+proto"));
  assert_true(zq_grpc_content_type_ok("application/GRPC;charset=utf-8"));
  assert_false(zq_grpc_content_type_ok("application/grpcx"));
  assert_false(zq_grpc_content_type_ok("text/plain"));
  assert_false(zq_grpc_content_type_ok(NULL));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_framing_any_split), cmocka_unit_test(test_limits_and_truncation),
    cmocka_unit_test(test_timeouts),          cmocka_unit_test(test_percent_and_base64),
    cmocka_unit_test(test_status),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
