/*
 * ens_lookup.c — one ENS lookup, from a .eth name and a query type to DNS records, in two
 * JSON-RPC round trips (each a batch of eth_calls, so a remote endpoint costs two RTTs, not ten):
 *
 *   1. the registry: resolver(namehash(N)) for the name and its parents up to the label under
 *      .eth (www.zquic.eth, zquic.eth). None set -> NXDOMAIN. The closest one wins; ENS's DNS
 *      profile keeps the records of a name's subdomains on the parent's node, so a resolver found
 *      on a parent still answers A/AAAA/... for the full name.
 *   2. that resolver: dnsRecord(node, keccak(wire(name)), type) (and CNAME), which return RRs in
 *      DNS wire format; for TXT on a name with its own resolver also addr(node), contenthash(node)
 *      and text(node, key) for a short list of keys, synthesized into TXT strings
 *      "eth=0x<EIP-55>", "contenthash=0x<hex>" and "KEY=VALUE" (TTL 60).
 *
 * A resolver that lacks a profile (a call that reverts) just has no such records; a reply that is
 * not JSON-RPC, a call missing from the batch, ABI data that does not decode or DNS records that
 * do not parse make the answer SERVFAIL with Extended DNS Error 24 (Invalid Data); an endpoint
 * that cannot be reached gives 23 (Network Error), one that is too slow 22 (No Reachable
 * Authority). Negative answers carry a synthesized SOA so they may be cached (RFC 2308).
 */
#include <stdlib.h>
#include <string.h>

#include "ens.h"

/* The text() keys a TXT answer shows: the ENSIP-5 global keys and service keys people set most. */
static const char *const text_keys[] = {"url", "email", "avatar", "description", "notice",
                                        "com.github", "com.twitter"};
#define N_TEXT_KEYS (sizeof(text_keys) / sizeof(text_keys[0]))
#define MAX_DNS_RRS 64

void zq_ens_result_clear(zq_ens_result *r) {
  ldns_rr_list_deep_free(r->answer);
  ldns_rr_free(r->soa);
  memset(r, 0, sizeof(*r));
  r->ede = -1;
}

static void fail(zq_ens_result *out, int ede, const char *text) {
  ldns_rr_list_deep_free(out->answer);
  out->answer = NULL;
  out->rcode = ZQ_DNS_RCODE_SERVFAIL;
  out->ede = ede;
  snprintf(out->ede_text, sizeof(out->ede_text), "%s", text);
}

static ldns_rr *negative_soa(void) {
  ldns_rr *rr = NULL;
  ldns_rr_new_frm_str(&rr, "eth. 60 IN SOA ens.eth. hostmaster.eth. 1 3600 600 86400 60", 0,
                      NULL, NULL);
  return rr;
}

/* Send the batch and sort the replies into calls; on failure fill `out` and return non-zero. */
static int run_batch(zq_ens_post_fn post, void *user, zq_ens_call *calls, size_t n,
                     zq_ens_result *out) {
  char *body = zq_ens_rpc_request(calls, n), *resp = NULL, why[100] = "";
  size_t resp_len = 0;
  if (!body) {
    fail(out, ZQ_DNS_EDE_OTHER, "out of memory");
    return -1;
  }
  int rc = post(user, body, &resp, &resp_len, why, sizeof(why));
  free(body);
  if (rc) {
    fail(out, rc == ZQUIC_ERR_TIMEOUT ? ZQ_DNS_EDE_NO_REACHABLE_AUTHORITY
            : rc == ZQUIC_ERR_SOCKET || rc == ZQUIC_ERR_IO ? ZQ_DNS_EDE_NETWORK_ERROR
                                                           : ZQ_DNS_EDE_OTHER,
         why[0] ? why : "Ethereum endpoint failed");
    return -1;
  }
  rc = zq_ens_rpc_parse(resp, resp_len, calls, n);
  free(resp);
  if (rc) {
    fail(out, ZQ_DNS_EDE_INVALID_DATA, "Ethereum endpoint: not a JSON-RPC reply");
    return -1;
  }
  return 0;
}

