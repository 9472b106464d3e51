/*
 * dp_frame_parse and its helpers against every frame of the real captures (tagged, QinQ,
 * with the outer tag moved to NIC metadata, truncated at every length), and against
 * crafted frames for each drop reason. Expected values come from a small reference
 * decoder that reads the captures at fixed offsets, not from the parser under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/dp_frame.h"
#include "pcap_reader.h"

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* What each capture holds, counted from the captures README and tshark. */
struct capture {
	const char *file;
	size_t frames;
	unsigned to_67;    /* IPv4/UDP to port 67: clients, relays, servers answering relays */
	unsigned to_68;    /* server replies to clients */
	unsigned arp;
	uint16_t outer_tpid; /* the tags every frame of the file carries */
	uint16_t outer_tci;
	uint16_t inner_tpid;
	uint16_t inner_tci;
};

static const struct capture captures[] = {
	{"dhclient-dhcpd-dora-release.pcap", 9, 3, 2, 4, 0, 0, 0, 0},
	{"dhclient-dnsmasq-dora-release.pcap", 10, 3, 2, 5, 0, 0, 0, 0},
	{"dhclient-kea-dora-renew-release.pcap", 9, 4, 3, 2, 0, 0, 0, 0},
	{"dhclient-kea-initreboot-nak-dora-release.pcap", 9, 4, 3, 2, 0, 0, 0, 0},
	{"dhclient-kea-qinq-s300-c100.pcap", 9, 4, 3, 2, 0x88a8, 300, 0x8100, 100},
	{"dhclient-kea-vlan100.pcap", 9, 4, 3, 2, 0x8100, 100, 0, 0},
	{"dhcpcd-kea-decline-redora-release.pcap", 18, 6, 4, 8, 0, 0, 0, 0},
	{"dhcpcd-kea-dora-release.pcap", 12, 3, 2, 7, 0, 0, 0, 0},
	{"dhcpcd-kea-inform.pcap", 7, 1, 1, 5, 0, 0, 0, 0},
	{"dhcrelay-opt82-client-side.pcap", 11, 4, 4, 3, 0, 0, 0, 0},
	{"dhcrelay-opt82-linksel-client-side.pcap", 4, 2, 2, 0, 0, 0, 0, 0},
	{"dhcrelay-opt82-linksel-server-side.pcap", 6, 4, 0, 2, 0, 0, 0, 0},
	{"dhcrelay-opt82-server-side.pcap", 12, 9, 1, 2, 0, 0, 0, 0},
	{"perfdhcp-kea-giaddr-5x-dora.pcap", 22, 20, 0, 2, 0, 0, 0, 0},
	{"udhcpc-kea-dora-release.pcap", 7, 3, 2, 2, 0, 0, 0, 0},
};
#define NCAPTURES (sizeof(captures) / sizeof(captures[0]))

static void load(const char *file, struct pcap_file *pf)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/captures/%s", MTDHCP_TEST_DATA, file);
	assert_int_equal(pcap_file_read(path, pf), 0);
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A plain RFC 1071 checksum, independent of dp_csum_*, to craft and check frames. */
static uint16_t ref_csum(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i < n; i++)
		sum += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void fix_ip_csum(uint8_t *ip)
{
	size_t ihl = (size_t)(ip[0] & 0xf) * 4;
	wr16(ip + 10, 0);
	wr16(ip + 10, ref_csum(ip, ihl < 20 ? 20 : ihl, 0));
}

static void fix_udp_csum(uint8_t *ip)
{
	uint8_t *udp = ip + (ip[0] & 0xf) * 4;
	uint16_t ulen = rd16(udp + 4);
	uint32_t pseudo = rd16(ip + 12) + rd16(ip + 14) + rd16(ip + 16) + rd16(ip + 18) + 17 + ulen;
	wr16(udp + 6, 0);
	uint16_t c = ref_csum(udp, ulen, pseudo);
	wr16(udp + 6, c ? c : 0xffff);
}

static unsigned file_tags(const struct capture *c)
{
	return (c->outer_tpid ? 1 : 0) + (c->inner_tpid ? 1 : 0);
}

/*
 * Checks one capture frame (@fr, @len, with @in_bytes tags still in the bytes) against
 * the reference decode and counts its kind. The expected tags are passed in.
 */
