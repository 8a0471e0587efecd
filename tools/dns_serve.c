/*
 * dns_serve.c — `zquic dns serve`: a DNS-over-QUIC resolver from the command line.
 *
 * The main thread waits in sigwait: SIGINT/SIGTERM stop the server, SIGHUP reloads the zones and
 * the ZNS registry (a file that no longer loads is reported and the old data keeps serving).
 */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_ZONES 64

static void usage(FILE *out) {
  fprintf(out,
          "usage: zquic dns serve [--listen ADDR:PORT] --cert FILE --key FILE [--zone FILE]...\n"
          "                       [--zns-registry FILE] [--port-file FILE] [--0rtt] [--retry]\n"
          "                       [--eth-rpc URL [--ens-registry ADDR] [--eth-timeout MS]]\n"
          "\n"
          "Serve DNS over QUIC (RFC 9250, ALPN doq). Queries are answered from the local\n"
          "zones (RFC 1035 master files), then the ZNS registry (.zns and .ghost names,\n"
          "signed entries: docs/ZNS.md), then ENS for .eth names when --eth-rpc is given\n"
          "(docs/ENS.md); anything else is REFUSED: no query is forwarded off the\n"
          "machine. SIGHUP re-reads the zones and the registry (a file that does\n"
          "not load is reported and the old data keeps serving); SIGINT/SIGTERM stop.\n"
          "\n"
          "  --listen ADDR:PORT  UDP address (default 127.0.0.1:8853; DoQ's port is 853)\n"
          "  --cert FILE --key FILE  certificate chain and private key (PEM)\n"
          "  --zone FILE         a master file to serve authoritatively (repeatable)\n"
          "  --zns-registry FILE the ZNS registry (zquic zns sign writes it)\n"
          "  --eth-rpc URL       answer .eth names from ENS through this Ethereum JSON-RPC\n"
          "                      endpoint (http:// or https://); none by default, so no\n"
          "                      .eth query leaves the machine unless you give one\n"
          "  --ens-registry ADDR the ENS registry contract (default: mainnet's\n"
          "                      0x00000000000C2E074eC69A0dFb2997BA6C7d2e1e)\n"
          "  --eth-timeout MS    answer a .eth query (SERVFAIL at worst) within MS (3000)\n"
          "  --port-file FILE    write the bound port to FILE (useful with port 0)\n"
          "  --0rtt              answer queries sent in 0-RTT (QUERY only)\n"
          "  --retry             validate client addresses with a Retry first\n"
          "  --log-level LEVEL   error, warn, info (default) or debug\n");
}

static void log_stats(zquic_dns_server *srv) {
  zquic_dns_stats st = {.struct_size = sizeof(st)};
  if (zquic_dns_server_stats(srv, &st) != ZQUIC_OK) return;
  cli_log(2, "dns: %llu queries (%llu zone, %llu zns, %llu refused, %llu nxdomain), %llu protocol "
             "errors; registry: %llu entries, %llu rejected; ENS: %llu lookups, %llu failed",
          (unsigned long long)st.queries, (unsigned long long)st.zone_answers,
          (unsigned long long)st.zns_answers, (unsigned long long)st.refused,
          (unsigned long long)st.nxdomain, (unsigned long long)st.protocol_errors,
          (unsigned long long)st.zns_entries, (unsigned long long)st.zns_rejected,
          (unsigned long long)st.ens_lookups, (unsigned long long)st.ens_failures);
}

