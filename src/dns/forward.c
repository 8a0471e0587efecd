/*
 * forward.c — see forward.h. A forward is one client question; an attempt is one try of it at
 * one upstream: a UDP exchange, and a TCP one when the UDP answer came back truncated. Attempts
 * own their libuv handles (a timer, a UDP socket, maybe a TCP socket) and outlive the forward
 * that started them until libuv has closed those handles, so a forward can end (or be
 * cancelled) at once, whatever its sockets are doing. The forwarder goes only after its last
 * attempt has closed.
 *
 * Why an answer is believed (RFC 5452): the UDP socket is connected to the upstream, so the
 * kernel drops datagrams from elsewhere (and we check the source again); the ID is random per
 * attempt and the question must be ours. Datagrams failing those tests are ignored, not fatal:
 * an off-path attacker must not be able to end a query. An answer that is ours but unusable
 * (garbage after the header, SERVFAIL, REFUSED, FORMERR...) ends the attempt and the next
 * upstream is asked; a refused or unreachable upstream ends it at once, silence at the deadline.
 *
 * Failures found while starting an attempt (no socket left...) are reported through the
 * attempt's timer fired at once, so that the owner's callback never runs inside
 * zq_dns_forward_start.
 */
#include <stdlib.h>
#include <string.h>

#include "forward_internal.h"

static int start_attempt(zq_dns_forward *f);

/* ---- ending things ------------------------------------------------------------------------- */

static void fw_free_memory(zq_dns_forwarder *fw) { free(fw); }

void zq_fwd_attempt_unref(attempt *a) {
  if (--a->open_handles > 0) return;
  zq_dns_forwarder *fw = a->fw;
  zq_list_remove(&fw->attempts, &a->node);
  free(a->query);
  free(a->rx);
  free(a);
  if (fw->freeing && zq_list_empty(&fw->attempts)) fw_free_memory(fw);
}

static void on_handle_closed(uv_handle_t *h) { zq_fwd_attempt_unref(h->data); }

/* Detach the attempt from its forward and close its sockets; memory goes in on_handle_closed. */
static void abandon(attempt *a) {
  if (a->f) {
    a->f->current = NULL;
    a->f = NULL;
  }
  if (!uv_is_closing((uv_handle_t *)&a->timer)) uv_close((uv_handle_t *)&a->timer, on_handle_closed);
  if (a->udp_open && !uv_is_closing((uv_handle_t *)&a->udp))
    uv_close((uv_handle_t *)&a->udp, on_handle_closed);
  if (a->tcp_open && !uv_is_closing((uv_handle_t *)&a->tcp))
    uv_close((uv_handle_t *)&a->tcp, on_handle_closed);
}

/* Free a forward already off fw->forwards. */
static void forward_release(zq_dns_forward *f) {
  f->fw->inflight--;
  ldns_rdf_deep_free(f->qname);
  free(f->wire);
  free(f);
}

static void forward_free(zq_dns_forward *f) {
  zq_list_remove(&f->fw->forwards, &f->node);
  forward_release(f);
}

static void complete(zq_dns_forward *f, int status, const uint8_t *answer, size_t len) {
  if (status == ZQ_DNS_FWD_OK) f->fw->st.answered++;
  else f->fw->st.failed++;
  zq_dns_forward_cb cb = f->cb;
  void *user = f->user;
  forward_free(f);
  cb(status, answer, len, user);
}

/* The attempt is over: hand the answer on, or move to the next upstream, or give up. */
void zq_fwd_attempt_end(attempt *a, int status, const uint8_t *answer, size_t len) {
  zq_dns_forward *f = a->f;
  zq_dns_forwarder *fw = a->fw;
  size_t up = a->up;
  abandon(a);
  if (!f) return;
  if (status == ZQ_DNS_FWD_OK) {
    complete(f, status, answer, len);
    return;
  }
  if (status == ZQ_DNS_FWD_TIMEOUT) fw->st.timeouts++;
  else if (status == ZQ_DNS_FWD_NETWORK) fw->st.network_errors++;
  else fw->st.bad_answers++;
  /* Later forwards start past an upstream that just failed, so a dead one costs one timeout
   * for the next queries rather than one each. */
  if (fw->preferred == up) fw->preferred = (up + 1) % fw->n_ups;
  f->last_status = status;
  if (++f->tried < fw->n_ups && start_attempt(f) == 0) return;
  complete(f, f->last_status, NULL, 0);
}

static void lock(zq_dns_forwarder *fw) { pthread_mutex_lock(&fw->ctx->lock); }

