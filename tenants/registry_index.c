/*
 * The classifier's lookup tables in a registry snapshot, the lookups on them, and the
 * conflicts between tenants they reveal while they are built.
 *
 * Address keys (relays, relay prefixes, link-selection prefixes) and (port, VLAN) keys fit
 * in 64 bits and go into tenant_map tables directly. Octet-string keys (VSS, circuit-id,
 * remote-id, exact or prefix) are hashed with SipHash under a random seed; a table entry
 * leads to a chain of the keys with that hash, and a lookup compares the whole key, so a
 * hash collision can cost a comparison but never classify a packet to the wrong tenant.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tenants/registry_impl.h"

uint64_t tenant_registry_vlan_key(uint16_t port, uint16_t outer, uint16_t inner)
{
	return (uint64_t)port << 32 | (uint64_t)outer << 16 | inner;
}

static uint32_t tenant_registry_mask(uint8_t len)
{
	return len ? ~(uint32_t)0 << (32 - len) : 0;
}

static uint64_t tenant_registry_addr_key(uint8_t kind, uint8_t len, uint32_t addr)
{
	return (uint64_t)kind << 40 | (uint64_t)len << 32 | (addr & tenant_registry_mask(len));
}

static bool tenant_key_is_prefix(uint8_t kind)
{
	return kind == TENANT_KEY_CIRCUIT_ID_PREFIX || kind == TENANT_KEY_REMOTE_ID_PREFIX;
}

/* --- descriptions for messages --- */

/* Printable ASCII (no quote or backslash) is shown as text, anything else as hex. */
static void tenant_octets_describe(const uint8_t *p, size_t n, char *buf, size_t len)
{
	bool text = n > 0;
	size_t off = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] < 0x20 || p[i] > 0x7e || p[i] == '"' || p[i] == '\\')
			text = false;
	}
	if (text) {
		snprintf(buf, len, "\"%.*s\"", (int)n, (const char *)p);
		return;
	}
	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < n && off + 4 <= len; i++)
		off += (size_t)snprintf(buf + off, len - off, i ? ":%02x" : "%02x", p[i]);
}

void tenant_key_describe(const struct tenant_key *k, char *buf, size_t len)
{
	static const char *const names[TENANT_KEY__COUNT] = {
	    [TENANT_KEY_VSS] = "VSS",
	    [TENANT_KEY_CIRCUIT_ID] = "circuit-id",
	    [TENANT_KEY_REMOTE_ID] = "remote-id",
	    [TENANT_KEY_CIRCUIT_ID_PREFIX] = "circuit-id prefix",
	    [TENANT_KEY_REMOTE_ID_PREFIX] = "remote-id prefix",
	};
	char v[3 * TENANT_KEY_MAX + 3];

	if (k->kind == TENANT_KEY_VSS && k->len >= 1) {
		/* RFC 6607 section 3: type 0 is an NVT ASCII VPN name, type 1 an RFC 2685 VPN-ID.
		 */
		tenant_octets_describe(k->bytes + 1, k->len - 1u, v, sizeof(v));
		if (k->bytes[0] == 0)
			snprintf(buf, len, "VSS VPN %s", v);
		else if (k->bytes[0] == 1)
			snprintf(buf, len, "VSS VPN-ID %s", v);
		else
			snprintf(buf, len, "VSS type %u %s", k->bytes[0], v);
		return;
	}
	tenant_octets_describe(k->bytes, k->len, v, sizeof(v));
	snprintf(buf, len, "%s %s", k->kind < TENANT_KEY__COUNT ? names[k->kind] : "key", v);
}

void tenant_prefix_describe(const struct tenant_prefix *p, char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN];
	struct in_addr in = {.s_addr = htonl(p->addr)};

	inet_ntop(AF_INET, &in, ip, sizeof(ip));
	snprintf(buf, len, "%s %s/%u",
	         p->kind == TENANT_PREFIX_LINK ? "link-selection" : "relay prefix", ip, p->len);
}

/* --- building --- */

/* Adds @len to the descending list @lens of @n distinct lengths. */
static void tenant_registry_add_len(uint8_t *lens, uint16_t *n, uint8_t len)
{
	uint16_t i = 0;

	while (i < *n && lens[i] > len)
		i++;
	if (i < *n && lens[i] == len)
		return;
	memmove(lens + i + 1, lens + i, (size_t)(*n - i));
	lens[i] = len;
	(*n)++;
}

struct tenant_registry_build {
	struct tenant_registry_index *idx;
	struct tenant *const *tenants;
	tenant_conflict_fn fn;
	void *ctx;
	size_t conflicts;
};

