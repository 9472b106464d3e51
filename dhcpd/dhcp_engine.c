#include "dhcp_engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_key.h"
#include "common/log.h"
#include "dhcp_instance.h"

#define SWEEP_BUDGET 4096 /* slots examined per tenant per second */

struct dhcp_engine *dhcp_engine_create(const struct dhcp_engine_params *params)
{
	if (!params->store || !params->tx || params->max_pending == 0 ||
	    params->max_pending >= DHCP_COOKIE_ADMIN) {
		errno = EINVAL;
		return NULL;
	}
	struct dhcp_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	int rc = dhcp_admin_init(&e->admin);
	if (rc) {
		free(e);
		errno = -rc;
		return NULL;
	}
	e->p = *params;
	rc = dhcp_sched_init(&e->sched,
			     params->queue_total ? params->queue_total : DHCP_ENGINE_QUEUE_TOTAL,
			     params->queue_tenant ? params->queue_tenant : DHCP_ENGINE_QUEUE_TENANT);
	if (rc) {
		dhcp_engine_destroy(e);
		errno = -rc;
		return NULL;
	}
	e->pending = calloc(params->max_pending, sizeof(*e->pending));
	e->pending_free = calloc(params->max_pending, sizeof(*e->pending_free));
	if (!e->pending || !e->pending_free) {
		dhcp_engine_destroy(e);
		errno = ENOMEM;
		return NULL;
	}
	for (uint32_t i = 0; i < params->max_pending; i++)
		e->pending_free[i] = params->max_pending - 1 - i;
	e->n_pending_free = params->max_pending;
	return e;
}

struct load_ctx {
	struct dhcp_instance *in;
	const struct pool_set *skip; /* addresses the running instance holds in memory */
	size_t loaded;
	size_t outside;
	size_t declined;
};

static int load_lease(void *ctx, const struct lease_record *rec)
{
	struct load_ctx *lc = ctx;
	struct pool_set *ps = &lc->in->pools;
	/* A reload: the running instance's memory is newer than the rows (dhcp_reconcile.c). */
	if (lc->skip && pool_slot(lc->skip, rec->address))
		return 0;
	if (!pool_slot(ps, rec->address)) {
		/*
		 * The pools changed since this lease was granted. It is kept until it runs out
		 * (the lease store ends it then) and its row is flagged for the operator.
		 */
		lc->outside++;
		return LEASE_LOAD_OUTSIDE;
	}
	uint64_t client = dhcp_client_key(rec->client_id, rec->client_id_len, rec->hwtype,
					  rec->hwaddr, rec->hwlen);
	pool_assign(ps, rec->address, POOL_BOUND, client, (uint32_t)rec->end_time);
	lc->loaded++;
	return 0;
}

/*
 * A declined address whose quarantine still runs (RFC 2131 4.3.3): out of service until
 * the row's end_time, as the DECLINE left it. One outside the pools has nothing to keep.
 */
static int load_declined(void *ctx, const struct lease_record *rec)
{
	struct load_ctx *lc = ctx;
	struct pool_set *ps = &lc->in->pools;

	if (lc->skip && pool_slot(lc->skip, rec->address))
		return 0;
	if (!pool_slot(ps, rec->address))
		return 0;
	pool_assign(ps, rec->address, POOL_DECLINED, 0, (uint32_t)rec->end_time);
	lc->declined++;
	return 0;
}

int dhcp_engine_add_tenant(struct dhcp_engine *e, const struct tenant *t, int64_t now)
{
	if (t->db_id == 0)
		return -EINVAL;
	if (t->db_id >= e->n_by_id) {
		size_t n = (size_t)t->db_id + 16;
		struct dhcp_instance **v = realloc(e->by_id, n * sizeof(*v));
		if (!v)
			return -ENOMEM;
		memset(v + e->n_by_id, 0, (n - e->n_by_id) * sizeof(*v));
		e->by_id = v;
		e->n_by_id = n;
	}
	if (e->by_id[t->db_id])
		return -EEXIST;
	struct dhcp_instance *in = dhcp_instance_build(e, t, now, NULL);
	if (!in)
		return -errno;
	e->by_id[t->db_id] = in;
	return 0;
}

/* Rewrites one byte per page of @p with its own value, so the kernel maps it now. */
static void touch(void *p, size_t len)
{
	volatile char *c = p;

	for (size_t i = 0; i < len; i += 4096)
		c[i] = c[i];
}

