/*
 * Helpers for the conf tests (see conf_harness.h).
 */
#include "conf_harness.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static const char harness_service[] =
    "dataplane = {\n"
    "  ports = ( { name = \"uplink\"; device = \"net_null0\"; address = \"10.0.1.1/24\"; },\n"
    "            { name = \"downlink\"; device = \"net_null1\"; address = \"10.0.2.1/24\"; } );\n"
    "};\n"
    "tenants_dir = \"tenants.d\";\n";

void harness_report(void *ctx, const char *file, int line, const char *setting, const char *message)
{
	struct harness *h = ctx;
	struct harness_report *r;

	assert_true(h->n < HARNESS_MAX_REPORTS);
	r = &h->r[h->n++];
	snprintf(r->file, sizeof(r->file), "%s", file);
	r->line = line;
	snprintf(r->setting, sizeof(r->setting), "%s", setting);
	snprintf(r->message, sizeof(r->message), "%s", message);
}

void harness_load(struct harness *h, const char *service_file)
{
	h->conf = (struct conf *)(uintptr_t)1; /* must be overwritten */
	h->rc = conf_load(service_file, &h->conf, harness_report, h);
	if (h->rc)
		assert_null(h->conf);
	else
		assert_non_null(h->conf);
}

void harness_write(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/tenants.d", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

void harness_mkdir(struct harness *h)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(h->dir, sizeof(h->dir), "%s/mtdhcp-conf-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	assert_non_null(mkdtemp(h->dir));
	harness_write(h->dir, "mtdhcpd.conf", harness_service);
}

void harness_load_tenants(struct harness *h, const char *const *files, size_t n)
{
	char svc[512];

	harness_mkdir(h);
	for (size_t i = 0; i < n; i++) {
		char src[512], dst[512];
		const char *base = strrchr(files[i], '/');

		snprintf(src, sizeof(src), "%s/%s", HARNESS_FILES, files[i]);
		snprintf(dst, sizeof(dst), "%s/tenants.d/%s", h->dir, base ? base + 1 : files[i]);
		assert_int_equal(symlink(src, dst), 0);
	}
	snprintf(svc, sizeof(svc), "%s/mtdhcpd.conf", h->dir);
	harness_load(h, svc);
}

static bool harness_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

void harness_expect(const struct harness *h, size_t count, const char *file_suffix, int line,
                    const char *setting, const char *msg)
{
	for (size_t i = 0; i < h->n; i++) {
		const struct harness_report *r = &h->r[i];

		if (harness_ends_with(r->file, file_suffix) && r->line == line &&
		    strcmp(r->setting, setting) == 0 && strstr(r->message, msg))
			goto found;
	}
	for (size_t i = 0; i < h->n; i++)
		print_error("report %zu: %s:%d: %s: %s\n", i, h->r[i].file, h->r[i].line,
		            h->r[i].setting, h->r[i].message);
	fail_msg("no report %s:%d: %s: ...%s...", file_suffix, line, setting, msg);
found:
	if (h->n != count) {
		for (size_t i = 0; i < h->n; i++)
			print_error("report %zu: %s:%d: %s: %s\n", i, h->r[i].file, h->r[i].line,
			            h->r[i].setting, h->r[i].message);
		fail_msg("expected %zu reports, got %zu", count, h->n);
	}
	assert_int_equal(h->rc, -EINVAL);
	assert_null(h->conf);
}

static void harness_rmtree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;

	if (!d) {
		unlink(path);
		return;
	}
	while ((de = readdir(d))) {
		char sub[768];
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			harness_rmtree(sub);
		else
			unlink(sub);
	}
	closedir(d);
	rmdir(path);
}

void harness_done(struct harness *h)
{
	conf_free(h->conf);
	h->conf = NULL;
	if (h->dir[0])
		harness_rmtree(h->dir);
	h->dir[0] = '\0';
}