static void check_frame(const uint8_t *fr, size_t len, unsigned in_bytes, bool stripped,
			uint16_t stripped_tci, const struct capture *c, unsigned counts[3])
{
	struct dp_frame f;
	size_t l3 = DP_ETH_HLEN + DP_VLAN_HLEN * in_bytes;
	uint16_t etype = rd16(fr + l3 - 2);
	enum dp_frame_kind k = dp_frame_parse(fr, len, stripped, stripped_tci, &f);

	if (etype == DP_ETHERTYPE_ARP) {
		assert_int_equal(k, DP_FRAME_ARP);
		assert_int_equal(len, l3 + 28);
		assert_ptr_equal(f.payload, fr + l3);
		assert_int_equal(f.payload_len, 28);
		counts[2]++;
	} else {
		assert_int_equal(etype, DP_ETHERTYPE_IPV4);
		const uint8_t *ip = fr + l3;
		assert_int_equal(ip[0], 0x45); /* no capture carries IP options */
		uint16_t dport = rd16(ip + 22);
		if (dport != DP_PORT_BOOTPS) {
			assert_int_equal(dport, DP_PORT_BOOTPC);
			assert_int_equal(k, DP_DROP_NOT_DHCP);
			counts[1]++;
			return;
		}
		assert_int_equal(k, DP_FRAME_DHCP);
		assert_int_equal(f.src_ip, rd32(ip + 12));
		assert_int_equal(f.dst_ip, rd32(ip + 16));
		assert_int_equal(f.ttl, ip[8]);
		assert_int_equal(f.proto, 17);
		assert_int_equal(f.src_port, rd16(ip + 20));
		assert_int_equal(f.dst_port, 67);
		assert_ptr_equal(f.payload, ip + 28);
		assert_int_equal(f.payload_len, rd16(ip + 24) - 8);
		assert_int_equal(f.payload_len, len - l3 - 28); /* captures are not padded */
		counts[0]++;
	}
	assert_ptr_equal(f.dst_mac, fr);
	assert_ptr_equal(f.src_mac, fr + 6);
	assert_int_equal(f.ethertype, etype);
	if (stripped) {
		/* The stripped tag is the outermost one; the file's inner tag stays inner. */
		assert_int_equal(f.outer_tpid, DP_TPID_8021Q);
		assert_int_equal(f.outer_tci, stripped_tci);
		assert_int_equal(f.inner_tpid, c->outer_tpid ? c->inner_tpid : 0);
		assert_int_equal(f.inner_tci, c->outer_tpid ? c->inner_tci : 0);
	} else {
		assert_int_equal(f.outer_tpid, c->outer_tpid);
		assert_int_equal(f.outer_tci, c->outer_tci);
		assert_int_equal(f.inner_tpid, c->inner_tpid);
		assert_int_equal(f.inner_tci, c->inner_tci);
	}
}

static void test_captures_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCAPTURES; i++) {
		const struct capture *c = &captures[i];
		struct pcap_file pf;
		unsigned counts[3] = {0, 0, 0};

		load(c->file, &pf);
		assert_int_equal(pf.n, c->frames);
		for (size_t j = 0; j < pf.n; j++)
			check_frame(pf.frames[j].data, pf.frames[j].len, file_tags(c), false, 0, c,
				    counts);
		assert_int_equal(counts[0], c->to_67);
		assert_int_equal(counts[1], c->to_68);
		assert_int_equal(counts[2], c->arp);
		pcap_file_free(&pf);
	}
}

/* The same frames as a NIC that stripped the outer tag into metadata would hand them over. */
static void test_captures_stripped(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCAPTURES; i++) {
		const struct capture *c = &captures[i];
		struct pcap_file pf;
		unsigned counts[3] = {0, 0, 0};

		load(c->file, &pf);
		for (size_t j = 0; j < pf.n; j++) {
			const uint8_t *d = pf.frames[j].data;
			size_t len = pf.frames[j].len;
			if (!c->outer_tpid) {
				/* Untagged on the wire: the metadata tag is the only one. */
				check_frame(d, len, 0, true, 0x2005, c, counts);
				continue;
			}
			uint8_t *s = malloc(len - 4);
			assert_non_null(s);
			memcpy(s, d, 12);
			memcpy(s + 12, d + 16, len - 16);
			assert_int_equal(rd16(d + 14), c->outer_tci);
			check_frame(s, len - 4, file_tags(c) - 1, true, rd16(d + 14), c, counts);
			free(s);
		}
		assert_int_equal(counts[0], c->to_67);
		assert_int_equal(counts[1], c->to_68);
		assert_int_equal(counts[2], c->arp);
		pcap_file_free(&pf);
	}
}

