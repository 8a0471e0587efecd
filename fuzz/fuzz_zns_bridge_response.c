/*
 * fuzz_zns_bridge_response.c — what a hostile GhostChain service can send the ZNS bridge
 * (src/dns/zns_bridge_pb.c): DomainResponse bytes, the registry entry they are rebuilt into, and
 * the DNS answer built from an entry that passed.
 *
 * Random bytes never carry a valid Ed25519 signature, so the first byte picks a mode: odd = the
 * bytes as they are; even = the decoded response first re-signed by a fixed key over the entry
 * it rebuilds to, so the fuzzer also reaches the registry checks and the answer builder. Byte 1
 * is the query type of that answer.
 *
 * Invariants: nothing crashes or leaks; a refused message says why; a decoded one has no NULL
 * string, at most 64 records and 64 signature bytes; a re-signed response is served exactly when
 * the registry's own checks accept its entry; an answer that passed verifies again and reads
 * back with ldns.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resolver.h"

#define NOW 1700000000ull

static const uint8_t seed[32] = {5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
                                 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5};

/* Sign what r rebuilds to with the fixed key (owner_id and signature replaced). */
static void resign(zq_gc_response *r) {
  uint8_t pub[32];
  size_t len;
  char hex[65], msg[ZQ_ZNS_MESSAGE_MAX];
  if (zquic_crypto_keygen_from_seed(ZQUIC_KEY_ED25519, seed, 32, pub, 32, &len) != 0) abort();
  zquic_crypto_hex_encode(pub, 32, hex, sizeof(hex));
  free(r->owner_id);
  if (!(r->owner_id = strdup(hex))) abort();
  r->signature_len = 64;
  zq_zns_entry e;
  if (zq_gc_response_to_entry(r, &e, NULL, 0) != ZQ_GC_OK) return;
  int n = zq_zns_signing_message(&e, msg, sizeof(msg));
  if (n >= 0)
    zquic_crypto_sign(ZQUIC_KEY_ED25519, seed, 32, msg, (size_t)n, r->signature, 64, &len);
  zq_gc_entry_clear(&e);
}

/* The answer a DoQ client would get for `e`, asked with type qtype: it must serialise and parse. */
static void answer(const zq_zns_entry *e, uint16_t qtype) {
  ldns_pkt *p = NULL;
  char name[ZQ_ZNS_NAME_MAX + 2];
  snprintf(name, sizeof(name), "%s.", e->domain);
  if (ldns_pkt_query_new_frm_str(&p, name, qtype, LDNS_RR_CLASS_IN, LDNS_RD) != LDNS_STATUS_OK)
    return;
  uint8_t *wire = NULL, *out = NULL;
  size_t wire_len = 0, out_len = 0;
  zq_dns_query q;
  memset(&q, 0, sizeof(q));
  if (ldns_pkt2wire(&wire, p, &wire_len) == LDNS_STATUS_OK &&
      zq_dns_parse_query(wire, wire_len, &q) == ZQ_DNS_PARSE_OK) {
    ldns_pkt *a = zq_dns_answer_new(&q, LDNS_RCODE_NOERROR);
    if (a) {
      zq_resolver_zns_answer(e, &q, a);
      ldns_pkt *back = NULL;
      if (zq_dns_answer_to_wire(a, &q, &out, &out_len) == 0 &&
          ldns_wire2pkt(&back, out, out_len) != LDNS_STATUS_OK)
        abort();
      ldns_pkt_free(back);
      ldns_pkt_free(a);
    }
  }
  zq_dns_query_clear(&q);
  free(out);
  free(wire);
  ldns_pkt_free(p);
}

static void check_decoded(const zq_gc_response *r) {
  if (!r->domain || !r->owner_id || r->n_records > ZQ_ZNS_RECORDS_MAX ||
      r->signature_len > ZQ_GC_MAX_SIGNATURE)
    abort();
  for (size_t i = 0; i < r->n_records; i++)
    if (!r->records[i].type || !r->records[i].value) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  zq_gc_response r;
  char why[300] = "";
  if (zq_gc_response_decode(data + 2, size - 2, &r, why, sizeof(why)) != 0) {
    if (!why[0]) abort();
    zq_gc_response_clear(&r);
    return 0;
  }
  check_decoded(&r);
  bool resigned = !(data[0] & 1);
  if (resigned) resign(&r);
  zq_zns_entry e, plain;
  int rc = zq_gc_response_entry(&r, r.domain, NOW, &e, why, sizeof(why));
  if (rc != ZQ_GC_OK && !why[0]) abort();
  if (rc == ZQ_GC_OK) {
    if (zq_zns_entry_verify(&e, NOW, NULL, 0) != 0) abort();
    answer(&e, data[1] % 3 == 0 ? LDNS_RR_TYPE_TXT : data[1] % 3 == 1 ? LDNS_RR_TYPE_A
                                                                    : (ldns_rr_type)data[1]);
    zq_gc_entry_clear(&e);
  } else if (resigned && zq_gc_response_to_entry(&r, &plain, NULL, 0) == ZQ_GC_OK) {
    /* signed by the key it names: only the registry's checks (or the clock) may refuse it */
    if (zq_zns_entry_verify(&plain, NOW, NULL, 0) == 0) abort();
    zq_gc_entry_clear(&plain);
  }
  zq_gc_response_clear(&r);
  return 0;
}
