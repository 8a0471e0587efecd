/*
 * fuzz_blake3_stream.c — BLAKE3 streaming: the input's first bytes choose split points and an
 * output length; hashing the rest in those pieces must equal hashing it at once, on every code
 * path the CPU has, and every path must agree with the portable one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blake3_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 4) return 0;
  size_t out_len = 1 + (data[0] | (size_t)data[1] << 8) % 300;
  uint16_t split_seed = (uint16_t)(data[2] | data[3] << 8);
  data += 4;
  size -= 4;
  /* Repeat the input so that short fuzz inputs still reach multi-chunk trees. */
  size_t repeat = 1 + split_seed % 40, total = size * repeat;
  uint8_t *input = malloc(total + 1);
  if (!input) return 0;
  for (size_t r = 0; r < repeat; r++) memcpy(input + r * size, data, size);

  uint8_t want[300], got[300];
  zq_blake3 h;
  zq_blake3_init(&h, zq_blake3_ops_get(ZQ_BLAKE3_PORTABLE));
  zq_blake3_update(&h, input, total);
  zq_blake3_finalize(&h, want, out_len);
  for (int p = 0; p < ZQ_BLAKE3_PATH_COUNT; p++) {
    const zq_blake3_ops *ops = zq_blake3_ops_get((zq_blake3_path)p);
    if (!ops) continue;
    zq_blake3_init(&h, ops);
    uint32_t x = split_seed * 2654435761u + (uint32_t)p;
    for (size_t off = 0; off < total;) {
      x = x * 1103515245u + 12345u;
      size_t n = (x >> 8) % 5000;
      if (n > total - off) n = total - off;
      zq_blake3_update(&h, input + off, n);
      off += n;
    }
    zq_blake3_finalize(&h, got, out_len);
    if (memcmp(want, got, out_len) != 0) abort();
  }
  free(input);
  return 0;
}
