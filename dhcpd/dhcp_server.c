/*
 * The server's answer to a DHCPDISCOVER (RFC 2131 4.3.1, RFC 4039), and what every
 * handler shares: the client's network, its reservation, its options and lease time,
 * NAKs, and the commit that precedes an ACK. DHCPREQUEST is in dhcp_server_request.c;
 * DHCPDECLINE, DHCPRELEASE and DHCPINFORM in dhcp_server_notify.c.
 */
#include "dhcp_server.h"

#include <stdio.h>
#include <string.h>

const struct tenant_subnet *dhcp_server_link(const struct tenant *t, const struct dhcp_req *req)
{
	const struct tenant_subnet *sn = tenant_subnet_of(t, req->link_addr);

	/*
	 * RFC 3011 3 and RFC 3527 4: a subnet named explicitly must be one the server has;
	 * it never falls back to giaddr.
	 */
	if (!sn && t->n_subnets == 1 &&
	    (req->link_source == DHCP_LINK_GIADDR || req->link_source == DHCP_LINK_LOCAL))
		sn = &t->subnets[0];
	return sn;
}

bool dhcp_server_on_network(const struct tenant *t, const struct tenant_subnet *link, uint32_t addr)
{
	const struct tenant_subnet *sn = tenant_subnet_of(t, addr);

	return sn && link && sn->network_id == link->network_id;
}

const struct tenant_reservation *dhcp_server_reservation(const struct dhcp_instance *in,
                                                         const struct dhcp_req *req,
                                                         const struct tenant_subnet *link)
{
	const struct tenant *t = in->tenant;
	const struct tenant_reservation *res = NULL;
	uint16_t sn;

	/* The client's own identity first (RFC 2131 4.2), then where it is plugged in. */
	if (req->client_id_len)
		res = pool_reservation(&in->pools, TENANT_RES_CLIENT_ID, req->client_id,
		                       req->client_id_len, &sn);
	if (!res && req->htype == 1)
		res = pool_reservation(&in->pools, TENANT_RES_HWADDR, req->chaddr, req->hlen, &sn);
	if (!res && req->circuit_id_len)
		res = pool_reservation(&in->pools, TENANT_RES_CIRCUIT_ID,
		                       req->relay + req->circuit_id_off, req->circuit_id_len, &sn);
	/* A reservation on another network of the tenant does not apply here. */
	if (res && (!link || t->subnets[sn].network_id != link->network_id))
		return NULL;
	return res;
}

const struct optset *dhcp_server_options(const struct tenant_subnet *sn,
                                         const struct tenant_reservation *res, uint32_t addr)
{
	if (res && res->address == addr)
		return &res->options;
	/* A subnet has a handful of pools: a scan costs less than any index. */
	for (size_t i = 0; sn && sn->pool_options && i < sn->n_pools; i++)
		if (addr >= sn->pools[i].first && addr <= sn->pools[i].last)
			return &sn->pool_options[i];
	return sn ? &sn->options : NULL;
}

uint32_t dhcp_server_lease_time(const struct tenant_subnet *sn, const struct dhcp_req *req)
{
	if (!req->has_lease_time)
		return sn->times.default_time;
	if (req->lease_time < sn->times.min_time)
		return sn->times.min_time;
	if (req->lease_time > sn->times.max_time)
		return sn->times.max_time;
	return req->lease_time;
}

void dhcp_server_nak(struct dhcp_engine *e, struct dhcp_instance *in, const char *message)
{
	struct dhcp_answer ans = {.type = DHCPNAK, .message = message};
	dhcp_engine_send(e, in, &e->req, &ans);
}

void dhcp_server_record(struct lease_record *rec, const struct dhcp_req *req, uint32_t tenant_id,
                        uint32_t addr, int64_t now, uint32_t lease_time)
{
	memset(rec, 0, sizeof(*rec));
	rec->tenant_id = tenant_id;
	rec->address = addr;
	rec->state = LEASE_STATE_ACTIVE;
	rec->start_time = now;
	rec->end_time = now + lease_time;
	rec->cltt = now;
	rec->hwtype = req->htype;
	rec->hwlen = req->hlen;
	memcpy(rec->hwaddr, req->chaddr, DHCP_CHADDR_LEN);
	rec->client_id_len = req->client_id_len;
	memcpy(rec->client_id, req->client_id, req->client_id_len);
	rec->hostname_len = req->hostname_len;
	memcpy(rec->hostname, req->hostname, req->hostname_len);
	rec->giaddr = req->giaddr;
	rec->circuit_id_len = req->circuit_id_len;
	memcpy(rec->circuit_id, req->relay + req->circuit_id_off, req->circuit_id_len);
	rec->remote_id_len = req->remote_id_len;
	memcpy(rec->remote_id, req->relay + req->remote_id_off, req->remote_id_len);
	rec->port = req->path.port;
	rec->vlan_outer = req->path.outer_tpid ? (req->path.outer_tci & 0xfff) : 0;
	rec->vlan_inner = req->path.inner_tpid ? (req->path.inner_tci & 0xfff) : 0;
}