/* Up to ZQ_ENS_MAX_LABELS names, most specific first: "a.b.eth" -> "a.b.eth", "b.eth". */
static size_t candidate_names(const char *qname, const char *names[ZQ_ENS_MAX_LABELS]) {
  size_t n = 0;
  for (const char *p = qname; p && n < ZQ_ENS_MAX_LABELS; ) {
    if (n && !strchr(p, '.')) break; /* "eth" itself only when it is the name asked for */
    names[n++] = p;
    p = strchr(p, '.');
    if (p) p++;
  }
  return n;
}

/* Stage 1: the closest name with a resolver. 1 found (node, resolver, exact), 0 none, -1 fail. */
static int find_resolver(const char *registry, const char *qname, zq_ens_post_fn post,
                         void *user, uint8_t node[32], char resolver[43], bool *exact,
                         zq_ens_result *out) {
  const char *names[ZQ_ENS_MAX_LABELS];
  uint8_t nodes[ZQ_ENS_MAX_LABELS][32];
  size_t n = candidate_names(qname, names);
  zq_ens_call calls[ZQ_ENS_MAX_LABELS];
  memset(calls, 0, sizeof(calls));
  int found = -1;
  for (size_t i = 0; i < n; i++) {
    snprintf(calls[i].to, sizeof(calls[i].to), "%s", registry);
    if (zquic_crypto_ens_namehash(names[i], nodes[i], 32) != ZQUIC_OK ||
        !(calls[i].data = zq_ens_encode_node_call("resolver(bytes32)", nodes[i]))) {
      fail(out, ZQ_DNS_EDE_OTHER, "cannot encode the registry call");
      goto done;
    }
  }
  if (run_batch(post, user, calls, n, out)) goto done;
  found = 0;
  for (size_t i = 0; i < n && found == 0; i++) {
    uint8_t addr[20];
    if (calls[i].status != ZQ_ENS_CALL_OK ||
        zq_ens_decode_address(calls[i].ret, calls[i].ret_len, addr) != ZQUIC_OK) {
      fail(out, ZQ_DNS_EDE_INVALID_DATA,
           calls[i].status == ZQ_ENS_CALL_REVERTED ? "ENS registry call failed (wrong address?)"
                                                   : "ENS registry: invalid reply");
      found = -1;
      break;
    }
    static const uint8_t zero[20];
    if (memcmp(addr, zero, 20) == 0) continue;
    memcpy(node, nodes[i], 32);
    resolver[0] = '0';
    resolver[1] = 'x';
    zq_ens_hex_encode(addr, 20, resolver + 2);
    *exact = i == 0;
    found = 1;
  }
done:
  for (size_t i = 0; i < n; i++) zq_ens_call_clear(&calls[i]);
  return found;
}

/* A TXT record of one string, split into character-strings of at most 255 bytes. */
static int add_txt(ldns_rr_list *list, const ldns_rdf *owner, const char *key, const uint8_t *v,
                   size_t vlen) {
  size_t klen = strlen(key), total = klen + 1 + vlen;
  uint8_t *s = malloc(total);
  ldns_rr *rr = ldns_rr_new();
  ldns_rdf *o = ldns_rdf_clone(owner);
  if (!s || !rr || !o) goto err;
  for (size_t i = 0; i < klen; i++) s[i] = (uint8_t)key[i]; /* no NUL in TXT strings */
  s[klen] = '=';
  memcpy(s + klen + 1, v, vlen);
  ldns_rr_set_owner(rr, o);
  o = NULL;
  ldns_rr_set_type(rr, LDNS_RR_TYPE_TXT);
  ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
  ldns_rr_set_ttl(rr, ZQ_ENS_TXT_TTL);
  for (size_t off = 0; off < total; off += 255) {
    uint8_t chunk[256];
    size_t n = total - off < 255 ? total - off : 255;
    chunk[0] = (uint8_t)n;
    memcpy(chunk + 1, s + off, n);
    ldns_rdf *rd = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, n + 1, chunk);
    if (!rd || !ldns_rr_push_rdf(rr, rd)) {
      ldns_rdf_deep_free(rd);
      goto err;
    }
  }
  if (!ldns_rr_list_push_rr(list, rr)) goto err;
  free(s);
  return 0;
