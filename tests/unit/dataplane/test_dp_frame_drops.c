/*
 * dp_frame_parse on crafted frames, one or more per drop reason, each made from a real
 * capture frame with one field changed (and the checksums fixed where the change is not
 * meant to break them), plus the unusual but valid: IP options, Ethernet padding, a UDP
 * length below the IP payload, a 0x9100 outer tag. Each frame is parsed from an
 * allocation of exactly its size, so the sanitizer build catches any overrun.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "dataplane/dp_frame.h"
#include "frame_testutil.h"

static const uint8_t *frame_of(const struct pcap_file *pf, size_t i, size_t *len)
{
	assert_true(i < pf->n);
	*len = pf->frames[i].len;
	return pf->frames[i].data;
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

	ft_load(file, &pf);
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
	ft_wr16(c->b + 12, 0x86dd);
}
static void m_lldp(struct craft *c)
{
	ft_wr16(c->b + 12, 0x88cc);
}
static void m_version6(struct craft *c)
{
	c->ip[0] = 0x65;
	ft_fix_ip_csum(c->ip);
}
static void m_ihl4(struct craft *c)
{
	c->ip[0] = 0x44;
	ft_fix_ip_csum(c->ip);
}
static void m_total_below_ihl(struct craft *c)
{
	ft_wr16(c->ip + 2, 19);
	ft_fix_ip_csum(c->ip);
}
static void m_total_beyond_frame(struct craft *c)
{
	ft_wr16(c->ip + 2, (uint16_t)(c->len - 14 + 1));
	ft_fix_ip_csum(c->ip);
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
	ft_wr16(c->ip + 6, 0x2000);
	ft_fix_ip_csum(c->ip);
}
static void m_offset(struct craft *c)
{
	ft_wr16(c->ip + 6, 185);
	ft_fix_ip_csum(c->ip);
}
static void m_df(struct craft *c)
{
	ft_wr16(c->ip + 6, 0x4000);
	ft_fix_ip_csum(c->ip);
}
static void m_tcp(struct craft *c)
{
	c->ip[9] = 6;
	ft_fix_ip_csum(c->ip);
}
/* The length mutations clear the UDP checksum so that only the length check can catch them. */
static void m_udp_len7(struct craft *c)
{
	ft_wr16(c->ip + 24, 7);
	ft_wr16(c->ip + 26, 0);
}
static void m_udp_len_beyond_ip(struct craft *c)
{
	ft_wr16(c->ip + 24, (uint16_t)(ft_rd16(c->ip + 2) - 20 + 1));
	ft_wr16(c->ip + 26, 0);
}
static void m_udp_csum(struct craft *c)
{
	c->ip[28 + 40] ^= 0x10; /* a payload byte, checksum left as it was */
}
static void m_ip_payload_4(struct craft *c)
{
	/* The frame ends with the IP payload, so reading a UDP length would overrun it. */
	ft_wr16(c->ip + 2, 24);
	ft_fix_ip_csum(c->ip);
	c->len = 14 + 24;
}
static void m_port_53(struct craft *c)
{
	ft_wr16(c->ip + 22, 53);
	ft_fix_udp_csum(c->ip);
}
static void m_udp_csum_zero(struct craft *c)
{
	ft_wr16(c->ip + 26, 0);
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
	ft_wr16(c.ip + 2, (uint16_t)(ft_rd16(c.ip + 2) + 4));
	c.len += 4;
	ft_fix_ip_csum(c.ip);
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
	ft_wr16(c.ip + 24, 208);
	ft_fix_udp_csum(c.ip);
	assert_int_equal(parse_craft(&c, &f), DP_FRAME_DHCP);
	assert_int_equal(f.payload_len, 200);
	assert_int_equal(f.payload[0], 1);

	/* IHL beyond the bytes present is a truncation, as is a total length beyond them. */
	craft_from(&c, DISCOVER_FILE, 0, 14);
	c.ip[0] = 0x46;
	c.len = 14 + 22;
	assert_int_equal(parse_craft(&c, &f), DP_DROP_TRUNCATED);
	ft_wr16(c.ip + 2, 24);
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
	ft_wr16(c.b + 16, 0x8100);
	ft_wr16(c.b + 18, 7);
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
	ft_wr16(c.b + 12, 0x9100);
	assert_int_equal(parse_craft(&c, &f), DP_FRAME_DHCP);
	assert_int_equal(f.outer_tpid, 0x9100);
	assert_int_equal(f.outer_tci, 300);
	assert_int_equal(f.inner_tpid, 0x8100);
	assert_int_equal(f.inner_tci, 100);

	/* Priority and DEI bits are kept in the TCI. */
	craft_from(&c, "dhclient-kea-vlan100.pcap", 0, 18);
	ft_wr16(c.b + 14, 0xb000 | 100);
	assert_int_equal(parse_craft(&c, &f), DP_FRAME_DHCP);
	assert_int_equal(f.outer_tci, 0xb064);
}

static void m_arp(struct craft *c, size_t off, uint16_t v)
{
	ft_wr16(c->ip + off, v);
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
	    {0, 6},      /* htype IEEE 802 */
	    {2, 0x86dd}, /* ptype IPv6 */
	    {4, 0x0804}, /* hlen 8 */
	    {4, 0x0610}, /* plen 16 */
	    {6, 0},      /* op 0 */
	    {6, 3},      /* op 3: RARP request */
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
static enum dp_frame_kind icmp_with(uint8_t type, uint8_t code, size_t icmp_len, struct dp_frame *f)
{
	/* Static: @f's views point into the frame, and callers read them after we return. */
	static struct craft c;

	craft_from(&c, DISCOVER_FILE, 0, 14);
	c.ip[9] = 1;
	ft_wr16(c.ip + 2, (uint16_t)(20 + icmp_len));
	ft_fix_ip_csum(c.ip);
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
int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_drops_ipv4_udp),
	    cmocka_unit_test(test_accepts_options_padding_short_udp),
	    cmocka_unit_test(test_drops_tags),
	    cmocka_unit_test(test_drops_arp),
	    cmocka_unit_test(test_icmp_kinds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
