/*
 * What the engine keeps of a request after parsing it: enough to answer it now or later
 * (an ACK waits for its lease commit), without holding the packet. This is the "small
 * pending record" of the design.
 *
 * Thread safety: plain data, owned by its engine.
 */
#ifndef MTDHCP_DHCPD_DHCP_REQ_H
#define MTDHCP_DHCPD_DHCP_REQ_H

#include <stdint.h>

#include "dhcp_engine.h"
#include "dhcp_msg.h"

struct dhcp_req {
	struct dhcp_path path;
	uint32_t xid;
	uint16_t flags;
	uint8_t htype;
	uint8_t hlen;
	uint8_t chaddr[DHCP_CHADDR_LEN];
	uint8_t type;
	uint8_t hops;
	uint32_t ciaddr;
	uint32_t giaddr;
	uint32_t link_addr; /* the address that names the client's network (see dhcp_req_fill) */
	uint16_t max_msg;   /* option 57, at least DHCP_MIN_MAX_MSG */
	uint64_t client;    /* client key */
	uint8_t prl_len;
	uint8_t prl[255]; /* option 55, in the client's order */
	uint8_t client_id_len;
	uint8_t client_id[255];
	uint8_t hostname_len;
	char hostname[255];
	uint8_t relay_len; /* option 82 as received, echoed unchanged (RFC 3046 2.2) */
	uint8_t relay[255];
};

/*
 * Fills @req from a parsed message that arrived by @path. The link address is, in order:
 * the relay's link-selection sub-option (RFC 3527), the subnet-selection option (RFC
 * 3011), giaddr, and for a directly attached client our own address on its link.
 */
void dhcp_req_fill(struct dhcp_req *req, const struct dhcp_msg *msg, const struct dhcp_path *path);

#endif