/*
 * The pools' arrays come zeroed from calloc, which maps their pages only when they are
 * first written. Writing them here, on the control thread, spares the lcore those page
 * faults when a reload swaps the instance in and carries state into it.
 */
static void prefault(struct pool_set *ps)
{
	for (size_t i = 0; i < ps->n_ranges; i++)
		touch(ps->ranges[i].slots,
		      ((size_t)ps->ranges[i].last - ps->ranges[i].first + 1) *
			  sizeof(*ps->ranges[i].slots));
	touch(ps->clients.keys, ((size_t)ps->clients.mask + 1) * sizeof(*ps->clients.keys));
	touch(ps->clients.addrs, ((size_t)ps->clients.mask + 1) * sizeof(*ps->clients.addrs));
}

struct dhcp_instance *dhcp_instance_build(struct dhcp_engine *e, const struct tenant *t,
					  int64_t now, const struct pool_set *skip)
{
	struct dhcp_instance *in = calloc(1, sizeof(*in));
	if (!in)
		return NULL;
	int rc = pool_set_init(&in->pools, t);
	if (rc) {
		free(in);
		errno = -rc;
		return NULL;
	}
	prefault(&in->pools);
	struct load_ctx lc = {.in = in, .skip = skip};
	rc = lease_store_load_active(e->p.store, t->db_id, now, load_lease, &lc);
	if (rc == 0)
		rc = lease_store_load_declined(e->p.store, t->db_id, now, load_declined, &lc);
	if (rc) {
		pool_set_free(&in->pools);
		free(in);
		errno = rc < 0 ? -rc : EIO;
		return NULL;
	}
	if (lc.outside)
		log_warn("tenant %s: %zu active leases are outside the configured pools; they are kept "
			 "until they expire and flagged outside_pools in the lease database",
			 t->name, lc.outside);
	log_info("tenant %s: %zu addresses in pools, %zu active leases loaded", t->name,
		 in->pools.size, lc.loaded);
	if (lc.declined)
		log_info("tenant %s: %zu declined addresses stay out of service until their "
			 "quarantine ends",
			 t->name, lc.declined);
	in->tenant = tenant_ref(t);
	in->fq = (struct dhcp_fq){DHCP_FQ_NONE, DHCP_FQ_NONE, 0};
	atomic_init(&in->pending_refs, 0);
	in->active = dhcp_limits_count_active(&in->pools);
	in->active_counted = now;
	dhcp_limits_bucket(in, e->now_ns, false);
	dhcp_limits_tick(in, now);
	return in;
}

void dhcp_instance_free(struct dhcp_instance *in)
{
	if (!in)
		return;
	pool_set_free(&in->pools);
	tenant_free((struct tenant *)in->tenant);
	free(in);
}

/*
 * The tenant's current instance. After a reload swapped in a new version of the tenant,
 * packets classified with the registry the lcore still holds name the previous version
 * until the new registry is published: they go to the new instance too.
 */
struct dhcp_instance *dhcp_instance_of(const struct dhcp_engine *e, const struct tenant *t)
{
	if (t->db_id >= e->n_by_id)
		return NULL;
	struct dhcp_instance *in = e->by_id[t->db_id];
	return in && (in->tenant == t || in->prev_tenant == t) ? in : NULL;
}

bool dhcp_engine_enqueue_id(struct dhcp_engine *e, uint32_t tenant_id,
			    const struct dhcp_path *path, const uint8_t *msg, size_t len, void *buf)
{
	const struct dhcp_instance *in = tenant_id < e->n_by_id ? e->by_id[tenant_id] : NULL;

	/* The instance's own tenant version always finds it (dhcp_instance_of). */
	return in && dhcp_engine_enqueue(e, in->tenant, path, msg, len, buf);
}

bool dhcp_engine_backlogged(const struct dhcp_engine *e)
{
	return e->p.max_pending - e->n_pending_free >= e->p.max_pending / 16;
}

static struct dhcp_instance *instance_of(const struct dhcp_engine *e, const struct tenant *t)
{
	return dhcp_instance_of(e, t);
}

const struct tenant_counters *dhcp_engine_counters(const struct dhcp_engine *e,
						   const struct tenant *t)
{
	const struct dhcp_instance *in = instance_of(e, t);
	return in ? &in->counters : NULL;
}