static void unlock(zq_dns_forwarder *fw) {
  zq_ctx_flush_dirty(fw->ctx); /* answers handed on queue stream data: send it now */
  zq_ctx_unlock(fw->ctx);
}

/* ---- answers ------------------------------------------------------------------------------- */

enum { NOT_OURS = 0, OURS_OK = 1, OURS_BAD = -1 };

/* Is this message the answer to attempt a? *tc: the upstream truncated it. */
static int check_answer(const attempt *a, const uint8_t *msg, size_t len, bool *tc) {
  const zq_dns_forward *f = a->f;
  *tc = false;
  if (len < ZQ_DNS_HEADER_LEN) return NOT_OURS;
  if (((uint16_t)msg[0] << 8 | msg[1]) != a->id || !(msg[2] & 0x80)) return NOT_OURS;
  ldns_pkt *p = NULL;
  if (ldns_wire2pkt(&p, msg, len) != LDNS_STATUS_OK) return OURS_BAD;
  int verdict = OURS_OK;
  ldns_rr_list *qs = ldns_pkt_question(p);
  ldns_rr *q = qs && ldns_rr_list_rr_count(qs) == 1 ? ldns_rr_list_rr(qs, 0) : NULL;
  int rcode = (ldns_pkt_get_rcode(p) & 0x0F) | (ldns_pkt_edns_extended_rcode(p) << 4);
  bool other_question = q && (ldns_dname_compare(ldns_rr_owner(q), f->qname) != 0 ||
                               ldns_rr_get_type(q) != f->qtype ||
                               ldns_rr_get_class(q) != f->qclass);
  if (other_question)
    verdict = NOT_OURS;
  else if (!q || ldns_pkt_get_opcode(p) != LDNS_PACKET_QUERY ||
           (rcode != ZQ_DNS_RCODE_NOERROR && rcode != ZQ_DNS_RCODE_NXDOMAIN))
    verdict = OURS_BAD; /* FORMERR and friends often come without the question */
  *tc = ldns_pkt_tc(p);
  ldns_pkt_free(p);
  return verdict;
}

static void start_tcp(attempt *a);

static void on_message(attempt *a, uint8_t *msg, size_t len, bool over_tcp) {
  bool tc;
  int verdict = check_answer(a, msg, len, &tc);
  if (verdict == NOT_OURS && !over_tcp) { /* maybe spoofed: keep listening */
    a->fw->st.ignored++;
    return;
  }
  if (verdict != OURS_OK) { /* TCP cannot be spoofed off-path: a stranger there is a broken peer */
    zq_fwd_attempt_end(a, ZQ_DNS_FWD_BAD_ANSWER, NULL, 0);
    return;
  }
  if (tc && !over_tcp) {
    a->fw->st.tcp_fallbacks++;
    start_tcp(a);
    return;
  }
  msg[0] = (uint8_t)(a->f->client_id >> 8);
  msg[1] = (uint8_t)a->f->client_id;
  zq_fwd_attempt_end(a, ZQ_DNS_FWD_OK, msg, len);
}

void zq_fwd_on_stream_message(attempt *a, uint8_t *msg, size_t len) {
  on_message(a, msg, len, true);
}

/* ---- UDP ----------------------------------------------------------------------------------- */

static bool same_addr(const struct sockaddr *from, const zq_addr *up) {
  if (from->sa_family != up->ss.ss_family) return false;
  if (from->sa_family == AF_INET) {
    const struct sockaddr_in *x = (const void *)from, *y = (const void *)&up->ss;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  const struct sockaddr_in6 *x = (const void *)from, *y = (const void *)&up->ss;
  return x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, 16);
}

static void udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  attempt *a = h->data;
  buf->base = (char *)a->fw->udp_buf;
  buf->len = sizeof(a->fw->udp_buf);
}

static void on_udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                        const struct sockaddr *from, unsigned flags) {
  attempt *a = h->data;
  zq_dns_forwarder *fw = a->fw;
  lock(fw);
  if (!a->f || nread == 0) goto out; /* abandoned, or nothing after all */
  if (nread < 0) { /* ICMP said the port or host is unreachable (the socket is connected) */
    zq_fwd_attempt_end(a, ZQ_DNS_FWD_NETWORK, NULL, 0);
    goto out;
  }
  if (!from || !same_addr(from, &fw->ups[a->up].addr) || (flags & UV_UDP_PARTIAL) ||
      (size_t)nread > ZQ_FWD_MAX_MESSAGE) {
    fw->st.ignored++;
    goto out;
  }
  on_message(a, (uint8_t *)buf->base, (size_t)nread, false);
out:
  unlock(fw);
}

/* ---- TCP (RFC 7766: a 2-byte length prefix) ------------------------------------------------- */

