/*
 * test_malformed.c — bad datagrams from a plain UDP socket against a live server: empty, random,
 * oversize, truncated and corrupted Initials, unknown versions (which must get a Version
 * Negotiation reply) and a well-protected ClientHello that lacks QUIC transport parameters.
 * After each barrage the server must still serve: a connection opened before it keeps echoing
 * and a new client connects and exchanges data.
 */
#include "test_helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include "quic_initial.h"

static echo_server es;
static zquic_context *cctx;
static zquic_connection *before; /* opened before any garbage arrives */
static int udp_fd = -1;
static struct sockaddr_in server_addr;

static int setup(void **state) {
  (void)state;
  if (echo_server_start(&es, NULL) != ZQUIC_OK) {
    fprintf(stderr, "server: %s\n", zquic_last_error());
    return -1;
  }
  if (!(cctx = client_context())) return -1;
  if (zquic_create_connection(cctx, es.address, &before) != ZQUIC_OK) {
    fprintf(stderr, "first connection: %s\n", zquic_last_error());
    return -1;
  }
  udp_fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in any = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (udp_fd < 0 || bind(udp_fd, (struct sockaddr *)&any, sizeof(any)) != 0) return -1;
  server_addr = (struct sockaddr_in){.sin_family = AF_INET,
                                     .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                                     .sin_port = htons((uint16_t)zquic_server_port(es.server))};
  return 0;
}

static int teardown(void **state) {
  (void)state;
  zquic_close_connection(before);
  zquic_destroy(cctx);
  echo_server_stop(&es);
  close(udp_fd);
  return 0;
}

static void send_raw(const void *data, size_t len) {
  ssize_t n = sendto(udp_fd, data, len, 0, (struct sockaddr *)&server_addr, sizeof(server_addr));
  if (n != (ssize_t)len) fail_msg("sendto %zu bytes: %s", len, strerror(errno));
}

/* Next datagram the server sent to udp_fd within timeout_ms, or -1. */
static ssize_t recv_reply(uint8_t *buf, size_t cap, int timeout_ms) {
  struct pollfd pfd = {udp_fd, POLLIN, 0};
  if (poll(&pfd, 1, timeout_ms) != 1) return -1;
  return recv(udp_fd, buf, cap, 0);
}

static void drain_replies(void) {
  uint8_t buf[2048];
  while (recv(udp_fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0) {
  }
}

static void echo_once(zquic_connection *conn, const char *text) {
  zquic_stream *s = NULL;
  ASSERT_OK(zquic_stream_open(conn, ZQUIC_STREAM_BIDI, 2000, &s));
  size_t len = strlen(text);
  ASSERT_OK(zquic_stream_send(s, text, len, 1, 2000, NULL));
  char buf[256];
  size_t got = 0;
  for (;;) {
    size_t n = 0;
    ASSERT_OK(zquic_stream_receive(s, buf + got, sizeof(buf) - got, 5000, &n));
    if (n == 0) break;
    got += n;
  }
  assert_int_equal(got, len);
  assert_memory_equal(buf, text, len);
  zquic_close_stream(s);
}

/* The server still works for the connection it had and for a brand-new one. */
static void assert_server_serves(void) {
  echo_once(before, "still here");
  zquic_connection *fresh = NULL;
  ASSERT_OK(zquic_create_connection(cctx, es.address, &fresh));
  echo_once(fresh, "new connection");
  zquic_close_connection(fresh);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint8_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint8_t)rng_state;
}

struct capture_job {
  char address[64];
};

static void *connect_to_silence(void *arg) {
  struct capture_job *job = arg;
  zquic_connect_options opts;
  zquic_connect_options_init(&opts);
  opts.timeout_ms = 500;
  zquic_connection *conn = NULL;
  if (zquic_create_connection_ex(cctx, job->address, &opts, &conn) == ZQUIC_OK)
    zquic_close_connection(conn);
  return NULL;
}

