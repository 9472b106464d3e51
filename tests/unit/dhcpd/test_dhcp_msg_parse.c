/*
 * The DHCPv4 parser (dhcpd/dhcp_msg_parse.c) on crafted messages: the fixed part, option
 * bounds and lengths, RFC 3396 joining, option 52 overload, relay sub-options.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcpd/dhcp_msg.h"
#include "msg_testutil.h"
#include "pcap_reader.h"
#include "tenants/optdef.h"

static void test_parse_fixed_part(void **state)
{
	size_t len;

	(void)state;
	len = CRAFT(53, 1, DHCPDISCOVER, 255);
	assert_int_equal(parse_pkt(len), DHCP_PARSE_OK);
	assert_int_equal(msg.xid, 0x11223344);
	assert_int_equal(msg.hlen, 6);
	assert_ptr_equal(msg.chaddr, pkt + 28);
	assert_ptr_equal(msg.raw, pkt);
	assert_int_equal(msg.len, len);

	/* Shorter than the fixed part and the cookie. */
	assert_int_equal(parse_pkt(DHCP_MIN_LEN - 1), DHCP_PARSE_SHORT);
	assert_int_equal(parse_pkt(0), DHCP_PARSE_SHORT);
	/* Exactly the fixed part and the cookie: no options, so no option 53. */
	assert_int_equal(parse_pkt(DHCP_MIN_LEN), DHCP_PARSE_NO_TYPE);

	/* DHCP_MSG_MAX is accepted (the tail is PAD after END), one more is not. */
	memset(pkt + len, 0, sizeof(pkt) - len);
	assert_int_equal(parse_pkt(DHCP_MSG_MAX), DHCP_PARSE_OK);
	assert_int_equal(parse_pkt(DHCP_MSG_MAX + 1), DHCP_PARSE_TOO_LONG);

	pkt[0] = DHCP_BOOTREPLY;
	assert_int_equal(parse_pkt(len), DHCP_PARSE_NOT_REQUEST);
	pkt[0] = 3;
	assert_int_equal(parse_pkt(len), DHCP_PARSE_NOT_REQUEST);
	pkt[0] = DHCP_BOOTREQUEST;

	pkt[2] = 17;
	assert_int_equal(parse_pkt(len), DHCP_PARSE_BAD_HLEN);
	pkt[2] = 16;
	assert_int_equal(parse_pkt(len), DHCP_PARSE_OK);
	pkt[2] = 6;

	pkt[DHCP_FIXED_LEN + 3] = 0x64;
	assert_int_equal(parse_pkt(len), DHCP_PARSE_NO_COOKIE);
	memset(pkt + DHCP_FIXED_LEN, 0, 4);
	assert_int_equal(parse_pkt(len), DHCP_PARSE_NO_COOKIE);
}

