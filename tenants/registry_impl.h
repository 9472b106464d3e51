/*
 * Private to tenants/registry*.c: the lookup tables behind a snapshot (registry_index.c)
 * and the full snapshot they belong to (registry.c). Not a public contract.
 */
#ifndef MTDHCP_TENANTS_REGISTRY_IMPL_H
#define MTDHCP_TENANTS_REGISTRY_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "tenants/registry.h"

#define TENANT_REGISTRY_VLAN_ID_MAX 4095 /* 12 bits (IEEE 802.1Q 9.6) */

/*
 * One octet-string key in the table, chained to the others that share its hash. Its
 * octets are copied into the index's arena, next to the other keys', so that a lookup in
 * a large registry touches few cache lines.
 */
struct tenant_registry_kentry {
	uint32_t tenant;
	uint32_t next; /* the next entry with the same hash, or TENANT_MAP_EMPTY */
	uint32_t off;  /* of its octets in tenant_registry_index.arena */
	uint8_t kind;
	uint8_t len;
};

/*
 * The lookup tables. Address keys: (kind, prefix length, network) -> tenant, one lookup
 * per distinct length of the kind, longest first. Octet-string keys: SipHash(kind,
 * octets) -> chain of entries, each compared in full; prefix kinds look up one hash per
 * distinct configured length, longest first.
 */
struct tenant_registry_index {
	struct tenant_map by_addr;
	uint8_t addr_lens[TENANT_PREFIX__COUNT][33];
	uint16_t n_addr_lens[TENANT_PREFIX__COUNT];
	struct tenant_map by_vlan; /* port << 32 | outer << 16 | inner -> tenant */
	struct tenant_map by_key;  /* hash -> first entry in keys[] */
	struct tenant_registry_kentry *keys;
	size_t n_keys;
	uint8_t *arena; /* the keys' octets */
	size_t arena_len;
	struct tenant_map_seed seed;
	uint8_t key_lens[TENANT_KEY__COUNT][TENANT_KEY_MAX];
	uint16_t n_key_lens[TENANT_KEY__COUNT];
	uint32_t default_tenant; /* TENANT_MAP_EMPTY when there is none */
};

/*
 * Builds @idx over @tenants. Each key a later tenant shares with an earlier one is passed
 * to @fn (which may be NULL) and counted in *@conflicts. A key no table can hold (a VLAN
 * id over 4095, a prefix longer than 32) is an error described in @err. 0, -EINVAL or
 * -ENOMEM; @idx is to be freed with tenant_registry_index_free in every case.
 */
int tenant_registry_index_build(struct tenant_registry_index *idx, struct tenant *const *tenants,
                                size_t n, tenant_conflict_fn fn, void *ctx, size_t *conflicts,
                                char *err, size_t errlen);

void tenant_registry_index_free(struct tenant_registry_index *idx);

uint64_t tenant_registry_vlan_key(uint16_t port, uint16_t outer, uint16_t inner);

/* The snapshot's index: snapshots are only ever allocated by registry.c. */
const struct tenant_registry_index *tenant_registry_index_of(const struct tenant_registry *reg);

#endif