/* A genuine zquic client Initial: the client talks to a socket that never answers. */
static size_t capture_client_initial(uint8_t *out, size_t cap) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t sl = sizeof(sin);
  assert_true(fd >= 0);
  assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
  struct capture_job job;
  snprintf(job.address, sizeof(job.address), "127.0.0.1:%u", ntohs(sin.sin_port));
  pthread_t t;
  pthread_create(&t, NULL, connect_to_silence, &job);
  struct pollfd pfd = {fd, POLLIN, 0};
  ssize_t n = poll(&pfd, 1, 3000) == 1 ? recv(fd, out, cap, 0) : -1;
  pthread_join(t, NULL);
  close(fd);
  assert_true(n >= ZQ_FUZZ_MIN_INITIAL);
  return (size_t)n;
}

static void test_zero_length_datagrams(void **state) {
  (void)state;
  /* Each of these used to abort the whole process inside ngtcp2 (an assertion on datalen). */
  for (int i = 0; i < 3; i++) send_raw("", 0);
  assert_server_serves();
}

static void test_random_and_oversize_datagrams(void **state) {
  (void)state;
  static uint8_t buf[65507]; /* the largest UDP payload over IPv4 */
  static const size_t sizes[] = {1, 2, 5, 7, 20, 21, 64, 100, 1199, 1200, 1252, 1500, 9000, 65507};
  for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
    for (int shape = 0; shape < 3; shape++) {
      for (size_t j = 0; j < sizes[i]; j++) buf[j] = rnd();
      if (shape == 1) buf[0] = 0xc0 | (buf[0] & 0x3f);                 /* long header */
      if (shape == 2) buf[0] = 0x40 | (buf[0] & 0x3f);                 /* short header */
      if (shape == 1 && sizes[i] >= 6) memcpy(buf + 1, "\0\0\0\1", 4); /* ... QUIC v1 */
      send_raw(buf, sizes[i]);
    }
  }
  /* Long headers with impossible connection ID lengths (over 20) and a zero-length DCID. */
  uint8_t bad_cid[1200] = {0xc0, 0, 0, 0, 1, 21};
  send_raw(bad_cid, sizeof(bad_cid));
  bad_cid[5] = 255;
  send_raw(bad_cid, sizeof(bad_cid));
  bad_cid[5] = 0;
  send_raw(bad_cid, sizeof(bad_cid));
  drain_replies();
  assert_server_serves();
}

static void test_truncated_and_corrupted_initials(void **state) {
  (void)state;
  static uint8_t initial[65536], copy[65536];
  size_t len = capture_client_initial(initial, sizeof(initial));
  static const size_t cuts[] = {1, 5, 6, 7, 20, 40, 47, 48, 100, 600, 1199};
  for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]) && cuts[i] < len; i++)
    send_raw(initial, cuts[i]);
  send_raw(initial, len - 1);
  /* Corrupt one byte in the header, in the packet number, in the protected payload, in the tag. */
  static const size_t spots[] = {0, 5, 6, 30, 44, 200, 1000};
  for (size_t i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
    memcpy(copy, initial, len);
    copy[spots[i]] ^= 0x5a;
    send_raw(copy, len);
  }
  memcpy(copy, initial, len);
  copy[len - 1] ^= 1;
  send_raw(copy, len);
  drain_replies();
  assert_server_serves();
}

