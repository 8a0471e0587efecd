/*
 * node_dns.c — the DoQ resolver `zquic node` runs on its default config: a small built-in zone
 * for the node's own names and a ZNS registry with example entries, both made in the state
 * directory on first start so that the node answers real queries with no configuration at all.
 *
 * The example registry is signed with a key the node generates for itself (zns.key, mode 0600,
 * beside it), through the same code as `zquic crypto keygen` and `zquic zns sign`, so the
 * entries verify like any user's. Nothing here forwards queries off the machine.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "node_config.h"

static const char builtin_zone[] =
  "; The node's own names, served authoritatively by `zquic node` (edit freely: SIGHUP reloads)\n"
  "$ORIGIN ghostchain.internal.\n"
  "$TTL 300\n"
  "@     IN SOA ns hostmaster 1 3600 600 86400 60\n"
  "@     IN NS  ns\n"
  "ns    IN A    127.0.0.1\n"
  "node  IN A    127.0.0.1\n"
  "node  IN AAAA ::1\n"
  "node  IN TXT  \"zquic node: HTTP/3, GhostBridge gRPC and DNS over QUIC\"\n"
  "www   IN CNAME node\n";

static int write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  int ok = fputs(text, f) >= 0;
  return fclose(f) == 0 && ok ? 0 : -1;
}

/* Run one of our own subcommands (keygen, zns sign) with its output kept off the terminal. */
static int run_quiet(int (*cmd)(int, char **), int argc, const char **argv) {
  fflush(stdout);
  int saved = dup(STDOUT_FILENO);
  FILE *null = fopen("/dev/null", "w");
  if (null) dup2(fileno(null), STDOUT_FILENO);
  int rc = cmd(argc, (char **)(uintptr_t)argv);
  fflush(stdout);
  if (saved >= 0) {
    dup2(saved, STDOUT_FILENO);
    close(saved);
  }
  if (null) fclose(null);
  return rc;
}

static int make_registry(const char *dir, const char *registry) {
  char prefix[4300], key[4400];
  snprintf(prefix, sizeof(prefix), "%s/zns", dir);
  snprintf(key, sizeof(key), "%s.key", prefix);
  if (access(key, R_OK) != 0) {
    const char *gen[] = {"crypto", "keygen", "--alg", "ed25519", "--out", prefix, NULL};
    if (run_quiet(cmd_crypto, 6, gen) != 0) return -1;
  }
  static const char *const entries[][4] = {
    {"node.ghost", "A 300 127.0.0.1", "AAAA 300 ::1", "TXT 300 this node, named in ZNS"},
    {"example.zns", "TXT 300 hello from ZNS", "A 300 127.0.0.1", NULL},
  };
  for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
    const char *argv[16] = {"zns", "sign", "--key", key, "--registry", registry, "--domain",
                            entries[i][0]};
    int argc = 8;
    for (int r = 1; r < 4 && entries[i][r]; r++) {
      argv[argc++] = "--record";
      argv[argc++] = entries[i][r];
    }
    argv[argc] = NULL;
    if (run_quiet(cmd_zns, argc, argv) != 0) return -1;
  }
  return 0;
}

int node_dns_prepare(const char *state_dir, char *zone, char *registry, size_t cap) {
  char dir[4200];
  snprintf(dir, sizeof(dir), "%s/dns", state_dir);
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
    cli_error("node", "cannot create %s: %s", dir, strerror(errno));
    return -1;
  }
  snprintf(zone, cap, "%s/builtin.zone", dir);
  snprintf(registry, cap, "%s/zns-registry.json", dir);
  if (access(zone, R_OK) != 0 && write_file(zone, builtin_zone) != 0) {
    cli_error("node", "cannot write %s: %s", zone, strerror(errno));
    return -1;
  }
  if (access(registry, R_OK) != 0) {
    if (make_registry(dir, registry) != 0) {
      cli_error("node", "cannot create the example ZNS registry in %s", dir);
      return -1;
    }
    cli_log(2, "created a ZNS registry with example entries in %s", dir);
  }
  return 0;
}

int node_dns_start(zquic_context *ctx, const node_config *f, const char *state_dir,
                   const char *cert, const char *key, zquic_dns_server **out) {
  *out = NULL;
  if (!f->dns_enable) return 0;
  char zone[4400], registry[4400];
  const char *zones[1];
  zquic_dns_config cfg;
  zquic_dns_config_init(&cfg);
  cfg.listen = f->dns_listen;
  cfg.cert_file = cert;
  cfg.key_file = key;
  if (!f->dns_zone[0] || !f->dns_zns_registry[0]) {
    if (!state_dir || node_dns_prepare(state_dir, zone, registry, sizeof(zone)) != 0) {
      if (!state_dir) cli_error("node", "the built-in DNS data needs a state directory");
      return -1;
    }
  }
  /* Forwarding and ENS only when configured: the defaults send nothing off the machine. */
  char upstream_list[sizeof(f->dns_upstreams)];
  const char *upstreams[16];
  size_t n_upstreams = 0;
  snprintf(upstream_list, sizeof(upstream_list), "%s", f->dns_upstreams);
  char *save = NULL;
  for (char *u = strtok_r(upstream_list, ", ", &save); u && n_upstreams < 16;
       u = strtok_r(NULL, ", ", &save))
    upstreams[n_upstreams++] = u;
  cfg.upstreams = upstreams;
  cfg.n_upstreams = n_upstreams;
  cfg.upstream_ca_file = f->dns_upstream_ca[0] ? f->dns_upstream_ca : NULL;
  cfg.eth_rpc_url = f->dns_eth_rpc[0] ? f->dns_eth_rpc : NULL;
  cfg.ens_registry = f->dns_ens_registry[0] ? f->dns_ens_registry : NULL;
  cfg.zns_ghostbridge = f->dns_zns_ghostbridge[0] ? f->dns_zns_ghostbridge : NULL;
  cfg.zns_ghostbridge_ca_file = f->dns_zns_ghostbridge_ca[0] ? f->dns_zns_ghostbridge_ca : NULL;
  cfg.zns_network = f->dns_zns_network[0] ? f->dns_zns_network : NULL;
  cfg.zns_ghostbridge_timeout_ms = (uint32_t)f->dns_zns_ghostbridge_timeout_ms;
  zones[0] = f->dns_zone[0] ? f->dns_zone : zone;
  cfg.zone_files = zones;
  cfg.n_zone_files = 1;
  cfg.zns_registry = f->dns_zns_registry[0] ? f->dns_zns_registry : registry;
  int rc = zquic_dns_serve(ctx, &cfg, out);
  if (rc) {
    cli_zerror("node", "cannot start DNS over QUIC", rc);
    return -1;
  }
  cli_log(2, "node: DNS over QUIC on %s (port %d): zone %s, ZNS registry %s", f->dns_listen,
          zquic_dns_server_port(*out), zones[0], cfg.zns_registry);
  return 0;
}
