/*
 * The DHCP engine against the rules of client identity, options and lease times (RFC 2131,
 * RFC 2132, RFC 6842) and against reservations, one test per rule.
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

/* --- identity and options ------------------------------------------------------------- */

static void test_rfc6842_client_id_is_the_identity_and_is_echoed(void **state)
{
	struct fixture *f = *state;
	struct req r;
	/* Same chaddr, two client identifiers: two clients, two addresses. */
	req_init(&r, DHCPDISCOVER, 22, 1);
	req_opt(&r, DHCP_OPT_CLIENT_ID, "\x01\x11", 2);
	input(f, &f->direct, &r);
	req_init(&r, DHCPDISCOVER, 22, 2);
	req_opt(&r, DHCP_OPT_CLIENT_ID, "\x01\x12", 2);
	input(f, &f->direct, &r);
	assert_int_not_equal(yiaddr_of(&sent[0]), yiaddr_of(&sent[1]));
	size_t len;
	const uint8_t *v = reply_opt(&sent[1], DHCP_OPT_CLIENT_ID, &len);
	assert_int_equal(len, 2);
	assert_memory_equal(v, "\x01\x12", 2);
	/* A NAK echoes it too. */
	req_init(&r, DHCPREQUEST, 22, 3);
	req_opt(&r, DHCP_OPT_CLIENT_ID, "\x01\x12", 2);
	input(f, &f->direct, &r);
	assert_int_equal(reply_type(&sent[2]), DHCPNAK);
	assert_true(reply_has(&sent[2], DHCP_OPT_CLIENT_ID));
}

static void test_rfc2132_9_8_parameter_request_list_order(void **state)
{
	struct fixture *f = *state;
	struct req r;
	uint8_t prl[] = {42, 15, 3, 6};
	req_init(&r, DHCPDISCOVER, 23, 1);
	req_opt(&r, DHCP_OPT_PARAM_LIST, prl, sizeof(prl));
	input(f, &f->direct, &r);
	const struct sent *s = &sent[0];
	/* The requested options appear in the client's order after the server's own. */
	size_t i = DHCP_OPTIONS_OFF, k = 0;
	while (s->msg[i] != DHCP_OPT_END) {
		if (k < sizeof(prl) && s->msg[i] == prl[k])
			k++;
		i += 2u + s->msg[i + 1];
	}
	assert_int_equal(k, sizeof(prl));
	/* Without a request list: routers, DNS and domain only. */
	req_init(&r, DHCPDISCOVER, 24, 1);
	input(f, &f->direct, &r);
	assert_true(reply_has(&sent[1], DHCP_OPT_ROUTERS));
	assert_false(reply_has(&sent[1], 42));
}

static void test_rfc2132_9_10_reply_fits_max_message_size(void **state)
{
	struct fixture *f = *state;
	struct req r;
	/* Long options in the pool: 200, 100 and 200 octets (codes 150, 151, 152). */
	static uint8_t big[200];
	memset(big, 'a', sizeof(big));
	struct optset *po = &f->tenant->subnets[0].pool_options[0];
	assert_int_equal(optset_put(po, 150, big, 200), 0);
	assert_int_equal(optset_put(po, 151, big, 100), 0);
	assert_int_equal(optset_put(po, 152, big, 200), 0);
	uint8_t prl[] = {3, 150, 151, 152, 6, 15};
	req_init(&r, DHCPDISCOVER, 25, 1);
	req_opt(&r, DHCP_OPT_PARAM_LIST, prl, sizeof(prl));
	req_opt(&r, DHCP_OPT_MAX_MSG_SIZE, "\x02\x40", 2); /* 576 */
	input(f, &f->direct, &r);
	assert_int_equal(n_sent, 1);
	/* 576 is the IP datagram: 548 octets of DHCP at most. */
	assert_true(sent[0].len <= 548);
	assert_true(reply_has(&sent[0], 150));
	assert_true(reply_has(&sent[0], 151));               /* in the file field ... */
	assert_true(reply_has(&sent[0], DHCP_OPT_OVERLOAD)); /* ... says option 52 (4.1) */
	assert_true(reply_has(&sent[0], 6));
	assert_true(reply_has(&sent[0], 15));
	assert_false(reply_has(&sent[0], 152)); /* the one that fits nowhere is left out */
	assert_int_equal(counter(f, TC_OPTIONS_DROPPED), 1);
	/* With room for it all, no overload and nothing left out. */
	req_init(&r, DHCPDISCOVER, 25, 2);
	req_opt(&r, DHCP_OPT_PARAM_LIST, prl, sizeof(prl));
	req_opt(&r, DHCP_OPT_MAX_MSG_SIZE, "\x05\xdc", 2); /* 1500 */
	input(f, &f->direct, &r);
	assert_true(reply_has(&sent[1], 152));
	assert_false(reply_has(&sent[1], DHCP_OPT_OVERLOAD));
	/* RFC 1542 3.1: a short reply is padded to 300 octets. */
	req_init(&r, DHCPREQUEST, 26, 3);
	input(f, &f->direct, &r);
	assert_int_equal(sent[2].len, DHCP_BOOTP_MIN_LEN);
}