static void tcp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  attempt *a = h->data;
  /* Read exactly the one message we wait for. */
  buf->base = (char *)a->rx + a->rx_have;
  buf->len = a->rx_need - a->rx_have;
}

static void on_tcp_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  (void)buf;
  attempt *a = s->data;
  zq_dns_forwarder *fw = a->fw;
  lock(fw);
  if (!a->f || nread == 0) goto out;
  if (nread < 0) { /* closed or reset before the whole answer */
    zq_fwd_attempt_end(a, ZQ_DNS_FWD_NETWORK, NULL, 0);
    goto out;
  }
  a->rx_have += (size_t)nread;
  if (a->rx_need == 2 && a->rx_have == 2) {
    size_t n = (size_t)a->rx[0] << 8 | a->rx[1];
    if (n < ZQ_DNS_HEADER_LEN) {
      zq_fwd_attempt_end(a, ZQ_DNS_FWD_BAD_ANSWER, NULL, 0);
      goto out;
    }
    a->rx_need = 2 + n;
  }
  if (a->rx_have == a->rx_need && a->rx_need > 2) {
    uv_read_stop(s);
    on_message(a, a->rx + 2, a->rx_need - 2, true);
  }
out:
  unlock(fw);
}

static void on_tcp_write(uv_write_t *req, int status) {
  attempt *a = req->data;
  zq_dns_forwarder *fw = a->fw;
  lock(fw);
  if (a->f && status < 0) zq_fwd_attempt_end(a, ZQ_DNS_FWD_NETWORK, NULL, 0);
  unlock(fw);
}

static void on_tcp_connect(uv_connect_t *req, int status) {
  attempt *a = req->data;
  zq_dns_forwarder *fw = a->fw;
  lock(fw);
  if (!a->f) goto out; /* abandoned: this is UV_ECANCELED */
  uv_buf_t b = uv_buf_init((char *)a->query, (unsigned)(a->query_len + 2));
  a->write_req.data = a;
  if (status < 0 || uv_write(&a->write_req, (uv_stream_t *)&a->tcp, &b, 1, on_tcp_write) != 0 ||
      uv_read_start((uv_stream_t *)&a->tcp, tcp_alloc, on_tcp_read) != 0)
    zq_fwd_attempt_end(a, ZQ_DNS_FWD_NETWORK, NULL, 0);
out:
  unlock(fw);
}

/* The UDP answer was truncated: ask the same upstream again over TCP, within the same deadline.
 * The UDP socket stays open but nothing read from it matters any more. */
static void start_tcp(attempt *a) {
  if (a->udp_open) uv_udp_recv_stop(&a->udp);
  if (!a->rx && !(a->rx = malloc(2 + ZQ_FWD_MAX_MESSAGE))) {
    zq_fwd_attempt_end(a, ZQ_DNS_FWD_NETWORK, NULL, 0);
    return;
  }
  a->rx_have = 0;
  a->rx_need = 2;
  if (uv_tcp_init(&a->fw->ctx->loop, &a->tcp) != 0) {
    zq_fwd_attempt_end(a, ZQ_DNS_FWD_NETWORK, NULL, 0);
    return;
  }
  a->tcp_open = true;
  a->open_handles++;
  a->tcp.data = a;
  a->connect_req.data = a;
  if (uv_tcp_connect(&a->connect_req, &a->tcp, (const struct sockaddr *)&a->fw->ups[a->up].addr.ss,
                     on_tcp_connect) != 0)
    zq_fwd_attempt_end(a, ZQ_DNS_FWD_NETWORK, NULL, 0);
}

/* ---- attempts ------------------------------------------------------------------------------ */

static void on_timer(uv_timer_t *t) {
  attempt *a = t->data;
  zq_dns_forwarder *fw = a->fw;
  lock(fw);
  if (a->f) zq_fwd_attempt_end(a, a->fail_status ? a->fail_status : ZQ_DNS_FWD_TIMEOUT, NULL, 0);
  unlock(fw);
}

static uint16_t random_id(void) {
  uint16_t id = 0;
  gnutls_rnd(GNUTLS_RND_RANDOM, &id, sizeof(id)); /* unpredictable: it is half of the defence */
  return id;
}

/* Start the next attempt of f. Only running out of memory fails here (returned); socket
 * failures are reported through the timer. */
