/*
 * Aligned text tables: every row is kept until the end so that each column can be as wide
 * as its widest cell. Cells are expected to be ASCII (see ctl_fmt_safe_text), so a byte is
 * a column on the terminal.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl.h"

struct ctl_table {
	size_t ncols;
	size_t nrows; /* the header is row 0 */
	size_t cap;
	char **cells; /* nrows * ncols */
	size_t *width;
	bool failed; /* a row could not be added */
};

static int ctl_table_push(struct ctl_table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **n = realloc(t->cells, cap * t->ncols * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		t->cells = n;
		t->cap = cap;
	}
	char **row = t->cells + t->nrows * t->ncols;

	for (size_t c = 0; c < t->ncols; c++) {
		row[c] = strdup(cells[c] != NULL ? cells[c] : "");
		if (row[c] == NULL) {
			while (c-- > 0)
				free(row[c]);
			return -ENOMEM;
		}
		size_t w = strlen(row[c]);

		if (w > t->width[c])
			t->width[c] = w;
	}
	t->nrows++;
	return 0;
}

struct ctl_table *ctl_table_new(size_t ncols, const char *const *headers)
{
	struct ctl_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->ncols = ncols;
	t->width = calloc(ncols, sizeof(*t->width));
	if (t->width == NULL || ctl_table_push(t, headers) != 0) {
		ctl_table_free(t);
		return NULL;
	}
	return t;
}

int ctl_table_add(struct ctl_table *t, const char *const *cells)
{
	int rc = t->failed ? -ENOMEM : ctl_table_push(t, cells);

	t->failed = rc != 0;
	return rc;
}

void ctl_table_print(const struct ctl_table *t, FILE *out)
{
	for (size_t r = 0; r < t->nrows; r++) {
		char *const *row = t->cells + r * t->ncols;

		for (size_t c = 0; c < t->ncols; c++) {
			/* Two spaces between columns; no trailing blanks after the last. */
			if (c + 1 < t->ncols)
				fprintf(out, "%-*s  ", (int)t->width[c], row[c]);
			else
				fprintf(out, "%s\n", row[c]);
		}
	}
}

void ctl_table_free(struct ctl_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
	free(t);
}

int ctl_table_finish(struct ctl_table *t, FILE *out)
{
	bool ok = !t->failed;

	if (ok)
		ctl_table_print(t, out);
	ctl_table_free(t);
	return ok ? 0 : -1;
}