void dhcp_server_bind(struct dhcp_engine *e, struct dhcp_instance *in, uint32_t addr,
                      const struct optset *opts, int64_t now)
{
	const struct tenant *t = in->tenant;
	struct pool_slot *slot = pool_slot(&in->pools, addr);
	if (slot->state == POOL_PENDING && slot->client == e->req.client) {
		/* A retransmission: the ACK follows the first copy's commit. */
		in->counters.v[TC_DROP_PENDING]++;
		return;
	}
	if (e->n_pending_free == 0) {
		in->counters.v[TC_DROP_QUEUE_FULL]++;
		return;
	}
	const struct tenant_subnet *sn = tenant_subnet_of(t, addr);
	uint32_t cookie = e->pending_free[e->n_pending_free - 1];
	struct dhcp_pending *pd = &e->pending[cookie];
	e->req.opts = opts;
	pd->req = e->req;
	pd->inst = in;
	pd->subnet = sn;
	pd->yiaddr = addr;
	pd->lease_time = dhcp_server_lease_time(sn, &e->req);
	pd->expires = (uint32_t)now + pd->lease_time;
	bool renewal = slot->state == POOL_BOUND && slot->client == e->req.client;
	pd->prev_state = renewal ? POOL_BOUND : POOL_OFFERED;
	pd->prev_expires = slot->expires;

	struct lease_change *ch = &e->change;
	ch->op = renewal ? LEASE_OP_RENEW : LEASE_OP_BIND;
	ch->owner = e->p.owner;
	ch->cookie = cookie;
	dhcp_server_record(&ch->rec, &e->req, t->db_id, addr, now, pd->lease_time);
	if (lease_store_submit(e->p.store, ch) != 0) {
		/* Never an ACK without its row: drop, and let the client retransmit. */
		in->counters.v[TC_DROP_QUEUE_FULL]++;
		return;
	}
	e->n_pending_free--;
	pd->in_use = true;
	pool_assign(&in->pools, addr, POOL_PENDING, e->req.client, slot->expires);
}

/*
 * A free address on the client's network: its link's subnet first, then the other
 * subnets of the same shared network in configuration order, so that one exhausted
 * subnet does not stop the allocation.
 */
static uint32_t find_free(struct pool_set *ps, const struct tenant *t,
                          const struct tenant_subnet *link)
{
	uint32_t addr = pool_find_free(ps, (int)(link - t->subnets));
	for (size_t i = 0; addr == 0 && i < t->n_subnets; i++) {
		const struct tenant_subnet *sn = &t->subnets[i];
		if (sn != link && sn->network_id == link->network_id)
			addr = pool_find_free(ps, (int)i);
	}
	return addr;
}

/*
 * An address for a DISCOVER (RFC 2131 4.3.1): the client's reservation, else its current
 * or last binding, else the address it asks for, else a free one on its network.
 */
static uint32_t choose_offer(struct dhcp_engine *e, struct dhcp_instance *in,
                             const struct tenant_subnet *link, const struct tenant_reservation *res,
                             int64_t now)
{
	const struct tenant *t = in->tenant;
	struct pool_set *ps = &in->pools;
	const struct dhcp_req *req = &e->req;
	uint64_t client = req->client;

	if (res && pool_available_reserved(ps, res->address, client, (uint32_t)now))
		return res->address;

	uint32_t held = pool_client_addr(ps, client);
	if (held && dhcp_server_on_network(t, link, held) &&
	    pool_available(ps, held, client, (uint32_t)now))
		return held;

	if (req->has_requested_ip && dhcp_server_on_network(t, link, req->requested_ip) &&
	    pool_available(ps, req->requested_ip, client, (uint32_t)now))
		return req->requested_ip;

	uint32_t addr = find_free(ps, t, link);
	if (addr == 0 && now - in->last_full_sweep >= 1) {
		/*
		 * Offers and leases that ran out are normally freed by the periodic sweep; when
		 * the pools look full, sweep them all at once (at most once a second).
		 */
		in->last_full_sweep = now;
		pool_sweep(ps, (uint32_t)now, ps->size + ps->n_fixed, NULL, NULL);
		addr = find_free(ps, t, link);
	}
	return addr;
}