static int start_attempt(zq_dns_forward *f) {
  zq_dns_forwarder *fw = f->fw;
  attempt *a = calloc(1, sizeof(*a));
  if (!a || !(a->query = malloc(2 + f->wire_len))) {
    free(a);
    return ZQUIC_ERR_NO_MEMORY;
  }
  a->fw = fw;
  a->f = f;
  a->up = (f->first + f->tried) % fw->n_ups;
  upstream *up = &fw->ups[a->up];
  a->id = up->doq ? 0 : random_id(); /* DoQ: the ID is 0 (RFC 9250 section 4.2.1) */
  a->query_len = f->wire_len;
  a->query[0] = (uint8_t)(f->wire_len >> 8);
  a->query[1] = (uint8_t)f->wire_len;
  memcpy(a->query + 2, f->wire, f->wire_len);
  a->query[2] = (uint8_t)(a->id >> 8);
  a->query[3] = (uint8_t)a->id;
  f->current = a;
  zq_list_push_back(&fw->attempts, &a->node);
  uv_loop_t *loop = &fw->ctx->loop;
  uv_timer_init(loop, &a->timer);
  a->timer.data = a;
  a->open_handles = 1;
  if (up->doq) {
    if (zq_fwd_doq_send(a) != 0) a->fail_status = ZQ_DNS_FWD_NETWORK;
    uv_timer_start(&a->timer, on_timer, a->fail_status ? 0 : fw->timeout_ms, 0);
    return ZQUIC_OK;
  }
  const struct sockaddr *to = (const struct sockaddr *)&fw->ups[a->up].addr.ss;
  int rc = uv_udp_init_ex(loop, &a->udp, to->sa_family);
  if (rc == 0) {
    a->udp_open = true;
    a->open_handles++;
    a->udp.data = a;
    /* Connected: a fresh random source port, and the kernel drops datagrams from elsewhere. */
    rc = uv_udp_connect(&a->udp, to);
  }
  if (rc == 0) rc = uv_udp_recv_start(&a->udp, udp_alloc, on_udp_recv);
  if (rc == 0) {
    uv_buf_t b = uv_buf_init((char *)a->query + 2, (unsigned)a->query_len);
    int sent = uv_udp_try_send(&a->udp, &b, 1, NULL);
    rc = sent < 0 ? sent : 0;
  }
  if (rc) a->fail_status = ZQ_DNS_FWD_NETWORK;
  uv_timer_start(&a->timer, on_timer, rc ? 0 : fw->timeout_ms, 0);
  return ZQUIC_OK;
}

/* ---- the public (internal) API ------------------------------------------------------------- */

int zq_fwd_parse_address(const char *text, uint16_t default_port, zq_addr *out) {
  char host[64];
  uint16_t port = default_port;
  if (zq_host_is_ip(text)) { /* "192.0.2.1" or "2001:db8::1": no port */
    snprintf(host, sizeof(host), "%s", text);
  } else if (text[0] == '[' && strchr(text, ']') && !strchr(text, ']')[1]) { /* "[2001:db8::1]" */
    size_t n = (size_t)(strchr(text, ']') - text - 1);
    if (n >= sizeof(host)) n = sizeof(host) - 1;
    memcpy(host, text + 1, n);
    host[n] = '\0';
  } else if (zq_addr_split(text, host, sizeof(host), &port) != 0) {
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "upstream \"%s\": expected IP, IP:PORT or "
                    "[IPv6]:PORT", text);
  }
  if (!zq_host_is_ip(host) || port == 0)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "upstream \"%s\": the host must be an IP address "
                    "and the port 1-65535", text);
  if (zq_addr_resolve(host, port, 0, out) != 0)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "upstream \"%s\": not an address", text);
  return ZQUIC_OK;
}

static int parse_upstream(zq_dns_forwarder *fw, const char *text, const char *ca_file,
                          upstream *out) {
  if (!text || !*text) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "empty upstream address");
  const char *address = text;
  if (zq_fwd_doq_scheme(text, &address)) return zq_fwd_doq_open(fw, out, address, ca_file);
  int rc = zq_fwd_parse_address(text, 53, &out->addr);
  if (rc == 0) zq_addr_format(&out->addr, out->text, sizeof(out->text));
  return rc;
}

static void close_upstreams(zq_dns_forwarder *fw) {
  for (size_t i = 0; i < ZQ_DNS_FORWARD_MAX_UPSTREAMS; i++) zq_fwd_doq_close(&fw->ups[i]);
}

