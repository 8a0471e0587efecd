/*
 * endpoint.c — one UDP socket and the datagrams through it.
 *
 * A server endpoint is shared by all of its connections; each client connection has its own (so a
 * client's port identifies it and the kernel does the demultiplexing). A server with worker loops
 * has one endpoint per worker, all bound to one address with SO_REUSEPORT (workers.c). Incoming datagrams are read
 * in batches with recvmmsg, routed by Destination Connection ID through ep->cids, and anything
 * unknown that looks like a new Initial goes to the server's accept path. ECN bits are read from
 * IP_TOS/IPV6_TCLASS control messages so ngtcp2 can validate ECN.
 *
 * A server socket bound to a wildcard address (0.0.0.0, [::]) also asks for each datagram's
 * destination address (IP_PKTINFO/IPV6_PKTINFO): it becomes the local half of the ngtcp2 path,
 * and replies are sent from it. Otherwise the kernel picks the source by route, and a client that
 * wrote to another of the machine's addresses would drop the answers as coming from a stranger.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

#define RECV_BATCH 16
#define RECV_BUF 65536

static int set_recv_ecn(int fd, int family) {
  int on = 1;
  if (family == AF_INET6) {
    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &on, sizeof(on));
    /* Dual-stack sockets also receive IPv4 packets whose TOS arrives as IP_TOS. */
    setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &on, sizeof(on));
  } else {
    setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &on, sizeof(on));
  }
  return 0;
}

static bool is_wildcard(const zq_addr *addr) {
  if (addr->ss.ss_family == AF_INET6)
    return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)(const void *)&addr->ss)->sin6_addr);
  return ((const struct sockaddr_in *)(const void *)&addr->ss)->sin_addr.s_addr == htonl(INADDR_ANY);
}

int zq_endpoint_want_pktinfo(zq_endpoint *ep) {
  if (!is_wildcard(&ep->local)) return ZQUIC_OK; /* the bound address is the only source */
  int on = 1;
  /* On a dual-stack socket IPV6_PKTINFO also covers IPv4 datagrams (as v4-mapped addresses). */
  int rc = ep->local.ss.ss_family == AF_INET6
             ? setsockopt(ep->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on))
             : setsockopt(ep->fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
  if (rc != 0) return zq_error(ZQUIC_ERR_SOCKET, "setsockopt(PKTINFO): %s", strerror(errno));
  ep->pktinfo = true;
  return ZQUIC_OK;
}

/* reuse: 0 = a private socket, 1 = SO_REUSEPORT after bind (the first of a group: binding
 * without it first still fails on a port somebody else holds, reuseport or not, and port 0 then
 * picks a port nobody holds), 2 = SO_REUSEPORT before bind (joins the group bound there). */
static int open_socket(zquic_context *ctx, const zq_addr *bind_addr, int reuse, zq_endpoint *ep) {
  memset(ep, 0, sizeof(*ep));
  ep->ctx = ctx;
  ep->fd = -1;
  int family = bind_addr->ss.ss_family;
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return zq_error(ZQUIC_ERR_SOCKET, "socket: %s", strerror(errno));
  if (family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const void *)&bind_addr->ss;
    int v6only = !IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr); /* [::] serves IPv4 too */
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
  }
  /* The default 208 KiB drops datagrams at a few Gbit/s; the FORCE variants pass the sysctl caps
   * when we may (CAP_NET_ADMIN), the plain ones are capped but still help. */
  int bufsize = 8 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsize, sizeof(bufsize)) != 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize));
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bufsize, sizeof(bufsize)) != 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof(bufsize));
  set_recv_ecn(fd, family);
  int on = 1; /* receive coalesced datagrams (GRO); each carries its segment size */
  setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof(on));
  const char *failed = NULL;
  if (reuse == 2 && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0)
    failed = "setsockopt(SO_REUSEPORT)";
  if (!failed && bind(fd, (const struct sockaddr *)&bind_addr->ss, bind_addr->len) != 0)
    failed = "bind";
  if (!failed && reuse == 1 && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0)
    failed = "setsockopt(SO_REUSEPORT) after bind";
  if (failed) {
    char text[80];
    zq_addr_format(bind_addr, text, sizeof(text));
    int err = errno;
    close(fd);
    return zq_error(ZQUIC_ERR_SOCKET, "%s %s: %s", failed, text, strerror(err));
  }
  ep->local.len = sizeof(ep->local.ss);
  getsockname(fd, (struct sockaddr *)&ep->local.ss, &ep->local.len);
  ep->fd = fd;
  int rc = zq_cidmap_init(&ep->cids);
  if (rc == 0 && (rc = zq_cidmap_init(&ep->closed)) != 0) zq_cidmap_clear(&ep->cids);
  zq_list_init(&ep->closed_list);
  if (rc) {
    close(fd);
    ep->fd = -1;
    return zq_error(rc, "out of memory");
  }
  return ZQUIC_OK;
}

