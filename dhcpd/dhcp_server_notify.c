/*
 * The messages a client sends about an address rather than to get one: DHCPDECLINE
 * (RFC 2131 4.3.3: it is in use by someone else), DHCPRELEASE (4.3.4: the client is done
 * with it) and DHCPINFORM (4.3.5: the client has an address and wants its options).
 */
#include "dhcp_server.h"

#include <arpa/inet.h>
#include <stdio.h>

/* A lease change that only moves the row's state (RELEASE, DECLINE). */
static void submit_state(struct dhcp_engine *e, struct dhcp_instance *in, enum lease_op op,
                         enum lease_state state, uint32_t addr, int64_t now, uint32_t end_in)
{
	struct lease_change *ch = &e->change;

	ch->op = op;
	ch->owner = e->p.owner;
	ch->cookie = DHCP_COOKIE_NO_REPLY;
	dhcp_server_record(&ch->rec, &e->req, in->tenant->db_id, addr, now, end_in);
	ch->rec.state = state;
	if (lease_store_submit(e->p.store, ch) != 0)
		in->counters.v[TC_DROP_QUEUE_FULL]++;
}

/* True when the message names another server (it is not for us). */
static bool other_server(const struct dhcp_req *req)
{
	return req->has_server_id && req->server_id != dhcp_req_server_id(req) &&
	       req->server_id != req->path.local_ip;
}

void dhcp_server_decline(struct dhcp_engine *e, struct dhcp_instance *in, int64_t now)
{
	const struct dhcp_req *req = &e->req;
	const struct tenant *t = in->tenant;
	uint32_t addr = req->requested_ip;

	/* 4.3.3 and table 5: the declined address is in option 50, and 54 names the server. */
	if (other_server(req)) {
		in->counters.v[TC_DROP_NOT_FOR_US]++;
		return;
	}
	/*
	 * Only the client that holds the address may decline it: anyone else could otherwise
	 * take any address out of service for a day with one forged message.
	 */
	struct pool_slot *slot = req->has_requested_ip ? pool_slot(&in->pools, addr) : NULL;
	if (!slot || slot->state != POOL_BOUND || slot->client != req->client) {
		in->counters.v[TC_DROP_DECLINE_NOT_HOLDER]++;
		return;
	}
	/*
	 * "the server MUST mark the network address as not available and SHOULD notify the
	 * local system administrator of a possible configuration problem". Nobody holds it
	 * while quarantined, so the client is free to get another address at once.
	 */
	uint32_t quarantine = t->decline_time ? t->decline_time : DHCP_DEFAULT_DECLINE_TIME;
	pool_assign(&in->pools, addr, POOL_DECLINED, 0, (uint32_t)now + quarantine);
	submit_state(e, in, LEASE_OP_DECLINE, LEASE_STATE_DECLINED, addr, now, quarantine);
	in->counters.v[TC_DECLINED]++;

	uint64_t suppressed;
	if (log_ratelimit_ok(&in->decline_log, now, 10, &suppressed)) {
		struct in_addr a = {htonl(addr)};
		char text[INET_ADDRSTRLEN], more[64] = "";
		inet_ntop(AF_INET, &a, text, sizeof(text));
		if (suppressed)
			snprintf(more, sizeof(more), " (%llu more declines suppressed)",
			         (unsigned long long)suppressed);
		log_warn("tenant %s: %s was declined by its client (another host uses it?); not "
		         "offered for %u s%s",
		         t->name, text, quarantine, more);
	}
}

void dhcp_server_release(struct dhcp_engine *e, struct dhcp_instance *in, int64_t now)
{
	const struct dhcp_req *req = &e->req;
	struct pool_slot *slot = pool_slot(&in->pools, req->ciaddr);

	/* Table 5: option 54 names the server the RELEASE is for. */
	if (other_server(req)) {
		in->counters.v[TC_DROP_NOT_FOR_US]++;
		return;
	}
	/*
	 * RFC 2131 4.3.4: only the lease's own client releases it, named by ciaddr. Anyone
	 * else's RELEASE (a forgery, or a confused client) is counted apart, so that an
	 * operator can see someone trying to free other clients' addresses.
	 */
	if (!slot || slot->state != POOL_BOUND || slot->client != req->client) {
		in->counters.v[TC_DROP_RELEASE_NOT_HOLDER]++;
		return;
	}
	pool_release(&in->pools, req->ciaddr);
	submit_state(e, in, LEASE_OP_RELEASE, LEASE_STATE_RELEASED, req->ciaddr, now, 0);
}

void dhcp_server_inform(struct dhcp_engine *e, struct dhcp_instance *in, int64_t now)
{
	(void)now;
	const struct dhcp_req *req = &e->req;
	const struct tenant *t = in->tenant;
	uint32_t addr = req->ciaddr ? req->ciaddr : req->path.src_ip;

	/*
	 * 4.3.5: the client has its address already; its options are those of the subnet
	 * (and pool, or reservation) that address is in. The server "MUST NOT check for an
	 * existing lease".
	 */
	const struct tenant_subnet *sn = tenant_subnet_of(t, addr);
	if (!sn)
		sn = dhcp_server_link(t, req);
	if (!sn) {
		in->counters.v[TC_DROP_NO_SUBNET]++;
		return;
	}
	const struct tenant_reservation *res = dhcp_server_reservation(in, req, sn);
	struct dhcp_answer ans = {
	    .type = DHCPACK,
	    .subnet = sn,
	    .opts = dhcp_server_options(sn, res, addr),
	    .inform = true,
	};
	dhcp_engine_send(e, in, req, &ans);
}
