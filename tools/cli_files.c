/*
 * cli_files.c — reading the hex text files the key tools share (`zquic crypto`, `zquic zns`):
 * a secret or public key, or a signature, as one line of hex. The text is wiped after decoding,
 * since it may hold a secret key.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int cli_read_hex_file(const char *cmd, const char *path, const char *what, uint8_t *out,
                      size_t cap, size_t want, size_t *out_len) {
  char text[4096]; /* key and signature files are a line of hex */
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    cli_error(cmd, "cannot open %s %s: %s", what, path, strerror(errno));
    return EXIT_USAGE;
  }
  ssize_t n = read(fd, text, sizeof(text));
  close(fd);
  int rc = EXIT_OK;
  if (n < 0 || n == (ssize_t)sizeof(text)) {
    cli_error(cmd, "%s %s: %s", what, path, n < 0 ? strerror(errno) : "file too large");
    rc = EXIT_USAGE;
  } else if (zquic_crypto_hex_decode(text, (size_t)n, out, cap, out_len) != ZQUIC_OK) {
    cli_error(cmd, "%s %s is not hex text: %s", what, path, zquic_last_error());
    rc = EXIT_USAGE;
  } else if (want != 0 && *out_len != want) {
    cli_error(cmd, "%s %s holds %zu bytes, expected %zu", what, path, *out_len, want);
    rc = EXIT_USAGE;
  }
  zquic_crypto_memzero(text, sizeof(text)); /* may be a secret key */
  return rc;
}

