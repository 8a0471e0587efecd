/*
 * ghostchain_service.c — a stand-in GhostChain service for the interop test (zns_bridge.sh):
 * ghost.chain.v1.GhostChainService/ResolveDomain over GhostBridge, answering from a ZNS registry
 * file whose entries the owners signed with `zquic zns sign --expiry 9007199254740991` (the
 * message a DomainResponse carries, docs/ZNS.md). The messages are read and written by protobuf-c
 * code generated from the real ghostchain.proto, not by the resolver's own codec.
 *
 *   ghostchain_service --cert F --key F --registry FILE --port-file F [--tamper] [--garbage]
 *
 * Listens on 127.0.0.1, port 0; writes the port to --port-file; stops on SIGTERM/SIGINT.
 * --tamper flips a bit of every signature it sends; --garbage answers bytes that are no
 * DomainResponse. Unknown names get NOT_FOUND.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ghostchain.pb-c.h"
#include "zns.h"
#include "zquic.h"

static zq_zns_registry *registry;
static int tamper, garbage;

/* The registry entry as a DomainResponse: MX values split into priority and host. */
static size_t pack_entry(const zq_zns_entry *e, uint8_t **out) {
  Ghost__Chain__V1__DNSRecord recs[ZQ_ZNS_RECORDS_MAX], *ptrs[ZQ_ZNS_RECORDS_MAX];
  char hosts[ZQ_ZNS_RECORDS_MAX][ZQ_ZNS_NAME_MAX + 1];
  for (size_t i = 0; i < e->n_records; i++) {
    ghost__chain__v1__dnsrecord__init(&recs[i]);
    recs[i].type = (char *)zq_zns_type_name(e->records[i].type);
    recs[i].value = e->records[i].value;
    recs[i].ttl = e->records[i].ttl;
    unsigned prio = 0;
    if (e->records[i].type == ZQ_ZNS_TYPE_MX &&
        sscanf(e->records[i].value, "%u %253s", &prio, hosts[i]) == 2) {
      recs[i].priority = prio;
      recs[i].value = hosts[i];
    }
    ptrs[i] = &recs[i];
  }
  char owner[65];
  uint8_t sig[64];
  zquic_crypto_hex_encode(e->owner, 32, owner, sizeof(owner));
  memcpy(sig, e->signature, 64);
  if (tamper) sig[0] ^= 0x80;
  Ghost__Chain__V1__DomainResponse r = GHOST__CHAIN__V1__DOMAIN_RESPONSE__INIT;
  r.domain = e->domain;
  r.n_records = e->n_records;
  r.records = ptrs;
  r.owner_id = owner;
  r.signature = (ProtobufCBinaryData){64, sig};
  r.timestamp = e->last_updated;
  r.ttl = 300;
  size_t len = ghost__chain__v1__domain_response__get_packed_size(&r);
  *out = malloc(len ? len : 1);
  return *out ? ghost__chain__v1__domain_response__pack(&r, *out) : 0;
}

static void resolve_domain(zquic_grpc_server_call *call, const uint8_t *req, size_t len,
                           void *user) {
  (void)user;
  Ghost__Chain__V1__DomainQuery *q = ghost__chain__v1__domain_query__unpack(NULL, len, req);
  if (!q) {
    zquic_grpc_server_call_finish(call, ZQUIC_GRPC_INVALID_ARGUMENT, "not a DomainQuery", NULL, 0);
    return;
  }
  fprintf(stderr, "ghostchain_service: ResolveDomain %s %s (%s)\n", q->domain,
          q->n_record_types ? q->record_types[0] : "-", q->network);
  const zq_zns_entry *e = zq_zns_lookup(registry, q->domain, (uint64_t)time(NULL));
  uint8_t *msg = NULL;
  if (!e) zquic_grpc_server_call_finish(call, ZQUIC_GRPC_NOT_FOUND, "no such domain", NULL, 0);
  else if (garbage) zquic_grpc_server_call_reply(call, "\x12\x09garbage", 9);
  else zquic_grpc_server_call_reply(call, msg, pack_entry(e, &msg));
  free(msg);
  ghost__chain__v1__domain_query__free_unpacked(q, NULL);
}

int main(int argc, char **argv) {
  const char *cert = NULL, *key = NULL, *reg = NULL, *port_file = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--tamper")) tamper = 1;
    else if (!strcmp(argv[i], "--garbage")) garbage = 1;
    else if (i + 1 < argc && !strcmp(argv[i], "--cert")) cert = argv[++i];
    else if (i + 1 < argc && !strcmp(argv[i], "--key")) key = argv[++i];
    else if (i + 1 < argc && !strcmp(argv[i], "--registry")) reg = argv[++i];
    else if (i + 1 < argc && !strcmp(argv[i], "--port-file")) port_file = argv[++i];
    else return fprintf(stderr, "ghostchain_service: unknown argument %s\n", argv[i]), 2;
  }
  char err[512];
  if (!cert || !key || !reg || !port_file ||
      zq_zns_registry_load(reg, (uint64_t)time(NULL), NULL, NULL, &registry, err, sizeof(err))) {
    fprintf(stderr, "ghostchain_service: --cert, --key, --port-file and a loadable --registry "
                    "are required\n");
    return 2;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL); /* before the loop thread starts: it inherits it */
  zquic_config cfg;
  zquic_config_init(&cfg);
  cfg.cert_file = cert;
  cfg.key_file = key;
  cfg.bind_address = "127.0.0.1";
  zquic_context *ctx = NULL;
  zquic_grpc_server *srv = NULL;
  if (zquic_init(&cfg, &ctx) != ZQUIC_OK || zquic_grpc_serve(ctx, resolve_domain, NULL, &srv)) {
    fprintf(stderr, "ghostchain_service: %s\n", zquic_last_error());
    return 1;
  }
  FILE *f = fopen(port_file, "w");
  if (!f) return 1;
  fprintf(f, "%d\n", zquic_grpc_server_port(srv));
  fclose(f);
  int sig = 0;
  sigwait(&set, &sig);
  zquic_grpc_server_free(srv);
  zquic_destroy(ctx);
  zq_zns_registry_free(registry);
  return 0;
}
