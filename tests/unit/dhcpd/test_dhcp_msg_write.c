/*
 * The DHCPv4 reply writer (dhcpd/dhcp_msg_write.c): fixed fields, RFC 3396 splitting,
 * overload into file and sname, dropping the least wanted options, limits and errors.
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

/* A request to reply to: chaddr, xid, flags and giaddr that the writer must copy. */
static void writer_request(void)
{
	size_t len = CRAFT(53, 1, 1, 255);

	pkt[3] = 2;                              /* hops */
	memcpy(pkt + 8, "\x00\x05\x80\x00", 4);  /* secs 5, broadcast flag */
	memcpy(pkt + 12, "\x0a\x00\x00\x07", 4); /* ciaddr */
	memcpy(pkt + 24, "\x0a\x00\x02\x01", 4); /* giaddr */
	assert_int_equal(parse_pkt(len), DHCP_PARSE_OK);
}

static uint8_t out[DHCP_MSG_MAX + 64];

static void test_writer_fixed_part(void **state)
{
	struct dhcp_writer w;
	int n;

	(void)state;
	writer_request();
	memset(out, 0xaa, sizeof(out));
	dhcp_writer_init(&w, out, sizeof(out), 0, &msg, DHCPOFFER);
	assert_int_equal(w.err, 0);
	assert_true(dhcp_writer_has(&w, DHCP_OPT_MSG_TYPE));
	assert_false(dhcp_writer_has(&w, DHCP_OPT_SERVER_ID));
	dhcp_writer_set_yiaddr(&w, ip4(10, 0, 2, 100));
	dhcp_writer_set_siaddr(&w, ip4(10, 0, 0, 1));
	dhcp_writer_put_ip(&w, DHCP_OPT_SERVER_ID, ip4(10, 0, 0, 1));
	dhcp_writer_put_u32(&w, DHCP_OPT_LEASE_TIME, 3600);
	n = dhcp_writer_finish(&w);
	assert_int_equal(n, DHCP_BOOTP_MIN_LEN);

	assert_int_equal(out[0], DHCP_BOOTREPLY);
	assert_int_equal(out[1], 1);
	assert_int_equal(out[2], 6);
	assert_int_equal(out[3], 0);                          /* hops */
	assert_memory_equal(out + 4, "\x11\x22\x33\x44", 4);  /* xid */
	assert_memory_equal(out + 8, "\x00\x00\x80\x00", 4);  /* secs 0, flags */
	assert_memory_equal(out + 12, "\x00\x00\x00\x00", 4); /* ciaddr not copied */
	assert_memory_equal(out + 16, "\x0a\x00\x02\x64", 4); /* yiaddr */
	assert_memory_equal(out + 20, "\x0a\x00\x00\x01", 4); /* siaddr */
	assert_memory_equal(out + 24, "\x0a\x00\x02\x01", 4); /* giaddr */
	assert_memory_equal(out + 28, pkt + 28, DHCP_CHADDR_LEN);
	for (size_t i = DHCP_SNAME_OFF; i < DHCP_FIXED_LEN; i++)
		assert_int_equal(out[i], 0);
	assert_memory_equal(out + DHCP_FIXED_LEN, "\x63\x82\x53\x63", 4);
	assert_memory_equal(out + DHCP_OPTIONS_OFF,
	                    "\x35\x01\x02\x36\x04\x0a\x00\x00\x01\x33\x04\x00\x00\x0e\x10\xff", 16);
	/* RFC 1542: PAD up to 300 octets, and not one octet more. */
	for (size_t i = DHCP_OPTIONS_OFF + 16; i < DHCP_BOOTP_MIN_LEN; i++)
		assert_int_equal(out[i], 0);
	assert_int_equal(out[DHCP_BOOTP_MIN_LEN], 0xaa);
	/* Finishing again reports the same message. */
	assert_int_equal(dhcp_writer_finish(&w), n);

	/* set_ciaddr for the replies that carry it (RFC 2131 table 3). */
	dhcp_writer_init(&w, out, sizeof(out), 0, &msg, DHCPACK);
	dhcp_writer_set_ciaddr(&w, msg.ciaddr);
	assert_int_equal(dhcp_writer_finish(&w), DHCP_BOOTP_MIN_LEN);
	assert_memory_equal(out + 12, "\x0a\x00\x00\x07", 4);
	assert_int_equal(out[DHCP_OPTIONS_OFF + 2], DHCPACK);
}

