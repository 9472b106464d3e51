/*
 * An open-addressing hash table from a 64-bit key to a 32-bit value, built once and then
 * only read: the classifier's lookup tables. A lookup costs the same whatever the number
 * of tenants.
 *
 * Thread safety: inserts on one thread before the map is published; lookups on any.
 */
#ifndef MTDHCP_TENANTS_TENANT_MAP_H
#define MTDHCP_TENANTS_TENANT_MAP_H

#include <stddef.h>
#include <stdint.h>

struct tenant_map {
	uint64_t *keys;
	uint32_t *values; /* TENANT_MAP_EMPTY marks a free slot */
	uint32_t mask;
	size_t count;
};

#define TENANT_MAP_EMPTY UINT32_MAX

/* Sizes the table for @expected entries. 0 or -ENOMEM. */
int tenant_map_init(struct tenant_map *map, size_t expected);

/*
 * Adds @key -> @value. -EEXIST when the key is present (then *@existing, if not NULL,
 * receives its value); -ENOSPC when the map is full.
 */
int tenant_map_insert(struct tenant_map *map, uint64_t key, uint32_t value, uint32_t *existing);

/* The value of @key, or TENANT_MAP_EMPTY. */
uint32_t tenant_map_find(const struct tenant_map *map, uint64_t key);

void tenant_map_free(struct tenant_map *map);

#endif
