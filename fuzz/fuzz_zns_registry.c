/*
 * fuzz_zns_registry.c — the ZNS registry reader (src/dns/zns*.c) with arbitrary file contents.
 *
 * Random bytes almost never carry a valid Ed25519 signature, so a plain run would stop at the
 * signature check and never reach what comes after it (duplicates, sorting, lookups). Hence two
 * modes, chosen by the first byte: odd = the bytes as they are; even = the bytes as a registry
 * whose entries are first re-signed with a fixed key over whatever fields they hold, so that the
 * fuzzer explores every check behind the signature too.
 *
 * Either way: a refused file says why, nothing crashes or leaks, every reported rejection names
 * something printable, and every entry served passes verification again, is found by its name,
 * and is the only one with that name.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zns.h"
#include "zquic.h"

#define NOW 1700000000ull

static const uint8_t seed[32] = {7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
                                 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7};

static void on_reject(void *user, const char *domain, const char *reason) {
  (*(size_t *)user)++;
  if (!domain[0] || !reason[0]) abort();
  for (const char *p = domain; *p; p++)
    if (*p < 0x20 || *p == 0x7f) abort(); /* untrusted text must not reach a log line raw */
}

/* Sign one entry object in place over its own fields (when they are of the right JSON types). */
static void resign(json_t *obj) {
  zq_zns_record recs[ZQ_ZNS_RECORDS_MAX];
  zq_zns_entry e = {.records = recs};
  json_t *records = json_object_get(obj, "records");
  e.domain = (char *)json_string_value(json_object_get(obj, "domain"));
  e.last_updated = (uint64_t)json_integer_value(json_object_get(obj, "last_updated"));
  e.expiry = (uint64_t)json_integer_value(json_object_get(obj, "expiry"));
  if (!e.domain || json_array_size(records) > ZQ_ZNS_RECORDS_MAX) return;
  for (size_t i = 0; i < json_array_size(records); i++) {
    json_t *r = json_array_get(records, i);
    recs[i].type = zq_zns_type_from_name(json_string_value(json_object_get(r, "type")));
    recs[i].ttl = (uint32_t)json_integer_value(json_object_get(r, "ttl"));
    recs[i].value = (char *)json_string_value(json_object_get(r, "value"));
    if (!recs[i].type || !recs[i].value) return;
  }
  e.n_records = json_array_size(records);
  char msg[ZQ_ZNS_MESSAGE_MAX], hex[129];
  size_t len;
  int msg_len = zq_zns_signing_message(&e, msg, sizeof(msg));
  if (msg_len < 0 ||
      zquic_crypto_keygen_from_seed(ZQUIC_KEY_ED25519, seed, 32, e.owner, 32, &len) != 0 ||
      zquic_crypto_sign(ZQUIC_KEY_ED25519, seed, 32, msg, (size_t)msg_len, e.signature, 64,
                        &len) != 0)
    return;
  zquic_crypto_hex_encode(e.owner, 32, hex, sizeof(hex));
  json_object_set_new(obj, "owner", json_string(hex));
  zquic_crypto_hex_encode(e.signature, 64, hex, sizeof(hex));
  json_object_set_new(obj, "signature", json_string(hex));
}

static void check(const char *text, size_t len) {
  zq_zns_registry *r = NULL;
  char err[512] = "";
  size_t rejected = 0;
  if (zq_zns_registry_parse(text, len, "fuzz", NOW, on_reject, &rejected, &r, err,
                            sizeof(err)) != 0) {
    if (!err[0] || r) abort();
    return;
  }
  for (size_t i = 0; i < zq_zns_registry_count(r); i++) {
    const zq_zns_entry *e = zq_zns_registry_entry(r, i);
    if (zq_zns_entry_verify(e, NOW, NULL, 0) != 0 || zq_zns_lookup(r, e->domain, NOW) != e)
      abort();
    if (i > 0 && strcmp(zq_zns_registry_entry(r, i - 1)->domain, e->domain) >= 0) abort();
  }
  zq_zns_registry_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const char *text = (const char *)data + 1;
  size_t len = size - 1;
  if (data[0] & 1) {
    check(text, len);
    return 0;
  }
  json_t *doc = json_loadb(text, len, 0, NULL);
  json_t *entries = json_object_get(doc, "entries");
  for (size_t i = 0; i < json_array_size(entries); i++) resign(json_array_get(entries, i));
  char *signed_text = doc ? json_dumps(doc, 0) : NULL;
  if (signed_text) check(signed_text, strlen(signed_text));
  free(signed_text);
  json_decref(doc);
  return 0;
}
