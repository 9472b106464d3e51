/*
 * The DHCP engine against RFC 2131's client states and messages, one test per rule, named
 * after the section it shows: INIT-REBOOT, REBINDING, RENEWING, SELECTING (4.3.2),
 * DECLINE and its quarantine (4.3.3), RELEASE (4.3.4), INFORM (4.3.5).
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

/* --- client states (RFC 2131 4.3.2) ------------------------------------------------------ */

static void test_rfc2131_4_3_2_init_reboot_wrong_network_silent_unless_authoritative(void **state)
{
	struct fixture *f = *state;
	struct req r;
	f->tenant->authoritative = false;
	req_init(&r, DHCPREQUEST, 1, 1);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, IP(192, 168, 99, 5));
	input(f, &f->direct, &r);
	settle(f, 0);
	assert_int_equal(counter(f, TC_REQ_INIT_REBOOT), 1);
	f->tenant->authoritative = true;
	req_init(&r, DHCPREQUEST, 1, 2);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, IP(192, 168, 99, 5));
	input(f, &f->direct, &r);
	assert_int_equal(n_sent, 1);
	assert_int_equal(reply_type(&sent[0]), DHCPNAK);
	/* RFC 2131 table 3: a NAK SHOULD say why (56), and names its server (54) only. */
	assert_true(reply_has(&sent[0], DHCP_OPT_MESSAGE));
	assert_false(reply_has(&sent[0], DHCP_OPT_LEASE_TIME));
	assert_int_equal(yiaddr_of(&sent[0]), 0);
}

static void test_rfc2131_4_3_2_init_reboot_on_a_sibling_subnet_is_the_right_network(void **state)
{
	struct fixture *f = *state;
	struct req r;
	/* 192.168.2.0/24 shares the link with 192.168.1.0/24: not the wrong network. */
	req_init(&r, DHCPREQUEST, 2, 1);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, IP(192, 168, 2, 100));
	input(f, &f->direct, &r);
	poll_until(f, 1);
	assert_int_equal(reply_type(&sent[0]), DHCPACK);
	assert_int_equal(yiaddr_of(&sent[0]), IP(192, 168, 2, 100));
	assert_int_equal(reply_u32(&sent[0], DHCP_OPT_SUBNET_MASK), 0xffffff00u);
	/* 10.9.0.0/24 is another network of the tenant: wrong here. */
	req_init(&r, DHCPREQUEST, 3, 1);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, IP(10, 9, 0, 10));
	input(f, &f->direct, &r);
	assert_int_equal(reply_type(&sent[1]), DHCPNAK);
}

static void test_rfc2131_4_3_2_init_reboot_without_record(void **state)
{
	struct fixture *f = *state;
	struct req r;
	uint32_t taken = dora(f, &f->direct, 4, NULL, 0);
	/* Someone else's address: NAK. */
	req_init(&r, DHCPREQUEST, 5, 1);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, taken);
	input(f, &f->direct, &r);
	assert_int_equal(reply_type(&sent[2]), DHCPNAK);
	/* Not authoritative and no record of this client: "MUST remain silent". */
	f->tenant->authoritative = false;
	req_init(&r, DHCPREQUEST, 5, 2);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, IP(192, 168, 1, 108));
	input(f, &f->direct, &r);
	settle(f, 3);
	/* Authoritative: the database is the record, a free address is granted. */
	f->tenant->authoritative = true;
	input(f, &f->direct, &r);
	poll_until(f, 4);
	assert_int_equal(reply_type(&sent[3]), DHCPACK);
	assert_int_equal(yiaddr_of(&sent[3]), IP(192, 168, 1, 108));
}

