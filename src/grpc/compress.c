/*
 * compress.c — message framing for senders, with gzip (grpc-encoding: gzip) through zlib.
 *
 * Inflating is where a hostile peer can hurt: a few kilobytes can expand to gigabytes. The
 * output is therefore bounded by the receive limit as it is produced, and the call ends with
 * RESOURCE_EXHAUSTED the moment it would pass it, never after allocating it.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "grpc_internal.h"

const char zq_grpc_accept_encoding[] = "gzip, identity";

static int deflate_gzip(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len) {
  z_stream z;
  memset(&z, 0, sizeof(z));
  /* windowBits 15 + 16: a gzip wrapper, as grpc-encoding "gzip" means. */
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return ZQUIC_ERR_NO_MEMORY;
  size_t cap = deflateBound(&z, (uLong)len);
  uint8_t *buf = malloc(cap ? cap : 1);
  if (!buf) {
    deflateEnd(&z);
    return ZQUIC_ERR_NO_MEMORY;
  }
  z.next_in = (Bytef *)(uintptr_t)in;
  z.avail_in = (uInt)len;
  z.next_out = buf;
  z.avail_out = (uInt)cap;
  int zr = deflate(&z, Z_FINISH);
  deflateEnd(&z);
  if (zr != Z_STREAM_END) {
    free(buf);
    return ZQUIC_ERR_INTERNAL;
  }
  *out = buf;
  *out_len = cap - z.avail_out;
  return ZQUIC_OK;
}

int zq_grpc_frame_append(zq_buf *out, const uint8_t *msg, size_t len, bool gzip) {
  if (len > UINT32_MAX) return zq_error(ZQUIC_ERR_LIMIT, "message larger than 4 GiB");
  uint8_t *packed = NULL;
  size_t packed_len = 0;
  if (gzip) {
    int rc = deflate_gzip(msg, len, &packed, &packed_len);
    if (rc) return zq_error(rc, "gzip compression failed");
    msg = packed;
    len = packed_len;
  }
  uint8_t prefix[ZQ_GRPC_PREFIX];
  zq_grpc_prefix_encode(prefix, gzip, (uint32_t)len);
  int rc = zq_buf_append(out, prefix, sizeof(prefix));
  if (rc == 0 && len) rc = zq_buf_append(out, msg, len);
  free(packed);
  return rc ? zq_error(rc, "out of memory") : ZQUIC_OK;
}

int zq_grpc_gunzip(const uint8_t *in, size_t len, uint32_t max, uint8_t **out, size_t *out_len) {
  *out = NULL;
  *out_len = 0;
  z_stream z;
  memset(&z, 0, sizeof(z));
  if (inflateInit2(&z, 15 + 16) != Z_OK) return ZQ_GRPC_INTERNAL;
  size_t cap = len * 4 < max ? (len * 4 > 256 ? len * 4 : 256) : (size_t)max + 1;
  uint8_t *buf = malloc(cap);
  int status = ZQ_GRPC_INTERNAL;
  if (!buf) goto done;
  z.next_in = (Bytef *)(uintptr_t)in;
  z.avail_in = (uInt)len;
  for (;;) {
    z.next_out = buf + z.total_out;
    z.avail_out = (uInt)(cap - z.total_out);
    int zr = inflate(&z, Z_NO_FLUSH);
    if (z.total_out > max) {
      status = ZQ_GRPC_RESOURCE_EXHAUSTED;
      goto done;
    }
    if (zr == Z_STREAM_END) break;
    if (zr != Z_OK && zr != Z_BUF_ERROR) goto done; /* corrupt data */
    if (z.avail_out == 0) {
      size_t ncap = cap * 2 > (size_t)max + 1 ? (size_t)max + 1 : cap * 2;
      if (ncap <= cap) {
        status = ZQ_GRPC_RESOURCE_EXHAUSTED;
        goto done;
      }
      uint8_t *nbuf = realloc(buf, ncap);
      if (!nbuf) goto done;
      buf = nbuf;
      cap = ncap;
    } else if (z.avail_in == 0) {
      goto done; /* input ended inside the gzip stream */
    }
  }
  *out = buf;
  *out_len = z.total_out;
  buf = NULL;
  status = ZQ_GRPC_OK;
done:
  inflateEnd(&z);
  free(buf);
  return status;
}
