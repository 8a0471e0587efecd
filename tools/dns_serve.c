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
#include "node_config.h"

#define MAX_ZONES 64
#define MAX_UPSTREAMS 16

static void usage(FILE *out) {
  fprintf(out,
          "usage: zquic dns serve [--listen ADDR:PORT] --cert FILE --key FILE [--zone FILE]...\n"
          "                       [--zns-registry FILE] [--port-file FILE] [--0rtt] [--retry]\n"
          "                       [--upstream ADDR[:PORT] | doq://ADDR[:PORT][#NAME]]...\n"
          "                       [--upstream-timeout MS] [--upstream-ca FILE]\n"
          "                       [--eth-rpc URL [--ens-registry ADDR] [--eth-timeout MS]]\n"
          "                       [--zns-ghostbridge HOST:PORT [--zns-ghostbridge-ca FILE]\n"
          "                        [--zns-network NAME] [--zns-ghostbridge-timeout MS]]\n"
          "\n"
          "Serve DNS over QUIC (RFC 9250, ALPN doq). Queries are answered from the cache,\n"
          "the local zones (RFC 1035 master files), the ZNS registry (.zns and .ghost\n"
          "names, signed entries: docs/ZNS.md; names it lacks from a GhostChain service\n"
          "when --zns-ghostbridge is given), ENS for .eth names when --eth-rpc is given\n"
          "(docs/ENS.md); anything else goes to the --upstream resolvers when there are\n"
          "some, and is REFUSED when there are none: by default no query leaves the\n"
          "machine. SIGHUP re-reads the zones and the registry (a file that does not load\n"
          "is reported and the old data keeps serving); SIGINT/SIGTERM stop.\n"
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
          "  --zns-ghostbridge HOST:PORT  ask this GhostChain service (GhostBridge, gRPC over\n"
          "                      HTTP/3: ResolveDomain) for .zns/.ghost names the registry\n"
          "                      does not hold; its answers are served only when the\n"
          "                      owner's signature holds (docs/ZNS.md); none by default\n"
          "  --zns-ghostbridge-ca FILE  trust anchors (PEM) for its certificate (default:\n"
          "                      the system's); the certificate is always verified\n"
          "  --zns-network NAME  the network asked for (DomainQuery.network; mainnet)\n"
          "  --zns-ghostbridge-timeout MS  answer such a query (SERVFAIL at worst) within\n"
          "                      MS (3000)\n"
          "  --port-file FILE    write the bound port to FILE (useful with port 0)\n"
          "  --0rtt              answer queries sent in 0-RTT (QUERY only)\n"
          "  --retry             validate client addresses with a Retry first\n"
          "  --upstream ADDR[:PORT]  a resolver to forward other names to, plain DNS over\n"
          "                      UDP (TCP when truncated): an IP address, port 53 by\n"
          "                      default, IPv6 as [ADDR]:PORT (repeatable, tried in turn)\n"
          "  --upstream doq://ADDR[:PORT][#NAME]  the same over DNS over QUIC (port 853\n"
          "                      by default; quic:// works too): one kept connection,\n"
          "                      resumed with 0-RTT; its certificate must name NAME (else\n"
          "                      the address) and chain to --upstream-ca\n"
          "  --upstream-ca FILE  trust anchors (PEM) for DoQ upstreams (default: the\n"
          "                      system's)\n"
          "  --upstream-timeout MS  how long each upstream gets (default 2000); a query\n"
          "                      no upstream answers is SERVFAIL after MS x upstreams\n"
          "  --log-level LEVEL   error, warn, info (default) or debug\n"
          "  --config FILE       read tls.cert, tls.key and the dns { } group from FILE\n"
          "                      (the node's format, docs/CONFIG.md); flags win\n"
          "  --check             load everything (zones, registry, certificate) and exit:\n"
          "                      0 = OK, 2 = not\n");
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
  cli_log(2, "dns: cache %llu hits, %llu misses; upstreams: %llu forwarded, %llu failed, %llu "
             "over TCP", (unsigned long long)st.cache_hits, (unsigned long long)st.cache_misses,
          (unsigned long long)st.forwarded, (unsigned long long)st.upstream_failures,
          (unsigned long long)st.upstream_tcp);
  if (st.zns_bridge_lookups)
    cli_log(2, "dns: GhostChain service: %llu lookups, %llu answered, %llu failed (%llu answers "
               "refused)", (unsigned long long)st.zns_bridge_lookups,
            (unsigned long long)st.zns_bridge_answers, (unsigned long long)st.zns_bridge_failures,
            (unsigned long long)st.zns_bridge_rejected);
}

