/*
 * zquic.c — the `zquic` command: a dispatcher over the subcommands in cmd_*.c.
 *
 * Every subcommand answers --help, reports errors as "zquic CMD: error: ..." on stderr and exits
 * 0 on success, 1 when the operation failed and 2 on a usage error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "cli.h"

int cli_log_level = 2; /* info */

static const cli_command commands[] = {
  {"node", cmd_node, "run the GhostChain node services (HTTP/3 page by default)"},
  {"serve", cmd_serve, "serve a directory over HTTP/3"},
  {"get", cmd_get, "fetch a URL over HTTP/3"},
  {"cert", cmd_cert, "make TLS certificates (cert gen)"},
  {"crypto", cmd_crypto, "keys, signatures and hashes (ZCrypto)"},
  {"grpc", cmd_grpc, "call or serve gRPC over HTTP/3 (GhostBridge)"},
  {"dns", cmd_dns, "DNS over QUIC queries and resolver (CNS/ZNS)"},
  {"zns", cmd_zns, "sign and verify ZNS registry entries (.zns/.ghost names)"},
  {"proxy", cmd_proxy, "Wraith: HTTP/3 reverse proxy with load balancing and health checks"},
};

void cli_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "zquic %s: error: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

void cli_zerror(const char *cmd, const char *what, int rc) {
  const char *detail = zquic_last_error();
  if (detail && *detail)
    cli_error(cmd, "%s: %s", what, detail);
  else
    cli_error(cmd, "%s: %s", what, zquic_strerror(rc));
}

int cli_parse_log_level(const char *text) {
  static const char *names[] = {"error", "warn", "info", "debug"};
  for (int i = 0; i < 4; i++)
    if (strcasecmp(text, names[i]) == 0) return i;
  return -1;
}

int cli_parse_cc(const char *text) {
  if (strcmp(text, "cubic") == 0) return ZQUIC_CC_CUBIC;
  if (strcmp(text, "bbr") == 0) return ZQUIC_CC_BBR;
  if (strcmp(text, "reno") == 0) return ZQUIC_CC_RENO;
  return -1;
}

void cli_log(int level, const char *fmt, ...) {
  static const char *names[] = {"error", "warn", "info", "debug"};
  if (level > cli_log_level) return;
  struct timeval tv;
  gettimeofday(&tv, NULL);
  struct tm tm;
  gmtime_r(&tv.tv_sec, &tm);
  char stamp[32];
  strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
  va_list ap;
  fprintf(stderr, "%s.%03ldZ %s ", stamp, (long)tv.tv_usec / 1000, names[level]);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

int cli_run_subcommand(const char *cmd, int argc, char **argv, const cli_command *subs,
                       size_t n_subs, void (*usage)(FILE *out)) {
  if (argc < 2) {
    usage(stderr);
    return EXIT_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    usage(stdout);
    return EXIT_OK;
  }
  for (size_t i = 0; i < n_subs; i++)
    if (strcmp(argv[1], subs[i].name) == 0) return subs[i].run(argc - 1, argv + 1);
  cli_error(cmd, "unknown subcommand \"%s\"", argv[1]);
  usage(stderr);
  return EXIT_USAGE;
}

static void usage(FILE *out) {
  fprintf(out,
          "usage: zquic COMMAND [OPTIONS] [ARGS]\n"
          "\n"
          "QUIC and HTTP/3 toolkit (%s).\n"
          "\n"
          "Commands:\n",
          zquic_version());
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
  fprintf(out,
          "\n"
          "Run 'zquic COMMAND --help' for a command's options.\n"
          "  zquic node                       start the node on 127.0.0.1:4433\n"
          "  zquic get --ca CA.pem https://localhost:4433/\n"
          "Exit status: 0 success, 1 failure, 2 usage error.\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return EXIT_USAGE;
  }
  const char *name = argv[1];
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
    usage(stdout);
    return EXIT_OK;
  }
  if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
    printf("%s\n", zquic_version());
    return EXIT_OK;
  }
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    if (strcmp(name, commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "zquic: error: unknown command \"%s\" (see zquic --help)\n", name);
  return EXIT_USAGE;
}

void cli_block_stop_signals(sigset_t *set) {
  sigemptyset(set);
  sigaddset(set, SIGINT);
  sigaddset(set, SIGTERM);
  sigaddset(set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, set, NULL);
}
