/*
 * h1_parse.h — the response side of the HTTP/1.1 backend client, without sockets: bytes from a
 * backend go in (feed, in pieces of any size), the final response's status and fields, its body
 * and its trailers come out through callbacks. Kept apart from the connection code so that unit
 * tests and a fuzz target can drive it directly.
 *
 * It wraps http-parser (response mode) and adds what a proxy needs on top: header sections
 * assembled across split callbacks and reads, a size limit on them, names lower-cased, hop-by-hop
 * fields dropped, 1xx answers skipped, no body for HEAD / 204 / 304, trailers of chunked bodies
 * (http-parser reports them through the same field callbacks after the body).
 *
 * One parser reads one response: it stops at the end of it (bytes after it are not consumed, so
 * the caller can tell that a backend sent more than it was asked for) and is initialised again for
 * the next request on a kept-alive connection.
 *
 * Internal (zq_ prefix). Single-threaded; no locks of its own.
 */
#ifndef ZQ_PROXY_H1_PARSE_H
#define ZQ_PROXY_H1_PARSE_H

#include <http_parser.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zquic.h"

/* What the parser reports. on_response and on_body return whether to go on: false stops feed()
 * right after the call (the caller paused reading, or the request is gone); the bytes after the
 * ones reported are left unconsumed for a later feed(). After on_end the parser is done. Arrays
 * and data are valid during the call only. */
typedef struct zq_h1_parser_callbacks {
  bool (*on_response)(void *user, int status, const zquic_h3_header *fields, size_t n);
  bool (*on_body)(void *user, const uint8_t *data, size_t len);
  void (*on_end)(void *user, const zquic_h3_header *trailers, size_t n);
} zq_h1_parser_callbacks;

/* A header section being assembled: "name\0value\0" pairs in `text`, offsets in `at`. */
typedef struct zq_h1_field_list {
  char *text;
  size_t len, cap;
  size_t *at;    /* 2 per field: offset of the name, offset of the value */
  size_t n, n_cap;
  size_t wire_bytes; /* what the section took on the wire, roughly: for the size limit */
  bool open;         /* a field is being assembled (its name, maybe part of its value) */
  bool in_value;     /* ...and its value has begun */
} zq_h1_field_list;

typedef enum zq_h1_parse_phase {
  ZQ_H1_PHASE_HEAD,     /* status line and fields (also of 1xx answers) */
  ZQ_H1_PHASE_BODY,     /* after the final response's fields; trailers come here too */
  ZQ_H1_PHASE_DONE,     /* on_end was called */
  ZQ_H1_PHASE_FAILED,   /* a protocol error: nothing more is reported */
} zq_h1_parse_phase;

typedef struct zq_h1_response_parser {
  http_parser hp;
  http_parser_settings settings;
  zq_h1_parser_callbacks cb;
  void *user;
  size_t max_header_bytes;
  bool head_request;   /* the request was HEAD: the response has no body whatever it says */
  bool stop;           /* a callback asked to stop: feed() returns at once */
  bool keep_alive;     /* at the end: the connection may carry another request */
  zq_h1_parse_phase phase;
  zq_h1_field_list fields; /* the head being read, then the trailers */
  int error;           /* the ZQUIC_ERR_* it failed with, repeated by every later call */
  char detail[160];    /* why it failed */
} zq_h1_response_parser;

/* Ready for one response; `max_header_bytes` bounds the header section and the trailers. Owns
 * memory: zq_h1_response_parser_clear when done. */
void zq_h1_response_parser_init(zq_h1_response_parser *p, size_t max_header_bytes,
                                bool head_request, const zq_h1_parser_callbacks *cb, void *user);
void zq_h1_response_parser_clear(zq_h1_response_parser *p);

/* Parse up to `len` bytes; *used is how many were consumed (fewer when a callback stopped it or
 * the response ended). ZQUIC_OK, or ZQUIC_ERR_PROTOCOL / ZQUIC_ERR_NO_MEMORY with `detail` set
 * (and then always again). */
int zq_h1_response_parser_feed(zq_h1_response_parser *p, const uint8_t *data, size_t len,
                               size_t *used);
/* The backend closed its side: ends a response delimited by the close (on_end), else
 * ZQUIC_ERR_CLOSED when a response was under way or had not begun (detail set). ZQUIC_OK when
 * it had already ended. */
int zq_h1_response_parser_eof(zq_h1_response_parser *p);

static inline bool zq_h1_response_parser_done(const zq_h1_response_parser *p) {
  return p->phase == ZQ_H1_PHASE_DONE;
}

#endif