/*
 * Server replies to port 68 are dropped as not for us, after their checksums passed;
 * turned towards port 67 (checksum fixed) they parse with every field.
 */
static void test_captures_replies_retargeted(void **state)
{
	(void)state;
	unsigned total = 0, expect = 0;

	for (size_t i = 0; i < NCAPTURES; i++) {
		const struct capture *c = &captures[i];
		struct pcap_file pf;
		unsigned counts[3] = {0, 0, 0};

		load(c->file, &pf);
		for (size_t j = 0; j < pf.n; j++) {
			size_t len = pf.frames[j].len, l3 = 14 + 4 * file_tags(c);
			uint8_t *s = malloc(len);
			assert_non_null(s);
			memcpy(s, pf.frames[j].data, len);
			if (rd16(s + l3 - 2) == DP_ETHERTYPE_IPV4 && rd16(s + l3 + 22) == 68) {
				wr16(s + l3 + 22, 67);
				fix_udp_csum(s + l3);
				check_frame(s, len, file_tags(c), false, 0, c, counts);
			}
			free(s);
		}
		assert_int_equal(counts[0], c->to_68);
		total += counts[0];
		expect += c->to_68;
		pcap_file_free(&pf);
	}
	assert_int_equal(total, expect);
	assert_int_equal(total, 32);
}

static const uint8_t *frame_of(const struct pcap_file *pf, size_t i, size_t *len)
{
	assert_true(i < pf->n);
	*len = pf->frames[i].len;
	return pf->frames[i].data;
}

/* Values the captures README states, checked field by field. */
static void test_captures_known_values(void **state)
{
	(void)state;
	struct pcap_file pf;
	struct dp_frame f;
	const uint8_t *d;
	size_t len;
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t client1[6] = {2, 0, 0, 0, 1, 1};
	static const uint8_t client4[6] = {2, 0, 0, 0, 4, 2};

	load("dhclient-kea-dora-renew-release.pcap", &pf);
	d = frame_of(&pf, 0, &len);
	assert_int_equal(dp_frame_parse(d, len, false, 0, &f), DP_FRAME_DHCP);
	assert_memory_equal(f.dst_mac, bcast, 6);
	assert_memory_equal(f.src_mac, client1, 6);
	assert_int_equal(f.src_ip, 0);
	assert_int_equal(f.dst_ip, 0xffffffffu);
	assert_int_equal(f.src_port, 68);
	assert_int_equal(f.ttl, 128);
	assert_int_equal(f.payload_len, 300);
	assert_int_equal(rd32(f.payload + 236), 0x63825363u); /* the DHCP magic cookie */
	d = frame_of(&pf, 6, &len); /* the unicast RENEW */
	assert_int_equal(dp_frame_parse(d, len, false, 0, &f), DP_FRAME_DHCP);
	assert_int_equal(f.src_ip, IP4(10, 0, 0, 100));
	assert_int_equal(f.dst_ip, IP4(10, 0, 0, 1));
	pcap_file_free(&pf);

	/* dhcpcd's RELEASE has UDP checksum 0, which means "none" and is accepted. */
	load("dhcpcd-kea-dora-release.pcap", &pf);
	d = frame_of(&pf, 11, &len);
	assert_int_equal(rd16(d + 14 + 26), 0);
	assert_int_equal(dp_frame_parse(d, len, false, 0, &f), DP_FRAME_DHCP);
	assert_int_equal(f.src_ip, IP4(10, 0, 0, 100));
	assert_int_equal(f.payload[240], 53);
	assert_int_equal(f.payload[242], 7); /* DHCPRELEASE */
	pcap_file_free(&pf);

	/* Relay to server and server to relay both travel 67 -> 67. */
	load("dhcrelay-opt82-server-side.pcap", &pf);
	d = frame_of(&pf, 2, &len);
	assert_int_equal(dp_frame_parse(d, len, false, 0, &f), DP_FRAME_DHCP);
	assert_int_equal(f.src_ip, IP4(10, 0, 1, 2));
	assert_int_equal(f.dst_ip, IP4(10, 0, 1, 1));
	assert_int_equal(f.src_port, 67);
	d = frame_of(&pf, 3, &len);
	assert_int_equal(dp_frame_parse(d, len, false, 0, &f), DP_FRAME_DHCP);
	assert_int_equal(f.src_ip, IP4(10, 0, 1, 1));
	assert_int_equal(f.dst_ip, IP4(10, 0, 2, 1));
	assert_int_equal(f.payload[0], 2); /* BOOTREPLY */
	pcap_file_free(&pf);

	/* perfdhcp's BOOTP payloads are shorter than 300 bytes. */
	load("perfdhcp-kea-giaddr-5x-dora.pcap", &pf);
	d = frame_of(&pf, 2, &len);
	assert_int_equal(dp_frame_parse(d, len, false, 0, &f), DP_FRAME_DHCP);
	assert_int_equal(f.payload_len, 262);
	d = frame_of(&pf, 4, &len);
	assert_int_equal(dp_frame_parse(d, len, false, 0, &f), DP_FRAME_DHCP);
	assert_int_equal(f.payload_len, 274);
	pcap_file_free(&pf);

	load("dhclient-kea-qinq-s300-c100.pcap", &pf);
	d = frame_of(&pf, 0, &len);
	assert_int_equal(dp_frame_parse(d, len, false, 0, &f), DP_FRAME_DHCP);
	assert_int_equal(f.outer_tpid, 0x88a8);
	assert_int_equal(f.outer_tci & 0xfff, 300);
	assert_int_equal(f.inner_tpid, 0x8100);
	assert_int_equal(f.inner_tci & 0xfff, 100);
	assert_int_equal(f.payload_len, 300);
	d = frame_of(&pf, 4, &len);
	assert_int_equal(dp_frame_parse(d, len, false, 0, &f), DP_FRAME_ARP);
	struct dp_arp arp;
	assert_true(dp_arp_parse(f.payload, f.payload_len, &arp));
	assert_int_equal(arp.op, 1);
	assert_memory_equal(arp.sha, client4, 6);
	assert_int_equal(arp.spa, IP4(10, 0, 0, 100));
	assert_int_equal(arp.tpa, IP4(10, 0, 0, 1));
	pcap_file_free(&pf);
}

