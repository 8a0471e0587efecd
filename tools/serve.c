/*
 * serve.c — `zquic serve` and `zquic node`: long-running HTTP/3 servers.
 *
 * Both bind, print where they listen, then wait for SIGINT/SIGTERM in the main thread with
 * sigwait (the signals are blocked in every thread, including the library's loop thread, so none
 * interrupts a system call there). On a signal they stop the server, which closes connections
 * with H3_NO_ERROR, and exit 0.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "node_config.h"

static const char builtin_page[] =
  "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>zquic node</title></head>\n"
  "<body><h1>zquic node</h1>\n"
  "<p>This page came to you over QUIC and HTTP/3, served by zquic " ZQUIC_VERSION_STRING ".</p>\n"
  "</body></html>\n";

static int wait_for_stop(sigset_t *set, zquic_dns_server *dns, zquic_proxy *proxy) {
  for (;;) {
    int sig = 0;
    if (sigwait(set, &sig) != 0) return -1;
    if (sig == SIGHUP && dns) {
      if (zquic_dns_server_reload(dns) != 0)
        cli_log(0, "SIGHUP: DNS reload failed, still serving the old data: %s", zquic_last_error());
      else
        cli_log(2, "SIGHUP: DNS zones and ZNS registry reloaded");
    }
    if (sig == SIGHUP && proxy) {
      if (zquic_proxy_reload(proxy) != 0)
        cli_log(0, "SIGHUP: Wraith reload refused, still serving the old configuration: %s",
                zquic_last_error());
      else
        cli_log(2, "SIGHUP: Wraith configuration reloaded");
    }
    if (sig == SIGHUP && (dns || proxy)) continue;
    if (sig == SIGHUP) {
      cli_log(2, "SIGHUP: nothing to reload in this mode");
      continue;
    }
    cli_log(2, "%s: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    return sig;
  }
}

static int write_port_file(const char *path, int port) {
  if (!path) return 0;
  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) return -1;
  fprintf(f, "%d\n", port);
  if (fclose(f) != 0) return -1;
  return rename(tmp, path); /* readers never see a half-written file */
}

/* $XDG_STATE_HOME/zquic, else ~/.local/state/zquic; created with mode 0700. */
static int default_state_dir(char *out, size_t cap) {
  const char *xdg = getenv("XDG_STATE_HOME");
  const char *home = getenv("HOME");
  if (xdg && *xdg) snprintf(out, cap, "%s/zquic", xdg);
  else if (home && *home) snprintf(out, cap, "%s/.local/state/zquic", home);
  else return -1;
  return 0;
}

