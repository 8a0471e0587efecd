/*
 * ens.h — the third link of the DoQ resolver chain: `.eth` names answered from ENS, the Ethereum
 * Name Service, through an Ethereum JSON-RPC endpoint the user configures (never a default one).
 *
 * Three layers, each in its own file:
 *   ens_abi.c     pure and bounds-checked: function selectors, ABI-encoded calls, decoding of the
 *                 results (a malicious endpoint chooses every byte), JSON-RPC batch bodies,
 *                 names as ENS wants them (namehash, DNS wire form).
 *   ens_lookup.c  one lookup from name to DNS records, through a `post` function that sends one
 *                 JSON-RPC body and returns the reply (libcurl in ens_rpc.c, canned replies in
 *                 the unit tests and the fuzz target).
 *   ens.c         the asynchronous glue: lookups run in libuv's thread pool with a hard deadline,
 *                 at most a few at once, and come back to the loop thread to be answered; a DoQ
 *                 query cancelled meanwhile is forgotten, never touched again.
 *
 * Names: ASCII only. A label must be [a-z0-9_-] (the DNS parser has lower-cased it already);
 * anything else, UTF-8 included, is refused rather than hashed, because ENS hashes the UTS-46 /
 * ENSIP-15 normalised form and hashing anything else would give a wrong, unrelated node. Full
 * UTS-46 normalisation is out of scope.
 */
#ifndef ZQ_DNS_ENS_H
#define ZQ_DNS_ENS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "doq.h"
#include "message.h"

#define ZQ_ENS_MAINNET_REGISTRY "0x00000000000C2E074eC69A0dFb2997BA6C7d2e1e"
#define ZQ_ENS_MAX_BYTES 16384u         /* the largest bytes/string result we accept */
#define ZQ_ENS_MAX_RESPONSE (1u << 20) /* the largest JSON-RPC reply body we read */
#define ZQ_ENS_MAX_LABELS 4             /* resolver() is asked for at most this many names */
#define ZQ_ENS_TXT_TTL 60               /* TTL of the synthesized TXT records */
#define ZQ_ENS_DEFAULT_TIMEOUT_MS 3000
#define ZQ_ENS_NAME_MAX 254

/* ---- ABI (ens_abi.c) ------------------------------------------------------------------------ */

/* The first 4 bytes of Keccak-256 of a function signature such as "addr(bytes32)". */
void zq_ens_selector(const char *signature, uint8_t out[4]);

/* ABI-encoded call data as "0x..." text (malloc'd; NULL without memory). */
char *zq_ens_encode_node_call(const char *signature, const uint8_t node[32]);
char *zq_ens_encode_text_call(const uint8_t node[32], const char *key);
char *zq_ens_encode_dns_record_call(const uint8_t node[32], const uint8_t name_hash[32],
                                    uint16_t type);

/* Decoders of a call's return data. 0, or ZQUIC_ERR_INVALID_ARGUMENT when it is not a well-formed
 * ABI value of that type (short, non-zero padding, an offset or length outside the data, longer
 * than ZQ_ENS_MAX_BYTES). An empty return (a call to an address without code) decodes as the zero
 * address / empty bytes. *data points into ret. */
int zq_ens_decode_address(const uint8_t *ret, size_t len, uint8_t addr[20]);
int zq_ens_decode_bytes(const uint8_t *ret, size_t len, const uint8_t **data, size_t *data_len);

/* Strict "0x" + even number of hex digits -> bytes (malloc'd, *out NULL for none). */
int zq_ens_hex_decode(const char *hex, size_t hex_len, uint8_t **out, size_t *len);
void zq_ens_hex_encode(const uint8_t *data, size_t len, char *out); /* out: 2*len+1 */

/* A query name as ENS sees it. From the lower-cased wire name: ZQ_ENS_NAME_OK with `text` =
 * "zquic.eth" (no trailing dot) when the name is under .eth and every label is [a-z0-9_-];
 * ZQ_ENS_NAME_NOT_ENS when it is not under .eth; ZQ_ENS_NAME_UNSUPPORTED when it is but a label
 * has other bytes (non-ASCII: UTS-46 is not implemented). */
enum { ZQ_ENS_NAME_OK = 0, ZQ_ENS_NAME_NOT_ENS = 1, ZQ_ENS_NAME_UNSUPPORTED = 2 };
int zq_ens_name_from_wire(const uint8_t *wire, size_t len, char *text, size_t cap);
/* Keccak-256 of the DNS wire form of `text` ("zquic.eth" -> keccak("\5zquic\3eth\0")): the
 * `name` argument of dnsRecord. */
int zq_ens_wire_name_hash(const char *text, uint8_t out[32]);

/* One eth_call of a JSON-RPC batch. */
typedef enum zq_ens_call_status {
  ZQ_ENS_CALL_PENDING = 0,
  ZQ_ENS_CALL_OK,       /* ret/ret_len hold the return data */
  ZQ_ENS_CALL_REVERTED, /* the node answered with a JSON-RPC error (revert, no such method...) */
  ZQ_ENS_CALL_MISSING,  /* no usable reply for this call in the batch */
} zq_ens_call_status;