static void tenant_registry_conflict(struct tenant_registry_build *b, size_t ti, uint32_t other,
                                     enum tenant_conflict_list list, size_t index, const char *what)
{
	b->conflicts++;
	if (b->fn)
		b->fn(b->ctx, b->tenants[ti], ti, b->tenants[other], list, index, what);
}

/*
 * Inserts a 64-bit key of tenant @ti into @map. A key the same tenant already has is
 * redundant, not ambiguous; another tenant's is a conflict. 0 or -ENOMEM / -ENOSPC.
 */
static int tenant_registry_insert(struct tenant_registry_build *b, struct tenant_map *map,
                                  uint64_t key, size_t ti, enum tenant_conflict_list list,
                                  size_t index, const char *what)
{
	uint32_t other;
	int rc = tenant_map_insert(map, key, (uint32_t)ti, &other);

	if (rc == -EEXIST) {
		if (other != ti)
			tenant_registry_conflict(b, ti, other, list, index, what);
		return 0;
	}
	return rc;
}

static bool tenant_registry_key_is(const struct tenant_registry_index *idx, uint32_t e,
                                   uint8_t kind, const uint8_t *data, size_t len)
{
	const struct tenant_registry_kentry *k = &idx->keys[e];

	return k->kind == kind && k->len == len && memcmp(idx->arena + k->off, data, len) == 0;
}

static int tenant_registry_insert_key(struct tenant_registry_build *b, size_t ti, size_t index)
{
	struct tenant_registry_index *idx = b->idx;
	const struct tenant_key *k = &b->tenants[ti]->match.keys[index];
	uint64_t h = tenant_map_hash_bytes(&idx->seed, k->kind, k->bytes, k->len);
	uint32_t e = (uint32_t)idx->n_keys, head;
	int rc;

	idx->keys[e] = (struct tenant_registry_kentry){(uint32_t)ti, TENANT_MAP_EMPTY,
	                                               (uint32_t)idx->arena_len, k->kind, k->len};
	rc = tenant_map_insert(&idx->by_key, h, e, &head);
	if (rc != 0 && rc != -EEXIST)
		return rc;
	if (rc == -EEXIST) {
		/* The hash is taken: the same key (a conflict), or another that shares it. */
		for (uint32_t i = head; i != TENANT_MAP_EMPTY; i = idx->keys[i].next) {
			if (!tenant_registry_key_is(idx, i, k->kind, k->bytes, k->len))
				continue;
			if (idx->keys[i].tenant != ti) {
				char what[3 * TENANT_KEY_MAX + 32];

				tenant_key_describe(k, what, sizeof(what));
				tenant_registry_conflict(b, ti, idx->keys[i].tenant,
				                         TENANT_CONFLICT_KEY, index, what);
			}
			return 0;
		}
		idx->keys[e].next = idx->keys[head].next;
		idx->keys[head].next = e;
	}
	memcpy(idx->arena + idx->arena_len, k->bytes, k->len);
	idx->arena_len += k->len;
	idx->n_keys++;
	return 0;
}