/*
 * Every prefix of every capture frame (with and without the outer tag stripped) is a
 * truncation. Each prefix is parsed from an allocation of exactly its size, so the
 * sanitizer build reports any read past it. A drop leaves @out untouched.
 */
static void check_prefixes(const uint8_t *d, size_t len, bool stripped)
{
	struct dp_frame f, sentinel;

	memset(&sentinel, 0xa5, sizeof(sentinel));
	assert_int_equal(dp_frame_parse(NULL, 0, stripped, 1, &f), DP_DROP_TRUNCATED);
	for (size_t n = 0; n < len; n++) {
		uint8_t *p = malloc(n ? n : 1);
		assert_non_null(p);
		memcpy(p, d, n);
		memcpy(&f, &sentinel, sizeof(f));
		assert_int_equal(dp_frame_parse(p, n, stripped, 1, &f), DP_DROP_TRUNCATED);
		assert_memory_equal(&f, &sentinel, sizeof(f));
		free(p);
	}
}

static void test_truncated_every_length(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCAPTURES; i++) {
		struct pcap_file pf;

		load(captures[i].file, &pf);
		for (size_t j = 0; j < pf.n; j++) {
			const uint8_t *d = pf.frames[j].data;
			size_t len = pf.frames[j].len;
			check_prefixes(d, len, false);
			if (captures[i].outer_tpid) {
				uint8_t *s = malloc(len - 4);
				assert_non_null(s);
				memcpy(s, d, 12);
				memcpy(s + 12, d + 16, len - 16);
				check_prefixes(s, len - 4, true);
				free(s);
			}
		}
		pcap_file_free(&pf);
	}
}

/* A fresh copy of a capture frame with room to grow, for crafting bad frames. */
struct craft {
	uint8_t b[600];
	size_t len;
	uint8_t *ip;
};

