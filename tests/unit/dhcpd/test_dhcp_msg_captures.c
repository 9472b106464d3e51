/*
 * The DHCPv4 codec against real traffic: every DHCP message of every capture in
 * tests/captures parses as tshark decodes it, client-specific values come out right, and
 * replies built with the writer equal Kea's byte for byte.
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


/* What tshark decodes in each capture: per DHCP message, op, option 53 and option codes. */
struct expect_msg {
	uint8_t op;
	uint8_t type;
	const char *opts; /* comma-separated, in wire order, without END */
};

struct expect_file {
	const char *name;
	struct expect_msg msgs[24];
};

static const struct expect_file expected[] = {
    {"dhclient-dhcpd-dora-release.pcap",
     {
         {1, 1, "53,12,55"},
         {2, 2, "53,54,51,1,3,15,6"},
         {1, 3, "53,54,50,12,55"},
         {2, 5, "53,54,51,1,3,15,6"},
         {1, 7, "53,54,12"},
     }},
    {"dhclient-dnsmasq-dora-release.pcap",
     {
         {1, 1, "53,12,55"},
         {2, 2, "53,54,51,58,59,1,28,15,6,3"},
         {1, 3, "53,54,50,12,55"},
         {2, 5, "53,54,51,58,59,1,28,15,12,6,3"},
         {1, 7, "53,54,12"},
     }},
    {"dhclient-kea-dora-renew-release.pcap",
     {
         {1, 1, "53,12,55"},
         {2, 2, "53,1,3,6,12,15,28,42,51,54,58,59"},
         {1, 3, "53,54,50,12,55"},
         {2, 5, "53,1,3,6,12,15,28,42,51,54,58,59"},
         {1, 3, "53,12,55"},
         {2, 5, "53,1,3,6,12,15,28,42,51,54,58,59"},
         {1, 7, "53,54,12"},
     }},
    {"dhclient-kea-initreboot-nak-dora-release.pcap",
     {
         {1, 3, "53,50,12,55"},
         {2, 6, "53,54"},
         {1, 1, "53,12,55"},
         {2, 2, "53,1,3,6,12,15,28,42,51,54,58,59"},
         {1, 3, "53,54,50,12,55"},
         {2, 5, "53,1,3,6,12,15,28,42,51,54,58,59"},
         {1, 7, "53,54,12"},
     }},
    {"dhclient-kea-qinq-s300-c100.pcap",
     {
         {1, 1, "53,12,55"},
         {2, 2, "53,1,3,6,12,15,28,42,51,54,58,59"},
         {1, 3, "53,54,50,12,55"},
         {2, 5, "53,1,3,6,12,15,28,42,51,54,58,59"},
         {1, 3, "53,12,55"},
         {2, 5, "53,1,3,6,12,15,28,42,51,54,58,59"},
         {1, 7, "53,54,12"},
     }},
    {"dhclient-kea-vlan100.pcap",
     {
         {1, 1, "53,12,55"},
         {2, 2, "53,1,3,6,12,15,28,42,51,54,58,59"},
         {1, 3, "53,54,50,12,55"},
         {2, 5, "53,1,3,6,12,15,28,42,51,54,58,59"},
         {1, 3, "53,12,55"},
         {2, 5, "53,1,3,6,12,15,28,42,51,54,58,59"},
         {1, 7, "53,54,12"},
     }},
    {"dhcpcd-kea-decline-redora-release.pcap",
     {
         {1, 1, "53,55,57,61,80,116,145"},
         {2, 2, "53,1,3,6,15,28,51,54,58,59,61"},
         {1, 3, "50,53,54,55,57,61,145"},
         {2, 5, "53,1,3,6,15,28,51,54,58,59,61"},
         {1, 4, "50,53,54,61"},
         {1, 1, "53,55,57,61,80,116,145"},
         {2, 2, "53,1,3,6,15,28,51,54,58,59,61"},
         {1, 3, "50,53,54,55,57,61,145"},
         {2, 5, "53,1,3,6,15,28,51,54,58,59,61"},
         {1, 7, "53,54,61"},
     }},
    {"dhcpcd-kea-dora-release.pcap",
     {
         {1, 1, "53,55,57,61,80,116,145"},
         {2, 2, "53,1,3,6,15,28,51,54,58,59,61"},
         {1, 3, "50,53,54,55,57,61,145"},
         {2, 5, "53,1,3,6,15,28,51,54,58,59,61"},
         {1, 7, "53,54,61"},
     }},
    {"dhcpcd-kea-inform.pcap",
     {
         {1, 8, "53,55,57,61,145"},
         {2, 5, "53,3,6,15,28,54,61"},
     }},
    {"dhcrelay-opt82-client-side.pcap",
     {
         {1, 1, "53,12,55"},
         {2, 2, "53,1,3,6,12,15,51,54,58,59"},
         {1, 3, "53,54,50,12,55"},
         {2, 5, "53,1,3,6,12,15,51,54,58,59"},
         {1, 3, "53,12,55"},
         {2, 5, "53,1,3,6,12,15,51,54,58,59"},
         {2, 5, "53,1,3,6,12,15,51,54,58,59"},
         {1, 7, "53,54,12"},
     }},
    {"dhcrelay-opt82-linksel-client-side.pcap",
     {
         {1, 1, "53,12,55"},
         {2, 2, "53,1,3,6,12,15,51,54,58,59"},
         {1, 3, "53,54,50,12,55"},
         {2, 5, "53,1,3,6,12,15,51,54,58,59"},
     }},
    {"dhcrelay-opt82-linksel-server-side.pcap",
     {
         {1, 1, "53,12,55,82"},
         {2, 2, "53,1,3,6,12,15,51,54,58,59,82"},
         {1, 3, "53,54,50,12,55,82"},
         {2, 5, "53,1,3,6,12,15,51,54,58,59,82"},
     }},
    {"dhcrelay-opt82-server-side.pcap",
     {
         {1, 1, "53,12,55,82"},
         {2, 2, "53,1,3,6,12,15,51,54,58,59,82"},
         {1, 3, "53,54,50,12,55,82"},
         {2, 5, "53,1,3,6,12,15,51,54,58,59,82"},
         {1, 3, "53,12,55"},
         {1, 3, "53,12,55,82"},
         {2, 5, "53,1,3,6,12,15,51,54,58,59"},
         {2, 5, "53,1,3,6,12,15,51,54,58,59,82"},
         {1, 7, "53,54,12"},
         {1, 7, "53,54,12,82"},
     }},
    {"perfdhcp-kea-giaddr-5x-dora.pcap",
     {
         {1, 1, "53,55,61"},       {2, 2, "53,1,3,6,15,51,54,58,59,61"},
         {1, 3, "53,50,54,55,61"}, {2, 5, "53,1,3,6,15,51,54,58,59,61"},
         {1, 1, "53,55,61"},       {2, 2, "53,1,3,6,15,51,54,58,59,61"},
         {1, 3, "53,50,54,55,61"}, {2, 5, "53,1,3,6,15,51,54,58,59,61"},
         {1, 1, "53,55,61"},       {2, 2, "53,1,3,6,15,51,54,58,59,61"},
         {1, 3, "53,50,54,55,61"}, {2, 5, "53,1,3,6,15,51,54,58,59,61"},
         {1, 1, "53,55,61"},       {2, 2, "53,1,3,6,15,51,54,58,59,61"},
         {1, 3, "53,50,54,55,61"}, {2, 5, "53,1,3,6,15,51,54,58,59,61"},
         {1, 1, "53,55,61"},       {2, 2, "53,1,3,6,15,51,54,58,59,61"},
         {1, 3, "53,50,54,55,61"}, {2, 5, "53,1,3,6,15,51,54,58,59,61"},
     }},
    {"udhcpc-kea-dora-release.pcap",
     {
         {1, 1, "53,57,55,12,60,61"},
         {2, 2, "53,1,3,6,12,15,28,42,51,54,58,59,61"},
         {1, 3, "53,50,54,57,55,12,60,61"},
         {2, 5, "53,1,3,6,12,15,28,42,51,54,58,59,61"},
         {1, 7, "53,54,61"},
     }},
};

