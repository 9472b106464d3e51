/*
 * Private to mtdhcpctl: what the subcommands share. Each subcommand is one function in
 * its own file and one row of the table in mtdhcpctl.c.
 */
#ifndef MTDHCP_CLI_CTL_H
#define MTDHCP_CLI_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "lease-store/lease_read.h"

#define CTL_NAME                 "mtdhcpctl"
#define CTL_DEFAULT_SERVICE_FILE "/etc/mtdhcp/mtdhcpd.conf"
#define CTL_SERVICE_FILE_ENV     "MTDHCP_CONF"

/* Exit codes, as documented in --help. */
enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_RUNTIME = 1, /* database missing or unreadable, unknown tenant, write error */
	CTL_EXIT_USAGE = 2,   /* bad arguments */
};

/* What the global options chose. */
struct ctl_ctx {
	const char *service_file; /* -c; NULL = $MTDHCP_CONF or the default */
	const char *db_path;      /* --db; NULL = from the service file */
};

struct ctl_command {
	const char *name;
	const char *args;    /* synopsis of its arguments, for the usage line */
	const char *summary; /* one line for the command list */
	const char *help;    /* its options, one per line */
	/* @argv[0] is the command's name. Returns an enum ctl_exit. */
	int (*run)(const struct ctl_ctx *ctx, int argc, char **argv);
};

/* The leases subcommand (ctl_leases.c). */
int ctl_leases_run(const struct ctl_ctx *ctx, int argc, char **argv);

/* Prints "mtdhcpctl: <message>" on stderr, one line. */
__attribute__((format(printf, 1, 2))) void ctl_error(const char *fmt, ...);

/* ctl_error plus a hint to --help; returns CTL_EXIT_USAGE. */
__attribute__((format(printf, 2, 3))) int ctl_usage_error(const char *command, const char *fmt,
                                                          ...);

/*
 * Opens the lease database read-only: --db, else lease_db.path of the service file.
 * NULL after printing why.
 */
struct lease_reader *ctl_open_reader(const struct ctl_ctx *ctx);

/* Prints the usage of command @name on stdout (for its -h); returns CTL_EXIT_OK. */
int ctl_command_help(const char *name);

/* Writes @len bytes of @buf to stdout and flushes it; CTL_EXIT_OK or CTL_EXIT_RUNTIME. */
int ctl_write_stdout(const char *buf, size_t len);

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

/*
 * Writes @len bytes of @p as a JSON string, quotes included. Valid UTF-8 is kept; quotes,
 * backslashes and control characters are escaped; bytes that are not UTF-8 become U+FFFD,
 * so the output is always valid JSON.
 */
void ctl_json_string(FILE *out, const char *p, size_t len);

/* --- ctl_table.c: aligned text tables --- */

struct ctl_table;

/* A table with @ncols columns titled @headers (copied). NULL when out of memory. */
struct ctl_table *ctl_table_new(size_t ncols, const char *const *headers);

/* Appends a row of ncols cells (copied). 0 or -ENOMEM. */
int ctl_table_add(struct ctl_table *t, const char *const *cells);

/* Writes the header and the rows, columns padded to their widest cell. */
void ctl_table_print(const struct ctl_table *t, FILE *out);

void ctl_table_free(struct ctl_table *t);

#endif
