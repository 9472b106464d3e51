#include "dhcp_req.h"

#include <string.h>

#include "client_key.h"

#define RELAY_SUBOPT_LINK_SELECTION 5 /* RFC 3527 */

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

void dhcp_req_fill(struct dhcp_req *req, const struct dhcp_msg *msg, const struct dhcp_path *path)
{
	req->path = *path;
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

	/* Option values longer than 255 bytes can only come joined (RFC 3396); we keep 255. */
	req->prl_len = copy_opt(msg, DHCP_OPT_PARAM_LIST, req->prl, sizeof(req->prl));
	req->client_id_len = copy_opt(msg, DHCP_OPT_CLIENT_ID, req->client_id, sizeof(req->client_id));
	req->hostname_len = copy_opt(msg, DHCP_OPT_HOSTNAME, req->hostname, sizeof(req->hostname));
	req->relay_len = req->giaddr ? copy_opt(msg, DHCP_OPT_RELAY_AGENT, req->relay, sizeof(req->relay)) : 0;

	req->client = dhcp_client_key(req->client_id, req->client_id_len, req->htype, req->chaddr,
				      req->hlen);

	/*
	 * The client's network: RFC 3527 link selection (only meaningful from a relay), then
	 * RFC 3011 subnet selection, then giaddr (RFC 2131 4.3.1), then our own address on
	 * a directly attached link.
	 */
	uint32_t link = 0;
	size_t len;
	const uint8_t *ls = req->giaddr ? dhcp_msg_relay_subopt(msg, RELAY_SUBOPT_LINK_SELECTION, &len)
					: NULL;
	if (ls && len == 4)
		link = (uint32_t)ls[0] << 24 | (uint32_t)ls[1] << 16 | (uint32_t)ls[2] << 8 | ls[3];
	else if (!dhcp_msg_opt_ip(msg, DHCP_OPT_SUBNET_SELECTION, &link))
		link = req->giaddr ? req->giaddr : path->local_ip;
	req->link_addr = link;
}