static void test_rfc2131_4_3_2_rebinding_broadcast_extends_and_is_counted(void **state)
{
	struct fixture *f = *state;
	uint32_t addr = dora(f, &f->direct, 6, NULL, 0);
	struct req r;
	req_init(&r, DHCPREQUEST, 6, 77);
	put32(r.b + 12, addr);
	input(f, &f->direct, &r); /* broadcast: REBINDING */
	poll_until(f, 3);
	assert_int_equal(reply_type(&sent[2]), DHCPACK);
	assert_int_equal(sent[2].dest.dst_ip, addr); /* 4.1: ciaddr set, unicast to it */
	assert_int_equal(counter(f, TC_REQ_REBINDING), 1);
	req_init(&r, DHCPREQUEST, 6, 78);
	put32(r.b + 12, addr);
	input(f, &f->unicast, &r); /* unicast: RENEWING */
	poll_until(f, 4);
	assert_int_equal(reply_type(&sent[3]), DHCPACK);
	assert_int_equal(counter(f, TC_REQ_RENEWING), 1);
	/* Another client's address in ciaddr: NAK, broadcast (giaddr 0). */
	req_init(&r, DHCPREQUEST, 7, 79);
	put32(r.b + 12, addr);
	input(f, &f->direct, &r);
	assert_int_equal(reply_type(&sent[4]), DHCPNAK);
	assert_int_equal(sent[4].dest.dst_ip, BCAST);
}

static void test_rfc5010_relay_unicast_flag_marks_renewing(void **state)
{
	struct fixture *f = *state;
	static const uint8_t o82[] = {1, 5, 'c', 'a', 'p', 'r', '0'};
	static const uint8_t o82_unicast[] = {1, 5, 'c', 'a', 'p', 'r', '0', 10, 1, 0x80};
	uint32_t addr = dora(f, &f->relayed, 8, o82, sizeof(o82));
	struct req r;
	req_init(&r, DHCPREQUEST, 8, 1);
	put32(r.b + 12, addr);
	req_relayed(&r, o82, sizeof(o82));
	input(f, &f->relayed, &r);
	poll_until(f, 3);
	assert_int_equal(counter(f, TC_REQ_REBINDING), 1);
	req_init(&r, DHCPREQUEST, 8, 2);
	put32(r.b + 12, addr);
	req_relayed(&r, o82_unicast, sizeof(o82_unicast));
	input(f, &f->relayed, &r);
	poll_until(f, 4);
	assert_int_equal(reply_type(&sent[3]), DHCPACK);
	assert_int_equal(counter(f, TC_REQ_RENEWING), 1);
	/* The flags sub-option goes back inside option 82, unchanged (RFC 3046 2.2). */
	size_t len;
	const uint8_t *v = reply_opt(&sent[3], DHCP_OPT_RELAY_AGENT, &len);
	assert_int_equal(len, sizeof(o82_unicast));
	assert_memory_equal(v, o82_unicast, len);
}

static void test_rfc2131_4_3_2_relayed_nak_sets_broadcast_bit(void **state)
{
	struct fixture *f = *state;
	struct req r;
	req_init(&r, DHCPREQUEST, 9, 1);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, IP(172, 30, 0, 1));
	req_relayed(&r, NULL, 0);
	input(f, &f->relayed, &r);
	assert_int_equal(n_sent, 1);
	assert_int_equal(reply_type(&sent[0]), DHCPNAK);
	assert_int_equal(sent[0].msg[10] & 0x80, 0x80);
	assert_int_equal(sent[0].dest.dst_ip, GIADDR);
	assert_int_equal(sent[0].dest.dst_port, 67);
}

static void test_rfc2131_4_3_2_selecting_names_our_offer_or_nak(void **state)
{
	struct fixture *f = *state;
	struct req r;
	req_init(&r, DHCPDISCOVER, 10, 5);
	input(f, &f->direct, &r);
	uint32_t offered = yiaddr_of(&sent[0]);
	/* Another server's identifier: the offer is freed, nothing is sent. */
	req_init(&r, DHCPREQUEST, 10, 5);
	req_opt_ip(&r, DHCP_OPT_SERVER_ID, IP(192, 168, 1, 77));
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, offered);
	input(f, &f->direct, &r);
	settle(f, 1);
	assert_int_equal(counter(f, TC_DROP_NOT_FOR_US), 1);
	/* Ours, but no requested address: NAK. */
	req_init(&r, DHCPREQUEST, 10, 6);
	req_opt_ip(&r, DHCP_OPT_SERVER_ID, LOCAL);
	input(f, &f->direct, &r);
	assert_int_equal(reply_type(&sent[1]), DHCPNAK);
}

/* --- DECLINE, RELEASE, INFORM ---------------------------------------------------------- */