static int tenant_registry_index_tenant(struct tenant_registry_build *b, size_t ti, char *err,
                                        size_t errlen)
{
	struct tenant_registry_index *idx = b->idx;
	const struct tenant *t = b->tenants[ti];
	const struct tenant_match *m = &t->match;
	char what[96];
	int rc;

	for (size_t r = 0; r < m->n_relays; r++) {
		uint32_t addr = m->relays[r];
		char ip[INET_ADDRSTRLEN];
		struct in_addr in = {.s_addr = htonl(addr)};

		/* A relay is a /32 relay prefix: one table, and the same key. */
		inet_ntop(AF_INET, &in, ip, sizeof(ip));
		snprintf(what, sizeof(what), "relay %s", ip);
		rc = tenant_registry_insert(b, &idx->by_addr,
		                            tenant_registry_addr_key(TENANT_PREFIX_RELAY, 32, addr),
		                            ti, TENANT_CONFLICT_RELAY, r, what);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < m->n_prefixes; i++) {
		const struct tenant_prefix *p = &m->prefixes[i];

		tenant_prefix_describe(p, what, sizeof(what));
		if (p->kind >= TENANT_PREFIX__COUNT || p->len == 0 || p->len > 32) {
			snprintf(err, errlen, "tenant \"%s\" (%s): invalid %s", t->name,
			         t->file ? t->file : "?", what);
			return -EINVAL;
		}
		rc = tenant_registry_insert(b, &idx->by_addr,
		                            tenant_registry_addr_key(p->kind, p->len, p->addr), ti,
		                            TENANT_CONFLICT_PREFIX, i, what);
		if (rc)
			return rc;
	}
	for (size_t v = 0; v < m->n_vlans; v++) {
		const struct tenant_vlan_key *k = &m->vlans[v];

		snprintf(what, sizeof(what), "port %u vlan %u inner vlan %u", k->port, k->outer,
		         k->inner);
		if (k->outer > TENANT_REGISTRY_VLAN_ID_MAX ||
		    k->inner > TENANT_REGISTRY_VLAN_ID_MAX) {
			snprintf(err, errlen, "tenant \"%s\" (%s): invalid VLAN id in %s", t->name,
			         t->file ? t->file : "?", what);
			return -EINVAL;
		}
		rc = tenant_registry_insert(b, &idx->by_vlan,
		                            tenant_registry_vlan_key(k->port, k->outer, k->inner),
		                            ti, TENANT_CONFLICT_VLAN, v, what);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < m->n_keys; i++) {
		const struct tenant_key *k = &m->keys[i];

		if (k->kind >= TENANT_KEY__COUNT || k->len == 0) {
			snprintf(err, errlen, "tenant \"%s\" (%s): invalid match key", t->name,
			         t->file ? t->file : "?");
			return -EINVAL;
		}
		rc = tenant_registry_insert_key(b, ti, i);
		if (rc)
			return rc;
	}
	return 0;
}

/* Sizes the tables and records the distinct prefix lengths of each kind. */
static int tenant_registry_index_init(struct tenant_registry_index *idx,
                                      struct tenant *const *tenants, size_t n)
{
	size_t n_addr = 0, n_vlan = 0, n_key = 0, n_octets = 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		const struct tenant_match *m = &tenants[i]->match;

		n_addr += m->n_relays + m->n_prefixes;
		n_vlan += m->n_vlans;
		n_key += m->n_keys;
		if (m->n_relays)
			tenant_registry_add_len(idx->addr_lens[TENANT_PREFIX_RELAY],
			                        &idx->n_addr_lens[TENANT_PREFIX_RELAY], 32);
		for (size_t p = 0; p < m->n_prefixes; p++) {
			uint8_t kind = m->prefixes[p].kind, len = m->prefixes[p].len;

			if (kind >= TENANT_PREFIX__COUNT || len == 0 || len > 32)
				continue; /* refused when the tenant is indexed */
			tenant_registry_add_len(idx->addr_lens[kind], &idx->n_addr_lens[kind], len);
		}
		for (size_t k = 0; k < m->n_keys; k++) {
			const struct tenant_key *key = &m->keys[k];

			n_octets += key->len;
			if (key->kind < TENANT_KEY__COUNT && key->len &&
			    tenant_key_is_prefix(key->kind))
				tenant_registry_add_len(idx->key_lens[key->kind],
				                        &idx->n_key_lens[key->kind], key->len);
		}
	}
	if (n_key >= TENANT_MAP_EMPTY || n_octets > UINT32_MAX)
		return -ENOMEM;
	idx->keys = malloc((n_key ? n_key : 1) * sizeof(*idx->keys));
	idx->arena = malloc(n_octets ? n_octets : 1);
	if (!idx->keys || !idx->arena)
		return -ENOMEM;
	rc = tenant_map_init(&idx->by_addr, n_addr);
	if (!rc)
		rc = tenant_map_init(&idx->by_vlan, n_vlan);
	if (!rc)
		rc = tenant_map_init(&idx->by_key, n_key);
	if (!rc)
		rc = tenant_map_seed_random(&idx->seed);
	return rc;
}

int tenant_registry_index_build(struct tenant_registry_index *idx, struct tenant *const *tenants,
                                size_t n, tenant_conflict_fn fn, void *ctx, size_t *conflicts,
                                char *err, size_t errlen)
{
	struct tenant_registry_build b = {idx, tenants, fn, ctx, 0};
	int rc;

	memset(idx, 0, sizeof(*idx));
	idx->default_tenant = TENANT_MAP_EMPTY;
	*conflicts = 0;
	rc = tenant_registry_index_init(idx, tenants, n);
	for (size_t i = 0; !rc && i < n; i++) {
		rc = tenant_registry_index_tenant(&b, i, err, errlen);
		if (rc || !tenants[i]->match.is_default)
			continue;
		if (idx->default_tenant != TENANT_MAP_EMPTY)
			tenant_registry_conflict(&b, i, idx->default_tenant,
			                         TENANT_CONFLICT_DEFAULT, 0, "the default tenant");
		else
			idx->default_tenant = (uint32_t)i;
	}
	*conflicts = b.conflicts;
	return rc;
}

