/*
 * mtdhcpd: the command line. Loads and validates the configuration (--check stops there)
 * and hands it to the service (service.c), which runs until SIGTERM or SIGINT.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "conf/conf.h"
#include "dhcpd/service.h"

#define MTDHCPD_DEFAULT_CONF "/etc/mtdhcp/mtdhcpd.conf"

static void usage(FILE *out)
{
	fprintf(out, "usage: mtdhcpd [-c FILE] [--check] [--help] [--version]\n"
		     "  -c, --config FILE  service configuration (default " MTDHCPD_DEFAULT_CONF ")\n"
		     "      --check        validate the service file and every tenant file, then exit\n"
		     "  -h, --help         this text\n"
		     "  -V, --version      the version\n");
}

struct report_ctx {
	unsigned errors;
};

static void report(void *ctx, const char *file, int line, const char *setting, const char *msg)
{
	struct report_ctx *rc = ctx;
	rc->errors++;
	if (line > 0)
		fprintf(stderr, "%s:%d: %s%s%s\n", file, line, setting, *setting ? ": " : "", msg);
	else
		fprintf(stderr, "%s: %s%s%s\n", file, setting, *setting ? ": " : "", msg);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *conf_file = MTDHCPD_DEFAULT_CONF;
	bool check = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			conf_file = optarg;
			break;
		case 'k':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("mtdhcpd " MTDHCP_VERSION "\n");
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "mtdhcpd: unexpected argument: %s\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	struct report_ctx rctx = {0};
	struct conf *conf = NULL;
	int rc = conf_load(conf_file, &conf, report, &rctx);
	if (rc) {
		if (rctx.errors == 0)
			fprintf(stderr, "%s: %s\n", conf_file, strerror(-rc));
		fprintf(stderr, "mtdhcpd: configuration has errors; not started\n");
		return 1;
	}
	if (check) {
		printf("%s: configuration OK (%zu tenants)\n", conf_file, conf->n_tenants);
		conf_free(conf);
		return 0;
	}
	log_set_level((enum log_level)conf->service.log_level);
	log_set_journal(getenv("JOURNAL_STREAM") != NULL);
	return service_run(conf_file, conf);
}
