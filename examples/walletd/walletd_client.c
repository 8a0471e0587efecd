/*
 * walletd_client.c — calls walletd_server the way ghostd calls walletd: one QUIC connection
 * (ALPN h3, the server's certificate checked against a CA file) carrying every call, protobuf
 * messages encoded with the code generated from the GhostChain protos.
 *
 *   --account ID     GetBalance, a blocking unary call bounded by a deadline (--timeout), then
 *                    the decoded balances printed one per line
 *   --subscribe N    SubscribeBlocks, a server-streaming call read message by message; each block
 *                    is checked to extend the one before (height + 1, parent_hash = its hash), as
 *                    a node following a chain would
 *
 * A subscription is meant to be long-lived, so it carries no deadline for the whole call; instead
 * each block must arrive within --timeout. Exit status: 0 when every call ended OK, 1 when one
 * ended with another gRPC status (printed with its message) or could not be made, 2 for usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zquic.h>

#include "ghostchain.pb-c.h"
#include "walletd.pb-c.h"

#define GET_BALANCE "/walletd.WalletService/GetBalance"
#define SUBSCRIBE_BLOCKS "/ghost.chain.v1.GhostChainService/SubscribeBlocks"

static int timeout_ms = 5000;

static int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Parse "ab01..." into a new buffer (for --request-hex); NULL on odd length or a non-hex digit. */
static uint8_t *from_hex(const char *text, size_t *len) {
  size_t n = strlen(text);
  if (n % 2) return NULL;
  uint8_t *out = malloc(n / 2 + 1);
  if (!out) return NULL;
  for (size_t i = 0; i < n / 2; i++) {
    int hi = nibble(text[2 * i]), lo = nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      free(out);
      return NULL;
    }
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  *len = n / 2;
  return out;
}

/* GetBalance for `account`, or with `raw` bytes as the request when given (to see how the server
 * treats a request that is not a GetBalanceRequest). */
static int get_balance(zquic_connection *conn, const char *account, const uint8_t *raw,
                       size_t raw_len) {
  int result = 1, rc;
  uint8_t *buf = NULL;
  zquic_grpc_response *resp = NULL;
  Walletd__GetBalanceResponse *out = NULL;
  size_t len = raw_len;
  if (!raw) {
    Walletd__GetBalanceRequest req = WALLETD__GET_BALANCE_REQUEST__INIT;
    req.wallet_id = (char *)account;
    len = walletd__get_balance_request__get_packed_size(&req);
    if (!(buf = malloc(len ? len : 1))) goto err;
    walletd__get_balance_request__pack(&req, buf);
  }
  zquic_grpc_call_options o;
  zquic_grpc_call_options_init(&o);
  o.timeout_ms = timeout_ms; /* sent as grpc-timeout, so the server knows it too */
  rc = zquic_grpc_call(conn, GET_BALANCE, raw ? raw : buf, len, &o, &resp);
  if (rc != ZQUIC_OK) {
    fprintf(stderr, "walletd_client: GetBalance: %s (%s)\n", zquic_strerror(rc),
            zquic_last_error());
    goto err;
  }
  if (resp->status != ZQUIC_GRPC_OK) {
    fprintf(stderr, "walletd_client: GetBalance: %s: %s\n", zquic_grpc_status_name(resp->status),
            resp->error);
    goto err;
  }
  out = walletd__get_balance_response__unpack(NULL, resp->len, resp->data);
  if (!out) {
    fprintf(stderr, "walletd_client: GetBalance: the reply is not a GetBalanceResponse\n");
    goto err;
  }
  /* The application-level flag of walletd.proto, for servers that answer OK with success=false. */
  if (!out->success) {
    fprintf(stderr, "walletd_client: GetBalance: %s\n",
            out->error_message[0] ? out->error_message : "success=false");
    goto err;
  }
  printf("wallet %s: %zu balance%s\n", raw ? "(raw request)" : account, out->n_balances,
         out->n_balances == 1 ? "" : "s");
  for (size_t i = 0; i < out->n_balances; i++) {
    const Walletd__BalanceInfo *b = out->balances[i];
    printf("  %s %s (%d decimals%s%s)\n", b->token_symbol, b->balance, b->decimals,
           b->token_address[0] ? ", token " : "", b->token_address);
  }
  result = 0;
err:
  if (out) walletd__get_balance_response__free_unpacked(out, NULL);
  zquic_grpc_response_free(resp);
  free(buf);
  return result;
}

