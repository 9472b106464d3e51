/*
 * The frame builders: UDP replies round-tripped through dp_frame_parse and compared with
 * Kea's replies in the captures, ARP replies built in place from captured requests and
 * compared with the Linux kernel's captured replies, and ICMP echo replies built in place.
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

/* Reads the Ethernet header and @ntags tags of a captured frame into @l2. */
static void l2_of(const uint8_t *fr, unsigned ntags, struct dp_l2 *l2)
{
	memset(l2, 0, sizeof(*l2));
	memcpy(l2->dst_mac, fr, 6);
	memcpy(l2->src_mac, fr + 6, 6);
	if (ntags >= 1) {
		l2->outer_tpid = ft_rd16(fr + 12);
		l2->outer_tci = ft_rd16(fr + 14);
	}
	if (ntags == 2) {
		l2->inner_tpid = ft_rd16(fr + 16);
		l2->inner_tci = ft_rd16(fr + 18);
	}
}

static const uint8_t server_mac[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t client_mac[6] = {2, 0, 0, 0, 1, 1};

static void test_l2_len(void **state)
{
	(void)state;
	struct dp_l2 l2;

	memset(&l2, 0, sizeof(l2));
	assert_int_equal(dp_l2_len(&l2), 14);
	l2.outer_tpid = DP_TPID_8021Q;
	assert_int_equal(dp_l2_len(&l2), 18);
	l2.inner_tpid = DP_TPID_8021Q;
	assert_int_equal(dp_l2_len(&l2), 22);
	assert_int_equal(DP_REPLY_HEADROOM, 22 + 28);
}

/*
 * A reply with 0, 1 and 2 tags, to a relay (port 67, so it parses as DHCP with every field)
 * and to a client (port 68: a valid datagram, dropped as not for a server), with even and
 * odd payload lengths. Only the header room in front of the payload is written.
 */
static void test_build_udp_roundtrip(void **state)
{
	(void)state;
	static const struct {
		uint16_t otpid, otci, itpid, itci;
	} tags[] = {{0, 0, 0, 0}, {0x8100, 100, 0, 0}, {0x88a8, 0x2000 | 300, 0x8100, 100}};
	uint8_t buf[DP_REPLY_HEADROOM + 401];

	for (size_t t = 0; t < 3; t++) {
		for (size_t plen = 300; plen <= 301; plen++) {
			for (uint16_t dport = 67; dport <= 68; dport++) {
				struct dp_l2 l2;
				struct dp_frame f;

				memset(&l2, 0, sizeof(l2));
				memcpy(l2.dst_mac, client_mac, 6);
				memcpy(l2.src_mac, server_mac, 6);
				l2.outer_tpid = tags[t].otpid;
				l2.outer_tci = tags[t].otci;
				l2.inner_tpid = tags[t].itpid;
				l2.inner_tci = tags[t].itci;

				memset(buf, 0xee, sizeof(buf));
				uint8_t *payload = buf + DP_REPLY_HEADROOM;
				for (size_t i = 0; i < plen; i++)
					payload[i] = (uint8_t)(i * 7 + t);
				dp_build_udp(payload, plen, &l2, IP4(10, 0, 1, 1), 67,
				             IP4(10, 0, 2, 1), dport, 0x4242);

				size_t hlen = dp_l2_len(&l2) + 28;
				uint8_t *fr = payload - hlen;
				for (uint8_t *p = buf; p < fr; p++)
					assert_int_equal(*p, 0xee);
				size_t len = hlen + plen;
				assert_memory_equal(fr, client_mac, 6);
				assert_memory_equal(fr + 6, server_mac, 6);
				uint8_t *ip = payload - 28;
				assert_int_equal(ft_rd16(ip - 2), 0x0800);
				assert_int_equal(ip[0], 0x45);
				assert_int_equal(ip[1], 0);
				assert_int_equal(ft_rd16(ip + 2), 28 + plen);
				assert_int_equal(ft_rd16(ip + 4), 0x4242);
				assert_int_equal(ft_rd16(ip + 6), 0);
				assert_int_equal(ip[8], 64);
				assert_int_equal(ip[9], 17);
				assert_int_equal(ft_csum(ip, 20, 0), 0);
				assert_int_equal(ft_rd16(ip + 24), 8 + plen);
				assert_true(ft_udp_csum_ok(ip));

				enum dp_frame_kind k = dp_frame_parse(fr, len, false, 0, &f);
				if (dport == 68) {
					assert_int_equal(k, DP_DROP_NOT_DHCP);
					continue;
				}
				assert_int_equal(k, DP_FRAME_DHCP);
				assert_int_equal(f.outer_tpid, tags[t].otpid);
				assert_int_equal(f.outer_tci, tags[t].otci);
				assert_int_equal(f.inner_tpid, tags[t].itpid);
				assert_int_equal(f.inner_tci, tags[t].itci);
				assert_ptr_equal(f.dst_mac, fr);
				assert_ptr_equal(f.src_mac, fr + 6);
				assert_int_equal(f.ethertype, 0x0800);
				assert_int_equal(f.src_ip, IP4(10, 0, 1, 1));
				assert_int_equal(f.dst_ip, IP4(10, 0, 2, 1));
				assert_int_equal(f.ttl, 64);
				assert_int_equal(f.proto, 17);
				assert_int_equal(f.src_port, 67);
				assert_int_equal(f.dst_port, 67);
				assert_ptr_equal(f.payload, payload);
				assert_int_equal(f.payload_len, plen);
			}
		}
	}
}

/* A datagram whose checksum computes to zero carries 0xffff (RFC 768). */
static void test_build_udp_csum_never_zero(void **state)
{
	(void)state;
	uint8_t buf[DP_REPLY_HEADROOM + 64];
	uint8_t *payload = buf + DP_REPLY_HEADROOM;
	struct dp_l2 l2;
	struct dp_frame f;

	memset(&l2, 0, sizeof(l2));
	memset(buf, 0, sizeof(buf));
	for (size_t i = 2; i < 64; i++)
		payload[i] = (uint8_t)(i * 13);
	dp_build_udp(payload, 64, &l2, IP4(10, 0, 0, 1), 67, IP4(10, 0, 0, 100), 67, 1);
	uint16_t c = ft_rd16(payload - 2);
	/* Adding the checksum's value as a payload word makes the sum all ones. */
	ft_wr16(payload, c);
	dp_build_udp(payload, 64, &l2, IP4(10, 0, 0, 1), 67, IP4(10, 0, 0, 100), 67, 1);
	assert_int_equal(ft_rd16(payload - 2), 0xffff);
	assert_int_equal(dp_frame_parse(payload - 42, 42 + 64, false, 0, &f), DP_FRAME_DHCP);
	assert_int_equal(f.payload_len, 64);
}

/*
 * Given the fields of a captured Kea reply, the builder writes the same Ethernet, tag,
 * IPv4 and UDP bytes, UDP checksum included. Kea differs only where this server chose
 * otherwise: TOS 0x10, DF set, TTL 128 (and so the IP header checksum).
 */
static void test_build_matches_kea(void **state)
{
	(void)state;
	static const struct {
		const char *file;
		size_t idx;
		unsigned ntags;
	} replies[] = {
	    {"dhclient-kea-dora-renew-release.pcap", 1, 0},          /* OFFER, unicast */
	    {"dhclient-kea-dora-renew-release.pcap", 7, 0},          /* renew ACK */
	    {"dhclient-kea-vlan100.pcap", 1, 1},                     /* OFFER, 802.1Q */
	    {"dhclient-kea-qinq-s300-c100.pcap", 1, 2},              /* OFFER, QinQ, odd length */
	    {"dhclient-kea-initreboot-nak-dora-release.pcap", 1, 0}, /* NAK to broadcast */
	    {"dhcrelay-opt82-server-side.pcap", 3, 0},               /* OFFER to the relay */
	    {"perfdhcp-kea-giaddr-5x-dora.pcap", 3, 0},
	    {"udhcpc-kea-dora-release.pcap", 3, 0},
	    {"dhcpcd-kea-inform.pcap", 5, 0},
	};

	for (size_t r = 0; r < sizeof(replies) / sizeof(replies[0]); r++) {
		struct pcap_file pf;
		struct dp_l2 l2;
		uint8_t buf[DP_REPLY_HEADROOM + 600];

		ft_load(replies[r].file, &pf);
		assert_true(replies[r].idx < pf.n);
		const uint8_t *kea = pf.frames[replies[r].idx].data;
		size_t len = pf.frames[replies[r].idx].len;
		size_t l3 = 14 + 4 * replies[r].ntags;
		const uint8_t *kip = kea + l3;
		assert_int_equal(kip[0], 0x45);
		assert_int_equal(kip[1], 0x10);
		assert_int_equal(ft_rd16(kip + 6), 0x4000);
		assert_int_equal(kip[8], 128);
		size_t plen = len - l3 - 28;
		assert_true(plen <= 600);

		l2_of(kea, replies[r].ntags, &l2);
		uint8_t *payload = buf + DP_REPLY_HEADROOM;
		memcpy(payload, kip + 28, plen);
		dp_build_udp(payload, plen, &l2, ft_rd32(kip + 12), ft_rd16(kip + 20),
		             ft_rd32(kip + 16), ft_rd16(kip + 22), ft_rd16(kip + 4));
		uint8_t *fr = payload - (l3 + 28);
		uint8_t *ip = fr + l3;

		assert_memory_equal(fr, kea, l3);          /* Ethernet and tags */
		assert_int_equal(ip[0], kip[0]);           /* version, IHL */
		assert_memory_equal(ip + 2, kip + 2, 4);   /* total length, id */
		assert_int_equal(ip[9], kip[9]);           /* protocol */
		assert_memory_equal(ip + 12, kip + 12, 8); /* addresses */
		assert_memory_equal(ip + 20, kip + 20, 8); /* the whole UDP header */
		assert_memory_equal(payload, kip + 28, plen);
		assert_int_equal(ip[1], 0);
		assert_int_equal(ft_rd16(ip + 6), 0);
		assert_int_equal(ip[8], 64);
		assert_int_equal(ft_csum(ip, 20, 0), 0);
		/* With Kea's TOS, flags and TTL, the header is Kea's, checksum and all. */
		ip[1] = kip[1];
		ft_wr16(ip + 6, 0x4000);
		ip[8] = kip[8];
		ft_wr16(ip + 10, 0);
		ft_wr16(ip + 10, ft_csum(ip, 20, 0));
		assert_memory_equal(ip, kip, 20);
		pcap_file_free(&pf);
	}
}

/*
 * Each captured ARP request, answered in place for the MAC that answered it in the
 * capture, is byte for byte the Linux kernel's captured reply, tags included.
 */
static void check_arp_pair(const uint8_t *req, size_t req_len, const uint8_t *reply,
                           size_t reply_len, size_t pad, bool stripped)
{
	struct dp_frame f;
	struct dp_arp arp;
	uint8_t our_mac[6];
	uint8_t *fr = calloc(1, req_len + pad);

	assert_non_null(fr);
	memcpy(fr, req, req_len);
	memcpy(our_mac, reply + 6, 6);
	assert_int_equal(dp_frame_parse(fr, req_len + pad, stripped, 100, &f), DP_FRAME_ARP);
	assert_true(dp_arp_parse(f.payload, f.payload_len, &arp));
	assert_int_equal(arp.op, 1);
	assert_int_equal(dp_arp_reply_inplace(fr, req_len + pad, &f, &arp, our_mac), reply_len);
	assert_memory_equal(fr, reply, reply_len);

	assert_int_equal(dp_frame_parse(fr, reply_len, stripped, 100, &f), DP_FRAME_ARP);
	assert_true(dp_arp_parse(f.payload, f.payload_len, &arp));
	assert_int_equal(arp.op, 2);
	assert_memory_equal(arp.sha, our_mac, 6);
	assert_int_equal(arp.tpa, ft_rd32(req + req_len - 28 + 14));
	assert_int_equal(arp.spa, ft_rd32(req + req_len - 28 + 24));
	assert_memory_equal(arp.tha, req + 6, 6);
	free(fr);
}

static void test_arp_reply_matches_kernel(void **state)
{
	(void)state;
	static const struct {
		const char *file;
		size_t req, reply;
	} pairs[] = {
	    {"dhclient-kea-dora-renew-release.pcap", 4, 5},
	    {"dhclient-kea-vlan100.pcap", 4, 5},
	    {"dhclient-kea-qinq-s300-c100.pcap", 4, 5},
	    {"dhcpcd-kea-decline-redora-release.pcap", 4, 5}, /* probe: sender IP 0.0.0.0 */
	    {"dhcpcd-kea-decline-redora-release.pcap", 15, 16},
	    {"dhcpcd-kea-dora-release.pcap", 9, 10},
	    {"dhclient-dnsmasq-dora-release.pcap", 7, 8},
	    {"dhclient-dhcpd-dora-release.pcap", 6, 7},
	    {"dhcrelay-opt82-client-side.pcap", 4, 5},
	    {"dhcrelay-opt82-server-side.pcap", 0, 1},
	    {"perfdhcp-kea-giaddr-5x-dora.pcap", 0, 1},
	    {"udhcpc-kea-dora-release.pcap", 4, 5},
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct pcap_file pf;

		ft_load(pairs[i].file, &pf);
		const struct pcap_frame *rq = &pf.frames[pairs[i].req];
		const struct pcap_frame *rp = &pf.frames[pairs[i].reply];
		check_arp_pair(rq->data, rq->len, rp->data, rp->len, 0, false);
		/* Padded to the Ethernet minimum: the reply leaves the padding out. */
		check_arp_pair(rq->data, rq->len, rp->data, rp->len, 60 - rq->len % 60, false);
		if (rq->len > 42) {
			/* The outer tag in metadata: the reply keeps the tags still in the bytes.
			 */
			uint8_t s[64], sr[64];
			memcpy(s, rq->data, 12);
			memcpy(s + 12, rq->data + 16, rq->len - 16);
			memcpy(sr, rp->data, 12);
			memcpy(sr + 12, rp->data + 16, rp->len - 16);
			check_arp_pair(s, rq->len - 4, sr, rp->len - 4, 0, true);
		}
		pcap_file_free(&pf);
	}
}

/*
 * RFC 826 answers the sender hardware address in the ARP packet, which is not always the
 * Ethernet source (a bridge or proxy may have forwarded the request).
 */
static void test_arp_reply_to_sender_hw_address(void **state)
{
	(void)state;
	struct pcap_file pf;
	struct dp_frame f;
	struct dp_arp arp;
	uint8_t b[42];
	static const uint8_t bridge[6] = {2, 0, 0, 0, 0x77, 0x77};

	ft_load("dhclient-kea-dora-renew-release.pcap", &pf);
	memcpy(b, pf.frames[4].data, 42);
	memcpy(b + 6, bridge, 6);
	assert_int_equal(dp_frame_parse(b, 42, false, 0, &f), DP_FRAME_ARP);
	assert_true(dp_arp_parse(f.payload, f.payload_len, &arp));
	assert_int_equal(dp_arp_reply_inplace(b, 42, &f, &arp, server_mac), 42);
	assert_memory_equal(b, client_mac, 6);
	assert_memory_equal(b + 6, server_mac, 6);
	assert_memory_equal(b + 14 + 18, client_mac, 6);
	pcap_file_free(&pf);
}

static void test_arp_reply_rejects_foreign_view(void **state)
{
	(void)state;
	struct pcap_file pf;
	struct dp_frame f;
	struct dp_arp arp;
	uint8_t copy[42];

	ft_load("dhclient-kea-dora-renew-release.pcap", &pf);
	assert_int_equal(pf.frames[4].len, 42);
	memcpy(copy, pf.frames[4].data, 42);
	assert_int_equal(dp_frame_parse(pf.frames[4].data, 42, false, 0, &f), DP_FRAME_ARP);
	assert_true(dp_arp_parse(f.payload, f.payload_len, &arp));
	/* @f points into the capture buffer, not into @copy. */
	assert_int_equal(dp_arp_reply_inplace(copy, 42, &f, &arp, server_mac), 0);
	assert_memory_equal(copy, pf.frames[4].data, 42);
	pcap_file_free(&pf);
}

/*
 * Writes an ICMP echo request from a client to the server with @ntags tags, @opts bytes
 * of IP options and @data bytes of data; returns the frame length.
 */
static size_t make_echo(uint8_t *b, unsigned ntags, size_t opts, size_t data)
{
	size_t off = 12;

	memcpy(b, server_mac, 6);
	memcpy(b + 6, client_mac, 6);
	if (ntags == 2) {
		ft_wr16(b + off, 0x88a8);
		ft_wr16(b + off + 2, 300);
		off += 4;
	}
	if (ntags >= 1) {
		ft_wr16(b + off, 0x8100);
		ft_wr16(b + off + 2, 100);
		off += 4;
	}
	ft_wr16(b + off, 0x0800);
	uint8_t *ip = b + off + 2;
	size_t ihl = 20 + opts;
	memset(ip, 0, ihl);
	ip[0] = (uint8_t)(0x40 | ihl / 4);
	ip[1] = 0x10;
	ft_wr16(ip + 2, (uint16_t)(ihl + 8 + data));
	ft_wr16(ip + 4, 0x1234);
	ft_wr16(ip + 6, 0x4000);
	ip[8] = 63;
	ip[9] = 1;
	memcpy(ip + 12, (uint8_t[]){10, 0, 0, 100, 10, 0, 0, 1}, 8);
	memset(ip + 20, 1, opts); /* NOPs */
	ft_wr16(ip + 10, ft_csum(ip, ihl, 0));
	uint8_t *icmp = ip + ihl;
	icmp[0] = 8;
	icmp[1] = 0;
	ft_wr16(icmp + 2, 0);
	ft_wr16(icmp + 4, 0x0abc);
	ft_wr16(icmp + 6, 7);
	for (size_t i = 0; i < data; i++)
		icmp[8 + i] = (uint8_t)(0x20 + i);
	ft_wr16(icmp + 2, ft_csum(icmp, 8 + data, 0));
	return (size_t)(icmp - b) + 8 + data;
}

static void check_echo_reply(unsigned ntags, size_t opts, size_t data, size_t pad, bool strip)
{
	uint8_t req[200], b[200];
	struct dp_frame f;
	size_t len = make_echo(req, ntags, opts, data);
	size_t in_bytes = ntags;

	if (strip) {
		/* The NIC took the outer tag: remove it from the bytes. */
		memmove(req + 12, req + 16, len - 16);
		len -= 4;
		in_bytes--;
	}
	memset(b, 0, sizeof(b));
	memcpy(b, req, len);
	size_t l3 = 14 + 4 * in_bytes;
	assert_int_equal(dp_frame_parse(b, len + pad, strip, 300, &f), DP_FRAME_ICMP_ECHO);
	assert_ptr_equal(f.payload, b + l3 + 20 + opts);
	assert_int_equal(f.payload_len, 8 + data);
	assert_int_equal(f.ttl, 63);

	size_t rlen = dp_icmp_echo_reply_inplace(b, len + pad, &f);
	assert_int_equal(rlen, l3 + 28 + data);
	assert_memory_equal(b, client_mac, 6);
	assert_memory_equal(b + 6, server_mac, 6);
	assert_memory_equal(b + 12, req + 12, l3 - 12); /* tags and ethertype unchanged */
	const uint8_t *ip = b + l3, *icmp = ip + 20;
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(ft_rd16(ip + 2), 28 + data);
	assert_int_equal(ft_rd16(ip + 4), 0x1234);
	assert_int_equal(ip[8], 64);
	assert_int_equal(ip[9], 1);
	assert_int_equal(ft_rd32(ip + 12), IP4(10, 0, 0, 1));
	assert_int_equal(ft_rd32(ip + 16), IP4(10, 0, 0, 100));
	assert_int_equal(ft_csum(ip, 20, 0), 0);
	assert_int_equal(icmp[0], 0);
	assert_int_equal(icmp[1], 0);
	assert_memory_equal(icmp + 4, req + l3 + 20 + opts + 4, 4 + data); /* id, seq, data */
	assert_int_equal(ft_csum(icmp, 8 + data, 0), 0);
	/* A valid datagram, but an echo reply is not something the server answers. */
	assert_int_equal(dp_frame_parse(b, rlen, strip, 300, &f), DP_DROP_NOT_UDP);
}

static void test_icmp_echo_reply(void **state)
{
	(void)state;
	for (unsigned t = 0; t <= 2; t++) {
		check_echo_reply(t, 0, 56, 0, false);
		check_echo_reply(t, 0, 0, 18, false); /* minimum frame, padded */
		check_echo_reply(t, 0, 33, 0, false); /* odd length */
		check_echo_reply(t, 8, 56, 0, false); /* options dropped */
		if (t)
			check_echo_reply(t, 0, 56, 0, true);
	}
}

static void test_icmp_echo_bad_checksum(void **state)
{
	(void)state;
	uint8_t b[200], copy[200];
	struct dp_frame f;
	size_t len = make_echo(b, 1, 0, 56);

	b[len - 1] ^= 0x40;
	memcpy(copy, b, len);
	assert_int_equal(dp_frame_parse(b, len, false, 0, &f), DP_FRAME_ICMP_ECHO);
	assert_int_equal(dp_icmp_echo_reply_inplace(b, len, &f), 0);
	assert_memory_equal(b, copy, len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_l2_len),
	    cmocka_unit_test(test_build_udp_roundtrip),
	    cmocka_unit_test(test_build_udp_csum_never_zero),
	    cmocka_unit_test(test_build_matches_kea),
	    cmocka_unit_test(test_arp_reply_matches_kernel),
	    cmocka_unit_test(test_arp_reply_to_sender_hw_address),
	    cmocka_unit_test(test_arp_reply_rejects_foreign_view),
	    cmocka_unit_test(test_icmp_echo_reply),
	    cmocka_unit_test(test_icmp_echo_bad_checksum),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
