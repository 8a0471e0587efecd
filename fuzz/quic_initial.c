/*
 * quic_initial.c — see quic_initial.h. Initial keys come from the client's Destination CID and a
 * published salt; GnuTLS provides HKDF, AES-128-GCM and the one-block AES (CBC with a zero IV is
 * ECB for a single block) that header protection needs.
 */
#include "quic_initial.h"

#include <stdbool.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

const uint8_t zq_fuzz_scid[ZQ_FUZZ_SCID_LEN] = {0xc1, 0x01, 0xe7, 0x7c, 0x1d, 0x00, 0x00, 0x01, 0x5c,
                                               0x1d, 0xc1, 0x01, 0xe7, 0x7c, 0x1d, 0x00, 0x00, 0x02};

static const uint8_t initial_salt_v1[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34,
                                            0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8,
                                            0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};

typedef struct initial_keys {
  uint8_t key[16], iv[12], hp[16];
} initial_keys;

static int expand_label(const uint8_t *secret, const char *label, uint8_t *out, size_t outlen) {
  uint8_t info[64];
  size_t llen = strlen(label);
  size_t n = 0;
  info[n++] = (uint8_t)(outlen >> 8);
  info[n++] = (uint8_t)outlen;
  info[n++] = (uint8_t)(6 + llen);
  memcpy(info + n, "tls13 ", 6);
  n += 6;
  memcpy(info + n, label, llen);
  n += llen;
  info[n++] = 0; /* empty context */
  gnutls_datum_t key = {(unsigned char *)(uintptr_t)secret, 32};
  gnutls_datum_t in = {info, (unsigned)n};
  return gnutls_hkdf_expand(GNUTLS_MAC_SHA256, &key, &in, out, outlen);
}

static int client_keys(const uint8_t *dcid, size_t dcidlen, initial_keys *k) {
  uint8_t initial[32], client[32];
  gnutls_datum_t ikm = {(unsigned char *)(uintptr_t)dcid, (unsigned)dcidlen};
  gnutls_datum_t salt = {(unsigned char *)(uintptr_t)initial_salt_v1, sizeof(initial_salt_v1)};
  if (gnutls_hkdf_extract(GNUTLS_MAC_SHA256, &ikm, &salt, initial) < 0) return -1;
  if (expand_label(initial, "client in", client, 32) < 0 ||
      expand_label(client, "quic key", k->key, 16) < 0 ||
      expand_label(client, "quic iv", k->iv, 12) < 0 ||
      expand_label(client, "quic hp", k->hp, 16) < 0)
    return -1;
  return 0;
}

static int hp_mask(const initial_keys *k, const uint8_t *sample, uint8_t *mask) {
  uint8_t iv[16] = {0};
  gnutls_datum_t key = {(unsigned char *)(uintptr_t)k->hp, 16}, ivd = {iv, 16};
  gnutls_cipher_hd_t h;
  if (gnutls_cipher_init(&h, GNUTLS_CIPHER_AES_128_CBC, &key, &ivd) < 0) return -1;
  int rc = gnutls_cipher_encrypt2(h, sample, 16, mask, 16);
  gnutls_cipher_deinit(h);
  return rc < 0 ? -1 : 0;
}

static void make_nonce(const initial_keys *k, uint64_t pn, uint8_t *nonce) {
  memcpy(nonce, k->iv, 12);
  for (int i = 0; i < 8; i++) nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
}

static int aead(const initial_keys *k, bool encrypt, uint64_t pn, const uint8_t *aad,
                size_t aadlen, const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen) {
  uint8_t nonce[12];
  make_nonce(k, pn, nonce);
  gnutls_datum_t key = {(unsigned char *)(uintptr_t)k->key, 16};
  gnutls_aead_cipher_hd_t h;
  if (gnutls_aead_cipher_init(&h, GNUTLS_CIPHER_AES_128_GCM, &key) < 0) return -1;
  int rc = encrypt ? gnutls_aead_cipher_encrypt(h, nonce, 12, aad, aadlen, 16, in, inlen, out, outlen)
                   : gnutls_aead_cipher_decrypt(h, nonce, 12, aad, aadlen, 16, in, inlen, out, outlen);
  gnutls_aead_cipher_deinit(h);
  return rc < 0 ? -1 : 0;
}

