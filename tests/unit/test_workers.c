/*
 * test_workers.c — a server on several loop threads (zquic_server_config.workers): 40 clients'
 * HTTP/3 requests all answered and spread over both workers; a client whose port changes under it
 * (a relay in this file rebinds its upstream socket) keeps its connection, steered by the BPF
 * program, and still keeps it when the program is detached (the packet is forwarded between
 * workers); graceful shutdown drains requests in flight on every worker; raw connections reach
 * zquic_server_accept and the context's event queue from both workers. Links the static library
 * to look at each worker.
 */
#include "test_helpers.h"

#include <poll.h>
#include <stdatomic.h>
#include <unistd.h>

#include "internal.h"

#ifndef SO_DETACH_REUSEPORT_BPF
#define SO_DETACH_REUSEPORT_BPF 68
#endif

static atomic_int requests_seen;

static void *answer_later(void *arg) {
  usleep(300000);
  zquic_h3_respond_bytes(arg, 200, NULL, 0, "late", 4);
  return NULL;
}

/* "/peer": the client's address as the server sees it now; "/slow": answered 300 ms later from
 * another thread; anything else: the path back. */
static void on_request(zquic_h3_exchange *ex, void *user) {
  (void)user;
  const char *path = zquic_h3_exchange_path(ex);
  atomic_fetch_add(&requests_seen, 1);
  if (strcmp(path, "/peer") == 0) {
    const char *peer = zquic_h3_exchange_peer(ex);
    zquic_h3_respond_bytes(ex, 200, NULL, 0, peer, strlen(peer));
  } else if (strcmp(path, "/slow") == 0) {
    pthread_t t;
    pthread_create(&t, NULL, answer_later, ex);
    pthread_detach(t);
  } else {
    zquic_h3_respond_bytes(ex, 200, NULL, 0, path, strlen(path));
  }
}

typedef struct test_server {
  zquic_context *ctx;
  zquic_server *srv;
  int port;
} test_server;

static void server_start(test_server *ts, const char *alpn, int event_queue) {
  zquic_config cfg;
  zquic_config_init(&cfg);
  cfg.cert_file = cert_path("server-chain.pem");
  cfg.key_file = cert_path("server.key");
  cfg.alpn = alpn;
  cfg.event_queue = event_queue;
  ASSERT_OK(zquic_init(&cfg, &ts->ctx));
  zquic_h3_handler_config h3;
  zquic_h3_handler_config_init(&h3);
  h3.on_request = on_request;
  zquic_server_config sc;
  zquic_server_config_init(&sc);
  sc.listen = "127.0.0.1:0";
  sc.workers = 2;
  if (strcmp(alpn, "h3") == 0) sc.h3 = &h3;
  ASSERT_OK(zquic_create_server(ts->ctx, &sc, &ts->srv));
  ts->port = zquic_server_port(ts->srv);
  assert_true(ts->port > 0);
  bool steered;
  uint64_t forwarded;
  zq_workers_stats(ts->srv, &steered, &forwarded);
  assert_true(steered); /* Linux >= 4.5 runs the program; the tests below rely on it */
}

static void server_stop(test_server *ts) {
  zquic_server_free(ts->srv);
  zquic_destroy(ts->ctx);
}

static size_t worker_connections(test_server *ts, unsigned worker) {
  zquic_server *m = zq_server_member(ts->srv, worker);
  pthread_mutex_lock(&m->ctx->lock);
  size_t n = m->n_connections;
  pthread_mutex_unlock(&m->ctx->lock);
  return n;
}

static uint64_t forwarded(test_server *ts) {
  bool steered;
  uint64_t n;
  zq_workers_stats(ts->srv, &steered, &n);
  return n;
}

static zquic_context *client(const char *alpn) {
  zquic_config cfg;
  zquic_config_init(&cfg);
  cfg.ca_file = cert_path("ca.pem");
  cfg.alpn = alpn;
  cfg.connection_timeout_ms = 5000;
  zquic_context *ctx = NULL;
  ASSERT_OK(zquic_init(&cfg, &ctx));
  return ctx;
}

/* GET `path`; the body (NUL-terminated) into `body`. */
static void get(zquic_connection *conn, const char *path, char *body, size_t cap) {
  zquic_h3_request *req = NULL;
  ASSERT_OK(zquic_h3_request_start(conn, "GET", path, NULL, NULL, 0, 1, &req));
  int status = 0;
  ASSERT_OK(zquic_h3_response_wait(req, 5000, &status));
  assert_int_equal(status, 200);
  size_t len = 0, n = 0;
  do {
    ASSERT_OK(zquic_h3_response_read(req, body + len, cap - 1 - len, 5000, &n));
    len += n;
  } while (n > 0 && len < cap - 1);
  body[len] = '\0';
  zquic_h3_request_free(req);
}

