/*
 * tls.c — GnuTLS credentials and sessions for QUIC.
 *
 * ngtcp2's crypto helper drives the handshake; this file only builds the sessions: TLS 1.3 only,
 * the QUIC cipher suites, ALPN, SNI, and certificate verification (system trust or a CA file,
 * host name or IP address checked by gnutls_session_set_verify_cert). The priority string keeps
 * compat mode off, as RFC 9001 section 8.4 requires.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "internal.h"
#include "tls.h"

static const char quic_priority[] =
  "%DISABLE_TLS13_COMPAT_MODE:NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:"
  "+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-CCM:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:"
  "+GROUP-SECP384R1:+GROUP-SECP521R1";

int zq_tls_server_init(zq_tls_server *tls, const char *cert_file, const char *key_file) {
  memset(tls, 0, sizeof(*tls));
  if (!cert_file || !key_file)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "a server needs cert_file and key_file");
  int rc = gnutls_certificate_allocate_credentials(&tls->cred);
  if (rc < 0) return zq_error(ZQUIC_ERR_NO_MEMORY, "gnutls credentials: %s", gnutls_strerror(rc));
  rc = gnutls_certificate_set_x509_key_file(tls->cred, cert_file, key_file, GNUTLS_X509_FMT_PEM);
  if (rc < 0) {
    gnutls_certificate_free_credentials(tls->cred);
    tls->cred = NULL;
    return zq_error(ZQUIC_ERR_TLS, "cannot load certificate \"%s\" / key \"%s\": %s", cert_file,
                    key_file, gnutls_strerror(rc));
  }
  rc = gnutls_session_ticket_key_generate(&tls->ticket_key);
  if (rc < 0) {
    gnutls_certificate_free_credentials(tls->cred);
    tls->cred = NULL;
    return zq_error(ZQUIC_ERR_TLS, "session ticket key: %s", gnutls_strerror(rc));
  }
  return ZQUIC_OK;
}

int zq_tls_server_add_cert(zq_tls_server *tls, const char *cert_file, const char *key_file) {
  if (!cert_file || !key_file)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "an SNI certificate needs a cert and a key file");
  /* GnuTLS keeps every pair and serves the one whose names match the ClientHello's SNI (the
   * first when none does), so no callback of ours is needed. */
  int rc = gnutls_certificate_set_x509_key_file(tls->cred, cert_file, key_file, GNUTLS_X509_FMT_PEM);
  if (rc < 0)
    return zq_error(ZQUIC_ERR_TLS, "cannot load certificate \"%s\" / key \"%s\": %s", cert_file,
                    key_file, gnutls_strerror(rc));
  return ZQUIC_OK;
}

void zq_tls_server_clear(zq_tls_server *tls) {
  if (tls->cred) gnutls_certificate_free_credentials(tls->cred);
  if (tls->anti_replay) {
    gnutls_anti_replay_deinit(tls->anti_replay);
    pthread_mutex_destroy(&tls->replay_lock);
  }
  free(tls->replay);
  if (tls->ticket_key.data) {
    gnutls_memset(tls->ticket_key.data, 0, tls->ticket_key.size);
    gnutls_free(tls->ticket_key.data);
  }
  memset(tls, 0, sizeof(*tls));
}

int zq_tls_client_cred(const char *ca_file, gnutls_certificate_credentials_t *out) {
  gnutls_certificate_credentials_t cred;
  int rc = gnutls_certificate_allocate_credentials(&cred);
  if (rc < 0) return zq_error(ZQUIC_ERR_NO_MEMORY, "gnutls credentials: %s", gnutls_strerror(rc));
  if (ca_file) {
    rc = gnutls_certificate_set_x509_trust_file(cred, ca_file, GNUTLS_X509_FMT_PEM);
    if (rc <= 0) {
      gnutls_certificate_free_credentials(cred);
      return zq_error(ZQUIC_ERR_TLS, "CA file \"%s\": %s", ca_file,
                      rc == 0 ? "no certificate found" : gnutls_strerror(rc));
    }
  } else {
    rc = gnutls_certificate_set_x509_system_trust(cred);
    if (rc < 0) {
      gnutls_certificate_free_credentials(cred);
      return zq_error(ZQUIC_ERR_TLS, "system trust store: %s", gnutls_strerror(rc));
    }
  }
  *out = cred;
  return ZQUIC_OK;
}

