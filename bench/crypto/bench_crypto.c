/*
 * bench_crypto.c — ZCrypto figures side by side with their anchors, measured in the same run:
 * BLAKE3 per code path on an in-memory buffer (and on FILE, if given, through the streaming API
 * as `zquic crypto hash` does), and each wrapper against the library call it wraps (libsodium
 * Ed25519, libsecp256k1 ECDSA, nettle SHA-256). Prints ratios; run.sh adds b3sum as the anchor.
 *   bench_crypto [MiB] [FILE|-] [RUNS]     (RUNS: BLAKE3 runs per path, default 5)
 */
#include <nettle/sha2.h>
#include <secp256k1.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blake3_impl.h"
#include "zquic.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The official C code's figures on the reference machine (2-core AMD EPYC, AVX-512),
 * single thread, in memory: what each path should come within 10% of on that machine. */
static const double reference_gibs[ZQ_BLAKE3_PATH_COUNT] = {0.75, 2.2, 4.2, 6.2};

static const char *const path_names[ZQ_BLAKE3_PATH_COUNT] = {"portable", "sse41", "avx2", "avx512"};

#define MAX_RUNS 31

/* Every path `runs` times, the paths interleaved within each run so that load from other
 * processes on a shared machine falls on all of them alike; median and spread per path. With
 * B3SUM_GIBS set (run.sh: b3sum --num-threads 1 on a 1 GiB file in the page cache, median of the
 * same run), each median is also given as a ratio to it. */
static void bench_blake3(size_t mib, int runs) {
  size_t len = mib << 20;
  uint8_t *buf = malloc(len), out[32];
  if (!buf) return;
  for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)(i * 31);
  double gibs[ZQ_BLAKE3_PATH_COUNT][MAX_RUNS];
  if (runs < 1) runs = 1;
  if (runs > MAX_RUNS) runs = MAX_RUNS;
  for (int run = 0; run < runs; run++) {
    for (int p = 0; p < ZQ_BLAKE3_PATH_COUNT; p++) {
      const zq_blake3_ops *ops = zq_blake3_ops_get((zq_blake3_path)p);
      if (!ops) continue;
      double t = now();
      zq_blake3 h;
      zq_blake3_init(&h, ops);
      zq_blake3_update(&h, buf, len);
      zq_blake3_finalize(&h, out, sizeof(out));
      gibs[p][run] = (double)len / (now() - t) / (1 << 30);
    }
  }
  const char *anchor_env = getenv("B3SUM_GIBS");
  double anchor = anchor_env ? atof(anchor_env) : 0;
  printf("blake3 in memory, %zu MiB, %d runs  median GiB/s [min-max]   reference  ratio  /b3sum-file\n",
         mib, runs);
  for (int p = 0; p < ZQ_BLAKE3_PATH_COUNT; p++) {
    const zq_blake3_ops *ops = zq_blake3_ops_get((zq_blake3_path)p);
    if (!ops) {
      printf("blake3 %-8s  (this CPU lacks it)\n", path_names[p]);
      continue;
    }
    qsort(gibs[p], (size_t)runs, sizeof(double), cmp_double);
    double median = runs % 2 ? gibs[p][runs / 2] : (gibs[p][runs / 2 - 1] + gibs[p][runs / 2]) / 2;
    printf("blake3 %-8s %28.2f [%.2f-%.2f]   %5.2f   %5.2f", ops->name, median, gibs[p][0],
           gibs[p][runs - 1], reference_gibs[p], median / reference_gibs[p]);
    if (anchor > 0) printf("  %6.2f", median / anchor);
    printf("\n");
  }
  free(buf);
}

/* ops/s of fn over `seconds`. */
static double rate(void (*fn)(void *), void *arg, double seconds) {
  long n = 0;
  double start = now(), t;
  do {
    for (int i = 0; i < 64; i++) fn(arg);
    n += 64;
  } while ((t = now() - start) < seconds);
  return (double)n / t;
}

typedef struct sig_ctx {
  uint8_t seed[32], sk64[64], pk[33], sig[72], digest[32];
  secp256k1_context *secp;
} sig_ctx;

