/*
 * The server's answer to each message type (RFC 2131 section 4.3), for one tenant.
 */
#include <string.h>

#include "dhcp_instance.h"

#define RELAY_SUBOPT_CIRCUIT_ID 1
#define RELAY_SUBOPT_REMOTE_ID 2

/* Is @addr on the client's network: in the subnet named by its link address? */
static const struct tenant_subnet *client_subnet(const struct tenant *t, const struct dhcp_req *req)
{
	const struct tenant_subnet *sn = tenant_subnet_of(t, req->link_addr);
	/*
	 * A relay whose own address is in none of the tenant's subnets serves all of them as
	 * one shared network.
	 */
	if (!sn && t->n_subnets == 1)
		sn = &t->subnets[0];
	return sn;
}

static bool addr_on_network(const struct tenant *t, const struct tenant_subnet *sn, uint32_t addr)
{
	if (sn)
		return (addr & sn->mask) == sn->network;
	return tenant_subnet_of(t, addr) != NULL;
}

/* RFC 2131 4.3.1: the requested lease time, within the configured bounds. */
static uint32_t grant_time(const struct tenant_subnet *sn, const struct dhcp_msg *msg)
{
	uint32_t want;
	if (!dhcp_msg_opt_u32(msg, DHCP_OPT_LEASE_TIME, &want))
		return sn->times.default_time;
	if (want < sn->times.min_time)
		return sn->times.min_time;
	if (want > sn->times.max_time)
		return sn->times.max_time;
	return want;
}

static void send_nak(struct dhcp_engine *e, struct dhcp_instance *in)
{
	struct dhcp_answer ans = {.type = DHCPNAK};
	dhcp_engine_send(e, in, &e->req, &ans);
}

/*
 * An address for a DISCOVER (RFC 2131 4.3.1): the client's current or last binding, else
 * the address it asks for, else a free one from the pools of its network.
 */
static uint32_t choose_offer(struct dhcp_engine *e, struct dhcp_instance *in,
			     const struct tenant_subnet *sn, int64_t now)
{
	const struct tenant *t = in->tenant;
	struct pool_set *ps = &in->pools;
	uint64_t client = e->req.client;

	uint32_t held = pool_client_addr(ps, client);
	if (held && addr_on_network(t, sn, held))
		return held;

	uint32_t want;
	if (dhcp_msg_opt_ip(&e->msg, DHCP_OPT_REQUESTED_IP, &want) && addr_on_network(t, sn, want) &&
	    pool_available(ps, want, client, (uint32_t)now))
		return want;

	int subnet = sn ? (int)(sn - t->subnets) : -1;
	uint32_t addr = pool_find_free(ps, subnet);
	if (addr == 0 && now - in->last_full_sweep >= 1) {
		/*
		 * Offers and leases that ran out are normally freed by the periodic sweep; when
		 * the pools look full, sweep them all at once (at most once a second).
		 */
		in->last_full_sweep = now;
		pool_sweep(ps, (uint32_t)now, ps->size, NULL, NULL);
		addr = pool_find_free(ps, subnet);
	}
	return addr;
}

void dhcp_server_discover(struct dhcp_engine *e, struct dhcp_instance *in, int64_t now)
{
	const struct tenant *t = in->tenant;
	const struct tenant_subnet *sn = client_subnet(t, &e->req);
	uint32_t addr = choose_offer(e, in, sn, now);
	if (addr == 0) {
		in->counters.v[TC_DROP_POOL_EXHAUSTED]++;
		if (!in->exhausted) {
			in->exhausted = true;
			log_warn("tenant %s: no free address for a DHCPDISCOVER (%zu of %zu in use); "
				 "further misses are only counted",
				 t->name, in->pools.used, in->pools.size);
		}
		return;
	}
	if (in->exhausted) {
		in->exhausted = false;
		log_info("tenant %s: addresses available again", t->name);
	}
	const struct tenant_subnet *asn = tenant_subnet_of(t, addr);
	struct pool_slot *slot = pool_slot(&in->pools, addr);
	/* An offer never demotes a binding or a commit in flight. */
	if (slot->state != POOL_BOUND && slot->state != POOL_PENDING)
		pool_assign(&in->pools, addr, POOL_OFFERED, e->req.client,
			    (uint32_t)now + t->offer_time);
	struct dhcp_answer ans = {
		.type = DHCPOFFER,
		.yiaddr = addr,
		.lease_time = grant_time(asn, &e->msg),
		.subnet = asn,
	};
	dhcp_engine_send(e, in, &e->req, &ans);
}

static uint8_t relay_subopt(const struct dhcp_req *req, uint8_t code, uint8_t *out, size_t cap)
{
	size_t i = 0;
	while (i + 2 <= req->relay_len) {
		uint8_t c = req->relay[i], l = req->relay[i + 1];
		if (i + 2 + l > req->relay_len)
			return 0;
		if (c == code) {
			size_t n = l < cap ? l : cap;
			memcpy(out, &req->relay[i + 2], n);
			return (uint8_t)n;
		}
		i += 2 + (size_t)l;
	}
	return 0;
}

static void fill_record(struct lease_record *rec, const struct dhcp_req *req, uint32_t tenant_id,
			uint32_t addr, int64_t now, uint32_t lease_time)
{
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
	rec->circuit_id_len = relay_subopt(req, RELAY_SUBOPT_CIRCUIT_ID, rec->circuit_id,
					   sizeof(rec->circuit_id));
	rec->remote_id_len = relay_subopt(req, RELAY_SUBOPT_REMOTE_ID, rec->remote_id,
					  sizeof(rec->remote_id));
	rec->port = req->path.port;
	rec->vlan_outer = req->path.outer_tpid ? (req->path.outer_tci & 0xfff) : 0;
	rec->vlan_inner = req->path.inner_tpid ? (req->path.inner_tci & 0xfff) : 0;
}

