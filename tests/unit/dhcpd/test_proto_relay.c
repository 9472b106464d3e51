/*
 * The DHCP engine against the relay RFCs (3527 link selection, 3011 subnet selection, 5107
 * server identifier override, 8357 relay source port, 6607 VSS), rapid commit (RFC 4039),
 * shared networks, and what malformed requests are counted as.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dhcpd/client_key.h"
#include "proto_testutil.h"

/* --- relays ---------------------------------------------------------------------------- */

static void test_rfc3527_link_selection_picks_the_subnet(void **state)
{
	struct fixture *f = *state;
	static const uint8_t o82[] = {1, 1, 'x', 5, 4, 10, 9, 0, 1};
	static const uint8_t unknown[] = {5, 4, 172, 31, 0, 1};
	struct req r;
	req_init(&r, DHCPDISCOVER, 44, 1);
	req_relayed(&r, o82, sizeof(o82));
	put32(r.b + 24, IP(10, 0, 1, 2)); /* giaddr: the relay's upstream address */
	input(f, &f->relayed, &r);
	assert_int_equal(n_sent, 1);
	uint32_t a = yiaddr_of(&sent[0]);
	assert_true(a == IP(10, 9, 0, 10) || a == IP(10, 9, 0, 11));
	assert_int_equal(sent[0].dest.dst_ip, IP(10, 0, 1, 2));
	/* A link the tenant has no subnet for: no reply, never a fallback to giaddr. */
	req_init(&r, DHCPDISCOVER, 45, 1);
	req_relayed(&r, unknown, sizeof(unknown));
	input(f, &f->relayed, &r);
	settle(f, 1);
	assert_int_equal(counter(f, TC_DROP_NO_SUBNET), 1);
}

static void test_rfc3011_subnet_selection_picks_and_is_echoed(void **state)
{
	struct fixture *f = *state;
	struct req r;
	req_init(&r, DHCPDISCOVER, 46, 1);
	req_opt_ip(&r, DHCP_OPT_SUBNET_SELECTION, IP(10, 9, 0, 0));
	input(f, &f->direct, &r);
	uint32_t a = yiaddr_of(&sent[0]);
	assert_true(a == IP(10, 9, 0, 10) || a == IP(10, 9, 0, 11));
	assert_int_equal(reply_u32(&sent[0], DHCP_OPT_SUBNET_SELECTION), IP(10, 9, 0, 0));
}

static void test_rfc5107_server_identifier_override(void **state)
{
	struct fixture *f = *state;
	static const uint8_t o82[] = {11, 4, 192, 168, 1, 1};
	uint32_t addr = dora(f, &f->relayed, 47, o82, sizeof(o82));
	/* The client knows us by the relay's address, and its REQUEST naming it was ours. */
	assert_int_equal(reply_u32(&sent[0], DHCP_OPT_SERVER_ID), GIADDR);
	assert_int_equal(reply_u32(&sent[1], DHCP_OPT_SERVER_ID), GIADDR);
	assert_int_equal(yiaddr_of(&sent[1]), addr);
	/* Without the override, that identifier is another server's. */
	struct req r;
	req_init(&r, DHCPREQUEST, 48, 1);
	req_opt_ip(&r, DHCP_OPT_SERVER_ID, GIADDR);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, IP(192, 168, 1, 101));
	req_relayed(&r, NULL, 0);
	input(f, &f->relayed, &r);
	settle(f, 2);
	assert_int_equal(counter(f, TC_DROP_NOT_FOR_US), 1);
}

static void test_rfc8357_reply_to_the_relay_source_port(void **state)
{
	struct fixture *f = *state;
	static const uint8_t o82[] = {1, 1, 'x', 19, 0};
	struct dhcp_path p = f->relayed;
	p.src_port = 3067;
	struct req r;
	req_init(&r, DHCPDISCOVER, 49, 1);
	req_relayed(&r, o82, sizeof(o82));
	input(f, &p, &r);
	assert_int_equal(sent[0].dest.dst_port, 3067);
	assert_int_equal(sent[0].dest.dst_ip, GIADDR);
	/* Without the sub-option, the server port, whatever the source port. */
	req_init(&r, DHCPDISCOVER, 49, 2);
	req_relayed(&r, (const uint8_t[]){1, 1, 'x'}, 3);
	input(f, &p, &r);
	assert_int_equal(sent[1].dest.dst_port, 67);
}

/*
 * RFC 6607 3.3: the VSS-Control sub-option (152) tells the relay, by its absence from the
 * echo, that the server understood the VSS sub-option (151); everything else in option 82,
 * 151 included, goes back unchanged and in order (RFC 3046 2.2), in the OFFER and the ACK.
 */
static void test_rfc6607_vss_control_is_not_echoed(void **state)
{
	struct fixture *f = *state;
	static const uint8_t o82[] = {1,   5,   'c', 'a', 'p', 'r', '0', 151, 5,   0,   'b',
	                              'l', 'u', 'e', 152, 0,   2,   2,   'r', '1', 152, 0};
	static const uint8_t echo[] = {1, 5,   'c', 'a', 'p', 'r', '0', 151, 5,
	                               0, 'b', 'l', 'u', 'e', 2,   2,   'r', '1'};
	size_t len;
	dora(f, &f->relayed, 53, o82, sizeof(o82));
	for (int i = 0; i < 2; i++) {
		const uint8_t *v = reply_opt(&sent[i], DHCP_OPT_RELAY_AGENT, &len);
		assert_non_null(v);
		assert_int_equal(len, sizeof(echo));
		assert_memory_equal(v, echo, sizeof(echo));
	}
	/* Without 152, option 82 goes back byte for byte, a trailing fragment included. */
	static const uint8_t plain[] = {1, 1, 'x', 151, 2, 255, 0, 9};
	struct req r;
	req_init(&r, DHCPDISCOVER, 54, 1);
	req_relayed(&r, plain, sizeof(plain));
	input(f, &f->relayed, &r);
	assert_int_equal(n_sent, 3);
	const uint8_t *v = reply_opt(&sent[2], DHCP_OPT_RELAY_AGENT, &len);
	assert_non_null(v);
	assert_int_equal(len, sizeof(plain));
	assert_memory_equal(v, plain, sizeof(plain));
	/* An option 82 that held only 152 leaves nothing to echo: no option 82 at all. */
	req_init(&r, DHCPDISCOVER, 55, 1);
	req_relayed(&r, (const uint8_t[]){152, 0}, 2);
	input(f, &f->relayed, &r);
	assert_int_equal(n_sent, 4);
	assert_int_equal(reply_type(&sent[3]), DHCPOFFER);
	assert_false(reply_has(&sent[3], DHCP_OPT_RELAY_AGENT));
}

