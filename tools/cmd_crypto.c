/*
 * cmd_crypto.c — `zquic crypto`: keys, signatures and hashes from the shell, on the ZCrypto API.
 *
 *   keygen  --alg ed25519|secp256k1|x25519 --out PREFIX [--force]   PREFIX.key (0600) + PREFIX.pub
 *   sign    --alg ALG --key PREFIX.key [--format compact|der|recoverable] FILE   signature hex
 *   verify  --alg ALG --key PREFIX.pub --sig SIGFILE [--format F] FILE   exit 0 valid / 1 not
 *   hash    [--alg blake3|sha256|sha512|sha3-256|keccak256|blake2b-256] [--length N] [FILE...]
 *   x25519  --key PREFIX.key --peer PUBHEX                            shared secret hex
 *   address PUBHEX                                                    EIP-55 Ethereum address
 *
 * Key and signature files hold hex text, so they survive copy and paste. Exit status: 0 success
 * (or a valid signature), 1 failure (a signature that does not verify, an unreadable FILE to
 * hash, a write error), 2 bad command line or bad input (malformed hex, wrong key length, a
 * point not on the curve).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define CMD "crypto"

/* ---- files ---- */

/* A whole input: mapped when it is a regular file (no copy, as fast as it gets), read otherwise
 * (stdin, pipes). */
typedef struct input_data {
  uint8_t *data;
  size_t len;
  int mapped;
} input_data;

static int read_stream(int fd, input_data *in) {
  size_t cap = 1 << 16;
  in->data = malloc(cap);
  in->len = 0;
  in->mapped = 0;
  if (!in->data) return -1;
  for (;;) {
    if (in->len == cap) {
      uint8_t *bigger = realloc(in->data, cap * 2);
      if (!bigger) return -1;
      in->data = bigger;
      cap *= 2;
    }
    ssize_t n = read(fd, in->data + in->len, cap - in->len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) return 0;
    in->len += (size_t)n;
  }
}

static int input_load(const char *path, input_data *in) {
  memset(in, 0, sizeof(*in));
  int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  struct stat st;
  int rc;
  if (fd != STDIN_FILENO && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    rc = map == MAP_FAILED ? -1 : 0;
    if (rc == 0) {
      in->data = map;
      in->len = (size_t)st.st_size;
      in->mapped = 1;
    }
  } else {
    rc = read_stream(fd, in);
  }
  int saved = errno;
  if (fd != STDIN_FILENO) close(fd);
  errno = saved;
  return rc;
}

static void input_free(input_data *in) {
  if (in->mapped)
    munmap(in->data, in->len);
  else
    free(in->data);
  memset(in, 0, sizeof(*in));
}

static int write_hex_file(const char *path, const uint8_t *data, size_t len, mode_t mode,
                          int force) {
  char text[2 * 65 + 2];
  if (zquic_crypto_hex_encode(data, len, text, sizeof(text) - 1) != ZQUIC_OK) return -1;
  size_t text_len = strlen(text);
  text[text_len++] = '\n';
  /* The mode is set at creation, before any secret byte is written. */
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | (force ? 0 : O_EXCL), mode);
  int ok = fd >= 0 && fchmod(fd, mode) == 0 && write(fd, text, text_len) == (ssize_t)text_len;
  int saved = errno;
  if (fd >= 0 && close(fd) != 0) ok = 0;
  zquic_crypto_memzero(text, sizeof(text));
  errno = saved;
  return ok ? 0 : -1;
}

static void print_hex_line(const uint8_t *data, size_t len) {
  for (size_t i = 0; i < len; i++) printf("%02x", data[i]);
  putchar('\n');
}

/* ---- names ---- */

static int key_type_of(const char *name) {
  if (!name) return 0;
  if (strcmp(name, "ed25519") == 0) return ZQUIC_KEY_ED25519;
  if (strcmp(name, "secp256k1") == 0) return ZQUIC_KEY_SECP256K1;
  if (strcmp(name, "x25519") == 0) return ZQUIC_KEY_X25519;
  return 0;
}