/* A timeout flag's value: 1..60000 milliseconds. */
static int parse_ms(const char *flag, const char *text, uint32_t *out) {
  char *end = NULL;
  unsigned long ms = strtoul(text, &end, 10);
  if (!*text || *end || ms == 0 || ms > 60000) {
    cli_error("dns serve", "%s must be 1..60000 milliseconds", flag);
    return -1;
  }
  *out = (uint32_t)ms;
  return 0;
}

/* The dns { } keys of the GhostChain service, where no flag gave them. */
static void config_zns_bridge(zquic_dns_config *cfg, const node_config *f) {
  if (!cfg->zns_ghostbridge && f->dns_zns_ghostbridge[0]) cfg->zns_ghostbridge = f->dns_zns_ghostbridge;
  if (!cfg->zns_ghostbridge_ca_file && f->dns_zns_ghostbridge_ca[0])
    cfg->zns_ghostbridge_ca_file = f->dns_zns_ghostbridge_ca;
  if (!cfg->zns_network && f->dns_zns_network[0]) cfg->zns_network = f->dns_zns_network;
  if (!cfg->zns_ghostbridge_timeout_ms)
    cfg->zns_ghostbridge_timeout_ms = (uint32_t)f->dns_zns_ghostbridge_timeout_ms;
}

