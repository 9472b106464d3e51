/*
 * Option value sets. Values stay sorted by code so that a reply lists options in a stable
 * order, and index[] maps a code straight to its value so that the fast path never
 * searches.
 */
#include "tenants/optset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Codes 0 (PAD) and 255 (END) carry no value (RFC 2132 section 3.1, 3.2). */
static int optset_code_ok(uint8_t code)
{
	return code != 0 && code != 255;
}

/* Rewrites index[] for the values from position @from on, after an insertion moved them. */
static void optset_reindex(struct optset *set, size_t from)
{
	for (size_t i = from; i < set->count; i++)
		set->index[set->values[i].code] = (uint8_t)(i + 1);
}

int optset_put(struct optset *set, uint8_t code, const void *data, size_t len)
{
	struct optset_value *values;
	uint8_t *copy;
	size_t pos;

	if (!optset_code_ok(code) || len > OPTSET_VALUE_MAX || (len && !data))
		return -EINVAL;
	/* A zero-length value (e.g. RFC 4039 rapid commit) still gets a distinct buffer. */
	copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	if (len)
		memcpy(copy, data, len);

	if (set->index[code]) {
		struct optset_value *v = &set->values[set->index[code] - 1];

		free(v->data);
		v->data = copy;
		v->len = (uint16_t)len;
		return 0;
	}

	values = realloc(set->values, (set->count + 1) * sizeof(*values));
	if (!values) {
		free(copy);
		return -ENOMEM;
	}
	set->values = values;
	for (pos = 0; pos < set->count && values[pos].code < code; pos++)
		;
	memmove(&values[pos + 1], &values[pos], (set->count - pos) * sizeof(*values));
	values[pos].code = code;
	values[pos].len = (uint16_t)len;
	values[pos].data = copy;
	set->count++;
	optset_reindex(set, pos);
	return 0;
}

const struct optset_value *optset_get(const struct optset *set, uint8_t code)
{
	uint8_t i = set->index[code];

	return i ? &set->values[i - 1] : NULL;
}

int optset_merge(struct optset *out, const struct optset *parent, const struct optset *child)
{
	const struct optset *layers[2] = {parent, child};

	if (out->count || out->values)
		return -EINVAL;
	for (size_t l = 0; l < 2; l++) {
		if (!layers[l])
			continue;
		for (size_t i = 0; i < layers[l]->count; i++) {
			const struct optset_value *v = &layers[l]->values[i];
			int rc = optset_put(out, v->code, v->data, v->len);

			if (rc) {
				optset_clear(out);
				return rc;
			}
		}
	}
	return 0;
}

void optset_clear(struct optset *set)
{
	for (size_t i = 0; i < set->count; i++)
		free(set->values[i].data);
	free(set->values);
	memset(set, 0, sizeof(*set));
}