/* --- rapid commit, shared networks, malformed input ----------------------------------- */

static void test_rfc4039_rapid_commit(void **state)
{
	struct fixture *f = *state;
	struct req r;
	/* Disabled (the default): an ordinary OFFER, without option 80. */
	req_init(&r, DHCPDISCOVER, 50, 1);
	req_opt(&r, DHCP_OPT_RAPID_COMMIT, NULL, 0);
	input(f, &f->direct, &r);
	assert_int_equal(reply_type(&sent[0]), DHCPOFFER);
	assert_false(reply_has(&sent[0], DHCP_OPT_RAPID_COMMIT));
	/* Enabled: an ACK with option 80, after the commit. */
	f->tenant->rapid_commit = true;
	req_init(&r, DHCPDISCOVER, 51, 2);
	req_opt(&r, DHCP_OPT_RAPID_COMMIT, NULL, 0);
	input(f, &f->direct, &r);
	assert_int_equal(n_sent, 1);
	poll_until(f, 2);
	assert_int_equal(reply_type(&sent[1]), DHCPACK);
	assert_true(reply_has(&sent[1], DHCP_OPT_RAPID_COMMIT));
	assert_int_equal(db_state(f->path, yiaddr_of(&sent[1])), 1);
	/* Enabled, but the client did not ask: an OFFER. */
	req_init(&r, DHCPDISCOVER, 52, 3);
	input(f, &f->direct, &r);
	assert_int_equal(reply_type(&sent[2]), DHCPOFFER);
}

static void test_shared_network_moves_to_the_next_subnet_then_exhausts(void **state)
{
	struct fixture *f = *state;
	struct req r;
	/* 192.168.1.100-109 less the reserved .105: 9, then 192.168.2.100-101: 2. */
	for (uint8_t c = 60; c < 71; c++) {
		req_init(&r, DHCPDISCOVER, c, c);
		input(f, &f->direct, &r);
		assert_int_equal(n_sent, (size_t)(c - 59));
		uint32_t a = yiaddr_of(&sent[n_sent - 1]);
		if (c < 69)
			assert_int_equal(a & 0xffffff00u, IP(192, 168, 1, 0));
		else
			assert_int_equal(a & 0xffffff00u, IP(192, 168, 2, 0));
		/* The mask and router are those of the address's subnet. */
		assert_int_equal(reply_u32(&sent[n_sent - 1], DHCP_OPT_ROUTERS),
		                 (a & 0xffffff00u) + 1);
	}
	/* Exhausted: no OFFER, counted each time. */
	for (uint8_t c = 71; c < 74; c++) {
		req_init(&r, DHCPDISCOVER, c, c);
		input(f, &f->direct, &r);
	}
	assert_int_equal(n_sent, 11);
	assert_int_equal(counter(f, TC_DROP_POOL_EXHAUSTED), 3);
}

static void test_rfc2131_2_malformed_requests_counted_by_reason(void **state)
{
	struct fixture *f = *state;
	struct req r;
	req_init(&r, DHCPDISCOVER, 80, 1);
	r.b[2] = 17; /* hlen */
	input(f, &f->direct, &r);
	req_init(&r, DHCPDISCOVER, 80, 2);
	r.b[0] = DHCP_BOOTREPLY;
	input(f, &f->direct, &r);
	req_init(&r, DHCPDISCOVER, 80, 3);
	r.b[236] = 0; /* cookie */
	input(f, &f->direct, &r);
	req_init(&r, DHCPDISCOVER, 80, 4);
	r.b[3] = 17; /* hops */
	input(f, &f->direct, &r);
	assert_int_equal(n_sent, 0);
	assert_int_equal(counter(f, TC_DROP_BAD_HLEN), 1);
	assert_int_equal(counter(f, TC_DROP_NOT_REQUEST), 1);
	assert_int_equal(counter(f, TC_DROP_NO_COOKIE), 1);
	assert_int_equal(counter(f, TC_DROP_BAD_HOPS), 1);
	assert_int_equal(counter(f, TC_DROP_MALFORMED), 4);
}

int main(void)
{
	assert_int_equal(dhcp_client_key_init(), 0);
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, proto_setup, proto_teardown)
	    T(test_rfc3527_link_selection_picks_the_subnet),
	    T(test_rfc3011_subnet_selection_picks_and_is_echoed),
	    T(test_rfc5107_server_identifier_override),
	    T(test_rfc8357_reply_to_the_relay_source_port),
	    T(test_rfc6607_vss_control_is_not_echoed),
	    T(test_rfc4039_rapid_commit),
	    T(test_shared_network_moves_to_the_next_subnet_then_exhausts),
	    T(test_rfc2131_2_malformed_requests_counted_by_reason),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
