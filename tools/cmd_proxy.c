/*
 * cmd_proxy.c — `zquic proxy`: run Wraith, the HTTP/3 reverse proxy, from a configuration file
 * (docs/CONFIG.md, "Wraith") or, for a quick start, from flags naming one listener and its
 * backends.
 *
 * The main thread waits in sigwait: SIGHUP re-reads the file (a file that does not load is
 * reported with its line and the old configuration keeps serving), SIGINT/SIGTERM stop.
 */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_FLAG_BACKENDS 64

static void usage(FILE *out) {
  fprintf(out,
          "usage: zquic proxy --config FILE [--check] [--port-file FILE]\n"
          "                   [--metrics-port-file FILE] [--log-level LEVEL]\n"
          "       zquic proxy --listen ADDR:PORT --cert FILE --key FILE\n"
          "                   (--backend ADDR | --http1-backend ADDR)... [--lb MODE]\n"
          "                   [--backend-ca FILE] [--health-interval S] [--timeout MS]\n"
          "                   [--metrics ADDR:PORT] [--access-log FILE|-]\n"
          "\n"
          "Wraith: terminate HTTP/3 and spread requests over backends that speak HTTP/3\n"
          "or HTTP/1.1, with routes by host and path, balancing, health checks, retries,\n"
          "rate limits and a Prometheus endpoint. SIGHUP reloads the file without dropping\n"
          "requests in flight (a bad file is refused, with its line, and the old\n"
          "configuration keeps serving); SIGINT/SIGTERM stop.\n"
          "\n"
          "  --config FILE       the configuration (libconfig; docs/CONFIG.md, \"Wraith\")\n"
          "  --check             read and validate the file, print a verdict and exit:\n"
          "                      0 = OK, 2 = not (the error names FILE:LINE)\n"
          "  --listen ADDR:PORT  without a file: the one listener (UDP)\n"
          "  --cert FILE --key FILE  its certificate chain and key (PEM)\n"
          "  --backend ADDR      an HTTP/3 backend host:port (repeatable)\n"
          "  --http1-backend ADDR  an HTTP/1.1 backend host:port (repeatable)\n"
          "  --backend-ca FILE   trust anchors for the HTTP/3 backends (default: system)\n"
          "  --lb MODE           round_robin (default), least_connections, weighted,\n"
          "                      ip_hash or random\n"
          "  --health-interval S active health checks (GET /) every S seconds; 0 = off\n"
          "  --timeout MS        backend response deadline, 504 after (default 30000)\n"
          "  --metrics ADDR:PORT Prometheus text at http://ADDR:PORT/metrics\n"
          "  --access-log FILE   one line per request (\"-\" = stderr)\n"
          "  --port-file FILE    write the first listener's UDP port to FILE\n"
          "  --metrics-port-file FILE  write the metrics TCP port to FILE\n"
          "  --log-level LEVEL   error, warn, info (default) or debug\n");
}

typedef struct proxy_flags {
  zquic_proxy_config cfg;
  zquic_proxy_backend backends[MAX_FLAG_BACKENDS];
  size_t n_backends;
  const char *port_file, *metrics_port_file;
  int check;
} proxy_flags;

static int add_flag_backend(proxy_flags *f, const char *address, int protocol) {
  if (f->n_backends == MAX_FLAG_BACKENDS) {
    cli_error("proxy", "at most %d backends on the command line (use --config)",
              MAX_FLAG_BACKENDS);
    return -1;
  }
  zquic_proxy_backend *b = &f->backends[f->n_backends++];
  zquic_proxy_backend_init(b);
  b->address = address;
  b->protocol = protocol;
  return 0;
}

static int parse_uint(const char *flag, const char *text, unsigned long max, uint32_t *out) {
  char *end = NULL;
  unsigned long v = strtoul(text, &end, 10);
  if (!*text || *end || v > max) {
    cli_error("proxy", "%s wants a number from 0 to %lu", flag, max);
    return -1;
  }
  *out = (uint32_t)v;
  return 0;
}

