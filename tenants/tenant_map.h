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

/* A key and its value side by side, so that a probe touches one cache line. */
struct tenant_map_slot {
	uint64_t key;
	uint32_t value; /* TENANT_MAP_EMPTY marks a free slot */
};

struct tenant_map {
	struct tenant_map_slot *slots;
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

/*
 * Keys longer than 64 bits (circuit-ids, remote-ids, VPN identifiers) are hashed into a
 * map key with SipHash-2-4 under a secret seed, so that nobody who can send requests can
 * choose keys that collide; the map's user still compares the whole key on a hit, since
 * two different keys may (rarely) share a hash.
 */
struct tenant_map_seed {
	uint64_t k0;
	uint64_t k1;
};

/* A seed from the kernel's random source (getrandom). 0 or -errno. */
int tenant_map_seed_random(struct tenant_map_seed *seed);

/*
 * SipHash-2-4 of the @len octets at @data under @seed, with @domain (the kind of key)
 * mixed into the seed so that equal octets of different kinds hash apart.
 */
uint64_t tenant_map_hash_bytes(const struct tenant_map_seed *seed, uint8_t domain,
                               const uint8_t *data, size_t len);

void tenant_map_free(struct tenant_map *map);

#endif
