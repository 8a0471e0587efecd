/*
 * cmd_get.c — `zquic get`: fetch one URL over HTTP/3, body to stdout or a file.
 *
 * The body is written as it arrives, by a body sink on the loop thread (flow-control credit goes
 * back as each chunk is written, so memory stays flat for any size). A progress bar is drawn on
 * stderr only when stderr is a terminal and the body does not go there too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <getopt.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "load.h"
#include "url.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human(double bytes, char *out, size_t cap) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    u++;
  }
  snprintf(out, cap, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
}

static void draw_progress(long long got, long long total, double started, int final) {
  char have[32], rate[32];
  double elapsed = now_s() - started;
  human((double)got, have, sizeof(have));
  human(elapsed > 0 ? (double)got / elapsed : 0, rate, sizeof(rate));
  if (total > 0) {
    int width = 30, fill = (int)((double)got / (double)total * width);
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r[%s] %3d%% %s %s/s ", bar, (int)(100.0 * (double)got / (double)total), have,
            rate);
  } else {
    fprintf(stderr, "\r%s %s/s ", have, rate);
  }
  if (final) fputc('\n', stderr);
}

typedef struct get_opts {
  const char *ca, *out, *method, *data, *sni, *session_file, *ciphers, *qlog_dir;
  int insecure, verbose, timeout_ms, show_progress, early, quic_version, cc, new_conn;
  long requests, concurrency;
  unsigned long long key_update_bytes;
  zquic_h3_header headers[32];
  char header_store[32][512];
  size_t n_headers;
} get_opts;

static void usage(FILE *out) {
  fprintf(out,
          "usage: zquic get [--ca FILE | --insecure] [-o FILE] [-v] URL\n"
          "\n"
          "Fetch https://HOST[:PORT]/PATH over HTTP/3. The body goes to stdout (or -o FILE);\n"
          "a progress bar is shown on a terminal. Exit status 1 when the request fails or the\n"
          "status is >= 400.\n"
          "\n"
          "  --ca FILE          trust these PEM CA certificates (default: system CAs)\n"
          "  --insecure         do NOT verify the server certificate (tests only)\n"
          "  -o, --output FILE  write the body to FILE\n"
          "  -X, --request M    method (default GET, or POST with --data)\n"
          "  -d, --data TEXT    request body\n"
          "  -H, --header 'NAME: VALUE'  extra request header (repeatable)\n"
          "      --sni NAME     TLS server name to send and verify (default: URL host)\n"
          "      --timeout MS   give up after MS milliseconds without progress (default 30000)\n"
          "  -v, --verbose      print the status, headers, trailers, timings and a last\n"
          "                     line of QUIC facts ('quic: version=1 alpn=h3 ...') on stderr\n"
          "      --no-progress  never draw the progress bar\n"
          "\nQUIC options:\n"
          "      --session FILE     resume the session kept in FILE; keep the new one there\n"
          "      --0rtt             send the request as early data when the session allows\n"
          "      --quic-version V   1 (default) or 2\n"
          "      --ciphers LIST     TLS 1.3 suites, e.g. TLS_CHACHA20_POLY1305_SHA256\n"
          "      --key-update BYTES start a key update after every BYTES sent\n"
          "      --cc ALG           congestion control: cubic (default), bbr, reno\n"
          "      --qlog-dir DIR     write the connection's qlog into DIR\n"
          "\nLoad mode:\n"
          "  -n, --requests N       send N GET requests (body discarded) and print requests/s\n"
          "                         and latency percentiles instead of a body\n"
          "  -c, --concurrency C    with C in flight (default 1)\n"
          "      --new-conn         a new connection per request (default: one shared)\n");
}

static int add_header(get_opts *o, const char *text) {
  const char *colon = strchr(text, ':');
  if (!colon || colon == text || o->n_headers == 32 || strlen(text) >= 500) return -1;
  char *store = o->header_store[o->n_headers];
  size_t nlen = (size_t)(colon - text);
  for (size_t i = 0; i < nlen; i++) store[i] = (char)(text[i] >= 'A' && text[i] <= 'Z' ? text[i] + 32 : text[i]);
  store[nlen] = '\0';
  const char *value = colon + 1;
  while (*value == ' ') value++;
  char *vstore = store + nlen + 1;
  snprintf(vstore, 512 - nlen - 1, "%s", value);
  o->headers[o->n_headers].name = store;
  o->headers[o->n_headers].value = vstore;
  o->n_headers++;
  return 0;
}

static int parse_options(int argc, char **argv, get_opts *o) {
  static const struct option opts[] = {
    {"ca", required_argument, NULL, 'a'},      {"insecure", no_argument, NULL, 'k'},
    {"output", required_argument, NULL, 'o'},  {"request", required_argument, NULL, 'X'},
    {"data", required_argument, NULL, 'd'},    {"header", required_argument, NULL, 'H'},
    {"sni", required_argument, NULL, 'S'},     {"timeout", required_argument, NULL, 'T'},
    {"verbose", no_argument, NULL, 'v'},       {"no-progress", no_argument, NULL, 'P'},
    {"session", required_argument, NULL, 's'}, {"0rtt", no_argument, NULL, '0'},
    {"quic-version", required_argument, NULL, 'V'}, {"ciphers", required_argument, NULL, 'C'},
    {"key-update", required_argument, NULL, 'K'}, {"cc", required_argument, NULL, 'A'},
    {"qlog-dir", required_argument, NULL, 'Q'},
    {"requests", required_argument, NULL, 'n'}, {"concurrency", required_argument, NULL, 'c'},
    {"new-conn", no_argument, NULL, 'N'},
    {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "o:X:d:H:vkhn:c:", opts, NULL)) != -1) {
    switch (c) {
    case 'a': o->ca = optarg; break;
    case 'k': o->insecure = 1; break;
    case 'o': o->out = optarg; break;
    case 'X': o->method = optarg; break;
    case 'd': o->data = optarg; break;
    case 'H':
      if (add_header(o, optarg) != 0) {
        cli_error("get", "-H wants 'name: value' (at most 32 headers)");
        return EXIT_USAGE;
      }
      break;
    case 'S': o->sni = optarg; break;
    case 'T':
      o->timeout_ms = atoi(optarg);
      if (o->timeout_ms <= 0) {
        cli_error("get", "--timeout must be a positive number of milliseconds");
        return EXIT_USAGE;
      }
      break;
    case 'v': o->verbose = 1; break;
    case 'N': o->new_conn = 1; break;
    case 'n':
    case 'c': {
      char *end;
      long v = strtol(optarg, &end, 10);
      if (*end || v < 1 || v > (c == 'n' ? 100000000L : 1000L)) {
        cli_error("get", "-%c wants a number from 1 to %ld", c, c == 'n' ? 100000000L : 1000L);
        return EXIT_USAGE;
      }
      if (c == 'n') o->requests = v;
      else o->concurrency = v;
      break;
    }
    case 's': o->session_file = optarg; break;
    case '0': o->early = 1; break;
    case 'C': o->ciphers = optarg; break;
    case 'Q': o->qlog_dir = optarg; break;
    case 'V':
      o->quic_version = atoi(optarg);
      if (o->quic_version != 1 && o->quic_version != 2) {
        cli_error("get", "--quic-version must be 1 or 2");
        return EXIT_USAGE;
      }
      break;
    case 'K': {
      char *end;
      o->key_update_bytes = strtoull(optarg, &end, 10);
      if (*end || o->key_update_bytes == 0) {
        cli_error("get", "--key-update wants a positive number of bytes");
        return EXIT_USAGE;
      }
      break;
    }
    case 'A':
      if ((o->cc = cli_parse_cc(optarg)) < 0) {
        cli_error("get", "--cc must be cubic, bbr or reno");
        return EXIT_USAGE;
      }
      break;
    case 'P': o->show_progress = 0; break;
    case 'h': usage(stdout); return EXIT_OK;
    default: usage(stderr); return EXIT_USAGE;
    }
  }
  if (o->ca && o->insecure) {
    cli_error("get", "--ca and --insecure contradict each other");
    return EXIT_USAGE;
  }
  if (optind + 1 != argc) {
    cli_error("get", optind == argc ? "missing URL" : "one URL at a time");
    usage(stderr);
    return EXIT_USAGE;
  }
  return -1;
}

static void print_fields(zquic_h3_request *req, int trailers) {
  const char *name, *value;
  for (size_t i = 0;; i++) {
    int rc = trailers ? zquic_h3_response_trailer(req, i, &name, &value)
                      : zquic_h3_response_header(req, i, &name, &value);
    if (rc != ZQUIC_OK) break;
    fprintf(stderr, "%s %s: %s\n", trailers ? "trailer" : "<", name, value);
  }
}

/* The body goes straight from the loop thread to `out` (zquic_h3_response_set_sink): no copy
 * out of the library and no wake-up of this thread per chunk. `got` is read here while the
 * loop adds to it. When `out` is a slow pipe, fwrite blocks the loop thread: that breaks the
 * sink's no-blocking rule on purpose, since this command's only connection should slow to the
 * reader's pace anyway (its credit is withheld meanwhile); a library user with other connections
 * on the context must queue instead. */