void dhcp_engine_send(struct dhcp_engine *e, struct dhcp_instance *in, const struct dhcp_req *req,
		      const struct dhcp_answer *ans)
{
	struct dhcp_reply dest;
	unsigned dropped = 0;
	int len = dhcp_reply_build(req, ans, e->out, sizeof(e->out), &dest, &dropped);
	in->counters.v[TC_OPTIONS_DROPPED] += dropped;
	if (len < 0) {
		in->counters.v[TC_DROP_MALFORMED]++;
		return;
	}
	switch (ans->type) {
	case DHCPOFFER:
		in->counters.v[TC_TX_OFFER]++;
		break;
	case DHCPACK:
		in->counters.v[TC_TX_ACK]++;
		break;
	case DHCPNAK:
		in->counters.v[TC_TX_NAK]++;
		break;
	}
	e->p.tx(e->p.tx_ctx, &dest, e->out, (size_t)len);
}

void dhcp_engine_input(struct dhcp_engine *e, const struct tenant *t,
		       const struct dhcp_path *path, const uint8_t *buf, size_t len, int64_t now)
{
	struct dhcp_instance *in = instance_of(e, t);
	if (!in)
		return;
	if (!dhcp_bucket_take(&in->bucket, e->now_ns)) {
		in->counters.v[TC_DROP_RATE_LIMIT]++;
		return;
	}
	dhcp_engine_handle(e, in, path, buf, len, now);
}

void dhcp_engine_handle(struct dhcp_engine *e, struct dhcp_instance *in,
			const struct dhcp_path *path, const uint8_t *buf, size_t len, int64_t now)
{
	enum dhcp_parse_error perr = dhcp_msg_parse(&e->msg, buf, len);
	if (perr != DHCP_PARSE_OK) {
		in->counters.v[TC_DROP_MALFORMED]++;
		in->counters.v[dhcp_server_parse_counter(perr)]++;
		return;
	}
	dhcp_req_fill(&e->req, &e->msg, path);
	if (e->req.relay_oversize) {
		/* Option 82 too long to echo unchanged (RFC 3046 2.2): no reply can be right. */
		in->counters.v[TC_DROP_MALFORMED]++;
		in->counters.v[TC_DROP_BAD_OPTION]++;
		return;
	}
	switch (e->msg.type) {
	case DHCPDISCOVER:
		in->counters.v[TC_RX_DISCOVER]++;
		dhcp_server_discover(e, in, now);
		break;
	case DHCPREQUEST:
		in->counters.v[TC_RX_REQUEST]++;
		dhcp_server_request(e, in, now);
		break;
	case DHCPRELEASE:
		in->counters.v[TC_RX_RELEASE]++;
		dhcp_server_release(e, in, now);
		break;
	case DHCPDECLINE:
		in->counters.v[TC_RX_DECLINE]++;
		dhcp_server_decline(e, in, now);
		break;
	case DHCPINFORM:
		in->counters.v[TC_RX_INFORM]++;
		dhcp_server_inform(e, in, now);
		break;
	default:
		in->counters.v[TC_RX_OTHER]++;
		break;
	}
}