/*
 * Commits a binding of @addr to the requesting client; its ACK goes out from
 * dhcp_engine_poll once the row is in the database (RFC 2131 3.1 step 4).
 */
static void bind(struct dhcp_engine *e, struct dhcp_instance *in, uint32_t addr, int64_t now)
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
	pd->req = e->req;
	pd->inst = in;
	pd->subnet = sn;
	pd->yiaddr = addr;
	pd->lease_time = grant_time(sn, &e->msg);
	pd->expires = (uint32_t)now + pd->lease_time;
	bool renewal = slot->state == POOL_BOUND && slot->client == e->req.client;
	pd->prev_state = renewal ? POOL_BOUND : POOL_OFFERED;
	pd->prev_expires = slot->expires;

	struct lease_change *ch = &e->change;
	ch->op = renewal ? LEASE_OP_RENEW : LEASE_OP_BIND;
	ch->owner = e->p.owner;
	ch->cookie = cookie;
	fill_record(&ch->rec, &e->req, t->db_id, addr, now, pd->lease_time);
	if (lease_store_submit(e->p.store, ch) != 0) {
		/* Never an ACK without its row: drop, and let the client retransmit. */
		in->counters.v[TC_DROP_QUEUE_FULL]++;
		return;
	}
	e->n_pending_free--;
	pd->in_use = true;
	pool_assign(&in->pools, addr, POOL_PENDING, e->req.client, slot->expires);
}

void dhcp_server_request(struct dhcp_engine *e, struct dhcp_instance *in, int64_t now)
{
	const struct tenant *t = in->tenant;
	struct pool_set *ps = &in->pools;
	const struct dhcp_req *req = &e->req;
	const struct tenant_subnet *sn = client_subnet(t, req);
	uint32_t server_id = 0, requested = 0;
	bool has_sid = dhcp_msg_opt_ip(&e->msg, DHCP_OPT_SERVER_ID, &server_id);
	bool has_req = dhcp_msg_opt_ip(&e->msg, DHCP_OPT_REQUESTED_IP, &requested);

	if (has_sid) {
		/* SELECTING (4.3.2): the client answers one of the offers it received. */
		if (server_id != req->path.local_ip) {
			/* It chose another server: our offer is free again; no reply. */
			uint32_t held = pool_client_addr(ps, req->client);
			struct pool_slot *s = held ? pool_slot(ps, held) : NULL;
			if (s && s->state == POOL_OFFERED)
				pool_release(ps, held);
			in->counters.v[TC_DROP_NOT_FOR_US]++;
			return;
		}
		if (!has_req || !addr_on_network(t, sn, requested) ||
		    !pool_available(ps, requested, req->client, (uint32_t)now)) {
			send_nak(e, in);
			return;
		}
		bind(e, in, requested, now);
		return;
	}

	if (has_req) {
		/*
		 * INIT-REBOOT (4.3.2): the client checks an address it remembers. The wrong
		 * network or someone else's address gets a NAK from an authoritative server;
		 * a server that is not authoritative stays silent.
		 */
		if (addr_on_network(t, sn, requested) &&
		    pool_available(ps, requested, req->client, (uint32_t)now)) {
			bind(e, in, requested, now);
			return;
		}
		if (t->authoritative)
			send_nak(e, in);
		return;
	}

	if (req->ciaddr) {
		/* RENEWING (unicast) or REBINDING (broadcast): extend the client's lease. */
		if (addr_on_network(t, sn, req->ciaddr) &&
		    pool_available(ps, req->ciaddr, req->client, (uint32_t)now)) {
			bind(e, in, req->ciaddr, now);
			return;
		}
		if (t->authoritative)
			send_nak(e, in);
		return;
	}

	/* Neither ciaddr nor a requested address: there is nothing to acknowledge. */
	send_nak(e, in);
}

void dhcp_server_release(struct dhcp_engine *e, struct dhcp_instance *in, int64_t now)
{
	const struct dhcp_req *req = &e->req;
	struct pool_slot *slot = pool_slot(&in->pools, req->ciaddr);
	uint32_t server_id;
	bool other_server = dhcp_msg_opt_ip(&e->msg, DHCP_OPT_SERVER_ID, &server_id) &&
			    server_id != req->path.local_ip;
	/* RFC 2131 4.3.4: only the lease's own client releases it. */
	if (!slot || slot->state != POOL_BOUND || slot->client != req->client || other_server) {
		in->counters.v[TC_DROP_NOT_FOR_US]++;
		return;
	}
	pool_release(&in->pools, req->ciaddr);

	struct lease_change *ch = &e->change;
	memset(&ch->rec, 0, sizeof(ch->rec));
	ch->op = LEASE_OP_RELEASE;
	ch->owner = e->p.owner;
	ch->cookie = DHCP_COOKIE_NO_REPLY;
	fill_record(&ch->rec, req, in->tenant->db_id, req->ciaddr, now, 0);
	ch->rec.state = LEASE_STATE_RELEASED;
	if (lease_store_submit(e->p.store, ch) != 0)
		in->counters.v[TC_DROP_QUEUE_FULL]++;
}
