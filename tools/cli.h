/*
 * cli.h — what the `zquic` command's subcommands share: the command table entry type, exit codes
 * and small helpers for messages. Each subcommand lives in its own cmd_*.c and is listed in
 * zquic.c's table.
 */
#ifndef ZQ_CLI_H
#define ZQ_CLI_H

#include <stdio.h>

#include "zquic.h"

/* Exit codes shared by every subcommand. */
#define EXIT_OK 0
#define EXIT_FAIL 1  /* the operation failed (network, TLS, HTTP status >= 400 ...) */
#define EXIT_USAGE 2 /* bad command line or bad input file */

typedef struct cli_command {
  const char *name;
  int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
  const char *summary;
} cli_command;

/* Print "zquic CMD: error: ..." to stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print the error of a failed zquic call: "zquic CMD: error: WHAT: <strerror>: <detail>". */
void cli_zerror(const char *cmd, const char *what, int rc);
/* Log to stderr with a timestamp when `level` <= the current level (0 error .. 3 debug). */
void cli_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cli_parse_log_level(const char *text); /* -1 when unknown */
extern int cli_log_level;

int cmd_serve(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_cert(int argc, char **argv);
int cmd_node(int argc, char **argv);
int cmd_crypto(int argc, char **argv);

/* Generate a self-signed ECDSA P-256 certificate for `names` (DNS names or IP addresses) into
 * DIR/cert.pem and DIR/key.pem (mode 0600). Returns 0 or prints an error and returns non-zero. */
int cli_cert_generate(const char *dir, const char *const *names, size_t n_names, int days);

/* Static HTTP/3 file server used by `serve` and `node`. */
typedef struct static_site static_site;
/* root: directory to serve, or NULL to serve only the built-in page `builtin_html`. `base`
 * carries listen address, certificate and QUIC options (its h3 field is set here). */
int static_site_start(zquic_context *ctx, const zquic_server_config *base, const char *root,
                      const char *builtin_html, static_site **out, zquic_server **server_out);

/* "cubic" | "bbr" | "reno" -> ZQUIC_CC_*, or -1. */
int cli_parse_cc(const char *text);
void static_site_free(static_site *site);

#endif
