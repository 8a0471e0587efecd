/*
 * fuzz_ens_response.c — what a hostile Ethereum JSON-RPC endpoint can send the ENS link
 * (src/dns/ens_abi.c, ens_lookup.c): reply bodies, ABI return data, DNS records inside them.
 *
 * The first byte picks the mode, the second the query type; the rest is the input:
 *   0  a reply body for a batch of four calls: parsed, then every result decoded both as an
 *      address and as bytes
 *   1  the reply body to both round trips of a lookup of zquic.eth
 *   2  stage 1 answered by a canned reply that finds a resolver; the input is the stage 2 body
 *   3  both stages canned, the input is the ABI return data of every stage 2 call (dnsRecord's
 *      wire-format RRs, contenthash, text, addr)
 * Whatever comes in: nothing crashes or leaks, decoded data lies inside the input, a lookup ends
 * NOERROR / NXDOMAIN / SERVFAIL, SERVFAIL carries no records and every record is owned by the
 * name asked for.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ens.h"

typedef struct fuzz_post {
  const uint8_t *data;
  size_t len;
  int mode, round;
} fuzz_post;

static char *canned_stage1(void) {
  /* resolver(bytes32) for zquic.eth (id 0) is 0x11..11; the other candidates are not asked. */
  return strdup("[{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":\"0x000000000000000000000000"
                "1111111111111111111111111111111111111111\"}]");
}

static char *canned_stage2(const uint8_t *data, size_t len) {
  /* The same return data for ids 0..10 (more than any stage 2 batch holds). */
  size_t per = 2 * len + 64;
  char *out = malloc(16 + 11 * per), *p = out;
  if (!out) return NULL;
  p += sprintf(p, "[");
  for (int id = 0; id <= 10; id++) {
    p += sprintf(p, "%s{\"id\":%d,\"result\":\"0x", id ? "," : "", id);
    zq_ens_hex_encode(data, len, p);
    p += 2 * len;
    p += sprintf(p, "\"}");
  }
  sprintf(p, "]");
  return out;
}

static int post(void *user, const char *body, char **resp, size_t *resp_len, char *why,
                size_t why_cap) {
  (void)body, (void)why, (void)why_cap;
  fuzz_post *f = user;
  int round = f->round++;
  if ((f->mode == 2 || f->mode == 3) && round == 0) *resp = canned_stage1();
  else if (f->mode == 3) *resp = canned_stage2(f->data, f->len);
  else if ((*resp = malloc(f->len + 1))) {
    memcpy(*resp, f->data, f->len);
    (*resp)[f->len] = '\0';
  }
  if (!*resp) return ZQUIC_ERR_NO_MEMORY;
  *resp_len = f->mode == 3 || (f->mode == 2 && round == 0) ? strlen(*resp) : f->len;
  return 0;
}

static void check_result(const zq_ens_result *r, const char *name) {
  if (r->rcode != ZQ_DNS_RCODE_NOERROR && r->rcode != ZQ_DNS_RCODE_NXDOMAIN &&
      r->rcode != ZQ_DNS_RCODE_SERVFAIL)
    abort();
  if (r->rcode == ZQ_DNS_RCODE_SERVFAIL && r->answer && ldns_rr_list_rr_count(r->answer)) abort();
  ldns_rdf *owner = ldns_dname_new_frm_str(name);
  for (size_t i = 0; r->answer && i < ldns_rr_list_rr_count(r->answer); i++)
    if (ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(r->answer, i)), owner) != 0) abort();
  ldns_rdf_deep_free(owner);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2 || size > ZQ_ENS_MAX_RESPONSE) return 0;
  static const uint16_t types[] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_TXT,
                                   LDNS_RR_TYPE_CNAME, LDNS_RR_TYPE_MX, LDNS_RR_TYPE_ANY};
  int mode = data[0] % 4;
  uint16_t qtype = types[data[1] % (sizeof(types) / sizeof(types[0]))];
  data += 2;
  size -= 2;
  if (mode == 0) {
    zq_ens_call calls[4];
    memset(calls, 0, sizeof(calls));
    zq_ens_rpc_parse((const char *)data, size, calls, 4);
    for (int i = 0; i < 4; i++) {
      uint8_t addr[20];
      const uint8_t *d;
      size_t dl;
      if (calls[i].status == ZQ_ENS_CALL_OK) {
        zq_ens_decode_address(calls[i].ret, calls[i].ret_len, addr);
        if (zq_ens_decode_bytes(calls[i].ret, calls[i].ret_len, &d, &dl) == 0 && dl &&
            (d < calls[i].ret || d + dl > calls[i].ret + calls[i].ret_len))
          abort();
      }
      zq_ens_call_clear(&calls[i]);
    }
    return 0;
  }
  fuzz_post f = {data, size, mode, 0};
  zq_ens_result r;
  zq_ens_lookup("0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "zquic.eth", qtype, post, &f, &r);
  check_result(&r, "zquic.eth.");
  zq_ens_result_clear(&r);
  return 0;
}
