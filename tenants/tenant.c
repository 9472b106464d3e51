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

void tenant_free(struct tenant *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_subnets; i++) {
		optset_clear(&t->subnets[i].options);
		free(t->subnets[i].pools);
	}
	free(t->subnets);
	free(t->match.relays);
	free(t->match.vlans);
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
