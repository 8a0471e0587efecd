/*
 * h1_parse.c — see h1_parse.h. http-parser does the HTTP/1.1 syntax (status line, field syntax,
 * Content-Length vs chunked, the chunk framing, request-smuggling checks such as two
 * Content-Lengths); this file turns its callbacks into a proxy's view of a response.
 *
 * Pausing: a callback of ours that must stop (the owner stopped reading, the request went away,
 * the response ended) calls http_parser_pause, which makes http_parser_execute return the count
 * of bytes consumed so far; feed() clears the pause again at once so that the next feed() goes on
 * from there. The parser never sees a zero-length buffer from feed(): to http-parser that means
 * end of input, which only eof() may say.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "h1_parse.h"

#define MAX_CONNECTION_OPTIONS 32 /* names one Connection field section may list */
#define FIELD_WIRE_OVERHEAD 4     /* ": " and CRLF around each field */
#define NO_VALUE ((size_t)-1)

static zq_h1_response_parser *parser_of(http_parser *hp) { return hp->data; }

/* Remember the first failure; the http-parser callback then returns non-zero to stop. */
static int fail(zq_h1_response_parser *p, int code, const char *fmt, const char *arg) {
  if (!p->error) {
    p->error = code;
    snprintf(p->detail, sizeof(p->detail), fmt, arg);
  }
  p->phase = ZQ_H1_PHASE_FAILED;
  return -1;
}

/* ---- the field list --------------------------------------------------------------------------- */

static void fields_reset(zq_h1_field_list *f) {
  f->len = 0;
  f->n = 0;
  f->wire_bytes = 0;
  f->open = false;
  f->in_value = false;
}

static int fields_append(zq_h1_field_list *f, const char *data, size_t len) {
  if (f->len + len + 1 > f->cap) {
    size_t cap = f->cap ? f->cap : 1024;
    while (cap < f->len + len + 1) cap *= 2;
    char *text = realloc(f->text, cap);
    if (!text) return -1;
    f->text = text;
    f->cap = cap;
  }
  if (len) memcpy(f->text + f->len, data, len);
  f->len += len;
  return 0;
}

/* Terminate the field being assembled (an empty value if none came). */
static int fields_close(zq_h1_field_list *f) {
  if (!f->open) return 0;
  if (!f->in_value) {
    if (fields_append(f, "", 1)) return -1;
    f->at[2 * f->n - 1] = f->len;
  }
  f->open = f->in_value = false;
  return fields_append(f, "", 1);
}

static int fields_begin(zq_h1_field_list *f) {
  if (fields_close(f)) return -1;
  if (f->n == f->n_cap) {
    size_t n_cap = f->n_cap ? f->n_cap * 2 : 32;
    size_t *at = realloc(f->at, n_cap * 2 * sizeof(*at));
    if (!at) return -1;
    f->at = at;
    f->n_cap = n_cap;
  }
  f->at[2 * f->n] = f->len;
  f->at[2 * f->n + 1] = NO_VALUE;
  f->n++;
  f->open = true;
  f->wire_bytes += FIELD_WIRE_OVERHEAD;
  return 0;
}

/* ---- delivering a section: lower-cased names, hop-by-hop fields left out ----------------------- */

typedef struct option_list {
  const char *name[MAX_CONNECTION_OPTIONS];
  size_t len[MAX_CONNECTION_OPTIONS];
  size_t n;
} option_list;

