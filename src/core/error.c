/*
 * error.c — the one table of result codes and the thread-local detail text.
 *
 * Every failing path calls zq_error(code, "what happened") once, at the place that knows why; the
 * caller gets the code back and zquic_last_error() reads the text. Successful public calls clear
 * the text so that a stale message never describes a later success.
 */
#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2.h>
#include <nghttp3/nghttp3.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const struct {
  int code;
  const char *text;
} error_table[] = {
  {ZQUIC_OK, "success"},
  {ZQUIC_ERR_INVALID_ARGUMENT, "invalid argument"},
  {ZQUIC_ERR_NO_MEMORY, "out of memory"},
  {ZQUIC_ERR_TIMEOUT, "timed out"},
  {ZQUIC_ERR_WOULD_BLOCK, "operation would block"},
  {ZQUIC_ERR_CLOSED, "connection or stream closed"},
  {ZQUIC_ERR_STATE, "operation not valid in the current state"},
  {ZQUIC_ERR_LOOP_THREAD, "blocking call on the event-loop thread"},
  {ZQUIC_ERR_RESOLVE, "host name resolution failed"},
  {ZQUIC_ERR_SOCKET, "socket error"},
  {ZQUIC_ERR_TLS, "TLS error"},
  {ZQUIC_ERR_CERT_VERIFY, "certificate verification failed"},
  {ZQUIC_ERR_HANDSHAKE, "QUIC handshake failed"},
  {ZQUIC_ERR_PROTOCOL, "protocol violation"},
  {ZQUIC_ERR_STREAM_RESET, "stream reset by peer"},
  {ZQUIC_ERR_IDLE_TIMEOUT, "connection idle timeout"},
  {ZQUIC_ERR_PEER_CLOSED, "connection closed by peer"},
  {ZQUIC_ERR_LIMIT, "limit reached"},
  {ZQUIC_ERR_IO, "I/O error"},
  {ZQUIC_ERR_NOT_FOUND, "not found"},
  {ZQUIC_ERR_INTERNAL, "internal error"},
  {ZQUIC_ERR_BAD_SIGNATURE, "bad signature"},
  {ZQUIC_ERR_INVALID_KEY, "invalid key"},
  {ZQUIC_ERR_UNSUPPORTED, "not supported"},
  {ZQUIC_ERR_CANCELLED, "cancelled"},
  {ZQUIC_ERR_EARLY_DATA_REJECTED, "early data rejected by the server"},
};

static _Thread_local char last_error[512];

ZQUIC_API const char *zquic_strerror(int code) {
  for (size_t i = 0; i < sizeof(error_table) / sizeof(error_table[0]); i++)
    if (error_table[i].code == code) return error_table[i].text;
  return "unknown error code";
}

ZQUIC_API const char *zquic_last_error(void) { return last_error; }

/* Formatted aside first: callers may pass zquic_last_error() itself as an argument, to add
 * context to a lower layer's text, and vsnprintf into its own source is undefined. */
int zq_error(int code, const char *fmt, ...) {
  char text[sizeof(last_error)];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  memcpy(last_error, text, sizeof(last_error));
  return code;
}

void zq_error_clear(void) { last_error[0] = '\0'; }

int zq_error_ngtcp2(int liberr, const char *what) {
  int code = ZQUIC_ERR_PROTOCOL;
  switch (liberr) {
  case NGTCP2_ERR_NOMEM: code = ZQUIC_ERR_NO_MEMORY; break;
  case NGTCP2_ERR_STREAM_LIMIT: code = ZQUIC_ERR_LIMIT; break;
  case NGTCP2_ERR_CLOSING:
  case NGTCP2_ERR_DRAINING:
  case NGTCP2_ERR_STREAM_SHUT_WR:
  case NGTCP2_ERR_STREAM_NOT_FOUND: code = ZQUIC_ERR_CLOSED; break;
  case NGTCP2_ERR_IDLE_CLOSE: code = ZQUIC_ERR_IDLE_TIMEOUT; break;
  case NGTCP2_ERR_CRYPTO:
  case NGTCP2_ERR_HANDSHAKE_TIMEOUT: code = ZQUIC_ERR_HANDSHAKE; break;
  default: break;
  }
  return zq_error(code, "%s: %s", what, ngtcp2_strerror(liberr));
}

static char version_text[160];
static pthread_once_t version_once = PTHREAD_ONCE_INIT;

static void fill_version(void) {
  snprintf(version_text, sizeof(version_text), "zquic %s (ngtcp2 %s, nghttp3 %s, GnuTLS %s)",
           ZQUIC_VERSION_STRING, ngtcp2_version(0)->version_str, nghttp3_version(0)->version_str,
           gnutls_check_version(NULL));
}

ZQUIC_API const char *zquic_version(void) {
  pthread_once(&version_once, fill_version);
  return version_text;
}