static void test_parse_option_bounds(void **state)
{
	size_t len = 0;

	(void)state;
	/* A field may end without END when its last option ends exactly at its end. */
	assert_int_equal(parse_pkt(CRAFT(53, 1, DHCPREQUEST)), DHCP_PARSE_OK);
	assert_int_equal(msg.type, DHCPREQUEST);
	/* PAD is skipped anywhere; what follows END is not read. */
	assert_int_equal(parse_pkt(CRAFT(0, 0, 53, 1, 3, 0, 255, 12, 200, 1)), DHCP_PARSE_OK);
	assert_null(dhcp_msg_opt(&msg, DHCP_OPT_HOSTNAME, &len));
	/* A value that runs past the message. */
	assert_int_equal(parse_pkt(CRAFT(53, 1, 1, 12, 10, 'a', 'b')), DHCP_PARSE_BAD_OPTION);
	/* A code whose length octet is missing. */
	assert_int_equal(parse_pkt(CRAFT(53, 1, 1, 12)), DHCP_PARSE_BAD_OPTION);
	/* Lengths the option's definition forbids. */
	assert_int_equal(parse_pkt(CRAFT(53, 2, 1, 1, 255)), DHCP_PARSE_BAD_OPTION);
	assert_int_equal(parse_pkt(CRAFT(53, 1, 1, 1, 3, 255, 255, 255, 255)),
	                 DHCP_PARSE_BAD_OPTION);
	assert_int_equal(parse_pkt(CRAFT(53, 1, 1, 54, 5, 10, 0, 0, 1, 0, 255)),
	                 DHCP_PARSE_BAD_OPTION);
	assert_int_equal(parse_pkt(CRAFT(53, 1, 1, 3, 6, 10, 0, 0, 1, 10, 0, 255)),
	                 DHCP_PARSE_BAD_OPTION);
	assert_int_equal(parse_pkt(CRAFT(53, 1, 1, 12, 0, 255)), DHCP_PARSE_BAD_OPTION);
	assert_int_equal(parse_pkt(CRAFT(53, 1, 1, 57, 1, 2, 255)), DHCP_PARSE_BAD_OPTION);
	assert_int_equal(parse_pkt(CRAFT(53, 1, 1, 61, 1, 1, 255)), DHCP_PARSE_BAD_OPTION);
	assert_int_equal(parse_pkt(CRAFT(53, 1, 1, 80, 1, 0, 255)), DHCP_PARSE_BAD_OPTION);
	/* Accepted lengths of the same options. */
	assert_int_equal(parse_pkt(CRAFT(53, 1, 1, 3, 8, 10, 0, 0, 1, 10, 0, 0, 2, 12, 1, 'h', 61,
	                                 2, 0, 'x', 80, 0, 255)),
	                 DHCP_PARSE_OK);
	/* An unknown option is kept as it came, whatever its length. */
	assert_int_equal(parse_pkt(CRAFT(53, 1, 1, 200, 3, 7, 8, 9, 201, 0, 255)), DHCP_PARSE_OK);
	assert_opt_bytes(200, "\x07\x08\x09", 3);
	assert_opt_bytes(201, "", 0);
	assert_true(is_view_into(&msg, 200));
}

static void test_parse_message_type(void **state)
{
	size_t len;

	(void)state;
	assert_int_equal(parse_pkt(CRAFT(12, 1, 'h', 255)), DHCP_PARSE_NO_TYPE);
	assert_int_equal(parse_pkt(CRAFT(53, 1, 0, 255)), DHCP_PARSE_NO_TYPE);
	assert_int_equal(parse_pkt(CRAFT(53, 1, 9, 255)), DHCP_PARSE_NO_TYPE);
	assert_int_equal(parse_pkt(CRAFT(53, 1, DHCPINFORM, 255)), DHCP_PARSE_OK);
	assert_int_equal(msg.type, DHCPINFORM);
	/* A message type in file is not read unless option 52 says so. */
	len = CRAFT(255);
	memcpy(pkt + DHCP_FILE_OFF, "\x35\x01\x01\xff", 4);
	assert_int_equal(parse_pkt(len), DHCP_PARSE_NO_TYPE);
}