static int sig_format_of(const char *name) {
  if (!name) return 0;
  if (strcmp(name, "compact") == 0) return ZQUIC_SIG_COMPACT;
  if (strcmp(name, "der") == 0) return ZQUIC_SIG_DER;
  if (strcmp(name, "recoverable") == 0) return ZQUIC_SIG_RECOVERABLE;
  return -1;
}

/* ---- options shared by the subcommands ---- */

typedef struct crypto_opts {
  const char *alg, *out, *key, *sig, *format, *peer, *length;
  int force, help;
} crypto_opts;

static int parse_opts(int argc, char **argv, crypto_opts *o) {
  static const struct option long_opts[] = {
    {"alg", required_argument, NULL, 'a'},    {"out", required_argument, NULL, 'o'},
    {"key", required_argument, NULL, 'k'},    {"sig", required_argument, NULL, 's'},
    {"format", required_argument, NULL, 'f'}, {"peer", required_argument, NULL, 'p'},
    {"length", required_argument, NULL, 'l'}, {"force", no_argument, NULL, 'F'},
    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
  };
  memset(o, 0, sizeof(*o));
  optind = 0; /* glibc: restart scanning for this argv */
  int c;
  while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
    switch (c) {
    case 'a': o->alg = optarg; break;
    case 'o': o->out = optarg; break;
    case 'k': o->key = optarg; break;
    case 's': o->sig = optarg; break;
    case 'f': o->format = optarg; break;
    case 'p': o->peer = optarg; break;
    case 'l': o->length = optarg; break;
    case 'F': o->force = 1; break;
    case 'h': o->help = 1; break;
    default: return -1;
    }
  }
  return 0;
}

static const char *const usage_text[] = {
  "keygen", "usage: zquic crypto keygen --alg ed25519|secp256k1|x25519 --out PREFIX [--force]\n"
            "Write a new key pair: PREFIX.key (32-byte secret as hex, mode 0600) and PREFIX.pub\n"
            "(public key as hex; secp256k1 compressed). Existing files are kept unless --force.\n",
  "sign", "usage: zquic crypto sign --alg ed25519|secp256k1 --key PREFIX.key\n"
          "                         [--format compact|der|recoverable] FILE\n"
          "Print the signature of FILE ('-' = stdin) as hex. Ed25519: 64 bytes (RFC 8032).\n"
          "secp256k1: ECDSA over SHA-256(FILE), RFC 6979, low-S; compact r||s (default), DER,\n"
          "or recoverable r||s||v.\n",
  "verify", "usage: zquic crypto verify --alg ed25519|secp256k1 --key PREFIX.pub --sig SIGFILE\n"
            "                           [--format compact|der|recoverable] FILE\n"
            "Check the hex signature in SIGFILE over FILE. Exit 0 valid, 1 not valid, 2 bad\n"
            "input. secp256k1 format default: by length (64 compact, 65 recoverable, else DER).\n",
  "hash", "usage: zquic crypto hash [--alg blake3|sha256|sha512|sha3-256|keccak256|blake2b-256]\n"
          "                         [--length N] [FILE...]\n"
          "Print 'HEX  NAME' per FILE like sha256sum/b3sum (stdin without FILE or for '-').\n"
          "Default blake3; --length N (blake3 only) prints N bytes of extended output.\n",
  "x25519", "usage: zquic crypto x25519 --key PREFIX.key --peer PUBHEX\n"
            "Print the X25519 shared secret (hex) of our secret key and the peer's public key.\n",
  "address", "usage: zquic crypto address PUBHEX\n"
             "Print the EIP-55 Ethereum address of a secp256k1 public key (33 or 65 bytes hex).\n",
};

static int usage_of(const char *sub, FILE *out, int code) {
  for (size_t i = 0; i < sizeof(usage_text) / sizeof(usage_text[0]); i += 2)
    if (strcmp(sub, usage_text[i]) == 0) fputs(usage_text[i + 1], out);
  return code;
}

