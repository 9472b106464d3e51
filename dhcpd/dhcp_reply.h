/*
 * Building a reply (OFFER, ACK, NAK) from a request summary: the fixed fields, the
 * options in the order RFC 2131 and the client's parameter request list ask for, and the
 * destination per RFC 2131 section 4.1.
 *
 * Thread safety: no shared state; the engine's lcore.
 */
#ifndef MTDHCP_DHCPD_DHCP_REPLY_H
#define MTDHCP_DHCPD_DHCP_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "dhcp_engine.h"
#include "dhcp_req.h"
#include "tenants/tenant.h"

/* What the server decided for a request. */
struct dhcp_answer {
	uint8_t type;       /* DHCPOFFER, DHCPACK or DHCPNAK */
	uint32_t yiaddr;    /* 0 for NAK and INFORM's ACK */
	uint32_t lease_time; /* 0 = no lease options (NAK, INFORM) */
	const struct tenant_subnet *subnet; /* options and mask come from here; may be NULL */
};

/*
 * Writes the reply to @req described by @ans into @buf (at most @cap bytes) and fills
 * @dest. Returns the message length, or -errno when it does not fit.
 */
int dhcp_reply_build(const struct dhcp_req *req, const struct dhcp_answer *ans, uint8_t *buf,
		     size_t cap, struct dhcp_reply *dest);

#endif