size_t zq_fuzz_seal_initial(const uint8_t *dcid, size_t dcidlen, const uint8_t *scid,
                            size_t scidlen, uint32_t pn, const uint8_t *frames, size_t frameslen,
                            uint8_t *out, size_t cap) {
  initial_keys k;
  if (dcidlen > 20 || scidlen > 20 || client_keys(dcid, dcidlen, &k) != 0) return 0;
  size_t header = 1 + 4 + 1 + dcidlen + 1 + scidlen + 1 /* token length 0 */ + 2 /* Length */;
  size_t pn_off = header;
  /* Pad the plaintext so the whole datagram reaches 1200 bytes. */
  size_t payload = frameslen;
  if (pn_off + 4 + payload + 16 < ZQ_FUZZ_MIN_INITIAL) payload = ZQ_FUZZ_MIN_INITIAL - pn_off - 4 - 16;
  size_t length_field = 4 + payload + 16;
  if (length_field > 0x3fff || pn_off + length_field > cap) return 0;
  uint8_t plain[16384];
  if (payload > sizeof(plain)) return 0;
  memcpy(plain, frames, frameslen);
  memset(plain + frameslen, 0, payload - frameslen);
  size_t n = 0;
  out[n++] = 0xc0 | 0x03; /* long header, Initial, 4-byte packet number */
  out[n++] = 0, out[n++] = 0, out[n++] = 0, out[n++] = 1;
  out[n++] = (uint8_t)dcidlen;
  memcpy(out + n, dcid, dcidlen), n += dcidlen;
  out[n++] = (uint8_t)scidlen;
  memcpy(out + n, scid, scidlen), n += scidlen;
  out[n++] = 0;
  out[n++] = (uint8_t)(0x40 | (length_field >> 8));
  out[n++] = (uint8_t)length_field;
  for (int i = 3; i >= 0; i--) out[n++] = (uint8_t)(pn >> (8 * i));
  size_t sealed = cap - n;
  if (aead(&k, true, pn, out, n, plain, payload, out + n, &sealed) != 0) return 0;
  uint8_t mask[16];
  if (hp_mask(&k, out + pn_off + 4, mask) != 0) return 0;
  out[0] ^= mask[0] & 0x0f;
  for (int i = 0; i < 4; i++) out[pn_off + (size_t)i] ^= mask[1 + i];
  return n + sealed;
}

static size_t read_varint(const uint8_t *p, size_t len, uint64_t *v) {
  if (len == 0) return 0;
  size_t n = (size_t)1 << (p[0] >> 6);
  if (len < n) return 0;
  *v = p[0] & 0x3f;
  for (size_t i = 1; i < n; i++) *v = (*v << 8) | p[i];
  return n;
}

int zq_fuzz_open_initial(const uint8_t *pkt, size_t len, uint8_t *frames, size_t cap,
                         size_t *frameslen, uint8_t *dcid, size_t *dcidlen, uint8_t *scid,
                         size_t *scidlen) {
  if (len < 7 || (pkt[0] & 0xf0) != 0xc0) return -1;
  size_t p = 5;
  *dcidlen = pkt[p++];
  if (*dcidlen > 20 || p + *dcidlen + 1 > len) return -1;
  memcpy(dcid, pkt + p, *dcidlen), p += *dcidlen;
  *scidlen = pkt[p++];
  if (*scidlen > 20 || p + *scidlen > len) return -1;
  memcpy(scid, pkt + p, *scidlen), p += *scidlen;
  uint64_t token_len, length;
  size_t n = read_varint(pkt + p, len - p, &token_len);
  if (!n || token_len > len) return -1;
  p += n + token_len;
  if (p > len || !(n = read_varint(pkt + p, len - p, &length))) return -1;
  p += n;
  size_t pn_off = p;
  if (length > len - pn_off || length < 4 + 16 + 4) return -1;
  initial_keys k;
  if (client_keys(dcid, *dcidlen, &k) != 0) return -1;
  uint8_t mask[16], header[128];
  if (hp_mask(&k, pkt + pn_off + 4, mask) != 0 || pn_off + 4 > sizeof(header)) return -1;
  memcpy(header, pkt, pn_off + 4);
  header[0] ^= mask[0] & 0x0f;
  size_t pnlen = (size_t)(header[0] & 0x03) + 1;
  uint64_t pn = 0;
  for (size_t i = 0; i < pnlen; i++) {
    header[pn_off + i] ^= mask[1 + i];
    pn = (pn << 8) | header[pn_off + i];
  }
  size_t ctlen = length - pnlen;
  *frameslen = cap;
  if (aead(&k, false, pn, header, pn_off + pnlen, pkt + pn_off + pnlen, ctlen, frames,
           frameslen) != 0)
    return -1;
  return 0;
}
