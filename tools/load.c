/*
 * load.c — `zquic get -n N -c C`: N requests with C in flight, on one connection (the default) or
 * a new connection each (--new-conn), then requests/s and latency percentiles. Each of the C
 * workers is a thread issuing its share of requests back to back; the library is thread-safe, so
 * they share the connection exactly as a multi-threaded service would.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "load.h"

typedef struct load_run {
  const load_params *p;
  pthread_mutex_t lock;
  long next;            /* requests handed out so far */
  long ok, failed;
  double *latency_ms;   /* one slot per request */
  char first_error[256];
} load_run;

/* One request, body discarded. Retries while the server has no stream credit for us. */
static int one_request(zquic_connection *conn, const load_params *p) {
  zquic_h3_request *req = NULL;
  int rc;
  for (int tries = 0; (rc = zquic_h3_request_start(conn, "GET", p->path, p->authority, NULL, 0, 1,
                                                     &req)) == ZQUIC_ERR_LIMIT && tries < 10000;
       tries++)
    usleep(200);
  int status = 0;
  if (rc == ZQUIC_OK) rc = zquic_h3_response_wait(req, p->timeout_ms, &status);
  static _Thread_local char sink[65536];
  size_t n = 1;
  while (rc == ZQUIC_OK && n > 0) rc = zquic_h3_response_read(req, sink, sizeof(sink), p->timeout_ms, &n);
  zquic_h3_request_free(req);
  if (rc == ZQUIC_OK && status >= 400) rc = ZQUIC_ERR_PROTOCOL;
  return rc;
}

static void *worker(void *arg) {
  load_run *run = arg;
  const load_params *p = run->p;
  zquic_connection *own = NULL;
  for (;;) {
    pthread_mutex_lock(&run->lock);
    long i = run->next < p->requests ? run->next++ : -1;
    pthread_mutex_unlock(&run->lock);
    if (i < 0) break;
    double t0 = cli_mono_ms();
    zquic_connection *conn = p->shared;
    int rc = ZQUIC_OK;
    if (!conn) rc = zquic_create_connection_ex(p->ctx, p->address, p->connect_options, &own), conn = own;
    if (rc == ZQUIC_OK) rc = one_request(conn, p);
    if (own) {
      zquic_close_connection(own);
      own = NULL;
    }
    double elapsed = cli_mono_ms() - t0;
    pthread_mutex_lock(&run->lock);
    run->latency_ms[i] = elapsed;
    if (rc == ZQUIC_OK) {
      run->ok++;
    } else {
      run->failed++;
      if (!run->first_error[0])
        snprintf(run->first_error, sizeof(run->first_error), "%s", zquic_last_error());
    }
    pthread_mutex_unlock(&run->lock);
  }
  return NULL;
}

int load_run_all(const load_params *p) {
  load_run run = {.p = p};
  pthread_mutex_init(&run.lock, NULL);
  run.latency_ms = calloc((size_t)p->requests, sizeof(double));
  pthread_t *threads = calloc((size_t)p->concurrency, sizeof(pthread_t));
  if (!run.latency_ms || !threads) {
    free(run.latency_ms);
    free(threads);
    cli_error("get", "out of memory");
    return EXIT_FAIL;
  }
  double t0 = cli_mono_ms();
  for (int i = 0; i < p->concurrency; i++) pthread_create(&threads[i], NULL, worker, &run);
  for (int i = 0; i < p->concurrency; i++) pthread_join(threads[i], NULL);
  double seconds = (cli_mono_ms() - t0) / 1e3;
  printf("requests: %ld ok, %ld failed in %.3f s: %.0f req/s (%s, %d in flight)\n", run.ok,
         run.failed, seconds, (double)run.ok / seconds,
         p->shared ? "one connection" : "a connection each", p->concurrency);
  cli_print_latency(run.latency_ms, p->requests);
  if (run.failed) cli_error("get", "%ld requests failed; first: %s", run.failed, run.first_error);
  free(run.latency_ms);
  free(threads);
  pthread_mutex_destroy(&run.lock);
  return run.failed ? EXIT_FAIL : EXIT_OK;
}