/* RFC 3396: a value over 255 octets becomes consecutive instances of its code. */
static void test_writer_split(void **state)
{
	static uint8_t value[600];
	static struct dhcp_msg back;
	struct dhcp_writer w;
	size_t len = 0, pos = DHCP_OPTIONS_OFF + 3;
	const uint8_t *p;
	int n;

	(void)state;
	for (size_t i = 0; i < sizeof(value); i++)
		value[i] = (uint8_t)(i * 7 + 1);
	writer_request();
	dhcp_writer_init(&w, out, sizeof(out), 1500, &msg, DHCPACK);
	dhcp_writer_put(&w, 224, value, sizeof(value));
	dhcp_writer_put(&w, DHCP_OPT_RAPID_COMMIT, NULL, 0);
	n = dhcp_writer_finish(&w);
	assert_int_equal(n, DHCP_OPTIONS_OFF + 3 + 606 + 2 + 1);

	assert_int_equal(out[pos], 224);
	assert_int_equal(out[pos + 1], 255);
	assert_memory_equal(out + pos + 2, value, 255);
	pos += 257;
	assert_int_equal(out[pos], 224);
	assert_int_equal(out[pos + 1], 255);
	assert_memory_equal(out + pos + 2, value + 255, 255);
	pos += 257;
	assert_int_equal(out[pos], 224);
	assert_int_equal(out[pos + 1], 90);
	assert_memory_equal(out + pos + 2, value + 510, 90);
	pos += 92;
	assert_memory_equal(out + pos, "\x50\x00\xff", 3);

	/* What the writer splits, the parser joins back. */
	out[0] = DHCP_BOOTREQUEST;
	assert_int_equal(dhcp_msg_parse(&back, out, (size_t)n), DHCP_PARSE_OK);
	p = dhcp_msg_opt(&back, 224, &len);
	assert_non_null(p);
	assert_int_equal(len, sizeof(value));
	assert_memory_equal(p, value, sizeof(value));
	assert_non_null(dhcp_msg_opt(&back, DHCP_OPT_RAPID_COMMIT, &len));
	assert_int_equal(len, 0);

	/* Exactly 255 octets is one instance. */
	dhcp_writer_init(&w, out, sizeof(out), 1500, &msg, DHCPACK);
	dhcp_writer_put(&w, 224, value, 255);
	assert_int_equal(dhcp_writer_finish(&w), DHCP_OPTIONS_OFF + 3 + 257 + 1);
	assert_int_equal(out[DHCP_OPTIONS_OFF + 3 + 257], DHCP_OPT_END);
}

/* Where option @code is in a finished reply: 0 options, 1 file, 2 sname, -1 absent. */
static int opt_field(const uint8_t *m, size_t len, uint8_t code)
{
	static const size_t offs[3][2] = {{DHCP_OPTIONS_OFF, 0},
	                                  {DHCP_FILE_OFF, DHCP_FILE_OFF + DHCP_FILE_LEN},
	                                  {DHCP_SNAME_OFF, DHCP_SNAME_OFF + DHCP_SNAME_LEN}};

	for (int f = 0; f < 3; f++) {
		size_t i = offs[f][0], end = f == 0 ? len : offs[f][1];

		while (i < end && m[i] != DHCP_OPT_END) {
			if (m[i] == DHCP_OPT_PAD) {
				i++;
				continue;
			}
			assert_true(i + 1 < end && i + 2 + m[i + 1] <= end);
			if (m[i] == code)
				return f;
			i += 2u + m[i + 1];
		}
	}
	return -1;
}

