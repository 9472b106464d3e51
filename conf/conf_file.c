/*
 * Reading one configuration file: its text (for an exact reason when it cannot be read,
 * and for the integer scan), then libconfig's parse, whose error names the file, the line
 * and what is wrong.
 */
#include "conf/conf_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int conf_file_slurp(const char *path, char **out)
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
	return 0;
}

int conf_file_read(struct conf_ctx *c, const char *path, config_t *cfg, struct conf_intscan **scan)
{
	char *text = NULL, *dir;
	int rc;

	config_init(cfg);
	*scan = NULL;
	rc = conf_file_slurp(path, &text);
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
	free(dir);
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