int zq_dns_forwarder_new(zquic_context *ctx, const char *const *upstreams, size_t n_upstreams,
                         uint32_t timeout_ms, const char *ca_file, zq_dns_forwarder **out) {
  *out = NULL;
  if (!ctx || !upstreams || n_upstreams == 0 || n_upstreams > ZQ_DNS_FORWARD_MAX_UPSTREAMS)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "between 1 and %d upstreams, please",
                    ZQ_DNS_FORWARD_MAX_UPSTREAMS);
  zq_dns_forwarder *fw = calloc(1, sizeof(*fw));
  if (!fw) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  fw->ctx = ctx;
  fw->timeout_ms = timeout_ms ? timeout_ms : ZQ_DNS_FORWARD_DEFAULT_TIMEOUT_MS;
  zq_list_init(&fw->forwards);
  zq_list_init(&fw->attempts);
  for (size_t i = 0; i < n_upstreams; i++) {
    int rc = parse_upstream(fw, upstreams[i], ca_file, &fw->ups[i]);
    if (rc) {
      close_upstreams(fw);
      free(fw);
      return rc;
    }
  }
  fw->n_ups = n_upstreams;
  *out = fw;
  return ZQUIC_OK;
}

static int free_on_loop(void *arg) {
  zq_dns_forwarder *fw = arg;
  fw->freeing = true;
  zq_list_node *n, *tmp;
  zq_list_for_each_safe(n, tmp, &fw->forwards) {
    zq_dns_forward *f = zq_container_of(n, zq_dns_forward, node);
    if (f->current) abandon(f->current);
    forward_release(f);
  }
  zq_list_init(&fw->forwards);
  /* DoQ exchanges in flight end with ZQUIC_ERR_CLOSED; their attempts then let go of fw. */
  close_upstreams(fw);
  if (zq_list_empty(&fw->attempts)) fw_free_memory(fw);
  /* else the last attempt's handle to close frees it */
  return 0;
}

void zq_dns_forwarder_free(zq_dns_forwarder *fw) {
  if (!fw) return;
  zquic_context *ctx = fw->ctx;
  bool taken = zq_ctx_enter(ctx);
  zq_ctx_call(ctx, free_on_loop, fw);
  zq_ctx_leave(ctx, taken);
}

static int build_query(zq_dns_forward *f, const zq_dns_query *q) {
  ldns_rdf *name = ldns_rdf_clone(q->qname);
  f->qname = ldns_rdf_clone(q->qname);
  ldns_pkt *p = name ? ldns_pkt_query_new(name, (ldns_rr_type)q->qtype, (ldns_rr_class)q->qclass,
                                          LDNS_RD)
                     : NULL;
  if (!p) ldns_rdf_deep_free(name);
  int rc = p && f->qname ? ZQUIC_OK : ZQUIC_ERR_NO_MEMORY;
  if (rc == 0) {
    ldns_pkt_set_id(p, 0);
    ldns_pkt_set_cd(p, q->cd);
    ldns_pkt_set_edns_udp_size(p, ZQ_FWD_UDP_SIZE);
    ldns_pkt_set_edns_do(p, q->do_bit);
    if (ldns_pkt2wire(&f->wire, p, &f->wire_len) != LDNS_STATUS_OK || f->wire_len > ZQ_FWD_MAX_MESSAGE)
      rc = ZQUIC_ERR_NO_MEMORY;
  }
  ldns_pkt_free(p);
  return rc;
}

int zq_dns_forward_start(zq_dns_forwarder *fw, const zq_dns_query *q, zq_dns_forward_cb cb,
                         void *user, zq_dns_forward **out) {
  *out = NULL;
  if (fw->inflight >= ZQ_DNS_FORWARD_MAX_INFLIGHT)
    return zq_error(ZQUIC_ERR_LIMIT, "%d queries are already waiting for upstreams",
                    ZQ_DNS_FORWARD_MAX_INFLIGHT);
  if (!q->qname) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "query without a question");
  zq_dns_forward *f = calloc(1, sizeof(*f));
  if (!f) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
  f->fw = fw;
  f->cb = cb;
  f->user = user;
  f->client_id = q->id;
  f->qtype = q->qtype;
  f->qclass = q->qclass;
  f->first = fw->preferred;
  zq_list_push_back(&fw->forwards, &f->node);
  fw->inflight++;
  int rc = build_query(f, q);
  if (rc == 0) rc = start_attempt(f);
  if (rc) {
    forward_free(f);
    return zq_error(rc, "out of memory");
  }
  fw->st.forwarded++;
  *out = f;
  return ZQUIC_OK;
}

void zq_dns_forward_cancel(zq_dns_forward *f) {
  if (!f) return;
  if (f->current) abandon(f->current);
  forward_free(f);
}

void zq_dns_forwarder_stats_get(const zq_dns_forwarder *fw, zq_dns_forwarder_stats *out) {
  *out = fw->st;
}

size_t zq_dns_forwarder_upstreams(const zq_dns_forwarder *fw) { return fw->n_ups; }