int zq_endpoint_open(zquic_context *ctx, const zq_addr *bind_addr, bool reuseport, zq_endpoint *ep) {
  return open_socket(ctx, bind_addr, reuseport ? 1 : 0, ep);
}

int zq_endpoint_open_sibling(zquic_context *ctx, const zq_addr *bound, zq_endpoint *ep) {
  return open_socket(ctx, bound, 2, ep);
}

/* The ECN bits and (with pktinfo) the destination address of a received datagram, as a socket
 * address with the endpoint's port in *dst. Returns the ECN bits; *have_dst says whether *dst was
 * filled. */
static uint32_t parse_cmsgs(const zq_endpoint *ep, struct msghdr *msg, zq_addr *dst,
                            bool *have_dst, size_t *gro_size) {
  uint32_t ecn = 0;
  *have_dst = false;
  *gro_size = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int size;
      memcpy(&size, CMSG_DATA(c), sizeof(size));
      if (size > 0) *gro_size = (size_t)size;
      continue;
    }
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) {
      ecn = (uint32_t)(*(uint8_t *)CMSG_DATA(c)) & 0x3;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS &&
               c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int v;
      memcpy(&v, CMSG_DATA(c), sizeof(v));
      ecn = (uint32_t)v & 0x3;
    } else if (ep->pktinfo && c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
               ep->local.ss.ss_family == AF_INET) {
      struct in_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof(pi));
      *dst = ep->local;
      ((struct sockaddr_in *)(void *)&dst->ss)->sin_addr = pi.ipi_addr;
      *have_dst = true;
    } else if (ep->pktinfo && c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
               ep->local.ss.ss_family == AF_INET6) {
      struct in6_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof(pi));
      *dst = ep->local;
      ((struct sockaddr_in6 *)(void *)&dst->ss)->sin6_addr = pi.ipi6_addr;
      *have_dst = true;
    }
  }
  return ecn;
}

static bool server_speaks(const zquic_server *srv, uint32_t version) {
  for (size_t i = 0; i < srv->n_versions; i++)
    if (srv->versions[i] == version) return true;
  return false;
}

