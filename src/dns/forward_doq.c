/*
 * forward_doq.c — upstream resolvers reached over DNS over QUIC (RFC 9250), the encrypted
 * alternative to plain UDP/TCP forwarding that users of other DoQ servers keep asking for: the
 * queries a node forwards then cross the network as privately as its own clients' queries came.
 *
 * Each DoQ upstream has one zquic_dns_client: one connection kept for every forward (RFC 9250
 * section 5.5 asks clients to reuse connections), made again when it closes, resumed with 0-RTT
 * when the upstream offers session tickets (only QUERY is forwarded, which 0-RTT allows), and a
 * query the upstream refuses in 0-RTT asked again after the handshake. A forward's attempt sends
 * its query with Message ID 0 and EDNS(0) padding to a 128-byte block (RFC 8467's policy for
 * queries) on a new stream; the answer comes back through the client's callback on the loop
 * thread and is judged like a TCP answer (a stream cannot be spoofed off-path, so a stranger
 * there is a broken peer, not an attacker to ignore).
 *
 * The attempt's own timer bounds it as for UDP. The exchange has a deadline of its own too, so
 * an attempt that timed out or was cancelled still gets its callback, a little later; until then
 * the attempt counts the exchange as one of its open handles and stays allocated.
 *
 * TLS verification is always on: against the certificate name after '#' when there is one, else
 * the address itself (an IP SAN), with the configured CA file or the system's trust store.
 */
#include <stdlib.h>
#include <string.h>

#include "doq_client.h"
#include "forward_internal.h"

#define DOQ_DEFAULT_PORT 853
#define DOQ_PAD_BLOCK 128
#define OPT_TAIL 11 /* root name, TYPE, CLASS, TTL, RDLENGTH of an OPT record without options */

int zq_fwd_doq_scheme(const char *text, const char **rest) {
  static const char *const schemes[] = {"doq://", "quic://"}; /* quic:// as AdGuard dnsproxy */
  for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
    size_t n = strlen(schemes[i]);
    if (!strncmp(text, schemes[i], n)) {
      *rest = text + n;
      return 1;
    }
  }
  *rest = text;
  return 0;
}

/* A certificate name: LDH labels, at most 253 bytes (what a TLS server name can be). */
static bool valid_tls_name(const char *name) {
  size_t n = strlen(name), label = 0;
  if (n == 0 || n > 253) return false;
  for (const char *p = name; *p; p++) {
    if (*p == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-';
    if (!ok || ++label > 63) return false;
  }
  return true;
}

int zq_fwd_doq_open(zq_dns_forwarder *fw, upstream *up, const char *address, const char *ca_file) {
  char where[128], name[256] = "";
  const char *hash = strchr(address, '#');
  size_t alen = hash ? (size_t)(hash - address) : strlen(address);
  if (alen == 0 || alen >= sizeof(where))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "DoQ upstream \"%s\": expected "
                    "doq://IP[:PORT][#NAME]", address);
  memcpy(where, address, alen);
  where[alen] = '\0';
  if (hash && (strlen(hash + 1) >= sizeof(name) || !valid_tls_name(hash + 1)))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "DoQ upstream \"%s\": \"%s\" is not a "
                    "certificate name", address, hash + 1);
  if (hash) snprintf(name, sizeof(name), "%s", hash + 1);
  int rc = zq_fwd_parse_address(where, DOQ_DEFAULT_PORT, &up->addr);
  if (rc) return rc;
  char target[80];
  zq_addr_format(&up->addr, target, sizeof(target));
  snprintf(up->text, sizeof(up->text), "doq://%s", target);
  zquic_connect_options o;
  zquic_connect_options_init(&o);
  o.sni = name[0] ? name : NULL; /* else the address is what the certificate must name */
  o.ca_file = ca_file;
  o.enable_0rtt = 1;
  o.timeout_ms = (int)fw->timeout_ms;
  rc = zquic_dns_client_create(fw->ctx, target, &o, &up->doq);
  if (rc) return zq_error(rc, "DoQ upstream \"%s\": %s", address, zquic_last_error());
  return ZQUIC_OK;
}

void zq_fwd_doq_close(upstream *up) {
  if (!up->doq) return;
  zquic_dns_client_free(up->doq);
  up->doq = NULL;
}

/* The query with a padding option filling it to a whole block, when its OPT record is the last
 * thing in it and has no options (how build_query in forward.c lays it out); else unpadded. */
static uint8_t *padded(const uint8_t *msg, size_t len, size_t *out_len) {
  static const uint8_t opt_head[] = {0, 0, 41}; /* root owner, TYPE OPT */
  bool tail_ok = len >= ZQ_DNS_HEADER_LEN + OPT_TAIL &&
                 !memcmp(msg + len - OPT_TAIL, opt_head, sizeof(opt_head)) &&
                 msg[len - 2] == 0 && msg[len - 1] == 0;
  size_t pad = tail_ok ? (DOQ_PAD_BLOCK - (len + 4) % DOQ_PAD_BLOCK) % DOQ_PAD_BLOCK : 0;
  size_t n = tail_ok ? len + 4 + pad : len;
  uint8_t *out = calloc(1, n); /* the padding itself is zeros (RFC 7830 section 4) */
  if (!out) return NULL;
  memcpy(out, msg, len);
  if (tail_ok) {
    size_t rdlen = 4 + pad;
    out[len - 2] = (uint8_t)(rdlen >> 8);
    out[len - 1] = (uint8_t)rdlen;
    out[len] = 0;
    out[len + 1] = 12; /* option code: Padding (RFC 7830) */
    out[len + 2] = (uint8_t)(pad >> 8);
    out[len + 3] = (uint8_t)pad;
  }
  *out_len = n;
  return out;
}

static int forward_status(int result) {
  switch (result) {
  case ZQUIC_ERR_TIMEOUT: return ZQ_DNS_FWD_TIMEOUT;
  case ZQUIC_ERR_PROTOCOL:
  case ZQUIC_ERR_STREAM_RESET: return ZQ_DNS_FWD_BAD_ANSWER; /* it answered, but not usably */
  default: return ZQ_DNS_FWD_NETWORK; /* handshake, certificate, closed connection... */
  }
}

/* The client's callback: loop thread, ctx->lock held (the loop's call queue). */
static void on_exchange(int result, uint8_t *answer, size_t len, void *user) {
  attempt *a = user;
  if (a->f) {
    if (result == ZQUIC_OK) zq_fwd_on_stream_message(a, answer, len);
    else zq_fwd_attempt_end(a, forward_status(result), NULL, 0);
  }
  zq_fwd_attempt_unref(a);
}

int zq_fwd_doq_send(attempt *a) {
  upstream *up = &a->fw->ups[a->up];
  size_t len = 0;
  uint8_t *msg = padded(a->query + 2, a->query_len, &len);
  /* The exchange's deadline is a little past the attempt's, so the attempt's timer decides. */
  int rc = msg ? zq_dns_client_exchange(up->doq, msg, len, (int)a->fw->timeout_ms + 500,
                                        on_exchange, a)
               : ZQUIC_ERR_NO_MEMORY;
  free(msg);
  if (rc) return rc;
  a->open_handles++;
  return ZQUIC_OK;
}
