/*
 * wire.h — the gRPC-over-HTTP wire rules GhostBridge is built on (gRFC G2 uses the same framing,
 * headers and trailers as gRPC over HTTP/2): length-prefixed messages, grpc-timeout values,
 * percent-encoded grpc-message, base64 "-bin" metadata, status names and the HTTP status mapping.
 * Pure functions and one incremental decoder; no I/O. Internal (zq_grpc_*).
 */
#ifndef ZQ_GRPC_WIRE_H
#define ZQ_GRPC_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZQ_GRPC_PREFIX 5                      /* 1-byte compressed flag + 4-byte length */
#define ZQ_GRPC_DEFAULT_MAX_MESSAGE (4u << 20) /* 4 MiB receive limit, as gRPC's default */

/* gRPC status codes (the numbers are the protocol's). */
enum {
  ZQ_GRPC_OK = 0, ZQ_GRPC_CANCELLED = 1, ZQ_GRPC_UNKNOWN = 2, ZQ_GRPC_INVALID_ARGUMENT = 3,
  ZQ_GRPC_DEADLINE_EXCEEDED = 4, ZQ_GRPC_NOT_FOUND = 5, ZQ_GRPC_ALREADY_EXISTS = 6,
  ZQ_GRPC_PERMISSION_DENIED = 7, ZQ_GRPC_RESOURCE_EXHAUSTED = 8, ZQ_GRPC_FAILED_PRECONDITION = 9,
  ZQ_GRPC_ABORTED = 10, ZQ_GRPC_OUT_OF_RANGE = 11, ZQ_GRPC_UNIMPLEMENTED = 12,
  ZQ_GRPC_INTERNAL = 13, ZQ_GRPC_UNAVAILABLE = 14, ZQ_GRPC_DATA_LOSS = 15,
  ZQ_GRPC_UNAUTHENTICATED = 16
};

/* "DEADLINE_EXCEEDED" for 4; "UNKNOWN_CODE" outside 0-16. Static storage. */
const char *zq_grpc_status_name(int code);
/* The gRPC status a client reports for an HTTP response without grpc-status. */
int zq_grpc_status_from_http(int http_status);
/* application/grpc, application/grpc+proto, application/grpc;charset=... are gRPC. */
bool zq_grpc_content_type_ok(const char *value);

/* Write the 5-byte prefix of a message of `len` bytes. */
void zq_grpc_prefix_encode(uint8_t out[ZQ_GRPC_PREFIX], bool compressed, uint32_t len);

/* grpc-timeout: "TimeoutValue TimeoutUnit", at most 8 digits, unit one of H M S m u n. Parsed to
 * nanoseconds (saturating); -1 when malformed. */
int64_t zq_grpc_timeout_parse(const char *value);
/* The shortest exact-or-rounded-up text for a timeout in milliseconds (>= 1); `out` >= 16 bytes. */
void zq_grpc_timeout_format(uint64_t timeout_ms, char *out, size_t cap);

/* grpc-message percent-encoding: bytes outside 0x20-0x7E and '%' become %XX. Returns the length
 * written (NUL-terminated), or the length needed when `cap` is too small (nothing is cut). */
size_t zq_grpc_percent_encode(const uint8_t *in, size_t len, char *out, size_t cap);
/* Decode %XX sequences; malformed escapes are kept as they are (gRPC says to be lenient).
 * `out` must hold `strlen(in) + 1` bytes; returns the decoded length. */
size_t zq_grpc_percent_decode(const char *in, char *out);

/* Base64 for "-bin" metadata: encode with padding; decode accepts padding or none. */
size_t zq_grpc_base64_encode(const uint8_t *in, size_t len, char *out, size_t cap);
/* Returns the decoded length, or -1 when `in` is not base64 or `cap` is too small. */
long zq_grpc_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap);

/* Incremental decoder of length-prefixed messages from a body that arrives in pieces. */
typedef struct zq_grpc_deframer {
  uint8_t prefix[ZQ_GRPC_PREFIX];
  size_t prefix_have;
  bool in_message, compressed;
  uint32_t expected;
  uint8_t *message; /* the message being assembled (owned) */
  size_t have;
  uint32_t max_message;
  int error;        /* ZQ_GRPC_* once the stream of messages is broken; sticky */
} zq_grpc_deframer;

void zq_grpc_deframer_init(zq_grpc_deframer *d, uint32_t max_message);
void zq_grpc_deframer_free(zq_grpc_deframer *d);
/* Feed body bytes; `on_message` gets each complete message (valid during the call) and returns
 * ZQ_GRPC_OK or a status that ends the call (a negative value counts as INTERNAL). Returns
 * ZQ_GRPC_OK, or the status that ends the call: RESOURCE_EXHAUSTED for a message over the limit,
 * INTERNAL for memory failure, or the callback's. */
int zq_grpc_deframer_feed(zq_grpc_deframer *d, const uint8_t *data, size_t len,
                          int (*on_message)(void *user, const uint8_t *msg, size_t len,
                                            bool compressed),
                          void *user);
/* At end of body: INTERNAL if a message was cut short (length beyond the body), else OK. */
int zq_grpc_deframer_finish(const zq_grpc_deframer *d);

/* Read field 1 (a length-delimited string, e.g. HealthCheckRequest.service) of a protobuf
 * message: 1 found, 0 absent, -1 malformed. *value points into `msg`. */
int zq_grpc_pb_string_field1(const uint8_t *msg, size_t len, const uint8_t **value,
                             size_t *value_len);

#endif
