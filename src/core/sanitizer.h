/*
 * sanitizer.h — ZQ_UNDER_ASAN is 1 when AddressSanitizer instruments this build. The caches in
 * front of malloc (h3_mem.c, buf.c) turn themselves off then: a block parked in a cache is
 * invisible to ASan, which would miss a use after free of it.
 */
#ifndef ZQ_SANITIZER_H
#define ZQ_SANITIZER_H

#if defined(__SANITIZE_ADDRESS__)
#define ZQ_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ZQ_UNDER_ASAN 1
#endif
#endif
#ifndef ZQ_UNDER_ASAN
#define ZQ_UNDER_ASAN 0
#endif

#endif
