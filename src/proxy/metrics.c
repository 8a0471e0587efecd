/*
 * metrics.c — Wraith's Prometheus endpoint: `GET /metrics` over plain HTTP/1.1 on a TCP listener
 * of the proxy's loop, answered with the text exposition format (0.0.4) and closed.
 *
 * The endpoint is meant for a local scraper, yet it must not become a way in: a request larger
 * than 8 KiB is refused (431), a request line that is not `METHOD TARGET HTTP/1.x` 400, anything
 * but GET 405, other paths 404, at most 64 connections
 * are served at once (more are closed at accept) and each gets 5 seconds before it is cut off.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_internal.h"

#define ZQ_METRICS_MAX_REQUEST 8192
#define ZQ_METRICS_MAX_CLIENTS 64
#define ZQ_METRICS_CLIENT_MS 5000

struct zq_metrics {
  uv_tcp_t listener;
  zq_proxy *px;
  unsigned clients;
  bool stopping, listener_closed; /* freed once both the listener and every client are gone */
  int port;
};

typedef struct metrics_client {
  uv_tcp_t tcp;
  uv_timer_t timer;
  zq_metrics *m;
  char request[ZQ_METRICS_MAX_REQUEST];
  size_t len;
  bool answered;
  int handles_open;
  uv_write_t write;
  char *response;
} metrics_client;

/* ---- the text ------------------------------------------------------------------------------ */

typedef struct text {
  char *data;
  size_t len, cap;
  bool failed;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...) {
  for (int round = 0; round < 2 && !t->failed; round++) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->data ? t->data + t->len : NULL, t->data ? t->cap - t->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) break;
    if (t->data && t->len + (size_t)n < t->cap) {
      t->len += (size_t)n;
      return;
    }
    size_t cap = (t->cap ? t->cap * 2 : 16384) + (size_t)n;
    char *grown = realloc(t->data, cap);
    if (!grown) t->failed = true;
    else t->data = grown, t->cap = cap;
  }
}

/* Label values escaped as the format wants (backslash, quote, newline). */
static void label(char *out, size_t cap, const char *in) {
  size_t o = 0;
  for (; *in && o + 3 < cap; in++) {
    if (*in == '\\' || *in == '"') out[o++] = '\\', out[o++] = *in;
    else if (*in == '\n') out[o++] = '\\', out[o++] = 'n';
    else out[o++] = *in;
  }
  out[o] = '\0';
}

static void help(text *t, const char *name, const char *type, const char *what) {
  put(t, "# HELP zquic_proxy_%s %s\n# TYPE zquic_proxy_%s %s\n", name, what, name, type);
}

typedef uint64_t (*backend_value)(const zq_backend_rt *b, uint64_t now);
static uint64_t v_requests(const zq_backend_rt *b, uint64_t now) { (void)now; return b->requests; }
static uint64_t v_errors(const zq_backend_rt *b, uint64_t now) { (void)now; return b->errors; }
static uint64_t v_5xx(const zq_backend_rt *b, uint64_t now) { (void)now; return b->responses_5xx; }
static uint64_t v_in_flight(const zq_backend_rt *b, uint64_t now) { (void)now; return b->in_flight; }
static uint64_t v_conns(const zq_backend_rt *b, uint64_t now) {
  (void)now;
  return zq_upstream_open_connections(b);
}
static uint64_t v_up(const zq_backend_rt *b, uint64_t now) { return zq_backend_healthy(b, now); }
static uint64_t v_connects(const zq_backend_rt *b, uint64_t now) { (void)now; return b->connects; }

static void backend_labels(const zq_backend_rt *b, char *out, size_t cap) {
  char pool[300], addr[600];
  label(pool, sizeof(pool), b->pool_name);
  label(addr, sizeof(addr), b->conf.address);
  snprintf(out, cap, "pool=\"%s\",backend=\"%s\",protocol=\"%s\"", pool, addr,
           zq_proxy_protocol_name(b->conf.protocol));
}