static int set_alpn(gnutls_session_t s, const zq_alpn_list *alpn, unsigned flags) {
  gnutls_datum_t protos[ZQ_ALPN_MAX];
  for (size_t i = 0; i < alpn->count; i++) {
    protos[i].data = (unsigned char *)alpn->names[i];
    protos[i].size = (unsigned)strlen(alpn->names[i]);
  }
  return gnutls_alpn_set_protocols(s, protos, (unsigned)alpn->count, flags);
}

/* 0-RTT replay protection (RFC 8446 section 8): GnuTLS asks us to remember each ClientHello it
 * accepted early data from until the ticket's window ends; a second sighting is refused. A fixed
 * table keeps memory bounded; when it is full of live entries early data is refused, never
 * accepted unchecked. */
static int anti_replay_add(void *db, time_t expires, const gnutls_datum_t *key,
                           const gnutls_datum_t *data) {
  (void)data;
  zq_tls_server *tls = db;
  uint8_t digest[32];
  if (gnutls_hash_fast(GNUTLS_DIG_SHA256, key->data, key->size, digest) != 0)
    return GNUTLS_E_DB_ERROR;
  time_t now = time(NULL);
  size_t start, free_slot = ZQ_REPLAY_SLOTS;
  memcpy(&start, digest, sizeof(start));
  int rc = 0;
  pthread_mutex_lock(&tls->replay_lock);
  for (size_t i = 0; i < ZQ_REPLAY_SLOTS; i++) {
    zq_replay_slot *slot = &tls->replay[(start + i) % ZQ_REPLAY_SLOTS];
    bool live = slot->expires > now;
    if (live && memcmp(slot->digest, digest, sizeof(slot->digest)) == 0) {
      rc = GNUTLS_E_DB_ENTRY_EXISTS;
      goto out;
    }
    if (!live && free_slot == ZQ_REPLAY_SLOTS) free_slot = (start + i) % ZQ_REPLAY_SLOTS;
    if (!live && slot->expires == 0) break; /* never used: nothing further down the probe run */
  }
  if (free_slot == ZQ_REPLAY_SLOTS) {
    rc = GNUTLS_E_DB_ERROR;
    goto out;
  }
  memcpy(tls->replay[free_slot].digest, digest, sizeof(digest));
  tls->replay[free_slot].expires = expires;
out:
  pthread_mutex_unlock(&tls->replay_lock);
  return rc;
}

int zq_tls_server_enable_early_data(zq_tls_server *tls) {
  if (tls->anti_replay) return ZQUIC_OK;
  tls->replay = calloc(ZQ_REPLAY_SLOTS, sizeof(*tls->replay));
  if (!tls->replay) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  int rc = gnutls_anti_replay_init(&tls->anti_replay);
  if (rc < 0) {
    free(tls->replay);
    tls->replay = NULL;
    return zq_error(ZQUIC_ERR_TLS, "anti-replay: %s", gnutls_strerror(rc));
  }
  pthread_mutex_init(&tls->replay_lock, NULL);
  gnutls_anti_replay_set_add_function(tls->anti_replay, anti_replay_add);
  gnutls_anti_replay_set_ptr(tls->anti_replay, tls);
  return ZQUIC_OK;
}

