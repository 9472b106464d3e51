/*
 * fuzz_conf: the configuration loader on arbitrary files. The input is split at NUL
 * octets: the first part becomes the service file (mtdhcpd.conf), each later part a tenant
 * file (tenants.d/t0.conf, t1.conf, ... at most FUZZ_CONF_TENANTS). conf_load must not
 * crash or leak (LeakSanitizer), must report every problem it returns -EINVAL for and none
 * when it succeeds, and what it accepts must make a tenant registry: a configuration that
 * `mtdhcpd --check` passes must not fail when the daemon starts.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "fuzz.h"
#include "tenants/registry.h"

#define FUZZ_CONF_TENANTS 8

static char fuzz_dir[256];
static char fuzz_tdir[300];
static char fuzz_service[300];
static unsigned fuzz_n_written; /* tenant files left by the previous input */

struct fuzz_reports {
	unsigned n;
};

static void fuzz_report(void *ctx, const char *file, int line, const char *setting,
                        const char *message)
{
	struct fuzz_reports *r = ctx;

	/* mtdhcpd prints each of these; none may be missing. */
	fuzz_check(file && setting && message && message[0] && line >= 0);
	r->n++;
}

static void fuzz_conf_cleanup(void)
{
	fuzz_tmpdir_remove(fuzz_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (fuzz_tmpdir_make(fuzz_dir, sizeof(fuzz_dir)) != 0) {
		perror("fuzz_conf: scratch directory");
		abort();
	}
	snprintf(fuzz_tdir, sizeof(fuzz_tdir), "%s/tenants.d", fuzz_dir);
	snprintf(fuzz_service, sizeof(fuzz_service), "%s/mtdhcpd.conf", fuzz_dir);
	if (mkdir(fuzz_tdir, 0755) != 0) {
		perror("fuzz_conf: tenants.d");
		abort();
	}
	atexit(fuzz_conf_cleanup);
	return 0;
}

/* Writes the parts of the input; returns how many tenant files there are. */
static unsigned fuzz_conf_write(const uint8_t *data, size_t size)
{
	const uint8_t *end = data + size;
	const uint8_t *sep = memchr(data, 0, size);
	unsigned n = 0;

	fuzz_check(fuzz_write_file(fuzz_dir, "mtdhcpd.conf", data,
	                           (size_t)((sep ? sep : end) - data)) == 0);
	while (sep && n < FUZZ_CONF_TENANTS) {
		const uint8_t *part = sep + 1;
		char name[16];

		sep = memchr(part, 0, (size_t)(end - part));
		snprintf(name, sizeof(name), "t%u.conf", n++);
		fuzz_check(fuzz_write_file(fuzz_tdir, name, part,
		                           (size_t)((sep ? sep : end) - part)) == 0);
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_reports reports = {0};
	struct conf *conf = (struct conf *)&reports; /* must be overwritten */
	unsigned n;
	int rc;

	if (!fuzz_dir[0])
		LLVMFuzzerInitialize(NULL, NULL);
	n = fuzz_conf_write(data, size);
	for (unsigned i = n; i < fuzz_n_written; i++) {
		char path[320];

		snprintf(path, sizeof(path), "%s/t%u.conf", fuzz_tdir, i);
		unlink(path);
	}
	fuzz_n_written = n;

	rc = conf_load(fuzz_service, &conf, fuzz_report, &reports);
	if (rc != 0) {
		fuzz_check(conf == NULL);
		fuzz_check(rc < 0);
		fuzz_check(rc != -EINVAL || reports.n > 0);
		return 0;
	}
	fuzz_check(conf != NULL && reports.n == 0);

	/* The registry as the daemon builds it: with each port's relay policy. */
	const struct conf_service *svc = &conf->service;
	struct tenant_port_policy *policies = calloc(svc->n_ports + 1, sizeof(*policies));

	fuzz_check(policies != NULL);
	for (size_t i = 0; i < svc->n_ports; i++)
		conf_port_policy(&svc->ports[i], &policies[i]);

	struct tenant_registry_params rp = {.ports = policies, .n_ports = svc->n_ports};
	char err[512] = "";
	size_t n_tenants;
	struct tenant **tenants = conf_take_tenants(conf, &n_tenants);
	struct tenant_registry *reg =
	    tenant_registry_build_params(tenants, n_tenants, &rp, err, sizeof(err));

	if (!reg)
		fprintf(stderr, "fuzz_conf: accepted, but no registry: %s\n", err);
	fuzz_check(reg != NULL);
	tenant_registry_free(reg);
	free(policies);
	conf_free(conf);
	return 0;
}
