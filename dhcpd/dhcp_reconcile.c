/*
 * Reload on the engine: the control thread builds the instances of new and changed
 * tenants (the slow part: pools, database reads) into a plan; the lcore swaps the plan in
 * between two packets (DHCP_ADMIN_SWAP), carrying each changed tenant's in-memory state
 * over to its new instance and retiring the instances it no longer serves.
 *
 * Why the state is carried and not re-read: the database holds bindings only, and only
 * committed ones; offers, commits in flight and quarantines live in memory, and an ACK
 * may be a few hundred microseconds ahead of its row. The new instance therefore reads
 * from the database only the leases at addresses the old instance has no slot for (a
 * pool added by the edit), and takes every other address's state from the old instance.
 *
 * Who frees what: the plan owns the instances it built until the swap; after it, the
 * engine's table owns them. Retired instances go to the engine's retired list (control
 * thread) and are freed by dhcp_engine_reap once no pending ACK points at them; each
 * holds a reference on its tenant, so a pending ACK can still be built from the tenant
 * version it was answered under after the registry that held it is gone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "dhcp_instance.h"

#define RECONCILE_TIMEOUT_MS 5000

struct plan_item {
	const struct tenant *t;
	struct dhcp_instance *in; /* built for a new or changed tenant; NULL = keep */
};

struct dhcp_engine_plan {
	struct dhcp_engine *e;
	struct plan_item *items;
	size_t n, cap;
	/* Prepared by dhcp_engine_plan_apply for the lcore. */
	struct dhcp_instance **table;
	size_t n_table;
	uint64_t *free_bits; /* scratch: one bit per pending record (max_pending) */
	/* Filled by the lcore during the swap. */
	struct dhcp_instance **old_table;
	struct dhcp_instance *retired; /* newly retired, through next_retired */
	size_t n_replaced, n_removed, n_kept, n_added;
	size_t carried;   /* addresses whose state was carried over */
	uint64_t swap_ns; /* the lcore's time in the swap */
};

struct dhcp_engine_plan *dhcp_engine_plan_new(struct dhcp_engine *e)
{
	struct dhcp_engine_plan *p = calloc(1, sizeof(*p));

	if (p)
		p->e = e;
	return p;
}

void dhcp_engine_plan_free(struct dhcp_engine_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		dhcp_instance_free(p->items[i].in);
	free(p->items);
	free(p->table);
	free(p->free_bits);
	free(p);
}

static int plan_push(struct dhcp_engine_plan *p, const struct tenant *t, struct dhcp_instance *in)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		struct plan_item *v = realloc(p->items, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->items = v;
		p->cap = cap;
	}
	p->items[p->n++] = (struct plan_item){t, in};
	return 0;
}

/* The instance serving db_id @id now. Control thread: only it changes the table. */
static struct dhcp_instance *running(const struct dhcp_engine *e, uint32_t id)
{
	return id < e->n_by_id ? e->by_id[id] : NULL;
}

int dhcp_engine_plan_keep(struct dhcp_engine_plan *p, const struct tenant *t)
{
	struct dhcp_instance *in = running(p->e, t->db_id);

	if (!in || in->tenant != t)
		return -ENOENT;
	return plan_push(p, t, NULL);
}

int dhcp_engine_plan_add(struct dhcp_engine_plan *p, const struct tenant *t, int64_t now)
{
	if (t->db_id == 0)
		return -EINVAL;
	/*
	 * The running instance's ranges and fixed slots never change after it was built, so
	 * this thread may look addresses up in them while the lcore works on their slots.
	 */
	struct dhcp_instance *old = running(p->e, t->db_id);
	struct dhcp_instance *in = dhcp_instance_build(p->e, t, now, old ? &old->pools : NULL);

	if (!in)
		return -errno;
	int rc = plan_push(p, t, in);
	if (rc)
		dhcp_instance_free(in);
	return rc;
}

