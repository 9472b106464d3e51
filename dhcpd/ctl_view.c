/*
 * The daemon's state as JSON for the control socket: tenants, pool use, counters, ports,
 * lcores and the lease store. A tenant is described by a table of sections, one function
 * each, so that a new part of the tenant model (limits, reservations, ...) is one more row.
 *
 * jansson's constructors return NULL when out of memory and json_object_set_new accepts
 * NULL (and then fails), so a view is built without checking every step; a view that came
 * out incomplete is detected by the caller as NULL and answered "internal".
 */
#include <stdio.h>

#include "dhcpd/ctl_commands.h"

json_t *ctl_view_ipv4(uint32_t a)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
	         a & 0xff);
	return json_string(buf);
}

static json_t *ctl_view_prefix(uint32_t net, uint8_t len)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%u.%u.%u.%u/%u", net >> 24, (net >> 16) & 0xff,
	         (net >> 8) & 0xff, net & 0xff, len);
	return json_string(buf);
}

/*
 * Adds @v to object @o under @key, or to array @o when @key is NULL. @v is always taken
 * (dropped when it cannot be added), and *@ok turns false at the first failure, after
 * which nothing more is added: a whole view is built and then checked once.
 */
static void ctl_put(bool *ok, json_t *o, const char *key, json_t *v)
{
	if (!*ok || o == NULL || v == NULL) {
		json_decref(v);
		*ok = false;
		return;
	}
	/* Both take @v's reference, also when they fail. */
	if ((key != NULL ? json_object_set_new(o, key, v) : json_array_append_new(o, v)) != 0)
		*ok = false;
}

