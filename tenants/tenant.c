/*
 * Construction and destruction of the tenant model, and the one lookup the engine needs
 * on it: which of the tenant's subnets an address belongs to.
 */
#include "tenants/tenant.h"

#include <errno.h>
#include <stdlib.h>

struct tenant *tenant_new(void)
{
	/* calloc sets errno to ENOMEM on failure, as the header promises. */
	return calloc(1, sizeof(struct tenant));
}

struct tenant *tenant_ref(const struct tenant *t)
{
	struct tenant *m = (struct tenant *)t;

	atomic_fetch_add_explicit(&m->extra_refs, 1, memory_order_relaxed);
	return m;
}

void tenant_free(struct tenant *t)
{
	if (!t)
		return;
	/* Another holder remains: drop this one only (see extra_refs in tenant.h). */
	for (unsigned n = atomic_load_explicit(&t->extra_refs, memory_order_acquire); n > 0;) {
		if (atomic_compare_exchange_weak_explicit(&t->extra_refs, &n, n - 1,
							  memory_order_acq_rel,
							  memory_order_acquire))
			return;
	}
	for (size_t i = 0; i < t->n_subnets; i++) {
		struct tenant_subnet *sn = &t->subnets[i];

		optset_clear(&sn->options);
		for (size_t p = 0; sn->pool_options && p < sn->n_pools; p++)
			optset_clear(&sn->pool_options[p]);
		free(sn->pool_options);
		free(sn->pools);
		for (size_t r = 0; r < sn->n_reservations; r++)
			optset_clear(&sn->reservations[r].options);
		free(sn->reservations);
	}
	free(t->subnets);
	free(t->match.relays);
	free(t->match.vlans);
	free(t->match.prefixes);
	free(t->match.keys);
	free(t->file);
	free(t);
}

/*
 * A linear scan: a tenant has a handful of subnets, and the configuration guarantees they
 * do not overlap, so the first match is the only one.
 */
const struct tenant_subnet *tenant_subnet_of(const struct tenant *t, uint32_t addr)
{
	for (size_t i = 0; i < t->n_subnets; i++) {
		const struct tenant_subnet *s = &t->subnets[i];

		if ((addr & s->mask) == s->network)
			return s;
	}
	return NULL;
}
