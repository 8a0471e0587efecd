/*
 * cmd_grpc.c — `zquic grpc call` and `zquic grpc serve` (the server lives in serve.c).
 *
 * A single call goes through the streaming API, so that one command shows every reply message of
 * a server-streaming method as well as the one of a unary method. The load mode (-n N -c C) uses
 * asynchronous unary calls: completions start the next call from the loop thread, so C calls stay
 * in flight without a thread each, which is how a service would drive the library.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define CLI_MAX_METADATA 32

typedef struct call_opts {
  const char *address, *method, *data_hex, *data_file, *ca, *sni;
  int insecure, compress, quiet;
  long timeout_ms, requests, concurrency;
  zquic_grpc_metadata md[CLI_MAX_METADATA];
  size_t n_md;
} call_opts;

static void call_usage(FILE *out) {
  fprintf(out,
          "usage: zquic grpc call [OPTIONS] ADDR:PORT /package.Service/Method\n"
          "\n"
          "Call a gRPC method over HTTP/3 (GhostBridge) with one request message and print\n"
          "  grpc-status: N (NAME)\n"
          "  grpc-message: TEXT        (when the server sent one)\n"
          "  KEY: VALUE                (response metadata and trailers; -bin values in hex)\n"
          "  message: HEX              (each reply message)\n"
          "Exit status: 0 only for status OK, 1 for any other status or a failed call,\n"
          "2 for a usage error.\n"
          "\n"
          "  --data-hex HEX      request message bytes in hex (default: empty message)\n"
          "  --data-file FILE    request message bytes from FILE (- = stdin)\n"
          "  --timeout MS        deadline of the call (default 10000)\n"
          "  -H KEY:VALUE        request metadata (repeatable; KEY-bin values in hex)\n"
          "  --ca FILE           trust anchors (default: the system's)\n"
          "  --insecure          do not verify the server certificate (tests only)\n"
          "  --sni NAME          server name to verify (default: the host of ADDR)\n"
          "  --compress          send the request gzip-compressed\n"
          "  -n N -c C           load mode: N calls, C in flight, on one connection; prints\n"
          "                      calls/s and latency percentiles instead of the answer\n");
}

static const struct option call_options[] = {
  {"data-hex", required_argument, NULL, 'x'}, {"data-file", required_argument, NULL, 'f'},
  {"timeout", required_argument, NULL, 't'},  {"ca", required_argument, NULL, 'a'},
  {"insecure", no_argument, NULL, 'k'},       {"sni", required_argument, NULL, 's'},
  {"compress", no_argument, NULL, 'z'},       {"help", no_argument, NULL, 'h'},
  {NULL, 0, NULL, 0}};

static long number(const char *flag, const char *text, long max) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno || *end || v < 1 || v > max) {
    cli_error("grpc call", "%s wants a number from 1 to %ld", flag, max);
    return -1;
  }
  return v;
}

/* Hex text to bytes (heap); NULL and a message on bad input. */
static uint8_t *from_hex(const char *what, const char *text, size_t *len) {
  size_t cap = strlen(text) / 2 + 1;
  uint8_t *out = malloc(cap);
  if (out && zquic_crypto_hex_decode(text, strlen(text), out, cap, len) == ZQUIC_OK) return out;
  free(out);
  cli_error("grpc call", "%s is not hex text", what);
  return NULL;
}

static int add_metadata(call_opts *o, const char *text) {
  const char *colon = strchr(text, ':');
  if (!colon || colon == text || o->n_md == CLI_MAX_METADATA) {
    cli_error("grpc call", "-H wants KEY:VALUE (at most %d)", CLI_MAX_METADATA);
    return -1;
  }
  char *key = strndup(text, (size_t)(colon - text));
  const char *value = colon + 1;
  while (*value == ' ') value++;
  size_t klen = strlen(key), vlen = strlen(value);
  uint8_t *bytes = NULL;
  if (klen > 4 && !strcmp(key + klen - 4, "-bin")) {
    if (!(bytes = from_hex("a -bin metadata value", value, &vlen))) {
      free(key);
      return -1;
    }
  } else {
    bytes = (uint8_t *)strdup(value);
  }
  o->md[o->n_md++] = (zquic_grpc_metadata){key, bytes, vlen};
  return 0;
}