/*
 * RFC 2131 4.1, RFC 2132 9.3: options that do not fit the options field go to file,
 * then sname, announced by option 52 in the options field; the parser reads them back.
 */
static void test_rfc2132_9_3_writer_overloads_file_then_sname(void **state)
{
	static uint8_t big[280], mid[100], small[40];
	static struct dhcp_msg back;
	struct dhcp_writer w;
	size_t len = 0;
	const uint8_t *p;
	int n;

	(void)state;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i + 3);
	memset(mid, 'm', sizeof(mid));
	memset(small, 's', sizeof(small));
	writer_request();
	/* 576: 308 octets of options field; 3 + 284 + 6 already leave no room for 102. */
	dhcp_writer_init(&w, out, sizeof(out), 576, &msg, DHCPACK);
	dhcp_writer_put(&w, 224, big, sizeof(big));
	dhcp_writer_put_u32(&w, DHCP_OPT_LEASE_TIME, 600);
	dhcp_writer_add(&w, 225, mid, sizeof(mid), DHCP_WOPT_OPTIONAL);
	dhcp_writer_add(&w, 226, small, sizeof(small), DHCP_WOPT_OPTIONAL);
	n = dhcp_writer_finish(&w);
	/* 53, 52, 224 in two parts (RFC 3396), 51, END. */
	assert_int_equal(n, DHCP_OPTIONS_OFF + 3 + 3 + 284 + 6 + 1);
	assert_int_equal(w.dropped, 0);
	assert_int_equal(w.overload, 3);
	/* 53 first, 52 right after it, in the options field. */
	assert_memory_equal(out + DHCP_OPTIONS_OFF, "\x35\x01\x05\x34\x01\x03", 6);
	assert_int_equal(opt_field(out, (size_t)n, 224), 0);
	assert_int_equal(opt_field(out, (size_t)n, DHCP_OPT_LEASE_TIME), 0);
	assert_int_equal(opt_field(out, (size_t)n, 225), 1);
	assert_int_equal(opt_field(out, (size_t)n, 226), 2);
	/* Each overloaded field ends with END. */
	assert_int_equal(out[DHCP_FILE_OFF + 102], DHCP_OPT_END);
	assert_int_equal(out[DHCP_SNAME_OFF + 42], DHCP_OPT_END);

	/* What the writer spread over three fields, the parser puts back together. */
	memcpy(pkt, out, (size_t)n);
	pkt[0] = DHCP_BOOTREQUEST;
	assert_int_equal(dhcp_msg_parse(&back, pkt, (size_t)n), DHCP_PARSE_OK);
	assert_int_equal(back.overload, 3);
	p = dhcp_msg_opt(&back, 224, &len);
	assert_int_equal(len, sizeof(big));
	assert_memory_equal(p, big, sizeof(big));
	p = dhcp_msg_opt(&back, 225, &len);
	assert_int_equal(len, sizeof(mid));
	assert_memory_equal(p, mid, sizeof(mid));
	p = dhcp_msg_opt(&back, 226, &len);
	assert_int_equal(len, sizeof(small));
	assert_memory_equal(p, small, sizeof(small));

	/* Only file needed: overload 1, sname left empty. */
	dhcp_writer_init(&w, out, sizeof(out), 576, &msg, DHCPACK);
	dhcp_writer_put(&w, 224, big, sizeof(big));
	dhcp_writer_add(&w, 225, mid, sizeof(mid), DHCP_WOPT_OPTIONAL);
	n = dhcp_writer_finish(&w);
	assert_int_equal(w.overload, 1);
	assert_memory_equal(out + DHCP_OPTIONS_OFF, "\x35\x01\x05\x34\x01\x01", 6);
	assert_int_equal(opt_field(out, (size_t)n, 225), 1);
	for (size_t i = DHCP_SNAME_OFF; i < DHCP_SNAME_OFF + DHCP_SNAME_LEN; i++)
		assert_int_equal(out[i], 0);

	/* Everything fits: no option 52, file and sname stay zero. */
	dhcp_writer_init(&w, out, sizeof(out), 1500, &msg, DHCPACK);
	dhcp_writer_put(&w, 224, big, sizeof(big));
	dhcp_writer_add(&w, 225, mid, sizeof(mid), DHCP_WOPT_OPTIONAL);
	n = dhcp_writer_finish(&w);
	assert_int_equal(w.overload, 0);
	assert_int_equal(opt_field(out, (size_t)n, DHCP_OPT_OVERLOAD), -1);
	assert_int_equal(opt_field(out, (size_t)n, 225), 0);
	for (size_t i = DHCP_SNAME_OFF; i < DHCP_FIXED_LEN; i++)
		assert_int_equal(out[i], 0);
}

