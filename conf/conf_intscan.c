/*
 * A guard against a libconfig 1.5 behaviour: an integer literal written without the L
 * suffix is stored in an int, and a value outside 32 bits wraps without any error
 * (lease_time = 5000000000 reads as 705032704, 4294967295 as -1). A typo must not turn
 * into a different valid number, so the file's text is scanned for such literals and the
 * settings they became are marked (libconfig's per-setting hook); conf_int_value then
 * reports them.
 *
 * The scanner knows just enough of the grammar to find number tokens: comments (#, //,
 * C style), strings with backslash escapes, @include directives, and setting names (which
 * may contain digits, as in option-121).
 */
#include "conf/conf_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct conf_intscan_lit {
	size_t file; /* index into conf_intscan.files */
	int line;
	int32_t wrapped; /* the value libconfig stored */
	char text[32];   /* the literal as written, for the message */
	bool matched;
};

struct conf_intscan {
	struct conf_intscan_lit *lits;
	size_t n;
	/* The files scanned, as libconfig names them (the main one, then @included ones). */
	const char **files;
	size_t n_files;
	size_t cur_file; /* the file being scanned */
	bool failed;     /* out of memory */
};

static int conf_intscan_add(struct conf_intscan *scan, int line, int32_t wrapped, const char *text,
                            size_t len)
{
	struct conf_intscan_lit *lits = realloc(scan->lits, (scan->n + 1) * sizeof(*lits));
	struct conf_intscan_lit *l;

	if (!lits)
		return -ENOMEM;
	scan->lits = lits;
	l = &lits[scan->n++];
	l->file = scan->cur_file;
	l->line = line;
	l->wrapped = wrapped;
	l->matched = false;
	if (len >= sizeof(l->text))
		len = sizeof(l->text) - 1;
	memcpy(l->text, text, len);
	l->text[len] = '\0';
	return 0;
}

/*
 * Reads the number token at *@pp and records it when libconfig will have wrapped it. The
 * conversions mirror libconfig 1.5's: strtoll (saturating) for decimal, strtoull for
 * hexadecimal, then truncation to int.
 */
static int conf_intscan_number(struct conf_intscan *scan, const char **pp, int line)
{
	const char *start = *pp, *p = start, *digits;
	bool hex = false, out_of_range = false;
	int32_t wrapped = 0;

	if (*p == '-' || *p == '+')
		p++;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		hex = true;
		p += 2;
	}
	digits = p;
	while (hex ? isxdigit((unsigned char)*p) : isdigit((unsigned char)*p))
		p++;
	if (!hex && (*p == '.' || *p == 'e' || *p == 'E')) {
		/* A float: libconfig reads it as a double, nothing wraps. */
		while (isdigit((unsigned char)*p) || *p == '.' || *p == 'e' || *p == 'E' ||
		       *p == '+' || *p == '-')
			p++;
		*pp = p;
		return 0;
	}
	*pp = p;
	if (*p == 'L' || p == digits)
		return 0; /* 64-bit literal, or not a number after all */
	if (hex) {
		unsigned long long v = strtoull(digits, NULL, 16);

		out_of_range = v > INT32_MAX;
		wrapped = (int32_t)(uint32_t)v;
	} else {
		long long v = strtoll(start, NULL, 10);

		out_of_range = v > INT32_MAX || v < INT32_MIN;
		wrapped = (int32_t)(uint32_t)(unsigned long long)v;
	}
	if (!out_of_range)
		return 0;
	return conf_intscan_add(scan, line, wrapped, start, (size_t)(p - start));
}

static int conf_intscan_text(struct conf_intscan *scan, const char *t)
{
	const char *p = t;
	int line = 1;

	while (*p) {
		char ch = *p;

		if (ch == '\n') {
			line++;
			p++;
		} else if (ch == '#' || ch == '@' || (ch == '/' && p[1] == '/')) {
			while (*p && *p != '\n')
				p++;
		} else if (ch == '/' && p[1] == '*') {
			for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
				line += *p == '\n';
			p += *p ? 2 : 0;
		} else if (ch == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				line += *p == '\n';
			}
			p += *p ? 1 : 0;
		} else if (isalpha((unsigned char)ch) || ch == '*' || ch == '_') {
			while (isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '*')
				p++;
		} else if (isdigit((unsigned char)ch) || ((ch == '-' || ch == '+' || ch == '.') &&
		                                          isdigit((unsigned char)p[1]))) {
			int rc = conf_intscan_number(scan, &p, line);

			if (rc)
				return rc;
		} else {
			p++;
		}
	}
	return 0;
}