/* An object whose construction failed somewhere is dropped whole. */
static json_t *ctl_done(json_t *o, bool ok)
{
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

uint64_t ctl_tenant_pool_size(const struct tenant *t)
{
	uint64_t n = 0;

	for (size_t s = 0; s < t->n_subnets; s++) {
		for (size_t p = 0; p < t->subnets[s].n_pools; p++)
			n += (uint64_t)t->subnets[s].pools[p].last - t->subnets[s].pools[p].first +
			     1;
	}
	return n;
}

/* --- The sections of a tenant's description --- */

/* A match key's octets: as text when all printable (circuit-ids usually are), else hex. */
static json_t *ctl_view_key(const struct tenant_key *k)
{
	char buf[3 * TENANT_KEY_MAX + 1];
	bool text = k->kind != TENANT_KEY_VSS && k->len > 0;
	size_t n = 0;

	for (size_t i = 0; text && i < k->len; i++)
		text = k->bytes[i] >= 0x20 && k->bytes[i] < 0x7f;
	if (text)
		return json_stringn((const char *)k->bytes, k->len);
	for (size_t i = 0; i < k->len && n + 4 <= sizeof(buf); i++)
		n +=
		    (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%02x", i ? ":" : "", k->bytes[i]);
	buf[n] = '\0';
	return json_string(buf);
}

/* The match lists of keys and prefixes, named as in a tenant file (docs/classification.md). */
static const char *const ctl_key_lists[TENANT_KEY__COUNT] = {
    [TENANT_KEY_VSS] = "vss",
    [TENANT_KEY_CIRCUIT_ID] = "circuit_ids",
    [TENANT_KEY_REMOTE_ID] = "remote_ids",
    [TENANT_KEY_CIRCUIT_ID_PREFIX] = "circuit_id_prefixes",
    [TENANT_KEY_REMOTE_ID_PREFIX] = "remote_id_prefixes",
};
static const char *const ctl_prefix_lists[TENANT_PREFIX__COUNT] = {
    [TENANT_PREFIX_RELAY] = "relay_prefixes",
    [TENANT_PREFIX_LINK] = "link_selection",
};

static json_t *ctl_tenant_match(const struct ctl_backend *b, const struct tenant *t)
{
	json_t *m = json_object(), *relays = json_array(), *vlans = json_array();
	bool ok = true;

	for (size_t i = 0; ok && i < t->match.n_relays; i++)
		ctl_put(&ok, relays, NULL, ctl_view_ipv4(t->match.relays[i]));
	for (size_t i = 0; ok && i < t->match.n_vlans; i++) {
		const struct tenant_vlan_key *k = &t->match.vlans[i];
		json_t *v = json_object();
		struct ctl_port_info port = {0};

		if (b->n_ports != NULL && k->port < b->n_ports(b->ctx))
			b->port(b->ctx, k->port, &port);
		ctl_put(&ok, v, "port", port.name != NULL ? json_string(port.name) : json_null());
		ctl_put(&ok, v, "port_index", json_integer(k->port));
		ctl_put(&ok, v, "vlan", json_integer(k->outer));
		ctl_put(&ok, v, "inner_vlan", json_integer(k->inner));
		ctl_put(&ok, vlans, NULL, v);
	}
	ctl_put(&ok, m, "relays", relays);
	ctl_put(&ok, m, "vlans", vlans);
	/* The other lists appear only when the tenant uses them. */
	for (size_t i = 0; ok && i < t->match.n_prefixes; i++) {
		const struct tenant_prefix *p = &t->match.prefixes[i];
		const char *list =
		    p->kind < TENANT_PREFIX__COUNT ? ctl_prefix_lists[p->kind] : NULL;

		if (list == NULL)
			continue;
		if (json_object_get(m, list) == NULL)
			ctl_put(&ok, m, list, json_array());
		ctl_put(&ok, json_object_get(m, list), NULL, ctl_view_prefix(p->addr, p->len));
	}
	for (size_t i = 0; ok && i < t->match.n_keys; i++) {
		const struct tenant_key *k = &t->match.keys[i];
		const char *list = k->kind < TENANT_KEY__COUNT ? ctl_key_lists[k->kind] : NULL;

		if (list == NULL)
			continue;
		if (json_object_get(m, list) == NULL)
			ctl_put(&ok, m, list, json_array());
		ctl_put(&ok, json_object_get(m, list), NULL, ctl_view_key(k));
	}
	ctl_put(&ok, m, "default", json_boolean(t->match.is_default));
	return ctl_done(m, ok);
}

static json_t *ctl_tenant_subnet(const struct tenant_subnet *sn)
{
	json_t *s = json_object(), *pools = json_array();
	bool ok = true;

	ctl_put(&ok, s, "subnet", ctl_view_prefix(sn->network, sn->prefix_len));
	ctl_put(&ok, s, "lease_time", json_integer(sn->times.default_time));
	ctl_put(&ok, s, "min_lease_time", json_integer(sn->times.min_time));
	ctl_put(&ok, s, "max_lease_time", json_integer(sn->times.max_time));
	for (size_t p = 0; ok && p < sn->n_pools; p++) {
		const struct tenant_pool *pool = &sn->pools[p];
		json_t *po = json_object();

		ctl_put(&ok, po, "first", ctl_view_ipv4(pool->first));
		ctl_put(&ok, po, "last", ctl_view_ipv4(pool->last));
		ctl_put(&ok, po, "size", json_integer((json_int_t)pool->last - pool->first + 1));
		ctl_put(&ok, pools, NULL, po);
	}
	ctl_put(&ok, s, "pools", pools);
	ctl_put(&ok, s, "reservations", json_integer((json_int_t)sn->n_reservations));
	return ctl_done(s, ok);
}

static json_t *ctl_tenant_subnets(const struct ctl_backend *b, const struct tenant *t)
{
	json_t *a = json_array();
	bool ok = true;

	(void)b;
	for (size_t i = 0; ok && i < t->n_subnets; i++)
		ctl_put(&ok, a, NULL, ctl_tenant_subnet(&t->subnets[i]));
	return ctl_done(a, ok);
}

static json_t *ctl_tenant_file(const struct ctl_backend *b, const struct tenant *t)
{
	(void)b;
	return t->file != NULL ? json_string(t->file) : json_null();
}

static json_t *ctl_tenant_db_id(const struct ctl_backend *b, const struct tenant *t)
{
	(void)b;
	return json_integer(t->db_id);
}

static json_t *ctl_tenant_server_address(const struct ctl_backend *b, const struct tenant *t)
{
	(void)b;
	return t->server_address != 0 ? ctl_view_ipv4(t->server_address) : json_null();
}

static json_t *ctl_tenant_authoritative(const struct ctl_backend *b, const struct tenant *t)
{
	(void)b;
	return json_boolean(t->authoritative);
}

static json_t *ctl_tenant_offer_time(const struct ctl_backend *b, const struct tenant *t)
{
	(void)b;
	return json_integer(t->offer_time);
}

static json_t *ctl_tenant_rapid_commit(const struct ctl_backend *b, const struct tenant *t)
{
	(void)b;
	return json_boolean(t->rapid_commit);
}

static json_t *ctl_tenant_decline_time(const struct ctl_backend *b, const struct tenant *t)
{
	(void)b;
	return json_integer(t->decline_time);
}

/* Per-tenant limits (docs/isolation.md); 0 means none. */
static json_t *ctl_tenant_limits(const struct ctl_backend *b, const struct tenant *t)
{
	(void)b;
	return json_pack("{s:I, s:I, s:I}", "max_leases", (json_int_t)t->limits.max_leases,
	                 "packets_per_second", (json_int_t)t->limits.packets_per_second, "burst",
	                 (json_int_t)t->limits.burst);
}

static const struct {
	const char *key;
	json_t *(*fn)(const struct ctl_backend *b, const struct tenant *t);
} ctl_tenant_sections[] = {
    {"db_id", ctl_tenant_db_id},
    {"file", ctl_tenant_file},
    {"match", ctl_tenant_match},
    {"server_address", ctl_tenant_server_address},
    {"authoritative", ctl_tenant_authoritative},
    {"offer_time", ctl_tenant_offer_time},
    {"rapid_commit", ctl_tenant_rapid_commit},
    {"decline_time", ctl_tenant_decline_time},
    {"limits", ctl_tenant_limits},
    {"subnets", ctl_tenant_subnets},
};

json_t *ctl_view_tenant(const struct ctl_backend *b, const struct tenant *t)
{
	json_t *o = json_object();
	bool ok = true;

	ctl_put(&ok, o, "name", json_string(t->name));
	for (size_t i = 0; ok && i < sizeof(ctl_tenant_sections) / sizeof(ctl_tenant_sections[0]);
	     i++)
		ctl_put(&ok, o, ctl_tenant_sections[i].key, ctl_tenant_sections[i].fn(b, t));
	return ctl_done(o, ok);
}

json_t *ctl_view_pool_use(const struct ctl_pool_use *use)
{
	json_t *o = json_object();
	/* One decimal is what a person reads; scripts have the two numbers. */
	double pct = use->size ? (double)(use->used * 1000 / use->size) / 10.0 : 0.0;
	bool ok = true;

	ctl_put(&ok, o, "size", json_integer((json_int_t)use->size));
	ctl_put(&ok, o, "used", json_integer((json_int_t)use->used));
	ctl_put(&ok, o, "use_percent", json_real(pct));
	ctl_put(&ok, o, "active_leases", json_integer((json_int_t)use->active));
	return ctl_done(o, ok);
}

json_t *ctl_view_counters(const struct tenant_counters *c)
{
	json_t *o = json_object();
	bool ok = true;

	for (size_t i = 0; ok && i < TC__COUNT; i++)
		ctl_put(&ok, o, tenant_counter_name((enum tenant_counter)i),
		        json_integer((json_int_t)c->v[i]));
	return ctl_done(o, ok);
}

json_t *ctl_view_port(const struct ctl_port_info *p)
{
	json_t *o = json_object(), *drops = json_object(), *classified = json_object();
	bool ok = true;

	ctl_put(&ok, o, "name", json_string(p->name != NULL ? p->name : ""));
	ctl_put(&ok, o, "address",
	        p->address ? ctl_view_prefix(p->address, p->prefix_len) : json_null());
	ctl_put(&ok, o, "rx", json_integer((json_int_t)p->rx));
	ctl_put(&ok, o, "tx", json_integer((json_int_t)p->tx));
	ctl_put(&ok, o, "tx_dropped", json_integer((json_int_t)p->tx_dropped));
	ctl_put(&ok, o, "arp_replies", json_integer((json_int_t)p->arp_replies));
	ctl_put(&ok, o, "icmp_replies", json_integer((json_int_t)p->icmp_replies));
	for (size_t i = 0; ok && i < p->n_drops; i++)
		ctl_put(&ok, drops, p->drops[i].name, json_integer((json_int_t)p->drops[i].value));
	ctl_put(&ok, o, "drops", drops);
	for (size_t i = 0; ok && i < p->n_classified; i++)
		ctl_put(&ok, classified, p->classified[i].name,
		        json_integer((json_int_t)p->classified[i].value));
	ctl_put(&ok, o, "classified", classified);
	ctl_put(&ok, o, "relay_info_ignored", json_integer((json_int_t)p->relay_info_ignored));
	return ctl_done(o, ok);
}

json_t *ctl_view_store(const struct lease_store_stats *s)
{
	json_t *o = json_object();
	const struct ctl_counter c[] = {
	    {"submitted", s->submitted},       {"rejected_full", s->rejected_full},
	    {"committed", s->committed},       {"failed", s->failed},
	    {"transactions", s->transactions}, {"events", s->events},
	    {"expired", s->expired},           {"pruned", s->pruned},
	    {"maint_runs", s->maint_runs},     {"maint_failed", s->maint_failed},
	};
	bool ok = true;

	for (size_t i = 0; ok && i < sizeof(c) / sizeof(c[0]); i++)
		ctl_put(&ok, o, c[i].name, json_integer((json_int_t)c[i].value));
	return ctl_done(o, ok);
}

/*
 * @num * @scale / @den to one decimal, 0 when @den is 0: the cycles per frame and the busy
 * share are read by people; scripts have the counts they come from.
 */
static double ctl_ratio(uint64_t num, uint64_t den, double scale)
{
	if (den == 0)
		return 0.0;
	return (double)(uint64_t)((double)num * scale * 10.0 / (double)den + 0.5) / 10.0;
}

static json_t *ctl_view_stage(const struct ctl_lcore_stage *st, uint64_t frames)
{
	json_t *o = json_object();
	bool ok = true;

	ctl_put(&ok, o, "cycles", json_integer((json_int_t)st->cycles));
	ctl_put(&ok, o, "items", json_integer((json_int_t)st->items));
	ctl_put(&ok, o, "cycles_per_frame", json_real(ctl_ratio(st->cycles, frames, 1.0)));
	ctl_put(&ok, o, "cycles_per_item", json_real(ctl_ratio(st->cycles, st->items, 1.0)));
	return ctl_done(o, ok);
}

json_t *ctl_view_lcore(const struct ctl_lcore_info *l)
{
	json_t *o = json_object(), *stages = json_object();
	/* The lcores start a moment after the clock of running_cycles: never over 100. */
	double busy = ctl_ratio(l->busy_cycles, l->running_cycles, 100.0);
	bool ok = true;

	ctl_put(&ok, o, "index", json_integer(l->index));
	ctl_put(&ok, o, "lcore_id", json_integer(l->lcore_id));
	ctl_put(&ok, o, "tenants", json_integer((json_int_t)l->tenants));
	ctl_put(&ok, o, "tsc_hz", json_integer((json_int_t)l->tsc_hz));
	ctl_put(&ok, o, "frames", json_integer((json_int_t)l->frames));
	ctl_put(&ok, o, "busy_cycles", json_integer((json_int_t)l->busy_cycles));
	ctl_put(&ok, o, "busy_loops", json_integer((json_int_t)l->busy_loops));
	ctl_put(&ok, o, "running_cycles", json_integer((json_int_t)l->running_cycles));
	ctl_put(&ok, o, "busy_percent", json_real(busy > 100.0 ? 100.0 : busy));
	ctl_put(&ok, o, "cycles_per_frame", json_real(ctl_ratio(l->busy_cycles, l->frames, 1.0)));
	for (size_t i = 0; ok && i < l->n_stages && i < CTL_LCORE_STAGES_MAX; i++)
		ctl_put(&ok, stages, l->stages[i].name != NULL ? l->stages[i].name : "?",
		        ctl_view_stage(&l->stages[i], l->frames));
	ctl_put(&ok, o, "stages", stages);
	ctl_put(&ok, o, "handoff_out", json_integer((json_int_t)l->handoff_out));
	ctl_put(&ok, o, "handoff_in", json_integer((json_int_t)l->handoff_in));
	ctl_put(&ok, o, "handoff_full", json_integer((json_int_t)l->handoff_full));
	ctl_put(&ok, o, "yields", json_integer((json_int_t)l->yields));
	return ctl_done(o, ok);
}