/* SubscribeBlocks asking for `blocks` blocks; prints each and checks that they form a chain. */
static int subscribe(zquic_connection *conn, unsigned blocks) {
  int result = 1, rc;
  zquic_grpc_stream *call = NULL;
  char count[16], prev_hash[65] = "";
  unsigned got = 0;
  uint64_t prev_height = 0;
  snprintf(count, sizeof(count), "%u", blocks);
  zquic_grpc_metadata md = {"x-blocks", (const uint8_t *)count, strlen(count)};
  zquic_grpc_call_options o;
  zquic_grpc_call_options_init(&o);
  o.timeout_ms = 0; /* no deadline for the stream as a whole: see the top of the file */
  o.metadata = &md;
  o.n_metadata = 1;
  if ((rc = zquic_grpc_stream_start(conn, SUBSCRIBE_BLOCKS, &o, &call)) != ZQUIC_OK) goto fail;
  /* The request is one ghost.common.v1.Empty, which encodes to zero bytes. */
  if ((rc = zquic_grpc_stream_send(call, NULL, 0, timeout_ms)) != ZQUIC_OK) goto fail;
  if ((rc = zquic_grpc_stream_close_send(call)) != ZQUIC_OK) goto fail;

  for (;;) {
    const uint8_t *msg;
    size_t len;
    rc = zquic_grpc_stream_recv(call, timeout_ms, &msg, &len);
    if (rc == 0) break; /* the call ended: its status is below */
    if (rc < 0) goto fail;
    Ghost__Chain__V1__BlockResponse *b = ghost__chain__v1__block_response__unpack(NULL, len, msg);
    if (!b) {
      fprintf(stderr, "walletd_client: SubscribeBlocks: message %u is not a BlockResponse\n",
              got + 1);
      goto err;
    }
    int linked = got == 0 || (b->height == prev_height + 1 && !strcmp(b->parent_hash, prev_hash));
    printf("block %llu hash %.16s parent %.16s txs %zu\n", (unsigned long long)b->height, b->hash,
           b->parent_hash, b->n_transactions);
    fflush(stdout); /* a block is news when it arrives, also when stdout is a file or a pipe */
    prev_height = b->height;
    snprintf(prev_hash, sizeof(prev_hash), "%s", b->hash);
    ghost__chain__v1__block_response__free_unpacked(b, NULL);
    got++;
    if (!linked) {
      fprintf(stderr, "walletd_client: SubscribeBlocks: block %llu does not extend the block "
                      "before it\n", (unsigned long long)prev_height);
      goto err;
    }
  }
  const zquic_grpc_response *st = zquic_grpc_stream_status(call);
  if (st->status != ZQUIC_GRPC_OK) {
    fprintf(stderr, "walletd_client: SubscribeBlocks: %s: %s\n",
            zquic_grpc_status_name(st->status), st->error);
    goto err;
  }
  printf("subscription ended: OK, %u block%s\n", got, got == 1 ? "" : "s");
  if (got != blocks) {
    fprintf(stderr, "walletd_client: SubscribeBlocks: asked for %u blocks, got %u\n", blocks, got);
    goto err;
  }
  result = 0;
  goto err;
fail:
  fprintf(stderr, "walletd_client: SubscribeBlocks: %s (%s)\n", zquic_strerror(rc),
          zquic_last_error());
err:
  zquic_grpc_stream_free(call);
  return result;
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: walletd_client HOST:PORT --ca FILE [--account ID] [--subscribe N]\n"
          "                      [--timeout MS] [--request-hex HEX]\n"
          "\n"
          "Calls walletd_server over gRPC on HTTP/3 (zquic GhostBridge example).\n"
          "  --ca FILE          PEM trust anchors for the server's certificate\n"
          "  --account ID       GetBalance of wallet ID and print the balances\n"
          "  --subscribe N      SubscribeBlocks for N blocks (1..1000) and print each\n"
          "  --timeout MS       GetBalance deadline; longest wait for one block (default 5000)\n"
          "  --request-hex HEX  send these bytes as the GetBalance request (tests the server)\n"
          "  --help             this text\n"
          "At least one of --account, --request-hex, --subscribe. Exit status: 0 OK, 1 a call\n"
          "failed (gRPC status and message on stderr), 2 usage error.\n");
}