/* --- the lcore's side ------------------------------------------------------------------- */

static void carry_slot(struct dhcp_instance *to, uint32_t addr, const struct pool_slot *s,
                       size_t *carried)
{
	if (s->state == POOL_FREE || !pool_slot(&to->pools, addr))
		return;
	pool_assign(&to->pools, addr, (enum pool_state)s->state, s->client, s->expires);
	(*carried)++;
}

/*
 * Copies the state of every address @from does not have free to @to, where @to has a
 * slot for it. Words of free addresses are skipped 64 at a time, so the cost follows the
 * addresses in use, not the pool size.
 */
static size_t carry_pools(const struct pool_set *from, struct dhcp_instance *to)
{
	size_t carried = 0;

	for (size_t i = 0; i < from->n_ranges; i++) {
		const struct pool_range *r = &from->ranges[i];
		uint32_t count = r->last - r->first + 1;

		for (uint32_t w = 0; w * 64 < count; w++) {
			uint32_t base = w * 64;
			uint32_t in_word = count - base < 64 ? count - base : 64;
			uint64_t all = in_word == 64 ? ~0ull : (1ull << in_word) - 1;

			if ((r->free_bits[w] & all) == all)
				continue;
			for (uint32_t k = 0; k < in_word; k++)
				carry_slot(to, r->first + base + k, &r->slots[base + k], &carried);
		}
	}
	for (size_t i = 0; i < from->n_fixed; i++)
		carry_slot(to, from->fixed[i].addr, &from->fixed[i].slot, &carried);
	return carried;
}

