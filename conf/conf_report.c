/*
 * Problem reports and setting paths. Every report names the file, the line and the
 * setting (as a path like "subnets.[0].pools.[1].first"), so that an operator can go
 * straight to the mistake.
 */
#include "conf/conf_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int conf_line(const config_setting_t *s)
{
	return s ? (int)config_setting_source_line(s) : 0;
}

static void conf_vreport(struct conf_ctx *c, const char *file, int line, const char *path,
                         const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static void conf_vreport(struct conf_ctx *c, const char *file, int line, const char *path,
                         const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	c->errors++;
	if (c->report)
		c->report(c->report_ctx, file ? file : "", line, path ? path : "", msg);
}

/*
 * The name to report for @file, a file libconfig read for the one being loaded: an
 * @included file is named as written, relative to the including file's directory, which
 * is made explicit here so that the name leads to the file.
 */
static const char *conf_report_file(const struct conf_ctx *c, const char *file, char *buf,
                                    size_t len)
{
	const char *slash;

	if (!file || !c->file)
		return c->file;
	if (file[0] == '/' || strcmp(file, c->file) == 0 || !(slash = strrchr(c->file, '/')))
		return file;
	snprintf(buf, len, "%.*s/%s", (int)(slash - c->file), c->file, file);
	return buf;
}

void conf_err(struct conf_ctx *c, const config_setting_t *s, const char *path, const char *fmt, ...)
{
	char buf[1024];
	const char *file =
	    conf_report_file(c, s ? config_setting_source_file(s) : NULL, buf, sizeof(buf));
	va_list ap;

	va_start(ap, fmt);
	conf_vreport(c, file, conf_line(s), path, fmt, ap);
	va_end(ap);
}

void conf_err_line(struct conf_ctx *c, int line, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_vreport(c, c->file, line, path, fmt, ap);
	va_end(ap);
}

void conf_err_at(struct conf_ctx *c, const char *file, int line, const char *path, const char *fmt,
                 ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	conf_vreport(c, conf_report_file(c, file, buf, sizeof(buf)), line, path, fmt, ap);
	va_end(ap);
}

void conf_path_member(char *out, const char *parent, const char *name)
{
	if (parent && parent[0])
		snprintf(out, CONF_PATH_MAX, "%s.%s", parent, name);
	else
		snprintf(out, CONF_PATH_MAX, "%s", name);
}

void conf_path_elem(char *out, const char *parent, size_t i)
{
	snprintf(out, CONF_PATH_MAX, "%s.[%zu]", parent, i);
}

void conf_check_known(struct conf_ctx *c, const config_setting_t *group, const char *path,
                      const char *const *names)
{
	int n = config_setting_length(group);

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(s);
		char p[CONF_PATH_MAX];
		size_t k;

		for (k = 0; names[k]; k++) {
			if (strcmp(names[k], name) == 0)
				break;
		}
		if (names[k])
			continue;
		conf_path_member(p, path, name);
		conf_err(c, s, p, "unknown setting \"%s\"", name);
	}
}

static const char *conf_type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group { ... }";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a floating-point number";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array [ ... ]";
	case CONFIG_TYPE_LIST:
		return "a list ( ... )";
	default:
		return "an unknown type";
	}
}

config_setting_t *conf_get_group(struct conf_ctx *c, const config_setting_t *group,
                                 const char *gpath, const char *name)
{
	config_setting_t *s = config_setting_get_member(group, name);
	char p[CONF_PATH_MAX];

	if (!s || config_setting_is_group(s))
		return s;
	conf_path_member(p, gpath, name);
	conf_err(c, s, p, "expected a group { ... }, found %s",
	         conf_type_name(config_setting_type(s)));
	return NULL;
}

config_setting_t *conf_get_list(struct conf_ctx *c, const config_setting_t *group,
                                const char *gpath, const char *name, bool allow_scalar)
{
	config_setting_t *s = config_setting_get_member(group, name);
	char p[CONF_PATH_MAX];

	if (!s || config_setting_is_array(s) || config_setting_is_list(s))
		return s;
	if (allow_scalar && config_setting_is_scalar(s))
		return s;
	conf_path_member(p, gpath, name);
	conf_err(c, s, p, "expected a list ( ... ) or an array [ ... ], found %s",
	         conf_type_name(config_setting_type(s)));
	return NULL;
}

const char *conf_type_name_of(const config_setting_t *s)
{
	return conf_type_name(config_setting_type(s));
}
