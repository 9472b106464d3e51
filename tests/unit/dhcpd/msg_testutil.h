/*
 * Helpers shared by the codec's unit tests: DHCP messages taken from the captures in
 * tests/captures, and crafted requests.
 */
#ifndef MTDHCP_TESTS_MSG_TESTUTIL_H
#define MTDHCP_TESTS_MSG_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcpd/dhcp_msg.h"

#define CAPTURE_DIR   MTDHCP_TEST_DATA "/captures"
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The message the tests parse into, and the packet buffer they craft in. */
extern struct dhcp_msg msg;
extern uint8_t pkt[DHCP_MSG_MAX + 64];

uint16_t rd16(const uint8_t *p);
uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);

/*
 * The UDP payload of an Ethernet frame, if it is IPv4/UDP to or from port 67 or 68:
 * Ethernet (14), any 802.1Q / 802.1ad tags (4 each), the IPv4 header (IHL), UDP (8).
 */
bool frame_dhcp(const uint8_t *f, size_t len, const uint8_t **out, size_t *out_len);

/* Copies the @n-th DHCP message (0-based, in capture order) of capture @name into @buf. */
size_t capture_msg(const char *name, unsigned n, uint8_t *buf, size_t cap);

/* True when option @code of @m is a view into the message rather than a joined copy. */
bool is_view_into(const struct dhcp_msg *m, uint8_t code);

/* Parses the @n-th DHCP message of capture @file into msg (asserting that it parses). */
void parse_capture(const char *file, unsigned n);

/* Asserts that option @code of msg is exactly @want_len bytes of @want. */
void assert_opt_bytes(uint8_t code, const void *want, size_t want_len);

/* A minimal request: BOOTREQUEST, Ethernet, xid, chaddr, the cookie, then @opts. */
size_t craft(uint8_t *buf, const uint8_t *opts, size_t n);

/* Crafts a request with the given option bytes into pkt; evaluates to its length. */
#define CRAFT(...)                                                                                 \
	({                                                                                         \
		static const uint8_t o_[] = {__VA_ARGS__};                                         \
		craft(pkt, o_, sizeof(o_));                                                        \
	})

/* Parses the first @len bytes of pkt into msg. */
enum dhcp_parse_error parse_pkt(size_t len);

#endif
