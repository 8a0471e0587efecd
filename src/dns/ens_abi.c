/*
 * ens_abi.c — the bytes of ENS calls: Solidity ABI encoding of the few calls the resolver makes
 * (resolver, addr, contenthash, text, dnsRecord), decoding of their results, and the JSON-RPC
 * batch that carries them. Everything that comes back was chosen by the endpoint, which may be
 * hostile or broken, so every offset and length is checked against the data before it is used,
 * padding must be zero, and sizes are capped (ZQ_ENS_MAX_BYTES, ZQ_ENS_MAX_RESPONSE).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ens.h"

/* ---- hex ------------------------------------------------------------------------------------ */

void zq_ens_hex_encode(const uint8_t *data, size_t len, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < len; i++) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 15];
  }
  out[2 * len] = '\0';
}

static int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int zq_ens_hex_decode(const char *hex, size_t hex_len, uint8_t **out, size_t *len) {
  *out = NULL;
  *len = 0;
  if (hex_len < 2 || hex[0] != '0' || (hex[1] != 'x' && hex[1] != 'X') || hex_len % 2)
    return ZQUIC_ERR_INVALID_ARGUMENT;
  size_t n = (hex_len - 2) / 2;
  if (n == 0) return ZQUIC_OK;
  uint8_t *b = malloc(n);
  if (!b) return ZQUIC_ERR_NO_MEMORY;
  for (size_t i = 0; i < n; i++) {
    int hi = nibble(hex[2 + 2 * i]), lo = nibble(hex[3 + 2 * i]);
    if (hi < 0 || lo < 0) {
      free(b);
      return ZQUIC_ERR_INVALID_ARGUMENT;
    }
    b[i] = (uint8_t)(hi << 4 | lo);
  }
  *out = b;
  *len = n;
  return ZQUIC_OK;
}

/* ---- encoding ------------------------------------------------------------------------------- */

void zq_ens_selector(const char *signature, uint8_t out[4]) {
  uint8_t h[32];
  size_t hl = 0;
  zquic_crypto_hash(ZQUIC_HASH_KECCAK256, signature, strlen(signature), h, sizeof(h), &hl);
  memcpy(out, h, 4);
}

/* Call data = selector || words, as "0x" text. */
static char *to_call_text(const char *signature, const uint8_t *words, size_t len) {
  uint8_t sel[4];
  zq_ens_selector(signature, sel);
  char *text = malloc(2 + 2 * (4 + len) + 1);
  if (!text) return NULL;
  text[0] = '0';
  text[1] = 'x';
  zq_ens_hex_encode(sel, 4, text + 2);
  zq_ens_hex_encode(words, len, text + 10);
  return text;
}

char *zq_ens_encode_node_call(const char *signature, const uint8_t node[32]) {
  return to_call_text(signature, node, 32);
}

static void put_u64_word(uint8_t word[32], uint64_t v) {
  memset(word, 0, 32);
  for (int i = 0; i < 8; i++) word[31 - i] = (uint8_t)(v >> (8 * i));
}

char *zq_ens_encode_text_call(const uint8_t node[32], const char *key) {
  /* (bytes32 node, string key): head = node, offset 0x40; tail = length, bytes padded to 32. */
  size_t klen = strlen(key), padded = (klen + 31) / 32 * 32;
  size_t len = (size_t)96 + padded;
  uint8_t *w = calloc(1, len);
  if (!w) return NULL;
  memcpy(w, node, 32);
  put_u64_word(w + 32, 64);
  put_u64_word(w + 64, klen);
  for (size_t i = 0; i < klen; i++) w[96 + i] = (uint8_t)key[i]; /* no NUL in ABI strings */
  char *text = to_call_text("text(bytes32,string)", w, len);
  free(w);
  return text;
}

char *zq_ens_encode_dns_record_call(const uint8_t node[32], const uint8_t name_hash[32],
                                    uint16_t type) {
  uint8_t w[96];
  memcpy(w, node, 32);
  memcpy(w + 32, name_hash, 32);
  put_u64_word(w + 64, type);
  return to_call_text("dnsRecord(bytes32,bytes32,uint16)", w, sizeof(w));
}

