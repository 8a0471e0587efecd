/*
 * cli_latency.c — the clock and the latency summary the load modes share (`zquic get -n`,
 * `zquic grpc call -n`, `zquic dns query -n`), so that all three print the same line.
 */
#include <stdlib.h>
#include <time.h>

#include "cli.h"

double cli_mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted values. */
static double percentile(const double *v, long n, double pct) {
  long rank = (long)(pct / 100.0 * (double)n + 0.999999);
  if (rank < 1) rank = 1;
  if (rank > n) rank = n;
  return v[rank - 1];
}

void cli_print_latency(double *ms, long n) {
  if (n <= 0) return;
  qsort(ms, (size_t)n, sizeof(double), cmp_double);
  double sum = 0;
  for (long i = 0; i < n; i++) sum += ms[i];
  printf("latency ms: min %.3f mean %.3f p50 %.3f p90 %.3f p99 %.3f max %.3f\n", ms[0],
         sum / (double)n, percentile(ms, n, 50), percentile(ms, n, 90), percentile(ms, n, 99),
         ms[n - 1]);
}