static void craft_from(struct craft *c, const char *file, size_t idx, size_t l3)
{
	struct pcap_file pf;
	size_t len;

	load(file, &pf);
	const uint8_t *d = frame_of(&pf, idx, &len);
	assert_true(len <= sizeof(c->b));
	memset(c->b, 0, sizeof(c->b));
	memcpy(c->b, d, len);
	c->len = len;
	c->ip = c->b + l3;
	pcap_file_free(&pf);
}

static enum dp_frame_kind parse_craft(const struct craft *c, struct dp_frame *f)
{
	/*
	 * Parse an exact-size copy so that the sanitizer sees the real bound, then point
	 * the views at the same bytes in @c before the copy is freed.
	 */
	uint8_t *p = malloc(c->len);
	assert_non_null(p);
	memcpy(p, c->b, c->len);
	enum dp_frame_kind k = dp_frame_parse(p, c->len, false, 0, f);
	if (k == DP_FRAME_DHCP || k == DP_FRAME_ARP || k == DP_FRAME_ICMP_ECHO) {
		assert_ptr_equal(f->dst_mac, p);
		assert_ptr_equal(f->src_mac, p + 6);
		assert_true(f->payload >= p && f->payload + f->payload_len <= p + c->len);
		f->dst_mac = c->b;
		f->src_mac = c->b + 6;
		f->payload = c->b + (f->payload - p);
	}
	free(p);
	return k;
}

#define DISCOVER_FILE "dhclient-kea-dora-renew-release.pcap"

static enum dp_frame_kind discover_with(void (*mutate)(struct craft *))
{
	struct craft c;
	struct dp_frame f;

	craft_from(&c, DISCOVER_FILE, 0, 14);
	mutate(&c);
	return parse_craft(&c, &f);
}

static void m_ipv6(struct craft *c)
{
	wr16(c->b + 12, 0x86dd);
}
static void m_lldp(struct craft *c)
{
	wr16(c->b + 12, 0x88cc);
}
static void m_version6(struct craft *c)
{
	c->ip[0] = 0x65;
	fix_ip_csum(c->ip);
}
static void m_ihl4(struct craft *c)
{
	c->ip[0] = 0x44;
	fix_ip_csum(c->ip);
}
static void m_total_below_ihl(struct craft *c)
{
	wr16(c->ip + 2, 19);
	fix_ip_csum(c->ip);
}
static void m_total_beyond_frame(struct craft *c)
{
	wr16(c->ip + 2, (uint16_t)(c->len - 14 + 1));
	fix_ip_csum(c->ip);
}
static void m_ip_csum(struct craft *c)
{
	c->ip[11] ^= 0x01;
}
static void m_ip_src_flip(struct craft *c)
{
	c->ip[15] ^= 0x80; /* without fixing the header checksum */
}
static void m_mf(struct craft *c)
{
	wr16(c->ip + 6, 0x2000);
	fix_ip_csum(c->ip);
}
static void m_offset(struct craft *c)
{
	wr16(c->ip + 6, 185);
	fix_ip_csum(c->ip);
}
static void m_df(struct craft *c)
{
	wr16(c->ip + 6, 0x4000);
	fix_ip_csum(c->ip);
}
static void m_tcp(struct craft *c)
{
	c->ip[9] = 6;
	fix_ip_csum(c->ip);
}
/* The length mutations clear the UDP checksum so that only the length check can catch them. */
static void m_udp_len7(struct craft *c)
{
	wr16(c->ip + 24, 7);
	wr16(c->ip + 26, 0);
}
static void m_udp_len_beyond_ip(struct craft *c)
{
	wr16(c->ip + 24, (uint16_t)(rd16(c->ip + 2) - 20 + 1));
	wr16(c->ip + 26, 0);
}
static void m_udp_csum(struct craft *c)
{
	c->ip[28 + 40] ^= 0x10; /* a payload byte, checksum left as it was */
}
static void m_ip_payload_4(struct craft *c)
{
	/* The frame ends with the IP payload, so reading a UDP length would overrun it. */
	wr16(c->ip + 2, 24);
	fix_ip_csum(c->ip);
	c->len = 14 + 24;
}
static void m_port_53(struct craft *c)
{
	wr16(c->ip + 22, 53);
	fix_udp_csum(c->ip);
}
static void m_udp_csum_zero(struct craft *c)
{
	wr16(c->ip + 26, 0);
}