static int parse_call(int argc, char **argv, call_opts *o) {
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "hH:n:c:", call_options, NULL)) != -1) {
    switch (c) {
    case 'x': o->data_hex = optarg; break;
    case 'f': o->data_file = optarg; break;
    case 't': if ((o->timeout_ms = number("--timeout", optarg, 86400000)) < 0) return EXIT_USAGE; break;
    case 'a': o->ca = optarg; break;
    case 'k': o->insecure = 1; break;
    case 's': o->sni = optarg; break;
    case 'z': o->compress = 1; break;
    case 'H': if (add_metadata(o, optarg) != 0) return EXIT_USAGE; break;
    case 'n': if ((o->requests = number("-n", optarg, 100000000)) < 0) return EXIT_USAGE; break;
    case 'c': if ((o->concurrency = number("-c", optarg, 100000)) < 0) return EXIT_USAGE; break;
    case 'h': call_usage(stdout); return EXIT_OK;
    default: call_usage(stderr); return EXIT_USAGE;
    }
  }
  if (argc - optind != 2) {
    cli_error("grpc call", "want ADDR:PORT and /package.Service/Method");
    call_usage(stderr);
    return EXIT_USAGE;
  }
  if (o->data_hex && o->data_file) {
    cli_error("grpc call", "--data-hex and --data-file exclude each other");
    return EXIT_USAGE;
  }
  o->address = argv[optind];
  o->method = argv[optind + 1];
  return -1;
}

static uint8_t *read_request(const call_opts *o, size_t *len) {
  *len = 0;
  if (o->data_hex) return from_hex("--data-hex", o->data_hex, len);
  if (!o->data_file) return calloc(1, 1);
  FILE *f = strcmp(o->data_file, "-") ? fopen(o->data_file, "rb") : stdin;
  if (!f) {
    cli_error("grpc call", "cannot read %s: %s", o->data_file, strerror(errno));
    return NULL;
  }
  size_t cap = 65536;
  uint8_t *buf = malloc(cap);
  size_t n;
  while (buf && (n = fread(buf + *len, 1, cap - *len, f)) > 0) {
    *len += n;
    if (*len == cap) {
      uint8_t *bigger = cap < ((size_t)1 << 30) ? realloc(buf, cap *= 2) : NULL;
      if (!bigger) free(buf);
      buf = bigger;
    }
  }
  if (f != stdin) fclose(f);
  if (!buf) cli_error("grpc call", "%s is too large", o->data_file);
  return buf;
}

static void print_hex(const char *label, const uint8_t *data, size_t len) {
  printf("%s", label);
  for (size_t i = 0; i < len; i++) printf("%02x", data[i]);
  putchar('\n');
}

static void print_status(const zquic_grpc_response *r) {
  printf("grpc-status: %d (%s)\n", r->status, zquic_grpc_status_name(r->status));
  if (r->error[0]) printf("grpc-message: %s\n", r->error);
  const char *key;
  const uint8_t *value;
  size_t len;
  for (size_t i = 0; zquic_grpc_response_metadata(r, i, &key, &value, &len) == ZQUIC_OK; i++) {
    size_t klen = strlen(key);
    if (klen > 4 && !strcmp(key + klen - 4, "-bin")) {
      char label[300];
      snprintf(label, sizeof(label), "%s: ", key);
      print_hex(label, value, len);
    } else {
      printf("%s: %s\n", key, (const char *)value);
    }
  }
}

