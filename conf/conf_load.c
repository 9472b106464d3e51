/*
 * conf_load: the service file, then every "*.conf" file of its tenants_dir in file-name
 * order, then the checks across tenants. Problems are reported as they are found and
 * loading goes on, so that one `mtdhcpd --check` lists them all; the snapshot is returned
 * only when there were none. Also the small public helpers of conf.h.
 */
#include "conf/conf_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CONF_TENANT_SUFFIX ".conf"

/* The tenant files being read: parallel arrays, grown as files are accepted. */
struct conf_tenant_list {
	struct tenant **tenants;
	struct conf_tenant_src *srcs;
	size_t n, cap;
	/* conf_load_partial: the files left out, and the problems found in them. */
	bool partial;
	char **failed;
	size_t n_failed, cap_failed;
	unsigned file_errors;
};

static int conf_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Whether directory entry @name is a tenant file: "<something>.conf", not hidden (editors
 * and package managers leave ".#x.conf"-style files behind).
 */
static bool conf_is_tenant_file(const char *name)
{
	size_t n = strlen(name), s = strlen(CONF_TENANT_SUFFIX);

	return name[0] != '.' && n > s && strcmp(name + n - s, CONF_TENANT_SUFFIX) == 0;
}

/* The sorted names of the tenant files in @dir. 0 or -errno. */
static int conf_list_dir(const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t cap = 0;
	int rc = 0;

	*names = NULL;
	*n = 0;
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *path;
		struct stat st;
		bool keep;

		if (!conf_is_tenant_file(de->d_name))
			continue;
		/* stat, not the entry type: a symlink to a file is a tenant file too. */
		path = conf_path_join(dir, de->d_name);
		if (!path) {
			rc = -ENOMEM;
			break;
		}
		if (stat(path, &st) == 0) {
			keep = S_ISREG(st.st_mode);
		} else {
			/* A dangling link or an unreadable entry is reported when it is read. */
			keep = true;
		}
		free(path);
		if (!keep)
			continue;
		if (*n == cap) {
			char **grown = realloc(*names, (cap ? 2 * cap : 16) * sizeof(char *));

			if (!grown) {
				rc = -ENOMEM;
				break;
			}
			*names = grown;
			cap = cap ? 2 * cap : 16;
		}
		(*names)[*n] = strdup(de->d_name);
		if (!(*names)[*n]) {
			rc = -ENOMEM;
			break;
		}
		(*n)++;
	}
	closedir(d);
	if (!rc && *n > 1)
		qsort(*names, *n, sizeof(char *), conf_name_cmp);
	return rc;
}

/* Records the tenant file @path as rejected (partial loads). 0 or -ENOMEM. */
static int conf_failed_add(struct conf_tenant_list *l, const char *path)
{
	for (size_t i = 0; i < l->n_failed; i++) {
		if (strcmp(l->failed[i], path) == 0)
			return 0;
	}
	if (l->n_failed == l->cap_failed) {
		size_t cap = l->cap_failed ? 2 * l->cap_failed : 8;
		char **v = realloc(l->failed, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->failed = v;
		l->cap_failed = cap;
	}
	if (!(l->failed[l->n_failed] = strdup(path)))
		return -ENOMEM;
	l->n_failed++;
	return 0;
}

static int conf_tenant_list_add(struct conf_tenant_list *l, struct tenant *t,
                                struct conf_tenant_src *src)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct tenant **tenants = realloc(l->tenants, cap * sizeof(*tenants));
		struct conf_tenant_src *srcs;

		if (!tenants)
			return -ENOMEM;
		l->tenants = tenants;
		srcs = realloc(l->srcs, cap * sizeof(*srcs));
		if (!srcs)
			return -ENOMEM;
		l->srcs = srcs;
		l->cap = cap;
	}
	l->tenants[l->n] = t;
	l->srcs[l->n] = *src;
	l->n++;
	return 0;
}