typedef struct body_sink {
  FILE *out;
  _Atomic long long got;
  int write_errno;
} body_sink;

static int sink_write(void *user, const uint8_t *data, size_t len) {
  body_sink *s = user;
  if (fwrite(data, 1, len, s->out) != len) {
    s->write_errno = errno;
    return ZQUIC_ERR_IO;
  }
  atomic_fetch_add_explicit(&s->got, (long long)len, memory_order_relaxed);
  return ZQUIC_OK;
}

/* Wait for the body's end, drawing progress; the timeout counts time without a new byte. */
static int wait_body(zquic_h3_request *req, body_sink *sink, get_opts *o, long long total) {
  double started = now_s(), last_byte = started;
  long long seen = 0;
  for (;;) {
    size_t n = 0;
    int rc = zquic_h3_response_read(req, NULL, 0, 100, &n);
    if (rc != ZQUIC_ERR_TIMEOUT) return rc;
    long long got = atomic_load_explicit(&sink->got, memory_order_relaxed);
    if (got != seen) {
      seen = got;
      last_byte = now_s();
    } else if ((now_s() - last_byte) * 1000 >= o->timeout_ms) {
      return rc;
    }
    if (o->show_progress) draw_progress(got, total, started, 0);
  }
}

/* Read the body into `out`; returns an exit code. */
static int copy_body(zquic_h3_request *req, FILE *out, get_opts *o, long long total,
                     long long *got) {
  /* Chunks arrive a packet at a time: a big stdio buffer turns them into few write calls. Static
   * because `out` may be stdout, which uses its buffer until exit. */
  static char out_buffer[256 * 1024];
  if (!isatty(fileno(out))) setvbuf(out, out_buffer, _IOFBF, sizeof(out_buffer));
  body_sink sink = {.out = out};
  double started = now_s();
  int rc = zquic_h3_response_set_sink(req, sink_write, &sink);
  if (rc == ZQUIC_OK) rc = wait_body(req, &sink, o, total);
  /* Detach before returning: once set_sink returns the loop never calls the old sink, so
   * `sink` can go out of scope and `out` be closed. */
  zquic_h3_response_set_sink(req, NULL, NULL);
  *got = atomic_load_explicit(&sink.got, memory_order_relaxed);
  if (o->show_progress) draw_progress(*got, total, started, 1);
  if (rc == ZQUIC_ERR_IO) {
    cli_error("get", "writing the body: %s", strerror(sink.write_errno));
    return EXIT_FAIL;
  }
  if (rc == ZQUIC_ERR_TIMEOUT) {
    cli_error("get", "reading the body: no bytes within %d ms", o->timeout_ms);
    return EXIT_FAIL;
  }
  if (rc != ZQUIC_OK) {
    cli_zerror("get", "reading the body", rc);
    return EXIT_FAIL;
  }
  if (total >= 0 && *got != total) {
    cli_error("get", "body has %lld bytes, content-length said %lld", *got, total);
    return EXIT_FAIL;
  }
  return EXIT_OK;
}

