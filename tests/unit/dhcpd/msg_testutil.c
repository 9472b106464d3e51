/* Helpers shared by the codec's unit tests (see msg_testutil.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "msg_testutil.h"
#include "pcap_reader.h"

uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}

/*
 * The UDP payload of an Ethernet frame, if it is IPv4/UDP to or from port 67 or 68:
 * Ethernet (14), any 802.1Q / 802.1ad tags (4 each), the IPv4 header (IHL), UDP (8).
 */
bool frame_dhcp(const uint8_t *f, size_t len, const uint8_t **out, size_t *out_len)
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
size_t capture_msg(const char *name, unsigned n, uint8_t *buf, size_t cap)
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

bool is_view_into(const struct dhcp_msg *m, uint8_t code)
{
	size_t len;
	const uint8_t *p = dhcp_msg_opt(m, code, &len);

	return p && p >= m->raw && p + len <= m->raw + m->len;
}

struct dhcp_msg msg;
uint8_t pkt[DHCP_MSG_MAX + 64];

void parse_capture(const char *file, unsigned n)
{
	size_t len = capture_msg(file, n, pkt, sizeof(pkt));

	assert_int_equal(dhcp_msg_parse(&msg, pkt, len), DHCP_PARSE_OK);
}

void assert_opt_bytes(uint8_t code, const void *want, size_t want_len)
{
	size_t len = 9999;
	const uint8_t *p = dhcp_msg_opt(&msg, code, &len);

	assert_non_null(p);
	assert_int_equal(len, want_len);
	assert_memory_equal(p, want, want_len);
}

/* A minimal request: BOOTREQUEST, Ethernet, xid, chaddr, the cookie, then @opts. */
size_t craft(uint8_t *buf, const uint8_t *opts, size_t n)
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


enum dhcp_parse_error parse_pkt(size_t len)
{
	return dhcp_msg_parse(&msg, pkt, len);
}