static int one_call(zquic_connection *conn, const call_opts *o,
                    const zquic_grpc_call_options *co, const uint8_t *req, size_t len) {
  zquic_grpc_stream *s;
  int rc = zquic_grpc_stream_start(conn, o->method, co, &s);
  if (rc) {
    cli_zerror("grpc call", "call", rc);
    return rc == ZQUIC_ERR_INVALID_ARGUMENT ? EXIT_USAGE : EXIT_FAIL;
  }
  rc = zquic_grpc_stream_send(s, req, len, (int)o->timeout_ms);
  if (rc == 0) rc = zquic_grpc_stream_close_send(s);
  const uint8_t *msg;
  size_t mlen;
  /* The call's own deadline ends it; the wait is bounded beyond that just in case. */
  while (rc == 0 && zquic_grpc_stream_recv(s, (int)o->timeout_ms + 5000, &msg, &mlen) > 0)
    print_hex("message: ", msg, mlen);
  const zquic_grpc_response *r = zquic_grpc_stream_status(s);
  int code = EXIT_FAIL;
  if (r) {
    print_status(r);
    code = r->status == ZQUIC_GRPC_OK ? EXIT_OK : EXIT_FAIL;
  } else {
    cli_zerror("grpc call", "call", rc ? rc : ZQUIC_ERR_TIMEOUT);
  }
  zquic_grpc_stream_free(s);
  return code;
}

/* ---- load mode ------------------------------------------------------------------------------ */

typedef struct load_state {
  zquic_connection *conn;
  const call_opts *o;
  const zquic_grpc_call_options *co;
  const uint8_t *req;
  size_t len;
  pthread_mutex_t lock;
  pthread_cond_t done_cond;
  long started, finished, failed;
  double *latency_ms, t0;
  char first_error[300];
} load_state;

typedef struct load_slot {
  load_state *st;
  double started_ms;
} load_slot;

static void start_next(load_slot *slot);

static void on_load_done(zquic_grpc_response *resp, void *user) {
  load_slot *slot = user;
  load_state *st = slot->st;
  double ms = cli_mono_ms() - slot->started_ms;
  pthread_mutex_lock(&st->lock);
  st->latency_ms[st->finished++] = ms;
  if (resp->status != ZQUIC_GRPC_OK && st->failed++ == 0)
    snprintf(st->first_error, sizeof(st->first_error), "%.30s %.250s",
             zquic_grpc_status_name(resp->status), resp->error);
  bool all = st->finished == st->o->requests;
  pthread_mutex_unlock(&st->lock);
  zquic_grpc_response_free(resp);
  if (all) {
    pthread_mutex_lock(&st->lock);
    pthread_cond_signal(&st->done_cond);
    pthread_mutex_unlock(&st->lock);
  } else {
    start_next(slot);
  }
}

static void start_next(load_slot *slot) {
  load_state *st = slot->st;
  pthread_mutex_lock(&st->lock);
  bool more = st->started < st->o->requests;
  if (more) st->started++;
  pthread_mutex_unlock(&st->lock);
  if (!more) return;
  slot->started_ms = cli_mono_ms();
  if (zquic_grpc_call_async(st->conn, st->o->method, st->req, st->len, st->co, on_load_done,
                            slot) != ZQUIC_OK) {
    pthread_mutex_lock(&st->lock);
    st->latency_ms[st->finished++] = 0;
    if (st->failed++ == 0) snprintf(st->first_error, sizeof(st->first_error), "%.250s",
                                    zquic_last_error());
    if (st->finished == st->o->requests) pthread_cond_signal(&st->done_cond);
    pthread_mutex_unlock(&st->lock);
  }
}