err:
  free(s);
  ldns_rr_free(rr);
  ldns_rdf_deep_free(o);
  return -1;
}

/* The RRs of a dnsRecord result that belong to the answer: owner = qname, class IN, that type.
 * -1 when the bytes are not a sequence of wire-format RRs. */
static int add_dns_records(ldns_rr_list *list, const ldns_rdf *owner, uint16_t type,
                           const uint8_t *data, size_t len) {
  size_t pos = 0;
  for (int count = 0; pos < len; count++) {
    ldns_rr *rr = NULL;
    if (count == MAX_DNS_RRS ||
        ldns_wire2rr(&rr, data, len, &pos, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK) {
      ldns_rr_free(rr);
      return -1;
    }
    if (ldns_rr_get_type(rr) == type && ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
        ldns_dname_compare(ldns_rr_owner(rr), owner) == 0) {
      /* Answer with the name as asked (the stored owner may differ in case). */
      ldns_rdf_deep_free(ldns_rr_owner(rr));
      ldns_rr_set_owner(rr, ldns_rdf_clone(owner));
      if (ldns_rr_owner(rr) && ldns_rr_list_push_rr(list, rr)) continue;
    }
    ldns_rr_free(rr);
  }
  return 0;
}

enum { C_RECORD, C_CNAME, C_ADDR, C_CONTENTHASH, C_TEXT0 };
#define MAX_CALLS (C_TEXT0 + N_TEXT_KEYS)

/* Stage 2: the records the resolver holds for qname. */
static void read_records(const char *resolver, const uint8_t node[32], bool exact,
                         const char *qname, uint16_t qtype, zq_ens_post_fn post, void *user,
                         zq_ens_result *out) {
  zq_ens_call calls[MAX_CALLS];
  memset(calls, 0, sizeof(calls));
  bool txt = qtype == LDNS_RR_TYPE_TXT || qtype == LDNS_RR_TYPE_ANY;
  uint16_t rtype = qtype == LDNS_RR_TYPE_ANY ? LDNS_RR_TYPE_TXT : qtype;
  size_t n = exact && txt ? MAX_CALLS : C_CNAME + 1;
  uint8_t name_hash[32];
  char abs_name[ZQ_ENS_NAME_MAX + 2];
  snprintf(abs_name, sizeof(abs_name), "%s.", qname);
  ldns_rdf *owner = ldns_dname_new_frm_str(abs_name);
  if (!owner || zq_ens_wire_name_hash(qname, name_hash) != ZQUIC_OK ||
      !(out->answer = ldns_rr_list_new())) {
    fail(out, ZQ_DNS_EDE_OTHER, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    snprintf(calls[i].to, sizeof(calls[i].to), "%s", resolver);
    if (i == C_RECORD) calls[i].data = zq_ens_encode_dns_record_call(node, name_hash, rtype);
    else if (i == C_CNAME)
      calls[i].data = zq_ens_encode_dns_record_call(node, name_hash, LDNS_RR_TYPE_CNAME);
    else if (i == C_ADDR) calls[i].data = zq_ens_encode_node_call("addr(bytes32)", node);
    else if (i == C_CONTENTHASH)
      calls[i].data = zq_ens_encode_node_call("contenthash(bytes32)", node);
    else calls[i].data = zq_ens_encode_text_call(node, text_keys[i - C_TEXT0]);
    if (!calls[i].data) {
      fail(out, ZQ_DNS_EDE_OTHER, "out of memory");
      goto done;
    }
  }
  if (run_batch(post, user, calls, n, out)) goto done;
  for (size_t i = 0; i < n; i++) {
    if (calls[i].status == ZQ_ENS_CALL_MISSING) {
      fail(out, ZQ_DNS_EDE_INVALID_DATA, "Ethereum endpoint: a call is missing from the reply");
      goto done;
    }
  }
  /* Every result is decoded before any is used: one bad value fails the whole answer. */
  const uint8_t *val[MAX_CALLS] = {0};
  size_t val_len[MAX_CALLS] = {0};
  uint8_t addr[20] = {0};
  for (size_t i = 0; i < n; i++) {
    if (calls[i].status != ZQ_ENS_CALL_OK) continue; /* reverted: the resolver lacks it */
    int rc = i == C_ADDR ? zq_ens_decode_address(calls[i].ret, calls[i].ret_len, addr)
                         : zq_ens_decode_bytes(calls[i].ret, calls[i].ret_len, &val[i],
                                               &val_len[i]);
    if (rc) {
      fail(out, ZQ_DNS_EDE_INVALID_DATA, "ENS resolver: invalid ABI data");
      goto done;
    }
  }
  if (add_dns_records(out->answer, owner, rtype, val[C_RECORD], val_len[C_RECORD]) ||
      (rtype != LDNS_RR_TYPE_CNAME && ldns_rr_list_rr_count(out->answer) == 0 &&
       add_dns_records(out->answer, owner, LDNS_RR_TYPE_CNAME, val[C_CNAME], val_len[C_CNAME]))) {
    fail(out, ZQ_DNS_EDE_INVALID_DATA, "ENS resolver: DNS records do not parse");
    goto done;
  }
  if (n == MAX_CALLS) {
    static const uint8_t zero[20];
    char text[ZQUIC_ETH_ADDRESS_TEXT_LEN + 1];
    int bad = 0;
    if (memcmp(addr, zero, 20) != 0) {
      zquic_crypto_eth_address_text(addr, 20, text, sizeof(text));
      bad |= add_txt(out->answer, owner, "eth", (const uint8_t *)text, strlen(text));
    }
    if (val_len[C_CONTENTHASH]) {
      char *hex = malloc(2 * val_len[C_CONTENTHASH] + 3);
      if (hex) {
        hex[0] = '0';
        hex[1] = 'x';
        zq_ens_hex_encode(val[C_CONTENTHASH], val_len[C_CONTENTHASH], hex + 2);
      }
      bad |= hex ? add_txt(out->answer, owner, "contenthash", (const uint8_t *)hex, strlen(hex))
                 : -1;
      free(hex);
    }
    for (size_t k = 0; k < N_TEXT_KEYS; k++)
      if (val_len[C_TEXT0 + k])
        bad |= add_txt(out->answer, owner, text_keys[k], val[C_TEXT0 + k], val_len[C_TEXT0 + k]);
    if (bad) {
      fail(out, ZQ_DNS_EDE_OTHER, "out of memory");
      goto done;
    }
  }
  out->rcode = ZQ_DNS_RCODE_NOERROR;
  if (ldns_rr_list_rr_count(out->answer) == 0) out->soa = negative_soa(); /* NODATA */
done:
  ldns_rdf_deep_free(owner);
  for (size_t i = 0; i < n; i++) zq_ens_call_clear(&calls[i]);
}

void zq_ens_lookup(const char *registry, const char *qname, uint16_t qtype, zq_ens_post_fn post,
                   void *post_user, zq_ens_result *out) {
  memset(out, 0, sizeof(*out));
  out->ede = -1;
  out->rcode = ZQ_DNS_RCODE_SERVFAIL;
  uint8_t node[32];
  char resolver[43];
  bool exact = false;
  int found = find_resolver(registry, qname, post, post_user, node, resolver, &exact, out);
  if (found < 0) return;
  if (found == 0) {
    out->rcode = ZQ_DNS_RCODE_NXDOMAIN;
    out->soa = negative_soa();
    return;
  }
  read_records(resolver, node, exact, qname, qtype, post, post_user, out);
}