static int mkdir_p(const char *path) {
  char buf[4096];
  snprintf(buf, sizeof(buf), "%s", path);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(buf, 0700) != 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  return mkdir(buf, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* Make sure DIR/cert.pem and DIR/key.pem exist, creating a self-signed pair the first time. */
static int ensure_cert(const char *cmd, const char *dir, char *cert, char *key, size_t cap) {
  snprintf(cert, cap, "%s/cert.pem", dir);
  snprintf(key, cap, "%s/key.pem", dir);
  if (access(cert, R_OK) == 0 && access(key, R_OK) == 0) return 0;
  if (mkdir_p(dir) != 0) {
    cli_error(cmd, "cannot create state directory %s: %s", dir, strerror(errno));
    return -1;
  }
  const char *names[] = {"localhost", "127.0.0.1", "::1"};
  if (cli_cert_generate(dir, names, 3, 365) != 0) return -1;
  cli_log(2, "created a self-signed certificate in %s", dir);
  return 0;
}

typedef struct server_opts {
  const char *listen, *cert, *key, *state_dir, *port_file, *root, *qlog_dir, *versions;
  const char *config_file, *log_level;
  const char *grpc_methods; /* grpc serve --methods */
  const char *dns_listen;   /* node --dns-listen */
  int retry, enable_0rtt, cc, cc_given, check_only;
  int site;      /* serve the directory or built-in page */
  int grpc_echo; /* serve GhostBridge: the echo service and health */
  node_config file; /* the config file's values, when --config is given */
  long idle_timeout_ms, max_streams, workers;
  char generated_cert[4200], generated_key[4200]; /* paths when the state directory provides them */
} server_opts;

/* Fill what the command line left unset from the config file (if any), then the defaults.
 * Returns -1 to go on, or an exit code. */
static int apply_config(const char *cmd, server_opts *o) {
  node_config *f = &o->file;
  node_config_defaults(f);
  if (o->config_file) {
    char error[512];
    if (node_config_load(f, o->config_file, error, sizeof(error)) != 0) {
      cli_error(cmd, "%s", error);
      return EXIT_USAGE;
    }
  }
#define FROM_FILE(field, value) if (!o->field && (value)[0]) o->field = (value)
  FROM_FILE(listen, f->listen);
  FROM_FILE(state_dir, f->state_dir);
  FROM_FILE(cert, f->cert);
  FROM_FILE(key, f->key);
  FROM_FILE(qlog_dir, f->qlog_dir);
  FROM_FILE(versions, f->versions);
  FROM_FILE(log_level, f->log_level);
#undef FROM_FILE
  if (!o->root && f->root[0] && strcmp(cmd, "node") == 0) o->root = f->root;
  if (!o->idle_timeout_ms) o->idle_timeout_ms = f->idle_timeout_ms;
  if (!o->max_streams) o->max_streams = f->max_streams;
  if (!o->workers) o->workers = f->workers;
  o->retry |= f->retry;
  o->enable_0rtt |= f->early_data;
  if (!o->cc_given && (o->cc = cli_parse_cc(f->cc)) < 0) {
    cli_error(cmd, "%s: cc must be cubic, bbr or reno, not \"%s\"", o->config_file, f->cc);
    return EXIT_USAGE;
  }
  if ((cli_log_level = cli_parse_log_level(o->log_level)) < 0) {
    cli_error(cmd, "log_level must be error, warn, info or debug, not \"%s\"", o->log_level);
    return EXIT_USAGE;
  }
  if (o->check_only) {
    /* Validate what only the files can tell: certificate and key, the directory to serve. */
    if (o->cert && (access(o->cert, R_OK) != 0 || access(o->key ? o->key : "", R_OK) != 0)) {
      cli_error(cmd, "cannot read the certificate or key (%s, %s)", o->cert, o->key ? o->key : "-");
      return EXIT_USAGE;
    }
    struct stat st;
    if (o->root && (stat(o->root, &st) != 0 || !S_ISDIR(st.st_mode))) {
      cli_error(cmd, "\"%s\" is not a directory", o->root);
      return EXIT_USAGE;
    }
    printf("zquic %s: configuration OK (listen %s%s%s)\n", cmd, o->listen,
           o->config_file ? ", from " : "", o->config_file ? o->config_file : "");
    return EXIT_OK;
  }
  return -1;
}

static int run_server(const char *cmd, server_opts *o) {
  char state[4096] = "";
  char *cert = o->generated_cert, *key = o->generated_key;
  if (!o->cert != !o->key) {
    cli_error(cmd, "--cert and --key go together");
    return EXIT_USAGE;
  }
  if (!o->cert) {
    if (o->state_dir) snprintf(state, sizeof(state), "%s", o->state_dir);
    else if (default_state_dir(state, sizeof(state)) != 0) {
      cli_error(cmd, "no HOME or XDG_STATE_HOME: pass --state-dir or --cert/--key");
      return EXIT_USAGE;
    }
    if (ensure_cert(cmd, state, cert, key, sizeof(o->generated_cert)) != 0) return EXIT_FAIL;
    o->cert = cert;
    o->key = key;
  }
  sigset_t set;
  cli_block_stop_signals(&set);
  zquic_context *ctx = NULL;
  zquic_config cfg;
  zquic_config_init(&cfg);
  cfg.cc_algorithm = o->cc;
  cfg.qlog_dir = o->qlog_dir;
  if (o->idle_timeout_ms) cfg.idle_timeout_ms = (uint32_t)o->idle_timeout_ms;
  if (o->max_streams) cfg.max_streams_bidi = (uint32_t)o->max_streams;
  int rc = zquic_init(&cfg, &ctx);
  if (rc) {
    cli_zerror(cmd, "init", rc);
    return EXIT_FAIL;
  }
  static_site *site = NULL;
  zquic_grpc_server *grpc = NULL;
  zquic_server *server = NULL;
  zquic_h3_handler_config site_h3;
  zquic_server_config scfg;
  zquic_server_config_init(&scfg);
  scfg.listen = o->listen;
  scfg.cert_file = o->cert;
  scfg.key_file = o->key;
  scfg.retry = o->retry;
  scfg.enable_0rtt = o->enable_0rtt;
  scfg.quic_versions = o->versions;
  /* gRPC requests go to GhostBridge, everything else to the site (a gRPC-only server answers
   * those with 415). */
  if (o->site && (rc = static_site_new(o->root, builtin_page, &site)) == 0)
    static_site_handler(site, &site_h3);
  if (rc == 0 && o->grpc_echo)
    rc = grpc_echo_create(ctx, site ? &site_h3 : NULL, (uint32_t)o->file.grpc_max_message,
                          o->grpc_methods, &grpc);
  scfg.workers = (uint32_t)o->workers;
  scfg.h3 = grpc ? zquic_grpc_server_h3_handler(grpc) : &site_h3;
  if (rc == 0) rc = zquic_create_server(ctx, &scfg, &server);
  if (rc) {
    if (rc != ZQUIC_ERR_NOT_FOUND) cli_zerror(cmd, "cannot start server", rc);
    zquic_destroy(ctx);
    zquic_grpc_server_free(grpc);
    static_site_free(site);
    return EXIT_FAIL;
  }
  int port = zquic_server_port(server);
  char host[256];
  snprintf(host, sizeof(host), "%s", o->listen);
  char *colon = strrchr(host, ':');
  if (colon) *colon = '\0';
  const char *url_host = strcmp(host, "127.0.0.1") == 0 || strcmp(host, "[::1]") == 0 ||
                             strcmp(host, "0.0.0.0") == 0 || strcmp(host, "[::]") == 0
                           ? "localhost" : host;
  if (write_port_file(o->port_file, port) != 0)
    cli_error(cmd, "cannot write --port-file %s: %s", o->port_file, strerror(errno));
  cli_log(2, "%s: listening on %s:%d (UDP, HTTP/3%s, %ld loop thread%s)", cmd, host, port,
          grpc ? ", GhostBridge gRPC" : "", o->workers, o->workers == 1 ? "" : "s");
  if (site) {
    printf("zquic %s: serving %s at https://%s:%d/\n", cmd, o->root ? o->root : "the built-in page",
           url_host, port);
    printf("  try: zquic get --ca %s https://%s:%d/\n", o->cert, url_host, port);
  }
  if (grpc) {
    printf("zquic %s: GhostBridge (gRPC over HTTP/3: echo + health) at %s:%d\n", cmd, url_host,
           port);
    printf("  try: zquic grpc call --ca %s %s:%d /grpc.health.v1.Health/Check\n", o->cert,
           url_host, port);
  }
  fflush(stdout);
  zquic_dns_server *dns = NULL;
  if (!strcmp(cmd, "node")) {
    if (!state[0] && !o->state_dir && default_state_dir(state, sizeof(state)) != 0) state[0] = '\0';
    if (o->state_dir) snprintf(state, sizeof(state), "%s", o->state_dir);
    if (node_dns_start(ctx, &o->file, state[0] ? state : NULL, o->cert, o->key, &dns) != 0) {
      zquic_server_free(server);
      zquic_grpc_server_free(grpc);
      static_site_free(site);
      zquic_destroy(ctx);
      return EXIT_FAIL;
    }
    if (dns)
      printf("zquic %s: DNS over QUIC at port %d\n  try: zquic dns query --ca %s @localhost:%d "
             "node.ghostchain.internal\n", cmd, zquic_dns_server_port(dns), o->cert,
             zquic_dns_server_port(dns));
  }
  zquic_proxy *proxy = NULL;
  if (!strcmp(cmd, "node") && o->file.proxy_config[0]) {
    zquic_proxy_config pc;
    zquic_proxy_config_init(&pc);
    pc.config_file = o->file.proxy_config;
    int rc = zquic_proxy_create(ctx, &pc, &proxy);
    if (rc) {
      cli_zerror(cmd, "Wraith (proxy.config)", rc);
      zquic_dns_server_free(dns);
      zquic_server_free(server);
      zquic_grpc_server_free(grpc);
      static_site_free(site);
      zquic_destroy(ctx);
      return EXIT_FAIL;
    }
    printf("zquic %s: Wraith (HTTP/3 reverse proxy) from %s on port %d\n", cmd,
           o->file.proxy_config, zquic_proxy_port(proxy, 0));
  }
  fflush(stdout);
  wait_for_stop(&set, dns, proxy);
  zquic_proxy_destroy(proxy);
  zquic_dns_server_free(dns);
  /* Drain: no new connections or requests; those in flight get drain_timeout_ms to finish. */
  if (zquic_server_shutdown(server, (int)o->file.drain_timeout_ms) == ZQUIC_ERR_TIMEOUT)
    cli_log(1, "%s: requests still running after %ld ms were cut off", cmd, o->file.drain_timeout_ms);
  zquic_server_free(server);
  zquic_grpc_server_free(grpc);
  static_site_free(site);
  zquic_destroy(ctx);
  return EXIT_OK;
}

#define QUIC_SERVER_HELP                                                                            \
  "\nQUIC options:\n"                                                                         \
  "  --retry             validate every client address with a Retry first\n"                    \
  "  --0rtt              accept early data (0-RTT) from resuming clients\n"                     \
  "  --quic-version L    versions to accept: 1, 2 or 1,2 (default)\n"                           \
  "  --cc ALG            congestion control: cubic (default), bbr, reno\n"                      \
  "  --idle-timeout MS   close idle connections after MS (default 30000)\n"                     \
  "  --max-streams N     concurrent requests per connection (default 100)\n"                    \
  "  --workers N         loop threads sharing the port (SO_REUSEPORT), 1-64 (default 1);\n"      \
  "                      packets are steered to their connection's thread by its ID\n"          \
  "  --qlog-dir DIR      write a qlog file per connection into DIR\n"

/* The options `serve` and `node` share, after each one's own lines. */
#define SERVER_HELP                                                                                 \
  "  --state-dir DIR     default $XDG_STATE_HOME/zquic or ~/.local/state/zquic\n"                 \
  "  --port-file FILE    write the bound port to FILE (useful with port 0)\n"                      \
  "  --log-level LEVEL   error, warn, info (default) or debug\n"                                   \
  "  --config FILE       read settings from FILE (docs/CONFIG.md); flags win\n"                    \
  "  --check             validate the settings and exit (0 = OK, 2 = not)\n" QUIC_SERVER_HELP

static const struct option server_options[] = {
  {"listen", required_argument, NULL, 'l'}, {"cert", required_argument, NULL, 'c'},
  {"key", required_argument, NULL, 'k'},    {"state-dir", required_argument, NULL, 's'},
  {"port-file", required_argument, NULL, 'p'}, {"log-level", required_argument, NULL, 'L'},
  {"retry", no_argument, NULL, 'R'},        {"0rtt", no_argument, NULL, '0'},
  {"quic-version", required_argument, NULL, 'V'}, {"cc", required_argument, NULL, 'C'},
  {"idle-timeout", required_argument, NULL, 'I'}, {"max-streams", required_argument, NULL, 'M'},
  {"qlog-dir", required_argument, NULL, 'Q'}, {"config", required_argument, NULL, 'F'},
  {"workers", required_argument, NULL, 'W'},
  {"check", no_argument, NULL, 'X'},     {"methods", required_argument, NULL, 'G'},
  {"dns-listen", required_argument, NULL, 'D'},
  {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};

static long positive(const char *cmd, const char *flag, const char *text, long max) {
  char *end;
  long v = strtol(text, &end, 10);
  if (*end || v <= 0 || v > max) {
    cli_error(cmd, "%s wants a number from 1 to %ld", flag, max);
    return -1;
  }
  return v;
}

/* Parse the options both commands share; returns -1 to continue, else an exit code. */
static int parse_server_options(const char *cmd, int argc, char **argv, server_opts *o,
                                void (*usage)(FILE *)) {
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "l:h", server_options, NULL)) != -1) {
    switch (c) {
    case 'l': o->listen = optarg; break;
    case 'c': o->cert = optarg; break;
    case 'k': o->key = optarg; break;
    case 's': o->state_dir = optarg; break;
    case 'p': o->port_file = optarg; break;
    case 'L':
      if ((cli_log_level = cli_parse_log_level(optarg)) < 0) {
        cli_error(cmd, "--log-level must be error, warn, info or debug");
        return EXIT_USAGE;
      }
      o->log_level = optarg;
      break;
    case 'F': o->config_file = optarg; break;
    case 'X': o->check_only = 1; break;
    case 'G':
      if (strcmp(cmd, "grpc serve") != 0) {
        cli_error(cmd, "--methods is an option of zquic grpc serve");
        return EXIT_USAGE;
      }
      o->grpc_methods = optarg;
      break;
    case 'D':
      if (strcmp(cmd, "node") != 0) {
        cli_error(cmd, "--dns-listen is an option of zquic node");
        return EXIT_USAGE;
      }
      o->dns_listen = optarg;
      break;
    case 'R': o->retry = 1; break;
    case '0': o->enable_0rtt = 1; break;
    case 'V': o->versions = optarg; break;
    case 'Q': o->qlog_dir = optarg; break;
    case 'C':
      o->cc_given = 1;
      if ((o->cc = cli_parse_cc(optarg)) < 0) {
        cli_error(cmd, "--cc must be cubic, bbr or reno");
        return EXIT_USAGE;
      }
      break;
    case 'I':
      if ((o->idle_timeout_ms = positive(cmd, "--idle-timeout", optarg, 86400000)) < 0) return EXIT_USAGE;
      break;
    case 'M':
      if ((o->max_streams = positive(cmd, "--max-streams", optarg, 1000000)) < 0) return EXIT_USAGE;
      break;
    case 'W':
      if ((o->workers = positive(cmd, "--workers", optarg, 64)) < 0) return EXIT_USAGE;
      break;
    case 'h': usage(stdout); return EXIT_OK;
    default: usage(stderr); return EXIT_USAGE;
    }
  }
  return -1;
}

