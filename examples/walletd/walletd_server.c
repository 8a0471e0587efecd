/*
 * walletd_server.c — a small wallet service on GhostBridge (gRPC over HTTP/3), the shape of the
 * real walletd that ghostd calls, cut down to what a newcomer needs to copy:
 *
 *   /walletd.WalletService/GetBalance          unary: the balances of one wallet from an
 *                                              in-memory ledger (README.md lists it)
 *   /ghost.chain.v1.GhostChainService/SubscribeBlocks
 *                                              server streaming: N blocks of a demo chain
 *
 * Messages are protobuf, encoded and decoded with the protobuf-c code that the build generates
 * from the GhostChain .proto files; zquic itself only ever sees opaque bytes.
 *
 * GetBalance answers on the loop thread because it never blocks. SubscribeBlocks must not sleep
 * there, so it hands the call to a worker thread that sends one block per interval and finishes
 * the call itself: a deferred answer, from another thread, which the API allows at any time.
 *
 * The process blocks SIGINT/SIGTERM before any thread starts and waits for them with sigwait in
 * main, so no library thread is interrupted. On a signal it ends the running subscriptions with
 * UNAVAILABLE, lets requests in flight finish (GOAWAY), frees everything and exits 0.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zquic.h>

#include "ghostchain.pb-c.h"
#include "walletd.pb-c.h"

#define GET_BALANCE "/walletd.WalletService/GetBalance"
#define SUBSCRIBE_BLOCKS "/ghost.chain.v1.GhostChainService/SubscribeBlocks"
#define DEFAULT_BLOCKS 5
#define MAX_BLOCKS 1000

/* ---- the ledger ------------------------------------------------------------------------------ */

/* Balances are decimal strings, as in walletd.proto: amounts of 18-decimal tokens overflow any
 * integer type a client might decode them into. */
typedef struct balance_row {
  const char *symbol;
  const char *amount;
  int32_t decimals;
  const char *token_address; /* "" for the chain's native coin */
} balance_row;

typedef struct account {
  const char *wallet_id;
  size_t n_rows;
  balance_row rows[2];
} account;

static const account ledger[] = {
  {"alice", 2,
   {{"GCC", "1250.500000", 6, ""},
    {"ETH", "0.750000000000000000", 18, "0x0000000000000000000000000000000000000000"}}},
  {"bob", 1, {{"GCC", "42.000000", 6, ""}}},
  {"treasury", 1, {{"GCC", "1000000.000000", 6, ""}}},
  {"dormant", 0, {{0}}}, /* exists, holds nothing: success with no balances, not NOT_FOUND */
};

static const account *find_account(const char *wallet_id) {
  for (size_t i = 0; i < sizeof(ledger) / sizeof(ledger[0]); i++)
    if (!strcmp(ledger[i].wallet_id, wallet_id)) return &ledger[i];
  return NULL;
}

/* ---- GetBalance ------------------------------------------------------------------------------ */

static void get_balance(zquic_grpc_server_call *call, const uint8_t *req, size_t len, void *user) {
  (void)user;
  Walletd__GetBalanceRequest *in = walletd__get_balance_request__unpack(NULL, len, req);
  if (!in) {
    zquic_grpc_server_call_finish(call, ZQUIC_GRPC_INVALID_ARGUMENT,
                                  "GetBalanceRequest does not decode", NULL, 0);
    return;
  }
  char text[128];
  const account *acct = NULL;
  if (!in->wallet_id[0]) {
    zquic_grpc_server_call_finish(call, ZQUIC_GRPC_INVALID_ARGUMENT, "wallet_id is empty", NULL,
                                  0);
    goto out;
  }
  acct = find_account(in->wallet_id);
  if (!acct) {
    snprintf(text, sizeof(text), "no wallet \"%.64s\"", in->wallet_id);
    zquic_grpc_server_call_finish(call, ZQUIC_GRPC_NOT_FOUND, text, NULL, 0);
    goto out;
  }

  /* The response points into the static ledger: nothing to free but the packed bytes. */
  Walletd__BalanceInfo infos[2], *ptrs[2];
  for (size_t i = 0; i < acct->n_rows; i++) {
    walletd__balance_info__init(&infos[i]);
    infos[i].token_symbol = (char *)acct->rows[i].symbol;
    infos[i].balance = (char *)acct->rows[i].amount;
    infos[i].decimals = acct->rows[i].decimals;
    infos[i].token_address = (char *)acct->rows[i].token_address;
    ptrs[i] = &infos[i];
  }
  Walletd__GetBalanceResponse resp = WALLETD__GET_BALANCE_RESPONSE__INIT;
  resp.success = 1;
  resp.n_balances = acct->n_rows;
  resp.balances = ptrs;
  size_t n = walletd__get_balance_response__get_packed_size(&resp);
  uint8_t *buf = malloc(n ? n : 1);
  if (!buf) {
    zquic_grpc_server_call_finish(call, ZQUIC_GRPC_RESOURCE_EXHAUSTED, "out of memory", NULL, 0);
    goto out;
  }
  walletd__get_balance_response__pack(&resp, buf);
  zquic_grpc_server_call_reply(call, buf, n);
  free(buf);
out:
  walletd__get_balance_request__free_unpacked(in, NULL);
}