void zq_endpoint_dispatch(zq_endpoint *ep, const zq_addr *local, const struct sockaddr_storage *from,
                          socklen_t fromlen, const uint8_t *pkt, size_t len, uint32_t ecn) {
  /* ngtcp2 asserts on empty input (Debian builds it with assertions on): anyone could stop the
   * whole process with one zero-length UDP datagram. */
  if (len == 0) return;
  ngtcp2_version_cid vc;
  int rv = ngtcp2_pkt_decode_version_cid(&vc, pkt, len, ZQ_CID_LEN);
  ngtcp2_path path = {
    .local = {.addr = (ngtcp2_sockaddr *)(uintptr_t)&local->ss, .addrlen = local->len},
    .remote = {.addr = (ngtcp2_sockaddr *)(uintptr_t)from, .addrlen = fromlen},
  };
  if (rv == NGTCP2_ERR_VERSION_NEGOTIATION) {
    if (ep->server) zq_server_version_negotiation(ep, &path, &vc);
    return;
  }
  if (rv != 0) return; /* not QUIC, or garbage: drop silently (RFC 9000 5.2) */
  zquic_connection *conn = zq_cidmap_get(&ep->cids, vc.dcid, vc.dcidlen);
  if (conn) {
    zq_conn_read(conn, &path, pkt, len, ecn);
    return;
  }
  if (!ep->server) {
    /* A client endpoint belongs to one connection, and a Stateless Reset carries random bytes
     * where the connection ID would be: hand short-header packets to the connection anyway so
     * that ngtcp2 can recognise the reset by its token. */
    if (!(pkt[0] & 0x80) && !ep->closing) {
      zquic_connection *owner = zq_container_of(ep, zquic_connection, ep_storage);
      zq_conn_read(owner, &path, pkt, len, ecn);
    }
    return;
  }
  if (!(pkt[0] & 0x80)) { /* short header for a connection we do not know (any more) */
    /* ...or one that another worker owns, when the kernel did not steer it there. */
    if (ep->server->group && zq_worker_forward(ep->server, local, from, fromlen, pkt, len, vc.dcid,
                                               vc.dcidlen, ecn))
      return;
    if (zq_closing_answer(ep, &path, vc.dcid, vc.dcidlen)) return; /* closed just now */
    zq_server_stateless_reset(ep, &path, vc.dcid, vc.dcidlen, len);
    return;
  }
  ngtcp2_pkt_hd hd;
  if (ngtcp2_accept(&hd, pkt, len) != 0) return; /* not a valid first Initial */
  if (!server_speaks(ep->server, hd.version)) {
    zq_server_version_negotiation(ep, &path, &vc);
    return;
  }
  zq_admission adm;
  if (zq_server_admit(ep, &path, &hd, &adm) != ZQ_ADMIT_ACCEPT) return;
  zq_conn_accept_initial(ep, &path, &hd, &adm, pkt, len, ecn);
}

struct inject_args {
  zq_endpoint *ep;
  const struct sockaddr_storage *from;
  socklen_t fromlen;
  const uint8_t *pkt;
  size_t len;
};

static int inject_on_loop(void *arg) {
  struct inject_args *a = arg;
  if (!a->ep->closing) zq_endpoint_dispatch(a->ep, &a->ep->local, a->from, a->fromlen, a->pkt, a->len, 0);
  return 0;
}

void zq_endpoint_inject(zq_endpoint *ep, const struct sockaddr_storage *from, socklen_t fromlen,
                        const uint8_t *pkt, size_t len) {
  struct inject_args a = {ep, from, fromlen, pkt, len};
  bool taken = zq_ctx_enter(ep->ctx);
  /* libuv handles (a new connection's timer) may only be touched on the loop thread. */
  zq_ctx_call(ep->ctx, inject_on_loop, &a);
  zq_ctx_leave(ep->ctx, taken);
}

