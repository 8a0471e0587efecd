/*
 * test_proxy_h1_nginx.c — the HTTP/1.1 backend pool against a real nginx on 127.0.0.1, one that
 * nobody here wrote: static files (a small one, a HEAD of it, and 20 MiB streamed with a checksum
 * while the test pauses reading for a while), a 204, request bodies (Content-Length and chunked,
 * PUT through nginx's WebDAV module and fetched back byte for byte; an oversized one it refuses
 * with 413), and keep-alive reuse checked from both ends: the pool's connection count and
 * nginx's access log ($connection, $connection_requests). nginx is a dependency the suite installs (scripts/install-deps.sh): if
 * it is missing, the group's setup fails, and so does the test.
 *
 * nginx runs in the foreground (daemon off, master_process off) with every path it writes in a
 * temporary directory, on a port found by binding port 0 (tried again if nginx cannot bind it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_proxy_h1.h"

static struct {
  pid_t pid;
  char dir[64];
  char address[32];
  uint64_t big_len, big_hash;
} nginx;

static const char *find_nginx(void) {
  static const char *const where[] = {"/usr/sbin/nginx", "/usr/local/sbin/nginx",
                                      "/usr/bin/nginx"};
  for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++)
    if (access(where[i], X_OK) == 0) return where[i];
  return NULL;
}

static int write_file(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t n = fwrite(data, 1, len, f);
  return fclose(f) == 0 && n == len ? 0 : -1;
}

/* A deterministic big file, and its FNV-1a for the comparison. */
static int write_big_file(const char *path, uint64_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  static uint8_t block[65536];
  uint64_t hash = H1_FNV_START, x = 0x9e3779b97f4a7c15ull;
  for (uint64_t done = 0; done < len; done += sizeof(block)) {
    for (size_t i = 0; i < sizeof(block); i++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      block[i] = (uint8_t)x;
    }
    hash = h1_fnv(hash, block, sizeof(block));
    fwrite(block, 1, sizeof(block), f);
  }
  nginx.big_len = len;
  nginx.big_hash = hash;
  return fclose(f);
}

static uint16_t free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof(a);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
      getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
    if (fd >= 0) close(fd);
    return 0;
  }
  close(fd);
  return ntohs(a.sin_port);
}

static int write_config(uint16_t port) {
  char path[128], conf[2048];
  const char *d = nginx.dir;
  snprintf(conf, sizeof(conf),
           "daemon off;\nmaster_process off;\nworker_processes 1;\npid %s/nginx.pid;\n"
           "error_log %s/error.log info;\nevents { worker_connections 64; }\n"
           "http {\n  log_format conn '$connection $connection_requests $request_uri $status';\n"
           "  access_log %s/access.log conn;\n  client_body_temp_path %s/body;\n"
           "  proxy_temp_path %s/proxy;\n  fastcgi_temp_path %s/fastcgi;\n"
           "  uwsgi_temp_path %s/uwsgi;\n  scgi_temp_path %s/scgi;\n"
           "  default_type application/octet-stream;\n  keepalive_requests 1000;\n"
           "  server {\n    listen 127.0.0.1:%u;\n    root %s/www;\n"
           "    location = /empty { return 204; }\n"
           "    location /upload/ { dav_methods PUT; create_full_put_path on;"
           " client_max_body_size 1m; }\n"
           "    location /tiny/ { dav_methods PUT; client_max_body_size 1k; }\n  }\n}\n",
           d, d, d, d, d, d, d, d, (unsigned)port, d);
  snprintf(path, sizeof(path), "%s/nginx.conf", d);
  return write_file(path, conf, strlen(conf));
}

static bool accepts(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
  if (fd >= 0) close(fd);
  return ok;
}

