/*
 * addr.c — "host:port" text to socket addresses and back, and ALPN list parsing.
 *
 * Numeric hosts are parsed with AI_NUMERICHOST so that tests using 127.0.0.1 or ::1 never consult
 * the system resolver; names go through getaddrinfo (which reads /etc/hosts for "localhost").
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int zq_addr_split(const char *text, char *host, size_t host_cap, uint16_t *port) {
  if (!text || !*text) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "empty address");
  const char *colon;
  const char *h = text;
  size_t hlen;
  if (text[0] == '[') {
    const char *close = strchr(text, ']');
    if (!close || close[1] != ':')
      return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "address \"%s\": expected [v6]:port", text);
    h = text + 1;
    hlen = (size_t)(close - h);
    colon = close + 1;
  } else {
    colon = strrchr(text, ':');
    if (!colon || strchr(text, ':') != colon)
      return zq_error(ZQUIC_ERR_INVALID_ARGUMENT,
                      "address \"%s\": expected host:port (IPv6 as [addr]:port)", text);
    hlen = (size_t)(colon - text);
  }
  if (hlen == 0 || hlen >= host_cap)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "address \"%s\": bad host part", text);
  /* Digits only: strtol alone would also take "+80", " 80" or "-0". */
  long p = 0;
  const char *d = colon + 1;
  for (; *d >= '0' && *d <= '9' && p <= 65535; d++) p = p * 10 + (*d - '0');
  if (!colon[1] || *d || p > 65535)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "address \"%s\": port must be 0-65535", text);
  memcpy(host, h, hlen);
  host[hlen] = '\0';
  *port = (uint16_t)p;
  return ZQUIC_OK;
}

int zq_host_is_ip(const char *host) {
  struct in6_addr a6;
  struct in_addr a4;
  return inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, host, &a6) == 1;
}

int zq_addr_resolve(const char *host, uint16_t port, int passive, zq_addr *out) {
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = (passive ? AI_PASSIVE : 0) | (zq_host_is_ip(host) ? AI_NUMERICHOST : 0);
  char portstr[8];
  snprintf(portstr, sizeof(portstr), "%u", port);
  int rc = getaddrinfo(host, portstr, &hints, &res);
  if (rc != 0 || !res)
    return zq_error(ZQUIC_ERR_RESOLVE, "cannot resolve \"%s\": %s", host, gai_strerror(rc));
  memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
  out->len = res->ai_addrlen;
  freeaddrinfo(res);
  return ZQUIC_OK;
}

void zq_addr_format(const zq_addr *addr, char *out, size_t cap) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (addr->ss.ss_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const void *)&addr->ss;
    inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
    snprintf(out, cap, "[%s]:%u", host, ntohs(s6->sin6_port));
  } else {
    const struct sockaddr_in *s4 = (const void *)&addr->ss;
    inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
    snprintf(out, cap, "%s:%u", host, ntohs(s4->sin_port));
  }
}

uint16_t zq_addr_port(const zq_addr *addr) {
  if (addr->ss.ss_family == AF_INET6) return ntohs(((const struct sockaddr_in6 *)(const void *)&addr->ss)->sin6_port);
  return ntohs(((const struct sockaddr_in *)(const void *)&addr->ss)->sin_port);
}

int zq_alpn_parse(const char *text, zq_alpn_list *out) {
  memset(out, 0, sizeof(*out));
  if (!text) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "ALPN list is NULL");
  const char *p = text;
  while (*p) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    if (n == 0 || n >= sizeof(out->names[0]))
      return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "ALPN \"%s\": names must be 1-31 bytes", text);
    if (out->count == ZQ_ALPN_MAX)
      return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "ALPN \"%s\": at most %d names", text, ZQ_ALPN_MAX);
    memcpy(out->names[out->count], p, n);
    out->names[out->count][n] = '\0';
    out->count++;
    p += n;
    if (*p == ',' && !*++p) /* "h3," ends with an empty name */
      return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "ALPN \"%s\": names must be 1-31 bytes", text);
  }
  if (out->count == 0) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "ALPN list is empty");
  return ZQUIC_OK;
}