/* ---- decoding ------------------------------------------------------------------------------- */

/* A uint256 word that must fit in a size_t-sized value below `limit`. */
static int word_to_size(const uint8_t *word, size_t limit, size_t *out) {
  for (int i = 0; i < 24; i++)
    if (word[i]) return ZQUIC_ERR_INVALID_ARGUMENT; /* >= 2^64: no offset or length that big */
  uint64_t v = 0;
  for (int i = 24; i < 32; i++) v = v << 8 | word[i];
  if (v > limit) return ZQUIC_ERR_INVALID_ARGUMENT;
  *out = (size_t)v;
  return ZQUIC_OK;
}

int zq_ens_decode_address(const uint8_t *ret, size_t len, uint8_t addr[20]) {
  memset(addr, 0, 20);
  if (len == 0) return ZQUIC_OK; /* no code at that address: nothing there */
  if (len != 32) return ZQUIC_ERR_INVALID_ARGUMENT;
  for (int i = 0; i < 12; i++)
    if (ret[i]) return ZQUIC_ERR_INVALID_ARGUMENT;
  memcpy(addr, ret + 12, 20);
  return ZQUIC_OK;
}

int zq_ens_decode_bytes(const uint8_t *ret, size_t len, const uint8_t **data, size_t *data_len) {
  *data = NULL;
  *data_len = 0;
  if (len == 0) return ZQUIC_OK;
  /* head: the offset of the tail; tail: a length word, then the bytes, zero-padded to 32. */
  size_t off, n;
  if (len < 64 || len % 32) return ZQUIC_ERR_INVALID_ARGUMENT;
  if (word_to_size(ret, len - 32, &off) || off % 32 || off < 32) return ZQUIC_ERR_INVALID_ARGUMENT;
  if (word_to_size(ret + off, ZQ_ENS_MAX_BYTES, &n)) return ZQUIC_ERR_INVALID_ARGUMENT;
  size_t room = len - off - 32; /* off <= len - 32 was checked above */
  if (n > room) return ZQUIC_ERR_INVALID_ARGUMENT;
  for (size_t i = off + 32 + n; i < len && i < off + 32 + (n + 31) / 32 * 32; i++)
    if (ret[i]) return ZQUIC_ERR_INVALID_ARGUMENT;
  *data = ret + off + 32;
  *data_len = n;
  return ZQUIC_OK;
}

/* ---- names ---------------------------------------------------------------------------------- */

