/*
 * exchange_fields.c — the header fields Wraith forwards each way.
 *
 * To the backend: the client's fields minus pseudo-fields, hop-by-hop fields (RFC 9110 7.6.1:
 * Connection and every field it names, Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade,
 * Trailer, TE other than "trailers" to an HTTP/3 backend) and Host (the authority travels on its
 * own), plus what tells the backend who asked: Forwarded (RFC 7239), X-Forwarded-For/-Proto/-Host
 * and Via. A value carrying CR, LF or NUL is dropped rather than forwarded (nghttp3 validates
 * fields, but an HTTP/1.1 backend must never see a line break smuggled in).
 *
 * Back to the client: the backend's fields minus hop-by-hop ones and its `server` (the listener
 * names itself), plus Via and the listener's Alt-Svc.
 *
 * Strings built here live in fixed blocks chained in zq_px_fields, so adding one never moves
 * those already pointed to.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proxy_internal.h"

typedef struct zq_px_block {
  struct zq_px_block *next;
  size_t used, cap;
  char data[];
} zq_px_block;

void zq_px_fields_free(zq_px_fields *f) {
  zq_px_block *b = (zq_px_block *)(void *)f->storage;
  while (b) {
    zq_px_block *next = b->next;
    free(b);
    b = next;
  }
  free(f->list);
  memset(f, 0, sizeof(*f));
}

/* A copy of `s` that lives as long as `f`. */
static const char *keep(zq_px_fields *f, const char *s, size_t len) {
  zq_px_block *b = (zq_px_block *)(void *)f->storage;
  if (!b || b->cap - b->used < len + 1) {
    size_t cap = len + 1 > 4096 ? len + 1 : 4096;
    zq_px_block *nb = malloc(sizeof(*nb) + cap);
    if (!nb) return NULL;
    nb->next = b;
    nb->used = 0;
    nb->cap = cap;
    f->storage = (char *)(void *)nb;
    b = nb;
  }
  char *out = b->data + b->used;
  memcpy(out, s, len);
  out[len] = '\0';
  b->used += len + 1;
  return out;
}

static int add(zq_px_fields *f, const char *name, const char *value) {
  if (f->n == f->cap) {
    size_t cap = f->cap ? f->cap * 2 : 32;
    zquic_h3_header *grown = realloc(f->list, cap * sizeof(*grown));
    if (!grown) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
    f->list = grown;
    f->cap = cap;
  }
  f->list[f->n++] = (zquic_h3_header){name, value};
  return ZQUIC_OK;
}

static int add_built(zq_px_fields *f, const char *name, const char *value) {
  const char *v = keep(f, value, strlen(value));
  return v ? add(f, name, v) : zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
}

