/*
 * fuzz_proxy_metrics.c — what a client of Wraith's Prometheus endpoint sends, as arbitrary bytes,
 * through the request reader (zq_metrics_read_request, src/proxy/metrics.c) the way the endpoint
 * calls it: after every read, on the bytes so far, in its 8 KiB buffer. Read sizes come from the
 * input. Checked: nothing reads outside the bytes given; the verdict is INCOMPLETE exactly while
 * no blank line has arrived and the buffer has room; once given, a verdict never changes as more
 * bytes arrive (the endpoint answers at the first one); a scrape is a GET of /metrics.
 *
 * Input: byte 0 the read-size seed, then the bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_internal.h"

#define CAP 8192 /* the endpoint's buffer; it reads at most CAP - 1 bytes */

static int has_blank_line(const char *b, size_t len) {
  return memmem(b, len, "\r\n\r\n", 4) || memmem(b, len, "\n\n", 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  unsigned seed = data[0];
  data++, size--;
  if (size > CAP - 1) size = CAP - 1;
  /* an exact-size copy, so ASan catches a read past what the endpoint has received */
  char *buf = malloc(size ? size : 1);
  if (!buf) return 0;
  memcpy(buf, data, size);
  zq_metrics_request first = ZQ_METRICS_INCOMPLETE;
  size_t at = 0;
  while (at < size) {
    seed = seed * 1103515245u + 12345u;
    size_t step = 1 + (seed >> 16) % 97;
    at = at + step > size ? size : at + step;
    zq_metrics_request v = zq_metrics_read_request(buf, at, CAP);
    int incomplete = !has_blank_line(buf, at) && at + 1 < CAP;
    if ((v == ZQ_METRICS_INCOMPLETE) != incomplete) abort();
    if (first != ZQ_METRICS_INCOMPLETE && v != first) abort();
    if (v == ZQ_METRICS_SCRAPE && (at < 13 || memcmp(buf, "GET /metrics", 12) != 0)) abort();
    if (first == ZQ_METRICS_INCOMPLETE) first = v;
  }
  free(buf);
  return 0;
}