#define CLIENTS 40

static void test_forty_clients(void **state) {
  (void)state;
  test_server ts;
  server_start(&ts, "h3", 0);
  zquic_context *cctx = client("h3");
  char addr[64], path[64], body[256];
  snprintf(addr, sizeof(addr), "localhost:%d", ts.port);
  zquic_connection *conns[CLIENTS];
  for (int i = 0; i < CLIENTS; i++) ASSERT_OK(zquic_create_connection(cctx, addr, &conns[i]));
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < CLIENTS; i++) {
      snprintf(path, sizeof(path), "/client/%d/%d", i, round);
      get(conns[i], path, body, sizeof(body));
      assert_string_equal(body, path);
    }
  }
  /* The kernel's hash spread 40 client ports over both workers (all on one: p = 2^-39). */
  size_t w0 = worker_connections(&ts, 0), w1 = worker_connections(&ts, 1);
  printf("  connections per worker: %zu + %zu\n", w0, w1);
  assert_int_equal(w0 + w1, CLIENTS);
  assert_true(w0 > 0 && w1 > 0);
  assert_int_equal(zquic_server_connection_count(ts.srv), CLIENTS);
  /* Every short-header packet reached its owner directly: the program's socket index is the
   * worker's number, so nothing needed forwarding. */
  assert_int_equal(forwarded(&ts), 0);
  for (int i = 0; i < CLIENTS; i++) zquic_close_connection(conns[i]);
  zquic_destroy(cctx);
  server_stop(&ts);
}

/* ---- a NAT in a thread: a relay whose upstream socket (the source port the server sees) can be
 * replaced mid-connection ---- */

typedef struct relay {
  int front, back, port;
  struct sockaddr_in server, client;
  socklen_t client_len;
  atomic_int rebind, stop;
  pthread_t thread;
} relay;

static int udp_socket(uint16_t port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  return fd;
}

static void *relay_main(void *arg) {
  relay *r = arg;
  static _Thread_local uint8_t buf[65536];
  while (!atomic_load(&r->stop)) {
    if (atomic_load(&r->rebind)) {
      close(r->back);
      r->back = udp_socket(0);
      atomic_store(&r->rebind, 0);
    }
    struct pollfd p[2] = {{.fd = r->front, .events = POLLIN}, {.fd = r->back, .events = POLLIN}};
    if (poll(p, 2, 20) <= 0) continue;
    if (p[0].revents & POLLIN) {
      r->client_len = sizeof(r->client);
      ssize_t n = recvfrom(r->front, buf, sizeof(buf), 0, (struct sockaddr *)&r->client, &r->client_len);
      if (n > 0) sendto(r->back, buf, (size_t)n, 0, (struct sockaddr *)&r->server, sizeof(r->server));
    }
    if (p[1].revents & POLLIN) {
      ssize_t n = recv(r->back, buf, sizeof(buf), 0);
      if (n > 0 && r->client_len)
        sendto(r->front, buf, (size_t)n, 0, (struct sockaddr *)&r->client, r->client_len);
    }
  }
  close(r->front);
  close(r->back);
  return NULL;
}

static void relay_start(relay *r, int server_port) {
  memset(r, 0, sizeof(*r));
  r->front = udp_socket(0);
  r->back = udp_socket(0);
  struct sockaddr_in sa;
  socklen_t len = sizeof(sa);
  getsockname(r->front, (struct sockaddr *)&sa, &len);
  r->port = ntohs(sa.sin_port);
  r->server.sin_family = AF_INET;
  r->server.sin_port = htons((uint16_t)server_port);
  r->server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  pthread_create(&r->thread, NULL, relay_main, r);
}

static void relay_rebind(relay *r) {
  atomic_store(&r->rebind, 1);
  while (atomic_load(&r->rebind)) usleep(1000);
}

static void relay_stop(relay *r) {
  atomic_store(&r->stop, 1);
  pthread_join(r->thread, NULL);
}

/* Requests across `rebinds` port changes. ngtcp2 moves to the new path after handling the
 * frames of the packet that revealed it, so the first request after a change may still be
 * attributed to the old address; the second must name the new one. */
