/*
 * wire.c — gRPC wire rules (see wire.h). Everything here parses bytes from the network, so every
 * function bounds its reads and writes by the lengths it is given; fuzz/fuzz_grpc_wire.c drives
 * them with arbitrary input.
 */
#include "wire.h"

#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <strings.h>

static const char *const status_names[] = {
  "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
  "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
  "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};

const char *zq_grpc_status_name(int code) {
  if (code < 0 || code > ZQ_GRPC_UNAUTHENTICATED) return "UNKNOWN_CODE";
  return status_names[code];
}

/* gRPC's "HTTP to gRPC status code mapping" document. */
int zq_grpc_status_from_http(int http_status) {
  switch (http_status) {
  case 400: return ZQ_GRPC_INTERNAL;
  case 401: return ZQ_GRPC_UNAUTHENTICATED;
  case 403: return ZQ_GRPC_PERMISSION_DENIED;
  case 404: return ZQ_GRPC_UNIMPLEMENTED;
  case 429:
  case 502:
  case 503:
  case 504: return ZQ_GRPC_UNAVAILABLE;
  default: return ZQ_GRPC_UNKNOWN;
  }
}

bool zq_grpc_content_type_ok(const char *value) {
  static const char base[] = "application/grpc";
  if (!value || strncasecmp(value, base, sizeof(base) - 1) != 0) return false;
  char next = value[sizeof(base) - 1];
  return next == '\0' || next == '+' || next == ';';
}

void zq_grpc_prefix_encode(uint8_t out[ZQ_GRPC_PREFIX], bool compressed, uint32_t len) {
  out[0] = compressed ? 1 : 0;
  out[1] = (uint8_t)(len >> 24);
  out[2] = (uint8_t)(len >> 16);
  out[3] = (uint8_t)(len >> 8);
  out[4] = (uint8_t)len;
}

int64_t zq_grpc_timeout_parse(const char *value) {
  if (!value) return -1;
  size_t digits = 0;
  int64_t n = 0;
  while (value[digits] >= '0' && value[digits] <= '9') {
    if (++digits > 8) return -1; /* the spec allows at most 8 digits */
    n = n * 10 + (value[digits - 1] - '0');
  }
  if (digits == 0 || value[digits] == '\0' || value[digits + 1] != '\0') return -1;
  static const struct {
    char unit;
    int64_t ns;
  } units[] = {{'H', 3600000000000LL}, {'M', 60000000000LL}, {'S', 1000000000LL},
               {'m', 1000000LL},       {'u', 1000LL},        {'n', 1LL}};
  for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
    if (units[i].unit != value[digits]) continue;
    if (n > INT64_MAX / units[i].ns) return INT64_MAX; /* 99999999H: saturate */
    return n * units[i].ns;
  }
  return -1;
}

void zq_grpc_timeout_format(uint64_t timeout_ms, char *out, size_t cap) {
  if (timeout_ms == 0) timeout_ms = 1;
  /* Milliseconds while they fit in 8 digits, then seconds, minutes, hours, rounding up so a
   * deadline is never shortened. */
  static const struct {
    char unit;
    uint64_t ms;
  } units[] = {{'m', 1}, {'S', 1000}, {'M', 60000}, {'H', 3600000}};
  for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
    uint64_t v = (timeout_ms + units[i].ms - 1) / units[i].ms;
    if (v <= 99999999ull || i == 3) {
      if (v > 99999999ull) v = 99999999ull;
      snprintf(out, cap, "%llu%c", (unsigned long long)v, units[i].unit);
      return;
    }
  }
}

size_t zq_grpc_percent_encode(const uint8_t *in, size_t len, char *out, size_t cap) {
  static const char hex[] = "0123456789ABCDEF";
  size_t need = 0;
  for (size_t i = 0; i < len; i++) need += (in[i] < 0x20 || in[i] > 0x7e || in[i] == '%') ? 3 : 1;
  if (need + 1 > cap) return need + 1;
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    if (in[i] < 0x20 || in[i] > 0x7e || in[i] == '%') {
      out[o++] = '%';
      out[o++] = hex[in[i] >> 4];
      out[o++] = hex[in[i] & 15];
    } else {
      out[o++] = (char)in[i];
    }
  }
  out[o] = '\0';
  return o;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

size_t zq_grpc_percent_decode(const char *in, char *out) {
  size_t o = 0;
  for (size_t i = 0; in[i]; i++) {
    int hi, lo;
    if (in[i] == '%' && (hi = hexval(in[i + 1])) >= 0 && (lo = hexval(in[i + 2])) >= 0) {
      out[o++] = (char)(hi << 4 | lo);
      i += 2;
    } else {
      out[o++] = in[i];
    }
  }
  out[o] = '\0';
  return o;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t zq_grpc_base64_encode(const uint8_t *in, size_t len, char *out, size_t cap) {
  size_t need = (len + 2) / 3 * 4;
  if (need + 1 > cap) return need + 1;
  size_t o = 0;
  for (size_t i = 0; i < len; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0) |
                 (i + 2 < len ? in[i + 2] : 0);
    out[o++] = b64[v >> 18 & 63];
    out[o++] = b64[v >> 12 & 63];
    out[o++] = i + 1 < len ? b64[v >> 6 & 63] : '=';
    out[o++] = i + 2 < len ? b64[v & 63] : '=';
  }
  out[o] = '\0';
  return o;
}