static void per_backend(text *t, const zq_proxy_rt *rt, const char *name, const char *type,
                        const char *what, backend_value value) {
  help(t, name, type, what);
  uint64_t now = zq_now_ns();
  char labels[1024];
  for (size_t p = 0; p < rt->n_pools; p++)
    for (size_t i = 0; i < rt->pools[p].n_backends; i++) {
      const zq_backend_rt *b = rt->pools[p].backends[i];
      backend_labels(b, labels, sizeof(labels));
      put(t, "zquic_proxy_%s{%s} %llu\n", name, labels, (unsigned long long)value(b, now));
    }
}

static void latency(text *t, const zq_proxy_rt *rt) {
  help(t, "backend_latency_seconds", "histogram", "time to the backend's response header section");
  char labels[1024];
  for (size_t p = 0; p < rt->n_pools; p++)
    for (size_t i = 0; i < rt->pools[p].n_backends; i++) {
      const zq_backend_rt *b = rt->pools[p].backends[i];
      backend_labels(b, labels, sizeof(labels));
      /* zq_backend_observe_latency counts an observation in every bucket it fits: cumulative. */
      for (size_t k = 0; k < ZQ_PROXY_LATENCY_BUCKETS; k++)
        put(t, "zquic_proxy_backend_latency_seconds_bucket{%s,le=\"%g\"} %llu\n", labels,
            zq_proxy_latency_bounds_s[k], (unsigned long long)b->latency_buckets[k]);
      put(t, "zquic_proxy_backend_latency_seconds_bucket{%s,le=\"+Inf\"} %llu\n", labels,
          (unsigned long long)b->latency_count);
      put(t, "zquic_proxy_backend_latency_seconds_sum{%s} %.6f\n", labels, b->latency_sum_s);
      put(t, "zquic_proxy_backend_latency_seconds_count{%s} %llu\n", labels,
          (unsigned long long)b->latency_count);
    }
}

static void totals(text *t, const zq_proxy *px) {
  const struct { const char *name, *what; uint64_t v; } c[] = {
    {"requests_total", "requests received", px->requests},
    {"rate_limited_total", "requests answered 429", px->rate_limited},
    {"too_large_total", "requests answered 413 or 431", px->too_large},
    {"bad_requests_total", "requests answered 400", px->bad_requests},
    {"retries_total", "requests sent to another backend after a connect failure", px->retries},
    {"upstream_timeouts_total", "requests answered 504", px->upstream_timeouts},
    {"reloads_total", "configurations reloaded", px->reloads},
    {"reload_failures_total", "reloads refused", px->reload_failures},
  };
  for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
    help(t, c[i].name, "counter", c[i].what);
    put(t, "zquic_proxy_%s %llu\n", c[i].name, (unsigned long long)c[i].v);
  }
  help(t, "responses_total", "counter", "responses by status class");
  for (int k = 1; k <= 5; k++)
    put(t, "zquic_proxy_responses_total{class=\"%dxx\"} %llu\n", k,
        (unsigned long long)px->responses[k]);
}

char *zq_metrics_render(zq_proxy *px, size_t *len) {
  text t = {0};
  totals(&t, px);
  const zq_proxy_rt *rt = px->rt;
  if (rt) {
    per_backend(&t, rt, "backend_requests_total", "counter", "requests sent", v_requests);
    per_backend(&t, rt, "backend_errors_total", "counter", "failed requests", v_errors);
    per_backend(&t, rt, "backend_responses_5xx_total", "counter", "5xx answers", v_5xx);
    per_backend(&t, rt, "backend_in_flight", "gauge", "requests in flight", v_in_flight);
    per_backend(&t, rt, "backend_open_connections", "gauge", "open connections", v_conns);
    per_backend(&t, rt, "backend_up", "gauge", "1 when it gets requests", v_up);
    per_backend(&t, rt, "backend_connects_total", "counter", "QUIC connections made", v_connects);
    latency(&t, rt);
    help(&t, "pool_no_backend_total", "counter", "requests answered 503: nothing healthy");
    for (size_t p = 0; p < rt->n_pools; p++) {
      char name[300];
      label(name, sizeof(name), rt->pools[p].conf->name);
      put(&t, "zquic_proxy_pool_no_backend_total{pool=\"%s\"} %llu\n", name,
          (unsigned long long)rt->pools[p].no_backend);
    }
  }
  if (t.failed) {
    free(t.data);
    return NULL;
  }
  *len = t.len;
  return t.data;
}