static void requests_across_rebinds(test_server *ts, int rebinds, bool until_forwarded) {
  relay r;
  relay_start(&r, ts->port);
  zquic_context *cctx = client("h3");
  char addr[64], before[256], after[256];
  snprintf(addr, sizeof(addr), "localhost:%d", r.port);
  zquic_connection *conn = NULL;
  ASSERT_OK(zquic_create_connection(cctx, addr, &conn));
  get(conn, "/peer", before, sizeof(before));
  for (int i = 0; i < rebinds; i++) {
    relay_rebind(&r);
    get(conn, "/peer", after, sizeof(after));
    get(conn, "/peer", after, sizeof(after));
    assert_string_not_equal(before, after); /* the server follows the client to its new port */
    memcpy(before, after, sizeof(before));
    if (until_forwarded && forwarded(ts) > 0) break;
  }
  zquic_close_connection(conn);
  zquic_destroy(cctx);
  relay_stop(&r);
}

static void test_rebinding_steered(void **state) {
  (void)state;
  test_server ts;
  server_start(&ts, "h3", 0);
  /* Each new port hashes to either socket; the program sends every packet to the owner. */
  requests_across_rebinds(&ts, 6, false);
  assert_int_equal(forwarded(&ts), 0);
  server_stop(&ts);
}

static void test_rebinding_unsteered(void **state) {
  (void)state;
  test_server ts;
  server_start(&ts, "h3", 0);
  /* As on a kernel without SO_ATTACH_REUSEPORT_CBPF: the 4-tuple hash alone picks the socket,
   * so some new port lands on the other worker, which forwards instead of resetting. */
  int zero = 0;
  assert_int_equal(setsockopt(ts.srv->ep.fd, SOL_SOCKET, SO_DETACH_REUSEPORT_BPF, &zero,
                              sizeof(zero)), 0);
  requests_across_rebinds(&ts, 24, true); /* no forward in 24 rebinds: p = 2^-24 */
  printf("  packets forwarded between workers: %llu\n", (unsigned long long)forwarded(&ts));
  assert_true(forwarded(&ts) > 0);
  server_stop(&ts);
}

#define SLOW_CLIENTS 16

static void test_shutdown_drains_every_worker(void **state) {
  (void)state;
  test_server ts;
  server_start(&ts, "h3", 0);
  zquic_context *cctx = client("h3");
  char addr[64];
  snprintf(addr, sizeof(addr), "localhost:%d", ts.port);
  zquic_connection *conns[SLOW_CLIENTS];
  zquic_h3_request *reqs[SLOW_CLIENTS];
  atomic_store(&requests_seen, 0);
  for (int i = 0; i < SLOW_CLIENTS; i++) {
    ASSERT_OK(zquic_create_connection(cctx, addr, &conns[i]));
    ASSERT_OK(zquic_h3_request_start(conns[i], "GET", "/slow", NULL, NULL, 0, 1, &reqs[i]));
  }
  for (int i = 0; i < 500 && atomic_load(&requests_seen) < SLOW_CLIENTS; i++) usleep(10000);
  assert_int_equal(atomic_load(&requests_seen), SLOW_CLIENTS);
  assert_true(worker_connections(&ts, 0) > 0 && worker_connections(&ts, 1) > 0);
  ASSERT_OK(zquic_server_shutdown(ts.srv, 5000)); /* every answer came within the drain time */
  for (int i = 0; i < SLOW_CLIENTS; i++) {
    int status = 0;
    ASSERT_OK(zquic_h3_response_wait(reqs[i], 5000, &status));
    assert_int_equal(status, 200);
    char body[8];
    size_t n = 0;
    ASSERT_OK(zquic_h3_response_read(reqs[i], body, sizeof(body), 5000, &n));
    assert_int_equal(n, 4);
    assert_memory_equal(body, "late", 4);
    zquic_h3_request_free(reqs[i]);
  }
  assert_int_equal(zquic_server_connection_count(ts.srv), 0);
  assert_int_equal(worker_connections(&ts, 0) + worker_connections(&ts, 1), 0);
  /* A stopped server refuses newcomers on every worker. */
  zquic_connection *late = NULL;
  assert_int_not_equal(zquic_create_connection(cctx, addr, &late), ZQUIC_OK);
  for (int i = 0; i < SLOW_CLIENTS; i++) zquic_close_connection(conns[i]);
  zquic_destroy(cctx);
  server_stop(&ts);
}