static bool ens_label_byte(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int zq_ens_name_from_wire(const uint8_t *wire, size_t len, char *text, size_t cap) {
  /* First pass: find the last label, so that a name not under .eth is left alone whatever its
   * bytes are. */
  size_t pos = 0, last = 0, labels = 0;
  while (pos < len && wire[pos]) {
    if (wire[pos] > 63 || pos + 1 + wire[pos] >= len) return ZQ_ENS_NAME_NOT_ENS;
    last = pos;
    pos += 1 + wire[pos];
    labels++;
  }
  if (pos >= len || labels == 0 || wire[last] != 3 ||
      (wire[last + 1] | 0x20) != 'e' || (wire[last + 2] | 0x20) != 't' ||
      (wire[last + 3] | 0x20) != 'h')
    return ZQ_ENS_NAME_NOT_ENS;
  if (pos + 1 > cap) return ZQ_ENS_NAME_UNSUPPORTED;
  size_t o = 0;
  for (pos = 0; wire[pos]; pos += 1 + wire[pos]) {
    if (o) text[o++] = '.';
    for (size_t i = 1; i <= wire[pos]; i++) {
      uint8_t c = wire[pos + i];
      if (c >= 'A' && c <= 'Z') c = (uint8_t)(c - 'A' + 'a');
      if (!ens_label_byte(c)) return ZQ_ENS_NAME_UNSUPPORTED;
      text[o++] = (char)c;
    }
  }
  text[o] = '\0';
  return ZQ_ENS_NAME_OK;
}

int zq_ens_wire_name_hash(const char *text, uint8_t out[32]) {
  uint8_t wire[ZQ_ENS_NAME_MAX + 2];
  size_t o = 0, n = strlen(text);
  if (n > ZQ_ENS_NAME_MAX) return ZQUIC_ERR_INVALID_ARGUMENT;
  for (size_t start = 0; start < n;) {
    size_t end = start;
    while (end < n && text[end] != '.') end++;
    if (end == start || end - start > 63) return ZQUIC_ERR_INVALID_ARGUMENT;
    wire[o++] = (uint8_t)(end - start);
    memcpy(wire + o, text + start, end - start);
    o += end - start;
    start = end + 1;
  }
  wire[o++] = 0;
  size_t hl = 0;
  return zquic_crypto_hash(ZQUIC_HASH_KECCAK256, wire, o, out, 32, &hl);
}

/* ---- JSON-RPC ------------------------------------------------------------------------------- */

void zq_ens_call_clear(zq_ens_call *c) {
  free(c->data);
  free(c->ret);
  memset(c, 0, sizeof(*c));
}

char *zq_ens_rpc_request(const zq_ens_call *calls, size_t n) {
  json_t *batch = json_array();
  for (size_t i = 0; batch && i < n; i++) {
    json_t *req = json_pack("{s:s,s:I,s:s,s:[{s:s,s:s},s]}", "jsonrpc", "2.0", "id",
                            (json_int_t)i, "method", "eth_call", "params", "to", calls[i].to,
                            "data", calls[i].data, "latest");
    if (!req || json_array_append_new(batch, req) != 0) {
      json_decref(batch);
      return NULL;
    }
  }
  char *body = batch ? json_dumps(batch, JSON_COMPACT) : NULL;
  json_decref(batch);
  return body;
}

/* One reply object: which call it answers and what it says. */
static void parse_one(json_t *reply, zq_ens_call *calls, size_t n) {
  json_t *id = json_object_get(reply, "id");
  if (!json_is_integer(id)) return;
  json_int_t i = json_integer_value(id);
  if (i < 0 || (size_t)i >= n || calls[i].status != ZQ_ENS_CALL_PENDING) return; /* dup: first */
  zq_ens_call *c = &calls[i];
  json_t *result = json_object_get(reply, "result");
  if (json_object_get(reply, "error")) {
    c->status = ZQ_ENS_CALL_REVERTED;
  } else if (json_is_string(result) &&
             zq_ens_hex_decode(json_string_value(result), json_string_length(result), &c->ret,
                               &c->ret_len) == ZQUIC_OK) {
    c->status = ZQ_ENS_CALL_OK;
  } else {
    c->status = ZQ_ENS_CALL_MISSING;
  }
}

int zq_ens_rpc_parse(const char *body, size_t len, zq_ens_call *calls, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(calls[i].ret);
    calls[i].ret = NULL;
    calls[i].ret_len = 0;
    calls[i].status = ZQ_ENS_CALL_PENDING;
  }
  if (len > ZQ_ENS_MAX_RESPONSE) return ZQUIC_ERR_INVALID_ARGUMENT;
  json_error_t err;
  json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
  if (!doc) return ZQUIC_ERR_INVALID_ARGUMENT;
  int rc = ZQUIC_OK;
  if (json_is_array(doc)) {
    size_t i;
    json_t *reply;
    json_array_foreach(doc, i, reply) {
      if (json_is_object(reply)) parse_one(reply, calls, n);
    }
  } else if (json_is_object(doc)) {
    /* A lone object answers a batch only when the endpoint rejected it whole (an error); one with
     * an id is taken as the reply to that call. */
    if (!json_object_get(doc, "id") || json_is_null(json_object_get(doc, "id")))
      rc = ZQUIC_ERR_INVALID_ARGUMENT;
    else parse_one(doc, calls, n);
  } else {
    rc = ZQUIC_ERR_INVALID_ARGUMENT;
  }
  json_decref(doc);
  for (size_t i = 0; i < n; i++)
    if (calls[i].status == ZQ_ENS_CALL_PENDING) calls[i].status = ZQ_ENS_CALL_MISSING;
  return rc;
}