static void on_readable(zq_endpoint *ep) {
  static _Thread_local uint8_t bufs[RECV_BATCH][RECV_BUF];
  struct mmsghdr msgs[RECV_BATCH];
  struct iovec iov[RECV_BATCH];
  struct sockaddr_storage from[RECV_BATCH];
  union {
    char buf[CMSG_SPACE(sizeof(int)) * 3 + CMSG_SPACE(sizeof(struct in6_pktinfo))];
    struct cmsghdr align;
  } ctrl[RECV_BATCH];
  for (int round = 0; round < 64 && !ep->closing; round++) {
    for (int i = 0; i < RECV_BATCH; i++) {
      iov[i].iov_base = bufs[i];
      iov[i].iov_len = RECV_BUF;
      memset(&msgs[i], 0, sizeof(msgs[i]));
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_control = ctrl[i].buf;
      msgs[i].msg_hdr.msg_controllen = sizeof(ctrl[i].buf);
    }
    int n = recvmmsg(ep->fd, msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) return;
    for (int i = 0; i < n && !ep->closing; i++) {
      zq_addr dst;
      bool have_dst;
      size_t gro;
      uint32_t ecn = parse_cmsgs(ep, &msgs[i].msg_hdr, &dst, &have_dst, &gro);
      /* A GRO buffer holds several datagrams of `gro` bytes (the last may be shorter). */
      size_t total = msgs[i].msg_len, step = gro ? gro : total;
      for (size_t off = 0; off < total && !ep->closing; off += step) {
        size_t n = total - off < step ? total - off : step;
        zq_endpoint_dispatch(ep, have_dst ? &dst : &ep->local, &from[i], msgs[i].msg_hdr.msg_namelen,
                 bufs[i] + off, n, ecn);
      }
    }
    if (n < RECV_BATCH) return;
  }
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  zq_endpoint *ep = handle->data;
  zquic_context *ctx = ep->ctx;
  pthread_mutex_lock(&ctx->lock);
  if (status == 0 && (events & UV_READABLE)) on_readable(ep);
  if (status == 0 && (events & UV_WRITABLE) && !ep->closing) {
    ep->want_writable = false;
    uv_poll_start(&ep->poll, UV_READABLE, on_poll);
    /* Writes stalled on EAGAIN: let every connection of this endpoint try again. */
    if (ep->server) {
      zq_list_node *n, *tmp;
      zq_list_for_each_safe(n, tmp, &ep->server->conns) {
        zq_conn_schedule(zq_container_of(n, zquic_connection, list_node));
      }
    } else {
      zquic_connection *conn = zq_container_of(ep, zquic_connection, ep_storage);
      zq_conn_schedule(conn);
    }
  }
  /* No blanket notify: each change a blocked caller waits for (bytes, acks, headers, close)
   * notifies where it happens. Waking every waiter after each batch of packets cost a futex
   * wake and a thread switch per batch on a bulk download. */
  zq_ctx_flush_dirty(ctx);
  zq_ctx_unlock(ctx);
}

int zq_endpoint_start(zq_endpoint *ep) {
  int rc = uv_poll_init(&ep->ctx->loop, &ep->poll, ep->fd);
  if (rc != 0) return zq_error(ZQUIC_ERR_SOCKET, "uv_poll_init: %s", uv_strerror(rc));
  ep->poll.data = ep;
  ep->poll_started = true;
  uv_poll_start(&ep->poll, UV_READABLE, on_poll);
  return ZQUIC_OK;
}

static void finish_close(zq_endpoint *ep) {
  close(ep->fd);
  ep->fd = -1;
  zq_cidmap_clear(&ep->cids);
  zq_closing_clear(ep);
  if (ep->on_closed) ep->on_closed(ep);
}

static void on_poll_closed(uv_handle_t *handle) { finish_close(handle->data); }

void zq_endpoint_close(zq_endpoint *ep) {
  if (ep->closing) return;
  ep->closing = true;
  if (ep->poll_started) {
    uv_close((uv_handle_t *)&ep->poll, on_poll_closed);
  } else {
    finish_close(ep);
  }
}