int cli_dns_serve(int argc, char **argv) {
  static const struct option options[] = {
    {"listen", required_argument, NULL, 'l'},       {"cert", required_argument, NULL, 'c'},
    {"key", required_argument, NULL, 'k'},          {"zone", required_argument, NULL, 'z'},
    {"zns-registry", required_argument, NULL, 'r'}, {"port-file", required_argument, NULL, 'p'},
    {"0rtt", no_argument, NULL, '0'},               {"retry", no_argument, NULL, 'R'},
    {"log-level", required_argument, NULL, 'L'},    {"help", no_argument, NULL, 'h'},
    {"eth-rpc", required_argument, NULL, 'E'},      {"ens-registry", required_argument, NULL, 'G'},
    {"eth-timeout", required_argument, NULL, 'T'},
    {NULL, 0, NULL, 0}};
  zquic_dns_config cfg;
  zquic_dns_config_init(&cfg);
  cfg.listen = "127.0.0.1:8853";
  const char *zones[MAX_ZONES], *port_file = NULL;
  size_t n_zones = 0;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
    switch (c) {
    case 'l': cfg.listen = optarg; break;
    case 'c': cfg.cert_file = optarg; break;
    case 'k': cfg.key_file = optarg; break;
    case 'z':
      if (n_zones == MAX_ZONES) {
        cli_error("dns serve", "at most %d zone files", MAX_ZONES);
        return EXIT_USAGE;
      }
      zones[n_zones++] = optarg;
      break;
    case 'r': cfg.zns_registry = optarg; break;
    case 'p': port_file = optarg; break;
    case '0': cfg.enable_0rtt = 1; break;
    case 'R': cfg.retry = 1; break;
    case 'E': cfg.eth_rpc_url = optarg; break;
    case 'G': cfg.ens_registry = optarg; break;
    case 'T': {
      char *end = NULL;
      unsigned long ms = strtoul(optarg, &end, 10);
      if (!*optarg || *end || ms == 0 || ms > 60000) {
        cli_error("dns serve", "--eth-timeout must be 1..60000 milliseconds");
        return EXIT_USAGE;
      }
      cfg.eth_timeout_ms = (uint32_t)ms;
      break;
    }
    case 'L':
      if ((cli_log_level = cli_parse_log_level(optarg)) < 0) {
        cli_error("dns serve", "--log-level must be error, warn, info or debug");
        return EXIT_USAGE;
      }
      break;
    case 'h': usage(stdout); return EXIT_OK;
    default: usage(stderr); return EXIT_USAGE;
    }
  }
  if (optind != argc || !cfg.cert_file || !cfg.key_file) {
    cli_error("dns serve", optind != argc ? "unexpected argument \"%s\"" : "--cert and --key are "
              "required%s", optind != argc ? argv[optind] : "");
    usage(stderr);
    return EXIT_USAGE;
  }
  cfg.zone_files = zones;
  cfg.n_zone_files = n_zones;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, NULL); /* before the loop thread starts: it inherits this */
  zquic_context *ctx = NULL;
  zquic_dns_server *srv = NULL;
  int rc = zquic_init(NULL, &ctx);
  if (rc == 0) rc = zquic_dns_serve(ctx, &cfg, &srv);
  if (rc) {
    cli_zerror("dns serve", "cannot start", rc);
    zquic_destroy(ctx);
    return rc == ZQUIC_ERR_INVALID_ARGUMENT || rc == ZQUIC_ERR_IO ? EXIT_USAGE : EXIT_FAIL;
  }
  int port = zquic_dns_server_port(srv);
  if (port_file) {
    FILE *f = fopen(port_file, "w");
    if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0)
      cli_error("dns serve", "cannot write --port-file %s", port_file);
  }
  cli_log(2, "dns serve: DoQ on %s (port %d), %zu zone file(s)%s%s", cfg.listen, port, n_zones,
          cfg.zns_registry ? ", ZNS registry" : "", cfg.eth_rpc_url ? ", ENS" : "");
  log_stats(srv);
  printf("zquic dns serve: DNS over QUIC on port %d\n  try: zquic dns query --ca %s @localhost:%d "
         "NAME\n", port, cfg.cert_file, port);
  fflush(stdout);
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig != SIGHUP) break;
    rc = zquic_dns_server_reload(srv);
    if (rc) cli_log(0, "dns serve: reload failed, still serving the old data: %s",
                    zquic_last_error());
    else cli_log(2, "dns serve: reloaded");
    log_stats(srv);
  }
  log_stats(srv);
  zquic_dns_server_free(srv);
  zquic_destroy(ctx);
  return EXIT_OK;
}