void tenant_registry_index_free(struct tenant_registry_index *idx)
{
	tenant_map_free(&idx->by_addr);
	tenant_map_free(&idx->by_vlan);
	tenant_map_free(&idx->by_key);
	free(idx->keys);
	free(idx->arena);
	idx->keys = NULL;
	idx->arena = NULL;
	idx->n_keys = idx->arena_len = 0;
}

int tenant_registry_conflicts(struct tenant *const *tenants, size_t n, tenant_conflict_fn fn,
                              void *ctx)
{
	struct tenant_registry_index idx;
	size_t conflicts;
	char err[256];
	int rc =
	    tenant_registry_index_build(&idx, tenants, n, fn, ctx, &conflicts, err, sizeof(err));

	tenant_registry_index_free(&idx);
	/* An invalid key is reported where it was read; only conflicts are counted here. */
	if (rc == -EINVAL)
		rc = 0;
	return rc ? rc : (int)conflicts;
}

/* --- lookups --- */

static const struct tenant *tenant_registry_at(const struct tenant_registry *reg, uint32_t i)
{
	return i == TENANT_MAP_EMPTY ? NULL : reg->tenants[i];
}

const struct tenant *tenant_registry_by_addr(const struct tenant_registry *reg,
                                             enum tenant_prefix_kind kind, uint32_t addr,
                                             uint8_t *plen)
{
	const struct tenant_registry_index *idx = tenant_registry_index_of(reg);

	if ((unsigned)kind >= TENANT_PREFIX__COUNT)
		return NULL;
	for (uint16_t i = 0; i < idx->n_addr_lens[kind]; i++) {
		uint8_t len = idx->addr_lens[kind][i];
		uint32_t t =
		    tenant_map_find(&idx->by_addr, tenant_registry_addr_key(kind, len, addr));

		if (t != TENANT_MAP_EMPTY) {
			if (plen)
				*plen = len;
			return reg->tenants[t];
		}
	}
	return NULL;
}

const struct tenant *tenant_registry_by_relay(const struct tenant_registry *reg, uint32_t addr)
{
	return tenant_registry_by_addr(reg, TENANT_PREFIX_RELAY, addr, NULL);
}

/* The tenant of the key of @kind equal to the @len octets at @data, or TENANT_MAP_EMPTY. */
static uint32_t tenant_registry_find_key(const struct tenant_registry_index *idx, uint8_t kind,
                                         const uint8_t *data, size_t len)
{
	uint64_t h = tenant_map_hash_bytes(&idx->seed, kind, data, len);

	for (uint32_t i = tenant_map_find(&idx->by_key, h); i != TENANT_MAP_EMPTY;
	     i = idx->keys[i].next) {
		if (tenant_registry_key_is(idx, i, kind, data, len))
			return idx->keys[i].tenant;
	}
	return TENANT_MAP_EMPTY;
}

const struct tenant *tenant_registry_by_key(const struct tenant_registry *reg,
                                            enum tenant_key_kind kind, const uint8_t *data,
                                            size_t len)
{
	const struct tenant_registry_index *idx = tenant_registry_index_of(reg);

	if ((unsigned)kind >= TENANT_KEY__COUNT || len == 0 || len > TENANT_KEY_MAX ||
	    idx->by_key.count == 0)
		return NULL;
	if (!tenant_key_is_prefix(kind))
		return tenant_registry_at(reg, tenant_registry_find_key(idx, kind, data, len));
	for (uint16_t i = 0; i < idx->n_key_lens[kind]; i++) {
		uint8_t l = idx->key_lens[kind][i];
		uint32_t t;

		if (l > len)
			continue;
		t = tenant_registry_find_key(idx, kind, data, l);
		if (t != TENANT_MAP_EMPTY)
			return reg->tenants[t];
	}
	return NULL;
}

const struct tenant *tenant_registry_by_vlan(const struct tenant_registry *reg, uint16_t port,
                                             uint16_t outer, uint16_t inner)
{
	const struct tenant_registry_index *idx = tenant_registry_index_of(reg);

	return tenant_registry_at(
	    reg, tenant_map_find(&idx->by_vlan, tenant_registry_vlan_key(port, outer, inner)));
}

const struct tenant *tenant_registry_default(const struct tenant_registry *reg)
{
	return tenant_registry_at(reg, tenant_registry_index_of(reg)->default_tenant);
}