int main(int argc, char **argv) {
  const char *ca = NULL, *account = NULL, *request_hex = NULL;
  unsigned long blocks = 0;
  static const struct option opts[] = {
    {"ca", required_argument, 0, 'c'},      {"account", required_argument, 0, 'a'},
    {"subscribe", required_argument, 0, 's'}, {"timeout", required_argument, 0, 't'},
    {"request-hex", required_argument, 0, 'r'}, {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    char *end;
    switch (c) {
    case 'c': ca = optarg; break;
    case 'a': account = optarg; break;
    case 'r': request_hex = optarg; break;
    case 's':
      errno = 0;
      blocks = strtoul(optarg, &end, 10);
      if (errno || end == optarg || *end || blocks < 1 || blocks > 1000) {
        fprintf(stderr, "walletd_client: --subscribe wants 1..1000 blocks, not \"%s\"\n", optarg);
        return 2;
      }
      break;
    case 't':
      errno = 0;
      long ms = strtol(optarg, &end, 10);
      if (errno || end == optarg || *end || ms < 1 || ms > 3600000) {
        fprintf(stderr, "walletd_client: --timeout wants 1..3600000 ms, not \"%s\"\n", optarg);
        return 2;
      }
      timeout_ms = (int)ms;
      break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (optind != argc - 1) {
    fprintf(stderr, "walletd_client: %s\n",
            optind >= argc ? "missing HOST:PORT" : "more than one HOST:PORT");
    usage(stderr);
    return 2;
  }
  if (!ca) {
    fprintf(stderr,
            "walletd_client: --ca is required (the CA that signed the server's certificate)\n");
    return 2;
  }
  if (!account && !request_hex && !blocks) {
    fprintf(stderr, "walletd_client: nothing to do: give --account ID and/or --subscribe N\n");
    return 2;
  }
  if (account && !account[0]) {
    fprintf(stderr, "walletd_client: --account wants a wallet ID, not an empty string\n");
    return 2;
  }
  uint8_t *raw = NULL;
  size_t raw_len = 0;
  if (request_hex && !(raw = from_hex(request_hex, &raw_len))) {
    fprintf(stderr, "walletd_client: --request-hex wants an even number of hex digits\n");
    return 2;
  }

  int result = 1, rc;
  zquic_context *ctx = NULL;
  zquic_connection *conn = NULL;
  if ((rc = zquic_init(NULL, &ctx)) != ZQUIC_OK) {
    fprintf(stderr, "walletd_client: init: %s (%s)\n", zquic_strerror(rc), zquic_last_error());
    goto err;
  }
  zquic_connect_options co;
  zquic_connect_options_init(&co);
  co.alpn = "h3";
  co.ca_file = ca;
  if ((rc = zquic_create_connection_ex(ctx, argv[optind], &co, &conn)) != ZQUIC_OK) {
    fprintf(stderr, "walletd_client: connect to %s: %s (%s)\n", argv[optind], zquic_strerror(rc),
            zquic_last_error());
    goto err;
  }
  /* Every call shares the one connection, as ghostd keeps one per service. */
  result = 0;
  if (account && get_balance(conn, account, NULL, 0)) result = 1;
  if (raw && get_balance(conn, NULL, raw, raw_len)) result = 1;
  if (blocks && subscribe(conn, (unsigned)blocks)) result = 1;
err:
  zquic_close_connection(conn);
  zquic_destroy(ctx);
  free(raw);
  return result;
}