/* ---- the endpoint ---------------------------------------------------------------------------- */

static void metrics_maybe_free(zq_metrics *m) {
  if (m->stopping && m->listener_closed && m->clients == 0) free(m);
}

static void client_closed(uv_handle_t *h) {
  metrics_client *c = h->data;
  if (--c->handles_open > 0) return;
  zq_metrics *m = c->m;
  m->clients--;
  free(c->response);
  free(c);
  metrics_maybe_free(m);
}

static void client_close(metrics_client *c) {
  if (uv_is_closing((uv_handle_t *)&c->tcp)) return;
  uv_close((uv_handle_t *)&c->tcp, client_closed);
  uv_close((uv_handle_t *)&c->timer, client_closed);
}

static void written(uv_write_t *w, int status) {
  (void)status;
  client_close(w->data);
}

static void respond(metrics_client *c, int status, const char *reason, const char *body,
                    size_t body_len) {
  c->answered = true;
  uv_read_stop((uv_stream_t *)&c->tcp);
  size_t cap = body_len + 256;
  c->response = malloc(cap);
  if (!c->response) {
    client_close(c);
    return;
  }
  int head = snprintf(c->response, cap,
                      "HTTP/1.1 %d %s\r\nContent-Type: text/plain; version=0.0.4\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, reason, body_len);
  memcpy(c->response + head, body, body_len);
  uv_buf_t buf = uv_buf_init(c->response, (unsigned)((size_t)head + body_len));
  c->write.data = c;
  if (uv_write(&c->write, (uv_stream_t *)&c->tcp, &buf, 1, written) != 0) client_close(c);
}

/* A token of the request line: bytes up to the next space (not past `end`). */
static const char *token_end(const char *at, const char *end) {
  while (at < end && *at != ' ') at++;
  return at;
}

zq_metrics_request zq_metrics_read_request(const char *buf, size_t len, size_t cap) {
  const char *blank = memmem(buf, len, "\r\n\r\n", 4);
  if (!blank) blank = memmem(buf, len, "\n\n", 2);
  if (!blank) return len + 1 >= cap ? ZQ_METRICS_TOO_LARGE : ZQ_METRICS_INCOMPLETE;
  const char *line_end = memchr(buf, '\n', len);
  if (line_end > buf && line_end[-1] == '\r') line_end--;
  const char *method_end = token_end(buf, line_end);
  if (method_end == buf || method_end == line_end) return ZQ_METRICS_BAD;
  const char *target = method_end + 1, *target_end = token_end(target, line_end);
  if (target_end == target || target_end == line_end) return ZQ_METRICS_BAD;
  const char *version = target_end + 1;
  if (line_end - version != 8 || memcmp(version, "HTTP/1.", 7) != 0 ||
      (version[7] != '0' && version[7] != '1'))
    return ZQ_METRICS_BAD;
  for (const char *b = buf; b < line_end; b++)
    if ((unsigned char)*b < 0x20 || *b == 0x7f) return ZQ_METRICS_BAD;
  if (method_end - buf != 3 || memcmp(buf, "GET", 3) != 0) return ZQ_METRICS_NOT_GET;
  size_t target_len = (size_t)(target_end - target);
  if (target_len < 8 || memcmp(target, "/metrics", 8) != 0 ||
      (target_len > 8 && target[8] != '?'))
    return ZQ_METRICS_NOT_FOUND;
  return ZQ_METRICS_SCRAPE;
}

static void answer(metrics_client *c, zq_metrics_request what) {
  switch (what) {
  case ZQ_METRICS_INCOMPLETE: return;
  case ZQ_METRICS_BAD: respond(c, 400, "Bad Request", "bad request\n", 12); return;
  case ZQ_METRICS_NOT_GET: respond(c, 405, "Method Not Allowed", "GET only\n", 9); return;
  case ZQ_METRICS_NOT_FOUND: respond(c, 404, "Not Found", "try /metrics\n", 13); return;
  case ZQ_METRICS_TOO_LARGE:
    respond(c, 431, "Request Header Fields Too Large", "request too large\n", 18);
    return;
  case ZQ_METRICS_SCRAPE: break;
  }
  if (c->m->stopping) {
    respond(c, 503, "Service Unavailable", "stopping\n", 9);
    return;
  }
  pthread_mutex_lock(&c->m->px->ctx->lock);
  size_t len = 0;
  char *body = zq_metrics_render(c->m->px, &len);
  zq_ctx_unlock(c->m->px->ctx);
  if (!body) respond(c, 500, "Internal Server Error", "out of memory\n", 14);
  else respond(c, 200, "OK", body, len);
  free(body);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  metrics_client *c = h->data;
  buf->base = c->request + c->len;
  buf->len = sizeof(c->request) - 1 - c->len;
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  (void)buf;
  metrics_client *c = s->data;
  if (c->answered) return;
  if (n < 0) {
    client_close(c);
    return;
  }
  c->len += (size_t)n;
  answer(c, zq_metrics_read_request(c->request, c->len, sizeof(c->request)));
}

static void client_timeout(uv_timer_t *t) { client_close(t->data); }

static void on_connection(uv_stream_t *server, int status) {
  zq_metrics *m = server->data;
  if (status < 0) return;
  metrics_client *c = calloc(1, sizeof(*c));
  if (!c) return;
  c->m = m;
  uv_tcp_init(server->loop, &c->tcp);
  uv_timer_init(server->loop, &c->timer);
  c->tcp.data = c->timer.data = c;
  c->handles_open = 2;
  m->clients++;
  if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 || m->clients > ZQ_METRICS_MAX_CLIENTS ||
      m->stopping) {
    client_close(c);
    return;
  }
  uv_timer_start(&c->timer, client_timeout, ZQ_METRICS_CLIENT_MS, 0);
  uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
}

