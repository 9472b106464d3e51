/*
 * The tenant registry: building an immutable snapshot with its lookup tables, and
 * publishing it with RCU (liburcu, QSBR flavour) so that dataplane lcores read it without
 * locks or atomics beyond a pointer load.
 *
 * liburcu 0.13 clears its rcu_* aliases after urcu-qsbr.h unless URCU_API_MAP is set, so
 * the flavour's own names (urcu_qsbr_*) are used here.
 */
#include "tenants/registry.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TENANT_VLAN_ID_MAX 4095 /* 12 bits (IEEE 802.1Q 9.6) */

/*
 * The public snapshot plus what only this file uses: the tenants' indexes sorted by name,
 * for tenant_registry_by_name. Snapshots are only ever allocated here, so the public
 * pointer can be turned back into this one.
 */
struct tenant_registry_impl {
	struct tenant_registry pub;
	uint32_t *by_name; /* indexes into pub.tenants, sorted by name */
};

/* The published snapshot: written by the control thread only, read by any reader. */
static struct tenant_registry *tenant_registry_cur;
/* The generation of the last publish; the control thread is the only writer. */
static uint64_t tenant_registry_gen;

static struct tenant_registry_impl *tenant_registry_impl_of(struct tenant_registry *reg)
{
	return (struct tenant_registry_impl *)((char *)reg -
	                                       offsetof(struct tenant_registry_impl, pub));
}

static uint64_t tenant_registry_vlan_key(uint16_t port, uint16_t outer, uint16_t inner)
{
	return (uint64_t)port << 32 | (uint64_t)outer << 16 | inner;
}

static int tenant_registry_name_cmp(const void *a, const void *b, void *arg)
{
	struct tenant *const *tenants = arg;
	const struct tenant *ta = tenants[*(const uint32_t *)a];
	const struct tenant *tb = tenants[*(const uint32_t *)b];

	return strcmp(ta->name, tb->name);
}

static void tenant_registry_conflict(char *err, size_t errlen, const struct tenant *t,
                                     const struct tenant *other, const char *what)
{
	snprintf(err, errlen, "tenant \"%s\" (%s) and tenant \"%s\" (%s) both match %s", t->name,
	         t->file ? t->file : "?", other->name, other->file ? other->file : "?", what);
}

/* Sorts the tenants by name and refuses two with the same name. 0 or -errno. */
static int tenant_registry_index_names(struct tenant_registry_impl *impl, char *err, size_t errlen)
{
	struct tenant_registry *reg = &impl->pub;

	impl->by_name = malloc((reg->n_tenants ? reg->n_tenants : 1) * sizeof(uint32_t));
	if (!impl->by_name)
		return -ENOMEM;
	for (size_t i = 0; i < reg->n_tenants; i++)
		impl->by_name[i] = (uint32_t)i;
	if (reg->n_tenants > 1)
		qsort_r(impl->by_name, reg->n_tenants, sizeof(uint32_t), tenant_registry_name_cmp,
		        reg->tenants);
	for (size_t i = 1; i < reg->n_tenants; i++) {
		const struct tenant *a = reg->tenants[impl->by_name[i - 1]];
		const struct tenant *b = reg->tenants[impl->by_name[i]];

		if (strcmp(a->name, b->name) == 0) {
			snprintf(err, errlen, "tenant \"%s\" is defined twice: in %s and in %s",
			         a->name, a->file ? a->file : "?", b->file ? b->file : "?");
			return -EINVAL;
		}
	}
	return 0;
}

