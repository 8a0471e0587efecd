/*
 * buf.c — chunked byte queue (see buf.h). Small appends fill the tail chunk; large ones get a
 * chunk of their own size so a 1 MiB write is one allocation, not sixty-four.
 */
#include "buf.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sanitizer.h"
#include "zquic.h"

void zq_buf_cache_init(zq_buf_cache *cache, size_t limit) {
  for (size_t i = 0; i < ZQ_BUF_CACHE_CLASSES; i++) {
    cache->lists[i] = NULL;
    cache->class_bytes[i] = 0;
  }
  cache->cached_bytes = 0;
  cache->limit = ZQ_UNDER_ASAN ? 0 : limit;
}

void zq_buf_cache_trim(zq_buf_cache *cache) {
  for (size_t i = 0; i < ZQ_BUF_CACHE_CLASSES; i++) {
    while (cache->lists[i]) {
      zq_buf_chunk *c = cache->lists[i];
      cache->lists[i] = c->next;
      free(c);
    }
    cache->class_bytes[i] = 0;
  }
  cache->cached_bytes = 0;
}

/* The class of a chunk capacity, or -1 for an odd size (never cached). */
static int cache_class(size_t cap) {
  switch (cap) {
  case ZQ_BUF_CHUNK_FIRST_APPEND: return 0;
  case ZQ_BUF_CHUNK_FIRST_RESERVE: return 1;
  case ZQ_BUF_CHUNK: return 2;
  case ZQ_BUF_CHUNK_LARGE: return 3;
  default: return -1;
  }
}

void zq_buf_init(zq_buf *b) { zq_buf_init_cached(b, NULL); }

void zq_buf_init_cached(zq_buf *b, zq_buf_cache *cache) {
  b->head = b->tail = b->spare = NULL;
  b->len = 0;
  b->cache = cache;
}

/* A chunk of at least `cap` bytes: the spare one when it fits, else a cached one of that size. */
static zq_buf_chunk *new_chunk(zq_buf *b, size_t cap) {
  zq_buf_chunk *c;
  int cls = b->cache ? cache_class(cap) : -1;
  if (b->spare && b->spare->cap >= cap) {
    c = b->spare;
    b->spare = NULL;
  } else if (cls >= 0 && b->cache->lists[cls]) {
    c = b->cache->lists[cls];
    b->cache->lists[cls] = c->next;
    b->cache->class_bytes[cls] -= c->cap;
    b->cache->cached_bytes -= c->cap;
  } else {
    if (!(c = malloc(sizeof(*c) + cap))) return NULL;
    c->cap = cap;
  }
  c->next = NULL;
  c->start = c->end = 0;
  return c;
}

static void release_chunk(zq_buf_cache *cache, zq_buf_chunk *c) {
  int cls = cache ? cache_class(c->cap) : -1;
  if (cls >= 0 && cache->cached_bytes + c->cap <= cache->limit &&
      (cls >= 2 || cache->class_bytes[cls] + c->cap <= ZQ_BUF_CACHE_SMALL_BYTES)) {
    c->next = cache->lists[cls];
    cache->lists[cls] = c;
    cache->class_bytes[cls] += c->cap;
    cache->cached_bytes += c->cap;
  } else {
    free(c);
  }
}

static void drop_chunk(zq_buf *b, zq_buf_chunk *c) {
  if (!b->spare && c->cap == ZQ_BUF_CHUNK) b->spare = c;
  else release_chunk(b->cache, c);
}

void zq_buf_clear(zq_buf *b) {
  zq_buf_chunk *c = b->head;
  while (c) {
    zq_buf_chunk *next = c->next;
    release_chunk(b->cache, c);
    c = next;
  }
  if (b->spare) release_chunk(b->cache, b->spare);
  zq_buf_init_cached(b, b->cache);
}

int zq_buf_append(zq_buf *b, const void *data, size_t len) {
  const uint8_t *p = data;
  while (len > 0) {
    zq_buf_chunk *t = b->tail;
    if (!t || t->end == t->cap) {
      /* A first small append (a short body, one packet) gets a small chunk (buf.h). */
      bool first_small = !b->head && !b->spare && len <= ZQ_BUF_CHUNK_FIRST_APPEND;
      size_t cap = len > ZQ_BUF_CHUNK ? len : first_small ? ZQ_BUF_CHUNK_FIRST_APPEND : ZQ_BUF_CHUNK;
      zq_buf_chunk *c = new_chunk(b, cap);
      if (!c) return ZQUIC_ERR_NO_MEMORY;
      if (t) t->next = c;
      else b->head = c;
      b->tail = t = c;
    }
    size_t n = t->cap - t->end;
    if (n > len) n = len;
    memcpy(t->data + t->end, p, n);
    t->end += n;
    p += n;
    len -= n;
    b->len += n;
  }
  return ZQUIC_OK;
}

void zq_buf_consume(zq_buf *b, size_t n) {
  while (n > 0 && b->head) {
    zq_buf_chunk *c = b->head;
    size_t avail = c->end - c->start;
    size_t take = n < avail ? n : avail;
    c->start += take;
    b->len -= take;
    n -= take;
    /* Free a chunk only once it is full and drained: a partly filled tail keeps taking appends. */
    if (c->start == c->end && (c->end == c->cap || c->next)) {
      b->head = c->next;
      if (!b->head) b->tail = NULL;
      drop_chunk(b, c);
    } else if (c->start == c->end) {
      c->start = c->end = 0; /* reuse the empty tail: nobody points into it any more */
    }
  }
}

size_t zq_buf_read(zq_buf *b, void *out, size_t cap) {
  uint8_t *o = out;
  size_t done = 0;
  while (done < cap && b->head && b->len > 0) {
    zq_buf_chunk *c = b->head;
    size_t n = c->end - c->start;
    if (n > cap - done) n = cap - done;
    memcpy(o + done, c->data + c->start, n);
    done += n;
    zq_buf_consume(b, n);
  }
  return done;
}

size_t zq_buf_peek(const zq_buf *b, size_t offset, struct iovec *iov, size_t max, size_t limit) {
  size_t count = 0;
  for (const zq_buf_chunk *c = b->head; c && count < max && limit > 0; c = c->next) {
    size_t n = c->end - c->start;
    if (offset >= n) {
      offset -= n;
      continue;
    }
    size_t take = n - offset;
    if (take > limit) take = limit;
    iov[count].iov_base = (void *)(c->data + c->start + offset);
    iov[count].iov_len = take;
    count++;
    limit -= take;
    offset = 0;
  }
  return count;
}

size_t zq_buf_reserve(zq_buf *b, size_t want, uint8_t **ptr) {
  zq_buf_chunk *t = b->tail;
  if (!t || t->cap - t->end < 4096) {
    /* As in append: a small first reservation (a short body) gets a small chunk. */
    bool first_small = !b->head && !b->spare && want <= ZQ_BUF_CHUNK_FIRST_RESERVE;
    size_t cap = want > ZQ_BUF_CHUNK ? want : first_small ? ZQ_BUF_CHUNK_FIRST_RESERVE : ZQ_BUF_CHUNK;
    zq_buf_chunk *c = new_chunk(b, cap);
    if (!c) return 0;
    if (t) t->next = c;
    else b->head = c;
    b->tail = t = c;
  }
  size_t avail = t->cap - t->end;
  *ptr = t->data + t->end;
  return avail < want ? avail : want;
}

void zq_buf_commit(zq_buf *b, size_t n) {
  b->tail->end += n;
  b->len += n;
}