/*
 * RFC 2132 9.8 and 9.10: a reply never outgrows the client's maximum; what does not fit
 * even with overload is left out, the last-listed optional options first, and a
 * required option that cannot fit fails the reply.
 */
static void test_rfc2132_9_10_writer_drops_least_wanted_first(void **state)
{
	static uint8_t value[250];
	struct dhcp_writer w;
	int n;

	(void)state;
	memset(value, 'v', sizeof(value));
	writer_request();
	dhcp_writer_init(&w, out, sizeof(out), 576, &msg, DHCPOFFER);
	/* After 53 and 52: options field 301 free, file 127, sname 63 (END kept in each). */
	dhcp_writer_add(&w, 230, value, 250, DHCP_WOPT_OPTIONAL); /* options */
	dhcp_writer_add(&w, 231, value, 120, DHCP_WOPT_OPTIONAL); /* file */
	dhcp_writer_add(&w, 232, value, 100, DHCP_WOPT_OPTIONAL); /* nowhere: dropped */
	dhcp_writer_add(&w, 233, value, 47, DHCP_WOPT_OPTIONAL);  /* options: its last 49 */
	dhcp_writer_add(&w, 234, value, 60, DHCP_WOPT_OPTIONAL);  /* sname */
	dhcp_writer_add(&w, 235, value, 60, DHCP_WOPT_OPTIONAL);  /* nowhere */
	n = dhcp_writer_finish(&w);
	assert_true(n > 0 && n <= 548);
	assert_int_equal(w.dropped, 2);
	assert_int_equal(opt_field(out, (size_t)n, 230), 0);
	assert_int_equal(opt_field(out, (size_t)n, 231), 1);
	assert_int_equal(opt_field(out, (size_t)n, 232), -1);
	assert_int_equal(opt_field(out, (size_t)n, 233), 0);
	assert_int_equal(opt_field(out, (size_t)n, 234), 2);
	assert_int_equal(opt_field(out, (size_t)n, 235), -1);

	/* A required option is placed before any optional one, wherever it was put. */
	dhcp_writer_init(&w, out, sizeof(out), 576, &msg, DHCPOFFER);
	dhcp_writer_add(&w, 230, value, 250, DHCP_WOPT_OPTIONAL);
	dhcp_writer_put(&w, 236, value, 250);
	n = dhcp_writer_finish(&w);
	assert_true(n > 0);
	assert_int_equal(w.dropped, 1);
	assert_int_equal(opt_field(out, (size_t)n, 236), 0);
	assert_int_equal(opt_field(out, (size_t)n, 230), -1);

	/* A required option that fits nowhere fails the reply, and stays failed. */
	dhcp_writer_init(&w, out, sizeof(out), 576, &msg, DHCPOFFER);
	dhcp_writer_put(&w, 236, value, 250);
	dhcp_writer_put(&w, 237, value, 200);
	assert_int_equal(dhcp_writer_finish(&w), -ENOSPC);
	assert_int_equal(dhcp_writer_finish(&w), -ENOSPC);
	dhcp_writer_put(&w, DHCP_OPT_HOSTNAME, "h", 1);
	assert_int_equal(w.err, -ENOSPC);

	/* A larger maximum takes them all, split where needed (RFC 3396). */
	dhcp_writer_init(&w, out, sizeof(out), 1500, &msg, DHCPOFFER);
	dhcp_writer_put(&w, 236, value, 250);
	dhcp_writer_put(&w, 237, value, 200);
	n = dhcp_writer_finish(&w);
	assert_int_equal(n, DHCP_OPTIONS_OFF + 3 + 252 + 202 + 1);
	assert_int_equal(w.dropped, 0);
}

