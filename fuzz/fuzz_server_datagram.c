/*
 * fuzz_server_datagram.c — libFuzzer target for the most exposed parser: UDP datagrams arriving
 * at a server endpoint that runs the HTTP/3 handler (endpoint dispatch, ngtcp2 header decoding and
 * accept, connection creation, TLS ClientHello processing, and what follows).
 *
 * Input byte 0 picks the mode:
 *   even: the rest is datagrams, each [u16 length][bytes], injected as they are. Mutations reach
 *         the header parsers and the accept path; protected payloads mostly fail authentication.
 *   odd:  byte 1 picks the DCID length (8-20), the rest is plaintext Initial payloads, each
 *         [u16 length][frames]; every one is sealed as a valid client Initial (packet numbers
 *         0, 1, ...) so that mutated frames and ClientHellos reach ngtcp2's frame parser and
 *         GnuTLS behind our callbacks.
 * Every connection the input created is closed afterwards, so inputs do not depend on each other
 * (apart from timing on the loop thread).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "quic_initial.h"

static const uint8_t dcid_bytes[20] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08, 0x11, 0x22,
                                       0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc};

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fuzz_env_get();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  fuzz_env *env = fuzz_env_get();
  bool sealed = data[0] & 1;
  size_t dcidlen = 8;
  fuzz_reader r = {data + 1, size - 1};
  if (sealed) {
    if (size < 2) return 0;
    dcidlen = 8 + data[1] % 13;
    r.p++;
    r.left--;
  }
  static uint8_t packet[65536];
  const uint8_t *chunk;
  size_t len;
  uint32_t pn = 0;
  for (int i = 0; i < 64 && fuzz_next_chunk(&r, &chunk, &len); i++) {
    if (sealed) {
      size_t n = zq_fuzz_seal_initial(dcid_bytes, dcidlen, zq_fuzz_scid, ZQ_FUZZ_SCID_LEN, pn++,
                                      chunk, len, packet, sizeof(packet));
      if (n) fuzz_inject(env, NULL, 0, packet, n);
    } else {
      fuzz_inject(env, NULL, 0, chunk, len);
    }
  }
  fuzz_reset_server(env);
  fuzz_drain_sink(env);
  return 0;
}