#define RAW_CLIENTS 12

static void test_raw_accept_and_events(void **state) {
  (void)state;
  test_server ts;
  server_start(&ts, "zq-test", 1);
  zquic_context *cctx = client("zq-test");
  char addr[64];
  snprintf(addr, sizeof(addr), "localhost:%d", ts.port);
  zquic_connection *clients[RAW_CLIENTS], *accepted[RAW_CLIENTS];
  for (int i = 0; i < RAW_CLIENTS; i++) {
    ASSERT_OK(zquic_create_connection(cctx, addr, &clients[i]));
    ASSERT_OK(zquic_send_data(clients[i], "ping", 4, 1000));
  }
  bool on_worker[2] = {false, false};
  for (int i = 0; i < RAW_CLIENTS; i++) {
    ASSERT_OK(zquic_server_accept(ts.srv, 5000, &accepted[i]));
    for (unsigned w = 0; w < 2; w++)
      if (accepted[i]->ctx == zq_server_member(ts.srv, w)->ctx) on_worker[w] = true;
    char buf[8];
    size_t n = 0;
    ASSERT_OK(zquic_receive_data(accepted[i], buf, sizeof(buf), 5000, &n));
    assert_int_equal(n, 4);
    ASSERT_OK(zquic_send_data(accepted[i], "pong", 4, 1000));
  }
  assert_true(on_worker[0] && on_worker[1]);
  assert_int_equal(zquic_server_accept(ts.srv, 0, &accepted[0]), ZQUIC_ERR_TIMEOUT);
  for (int i = 0; i < RAW_CLIENTS; i++) {
    char buf[8];
    size_t n = 0;
    ASSERT_OK(zquic_receive_data(clients[i], buf, sizeof(buf), 5000, &n));
    assert_memory_equal(buf, "pong", 4);
  }
  /* Events of both workers arrive on the context the user made, naming the handle they hold. */
  zquic_event ev[64];
  size_t count = 0;
  int accept_ready = 0;
  ASSERT_OK(zquic_poll_events(ts.ctx, ev, 64, &count));
  for (size_t i = 0; i < count; i++) {
    if (ev[i].type == ZQUIC_EVENT_ACCEPT_READY) {
      accept_ready++;
      assert_ptr_equal(ev[i].server, ts.srv);
    }
  }
  assert_true(accept_ready > 0);
  /* Closing from the client ends the connections on both workers. */
  for (int i = 0; i < RAW_CLIENTS; i++) zquic_close_connection(clients[i]);
  for (int i = 0; i < 300 && zquic_server_connection_count(ts.srv) > 0; i++) usleep(10000);
  assert_int_equal(zquic_server_connection_count(ts.srv), 0);
  for (int i = 0; i < RAW_CLIENTS; i++) zquic_close_connection(accepted[i]);
  zquic_destroy(cctx);
  server_stop(&ts);
}

static void test_bad_worker_count(void **state) {
  (void)state;
  zquic_config cfg;
  zquic_config_init(&cfg);
  cfg.cert_file = cert_path("server-chain.pem");
  cfg.key_file = cert_path("server.key");
  zquic_context *ctx = NULL;
  ASSERT_OK(zquic_init(&cfg, &ctx));
  zquic_server_config sc;
  zquic_server_config_init(&sc);
  sc.listen = "127.0.0.1:0";
  sc.workers = 65;
  zquic_server *srv = NULL;
  assert_int_equal(zquic_create_server(ctx, &sc, &srv), ZQUIC_ERR_INVALID_ARGUMENT);
  /* A port somebody holds stays "in use" even though workers bind with SO_REUSEPORT. */
  sc.workers = 2;
  ASSERT_OK(zquic_create_server(ctx, &sc, &srv));
  char listen[64];
  snprintf(listen, sizeof(listen), "127.0.0.1:%d", zquic_server_port(srv));
  sc.listen = listen;
  zquic_server *second = NULL;
  assert_int_equal(zquic_create_server(ctx, &sc, &second), ZQUIC_ERR_SOCKET);
  /* Left for zquic_destroy to free, as a careless caller would. */
  zquic_destroy(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_forty_clients),
    cmocka_unit_test(test_rebinding_steered),
    cmocka_unit_test(test_rebinding_unsteered),
    cmocka_unit_test(test_shutdown_drains_every_worker),
    cmocka_unit_test(test_raw_accept_and_events),
    cmocka_unit_test(test_bad_worker_count),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
