/*
 * test_proxy_h1_scripted.c — the HTTP/1.1 backend pool against backends the test scripts byte by
 * byte: a thread with a listening socket on 127.0.0.1 that runs a script function for each
 * connection it accepts, and records every byte the pool sent it. Each script breaks one rule
 * on purpose (garbage, a header section too large, silence, a close in the middle of a body, a
 * keep-alive connection closed under the pool's feet...), so that each failure path is seen to
 * end in the documented error, and each success path to deliver exactly what was sent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_proxy_h1.h"

/* ---- the scripted backend ---- */

typedef struct backend backend;
/* Serve one accepted connection (index: 0 for the first accepted). The thread closes fd after. */
typedef void (*backend_script)(backend *b, int fd, int index);

struct backend {
  int listen_fd;
  char address[32];
  pthread_t thread;
  backend_script script;
  atomic_int accepted;
  atomic_bool stop;
  atomic_bool saw_eof;       /* a script saw the pool close its connection */
  pthread_mutex_t mu;
  uint8_t *received;         /* every request byte read by read_request, in order */
  size_t received_len, received_cap;
};

static void *backend_main(void *arg) {
  backend *b = arg;
  while (!atomic_load(&b->stop)) {
    struct pollfd pfd = {b->listen_fd, POLLIN, 0};
    if (poll(&pfd, 1, 20) <= 0) continue;
    int fd = accept(b->listen_fd, NULL, NULL);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    int index = atomic_fetch_add(&b->accepted, 1);
    b->script(b, fd, index);
    close(fd);
  }
  return NULL;
}

