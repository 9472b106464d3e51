/*
 * mtdhcpctl: the operator's command line. Global options choose where the lease database
 * and the daemon's control socket are; the first other word names a subcommand from
 * ctl_commands, which parses the rest. Adding a subcommand is adding its function and one
 * row to the table.
 *
 * Exit codes: 0 success, 1 runtime error, 2 usage error, 3 daemon not reachable (live
 * commands); every error is one line on stderr.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl.h"

static int ctl_help_run(const struct ctl_ctx *ctx, int argc, char **argv);

static const struct ctl_command ctl_commands[] = {
    {
        .name = "leases",
        .args = "[FILTERS] [--sort FIELD] [--reverse] [--limit N] [--offset N] [--json]",
        .summary = "list leases from the database, by tenant then address",
        .help = "  -t, --tenant NAME          only the leases of tenant NAME\n"
                "  -i, --ip A[/LEN]           only address A, or the addresses in A/LEN\n"
                "  -m, --mac MAC              only hardware address MAC (02:00:00:00:00:01)\n"
                "      --client-id HEX        only client identifier HEX (option 61, 01:02:..)\n"
                "  -n, --hostname PATTERN     only host names matching PATTERN (*, ?, [..];"
                " any case)\n"
                "  -s, --state STATE          only leases in STATE: active, released, expired,"
                " declined\n"
                "  -e, --expiring-within DUR  only active leases ending within DUR (90s, 15m,"
                " 2h, 1d)\n"
                "  -S, --sort FIELD           order by tenant (default), address, expires,"
                " start, cltt,\n"
                "                             hwaddr, hostname or state\n"
                "  -r, --reverse              descending order\n"
                "  -l, --limit N              at most N leases\n"
                "  -o, --offset N             skip the first N leases (with --limit: paging)\n"
                "  -j, --json                 a JSON array of objects instead of a table\n",
        .run = ctl_leases_run,
    },
    {
        .name = "lease",
        .args = "TENANT ADDRESS [--json]",
        .summary = "show one lease with its client and relay information",
        .help = "  -j, --json          a JSON object instead of text\n",
        .run = ctl_lease_run,
    },
    {
        .name = "history",
        .args = "--tenant NAME (--ip ADDRESS | --mac MAC) [--at TIME] [--json]",
        .summary = "who had an address, or which addresses a MAC had, and when",
        .help = "  -t, --tenant NAME   the tenant (required)\n"
                "  -i, --ip ADDRESS    the events of ADDRESS: bind, renew, release, decline,"
                " expire\n"
                "  -m, --mac MAC       the events of hardware address MAC\n"
                "  -a, --at TIME       only the binding in force at TIME:"
                " 2024-05-01T14:00[:SS] (local),\n"
                "                      with Z or +02:00 for UTC or an offset, @UNIXTIME,"
                " or now\n"
                "  -j, --json          a JSON array of events instead of a table\n",
        .run = ctl_history_run,
    },
    {
        .name = "tenants",
        .args = "[--tenant NAME] [--offline] [--json]",
        .summary = "list tenants: match rules, subnets, pool use, active leases",
        .help = "  -t, --tenant NAME   only tenant NAME\n"
                "      --offline       from the configuration files and the lease database,"
                " without\n"
                "                      asking the daemon (also used when it does not run)\n"
                "  -j, --json          JSON instead of a table\n",
        .run = ctl_tenants_run,
    },
    {
        .name = "stats",
        .args = "[--tenant NAME] [--json]",
        .summary = "show the daemon's counters per tenant and per port (live)",
        .help = "  -t, --tenant NAME   every counter of tenant NAME\n"
                "  -j, --json          JSON instead of tables\n",
        .run = ctl_stats_run,
    },
    {
        .name = "status",
        .args = "[--json]",
        .summary = "tell whether the daemon runs, its version and uptime (live)",
        .help = "  -j, --json          JSON instead of text\n",
        .run = ctl_status_run,
    },
    {
        .name = "release",
        .args = "TENANT ADDRESS [--json]",
        .summary = "release a lease now, as its client's DHCPRELEASE would (live)",
        .help = "  -j, --json          JSON instead of text\n",
        .run = ctl_release_run,
    },
    {
        .name = "reload",
        .args = "[--json]",
        .summary = "re-read the configuration, as SIGHUP does, and report (live)",
        .help = "  -j, --json          JSON instead of text\n",
        .run = ctl_reload_run,
    },
    {
        .name = "check",
        .args = "[-c FILE]",
        .summary = "validate a service file and its tenant files, as mtdhcpd --check",
        .help = "  -c, --config FILE   the service file (default: the global -c, "
                "$" CTL_SERVICE_FILE_ENV ",\n"
                "                      else " CTL_DEFAULT_SERVICE_FILE ")\n",
        .run = ctl_check_run,
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
	fprintf(out,
	        "usage: " CTL_NAME " [-c SERVICE_FILE | --db PATH] [--socket PATH] COMMAND"
	        " [ARGS]\n"
	        "\n"
	        "Inspects and steers mtdhcpd: leases, lease, history and tenants read the lease\n"
	        "database and work whether the daemon runs or not; live commands talk to the\n"
	        "daemon over its control socket.\n"
	        "\n"
	        "options:\n"
	        "  -c, --config FILE   the service file, for lease_db.path and control_socket\n"
	        "                      (default $" CTL_SERVICE_FILE_ENV
	        ", else " CTL_DEFAULT_SERVICE_FILE ")\n"
	        "  --db PATH           open the lease database at PATH\n"
	        "  --socket PATH       talk to the daemon's control socket at PATH\n"
	        "  -h, --help          show this help\n"
	        "\n"
	        "commands:\n");
	for (size_t i = 0; i < CTL_N_COMMANDS; i++)
		fprintf(out, "  %-10s %s\n", ctl_commands[i].name, ctl_commands[i].summary);
	fprintf(out, "\nexit status: 0 success, 1 runtime error, 2 usage error, 3 the daemon could"
	             " not be\nreached (live commands)\n");
}

static void ctl_print_command_usage(const struct ctl_command *cmd, FILE *out)
{
	fprintf(out, "usage: " CTL_NAME " [GLOBAL OPTIONS] %s %s\n\n%s\n", cmd->name, cmd->args,
	        cmd->summary);
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
	    {"socket", required_argument, NULL, 'S'},
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
		case 'S':
			ctx.socket_path = optarg;
			break;
		case 'h':
			ctl_print_usage(stdout);
			return CTL_EXIT_OK;
		default:
			return ctl_opt_error(NULL, c, argv);
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