static void test_rfc2131_4_3_1_lease_time_within_bounds_and_timers(void **state)
{
	struct fixture *f = *state;
	struct req r;
	static const struct {
		uint32_t want, got;
	} cases[] = {{0, 600}, {30, 60}, {120, 120}, {999999, 3600}};
	for (size_t i = 0; i < 4; i++) {
		req_init(&r, DHCPDISCOVER, 27, (uint32_t)i);
		if (cases[i].want)
			req_opt_ip(&r, DHCP_OPT_LEASE_TIME, cases[i].want);
		input(f, &f->direct, &r);
		assert_int_equal(reply_u32(&sent[i], DHCP_OPT_LEASE_TIME), cases[i].got);
		/* RFC 2131 4.4.5: T1 = 1/2, T2 = 7/8 of the lease by default. */
		assert_int_equal(reply_u32(&sent[i], DHCP_OPT_RENEWAL_TIME), cases[i].got / 2);
		assert_int_equal(reply_u32(&sent[i], DHCP_OPT_REBINDING_TIME),
		                 cases[i].got * 7 / 8);
	}
	/* Configured T1/T2 (58/59) are used as they are. */
	f->tenant->subnets[0].times.renew_time = 100;
	f->tenant->subnets[0].times.rebind_time = 400;
	req_init(&r, DHCPDISCOVER, 27, 9);
	input(f, &f->direct, &r);
	assert_int_equal(reply_u32(&sent[4], DHCP_OPT_RENEWAL_TIME), 100);
	assert_int_equal(reply_u32(&sent[4], DHCP_OPT_REBINDING_TIME), 400);
}

/* --- reservations ----------------------------------------------------------------------- */

static void test_reservation_by_mac_inside_pool_never_to_another(void **state)
{
	struct fixture *f = *state;
	struct req r;
	/* Others asking for it, and the whole pool handed out: never .105. */
	for (uint8_t c = 30; c < 39; c++) {
		req_init(&r, DHCPDISCOVER, c, c);
		req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, IP(192, 168, 1, 105));
		input(f, &f->direct, &r);
		assert_int_not_equal(yiaddr_of(&sent[n_sent - 1]), IP(192, 168, 1, 105));
	}
	req_init(&r, DHCPREQUEST, 39, 1);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, IP(192, 168, 1, 105));
	input(f, &f->direct, &r);
	assert_int_equal(reply_type(&sent[n_sent - 1]), DHCPNAK);
	/* Its own client gets it, with the reservation's options over the pool's. */
	uint32_t addr = dora(f, &f->direct, 0x50, NULL, 0);
	assert_int_equal(addr, IP(192, 168, 1, 105));
	size_t len;
	const uint8_t *v = reply_opt(&sent[n_sent - 1], DHCP_OPT_DOMAIN_NAME, &len);
	assert_int_equal(len, 11);
	assert_memory_equal(v, "res.example", 11);
}

static void test_reservation_by_client_id_outside_pool(void **state)
{
	struct fixture *f = *state;
	struct req r;
	req_init(&r, DHCPDISCOVER, 40, 1);
	req_opt(&r, DHCP_OPT_CLIENT_ID, "\x01\xaa\xbb", 3);
	uint8_t prl[] = {15};
	req_opt(&r, DHCP_OPT_PARAM_LIST, prl, 1);
	input(f, &f->direct, &r);
	assert_int_equal(yiaddr_of(&sent[0]), IP(192, 168, 1, 20));
	req_init(&r, DHCPREQUEST, 40, 1);
	req_opt(&r, DHCP_OPT_CLIENT_ID, "\x01\xaa\xbb", 3);
	req_opt_ip(&r, DHCP_OPT_SERVER_ID, LOCAL);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, IP(192, 168, 1, 20));
	input(f, &f->direct, &r);
	poll_until(f, 2);
	assert_int_equal(reply_type(&sent[1]), DHCPACK);
	wait_db_state(f, IP(192, 168, 1, 20), 1);
	/* A pool client gets the pool's domain, the reserved one outside it the subnet's. */
	size_t len;
	const uint8_t *v = reply_opt(&sent[1], DHCP_OPT_DOMAIN_NAME, &len);
	assert_memory_equal(v, "acme.example", 12);
	req_init(&r, DHCPDISCOVER, 41, 2);
	req_opt(&r, DHCP_OPT_PARAM_LIST, prl, 1);
	input(f, &f->direct, &r);
	v = reply_opt(&sent[2], DHCP_OPT_DOMAIN_NAME, &len);
	assert_memory_equal(v, "pool.example", 12);
}

static void test_rfc3046_reservation_by_circuit_id_only_from_a_relay(void **state)
{
	struct fixture *f = *state;
	static const uint8_t o82[] = {1, 5, 'c', 'a', 'p', 'r', '9'};
	uint32_t addr = dora(f, &f->relayed, 42, o82, sizeof(o82));
	assert_int_equal(addr, IP(192, 168, 1, 21));
	/* A direct client cannot claim it with an option 82 of its own. */
	struct req r;
	req_init(&r, DHCPDISCOVER, 43, 1);
	req_opt(&r, DHCP_OPT_RELAY_AGENT, o82, sizeof(o82));
	input(f, &f->direct, &r);
	assert_int_not_equal(yiaddr_of(&sent[2]), IP(192, 168, 1, 21));
	assert_false(reply_has(&sent[2], DHCP_OPT_RELAY_AGENT));
}

int main(void)
{
	assert_int_equal(dhcp_client_key_init(), 0);
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, proto_setup, proto_teardown)
	    T(test_rfc6842_client_id_is_the_identity_and_is_echoed),
	    T(test_rfc2132_9_8_parameter_request_list_order),
	    T(test_rfc2132_9_10_reply_fits_max_message_size),
	    T(test_rfc2131_4_3_1_lease_time_within_bounds_and_timers),
	    T(test_reservation_by_mac_inside_pool_never_to_another),
	    T(test_reservation_by_client_id_outside_pool),
	    T(test_rfc3046_reservation_by_circuit_id_only_from_a_relay),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
