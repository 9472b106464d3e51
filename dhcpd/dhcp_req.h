/*
 * What the engine keeps of a request after parsing it: enough to answer it now or later
 * (an ACK waits for its lease commit), without holding the packet. This is the "small
 * pending record" of the design.
 *
 * Thread safety: plain data, owned by its engine.
 */
#ifndef MTDHCP_DHCPD_DHCP_REQ_H
#define MTDHCP_DHCPD_DHCP_REQ_H

#include <stdbool.h>
#include <stdint.h>

#include "dhcp_engine.h"
#include "dhcp_msg.h"

/* How the request named the client's network (see dhcp_req_fill). */
enum dhcp_link_source {
	DHCP_LINK_LOCAL = 0,     /* our own address on a directly attached link */
	DHCP_LINK_GIADDR,        /* the relay agent's address (RFC 2131 4.3.1) */
	DHCP_LINK_SUBNET_SELECT, /* option 118 (RFC 3011) */
	DHCP_LINK_SELECTION,     /* option 82 sub-option 5 (RFC 3527) */
};

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
	uint32_t link_addr;     /* the address that names the client's network */
	uint8_t link_source;    /* enum dhcp_link_source */
	uint16_t max_msg;       /* option 57, at least DHCP_MIN_MAX_MSG */
	uint64_t client;        /* client key */
	bool has_requested_ip;  /* option 50 */
	bool has_server_id;     /* option 54 */
	bool has_lease_time;    /* option 51 */
	bool rapid_commit;      /* option 80 (RFC 4039) */
	bool has_subnet_select; /* option 118, echoed unchanged (RFC 3011 3) */
	uint32_t requested_ip;
	uint32_t server_id;
	uint32_t lease_time;
	uint32_t subnet_select;
	uint8_t prl_len;
	uint8_t prl[255]; /* option 55, in the client's order */
	uint8_t client_id_len;
	uint8_t client_id[255];
	uint8_t hostname_len;
	char hostname[255];
	/* Option 82 of a relayed request (giaddr set); ignored from a direct client. */
	uint8_t relay_len; /* as received, echoed unchanged (RFC 3046 2.2) */
	uint8_t relay[255];
	uint8_t circuit_id_off; /* sub-option 1 in relay[], when circuit_id_len > 0 */
	uint8_t circuit_id_len;
	uint8_t remote_id_off; /* sub-option 2 */
	uint8_t remote_id_len;
	uint32_t server_id_override; /* sub-option 11 (RFC 5107), 0 = none */
	bool relay_source_port;      /* sub-option 19 (RFC 8357): reply to the relay's port */
	bool relay_has_flags;        /* sub-option 10 (RFC 5010) was there */
	bool relay_unicast;          /* ... and its unicast flag was set */
	bool relay_oversize;         /* option 82 was longer than relay[]: not echoable */
	/*
	 * The server's decision, carried with the record to the ACK that waits for its
	 * commit: the configured options this client gets (NULL = its subnet's).
	 */
	const struct optset *opts;
};

/*
 * Fills @req from a parsed message that arrived by @path. The link address is, in order:
 * the relay's link-selection sub-option (RFC 3527), the subnet-selection option (RFC
 * 3011), giaddr, and for a directly attached client our own address on its link.
 */
void dhcp_req_fill(struct dhcp_req *req, const struct dhcp_msg *msg, const struct dhcp_path *path);

/*
 * The server identifier the client knows us by on this path: the relay's RFC 5107
 * override when it sent one, else our address on the path.
 */
uint32_t dhcp_req_server_id(const struct dhcp_req *req);

/*
 * RFC 2131 4.3.2 (and RFC 5010 for relayed requests): true when a request with ciaddr
 * was unicast by the client (RENEWING) rather than broadcast (REBINDING).
 */
bool dhcp_req_renewing(const struct dhcp_req *req);

#endif