static void test_unknown_version_gets_version_negotiation(void **state) {
  (void)state;
  drain_replies();
  uint8_t pkt[1200] = {0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 8, 'd', 'c', 'i', 'd', '0', '0', '0', '1', 8,
                       's', 'c', 'i', 'd', '0', '0', '0', '2'};
  send_raw(pkt, sizeof(pkt));
  uint8_t reply[1500];
  ssize_t n = recv_reply(reply, sizeof(reply), 3000);
  if (n < 0) fail_msg("no Version Negotiation reply");
  /* RFC 9000 17.2.1: long header, version 0, the CIDs echoed crosswise, then versions. */
  assert_true(n >= 7 + 8 + 8 + 4);
  assert_true(reply[0] & 0x80);
  assert_memory_equal(reply + 1, "\0\0\0\0", 4);
  assert_int_equal(reply[5], 8);
  assert_memory_equal(reply + 6, "scid0002", 8);
  assert_int_equal(reply[14], 8);
  assert_memory_equal(reply + 15, "dcid0001", 8);
  bool has_v1 = false;
  for (ssize_t off = 23; off + 4 <= n; off += 4)
    if (memcmp(reply + off, "\0\0\0\1", 4) == 0) has_v1 = true;
  assert_true(has_v1);
  assert_server_serves();
}

/* Find the quic_transport_parameters extension (type 0x39) of the ClientHello in the CRYPTO
 * frame at the start of `frames`; returns its offset or 0. */
static size_t find_transport_parameters(const uint8_t *frames, size_t len) {
  /* CRYPTO frame: type 0x06, offset 0 (one byte), a 2-byte length varint, then the message. */
  if (len < 4 || frames[0] != 0x06 || frames[1] != 0x00 || (frames[2] & 0xc0) != 0x40) return 0;
  size_t p = 4 + 4 + 2 + 32; /* handshake header, legacy_version, random */
  if (p >= len) return 0;
  p += 1 + frames[p];                                            /* session id */
  if (p + 2 > len) return 0;
  p += 2 + (((size_t)frames[p] << 8) | frames[p + 1]);           /* cipher suites */
  if (p >= len) return 0;
  p += 1 + frames[p];                                            /* compression methods */
  if (p + 2 > len) return 0;
  size_t end = p + 2 + (((size_t)frames[p] << 8) | frames[p + 1]);
  for (p += 2; p + 4 <= end && p + 4 <= len;) {
    size_t type = ((size_t)frames[p] << 8) | frames[p + 1];
    if (type == 0x39) return p;
    p += 4 + (((size_t)frames[p + 2] << 8) | frames[p + 3]);
  }
  return 0;
}

static void test_client_hello_without_transport_parameters(void **state) {
  (void)state;
  static uint8_t initial[65536], frames[65536], sealed[65536];
  size_t len = capture_client_initial(initial, sizeof(initial));
  uint8_t dcid[20], scid[20];
  size_t frameslen, dcidlen, scidlen;
  assert_int_equal(zq_fuzz_open_initial(initial, len, frames, sizeof(frames), &frameslen, dcid,
                                        &dcidlen, scid, &scidlen),
                   0);
  size_t ext = find_transport_parameters(frames, frameslen);
  assert_true(ext > 0);
  /* Rename the extension to an unknown type: a well-formed ClientHello without QUIC transport
   * parameters. This used to bring the server process down (ngtcp2 assertion). */
  frames[ext] = 0x4a;
  frames[ext + 1] = 0x4a;
  size_t n = zq_fuzz_seal_initial(dcid, dcidlen, scid, scidlen, 0, frames, frameslen, sealed,
                                  sizeof(sealed));
  assert_true(n >= ZQ_FUZZ_MIN_INITIAL);
  drain_replies();
  send_raw(sealed, n);
  /* The server refuses (CONNECTION_CLOSE in an Initial packet) instead of crashing. */
  uint8_t reply[1500];
  ssize_t r = recv_reply(reply, sizeof(reply), 3000);
  if (r < 0) fail_msg("no reply to a ClientHello without transport parameters");
  assert_int_equal(reply[0] & 0xf0, 0xc0); /* long header, Initial */
  assert_server_serves();
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_zero_length_datagrams),
    cmocka_unit_test(test_random_and_oversize_datagrams),
    cmocka_unit_test(test_truncated_and_corrupted_initials),
    cmocka_unit_test(test_unknown_version_gets_version_negotiation),
    cmocka_unit_test(test_client_hello_without_transport_parameters),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
