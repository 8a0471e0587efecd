/*
 * buf.h — a byte queue made of chunks, used for stream receive and send buffers.
 *
 * Appending copies the bytes into chunks of at least ZQ_BUF_CHUNK; consuming frees whole chunks
 * from the front. Chunks never move once written, which is what ngtcp2 and nghttp3 need: they keep
 * pointers into data handed to them until it is acknowledged.
 */
#ifndef ZQ_BUF_H
#define ZQ_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define ZQ_BUF_CHUNK 16384

typedef struct zq_buf_chunk {
  struct zq_buf_chunk *next;
  size_t cap, start, end; /* live bytes are data[start, end) */
  uint8_t data[];
} zq_buf_chunk;

/* The first chunk of an empty buffer is small when the first append or reservation is: most
 * streams carry one short body, and 1,000 idle connections should not cost 16 KiB a stream. */
#define ZQ_BUF_CHUNK_FIRST_APPEND 2048
#define ZQ_BUF_CHUNK_FIRST_RESERVE 4096
#define ZQ_BUF_CHUNK_LARGE 65536 /* what a body source reserves at a time */

/* A context's cache of drained chunks of the standard sizes above, shared by the buffers of its
 * streams, which all run under the context's lock. Why: a bulk receiver's buffer grows and
 * drains by megabytes; handed back to malloc, those chunks made glibc trim its heap and fault the
 * same pages in again, and a page fault costs several microseconds on a virtual machine (half of
 * `zquic get`'s CPU per GiB went there); and a small response's one chunk took malloc's slow path
 * on every request. Bounded by `limit` bytes (the two small sizes by ZQ_BUF_CACHE_SMALL_BYTES
 * each); emptied by zq_buf_cache_trim. Off under AddressSanitizer, so that ASan sees every chunk
 * freed. */
#define ZQ_BUF_CACHE_CLASSES 4
#define ZQ_BUF_CACHE_SMALL_BYTES ((size_t)256 << 10)
typedef struct zq_buf_cache {
  zq_buf_chunk *lists[ZQ_BUF_CACHE_CLASSES]; /* free lists: 2 KiB, 4 KiB, 16 KiB, 64 KiB */
  size_t class_bytes[ZQ_BUF_CACHE_CLASSES];
  size_t cached_bytes, limit;
} zq_buf_cache;

typedef struct zq_buf {
  zq_buf_chunk *head, *tail;
  size_t len;
  zq_buf_chunk *spare; /* one drained standard chunk kept for reuse: a busy stream allocates none */
  zq_buf_cache *cache; /* where drained chunks go beyond the spare; NULL: straight to free() */
} zq_buf;

void zq_buf_cache_init(zq_buf_cache *cache, size_t limit);
void zq_buf_cache_trim(zq_buf_cache *cache); /* every cached chunk back to malloc */

void zq_buf_init(zq_buf *b);
/* As zq_buf_init, drawing chunks from and returning them to `cache` (which must outlive b, and
 * whose lock discipline b then shares). */
void zq_buf_init_cached(zq_buf *b, zq_buf_cache *cache);
void zq_buf_clear(zq_buf *b);
int zq_buf_append(zq_buf *b, const void *data, size_t len); /* 0 or ZQUIC_ERR_NO_MEMORY */
/* Writable space at the tail for up to `want` bytes (a new chunk of at least `want` when the
 * tail has under 4 KiB free); returns its size, 0 on allocation failure. Follow with commit. */
size_t zq_buf_reserve(zq_buf *b, size_t want, uint8_t **ptr);
void zq_buf_commit(zq_buf *b, size_t n); /* n <= what reserve returned */
/* Copy up to `cap` bytes out of the front and consume them; returns the count. */
size_t zq_buf_read(zq_buf *b, void *out, size_t cap);
void zq_buf_consume(zq_buf *b, size_t n);
/* Fill up to `max` iovecs with the bytes starting `offset` bytes into the queue, at most
 * `limit` bytes in all; returns the number of iovecs. */
size_t zq_buf_peek(const zq_buf *b, size_t offset, struct iovec *iov, size_t max, size_t limit);

#endif