static void complete_one(struct dhcp_engine *e, const struct lease_completion *c, int64_t now)
{
	if (c->cookie >= DHCP_COOKIE_ADMIN && c->cookie != DHCP_COOKIE_NO_REPLY) {
		dhcp_admin_complete(e, c->cookie, c->status);
		return;
	}
	if (c->cookie == DHCP_COOKIE_NO_REPLY || c->cookie >= e->p.max_pending)
		return;
	struct dhcp_pending *pd = &e->pending[c->cookie];
	if (!pd->in_use)
		return;
	/*
	 * A reload may have retired the instance that took the REQUEST: the ACK is still
	 * built from the record (its tenant version is alive while the instance is), the
	 * binding goes to the instance that serves the tenant now.
	 */
	struct dhcp_instance *home = pd->inst;
	struct dhcp_instance *in = home;
	if (home->retired && home->tenant->db_id < e->n_by_id && e->by_id[home->tenant->db_id])
		in = e->by_id[home->tenant->db_id];
	struct pool_slot *slot = pool_slot(&in->pools, pd->yiaddr);
	if (c->status == 0) {
		in->counters.v[TC_LEASES_COMMITTED]++;
		/*
		 * A new binding (not a renewal) counts towards the tenant's max_leases,
		 * unless an exact count since its REQUEST already saw it pending.
		 */
		if (slot && (pd->prev_state != POOL_BOUND || slot->client != pd->req.client) &&
		    (int64_t)(pd->expires - pd->lease_time) >= in->active_counted)
			in->active++;
		pool_assign(&in->pools, pd->yiaddr, POOL_BOUND, pd->req.client, pd->expires);
		struct dhcp_answer ans = {
			.type = DHCPACK,
			.yiaddr = pd->yiaddr,
			.lease_time = pd->lease_time,
			.subnet = pd->subnet,
		};
		dhcp_engine_send(e, in, &pd->req, &ans);
	} else {
		/*
		 * No row, no ACK (RFC 2131 3.1 step 4). The client retransmits its REQUEST
		 * and gets its ACK once writes work again; meanwhile the address stays held
		 * for it as it was.
		 */
		in->counters.v[TC_DROP_COMMIT_FAILED]++;
		if (slot && slot->state == POOL_PENDING && slot->client == pd->req.client) {
			if (pd->prev_state == POOL_BOUND)
				pool_assign(&in->pools, pd->yiaddr, POOL_BOUND, pd->req.client,
					    pd->prev_expires);
			else
				pool_assign(&in->pools, pd->yiaddr, POOL_OFFERED, pd->req.client,
					    (uint32_t)now + in->tenant->offer_time);
		}
		uint64_t suppressed;
		if (log_ratelimit_ok(&in->commit_log, now, 10, &suppressed)) {
			char more[48] = "";
			if (suppressed)
				snprintf(more, sizeof(more), " (%llu more suppressed)",
					 (unsigned long long)suppressed);
			log_err("tenant %s: lease commit failed (%s): no DHCPACK sent%s",
				in->tenant->name, strerror(-c->status), more);
		}
	}
	pd->in_use = false;
	e->pending_free[e->n_pending_free++] = c->cookie;
	/* The last use of @home: the control thread may free it once this reaches 0. */
	if (home->retired)
		atomic_fetch_sub_explicit(&home->pending_refs, 1, memory_order_release);
}

struct expire_ctx {
	struct dhcp_engine *e;
	struct dhcp_instance *in;
	int64_t now;
};

static void record_expiry(void *ctx, uint32_t addr, const struct pool_slot *slot)
{
	(void)slot;
	struct expire_ctx *x = ctx;
	struct lease_change *ch = &x->e->change;
	if (x->in->active)
		x->in->active--;
	memset(&ch->rec, 0, sizeof(ch->rec));
	ch->op = LEASE_OP_EXPIRE;
	ch->owner = x->e->p.owner;
	ch->cookie = DHCP_COOKIE_NO_REPLY;
	ch->rec.tenant_id = x->in->tenant->db_id;
	ch->rec.address = addr;
	ch->rec.state = LEASE_STATE_EXPIRED;
	ch->rec.end_time = x->now;
	ch->rec.cltt = x->now;
	/*
	 * A full queue only delays the row's state change: the row's end_time already says
	 * the lease is over, and the address is free in memory either way.
	 */
	(void)lease_store_submit(x->e->p.store, ch);
}

unsigned dhcp_engine_poll(struct dhcp_engine *e, int64_t now)
{
	struct lease_completion comp[64];
	unsigned total = 0;
	size_t n;
	dhcp_admin_run(e, now);
	do {
		n = lease_store_poll(e->p.store, e->p.owner, comp, 64);
		for (size_t i = 0; i < n; i++)
			complete_one(e, &comp[i], now);
		total += (unsigned)n;
	} while (n == 64);

	if (now != e->last_sweep) {
		e->last_sweep = now;
		for (size_t i = 0; i < e->n_by_id; i++) {
			struct dhcp_instance *in = e->by_id[i];
			if (!in)
				continue;
			struct expire_ctx x = {e, in, now};
			pool_sweep(&in->pools, (uint32_t)now, SWEEP_BUDGET, record_expiry, &x);
			dhcp_limits_tick(in, now);
		}
	}
	return total;
}

void dhcp_engine_destroy(struct dhcp_engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n_by_id; i++) {
		if (e->by_id[i]) {
			dhcp_sched_drop(e, e->by_id[i]);
			dhcp_instance_free(e->by_id[i]);
		}
	}
	while (e->retired) {
		struct dhcp_instance *in = e->retired;
		e->retired = in->next_retired;
		dhcp_instance_free(in);
	}
	free(e->by_id);
	free(e->pending);
	free(e->pending_free);
	dhcp_sched_fini(&e->sched);
	dhcp_admin_fini(&e->admin);
	free(e);
}