static bool is_hop_by_hop(const char *name) {
  static const char *const hop[] = {"connection", "keep-alive",        "transfer-encoding", "te",
                                    "trailer",    "upgrade",           "proxy-connection"};
  for (size_t i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
    if (!strcmp(name, hop[i])) return true;
  return false;
}

static bool is_listed(const option_list *o, const char *name) {
  size_t len = strlen(name);
  for (size_t i = 0; i < o->n; i++)
    if (o->len[i] == len && !strncasecmp(o->name[i], name, len)) return true;
  return false;
}

/* Collect the names a Connection field lists ("close, X-Foo"). False when there are too many. */
static bool collect_options(const char *value, option_list *o) {
  const char *s = value;
  while (*s) {
    while (*s == ' ' || *s == '\t' || *s == ',') s++;
    const char *start = s;
    while (*s && *s != ',' && *s != ' ' && *s != '\t') s++;
    if (s == start) continue;
    if (o->n == MAX_CONNECTION_OPTIONS) return false;
    o->name[o->n] = start;
    o->len[o->n++] = (size_t)(s - start);
  }
  return true;
}

/* Fill `out` (n entries of f) with the fields to pass on; returns how many, or -1 on too many
 * Connection options. Names are lower-cased in place. */
static long fields_export(zq_h1_field_list *f, zquic_h3_header *out) {
  option_list options = {.n = 0};
  for (size_t i = 0; i < f->n; i++) {
    char *name = f->text + f->at[2 * i];
    for (char *c = name; *c; c++) *c = (char)tolower((unsigned char)*c);
    if (!strcmp(name, "connection") && !collect_options(f->text + f->at[2 * i + 1], &options))
      return -1;
  }
  long kept = 0;
  for (size_t i = 0; i < f->n; i++) {
    const char *name = f->text + f->at[2 * i];
    if (is_hop_by_hop(name) || is_listed(&options, name)) continue;
    out[kept].name = name;
    out[kept].value = f->text + f->at[2 * i + 1];
    kept++;
  }
  return kept;
}

/* Build the section's array for one callback; the caller frees *out. */
static int export_section(zq_h1_response_parser *p, zquic_h3_header **out, size_t *n) {
  *out = NULL;
  *n = 0;
  if (fields_close(&p->fields)) return fail(p, ZQUIC_ERR_NO_MEMORY, "%s", "out of memory");
  if (p->fields.n == 0) return 0;
  *out = malloc(p->fields.n * sizeof(**out));
  if (!*out) return fail(p, ZQUIC_ERR_NO_MEMORY, "%s", "out of memory");
  long kept = fields_export(&p->fields, *out);
  if (kept < 0) {
    free(*out);
    *out = NULL;
    return fail(p, ZQUIC_ERR_PROTOCOL, "backend's Connection field lists over %s names", "32");
  }
  *n = (size_t)kept;
  return 0;
}

/* ---- http-parser callbacks --------------------------------------------------------------------- */

static void stop_here(zq_h1_response_parser *p) {
  p->stop = true;
  http_parser_pause(&p->hp, 1);
}

static int count_wire(zq_h1_response_parser *p, size_t len) {
  p->fields.wire_bytes += len;
  if (p->fields.wire_bytes > p->max_header_bytes) {
    char limit[24];
    snprintf(limit, sizeof(limit), "%zu", p->max_header_bytes);
    return fail(p, ZQUIC_ERR_PROTOCOL,
                p->phase == ZQ_H1_PHASE_HEAD ? "backend's header section is over %s bytes"
                                             : "backend's trailer section is over %s bytes",
                limit);
  }
  return 0;
}

static int on_message_begin(http_parser *hp) {
  fields_reset(&parser_of(hp)->fields); /* a final response after a 1xx starts afresh */
  return 0;
}

static int on_status(http_parser *hp, const char *at, size_t len) {
  (void)at;
  return count_wire(parser_of(hp), len);
}

/* RFC 9110 tchar. http-parser (not built strict) lets a space through in names, and "Name : v"
 * is a request-smuggling classic: refuse what HTTP/3 could not carry anyway. */
static bool is_token(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == 0 || (!isalnum(c) && !strchr("!#$%&'*+-.^_`|~", c))) return false;
  }
  return true;
}

static int on_header_field(http_parser *hp, const char *at, size_t len) {
  zq_h1_response_parser *p = parser_of(hp);
  zq_h1_field_list *f = &p->fields;
  if (!is_token(at, len))
    return fail(p, ZQUIC_ERR_PROTOCOL, "%s", "backend sent a field name that is not a token");
  if ((!f->open || f->in_value) && fields_begin(f))
    return fail(p, ZQUIC_ERR_NO_MEMORY, "%s", "out of memory");
  if (count_wire(p, len)) return -1;
  if (fields_append(f, at, len)) return fail(p, ZQUIC_ERR_NO_MEMORY, "%s", "out of memory");
  return 0;
}

static int on_header_value(http_parser *hp, const char *at, size_t len) {
  zq_h1_response_parser *p = parser_of(hp);
  zq_h1_field_list *f = &p->fields;
  if (!f->open) return fail(p, ZQUIC_ERR_PROTOCOL, "%s", "backend sent a field value without a name");
  if (memchr(at, '\0', len))
    return fail(p, ZQUIC_ERR_PROTOCOL, "%s", "backend sent a NUL byte in a field value");
  if (count_wire(p, len)) return -1;
  if (!f->in_value) {
    if (fields_append(f, "", 1)) return fail(p, ZQUIC_ERR_NO_MEMORY, "%s", "out of memory");
    f->at[2 * f->n - 1] = f->len;
    f->in_value = true;
  }
  if (fields_append(f, at, len)) return fail(p, ZQUIC_ERR_NO_MEMORY, "%s", "out of memory");
  return 0;
}

/* Returns 1 to tell http-parser the response has no body (HEAD, 1xx, 204, 304). */
static int on_headers_complete(http_parser *hp) {
  zq_h1_response_parser *p = parser_of(hp);
  int status = (int)hp->status_code;
  char text[48];
  snprintf(text, sizeof(text), "%d.%d %d", hp->http_major, hp->http_minor, status);
  if (hp->http_major != 1)
    return fail(p, ZQUIC_ERR_PROTOCOL, "backend answered with HTTP/%s, not HTTP/1.x", text);
  if (status < 100 || status > 599)
    return fail(p, ZQUIC_ERR_PROTOCOL, "backend answered HTTP/%s: no such status", text);
  if (status == 101)
    return fail(p, ZQUIC_ERR_PROTOCOL, "backend answered HTTP/%s without being asked to upgrade",
                text);
  if (status < 200) return 1; /* 100 Continue, 103 Early Hints...: the final answer follows */
  zquic_h3_header *fields;
  size_t n;
  if (export_section(p, &fields, &n)) return -1;
  p->phase = ZQ_H1_PHASE_BODY;
  bool go_on = p->cb.on_response(p->user, status, fields, n);
  free(fields);
  fields_reset(&p->fields); /* trailers, if any, are counted and collected on their own */
  if (!go_on) stop_here(p);
  return p->head_request || status == 204 || status == 304 ? 1 : 0;
}

