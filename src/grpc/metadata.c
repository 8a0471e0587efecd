/*
 * metadata.c — gRPC metadata both ways, and the response object a client call returns.
 *
 * Received metadata is kept decoded: "-bin" values are base64 on the wire but applications want
 * the bytes, so they are decoded once on arrival. Outgoing metadata is checked before it is sent:
 * a key that is not a lower-case token, or a reserved one (pseudo-headers, grpc-*, te,
 * content-type), or a text value with control bytes would make a peer reject the whole call, so
 * the caller gets ZQUIC_ERR_INVALID_ARGUMENT with the entry's index instead.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "grpc_internal.h"

void zq_grpc_md_clear(zq_grpc_md *md) {
  for (size_t i = 0; i < md->count; i++) free(md->entries[i].key);
  free(md->entries);
  md->entries = NULL;
  md->count = md->cap = 0;
}

static bool is_bin_key(const char *key, size_t klen) {
  return klen > 4 && memcmp(key + klen - 4, "-bin", 4) == 0;
}

int zq_grpc_md_add(zq_grpc_md *md, const char *key, const char *value) {
  if (md->count == md->cap) {
    size_t cap = md->cap ? md->cap * 2 : 8;
    zq_grpc_md_entry *e = realloc(md->entries, cap * sizeof(*e));
    if (!e) return ZQUIC_ERR_NO_MEMORY;
    md->entries = e;
    md->cap = cap;
  }
  size_t klen = strlen(key), vlen = strlen(value);
  char *block = malloc(klen + 1 + vlen + 1);
  if (!block) return ZQUIC_ERR_NO_MEMORY;
  memcpy(block, key, klen + 1);
  uint8_t *v = (uint8_t *)block + klen + 1;
  long decoded = is_bin_key(key, klen) ? zq_grpc_base64_decode(value, vlen, v, vlen) : -1;
  size_t len = decoded >= 0 ? (size_t)decoded : vlen;
  if (decoded < 0) memcpy(v, value, vlen);
  v[len] = '\0';
  md->entries[md->count++] = (zq_grpc_md_entry){block, v, len};
  return ZQUIC_OK;
}

int zq_grpc_md_add_fields(zq_grpc_md *md, const zq_fields *f, const char *const *skip) {
  for (size_t i = 0; i < f->count; i++) {
    if (f->names[i][0] == ':') continue;
    bool skipped = false;
    for (size_t k = 0; skip && skip[k] && !skipped; k++) skipped = !strcasecmp(f->names[i], skip[k]);
    if (skipped) continue;
    int rc = zq_grpc_md_add(md, f->names[i], f->values[i]);
    if (rc) return rc;
  }
  return ZQUIC_OK;
}

int zq_grpc_md_get(const zq_grpc_md *md, const char *key, const uint8_t **value, size_t *len) {
  for (size_t i = 0; i < md->count; i++) {
    if (strcasecmp(md->entries[i].key, key) != 0) continue;
    if (value) *value = md->entries[i].value;
    if (len) *len = md->entries[i].len;
    return ZQUIC_OK;
  }
  return ZQUIC_ERR_NOT_FOUND;
}

static bool key_ok(const char *key) {
  static const char *const reserved[] = {"te", "content-type", "user-agent", "host",
                                         "connection", "transfer-encoding", "keep-alive", NULL};
  if (!key || !key[0] || !strncmp(key, "grpc-", 5)) return false;
  for (const char *p = key; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
          *p == '.'))
      return false;
  for (size_t i = 0; reserved[i]; i++)
    if (!strcmp(key, reserved[i])) return false;
  return true;
}

int zq_grpc_md_encode(const zquic_grpc_metadata *md, size_t n, zq_fields *store) {
  if (n > ZQ_GRPC_MAX_METADATA)
    return zq_error(ZQUIC_ERR_LIMIT, "at most %d metadata entries", ZQ_GRPC_MAX_METADATA);
  if (n && !md) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "metadata: NULL array");
  for (size_t i = 0; i < n; i++) {
    if (!key_ok(md[i].key))
      return zq_error(ZQUIC_ERR_INVALID_ARGUMENT,
                      "metadata %zu: key must be lower-case [a-z0-9-_.] and not reserved", i);
    if (md[i].value_len && !md[i].value)
      return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "metadata %zu: NULL value", i);
    size_t klen = strlen(md[i].key);
    int rc;
    if (is_bin_key(md[i].key, klen)) {
      size_t cap = (md[i].value_len + 2) / 3 * 4 + 1;
      char *text = malloc(cap);
      if (!text) return zq_error(ZQUIC_ERR_NO_MEMORY, "out of memory");
      size_t tlen = zq_grpc_base64_encode(md[i].value, md[i].value_len, text, cap);
      rc = zq_fields_add(store, (const uint8_t *)md[i].key, klen, (const uint8_t *)text, tlen);
      free(text);
    } else {
      for (size_t k = 0; k < md[i].value_len; k++)
        if (md[i].value[k] < 0x20 || md[i].value[k] > 0x7e)
          return zq_error(ZQUIC_ERR_INVALID_ARGUMENT,
                          "metadata %zu: text value has byte 0x%02x (use a -bin key)", i,
                          md[i].value[k]);
      rc = zq_fields_add(store, (const uint8_t *)md[i].key, klen, md[i].value, md[i].value_len);
    }
    if (rc) return zq_error(rc, "out of memory");
  }
  return ZQUIC_OK;
}

/* ---- responses ------------------------------------------------------------------------------ */

zq_grpc_response *zq_grpc_response_new(void) { return calloc(1, sizeof(zq_grpc_response)); }

void zq_grpc_response_set(zq_grpc_response *r, int status, const char *fmt, ...) {
  r->pub.status = status;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->pub.error, sizeof(r->pub.error), fmt, ap);
  va_end(ap);
}

ZQUIC_API const char *zquic_grpc_status_name(int status) { return zq_grpc_status_name(status); }

ZQUIC_API int zquic_grpc_response_metadata(const zquic_grpc_response *resp, size_t index,
                                           const char **key, const uint8_t **value,
                                           size_t *value_len) {
  if (!resp || !key || !value || !value_len)
    return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  const zq_grpc_md *md = &((const zq_grpc_response *)(const void *)resp)->md;
  if (index >= md->count) return ZQUIC_ERR_NOT_FOUND;
  *key = md->entries[index].key;
  *value = md->entries[index].value;
  *value_len = md->entries[index].len;
  return ZQUIC_OK;
}

ZQUIC_API int zquic_grpc_response_metadata_get(const zquic_grpc_response *resp, const char *key,
                                               const uint8_t **value, size_t *value_len) {
  if (!resp || !key) return zq_error(ZQUIC_ERR_INVALID_ARGUMENT, "NULL argument");
  return zq_grpc_md_get(&((const zq_grpc_response *)(const void *)resp)->md, key, value,
                        value_len);
}

ZQUIC_API void zquic_grpc_response_free(zquic_grpc_response *resp) {
  if (!resp) return;
  zq_grpc_response *r = (zq_grpc_response *)(void *)resp;
  zq_grpc_md_clear(&r->md);
  free(r->pub.data);
  free(r);
}