int zq_tls_session_server(zq_tls_server *tls, const zq_alpn_list *alpn,
                          ngtcp2_crypto_conn_ref *ref, gnutls_session_t *out) {
  gnutls_session_t s;
  int rc = gnutls_init(&s, GNUTLS_SERVER | GNUTLS_ENABLE_EARLY_DATA | GNUTLS_NO_END_OF_EARLY_DATA |
                             GNUTLS_NO_AUTO_SEND_TICKET);
  if (rc < 0) return zq_error(ZQUIC_ERR_TLS, "gnutls_init: %s", gnutls_strerror(rc));
  if ((rc = gnutls_priority_set_direct(s, quic_priority, NULL)) < 0 ||
      (rc = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, tls->cred)) < 0 ||
      (rc = gnutls_session_ticket_enable_server(s, &tls->ticket_key)) < 0 ||
      (rc = set_alpn(s, alpn, GNUTLS_ALPN_MANDATORY | GNUTLS_ALPN_SERVER_PRECEDENCE)) < 0) {
    gnutls_deinit(s);
    return zq_error(ZQUIC_ERR_TLS, "server TLS session: %s", gnutls_strerror(rc));
  }
  if (tls->anti_replay) {
    gnutls_anti_replay_enable(s, tls->anti_replay);
    /* QUIC carries early data in 0-RTT packets; TLS must not cap it (RFC 9001 section 4.6.1). */
    gnutls_record_set_max_early_data_size(s, 0xffffffffu);
  }
  if (ngtcp2_crypto_gnutls_configure_server_session(s) != 0) {
    gnutls_deinit(s);
    return zq_error(ZQUIC_ERR_TLS, "ngtcp2_crypto_gnutls_configure_server_session failed");
  }
  gnutls_session_set_ptr(s, ref);
  *out = s;
  return ZQUIC_OK;
}

int zq_tls_session_client(gnutls_certificate_credentials_t cred, const zq_alpn_list *alpn,
                          const char *sni, bool verify, const char *priority,
                          ngtcp2_crypto_conn_ref *ref, gnutls_session_t *out) {
  gnutls_session_t s;
  int rc = gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_ENABLE_EARLY_DATA | GNUTLS_NO_END_OF_EARLY_DATA);
  if (rc < 0) return zq_error(ZQUIC_ERR_TLS, "gnutls_init: %s", gnutls_strerror(rc));
  if ((rc = gnutls_priority_set_direct(s, priority && *priority ? priority : quic_priority,
                                       NULL)) < 0 ||
      (rc = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred)) < 0 ||
      (rc = set_alpn(s, alpn, 0)) < 0) {
    gnutls_deinit(s);
    return zq_error(ZQUIC_ERR_TLS, "client TLS session: %s", gnutls_strerror(rc));
  }
  /* SNI carries names only (RFC 6066 forbids IP literals); verification checks either. */
  if (!zq_host_is_ip(sni))
    gnutls_server_name_set(s, GNUTLS_NAME_DNS, sni, strlen(sni));
  if (verify) gnutls_session_set_verify_cert(s, sni, 0); /* keeps `sni`: it must outlive `s` */
  if (ngtcp2_crypto_gnutls_configure_client_session(s) != 0) {
    gnutls_deinit(s);
    return zq_error(ZQUIC_ERR_TLS, "ngtcp2_crypto_gnutls_configure_client_session failed");
  }
  gnutls_session_set_ptr(s, ref);
  *out = s;
  return ZQUIC_OK;
}

void zq_tls_describe_failure(gnutls_session_t s, uint8_t alert, char *out, size_t cap) {
  unsigned status = gnutls_session_get_verify_cert_status(s);
  if (status != 0) {
    gnutls_datum_t text = {NULL, 0};
    if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) == 0) {
      snprintf(out, cap, "certificate verification failed: %s", (const char *)text.data);
      gnutls_free(text.data);
      return;
    }
    snprintf(out, cap, "certificate verification failed (status 0x%x)", status);
    return;
  }
  if (alert)
    snprintf(out, cap, "TLS alert %u (%s)", alert,
             gnutls_alert_get_strname((gnutls_alert_description_t)alert) ?: "unknown");
  else
    snprintf(out, cap, "TLS handshake failed");
}
