/*
 * test_forward.c — the upstream forwarder (src/dns/forward.c) against tiny UDP "upstreams" the
 * test drives by hand, so that each rule about which answer to believe can be broken on purpose:
 * a wrong ID, another question, a datagram from another port (all ignored: the right answer
 * that follows wins); garbage and SERVFAIL from an upstream that is ours (the next upstream is
 * asked); silence (timeout, bounded), a refused port (fails at once), and a cancelled forward
 * whose callback must never run. The ID restored for the client is checked too.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "forward.h"

static zquic_context *ctx;

typedef struct result {
  bool done;
  int status, calls;
  uint8_t answer[2048];
  size_t len;
} result;

static void on_done(int status, const uint8_t *answer, size_t len, void *user) {
  result *r = user;
  r->calls++;
  r->done = true;
  r->status = status;
  r->len = len < sizeof(r->answer) ? len : sizeof(r->answer);
  if (answer) memcpy(r->answer, answer, r->len);
}

/* A UDP socket on 127.0.0.1 playing an upstream; "127.0.0.1:PORT" in name. */
typedef struct fake {
  int fd;
  char name[32];
} fake;

static void fake_open(fake *f) {
  f->fd = socket(AF_INET, SOCK_DGRAM, 0);
  assert_true(f->fd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_int_equal(bind(f->fd, (struct sockaddr *)&a, sizeof(a)), 0);
  socklen_t al = sizeof(a);
  getsockname(f->fd, (struct sockaddr *)&a, &al);
  snprintf(f->name, sizeof(f->name), "127.0.0.1:%u", ntohs(a.sin_port));
  struct timeval tv = {3, 0};
  setsockopt(f->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* Receive the forwarder's query: its bytes and where it came from. */
static size_t fake_recv(fake *f, uint8_t *buf, size_t cap, struct sockaddr_in *from) {
  socklen_t fl = sizeof(*from);
  ssize_t n = recvfrom(f->fd, buf, cap, 0, (struct sockaddr *)from, &fl);
  assert_true(n >= 12);
  return (size_t)n;
}

/* An answer to `query` (wire): QR set, rcode, and one A record for `name` unless NULL. */
static size_t make_answer(const uint8_t *query, size_t qlen, const char *name, const char *addr,
                          int rcode, uint8_t *out, size_t cap) {
  ldns_pkt *p = NULL;
  assert_int_equal(ldns_wire2pkt(&p, query, qlen), LDNS_STATUS_OK);
  ldns_pkt_set_qr(p, true);
  ldns_pkt_set_rcode(p, (uint8_t)rcode);
  if (name) {
    char text[300];
    snprintf(text, sizeof(text), "%s 60 IN A %s", name, addr);
    ldns_rr *rr = NULL;
    assert_int_equal(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL), LDNS_STATUS_OK);
    ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
  }
  uint8_t *wire = NULL;
  size_t len = 0;
  assert_int_equal(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
  assert_true(len <= cap);
  memcpy(out, wire, len);
  free(wire);
  ldns_pkt_free(p);
  return len;
}

static void send_to(int fd, const void *buf, size_t len, const struct sockaddr_in *to) {
  assert_int_equal(sendto(fd, buf, len, 0, (const struct sockaddr *)to, sizeof(*to)), (ssize_t)len);
}

/* ---- driving the forwarder on its loop ---- */

typedef struct start_args {
  zq_dns_forwarder *fw;
  const char *name;
  uint16_t client_id;
  result *res;
  zq_dns_forward *f;
  int rc;
} start_args;

static int start_on_loop(void *arg) {
  start_args *a = arg;
  ldns_rdf *dname = ldns_dname_new_frm_str(a->name);
  ldns_pkt *p = ldns_pkt_query_new(dname, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, LDNS_RD);
  uint8_t *wire = NULL;
  size_t len = 0;
  ldns_pkt2wire(&wire, p, &len);
  ldns_pkt_free(p);
  zq_dns_query q;
  zq_dns_parse_query(wire, len, &q);
  free(wire);
  q.id = a->client_id; /* the client's ID that must come back */
  a->rc = zq_dns_forward_start(a->fw, &q, on_done, a->res, &a->f);
  zq_dns_query_clear(&q);
  return 0;
}

static zq_dns_forward *start(zq_dns_forwarder *fw, const char *name, uint16_t id, result *res) {
  start_args a = {fw, name, id, res, NULL, 0};
  bool taken = zq_ctx_enter(ctx);
  zq_ctx_call(ctx, start_on_loop, &a);
  zq_ctx_leave(ctx, taken);
  assert_int_equal(a.rc, ZQUIC_OK);
  return a.f;
}

static int cancel_on_loop(void *arg) {
  zq_dns_forward_cancel(arg);
  return 0;
}

/* Wait until the callback ran (true) or ms passed. */
static bool wait_done(result *r, int ms) {
  for (int i = 0; i < ms / 5; i++) {
    pthread_mutex_lock(&ctx->lock);
    bool done = r->done;
    pthread_mutex_unlock(&ctx->lock);
    if (done) return true;
    usleep(5000);
  }
  return false;
}

static zq_dns_forwarder_stats stats(zq_dns_forwarder *fw) {
  zq_dns_forwarder_stats st;
  pthread_mutex_lock(&ctx->lock);
  zq_dns_forwarder_stats_get(fw, &st);
  pthread_mutex_unlock(&ctx->lock);
  return st;
}

static uint64_t ms_now(void) { return zq_now_ns() / 1000000; }

/* ---- tests ---- */

static void test_spoofs_ignored(void **state) {
  (void)state;
  fake up, other;
  fake_open(&up);
  fake_open(&other);
  const char *ups[] = {up.name};
  zq_dns_forwarder *fw = NULL;
  assert_int_equal(zq_dns_forwarder_new(ctx, ups, 1, 2000, NULL, &fw), ZQUIC_OK);
  result res = {0};
  start(fw, "www.example.test.", 0x1234, &res);
  uint8_t q[1500], a[2048];
  struct sockaddr_in from;
  size_t qlen = fake_recv(&up, q, sizeof(q), &from);
  assert_int_equal(q[2] & 0x01, 0x01); /* RD */
  /* 1. the right question from the right place, but a wrong ID */
  size_t n = make_answer(q, qlen, "www.example.test.", "192.0.2.66", 0, a, sizeof(a));
  a[1] ^= 0x5a;
  send_to(up.fd, a, n, &from);
  /* 2. the right ID, another question */
  uint8_t q2[1500];
  memcpy(q2, q, qlen);
  q2[13] = 'x'; /* "www" -> "xww" */
  n = make_answer(q2, qlen, "xww.example.test.", "192.0.2.66", 0, a, sizeof(a));
  send_to(up.fd, a, n, &from);
  /* 3. all right, but from another port */
  n = make_answer(q, qlen, "www.example.test.", "192.0.2.66", 0, a, sizeof(a));
  send_to(other.fd, a, n, &from);
  /* 4. too short to be anything */
  send_to(up.fd, "\x12", 1, &from);
  usleep(100000);
  assert_false(res.done);
  /* 5. the real answer */
  n = make_answer(q, qlen, "www.example.test.", "192.0.2.99", 0, a, sizeof(a));
  send_to(up.fd, a, n, &from);
  assert_true(wait_done(&res, 2000));
  assert_int_equal(res.status, ZQ_DNS_FWD_OK);
  assert_int_equal(res.calls, 1);
  assert_int_equal(res.answer[0], 0x12); /* the client's ID is back */
  assert_int_equal(res.answer[1], 0x34);
  ldns_pkt *p = NULL;
  assert_int_equal(ldns_wire2pkt(&p, res.answer, res.len), LDNS_STATUS_OK);
  assert_int_equal(ldns_pkt_ancount(p), 1);
  char *text = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(p), 0), 0));
  assert_string_equal(text, "192.0.2.99");
  free(text);
  ldns_pkt_free(p);
  zq_dns_forwarder_stats st = stats(fw);
  assert_true(st.ignored >= 3); /* the wrong ID, question and the runt; the kernel drops (3) */
  assert_int_equal(st.answered, 1);
  zq_dns_forwarder_free(fw);
  close(up.fd);
  close(other.fd);
}

