/*
 * Building a reply (OFFER, ACK, NAK) from a request summary: the fixed fields of RFC 2131
 * table 3, the options in the order RFC 2131 and the client's parameter request list ask
 * for, and the destination per RFC 2131 section 4.1 and the relay RFCs.
 *
 * Thread safety: no shared state; the engine's lcore.
 */
#ifndef MTDHCP_DHCPD_DHCP_REPLY_H
#define MTDHCP_DHCPD_DHCP_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp_engine.h"
#include "dhcp_req.h"
#include "tenants/tenant.h"

/* What the server decided for a request. */
struct dhcp_answer {
	uint8_t type;                       /* DHCPOFFER, DHCPACK or DHCPNAK */
	uint32_t yiaddr;                    /* 0 for NAK and INFORM's ACK */
	uint32_t lease_time;                /* 0 = no lease options (NAK, INFORM) */
	const struct tenant_subnet *subnet; /* mask and T1/T2 come from here; may be NULL */
	const struct optset *opts;          /* configured options; NULL = the subnet's */
	bool inform;                        /* the ACK to a DHCPINFORM (RFC 2131 4.3.5) */
	bool rapid_commit;   /* carries option 80 (RFC 4039); an ACK to a DISCOVER always does */
	const char *message; /* option 56 of a NAK (RFC 2131 table 3: SHOULD), or NULL */
};

/*
 * Writes the reply to @req described by @ans into @buf (at most @cap bytes) and fills
 * @dest. Requested options that do not fit are left out, the least wanted first;
 * *@dropped (when not NULL) receives how many. Returns the message length, or -errno
 * when even the required options do not fit.
 */
int dhcp_reply_build(const struct dhcp_req *req, const struct dhcp_answer *ans, uint8_t *buf,
                     size_t cap, struct dhcp_reply *dest, unsigned *dropped);

#endif
