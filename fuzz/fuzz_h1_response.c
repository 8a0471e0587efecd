/*
 * fuzz_h1_response.c — what an HTTP/1.1 backend sends Wraith, as arbitrary bytes, through the
 * response parser (src/proxy/h1_parse.c, http-parser underneath) fed in pieces whose sizes the
 * input chooses, with stops in the body the way a paused reader makes them, then end of input.
 * Checked: nothing crashes or reads out of bounds; body bytes never exceed the input; a response
 * is reported at most once and before any body; the end at most once; nothing at all after an
 * error or the end; an error is repeated by later calls; and a split feed sees exactly what one
 * whole feed sees when both succeed.
 *
 * Input: byte 0 flags (bit 0: the request was HEAD; bit 1: a 1 KiB header limit instead of
 * 64 KiB; bit 2: stop after every body callback), byte 1 the piece-size seed, then the bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "h1_parse.h"

typedef struct run {
  int responses, ends;
  bool failed, stop_in_body;
  uint64_t body_len, hash;
} run;

static uint64_t mix(uint64_t h, const void *data, size_t len) {
  const uint8_t *p = data;
  for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

static uint64_t mix_section(uint64_t h, const zquic_h3_header *f, size_t n) {
  for (size_t i = 0; i < n; i++) {
    h = mix(h, f[i].name, strlen(f[i].name) + 1);
    h = mix(h, f[i].value, strlen(f[i].value) + 1);
  }
  return h;
}

static bool on_response(void *user, int status, const zquic_h3_header *f, size_t n) {
  run *r = user;
  if (r->failed || r->ends || r->responses || r->body_len) abort();
  r->responses++;
  r->hash = mix_section(mix(r->hash, &status, sizeof(status)), f, n);
  return true;
}

static bool on_body(void *user, const uint8_t *data, size_t len) {
  run *r = user;
  if (r->failed || r->ends || !r->responses) abort();
  r->body_len += len;
  r->hash = mix(r->hash, data, len);
  return !r->stop_in_body;
}

static void on_end(void *user, const zquic_h3_header *t, size_t n) {
  run *r = user;
  if (r->failed || r->ends || !r->responses) abort();
  r->ends++;
  r->hash = mix_section(mix(r->hash, "end", 3), t, n);
}

static const zq_h1_parser_callbacks callbacks = {on_response, on_body, on_end};

/* Feed everything in pieces of `step(seed)` bytes (whole when seed is 0); returns the result. */
static int parse(const uint8_t *data, size_t len, uint8_t flags, uint8_t seed, run *r) {
  zq_h1_response_parser p;
  zq_h1_response_parser_init(&p, flags & 2 ? 1024 : 65536, flags & 1, &callbacks, r);
  r->stop_in_body = (flags & 4) != 0;
  size_t off = 0;
  uint32_t x = seed * 2654435761u + 1;
  int rc = ZQUIC_OK;
  /* A stop may consume nothing (http-parser counts a body's last byte only when it moves past
   * it), but the parser's state moves: a feed that never gets anywhere is a hang. */
  size_t calls = 0;
  while (off < len && !zq_h1_response_parser_done(&p)) {
    if (++calls > 4 * len + 16) abort();
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    size_t piece = seed ? x % 64 + 1 : len - off;
    if (piece > len - off) piece = len - off;
    size_t used = 0;
    rc = zq_h1_response_parser_feed(&p, data + off, piece, &used);
    if (used > piece) abort();
    if (rc) break;
    off += used;
  }
  if (rc == ZQUIC_OK && !zq_h1_response_parser_done(&p)) rc = zq_h1_response_parser_eof(&p);
  if (rc) {
    r->failed = true;
    size_t used = 0;
    if (!p.detail[0] || zq_h1_response_parser_feed(&p, data, len, &used) != rc || used != 0 ||
        zq_h1_response_parser_eof(&p) != rc)
      abort(); /* errors stick, and say why */
  } else if (!zq_h1_response_parser_done(&p) || r->ends != 1) {
    abort(); /* success means one whole response */
  }
  zq_h1_response_parser_clear(&p);
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  uint8_t flags = data[0], seed = data[1];
  const uint8_t *body = data + 2;
  size_t len = size - 2;
  run whole = {0}, split = {0};
  int rw = parse(body, len, flags, 0, &whole);
  int rs = parse(body, len, flags, seed ? seed : 1, &split);
  if (whole.body_len > len || split.body_len > len) abort();
  if ((rw == ZQUIC_OK) != (rs == ZQUIC_OK)) abort();
  if (rw == ZQUIC_OK && (whole.hash != split.hash || whole.body_len != split.body_len)) abort();
  return 0;
}
