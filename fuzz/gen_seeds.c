/*
 * gen_seeds.c — writes the seed corpora of the network fuzz targets into DIR/<target>/:
 * a real zquic client Initial captured from the wire (raw, and opened to its plaintext frames for
 * the sealed mode), a long header with an unknown version, a short-header packet, and for the
 * HTTP/3 target a few hand-encoded requests (QPACK static-table references only).
 *
 * usage: gen_seeds DIR
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "quic_initial.h"
#include "zquic.h"

static const char *out_dir;

static void write_seed(const char *target, const char *name, const uint8_t *data, size_t len) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/%s", out_dir, target);
  mkdir(path, 0755);
  snprintf(path, sizeof(path), "%s/%s/%s", out_dir, target, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
    fprintf(stderr, "gen_seeds: cannot write %s: %s\n", path, strerror(errno));
    exit(1);
  }
}

/* Seed for a target whose input is [mode byte] then [u16 length][bytes] chunks. */
static void write_chunks(const char *target, const char *name, const uint8_t *prefix,
                         size_t prefixlen, const uint8_t *const *chunks, const size_t *lens,
                         size_t n) {
  uint8_t buf[16384];
  size_t off = 0;
  memcpy(buf, prefix, prefixlen);
  off = prefixlen;
  for (size_t i = 0; i < n; i++) {
    if (off + 2 + lens[i] > sizeof(buf)) break;
    buf[off++] = (uint8_t)(lens[i] >> 8);
    buf[off++] = (uint8_t)lens[i];
    memcpy(buf + off, chunks[i], lens[i]);
    off += lens[i];
  }
  write_seed(target, name, buf, off);
}

struct connect_job {
  zquic_context *ctx;
  char address[64];
};

static void *connect_thread(void *arg) {
  struct connect_job *job = arg;
  zquic_connect_options opts;
  zquic_connect_options_init(&opts);
  opts.alpn = "h3";
  opts.sni = "localhost";
  opts.timeout_ms = 300;
  opts.insecure_skip_verify_DANGEROUS = 1; /* never gets that far: nobody answers */
  zquic_connection *conn = NULL;
  if (zquic_create_connection_ex(job->ctx, job->address, &opts, &conn) == ZQUIC_OK)
    zquic_close_connection(conn);
  return NULL;
}

/* Run a real zquic client against a silent UDP socket and keep its first datagram. */
static size_t capture_client_initial(uint8_t *out, size_t cap) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t sl = sizeof(sin);
  if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
      getsockname(fd, (struct sockaddr *)&sin, &sl) != 0)
    return 0;
  zquic_config cfg;
  zquic_config_init(&cfg);
  struct connect_job job;
  if (zquic_init(&cfg, &job.ctx) != ZQUIC_OK) return 0;
  snprintf(job.address, sizeof(job.address), "127.0.0.1:%u", ntohs(sin.sin_port));
  pthread_t t;
  pthread_create(&t, NULL, connect_thread, &job);
  struct pollfd pfd = {fd, POLLIN, 0};
  ssize_t n = 0;
  if (poll(&pfd, 1, 2000) == 1) n = recv(fd, out, cap, 0);
  pthread_join(t, NULL);
  zquic_destroy(job.ctx);
  close(fd);
  return n > 0 ? (size_t)n : 0;
}

