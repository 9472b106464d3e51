/*
 * A tenant's limits on its lcore: the cap on active leases (max_leases), the token
 * bucket of its packets-per-second budget, and the gauges (active leases, pool use).
 *
 * Active leases are the bindings: committed (POOL_BOUND), or a renewal or a new binding
 * whose commit is in flight (POOL_PENDING). Their number is kept in the instance without
 * the pools' help: it is counted exactly when the instance is built or swapped in, raised
 * by every new binding that commits (unless a count since its REQUEST saw it pending) and
 * lowered by the expiries and operator releases the engine sees; releases and moves
 * inside the protocol handlers are caught by a fresh count every DHCP_ACTIVE_RECOUNT_S
 * seconds, or at once (at most once a second) when the tenant seems to be at its cap. So
 * the value can only run ahead of the truth, never behind: the cap is never exceeded by a
 * missed binding, and a tenant at its cap is counted again before a client is refused.
 * The cap is checked when an address is offered, so the REQUESTs of offers made just
 * below it may still commit.
 */
#include <stdio.h>
#include <string.h>

#include "dhcp_instance.h"

/* Bindings among the slots of @r whose free bits are clear (a word at a time). */
static size_t count_range(const struct pool_range *r)
{
	uint32_t count = r->last - r->first + 1;
	size_t n = 0;

	for (uint32_t w = 0; w * 64 < count; w++) {
		uint32_t base = w * 64;
		uint32_t in_word = count - base < 64 ? count - base : 64;
		uint64_t all = in_word == 64 ? ~0ull : (1ull << in_word) - 1;

		/* A word of free addresses holds no binding: most of an idle pool is skipped. */
		if ((r->free_bits[w] & all) == all)
			continue;
		for (uint32_t k = 0; k < in_word; k++) {
			uint8_t st = r->slots[base + k].state;

			n += st == POOL_BOUND || st == POOL_PENDING;
		}
	}
	return n;
}

size_t dhcp_limits_count_active(const struct pool_set *ps)
{
	size_t n = 0;

	for (size_t i = 0; i < ps->n_ranges; i++)
		n += count_range(&ps->ranges[i]);
	for (size_t i = 0; i < ps->n_fixed; i++) {
		uint8_t st = ps->fixed[i].slot.state;

		n += st == POOL_BOUND || st == POOL_PENDING;
	}
	return n;
}

static void recount(struct dhcp_instance *in, int64_t now)
{
	in->active = dhcp_limits_count_active(&in->pools);
	in->active_counted = now;
}

bool dhcp_limits_lease_cap(struct dhcp_instance *in, uint64_t client, int64_t now)
{
	uint32_t max = in->tenant->limits.max_leases;

	if (max == 0 || in->active < max)
		return false;
	/* Maybe an overestimate: count again before refusing anyone (once a second at most). */
	if (in->active_counted != now) {
		recount(in, now);
		if (in->active < max) {
			if (in->at_cap) {
				in->at_cap = false;
				log_info("tenant %s: below max_leases (%u) again", in->tenant->name,
				         max);
			}
			return false;
		}
	}
	/* A client that holds a binding keeps it: RFC 2131 4.3.1 offers it its address. */
	uint32_t held = pool_client_addr(&in->pools, client);
	const struct pool_slot *slot = held ? pool_slot(&in->pools, held) : NULL;
	if (slot && (slot->state == POOL_BOUND || slot->state == POOL_PENDING))
		return false;
	in->counters.v[TC_DROP_LEASE_CAP]++;
	/*
	 * Once per episode, and at most once per DHCP_STATE_LOG_INTERVAL_S: a tenant that
	 * hovers at its cap reaches it again each time a lease ends. Refusals while no warning
	 * stands are counted by the rate limit and reported with the next warning; "below
	 * again" follows only a warning that was logged.
	 */
	uint64_t refused;
	if (!in->at_cap &&
	    log_ratelimit_ok(&in->cap_log, now, DHCP_STATE_LOG_INTERVAL_S, &refused)) {
		char more[64] = "";
		if (refused)
			snprintf(more, sizeof(more), " (%llu more refusals since the last report)",
			         (unsigned long long)refused);
		in->at_cap = true;
		log_warn("tenant %s: at max_leases (%u active): new clients get no offer%s; "
		         "further refusals are only counted",
		         in->tenant->name, max, more);
	}
	return true;
}

void dhcp_limits_bucket(struct dhcp_instance *in, uint64_t now_ns, bool keep)
{
	const struct tenant_limits *l = &in->tenant->limits;

	dhcp_bucket_set(&in->bucket, l->packets_per_second, l->burst, now_ns, keep);
}

void dhcp_limits_tick(struct dhcp_instance *in, int64_t now)
{
	if (now - in->active_counted >= DHCP_ACTIVE_RECOUNT_S)
		recount(in, now);
	in->counters.v[TC_LEASES_ACTIVE] = in->active;
	in->counters.v[TC_POOL_USED] = in->pools.used;
	in->counters.v[TC_POOL_SIZE] = in->pools.size;
}

void dhcp_engine_count(struct dhcp_engine *e, const struct tenant *t, enum tenant_counter c)
{
	struct dhcp_instance *in = dhcp_instance_of(e, t);

	if (in && (unsigned)c < TC__COUNT)
		in->counters.v[c]++;
}

bool dhcp_engine_usage(const struct dhcp_engine *e, const struct tenant *t,
                       struct dhcp_tenant_usage *out)
{
	const struct dhcp_instance *in = dhcp_instance_of(e, t);

	memset(out, 0, sizeof(*out));
	if (!in)
		return false;
	out->pool_size = in->pools.size;
	out->pool_used = in->pools.used;
	out->active_leases = in->active;
	return true;
}
