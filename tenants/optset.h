/*
 * A set of configured DHCP option values (already in wire form, without code and length
 * octets), as a tenant, subnet, pool or reservation carries them. Sets are built once at
 * configuration load, merged down the inheritance chain (service -> tenant -> subnet ->
 * pool), and then never change: the fast path only looks values up.
 *
 * Thread safety: building and merging happen on the control thread; lookups on a
 * finished set may run on any thread.
 */
#ifndef MTDHCP_TENANTS_OPTSET_H
#define MTDHCP_TENANTS_OPTSET_H

#include <stddef.h>
#include <stdint.h>

#define OPTSET_VALUE_MAX 1024 /* longer than 255 is sent split (RFC 3396) */

struct optset_value {
	uint8_t code;
	uint16_t len;
	uint8_t *data; /* owned by the set */
};

struct optset {
	uint8_t index[256]; /* 0 = absent, else position in values + 1 */
	size_t count;
	struct optset_value *values; /* sorted by code */
};

/* Sets @code to a copy of @data (replacing an earlier value). 0 or -errno. */
int optset_put(struct optset *set, uint8_t code, const void *data, size_t len);

/* The value of @code, or NULL. */
const struct optset_value *optset_get(const struct optset *set, uint8_t code);

/*
 * Fills @out with every value of @parent, then every value of @child over it, so that the
 * child wins. @out must be empty. 0 or -errno.
 */
int optset_merge(struct optset *out, const struct optset *parent, const struct optset *child);

/* Frees the values; the set is empty afterwards. */
void optset_clear(struct optset *set);

#endif