int cli_dns_serve(int argc, char **argv) {
  static const struct option options[] = {
    {"listen", required_argument, NULL, 'l'},       {"cert", required_argument, NULL, 'c'},
    {"key", required_argument, NULL, 'k'},          {"zone", required_argument, NULL, 'z'},
    {"zns-registry", required_argument, NULL, 'r'}, {"port-file", required_argument, NULL, 'p'},
    {"0rtt", no_argument, NULL, '0'},               {"retry", no_argument, NULL, 'R'},
    {"log-level", required_argument, NULL, 'L'},    {"help", no_argument, NULL, 'h'},
    {"upstream", required_argument, NULL, 'u'},     {"upstream-timeout", required_argument, NULL, 'U'},
    {"eth-rpc", required_argument, NULL, 'E'},      {"ens-registry", required_argument, NULL, 'G'},
    {"eth-timeout", required_argument, NULL, 'T'},  {"upstream-ca", required_argument, NULL, 'C'},
    {"zns-ghostbridge", required_argument, NULL, 'B'},
    {"zns-ghostbridge-ca", required_argument, NULL, 'A'},
    {"zns-network", required_argument, NULL, 'N'},
    {"zns-ghostbridge-timeout", required_argument, NULL, 'W'},
    {"config", required_argument, NULL, 'F'},       {"check", no_argument, NULL, 'X'},
    {NULL, 0, NULL, 0}};
  static node_config file; /* static: the config's strings outlive this function's use */
  const char *config_file = NULL;
  int check_only = 0, listen_given = 0;
  zquic_dns_config cfg;
  zquic_dns_config_init(&cfg);
  cfg.listen = "127.0.0.1:8853";
  const char *zones[MAX_ZONES], *upstreams[MAX_UPSTREAMS], *port_file = NULL;
  size_t n_zones = 0, n_upstreams = 0;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
    switch (c) {
    case 'l': cfg.listen = optarg; listen_given = 1; break;
    case 'F': config_file = optarg; break;
    case 'X': check_only = 1; break;
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
    case 'u':
      if (n_upstreams == MAX_UPSTREAMS) {
        cli_error("dns serve", "at most %d upstreams", MAX_UPSTREAMS);
        return EXIT_USAGE;
      }
      upstreams[n_upstreams++] = optarg;
      break;
    case 'U':
      if (parse_ms("--upstream-timeout", optarg, &cfg.upstream_timeout_ms) != 0) return EXIT_USAGE;
      break;
    case 'C': cfg.upstream_ca_file = optarg; break;
    case 'p': port_file = optarg; break;
    case '0': cfg.enable_0rtt = 1; break;
    case 'R': cfg.retry = 1; break;
    case 'E': cfg.eth_rpc_url = optarg; break;
    case 'G': cfg.ens_registry = optarg; break;
    case 'T':
      if (parse_ms("--eth-timeout", optarg, &cfg.eth_timeout_ms) != 0) return EXIT_USAGE;
      break;
    case 'B': cfg.zns_ghostbridge = optarg; break;
    case 'A': cfg.zns_ghostbridge_ca_file = optarg; break;
    case 'N': cfg.zns_network = optarg; break;
    case 'W':
      if (parse_ms("--zns-ghostbridge-timeout", optarg, &cfg.zns_ghostbridge_timeout_ms) != 0)
        return EXIT_USAGE;
      break;
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
  if (config_file) {
    char error[512];
    node_config_defaults(&file);
    if (node_config_load(&file, config_file, error, sizeof(error)) != 0) {
      cli_error("dns serve", "%s", error);
      return EXIT_USAGE;
    }
    if (!listen_given) cfg.listen = file.dns_listen;
    if (!cfg.cert_file && file.cert[0]) cfg.cert_file = file.cert;
    if (!cfg.key_file && file.key[0]) cfg.key_file = file.key;
    if (!n_zones && file.dns_zone[0]) zones[n_zones++] = file.dns_zone;
    if (!cfg.zns_registry && file.dns_zns_registry[0]) cfg.zns_registry = file.dns_zns_registry;
    if (!cfg.eth_rpc_url && file.dns_eth_rpc[0]) cfg.eth_rpc_url = file.dns_eth_rpc;
    if (!cfg.ens_registry && file.dns_ens_registry[0]) cfg.ens_registry = file.dns_ens_registry;
    if (!cfg.upstream_ca_file && file.dns_upstream_ca[0]) cfg.upstream_ca_file = file.dns_upstream_ca;
    config_zns_bridge(&cfg, &file);
    char *save = NULL;
    for (char *u = n_upstreams ? NULL : strtok_r(file.dns_upstreams, ", ", &save);
         u && n_upstreams < MAX_UPSTREAMS; u = strtok_r(NULL, ", ", &save))
      upstreams[n_upstreams++] = u;
  }
  if (optind != argc || !cfg.cert_file || !cfg.key_file) {
    cli_error("dns serve", optind != argc ? "unexpected argument \"%s\"" : "--cert and --key are "
              "required%s", optind != argc ? argv[optind] : "");
    usage(stderr);
    return EXIT_USAGE;
  }
  cfg.zone_files = zones;
  cfg.n_zone_files = n_zones;
  cfg.upstreams = upstreams;
  cfg.n_upstreams = n_upstreams;
  sigset_t set;
  cli_block_stop_signals(&set); /* before the loop thread starts: it inherits the mask */
  zquic_context *ctx = NULL;
  zquic_dns_server *srv = NULL;
  char check_listen[300];
  if (check_only) { /* load everything for real, on a port of its own (853 may need privileges) */
    snprintf(check_listen, sizeof(check_listen), "%s", cfg.listen);
    char *colon = strrchr(check_listen, ':');
    if (colon) snprintf(colon, sizeof(check_listen) - (size_t)(colon - check_listen), ":0");
    cfg.listen = check_listen;
  }
  int rc = zquic_init(NULL, &ctx);
  if (rc == 0) rc = zquic_dns_serve(ctx, &cfg, &srv);
  if (rc == 0 && check_only) {
    printf("zquic dns serve: configuration OK (%zu zone file(s)%s, %zu upstream(s)%s%s)\n",
           n_zones, cfg.zns_registry ? ", ZNS registry" : "", n_upstreams,
           cfg.eth_rpc_url ? ", ENS" : "", cfg.zns_ghostbridge ? ", ZNS GhostBridge" : "");
    zquic_dns_server_free(srv);
    zquic_destroy(ctx);
    return EXIT_OK;
  }
  if (rc) {
    if (check_only) {
      cli_zerror("dns serve", "configuration", rc);
      zquic_destroy(ctx);
      return EXIT_USAGE;
    }
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
  cli_log(2, "dns serve: DoQ on %s (port %d), %zu zone file(s)%s%s%s%s, %zu upstream(s)",
          cfg.listen, port, n_zones, cfg.zns_registry ? ", ZNS registry" : "",
          cfg.eth_rpc_url ? ", ENS" : "", cfg.zns_ghostbridge ? ", ZNS via " : "",
          cfg.zns_ghostbridge ? cfg.zns_ghostbridge : "", n_upstreams);
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