/* The set of option codes named in @opts, as a present[] bitmap. */
static void opts_bitmap(const char *opts, uint8_t bits[32])
{
	const char *p = opts;

	memset(bits, 0, 32);
	while (*p) {
		char *end;
		unsigned long code = strtoul(p, &end, 10);

		assert_true(end != p && code > 0 && code < 255);
		bits[code >> 3] |= (uint8_t)(1u << (code & 7));
		p = *end == ',' ? end + 1 : end;
	}
}

static const struct expect_file *expected_file(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(expected); i++)
		if (strcmp(expected[i].name, name) == 0)
			return &expected[i];
	return NULL;
}

/* One message of a capture against what tshark says about it. */
static void check_capture_msg(const char *file, unsigned idx, const struct expect_msg *e,
                              const uint8_t *p, size_t len)
{
	static struct dhcp_msg m;
	static uint8_t copy[DHCP_MSG_MAX];
	uint8_t bits[32];
	enum dhcp_parse_error err;

	assert_non_null(e->opts);
	assert_int_equal(p[0], e->op);
	opts_bitmap(e->opts, bits);
	err = dhcp_msg_parse(&m, p, len);
	if (e->op == DHCP_BOOTREQUEST) {
		if (err != DHCP_PARSE_OK)
			fail_msg("%s message %u: %s", file, idx, dhcp_parse_error_name(err));
	} else {
		/* A server's message is not for us; the same bytes as a request must parse. */
		assert_int_equal(err, DHCP_PARSE_NOT_REQUEST);
		assert_true(len <= sizeof(copy));
		memcpy(copy, p, len);
		copy[0] = DHCP_BOOTREQUEST;
		err = dhcp_msg_parse(&m, copy, len);
		if (err != DHCP_PARSE_OK)
			fail_msg("%s message %u (reply as request): %s", file, idx,
			         dhcp_parse_error_name(err));
	}
	assert_int_equal(m.type, e->type);
	if (memcmp(m.present, bits, sizeof(bits)) != 0)
		fail_msg("%s message %u: options differ from %s", file, idx, e->opts);
	/* Nothing in the captures is split, so every option is a view into the message. */
	assert_int_equal(m.joined_len, 0);
	for (unsigned code = 1; code < 255; code++)
		if (bits[code >> 3] & (1u << (code & 7)))
			assert_true(is_view_into(&m, (uint8_t)code));
	assert_int_equal(m.overload, 0);
}