/* RFC 3396: the parts of a repeated option are joined in order; single ones stay views. */
static void test_parse_concatenation(void **state)
{
	size_t len = 0;
	const uint8_t *p;
	uint32_t sid = 0;

	(void)state;
	assert_int_equal(parse_pkt(CRAFT(12, 3, 'a', 'b', 'c', 53, 1, 1, 12, 2, 'd', 'e', 255)),
	                 DHCP_PARSE_OK);
	p = dhcp_msg_opt(&msg, DHCP_OPT_HOSTNAME, &len);
	assert_int_equal(len, 5);
	assert_memory_equal(p, "abcde", 5);
	assert_true(p >= msg.joined && p < msg.joined + sizeof(msg.joined));
	assert_int_equal(msg.joined_len, 5);
	assert_true(is_view_into(&msg, DHCP_OPT_MSG_TYPE));

	/*
	 * Two options split in interleaved parts, one of them fixed-length: each is
	 * joined on its own and only the whole value is held to the length rule.
	 */
	assert_int_equal(parse_pkt(CRAFT(54, 2, 10, 0, 15, 1, 'x', 53, 1, 3, 54, 1, 0, 15, 2, 'y',
	                                 'z', 54, 1, 9, 255)),
	                 DHCP_PARSE_OK);
	assert_true(dhcp_msg_opt_ip(&msg, DHCP_OPT_SERVER_ID, &sid));
	assert_int_equal(sid, ip4(10, 0, 0, 9));
	assert_opt_bytes(DHCP_OPT_DOMAIN_NAME, "xyz", 3);
	assert_int_equal(msg.joined_len, 7);

	/* Joined, 53 has length 2; joined, 54 has 5. */
	assert_int_equal(parse_pkt(CRAFT(53, 1, 1, 53, 1, 1, 255)), DHCP_PARSE_BAD_OPTION);
	assert_int_equal(parse_pkt(CRAFT(53, 1, 1, 54, 4, 1, 2, 3, 4, 54, 1, 5, 255)),
	                 DHCP_PARSE_BAD_OPTION);
}

static void put_field(size_t off, const void *opts, size_t n)
{
	memcpy(pkt + off, opts, n);
}

/* RFC 2131 4.1: option 52 makes file, then sname, further option fields. */
static void test_parse_overload(void **state)
{
	static const uint8_t in_file[] = {12, 2, 'f', 'i', 61, 3, 1, 2, 3, 255};
	static const uint8_t in_sname[] = {12, 2, 's', 'n', 15, 3, 'a', 'b', 'c', 255};
	static const uint8_t bad[] = {53, 2, 1, 1, 255};
	static const uint8_t past[] = {12, 20, 'x'};
	size_t len = 0, n;

	(void)state;
	n = CRAFT(53, 1, 1, 52, 1, 3, 12, 2, 'o', 'p', 255);
	put_field(DHCP_FILE_OFF, in_file, sizeof(in_file));
	put_field(DHCP_SNAME_OFF, in_sname, sizeof(in_sname));
	assert_int_equal(parse_pkt(n), DHCP_PARSE_OK);
	assert_int_equal(msg.overload, 3);
	assert_opt_bytes(DHCP_OPT_HOSTNAME, "opfisn", 6);
	assert_opt_bytes(DHCP_OPT_CLIENT_ID, "\x01\x02\x03", 3);
	assert_opt_bytes(DHCP_OPT_DOMAIN_NAME, "abc", 3);
	assert_true(is_view_into(&msg, DHCP_OPT_CLIENT_ID));

	/* 52 = 1: file only; sname holds garbage that must not be read. */
	n = CRAFT(53, 1, 1, 52, 1, 1, 255);
	put_field(DHCP_FILE_OFF, in_file, sizeof(in_file));
	put_field(DHCP_SNAME_OFF, bad, sizeof(bad));
	assert_int_equal(parse_pkt(n), DHCP_PARSE_OK);
	assert_int_equal(msg.overload, 1);
	assert_opt_bytes(DHCP_OPT_HOSTNAME, "fi", 2);
	assert_null(dhcp_msg_opt(&msg, DHCP_OPT_DOMAIN_NAME, &len));

	/* 52 = 2: sname only, and then the bad option in it is found. */
	n = CRAFT(53, 1, 1, 52, 1, 2, 255);
	put_field(DHCP_FILE_OFF, in_file, sizeof(in_file));
	put_field(DHCP_SNAME_OFF, bad, sizeof(bad));
	assert_int_equal(parse_pkt(n), DHCP_PARSE_BAD_OPTION);
	put_field(DHCP_SNAME_OFF, in_sname, sizeof(in_sname));
	assert_int_equal(parse_pkt(n), DHCP_PARSE_OK);
	assert_opt_bytes(DHCP_OPT_HOSTNAME, "sn", 2);
	assert_null(dhcp_msg_opt(&msg, DHCP_OPT_CLIENT_ID, &len));

	/* An option in file may not run into the cookie, even without END. */
	n = CRAFT(53, 1, 1, 52, 1, 1, 255);
	put_field(DHCP_FILE_OFF + DHCP_FILE_LEN - sizeof(past), past, sizeof(past));
	assert_int_equal(parse_pkt(n), DHCP_PARSE_BAD_OPTION);
	/* A file field filled exactly, without END, is fine. */
	memset(pkt + DHCP_FILE_OFF, 0, DHCP_FILE_LEN);
	pkt[DHCP_FILE_OFF + DHCP_FILE_LEN - 4] = 15;
	pkt[DHCP_FILE_OFF + DHCP_FILE_LEN - 3] = 2;
	pkt[DHCP_FILE_OFF + DHCP_FILE_LEN - 2] = 'e';
	pkt[DHCP_FILE_OFF + DHCP_FILE_LEN - 1] = 'x';
	assert_int_equal(parse_pkt(n), DHCP_PARSE_OK);
	assert_opt_bytes(DHCP_OPT_DOMAIN_NAME, "ex", 2);

	/* Values other than 1..3, and a 52 in file next to the one in options. */
	assert_int_equal(parse_pkt(CRAFT(53, 1, 1, 52, 1, 4, 255)), DHCP_PARSE_BAD_OPTION);
	assert_int_equal(parse_pkt(CRAFT(53, 1, 1, 52, 1, 0, 255)), DHCP_PARSE_BAD_OPTION);
	assert_int_equal(parse_pkt(CRAFT(53, 1, 1, 52, 2, 1, 1, 255)), DHCP_PARSE_BAD_OPTION);
	n = CRAFT(53, 1, 1, 52, 1, 1, 255);
	put_field(DHCP_FILE_OFF, "\x34\x01\x02\xff", 4);
	assert_int_equal(parse_pkt(n), DHCP_PARSE_BAD_OPTION);
	/* The message type may itself come from file. */
	n = CRAFT(52, 1, 1, 255);
	put_field(DHCP_FILE_OFF, "\x35\x01\x08\xff", 4);
	assert_int_equal(parse_pkt(n), DHCP_PARSE_OK);
	assert_int_equal(msg.type, DHCPINFORM);
}