void dhcp_server_discover(struct dhcp_engine *e, struct dhcp_instance *in, int64_t now)
{
	const struct tenant *t = in->tenant;
	const struct tenant_subnet *link = dhcp_server_link(t, &e->req);
	if (!link) {
		in->counters.v[TC_DROP_NO_SUBNET]++;
		return;
	}
	/* Isolation (issue 4): at its max_leases a tenant offers nothing to a new client. */
	if (dhcp_limits_lease_cap(in, e->req.client, now))
		return;
	const struct tenant_reservation *res = dhcp_server_reservation(in, &e->req, link);
	uint32_t addr = choose_offer(e, in, link, res, now);
	/*
	 * The warning is logged once per episode, and at most once per
	 * DHCP_STATE_LOG_INTERVAL_S: a tenant whose pools hover at full runs out again each
	 * time an address turns over. Misses while no warning stands are counted by the rate
	 * limit and reported with the next warning; the recovery is logged only after a
	 * warning, so that the two always pair up.
	 */
	uint64_t missed;
	if (addr == 0) {
		in->counters.v[TC_DROP_POOL_EXHAUSTED]++;
		if (!in->exhausted &&
		    log_ratelimit_ok(&in->exhausted_log, now, DHCP_STATE_LOG_INTERVAL_S, &missed)) {
			char more[64] = "";
			if (missed)
				snprintf(more, sizeof(more), " (%llu more since the last report)",
				         (unsigned long long)missed);
			in->exhausted = true;
			log_warn(
			    "tenant %s: no free address for a DHCPDISCOVER%s (%zu of %zu in use); "
			    "further misses are only counted",
			    t->name, more, in->pools.used, in->pools.size);
		}
		return;
	}
	if (in->exhausted) {
		in->exhausted = false;
		log_info("tenant %s: addresses available again", t->name);
	}
	const struct tenant_subnet *asn = tenant_subnet_of(t, addr);
	const struct optset *opts = dhcp_server_options(asn, res, addr);

	/*
	 * RFC 4039 4: a server configured for rapid commit answers a DISCOVER that carries
	 * option 80 with an ACK (with option 80), committing the lease first like any ACK.
	 */
	if (t->rapid_commit && e->req.rapid_commit) {
		dhcp_server_bind(e, in, addr, opts, now);
		return;
	}

	struct pool_slot *slot = pool_slot(&in->pools, addr);
	/* An offer never demotes a binding or a commit in flight. */
	if (slot->state != POOL_BOUND && slot->state != POOL_PENDING)
		pool_assign(&in->pools, addr, POOL_OFFERED, e->req.client,
		            (uint32_t)now + t->offer_time);
	struct dhcp_answer ans = {
	    .type = DHCPOFFER,
	    .yiaddr = addr,
	    .lease_time = dhcp_server_lease_time(asn, &e->req),
	    .subnet = asn,
	    .opts = opts,
	};
	dhcp_engine_send(e, in, &e->req, &ans);
}

enum tenant_counter dhcp_server_parse_counter(enum dhcp_parse_error err)
{
	switch (err) {
	case DHCP_PARSE_SHORT:
		return TC_DROP_SHORT;
	case DHCP_PARSE_TOO_LONG:
		return TC_DROP_TOO_LONG;
	case DHCP_PARSE_NOT_REQUEST:
		return TC_DROP_NOT_REQUEST;
	case DHCP_PARSE_BAD_HLEN:
		return TC_DROP_BAD_HLEN;
	case DHCP_PARSE_NO_COOKIE:
		return TC_DROP_NO_COOKIE;
	case DHCP_PARSE_NO_TYPE:
		return TC_DROP_NO_TYPE;
	case DHCP_PARSE_BAD_HOPS:
		return TC_DROP_BAD_HOPS;
	default:
		return TC_DROP_BAD_OPTION;
	}
}