static int send_request(zquic_connection *conn, url_parts *u, get_opts *o, const char *method,
                        zquic_h3_request **req, int *status) {
  int rc = zquic_h3_request_start(conn, method, u->path, u->authority, o->headers, o->n_headers,
                                  o->data == NULL, req);
  if (rc == ZQUIC_OK && o->data)
    rc = zquic_h3_request_send(*req, o->data, strlen(o->data), 1, o->timeout_ms);
  if (rc == ZQUIC_OK) rc = zquic_h3_response_wait(*req, o->timeout_ms, status);
  return rc;
}

static int fetch(zquic_connection *conn, url_parts *u, get_opts *o, FILE *out) {
  const char *method = o->method ? o->method : o->data ? "POST" : "GET";
  zquic_h3_request *req = NULL;
  double t0 = now_s();
  int status = 0;
  int rc = send_request(conn, u, o, method, &req, &status);
  if (rc == ZQUIC_ERR_EARLY_DATA_REJECTED) {
    /* The server refused 0-RTT: the request was never processed, so sending it again is safe. */
    zquic_h3_request_free(req);
    req = NULL;
    rc = send_request(conn, u, o, method, &req, &status);
  }
  if (rc != ZQUIC_OK) {
    cli_zerror("get", "request", rc);
    zquic_h3_request_free(req);
    return EXIT_FAIL;
  }
  if (o->verbose) {
    fprintf(stderr, "< HTTP/3 %d\n", status);
    print_fields(req, 0);
  }
  const char *cl = zquic_h3_response_header_get(req, "content-length");
  long long total = cl ? atoll(cl) : -1;
  if (strcmp(method, "HEAD") == 0 || status == 204 || status == 304) total = -1;
  long long got = 0;
  int code = copy_body(req, out, o, total, &got);
  if (o->verbose) {
    print_fields(req, 1);
    fprintf(stderr, "* %lld bytes in %.3f s\n", got, now_s() - t0);
  }
  zquic_h3_request_free(req);
  if (code == EXIT_OK && status >= 400) {
    cli_error("get", "server answered HTTP %d", status);
    return EXIT_FAIL;
  }
  return code;
}

