/*
 * static_site.c — an HTTP/3 static file server on the public zquic_h3 API, used by `zquic serve`
 * and by `zquic node` for its built-in page.
 *
 * Larger files are streamed: each response pulls 16 KiB at a time from its file descriptor as the
 * connection can take more, so a 1 GiB file costs a window of memory, not a gigabyte. Request
 * paths are percent-decoded, must stay inside the root after resolving symlinks (realpath), and
 * may not contain NUL or "..": anything else is answered 400/403/404, never served.
 *
 * Small files (up to 64 KiB) are kept in memory, 64 of them, and answered from there for a second
 * after they were read: a request for a hot small file then costs no open, fstat, read and close,
 * which were most of the server's work per request (syscalls are dear in a VM). A changed file is
 * therefore seen within a second, like nginx's open_file_cache_valid.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "url.h"

#define CACHE_SLOTS 64
#define CACHE_MAX_FILE 65536
#define CACHE_VALID_MS 1000.0

typedef struct cached_file {
  char *path;           /* the decoded request path; NULL = empty slot */
  char *data;
  size_t size;
  const char *type;     /* a static string from content_type() */
  char modified[40];    /* Last-Modified */
  char length[24];      /* Content-Length, formatted once */
  double read_at_ms;    /* cli_mono_ms() when the file was read */
} cached_file;

struct static_site {
  char *root; /* realpath of the directory, or NULL */
  int root_fd; /* the directory, for openat2(RESOLVE_BENEATH); -1 when unavailable */
  char *builtin_html;
  pthread_mutex_t cache_lock; /* with --workers, handlers run on several loop threads */
  cached_file cache[CACHE_SLOTS];
};

typedef struct file_body {
  int fd;
  off_t left;
  char peer[64];
  char path[256];
  int status;
  off_t size;
} file_body;

static int read_file_chunk(void *user, uint8_t *buf, size_t cap, size_t *len, int *eof) {
  file_body *fb = user;
  size_t want = fb->left < (off_t)cap ? (size_t)fb->left : cap;
  ssize_t n = want ? read(fb->fd, buf, want) : 0;
  if (n < 0) return ZQUIC_ERR_IO;
  *len = (size_t)n;
  fb->left -= n;
  if (fb->left == 0 || n == 0) *eof = 1;
  return ZQUIC_OK;
}

static const char *content_type(const char *path) {
  static const struct {
    const char *ext, *type;
  } types[] = {{".html", "text/html; charset=utf-8"}, {".htm", "text/html; charset=utf-8"},
               {".txt", "text/plain; charset=utf-8"}, {".css", "text/css"},
               {".js", "text/javascript"}, {".json", "application/json"}, {".png", "image/png"},
               {".jpg", "image/jpeg"}, {".svg", "image/svg+xml"}, {".wasm", "application/wasm"}};
  const char *dot = strrchr(path, '.');
  for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
    if (strcmp(dot, types[i].ext) == 0) return types[i].type;
  return "application/octet-stream";
}

static void log_request(zquic_h3_exchange *ex, int status, long long bytes) {
  if (cli_log_level < 2) return; /* formatting the peer's address costs more than the request */
  cli_log(2, "%s \"%s %s\" %d %lld", zquic_h3_exchange_peer(ex), zquic_h3_exchange_method(ex),
          zquic_h3_exchange_path(ex), status, bytes);
}

static void respond_text(zquic_h3_exchange *ex, int status, const char *text) {
  zquic_h3_header h[] = {{"content-type", "text/plain; charset=utf-8"}};
  zquic_h3_respond_bytes(ex, status, h, 1, text, strlen(text));
  log_request(ex, status, (long long)strlen(text));
}

/* Resolve the request to an open regular file inside the root (its resolved path into `real`, of
 * PATH_MAX bytes), or answer an error and return -1. */
/* One syscall resolves the path and refuses anything that leaves the root (.., absolute or
 * escaping symlinks): openat2 with RESOLVE_BENEATH (Linux 5.6+). */
static int open_beneath(int dirfd, const char *relative) {
  struct open_how how;
  memset(&how, 0, sizeof(how));
  how.flags = O_RDONLY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return (int)syscall(SYS_openat2, dirfd, relative, &how, sizeof(how));
}

/* Fallback for kernels without openat2: resolve with realpath and compare prefixes. */
static int open_by_realpath(static_site *site, const char *path, char *real) {
  char full[PATH_MAX];
  int n = snprintf(full, sizeof(full), "%s/%s", site->root, path);
  if (n < 0 || (size_t)n >= sizeof(full) || !realpath(full, real)) return -1;
  size_t rl = strlen(site->root);
  if (strncmp(real, site->root, rl) != 0 || (real[rl] != '/' && real[rl] != '\0')) {
    errno = EXDEV;
    return -1;
  }
  return open(real, O_RDONLY | O_CLOEXEC);
}