static void test_parse_accessors(void **state)
{
	uint32_t v32 = 7;
	uint16_t v16 = 7;
	size_t len = 12345;

	(void)state;
	assert_int_equal(
	    parse_pkt(CRAFT(53, 1, 1, 51, 4, 0, 1, 0, 2, 57, 2, 5, 220, 200, 3, 1, 2, 3, 255)),
	    DHCP_PARSE_OK);
	assert_true(dhcp_msg_opt_u32(&msg, DHCP_OPT_LEASE_TIME, &v32));
	assert_int_equal(v32, 65538);
	assert_true(dhcp_msg_opt_u16(&msg, DHCP_OPT_MAX_MSG_SIZE, &v16));
	assert_int_equal(v16, 1500);
	/* Wrong lengths and absent options leave the outputs alone. */
	v32 = 7;
	v16 = 7;
	assert_false(dhcp_msg_opt_u32(&msg, 200, &v32));
	assert_false(dhcp_msg_opt_ip(&msg, 200, &v32));
	assert_false(dhcp_msg_opt_u16(&msg, 200, &v16));
	assert_false(dhcp_msg_opt_u16(&msg, DHCP_OPT_LEASE_TIME, &v16));
	assert_false(dhcp_msg_opt_ip(&msg, DHCP_OPT_SERVER_ID, &v32));
	assert_int_equal(v32, 7);
	assert_int_equal(v16, 7);
	assert_null(dhcp_msg_opt(&msg, DHCP_OPT_SERVER_ID, &len));
	assert_int_equal(len, 12345);
	/* The present bits are cleared between messages. */
	assert_int_equal(parse_pkt(CRAFT(53, 1, 1, 255)), DHCP_PARSE_OK);
	assert_null(dhcp_msg_opt(&msg, DHCP_OPT_LEASE_TIME, &len));
	assert_null(dhcp_msg_opt(&msg, 200, &len));
}

