/*
 * h3_mem.c — the allocator each HTTP/3 session hands nghttp3: malloc with a small per-session
 * cache of freed blocks in front of it.
 *
 * Why: nghttp3 allocates and frees about eight small objects per request (stream state, frame
 * entries, QPACK buffers). With a hundred requests in flight those come and go in bursts larger
 * than glibc's per-thread cache (seven blocks per size), so most of them took malloc's slow
 * paths (bins, consolidation): callgrind counted ~230 instructions per allocation, a tenth of
 * a small request's server cost. Here a freed block of up to 1 KiB goes on its size class's list
 * and the next allocation of that class takes it back. Our own per-stream struct (zq_h3_stream,
 * ~2.8 KB, too big for glibc's per-thread cache) is recycled the same way, 64 at most.
 *
 * One cache per context, shared by its sessions (all of them run under the context's lock), so
 * that an idle connection holds nothing extra: a per-session cache emptied whenever a session
 * had no request in flight emptied it between most bursts too. Bounded (CACHE_BYTES), emptied
 * when the context is destroyed. Under AddressSanitizer it is off: every block then goes
 * straight to malloc and free, where ASan watches each one. No global state.
 */
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"

#include "../core/sanitizer.h"

#define CLASS_BYTES 16
#define CACHE_BYTES ((size_t)256 * 1024)
#define CACHE_STREAMS 64 /* ~180 KB: a burst of requests on one connection */
#define LARGE ((uint32_t)-1) /* a block past the classes: malloc'd and freed as is */

/* Before every block: its class (or LARGE), padded so the caller's pointer stays 16-aligned. */
typedef union block_head {
  struct {
    uint32_t cls;
  } h;
  max_align_t align;
} block_head;

typedef struct free_block {
  struct free_block *next;
} free_block;

static size_t class_of(size_t size) { return size == 0 ? 0 : (size - 1) / CLASS_BYTES; }
static size_t class_size(size_t cls) { return (cls + 1) * CLASS_BYTES; }

static void *mem_malloc(size_t size, void *user) {
  zq_h3_mem *m = user;
  size_t cls = class_of(size);
  if (cls < ZQ_H3_MEM_CLASSES) {
    free_block *fb = m->free_lists[cls];
    if (fb) {
      m->free_lists[cls] = fb->next;
      m->cached_bytes -= class_size(cls);
      return fb;
    }
    block_head *b = malloc(sizeof(block_head) + class_size(cls));
    if (!b) return NULL;
    b->h.cls = (uint32_t)cls;
    return b + 1;
  }
  block_head *b = malloc(sizeof(block_head) + size);
  if (!b) return NULL;
  b->h.cls = LARGE;
  return b + 1;
}

static void mem_free(void *ptr, void *user) {
  if (!ptr) return;
  zq_h3_mem *m = user;
  block_head *b = (block_head *)ptr - 1;
  uint32_t cls = b->h.cls;
  if (!ZQ_UNDER_ASAN && cls != LARGE && m->cached_bytes + class_size(cls) <= CACHE_BYTES) {
    free_block *fb = ptr;
    fb->next = m->free_lists[cls];
    m->free_lists[cls] = fb;
    m->cached_bytes += class_size(cls);
    return;
  }
  free(b);
}

static void *mem_calloc(size_t nmemb, size_t size, void *user) {
  if (size && nmemb > SIZE_MAX / size) return NULL;
  void *p = mem_malloc(nmemb * size, user);
  if (p) memset(p, 0, nmemb * size);
  return p;
}

static void *mem_realloc(void *ptr, size_t size, void *user) {
  if (!ptr) return mem_malloc(size, user);
  if (size == 0) {
    mem_free(ptr, user);
    return NULL;
  }
  block_head *b = (block_head *)ptr - 1;
  if (b->h.cls != LARGE && size <= class_size(b->h.cls)) return ptr; /* it still fits */
  if (b->h.cls == LARGE) {
    block_head *grown = realloc(b, sizeof(block_head) + size);
    return grown ? grown + 1 : NULL;
  }
  void *p = mem_malloc(size, user);
  if (!p) return NULL;
  memcpy(p, ptr, class_size(b->h.cls));
  mem_free(ptr, user);
  return p;
}

void *zq_h3_mem_stream_alloc(zq_h3_mem *m, size_t size) {
  free_block *fb = m->free_streams;
  if (!fb) return malloc(size);
  m->free_streams = fb->next;
  m->cached_streams--;
  return fb;
}

void zq_h3_mem_stream_free(zq_h3_mem *m, void *stream) {
  if (ZQ_UNDER_ASAN || m->cached_streams >= CACHE_STREAMS) {
    free(stream);
    return;
  }
  free_block *fb = stream;
  fb->next = m->free_streams;
  m->free_streams = fb;
  m->cached_streams++;
}

void zq_h3_mem_init(zq_h3_mem *m) {
  memset(m->free_lists, 0, sizeof(m->free_lists));
  m->free_streams = NULL;
  m->cached_streams = 0;
  m->cached_bytes = 0;
  m->mem = (nghttp3_mem){m, mem_malloc, mem_free, mem_calloc, mem_realloc};
}

void zq_h3_mem_trim(zq_h3_mem *m) {
  while (m->free_streams) {
    free_block *fb = m->free_streams;
    m->free_streams = fb->next;
    free(fb);
  }
  m->cached_streams = 0;
  for (size_t cls = 0; m->cached_bytes && cls < ZQ_H3_MEM_CLASSES; cls++) {
    while (m->free_lists[cls]) {
      free_block *fb = m->free_lists[cls];
      m->free_lists[cls] = fb->next;
      m->cached_bytes -= class_size(cls);
      free((block_head *)(void *)fb - 1);
    }
  }
}