/* ---- subcommands ---- */

static int cmd_keygen(int argc, char **argv) {
  crypto_opts o;
  if (parse_opts(argc, argv, &o) != 0) return usage_of("keygen", stderr, EXIT_USAGE);
  if (o.help) return usage_of("keygen", stdout, EXIT_OK);
  int type = key_type_of(o.alg);
  if (!type || !o.out || optind != argc) {
    if (!type) cli_error(CMD, "keygen: --alg must be ed25519, secp256k1 or x25519");
    return usage_of("keygen", stderr, EXIT_USAGE);
  }
  uint8_t secret[32], public_key[ZQUIC_CRYPTO_PUBLIC_KEY_MAX_LEN];
  size_t secret_len, public_len;
  int rc = zquic_crypto_keygen(type, secret, sizeof(secret), &secret_len, public_key,
                               sizeof(public_key), &public_len);
  if (rc != ZQUIC_OK) {
    cli_zerror(CMD, "keygen", rc);
    return EXIT_FAIL;
  }
  char path[4096];
  int result = EXIT_OK;
  snprintf(path, sizeof(path), "%s.key", o.out);
  if (write_hex_file(path, secret, secret_len, 0600, o.force) != 0) {
    cli_error(CMD, "cannot write %s: %s%s", path, strerror(errno),
              errno == EEXIST ? " (use --force to overwrite)" : "");
    result = EXIT_FAIL;
  }
  zquic_crypto_memzero(secret, sizeof(secret));
  snprintf(path, sizeof(path), "%s.pub", o.out);
  if (result == EXIT_OK && write_hex_file(path, public_key, public_len, 0644, o.force) != 0) {
    cli_error(CMD, "cannot write %s: %s", path, strerror(errno));
    result = EXIT_FAIL;
  }
  return result;
}

/* Exit code for a library error on input the user gave us. */
static int input_error(const char *what, int rc) {
  cli_zerror(CMD, what, rc);
  return rc == ZQUIC_ERR_BAD_SIGNATURE ? EXIT_FAIL : EXIT_USAGE;
}

static int sign_loaded(int type, int format, const uint8_t *secret, const input_data *in) {
  uint8_t sig[ZQUIC_CRYPTO_SIGNATURE_MAX_LEN], digest[32];
  size_t sig_len, digest_len;
  int rc;
  if (type == ZQUIC_KEY_ED25519) {
    rc = zquic_crypto_sign(type, secret, 32, in->data, in->len, sig, sizeof(sig), &sig_len);
  } else {
    rc = zquic_crypto_hash(ZQUIC_HASH_SHA256, in->data, in->len, digest, sizeof(digest), &digest_len);
    if (rc == ZQUIC_OK)
      rc = zquic_crypto_secp256k1_sign(secret, 32, digest, 32, format ? format : ZQUIC_SIG_COMPACT,
                                       sig, sizeof(sig), &sig_len);
  }
  if (rc != ZQUIC_OK) return input_error("sign", rc);
  print_hex_line(sig, sig_len);
  return EXIT_OK;
}

static int check_sig_alg(const char *sub, const crypto_opts *o, int *type, int *format) {
  *type = key_type_of(o->alg);
  *format = o->format ? sig_format_of(o->format) : 0;
  if (*type != ZQUIC_KEY_ED25519 && *type != ZQUIC_KEY_SECP256K1) {
    cli_error(CMD, "%s: --alg must be ed25519 or secp256k1", sub);
    return EXIT_USAGE;
  }
  if (*format < 0 || (*format > 0 && *type == ZQUIC_KEY_ED25519 && *format != ZQUIC_SIG_COMPACT)) {
    cli_error(CMD, "%s: --format %s does not apply to %s", sub, o->format, o->alg);
    return EXIT_USAGE;
  }
  return EXIT_OK;
}

