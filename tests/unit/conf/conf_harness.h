/*
 * Helpers for the conf tests: collect the problems conf_load reports, run it on a service
 * file, or on a throw-away directory holding a standard service file and chosen tenant
 * files, and find a report by file, line, setting and message.
 */
#ifndef MTDHCP_TESTS_CONF_HARNESS_H
#define MTDHCP_TESTS_CONF_HARNESS_H

#include <stddef.h>

#include "conf/conf.h"

#define HARNESS_FILES       MTDHCP_TEST_DATA "/unit/conf/files"
#define HARNESS_MAX_REPORTS 32

struct harness_report {
	char file[512];
	int line;
	char setting[256];
	char message[512];
};

struct harness {
	struct harness_report r[HARNESS_MAX_REPORTS];
	size_t n;
	char dir[256]; /* the temporary directory, "" when none */
	struct conf *conf;
	int rc;
};

/* The conf_report_fn that appends to a struct harness. */
void harness_report(void *ctx, const char *file, int line, const char *setting,
                    const char *message);

/* conf_load(@service_file) into @h. */
void harness_load(struct harness *h, const char *service_file);

/*
 * Creates a temporary directory with "mtdhcpd.conf" (ports "uplink" and "downlink",
 * tenants_dir "tenants.d") and links each of the @n files (paths under HARNESS_FILES)
 * into its tenants.d, then loads it.
 */
void harness_load_tenants(struct harness *h, const char *const *files, size_t n);

/* Writes @text to @dir/@name (creating @dir's tenants.d as needed for "tenants.d/..."). */
void harness_write(const char *dir, const char *name, const char *text);

/* Makes a temporary directory with the standard service file, without loading it. */
void harness_mkdir(struct harness *h);

/*
 * Asserts exactly @count reports, and that one has a file ending in @file_suffix, @line,
 * @setting and a message containing @msg.
 */
void harness_expect(const struct harness *h, size_t count, const char *file_suffix, int line,
                    const char *setting, const char *msg);

/* Frees the configuration and removes the temporary directory. */
void harness_done(struct harness *h);

#endif
