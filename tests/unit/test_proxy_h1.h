/*
 * test_proxy_h1.h — what the files of the test_proxy_h1 executable share: their test lists, the
 * context they run on, and the harness that drives the pool on its loop thread (h1_upstream.h
 * calls are loop-thread only) and waits for its callbacks on a condition variable.
 */
#ifndef ZQ_TEST_PROXY_H1_H
#define ZQ_TEST_PROXY_H1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct CMUnitTest;

extern const struct CMUnitTest zq_test_h1_parse[];
extern const size_t zq_test_h1_parse_count;

#endif
