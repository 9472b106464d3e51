/*
 * The classifier's lookup tables: open addressing with linear probing over a power-of-two
 * array kept at most half full, so that a probe sequence stays short (a miss costs about
 * 2.5 probes on average at that load) whatever the number of tenants.
 */
#include "tenants/tenant_map.h"

#include <errno.h>
#include <stdlib.h>

#define TENANT_MAP_MIN_SLOTS 16u
/* mask is 32 bits wide; 2^30 entries at load 0.5 need 2^31 slots, the most it can hold. */
#define TENANT_MAP_MAX_SLOTS (1u << 31)

/*
 * The splitmix64 / murmur3 finalizer: every input bit affects every output bit, so keys
 * that differ only in a few bits (consecutive relay addresses, VLAN ids on one port) do
 * not cluster in the low bits that index the table.
 */
static uint64_t tenant_map_hash(uint64_t key)
{
	key ^= key >> 30;
	key *= 0xbf58476d1ce4e5b9ULL;
	key ^= key >> 27;
	key *= 0x94d049bb133111ebULL;
	key ^= key >> 31;
	return key;
}

int tenant_map_init(struct tenant_map *map, size_t expected)
{
	size_t slots = TENANT_MAP_MIN_SLOTS;

	map->keys = NULL;
	map->values = NULL;
	map->mask = 0;
	map->count = 0;
	if (expected > TENANT_MAP_MAX_SLOTS / 2)
		return -ENOMEM;
	while (slots < 2 * expected)
		slots *= 2;

	map->keys = calloc(slots, sizeof(*map->keys));
	map->values = malloc(slots * sizeof(*map->values));
	if (!map->keys || !map->values) {
		tenant_map_free(map);
		return -ENOMEM;
	}
	for (size_t i = 0; i < slots; i++)
		map->values[i] = TENANT_MAP_EMPTY;
	map->mask = (uint32_t)(slots - 1);
	return 0;
}

int tenant_map_insert(struct tenant_map *map, uint64_t key, uint32_t value, uint32_t *existing)
{
	size_t slots = (size_t)map->mask + 1;
	uint32_t i;

	if (!map->values || value == TENANT_MAP_EMPTY)
		return -EINVAL;
	/* Look for the key first, so that a duplicate is reported even when the map is full. */
	for (i = (uint32_t)tenant_map_hash(key) & map->mask; map->values[i] != TENANT_MAP_EMPTY;
	     i = (i + 1) & map->mask) {
		if (map->keys[i] == key) {
			if (existing)
				*existing = map->values[i];
			return -EEXIST;
		}
	}
	/* Keep the load at or under one half: past it, probe sequences grow quickly. */
	if (map->count + 1 > slots / 2)
		return -ENOSPC;
	map->keys[i] = key;
	map->values[i] = value;
	map->count++;
	return 0;
}

uint32_t tenant_map_find(const struct tenant_map *map, uint64_t key)
{
	if (!map->values)
		return TENANT_MAP_EMPTY;
	/* The table always has a free slot (load <= 0.5), so the loop ends. */
	for (uint32_t i = (uint32_t)tenant_map_hash(key) & map->mask;
	     map->values[i] != TENANT_MAP_EMPTY; i = (i + 1) & map->mask) {
		if (map->keys[i] == key)
			return map->values[i];
	}
	return TENANT_MAP_EMPTY;
}

void tenant_map_free(struct tenant_map *map)
{
	free(map->keys);
	free(map->values);
	map->keys = NULL;
	map->values = NULL;
	map->mask = 0;
	map->count = 0;
}
