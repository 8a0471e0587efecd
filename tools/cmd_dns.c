/*
 * cmd_dns.c — `zquic dns query`: one DNS-over-QUIC query with dig-like output, and the entry to
 * `zquic dns serve` (dns_serve.c).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

static const struct {
  const char *name;
  int type;
} types[] = {{"A", ZQUIC_DNS_A},     {"AAAA", ZQUIC_DNS_AAAA}, {"TXT", ZQUIC_DNS_TXT},
             {"CNAME", ZQUIC_DNS_CNAME}, {"MX", ZQUIC_DNS_MX}, {"NS", ZQUIC_DNS_NS},
             {"SOA", ZQUIC_DNS_SOA}, {"ENS", ZQUIC_DNS_ENS},   {"ZNS", ZQUIC_DNS_ZNS}};

static const char *type_name(int type, char *buf, size_t cap) {
  for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
    if (types[i].type == type) return types[i].name;
  snprintf(buf, cap, "TYPE%d", type);
  return buf;
}

static int parse_type(const char *text) {
  for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
    if (!strcasecmp(types[i].name, text)) return types[i].type;
  if (!strncasecmp(text, "TYPE", 4)) {
    char *end;
    long v = strtol(text + 4, &end, 10);
    if (!*end && v > 0 && v < 65536) return (int)v;
  }
  return -1;
}

static const char *rcode_name(int rcode) {
  static const char *names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"};
  return rcode >= 0 && rcode < 6 ? names[rcode] : "RCODE?";
}

static void query_usage(FILE *out) {
  fprintf(out,
          "usage: zquic dns query [@ADDR[:PORT]] NAME [TYPE] [--ca F | --insecure]\n"
          "\n"
          "Ask a DNS-over-QUIC server (RFC 9250; default @127.0.0.1:853) and print the\n"
          "answer like dig. TYPE: A (default), AAAA, TXT, CNAME, MX, NS, SOA, TYPEnnn, or\n"
          "ENS / ZNS (a TXT query for a .eth / .zns name whose address or owner is shown).\n"
          "Exit status: 0 for NOERROR, 1 for another rcode or a failed query, 2 for usage.\n"
          "\n"
          "  --ca FILE        trust anchors (default: the system's)\n"
          "  --insecure       do not verify the server certificate (tests only)\n"
          "  --sni NAME       server name to verify (default: the host of ADDR)\n"
          "  --timeout MS     per query (default 5000)\n"
          "  --dnssec         set the DO bit\n"
          "  --no-padding     do not pad the query (RFC 8467 padding is on by default)\n"
          "  --short          print only the answer values, one per line\n"
          "  -n N -c C        load mode: N queries, C in flight; prints queries/s and\n"
          "                   latency percentiles instead of the answer\n"
          "  --conns K        load mode: spread the queries over K connections (default 1)\n");
}

static void print_answer(const char *name, int type, const zquic_dns_response *r, int shortform) {
  char tbuf[16];
  if (shortform) {
    if (type == ZQUIC_DNS_ENS || type == ZQUIC_DNS_ZNS) {
      if (r->answer[0]) printf("%s\n", r->answer);
      return;
    }
    for (size_t i = 0; i < r->n_records; i++) printf("%s\n", r->records[i].value);
    return;
  }
  printf(";; ->>HEADER<<- status: %s, answers: %zu%s%s\n", rcode_name(r->rcode), r->n_records,
         r->authoritative ? ", aa" : "", r->truncated ? ", tc" : "");
  if (r->ede_code >= 0) printf(";; extended error %d: %s\n", r->ede_code, r->ede_text);
  printf(";; QUESTION: %s %s\n", name, type_name(type, tbuf, sizeof(tbuf)));
  for (size_t i = 0; i < r->n_records; i++) {
    const zquic_dns_record *rec = &r->records[i];
    printf("%s\t%u\tIN\t%s\t%s\n", rec->name, rec->ttl, type_name(rec->type, tbuf, sizeof(tbuf)),
           rec->value);
  }
  if ((type == ZQUIC_DNS_ENS || type == ZQUIC_DNS_ZNS) && r->answer[0])
    printf(";; %s: %s\n", type == ZQUIC_DNS_ENS ? "address" : "owner", r->answer);
}

static int dns_query(int argc, char **argv) {
  static const struct option options[] = {
    {"ca", required_argument, NULL, 'a'},   {"insecure", no_argument, NULL, 'k'},
    {"sni", required_argument, NULL, 's'},  {"timeout", required_argument, NULL, 't'},
    {"dnssec", no_argument, NULL, 'd'},     {"no-padding", no_argument, NULL, 'P'},
    {"short", no_argument, NULL, 'S'},      {"help", no_argument, NULL, 'h'},
    {"conns", required_argument, NULL, 'K'},
    {NULL, 0, NULL, 0}};
  const char *ca = NULL, *sni = NULL, *server = "127.0.0.1:853", *name = NULL;
  int insecure = 0, shortform = 0, type = ZQUIC_DNS_A, c, concurrency = 1, conns = 1;
  long queries = 0;
  zquic_dns_query_options qo;
  zquic_dns_query_options_init(&qo);
  optind = 1;
  while ((c = getopt_long(argc, argv, "hn:c:", options, NULL)) != -1) {
    switch (c) {
    case 'n':
      if ((queries = atol(optarg)) <= 0 || queries > 100000000) {
        cli_error("dns query", "-n wants 1 to 100000000");
        return EXIT_USAGE;
      }
      break;
    case 'c':
      if ((concurrency = atoi(optarg)) <= 0 || concurrency > 4096) {
        cli_error("dns query", "-c wants 1 to 4096");
        return EXIT_USAGE;
      }
      break;
    case 'K':
      if ((conns = atoi(optarg)) <= 0 || conns > 1000) {
        cli_error("dns query", "--conns wants 1 to 1000");
        return EXIT_USAGE;
      }
      break;
    case 'a': ca = optarg; break;
    case 'k': insecure = 1; break;
    case 's': sni = optarg; break;
    case 't':
      if ((qo.timeout_ms = atoi(optarg)) <= 0) {
        cli_error("dns query", "--timeout wants milliseconds > 0");
        return EXIT_USAGE;
      }
      break;
    case 'd': qo.dnssec_ok = 1; break;
    case 'P': qo.padding = 0; break;
    case 'S': shortform = 1; break;
    case 'h': query_usage(stdout); return EXIT_OK;
    default: query_usage(stderr); return EXIT_USAGE;
    }
  }
  char address[300];
  for (int i = optind; i < argc; i++) {
    if (argv[i][0] == '@') {
      server = argv[i] + 1;
    } else if (!name) {
      name = argv[i];
    } else if ((type = parse_type(argv[i])) < 0) {
      cli_error("dns query", "unknown type \"%s\"", argv[i]);
      return EXIT_USAGE;
    }
  }
  if (!name) {
    cli_error("dns query", "missing NAME");
    query_usage(stderr);
    return EXIT_USAGE;
  }
  /* @ADDR without a port means DoQ's port 853; IPv6 literals come as [addr] or [addr]:port. */
  bool has_port = server[0] == '[' ? strstr(server, "]:") != NULL : strchr(server, ':') != NULL;
  snprintf(address, sizeof(address), has_port ? "%s" : "%s:853", server);
  zquic_config cfg;
  zquic_config_init(&cfg);
  cfg.alpn = "doq";
  cfg.connection_timeout_ms = (uint32_t)qo.timeout_ms;
  zquic_context *ctx = NULL;
  zquic_connection *conn = NULL;
  zquic_connect_options co;
  zquic_connect_options_init(&co);
  co.alpn = "doq";
  co.ca_file = ca;
  co.sni = sni;
  co.insecure_skip_verify_DANGEROUS = insecure;
  int rc = zquic_init(&cfg, &ctx), code = EXIT_FAIL;
  if (rc == 0 && queries) {
    dns_load_params lp = {ctx, address, name, type, &co, &qo, queries, concurrency, conns};
    code = dns_load_run(&lp);
    zquic_destroy(ctx);
    return code;
  }
  if (rc == 0) rc = zquic_create_connection_ex(ctx, address, &co, &conn);
  zquic_dns_response *r = NULL;
  if (rc == 0) rc = zquic_dns_query_ex(conn, name, type, &qo, &r);
  if (rc) {
    cli_zerror("dns query", "query", rc);
    code = rc == ZQUIC_ERR_INVALID_ARGUMENT ? EXIT_USAGE : EXIT_FAIL;
  } else {
    print_answer(name, type, r, shortform);
    code = r->rcode == ZQUIC_DNS_NOERROR ? EXIT_OK : EXIT_FAIL;
  }
  zquic_dns_response_free(r);
  zquic_close_connection(conn);
  zquic_destroy(ctx);
  return code;
}

static void usage(FILE *out) {
  fprintf(out, "usage: zquic dns query|serve [OPTIONS] ...\n"
               "\n"
               "CNS/ZNS: DNS over QUIC (RFC 9250).\n"
               "  query   ask a DoQ server, dig-like output\n"
               "  serve   run a DoQ resolver (zones, ZNS registry, cache)\n"
               "`zquic dns COMMAND --help` describes each.\n");
}

int cmd_dns(int argc, char **argv) {
  static const cli_command subs[] = {{"query", dns_query, NULL}, {"serve", cli_dns_serve, NULL}};
  return cli_run_subcommand("dns", argc, argv, subs, 2, usage);
}
