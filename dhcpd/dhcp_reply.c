/*
 * The reply to a request: header fields (RFC 2131 table 3), options in order of
 * preference, and where it is sent (RFC 2131 4.1, RFC 2131 4.3.5 for INFORM, RFC 8357 for
 * relays that listen on another port).
 */
#include "dhcp_reply.h"

#include <string.h>

#include "dhcp_msg.h"

static const uint8_t broadcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* Options the server sets itself, never from configuration or the request list. */
static bool server_option(uint8_t code)
{
	switch (code) {
	case DHCP_OPT_PAD:
	case DHCP_OPT_SUBNET_MASK:
	case DHCP_OPT_REQUESTED_IP:
	case DHCP_OPT_LEASE_TIME:
	case DHCP_OPT_OVERLOAD:
	case DHCP_OPT_MSG_TYPE:
	case DHCP_OPT_SERVER_ID:
	case DHCP_OPT_PARAM_LIST:
	case DHCP_OPT_MESSAGE:
	case DHCP_OPT_MAX_MSG_SIZE:
	case DHCP_OPT_RENEWAL_TIME:
	case DHCP_OPT_REBINDING_TIME:
	case DHCP_OPT_CLIENT_ID:
	case DHCP_OPT_RAPID_COMMIT:
	case DHCP_OPT_RELAY_AGENT:
	case DHCP_OPT_SUBNET_SELECTION:
	case DHCP_OPT_END:
		return true;
	default:
		return false;
	}
}

/* A configured option the client asked for; left out when the reply has no room. */
static void put_configured(struct dhcp_writer *w, const struct optset *opts, uint8_t code)
{
	if (!opts || server_option(code) || dhcp_writer_has(w, code))
		return;
	const struct optset_value *v = optset_get(opts, code);
	if (v)
		dhcp_writer_add(w, code, v->data, v->len, DHCP_WOPT_OPTIONAL);
}

/* T1 and T2 (RFC 2131 4.4.5): configured, else 1/2 and 7/8 of the lease. */
static void lease_timers(const struct tenant_subnet *sn, uint32_t lease, uint32_t *t1, uint32_t *t2)
{
	*t1 = sn && sn->times.renew_time ? sn->times.renew_time : lease / 2;
	*t2 = sn && sn->times.rebind_time ? sn->times.rebind_time
	                                  : (uint32_t)((uint64_t)lease * 7 / 8);
	/* A lease shortened by the client's request must still have T1 < T2 < lease. */
	if (*t2 >= lease)
		*t2 = (uint32_t)((uint64_t)lease * 7 / 8);
	if (*t1 >= *t2)
		*t1 = *t2 / 2;
}

/* RFC 6607 3.3: the VSS-Control sub-option of option 82 (empty). */
#define DHCP_REPLY_RELAY_VSS_CONTROL 152

/*
 * The option 82 that goes back to the relay, written to @out (room for req->relay_len);
 * returns its length. RFC 3046 2.2 asks for the whole option unchanged, with one exception
 * (RFC 6607 3.3 and 8): a relay that sends VSS information (sub-option 151) adds the empty
 * VSS-Control sub-option to learn whether the server understood it, and drops a reply that
 * still carries it. This server understands VSS (a VPN that no tenant serves is never
 * answered, see dataplane/dp_classify.c), so 152 never goes back. Every other sub-option,
 * 151 included, does, so that the relay can check the VPN of the answer. Bytes that do not
 * make a whole sub-option go back as they came.
 */
static size_t relay_echo(const struct dhcp_req *req, uint8_t *out)
{
	size_t pos = 0, n = 0;

	while (req->relay_len - pos >= 2) {
		size_t sl = 2u + req->relay[pos + 1];
		if (req->relay_len - pos < sl)
			break;
		if (req->relay[pos] != DHCP_REPLY_RELAY_VSS_CONTROL) {
			memcpy(out + n, req->relay + pos, sl);
			n += sl;
		}
		pos += sl;
	}
	memcpy(out + n, req->relay + pos, req->relay_len - pos);
	return n + (req->relay_len - pos);
}