static int lb_from_name(const char *name) {
  static const char *names[] = {"round_robin", "least_connections", "weighted", "ip_hash",
                                "random"};
  for (int i = 0; i < 5; i++)
    if (strcmp(name, names[i]) == 0) return i;
  return -1;
}

/* 0 = parsed, else the exit code. */
static int parse_flags(int argc, char **argv, proxy_flags *f) {
  enum { O_HTTP1 = 256, O_CA, O_HEALTH, O_TIMEOUT, O_METRICS, O_ACCESS, O_PORT, O_MPORT, O_LOG };
  static const struct option opts[] = {
    {"config", required_argument, NULL, 'c'}, {"check", no_argument, NULL, 'k'},
    {"listen", required_argument, NULL, 'l'}, {"cert", required_argument, NULL, 'C'},
    {"key", required_argument, NULL, 'K'},    {"backend", required_argument, NULL, 'b'},
    {"lb", required_argument, NULL, 'm'},     {"http1-backend", required_argument, NULL, O_HTTP1},
    {"backend-ca", required_argument, NULL, O_CA},
    {"health-interval", required_argument, NULL, O_HEALTH},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"metrics", required_argument, NULL, O_METRICS},
    {"access-log", required_argument, NULL, O_ACCESS},
    {"port-file", required_argument, NULL, O_PORT},
    {"metrics-port-file", required_argument, NULL, O_MPORT},
    {"log-level", required_argument, NULL, O_LOG}, {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};
  zquic_proxy_config *c = &f->cfg;
  int opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    int bad = 0;
    switch (opt) {
    case 'c': c->config_file = optarg; break;
    case 'k': f->check = 1; break;
    case 'l': c->listen = optarg; break;
    case 'C': c->cert_file = optarg; break;
    case 'K': c->key_file = optarg; break;
    case 'b': bad = add_flag_backend(f, optarg, ZQUIC_PROXY_BACKEND_H3); break;
    case O_HTTP1: bad = add_flag_backend(f, optarg, ZQUIC_PROXY_BACKEND_HTTP1); break;
    case 'm':
      if ((c->lb_mode = lb_from_name(optarg)) < 0) {
        cli_error("proxy", "--lb \"%s\": use round_robin, least_connections, weighted, "
                  "ip_hash or random", optarg);
        bad = -1;
      }
      break;
    case O_CA: c->backend_ca_file = optarg; break;
    case O_HEALTH: bad = parse_uint("--health-interval", optarg, 86400, &c->health_check_interval_s); break;
    case O_TIMEOUT: bad = parse_uint("--timeout", optarg, 3600000, &c->timeout_ms); break;
    case O_METRICS: c->metrics_listen = optarg; break;
    case O_ACCESS: c->access_log = optarg; break;
    case O_PORT: f->port_file = optarg; break;
    case O_MPORT: f->metrics_port_file = optarg; break;
    case O_LOG:
      if ((cli_log_level = cli_parse_log_level(optarg)) < 0) {
        cli_error("proxy", "--log-level: error, warn, info or debug");
        bad = -1;
      }
      break;
    case 'h': usage(stdout); return EXIT_OK + 100;
    default: usage(stderr); return EXIT_USAGE;
    }
    if (bad) return EXIT_USAGE;
  }
  if (optind != argc) {
    cli_error("proxy", "unexpected argument \"%s\"", argv[optind]);
    return EXIT_USAGE;
  }
  if (f->check && !c->config_file) {
    cli_error("proxy", "--check needs --config FILE");
    return EXIT_USAGE;
  }
  if (c->config_file && (c->listen || f->n_backends)) {
    cli_error("proxy", "--config and --listen/--backend do not mix: put everything in the file");
    return EXIT_USAGE;
  }
  if (!c->config_file && (!c->listen || !c->cert_file || !c->key_file)) {
    cli_error("proxy", "give --config FILE, or --listen, --cert and --key");
    usage(stderr);
    return EXIT_USAGE;
  }
  return 0;
}