static void test_bad_answers_fail_over(void **state) {
  (void)state;
  fake garbage, servfail, good;
  fake_open(&garbage);
  fake_open(&servfail);
  fake_open(&good);
  const char *ups[] = {garbage.name, servfail.name, good.name};
  zq_dns_forwarder *fw = NULL;
  assert_int_equal(zq_dns_forwarder_new(ctx, ups, 3, 2000, NULL, &fw), ZQUIC_OK);
  result res = {0};
  start(fw, "a.example.test.", 0, &res);
  uint8_t q[1500], a[2048];
  struct sockaddr_in from;
  /* our ID and QR, then garbage: ours, unusable */
  size_t qlen = fake_recv(&garbage, q, sizeof(q), &from);
  memset(a, 0, sizeof(a));
  memcpy(a, q, 12);
  a[2] |= 0x80;
  a[5] = 9; /* nine questions that are not there */
  send_to(garbage.fd, a, 14, &from);
  qlen = fake_recv(&servfail, q, sizeof(q), &from);
  size_t n = make_answer(q, qlen, NULL, NULL, LDNS_RCODE_SERVFAIL, a, sizeof(a));
  send_to(servfail.fd, a, n, &from);
  qlen = fake_recv(&good, q, sizeof(q), &from);
  n = make_answer(q, qlen, NULL, NULL, LDNS_RCODE_NXDOMAIN, a, sizeof(a)); /* passed on */
  send_to(good.fd, a, n, &from);
  assert_true(wait_done(&res, 2000));
  assert_int_equal(res.status, ZQ_DNS_FWD_OK);
  assert_int_equal(res.answer[3] & 0x0f, LDNS_RCODE_NXDOMAIN);
  zq_dns_forwarder_stats st = stats(fw);
  assert_int_equal(st.bad_answers, 2);
  /* the next forward starts past the upstreams that failed */
  memset(&res, 0, sizeof(res));
  start(fw, "b.example.test.", 0, &res);
  qlen = fake_recv(&good, q, sizeof(q), &from);
  n = make_answer(q, qlen, "b.example.test.", "192.0.2.1", 0, a, sizeof(a));
  send_to(good.fd, a, n, &from);
  assert_true(wait_done(&res, 2000));
  assert_int_equal(res.status, ZQ_DNS_FWD_OK);
  zq_dns_forwarder_free(fw);
  close(garbage.fd);
  close(servfail.fd);
  close(good.fd);
}

