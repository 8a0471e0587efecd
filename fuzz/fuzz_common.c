/*
 * fuzz_common.c — see fuzz_common.h. The certificate is generated with the GnuTLS API into a
 * mkdtemp directory and removed at exit: no private key is ever committed or reused.
 */
#include "fuzz_common.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "../src/core/internal.h"

static char cert_dir[64];

static void die(const char *what, const char *detail) {
  fprintf(stderr, "fuzz set-up: %s: %s\n", what, detail ? detail : "");
  abort();
}

static void write_datum(const char *path, const gnutls_datum_t *d) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(d->data, 1, d->size, f) != d->size || fclose(f) != 0) die("write", path);
}

static void remove_certs(void) {
  char path[128];
  static const char *files[] = {"cert.pem", "key.pem"};
  for (size_t i = 0; i < 2; i++) {
    snprintf(path, sizeof(path), "%s/%s", cert_dir, files[i]);
    unlink(path);
  }
  rmdir(cert_dir);
}

/* A self-signed P-256 certificate for localhost / 127.0.0.1 (clients here skip verification or
 * trust exactly this certificate). */
static void make_certificate(fuzz_env *env) {
  snprintf(cert_dir, sizeof(cert_dir), "/tmp/zquic-fuzz-XXXXXX");
  if (!mkdtemp(cert_dir)) die("mkdtemp", cert_dir);
  atexit(remove_certs);
  gnutls_x509_privkey_t key;
  gnutls_x509_crt_t crt;
  if (gnutls_x509_privkey_init(&key) < 0 ||
      gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                   GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0)
    die("key", "generate");
  if (gnutls_x509_crt_init(&crt) < 0) die("crt", "init");
  time_t now = time(NULL);
  unsigned char serial[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  unsigned char ip[4] = {127, 0, 0, 1};
  if (gnutls_x509_crt_set_version(crt, 3) < 0 || gnutls_x509_crt_set_serial(crt, serial, 8) < 0 ||
      gnutls_x509_crt_set_activation_time(crt, now - 3600) < 0 ||
      gnutls_x509_crt_set_expiration_time(crt, now + 86400 * 30) < 0 ||
      gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "localhost", 9) < 0 ||
      gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
                                           GNUTLS_FSAN_APPEND) < 0 ||
      gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 4, GNUTLS_FSAN_APPEND) < 0 ||
      gnutls_x509_crt_set_key(crt, key) < 0 ||
      gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) < 0)
    die("crt", "sign");
  gnutls_datum_t pem;
  snprintf(env->cert_file, sizeof(env->cert_file), "%s/cert.pem", cert_dir);
  snprintf(env->key_file, sizeof(env->key_file), "%s/key.pem", cert_dir);
  snprintf(env->ca_file, sizeof(env->ca_file), "%s", env->cert_file);
  if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem) < 0) die("crt", "export");
  write_datum(env->cert_file, &pem);
  gnutls_free(pem.data);
  if (gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &pem) < 0) die("key", "export");
  write_datum(env->key_file, &pem);
  gnutls_memset(pem.data, 0, pem.size);
  gnutls_free(pem.data);
  gnutls_x509_crt_deinit(crt);
  gnutls_x509_privkey_deinit(key);
}

/* The HTTP/3 handler answers every request from its headers alone, exercising the response
 * path; bodies are read and dropped. */
static void on_request(zquic_h3_exchange *ex, void *user) {
  (void)user;
  const char *path = zquic_h3_exchange_path(ex);
  const char *name, *value;
  size_t fields = 0;
  while (zquic_h3_exchange_header(ex, fields, &name, &value) == ZQUIC_OK) fields++;
  char body[128];
  int n = snprintf(body, sizeof(body), "%zu fields, path %.60s\n", fields, path ? path : "-");
  zquic_h3_header h[] = {{"content-type", "text/plain"}};
  zquic_h3_respond_bytes(ex, path ? 200 : 400, h, 1, body, (size_t)n);
}

static void on_body(zquic_h3_exchange *ex, const uint8_t *data, size_t len, void *user) {
  (void)ex;
  (void)data;
  (void)len;
  (void)user;
}