static void listener_closed(uv_handle_t *h) {
  zq_metrics *m = h->data;
  m->listener_closed = true;
  metrics_maybe_free(m);
}

int zq_metrics_start(zq_proxy *px, const char *listen, zq_metrics **out) {
  char host[256];
  uint16_t port;
  struct sockaddr_storage addr;
  if (zq_addr_split(listen, host, sizeof(host), &port) != 0 ||
      (uv_ip4_addr(host, port, (struct sockaddr_in *)&addr) != 0 &&
       uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr) != 0))
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "metrics listen \"%s\": want IP:PORT", listen);
  zq_metrics *m = calloc(1, sizeof(*m));
  if (!m) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  m->px = px;
  uv_tcp_init(&px->ctx->loop, &m->listener);
  m->listener.data = m;
  int rc = uv_tcp_bind(&m->listener, (struct sockaddr *)&addr, 0);
  if (rc == 0) rc = uv_listen((uv_stream_t *)&m->listener, 64, on_connection);
  if (rc != 0) {
    m->stopping = true;
    uv_close((uv_handle_t *)&m->listener, listener_closed);
    return zq_error(ZQUIC_ERR_SOCKET, "metrics listen %s: %s", listen, uv_strerror(rc));
  }
  struct sockaddr_storage bound;
  int len = sizeof(bound);
  uv_tcp_getsockname(&m->listener, (struct sockaddr *)&bound, &len);
  m->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
  *out = m;
  return ZQUIC_OK;
}

int zq_metrics_port(const zq_metrics *m) { return m->port; }

void zq_metrics_stop(zq_metrics *m) {
  if (!m) return;
  m->stopping = true;
  uv_close((uv_handle_t *)&m->listener, listener_closed);
}