static void backend_start(backend *b, backend_script script) {
  memset(b, 0, sizeof(*b));
  b->script = script;
  pthread_mutex_init(&b->mu, NULL);
  b->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(b->listen_fd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_int_equal(bind(b->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
  assert_int_equal(listen(b->listen_fd, 16), 0);
  socklen_t len = sizeof(a);
  getsockname(b->listen_fd, (struct sockaddr *)&a, &len);
  snprintf(b->address, sizeof(b->address), "127.0.0.1:%u", ntohs(a.sin_port));
  assert_int_equal(pthread_create(&b->thread, NULL, backend_main, b), 0);
}

static void backend_stop(backend *b) {
  atomic_store(&b->stop, true);
  pthread_join(b->thread, NULL);
  close(b->listen_fd);
  free(b->received);
  pthread_mutex_destroy(&b->mu);
}

static void record(backend *b, const uint8_t *data, size_t len) {
  pthread_mutex_lock(&b->mu);
  if (b->received_len + len > b->received_cap) {
    size_t cap = b->received_cap ? b->received_cap : 4096;
    while (cap < b->received_len + len) cap *= 2;
    b->received = realloc(b->received, cap);
    b->received_cap = cap;
  }
  memcpy(b->received + b->received_len, data, len);
  b->received_len += len;
  pthread_mutex_unlock(&b->mu);
}

/* Read some bytes, giving up at EOF, an error or the stop flag (returns <= 0 then). */
static ssize_t backend_read(backend *b, int fd, void *buf, size_t cap) {
  while (!atomic_load(&b->stop)) {
    struct pollfd pfd = {fd, POLLIN, 0};
    if (poll(&pfd, 1, 20) <= 0) continue;
    ssize_t n = recv(fd, buf, cap, 0);
    if (n <= 0) atomic_store(&b->saw_eof, true);
    return n;
  }
  return -1;
}

static bool ends_with(const char *s, size_t len, const char *tail) {
  size_t t = strlen(tail);
  return len >= t && !memcmp(s + len - t, tail, t);
}

/* Read one whole request (head, then a Content-Length or chunked body); false at EOF. */
static bool read_request(backend *b, int fd) {
  static const size_t cap = 16u << 20;
  char *buf = malloc(cap + 1);
  size_t len = 0, head = 0, need = 0;
  bool chunked = false, ok = false;
  for (;;) {
    if (head && !chunked && len >= head + need) ok = true;
    if (head && chunked && ends_with(buf + head, len - head, "0\r\n\r\n")) ok = true;
    if (ok || len == cap) break;
    ssize_t n = backend_read(b, fd, buf + len, cap - len);
    if (n <= 0) break;
    len += (size_t)n;
    buf[len] = '\0';
    char *end = head ? NULL : strstr(buf, "\r\n\r\n");
    if (end) {
      head = (size_t)(end - buf) + 4;
      const char *cl = strcasestr(buf, "\r\ncontent-length: ");
      if (cl && cl < end) need = strtoull(cl + 18, NULL, 10);
      const char *te = strcasestr(buf, "\r\ntransfer-encoding: chunked");
      chunked = te && te < end;
    }
  }
  if (len) record(b, (const uint8_t *)buf, len);
  free(buf);
  return ok;
}

static void send_str(int fd, const char *s) {
  size_t len = strlen(s);
  while (len) {
    ssize_t n = send(fd, s, len, MSG_NOSIGNAL);
    if (n <= 0) return;
    s += n;
    len -= (size_t)n;
  }
}

/* Hold the connection until the pool closes it (or the test ends). */
static void wait_for_close(backend *b, int fd) {
  char buf[4096];
  while (backend_read(b, fd, buf, sizeof(buf)) > 0) {
  }
}

static zq_h1_pool_options quick_options(void) {
  zq_h1_pool_options o;
  zq_h1_pool_options_init(&o);
  o.connect_timeout_ms = 1000;
  o.response_timeout_ms = 3000;
  return o;
}

/* ---- scripts and tests ---- */

static void script_chunked_trailers(backend *b, int fd, int index) {
  (void)index;
  read_request(b, fd);
  send_str(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n"
               "Connection: X-Secret\r\nX-Secret: 1\r\nTrailer: X-Checksum\r\n\r\n"
               "6\r\nhello \r\n6\r\nworld!\r\n0\r\nX-Checksum: 42\r\n\r\n");
  wait_for_close(b, fd);
}

static void test_chunked_trailers(void **state) {
  (void)state;
  backend b;
  backend_start(&b, script_chunked_trailers);
  zq_h1_pool *p = h1_pool_new(b.address, NULL);
  h1_result res = {0};
  h1_start(p, "GET", "/t", NULL, 0, ZQ_H1_BODY_NONE, 0, &res);
  assert_true(h1_wait(&res, 3000));
  assert_int_equal(res.errors, 0);
  assert_int_equal(res.status, 200);
  assert_string_equal(res.fields, "content-type=text/plain;");
  assert_int_equal(res.body_total, 12);
  assert_memory_equal(res.body, "hello world!", 12);
  assert_string_equal(res.trailers, "x-checksum=42;");
  assert_int_equal(res.ends, 1);
  /* the request as the backend read it */
  const char *want = "GET /t HTTP/1.1\r\nHost: backend.test\r\nConnection: keep-alive\r\n\r\n";
  assert_int_equal(b.received_len, strlen(want));
  assert_memory_equal(b.received, want, strlen(want));
  assert_true(h1_wait_idle(p, 1, 1000)); /* kept for the next request */
  h1_pool_free(p);
  backend_stop(&b);
}

static void script_bytewise(backend *b, int fd, int index) {
  (void)index;
  read_request(b, fd);
  const char *r = "HTTP/1.1 200 OK\r\nX-Long-Name: some value\r\nContent-Length: 11\r\n\r\n"
                  "hello there";
  for (const char *c = r; *c; c++) {
    send(fd, c, 1, MSG_NOSIGNAL);
    usleep(300); /* each byte its own segment, each its own read */
  }
  wait_for_close(b, fd);
}

static void test_split_into_single_bytes(void **state) {
  (void)state;
  backend b;
  backend_start(&b, script_bytewise);
  zq_h1_pool *p = h1_pool_new(b.address, NULL);
  h1_result res = {0};
  h1_start(p, "GET", "/", NULL, 0, ZQ_H1_BODY_NONE, 0, &res);
  assert_true(h1_wait(&res, 5000));
  assert_int_equal(res.status, 200);
  assert_string_equal(res.fields, "x-long-name=some value;content-length=11;");
  assert_int_equal(res.body_total, 11);
  assert_memory_equal(res.body, "hello there", 11);
  assert_int_equal(res.ends, 1);
  h1_pool_free(p);
  backend_stop(&b);
}

static void script_garbage(backend *b, int fd, int index) {
  read_request(b, fd);
  if (index == 0) {
    send_str(fd, "HTTP/9 banana\r\n\r\n");
  } else {
    char big[3000];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    send_str(fd, "HTTP/1.1 200 OK\r\nX-Big: ");
    send_str(fd, big);
    send_str(fd, "\r\nContent-Length: 0\r\n\r\n");
  }
  wait_for_close(b, fd);
}

static void test_garbage_and_large_head(void **state) {
  (void)state;
  backend b;
  backend_start(&b, script_garbage);
  zq_h1_pool_options o = quick_options();
  o.max_response_header_bytes = 2048;
  zq_h1_pool *p = h1_pool_new(b.address, &o);
  h1_result res = {0};
  h1_start(p, "GET", "/", NULL, 0, ZQ_H1_BODY_NONE, 0, &res);
  assert_true(h1_wait(&res, 3000));
  assert_int_equal(res.error_code, ZQUIC_ERR_PROTOCOL);
  assert_false(res.connect_failed);
  assert_int_equal(res.responses, 0);
  assert_true(strlen(res.detail) > 0);
  h1_start(p, "GET", "/", NULL, 0, ZQ_H1_BODY_NONE, 0, &res);
  assert_true(h1_wait(&res, 3000));
  assert_int_equal(res.error_code, ZQUIC_ERR_PROTOCOL);
  assert_non_null(strstr(res.detail, "2048"));
  assert_int_equal(h1_open_connections(p), 0); /* neither connection is kept */
  h1_pool_free(p);
  backend_stop(&b);
}

static void script_silent(backend *b, int fd, int index) {
  (void)index;
  read_request(b, fd);
  wait_for_close(b, fd);
}

static void test_response_timeout(void **state) {
  (void)state;
  backend b;
  backend_start(&b, script_silent);
  zq_h1_pool_options o = quick_options();
  o.response_timeout_ms = 300;
  zq_h1_pool *p = h1_pool_new(b.address, &o);
  h1_result res = {0};
  uint64_t t0 = h1_ms_now();
  h1_start(p, "GET", "/slow", NULL, 0, ZQ_H1_BODY_NONE, 0, &res);
  assert_true(h1_wait(&res, 3000));
  uint64_t took = h1_ms_now() - t0;
  assert_int_equal(res.error_code, ZQUIC_ERR_TIMEOUT);
  assert_false(res.connect_failed); /* it did connect */
  assert_true(took >= 290 && took < 1000);
  assert_int_equal(h1_open_connections(p), 0);
  /* the backend never answers, so these requests are still running when written to */
  h1_start(p, "GET", "/none", NULL, 0, ZQ_H1_BODY_NONE, 0, &res);
  assert_int_equal(h1_write(&res, "x", 1, false), ZQUIC_ERR_INVALID_ARGUMENT); /* no body */
  h1_result res2 = {0};
  h1_start(p, "POST", "/one", NULL, 0, ZQ_H1_BODY_LENGTH, 1, &res2);
  assert_int_equal(h1_write(&res2, "x", 1, true), ZQUIC_OK);
  assert_int_equal(h1_write(&res2, "", 0, true), ZQUIC_ERR_INVALID_ARGUMENT); /* ended */
  assert_true(h1_wait(&res, 3000));
  assert_true(h1_wait(&res2, 3000));
  assert_int_equal(res.error_code, ZQUIC_ERR_TIMEOUT);
  h1_pool_free(p);
  backend_stop(&b);
}

static void script_short_body(backend *b, int fd, int index) {
  (void)index;
  read_request(b, fd);
  send_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b");
}

static void test_closed_mid_body(void **state) {
  (void)state;
  backend b;
  backend_start(&b, script_short_body);
  zq_h1_pool *p = h1_pool_new(b.address, NULL);
  h1_result res = {0};
  h1_start(p, "GET", "/", NULL, 0, ZQ_H1_BODY_NONE, 0, &res);
  assert_true(h1_wait(&res, 3000));
  assert_int_equal(res.responses, 1);
  assert_int_equal(res.body_total, 10);
  assert_int_equal(res.ends, 0);
  assert_int_equal(res.error_code, ZQUIC_ERR_CLOSED);
  assert_false(res.connect_failed);
  h1_pool_free(p);
  backend_stop(&b);
}

static void test_connection_refused(void **state) {
  (void)state;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  socklen_t len = sizeof(a);
  getsockname(fd, (struct sockaddr *)&a, &len);
  char address[32];
  snprintf(address, sizeof(address), "127.0.0.1:%u", ntohs(a.sin_port));
  close(fd); /* bound, never listening, now closed: connecting is refused */
  zq_h1_pool *p = h1_pool_new(address, NULL);
  h1_result res = {0};
  uint64_t t0 = h1_ms_now();
  h1_start(p, "GET", "/", NULL, 0, ZQ_H1_BODY_NONE, 0, &res);
  assert_true(h1_wait(&res, 3000));
  assert_int_equal(res.error_code, ZQUIC_ERR_SOCKET);
  assert_true(res.connect_failed);
  assert_true(h1_ms_now() - t0 < 1000);
  assert_int_equal(h1_open_connections(p), 0);
  h1_pool_free(p);
  /* a name goes through the resolver: "localhost" reaches the same refusal */
  snprintf(address, sizeof(address), "localhost:%u", ntohs(a.sin_port));
  p = h1_pool_new(address, NULL);
  h1_start(p, "GET", "/", NULL, 0, ZQ_H1_BODY_NONE, 0, &res);
  assert_true(h1_wait(&res, 3000));
  assert_int_equal(res.error_code, ZQUIC_ERR_SOCKET);
  assert_true(res.connect_failed);
  h1_pool_free(p);
}

/* Connection 0 answers one request, then reads the next and closes without a word (a backend
 * closing an idle connection just as it is reused). Connection 1 answers and closes right after
 * (noticed while idle). Connection 2 answers. */
static void script_stale(backend *b, int fd, int index) {
  const char *ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  if (index == 0) {
    read_request(b, fd);
    send_str(fd, ok);
    read_request(b, fd);
    return;
  }
  read_request(b, fd);
  send_str(fd, ok);
  if (index >= 2) wait_for_close(b, fd);
}

static void test_stale_keep_alive(void **state) {
  (void)state;
  backend b;
  backend_start(&b, script_stale);
  zq_h1_pool *p = h1_pool_new(b.address, NULL);
  h1_result res = {0};
  h1_start(p, "GET", "/1", NULL, 0, ZQ_H1_BODY_NONE, 0, &res);
  assert_true(h1_wait(&res, 3000));
  assert_int_equal(res.status, 200);
  assert_true(h1_wait_idle(p, 1, 1000));
  /* reused, silently closed: sent again on a fresh connection, body and all */
  h1_start(p, "POST", "/2", NULL, 0, ZQ_H1_BODY_LENGTH, 5, &res);
  assert_int_equal(h1_write(&res, "abcde", 5, true), ZQUIC_OK);
  assert_true(h1_wait(&res, 3000));
  assert_int_equal(res.errors, 0);
  assert_int_equal(res.status, 200);
  assert_int_equal(atomic_load(&b.accepted), 2);
  const char *post = "POST /2 HTTP/1.1\r\nHost: backend.test\r\nContent-Length: 5\r\n"
                     "Connection: keep-alive\r\n\r\nabcde";
  size_t get_len = strlen("GET /1 HTTP/1.1\r\nHost: backend.test\r\nConnection: keep-alive\r\n\r\n");
  assert_int_equal(b.received_len, get_len + 2 * strlen(post)); /* the POST twice, whole */
  assert_memory_equal(b.received + get_len + strlen(post), post, strlen(post));
  /* connection 1 closes after answering: the pool notices while idle and drops it */
  assert_true(h1_wait_idle(p, 0, 2000));
  assert_int_equal(h1_open_connections(p), 0);
  h1_start(p, "GET", "/3", NULL, 0, ZQ_H1_BODY_NONE, 0, &res);
  assert_true(h1_wait(&res, 3000));
  assert_int_equal(res.status, 200);
  assert_false(res.connect_failed);
  assert_int_equal(atomic_load(&b.accepted), 3);
  h1_pool_free(p);
  backend_stop(&b);
}

static void script_connection_close(backend *b, int fd, int index) {
  read_request(b, fd);
  if (index == 0) send_str(fd, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
                               "Connection: close\r\nContent-Length: 3\r\n\r\none");
  else send_str(fd, "HTTP/1.1 200 OK\r\nContent-Type: x\r\n\r\nuntil the close");
  wait_for_close(b, fd);
}

static void test_close_interim_and_eof_body(void **state) {
  (void)state;
  backend b;
  backend_start(&b, script_connection_close);
  zq_h1_pool *p = h1_pool_new(b.address, NULL);
  h1_result res = {0};
  h1_start(p, "GET", "/", NULL, 0, ZQ_H1_BODY_NONE, 0, &res);
  assert_true(h1_wait(&res, 3000));
  assert_int_equal(res.responses, 1); /* the 100 is not reported */
  assert_int_equal(res.status, 200);
  assert_int_equal(res.body_total, 3);
  /* "Connection: close": not kept, even though the backend keeps its end open */
  assert_int_equal(h1_open_connections(p), 0);
  assert_int_equal(h1_idle_connections(p), 0);
  /* no length: the body is what comes until the close (the script waits for our close,
   * so it is the test that stops it) */
  h1_start(p, "GET", "/", NULL, 0, ZQ_H1_BODY_NONE, 0, &res);
  usleep(200000);
  assert_false(res.done);
  atomic_store(&b.stop, true); /* the script returns and the thread closes the socket */
  assert_true(h1_wait(&res, 3000));
  assert_int_equal(res.errors, 0);
  assert_int_equal(res.ends, 1);
  assert_int_equal(res.body_total, 15);
  assert_memory_equal(res.body, "until the close", 15);
  assert_int_equal(atomic_load(&b.accepted), 2);
  h1_pool_free(p);
  backend_stop(&b);
}

static void script_echo_ok(backend *b, int fd, int index) {
  (void)index;
  while (read_request(b, fd)) send_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
}

static void test_request_bodies(void **state) {
  (void)state;
  backend b;
  backend_start(&b, script_echo_ok);
  zq_h1_pool *p = h1_pool_new(b.address, NULL);
  h1_result res = {0};
  /* Content-Length; a content-length of the caller's is dropped (the pool frames the body) */
  zquic_h3_header f[] = {{"x-trace", "1"}, {"content-length", "999"}, {"connection", "close"}};
  h1_start(p, "PUT", "/up?x=1", f, 3, ZQ_H1_BODY_LENGTH, 6, &res);
  assert_int_equal(h1_write(&res, "abc", 3, false), ZQUIC_OK);
  assert_int_equal(h1_write(&res, "defg", 4, false), ZQUIC_ERR_INVALID_ARGUMENT); /* past 6 */
  assert_int_equal(h1_write(&res, "de", 2, true), ZQUIC_ERR_INVALID_ARGUMENT);    /* short */
  assert_int_equal(h1_write(&res, "def", 3, true), ZQUIC_OK);
  assert_true(h1_wait(&res, 3000));
  assert_int_equal(res.status, 200);
  /* chunked, in three writes and an empty fin */
  h1_start(p, "POST", "/c", NULL, 0, ZQ_H1_BODY_CHUNKED, 0, &res);
  assert_int_equal(h1_write(&res, "hello", 5, false), ZQUIC_OK);
  assert_int_equal(h1_write(&res, "", 0, false), ZQUIC_OK);
  assert_int_equal(h1_write(&res, " chunked world", 14, false), ZQUIC_OK);
  assert_int_equal(h1_write(&res, NULL, 0, true), ZQUIC_OK);
  assert_true(h1_wait(&res, 3000));
  assert_int_equal(res.status, 200);
  /* no body on a POST: Content-Length: 0 */
  h1_start(p, "POST", "/e", NULL, 0, ZQ_H1_BODY_NONE, 0, &res);
  assert_true(h1_wait(&res, 3000));
  const char *want = "PUT /up?x=1 HTTP/1.1\r\nHost: backend.test\r\nx-trace: 1\r\n"
                     "Content-Length: 6\r\nConnection: keep-alive\r\n\r\nabcdef"
                     "POST /c HTTP/1.1\r\nHost: backend.test\r\nTransfer-Encoding: chunked\r\n"
                     "Connection: keep-alive\r\n\r\n5\r\nhello\r\ne\r\n chunked world\r\n0\r\n\r\n"
                     "POST /e HTTP/1.1\r\nHost: backend.test\r\nContent-Length: 0\r\n"
                     "Connection: keep-alive\r\n\r\n";
  assert_int_equal(b.received_len, strlen(want));
  assert_memory_equal(b.received, want, strlen(want));
  assert_int_equal(atomic_load(&b.accepted), 1); /* all three on one connection */
  /* What could inject a line is refused before anything is sent. */
  zquic_h3_header evil[] = {{"x-a", "1\r\nX-Injected: 1"}};
  zquic_h3_header bad_name[] = {{"x a", "1"}};
  assert_int_equal(h1_try_start(p, "GET", "/", evil, 1, &res), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(h1_try_start(p, "GET", "/", bad_name, 1, &res), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(h1_try_start(p, "GET", "/a b", NULL, 0, &res), ZQUIC_ERR_INVALID_ARGUMENT);
  assert_int_equal(h1_try_start(p, "GE T", "/", NULL, 0, &res), ZQUIC_ERR_INVALID_ARGUMENT);
  usleep(50000);
  assert_int_equal(b.received_len, strlen(want));
  h1_pool_free(p);
  backend_stop(&b);
}

static void script_slow_reader(backend *b, int fd, int index) {
  (void)index;
  usleep(300000); /* the kernel's buffers fill first, then the pool's */
  script_echo_ok(b, fd, index);
}

/* A large chunked body: writes block at the high-water mark and resume on on_writable; the
 * backend gets every byte. */
static void test_body_back_pressure(void **state) {
  (void)state;
  backend b;
  backend_start(&b, script_slow_reader);
  zq_h1_pool *p = h1_pool_new(b.address, NULL);
  h1_result res = {0};
  h1_start(p, "POST", "/big", NULL, 0, ZQ_H1_BODY_CHUNKED, 0, &res);
  static uint8_t piece[32768];
  uint64_t sent = 0, hash = H1_FNV_START;
  int blocked = 0;
  const uint64_t total = 8u << 20;
  while (sent < total) {
    for (size_t i = 0; i < sizeof(piece); i++) piece[i] = (uint8_t)((sent + i) * 7 + 3);
    int rc = h1_write(&res, piece, sizeof(piece), false);
    if (rc == ZQUIC_ERR_WOULD_BLOCK) {
      int seen = res.writable_calls;
      blocked++;
      assert_true(h1_wait_writable(&res, seen, 5000));
      continue;
    }
    assert_int_equal(rc, ZQUIC_OK);
    hash = h1_fnv(hash, piece, sizeof(piece));
    sent += sizeof(piece);
  }
  assert_int_equal(h1_write(&res, NULL, 0, true), ZQUIC_OK);
  assert_true(h1_wait(&res, 10000));
  assert_int_equal(res.status, 200);
  assert_true(blocked > 0);
  /* de-chunk what the backend read and compare */
  const char *at = memmem(b.received, b.received_len, "\r\n\r\n", 4);
  assert_non_null(at);
  const char *end = (const char *)b.received + b.received_len;
  at += 4;
  uint64_t got = 0, got_hash = H1_FNV_START;
  for (;;) {
    char *line_end;
    unsigned long size = strtoul(at, &line_end, 16);
    assert_memory_equal(line_end, "\r\n", 2);
    at = line_end + 2;
    if (size == 0) break;
    assert_true(at + size + 2 <= end);
    got_hash = h1_fnv(got_hash, (const uint8_t *)at, size);
    got += size;
    at += size + 2;
  }
  assert_int_equal(got, total);
  assert_int_equal(got_hash, hash);
  h1_pool_free(p);
  backend_stop(&b);
}

static void script_endless(backend *b, int fd, int index) {
  (void)index;
  read_request(b, fd);
  send_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\nfirst bytes");
  wait_for_close(b, fd);
}

static void test_cancel_and_free_running(void **state) {
  (void)state;
  backend b;
  backend_start(&b, script_endless);
  zq_h1_pool *p = h1_pool_new(b.address, NULL);
  h1_result res = {.cancel_in_body = true};
  h1_start(p, "GET", "/", NULL, 0, ZQ_H1_BODY_NONE, 0, &res);
  assert_true(h1_wait(&res, 3000));
  usleep(100000);
  assert_int_equal(res.responses, 1);
  assert_int_equal(res.ends + res.errors + res.late_calls, 0);
  assert_int_equal(h1_open_connections(p), 0);
  for (int i = 0; i < 100 && !atomic_load(&b.saw_eof); i++) usleep(10000);
  assert_true(atomic_load(&b.saw_eof)); /* the connection really closed */
  /* cancelled from the test thread while waiting for the body */
  h1_result res2 = {0};
  h1_start(p, "GET", "/", NULL, 0, ZQ_H1_BODY_NONE, 0, &res2);
  for (int i = 0; i < 300 && res2.body_total == 0; i++) usleep(10000);
  h1_cancel(&res2);
  /* freed with a request running and one connecting: no callbacks, nothing leaks */
  h1_result res3 = {0}, res4 = {0};
  h1_start(p, "GET", "/", NULL, 0, ZQ_H1_BODY_NONE, 0, &res3);
  for (int i = 0; i < 300 && res3.responses == 0; i++) usleep(10000);
  assert_int_equal(res3.responses, 1);
  h1_start(p, "POST", "/", NULL, 0, ZQ_H1_BODY_CHUNKED, 0, &res4);
  h1_pool_free(p);
  usleep(100000);
  assert_int_equal(res3.ends + res3.errors + res4.responses + res4.errors, 0);
  backend_stop(&b);
}

static void script_many_chunks(backend *b, int fd, int index) {
  (void)index;
  read_request(b, fd);
  char r[4096] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 100; i++) strcat(r, "2\r\nab\r\n");
  strcat(r, "0\r\n\r\n");
  send_str(fd, r); /* one write: one read holds every chunk */
  wait_for_close(b, fd);
}

/* A pause in the middle of one read: the rest of that read waits, unparsed, until resumed. */
static void test_pause_inside_a_read(void **state) {
  (void)state;
  backend b;
  backend_start(&b, script_many_chunks);
  zq_h1_pool *p = h1_pool_new(b.address, NULL);
  h1_result res = {.pause_after = 10};
  h1_start(p, "GET", "/", NULL, 0, ZQ_H1_BODY_NONE, 0, &res);
  for (int i = 0; i < 300 && !res.paused; i++) usleep(10000);
  assert_true(res.paused);
  usleep(200000);
  assert_int_equal(res.body_total, 10);
  assert_false(res.done);
  h1_pause(&res, false);
  assert_true(h1_wait(&res, 3000));
  assert_int_equal(res.errors, 0);
  assert_int_equal(res.body_total, 200);
  assert_true(h1_wait_idle(p, 1, 1000)); /* and the connection is still good */
  h1_pool_free(p);
  backend_stop(&b);
}

/* An idle connection goes at the idle timeout; with max_idle 0 none is kept at all. */
static void test_idle_limits(void **state) {
  (void)state;
  backend b;
  backend_start(&b, script_echo_ok);
  zq_h1_pool_options o = quick_options();
  o.idle_timeout_ms = 300;
  zq_h1_pool *p = h1_pool_new(b.address, &o);
  h1_result res = {0};
  h1_start(p, "GET", "/1", NULL, 0, ZQ_H1_BODY_NONE, 0, &res);
  assert_true(h1_wait(&res, 3000));
  uint64_t t0 = h1_ms_now();
  assert_int_equal(h1_idle_connections(p), 1);
  assert_true(h1_wait_idle(p, 0, 2000));
  assert_true(h1_ms_now() - t0 >= 200);
  assert_int_equal(h1_open_connections(p), 0);
  h1_pool_free(p);
  o.max_idle = 0;
  p = h1_pool_new(b.address, &o);
  h1_start(p, "GET", "/2", NULL, 0, ZQ_H1_BODY_NONE, 0, &res);
  assert_true(h1_wait(&res, 3000));
  assert_int_equal(res.status, 200);
  assert_int_equal(h1_open_connections(p), 0);
  h1_pool_free(p);
  backend_stop(&b);
}

const struct CMUnitTest zq_test_h1_scripted[] = {
  cmocka_unit_test(test_chunked_trailers),
  cmocka_unit_test(test_split_into_single_bytes),
  cmocka_unit_test(test_garbage_and_large_head),
  cmocka_unit_test(test_response_timeout),
  cmocka_unit_test(test_closed_mid_body),
  cmocka_unit_test(test_connection_refused),
  cmocka_unit_test(test_stale_keep_alive),
  cmocka_unit_test(test_close_interim_and_eof_body),
  cmocka_unit_test(test_request_bodies),
  cmocka_unit_test(test_body_back_pressure),
  cmocka_unit_test(test_cancel_and_free_running),
  cmocka_unit_test(test_pause_inside_a_read),
  cmocka_unit_test(test_idle_limits),
};
const size_t zq_test_h1_scripted_count = sizeof(zq_test_h1_scripted) /
                                         sizeof(zq_test_h1_scripted[0]);
