/*
 * Unit tests of the DHCPv4 wire codec (dhcpd/dhcp_msg_parse.c, dhcpd/dhcp_msg_write.c)
 * and of the option table it checks lengths against (tenants/optdef.c): every DHCP
 * message of every capture in tests/captures, crafted malformed messages, and replies
 * built with the writer compared byte for byte with Kea's.
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
#include "pcap_reader.h"
#include "tenants/optdef.h"

#define CAPTURE_DIR   MTDHCP_TEST_DATA "/captures"
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

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

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}

/*
 * The UDP payload of an Ethernet frame, if it is IPv4/UDP to or from port 67 or 68:
 * Ethernet (14), any 802.1Q / 802.1ad tags (4 each), the IPv4 header (IHL), UDP (8).
 */
static bool frame_dhcp(const uint8_t *f, size_t len, const uint8_t **out, size_t *out_len)
{
	size_t off = 14, ihl;
	uint16_t ethertype, sport, dport, ulen;

	if (len < 14)
		return false;
	ethertype = rd16(f + 12);
	while (ethertype == 0x8100 || ethertype == 0x88a8) {
		if (len - off < 4)
			return false;
		ethertype = rd16(f + off + 2);
		off += 4;
	}
	if (ethertype != 0x0800 || len - off < 20)
		return false;
	ihl = (size_t)(f[off] & 0x0f) * 4;
	if ((f[off] >> 4) != 4 || ihl < 20 || f[off + 9] != 17 || (rd16(f + off + 6) & 0x3fff))
		return false;
	if (len - off < ihl + 8)
		return false;
	off += ihl;
	sport = rd16(f + off);
	dport = rd16(f + off + 2);
	ulen = rd16(f + off + 4);
	if ((sport != 67 && sport != 68) || (dport != 67 && dport != 68))
		return false;
	if (ulen < 8 || ulen > len - off)
		return false;
	*out = f + off + 8;
	*out_len = ulen - 8u;
	return true;
}

/* Copies the @n-th DHCP message (0-based, in capture order) of capture @name into @buf. */
static size_t capture_msg(const char *name, unsigned n, uint8_t *buf, size_t cap)
{
	char path[512];
	struct pcap_file pf;
	unsigned seen = 0;
	size_t got = 0;

	snprintf(path, sizeof(path), "%s/%s", CAPTURE_DIR, name);
	assert_int_equal(pcap_file_read(path, &pf), 0);
	for (size_t i = 0; i < pf.n; i++) {
		const uint8_t *p;
		size_t len;

		if (!frame_dhcp(pf.frames[i].data, pf.frames[i].len, &p, &len))
			continue;
		if (seen++ == n) {
			assert_true(len <= cap);
			memcpy(buf, p, len);
			got = len;
			break;
		}
	}
	pcap_file_free(&pf);
	assert_int_not_equal(got, 0);
	return got;
}

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