/* Every DHCP message of every capture in tests/captures parses as its decode says. */
static void test_captures_every_message(void **state)
{
	DIR *dir = opendir(CAPTURE_DIR);
	struct dirent *de;
	unsigned files = 0, known = 0, requests = 0, replies = 0;

	(void)state;
	assert_non_null(dir);
	while ((de = readdir(dir)) != NULL) {
		const struct expect_file *ef;
		char path[512];
		struct pcap_file pf;
		unsigned idx = 0;
		size_t n = strlen(de->d_name);

		if (n < 5 || strcmp(de->d_name + n - 5, ".pcap") != 0)
			continue;
		files++;
		ef = expected_file(de->d_name);
		known += ef != NULL;
		snprintf(path, sizeof(path), "%s/%s", CAPTURE_DIR, de->d_name);
		assert_int_equal(pcap_file_read(path, &pf), 0);
		for (size_t i = 0; i < pf.n; i++) {
			const uint8_t *p;
			size_t len;
			static struct dhcp_msg m;

			if (!frame_dhcp(pf.frames[i].data, pf.frames[i].len, &p, &len))
				continue;
			if (p[0] == DHCP_BOOTREQUEST)
				requests++;
			else
				replies++;
			if (ef) {
				assert_true(idx < ARRAY_SIZE(ef->msgs));
				check_capture_msg(de->d_name, idx, &ef->msgs[idx], p, len);
			} else {
				/* A capture added later: at least the general rule holds. */
				assert_int_equal(dhcp_msg_parse(&m, p, len),
				                 p[0] == DHCP_BOOTREQUEST ? DHCP_PARSE_OK
				                                          : DHCP_PARSE_NOT_REQUEST);
			}
			idx++;
		}
		/* Exactly the messages tshark decoded, no more and no fewer. */
		if (ef && idx < ARRAY_SIZE(ef->msgs))
			assert_null(ef->msgs[idx].opts);
		pcap_file_free(&pf);
	}
	closedir(dir);
	assert_int_equal(known, ARRAY_SIZE(expected));
	assert_true(files >= known);
	assert_int_equal(requests, 59);
	assert_int_equal(replies, 47);
}