bool zq_px_hop_by_hop(const char *name) {
  static const char *const hop[] = {"connection", "keep-alive", "proxy-connection",
                                    "transfer-encoding", "upgrade", "trailer", "te"};
  for (size_t i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
    if (strcasecmp(name, hop[i]) == 0) return true;
  return false;
}

bool zq_px_method_idempotent(const char *method) {
  static const char *const ok[] = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"};
  for (size_t i = 0; method && i < sizeof(ok) / sizeof(ok[0]); i++)
    if (strcmp(method, ok[i]) == 0) return true;
  return false;
}

/* Is `name` one of the comma-separated tokens of a Connection value? */
static bool named_by(const char *connection, const char *name) {
  size_t len = strlen(name);
  for (const char *p = connection; p && *p;) {
    while (*p == ' ' || *p == '\t' || *p == ',') p++;
    const char *end = p;
    while (*end && *end != ',' && *end != ' ' && *end != '\t') end++;
    if ((size_t)(end - p) == len && strncasecmp(p, name, len) == 0) return true;
    p = end;
  }
  return false;
}

static bool clean_value(const char *v) { return v && strpbrk(v, "\r\n") == NULL; }

static int append_to(zq_px_fields *f, const char *name, const char *old, const char *add_text) {
  char buf[4096];
  if (old) snprintf(buf, sizeof(buf), "%s, %s", old, add_text);
  else snprintf(buf, sizeof(buf), "%s", add_text);
  return add_built(f, name, buf);
}

static int forwarding_fields(zq_px_fields *f, const zq_fields *in, const char *client_ip) {
  const char *authority = zq_fields_get(in, ":authority");
  if (!authority) authority = zq_fields_get(in, "host");
  if (!authority) authority = "";
  bool v6 = strchr(client_ip, ':') != NULL, host_colon = strchr(authority, ':') != NULL;
  char fwd[512];
  snprintf(fwd, sizeof(fwd), "for=%s%s%s%s;proto=https;host=%s%s%s", v6 ? "\"[" : "", client_ip,
           v6 ? "]" : "", v6 ? "\"" : "", host_colon ? "\"" : "", authority,
           host_colon ? "\"" : "");
  const char *old_xff = zq_fields_get(in, "x-forwarded-for");
  const char *old_fwd = zq_fields_get(in, "forwarded");
  const char *old_via = zq_fields_get(in, "via");
  int rc = append_to(f, "x-forwarded-for", old_xff && clean_value(old_xff) ? old_xff : NULL,
                     client_ip);
  if (rc == 0) rc = add(f, "x-forwarded-proto", "https");
  if (rc == 0 && clean_value(authority)) rc = add_built(f, "x-forwarded-host", authority);
  if (rc == 0) rc = append_to(f, "forwarded", old_fwd && clean_value(old_fwd) ? old_fwd : NULL, fwd);
  if (rc == 0) rc = append_to(f, "via", old_via && clean_value(old_via) ? old_via : NULL, "3 wraith");
  return rc;
}

static bool replaced_on_the_way(const char *name) {
  static const char *const ours[] = {"host", "x-forwarded-for", "x-forwarded-proto",
                                     "x-forwarded-host", "forwarded", "via"};
  for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
    if (strcasecmp(name, ours[i]) == 0) return true;
  return false;
}

int zq_px_request_fields(const zq_h3_stream *st, const char *client_ip, int protocol,
                         zq_px_fields *out) {
  memset(out, 0, sizeof(*out));
  const zq_fields *in = &st->headers;
  const char *connection = zq_fields_get(in, "connection");
  int rc = ZQUIC_OK;
  for (size_t i = 0; rc == 0 && i < in->count; i++) {
    const char *name = in->names[i], *value = in->values[i];
    if (name[0] == ':' || replaced_on_the_way(name) || !clean_value(value)) continue;
    if (connection && named_by(connection, name)) continue;
    bool te_trailers = strcasecmp(name, "te") == 0 && strcasecmp(value, "trailers") == 0;
    if (zq_px_hop_by_hop(name) && !(te_trailers && protocol == ZQ_PROXY_H3)) continue;
    rc = add(out, name, value);
  }
  if (rc == 0) rc = forwarding_fields(out, in, client_ip);
  if (rc) zq_px_fields_free(out);
  return rc;
}

int zq_px_response_fields(const zquic_h3_header *in, size_t n, int backend_protocol,
                          const char *alt_svc, zq_px_fields *out) {
  memset(out, 0, sizeof(*out));
  const char *connection = NULL, *old_via = NULL;
  bool has_alt_svc = false;
  for (size_t i = 0; i < n; i++) {
    if (strcasecmp(in[i].name, "connection") == 0) connection = in[i].value;
    if (strcasecmp(in[i].name, "via") == 0) old_via = in[i].value;
    if (strcasecmp(in[i].name, "alt-svc") == 0) has_alt_svc = true;
  }
  int rc = ZQUIC_OK;
  for (size_t i = 0; rc == 0 && i < n; i++) {
    const char *name = in[i].name, *value = in[i].value;
    if (name[0] == ':' || zq_px_hop_by_hop(name) || strcasecmp(name, "server") == 0 ||
        strcasecmp(name, "via") == 0 || !clean_value(value))
      continue;
    if (connection && named_by(connection, name)) continue;
    rc = add(out, name, value);
  }
  const char *via = backend_protocol == ZQ_PROXY_HTTP1 ? "1.1 wraith" : "3 wraith";
  if (rc == 0) rc = append_to(out, "via", old_via && clean_value(old_via) ? old_via : NULL, via);
  if (rc == 0 && alt_svc && !has_alt_svc) rc = add(out, "alt-svc", alt_svc);
  if (rc) zq_px_fields_free(out);
  return rc;
}