static void ed_sign_ours(void *a) {
  sig_ctx *c = a;
  size_t n;
  zquic_crypto_sign(ZQUIC_KEY_ED25519, c->sk64, 64, c->digest, 32, c->sig, 64, &n);
}
static void ed_sign_sodium(void *a) {
  sig_ctx *c = a;
  crypto_sign_detached(c->sig, NULL, c->digest, 32, c->sk64);
}
static void ed_verify_ours(void *a) {
  sig_ctx *c = a;
  zquic_crypto_verify(ZQUIC_KEY_ED25519, c->sk64 + 32, 32, c->digest, 32, c->sig, 64);
}
static int sink; /* results the compiler must not drop */
static void ed_verify_sodium(void *a) {
  sig_ctx *c = a;
  sink += crypto_sign_verify_detached(c->sig, c->digest, 32, c->sk64 + 32);
}
static void k1_sign_ours(void *a) {
  sig_ctx *c = a;
  size_t n;
  zquic_crypto_secp256k1_sign(c->seed, 32, c->digest, 32, ZQUIC_SIG_COMPACT, c->sig, 64, &n);
}
static void k1_sign_direct(void *a) {
  sig_ctx *c = a;
  secp256k1_ecdsa_signature s;
  (void)secp256k1_ecdsa_sign(c->secp, &s, c->digest, c->seed, NULL, NULL);
  secp256k1_ecdsa_signature_serialize_compact(c->secp, c->sig, &s);
}
static void k1_verify_ours(void *a) {
  sig_ctx *c = a;
  zquic_crypto_secp256k1_verify(c->pk, 33, c->digest, 32, c->sig, 64, ZQUIC_SIG_COMPACT);
}
static void k1_verify_direct(void *a) {
  sig_ctx *c = a;
  secp256k1_pubkey k;
  secp256k1_ecdsa_signature s;
  if (secp256k1_ec_pubkey_parse(c->secp, &k, c->pk, 33) &&
      secp256k1_ecdsa_signature_parse_compact(c->secp, &s, c->sig))
    sink += secp256k1_ecdsa_verify(c->secp, &s, c->digest, &k);
}

static void compare(const char *what, void (*ours)(void *), void (*direct)(void *), void *arg) {
  double a = rate(ours, arg, 1.0), b = rate(direct, arg, 1.0);
  printf("%-22s zquic %9.0f/s  direct %9.0f/s  ratio %.3f\n", what, a, b, a / b);
}

static void bench_signatures(void) {
  sig_ctx c;
  size_t n;
  memset(&c, 0, sizeof(c));
  c.seed[31] = 7;
  c.secp = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  crypto_sign_seed_keypair(c.sk64 + 32, c.sk64, c.seed);
  zquic_crypto_keygen_from_seed(ZQUIC_KEY_SECP256K1, c.seed, 32, c.pk, 33, &n);
  ed_sign_sodium(&c);
  compare("ed25519 sign (64 B sk)", ed_sign_ours, ed_sign_sodium, &c);
  compare("ed25519 verify", ed_verify_ours, ed_verify_sodium, &c);
  k1_sign_direct(&c);
  compare("secp256k1 sign", k1_sign_ours, k1_sign_direct, &c);
  compare("secp256k1 verify", k1_verify_ours, k1_verify_direct, &c);
  secp256k1_context_destroy(c.secp);
}

static void bench_sha256(void) {
  size_t len = 256u << 20, n;
  uint8_t *buf = malloc(len), out[32];
  if (!buf) return;
  memset(buf, 0x5a, len); /* fault the pages in before timing */
  double t = now();
  zquic_crypto_hash(ZQUIC_HASH_SHA256, buf, len, out, 32, &n);
  double ours = now() - t;
  struct sha256_ctx ctx;
  t = now();
  sha256_init(&ctx);
  sha256_update(&ctx, len, buf);
  sha256_digest(&ctx, 32, out);
  double direct = now() - t;
  printf("%-22s zquic %6.2f GiB/s   direct %6.2f GiB/s   ratio %.3f\n", "sha256 (256 MiB)",
         0.25 / ours, 0.25 / direct, direct / ours);
  free(buf);
}

static void bench_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return;
  static uint8_t buf[1 << 20];
  zquic_crypto_hash_state *st;
  uint8_t out[32];
  size_t n, total = 0;
  double t = now();
  zquic_crypto_hash_init(ZQUIC_HASH_BLAKE3, &st);
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
    zquic_crypto_hash_update(st, buf, n);
    total += n;
  }
  zquic_crypto_hash_final(st, out, sizeof(out), &n);
  zquic_crypto_hash_free(st);
  fclose(f);
  printf("blake3 %-8s %7.2f GiB/s  (%s, streaming, 1 MiB reads)\n", zquic_crypto_blake3_path(),
         (double)total / (now() - t) / (1 << 30), path);
}

int main(int argc, char **argv) {
  size_t mib = argc > 1 ? (size_t)atol(argv[1]) : 1024;
  if (zquic_crypto_init() != ZQUIC_OK || sodium_init() < 0) return 1;
  int runs = argc > 3 ? atoi(argv[3]) : 5;
  bench_blake3(mib, runs);
  if (argc > 2 && strcmp(argv[2], "-") != 0) bench_file(argv[2]);
  bench_sha256();
  bench_signatures();
  return 0;
}