static void test_capture_dhcpcd(void **state)
{
	static const uint8_t mac[6] = {0x02, 0, 0, 0, 0x03, 0x01};
	static const uint8_t prl[] = {1, 121, 3, 6, 12, 15, 26, 28, 33, 51, 54, 58, 59, 119};
	size_t len = 0;
	const uint8_t *cid;
	uint16_t mms;

	(void)state;
	parse_capture("dhcpcd-kea-dora-release.pcap", 0);
	assert_int_equal(msg.type, DHCPDISCOVER);
	assert_memory_equal(msg.chaddr, mac, 6);
	/* RFC 4361: 0xff, IAID, then a DUID-LLT (type 1, hardware type 1, time, MAC). */
	cid = dhcp_msg_opt(&msg, DHCP_OPT_CLIENT_ID, &len);
	assert_non_null(cid);
	assert_int_equal(len, 19);
	assert_int_equal(cid[0], 0xff);
	assert_memory_equal(cid + 1, "\x00\x00\x03\x01", 4);
	assert_memory_equal(cid + 5, "\x00\x01\x00\x01", 4);
	assert_memory_equal(cid + 13, mac, 6);
	assert_true(dhcp_msg_opt_u16(&msg, DHCP_OPT_MAX_MSG_SIZE, &mms));
	assert_int_equal(mms, 1472);
	assert_opt_bytes(DHCP_OPT_RAPID_COMMIT, "", 0);
	assert_opt_bytes(116, "\x01", 1);
	assert_non_null(dhcp_msg_opt(&msg, 145, &len));
	assert_opt_bytes(DHCP_OPT_PARAM_LIST, prl, sizeof(prl));
	assert_null(dhcp_msg_opt(&msg, DHCP_OPT_HOSTNAME, &len));
	assert_null(dhcp_msg_opt(&msg, DHCP_OPT_VENDOR_CLASS, &len));

	/* The RELEASE names the server and the address being given up. */
	parse_capture("dhcpcd-kea-dora-release.pcap", 4);
	assert_int_equal(msg.type, DHCPRELEASE);
	assert_int_equal(msg.ciaddr, ip4(10, 0, 0, 100));
}

static void test_capture_udhcpc(void **state)
{
	static const uint8_t cid[] = {0x01, 0x02, 0, 0, 0, 0x02, 0x01};
	static const uint8_t prl[] = {1, 3, 6, 12, 15, 28, 42};
	uint16_t mms = 0;
	uint32_t sid = 0;

	(void)state;
	parse_capture("udhcpc-kea-dora-release.pcap", 0);
	assert_int_equal(msg.type, DHCPDISCOVER);
	assert_true(dhcp_msg_opt_u16(&msg, DHCP_OPT_MAX_MSG_SIZE, &mms));
	assert_int_equal(mms, 576);
	assert_opt_bytes(DHCP_OPT_VENDOR_CLASS, "udhcp 1.35.0", 12);
	assert_opt_bytes(DHCP_OPT_CLIENT_ID, cid, sizeof(cid));
	assert_opt_bytes(DHCP_OPT_HOSTNAME, "capclient2", 10);
	assert_opt_bytes(DHCP_OPT_PARAM_LIST, prl, sizeof(prl));
	/* 57 is two octets: neither a 32-bit number nor an address. */
	assert_false(dhcp_msg_opt_u32(&msg, DHCP_OPT_MAX_MSG_SIZE, &sid));
	assert_false(dhcp_msg_opt_ip(&msg, DHCP_OPT_SERVER_ID, &sid));

	parse_capture("udhcpc-kea-dora-release.pcap", 4);
	assert_int_equal(msg.type, DHCPRELEASE);
	assert_int_equal(msg.secs, 3);
	assert_int_equal(msg.ciaddr, ip4(10, 0, 0, 100));
	assert_true(dhcp_msg_opt_ip(&msg, DHCP_OPT_SERVER_ID, &sid));
	assert_int_equal(sid, ip4(10, 0, 0, 1));
}