static void test_silence_refusal_cancel(void **state) {
  (void)state;
  fake silent1, silent2, closed;
  fake_open(&silent1);
  fake_open(&silent2);
  fake_open(&closed);
  close(closed.fd); /* its port now refuses (ICMP port unreachable) */
  /* Silence: both upstreams get their 300 ms, then TIMEOUT. */
  const char *ups[] = {silent1.name, silent2.name};
  zq_dns_forwarder *fw = NULL;
  assert_int_equal(zq_dns_forwarder_new(ctx, ups, 2, 300, NULL, &fw), ZQUIC_OK);
  result res = {0};
  uint64_t t0 = ms_now();
  start(fw, "quiet.example.test.", 0, &res);
  assert_true(wait_done(&res, 3000));
  uint64_t took = ms_now() - t0;
  assert_int_equal(res.status, ZQ_DNS_FWD_TIMEOUT);
  assert_true(took >= 590 && took < 1200);
  /* Cancelled while waiting: the callback never runs. */
  memset(&res, 0, sizeof(res));
  zq_dns_forward *f = start(fw, "gone.example.test.", 0, &res);
  bool taken = zq_ctx_enter(ctx);
  zq_ctx_call(ctx, cancel_on_loop, f);
  zq_ctx_leave(ctx, taken);
  assert_false(wait_done(&res, 800));
  assert_int_equal(res.calls, 0);
  /* Freed with a forward in flight: no callback either, handles close. */
  start(fw, "late.example.test.", 0, &res);
  zq_dns_forwarder_free(fw);
  usleep(100000);
  assert_int_equal(res.calls, 0);
  /* A refused port fails at once, not at the deadline. */
  const char *dead[] = {closed.name};
  assert_int_equal(zq_dns_forwarder_new(ctx, dead, 1, 2000, NULL, &fw), ZQUIC_OK);
  memset(&res, 0, sizeof(res));
  t0 = ms_now();
  start(fw, "refused.example.test.", 0, &res);
  assert_true(wait_done(&res, 3000));
  assert_int_equal(res.status, ZQ_DNS_FWD_NETWORK);
  assert_true(ms_now() - t0 < 1000);
  zq_dns_forwarder_free(fw);
  close(silent1.fd);
  close(silent2.fd);
}

static void test_upstream_syntax(void **state) {
  (void)state;
  static const char *good[] = {"127.0.0.1", "127.0.0.1:5353", "::1", "[::1]", "[::1]:53",
                               "doq://127.0.0.1", "doq://127.0.0.1:8853", "doq://[::1]:853",
                               "quic://127.0.0.1#dns.example", "doq://[::1]#a-b.example"};
  static const char *bad[] = {"", "localhost", "dns.example:53", "127.0.0.1:0", "127.0.0.1:x",
                              "[::1", "doq://", "doq://localhost", "doq://dns.example:853",
                              "doq://127.0.0.1:0", "doq://127.0.0.1#", "doq://127.0.0.1#a..b",
                              "doq://127.0.0.1#bad_name!", "tls://127.0.0.1"};
  for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    zq_dns_forwarder *fw = NULL;
    assert_int_equal(zq_dns_forwarder_new(ctx, &good[i], 1, 0, NULL, &fw), ZQUIC_OK);
    zq_dns_forwarder_free(fw);
  }
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    zq_dns_forwarder *fw = NULL;
    assert_int_equal(zq_dns_forwarder_new(ctx, &bad[i], 1, 0, NULL, &fw), ZQUIC_ERR_INVALID_ARGUMENT);
    assert_null(fw);
  }
  zq_dns_forwarder *fw = NULL;
  assert_int_equal(zq_dns_forwarder_new(ctx, good, 0, 0, NULL, &fw), ZQUIC_ERR_INVALID_ARGUMENT);
}

static int setup(void **state) {
  (void)state;
  return zquic_init(NULL, &ctx) == ZQUIC_OK ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  zquic_destroy(ctx);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_upstream_syntax),
    cmocka_unit_test(test_spoofs_ignored),
    cmocka_unit_test(test_bad_answers_fail_over),
    cmocka_unit_test(test_silence_refusal_cancel),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