static void serve_usage(FILE *out) {
  fprintf(out,
          "usage: zquic serve [--listen ADDR:PORT] [--cert FILE --key FILE] DIR\n"
          "\n"
          "Serve the files under DIR over HTTP/3 (GET and HEAD; index.html for directories).\n"
          "Files up to 64 KiB are answered from memory for a second after they were read, so a\n"
          "change to one is served within a second. Runs until SIGINT or SIGTERM.\n"
          "\n"
          "  --listen ADDR:PORT  UDP address (default 127.0.0.1:4433; [::]:443 for all)\n"
          "  --cert FILE         PEM certificate chain\n"
          "  --key FILE          PEM private key\n"
          "                      (without both: a self-signed pair in the state directory)\n"
          SERVER_HELP);
}

int cmd_serve(int argc, char **argv) {
  static server_opts o;
  int rc = parse_server_options("serve", argc, argv, &o, serve_usage);
  if (rc >= 0) return rc;
  if (optind + 1 != argc) {
    cli_error("serve", optind == argc ? "missing DIR" : "more than one DIR");
    serve_usage(stderr);
    return EXIT_USAGE;
  }
  o.root = argv[optind];
  o.site = 1;
  if ((rc = apply_config("serve", &o)) >= 0) return rc;
  return run_server("serve", &o);
}