static bool is_view_into(const struct dhcp_msg *m, uint8_t code)
{
	size_t len;
	const uint8_t *p = dhcp_msg_opt(m, code, &len);

	return p && p >= m->raw && p + len <= m->raw + m->len;
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

static struct dhcp_msg msg;
static uint8_t pkt[DHCP_MSG_MAX + 64];

static void parse_capture(const char *file, unsigned n)
{
	size_t len = capture_msg(file, n, pkt, sizeof(pkt));

	assert_int_equal(dhcp_msg_parse(&msg, pkt, len), DHCP_PARSE_OK);
}

static void assert_opt_bytes(uint8_t code, const void *want, size_t want_len)
{
	size_t len = 9999;
	const uint8_t *p = dhcp_msg_opt(&msg, code, &len);

	assert_non_null(p);
	assert_int_equal(len, want_len);
	assert_memory_equal(p, want, want_len);
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

/* A minimal request: BOOTREQUEST, Ethernet, xid, chaddr, the cookie, then @opts. */
static size_t craft(uint8_t *buf, const uint8_t *opts, size_t n)
{
	static const uint8_t mac[6] = {0x02, 0, 0, 0, 0x99, 0x01};

	memset(buf, 0, DHCP_OPTIONS_OFF);
	buf[0] = DHCP_BOOTREQUEST;
	buf[1] = 1;
	buf[2] = 6;
	memcpy(buf + 4, "\x11\x22\x33\x44", 4);
	memcpy(buf + 28, mac, sizeof(mac));
	memcpy(buf + DHCP_FIXED_LEN, "\x63\x82\x53\x63", 4);
	memcpy(buf + DHCP_OPTIONS_OFF, opts, n);
	return DHCP_OPTIONS_OFF + n;
}

#define CRAFT(...)                                                                                 \
	({                                                                                         \
		static const uint8_t o_[] = {__VA_ARGS__};                                         \
		craft(pkt, o_, sizeof(o_));                                                        \
	})

static enum dhcp_parse_error parse_pkt(size_t len)
{
	return dhcp_msg_parse(&msg, pkt, len);
}

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

static void test_optdef_table(void **state)
{
	static const struct {
		uint8_t code;
		size_t len;
		bool ok;
	} lens[] = {
	    {1, 4, true},   {1, 3, false},  {1, 5, false},  {3, 4, true},   {3, 8, true},
	    {3, 0, false},  {3, 6, false},  {12, 1, true},  {12, 0, false}, {15, 300, true},
	    {21, 8, true},  {21, 4, false}, {25, 2, true},  {25, 3, false}, {53, 1, true},
	    {53, 2, false}, {54, 4, true},  {54, 5, false}, {55, 0, false}, {55, 1, true},
	    {57, 2, true},  {57, 4, false}, {61, 1, false}, {61, 2, true},  {61, 19, true},
	    {68, 0, true},  {68, 4, true},  {80, 0, true},  {80, 1, false}, {82, 7, true},
	    {82, 1, false}, {116, 1, true}, {119, 1, true}, {121, 5, true}, {121, 4, false},
	    {145, 1, true},
	};
	static const struct {
		const char *name;
		uint8_t code;
		enum optdef_type type;
	} names[] = {
	    {"subnet-mask", 1, OPTDEF_IP},
	    {"routers", 3, OPTDEF_IPS},
	    {"domain-name-servers", 6, OPTDEF_IPS},
	    {"host-name", 12, OPTDEF_STRING},
	    {"domain-name", 15, OPTDEF_STRING},
	    {"static-routes", 33, OPTDEF_IP_PAIRS},
	    {"interface-mtu", 26, OPTDEF_U16},
	    {"broadcast-address", 28, OPTDEF_IP},
	    {"ntp-servers", 42, OPTDEF_IPS},
	    {"dhcp-lease-time", 51, OPTDEF_INTERNAL},
	    {"dhcp-message-type", 53, OPTDEF_INTERNAL},
	    {"domain-search", 119, OPTDEF_DOMAINS},
	    {"classless-static-route", 121, OPTDEF_CLASSLESS},
	    {"tftp-server-address", 150, OPTDEF_IPS},
	    {"ms-classless-static-route", 249, OPTDEF_CLASSLESS},
	    {"wpad-url", 252, OPTDEF_STRING},
	};
	unsigned known = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		const struct optdef *def = optdef_by_code(lens[i].code);

		assert_non_null(def);
		if ((optdef_check_len(def, lens[i].len) == 0) != lens[i].ok)
			fail_msg("option %u length %zu", lens[i].code, lens[i].len);
	}
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const struct optdef *def = optdef_by_name(names[i].name);

		assert_non_null(def);
		assert_int_equal(def->code, names[i].code);
		assert_int_equal(def->type, names[i].type);
	}
	/* RFC 2132 options 1..76 all, and each row names its own code uniquely. */
	for (unsigned code = 0; code < 256; code++) {
		const struct optdef *def = optdef_by_code((uint8_t)code);

		if (code >= 1 && code <= 76)
			assert_non_null(def);
		if (!def)
			continue;
		known++;
		assert_int_equal(def->code, code);
		assert_ptr_equal(optdef_by_name(def->name), def);
		assert_true(def->min_len <= def->max_len);
		assert_true(def->multiple_of >= 1);
	}
	assert_true(known > 76);
	assert_null(optdef_by_code(0));
	assert_null(optdef_by_code(255));
	assert_null(optdef_by_code(200));
	assert_null(optdef_by_name("no-such-option"));
	assert_null(optdef_by_name(""));
	assert_null(optdef_by_name(NULL));
	assert_int_equal(optdef_check_len(NULL, 1), -EINVAL);
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
	    cmocka_unit_test(test_parse_fixed_part),
	    cmocka_unit_test(test_parse_option_bounds),
	    cmocka_unit_test(test_parse_message_type),
	    cmocka_unit_test(test_parse_concatenation),
	    cmocka_unit_test(test_parse_overload),
	    cmocka_unit_test(test_parse_accessors),
	    cmocka_unit_test(test_parse_relay_subopts),
	    cmocka_unit_test(test_parse_error_names),
	    cmocka_unit_test(test_writer_fixed_part),
	    cmocka_unit_test(test_writer_split),
	    cmocka_unit_test(test_rfc2132_9_3_writer_overloads_file_then_sname),
	    cmocka_unit_test(test_rfc2132_9_10_writer_drops_least_wanted_first),
	    cmocka_unit_test(test_rfc3046_writer_keeps_option82_last),
	    cmocka_unit_test(test_writer_errors),
	    cmocka_unit_test(test_writer_limits),
	    cmocka_unit_test(test_codec_round_trips_every_capture_frame),
	    cmocka_unit_test(test_rfc1542_4_1_1_parse_refuses_hops_over_16),
	    cmocka_unit_test(test_optdef_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
