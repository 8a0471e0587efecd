/*
 * node_config.c — reading the node's libconfig file strictly.
 *
 * Every key is looked up in one table that says where its value goes and what type and range it
 * must have; anything else in the file is an error with its line number. That table is also what
 * docs/CONFIG.md documents, key by key.
 */
#include "node_config.h"

#include <libconfig.h>
#include <stdio.h>
#include <string.h>

typedef enum { KEY_STRING, KEY_INT, KEY_BOOL } key_type;

typedef struct key_spec {
  const char *path;  /* "listen", "quic.idle_timeout_ms" */
  key_type type;
  size_t offset;     /* into node_config */
  size_t size;       /* string capacity */
  long min, max;     /* for KEY_INT */
} key_spec;

#define STR(path, field) {path, KEY_STRING, offsetof(node_config, field), sizeof(((node_config *)0)->field), 0, 0}
#define INT(path, field, lo, hi) {path, KEY_INT, offsetof(node_config, field), 0, lo, hi}
#define BOOL(path, field) {path, KEY_BOOL, offsetof(node_config, field), 0, 0, 0}

static const key_spec keys[] = {
  STR("listen", listen),
  STR("state_dir", state_dir),
  STR("log_level", log_level),
  STR("tls.cert", cert),
  STR("tls.key", key),
  STR("http.root", root),
  STR("quic.qlog_dir", qlog_dir),
  STR("quic.versions", versions),
  STR("quic.cc", cc),
  INT("quic.idle_timeout_ms", idle_timeout_ms, 100, 86400000),
  INT("quic.max_streams", max_streams, 1, 1000000),
  INT("drain_timeout_ms", drain_timeout_ms, 0, 600000),
  INT("workers", workers, 1, 64),
  BOOL("quic.retry", retry),
  BOOL("quic.early_data", early_data),
  BOOL("grpc.echo", grpc_echo),
  BOOL("dns.enable", dns_enable),
  STR("dns.listen", dns_listen),
  STR("dns.zone", dns_zone),
  STR("dns.zns_registry", dns_zns_registry),
  STR("dns.upstreams", dns_upstreams),
  STR("dns.upstream_ca", dns_upstream_ca),
  STR("dns.eth_rpc", dns_eth_rpc),
  STR("dns.ens_registry", dns_ens_registry),
  STR("dns.zns_ghostbridge", dns_zns_ghostbridge),
  STR("dns.zns_ghostbridge_ca", dns_zns_ghostbridge_ca),
  STR("dns.zns_network", dns_zns_network),
  INT("dns.zns_ghostbridge_timeout_ms", dns_zns_ghostbridge_timeout_ms, 1, 60000),
  STR("proxy.config", proxy_config),
  INT("grpc.max_message", grpc_max_message, 1, 1073741824),
};

static const char *groups[] = {"tls", "http", "quic", "grpc", "dns", "proxy"};

void node_config_defaults(node_config *c) {
  memset(c, 0, sizeof(*c));
  snprintf(c->listen, sizeof(c->listen), "127.0.0.1:4433");
  snprintf(c->log_level, sizeof(c->log_level), "info");
  snprintf(c->versions, sizeof(c->versions), "1,2");
  snprintf(c->cc, sizeof(c->cc), "cubic");
  c->idle_timeout_ms = 30000;
  c->max_streams = 100;
  c->drain_timeout_ms = 5000;
  c->grpc_echo = true;
  c->dns_enable = true;
  snprintf(c->dns_listen, sizeof(c->dns_listen), "127.0.0.1:8853");
  c->grpc_max_message = 4L << 20;
  c->workers = 1;
}

static const key_spec *find_key(const char *path) {
  for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
    if (strcmp(keys[i].path, path) == 0) return &keys[i];
  return NULL;
}

static bool is_group(const char *name) {
  for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
    if (strcmp(groups[i], name) == 0) return true;
  return false;
}

static int store(node_config *c, const key_spec *k, config_setting_t *s, const char *file,
                 char *error, size_t cap) {
  char *field = (char *)c + k->offset;
  int line = config_setting_source_line(s);
  switch (k->type) {
  case KEY_STRING: {
    const char *v = config_setting_get_string(s);
    if (!v || strlen(v) >= k->size)
      return snprintf(error, cap, "%s:%d: %s must be a string of at most %zu bytes", file, line,
                      k->path, k->size - 1), -1;
    memcpy(field, v, strlen(v) + 1);
    return 0;
  }
  case KEY_INT: {
    int t = config_setting_type(s);
    long long v = config_setting_get_int64(s);
    if ((t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) || v < k->min || v > k->max)
      return snprintf(error, cap, "%s:%d: %s must be an integer from %ld to %ld", file, line,
                      k->path, k->min, k->max), -1;
    *(long *)(void *)field = (long)v;
    return 0;
  }
  case KEY_BOOL:
    if (config_setting_type(s) != CONFIG_TYPE_BOOL)
      return snprintf(error, cap, "%s:%d: %s must be true or false", file, line, k->path), -1;
    *(bool *)(void *)field = config_setting_get_bool(s) != 0;
    return 0;
  }
  return -1;
}

/* Walk one level (root or a known group), storing known keys and refusing the rest. Groups are
 * one level deep, so the recursion is too. */
static int walk(node_config *c, config_setting_t *parent, const char *prefix, // NOLINT(misc-no-recursion)
                const char *file, char *error, size_t cap) {
  int n = config_setting_length(parent);
  for (int i = 0; i < n; i++) {
    config_setting_t *s = config_setting_get_elem(parent, (unsigned)i);
    const char *name = config_setting_name(s);
    char path[128];
    snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", name ? name : "?");
    if (!*prefix && name && is_group(name)) {
      if (config_setting_type(s) != CONFIG_TYPE_GROUP)
        return snprintf(error, cap, "%s:%d: %s must be a group { ... }", file,
                        config_setting_source_line(s), name), -1;
      if (walk(c, s, name, file, error, cap) != 0) return -1; // NOLINT(misc-no-recursion)
      continue;
    }
    const key_spec *k = find_key(path);
    if (!k)
      return snprintf(error, cap, "%s:%d: unknown setting \"%s\" (see docs/CONFIG.md)", file,
                      config_setting_source_line(s), path), -1;
    if (store(c, k, s, file, error, cap) != 0) return -1;
  }
  return 0;
}

int node_config_load(node_config *c, const char *file, char *error, size_t cap) {
  config_t cfg;
  config_init(&cfg);
  int rc = -1;
  if (config_read_file(&cfg, file) != CONFIG_TRUE) {
    if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
      snprintf(error, cap, "%s: cannot read the file", file);
    else
      snprintf(error, cap, "%s:%d: %s", file, config_error_line(&cfg), config_error_text(&cfg));
    goto out;
  }
  rc = walk(c, config_root_setting(&cfg), "", file, error, cap);
out:
  config_destroy(&cfg);
  return rc;
}
