/*
 * The server's answer to a DHCPREQUEST (RFC 2131 4.3.2), by the state the client is in:
 * SELECTING (it names a server), RENEWING or REBINDING (it has an address: ciaddr),
 * INIT-REBOOT (it asks for an address it remembers). A client that gives neither an
 * address nor a server has nothing to acknowledge and is told so (NAK).
 */
#include "dhcp_server.h"

/* What the server knows about the requesting client and the address it wants. */
struct request_ctx {
	const struct tenant *t;
	const struct tenant_subnet *link;
	const struct tenant_reservation *res;
	uint32_t addr;
	uint32_t held; /* the address the client holds a binding (or a commit) for, or 0 */
};

/* The client's binding, if it has one: an offer is not a "record" of a lease. */
static uint32_t held_binding(const struct pool_set *ps, uint64_t client)
{
	uint32_t held = pool_client_addr(ps, client);
	const struct pool_slot *s = held ? pool_slot(ps, held) : NULL;

	if (!s || (s->state != POOL_BOUND && s->state != POOL_PENDING))
		return 0;
	return held;
}

/* True when @x->addr may be bound to the client now. */
static bool grantable(const struct dhcp_instance *in, const struct request_ctx *x, uint64_t client,
                      int64_t now)
{
	if (x->res && x->res->address == x->addr)
		return pool_available_reserved(&in->pools, x->addr, client, (uint32_t)now);
	return pool_available(&in->pools, x->addr, client, (uint32_t)now);
}

static void bind_addr(struct dhcp_engine *e, struct dhcp_instance *in, const struct request_ctx *x,
                      int64_t now)
{
	const struct tenant_subnet *sn = tenant_subnet_of(x->t, x->addr);

	dhcp_server_bind(e, in, x->addr, dhcp_server_options(sn, x->res, x->addr), now);
}

/*
 * SELECTING (4.3.2): "'server identifier' MUST be set", "'requested IP address' MUST be
 * filled in with the yiaddr value from the chosen DHCPOFFER".
 */
static void request_selecting(struct dhcp_engine *e, struct dhcp_instance *in,
                              struct request_ctx *x, int64_t now)
{
	const struct dhcp_req *req = &e->req;
	struct pool_set *ps = &in->pools;

	/*
	 * "If the DHCPREQUEST message contains a 'server identifier' option, the message is
	 * in response to a DHCPOFFER message. Otherwise, the message is a request to verify
	 * or extend an existing lease." A server identifier that is not ours (nor the RFC
	 * 5107 override the relay gave the client) means the client took another server's
	 * offer: ours is free again, and nothing is sent.
	 */
	if (req->server_id != dhcp_req_server_id(req) && req->server_id != req->path.local_ip) {
		uint32_t held = pool_client_addr(ps, req->client);
		struct pool_slot *s = held ? pool_slot(ps, held) : NULL;
		if (s && s->state == POOL_OFFERED)
			pool_release(ps, held);
		in->counters.v[TC_DROP_NOT_FOR_US]++;
		return;
	}
	in->counters.v[TC_REQ_SELECTING]++;
	x->addr = req->requested_ip;
	if (!req->has_requested_ip) {
		dhcp_server_nak(e, in, "no requested address");
		return;
	}
	if (!dhcp_server_on_network(x->t, x->link, x->addr)) {
		dhcp_server_nak(e, in, "wrong network");
		return;
	}
	/* The offer named the client's reservation; another address is not what we offered. */
	if ((x->res && x->res->address != x->addr) || !grantable(in, x, req->client, now)) {
		dhcp_server_nak(e, in, "address not available");
		return;
	}
	bind_addr(e, in, x, now);
}

/*
 * The decision for INIT-REBOOT, RENEWING and REBINDING, once the address is known to be
 * on the client's network. RFC 2131 4.3.2: a client whose notion of its address is wrong
 * gets a NAK; "if the DHCP server has no record of this client, then it MUST remain
 * silent" so that servers that do not talk to each other can share a network. An
 * authoritative tenant has no other server: its lease database is the record, so an
 * address that is free for the client is granted, and anything else is refused at once.
 */