static void write_port(const char *path, int port) {
  if (!path) return;
  FILE *out = fopen(path, "w");
  if (!out || fprintf(out, "%d\n", port) < 0 || fclose(out) != 0)
    cli_error("proxy", "cannot write %s", path);
}

static void log_stats(zquic_proxy *px) {
  zquic_proxy_counters s = {.struct_size = sizeof(s)};
  if (zquic_proxy_stats(px, &s) != ZQUIC_OK) return;
  cli_log(2, "proxy: %llu requests (2xx %llu, 4xx %llu, 5xx %llu), %llu retried; %u of %u "
             "backends healthy in %u pool(s); %llu reloads, %llu refused",
          (unsigned long long)s.requests, (unsigned long long)s.responses[2],
          (unsigned long long)s.responses[4], (unsigned long long)s.responses[5],
          (unsigned long long)s.retries, s.backends_healthy, s.backends, s.pools,
          (unsigned long long)s.reloads, (unsigned long long)s.reload_failures);
}

static int start(proxy_flags *f, zquic_context **ctx, zquic_proxy **px) {
  int rc = zquic_init(NULL, ctx);
  if (rc == 0) rc = zquic_proxy_create(*ctx, &f->cfg, px);
  for (size_t i = 0; rc == 0 && i < f->n_backends; i++) {
    f->backends[i].ca_file = f->cfg.backend_ca_file;
    rc = zquic_proxy_add_backend(*px, &f->backends[i]);
  }
  return rc;
}

static void serve_until_stopped(zquic_proxy *px, const proxy_flags *f, sigset_t *set) {
  int port = zquic_proxy_port(px, 0);
  write_port(f->port_file, port);
  int metrics = zquic_proxy_metrics_port(px);
  if (metrics > 0) write_port(f->metrics_port_file, metrics);
  printf("zquic proxy: HTTP/3 on port %d%s", port, metrics > 0 ? ", metrics on TCP port " : "");
  if (metrics > 0) printf("%d", metrics);
  printf("\n");
  fflush(stdout);
  for (;;) {
    int sig = 0;
    if (sigwait(set, &sig) != 0) continue;
    if (sig != SIGHUP) break;
    if (!f->cfg.config_file) {
      cli_log(1, "proxy: SIGHUP ignored: no --config file to reload");
      continue;
    }
    if (zquic_proxy_reload(px) != ZQUIC_OK)
      cli_log(0, "proxy: reload refused, still serving the old configuration: %s",
              zquic_last_error());
    else
      cli_log(2, "proxy: configuration reloaded from %s", f->cfg.config_file);
    log_stats(px);
  }
  log_stats(px);
}

int cmd_proxy(int argc, char **argv) {
  static proxy_flags f; /* big (backend array): not on the stack */
  memset(&f, 0, sizeof(f));
  zquic_proxy_config_init(&f.cfg);
  int rc = parse_flags(argc, argv, &f);
  if (rc) return rc == EXIT_OK + 100 ? EXIT_OK : rc;
  if (f.check) {
    if (zquic_proxy_config_check(f.cfg.config_file) != ZQUIC_OK) {
      fprintf(stderr, "zquic proxy: error: %s\n", zquic_last_error());
      return EXIT_USAGE;
    }
    printf("zquic proxy: %s: configuration OK\n", f.cfg.config_file);
    return EXIT_OK;
  }
  sigset_t set;
  cli_block_stop_signals(&set); /* before the loop thread starts: it inherits the mask */
  zquic_context *ctx = NULL;
  zquic_proxy *px = NULL;
  rc = start(&f, &ctx, &px);
  if (rc) {
    cli_zerror("proxy", "cannot start", rc);
    zquic_proxy_destroy(px);
    zquic_destroy(ctx);
    return rc == ZQUIC_ERR_INVALID_ARGUMENT || rc == ZQUIC_ERR_IO ? EXIT_USAGE : EXIT_FAIL;
  }
  serve_until_stopped(px, &f, &set);
  zquic_proxy_destroy(px);
  zquic_destroy(ctx);
  return EXIT_OK;
}