/* ---- SubscribeBlocks ------------------------------------------------------------------------- */

/* Workers and main share one lock: `wake` cuts a worker's sleep short on shutdown, `idle` tells
 * main when the last worker has finished its call (the context must outlive every call). */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake, idle;
static int stopping, active_workers;
static int block_interval_ms = 100;

typedef struct subscription {
  zquic_grpc_server_call *call;
  unsigned blocks;
} subscription;

static void hex(const uint8_t *in, size_t len, char *out) {
  for (size_t i = 0; i < len; i++) sprintf(out + 2 * i, "%02x", in[i]);
}

/* The demo chain is a pure function of the height: hash(h) = BLAKE3(hash(h-1) || h as 8 bytes
 * big-endian), hash(0) = BLAKE3("ghostchain example genesis"). Every subscriber therefore sees the
 * same chain, and a client can check each parent_hash against the block before. */
static int next_hash(const uint8_t parent[32], uint64_t height, uint8_t out[32]) {
  uint8_t in[40];
  memcpy(in, parent, 32);
  for (int i = 0; i < 8; i++) in[32 + i] = (uint8_t)(height >> (56 - 8 * i));
  size_t n;
  return zquic_crypto_hash(ZQUIC_HASH_BLAKE3, in, sizeof(in), out, 32, &n);
}

/* Sleep one interval, or less when main asks to stop. Returns 1 when stopping. */
static int nap(void) {
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_sec += block_interval_ms / 1000;
  until.tv_nsec += (long)(block_interval_ms % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&lock);
  while (!stopping && pthread_cond_timedwait(&wake, &lock, &until) != ETIMEDOUT) {
  }
  int stop = stopping;
  pthread_mutex_unlock(&lock);
  return stop;
}

static int send_block(zquic_grpc_server_call *call, uint64_t height, const char *hash,
                      const char *parent) {
  char tx_id[32];
  snprintf(tx_id, sizeof(tx_id), "tx-%llu-0", (unsigned long long)height);
  Ghost__Chain__V1__Transaction tx = GHOST__CHAIN__V1__TRANSACTION__INIT, *txs[1] = {&tx};
  tx.id = tx_id;
  tx.from = "treasury";
  tx.to = "alice";
  tx.amount = height * 1000;
  Ghost__Chain__V1__BlockResponse block = GHOST__CHAIN__V1__BLOCK_RESPONSE__INIT;
  block.height = height;
  block.hash = (char *)hash;
  block.parent_hash = (char *)parent;
  block.timestamp = (uint64_t)time(NULL);
  block.n_transactions = 1;
  block.transactions = txs;
  uint8_t buf[512]; /* a block with one transaction packs to ~200 bytes */
  size_t n = ghost__chain__v1__block_response__get_packed_size(&block);
  if (n > sizeof(buf)) return ZQUIC_ERR_LIMIT;
  ghost__chain__v1__block_response__pack(&block, buf);
  /* Waits only when the client stops reading (more than 1 MiB unsent), and not for ever. */
  return zquic_grpc_server_call_send(call, buf, n, 5000);
}

static void *subscription_worker(void *arg) {
  subscription *sub = arg;
  int status = ZQUIC_GRPC_OK;
  const char *message = NULL;
  uint8_t parent[32], hash[32];
  char parent_hex[65], hash_hex[65];
  static const char genesis[] = "ghostchain example genesis";
  if (zquic_crypto_hash(ZQUIC_HASH_BLAKE3, genesis, strlen(genesis), parent, 32, &(size_t){0})) {
    status = ZQUIC_GRPC_INTERNAL;
    message = "hash failed";
    goto done;
  }
  for (unsigned h = 1; h <= sub->blocks; h++) {
    if (nap()) {
      status = ZQUIC_GRPC_UNAVAILABLE;
      message = "walletd is shutting down";
      break;
    }
    /* The client went away (cancel, deadline, lost connection): finish below still releases. */
    if (zquic_grpc_server_call_cancelled(sub->call)) break;
    if (next_hash(parent, h, hash)) {
      status = ZQUIC_GRPC_INTERNAL;
      message = "hash failed";
      break;
    }
    hex(parent, 32, parent_hex);
    hex(hash, 32, hash_hex);
    if (send_block(sub->call, h, hash_hex, parent_hex) != ZQUIC_OK) {
      status = ZQUIC_GRPC_UNAVAILABLE;
      message = "could not send the block";
      break;
    }
    memcpy(parent, hash, 32);
  }
done:
  /* Exactly one finish per call; it releases the handle even when the call was cancelled. */
  zquic_grpc_server_call_finish(sub->call, status, message, NULL, 0);
  free(sub);
  pthread_mutex_lock(&lock);
  active_workers--;
  pthread_cond_broadcast(&idle);
  pthread_mutex_unlock(&lock);
  return NULL;
}