/* The relayed request's reply goes back through the relay (not an INFORM's; see below). */
static bool via_relay(const struct dhcp_req *req, const struct dhcp_answer *ans)
{
	return req->giaddr && !(ans->inform && req->ciaddr);
}

/* Where the reply goes: RFC 2131 section 4.1, the paragraphs after table 3. */
static void choose_dest(const struct dhcp_req *req, const struct dhcp_answer *ans,
                        struct dhcp_reply *d)
{
	d->path = req->path;
	d->src_ip = req->path.local_ip;
	d->src_port = 67;
	memcpy(d->dst_mac, req->path.src_mac, 6);
	if (via_relay(req, ans)) {
		/*
		 * Relayed: back to the relay agent's server port, or (RFC 8357 5.2) to the UDP
		 * port the relay sent from when it says it listens there.
		 */
		d->dst_ip = req->giaddr;
		d->dst_port = req->relay_source_port ? req->path.src_port : 67;
		return;
	}
	d->dst_port = 68;
	if (ans->inform) {
		/*
		 * RFC 2131 4.3.5: the ACK to an INFORM goes "directly to the address given in
		 * 'ciaddr'", relayed or not: a relay would forward it to yiaddr, which is 0.
		 * The frame goes to the neighbour the request came from (the client, or the
		 * router on the way back to it). A client that left ciaddr empty is reached
		 * at the source address of its request, if it had one.
		 */
		d->dst_ip = req->ciaddr ? req->ciaddr : req->path.src_ip;
		if (d->dst_ip == 0) {
			d->dst_ip = 0xffffffffu;
			memcpy(d->dst_mac, broadcast_mac, 6);
		}
		return;
	}
	if (ans->type == DHCPNAK) {
		/* "when giaddr is zero, the server broadcasts any DHCPNAK" */
		d->dst_ip = 0xffffffffu;
		memcpy(d->dst_mac, broadcast_mac, 6);
	} else if (req->ciaddr) {
		/* A client with an address (RENEWING, REBINDING) is reached at it. */
		d->dst_ip = req->ciaddr;
	} else if ((req->flags & DHCP_FLAG_BROADCAST) || req->htype != 1 || req->hlen != 6) {
		/*
		 * The client asked for broadcast, or it is not Ethernet so its hardware
		 * address cannot be put in a frame.
		 */
		d->dst_ip = 0xffffffffu;
		memcpy(d->dst_mac, broadcast_mac, 6);
	} else {
		d->dst_ip = ans->yiaddr;
		memcpy(d->dst_mac, req->chaddr, 6);
	}
}

/* The options of an OFFER or ACK, required ones first, then what the client asked for. */
static void put_lease_options(struct dhcp_writer *w, const struct dhcp_req *req,
                              const struct dhcp_answer *ans)
{
	const struct tenant_subnet *sn = ans->subnet;
	const struct optset *opts = ans->opts ? ans->opts : req->opts;

	if (!opts && sn)
		opts = &sn->options;

	/* RFC 2131 4.3.5: never lease times in the ACK to an INFORM. */
	if (ans->lease_time && !ans->inform) {
		uint32_t t1, t2;
		lease_timers(sn, ans->lease_time, &t1, &t2);
		dhcp_writer_put_u32(w, DHCP_OPT_LEASE_TIME, ans->lease_time);
		dhcp_writer_put_u32(w, DHCP_OPT_RENEWAL_TIME, t1);
		dhcp_writer_put_u32(w, DHCP_OPT_REBINDING_TIME, t2);
	}
	/* RFC 2132 3.3: the mask of the subnet the address is in. */
	if (sn)
		dhcp_writer_put_ip(w, DHCP_OPT_SUBNET_MASK, sn->mask);
	/* RFC 4039 4: the ACK to a DISCOVER carries rapid commit. */
	if (ans->rapid_commit || (req->type == DHCPDISCOVER && ans->type == DHCPACK))
		dhcp_writer_put(w, DHCP_OPT_RAPID_COMMIT, NULL, 0);
	/*
	 * RFC 3011 3: a server that honours option 118 "MUST return an identical copy of the
	 * option to any client that sends it"; clients discard replies without it.
	 */
	if (req->has_subnet_select)
		dhcp_writer_put_ip(w, DHCP_OPT_SUBNET_SELECTION, req->subnet_select);
	if (req->prl_len) {
		/* RFC 2132 9.8: the client lists options in its order of preference. */
		for (size_t i = 0; i < req->prl_len; i++)
			put_configured(w, opts, req->prl[i]);
	} else {
		/* No request list: the basics every client needs. */
		put_configured(w, opts, DHCP_OPT_ROUTERS);
		put_configured(w, opts, DHCP_OPT_DNS);
		put_configured(w, opts, DHCP_OPT_DOMAIN_NAME);
	}
}

