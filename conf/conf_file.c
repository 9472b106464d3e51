/*
 * Reading one configuration file: its text (for an exact reason when it cannot be read,
 * and for the integer scan), then libconfig's parse, whose error names the file, the line
 * and what is wrong.
 */
#include "conf/conf_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Configuration files are small; anything bigger is a mistake (a log, a binary). */
#define CONF_FILE_MAX (16u << 20)

char *conf_path_join(const char *dir, const char *path)
{
	char *out;

	if (!dir || path[0] == '/' || strcmp(dir, ".") == 0)
		return strdup(path);
	if (asprintf(&out, "%s/%s", dir, path) < 0)
		return NULL;
	return out;
}

char *conf_dirname(const char *file)
{
	const char *slash = strrchr(file, '/');

	if (!slash)
		return strdup(".");
	if (slash == file)
		return strdup("/");
	return strndup(file, (size_t)(slash - file));
}

/* As conf_file_slurp, with the length too: the text may hold NUL bytes. */
static int conf_file_slurp_len(const char *path, char **out, size_t *outlen)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = 0;

	if (!f)
		return -errno;
	for (;;) {
		size_t got;

		if (cap - len < 4096) {
			char *nbuf;

			cap = cap ? 2 * cap : 8192;
			if (cap > CONF_FILE_MAX + 8192) {
				rc = -EFBIG;
				break;
			}
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				rc = -ENOMEM;
				break;
			}
			buf = nbuf;
		}
		errno = 0;
		got = fread(buf + len, 1, cap - len - 1, f);
		len += got;
		if (got == 0) {
			/* A directory opens fine and fails here with EISDIR. */
			if (ferror(f))
				rc = errno ? -errno : -EIO;
			break;
		}
	}
	fclose(f);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

int conf_file_slurp(const char *path, char **out)
{
	size_t len;

	return conf_file_slurp_len(path, out, &len);
}

/* libconfig 1.5's limit on nested @include (MAX_INCLUDE_DEPTH in its scanctx.c). */
#define CONF_INCLUDE_DEPTH 10
/* @include directives followed in one load at most: no real configuration has more. */
#define CONF_INCLUDE_MAX 256

/*
 * Writes the file name of the @include directive that starts at @p into @name (@len
 * bytes), unescaped as libconfig 1.5's scanner does it: @include, blanks, then a quoted
 * name that may span lines, where \\ and \" are escapes and a backslash before anything
 * else is dropped. Returns the position after the directive, or NULL when there is no
 * complete directive there, or its name does not fit (libconfig could not open it either).
 */
static const char *conf_include_name(const char *p, const char *end, char *name, size_t len)
{
	size_t n = 0;

	p += 8; /* "@include" */
	if (p == end || (*p != ' ' && *p != '\t'))
		return NULL;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p++ != '"')
		return NULL;
	while (p < end && *p != '"') {
		char ch = *p++;

		if (ch == '\\') {
			if (p == end || (*p != '\\' && *p != '"'))
				continue;
			ch = *p++;
		}
		if (n + 1 >= len)
			return NULL;
		name[n++] = ch;
	}
	if (p == end)
		return NULL;
	name[n] = '\0';
	return p + 1;
}

/*
 * libconfig 1.5 opens an @included path without looking at what it names: reading a
 * directory makes its scanner call exit() ("input in flex scanner failed"), which would
 * end the daemon on a reload, and a FIFO or a device may never end. So every @include of
 * @text (the @len bytes of @file), and of the files those include in turn, must name a
 * regular file before libconfig reads anything. libconfig takes every name relative to
 * @dir, the top file's directory, even an absolute one. This scan also finds directives
 * that libconfig would not (in comments, in strings, mid-line), so it can only refuse
 * more than libconfig would, never let through a file libconfig would choke on.
 * Returns 0, -EINVAL after reporting, or 1 when libconfig will stop at this directive
 * itself (nesting too deep).
 */
static int conf_check_includes(struct conf_ctx *c, const char *dir, const char *file,
                               const char *text, size_t len, unsigned depth, unsigned *followed)
{
	const char *p = text, *end = text + len, *counted = text;
	size_t dirlen = strlen(dir);
	char full[PATH_MAX];
	int line = 1;

	if (dirlen + 2 >= sizeof(full))
		return 0; /* every name is too long for libconfig to open */
	memcpy(full, dir, dirlen);
	full[dirlen] = '/';
	while ((p = memmem(p, (size_t)(end - p), "@include", 8))) {
		char *name = full + dirlen + 1;
		const char *next = conf_include_name(p, end, name, sizeof(full) - dirlen - 1);
		struct stat st;
		char *sub;
		size_t sublen;
		int rc;

		if (!next) {
			p += 8;
			continue;
		}
		for (; counted < p; counted++)
			line += *counted == '\n';
		p = next;
		if (depth >= CONF_INCLUDE_DEPTH)
			return 1;
		if (++*followed > CONF_INCLUDE_MAX) {
			conf_err_at(c, file, line, "", "more than %d @include directives",
			            CONF_INCLUDE_MAX);
			return -EINVAL;
		}
		if (stat(full, &st) != 0)
			continue; /* libconfig reports that it cannot open it */
		if (!S_ISREG(st.st_mode)) {
			conf_err_at(c, file, line, "", "@include \"%s\": %s is not a regular file",
			            name, full);
			return -EINVAL;
		}
		if (conf_file_slurp_len(full, &sub, &sublen) != 0)
			continue; /* as above */
		/* Named as libconfig names an included file: as written. */
		rc = conf_check_includes(c, dir, name, sub, sublen, depth + 1, followed);
		free(sub);
		if (rc)
			return rc;
	}
	return 0;
}

int conf_file_read(struct conf_ctx *c, const char *path, config_t *cfg, struct conf_intscan **scan)
{
	char *text = NULL, *dir;
	size_t len;
	unsigned followed = 0;
	int rc;

	config_init(cfg);
	*scan = NULL;
	rc = conf_file_slurp_len(path, &text, &len);
	if (rc) {
		conf_err_line(c, 0, "", "cannot read the file: %s", strerror(-rc));
		return rc;
	}
	/* An @include names a file relative to the including one. */
	dir = conf_dirname(path);
	if (!dir) {
		free(text);
		conf_err_line(c, 0, "", "out of memory");
		return -ENOMEM;
	}
	config_set_include_dir(cfg, dir);
	rc = conf_check_includes(c, dir, path, text, len, 0, &followed);
	free(dir);
	if (rc < 0) {
		free(text);
		return rc;
	}
	if (!config_read_file(cfg, path)) {
		const char *efile = config_error_file(cfg);
		const char *etext = config_error_text(cfg);

		c->errors++;
		if (c->report)
			c->report(c->report_ctx, efile ? efile : path, config_error_line(cfg), "",
			          etext ? etext : "cannot parse the file");
		free(text);
		return -EINVAL;
	}
	*scan = conf_intscan_mark(c, cfg, path, text);
	free(text);
	return 0;
}
