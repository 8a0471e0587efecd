/*
 * dns_load.c — `zquic dns query -n N -c C [--conns K]`: N queries, C in flight, spread over K
 * DoQ connections (default 1), then queries/s and latency percentiles. Each of the C workers is
 * a thread asking back to back with the blocking zquic_dns_query; the library is thread-safe and
 * gives each query its own stream, so workers share connections as a service's threads would.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct load_run {
  const dns_load_params *p;
  zquic_connection **conns;
  atomic_long next, ok, failed;
  double *latency_ms;
  pthread_mutex_t lock;
  char first_error[256];
  int worker_count;
} load_run;

typedef struct worker_arg {
  load_run *run;
  int index;
} worker_arg;

static void *worker(void *arg) {
  worker_arg *w = arg;
  load_run *run = w->run;
  const dns_load_params *p = run->p;
  zquic_connection *conn = run->conns[w->index % p->conns];
  for (;;) {
    long i = atomic_fetch_add(&run->next, 1);
    if (i >= p->queries) break;
    double t0 = cli_mono_ms();
    zquic_dns_response *r = NULL;
    int rc = zquic_dns_query_ex(conn, p->name, p->type, p->query_options, &r);
    run->latency_ms[i] = cli_mono_ms() - t0;
    if (rc == ZQUIC_OK) {
      atomic_fetch_add(&run->ok, 1);
    } else {
      pthread_mutex_lock(&run->lock);
      if (atomic_fetch_add(&run->failed, 1) == 0)
        snprintf(run->first_error, sizeof(run->first_error), "%s", zquic_last_error());
      pthread_mutex_unlock(&run->lock);
    }
    zquic_dns_response_free(r);
  }
  return NULL;
}

int dns_load_run(const dns_load_params *p) {
  load_run run;
  memset(&run, 0, sizeof(run));
  run.p = p;
  pthread_mutex_init(&run.lock, NULL);
  run.conns = calloc((size_t)p->conns, sizeof(zquic_connection *));
  run.latency_ms = calloc((size_t)p->queries, sizeof(double));
  pthread_t *threads = calloc((size_t)p->concurrency, sizeof(pthread_t));
  worker_arg *args = calloc((size_t)p->concurrency, sizeof(worker_arg));
  int code = EXIT_FAIL, started = 0;
  if (!run.conns || !run.latency_ms || !threads || !args) {
    cli_error("dns query", "out of memory");
    goto out;
  }
  for (int i = 0; i < p->conns; i++) {
    int rc = zquic_create_connection_ex(p->ctx, p->address, p->connect_options, &run.conns[i]);
    if (rc) {
      cli_zerror("dns query", "connect", rc);
      goto out;
    }
  }
  double t0 = cli_mono_ms();
  for (; started < p->concurrency; started++) {
    args[started] = (worker_arg){&run, started};
    if (pthread_create(&threads[started], NULL, worker, &args[started]) != 0) break;
  }
  for (int i = 0; i < started; i++) pthread_join(threads[i], NULL);
  double secs = (cli_mono_ms() - t0) / 1e3;
  long n = p->queries;
  printf("queries: %ld ok, %ld failed, in %.3f s, %d in flight on %d connection%s\n",
         (long)run.ok, (long)run.failed, secs, started, p->conns, p->conns == 1 ? "" : "s");
  printf("rate: %.0f queries/s\n", (double)n / secs);
  cli_print_latency(run.latency_ms, n);
  if (run.failed) printf("first error: %s\n", run.first_error);
  code = run.failed ? EXIT_FAIL : EXIT_OK;
out:
  for (int i = 0; run.conns && i < p->conns; i++) zquic_close_connection(run.conns[i]);
  free(run.conns);
  free(run.latency_ms);
  free(threads);
  free(args);
  pthread_mutex_destroy(&run.lock);
  return code;
}