/* Reads one tenant file; a tenant with problems is reported and left out. */
static void conf_tenant_file(struct conf_ctx *c, const struct conf_service *svc, bool ports_ok,
                             const char *name, struct conf_tenant_list *list)
{
	char *path = conf_path_join(svc->tenants_dir, name);
	char *tname = strndup(name, strlen(name) - strlen(CONF_TENANT_SUFFIX));
	struct conf_intscan *scan = NULL;
	struct conf_tenant_src src = {0};
	struct tenant *t = NULL;
	unsigned errors_before = c->errors;
	config_t cfg;

	if (!path || !tname) {
		conf_err_line(c, 0, "", "out of memory");
		goto out;
	}
	c->file = path;
	if (conf_file_read(c, path, &cfg, &scan) == 0)
		t = conf_tenant_read(c, &cfg, path, tname, svc, ports_ok, &src);
	config_destroy(&cfg);
	conf_intscan_free(scan);
	if (t && conf_tenant_list_add(list, t, &src)) {
		conf_err_line(c, 0, "", "out of memory");
		tenant_free(t);
		conf_tenant_src_clear(&src);
	} else if (!t) {
		conf_tenant_src_clear(&src);
	}
	if (list->partial && c->errors != errors_before) {
		list->file_errors += c->errors - errors_before;
		if (path && conf_failed_add(list, path))
			list->file_errors--; /* out of memory: the load fails */
	}
out:
	c->file = svc->file;
	free(path);
	free(tname);
}