static int send_one_msg(zq_endpoint *ep, const ngtcp2_path *path, const uint8_t *data, size_t len,
                        size_t gso_size, uint32_t ecn) {
  struct iovec iov = {(void *)(uintptr_t)data, len};
  union {
    char buf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct in6_pktinfo)) +
             CMSG_SPACE(sizeof(uint16_t))];
    struct cmsghdr align;
  } ctrl;
  memset(&ctrl, 0, sizeof(ctrl));
  struct msghdr msg = {0};
  msg.msg_name = path->remote.addr;
  msg.msg_namelen = path->remote.addrlen;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctrl.buf;
  msg.msg_controllen = sizeof(ctrl.buf);
  size_t used = 0;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (ecn) {
    int tos = (int)ecn;
    if (ep->local.ss.ss_family == AF_INET6 && path->remote.addr->sa_family == AF_INET6) {
      c->cmsg_level = IPPROTO_IPV6;
      c->cmsg_type = IPV6_TCLASS;
    } else {
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_TOS;
    }
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &tos, sizeof(tos));
    used += CMSG_SPACE(sizeof(int));
    c = CMSG_NXTHDR(&msg, c);
  }
  /* Answer from the address the peer wrote to (see the top of this file). An unspecified one
   * would leave the choice to the kernel anyway, and Linux refuses it for v4-mapped peers. */
  zq_addr local = {.len = path->local.addrlen};
  if (ep->pktinfo && path->local.addrlen <= sizeof(local.ss))
    memcpy(&local.ss, path->local.addr, path->local.addrlen);
  if (ep->pktinfo && local.ss.ss_family == ep->local.ss.ss_family && !is_wildcard(&local)) {
    if (ep->local.ss.ss_family == AF_INET6) {
      struct in6_pktinfo pi = {
        .ipi6_addr = ((const struct sockaddr_in6 *)(const void *)path->local.addr)->sin6_addr};
      c->cmsg_level = IPPROTO_IPV6;
      c->cmsg_type = IPV6_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(pi));
      memcpy(CMSG_DATA(c), &pi, sizeof(pi));
      used += CMSG_SPACE(sizeof(pi));
    } else {
      struct in_pktinfo pi = {
        .ipi_spec_dst = ((const struct sockaddr_in *)(const void *)path->local.addr)->sin_addr};
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(pi));
      memcpy(CMSG_DATA(c), &pi, sizeof(pi));
      used += CMSG_SPACE(sizeof(pi));
    }
  }
  if (gso_size && len > gso_size) {
    c = (struct cmsghdr *)(void *)(ctrl.buf + used); /* every block above is CMSG_SPACE-aligned */
    uint16_t segment = (uint16_t)gso_size;
    c->cmsg_level = SOL_UDP;
    c->cmsg_type = UDP_SEGMENT;
    c->cmsg_len = CMSG_LEN(sizeof(segment));
    memcpy(CMSG_DATA(c), &segment, sizeof(segment));
    used += CMSG_SPACE(sizeof(segment));
  }
  msg.msg_controllen = used;
  if (!used) msg.msg_control = NULL;
  for (;;) {
    ssize_t n = sendmsg(ep->fd, &msg, MSG_DONTWAIT);
    if (n >= 0) return ZQUIC_OK;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!ep->want_writable && ep->poll_started && !ep->closing) {
        ep->want_writable = true;
        uv_poll_start(&ep->poll, UV_READABLE | UV_WRITABLE, on_poll);
      }
      return ZQUIC_ERR_WOULD_BLOCK;
    }
    if (gso_size && (errno == EIO || errno == EINVAL || errno == EOPNOTSUPP)) return ZQUIC_ERR_UNSUPPORTED;
    /* ICMP errors (ECONNREFUSED...) and the like: the datagram is lost, QUIC recovers. */
    return ZQUIC_OK;
  }
}

int zq_endpoint_send_gso(zq_endpoint *ep, const ngtcp2_path *path, const uint8_t *data, size_t len,
                         size_t gso_size, uint32_t ecn) {
  if (ep->fd < 0) return ZQUIC_ERR_CLOSED;
  if (gso_size && len > gso_size && !ep->no_gso) {
    int rc = send_one_msg(ep, path, data, len, gso_size, ecn);
    if (rc != ZQUIC_ERR_UNSUPPORTED) return rc;
    ep->no_gso = true; /* this kernel or device cannot segment: never ask again */
  }
  if (!gso_size || len <= gso_size) return send_one_msg(ep, path, data, len, 0, ecn);
  for (size_t off = 0; off < len; off += gso_size) {
    size_t n = len - off < gso_size ? len - off : gso_size;
    int rc = send_one_msg(ep, path, data + off, n, 0, ecn);
    if (rc == ZQUIC_ERR_WOULD_BLOCK && off == 0) return rc;
    if (rc == ZQUIC_ERR_WOULD_BLOCK) return ZQUIC_OK; /* the rest is lost; QUIC resends it */
  }
  return ZQUIC_OK;
}

int zq_endpoint_send(zq_endpoint *ep, const ngtcp2_path *path, const uint8_t *data, size_t len,
                     uint32_t ecn) {
  return zq_endpoint_send_gso(ep, path, data, len, 0, ecn);
}