static int cmd_sign(int argc, char **argv) {
  crypto_opts o;
  int type, format;
  if (parse_opts(argc, argv, &o) != 0) return usage_of("sign", stderr, EXIT_USAGE);
  if (o.help) return usage_of("sign", stdout, EXIT_OK);
  if (!o.key || optind != argc - 1) return usage_of("sign", stderr, EXIT_USAGE);
  if (check_sig_alg("sign", &o, &type, &format) != EXIT_OK) return EXIT_USAGE;
  uint8_t secret[32];
  size_t secret_len;
  int rc = cli_read_hex_file(CMD, o.key, "key file", secret, sizeof(secret), 32, &secret_len);
  if (rc != EXIT_OK) return rc;
  input_data in;
  if (input_load(argv[optind], &in) != 0) {
    cli_error(CMD, "cannot read %s: %s", argv[optind], strerror(errno));
    rc = EXIT_USAGE;
  } else {
    rc = sign_loaded(type, format, secret, &in);
    input_free(&in);
  }
  zquic_crypto_memzero(secret, sizeof(secret));
  return rc;
}

static int verify_loaded(int type, int format, const uint8_t *public_key, size_t public_len,
                         const uint8_t *sig, size_t sig_len, const input_data *in) {
  int rc;
  if (type == ZQUIC_KEY_ED25519 || format == 0) {
    rc = zquic_crypto_verify(type, public_key, public_len, in->data, in->len, sig, sig_len);
  } else {
    uint8_t digest[32];
    size_t digest_len;
    rc = zquic_crypto_hash(ZQUIC_HASH_SHA256, in->data, in->len, digest, sizeof(digest), &digest_len);
    if (rc == ZQUIC_OK)
      rc = zquic_crypto_secp256k1_verify(public_key, public_len, digest, 32, sig, sig_len, format);
  }
  if (rc != ZQUIC_OK) return input_error("verify", rc);
  printf("signature OK\n");
  return EXIT_OK;
}

static int cmd_verify(int argc, char **argv) {
  crypto_opts o;
  int type, format;
  if (parse_opts(argc, argv, &o) != 0) return usage_of("verify", stderr, EXIT_USAGE);
  if (o.help) return usage_of("verify", stdout, EXIT_OK);
  if (!o.key || !o.sig || optind != argc - 1) return usage_of("verify", stderr, EXIT_USAGE);
  if (check_sig_alg("verify", &o, &type, &format) != EXIT_OK) return EXIT_USAGE;
  uint8_t public_key[ZQUIC_CRYPTO_PUBLIC_KEY_MAX_LEN], sig[ZQUIC_CRYPTO_SIGNATURE_MAX_LEN];
  size_t public_len, sig_len;
  int rc = cli_read_hex_file(CMD, o.key, "public key file", public_key, sizeof(public_key), 0, &public_len);
  if (rc == EXIT_OK) rc = cli_read_hex_file(CMD, o.sig, "signature file", sig, sizeof(sig), 0, &sig_len);
  if (rc != EXIT_OK) return rc;
  input_data in;
  if (input_load(argv[optind], &in) != 0) {
    cli_error(CMD, "cannot read %s: %s", argv[optind], strerror(errno));
    return EXIT_USAGE;
  }
  rc = verify_loaded(type, format, public_key, public_len, sig, sig_len, &in);
  input_free(&in);
  return rc;
}

static int cmd_x25519(int argc, char **argv) {
  crypto_opts o;
  if (parse_opts(argc, argv, &o) != 0) return usage_of("x25519", stderr, EXIT_USAGE);
  if (o.help) return usage_of("x25519", stdout, EXIT_OK);
  if (!o.key || !o.peer || optind != argc) return usage_of("x25519", stderr, EXIT_USAGE);
  uint8_t secret[32], peer[32], shared[32];
  size_t len;
  int rc = zquic_crypto_hex_decode(o.peer, strlen(o.peer), peer, sizeof(peer), &len);
  if (rc != ZQUIC_OK || len != 32) {
    cli_error(CMD, "x25519: --peer must be 32 bytes of hex");
    return EXIT_USAGE;
  }
  rc = cli_read_hex_file(CMD, o.key, "key file", secret, sizeof(secret), 32, &len);
  if (rc != EXIT_OK) return rc;
  rc = zquic_crypto_x25519(secret, 32, peer, 32, shared, sizeof(shared), &len);
  zquic_crypto_memzero(secret, sizeof(secret));
  if (rc != ZQUIC_OK) return input_error("x25519", rc);
  print_hex_line(shared, len);
  zquic_crypto_memzero(shared, sizeof(shared));
  return EXIT_OK;
}