static void datagram_seeds(void) {
  static uint8_t initial[65536], frames[65536];
  size_t len = capture_client_initial(initial, sizeof(initial));
  if (len < ZQ_FUZZ_MIN_INITIAL) {
    fprintf(stderr, "gen_seeds: could not capture a client Initial\n");
    exit(1);
  }
  const uint8_t raw_mode = 0, *one[] = {initial, initial};
  size_t lens[] = {len, len};
  write_chunks("fuzz_server_datagram", "client-initial", &raw_mode, 1, one, lens, 1);
  write_chunks("fuzz_server_datagram", "client-initial-twice", &raw_mode, 1, one, lens, 2);

  uint8_t dcid[20], scid[20];
  size_t frameslen, dcidlen, scidlen;
  if (zq_fuzz_open_initial(initial, len, frames, sizeof(frames), &frameslen, dcid, &dcidlen, scid,
                           &scidlen) != 0) {
    fprintf(stderr, "gen_seeds: cannot open the captured Initial\n");
    exit(1);
  }
  while (frameslen > 0 && frames[frameslen - 1] == 0) frameslen--; /* the target pads again */
  if (scidlen != ZQ_FUZZ_SCID_LEN) {
    fprintf(stderr, "gen_seeds: captured SCID has %zu bytes, expected %d\n", scidlen,
            ZQ_FUZZ_SCID_LEN);
    exit(1);
  }
  /* Point initial_source_connection_id at the SCID the target seals with. */
  for (size_t i = 0; i + scidlen <= frameslen; i++)
    if (memcmp(frames + i, scid, scidlen) == 0) memcpy(frames + i, zq_fuzz_scid, scidlen);
  /* Mode byte odd = sealed; DCID length 18 (8 + 10) like zquic's own. */
  const uint8_t sealed_mode[2] = {1, 10}, *f[] = {frames, frames};
  size_t flens[] = {frameslen, frameslen};
  write_chunks("fuzz_server_datagram", "sealed-client-hello", sealed_mode, 2, f, flens, 1);
  /* The same frames again in a second Initial: a retransmitted ClientHello. */
  write_chunks("fuzz_server_datagram", "sealed-client-hello-twice", sealed_mode, 2, f, flens, 2);

  /* Long header, unknown version: the server must answer Version Negotiation. */
  uint8_t vn[1200] = {0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 8, 1, 2, 3, 4, 5, 6, 7, 8, 8,
                      9, 9, 9, 9, 9, 9, 9, 9};
  const uint8_t *vnp[] = {vn};
  size_t vnl[] = {sizeof(vn)};
  write_chunks("fuzz_server_datagram", "unknown-version", &raw_mode, 1, vnp, vnl, 1);
  /* Short header to an unknown 18-byte CID. */
  uint8_t sh[64] = {0x40};
  for (size_t i = 1; i < sizeof(sh); i++) sh[i] = (uint8_t)i;
  const uint8_t *shp[] = {sh};
  size_t shl[] = {sizeof(sh)};
  write_chunks("fuzz_server_datagram", "short-header", &raw_mode, 1, shp, shl, 1);
}

/* HEADERS frames with QPACK field sections using the static table only (RFC 9204 Appendix A):
 * 0xd1 :method GET, 0xd7 :scheme https, 0xc1 :path /, 0x50 :authority with a literal value. */
static void h3_seeds(void) {
  static const uint8_t get[] = {0x01, 0x10, 0x00, 0x00, 0xd1, 0xd7, 0xc1, 0x50, 0x09,
                                'l',  'o',  'c',  'a',  'l',  'h',  'o',  's',  't'};
  static const uint8_t post[] = {0x01, 0x10, 0x00, 0x00, 0xd4, 0xd7, 0xc1, 0x50, 0x09, 'l', 'o',
                                 'c', 'a', 'l', 'h', 'o', 's', 't', 0x00, 0x05, 'h', 'e', 'l',
                                 'l', 'o'};
  /* GET with a literal field name "x-a: b" and trailers after a DATA frame. */
  static const uint8_t fields[] = {0x01, 0x14, 0x00, 0x00, 0xd1, 0xd7, 0xc1, 0x50, 0x09, 'l',
                                   'o',  'c',  'a',  'l',  'h',  'o',  's',  't',  0x23, 'x',
                                   '-',  'a',  0x01, 'b',  0x00, 0x01, 'z',  0x01, 0x06, 0x00,
                                   0x00, 0x23, 'x',  '-',  't',  0x00};
  /* Byte 0 of the h3 target selects bidi (even) or a uni stream (odd). */
  static const uint8_t bidi = 0, uni = 1;
  const uint8_t *p[] = {get};
  size_t l[] = {sizeof(get)};
  write_chunks("fuzz_h3_request", "get", &bidi, 1, p, l, 1);
  p[0] = post, l[0] = sizeof(post);
  write_chunks("fuzz_h3_request", "post", &bidi, 1, p, l, 1);
  p[0] = fields, l[0] = sizeof(fields);
  write_chunks("fuzz_h3_request", "fields-trailers", &bidi, 1, p, l, 1);
  /* A QPACK encoder stream (type 0x02) setting capacity 220 and inserting "x-a: b". */
  static const uint8_t enc[] = {0x02, 0x3f, 0xbd, 0x01, 0x43, 'x', '-', 'a', 0x01, 'b'};
  p[0] = enc, l[0] = sizeof(enc);
  write_chunks("fuzz_h3_request", "qpack-encoder-stream", &uni, 1, p, l, 1);
  /* A request sent in three pieces: each chunk is one stream write. */
  const uint8_t *parts[] = {get, get + 5, get + 11};
  size_t plens[] = {5, 6, sizeof(get) - 11};
  write_chunks("fuzz_h3_request", "get-in-pieces", &bidi, 1, parts, plens, 3);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: gen_seeds DIR\n");
    return 2;
  }
  out_dir = argv[1];
  mkdir(out_dir, 0755);
  datagram_seeds();
  h3_seeds();
  return 0;
}
