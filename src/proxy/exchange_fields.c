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
 * Strings built here live in zq_px_fields' own arena, then in fixed blocks chained to it, so
 * adding one never moves those already pointed to.
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
  if (f->list != f->inline_list) free(f->list);
  f->list = NULL;
  f->storage = NULL;
  f->n = f->cap = f->arena_used = 0;
}

/* Ready to fill: the inline list and arena, no heap yet. Not memset: the arrays need no zeros. */
static void fields_init(zq_px_fields *f) {
  f->list = f->inline_list;
  f->n = 0;
  f->cap = ZQ_PX_FIELDS_INLINE;
  f->storage = NULL;
  f->arena_used = 0;
}

/* A copy of `s` that lives as long as `f`. */
static const char *keep(zq_px_fields *f, const char *s, size_t len) {
  char *out;
  if (ZQ_PX_FIELDS_ARENA - f->arena_used >= len + 1) {
    out = f->arena + f->arena_used;
    f->arena_used += len + 1;
  } else {
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
    out = b->data + b->used;
    b->used += len + 1;
  }
  memcpy(out, s, len);
  out[len] = '\0';
  return out;
}

static int add(zq_px_fields *f, const char *name, const char *value) {
  if (f->n == f->cap) {
    size_t cap = f->cap * 2;
    bool was_inline = f->list == f->inline_list;
    zquic_h3_header *grown = was_inline ? malloc(cap * sizeof(*grown))
                                        : realloc(f->list, cap * sizeof(*grown));
    if (!grown) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
    if (was_inline) memcpy(grown, f->inline_list, f->n * sizeof(*grown));
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

/* The fields this file treats specially, told apart by length before any strcasecmp: a field
 * used to cost a dozen strcasecmp calls each way. */
typedef enum field_kind {
  F_OTHER = 0,
  F_CONNECTION, F_KEEP_ALIVE, F_PROXY_CONNECTION, F_TRANSFER_ENCODING, F_UPGRADE, F_TRAILER,
  F_TE, /* the last hop-by-hop kind */
  F_HOST, F_X_FORWARDED_FOR, F_X_FORWARDED_PROTO, F_X_FORWARDED_HOST, F_FORWARDED, F_VIA,
  F_SERVER, F_ALT_SVC,
} field_kind;

static field_kind classify(const char *name) {
  static const struct { const char *name; size_t len; field_kind kind; } known[] = {
    {"connection", 10, F_CONNECTION}, {"keep-alive", 10, F_KEEP_ALIVE},
    {"proxy-connection", 16, F_PROXY_CONNECTION}, {"transfer-encoding", 17, F_TRANSFER_ENCODING},
    {"upgrade", 7, F_UPGRADE}, {"trailer", 7, F_TRAILER}, {"te", 2, F_TE}, {"host", 4, F_HOST},
    {"x-forwarded-for", 15, F_X_FORWARDED_FOR}, {"x-forwarded-proto", 17, F_X_FORWARDED_PROTO},
    {"x-forwarded-host", 16, F_X_FORWARDED_HOST}, {"forwarded", 9, F_FORWARDED},
    {"via", 3, F_VIA}, {"server", 6, F_SERVER}, {"alt-svc", 7, F_ALT_SVC}};
  size_t len = strlen(name);
  for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
    if (known[i].len == len && strcasecmp(name, known[i].name) == 0) return known[i].kind;
  return F_OTHER;
}

static bool hop_by_hop(field_kind k) { return k >= F_CONNECTION && k <= F_TE; }

bool zq_px_hop_by_hop(const char *name) { return hop_by_hop(classify(name)); }

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

/* Strings joined into a fixed buffer, cut short like snprintf when they do not fit (snprintf's
 * format parsing was a visible share of a proxied request's CPU). */
typedef struct joined {
  char *p;
  size_t len, cap;
} joined;

static void join(joined *j, const char *s) {
  size_t n = strlen(s);
  if (n > j->cap - 1 - j->len) n = j->cap - 1 - j->len;
  memcpy(j->p + j->len, s, n);
  j->len += n;
  j->p[j->len] = '\0';
}

static int append_to(zq_px_fields *f, const char *name, const char *old, const char *add_text) {
  char buf[4096];
  joined j = {buf, 0, sizeof(buf)};
  buf[0] = '\0';
  if (old) {
    join(&j, old);
    join(&j, ", ");
  }
  join(&j, add_text);
  return add_built(f, name, buf);
}

static int forwarding_fields(zq_px_fields *f, const zq_fields *in, const char *client_ip) {
  const char *authority = zq_fields_get(in, ":authority");
  if (!authority) authority = zq_fields_get(in, "host");
  if (!authority) authority = "";
  bool v6 = strchr(client_ip, ':') != NULL, host_colon = strchr(authority, ':') != NULL;
  char fwd[512];
  joined j = {fwd, 0, sizeof(fwd)};
  join(&j, v6 ? "for=\"[" : "for=");
  join(&j, client_ip);
  join(&j, v6 ? "]\";proto=https;host=" : ";proto=https;host=");
  join(&j, host_colon ? "\"" : "");
  join(&j, authority);
  join(&j, host_colon ? "\"" : "");
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

/* Fields the proxy sets itself on the way to the backend: the client's are replaced. */
static bool replaced_on_the_way(field_kind k) { return k >= F_HOST && k <= F_VIA; }

int zq_px_request_fields(const zq_h3_stream *st, const char *client_ip, int protocol,
                         zq_px_fields *out) {
  fields_init(out);
  const zq_fields *in = &st->headers;
  const char *connection = zq_fields_get(in, "connection");
  int rc = ZQUIC_OK;
  for (size_t i = 0; rc == 0 && i < in->count; i++) {
    const char *name = in->names[i], *value = in->values[i];
    if (name[0] == ':') continue;
    field_kind k = classify(name);
    if (replaced_on_the_way(k) || !clean_value(value)) continue;
    if (connection && named_by(connection, name)) continue;
    bool te_trailers = k == F_TE && strcasecmp(value, "trailers") == 0;
    if (hop_by_hop(k) && !(te_trailers && protocol == ZQ_PROXY_H3)) continue;
    rc = add(out, name, value);
  }
  if (rc == 0) rc = forwarding_fields(out, in, client_ip);
  if (rc) zq_px_fields_free(out);
  return rc;
}

int zq_px_response_fields(const zquic_h3_header *in, size_t n, int backend_protocol,
                          const char *alt_svc, zq_px_fields *out) {
  fields_init(out);
  const char *connection = NULL, *old_via = NULL;
  bool has_alt_svc = false;
  field_kind kinds[256];
  for (size_t i = 0; i < n; i++) {
    field_kind k = classify(in[i].name);
    if (i < sizeof(kinds) / sizeof(kinds[0])) kinds[i] = k;
    if (k == F_CONNECTION) connection = in[i].value;
    if (k == F_VIA) old_via = in[i].value;
    if (k == F_ALT_SVC) has_alt_svc = true;
  }
  int rc = ZQUIC_OK;
  for (size_t i = 0; rc == 0 && i < n; i++) {
    const char *name = in[i].name, *value = in[i].value;
    field_kind k = i < sizeof(kinds) / sizeof(kinds[0]) ? kinds[i] : classify(name);
    if (name[0] == ':' || hop_by_hop(k) || k == F_SERVER || k == F_VIA || !clean_value(value))
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