static void test_capture_dhclient(void **state)
{
	static const uint8_t prl[] = {1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42};
	static const struct {
		const char *file, *host;
		uint8_t mac[6];
	} files[] = {
	    {"dhclient-kea-dora-renew-release.pcap", "capclient1", {2, 0, 0, 0, 0x01, 0x01}},
	    {"dhclient-kea-vlan100.pcap", "capclient4", {2, 0, 0, 0, 0x04, 0x01}},
	    {"dhclient-kea-qinq-s300-c100.pcap", "capclient4q", {2, 0, 0, 0, 0x04, 0x02}},
	};
	uint32_t xid, addr = 0;
	size_t len;

	(void)state;
	/* The same exchange untagged, behind one 802.1Q tag and behind QinQ tags. */
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		parse_capture(files[i].file, 0);
		assert_int_equal(msg.type, DHCPDISCOVER);
		assert_int_equal(msg.flags, 0);
		assert_int_equal(msg.htype, 1);
		assert_int_equal(msg.hlen, 6);
		assert_memory_equal(msg.chaddr, files[i].mac, 6);
		assert_opt_bytes(DHCP_OPT_HOSTNAME, files[i].host, strlen(files[i].host));
		assert_opt_bytes(DHCP_OPT_PARAM_LIST, prl, sizeof(prl));
		assert_null(dhcp_msg_opt(&msg, DHCP_OPT_CLIENT_ID, &len));
		xid = msg.xid;

		parse_capture(files[i].file, 2);
		assert_int_equal(msg.type, DHCPREQUEST);
		assert_true(dhcp_msg_opt_ip(&msg, DHCP_OPT_REQUESTED_IP, &addr));
		assert_int_equal(addr, ip4(10, 0, 0, 100));
		assert_true(dhcp_msg_opt_ip(&msg, DHCP_OPT_SERVER_ID, &addr));
		assert_int_equal(addr, ip4(10, 0, 0, 1));

		/* RFC 2131 4.3.2: the RENEWING request has ciaddr, and no 50 or 54. */
		parse_capture(files[i].file, 4);
		assert_int_equal(msg.type, DHCPREQUEST);
		assert_int_equal(msg.xid, xid);
		assert_int_equal(msg.ciaddr, ip4(10, 0, 0, 100));
		assert_false(dhcp_msg_opt_ip(&msg, DHCP_OPT_REQUESTED_IP, &addr));
		assert_false(dhcp_msg_opt_ip(&msg, DHCP_OPT_SERVER_ID, &addr));
	}
}

static void test_capture_relay(void **state)
{
	size_t len = 0;
	const uint8_t *p;

	(void)state;
	parse_capture("dhcrelay-opt82-server-side.pcap", 0);
	assert_int_equal(msg.type, DHCPDISCOVER);
	assert_int_equal(msg.hops, 1);
	assert_int_equal(msg.giaddr, ip4(10, 0, 2, 1));
	assert_non_null(dhcp_msg_opt(&msg, DHCP_OPT_RELAY_AGENT, &len));
	assert_int_equal(len, 7);
	p = dhcp_msg_relay_subopt(&msg, 1, &len);
	assert_non_null(p);
	assert_int_equal(len, 5);
	assert_memory_equal(p, "capr0", 5);
	assert_null(dhcp_msg_relay_subopt(&msg, 2, &len));
	assert_null(dhcp_msg_relay_subopt(&msg, 5, &len));

	/* The routed RENEW came without 82; the relay's copy of it has giaddr and 82. */
	parse_capture("dhcrelay-opt82-server-side.pcap", 4);
	assert_int_equal(msg.giaddr, 0);
	assert_null(dhcp_msg_opt(&msg, DHCP_OPT_RELAY_AGENT, &len));
	assert_null(dhcp_msg_relay_subopt(&msg, 1, &len));
	parse_capture("dhcrelay-opt82-server-side.pcap", 5);
	assert_int_equal(msg.giaddr, ip4(10, 0, 2, 1));
	assert_int_equal(msg.ciaddr, ip4(10, 0, 2, 100));
	assert_non_null(dhcp_msg_relay_subopt(&msg, 1, &len));

	/* RFC 3527: link selection names the client's subnet, giaddr the relay's upstream. */
	parse_capture("dhcrelay-opt82-linksel-server-side.pcap", 0);
	assert_int_equal(msg.giaddr, ip4(10, 0, 1, 2));
	assert_non_null(dhcp_msg_opt(&msg, DHCP_OPT_RELAY_AGENT, &len));
	assert_int_equal(len, 13);
	p = dhcp_msg_relay_subopt(&msg, 1, &len);
	assert_non_null(p);
	assert_int_equal(len, 5);
	assert_memory_equal(p, "capr0", 5);
	p = dhcp_msg_relay_subopt(&msg, 5, &len);
	assert_non_null(p);
	assert_int_equal(len, 4);
	assert_memory_equal(p, "\x0a\x00\x02\x01", 4);
}

