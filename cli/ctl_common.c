/*
 * What every mtdhcpctl subcommand uses: one-line errors, the service file, the lease
 * database, and the usage errors of option parsing.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl.h"
#include "conf/conf.h"

void ctl_error(const char *fmt, ...)
{
	va_list ap;

	fputs(CTL_NAME ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int ctl_usage_error(const char *command, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (command != NULL)
		ctl_error("%s (try '" CTL_NAME " help %s')", msg, command);
	else
		ctl_error("%s (try '" CTL_NAME " --help')", msg);
	return CTL_EXIT_USAGE;
}

int ctl_opt_error(const char *command, int c, char **argv)
{
	if (c == ':')
		return ctl_usage_error(command, "option '%s' needs an argument", argv[optind - 1]);
	/* optopt names a bad short option; a bad long one is the word itself. */
	if (optopt != 0)
		return ctl_usage_error(command, "unknown option '-%c'", optopt);
	return ctl_usage_error(command, "unknown option '%s'", argv[optind - 1]);
}

int ctl_extra_args(const char *command, int argc, char **argv)
{
	if (optind < argc)
		return ctl_usage_error(command, "unexpected argument '%s'", argv[optind]);
	return CTL_EXIT_OK;
}

int ctl_write_stdout(const char *buf, size_t len)
{
	if ((len > 0 && fwrite(buf, 1, len, stdout) != len) || fflush(stdout) != 0) {
		ctl_error("writing the output: %s", strerror(errno));
		return CTL_EXIT_RUNTIME;
	}
	return CTL_EXIT_OK;
}

const char *ctl_service_file(const struct ctl_ctx *ctx)
{
	const char *service = ctx->service_file;

	if (service == NULL) {
		service = getenv(CTL_SERVICE_FILE_ENV);
		if (service == NULL || service[0] == '\0')
			service = CTL_DEFAULT_SERVICE_FILE;
	}
	return service;
}

struct lease_reader *ctl_open_reader(const struct ctl_ctx *ctx)
{
	char path[PATH_MAX], err[PATH_MAX + 256];
	const char *db = ctx->db_path;
	struct lease_reader *rd;

	if (db == NULL) {
		err[0] = '\0';
		if (conf_read_db_path(ctl_service_file(ctx), path, sizeof(path), err,
		                      sizeof(err)) != 0) {
			ctl_error("cannot find the lease database: %s", err);
			return NULL;
		}
		db = path;
	}
	err[0] = '\0';
	rd = lease_reader_open(db, err, sizeof(err));
	if (rd == NULL)
		ctl_error("%s", err);
	return rd;
}
