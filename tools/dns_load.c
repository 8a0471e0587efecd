/*
 * dns_load.c — `zquic dns query -n N -c C [--conns K]`: N queries, C in flight, spread over K
 * DoQ connections (default 1), then queries/s and latency percentiles.
 *
 * Built on zquic_dns_query_async: C slots, each with one query in flight, and each answer's
 * callback (on the library's loop thread) starts its slot's next query. So there is no thread
 * per query in flight and no wake-up of a waiting thread per answer: the answers read in one
 * loop turn and the queries they start go out together, as a service built on the asynchronous
 * API would run.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct load_run load_run;

typedef struct slot {
  load_run *run;
  zquic_connection *conn;
  long index; /* the query in flight */
  double t0;
} slot;

struct load_run {
  const dns_load_params *p;
  zquic_connection **conns;
  atomic_long next, ok, failed;
  double *latency_ms;
  pthread_mutex_t lock; /* first_error, idle_slots */
  pthread_cond_t idle;
  char first_error[256];
  int idle_slots;
};

static void record_failure(load_run *run, const char *why) {
  pthread_mutex_lock(&run->lock);
  if (atomic_fetch_add(&run->failed, 1) == 0)
    snprintf(run->first_error, sizeof(run->first_error), "%s", why);
  pthread_mutex_unlock(&run->lock);
}

static void on_answer(int result, zquic_dns_response *resp, void *user);

/* Start the slot's next query; with none left (or none that starts) the slot goes idle. */
static void slot_next(slot *s) {
  load_run *run = s->run;
  const dns_load_params *p = run->p;
  for (;;) {
    long i = atomic_fetch_add(&run->next, 1);
    if (i >= p->queries) break;
    s->index = i;
    s->t0 = cli_mono_ms();
    int rc = zquic_dns_query_async(s->conn, p->name, p->type, p->query_options, on_answer, s);
    if (rc == ZQUIC_OK) return;
    run->latency_ms[i] = cli_mono_ms() - s->t0;
    record_failure(run, zquic_last_error());
  }
  pthread_mutex_lock(&run->lock);
  run->idle_slots++;
  pthread_cond_signal(&run->idle);
  pthread_mutex_unlock(&run->lock);
}

static void on_answer(int result, zquic_dns_response *resp, void *user) {
  slot *s = user;
  load_run *run = s->run;
  run->latency_ms[s->index] = cli_mono_ms() - s->t0;
  if (result == ZQUIC_OK) atomic_fetch_add(&run->ok, 1);
  else record_failure(run, zquic_last_error());
  zquic_dns_response_free(resp);
  slot_next(s);
}

int dns_load_run(const dns_load_params *p) {
  load_run run;
  memset(&run, 0, sizeof(run));
  run.p = p;
  pthread_mutex_init(&run.lock, NULL);
  pthread_cond_init(&run.idle, NULL);
  run.conns = calloc((size_t)p->conns, sizeof(zquic_connection *));
  run.latency_ms = calloc((size_t)p->queries, sizeof(double));
  slot *slots = calloc((size_t)p->concurrency, sizeof(slot));
  int code = EXIT_FAIL;
  if (!run.conns || !run.latency_ms || !slots) {
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
  for (int i = 0; i < p->concurrency; i++) {
    slots[i] = (slot){&run, run.conns[i % p->conns], -1, 0};
    slot_next(&slots[i]);
  }
  pthread_mutex_lock(&run.lock);
  while (run.idle_slots < p->concurrency) pthread_cond_wait(&run.idle, &run.lock);
  pthread_mutex_unlock(&run.lock);
  double secs = (cli_mono_ms() - t0) / 1e3;
  long n = p->queries;
  printf("queries: %ld ok, %ld failed, in %.3f s, %d in flight on %d connection%s\n",
         (long)run.ok, (long)run.failed, secs, p->concurrency, p->conns, p->conns == 1 ? "" : "s");
  printf("rate: %.0f queries/s\n", (double)n / secs);
  cli_print_latency(run.latency_ms, n);
  if (run.failed) printf("first error: %s\n", run.first_error);
  code = run.failed ? EXIT_FAIL : EXIT_OK;
out:
  for (int i = 0; run.conns && i < p->conns; i++) zquic_close_connection(run.conns[i]);
  free(run.conns);
  free(run.latency_ms);
  free(slots);
  pthread_cond_destroy(&run.idle);
  pthread_mutex_destroy(&run.lock);
  return code;
}
