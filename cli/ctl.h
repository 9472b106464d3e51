/*
 * Private to mtdhcpctl: what the subcommands share. Each subcommand is one function in
 * its own file and one row of the table in mtdhcpctl.c.
 *
 * Read-only commands (leases, lease, history, tenants) read the lease database through
 * their own read-only connection, so they work whether the daemon runs or not; live ones
 * (status, stats, tenants, release, reload) ask the daemon over its control socket
 * (docs/control-protocol.md).
 */
#ifndef MTDHCP_CLI_CTL_H
#define MTDHCP_CLI_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "lease-store/lease_read.h"

#define CTL_NAME                   "mtdhcpctl"
#define CTL_DEFAULT_SERVICE_FILE   "/etc/mtdhcp/mtdhcpd.conf"
#define CTL_SERVICE_FILE_ENV       "MTDHCP_CONF"
#define CTL_DEFAULT_CONTROL_SOCKET "/run/mtdhcp/control.sock"
/* How long a live command waits for the daemon's answer (a reload may take a while). */
#define CTL_CALL_TIMEOUT_MS 30000

/* Exit codes, as documented in --help and mtdhcpctl(8). */
enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_RUNTIME = 1,     /* database missing or unreadable, unknown tenant, refused */
	CTL_EXIT_USAGE = 2,       /* bad arguments */
	CTL_EXIT_UNREACHABLE = 3, /* a live command could not reach the daemon */
};

/* What the global options chose. */
struct ctl_ctx {
	const char *service_file; /* -c; NULL = $MTDHCP_CONF or the default */
	const char *db_path;      /* --db; NULL = from the service file */
	const char *socket_path;  /* --socket; NULL = from the service file */
};

struct ctl_command {
	const char *name;
	const char *args;    /* synopsis of its arguments, for the usage line */
	const char *summary; /* one line for the command list */
	const char *help;    /* its options, one per line */
	/* @argv[0] is the command's name. Returns an enum ctl_exit. */
	int (*run)(const struct ctl_ctx *ctx, int argc, char **argv);
};

/* The subcommands, one file each. */
int ctl_leases_run(const struct ctl_ctx *ctx, int argc, char **argv);
int ctl_lease_run(const struct ctl_ctx *ctx, int argc, char **argv);
int ctl_history_run(const struct ctl_ctx *ctx, int argc, char **argv);
int ctl_tenants_run(const struct ctl_ctx *ctx, int argc, char **argv);
int ctl_stats_run(const struct ctl_ctx *ctx, int argc, char **argv);
int ctl_status_run(const struct ctl_ctx *ctx, int argc, char **argv);
int ctl_release_run(const struct ctl_ctx *ctx, int argc, char **argv);
int ctl_reload_run(const struct ctl_ctx *ctx, int argc, char **argv);
int ctl_check_run(const struct ctl_ctx *ctx, int argc, char **argv);

/* Prints "mtdhcpctl: <message>" on stderr, one line. */
__attribute__((format(printf, 1, 2))) void ctl_error(const char *fmt, ...);

/* ctl_error plus a hint to --help; returns CTL_EXIT_USAGE. */
__attribute__((format(printf, 2, 3))) int ctl_usage_error(const char *command, const char *fmt,
                                                          ...);

/* The service file: -c, else $MTDHCP_CONF, else the default. */
const char *ctl_service_file(const struct ctl_ctx *ctx);

/*
 * Opens the lease database read-only: --db, else lease_db.path of the service file.
 * NULL after printing why.
 */
struct lease_reader *ctl_open_reader(const struct ctl_ctx *ctx);

/* Prints the usage of command @name on stdout (for its -h); returns CTL_EXIT_OK. */
int ctl_command_help(const char *name);

/* Writes @len bytes of @buf to stdout and flushes it; CTL_EXIT_OK or CTL_EXIT_RUNTIME. */
int ctl_write_stdout(const char *buf, size_t len);

/*
 * For a command's getopt_long loop: the usage error of a ':' (missing argument) or '?'
 * (unknown option) result @c, printed; returns CTL_EXIT_USAGE. The loop must have set
 * opterr = 0.
 */
int ctl_opt_error(const char *command, int c, char **argv);

/* The usage error for a positional argument the command does not take. */
int ctl_extra_args(const char *command, int argc, char **argv);

/* --- ctl_client.c: the control socket --- */

/* The control socket: --socket, else control_socket of the service file, else the default. */
int ctl_socket_path(const struct ctl_ctx *ctx, char *out, size_t outlen);

/*
 * Sends @req (one JSON object; the caller keeps its reference) to the daemon and waits for
 * its answer. On success *@result is the answer's "result" (a new reference) and
 * CTL_EXIT_OK is returned; otherwise the error is printed (one line) and the exit code
 * returned: CTL_EXIT_UNREACHABLE when the daemon could not be reached, CTL_EXIT_RUNTIME
 * when it refused. With @details, an error's "details" member (a new reference or NULL)
 * is handed back too.
 */