long zq_grpc_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap) {
  while (len > 0 && in[len - 1] == '=') len--; /* padding is optional in metadata */
  if (len % 4 == 1) return -1;
  size_t o = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < len; i++) {
    const char *p = in[i] ? strchr(b64, in[i]) : NULL;
    if (!p) return -1;
    acc = acc << 6 | (uint32_t)(p - b64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (o == cap) return -1;
      out[o++] = (uint8_t)(acc >> bits);
    }
  }
  return (long)o;
}

void zq_grpc_deframer_init(zq_grpc_deframer *d, uint32_t max_message) {
  memset(d, 0, sizeof(*d));
  d->max_message = max_message ? max_message : ZQ_GRPC_DEFAULT_MAX_MESSAGE;
}

void zq_grpc_deframer_free(zq_grpc_deframer *d) {
  free(d->message);
  d->message = NULL;
}

int zq_grpc_deframer_feed(zq_grpc_deframer *d, const uint8_t *data, size_t len,
                          int (*on_message)(void *user, const uint8_t *msg, size_t len,
                                            bool compressed),
                          void *user) {
  while (!d->error && len > 0) {
    if (!d->in_message) {
      size_t take = ZQ_GRPC_PREFIX - d->prefix_have < len ? ZQ_GRPC_PREFIX - d->prefix_have : len;
      memcpy(d->prefix + d->prefix_have, data, take);
      d->prefix_have += take;
      data += take;
      len -= take;
      if (d->prefix_have < ZQ_GRPC_PREFIX) break;
      d->compressed = (d->prefix[0] & 1) != 0;
      d->expected = (uint32_t)d->prefix[1] << 24 | (uint32_t)d->prefix[2] << 16 |
                    (uint32_t)d->prefix[3] << 8 | d->prefix[4];
      if (d->expected > d->max_message) return d->error = ZQ_GRPC_RESOURCE_EXHAUSTED;
      if (len >= d->expected) { /* whole message in this piece: hand it over without a copy */
        const uint8_t *msg = data;
        data += d->expected;
        len -= d->expected;
        d->prefix_have = 0;
        int rc = on_message ? on_message(user, msg, d->expected, d->compressed) : 0;
        if (rc != 0) return d->error = rc > 0 ? rc : ZQ_GRPC_INTERNAL;
        continue;
      }
      free(d->message);
      d->message = malloc(d->expected ? d->expected : 1);
      if (!d->message) return d->error = ZQ_GRPC_INTERNAL;
      d->have = 0;
      d->in_message = true;
    }
    size_t take = d->expected - d->have < len ? d->expected - d->have : len;
    memcpy(d->message + d->have, data, take);
    d->have += take;
    data += take;
    len -= take;
    if (d->have == d->expected) {
      d->in_message = false;
      d->prefix_have = 0;
      int rc = on_message ? on_message(user, d->message, d->have, d->compressed) : 0;
      if (rc != 0) return d->error = rc > 0 ? rc : ZQ_GRPC_INTERNAL;
    }
  }
  return d->error;
}

int zq_grpc_deframer_finish(const zq_grpc_deframer *d) {
  if (d->error) return d->error;
  return d->in_message || d->prefix_have ? ZQ_GRPC_INTERNAL : ZQ_GRPC_OK;
}

/* A protobuf varint of at most 10 bytes; returns bytes used, 0 when cut short or too long. */
static size_t pb_varint(const uint8_t *p, size_t len, uint64_t *v) {
  *v = 0;
  for (size_t i = 0; i < len && i < 10; i++) {
    *v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
    if (!(p[i] & 0x80)) return i + 1;
  }
  return 0;
}

int zq_grpc_pb_string_field1(const uint8_t *msg, size_t len, const uint8_t **value,
                             size_t *value_len) {
  size_t off = 0;
  int found = 0;
  while (off < len) {
    uint64_t key, n;
    size_t used = pb_varint(msg + off, len - off, &key);
    if (!used || key >> 3 == 0) return -1;
    off += used;
    switch (key & 7) {
    case 0: /* varint */
      if (!(used = pb_varint(msg + off, len - off, &n))) return -1;
      off += used;
      break;
    case 1: /* 64-bit */
      if (len - off < 8) return -1;
      off += 8;
      break;
    case 2: /* length-delimited */
      if (!(used = pb_varint(msg + off, len - off, &n)) || n > len - off - used) return -1;
      off += used;
      if (key >> 3 == 1) { /* the last occurrence wins, as protobuf says */
        *value = msg + off;
        *value_len = (size_t)n;
        found = 1;
      }
      off += (size_t)n;
      break;
    case 5: /* 32-bit */
      if (len - off < 4) return -1;
      off += 4;
      break;
    default: return -1; /* groups and reserved wire types */
    }
  }
  return found;
}