/* Registered as UNARY: the request is exactly one Empty message, so the library collects it and
 * calls us once; the answer is then streamed by the worker. How many blocks: metadata
 * "x-blocks" (1..1000), default 5. */
static void subscribe_blocks(zquic_grpc_server_call *call, const uint8_t *req, size_t len,
                             void *user) {
  (void)user;
  Ghost__Common__V1__Empty *empty = ghost__common__v1__empty__unpack(NULL, len, req);
  if (!empty) {
    zquic_grpc_server_call_finish(call, ZQUIC_GRPC_INVALID_ARGUMENT, "Empty does not decode",
                                  NULL, 0);
    return;
  }
  ghost__common__v1__empty__free_unpacked(empty, NULL);

  unsigned long blocks = DEFAULT_BLOCKS;
  const uint8_t *v;
  size_t vlen;
  if (zquic_grpc_server_call_metadata(call, "x-blocks", &v, &vlen) == ZQUIC_OK) {
    char text[16] = {0}, *end = NULL;
    memcpy(text, v, vlen < sizeof(text) - 1 ? vlen : sizeof(text) - 1);
    blocks = strtoul(text, &end, 10);
    if (vlen >= sizeof(text) || end == text || *end || blocks < 1 || blocks > MAX_BLOCKS) {
      zquic_grpc_server_call_finish(call, ZQUIC_GRPC_INVALID_ARGUMENT,
                                    "x-blocks must be a number from 1 to 1000", NULL, 0);
      return;
    }
  }

  subscription *sub = calloc(1, sizeof(*sub));
  if (!sub) {
    zquic_grpc_server_call_finish(call, ZQUIC_GRPC_RESOURCE_EXHAUSTED, "out of memory", NULL, 0);
    return;
  }
  sub->call = call;
  sub->blocks = (unsigned)blocks;
  pthread_mutex_lock(&lock);
  if (stopping) {
    pthread_mutex_unlock(&lock);
    free(sub);
    zquic_grpc_server_call_finish(call, ZQUIC_GRPC_UNAVAILABLE, "walletd is shutting down",
                                  NULL, 0);
    return;
  }
  pthread_t t;
  if (pthread_create(&t, NULL, subscription_worker, sub) != 0) {
    pthread_mutex_unlock(&lock);
    free(sub);
    zquic_grpc_server_call_finish(call, ZQUIC_GRPC_RESOURCE_EXHAUSTED, "no thread for the stream",
                                  NULL, 0);
    return;
  }
  active_workers++;
  pthread_mutex_unlock(&lock);
  pthread_detach(t);
}

/* ---- main ------------------------------------------------------------------------------------ */

static void usage(FILE *f) {
  fprintf(f,
          "usage: walletd_server --cert FILE --key FILE [--listen ADDR:PORT]\n"
          "                      [--block-interval MS]\n"
          "\n"
          "A wallet service over gRPC on HTTP/3 (zquic GhostBridge example).\n"
          "  --listen ADDR:PORT     where to listen (default 127.0.0.1:50051; port 0 = any free)\n"
          "  --cert FILE            PEM certificate chain\n"
          "  --key FILE             PEM private key\n"
          "  --block-interval MS    pause between streamed blocks (default 100)\n"
          "  --help                 this text\n"
          "\n"
          "Serves " GET_BALANCE "\n"
          "   and " SUBSCRIBE_BLOCKS " (metadata x-blocks: 1..1000, default 5).\n"
          "Prints \"listening on HOST:PORT\" once ready; runs until SIGINT or SIGTERM.\n");
}