/* RFC 3046 2.2: option 82 is the last option of the options field, even when overloaded. */
static void test_rfc3046_writer_keeps_option82_last(void **state)
{
	static uint8_t value[250];
	static const uint8_t o82[] = {1, 5, 'c', 'a', 'p', 'r', '0'};
	struct dhcp_writer w;
	size_t last = 0, i = DHCP_OPTIONS_OFF;
	int n;

	(void)state;
	writer_request();
	dhcp_writer_init(&w, out, sizeof(out), 576, &msg, DHCPACK);
	dhcp_writer_add(&w, DHCP_OPT_RELAY_AGENT, o82, sizeof(o82), DHCP_WOPT_LAST);
	dhcp_writer_put_u32(&w, DHCP_OPT_LEASE_TIME, 60);
	dhcp_writer_add(&w, 230, value, 250, DHCP_WOPT_OPTIONAL);
	dhcp_writer_add(&w, 231, value, 100, DHCP_WOPT_OPTIONAL);
	n = dhcp_writer_finish(&w);
	assert_true(n > 0);
	assert_int_equal(opt_field(out, (size_t)n, DHCP_OPT_RELAY_AGENT), 0);
	assert_int_equal(opt_field(out, (size_t)n, 231), 1);
	while (out[i] != DHCP_OPT_END) {
		last = i;
		i += 2u + out[i + 1];
	}
	assert_int_equal(out[last], DHCP_OPT_RELAY_AGENT);
	assert_memory_equal(out + last + 2, o82, sizeof(o82));
}

static void test_writer_errors(void **state)
{
	struct dhcp_writer w;

	(void)state;
	writer_request();
	/* A buffer too small for the fixed part is refused without a write. */
	memset(out, 0xaa, sizeof(out));
	dhcp_writer_init(&w, out, DHCP_OPTIONS_OFF + 3, 0, &msg, DHCPACK);
	assert_int_equal(w.err, -ENOSPC);
	assert_false(dhcp_writer_has(&w, DHCP_OPT_MSG_TYPE));
	assert_int_equal(dhcp_writer_finish(&w), -ENOSPC);
	for (size_t i = 0; i < DHCP_OPTIONS_OFF + 3; i++)
		assert_int_equal(out[i], 0xaa);

	/* PAD and END are not options a caller can put. */
	dhcp_writer_init(&w, out, sizeof(out), 0, &msg, DHCPACK);
	dhcp_writer_put(&w, DHCP_OPT_END, NULL, 0);
	assert_int_equal(dhcp_writer_finish(&w), -EINVAL);
	dhcp_writer_init(&w, out, sizeof(out), 0, &msg, DHCPACK);
	dhcp_writer_put(&w, DHCP_OPT_PAD, NULL, 0);
	assert_int_equal(dhcp_writer_finish(&w), -EINVAL);

	/* Nothing follows END; a second finish reports the same message. */
	dhcp_writer_init(&w, out, sizeof(out), 0, &msg, DHCPACK);
	assert_int_equal(dhcp_writer_finish(&w), DHCP_BOOTP_MIN_LEN);
	dhcp_writer_put(&w, DHCP_OPT_HOSTNAME, "h", 1);
	assert_int_equal(w.err, -ENOSPC);
	assert_int_equal(out[DHCP_OPTIONS_OFF + 3], DHCP_OPT_END);

	/* A code put twice keeps its first value. */
	dhcp_writer_init(&w, out, sizeof(out), 0, &msg, DHCPACK);
	dhcp_writer_put(&w, DHCP_OPT_HOSTNAME, "a", 1);
	dhcp_writer_put(&w, DHCP_OPT_HOSTNAME, "bb", 2);
	assert_int_equal(dhcp_writer_finish(&w), DHCP_BOOTP_MIN_LEN);
	assert_memory_equal(out + DHCP_OPTIONS_OFF + 3, "\x0c\x01" "a\xff", 4);
}