static int cmd_address(int argc, char **argv) {
  crypto_opts o;
  if (parse_opts(argc, argv, &o) != 0) return usage_of("address", stderr, EXIT_USAGE);
  if (o.help) return usage_of("address", stdout, EXIT_OK);
  if (optind != argc - 1) return usage_of("address", stderr, EXIT_USAGE);
  uint8_t public_key[ZQUIC_CRYPTO_PUBLIC_KEY_MAX_LEN];
  size_t len;
  char text[ZQUIC_ETH_ADDRESS_TEXT_LEN];
  const char *hex = argv[optind];
  int rc = zquic_crypto_hex_decode(hex, strlen(hex), public_key, sizeof(public_key), &len);
  if (rc == ZQUIC_OK) rc = zquic_crypto_eth_address(public_key, len, NULL, 0, text, sizeof(text));
  if (rc != ZQUIC_OK) return input_error("address", rc);
  printf("%s\n", text);
  return EXIT_OK;
}

/* ---- hash ---- */

static const struct {
  const char *name;
  int type;
} hash_names[] = {
  {"blake3", ZQUIC_HASH_BLAKE3},     {"sha256", ZQUIC_HASH_SHA256},
  {"sha512", ZQUIC_HASH_SHA512},     {"sha3-256", ZQUIC_HASH_SHA3_256},
  {"keccak256", ZQUIC_HASH_KECCAK256}, {"blake2b-256", ZQUIC_HASH_BLAKE2B_256},
};

#define PROGRESS_MIN_BYTES (64u << 20)
#define SLICE_BYTES (16u << 20)

static void draw_progress(const char *name, size_t done, size_t total) {
  int width = 30, fill = (int)((double)done / (double)total * width);
  fprintf(stderr, "\r%.40s [", name);
  for (int i = 0; i < width; i++) fputc(i < fill ? '#' : '.', stderr);
  fprintf(stderr, "] %3d%%", (int)(100.0 * (double)done / (double)total));
  if (done == total) fputs("\r\033[K", stderr); /* erase: the result line follows on stdout */
}

/* Feed one input to the state: a mapped regular file in slices (with a progress bar on a
 * terminal when large), anything else through read(). */
static int hash_feed(zquic_crypto_hash_state *st, const char *name) {
  int fd = strcmp(name, "-") == 0 ? STDIN_FILENO : open(name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  struct stat sb;
  int rc = 0;
  if (fd != STDIN_FILENO && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0) {
    size_t total = (size_t)sb.st_size;
    uint8_t *map = mmap(NULL, total, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) rc = -1;
    int progress = rc == 0 && total >= PROGRESS_MIN_BYTES && isatty(STDERR_FILENO);
    if (rc == 0) madvise(map, total, MADV_SEQUENTIAL);
    for (size_t off = 0; rc == 0 && off < total; off += SLICE_BYTES) {
      size_t n = total - off < SLICE_BYTES ? total - off : SLICE_BYTES;
      /* Fault the slice's pages in with one call instead of one page fault per 64 KiB while
       * hashing (Linux >= 5.14; elsewhere this fails and the faults happen as before). Per slice,
       * not MAP_POPULATE for the whole file, so a file larger than memory is still streamed. */
#ifdef MADV_POPULATE_READ
      (void)madvise(map + off, n, MADV_POPULATE_READ);
#endif
      zquic_crypto_hash_update(st, map + off, n);
      if (progress) draw_progress(name, off + n, total);
    }
    if (map != MAP_FAILED) munmap(map, total);
  } else {
    static uint8_t buf[1 << 20];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) != 0) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        rc = -1;
        break;
      }
      zquic_crypto_hash_update(st, buf, (size_t)n);
    }
  }
  int saved = errno;
  if (fd != STDIN_FILENO) close(fd);
  errno = saved;
  return rc;
}