/* The session file holds our opaque resumption blob; it is secret (it resumes the session). */
static uint8_t *read_session(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  uint8_t *buf = malloc(65536);
  *len = buf ? fread(buf, 1, 65536, f) : 0;
  fclose(f);
  if (buf && *len == 0) {
    free(buf);
    buf = NULL;
  }
  return buf;
}

static void write_session(zquic_connection *conn, const char *path, int wait_ms) {
  uint8_t buf[16384];
  size_t len = 0;
  int rc = ZQUIC_ERR_NOT_FOUND;
  /* The ticket arrives just after the handshake; give it a moment if the request was quick. */
  for (int waited = 0; waited <= wait_ms; waited += 10) {
    if ((rc = zquic_connection_session(conn, buf, sizeof(buf), &len)) != ZQUIC_ERR_NOT_FOUND) break;
    usleep(10000);
  }
  if (rc != ZQUIC_OK) return;
  char tmp[4200];
  snprintf(tmp, sizeof(tmp), "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  bool ok = write(fd, buf, len) == (ssize_t)len;
  if (close(fd) != 0) ok = false;
  if (ok) rename(tmp, path);
  else unlink(tmp);
}

static void print_summary(zquic_connection *conn) {
  zquic_connection_info info = {.struct_size = sizeof(info)};
  if (zquic_get_connection_info(conn, &info) != ZQUIC_OK) return;
  static const char *early[] = {"none", "accepted", "rejected"};
  char lost[24];
  if (info.packets_lost == UINT64_MAX) snprintf(lost, sizeof(lost), "?");
  else snprintf(lost, sizeof(lost), "%llu", (unsigned long long)info.packets_lost);
  fprintf(stderr,
          "quic: version=%d alpn=%s cipher=%s retry=%s resumed=%s early-data=%s key-updates=%llu "
          "path-changes=%llu lost=%s rtt-ms=%.3f\n",
          info.quic_version == 0x6b3343cf ? 2 : 1, info.alpn, info.cipher[0] ? info.cipher : "?",
          info.retry ? "yes" : "no", info.resumed ? "yes" : "no", early[info.early_data],
          (unsigned long long)info.key_updates, (unsigned long long)info.path_changes, lost,
          (double)info.rtt_us / 1000.0);
}

int cmd_get(int argc, char **argv) {
  get_opts o = {.timeout_ms = 30000, .show_progress = 1};
  int code = parse_options(argc, argv, &o);
  if (code >= 0) return code;
  url_parts u;
  if (cli_parse_url(argv[optind], &u) != 0) {
    cli_error("get", "\"%s\" is not an https://HOST[:PORT]/PATH URL", argv[optind]);
    return EXIT_USAGE;
  }
  FILE *out = stdout;
  if (o.out && strcmp(o.out, "-") != 0 && !(out = fopen(o.out, "wb"))) {
    cli_error("get", "cannot write %s: %s", o.out, strerror(errno));
    return EXIT_FAIL;
  }
  /* Draw progress only on a terminal, and never into the body's own stream. */
  if (!isatty(STDERR_FILENO) || (out == stdout && isatty(STDOUT_FILENO))) o.show_progress = 0;
  zquic_context *ctx = NULL;
  zquic_config cfg;
  zquic_config_init(&cfg);
  cfg.alpn = "h3";
  cfg.connection_timeout_ms = (uint32_t)o.timeout_ms;
  cfg.detailed_stats = o.verbose;
  cfg.cc_algorithm = o.cc;
  cfg.qlog_dir = o.qlog_dir;
  int rc = zquic_init(&cfg, &ctx);
  if (rc) {
    cli_zerror("get", "init", rc);
    if (out != stdout) fclose(out);
    return EXIT_FAIL;
  }
  zquic_connect_options co;
  zquic_connect_options_init(&co);
  co.ca_file = o.ca;
  co.sni = o.sni;
  co.insecure_skip_verify_DANGEROUS = o.insecure;
  co.quic_version = (uint32_t)o.quic_version;
  co.tls_ciphers = o.ciphers;
  co.key_update_bytes = o.key_update_bytes;
  size_t session_len = 0;
  uint8_t *session = o.session_file ? read_session(o.session_file, &session_len) : NULL;
  co.session = session;
  co.session_len = session_len;
  co.enable_0rtt = o.early && session;
  zquic_connection *conn = NULL;
  if (o.requests) {
    load_params lp = {.ctx = ctx, .address = u.connect, .path = u.path, .authority = u.authority,
                      .connect_options = &co, .requests = o.requests,
                      .concurrency = o.concurrency ? (int)o.concurrency : 1,
                      .timeout_ms = o.timeout_ms};
    if (!o.new_conn && (rc = zquic_create_connection_ex(ctx, u.connect, &co, &conn)) != 0) {
      cli_zerror("get", "connect", rc);
      code = EXIT_FAIL;
    } else {
      lp.shared = conn;
      code = load_run_all(&lp);
      zquic_close_connection(conn);
    }
    zquic_destroy(ctx);
    free(session);
    if (out != stdout) fclose(out);
    return code;
  }
  rc = zquic_create_connection_ex(ctx, u.connect, &co, &conn);
  if (rc) {
    cli_zerror("get", "connect", rc);
    code = EXIT_FAIL;
  } else {
    code = fetch(conn, &u, &o, out);
    if (o.session_file) write_session(conn, o.session_file, 1000);
    if (o.verbose) print_summary(conn);
    zquic_close_connection(conn);
  }
  free(session);
  zquic_destroy(ctx);
  if (out != stdout && fclose(out) != 0) {
    cli_error("get", "closing %s: %s", o.out, strerror(errno));
    code = EXIT_FAIL;
  }
  return code;
}
