/*
 * The request summary: the fields and options the engine decides on, copied out of the
 * parsed message so that an ACK can be built after the packet is gone.
 */
#include "dhcp_req.h"

#include <string.h>

#include "client_key.h"

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint8_t copy_opt(const struct dhcp_msg *msg, uint8_t code, void *dst, size_t cap)
{
	size_t len;
	const uint8_t *v = dhcp_msg_opt(msg, code, &len);
	if (!v)
		return 0;
	if (len > cap)
		len = cap;
	memcpy(dst, v, len);
	return (uint8_t)len;
}

/*
 * Reads the sub-options of the copied option 82 (RFC 3046 2.0: code, length, value, with
 * no PAD or END). A sub-option that runs past the option ends the walk, as in
 * dhcp_msg_relay_subopt.
 */
static void relay_subopts(struct dhcp_req *req)
{
	size_t pos = 0;

	while (req->relay_len - pos >= 2) {
		uint8_t code = req->relay[pos], len = req->relay[pos + 1];
		const uint8_t *v = req->relay + pos + 2;

		if ((size_t)req->relay_len - pos - 2 < len)
			return;
		switch (code) {
		case DHCP_RELAY_CIRCUIT_ID:
			req->circuit_id_off = (uint8_t)(pos + 2);
			req->circuit_id_len = len;
			break;
		case DHCP_RELAY_REMOTE_ID:
			req->remote_id_off = (uint8_t)(pos + 2);
			req->remote_id_len = len;
			break;
		case DHCP_RELAY_LINK_SELECTION:
			/* RFC 3527 3: exactly one IPv4 address. */
			if (len == 4) {
				req->link_addr = rd32(v);
				req->link_source = DHCP_LINK_SELECTION;
			}
			break;
		case DHCP_RELAY_FLAGS:
			/* RFC 5010 3: one octet of flags, the unicast flag its high bit. */
			if (len == 1) {
				req->relay_has_flags = true;
				req->relay_unicast = (v[0] & DHCP_RELAY_FLAG_UNICAST) != 0;
			}
			break;
		case DHCP_RELAY_SERVER_ID_OVERRIDE:
			/* RFC 5107 4: one IPv4 address. */
			if (len == 4)
				req->server_id_override = rd32(v);
			break;
		case DHCP_RELAY_SOURCE_PORT:
			/* RFC 8357 5.1: the sub-option has no value. */
			if (len == 0)
				req->relay_source_port = true;
			break;
		default:
			break;
		}
		pos += 2u + len;
	}
}

void dhcp_req_fill(struct dhcp_req *req, const struct dhcp_msg *msg, const struct dhcp_path *path)
{
	req->path = *path;
	req->opts = NULL;
	req->xid = msg->xid;
	req->flags = msg->flags;
	req->htype = msg->htype;
	req->hlen = msg->hlen;
	memcpy(req->chaddr, msg->chaddr, DHCP_CHADDR_LEN);
	req->type = msg->type;
	req->hops = msg->hops;
	req->ciaddr = msg->ciaddr;
	req->giaddr = msg->giaddr;

	uint16_t max_msg = 0;
	if (!dhcp_msg_opt_u16(msg, DHCP_OPT_MAX_MSG_SIZE, &max_msg) || max_msg < DHCP_MIN_MAX_MSG)
		max_msg = DHCP_MIN_MAX_MSG;
	req->max_msg = max_msg;

	req->has_requested_ip = dhcp_msg_opt_ip(msg, DHCP_OPT_REQUESTED_IP, &req->requested_ip);
	if (!req->has_requested_ip)
		req->requested_ip = 0;
	req->has_server_id = dhcp_msg_opt_ip(msg, DHCP_OPT_SERVER_ID, &req->server_id);
	if (!req->has_server_id)
		req->server_id = 0;
	req->has_lease_time = dhcp_msg_opt_u32(msg, DHCP_OPT_LEASE_TIME, &req->lease_time);
	if (!req->has_lease_time)
		req->lease_time = 0;
	size_t len;
	req->rapid_commit = dhcp_msg_opt(msg, DHCP_OPT_RAPID_COMMIT, &len) != NULL;
	req->has_subnet_select =
	    dhcp_msg_opt_ip(msg, DHCP_OPT_SUBNET_SELECTION, &req->subnet_select);
	if (!req->has_subnet_select)
		req->subnet_select = 0;

	/* Option values longer than 255 bytes can only come joined (RFC 3396); we keep 255. */
	req->prl_len = copy_opt(msg, DHCP_OPT_PARAM_LIST, req->prl, sizeof(req->prl));
	req->client_id_len =
	    copy_opt(msg, DHCP_OPT_CLIENT_ID, req->client_id, sizeof(req->client_id));
	req->hostname_len = copy_opt(msg, DHCP_OPT_HOSTNAME, req->hostname, sizeof(req->hostname));

	req->client =
	    dhcp_client_key(req->client_id, req->client_id_len, req->htype, req->chaddr, req->hlen);

	/*
	 * The client's network: RFC 2131 4.3.1 names it by giaddr, or for a directly attached
	 * client by the link the request came in on; RFC 3011 option 118 overrides both, and
	 * RFC 3527 link selection, which a relay adds when giaddr cannot name the link,
	 * overrides all.
	 */
	req->link_source = req->giaddr ? DHCP_LINK_GIADDR : DHCP_LINK_LOCAL;
	req->link_addr = req->giaddr ? req->giaddr : path->local_ip;
	if (req->has_subnet_select) {
		req->link_addr = req->subnet_select;
		req->link_source = DHCP_LINK_SUBNET_SELECT;
	}

	/*
	 * RFC 3046 2.1 and 2.2: option 82 is the relay agent's; a client cannot send it (a
	 * direct client's would be a forgery, for example of a circuit-id reservation).
	 */
	req->relay_len = 0;
	req->circuit_id_len = req->remote_id_len = 0;
	req->circuit_id_off = req->remote_id_off = 0;
	req->server_id_override = 0;
	req->relay_source_port = req->relay_has_flags = req->relay_unicast = false;
	req->relay_oversize = false;
	if (req->giaddr && dhcp_msg_opt(msg, DHCP_OPT_RELAY_AGENT, &len)) {
		/* It must go back unchanged (RFC 3046 2.2), so a truncated copy is no use. */
		if (len > sizeof(req->relay)) {
			req->relay_oversize = true;
			return;
		}
		req->relay_len =
		    copy_opt(msg, DHCP_OPT_RELAY_AGENT, req->relay, sizeof(req->relay));
		relay_subopts(req);
	}
}

uint32_t dhcp_req_server_id(const struct dhcp_req *req)
{
	return req->server_id_override ? req->server_id_override : req->path.local_ip;
}

bool dhcp_req_renewing(const struct dhcp_req *req)
{
	/*
	 * A relayed request does not show how the client sent it, unless the relay says so
	 * with the RFC 5010 unicast flag. Without it, a relayed request is taken as
	 * broadcast (REBINDING): RENEWING requests are unicast to the server itself, so
	 * relays normally never see them.
	 */
	if (req->giaddr)
		return req->relay_has_flags && req->relay_unicast;
	return req->path.dst_ip != 0xffffffffu;
}