static int hash_one(int type, size_t length, const char *name) {
  zquic_crypto_hash_state *st = NULL;
  uint8_t digest[4096];
  size_t len = length;
  int rc = zquic_crypto_hash_init(type, &st);
  if (rc != ZQUIC_OK) {
    cli_zerror(CMD, "hash", rc);
    return EXIT_FAIL;
  }
  if (hash_feed(st, name) != 0) {
    cli_error(CMD, "%s: %s", name, strerror(errno));
    zquic_crypto_hash_free(st);
    return EXIT_FAIL;
  }
  if (length > 0)
    rc = zquic_crypto_hash_final_xof(st, digest, length);
  else
    rc = zquic_crypto_hash_final(st, digest, sizeof(digest), &len);
  zquic_crypto_hash_free(st);
  if (rc != ZQUIC_OK) {
    cli_zerror(CMD, "hash", rc);
    return EXIT_FAIL;
  }
  for (size_t i = 0; i < len; i++) printf("%02x", digest[i]);
  printf("  %s\n", name);
  return EXIT_OK;
}

static int cmd_crypto_hash(int argc, char **argv) {
  crypto_opts o;
  if (parse_opts(argc, argv, &o) != 0) return usage_of("hash", stderr, EXIT_USAGE);
  if (o.help) return usage_of("hash", stdout, EXIT_OK);
  int type = 0;
  const char *alg = o.alg ? o.alg : "blake3";
  for (size_t i = 0; i < sizeof(hash_names) / sizeof(hash_names[0]); i++)
    if (strcmp(alg, hash_names[i].name) == 0) type = hash_names[i].type;
  if (!type) {
    cli_error(CMD, "hash: unknown --alg \"%s\"", alg);
    return usage_of("hash", stderr, EXIT_USAGE);
  }
  size_t length = 0;
  if (o.length) {
    char *end;
    unsigned long value = strtoul(o.length, &end, 10);
    if (type != ZQUIC_HASH_BLAKE3 || *end != '\0' || value == 0 || value > 4096) {
      cli_error(CMD, "hash: --length takes 1..4096 and only with blake3");
      return EXIT_USAGE;
    }
    length = value;
  }
  if (optind == argc) return hash_one(type, length, "-");
  int result = EXIT_OK;
  for (int i = optind; i < argc; i++)
    if (hash_one(type, length, argv[i]) != EXIT_OK) result = EXIT_FAIL;
  return result;
}

static void crypto_usage(FILE *out) {
  fprintf(out, "usage: zquic crypto keygen|sign|verify|hash|x25519|address [OPTIONS]\n"
               "Keys, signatures and hashes (Ed25519, secp256k1, X25519; BLAKE3, SHA-2, SHA-3,\n"
               "Keccak-256, BLAKE2b). 'zquic crypto SUBCOMMAND --help' for each.\n"
               "Exit status: 0 success, 1 failure (e.g. signature not valid), 2 bad input.\n");
}

int cmd_crypto(int argc, char **argv) {
  static const cli_command subs[] = {
    {"keygen", cmd_keygen, NULL}, {"sign", cmd_sign, NULL},     {"verify", cmd_verify, NULL},
    {"hash", cmd_crypto_hash, NULL}, {"x25519", cmd_x25519, NULL}, {"address", cmd_address, NULL},
  };
  return cli_run_subcommand(CMD, argc, argv, subs, sizeof(subs) / sizeof(subs[0]), crypto_usage);
}
