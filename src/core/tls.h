/* tls.h — TLS session construction for QUIC connections (see tls.c). Internal. */
#ifndef ZQ_TLS_H
#define ZQ_TLS_H

#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include "internal.h"

int zq_tls_session_server(zq_tls_server *tls, const zq_alpn_list *alpn,
                          ngtcp2_crypto_conn_ref *ref, gnutls_session_t *out);
/* `priority`: a GnuTLS priority string, or NULL/"" for the default QUIC one. */
int zq_tls_session_client(gnutls_certificate_credentials_t cred, const zq_alpn_list *alpn,
                          const char *sni, bool verify, const char *priority,
                          ngtcp2_crypto_conn_ref *ref, gnutls_session_t *out);
/* Servers: accept 0-RTT (with replay protection) from now on. */
int zq_tls_server_enable_early_data(zq_tls_server *tls);
/* Text for a failed handshake: verification status if the certificate was rejected. */
void zq_tls_describe_failure(gnutls_session_t s, uint8_t alert, char *out, size_t cap);

#endif