static int tenant_registry_index_relays(struct tenant_registry *reg, char *err, size_t errlen)
{
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < reg->n_tenants; i++)
		n += reg->tenants[i]->match.n_relays;
	rc = tenant_map_init(&reg->by_relay, n);
	if (rc)
		return rc;
	for (size_t i = 0; i < reg->n_tenants; i++) {
		const struct tenant *t = reg->tenants[i];

		for (size_t r = 0; r < t->match.n_relays; r++) {
			uint32_t addr = t->match.relays[r], existing;
			char what[64], ip[INET_ADDRSTRLEN];
			struct in_addr in = {.s_addr = htonl(addr)};

			rc = tenant_map_insert(&reg->by_relay, addr, (uint32_t)i, &existing);
			/* The same tenant listing a key twice is redundant, not ambiguous. */
			if (rc == -EEXIST && existing == i)
				continue;
			if (rc == -EEXIST) {
				inet_ntop(AF_INET, &in, ip, sizeof(ip));
				snprintf(what, sizeof(what), "relay %s", ip);
				tenant_registry_conflict(err, errlen, t, reg->tenants[existing],
				                         what);
				return -EINVAL;
			}
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int tenant_registry_index_vlans(struct tenant_registry *reg, char *err, size_t errlen)
{
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < reg->n_tenants; i++)
		n += reg->tenants[i]->match.n_vlans;
	rc = tenant_map_init(&reg->by_vlan, n);
	if (rc)
		return rc;
	for (size_t i = 0; i < reg->n_tenants; i++) {
		const struct tenant *t = reg->tenants[i];

		for (size_t v = 0; v < t->match.n_vlans; v++) {
			const struct tenant_vlan_key *k = &t->match.vlans[v];
			uint32_t existing;
			char what[64];

			snprintf(what, sizeof(what), "port %u vlan %u inner vlan %u", k->port,
			         k->outer, k->inner);
			if (k->outer > TENANT_VLAN_ID_MAX || k->inner > TENANT_VLAN_ID_MAX) {
				snprintf(err, errlen, "tenant \"%s\" (%s): invalid VLAN id in %s",
				         t->name, t->file ? t->file : "?", what);
				return -EINVAL;
			}
			rc = tenant_map_insert(
			    &reg->by_vlan, tenant_registry_vlan_key(k->port, k->outer, k->inner),
			    (uint32_t)i, &existing);
			if (rc == -EEXIST && existing == i)
				continue;
			if (rc == -EEXIST) {
				tenant_registry_conflict(err, errlen, t, reg->tenants[existing],
				                         what);
				return -EINVAL;
			}
			if (rc)
				return rc;
		}
	}
	return 0;
}

struct tenant_registry *tenant_registry_build(struct tenant **tenants, size_t n, char *err,
                                              size_t errlen)
{
	struct tenant_registry_impl *impl;
	int rc;

	if (errlen)
		err[0] = '\0';
	impl = calloc(1, sizeof(*impl));
	if (!impl) {
		for (size_t i = 0; i < n; i++)
			tenant_free(tenants[i]);
		free(tenants);
		errno = ENOMEM;
		return NULL;
	}
	impl->pub.tenants = tenants;
	impl->pub.n_tenants = n;
	if (n >= TENANT_MAP_EMPTY) {
		snprintf(err, errlen, "too many tenants (%zu)", n);
		rc = -EINVAL;
	} else {
		rc = tenant_registry_index_names(impl, err, errlen);
	}
	if (!rc)
		rc = tenant_registry_index_relays(&impl->pub, err, errlen);
	if (!rc)
		rc = tenant_registry_index_vlans(&impl->pub, err, errlen);
	if (rc) {
		if (rc == -ENOMEM && errlen && !err[0])
			snprintf(err, errlen, "out of memory building the tenant registry");
		tenant_registry_free(&impl->pub);
		errno = -rc;
		return NULL;
	}
	return &impl->pub;
}

void tenant_registry_free(struct tenant_registry *reg)
{
	struct tenant_registry_impl *impl;

	if (!reg)
		return;
	impl = tenant_registry_impl_of(reg);
	for (size_t i = 0; i < reg->n_tenants; i++)
		tenant_free(reg->tenants[i]);
	free(reg->tenants);
	tenant_map_free(&reg->by_relay);
	tenant_map_free(&reg->by_vlan);
	free(impl->by_name);
	free(impl);
}

const struct tenant *tenant_registry_by_relay(const struct tenant_registry *reg, uint32_t addr)
{
	uint32_t i = tenant_map_find(&reg->by_relay, addr);

	return i == TENANT_MAP_EMPTY ? NULL : reg->tenants[i];
}

const struct tenant *tenant_registry_by_vlan(const struct tenant_registry *reg, uint16_t port,
                                             uint16_t outer, uint16_t inner)
{
	uint32_t i = tenant_map_find(&reg->by_vlan, tenant_registry_vlan_key(port, outer, inner));

	return i == TENANT_MAP_EMPTY ? NULL : reg->tenants[i];
}

/* A binary search over the name index; no static state, so any thread may call it. */
const struct tenant *tenant_registry_by_name(const struct tenant_registry *reg, const char *name)
{
	const struct tenant_registry_impl *impl =
	    (const struct tenant_registry_impl *)((const char *)reg -
	                                          offsetof(struct tenant_registry_impl, pub));
	size_t lo = 0, hi = reg->n_tenants;

	if (!name)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct tenant *t = reg->tenants[impl->by_name[mid]];
		int c = strcmp(name, t->name);

		if (c == 0)
			return t;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static void tenant_registry_free_rcu(struct rcu_head *head)
{
	struct tenant_registry *reg =
	    (struct tenant_registry *)((char *)head - offsetof(struct tenant_registry, rcu));

	tenant_registry_free(reg);
}

void tenant_registry_publish(struct tenant_registry *reg)
{
	struct tenant_registry *old;

	/* Set before the pointer is published: readers must see a complete snapshot. */
	reg->generation = ++tenant_registry_gen;
	old = rcu_xchg_pointer(&tenant_registry_cur, reg);
	/* Readers may still hold @old until each has passed a quiescent state. */
	if (old)
		urcu_qsbr_call_rcu(&old->rcu, tenant_registry_free_rcu);
}

struct tenant_registry *tenant_registry_current(void)
{
	return rcu_dereference(tenant_registry_cur);
}

/*
 * The caller may be an unregistered thread or a registered QSBR reader; an online reader
 * is put offline while this waits (a grace period cannot end while the thread waiting for
 * it counts as a reader, and urcu_qsbr_barrier refuses to run inside a read-side section)
 * and is back online when this returns. It must not hold a snapshot pointer across the
 * call.
 */
void tenant_registry_shutdown(void)
{
	struct tenant_registry *old = rcu_xchg_pointer(&tenant_registry_cur, NULL);
	bool online = urcu_qsbr_read_ongoing();

	if (online)
		urcu_qsbr_thread_offline();
	urcu_qsbr_synchronize_rcu();
	tenant_registry_free(old);
	/* Wait for the callbacks freeing earlier snapshots, so nothing leaks at exit. */
	urcu_qsbr_barrier();
	if (online)
		urcu_qsbr_thread_online();
}
