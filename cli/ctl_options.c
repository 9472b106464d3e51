/*
 * The option syntax of the commands that take only "[--json]" and positional arguments
 * (status, release, reload).
 */
#include <getopt.h>

#include "cli/ctl.h"

int ctl_simple_options(const char *command, int argc, char **argv, bool *json, const char **pos,
                       int npos, const char *what)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
		if (c == 'h') {
			ctl_command_help(command);
			return -1;
		}
		if (c != 'j')
			return ctl_opt_error(command, c, argv);
		*json = true;
	}
	if (argc - optind != npos) {
		if (npos == 0)
			return ctl_extra_args(command, argc, argv);
		return ctl_usage_error(command, "%s takes %s", command, what);
	}
	for (int i = 0; i < npos; i++)
		pos[i] = argv[optind + i];
	return CTL_EXIT_OK;
}
