/*
 * mtdhcpctl check [-c FILE]: validates a service file and every tenant file of its
 * tenants_dir with the daemon's own loader (conf_load), as `mtdhcpd --check` does, and
 * prints each problem as "file:line: setting: message". Exit 0 when the configuration is
 * good, 1 when it has errors.
 */
#include <getopt.h>
#include <string.h>

#include "cli/ctl.h"
#include "conf/conf.h"

struct ctl_check {
	unsigned errors;
};

static void ctl_check_report(void *ctx, const char *file, int line, const char *setting,
                             const char *msg)
{
	struct ctl_check *c = ctx;

	c->errors++;
	if (line > 0)
		fprintf(stderr, "%s:%d: %s%s%s\n", file, line, setting, *setting ? ": " : "", msg);
	else
		fprintf(stderr, "%s: %s%s%s\n", file, setting, *setting ? ": " : "", msg);
}

int ctl_check_run(const struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *file = ctl_service_file(ctx);
	struct ctl_check check = {0};
	struct conf *conf = NULL;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:c:h", opts, NULL)) != -1) {
		if (c == 'h')
			return ctl_command_help("check");
		if (c != 'c')
			return ctl_opt_error("check", c, argv);
		file = optarg;
	}
	rc = ctl_extra_args("check", argc, argv);
	if (rc != CTL_EXIT_OK)
		return rc;
	rc = conf_load(file, &conf, ctl_check_report, &check);
	if (rc != 0) {
		if (check.errors == 0)
			ctl_error("%s: %s", file, strerror(-rc));
		else
			ctl_error("%s: %u error%s; the daemon would not start with it, and a reload"
			          " would keep the running version of what is wrong",
			          file, check.errors, check.errors == 1 ? "" : "s");
		return CTL_EXIT_RUNTIME;
	}
	printf("%s: configuration OK (%zu tenant%s)\n", file, conf->n_tenants,
	       conf->n_tenants == 1 ? "" : "s");
	conf_free(conf);
	return ctl_write_stdout(NULL, 0);
}