static void grpc_echo(zquic_grpc_server_call *call, const uint8_t *req, size_t len, void *user) {
  (void)user;
  const uint8_t *v;
  size_t vlen;
  zquic_grpc_server_call_metadata(call, "x-any-bin", &v, &vlen);
  zquic_grpc_server_call_reply(call, req, len);
}

fuzz_env *fuzz_env_get(void) {
  static fuzz_env env;
  static int ready;
  if (ready) return &env;
  make_certificate(&env);
  zquic_config cfg;
  zquic_config_init(&cfg);
  cfg.cert_file = env.cert_file;
  cfg.key_file = env.key_file;
  cfg.ca_file = env.ca_file;
  cfg.connection_timeout_ms = 2000;
  cfg.idle_timeout_ms = 5000;
  if (zquic_init(&cfg, &env.ctx) != ZQUIC_OK) die("zquic_init", zquic_last_error());
  zquic_h3_handler_config h3;
  zquic_h3_handler_config_init(&h3);
  h3.on_request = on_request;
  h3.on_body = on_body;
  /* gRPC requests (content-type application/grpc, in QPACK's static table) reach GhostBridge's
   * request path: metadata, grpc-timeout, framing, gzip; the rest the plain handler. */
  zquic_grpc_server_config gcfg;
  zquic_grpc_server_config_init(&gcfg);
  gcfg.handler = grpc_echo;
  gcfg.fallback = &h3;
  gcfg.max_receive_message = 65536;
  if (zquic_grpc_server_create(env.ctx, &gcfg, &env.grpc) != ZQUIC_OK)
    die("zquic_grpc_server_create", zquic_last_error());
  zquic_server_config scfg;
  zquic_server_config_init(&scfg);
  scfg.listen = "127.0.0.1:0";
  scfg.h3 = zquic_grpc_server_h3_handler(env.grpc);
  if (zquic_create_server(env.ctx, &scfg, &env.server) != ZQUIC_OK)
    die("zquic_create_server", zquic_last_error());
  snprintf(env.server_address, sizeof(env.server_address), "127.0.0.1:%d",
           zquic_server_port(env.server));
  env.sink_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (env.sink_fd < 0 || bind(env.sink_fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
    die("sink", "bind");
  env.sink_len = sizeof(env.sink);
  getsockname(env.sink_fd, (struct sockaddr *)&env.sink, &env.sink_len);
  ready = 1;
  return &env;
}

void fuzz_inject(fuzz_env *env, const struct sockaddr_storage *from, socklen_t fromlen,
                 const uint8_t *pkt, size_t len) {
  zquic_server *srv = env->server;
  if (!from) {
    from = &env->sink;
    fromlen = env->sink_len;
  }
  zq_endpoint_inject(&srv->ep, from, fromlen, pkt, len);
}

static int reset_on_loop(void *arg) {
  zquic_server *srv = arg;
  zq_list_node *n, *tmp;
  zq_list_for_each_safe(n, tmp, &srv->conns) {
    zq_conn_close_now(zq_container_of(n, zquic_connection, list_node), 0, NULL);
  }
  return 0;
}

void fuzz_reset_server(fuzz_env *env) {
  zquic_context *ctx = env->ctx;
  pthread_mutex_lock(&ctx->lock);
  zq_ctx_call(ctx, reset_on_loop, env->server);
  pthread_mutex_unlock(&ctx->lock);
}

void fuzz_drain_sink(fuzz_env *env) {
  uint8_t buf[2048];
  while (recv(env->sink_fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0) {
  }
}

bool fuzz_next_chunk(fuzz_reader *r, const uint8_t **chunk, size_t *len) {
  if (r->left == 0) return false;
  if (r->left < 2) {
    *chunk = r->p;
    *len = r->left;
    r->p += r->left;
    r->left = 0;
    return true;
  }
  size_t n = ((size_t)r->p[0] << 8) | r->p[1];
  r->p += 2;
  r->left -= 2;
  if (n > r->left) n = r->left;
  *chunk = r->p;
  *len = n;
  r->p += n;
  r->left -= n;
  return true;
}
