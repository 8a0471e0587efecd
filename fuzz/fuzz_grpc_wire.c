/*
 * fuzz_grpc_wire.c — gRPC wire parsers with arbitrary bytes: the message deframer fed in pieces
 * of input-chosen sizes (must agree with a one-shot feed), grpc-timeout, percent-decoding,
 * base64, received metadata (the "-bin" decoding), the health request's protobuf reader and
 * gzip inflation under a size cap. Nothing may crash, read out of bounds, pass the cap or
 * disagree with itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grpc_internal.h"

static int count(void *user, const uint8_t *msg, size_t len, bool compressed) {
  (void)msg;
  (void)compressed;
  size_t *n = user;
  *n += len + 1;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t step = (size_t)data[0] % 17 + 1;
  const uint8_t *body = data + 1;
  size_t len = size - 1;
  zq_grpc_deframer a, b;
  zq_grpc_deframer_init(&a, 65536);
  zq_grpc_deframer_init(&b, 65536);
  size_t seen_a = 0, seen_b = 0;
  int ra = zq_grpc_deframer_feed(&a, body, len, count, &seen_a);
  int rb = ZQ_GRPC_OK;
  for (size_t off = 0; off < len && rb == ZQ_GRPC_OK; off += step)
    rb = zq_grpc_deframer_feed(&b, body + off, len - off < step ? len - off : step, count, &seen_b);
  if (ra != rb || seen_a != seen_b || zq_grpc_deframer_finish(&a) != zq_grpc_deframer_finish(&b))
    abort(); /* splitting the body must never change what is decoded */
  zq_grpc_deframer_free(&a);
  zq_grpc_deframer_free(&b);

  char *text = malloc(len + 1), *out = malloc(len + 1);
  memcpy(text, body, len);
  text[len] = '\0';
  (void)zq_grpc_timeout_parse(text);
  size_t n = zq_grpc_percent_decode(text, out);
  if (n > strlen(text)) abort();
  uint8_t bin[1024];
  long m = zq_grpc_base64_decode(text, strlen(text), bin, sizeof(bin));
  if (m > (long)sizeof(bin)) abort();
  zq_grpc_md md = {0};
  zq_grpc_md_add(&md, "x-fuzz-bin", text);
  zq_grpc_md_add(&md, "x-fuzz", text);
  const uint8_t *v;
  size_t vlen;
  if (zq_grpc_md_get(&md, "x-fuzz-bin", &v, &vlen) == 0 && vlen > strlen(text)) abort();
  zq_grpc_md_clear(&md);
  free(text);
  free(out);

  const uint8_t *field;
  size_t field_len;
  if (zq_grpc_pb_string_field1(body, len, &field, &field_len) == 1 &&
      (field < body || field + field_len > body + len))
    abort();
  uint8_t *plain;
  size_t plain_len;
  if (zq_grpc_gunzip(body, len, 65536, &plain, &plain_len) == ZQ_GRPC_OK) {
    if (plain_len > 65536) abort();
    free(plain);
  }
  return 0;
}