static void request_verify(struct dhcp_engine *e, struct dhcp_instance *in,
                           const struct request_ctx *x, int64_t now)
{
	const struct dhcp_req *req = &e->req;
	bool authoritative = x->t->authoritative;

	if (x->held == x->addr) {
		/* Our binding: extend or confirm it, unless a reservation moves the client. */
		if (x->res && x->res->address != x->addr && authoritative) {
			dhcp_server_nak(e, in, "address reserved elsewhere for this client");
			return;
		}
		bind_addr(e, in, x, now);
		return;
	}
	if (x->held) {
		/* We hold a different address for it: its notion is wrong. */
		dhcp_server_nak(e, in, "client holds another address");
		return;
	}
	if (!authoritative) {
		in->counters.v[TC_DROP_NOT_FOR_US]++;
		return;
	}
	if ((x->res && x->res->address != x->addr) || !grantable(in, x, req->client, now)) {
		dhcp_server_nak(e, in, "address not available");
		return;
	}
	bind_addr(e, in, x, now);
}

/* The wrong network: a NAK from an authoritative tenant, silence otherwise (4.3.2). */
static void wrong_network(struct dhcp_engine *e, struct dhcp_instance *in,
                          const struct request_ctx *x)
{
	if (x->t->authoritative)
		dhcp_server_nak(e, in, "wrong network");
	else
		in->counters.v[TC_DROP_NOT_FOR_US]++;
}

/*
 * RENEWING (unicast to us) or REBINDING (broadcast): "'ciaddr' MUST be filled in with
 * client's IP address"; the server "will trust the value in 'ciaddr'". A renewal that
 * reaches us directly, not through a relay and not broadcast on the client's link, comes
 * from wherever the client is: its network is the one ciaddr is in.
 */
static void request_extend(struct dhcp_engine *e, struct dhcp_instance *in, struct request_ctx *x,
                           int64_t now)
{
	const struct dhcp_req *req = &e->req;
	bool renewing = dhcp_req_renewing(req);

	in->counters.v[renewing ? TC_REQ_RENEWING : TC_REQ_REBINDING]++;
	x->addr = req->ciaddr;
	if (!req->giaddr && renewing) {
		const struct tenant_subnet *own = tenant_subnet_of(x->t, req->ciaddr);
		if (own)
			x->link = own;
	}
	if (!x->link) {
		in->counters.v[TC_DROP_NO_SUBNET]++;
		return;
	}
	x->res = dhcp_server_reservation(in, req, x->link);
	if (!dhcp_server_on_network(x->t, x->link, x->addr)) {
		wrong_network(e, in, x);
		return;
	}
	request_verify(e, in, x, now);
}

/* INIT-REBOOT: "'requested IP address' option MUST be filled in with client's notion". */
static void request_init_reboot(struct dhcp_engine *e, struct dhcp_instance *in,
                                struct request_ctx *x, int64_t now)
{
	in->counters.v[TC_REQ_INIT_REBOOT]++;
	x->addr = e->req.requested_ip;
	if (!x->link) {
		in->counters.v[TC_DROP_NO_SUBNET]++;
		return;
	}
	if (!dhcp_server_on_network(x->t, x->link, x->addr)) {
		wrong_network(e, in, x);
		return;
	}
	request_verify(e, in, x, now);
}

void dhcp_server_request(struct dhcp_engine *e, struct dhcp_instance *in, int64_t now)
{
	const struct dhcp_req *req = &e->req;
	struct request_ctx x = {
	    .t = in->tenant,
	    .link = dhcp_server_link(in->tenant, req),
	    .held = held_binding(&in->pools, req->client),
	};

	if (req->has_server_id) {
		if (!x.link) {
			in->counters.v[TC_DROP_NO_SUBNET]++;
			return;
		}
		x.res = dhcp_server_reservation(in, req, x.link);
		request_selecting(e, in, &x, now);
	} else if (req->ciaddr) {
		/* RFC 2131 4.3.2: RENEWING and REBINDING have ciaddr and no option 50. */
		request_extend(e, in, &x, now);
	} else if (req->has_requested_ip) {
		if (x.link)
			x.res = dhcp_server_reservation(in, req, x.link);
		request_init_reboot(e, in, &x, now);
	} else {
		/* Neither ciaddr nor a requested address: there is nothing to acknowledge. */
		dhcp_server_nak(e, in, "no address to confirm");
	}
}
