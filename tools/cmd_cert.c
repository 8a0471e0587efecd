/*
 * cmd_cert.c — `zquic cert gen`: a self-signed ECDSA P-256 certificate for local use.
 *
 * The certificate is both the server certificate and the trust anchor clients pass with --ca
 * (CA:TRUE, keyCertSign + digitalSignature, serverAuth), the same shape the interop peers use,
 * so GnuTLS, quic-go and ngtcp2's examples all accept it. Names that parse as IP addresses become
 * IP SANs, the rest DNS SANs; the key file is written with mode 0600 before any byte goes in.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static int write_file(const char *path, const gnutls_datum_t *data, mode_t mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return -1;
  fchmod(fd, mode);
  ssize_t n = write(fd, data->data, data->size);
  int ok = n == (ssize_t)data->size;
  if (close(fd) != 0) ok = 0;
  return ok ? 0 : -1;
}

static int add_san(gnutls_x509_crt_t crt, const char *name) {
  unsigned char ip[16];
  if (inet_pton(AF_INET, name, ip) == 1)
    return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 4, GNUTLS_FSAN_APPEND);
  if (inet_pton(AF_INET6, name, ip) == 1)
    return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 16, GNUTLS_FSAN_APPEND);
  return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, name, (unsigned)strlen(name),
                                              GNUTLS_FSAN_APPEND);
}

static int build_cert(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, const char *const *names,
                      size_t n_names, int days) {
  unsigned char serial[16];
  int rc;
  gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial));
  serial[0] &= 0x7f; /* positive */
  time_t now = time(NULL);
  if ((rc = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
      (rc = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial))) < 0 ||
      (rc = gnutls_x509_crt_set_activation_time(crt, now - 3600)) < 0 ||
      (rc = gnutls_x509_crt_set_expiration_time(crt, now + (time_t)days * 86400)) < 0 ||
      (rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, names[0],
                                          (unsigned)strlen(names[0]))) < 0 ||
      (rc = gnutls_x509_crt_set_key(crt, key)) < 0 ||
      (rc = gnutls_x509_crt_set_basic_constraints(crt, 1, -1)) < 0 ||
      (rc = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE |
                                                 GNUTLS_KEY_KEY_CERT_SIGN)) < 0 ||
      (rc = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0 ||
      (rc = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_CLIENT, 0)) < 0)
    return rc;
  for (size_t i = 0; i < n_names; i++)
    if ((rc = add_san(crt, names[i])) < 0) return rc;
  return gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
}

int cli_cert_generate(const char *dir, const char *const *names, size_t n_names, int days) {
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t key_pem = {NULL, 0}, crt_pem = {NULL, 0};
  char key_path[4096], crt_path[4096];
  int rc = -1;
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
    cli_error("cert", "cannot create directory %s: %s", dir, strerror(errno));
    return -1;
  }
  snprintf(key_path, sizeof(key_path), "%s/key.pem", dir);
  snprintf(crt_path, sizeof(crt_path), "%s/cert.pem", dir);
  int g;
  if ((g = gnutls_x509_privkey_init(&key)) < 0 ||
      (g = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                        GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0)) < 0 ||
      (g = gnutls_x509_crt_init(&crt)) < 0 || (g = build_cert(crt, key, names, n_names, days)) < 0 ||
      (g = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &key_pem)) < 0 ||
      (g = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &crt_pem)) < 0) {
    cli_error("cert", "generating the certificate: %s", gnutls_strerror(g));
    goto err;
  }
  if (write_file(key_path, &key_pem, 0600) != 0 || write_file(crt_path, &crt_pem, 0644) != 0) {
    cli_error("cert", "writing %s: %s", dir, strerror(errno));
    goto err;
  }
  rc = 0;
err:
  if (key_pem.data) {
    gnutls_memset(key_pem.data, 0, key_pem.size);
    gnutls_free(key_pem.data);
  }
  gnutls_free(crt_pem.data);
  if (crt) gnutls_x509_crt_deinit(crt);
  if (key) gnutls_x509_privkey_deinit(key);
  return rc;
}

static void usage(FILE *out) {
  fprintf(out,
          "usage: zquic cert gen --out DIR [--name NAME]... [--days N]\n"
          "\n"
          "Write a self-signed ECDSA P-256 certificate to DIR/cert.pem and its key to\n"
          "DIR/key.pem (mode 0600). The certificate is also the CA that clients trust:\n"
          "  zquic serve --cert DIR/cert.pem --key DIR/key.pem .\n"
          "  zquic get --ca DIR/cert.pem https://localhost:4433/\n"
          "\n"
          "  --out DIR     directory to write (created if missing)\n"
          "  --name NAME   DNS name or IP address the certificate is valid for; repeatable\n"
          "                (default: localhost, 127.0.0.1, ::1)\n"
          "  --days N      validity in days (default 365)\n");
}

int cmd_cert(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? EXIT_USAGE : EXIT_OK;
  }
  if (strcmp(argv[1], "gen") != 0) {
    cli_error("cert", "unknown subcommand \"%s\" (only \"gen\")", argv[1]);
    return EXIT_USAGE;
  }
  static const struct option opts[] = {{"out", required_argument, NULL, 'o'},
                                        {"name", required_argument, NULL, 'n'},
                                        {"days", required_argument, NULL, 'd'},
                                        {"help", no_argument, NULL, 'h'},
                                        {NULL, 0, NULL, 0}};
  const char *out = NULL;
  const char *names[64];
  size_t n_names = 0;
  int days = 365;
  optind = 1;
  int c;
  while ((c = getopt_long(argc - 1, argv + 1, "o:n:d:h", opts, NULL)) != -1) {
    switch (c) {
    case 'o': out = optarg; break;
    case 'n':
      if (n_names == 64 || !*optarg) {
        cli_error("cert", "--name: at most 64 non-empty names");
        return EXIT_USAGE;
      }
      names[n_names++] = optarg;
      break;
    case 'd':
      days = atoi(optarg);
      if (days < 1 || days > 36500) {
        cli_error("cert", "--days must be 1-36500");
        return EXIT_USAGE;
      }
      break;
    case 'h': usage(stdout); return EXIT_OK;
    default: usage(stderr); return EXIT_USAGE;
    }
  }
  if (!out || optind + 1 != argc) {
    if (!out) cli_error("cert", "--out DIR is required");
    else cli_error("cert", "unexpected argument \"%s\"", argv[optind + 1]);
    return EXIT_USAGE;
  }
  if (n_names == 0) {
    names[n_names++] = "localhost";
    names[n_names++] = "127.0.0.1";
    names[n_names++] = "::1";
  }
  if (cli_cert_generate(out, names, n_names, days) != 0) return EXIT_FAIL;
  printf("%s/cert.pem\n%s/key.pem\n", out, out);
  return EXIT_OK;
}