/* Open the request's file inside the root (index.html for a directory), or answer an error and
 * return -1. `name` receives the file name used (for the content type). */
static int open_inside_root(static_site *site, zquic_h3_exchange *ex, const char *path,
                            struct stat *st, char *name) {
  char rel[PATH_MAX];
  const char *p = path;
  while (*p == '/') p++;
  if (snprintf(rel, sizeof(rel) - 12, "%s", *p ? p : ".") >= (int)sizeof(rel) - 12)
    return respond_text(ex, 414, "path too long\n"), -1;
  int fd = site->root_fd >= 0 ? open_beneath(site->root_fd, rel) : open_by_realpath(site, rel, name);
  bool have_stat = fd >= 0 && fstat(fd, st) == 0;
  if (have_stat && S_ISDIR(st->st_mode)) {
    close(fd);
    size_t n = strlen(rel);
    snprintf(rel + n, sizeof(rel) - n, "%s", rel[n - 1] == '/' ? "index.html" : "/index.html");
    fd = site->root_fd >= 0 ? open_beneath(site->root_fd, rel) : open_by_realpath(site, rel, name);
    have_stat = fd >= 0 && fstat(fd, st) == 0;
  }
  if (fd < 0) {
    int status = errno == EXDEV || errno == ELOOP ? 403 : errno == EACCES ? 403 : 404;
    return respond_text(ex, status, status == 403 ? "forbidden\n" : "not found\n"), -1;
  }
  if (!have_stat || !S_ISREG(st->st_mode)) {
    close(fd);
    respond_text(ex, 404, "not found\n");
    return -1;
  }
  snprintf(name, PATH_MAX, "%s", rel);
  return fd;
}

static void http_date(time_t t, char *out, size_t cap) {
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, cap, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static cached_file *cache_slot(static_site *site, const char *path) {
  uint32_t h = 2166136261u;
  for (const char *p = path; *p; p++) h = (h ^ (uint8_t)*p) * 16777619u;
  return &site->cache[h % CACHE_SLOTS];
}

static void respond_cached(zquic_h3_exchange *ex, const cached_file *f) {
  zquic_h3_header h[] = {{"content-type", f->type}, {"content-length", f->length},
                         {"last-modified", f->modified}};
  if (zquic_h3_respond_bytes(ex, 200, h, 3, f->data, f->size) == ZQUIC_OK)
    log_request(ex, 200, (long long)f->size);
}

/* Answers from memory when the path was read less than a second ago. */
static bool answer_from_cache(static_site *site, zquic_h3_exchange *ex, const char *path) {
  pthread_mutex_lock(&site->cache_lock);
  cached_file *f = cache_slot(site, path);
  bool hit = f->path && strcmp(f->path, path) == 0 && cli_mono_ms() - f->read_at_ms < CACHE_VALID_MS;
  if (hit) respond_cached(ex, f);
  pthread_mutex_unlock(&site->cache_lock);
  return hit;
}

/* Reads a small file whole into its slot and answers from there; false when it could not (the
 * caller streams it instead). Takes the descriptor's ownership only on success. */
static bool cache_and_answer(static_site *site, zquic_h3_exchange *ex, const char *path, int fd,
                             const struct stat *st, const char *name) {
  if (st->st_size > CACHE_MAX_FILE) return false;
  char *data = malloc((size_t)st->st_size + 1);
  char *key = strdup(path);
  size_t got = 0;
  while (data && key && got < (size_t)st->st_size) {
    ssize_t n = pread(fd, data + got, (size_t)st->st_size - got, (off_t)got);
    if (n <= 0) break;
    got += (size_t)n;
  }
  if (!data || !key || got != (size_t)st->st_size) {
    free(data);
    free(key);
    return false;
  }
  close(fd);
  pthread_mutex_lock(&site->cache_lock);
  cached_file *f = cache_slot(site, path);
  free(f->path);
  free(f->data);
  f->path = key;
  f->data = data;
  f->size = got;
  f->type = content_type(name);
  http_date(st->st_mtime, f->modified, sizeof(f->modified));
  snprintf(f->length, sizeof(f->length), "%zu", f->size);
  f->read_at_ms = cli_mono_ms();
  respond_cached(ex, f);
  pthread_mutex_unlock(&site->cache_lock);
  return true;
}

static void on_request(zquic_h3_exchange *ex, void *user) {
  static_site *site = user;
  const char *method = zquic_h3_exchange_method(ex);
  const char *raw = zquic_h3_exchange_path(ex);
  if (!method || !raw) return respond_text(ex, 400, "bad request\n");
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
    zquic_h3_header h[] = {{"allow", "GET, HEAD"}};
    zquic_h3_respond_bytes(ex, 405, h, 1, "method not allowed\n", 19);
    return log_request(ex, 405, 19);
  }
  char path[1024];
  if (cli_decode_path(raw, path, sizeof(path)) != 0) return respond_text(ex, 400, "bad path\n");
  if (!site->root) {
    if (strcmp(path, "/") != 0 && strcmp(path, "/index.html") != 0)
      return respond_text(ex, 404, "not found\n");
    zquic_h3_header h[] = {{"content-type", "text/html; charset=utf-8"}};
    zquic_h3_respond_bytes(ex, 200, h, 1, site->builtin_html, strlen(site->builtin_html));
    return log_request(ex, 200, (long long)strlen(site->builtin_html));
  }
  if (answer_from_cache(site, ex, path)) return;
  struct stat st;
  char real[PATH_MAX];
  int fd = open_inside_root(site, ex, path, &st, real);
  if (fd < 0) return;
  if (cache_and_answer(site, ex, path, fd, &st, real)) return;
  file_body *fb = calloc(1, sizeof(*fb));
  if (!fb) {
    close(fd);
    return respond_text(ex, 500, "out of memory\n");
  }
  fb->fd = fd;
  fb->left = fb->size = st.st_size;
  char length[32];
  snprintf(length, sizeof(length), "%lld", (long long)st.st_size);
  /* Most requests are for files modified at the same few times: keep the last text, per loop
   * thread (with --workers, handlers run on several). */
  static _Thread_local char modified[64];
  static _Thread_local time_t modified_at;
  if (st.st_mtime != modified_at || !modified[0]) {
    http_date(st.st_mtime, modified, sizeof(modified));
    modified_at = st.st_mtime;
  }
  zquic_h3_header h[] = {{"content-type", content_type(real)},
                         {"content-length", length},
                         {"last-modified", modified}};
  zquic_h3_exchange_set_user(ex, fb);
  if (zquic_h3_respond(ex, 200, h, 3, read_file_chunk, fb) != ZQUIC_OK) {
    zquic_h3_exchange_set_user(ex, NULL);
    close(fd);
    free(fb);
    return;
  }
  log_request(ex, 200, (long long)st.st_size);
}