static void test_drops_ipv4_udp(void **state)
{
	(void)state;
	assert_int_equal(discover_with(m_ipv6), DP_DROP_NOT_IPV4);
	assert_int_equal(discover_with(m_lldp), DP_DROP_NOT_IPV4);
	assert_int_equal(discover_with(m_version6), DP_DROP_BAD_IPV4);
	assert_int_equal(discover_with(m_ihl4), DP_DROP_BAD_IPV4);
	assert_int_equal(discover_with(m_total_below_ihl), DP_DROP_BAD_IPV4);
	assert_int_equal(discover_with(m_total_beyond_frame), DP_DROP_TRUNCATED);
	assert_int_equal(discover_with(m_ip_csum), DP_DROP_BAD_IPV4);
	assert_int_equal(discover_with(m_ip_src_flip), DP_DROP_BAD_IPV4);
	assert_int_equal(discover_with(m_mf), DP_DROP_FRAGMENT);
	assert_int_equal(discover_with(m_offset), DP_DROP_FRAGMENT);
	assert_int_equal(discover_with(m_df), DP_FRAME_DHCP);
	assert_int_equal(discover_with(m_tcp), DP_DROP_NOT_UDP);
	assert_int_equal(discover_with(m_udp_len7), DP_DROP_BAD_UDP);
	assert_int_equal(discover_with(m_udp_len_beyond_ip), DP_DROP_BAD_UDP);
	assert_int_equal(discover_with(m_udp_csum), DP_DROP_BAD_UDP);
	assert_int_equal(discover_with(m_ip_payload_4), DP_DROP_BAD_UDP);
	assert_int_equal(discover_with(m_port_53), DP_DROP_NOT_DHCP);
	assert_int_equal(discover_with(m_udp_csum_zero), DP_FRAME_DHCP);
}

/* IP options, Ethernet padding and a UDP length shorter than the IP payload are fine. */
static void test_accepts_options_padding_short_udp(void **state)
{
	(void)state;
	struct craft c, ref;
	struct dp_frame f;

	craft_from(&ref, DISCOVER_FILE, 0, 14);

	/* 4 bytes of options (three NOPs, end of list): IHL 6, the UDP datagram moves. */
	craft_from(&c, DISCOVER_FILE, 0, 14);
	memmove(c.ip + 24, c.ip + 20, c.len - 34);
	memcpy(c.ip + 20, (uint8_t[]){1, 1, 1, 0}, 4);
	c.ip[0] = 0x46;
	wr16(c.ip + 2, (uint16_t)(rd16(c.ip + 2) + 4));
	c.len += 4;
	fix_ip_csum(c.ip);
	assert_int_equal(parse_craft(&c, &f), DP_FRAME_DHCP);
	assert_int_equal(f.payload_len, 300);
	assert_int_equal(f.src_port, 68);

	/* Padding after the datagram is ignored. */
	craft_from(&c, DISCOVER_FILE, 0, 14);
	c.len += 18;
	assert_int_equal(parse_craft(&c, &f), DP_FRAME_DHCP);
	assert_int_equal(f.payload_len, 300);

	/* A UDP length below the IP payload bounds the DHCP payload. */
	craft_from(&c, DISCOVER_FILE, 0, 14);
	wr16(c.ip + 24, 208);
	fix_udp_csum(c.ip);
	assert_int_equal(parse_craft(&c, &f), DP_FRAME_DHCP);
	assert_int_equal(f.payload_len, 200);
	assert_int_equal(f.payload[0], 1);

	/* IHL beyond the bytes present is a truncation, as is a total length beyond them. */
	craft_from(&c, DISCOVER_FILE, 0, 14);
	c.ip[0] = 0x46;
	c.len = 14 + 22;
	assert_int_equal(parse_craft(&c, &f), DP_DROP_TRUNCATED);
	wr16(c.ip + 2, 24);
	c.len = 14 + 23;
	assert_int_equal(parse_craft(&c, &f), DP_DROP_TRUNCATED);
}