static void test_capture_perfdhcp(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 5; i++) {
		uint8_t cid[7] = {0x01, 0x00, 0x0c, 0x01, 0x02, 0x03, (uint8_t)(0x04 + i)};
		size_t len =
		    capture_msg("perfdhcp-kea-giaddr-5x-dora.pcap", 4 * i, pkt, sizeof(pkt));

		/* Shorter than the 300 octets of BOOTP, which DHCP does not require. */
		assert_int_equal(len, 262);
		assert_int_equal(dhcp_msg_parse(&msg, pkt, len), DHCP_PARSE_OK);
		assert_int_equal(msg.type, DHCPDISCOVER);
		assert_int_equal(msg.xid, i);
		assert_int_equal(msg.giaddr, ip4(10, 0, 3, 2));
		assert_memory_equal(msg.chaddr, cid + 1, 6);
		assert_opt_bytes(DHCP_OPT_CLIENT_ID, cid, sizeof(cid));

		len = capture_msg("perfdhcp-kea-giaddr-5x-dora.pcap", 4 * i + 2, pkt, sizeof(pkt));
		assert_int_equal(len, 274);
		assert_int_equal(dhcp_msg_parse(&msg, pkt, len), DHCP_PARSE_OK);
		assert_int_equal(msg.type, DHCPREQUEST);
	}
}

static void test_capture_other_types(void **state)
{
	uint32_t addr = 0;
	uint16_t mms = 0;

	(void)state;
	/* INIT-REBOOT: 50 without 54, ciaddr 0 (RFC 2131 4.3.2). */
	parse_capture("dhclient-kea-initreboot-nak-dora-release.pcap", 0);
	assert_int_equal(msg.type, DHCPREQUEST);
	assert_int_equal(msg.ciaddr, 0);
	assert_true(dhcp_msg_opt_ip(&msg, DHCP_OPT_REQUESTED_IP, &addr));
	assert_int_equal(addr, ip4(192, 168, 99, 5));
	assert_false(dhcp_msg_opt_ip(&msg, DHCP_OPT_SERVER_ID, &addr));

	parse_capture("dhcpcd-kea-inform.pcap", 0);
	assert_int_equal(msg.type, DHCPINFORM);
	assert_int_equal(msg.ciaddr, ip4(10, 0, 0, 50));
	assert_true(dhcp_msg_opt_u16(&msg, DHCP_OPT_MAX_MSG_SIZE, &mms));
	assert_int_equal(mms, 1472);

	parse_capture("dhcpcd-kea-decline-redora-release.pcap", 4);
	assert_int_equal(msg.type, DHCPDECLINE);
	assert_true(dhcp_msg_opt_ip(&msg, DHCP_OPT_REQUESTED_IP, &addr));
	assert_int_equal(addr, ip4(10, 0, 0, 100));
	assert_true(dhcp_msg_opt_ip(&msg, DHCP_OPT_SERVER_ID, &addr));
	assert_int_equal(addr, ip4(10, 0, 0, 1));
}

/*
 * Round trip: the writer, given the request, the fixed fields and the options (in wire
 * order) of a reply that Kea sent to it, produces Kea's bytes. Kea copies hops into its
 * replies where RFC 2131 table 3 says 0, so hops is the one byte not compared; Kea does
 * not pad to 300 octets, so the comparison ends at END and the rest must be PAD.
 */
