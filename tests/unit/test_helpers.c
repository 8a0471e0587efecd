/*
 * test_helpers.c — the echo server used by the API tests. Each accepted connection gets a thread
 * that accepts streams; each bidirectional stream gets a thread that echoes until FIN. A stream
 * whose first bytes are "SHA256\n" is instead hashed: the server answers with the hex SHA-256 of
 * everything after that line (for the large-transfer test). Uni streams are answered on a new
 * server uni stream with the same bytes.
 */
#include "test_helpers.h"

#include <gnutls/crypto.h>
#include <unistd.h>

typedef struct stream_job {
  zquic_connection *conn;
  zquic_stream *stream;
} stream_job;

static void *echo_stream(void *arg) {
  stream_job *job = arg;
  static const char magic[] = "SHA256\n";
  uint8_t *buf = malloc(1 << 16);
  size_t n = 0;
  int hashing = -1;
  gnutls_hash_hd_t hash = NULL;
  zquic_stream *reply = job->stream;
  int uni = zquic_stream_id(job->stream) & 2;
  uint8_t *uni_data = NULL;
  size_t uni_len = 0;
  for (;;) {
    if (zquic_stream_receive(job->stream, buf, 1 << 16, 10000, &n) != ZQUIC_OK || n == 0) break;
    size_t off = 0;
    if (hashing < 0) {
      hashing = n >= 7 && memcmp(buf, magic, 7) == 0;
      if (hashing) {
        gnutls_hash_init(&hash, GNUTLS_DIG_SHA256);
        off = 7;
      }
    }
    if (hashing) {
      gnutls_hash(hash, buf + off, n - off);
    } else if (uni) {
      uni_data = realloc(uni_data, uni_len + n);
      memcpy(uni_data + uni_len, buf, n);
      uni_len += n;
    } else {
      zquic_stream_send(job->stream, buf, n, 0, 10000, NULL);
    }
  }
  if (hashing == 1) {
    uint8_t digest[32];
    char hex[65];
    gnutls_hash_deinit(hash, digest);
    for (int i = 0; i < 32; i++) sprintf(hex + 2 * i, "%02x", digest[i]);
    zquic_stream_send(reply, hex, 64, 1, 10000, NULL);
  } else if (uni) {
    zquic_stream *out = NULL;
    if (zquic_stream_open(job->conn, ZQUIC_STREAM_UNI, 5000, &out) == ZQUIC_OK) {
      zquic_stream_send(out, uni_data, uni_len, 1, 10000, NULL);
      zquic_close_stream(out);
    }
  } else {
    zquic_stream_send(reply, NULL, 0, 1, 10000, NULL);
  }
  free(uni_data);
  free(buf);
  zquic_close_stream(job->stream);
  free(job);
  return NULL;
}

typedef struct conn_job {
  echo_server *es;
  zquic_connection *conn;
} conn_job;

static void *serve_connection(void *arg) {
  conn_job *cj = arg;
  while (!cj->es->stop) {
    zquic_stream *s = NULL;
    int rc = zquic_stream_accept(cj->conn, 200, &s);
    if (rc == ZQUIC_ERR_TIMEOUT) continue;
    if (rc != ZQUIC_OK) break;
    stream_job *job = calloc(1, sizeof(*job));
    job->conn = cj->conn;
    job->stream = s;
    pthread_t t;
    pthread_create(&t, NULL, echo_stream, job);
    pthread_detach(t);
  }
  usleep(200000); /* let detached stream threads finish with the connection */
  zquic_close_connection(cj->conn);
  free(cj);
  return NULL;
}

static void *accept_loop(void *arg) {
  echo_server *es = arg;
  while (!es->stop) {
    zquic_connection *conn = NULL;
    int rc = zquic_server_accept(es->server, 100, &conn);
    if (rc != ZQUIC_OK) continue;
    conn_job *cj = calloc(1, sizeof(*cj));
    cj->es = es;
    cj->conn = conn;
    pthread_t t;
    pthread_create(&t, NULL, serve_connection, cj);
    pthread_detach(t);
  }
  return NULL;
}

int echo_server_start(echo_server *es, const char *alpn) {
  memset(es, 0, sizeof(*es));
  zquic_config cfg;
  zquic_config_init(&cfg);
  cfg.cert_file = cert_path("server-chain.pem");
  cfg.key_file = cert_path("server.key");
  cfg.alpn = alpn ? alpn : "zq-test";
  int rc = zquic_init(&cfg, &es->ctx);
  if (rc) return rc;
  zquic_server_config scfg;
  zquic_server_config_init(&scfg);
  scfg.listen = "127.0.0.1:0";
  rc = zquic_create_server(es->ctx, &scfg, &es->server);
  if (rc) return rc;
  snprintf(es->address, sizeof(es->address), "127.0.0.1:%d", zquic_server_port(es->server));
  pthread_create(&es->thread, NULL, accept_loop, es);
  return ZQUIC_OK;
}

void echo_server_stop(echo_server *es) {
  es->stop = 1;
  pthread_join(es->thread, NULL);
  usleep(400000); /* connection threads notice `stop` within 200 ms */
  zquic_server_free(es->server);
  zquic_destroy(es->ctx);
}

zquic_context *client_context(void) {
  zquic_config cfg;
  zquic_config_init(&cfg);
  cfg.ca_file = cert_path("ca.pem");
  cfg.alpn = "zq-test";
  cfg.connection_timeout_ms = 5000;
  zquic_context *ctx = NULL;
  if (zquic_init(&cfg, &ctx) != ZQUIC_OK) return NULL;
  return ctx;
}
