/*
 * The tenant registry: building an immutable snapshot with its lookup tables, and
 * publishing it with RCU (liburcu, QSBR flavour) so that dataplane lcores read it without
 * locks or atomics beyond a pointer load.
 *
 * liburcu 0.13 clears its rcu_* aliases after urcu-qsbr.h unless URCU_API_MAP is set, so
 * the flavour's own names (urcu_qsbr_*) are used here.
 */
#include "tenants/registry.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tenants/registry_impl.h"

/* A port's policy with its relay VLANs as a bitmap, for a constant-time check. */
struct tenant_registry_port {
	struct tenant_port_policy pub; /* relay_vlans points at the copy below */
	uint16_t *relay_vlans;
	uint64_t relay_vlan_bits[(TENANT_REGISTRY_VLAN_ID_MAX + 1) / 64];
};

/*
 * The public snapshot plus what only the registry uses: the tenants' indexes sorted by
 * name, the lookup tables and the ports' policies. Snapshots are only ever allocated here,
 * so the public pointer can be turned back into this one.
 */
struct tenant_registry_impl {
	struct tenant_registry pub;
	uint32_t *by_name; /* indexes into pub.tenants, sorted by name */
	struct tenant_registry_index idx;
	struct tenant_registry_port *ports;
	size_t n_ports;
};

static const uint16_t tenant_registry_untagged[] = {0};

const struct tenant_port_policy tenant_port_policy_default = {
    .relays = true,
    .relay_vlans = tenant_registry_untagged,
    .n_relay_vlans = 1,
    .vss_option = false,
    .untrusted = TENANT_UNTRUSTED_IGNORE,
};