int ctl_call(const struct ctl_ctx *ctx, json_t *req, json_t **result, json_t **details);

/*
 * Checks a response line of the daemon: 0 with *@result (a new reference) for
 * {"ok":true,...}; -EPROTO for anything that is not a response (then @msg says why); or
 * 1 for an error response, with its "code" and "error" copied into @code and @msg and its
 * "details" in *@details (when not NULL).
 */
int ctl_client_parse(const char *line, size_t len, json_t **result, json_t **details, char *code,
                     size_t codelen, char *msg, size_t msglen);

/* ctl_call that also takes @req's reference (NULL: a request that could not be built). */
int ctl_call_take(const struct ctl_ctx *ctx, json_t *req, json_t **result, json_t **details);

/*
 * The options of a command that takes only "[--json]" and @npos positional arguments
 * (stored in @pos; @what names them for the usage error). CTL_EXIT_OK, a usage error, or
 * -1 after printing the command's help (the command then exits 0).
 */
int ctl_simple_options(const char *command, int argc, char **argv, bool *json, const char **pos,
                       int npos, const char *what);

/* Writes @v as indented JSON and a newline to stdout. An enum ctl_exit. */
int ctl_print_json(const json_t *v);

/* --- ctl_args.c: operator input --- */

/* Parses a dotted-quad IPv4 address (host order). */
bool ctl_parse_ipv4(const char *s, uint32_t *out);

/* Parses "a.b.c.d" (mask /32) or "a.b.c.d/len" (len 0..32) into an address and a mask. */
bool ctl_parse_prefix(const char *s, uint32_t *addr, uint32_t *mask);

/*
 * Parses hex octets separated by ':' or '-' ("02:00:00:00:00:01", "01-02-aa") or written
 * together ("0200000000aa", even length), 1 .. @max of them. Returns the count or 0.
 */
size_t ctl_parse_hex(const char *s, uint8_t *out, size_t max);

/*
 * Parses a duration: a number of seconds, or numbers with units s, m, h, d, w joined
 * ("90", "15m", "1h30m", "2d"). Returns false for anything else, zero, or beyond 100 years.
 */
bool ctl_parse_duration(const char *s, int64_t *seconds);

/* Parses a decimal count 0 .. UINT32_MAX. */
bool ctl_parse_count(const char *s, uint64_t *out);

/* --- ctl_format.c: turning lease fields into text --- */

/* "a.b.c.d" of a host-order address into @out (at least 16 bytes). */
void ctl_fmt_ipv4(char *out, size_t outlen, uint32_t addr);

/* Bytes as lower-case hex pairs joined by ':' ("" for none); @outlen >= 3 * len + 1. */
void ctl_fmt_hex(char *out, size_t outlen, const uint8_t *p, size_t len);

/*
 * Text from a client (or the database) made safe for a terminal: printable ASCII is kept,
 * '\\' doubles, every other byte becomes \xNN, so the result is ASCII and one column per
 * character. @outlen >= 4 * len + 1.
 */
void ctl_fmt_safe_text(char *out, size_t outlen, const char *p, size_t len);

/* @t as local time in ISO 8601 with the UTC offset ("2024-05-01T12:34:56+02:00"), or
 * "never" when it lies beyond year 9999. @outlen >= 32. */
void ctl_fmt_time(char *out, size_t outlen, int64_t t);

/* A duration for people: "45s", "12m30s", "3h05m", "2d04h". @outlen >= 24. */
void ctl_fmt_duration(char *out, size_t outlen, int64_t seconds);

/*
 * Writes @len bytes of @p as a JSON string, quotes included. Valid UTF-8 is kept; quotes,
 * backslashes and control characters are escaped; bytes that are not UTF-8 become U+FFFD,
 * so the output is always valid JSON.
 */
void ctl_json_string(FILE *out, const char *p, size_t len);

/* --- ctl_lease_json.c: one lease as JSON (leases and lease share it) --- */

/* Writes @r of tenant @tenant as one JSON object (no newline), relative to @now. */
void ctl_lease_json(FILE *out, const char *tenant, const struct lease_record *r, time_t now);

/* --- ctl_table.c: aligned text tables --- */

struct ctl_table;

/* A table with @ncols columns titled @headers (copied). NULL when out of memory. */
struct ctl_table *ctl_table_new(size_t ncols, const char *const *headers);

/*
 * Appends a row of ncols cells (copied). 0 or -ENOMEM; once a row could not be added the
 * table adds no more and ctl_table_finish fails, so a loop of adds may check only that.
 */
int ctl_table_add(struct ctl_table *t, const char *const *cells);

/* Writes the header and the rows, columns padded to their widest cell. */
void ctl_table_print(const struct ctl_table *t, FILE *out);

void ctl_table_free(struct ctl_table *t);

/* Prints @t unless a row could not be added, and frees it: 0, or -1 (nothing printed). */
int ctl_table_finish(struct ctl_table *t, FILE *out);

#endif
