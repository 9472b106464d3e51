/*
 * dp_frame_parse against every frame of the real captures: untagged, 802.1Q and QinQ, with
 * the outer tag moved to NIC metadata, server replies turned towards port 67, and every
 * prefix of every frame (truncations, checked under the sanitizer build too). Expected
 * values come from a small reference decoder that reads the captures at fixed offsets,
 * not from the parser under test. Also the small helpers: kind names, dp_arp_parse and
 * the checksum functions. Crafted bad frames are in test_dp_frame_drops.c.
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

/* What each capture holds, counted from the captures README and tshark. */
struct capture {
	const char *file;
	size_t frames;
	unsigned to_67; /* IPv4/UDP to port 67: clients, relays, servers answering relays */
	unsigned to_68; /* server replies to clients */
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
	uint16_t etype = ft_rd16(fr + l3 - 2);
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
		uint16_t dport = ft_rd16(ip + 22);
		if (dport != DP_PORT_BOOTPS) {
			assert_int_equal(dport, DP_PORT_BOOTPC);
			assert_int_equal(k, DP_DROP_NOT_DHCP);
			counts[1]++;
			return;
		}
		assert_int_equal(k, DP_FRAME_DHCP);
		assert_int_equal(f.src_ip, ft_rd32(ip + 12));
		assert_int_equal(f.dst_ip, ft_rd32(ip + 16));
		assert_int_equal(f.ttl, ip[8]);
		assert_int_equal(f.proto, 17);
		assert_int_equal(f.src_port, ft_rd16(ip + 20));
		assert_int_equal(f.dst_port, 67);
		assert_ptr_equal(f.payload, ip + 28);
		assert_int_equal(f.payload_len, ft_rd16(ip + 24) - 8);
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

		ft_load(c->file, &pf);
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

		ft_load(c->file, &pf);
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
			assert_int_equal(ft_rd16(d + 14), c->outer_tci);
			check_frame(s, len - 4, file_tags(c) - 1, true, ft_rd16(d + 14), c, counts);
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

		ft_load(c->file, &pf);
		for (size_t j = 0; j < pf.n; j++) {
			size_t len = pf.frames[j].len, l3 = 14 + 4 * file_tags(c);
			uint8_t *s = malloc(len);
			assert_non_null(s);
			memcpy(s, pf.frames[j].data, len);
			if (ft_rd16(s + l3 - 2) == DP_ETHERTYPE_IPV4 &&
			    ft_rd16(s + l3 + 22) == 68) {
				ft_wr16(s + l3 + 22, 67);
				ft_fix_udp_csum(s + l3);
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

	ft_load("dhclient-kea-dora-renew-release.pcap", &pf);
	d = frame_of(&pf, 0, &len);
	assert_int_equal(dp_frame_parse(d, len, false, 0, &f), DP_FRAME_DHCP);
	assert_memory_equal(f.dst_mac, bcast, 6);
	assert_memory_equal(f.src_mac, client1, 6);
	assert_int_equal(f.src_ip, 0);
	assert_int_equal(f.dst_ip, 0xffffffffu);
	assert_int_equal(f.src_port, 68);
	assert_int_equal(f.ttl, 128);
	assert_int_equal(f.payload_len, 300);
	assert_int_equal(ft_rd32(f.payload + 236), 0x63825363u); /* the DHCP magic cookie */
	d = frame_of(&pf, 6, &len);                              /* the unicast RENEW */
	assert_int_equal(dp_frame_parse(d, len, false, 0, &f), DP_FRAME_DHCP);
	assert_int_equal(f.src_ip, IP4(10, 0, 0, 100));
	assert_int_equal(f.dst_ip, IP4(10, 0, 0, 1));
	pcap_file_free(&pf);

	/* dhcpcd's RELEASE has UDP checksum 0, which means "none" and is accepted. */
	ft_load("dhcpcd-kea-dora-release.pcap", &pf);
	d = frame_of(&pf, 11, &len);
	assert_int_equal(ft_rd16(d + 14 + 26), 0);
	assert_int_equal(dp_frame_parse(d, len, false, 0, &f), DP_FRAME_DHCP);
	assert_int_equal(f.src_ip, IP4(10, 0, 0, 100));
	assert_int_equal(f.payload[240], 53);
	assert_int_equal(f.payload[242], 7); /* DHCPRELEASE */
	pcap_file_free(&pf);

	/* Relay to server and server to relay both travel 67 -> 67. */
	ft_load("dhcrelay-opt82-server-side.pcap", &pf);
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
	ft_load("perfdhcp-kea-giaddr-5x-dora.pcap", &pf);
	d = frame_of(&pf, 2, &len);
	assert_int_equal(dp_frame_parse(d, len, false, 0, &f), DP_FRAME_DHCP);
	assert_int_equal(f.payload_len, 262);
	d = frame_of(&pf, 4, &len);
	assert_int_equal(dp_frame_parse(d, len, false, 0, &f), DP_FRAME_DHCP);
	assert_int_equal(f.payload_len, 274);
	pcap_file_free(&pf);

	ft_load("dhclient-kea-qinq-s300-c100.pcap", &pf);
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

		ft_load(captures[i].file, &pf);
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

static void test_kind_names(void **state)
{
	(void)state;
	static const char *const expect[DP_FRAME__COUNT] = {
	    "dhcp",     "arp",      "icmp_echo", "truncated", "too_many_tags", "not_ipv4",
	    "bad_ipv4", "fragment", "not_udp",   "bad_udp",   "not_dhcp",      "bad_arp",
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
	assert_string_equal(dp_frame_kind_name((enum dp_frame_kind) - 1), "unknown");
}

static void test_arp_parse(void **state)
{
	(void)state;
	uint8_t a[29] = {0, 1, 8, 0, 6, 4, 0,  2,  1,  2,  3, 4, 5,   6,   10,
	                 0, 0, 1, 7, 8, 9, 10, 11, 12, 10, 0, 0, 100, 0xee};
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
	assert_int_equal(dp_csum_fold(dp_csum_partial(unaligned, 7, 0)), ft_csum(unaligned, 7, 0));
	assert_int_equal(dp_csum_fold(dp_csum_partial(unaligned, 0, 0)), 0xffff);
	/* A running sum near 2^32 carries around instead of wrapping (2^32 - 2 = 0xfffe). */
	static const uint8_t ones[2] = {0xff, 0xff};
	assert_int_equal(dp_csum_fold(dp_csum_partial(ones, 2, 0xffffffffu)), 0);
	assert_int_equal(dp_csum_fold(dp_csum_partial(unaligned, 8, 0xfffffffeu)),
	                 ft_csum(unaligned, 8, 0xfffe));
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
	    cmocka_unit_test(test_kind_names),
	    cmocka_unit_test(test_arp_parse),
	    cmocka_unit_test(test_csum_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