static void test_writer_limits(void **state)
{
	static const struct {
		size_t cap, max_msg, want;
	} cases[] = {
	    /*
	     * RFC 2132 9.10: 57 is never below 576; absent (0) means 576. It is read as
	     * the IP datagram (RFC 2131 section 2), so the message gets 28 octets less.
	     */
	    {sizeof(out), 0, 548},
	    {sizeof(out), 100, 548},
	    {sizeof(out), 575, 548},
	    {sizeof(out), 576, 548},
	    {sizeof(out), 577, 549},
	    {sizeof(out), 1472, 1444},
	    {sizeof(out), 1528, DHCP_MSG_MAX},
	    {sizeof(out), 65535, DHCP_MSG_MAX},
	    /* The buffer is the other bound. */
	    {400, 1500, 400},
	    {260, 0, 260},
	};
	static uint8_t value[1200];
	struct dhcp_writer w;

	(void)state;
	writer_request();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int n;

		dhcp_writer_init(&w, out, cases[i].cap, cases[i].max_msg, &msg, DHCPACK);
		assert_int_equal(w.err, 0);
		assert_int_equal(w.cap, cases[i].want);
		/* Filled past its room, the reply still ends exactly within it. */
		dhcp_writer_add(&w, 230, value, 240, DHCP_WOPT_OPTIONAL);
		dhcp_writer_add(&w, 231, value, 700, DHCP_WOPT_OPTIONAL);
		for (uint8_t c = 232; c < 250; c++)
			dhcp_writer_add(&w, c, value, 30, DHCP_WOPT_OPTIONAL);
		n = dhcp_writer_finish(&w);
		assert_true(n > 0);
		assert_true((size_t)n <= cases[i].want);
		assert_true(w.dropped > 0);
	}

	/* Without room for 300 octets, the reply is not padded. */
	memset(out, 0xaa, sizeof(out));
	dhcp_writer_init(&w, out, 260, 0, &msg, DHCPNAK);
	assert_int_equal(dhcp_writer_finish(&w), DHCP_OPTIONS_OFF + 4);
	assert_int_equal(out[DHCP_OPTIONS_OFF + 3], DHCP_OPT_END);
	assert_int_equal(out[DHCP_OPTIONS_OFF + 4], 0xaa);

	/* A reply that is already longer than 300 octets is not padded either. */
	dhcp_writer_init(&w, out, sizeof(out), 0, &msg, DHCPACK);
	dhcp_writer_put(&w, 224, value, 100);
	assert_int_equal(dhcp_writer_finish(&w), DHCP_OPTIONS_OFF + 3 + 102 + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_writer_fixed_part),
	    cmocka_unit_test(test_writer_split),
	    cmocka_unit_test(test_rfc2132_9_3_writer_overloads_file_then_sname),
	    cmocka_unit_test(test_rfc2132_9_10_writer_drops_least_wanted_first),
	    cmocka_unit_test(test_rfc3046_writer_keeps_option82_last),
	    cmocka_unit_test(test_writer_errors),
	    cmocka_unit_test(test_writer_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