static int run_load(zquic_connection *conn, const call_opts *o, const zquic_grpc_call_options *co,
                    const uint8_t *req, size_t len) {
  load_state st = {.conn = conn, .o = o, .co = co, .req = req, .len = len};
  pthread_mutex_init(&st.lock, NULL);
  pthread_cond_init(&st.done_cond, NULL);
  long c = o->concurrency ? o->concurrency : 1;
  if (c > o->requests) c = o->requests;
  st.latency_ms = calloc((size_t)o->requests, sizeof(double));
  load_slot *slots = calloc((size_t)c, sizeof(*slots));
  if (!st.latency_ms || !slots) {
    cli_error("grpc call", "out of memory");
    free(st.latency_ms);
    free(slots);
    return EXIT_FAIL;
  }
  st.t0 = cli_mono_ms();
  for (long i = 0; i < c; i++) {
    slots[i].st = &st;
    start_next(&slots[i]);
  }
  pthread_mutex_lock(&st.lock);
  while (st.finished < o->requests) pthread_cond_wait(&st.done_cond, &st.lock);
  pthread_mutex_unlock(&st.lock);
  double secs = (cli_mono_ms() - st.t0) / 1e3;
  printf("calls: %ld ok, %ld failed, in %.3f s, %ld in flight\n", o->requests - st.failed,
         st.failed, secs, c);
  printf("rate: %.0f calls/s\n", (double)o->requests / secs);
  cli_print_latency(st.latency_ms, o->requests);
  if (st.failed) printf("first error: %s\n", st.first_error);
  free(st.latency_ms);
  free(slots);
  pthread_mutex_destroy(&st.lock);
  pthread_cond_destroy(&st.done_cond);
  return st.failed ? EXIT_FAIL : EXIT_OK;
}

static int grpc_call(int argc, char **argv) {
  call_opts o = {.timeout_ms = 10000};
  int code = parse_call(argc, argv, &o);
  size_t len = 0;
  uint8_t *req = code < 0 ? read_request(&o, &len) : NULL;
  zquic_context *ctx = NULL;
  zquic_connection *conn = NULL;
  if (code < 0 && !req) code = EXIT_USAGE;
  if (code < 0) {
    zquic_config cfg;
    zquic_config_init(&cfg);
    cfg.alpn = "h3";
    cfg.connection_timeout_ms = (uint32_t)o.timeout_ms;
    zquic_connect_options co;
    zquic_connect_options_init(&co);
    co.ca_file = o.ca;
    co.sni = o.sni;
    co.insecure_skip_verify_DANGEROUS = o.insecure;
    int rc = zquic_init(&cfg, &ctx);
    if (rc == 0) rc = zquic_create_connection_ex(ctx, o.address, &co, &conn);
    if (rc) {
      cli_zerror("grpc call", "connect", rc);
      code = rc == ZQUIC_ERR_INVALID_ARGUMENT ? EXIT_USAGE : EXIT_FAIL;
    }
  }
  if (code < 0) {
    zquic_grpc_call_options gco;
    zquic_grpc_call_options_init(&gco);
    gco.timeout_ms = (int)o.timeout_ms;
    gco.metadata = o.md;
    gco.n_metadata = o.n_md;
    gco.compress = o.compress;
    code = o.requests ? run_load(conn, &o, &gco, req, len) : one_call(conn, &o, &gco, req, len);
  }
  zquic_close_connection(conn);
  zquic_destroy(ctx);
  for (size_t i = 0; i < o.n_md; i++) {
    free((char *)(uintptr_t)o.md[i].key);
    free((uint8_t *)(uintptr_t)o.md[i].value);
  }
  free(req);
  return code;
}

static void usage(FILE *out) {
  fprintf(out, "usage: zquic grpc call|serve [OPTIONS] ...\n"
               "\n"
               "GhostBridge: gRPC over HTTP/3.\n"
               "  call    call a method and print the status, metadata and reply messages\n"
               "  serve   run an echo service with the health service (for tests and trying)\n"
               "`zquic grpc COMMAND --help` describes each.\n");
}

int cmd_grpc(int argc, char **argv) {
  static const cli_command subs[] = {{"call", grpc_call, NULL}, {"serve", cli_grpc_serve, NULL}};
  return cli_run_subcommand("grpc", argc, argv, subs, 2, usage);
}