/* Start nginx on a free port; false if it never accepted (tries a few ports). */
static bool start_nginx(const char *bin) {
  for (int attempt = 0; attempt < 5; attempt++) {
    uint16_t port = free_port();
    if (!port || write_config(port)) return false;
    char conf[128], prefix[80], errlog[128];
    snprintf(conf, sizeof(conf), "%s/nginx.conf", nginx.dir);
    snprintf(prefix, sizeof(prefix), "%s/", nginx.dir);
    snprintf(errlog, sizeof(errlog), "%s/error.log", nginx.dir);
    pid_t pid = fork();
    if (pid == 0) {
      execl(bin, bin, "-p", prefix, "-c", conf, "-e", errlog, (char *)NULL);
      _exit(127);
    }
    if (pid < 0) return false;
    for (int i = 0; i < 500; i++) {
      if (accepts(port)) {
        nginx.pid = pid;
        snprintf(nginx.address, sizeof(nginx.address), "127.0.0.1:%u", (unsigned)port);
        return true;
      }
      int status;
      if (waitpid(pid, &status, WNOHANG) == pid) break; /* it exited: the port was taken? */
      usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
  }
  return false;
}

int h1_nginx_setup(void **state) {
  const char *bin = find_nginx();
  if (!bin) {
    fprintf(stderr, "test_proxy_h1: nginx is not installed (scripts/install-deps.sh installs "
                    "nginx-light)\n");
    return -1;
  }
  snprintf(nginx.dir, sizeof(nginx.dir), "/tmp/zq-h1-nginx-XXXXXX");
  if (!mkdtemp(nginx.dir)) return -1;
  chmod(nginx.dir, 0755);
  char path[128];
  snprintf(path, sizeof(path), "%s/www", nginx.dir);
  mkdir(path, 0755);
  snprintf(path, sizeof(path), "%s/www/small.txt", nginx.dir);
  if (write_file(path, "hello nginx\n", 12)) return -1;
  const char *mib = getenv("ZQUIC_TEST_BIG_MIB");
  uint64_t big = (mib && atoi(mib) > 0 ? (uint64_t)atoi(mib) : 20) << 20;
  snprintf(path, sizeof(path), "%s/www/big.bin", nginx.dir);
  if (write_big_file(path, big)) return -1;
  if (!start_nginx(bin)) {
    fprintf(stderr, "test_proxy_h1: nginx did not start (see %s/error.log)\n", nginx.dir);
    return -1;
  }
  return h1_ctx_setup(state);
}

int h1_nginx_teardown(void **state) {
  h1_ctx_teardown(state);
  if (nginx.pid > 0) {
    kill(nginx.pid, SIGTERM);
    waitpid(nginx.pid, NULL, 0);
  }
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", nginx.dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* ---- tests ---- */

static void test_nginx_static(void **state) {
  (void)state;
  zq_h1_pool *p = h1_pool_new(nginx.address, NULL);
  h1_result res = {0};
  h1_start(p, "GET", "/small.txt", NULL, 0, ZQ_H1_BODY_NONE, 0, &res);
  assert_true(h1_wait(&res, 5000));
  assert_int_equal(res.errors, 0);
  assert_int_equal(res.status, 200);
  assert_int_equal(res.body_total, 12);
  assert_memory_equal(res.body, "hello nginx\n", 12);
  assert_non_null(strstr(res.fields, "content-length=12;"));
  assert_non_null(strstr(res.fields, "server=nginx"));
  assert_null(strstr(res.fields, "connection=")); /* hop-by-hop */
  /* HEAD: the same fields, no body; the connection stays usable */
  h1_start(p, "HEAD", "/small.txt", NULL, 0, ZQ_H1_BODY_NONE, 0, &res);
  assert_true(h1_wait(&res, 5000));
  assert_int_equal(res.status, 200);
  assert_non_null(strstr(res.fields, "content-length=12;"));
  assert_int_equal(res.body_total, 0);
  assert_int_equal(res.ends, 1);
  h1_start(p, "GET", "/empty", NULL, 0, ZQ_H1_BODY_NONE, 0, &res);
  assert_true(h1_wait(&res, 5000));
  assert_int_equal(res.status, 204);
  assert_int_equal(res.ends, 1);
  h1_start(p, "GET", "/missing", NULL, 0, ZQ_H1_BODY_NONE, 0, &res);
  assert_true(h1_wait(&res, 5000));
  assert_int_equal(res.status, 404);
  assert_int_equal(h1_open_connections(p), 1); /* all four on one connection */
  h1_pool_free(p);
}

/* Counts the "?ka=" lines of nginx's access log, asserting that they all
 * came over one connection, numbered 1, 2, ... on it, and answered 200. */
static int keep_alive_log_lines(void) {
  char path[128], line[256];
  snprintf(path, sizeof(path), "%s/access.log", nginx.dir);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  long conn = -1;
  int seen = 0;
  while (fgets(line, sizeof(line), f)) {
    long c, n;
    char uri[128];
    int status;
    if (sscanf(line, "%ld %ld %127s %d", &c, &n, uri, &status) != 4 || !strstr(uri, "?ka="))
      continue;
    if (conn < 0) conn = c;
    assert_int_equal(c, conn);
    assert_int_equal(n, seen + 1);
    assert_int_equal(status, 200);
    seen++;
  }
  fclose(f);
  return seen;
}

static void test_nginx_keep_alive(void **state) {
  (void)state;
  zq_h1_pool *p = h1_pool_new(nginx.address, NULL);
  h1_result res = {0};
  for (int i = 0; i < 10; i++) {
    char path[32];
    snprintf(path, sizeof(path), "/small.txt?ka=%d", i);
    h1_start(p, "GET", path, NULL, 0, ZQ_H1_BODY_NONE, 0, &res);
    assert_true(h1_wait(&res, 5000));
    assert_int_equal(res.status, 200);
    assert_int_equal(h1_open_connections(p), 1);
  }
  assert_int_equal(h1_idle_connections(p), 1);
  h1_pool_free(p);
  /* nginx's side: ten requests, one connection, numbered 1..10 on it.
   * nginx writes a log line after it has sent the response, so the last
   * line may land a moment after our client saw the answer: wait for it. */
  int seen = 0;
  for (int tries = 0; tries < 500 && (seen = keep_alive_log_lines()) < 10; tries++) usleep(10000);
  assert_int_equal(seen, 10);
  /* two at once: two connections; with max_idle 1 only one is kept afterwards */
  zq_h1_pool_options o;
  zq_h1_pool_options_init(&o);
  o.max_idle = 1;
  p = h1_pool_new(nginx.address, &o);
  h1_result r2 = {0};
  assert_int_equal(h1_start_pair(p, "/small.txt", &res, &r2), 2);
  assert_true(h1_wait(&res, 5000) && h1_wait(&r2, 5000));
  assert_int_equal(res.status + r2.status, 400);
  assert_int_equal(h1_open_connections(p), 1);
  assert_int_equal(h1_idle_connections(p), 1);
  h1_pool_free(p);
}

static void test_nginx_big_file_paused(void **state) {
  (void)state;
  zq_h1_pool *p = h1_pool_new(nginx.address, NULL);
  h1_result res = {.pause_after = 1u << 20};
  h1_start(p, "GET", "/big.bin", NULL, 0, ZQ_H1_BODY_NONE, 0, &res);
  for (int i = 0; i < 1000 && !res.paused; i++) usleep(10000);
  assert_true(res.paused);
  /* paused: nothing more is delivered (the socket is not read; nginx's writes stall) */
  usleep(500000);
  pthread_mutex_lock(&zq_test_ctx->lock);
  uint64_t total = res.body_total;
  pthread_mutex_unlock(&zq_test_ctx->lock);
  assert_int_equal(total, res.total_at_pause);
  assert_true(total < nginx.big_len);
  h1_pause(&res, false);
  assert_true(h1_wait(&res, 60000));
  assert_int_equal(res.errors, 0);
  assert_int_equal(res.status, 200);
  assert_int_equal(res.body_total, nginx.big_len);
  assert_int_equal(res.body_hash, nginx.big_hash);
  assert_int_equal(h1_idle_connections(p), 1);
  h1_pool_free(p);
}

/* PUT a body (WebDAV: nginx reads all of it into a file before it answers), then GET it back. */
static void put_and_get(zq_h1_pool *p, const char *path, const uint8_t *data, size_t len,
                        bool chunked) {
  h1_result res = {0};
  h1_start(p, "PUT", path, NULL, 0, chunked ? ZQ_H1_BODY_CHUNKED : ZQ_H1_BODY_LENGTH, len, &res);
  size_t half = chunked ? len / 3 : len;
  assert_int_equal(h1_write(&res, data, half, !chunked), ZQUIC_OK);
  if (chunked) assert_int_equal(h1_write(&res, data + half, len - half, true), ZQUIC_OK);
  assert_true(h1_wait(&res, 5000));
  assert_int_equal(res.errors, 0);
  assert_true(res.status == 201 || res.status == 204);
  h1_start(p, "GET", path, NULL, 0, ZQ_H1_BODY_NONE, 0, &res);
  assert_true(h1_wait(&res, 5000));
  assert_int_equal(res.status, 200);
  assert_int_equal(res.body_total, len);
  assert_memory_equal(res.body, data, len);
}

static void test_nginx_request_bodies(void **state) {
  (void)state;
  zq_h1_pool *p = h1_pool_new(nginx.address, NULL);
  static uint8_t body[4096];
  for (size_t i = 0; i < sizeof(body); i++) body[i] = (uint8_t)(i * 131 + 7);
  put_and_get(p, "/upload/length.bin", body, 1000, false);
  put_and_get(p, "/upload/chunked.bin", body + 1000, 3000, true);
  /* each body framed right, or nginx would have misread the next request and closed */
  assert_int_equal(h1_open_connections(p), 1);
  /* over client_max_body_size: 413, maybe before the body is written (the request is then
   * over: the harness says CLOSED), and nginx closes */
  h1_result res = {0};
  h1_start(p, "PUT", "/tiny/x", NULL, 0, ZQ_H1_BODY_LENGTH, sizeof(body), &res);
  int rc = h1_write(&res, body, sizeof(body), true);
  assert_true(rc == ZQUIC_OK || rc == ZQUIC_ERR_CLOSED);
  assert_true(h1_wait(&res, 5000));
  assert_int_equal(res.status, 413);
  assert_int_equal(res.ends, 1);
  assert_true(h1_wait_idle(p, 0, 2000));
  assert_int_equal(h1_open_connections(p), 0);
  h1_pool_free(p);
}

const struct CMUnitTest zq_test_h1_nginx[] = {
  cmocka_unit_test(test_nginx_static),
  cmocka_unit_test(test_nginx_keep_alive),
  cmocka_unit_test(test_nginx_big_file_paused),
  cmocka_unit_test(test_nginx_request_bodies),
};
const size_t zq_test_h1_nginx_count = sizeof(zq_test_h1_nginx) / sizeof(zq_test_h1_nginx[0]);