static void round_trip(const char *file, unsigned req_idx, unsigned reply_idx)
{
	static struct dhcp_msg req, rep;
	static uint8_t req_buf[DHCP_MSG_MAX], kea[DHCP_MSG_MAX], rep_buf[DHCP_MSG_MAX];
	static uint8_t out[DHCP_MSG_MAX];
	const struct expect_file *ef = expected_file(file);
	const char *p;
	size_t req_len, kea_len, len;
	uint16_t mms = 0;
	struct dhcp_writer w;
	int n;

	assert_non_null(ef);
	req_len = capture_msg(file, req_idx, req_buf, sizeof(req_buf));
	assert_int_equal(dhcp_msg_parse(&req, req_buf, req_len), DHCP_PARSE_OK);
	kea_len = capture_msg(file, reply_idx, kea, sizeof(kea));
	assert_int_equal(kea[0], DHCP_BOOTREPLY);
	assert_int_equal(kea[kea_len - 1], DHCP_OPT_END);
	memcpy(rep_buf, kea, kea_len);
	rep_buf[0] = DHCP_BOOTREQUEST;
	assert_int_equal(dhcp_msg_parse(&rep, rep_buf, kea_len), DHCP_PARSE_OK);
	assert_int_equal(req.xid, rep.xid);

	(void)dhcp_msg_opt_u16(&req, DHCP_OPT_MAX_MSG_SIZE, &mms);
	memset(out, 0xaa, sizeof(out));
	dhcp_writer_init(&w, out, sizeof(out), mms, &req, rep.type);
	dhcp_writer_set_yiaddr(&w, rep.yiaddr);
	dhcp_writer_set_ciaddr(&w, rep.ciaddr);
	dhcp_writer_set_siaddr(&w, rep.siaddr);
	p = ef->msgs[reply_idx].opts;
	assert_int_equal(strtoul(p, NULL, 10), DHCP_OPT_MSG_TYPE);
	p = strchr(p, ',');
	while (p) {
		unsigned long code = strtoul(p + 1, NULL, 10);
		const uint8_t *v = dhcp_msg_opt(&rep, (uint8_t)code, &len);

		assert_non_null(v);
		assert_false(dhcp_writer_has(&w, (uint8_t)code));
		dhcp_writer_put(&w, (uint8_t)code, v, len);
		assert_true(dhcp_writer_has(&w, (uint8_t)code));
		p = strchr(p + 1, ',');
	}
	n = dhcp_writer_finish(&w);
	assert_int_equal(n, kea_len < DHCP_BOOTP_MIN_LEN ? DHCP_BOOTP_MIN_LEN : kea_len);

	kea[3] = 0; /* hops */
	assert_memory_equal(out, kea, DHCP_OPTIONS_OFF);
	assert_memory_equal(out + DHCP_OPTIONS_OFF, kea + DHCP_OPTIONS_OFF,
	                    kea_len - DHCP_OPTIONS_OFF);
	for (size_t i = kea_len; i < (size_t)n; i++)
		assert_int_equal(out[i], 0);
	/* Nothing is written past the reply. */
	assert_int_equal(out[n], 0xaa);
}

static void test_round_trip_kea(void **state)
{
	(void)state;
	round_trip("udhcpc-kea-dora-release.pcap", 0, 1);                  /* OFFER, 57 = 576 */
	round_trip("udhcpc-kea-dora-release.pcap", 2, 3);                  /* ACK */
	round_trip("dhclient-kea-dora-renew-release.pcap", 4, 5);          /* renewal ACK, ciaddr */
	round_trip("dhcpcd-kea-dora-release.pcap", 0, 1);                  /* OFFER, 57 = 1472 */
	round_trip("dhcpcd-kea-inform.pcap", 0, 1);                        /* INFORM's ACK */
	round_trip("dhclient-kea-initreboot-nak-dora-release.pcap", 0, 1); /* NAK, padded */
	round_trip("dhcrelay-opt82-server-side.pcap", 0, 1);               /* 82 echoed, giaddr */
	round_trip("dhcrelay-opt82-linksel-server-side.pcap", 2, 3);
	round_trip("perfdhcp-kea-giaddr-5x-dora.pcap", 2, 3);
}


/*
 * The codec round-trips every DHCP frame of every capture: parsed, then written again
 * from the parsed fields and options (in wire order), it gives the same octets up to END
 * and only PAD after it. The writer makes BOOTREPLYs with hops and secs 0, so op, hops
 * and secs are taken from the original.
 */
