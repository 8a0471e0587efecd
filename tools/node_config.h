/*
 * node_config.h — the node's configuration: built-in defaults, then a libconfig file, then
 * command-line flags, in that order of precedence (lowest first).
 */
#ifndef ZQ_NODE_CONFIG_H
#define ZQ_NODE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

typedef struct node_config {
  char listen[256];
  char state_dir[1024];
  char log_level[16];
  char cert[1024], key[1024];
  char root[1024];     /* serve this directory; "" = the built-in page */
  char qlog_dir[1024];
  char versions[16];
  char cc[16];
  long idle_timeout_ms, max_streams, drain_timeout_ms;
  long workers;        /* loop threads on the listening port (SO_REUSEPORT) */
  bool retry, early_data;
  bool grpc_echo;        /* node: serve GhostBridge's echo service and health */
  long grpc_max_message; /* gRPC receive limit in bytes */
  bool dns_enable;        /* node: serve DNS over QUIC */
  char dns_listen[256];
  char dns_zone[1024];    /* "" = the built-in zone (made in the state directory) */
  char dns_zns_registry[1024]; /* "" = the example registry (made in the state directory) */
  char dns_upstreams[1024];    /* comma list of resolvers to forward to; "" = none */
  char dns_upstream_ca[1024];  /* PEM trust anchors for doq:// upstreams; "" = the system's */
  char dns_eth_rpc[1024];      /* Ethereum JSON-RPC URL for .eth names; "" = none */
  char dns_ens_registry[64];   /* "" = mainnet's */
  char dns_zns_ghostbridge[256];     /* GhostChain service "host:port" for ZNS; "" = none */
  char dns_zns_ghostbridge_ca[1024]; /* its trust anchors; "" = the system's */
  char dns_zns_network[64];          /* DomainQuery.network; "" = mainnet */
  long dns_zns_ghostbridge_timeout_ms; /* 0 = the library's 3000 */
  char proxy_config[1024];     /* node: run Wraith from this file (docs/CONFIG.md); "" = off */
} node_config;

void node_config_defaults(node_config *c);
/* Read FILE over `c`. On error fills `error` ("FILE:LINE: what") and returns -1; unknown keys,
 * wrong types and out-of-range values are errors, so a typo never passes silently. */
int node_config_load(node_config *c, const char *file, char *error, size_t error_cap);

#endif
