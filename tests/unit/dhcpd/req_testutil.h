/*
 * DHCP requests built byte by byte for the engine's unit tests, and the engine's replies
 * captured in sent[] by its transmit hook.
 */
#ifndef MTDHCP_TESTS_REQ_TESTUTIL_H
#define MTDHCP_TESTS_REQ_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "dhcpd/dhcp_engine.h"
#include "dhcpd/dhcp_msg.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define SERVER         IP(10, 0, 1, 1)
#define GIADDR         IP(192, 168, 1, 1)
#define LOCAL          IP(192, 168, 1, 254)
#define BCAST          0xffffffffu

/* --- requests ------------------------------------------------------------------------ */

struct req {
	uint8_t b[DHCP_MSG_MAX];
	size_t len;
};

/* --- replies ------------------------------------------------------------------------- */

#define MAX_REPLIES 64
struct sent {
	struct dhcp_reply dest;
	uint8_t msg[DHCP_MSG_MAX];
	size_t len;
};

/* The replies sent since the test emptied it (n_sent = 0), in order. */
extern struct sent sent[MAX_REPLIES];
extern size_t n_sent;

/* Big-endian 32-bit fields. */
void put32(uint8_t *p, uint32_t v);
uint32_t get32(const uint8_t *p);

/*
 * A BOOTREQUEST of DHCP message @type from the client whose MAC ends in @mac_last, then its
 * options; req_relayed makes it come through relay GIADDR (hops 1), with option 82 @o82.
 */
void req_init(struct req *r, uint8_t type, uint8_t mac_last, uint32_t xid);
void req_opt(struct req *r, uint8_t code, const void *data, uint8_t len);
void req_opt_ip(struct req *r, uint8_t code, uint32_t ip);
void req_relayed(struct req *r, const void *o82, uint8_t len);
/* Ends @r with END and pads it to the 300 octets of a BOOTP message. */
void req_end(struct req *r);

/* The engine's transmit hook: appends the reply to sent[]. */
void capture(void *ctx, const struct dhcp_reply *reply, const uint8_t *msg, size_t len);

#endif