static void test_drops_tags(void **state)
{
	(void)state;
	struct craft c;
	struct dp_frame f;
	uint8_t *p;

	/* A third tag in the bytes. */
	craft_from(&c, "dhclient-kea-qinq-s300-c100.pcap", 0, 22);
	memmove(c.b + 20, c.b + 16, c.len - 16);
	wr16(c.b + 16, 0x8100);
	wr16(c.b + 18, 7);
	c.len += 4;
	assert_int_equal(parse_craft(&c, &f), DP_DROP_TOO_MANY_TAGS);

	/* A stripped tag in front of two tags in the bytes is a third tag too. */
	craft_from(&c, "dhclient-kea-qinq-s300-c100.pcap", 0, 22);
	p = malloc(c.len);
	assert_non_null(p);
	memcpy(p, c.b, c.len);
	assert_int_equal(dp_frame_parse(p, c.len, true, 42, &f), DP_DROP_TOO_MANY_TAGS);
	free(p);

	/* 0x9100 is accepted as the outer TPID. */
	craft_from(&c, "dhclient-kea-qinq-s300-c100.pcap", 0, 22);
	wr16(c.b + 12, 0x9100);
	assert_int_equal(parse_craft(&c, &f), DP_FRAME_DHCP);
	assert_int_equal(f.outer_tpid, 0x9100);
	assert_int_equal(f.outer_tci, 300);
	assert_int_equal(f.inner_tpid, 0x8100);
	assert_int_equal(f.inner_tci, 100);

	/* Priority and DEI bits are kept in the TCI. */
	craft_from(&c, "dhclient-kea-vlan100.pcap", 0, 18);
	wr16(c.b + 14, 0xb000 | 100);
	assert_int_equal(parse_craft(&c, &f), DP_FRAME_DHCP);
	assert_int_equal(f.outer_tci, 0xb064);
}

static void m_arp(struct craft *c, size_t off, uint16_t v)
{
	wr16(c->ip + off, v);
}

static void test_drops_arp(void **state)
{
	(void)state;
	struct craft c;
	struct dp_frame f;
	static const struct {
		size_t off;
		uint16_t v;
	} bad[] = {
		{0, 6},        /* htype IEEE 802 */
		{2, 0x86dd},   /* ptype IPv6 */
		{4, 0x0804},   /* hlen 8 */
		{4, 0x0610},   /* plen 16 */
		{6, 0},        /* op 0 */
		{6, 3},        /* op 3: RARP request */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		craft_from(&c, DISCOVER_FILE, 4, 14);
		m_arp(&c, bad[i].off, bad[i].v);
		assert_int_equal(parse_craft(&c, &f), DP_DROP_BAD_ARP);
	}
	/* A minimum-size (padded) ARP frame: the payload is the 28-byte ARP packet. */
	craft_from(&c, DISCOVER_FILE, 4, 14);
	assert_int_equal(c.len, 42);
	c.len = 60;
	assert_int_equal(parse_craft(&c, &f), DP_FRAME_ARP);
	assert_int_equal(f.payload_len, 28);
	assert_int_equal(f.ethertype, DP_ETHERTYPE_ARP);
}

/* A hand-made ICMP message after the DISCOVER's Ethernet and IPv4 headers. */
static enum dp_frame_kind icmp_with(uint8_t type, uint8_t code, size_t icmp_len,
				    struct dp_frame *f)
{
	struct craft c;

	craft_from(&c, DISCOVER_FILE, 0, 14);
	c.ip[9] = 1;
	wr16(c.ip + 2, (uint16_t)(20 + icmp_len));
	fix_ip_csum(c.ip);
	uint8_t *icmp = c.ip + 20;
	memset(icmp, 0x5a, icmp_len);
	icmp[0] = type;
	icmp[1] = code;
	c.len = 34 + icmp_len;
	return parse_craft(&c, f);
}

static void test_icmp_kinds(void **state)
{
	(void)state;
	struct dp_frame f;

	assert_int_equal(icmp_with(8, 0, 64, &f), DP_FRAME_ICMP_ECHO);
	assert_int_equal(f.proto, 1);
	assert_int_equal(f.payload_len, 64);
	assert_int_equal(f.payload[0], 8);
	assert_int_equal(f.src_ip, 0);
	assert_int_equal(f.dst_ip, 0xffffffffu);
	assert_int_equal(icmp_with(8, 0, 8, &f), DP_FRAME_ICMP_ECHO);
	assert_int_equal(icmp_with(8, 0, 7, &f), DP_DROP_TRUNCATED);
	assert_int_equal(icmp_with(8, 1, 64, &f), DP_DROP_NOT_UDP);
	assert_int_equal(icmp_with(0, 0, 64, &f), DP_DROP_NOT_UDP); /* echo reply */
	assert_int_equal(icmp_with(3, 3, 36, &f), DP_DROP_NOT_UDP); /* port unreachable */
}

