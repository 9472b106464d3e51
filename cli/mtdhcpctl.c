/*
 * mtdhcpctl: the operator's command line. Global options choose where the lease database
 * is; the first other word names a subcommand from ctl_commands, which parses the rest.
 * Adding a subcommand is adding its function and one row to the table.
 *
 * Exit codes: 0 success, 1 runtime error, 2 usage error; every error is one line on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl.h"
#include "conf/conf.h"

static int ctl_help_run(const struct ctl_ctx *ctx, int argc, char **argv);

static const struct ctl_command ctl_commands[] = {
    {
        .name = "leases",
        .args = "[--tenant NAME] [--state STATE] [--json]",
        .summary = "list leases, by tenant then address",
        .help = "  -t, --tenant NAME   only the leases of tenant NAME\n"
                "  -s, --state STATE   only leases in STATE: active, released, expired,"
                " declined\n"
                "  -j, --json          a JSON array of objects instead of a table\n",
        .run = ctl_leases_run,
    },
    {
        .name = "help",
        .args = "[COMMAND]",
        .summary = "show this help, or a command's options",
        .help = "",
        .run = ctl_help_run,
    },
};

#define CTL_N_COMMANDS (sizeof(ctl_commands) / sizeof(ctl_commands[0]))

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

int ctl_write_stdout(const char *buf, size_t len)
{
	if ((len > 0 && fwrite(buf, 1, len, stdout) != len) || fflush(stdout) != 0) {
		ctl_error("writing the output: %s", strerror(errno));
		return CTL_EXIT_RUNTIME;
	}
	return CTL_EXIT_OK;
}

struct lease_reader *ctl_open_reader(const struct ctl_ctx *ctx)
{
	char path[PATH_MAX], err[PATH_MAX + 256];
	const char *db = ctx->db_path;
	struct lease_reader *rd;

	if (db == NULL) {
		const char *service = ctx->service_file;

		if (service == NULL) {
			service = getenv(CTL_SERVICE_FILE_ENV);
			if (service == NULL || service[0] == '\0')
				service = CTL_DEFAULT_SERVICE_FILE;
		}
		err[0] = '\0';
		if (conf_read_db_path(service, path, sizeof(path), err, sizeof(err)) != 0) {
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

static const struct ctl_command *ctl_find(const char *name)
{
	for (size_t i = 0; i < CTL_N_COMMANDS; i++) {
		if (strcmp(ctl_commands[i].name, name) == 0)
			return &ctl_commands[i];
	}
	return NULL;
}

static void ctl_print_usage(FILE *out)
{
	fprintf(out, "usage: " CTL_NAME " [-c SERVICE_FILE | --db PATH] COMMAND [ARGS]\n"
	             "\n"
	             "Inspects a running or stopped mtdhcpd through its lease database.\n"
	             "\n"
	             "options:\n"
	             "  -c, --config FILE   read lease_db.path from service file FILE (default "
	             "$" CTL_SERVICE_FILE_ENV ",\n"
	             "                      else " CTL_DEFAULT_SERVICE_FILE ")\n"
	             "  --db PATH           open the lease database at PATH\n"
	             "  -h, --help          show this help\n"
	             "\n"
	             "commands:\n");
	for (size_t i = 0; i < CTL_N_COMMANDS; i++)
		fprintf(out, "  %-10s %s\n", ctl_commands[i].name, ctl_commands[i].summary);
	fprintf(out, "\nexit status: 0 success, 1 runtime error, 2 usage error\n");
}

static void ctl_print_command_usage(const struct ctl_command *cmd, FILE *out)
{
	fprintf(out, "usage: " CTL_NAME " [-c SERVICE_FILE | --db PATH] %s %s\n\n%s\n", cmd->name,
	        cmd->args, cmd->summary);
	if (cmd->help[0] != '\0')
		fprintf(out, "\noptions:\n%s", cmd->help);
}

int ctl_command_help(const char *name)
{
	const struct ctl_command *cmd = ctl_find(name);

	if (cmd != NULL)
		ctl_print_command_usage(cmd, stdout);
	return CTL_EXIT_OK;
}

static int ctl_help_run(const struct ctl_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	if (argc > 2)
		return ctl_usage_error("help", "help takes at most one command name");
	if (argc == 2) {
		if (ctl_find(argv[1]) == NULL)
			return ctl_usage_error(NULL, "unknown command '%s'", argv[1]);
		return ctl_command_help(argv[1]);
	}
	ctl_print_usage(stdout);
	return CTL_EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"db", required_argument, NULL, 'D'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct ctl_ctx ctx = {0};
	int c;

	opterr = 0; /* our own one-line messages */
	/* "+": stop at the command name; what follows is the command's. */
	while ((c = getopt_long(argc, argv, "+:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			ctx.service_file = optarg;
			break;
		case 'D':
			ctx.db_path = optarg;
			break;
		case 'h':
			ctl_print_usage(stdout);
			return CTL_EXIT_OK;
		case ':':
			return ctl_usage_error(NULL, "option '%s' needs an argument",
			                       argv[optind - 1]);
		default:
			/* optopt names a bad short option; a bad long one is the word itself. */
			if (optopt != 0)
				return ctl_usage_error(NULL, "unknown option '-%c'", optopt);
			return ctl_usage_error(NULL, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (ctx.service_file != NULL && ctx.db_path != NULL)
		return ctl_usage_error(NULL, "-c and --db exclude each other");
	if (optind >= argc)
		return ctl_usage_error(NULL, "no command given");

	const struct ctl_command *cmd = ctl_find(argv[optind]);

	if (cmd == NULL)
		return ctl_usage_error(NULL, "unknown command '%s'", argv[optind]);
	int first = optind;

	/* The command parses its own options; optind 0 makes getopt start over. */
	optind = 0;
	return cmd->run(&ctx, argc - first, argv + first);
}
