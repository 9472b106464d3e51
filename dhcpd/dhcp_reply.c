#include "dhcp_reply.h"

#include <string.h>

static const uint8_t broadcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/*
 * Options the server sets itself, never from configuration or the request list.
 */
static bool server_option(uint8_t code)
{
	switch (code) {
	case DHCP_OPT_PAD:
	case DHCP_OPT_SUBNET_MASK:
	case DHCP_OPT_LEASE_TIME:
	case DHCP_OPT_OVERLOAD:
	case DHCP_OPT_MSG_TYPE:
	case DHCP_OPT_SERVER_ID:
	case DHCP_OPT_PARAM_LIST:
	case DHCP_OPT_MAX_MSG_SIZE:
	case DHCP_OPT_RENEWAL_TIME:
	case DHCP_OPT_REBINDING_TIME:
	case DHCP_OPT_CLIENT_ID:
	case DHCP_OPT_RELAY_AGENT:
	case DHCP_OPT_END:
		return true;
	default:
		return false;
	}
}

static void put_configured(struct dhcp_writer *w, const struct tenant_subnet *sn, uint8_t code)
{
	if (!sn || server_option(code) || dhcp_writer_has(w, code))
		return;
	const struct optset_value *v = optset_get(&sn->options, code);
	if (v)
		dhcp_writer_put(w, code, v->data, v->len);
}

/* T1 and T2 (RFC 2131 4.4.5): configured, else 1/2 and 7/8 of the lease. */
static void lease_timers(const struct tenant_subnet *sn, uint32_t lease, uint32_t *t1, uint32_t *t2)
{
	*t1 = sn && sn->times.renew_time ? sn->times.renew_time : lease / 2;
	*t2 = sn && sn->times.rebind_time ? sn->times.rebind_time : (uint32_t)((uint64_t)lease * 7 / 8);
	if (*t2 >= lease)
		*t2 = (uint32_t)((uint64_t)lease * 7 / 8);
	if (*t1 >= *t2)
		*t1 = *t2 / 2;
}

/* Where the reply goes: RFC 2131 section 4.1, the paragraphs after table 3. */
static void choose_dest(const struct dhcp_req *req, const struct dhcp_answer *ans,
			struct dhcp_reply *d)
{
	d->path = req->path;
	d->src_ip = req->path.local_ip;
	d->src_port = 67;
	memcpy(d->dst_mac, req->path.src_mac, 6);
	if (req->giaddr) {
		/* Relayed: back to the relay agent's server port. */
		d->dst_ip = req->giaddr;
		d->dst_port = 67;
		return;
	}
	d->dst_port = 68;
	if (ans->type == DHCPNAK) {
		/* "when giaddr is zero, the server broadcasts any DHCPNAK" */
		d->dst_ip = 0xffffffffu;
		memcpy(d->dst_mac, broadcast_mac, 6);
	} else if (req->ciaddr) {
		/* A client with an address (RENEWING, INFORM) is reached at it. */
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

int dhcp_reply_build(const struct dhcp_req *req, const struct dhcp_answer *ans, uint8_t *buf,
		     size_t cap, struct dhcp_reply *dest)
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
	hdr.ciaddr = req->ciaddr;
	hdr.yiaddr = 0;
	hdr.siaddr = 0;
	hdr.giaddr = req->giaddr;
	hdr.chaddr = req->chaddr;

	struct dhcp_writer w;
	dhcp_writer_init(&w, buf, cap, req->max_msg, &hdr, ans->type);
	const struct tenant_subnet *sn = ans->subnet;

	/* RFC 2131 table 3: an ACK carries the request's ciaddr, an OFFER and a NAK 0. */
	if (ans->type == DHCPACK)
		dhcp_writer_set_ciaddr(&w, req->ciaddr);
	if (ans->type != DHCPNAK && ans->yiaddr)
		dhcp_writer_set_yiaddr(&w, ans->yiaddr);
	dhcp_writer_put_ip(&w, DHCP_OPT_SERVER_ID, req->path.local_ip);

	if (ans->type != DHCPNAK) {
		if (ans->lease_time) {
			uint32_t t1, t2;
			lease_timers(sn, ans->lease_time, &t1, &t2);
			dhcp_writer_put_u32(&w, DHCP_OPT_LEASE_TIME, ans->lease_time);
			dhcp_writer_put_u32(&w, DHCP_OPT_RENEWAL_TIME, t1);
			dhcp_writer_put_u32(&w, DHCP_OPT_REBINDING_TIME, t2);
		}
		if (sn)
			dhcp_writer_put_ip(&w, DHCP_OPT_SUBNET_MASK, sn->mask);
		if (req->prl_len) {
			/* The client's order is the order of preference (RFC 2132 9.8). */
			for (size_t i = 0; i < req->prl_len; i++)
				put_configured(&w, sn, req->prl[i]);
		} else {
			/* No request list: the basics every client needs. */
			put_configured(&w, sn, DHCP_OPT_ROUTERS);
			put_configured(&w, sn, DHCP_OPT_DNS);
			put_configured(&w, sn, DHCP_OPT_DOMAIN_NAME);
		}
	}
	/* RFC 6842: a server MUST echo the client identifier. */
	if (req->client_id_len)
		dhcp_writer_put(&w, DHCP_OPT_CLIENT_ID, req->client_id, req->client_id_len);
	/* RFC 3046 2.2: option 82 is copied unchanged, as the last option. */
	if (req->relay_len)
		dhcp_writer_put(&w, DHCP_OPT_RELAY_AGENT, req->relay, req->relay_len);

	int len = dhcp_writer_finish(&w);
	if (len < 0)
		return len;
	choose_dest(req, ans, dest);
	return len;
}