static void on_close(zquic_h3_exchange *ex, void *user) {
  (void)user;
  file_body *fb = zquic_h3_exchange_get_user(ex);
  if (!fb) return;
  close(fb->fd);
  free(fb);
}

int static_site_new(const char *root, const char *builtin_html, static_site **out) {
  static_site *site = calloc(1, sizeof(*site));
  if (!site) return ZQUIC_ERR_NO_MEMORY;
  site->root_fd = -1;
  pthread_mutex_init(&site->cache_lock, NULL);
  if (root) {
    site->root = realpath(root, NULL);
    site->root_fd = site->root ? open(site->root, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
    int probe = site->root_fd >= 0 ? open_beneath(site->root_fd, ".") : -1;
    if (probe >= 0) {
      close(probe);
    } else if (site->root_fd >= 0) {
      close(site->root_fd); /* no openat2 here (ENOSYS): fall back to realpath checks */
      site->root_fd = -1;
    }
    struct stat st;
    if (!site->root || stat(site->root, &st) != 0 || !S_ISDIR(st.st_mode)) {
      if (site->root_fd >= 0) close(site->root_fd);
      free(site->root);
      pthread_mutex_destroy(&site->cache_lock);
      free(site);
      cli_error("serve", "\"%s\" is not a readable directory", root);
      return ZQUIC_ERR_NOT_FOUND;
    }
  }
  site->builtin_html = builtin_html ? strdup(builtin_html) : NULL;
  *out = site;
  return ZQUIC_OK;
}

void static_site_handler(static_site *site, zquic_h3_handler_config *h3) {
  zquic_h3_handler_config_init(h3);
  h3->on_request = on_request;
  h3->on_close = on_close;
  h3->user = site;
}

void static_site_free(static_site *site) {
  if (!site) return;
  if (site->root_fd >= 0) close(site->root_fd);
  free(site->root);
  free(site->builtin_html);
  for (size_t i = 0; i < CACHE_SLOTS; i++) {
    free(site->cache[i].path);
    free(site->cache[i].data);
  }
  pthread_mutex_destroy(&site->cache_lock);
  free(site);
}