static int on_body(http_parser *hp, const char *at, size_t len) {
  zq_h1_response_parser *p = parser_of(hp);
  if (!p->cb.on_body(p->user, (const uint8_t *)at, len)) stop_here(p);
  return 0;
}

static int on_message_complete(http_parser *hp) {
  zq_h1_response_parser *p = parser_of(hp);
  if (p->phase == ZQ_H1_PHASE_HEAD) return 0; /* the end of a 1xx answer */
  zquic_h3_header *trailers;
  size_t n;
  if (export_section(p, &trailers, &n)) return -1;
  p->phase = ZQ_H1_PHASE_DONE;
  p->keep_alive = http_should_keep_alive(hp) != 0;
  p->cb.on_end(p->user, trailers, n);
  free(trailers);
  stop_here(p); /* whatever follows is not part of this response */
  return 0;
}

/* ---- the API ----------------------------------------------------------------------------------- */

void zq_h1_response_parser_init(zq_h1_response_parser *p, size_t max_header_bytes,
                                bool head_request, const zq_h1_parser_callbacks *cb, void *user) {
  memset(p, 0, sizeof(*p));
  http_parser_init(&p->hp, HTTP_RESPONSE);
  p->hp.data = p;
  http_parser_settings_init(&p->settings);
  p->settings.on_message_begin = on_message_begin;
  p->settings.on_status = on_status;
  p->settings.on_header_field = on_header_field;
  p->settings.on_header_value = on_header_value;
  p->settings.on_headers_complete = on_headers_complete;
  p->settings.on_body = on_body;
  p->settings.on_message_complete = on_message_complete;
  p->cb = *cb;
  p->user = user;
  p->max_header_bytes = max_header_bytes;
  p->head_request = head_request;
  p->phase = ZQ_H1_PHASE_HEAD;
}

void zq_h1_response_parser_clear(zq_h1_response_parser *p) {
  free(p->fields.text);
  free(p->fields.at);
  p->fields.text = NULL;
  p->fields.at = NULL;
  p->fields.cap = p->fields.n_cap = 0;
  fields_reset(&p->fields);
}

int zq_h1_response_parser_feed(zq_h1_response_parser *p, const uint8_t *data, size_t len,
                               size_t *used) {
  *used = 0;
  if (p->phase == ZQ_H1_PHASE_FAILED) return p->error;
  if (p->phase == ZQ_H1_PHASE_DONE || len == 0) return ZQUIC_OK;
  size_t n = http_parser_execute(&p->hp, &p->settings, (const char *)data, len);
  enum http_errno err = HTTP_PARSER_ERRNO(&p->hp);
  if (err == HPE_PAUSED) {
    http_parser_pause(&p->hp, 0);
    p->stop = false;
    err = HPE_OK;
  }
  *used = n;
  if (p->phase == ZQ_H1_PHASE_FAILED || err != HPE_OK) {
    if (err == HPE_HEADER_OVERFLOW)
      fail(p, ZQUIC_ERR_PROTOCOL, "%s", "backend's header section is over 80 KiB");
    else if (err == HPE_CLOSED_CONNECTION)
      fail(p, ZQUIC_ERR_PROTOCOL, "%s", "backend sent bytes after saying it would close");
    else
      fail(p, ZQUIC_ERR_PROTOCOL, "backend sent invalid HTTP/1.1: %s",
           http_errno_description(err));
    return p->error;
  }
  return ZQUIC_OK;
}

int zq_h1_response_parser_eof(zq_h1_response_parser *p) {
  if (p->phase == ZQ_H1_PHASE_DONE) return ZQUIC_OK;
  if (p->phase == ZQ_H1_PHASE_FAILED) return p->error;
  zq_h1_parse_phase before = p->phase;
  http_parser_execute(&p->hp, &p->settings, NULL, 0); /* ends a body delimited by the close */
  if (p->phase == ZQ_H1_PHASE_DONE) return ZQUIC_OK;
  if (p->phase == ZQ_H1_PHASE_FAILED) return p->error;
  p->error = ZQUIC_ERR_CLOSED;
  snprintf(p->detail, sizeof(p->detail), "backend closed the connection %s",
           before == ZQ_H1_PHASE_HEAD ? "before its response's header section ended"
                                      : "in the middle of the response body");
  p->phase = ZQ_H1_PHASE_FAILED;
  return p->error;
}
