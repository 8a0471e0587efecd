/*
 * cli.h — what the `zquic` command's subcommands share: the command table entry type, exit codes
 * and small helpers for messages. Each subcommand lives in its own cmd_*.c and is listed in
 * zquic.c's table.
 */
#ifndef ZQ_CLI_H
#define ZQ_CLI_H

#include <signal.h>
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
/* Read a file of hex text into out: exactly `want` bytes, or up to `cap` when want is 0
 * (cli_files.c). 0, or prints "zquic CMD: error: WHAT PATH: why" and returns EXIT_USAGE. */
int cli_read_hex_file(const char *cmd, const char *path, const char *what, uint8_t *out,
                      size_t cap, size_t want, size_t *out_len);
/* `zquic CMD SUB ...`: run the subcommand named by argv[1], or answer --help / a usage error
 * with usage() (zquic.c). */
int cli_run_subcommand(const char *cmd, int argc, char **argv, const cli_command *subs,
                       size_t n_subs, void (*usage)(FILE *out));
/* Load modes (cli_latency.c): a monotonic clock in ms, and the one latency line they print
 * ("latency ms: min .. mean .. p50 .. p90 .. p99 .. max ..", nearest-rank); sorts ms[]. */
double cli_mono_ms(void);
void cli_print_latency(double *ms, long n);
extern int cli_log_level;
/* Block SIGINT, SIGTERM and SIGHUP in this thread before any other starts (they inherit the
 * mask, the library's loop thread too), so that the main thread takes them with sigwait(set). */
void cli_block_stop_signals(sigset_t *set);

int cmd_serve(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_cert(int argc, char **argv);
int cmd_node(int argc, char **argv);
int cmd_crypto(int argc, char **argv);
int cmd_zns(int argc, char **argv);
int cmd_proxy(int argc, char **argv);

/* Generate a self-signed ECDSA P-256 certificate for `names` (DNS names or IP addresses) into
 * DIR/cert.pem and DIR/key.pem (mode 0600). Returns 0 or prints an error and returns non-zero. */
int cli_cert_generate(const char *dir, const char *const *names, size_t n_names, int days);

/* Static HTTP/3 file server used by `serve` and `node`. */
typedef struct static_site static_site;
/* root: directory to serve, or NULL to serve only the built-in page `builtin_html`. Prints the
 * error and returns ZQUIC_ERR_NOT_FOUND when root is not a readable directory. */
int static_site_new(const char *root, const char *builtin_html, static_site **out);
/* The HTTP/3 handler that serves the site (for zquic_server_config.h3 or a gRPC fallback). */
void static_site_handler(static_site *site, zquic_h3_handler_config *h3);
/* Free after the server using its handler. NULL is a no-op. */
void static_site_free(static_site *site);

/* GhostBridge echo service (grpc_echo.c): every method, or those in the comma list `methods`,
 * answers with its request; health built in. `fallback` (may be NULL) serves the requests that
 * are not gRPC. */
int grpc_echo_create(zquic_context *ctx, const zquic_h3_handler_config *fallback,
                     uint32_t max_message, const char *methods, zquic_grpc_server **out);
int cmd_grpc(int argc, char **argv);
int cmd_dns(int argc, char **argv);
int cli_dns_serve(int argc, char **argv); /* `zquic dns serve` (dns_serve.c) */
/* `zquic dns query -n N -c C --conns K` (dns_load.c). */
typedef struct dns_load_params {
  zquic_context *ctx;
  const char *address, *name;
  int type;
  const zquic_connect_options *connect_options;
  const zquic_dns_query_options *query_options;
  long queries;
  int concurrency, conns;
} dns_load_params;
int dns_load_run(const dns_load_params *p);
/* The node's built-in zone and example ZNS registry under STATE/dns, made when missing
 * (node_dns.c). Paths are written to zone and registry. 0, or -1 after printing the error. */
int node_dns_prepare(const char *state_dir, char *zone, char *registry, size_t cap);
struct node_config;
/* Start the node's DoQ resolver from its config (nothing when dns.enable is false: *out NULL).
 * 0, or -1 after printing the error. */
int node_dns_start(zquic_context *ctx, const struct node_config *f, const char *state_dir,
                   const char *cert, const char *key, zquic_dns_server **out);
int cli_grpc_serve(int argc, char **argv); /* `zquic grpc serve` (serve.c) */

/* "cubic" | "bbr" | "reno" -> ZQUIC_CC_*, or -1. */
int cli_parse_cc(const char *text);

#endif