static void node_usage(FILE *out) {
  fprintf(out,
          "usage: zquic node [--listen ADDR:PORT] [--state-dir DIR] [--log-level LEVEL]\n"
          "\n"
          "Run the node. With no options it listens on 127.0.0.1:4433, creates a\n"
          "self-signed certificate in the state directory on first start, serves its\n"
          "built-in page over HTTP/3 and GhostBridge (gRPC over HTTP/3: echo + health)\n"
          "on that port, and DNS over QUIC on 127.0.0.1:8853 (a built-in zone,\n"
          "ghostchain.internal, and an example ZNS registry, made in the state directory;\n"
          "nothing is forwarded off the machine). It prints how to reach each. Runs until\n"
          "SIGINT or SIGTERM; SIGHUP reloads the DNS zone and registry.\n"
          "\n"
          "  --listen ADDR:PORT  UDP address (default 127.0.0.1:4433)\n"
          "  --dns-listen ADDR:PORT  DNS over QUIC address (default 127.0.0.1:8853)\n"
          "  --cert FILE --key FILE  use this certificate instead of the generated one\n"
          SERVER_HELP);
}

int cmd_node(int argc, char **argv) {
  static server_opts o;
  int rc = parse_server_options("node", argc, argv, &o, node_usage);
  if (rc >= 0) return rc;
  if (optind != argc) {
    cli_error("node", "unexpected argument \"%s\"", argv[optind]);
    return EXIT_USAGE;
  }
  o.site = 1;
  if ((rc = apply_config("node", &o)) >= 0) return rc;
  o.grpc_echo = o.file.grpc_echo;
  if (o.dns_listen) snprintf(o.file.dns_listen, sizeof(o.file.dns_listen), "%s", o.dns_listen);
  return run_server("node", &o);
}

