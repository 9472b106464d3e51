/*
 * The classifier's lookup tables: open addressing with linear probing over a power-of-two
 * array kept at most half full, so that a probe sequence stays short (a miss costs about
 * 2.5 probes on average at that load) whatever the number of tenants. Keys and values sit
 * together in 16-octet slots, four to a cache line. Also SipHash-2-4 for the keys that do
 * not fit in 64 bits.
 */
#include "tenants/tenant_map.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

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

	map->slots = NULL;
	map->mask = 0;
	map->count = 0;
	if (expected > TENANT_MAP_MAX_SLOTS / 2)
		return -ENOMEM;
	while (slots < 2 * expected)
		slots *= 2;

	map->slots = malloc(slots * sizeof(*map->slots));
	if (!map->slots)
		return -ENOMEM;
	for (size_t i = 0; i < slots; i++)
		map->slots[i] = (struct tenant_map_slot){0, TENANT_MAP_EMPTY};
	map->mask = (uint32_t)(slots - 1);
	return 0;
}

int tenant_map_insert(struct tenant_map *map, uint64_t key, uint32_t value, uint32_t *existing)
{
	size_t slots = (size_t)map->mask + 1;
	uint32_t i;

	if (!map->slots || value == TENANT_MAP_EMPTY)
		return -EINVAL;
	/* Look for the key first, so that a duplicate is reported even when the map is full. */
	for (i = (uint32_t)tenant_map_hash(key) & map->mask;
	     map->slots[i].value != TENANT_MAP_EMPTY; i = (i + 1) & map->mask) {
		if (map->slots[i].key == key) {
			if (existing)
				*existing = map->slots[i].value;
			return -EEXIST;
		}
	}
	/* Keep the load at or under one half: past it, probe sequences grow quickly. */
	if (map->count + 1 > slots / 2)
		return -ENOSPC;
	map->slots[i].key = key;
	map->slots[i].value = value;
	map->count++;
	return 0;
}

uint32_t tenant_map_find(const struct tenant_map *map, uint64_t key)
{
	if (!map->slots)
		return TENANT_MAP_EMPTY;
	/* The table always has a free slot (load <= 0.5), so the loop ends. */
	for (uint32_t i = (uint32_t)tenant_map_hash(key) & map->mask;
	     map->slots[i].value != TENANT_MAP_EMPTY; i = (i + 1) & map->mask) {
		if (map->slots[i].key == key)
			return map->slots[i].value;
	}
	return TENANT_MAP_EMPTY;
}

void tenant_map_free(struct tenant_map *map)
{
	free(map->slots);
	map->slots = NULL;
	map->mask = 0;
	map->count = 0;
}

int tenant_map_seed_random(struct tenant_map_seed *seed)
{
	uint8_t buf[16];
	size_t got = 0;

	while (got < sizeof(buf)) {
		ssize_t n = getrandom(buf + got, sizeof(buf) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		got += (size_t)n;
	}
	memcpy(&seed->k0, buf, 8);
	memcpy(&seed->k1, buf + 8, 8);
	return 0;
}

static uint64_t tenant_map_rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

/* One SipRound (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012). */
static void tenant_map_sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = tenant_map_rotl(v[1], 13);
	v[1] ^= v[0];
	v[0] = tenant_map_rotl(v[0], 32);
	v[2] += v[3];
	v[3] = tenant_map_rotl(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = tenant_map_rotl(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = tenant_map_rotl(v[1], 17);
	v[1] ^= v[2];
	v[2] = tenant_map_rotl(v[2], 32);
}

/* Little-endian load of @n (< 8 when a tail) octets, whatever the host's byte order. */
static uint64_t tenant_map_le(const uint8_t *p, size_t n)
{
	uint64_t m = 0;

	for (size_t i = 0; i < n; i++)
		m |= (uint64_t)p[i] << (8 * i);
	return m;
}

uint64_t tenant_map_hash_bytes(const struct tenant_map_seed *seed, uint8_t domain,
                               const uint8_t *data, size_t len)
{
	uint64_t k1 = seed->k1 ^ domain;
	uint64_t v[4] = {seed->k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
	                 seed->k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL};
	size_t full = len & ~(size_t)7;
	uint64_t m;

	for (size_t i = 0; i < full; i += 8) {
		m = tenant_map_le(data + i, 8);
		v[3] ^= m;
		tenant_map_sipround(v);
		tenant_map_sipround(v);
		v[0] ^= m;
	}
	/* The last block: the remaining octets and the length's low byte on top. */
	m = tenant_map_le(data + full, len - full) | (uint64_t)(len & 0xff) << 56;
	v[3] ^= m;
	tenant_map_sipround(v);
	tenant_map_sipround(v);
	v[0] ^= m;
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		tenant_map_sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}