static void test_parse_relay_subopts(void **state)
{
	size_t len = 0;
	const uint8_t *p;

	(void)state;
	/* Circuit-ID "ab", an empty sub-option 9, Remote-ID 3 octets. */
	assert_int_equal(
	    parse_pkt(CRAFT(53, 1, 1, 82, 11, 1, 2, 'a', 'b', 9, 0, 2, 3, 'r', 's', 't', 255)),
	    DHCP_PARSE_OK);
	p = dhcp_msg_relay_subopt(&msg, 2, &len);
	assert_non_null(p);
	assert_int_equal(len, 3);
	assert_memory_equal(p, "rst", 3);
	p = dhcp_msg_relay_subopt(&msg, 9, &len);
	assert_non_null(p);
	assert_int_equal(len, 0);
	assert_null(dhcp_msg_relay_subopt(&msg, 5, &len));

	/* A sub-option running past the option: those before it are still found. */
	assert_int_equal(parse_pkt(CRAFT(53, 1, 1, 82, 6, 1, 2, 'a', 'b', 2, 9, 255)),
	                 DHCP_PARSE_OK);
	p = dhcp_msg_relay_subopt(&msg, 1, &len);
	assert_non_null(p);
	assert_int_equal(len, 2);
	assert_null(dhcp_msg_relay_subopt(&msg, 2, &len));
	/* A trailing lone octet. */
	assert_int_equal(parse_pkt(CRAFT(53, 1, 1, 82, 3, 1, 0, 2, 255)), DHCP_PARSE_OK);
	assert_non_null(dhcp_msg_relay_subopt(&msg, 1, &len));
	assert_null(dhcp_msg_relay_subopt(&msg, 2, &len));
	/* Without option 82. */
	assert_int_equal(parse_pkt(CRAFT(53, 1, 1, 255)), DHCP_PARSE_OK);
	assert_null(dhcp_msg_relay_subopt(&msg, 1, &len));
}

static void test_parse_error_names(void **state)
{
	(void)state;
	for (int i = 0; i < DHCP_PARSE__COUNT; i++) {
		const char *name = dhcp_parse_error_name((enum dhcp_parse_error)i);

		assert_non_null(name);
		assert_string_not_equal(name, "unknown");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(name,
			                        dhcp_parse_error_name((enum dhcp_parse_error)j));
	}
	assert_string_equal(dhcp_parse_error_name(DHCP_PARSE_BAD_OPTION), "bad_option");
	assert_string_equal(dhcp_parse_error_name(DHCP_PARSE__COUNT), "unknown");
}

/* RFC 1542 4.1.1: no relay forwards a request more than 16 hops. */
static void test_rfc1542_4_1_1_parse_refuses_hops_over_16(void **state)
{
	size_t len;

	(void)state;
	len = CRAFT(53, 1, 1, 255);
	pkt[3] = 16;
	assert_int_equal(parse_pkt(len), DHCP_PARSE_OK);
	pkt[3] = 17;
	assert_int_equal(parse_pkt(len), DHCP_PARSE_BAD_HOPS);
	assert_string_equal(dhcp_parse_error_name(DHCP_PARSE_BAD_HOPS), "bad_hops");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_fixed_part),
	    cmocka_unit_test(test_parse_option_bounds),
	    cmocka_unit_test(test_parse_message_type),
	    cmocka_unit_test(test_parse_concatenation),
	    cmocka_unit_test(test_parse_overload),
	    cmocka_unit_test(test_parse_accessors),
	    cmocka_unit_test(test_parse_relay_subopts),
	    cmocka_unit_test(test_parse_error_names),
	    cmocka_unit_test(test_rfc1542_4_1_1_parse_refuses_hops_over_16),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