typedef struct zq_ens_call {
  char to[43];          /* contract address "0x..." */
  char *data;           /* owned call data "0x..." */
  zq_ens_call_status status;
  uint8_t *ret;         /* owned */
  size_t ret_len;
} zq_ens_call;

void zq_ens_call_clear(zq_ens_call *c);
/* The JSON-RPC 2.0 batch body (an array of eth_call at "latest", ids 0..n-1); malloc'd. */
char *zq_ens_rpc_request(const zq_ens_call *calls, size_t n);
/* Fill each call's status/ret from a reply body. ZQUIC_ERR_INVALID_ARGUMENT when the body is not
 * a JSON-RPC reply at all; otherwise 0, with calls the reply did not answer left MISSING. */
int zq_ens_rpc_parse(const char *body, size_t len, zq_ens_call *calls, size_t n);

/* ---- one lookup (ens_lookup.c) ------------------------------------------------------------- */

/* Send a JSON-RPC body, return the reply (*resp malloc'd). 0, or an error code with a short text
 * in `why`: ZQUIC_ERR_TIMEOUT (EDE 22), ZQUIC_ERR_SOCKET / ZQUIC_ERR_IO (EDE 23), others. */
typedef int (*zq_ens_post_fn)(void *user, const char *body, char **resp, size_t *resp_len,
                              char *why, size_t why_cap);

typedef struct zq_ens_result {
  int rcode;            /* ZQ_DNS_RCODE_* */
  int ede;              /* Extended DNS Error info-code, -1 for none */
  char ede_text[120];
  ldns_rr_list *answer; /* owned; records for the answer section */
  ldns_rr *soa;         /* owned; authority for NXDOMAIN / NODATA (negative caching) */
} zq_ens_result;

void zq_ens_result_clear(zq_ens_result *r);
/* Resolve `qname` ("zquic.eth", checked by zq_ens_name_from_wire) for `qtype` against the
 * registry at `registry` ("0x..."). Always fills `out` (SERVFAIL + EDE when the endpoint failed or
 * lied). */
void zq_ens_lookup(const char *registry, const char *qname, uint16_t qtype, zq_ens_post_fn post,
                   void *post_user, zq_ens_result *out);

/* ---- HTTP (ens_rpc.c): libcurl, blocking, for worker threads only ------------------------- */

typedef struct zq_ens_http {
  const char *url;
  uint64_t deadline_ns;   /* zq_now_ns() clock: the whole lookup ends by then */
  const atomic_bool *abort; /* set from the loop thread to stop early (cancel, shutdown) */
  void *curl;             /* CURL *, reused across the lookup's calls (keep-alive) */
} zq_ens_http;

int zq_ens_http_post(void *user, const char *body, char **resp, size_t *resp_len, char *why,
                     size_t why_cap); /* user: zq_ens_http */
void zq_ens_http_clear(zq_ens_http *h);
int zq_ens_http_global_init(void); /* curl_global_init once per process */

/* ---- the asynchronous link (ens.c) --------------------------------------------------------- */

typedef struct zq_ens zq_ens;

typedef struct zq_ens_config {
  const char *rpc_url;   /* http:// or https:// JSON-RPC endpoint */
  const char *registry;  /* NULL = ZQ_ENS_MAINNET_REGISTRY */
  uint32_t timeout_ms;   /* whole lookup, queueing included; 0 = ZQ_ENS_DEFAULT_TIMEOUT_MS */
} zq_ens_config;

/* Called on the loop thread, lock held, when a lookup started by zq_ens_start ends for a query
 * that is still there. Takes `q` (clear it) and `answer` (free it). */
typedef void (*zq_ens_done_fn)(void *user, zq_doq_query *dq, zq_dns_query *q, ldns_pkt *answer);

/* 0, ZQUIC_ERR_INVALID_ARGUMENT (URL scheme, registry text) or ZQUIC_ERR_NO_MEMORY. */
int zq_ens_new(zquic_context *ctx, const zq_ens_config *cfg, zq_ens_done_fn done, void *user,
               zq_ens **out);
/* Loop thread, lock held. For a query under .eth: returns 0 and *now = NULL when the lookup went
 * on (q's contents are moved into it and *q is zeroed), or 0 with *now set to an answer to send
 * at once (a refused name, a full queue). Non-zero: out of memory, q untouched. */
int zq_ens_start(zq_ens *e, zq_doq_query *dq, zq_dns_query *q, ldns_pkt **now);
/* The DoQ query is gone (on_cancel): its lookup, if any, will never answer it. */
void zq_ens_cancel(zq_ens *e, zq_doq_query *dq);
void zq_ens_stats(const zq_ens *e, uint64_t *lookups, uint64_t *failures);
/* Lock held, from any thread. Lookups still in the thread pool are told to stop; the object is
 * freed when the last of them is back on the loop thread. */
void zq_ens_free(zq_ens *e);

#endif