static void test_rfc2131_4_3_3_decline_quarantines_the_address(void **state)
{
	struct fixture *f = *state;
	uint32_t addr = dora(f, &f->direct, 11, NULL, 0);
	struct req r;
	req_init(&r, DHCPDECLINE, 11, 9);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, addr);
	req_opt_ip(&r, DHCP_OPT_SERVER_ID, LOCAL);
	input(f, &f->direct, &r);
	wait_db_state(f, addr, 4 /* declined */);
	assert_int_equal(counter(f, TC_DECLINED), 1);
	assert_int_equal(n_sent, 2); /* no reply to a DECLINE */
	/* Never offered again meanwhile: not to the client, not when asked for. */
	for (uint8_t c = 11; c < 16; c++) {
		req_init(&r, DHCPDISCOVER, c, 100 + c);
		req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, addr);
		input(f, &f->direct, &r);
		assert_int_equal(reply_type(&sent[n_sent - 1]), DHCPOFFER);
		assert_int_not_equal(yiaddr_of(&sent[n_sent - 1]), addr);
	}
	/* INIT-REBOOT for it: NAK. */
	req_init(&r, DHCPREQUEST, 16, 1);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, addr);
	input(f, &f->direct, &r);
	assert_int_equal(reply_type(&sent[n_sent - 1]), DHCPNAK);
}

/*
 * RFC 2131 4.3.3: the quarantine is in the lease database, so an engine started on it
 * later (the daemon restarted) keeps the address out of service until it ends.
 */
static void test_rfc2131_4_3_3_quarantine_survives_a_restart(void **state)
{
	struct fixture *f = *state;
	uint32_t addr = dora(f, &f->direct, 17, NULL, 0);
	struct req r;
	req_init(&r, DHCPDECLINE, 17, 9);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, addr);
	req_opt_ip(&r, DHCP_OPT_SERVER_ID, LOCAL);
	input(f, &f->direct, &r);
	wait_db_state(f, addr, 4 /* declined */);

	int64_t now = time(NULL);
	struct dhcp_engine_params ep = {
	    .owner = 0, .store = f->store, .tx = capture, .max_pending = 16};
	struct dhcp_engine *e2 = dhcp_engine_create(&ep);
	assert_non_null(e2);
	assert_int_equal(dhcp_engine_add_tenant(e2, f->tenant, now), 0);
	size_t base = n_sent;
	req_init(&r, DHCPDISCOVER, 18, 1);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, addr);
	input_at(f, e2, &f->direct, &r, now);
	assert_int_equal(n_sent, base + 1);
	assert_int_equal(reply_type(&sent[base]), DHCPOFFER);
	assert_int_not_equal(yiaddr_of(&sent[base]), addr);
	/* The quarantine (decline_time, 600 s) over, the address is offered again. */
	req_init(&r, DHCPDISCOVER, 19, 2);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, addr);
	input_at(f, e2, &f->direct, &r, now + 601);
	assert_int_equal(n_sent, base + 2);
	assert_int_equal(yiaddr_of(&sent[base + 1]), addr);
	dhcp_engine_destroy(e2);
}

static void test_rfc2131_4_3_3_decline_only_from_the_holder(void **state)
{
	struct fixture *f = *state;
	uint32_t addr = dora(f, &f->direct, 17, NULL, 0);
	struct req r;
	req_init(&r, DHCPDECLINE, 18, 9); /* another client */
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, addr);
	req_opt_ip(&r, DHCP_OPT_SERVER_ID, LOCAL);
	input(f, &f->direct, &r);
	settle(f, 2);
	assert_int_equal(counter(f, TC_DROP_DECLINE_NOT_HOLDER), 1);
	assert_int_equal(db_state(f->path, addr), 1 /* active */);
	/* The holder renews its address as before. */
	req_init(&r, DHCPREQUEST, 17, 10);
	put32(r.b + 12, addr);
	input(f, &f->unicast, &r);
	poll_until(f, 3);
	assert_int_equal(reply_type(&sent[2]), DHCPACK);
}