static bool conf_intscan_has_file(const struct conf_intscan *scan, const char *file, size_t *index)
{
	for (size_t i = 0; i < scan->n_files; i++) {
		if (strcmp(scan->files[i], file) == 0) {
			*index = i;
			return true;
		}
	}
	return false;
}

/* Adds @file (as libconfig names it) and the wrapped literals in its @text. */
static void conf_intscan_file(struct conf_intscan *scan, const char *file, const char *text)
{
	const char **files = realloc(scan->files, (scan->n_files + 1) * sizeof(*files));

	if (!files) {
		scan->failed = true;
		return;
	}
	scan->files = files;
	scan->cur_file = scan->n_files;
	files[scan->n_files++] = file;
	if (conf_intscan_text(scan, text))
		scan->failed = true;
}

/*
 * First pass: scans every file an integer setting came from. An @included file is named
 * as written; libconfig found it in its include directory, and so does this.
 */
static void conf_intscan_collect(struct conf_intscan *scan, const config_t *cfg,
                                 config_setting_t *s)
{
	if (config_setting_type(s) == CONFIG_TYPE_INT) {
		const char *file = config_setting_source_file(s);
		char *path, *text = NULL;
		size_t index;

		if (!file || conf_intscan_has_file(scan, file, &index))
			return;
		path = conf_path_join(file[0] == '/' ? NULL : config_get_include_dir(cfg), file);
		if (!path)
			scan->failed = true;
		/* libconfig read it a moment ago; should it be gone now, there is nothing to do. */
		else if (conf_file_slurp(path, &text) == 0)
			conf_intscan_file(scan, file, text);
		free(path);
		free(text);
		return;
	}
	if (config_setting_is_aggregate(s)) {
		int n = config_setting_length(s);

		for (int i = 0; i < n; i++)
			conf_intscan_collect(scan, cfg, config_setting_get_elem(s, (unsigned)i));
	}
}

/* Second pass: marks each setting that holds a wrapped literal. */
static void conf_intscan_walk(struct conf_intscan *scan, config_setting_t *s)
{
	if (config_setting_type(s) == CONFIG_TYPE_INT) {
		const char *file = config_setting_source_file(s);
		int line = (int)config_setting_source_line(s);
		int32_t v = config_setting_get_int(s);
		size_t f;

		if (!file || !conf_intscan_has_file(scan, file, &f))
			return;
		for (size_t i = 0; i < scan->n; i++) {
			struct conf_intscan_lit *l = &scan->lits[i];

			if (!l->matched && l->file == f && l->line == line && l->wrapped == v) {
				l->matched = true;
				config_setting_set_hook(s, l);
				return;
			}
		}
		return;
	}
	if (config_setting_is_aggregate(s)) {
		int n = config_setting_length(s);

		for (int i = 0; i < n; i++)
			conf_intscan_walk(scan, config_setting_get_elem(s, (unsigned)i));
	}
}

struct conf_intscan *conf_intscan_mark(struct conf_ctx *c, config_t *cfg, const char *path,
                                       const char *text)
{
	struct conf_intscan *scan = calloc(1, sizeof(*scan));

	if (!scan) {
		conf_err_line(c, 0, "", "out of memory");
		return NULL;
	}
	/* libconfig names the main file's settings by the path it was given. */
	conf_intscan_file(scan, path, text);
	conf_intscan_collect(scan, cfg, config_root_setting(cfg));
	if (scan->failed) {
		conf_intscan_free(scan);
		conf_err_line(c, 0, "", "out of memory");
		return NULL;
	}
	if (!scan->n) {
		conf_intscan_free(scan);
		return NULL;
	}
	conf_intscan_walk(scan, config_root_setting(cfg));
	/* A literal that became no setting is still a value the operator did not get. */
	for (size_t i = 0; i < scan->n; i++) {
		const struct conf_intscan_lit *l = &scan->lits[i];

		if (!l->matched)
			conf_err_at(c, scan->files[l->file], l->line, "",
			            "integer %s does not fit in 32 bits: write it as %sL", l->text,
			            l->text);
	}
	return scan;
}

const char *conf_intscan_literal(const config_setting_t *s)
{
	const struct conf_intscan_lit *l = config_setting_get_hook(s);

	return l ? l->text : NULL;
}

void conf_intscan_free(struct conf_intscan *scan)
{
	if (!scan)
		return;
	free(scan->lits);
	free(scan->files);
	free(scan);
}
