/*
 * quic_initial.h — building and opening QUIC v1 client Initial packets (RFC 9001 section 5), so
 * that fuzz inputs can be plaintext frames that reach the server's frame and TLS parsers instead
 * of ciphertext that fails authentication. Test-side code: the keys are public by design.
 */
#ifndef ZQ_FUZZ_QUIC_INITIAL_H
#define ZQ_FUZZ_QUIC_INITIAL_H

#include <stddef.h>
#include <stdint.h>

/* Client Initial datagrams must be at least this long (RFC 9000 section 14.1). */
#define ZQ_FUZZ_MIN_INITIAL 1200

/* The Source CID of sealed Initials. A ClientHello carries its sender's SCID in the
 * initial_source_connection_id transport parameter, and the server rejects a mismatch, so seeds
 * rewrite the captured SCID to this one (same length as zquic's own, 18 bytes). */
#define ZQ_FUZZ_SCID_LEN 18
extern const uint8_t zq_fuzz_scid[ZQ_FUZZ_SCID_LEN];

/* Protect `frames` (padded with PADDING frames up to a 1200-byte datagram) as a client Initial
 * with packet number `pn`. Returns the packet length, or 0 when it does not fit in `cap`. */
size_t zq_fuzz_seal_initial(const uint8_t *dcid, size_t dcidlen, const uint8_t *scid,
                            size_t scidlen, uint32_t pn, const uint8_t *frames, size_t frameslen,
                            uint8_t *out, size_t cap);

/* Remove protection from a client Initial (the first packet of `pkt`). On success copies the
 * frames into `frames`, sets *frameslen, the DCID/SCID (each up to 20 bytes) and returns 0. */
int zq_fuzz_open_initial(const uint8_t *pkt, size_t len, uint8_t *frames, size_t cap,
                         size_t *frameslen, uint8_t *dcid, size_t *dcidlen, uint8_t *scid,
                         size_t *scidlen);

#endif