static void test_rfc2131_4_3_4_release_frees_for_its_client_only(void **state)
{
	struct fixture *f = *state;
	uint32_t addr = dora(f, &f->direct, 19, NULL, 0);
	struct req r;
	req_init(&r, DHCPRELEASE, 20, 1);
	put32(r.b + 12, addr);
	req_opt_ip(&r, DHCP_OPT_SERVER_ID, LOCAL);
	input(f, &f->unicast, &r);
	settle(f, 2);
	assert_int_equal(db_state(f->path, addr), 1);
	assert_int_equal(counter(f, TC_DROP_RELEASE_NOT_HOLDER), 1);
	/* Naming another server: not for us, whoever sends it. */
	req_init(&r, DHCPRELEASE, 19, 3);
	put32(r.b + 12, addr);
	req_opt_ip(&r, DHCP_OPT_SERVER_ID, IP(192, 168, 1, 77));
	input(f, &f->unicast, &r);
	settle(f, 2);
	assert_int_equal(db_state(f->path, addr), 1);
	assert_int_equal(counter(f, TC_DROP_NOT_FOR_US), 1);
	req_init(&r, DHCPRELEASE, 19, 2);
	put32(r.b + 12, addr);
	req_opt_ip(&r, DHCP_OPT_SERVER_ID, LOCAL);
	input(f, &f->unicast, &r);
	wait_db_state(f, addr, 2 /* released */);
	assert_int_equal(n_sent, 2);
}

static void test_rfc2131_4_3_5_inform_acks_options_without_lease(void **state)
{
	struct fixture *f = *state;
	struct req r;
	uint8_t prl[] = {1, 3, 6, 15, 51};
	req_init(&r, DHCPINFORM, 21, 3);
	put32(r.b + 12, IP(192, 168, 1, 50));
	req_opt(&r, DHCP_OPT_PARAM_LIST, prl, sizeof(prl));
	struct dhcp_path p = f->unicast;
	p.src_ip = IP(192, 168, 1, 50);
	input(f, &p, &r);
	assert_int_equal(n_sent, 1);
	const struct sent *s = &sent[0];
	assert_int_equal(reply_type(s), DHCPACK);
	assert_int_equal(yiaddr_of(s), 0);
	assert_false(reply_has(s, DHCP_OPT_LEASE_TIME));
	assert_false(reply_has(s, DHCP_OPT_RENEWAL_TIME));
	assert_false(reply_has(s, DHCP_OPT_REBINDING_TIME));
	assert_int_equal(reply_u32(s, DHCP_OPT_ROUTERS), IP(192, 168, 1, 1));
	assert_int_equal(s->dest.dst_ip, IP(192, 168, 1, 50));
	assert_int_equal(s->dest.dst_port, 68);
	/* Nothing was leased. */
	settle(f, 1);
	assert_int_equal(db_state(f->path, IP(192, 168, 1, 50)), 0);
	/* Relayed, the ACK still goes straight to ciaddr (a relay would send it to yiaddr 0). */
	req_init(&r, DHCPINFORM, 21, 4);
	put32(r.b + 12, IP(192, 168, 1, 50));
	req_relayed(&r, (const uint8_t[]){1, 1, 'x'}, 3);
	input(f, &f->relayed, &r);
	assert_int_equal(sent[1].dest.dst_ip, IP(192, 168, 1, 50));
	assert_int_equal(sent[1].dest.dst_port, 68);
	assert_memory_equal(sent[1].dest.dst_mac, f->relayed.src_mac, 6);
}

int main(void)
{
	assert_int_equal(dhcp_client_key_init(), 0);
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, proto_setup, proto_teardown)
	    T(test_rfc2131_4_3_2_init_reboot_wrong_network_silent_unless_authoritative),
	    T(test_rfc2131_4_3_2_init_reboot_on_a_sibling_subnet_is_the_right_network),
	    T(test_rfc2131_4_3_2_init_reboot_without_record),
	    T(test_rfc2131_4_3_2_rebinding_broadcast_extends_and_is_counted),
	    T(test_rfc5010_relay_unicast_flag_marks_renewing),
	    T(test_rfc2131_4_3_2_relayed_nak_sets_broadcast_bit),
	    T(test_rfc2131_4_3_2_selecting_names_our_offer_or_nak),
	    T(test_rfc2131_4_3_3_decline_quarantines_the_address),
	    T(test_rfc2131_4_3_3_quarantine_survives_a_restart),
	    T(test_rfc2131_4_3_3_decline_only_from_the_holder),
	    T(test_rfc2131_4_3_4_release_frees_for_its_client_only),
	    T(test_rfc2131_4_3_5_inform_acks_options_without_lease),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