int dhcp_reply_build(const struct dhcp_req *req, const struct dhcp_answer *ans, uint8_t *buf,
                     size_t cap, struct dhcp_reply *dest, unsigned *dropped)
{
	/* The writer copies these header fields from the request (RFC 2131 table 3). */
	struct dhcp_msg hdr;
	hdr.op = DHCP_BOOTREQUEST;
	hdr.htype = req->htype;
	hdr.hlen = req->hlen;
	hdr.hops = 0;
	hdr.xid = req->xid;
	hdr.secs = 0;
	hdr.flags = req->flags;
	/*
	 * RFC 2131 4.3.2: "If 'giaddr' is set in the DHCPREQUEST message, the client is on a
	 * different subnet. The server MUST set the broadcast bit in the DHCPNAK", so that
	 * the relay broadcasts it to a client whose address may be wrong.
	 */
	if (ans->type == DHCPNAK && req->giaddr)
		hdr.flags |= DHCP_FLAG_BROADCAST;
	hdr.ciaddr = req->ciaddr;
	hdr.yiaddr = 0;
	hdr.siaddr = 0;
	hdr.giaddr = req->giaddr;
	hdr.chaddr = req->chaddr;

	struct dhcp_writer w;
	dhcp_writer_init(&w, buf, cap, req->max_msg, &hdr, ans->type);

	/* RFC 2131 table 3: an ACK carries the request's ciaddr, an OFFER and a NAK 0. */
	if (ans->type == DHCPACK)
		dhcp_writer_set_ciaddr(&w, req->ciaddr);
	if (ans->type != DHCPNAK && ans->yiaddr)
		dhcp_writer_set_yiaddr(&w, ans->yiaddr);
	/*
	 * RFC 2131 table 3: every reply names its server. Behind a relay that overrides it
	 * (RFC 5107 4), the override, so that the client talks to the relay.
	 */
	dhcp_writer_put_ip(&w, DHCP_OPT_SERVER_ID, dhcp_req_server_id(req));

	if (ans->type != DHCPNAK)
		put_lease_options(&w, req, ans);
	else if (ans->message)
		dhcp_writer_add(&w, DHCP_OPT_MESSAGE, ans->message, strlen(ans->message),
		                DHCP_WOPT_OPTIONAL);
	/* RFC 6842 3: a server MUST echo the client identifier in OFFER, ACK and NAK. */
	if (req->client_id_len)
		dhcp_writer_put(&w, DHCP_OPT_CLIENT_ID, req->client_id, req->client_id_len);
	/*
	 * RFC 3046 2.2: option 82 goes back to the relay, as the last option (less 152, see
	 * relay_echo). An option that held nothing else is left out: an empty option 82 is
	 * not one a relay sent.
	 */
	if (req->relay_len && via_relay(req, ans)) {
		uint8_t echo[sizeof(req->relay)];
		size_t echo_len = relay_echo(req, echo);
		if (echo_len)
			dhcp_writer_add(&w, DHCP_OPT_RELAY_AGENT, echo, echo_len, DHCP_WOPT_LAST);
	}

	int len = dhcp_writer_finish(&w);
	if (dropped)
		*dropped = w.dropped;
	if (len < 0)
		return len;
	choose_dest(req, ans, dest);
	return len;
}