static void grpc_serve_usage(FILE *out) {
  fprintf(out,
          "usage: zquic grpc serve [--listen ADDR:PORT] [--cert FILE --key FILE]\n"
          "\n"
          "Serve GhostBridge (gRPC over HTTP/3) for trying things and for tests: every\n"
          "method answers with its request message (unary echo), and the standard\n"
          "health service grpc.health.v1.Health/Check reports SERVING. Other HTTP/3\n"
          "requests get 415. Runs until SIGINT or SIGTERM.\n"
          "\n"
          "  --listen ADDR:PORT  UDP address (default 127.0.0.1:4433)\n"
          "  --cert FILE         PEM certificate chain\n"
          "  --key FILE          PEM private key\n"
          "                      (without both: a self-signed pair in the state directory)\n"
          "  --methods LIST      echo only these methods (comma list of /pkg.Svc/Method);\n"
          "                      others answer UNIMPLEMENTED\n"
          "\nRequest metadata x-echo-status: N and x-echo-message: TEXT end a call with that\n"
          "status; x-echo-delay-ms: N answers N ms later (from another thread).\n"
          SERVER_HELP);
}

int cli_grpc_serve(int argc, char **argv) {
  static server_opts o;
  int rc = parse_server_options("grpc serve", argc, argv, &o, grpc_serve_usage);
  if (rc >= 0) return rc;
  if (optind != argc) {
    cli_error("grpc serve", "unexpected argument \"%s\"", argv[optind]);
    return EXIT_USAGE;
  }
  if ((rc = apply_config("grpc serve", &o)) >= 0) return rc;
  o.grpc_echo = 1;
  return run_server("grpc serve", &o);
}