int main(int argc, char **argv) {
  const char *listen = "127.0.0.1:50051", *cert = NULL, *key = NULL;
  static const struct option opts[] = {
    {"listen", required_argument, 0, 'l'}, {"cert", required_argument, 0, 'c'},
    {"key", required_argument, 0, 'k'},    {"block-interval", required_argument, 0, 'i'},
    {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    char *end;
    switch (c) {
    case 'l': listen = optarg; break;
    case 'c': cert = optarg; break;
    case 'k': key = optarg; break;
    case 'i':
      errno = 0;
      long ms = strtol(optarg, &end, 10);
      if (errno || end == optarg || *end || ms < 0 || ms > 60000) {
        fprintf(stderr, "walletd_server: --block-interval wants 0..60000 ms, not \"%s\"\n", optarg);
        return 2;
      }
      block_interval_ms = (int)ms;
      break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "walletd_server: unexpected argument \"%s\"\n", argv[optind]);
    usage(stderr);
    return 2;
  }
  if (!cert || !key) {
    fprintf(stderr, "walletd_server: --cert and --key are required\n");
    usage(stderr);
    return 2;
  }

  /* Before any thread exists, so every thread inherits the mask and only sigwait sees them. */
  sigset_t stop_set;
  sigemptyset(&stop_set);
  sigaddset(&stop_set, SIGINT);
  sigaddset(&stop_set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&wake, &ca);
  pthread_cond_init(&idle, NULL);
  pthread_condattr_destroy(&ca);

  int exit_code = 1, rc;
  zquic_context *ctx = NULL;
  zquic_grpc_server *grpc = NULL;
  zquic_server *server = NULL;
  zquic_config cfg;
  zquic_config_init(&cfg);
  cfg.cert_file = cert;
  cfg.key_file = key;
  if ((rc = zquic_init(&cfg, &ctx)) != ZQUIC_OK) {
    fprintf(stderr, "walletd_server: init: %s (%s)\n", zquic_strerror(rc), zquic_last_error());
    goto err;
  }
  zquic_grpc_server_config gcfg;
  zquic_grpc_server_config_init(&gcfg); /* unregistered methods: UNIMPLEMENTED */
  if ((rc = zquic_grpc_server_create(ctx, &gcfg, &grpc)) != ZQUIC_OK) {
    fprintf(stderr, "walletd_server: gRPC service: %s (%s)\n", zquic_strerror(rc),
            zquic_last_error());
    goto err;
  }
  zquic_grpc_method m;
  zquic_grpc_method_init(&m);
  m.on_call = get_balance;
  rc = zquic_grpc_server_register(grpc, GET_BALANCE, &m);
  /* No on_cancel: the worker owns the call and notices the cancellation itself; finishing it in
   * on_cancel as well would end the call twice. */
  m.on_call = subscribe_blocks;
  if (rc == ZQUIC_OK) rc = zquic_grpc_server_register(grpc, SUBSCRIBE_BLOCKS, &m);
  if (rc != ZQUIC_OK) {
    fprintf(stderr, "walletd_server: register: %s (%s)\n", zquic_strerror(rc), zquic_last_error());
    goto err;
  }
  zquic_server_config scfg;
  zquic_server_config_init(&scfg);
  scfg.listen = listen;
  scfg.alpn = "h3";
  scfg.h3 = zquic_grpc_server_h3_handler(grpc);
  if ((rc = zquic_create_server(ctx, &scfg, &server)) != ZQUIC_OK) {
    fprintf(stderr, "walletd_server: listen on %s: %s (%s)\n", listen, zquic_strerror(rc),
            zquic_last_error());
    goto err;
  }
  /* Port 0 binds any free port: print the real one (tests read it from this line). */
  const char *colon = strrchr(listen, ':');
  printf("listening on %.*s:%d\n", (int)(colon ? colon - listen : 0), listen,
         zquic_server_port(server));
  fflush(stdout);

  int sig = SIGTERM;
  sigwait(&stop_set, &sig); /* cannot fail with a valid set; stop anyway if it did */
  fprintf(stderr, "walletd_server: %s, shutting down\n", sig == SIGINT ? "SIGINT" : "SIGTERM");

  /* Workers finish their calls within one send timeout; the context must outlive them. */
  pthread_mutex_lock(&lock);
  stopping = 1;
  pthread_cond_broadcast(&wake);
  while (active_workers > 0) pthread_cond_wait(&idle, &lock);
  pthread_mutex_unlock(&lock);
  if (zquic_server_shutdown(server, 2000) == ZQUIC_ERR_TIMEOUT)
    fprintf(stderr, "walletd_server: requests still running after 2 s were cut off\n");
  exit_code = 0;
err:
  zquic_server_free(server);
  zquic_grpc_server_free(grpc);
  zquic_destroy(ctx);
  return exit_code;
}