static void test_codec_round_trips_every_capture_frame(void **state)
{
	DIR *dir = opendir(CAPTURE_DIR);
	struct dirent *de;
	unsigned frames = 0;

	(void)state;
	assert_non_null(dir);
	while ((de = readdir(dir)) != NULL) {
		char path[512];
		struct pcap_file pf;
		size_t n = strlen(de->d_name);

		if (n < 5 || strcmp(de->d_name + n - 5, ".pcap") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", CAPTURE_DIR, de->d_name);
		assert_int_equal(pcap_file_read(path, &pf), 0);
		for (size_t i = 0; i < pf.n; i++) {
			static uint8_t orig[DHCP_MSG_MAX], copy[DHCP_MSG_MAX],
			    rebuilt[DHCP_MSG_MAX];
			static struct dhcp_msg m;
			static struct dhcp_writer w;
			const uint8_t *p;
			size_t len, end = DHCP_OPTIONS_OFF;
			int out_len;

			if (!frame_dhcp(pf.frames[i].data, pf.frames[i].len, &p, &len))
				continue;
			memcpy(orig, p, len);
			memcpy(copy, p, len);
			copy[0] = DHCP_BOOTREQUEST;
			assert_int_equal(dhcp_msg_parse(&m, copy, len), DHCP_PARSE_OK);
			dhcp_writer_init(&w, rebuilt, sizeof(rebuilt), DHCP_MSG_MAX + 28, &m,
			                 m.type);
			dhcp_writer_set_ciaddr(&w, m.ciaddr);
			dhcp_writer_set_yiaddr(&w, m.yiaddr);
			dhcp_writer_set_siaddr(&w, m.siaddr);
			/* The options in wire order (none in the captures is split or overloaded).
			 */
			while (orig[end] != DHCP_OPT_END) {
				uint8_t code = orig[end];
				const uint8_t *v;
				size_t vlen;

				if (code == DHCP_OPT_PAD) {
					end++;
					continue;
				}
				v = dhcp_msg_opt(&m, code, &vlen);
				assert_non_null(v);
				if (code != DHCP_OPT_MSG_TYPE)
					dhcp_writer_put(&w, code, v, vlen);
				end += 2u + orig[end + 1];
			}
			out_len = dhcp_writer_finish(&w);
			assert_true(out_len > 0);
			rebuilt[0] = orig[0];
			memcpy(rebuilt + 3, orig + 3, 1); /* hops */
			memcpy(rebuilt + 8, orig + 8, 2); /* secs */
			assert_memory_equal(rebuilt, orig, DHCP_OPTIONS_OFF);
			/*
			 * Some clients PAD between options, and some put 53 later than first;
			 * the writer does neither. Compared: every other option, in order.
			 */
			{
				size_t a = DHCP_OPTIONS_OFF, b = DHCP_OPTIONS_OFF + 3;
				while (orig[a] != DHCP_OPT_END) {
					if (orig[a] == DHCP_OPT_PAD ||
					    orig[a] == DHCP_OPT_MSG_TYPE) {
						a += orig[a] == DHCP_OPT_PAD ? 1u : 3u;
						continue;
					}
					assert_memory_equal(rebuilt + b, orig + a,
					                    2u + orig[a + 1]);
					b += 2u + orig[a + 1];
					a += 2u + orig[a + 1];
				}
				assert_int_equal(rebuilt[DHCP_OPTIONS_OFF], DHCP_OPT_MSG_TYPE);
				assert_int_equal(rebuilt[b], DHCP_OPT_END);
				for (size_t k = a + 1; k < len; k++)
					assert_int_equal(orig[k], 0);
				for (size_t k = b + 1; k < (size_t)out_len; k++)
					assert_int_equal(rebuilt[k], 0);
			}
			frames++;
		}
		pcap_file_free(&pf);
	}
	closedir(dir);
	assert_int_equal(frames, 106);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_captures_every_message),
	    cmocka_unit_test(test_capture_dhcpcd),
	    cmocka_unit_test(test_capture_udhcpc),
	    cmocka_unit_test(test_capture_dhclient),
	    cmocka_unit_test(test_capture_relay),
	    cmocka_unit_test(test_capture_perfdhcp),
	    cmocka_unit_test(test_capture_other_types),
	    cmocka_unit_test(test_round_trip_kea),
	    cmocka_unit_test(test_codec_round_trips_every_capture_frame),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
