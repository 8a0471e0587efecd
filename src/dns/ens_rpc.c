/*
 * ens_rpc.c — one JSON-RPC POST to the Ethereum endpoint with libcurl's easy interface, blocking,
 * on a libuv thread-pool thread (ens.c). Why not curl multi on the loop: a lookup is two short
 * request/response exchanges, blocking calls in a worker are far simpler to get right than
 * curl's socket callbacks driven by uv_poll, and the loop never waits either way. What makes it
 * safe is the bounds: every transfer ends by the lookup's deadline (connect and total timeouts
 * set from the time left, DNS resolution of the URL's host included), a cancelled or shut-down
 * lookup stops within a progress tick, replies larger than ZQ_ENS_MAX_RESPONSE are cut off, and
 * ens.c runs only a few lookups at once so the shared thread pool never fills up with them.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "ens.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

int zq_ens_http_global_init(void) {
  /* libcurl's process-wide set-up; never undone (curl_global_cleanup is not thread-safe and other
   * users of libcurl in the process may still need it). */
  pthread_once(&curl_once, curl_init);
  return curl_init_rc == CURLE_OK ? ZQUIC_OK : ZQUIC_ERR_INTERNAL;
}

typedef struct body_buf {
  char *data;
  size_t len;
  bool too_big;
} body_buf;

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *user) {
  body_buf *b = user;
  size_t n = size * nmemb;
  if (b->len + n > ZQ_ENS_MAX_RESPONSE) {
    b->too_big = true;
    return 0; /* curl stops the transfer */
  }
  char *grown = realloc(b->data, b->len + n + 1);
  if (!grown) return 0;
  memcpy(grown + b->len, ptr, n);
  b->data = grown;
  b->len += n;
  b->data[b->len] = '\0';
  return n;
}

static int on_progress(void *user, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un) {
  (void)dt, (void)dn, (void)ut, (void)un;
  const zq_ens_http *h = user;
  return h->abort && atomic_load(h->abort) ? 1 : 0;
}

void zq_ens_http_clear(zq_ens_http *h) {
  if (h->curl) curl_easy_cleanup(h->curl);
  h->curl = NULL;
}

int zq_ens_http_post(void *user, const char *body, char **resp, size_t *resp_len, char *why,
                     size_t why_cap) {
  zq_ens_http *h = user;
  *resp = NULL;
  *resp_len = 0;
  uint64_t now = zq_now_ns();
  if (now >= h->deadline_ns) {
    snprintf(why, why_cap, "Ethereum endpoint: lookup timed out");
    return ZQUIC_ERR_TIMEOUT;
  }
  long left_ms = (long)((h->deadline_ns - now + 999999) / 1000000);
  if (!h->curl && !(h->curl = curl_easy_init())) {
    snprintf(why, why_cap, "cannot start libcurl");
    return ZQUIC_ERR_NO_MEMORY;
  }
  CURL *c = h->curl;
  body_buf b = {0};
  struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
  curl_easy_setopt(c, CURLOPT_URL, h->url);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* no SIGALRM: we are one thread among others */
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, left_ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, left_ms);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
  CURLcode cc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  int rc = ZQUIC_OK;
  if (cc == CURLE_OPERATION_TIMEDOUT) {
    snprintf(why, why_cap, "Ethereum endpoint timed out");
    rc = ZQUIC_ERR_TIMEOUT;
  } else if (cc == CURLE_ABORTED_BY_CALLBACK) {
    snprintf(why, why_cap, "lookup cancelled");
    rc = ZQUIC_ERR_CANCELLED;
  } else if (b.too_big) {
    snprintf(why, why_cap, "Ethereum endpoint: reply larger than %u bytes", ZQ_ENS_MAX_RESPONSE);
    rc = ZQUIC_ERR_LIMIT;
  } else if (cc != CURLE_OK) {
    snprintf(why, why_cap, "Ethereum endpoint: %s", curl_easy_strerror(cc));
    rc = ZQUIC_ERR_SOCKET;
  } else if (status != 200) {
    snprintf(why, why_cap, "Ethereum endpoint: HTTP status %ld", status);
    rc = ZQUIC_ERR_IO;
  }
  if (rc) {
    free(b.data);
    return rc;
  }
  *resp = b.data ? b.data : strdup("");
  *resp_len = b.len;
  return *resp ? ZQUIC_OK : ZQUIC_ERR_NO_MEMORY;
}