static void test_kind_names(void **state)
{
	(void)state;
	static const char *const expect[DP_FRAME__COUNT] = {
		"dhcp",     "arp",     "icmp_echo", "truncated", "too_many_tags", "not_ipv4",
		"bad_ipv4", "fragment", "not_udp",  "bad_udp",   "not_dhcp",      "bad_arp",
	};

	for (int k = 0; k < DP_FRAME__COUNT; k++) {
		const char *n = dp_frame_kind_name((enum dp_frame_kind)k);
		assert_non_null(n);
		assert_string_equal(n, expect[k]);
		assert_int_equal(strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789_"), strlen(n));
		for (int j = 0; j < k; j++)
			assert_string_not_equal(n, dp_frame_kind_name((enum dp_frame_kind)j));
	}
	assert_string_equal(dp_frame_kind_name(DP_FRAME__COUNT), "unknown");
	assert_string_equal(dp_frame_kind_name((enum dp_frame_kind)-1), "unknown");
}

static void test_arp_parse(void **state)
{
	(void)state;
	uint8_t a[29] = {0, 1, 8, 0, 6, 4, 0, 2, 1, 2, 3, 4, 5, 6, 10, 0, 0, 1,
			 7, 8, 9, 10, 11, 12, 10, 0, 0, 100, 0xee};
	struct dp_arp arp;

	assert_true(dp_arp_parse(a, 28, &arp));
	assert_int_equal(arp.op, 2);
	assert_ptr_equal(arp.sha, a + 8);
	assert_int_equal(arp.spa, IP4(10, 0, 0, 1));
	assert_ptr_equal(arp.tha, a + 18);
	assert_int_equal(arp.tpa, IP4(10, 0, 0, 100));
	assert_true(dp_arp_parse(a, 29, &arp));
	assert_false(dp_arp_parse(a, 27, &arp));
	a[7] = 1;
	assert_true(dp_arp_parse(a, 28, &arp));
	assert_int_equal(arp.op, 1);
	a[5] = 6;
	assert_false(dp_arp_parse(a, 28, &arp));
}

static void test_csum_helpers(void **state)
{
	(void)state;
	/* RFC 1071 section 3's example: the sum of these words is ddf2 (before ~). */
	uint8_t buf[9] = {0, 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	uint8_t *unaligned = buf + 1;

	assert_int_equal(dp_csum_fold(dp_csum_partial(unaligned, 8, 0)), 0x220d);
	/* Split at an even length, the sums add up to the same. */
	uint32_t s = dp_csum_partial(unaligned, 4, 0);
	assert_int_equal(dp_csum_fold(dp_csum_partial(unaligned + 4, 4, s)), 0x220d);
	/* An odd tail is padded with a zero byte. */
	assert_int_equal(dp_csum_fold(dp_csum_partial(unaligned, 7, 0)),
			 ref_csum(unaligned, 7, 0));
	assert_int_equal(dp_csum_fold(dp_csum_partial(unaligned, 0, 0)), 0xffff);
	assert_int_equal(dp_csum_pseudo(IP4(10, 0, 0, 1), IP4(10, 0, 0, 100), 17, 332),
			 0x0a00 + 0x0001 + 0x0a00 + 0x0064 + 17 + 332);
	assert_true(dp_tpid_is_vlan(0x8100));
	assert_true(dp_tpid_is_vlan(0x88a8));
	assert_true(dp_tpid_is_vlan(0x9100));
	assert_false(dp_tpid_is_vlan(0x0800));
	assert_false(dp_tpid_is_vlan(0x9200));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_captures_parse),
		cmocka_unit_test(test_captures_stripped),
		cmocka_unit_test(test_captures_replies_retargeted),
		cmocka_unit_test(test_captures_known_values),
		cmocka_unit_test(test_truncated_every_length),
		cmocka_unit_test(test_drops_ipv4_udp),
		cmocka_unit_test(test_accepts_options_padding_short_udp),
		cmocka_unit_test(test_drops_tags),
		cmocka_unit_test(test_drops_arp),
		cmocka_unit_test(test_icmp_kinds),
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_arp_parse),
		cmocka_unit_test(test_csum_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