/* @to, a new version of @from's tenant, takes over what @from had. */
static size_t take_over(struct dhcp_engine *e, struct dhcp_instance *from, struct dhcp_instance *to,
                        int64_t now)
{
	size_t carried = carry_pools(&from->pools, to);

	/* Counters go on: a reload is not a restart (the gauges are recomputed below). */
	to->counters = from->counters;
	to->exhausted = from->exhausted;
	to->at_cap = from->at_cap;
	to->last_full_sweep = from->last_full_sweep;
	to->commit_log = from->commit_log;
	to->exhausted_log = from->exhausted_log;
	to->cap_log = from->cap_log;
	to->decline_log = from->decline_log;
	/* The budget keeps the tokens it had, within the new burst. */
	to->bucket = from->bucket;
	dhcp_limits_bucket(to, e->now_ns, true);
	dhcp_sched_move(e, from, to);
	to->prev_tenant = from->tenant;
	to->active = dhcp_limits_count_active(&to->pools);
	to->active_counted = now;
	dhcp_limits_tick(to, now);
	return carried;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int dhcp_reconcile_swap(struct dhcp_engine *e, void *arg, int64_t now)
{
	struct dhcp_engine_plan *p = arg;
	uint64_t t0 = mono_ns();

	/* New and changed tenants: take over the running instance of the same db_id. */
	for (size_t i = 0; i < p->n; i++) {
		struct dhcp_instance *in = p->items[i].in;
		struct dhcp_instance *old;

		if (!in) {
			p->n_kept++;
			p->table[p->items[i].t->db_id]->prev_tenant = NULL;
			continue;
		}
		old = running(e, in->tenant->db_id);
		if (old) {
			p->carried += take_over(e, old, in, now);
			old->retiring = true;
			p->n_replaced++;
		} else {
			p->n_added++;
		}
	}
	/* Every instance of the old table that the new one does not hold is retired. */
	for (size_t id = 0; id < e->n_by_id; id++) {
		struct dhcp_instance *old = e->by_id[id];

		if (!old || (id < p->n_table && p->table[id] == old))
			continue;
		if (!old->retiring) {
			/* A removed tenant: its waiting messages go with it. */
			dhcp_sched_drop(e, old);
			old->retiring = true;
			p->n_removed++;
		}
		old->next_retired = p->retired;
		p->retired = old;
	}
	/*
	 * Pending ACKs keep their instance alive: count them. The records in use are those
	 * missing from the free stack; reading the compact stack instead of every record
	 * keeps the swap short however large max_pending is.
	 */
	for (uint32_t k = 0; k < e->n_pending_free; k++)
		p->free_bits[e->pending_free[k] / 64] |= 1ull << (e->pending_free[k] % 64);
	for (uint32_t c = 0; c < e->p.max_pending; c++) {
		if (p->free_bits[c / 64] & (1ull << (c % 64))) {
			/* Skip a whole word of free records at once. */
			if (c % 64 == 0 && p->free_bits[c / 64] == ~0ull)
				c += 63;
			continue;
		}
		const struct dhcp_pending *pd = &e->pending[c];

		if (pd->in_use && pd->inst->retiring)
			atomic_fetch_add_explicit(&pd->inst->pending_refs, 1, memory_order_relaxed);
	}
	for (struct dhcp_instance *in = p->retired; in; in = in->next_retired) {
		in->retiring = false;
		in->retired = true;
	}
	p->old_table = e->by_id;
	e->by_id = p->table;
	e->n_by_id = p->n_table;
	p->table = NULL;
	p->n_table = 0;
	/* The table owns the new instances now. */
	for (size_t i = 0; i < p->n; i++)
		p->items[i].in = NULL;
	p->swap_ns = mono_ns() - t0;
	return 0;
}

/* --- the control thread's side ------------------------------------------------------------ */

int dhcp_engine_plan_apply(struct dhcp_engine *e, struct dhcp_engine_plan *p, int timeout_ms)
{
	size_t n = 1;
	int rc = 0;

	for (size_t i = 0; i < p->n; i++) {
		if (p->items[i].t->db_id >= n)
			n = (size_t)p->items[i].t->db_id + 1;
	}
	p->table = calloc(n, sizeof(*p->table));
	p->free_bits = calloc((e->p.max_pending + 63) / 64, sizeof(*p->free_bits));
	if (!p->table || !p->free_bits) {
		dhcp_engine_plan_free(p);
		return -ENOMEM;
	}
	p->n_table = n;
	for (size_t i = 0; i < p->n && !rc; i++) {
		const struct plan_item *it = &p->items[i];

		if (p->table[it->t->db_id])
			rc = -EEXIST; /* two tenants with one database id */
		else
			p->table[it->t->db_id] = it->in ? it->in : running(e, it->t->db_id);
	}
	if (!rc) {
		struct dhcp_admin_req req = {.op = DHCP_ADMIN_SWAP, .arg = p};

		rc = dhcp_engine_admin(e, &req, timeout_ms > 0 ? timeout_ms : RECONCILE_TIMEOUT_MS);
	}
	if (rc) {
		dhcp_engine_plan_free(p);
		return rc;
	}
	free(p->old_table);
	while (p->retired) {
		struct dhcp_instance *in = p->retired;

		p->retired = in->next_retired;
		in->next_retired = e->retired;
		e->retired = in;
	}
	log_info("reload: %zu tenants kept, %zu changed, %zu added, %zu removed; %zu addresses "
	         "carried over in %.3f ms on the lcore",
	         p->n_kept, p->n_replaced, p->n_added, p->n_removed, p->carried,
	         (double)p->swap_ns / 1e6);
	dhcp_engine_plan_free(p);
	dhcp_engine_reap(e);
	return 0;
}

size_t dhcp_engine_reap(struct dhcp_engine *e)
{
	struct dhcp_instance **link = &e->retired;
	size_t waiting = 0;

	while (*link) {
		struct dhcp_instance *in = *link;

		if (atomic_load_explicit(&in->pending_refs, memory_order_acquire) == 0) {
			*link = in->next_retired;
			dhcp_instance_free(in);
		} else {
			waiting++;
			link = &in->next_retired;
		}
	}
	return waiting;
}