static void conf_tenants_load(struct conf_ctx *c, const config_t *cfg, struct conf *conf,
                              bool ports_ok, struct conf_tenant_list *list)
{
	const struct conf_service *svc = &conf->service;
	char **names;
	size_t n;
	int rc = conf_list_dir(svc->tenants_dir, &names, &n);

	if (rc) {
		conf_err(c, config_setting_get_member(config_root_setting(cfg), "tenants_dir"),
		         "tenants_dir", "cannot read the tenants directory %s: %s",
		         svc->tenants_dir, strerror(-rc));
	} else {
		for (size_t i = 0; i < n; i++)
			conf_tenant_file(c, svc, ports_ok, names[i], list);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/*
 * Partial loads: the reports of the checks across tenants pass through here, so that the
 * tenant files they name can be left out.
 */
struct conf_check_tap {
	conf_report_fn report;
	void *ctx;
	struct conf_tenant_list *list;
	const char *service_file;
	unsigned fatal; /* reports about the service file, or that could not be recorded */
};

static void conf_check_tap_report(void *ctx, const char *file, int line, const char *setting,
                                  const char *message)
{
	struct conf_check_tap *tap = ctx;

	if (!file || !file[0] || strcmp(file, tap->service_file) == 0 ||
	    conf_failed_add(tap->list, file))
		tap->fatal++;
	if (tap->report)
		tap->report(tap->ctx, file, line, setting, message);
}

/* Leaves out the tenants whose files were rejected by the checks. */
static void conf_drop_failed(struct conf_tenant_list *list)
{
	size_t kept = 0;

	for (size_t i = 0; i < list->n; i++) {
		bool failed = false;

		for (size_t k = 0; k < list->n_failed && !failed; k++)
			failed = list->tenants[i]->file &&
			         strcmp(list->tenants[i]->file, list->failed[k]) == 0;
		if (failed) {
			tenant_free(list->tenants[i]);
			conf_tenant_src_clear(&list->srcs[i]);
			continue;
		}
		list->tenants[kept] = list->tenants[i];
		list->srcs[kept] = list->srcs[i];
		kept++;
	}
	list->n = kept;
}

static int conf_load_mode(const char *service_file, struct conf **out, conf_report_fn report,
                          void *ctx, bool partial)
{
	struct conf_ctx c = {.report = report, .report_ctx = ctx, .file = service_file};
	struct conf_tenant_list list = {.partial = partial};
	struct conf_intscan *scan = NULL;
	struct conf *conf;
	bool ports_ok = false;
	config_t cfg;
	int rc;

	*out = NULL;
	conf = calloc(1, sizeof(*conf));
	if (!conf || !(conf->service.file = strdup(service_file))) {
		free(conf);
		return -ENOMEM;
	}
	c.file = conf->service.file;
	rc = conf_file_read(&c, service_file, &cfg, &scan);
	if (rc) {
		config_destroy(&cfg);
		conf_free(conf);
		/* A parse error is a configuration problem; a missing file keeps its errno. */
		return rc;
	}
	conf_service_read(&c, &cfg, &conf->service, &ports_ok);
	if (conf->service.tenants_dir)
		conf_tenants_load(&c, &cfg, conf, ports_ok, &list);
	config_destroy(&cfg);
	conf_intscan_free(scan);

	if (partial) {
		/* Tenant files with problems are left out; the service file's are fatal. */
		struct conf_check_tap tap = {report, ctx, &list, conf->service.file, 0};
		unsigned fatal = c.errors - list.file_errors;

		c.report = conf_check_tap_report;
		c.report_ctx = &tap;
		conf_check_tenants(&c, list.tenants, list.srcs, list.n, &conf->service);
		c.report = report;
		c.report_ctx = ctx;
		conf_drop_failed(&list);
		c.errors = fatal + tap.fatal;
	} else {
		conf_check_tenants(&c, list.tenants, list.srcs, list.n, &conf->service);
	}
	for (size_t i = 0; i < list.n; i++)
		conf_tenant_src_clear(&list.srcs[i]);
	free(list.srcs);
	conf->tenants = list.tenants;
	conf->n_tenants = list.n;
	conf->failed_files = list.failed;
	conf->n_failed = list.n_failed;
	if (!conf->tenants && !(conf->tenants = calloc(1, sizeof(*conf->tenants))))
		c.errors++;
	if (c.errors) {
		conf_free(conf);
		return -EINVAL;
	}
	*out = conf;
	return 0;
}

int conf_load(const char *service_file, struct conf **out, conf_report_fn report, void *ctx)
{
	return conf_load_mode(service_file, out, report, ctx, false);
}

int conf_load_partial(const char *service_file, struct conf **out, conf_report_fn report,
                      void *ctx)
{
	return conf_load_mode(service_file, out, report, ctx, true);
}

void conf_free(struct conf *conf)
{
	if (!conf)
		return;
	conf_service_clear(&conf->service);
	for (size_t i = 0; i < conf->n_tenants; i++)
		tenant_free(conf->tenants[i]);
	free(conf->tenants);
	for (size_t i = 0; i < conf->n_failed; i++)
		free(conf->failed_files[i]);
	free(conf->failed_files);
	free(conf);
}

struct tenant **conf_take_tenants(struct conf *conf, size_t *n)
{
	struct tenant **tenants = conf->tenants;

	*n = conf->n_tenants;
	conf->tenants = NULL;
	conf->n_tenants = 0;
	return tenants;
}

int conf_port_index(const struct conf_service *svc, const char *name)
{
	for (size_t i = 0; i < svc->n_ports; i++) {
		if (strcmp(svc->ports[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

int conf_read_db_path(const char *service_file, char *out, size_t outlen, char *err, size_t errlen)
{
	const char *path = "/var/lib/mtdhcp/leases.db";
	const config_setting_t *db, *ps;
	char *dir = NULL, *full = NULL;
	config_t cfg;
	FILE *f;
	int rc = 0;

	/* libconfig says only "file I/O error"; fopen says why. */
	f = fopen(service_file, "r");
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", service_file, strerror(-rc));
		return rc;
	}
	fclose(f);
	config_init(&cfg);
	if (!config_read_file(&cfg, service_file)) {
		snprintf(err, errlen, "%s:%d: %s",
		         config_error_file(&cfg) ? config_error_file(&cfg) : service_file,
		         config_error_line(&cfg), config_error_text(&cfg));
		config_destroy(&cfg);
		return -EINVAL;
	}
	db = config_setting_get_member(config_root_setting(&cfg), "lease_db");
	ps = db && config_setting_is_group(db) ? config_setting_get_member(db, "path") : NULL;
	if ((db && !config_setting_is_group(db)) ||
	    (ps && (config_setting_type(ps) != CONFIG_TYPE_STRING ||
	            !config_setting_get_string(ps)[0]))) {
		snprintf(err, errlen, "%s:%u: lease_db.path: expected a non-empty path string",
		         service_file, config_setting_source_line(ps ? ps : db));
		config_destroy(&cfg);
		return -EINVAL;
	}
	if (ps)
		path = config_setting_get_string(ps);
	dir = conf_dirname(service_file);
	full = dir ? conf_path_join(dir, path) : NULL;
	config_destroy(&cfg);
	if (!full) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
	} else if (strlen(full) >= outlen) {
		rc = -ENAMETOOLONG;
		snprintf(err, errlen, "%s: lease_db.path is longer than %zu characters",
		         service_file, outlen ? outlen - 1 : 0);
	} else {
		memcpy(out, full, strlen(full) + 1);
	}
	free(dir);
	free(full);
	return rc;
}
