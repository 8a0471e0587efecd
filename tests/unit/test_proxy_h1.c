/*
 * test_proxy_h1.c — Wraith's HTTP/1.1 backend client (src/proxy/h1_*.c): the main program of
 * the test_proxy_h1 executable, which runs the groups of its other files: the response parser
 * alone (test_proxy_h1_parse.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_proxy_h1.h"

int main(void) {
  int failed = 0;
  failed += _cmocka_run_group_tests("h1_parse", zq_test_h1_parse, zq_test_h1_parse_count, NULL,
                                    NULL);
  return failed;
}