/* The default policy as a port entry: relayed requests untagged only. */
static const struct tenant_registry_port tenant_registry_port_default = {
    .pub = {.relays = true,
            .relay_vlans = tenant_registry_untagged,
            .n_relay_vlans = 1,
            .vss_option = false,
            .untrusted = TENANT_UNTRUSTED_IGNORE},
    .relay_vlan_bits = {1},
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

static const struct tenant_registry_impl *
tenant_registry_cimpl_of(const struct tenant_registry *reg)
{
	return (const struct tenant_registry_impl *)((const char *)reg -
	                                             offsetof(struct tenant_registry_impl, pub));
}

const struct tenant_registry_index *tenant_registry_index_of(const struct tenant_registry *reg)
{
	return &tenant_registry_cimpl_of(reg)->idx;
}

static int tenant_registry_name_cmp(const void *a, const void *b, void *arg)
{
	struct tenant *const *tenants = arg;
	const struct tenant *ta = tenants[*(const uint32_t *)a];
	const struct tenant *tb = tenants[*(const uint32_t *)b];

	return strcmp(ta->name, tb->name);
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

/* Keeps the first conflict as the build's error message. */
struct tenant_registry_first {
	char *err;
	size_t errlen;
	bool seen;
};

static void tenant_registry_first_conflict(void *ctx, const struct tenant *t, size_t ti,
                                           const struct tenant *other,
                                           enum tenant_conflict_list list, size_t index,
                                           const char *what)
{
	struct tenant_registry_first *f = ctx;

	(void)ti;
	(void)list;
	(void)index;
	if (f->seen)
		return;
	f->seen = true;
	snprintf(f->err, f->errlen, "tenant \"%s\" (%s) and tenant \"%s\" (%s) both match %s",
	         t->name, t->file ? t->file : "?", other->name, other->file ? other->file : "?",
	         what);
}

/* Copies the ports' policies, their relay VLANs as bitmaps. 0 or -errno. */
static int tenant_registry_ports(struct tenant_registry_impl *impl,
                                 const struct tenant_registry_params *params, char *err,
                                 size_t errlen)
{
	size_t n = params ? params->n_ports : 0;

	if (!n)
		return 0;
	impl->ports = calloc(n, sizeof(*impl->ports));
	if (!impl->ports)
		return -ENOMEM;
	impl->n_ports = n;
	for (size_t i = 0; i < n; i++) {
		const struct tenant_port_policy *src = &params->ports[i];
		struct tenant_registry_port *p = &impl->ports[i];

		p->pub = *src;
		p->relay_vlans =
		    malloc((src->n_relay_vlans ? src->n_relay_vlans : 1) * sizeof(*p->relay_vlans));
		if (!p->relay_vlans)
			return -ENOMEM;
		for (size_t v = 0; v < src->n_relay_vlans; v++) {
			uint16_t vid = src->relay_vlans[v];

			if (vid > TENANT_REGISTRY_VLAN_ID_MAX) {
				snprintf(err, errlen, "port %zu: invalid relay VLAN id %u", i, vid);
				return -EINVAL;
			}
			p->relay_vlans[v] = vid;
			p->relay_vlan_bits[vid / 64] |= (uint64_t)1 << (vid % 64);
		}
		p->pub.relay_vlans = p->relay_vlans;
	}
	return 0;
}

struct tenant_registry *tenant_registry_build_params(struct tenant **tenants, size_t n,
                                                     const struct tenant_registry_params *params,
                                                     char *err, size_t errlen)
{
	struct tenant_registry_first first = {err, errlen, false};
	struct tenant_registry_impl *impl;
	size_t conflicts = 0;
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
	impl->idx.default_tenant = TENANT_MAP_EMPTY;
	if (n >= TENANT_MAP_EMPTY) {
		snprintf(err, errlen, "too many tenants (%zu)", n);
		rc = -EINVAL;
	} else {
		rc = tenant_registry_index_names(impl, err, errlen);
	}
	if (!rc)
		rc = tenant_registry_index_build(&impl->idx, tenants, n,
		                                 tenant_registry_first_conflict, &first, &conflicts,
		                                 err, errlen);
	if (!rc && conflicts)
		rc = -EINVAL;
	if (!rc)
		rc = tenant_registry_ports(impl, params, err, errlen);
	if (rc) {
		if (rc == -ENOMEM && errlen && !err[0])
			snprintf(err, errlen, "out of memory building the tenant registry");
		tenant_registry_free(&impl->pub);
		errno = -rc;
		return NULL;
	}
	return &impl->pub;
}

struct tenant_registry *tenant_registry_build(struct tenant **tenants, size_t n, char *err,
                                              size_t errlen)
{
	return tenant_registry_build_params(tenants, n, NULL, err, errlen);
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
	tenant_registry_index_free(&impl->idx);
	for (size_t i = 0; i < impl->n_ports; i++)
		free(impl->ports[i].relay_vlans);
	free(impl->ports);
	free(impl->by_name);
	free(impl);
}

static const struct tenant_registry_port *tenant_registry_port(const struct tenant_registry *reg,
                                                               uint16_t port)
{
	const struct tenant_registry_impl *impl = tenant_registry_cimpl_of(reg);

	return port < impl->n_ports ? &impl->ports[port] : &tenant_registry_port_default;
}

const struct tenant_port_policy *tenant_registry_port_policy(const struct tenant_registry *reg,
                                                             uint16_t port)
{
	const struct tenant_registry_port *p = tenant_registry_port(reg, port);

	return p == &tenant_registry_port_default ? &tenant_port_policy_default : &p->pub;
}

bool tenant_registry_relay_link(const struct tenant_registry *reg, uint16_t port, uint16_t outer,
                                uint16_t inner)
{
	const struct tenant_registry_port *p = tenant_registry_port(reg, port);

	/* Relay links are single-tagged at most: a QinQ link is a customer's, not a relay's. */
	if (!p->pub.relays || inner || outer > TENANT_REGISTRY_VLAN_ID_MAX ||
	    !(p->relay_vlan_bits[outer / 64] & ((uint64_t)1 << (outer % 64))))
		return false;
	/* A link a tenant claims is that tenant's: its clients could forge relay information. */
	return tenant_registry_by_vlan(reg, port, outer, 0) == NULL;
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
