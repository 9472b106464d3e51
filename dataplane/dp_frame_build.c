/*
 * Frame building: the Ethernet/IPv4/UDP headers in front of a DHCP reply, and the ARP and
 * ICMP echo replies that are made by rewriting the request in place. Nothing here
 * allocates; the caller owns every buffer.
 */
#include "dataplane/dp_frame.h"

#include <string.h>

#define DP_ARP_LEN         28
#define DP_ARP_OP_REPLY    2
#define DP_ICMP_HLEN       8
#define DP_ICMP_ECHO_REPLY 0
#define DP_IPPROTO_UDP     17
#define DP_REPLY_TTL       64 /* RFC 1700's recommended default TTL, as Linux uses */

static void dp_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void dp_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t dp_get16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

size_t dp_l2_len(const struct dp_l2 *l2)
{
	return DP_ETH_HLEN + (l2->outer_tpid ? DP_VLAN_HLEN : 0) +
	       (l2->inner_tpid ? DP_VLAN_HLEN : 0);
}

/* Writes Ethernet and the tags of @l2 at @p; returns where the ethertype goes. */
static uint8_t *dp_put_l2(uint8_t *p, const struct dp_l2 *l2)
{
	memcpy(p, l2->dst_mac, 6);
	memcpy(p + 6, l2->src_mac, 6);
	p += 12;
	if (l2->outer_tpid) {
		dp_put16(p, l2->outer_tpid);
		dp_put16(p + 2, l2->outer_tci);
		p += DP_VLAN_HLEN;
	}
	if (l2->inner_tpid) {
		dp_put16(p, l2->inner_tpid);
		dp_put16(p + 2, l2->inner_tci);
		p += DP_VLAN_HLEN;
	}
	return p;
}

/* Writes a 20-byte IPv4 header (no options) with its checksum. */
static void dp_put_ipv4(uint8_t *ip, uint16_t total_len, uint16_t id, uint8_t proto,
                        uint32_t src_ip, uint32_t dst_ip)
{
	ip[0] = 0x45; /* version 4, IHL 5 */
	ip[1] = 0;    /* TOS: routine */
	dp_put16(ip + 2, total_len);
	dp_put16(ip + 4, id);
	dp_put16(ip + 6, 0); /* DF clear, not a fragment */
	ip[8] = DP_REPLY_TTL;
	ip[9] = proto;
	dp_put16(ip + 10, 0);
	dp_put32(ip + 12, src_ip);
	dp_put32(ip + 16, dst_ip);
	dp_put16(ip + 10, dp_csum_fold(dp_csum_partial(ip, DP_IPV4_HLEN, 0)));
}

void dp_build_udp(uint8_t *payload, size_t payload_len, const struct dp_l2 *l2, uint32_t src_ip,
                  uint16_t src_port, uint32_t dst_ip, uint16_t dst_port, uint16_t ip_id)
{
	/* The caller keeps payload_len within a datagram (a DHCP reply is at most 1500). */
	uint16_t udp_len = (uint16_t)(DP_UDP_HLEN + payload_len);
	uint8_t *udp = payload - DP_UDP_HLEN;
	uint8_t *ip = udp - DP_IPV4_HLEN;
	uint8_t *eth = ip - dp_l2_len(l2);

	dp_put16(dp_put_l2(eth, l2), DP_ETHERTYPE_IPV4);
	dp_put_ipv4(ip, (uint16_t)(DP_IPV4_HLEN + udp_len), ip_id, DP_IPPROTO_UDP, src_ip, dst_ip);

	dp_put16(udp, src_port);
	dp_put16(udp + 2, dst_port);
	dp_put16(udp + 4, udp_len);
	dp_put16(udp + 6, 0);
	uint32_t sum = dp_csum_pseudo(src_ip, dst_ip, DP_IPPROTO_UDP, udp_len);
	uint16_t csum = dp_csum_fold(dp_csum_partial(udp, udp_len, sum));
	/* RFC 768: a computed zero is sent as all ones, since zero means "no checksum". */
	dp_put16(udp + 6, csum ? csum : 0xffff);
}

/* The offset of @view in @frame when it lies within its @len bytes with @need after it. */
static bool dp_view_offset(const uint8_t *frame, size_t len, const uint8_t *view, size_t need,
                           size_t *off)
{
	/* Compare as integers: the view may come from another buffer after a misuse. */
	uintptr_t b = (uintptr_t)frame, v = (uintptr_t)view;

	if (v < b || v - b > len || need > len - (v - b))
		return false;
	*off = v - b;
	return true;
}

size_t dp_arp_reply_inplace(uint8_t *frame, size_t len, const struct dp_frame *f,
                            const struct dp_arp *arp, const uint8_t our_mac[6])
{
	size_t off;
	uint8_t requester[6];
	uint32_t spa = arp->spa, tpa = arp->tpa;

	if (!dp_view_offset(frame, len, f->payload, DP_ARP_LEN, &off) || off < DP_ETH_HLEN)
		return 0;
	/* Copy first: arp->sha points into the bytes that are about to be rewritten. */
	memcpy(requester, arp->sha, 6);
	uint8_t *a = frame + off;

	/*
	 * RFC 826, "Packet Reception": swap the sender fields into the target fields, put
	 * our own addresses in the sender fields, set the opcode to reply and send it to
	 * the requester's hardware address, on the link (and VLANs) it came from.
	 */
	memcpy(frame, requester, 6);
	memcpy(frame + 6, our_mac, 6);
	dp_put16(a + 6, DP_ARP_OP_REPLY);
	memcpy(a + 8, our_mac, 6);
	dp_put32(a + 14, tpa);
	memcpy(a + 18, requester, 6);
	dp_put32(a + 24, spa);
	return off + DP_ARP_LEN;
}

/* The offset of the IPv4 header: after the MACs and any tags still in the bytes. */
static size_t dp_l3_offset(const uint8_t *frame, size_t limit)
{
	size_t off = 12;

	while (off + 2 <= limit && dp_tpid_is_vlan(dp_get16(frame + off)))
		off += DP_VLAN_HLEN;
	return off + 2;
}

size_t dp_icmp_echo_reply_inplace(uint8_t *frame, size_t len, const struct dp_frame *f)
{
	size_t icmp_off, icmp_len = f->payload_len;

	if (!dp_view_offset(frame, len, f->payload, icmp_len, &icmp_off) || icmp_len < DP_ICMP_HLEN)
		return 0;
	/* RFC 792: the checksum covers the whole ICMP message; answer only intact ones. */
	if (dp_csum_fold(dp_csum_partial(frame + icmp_off, icmp_len, 0)) != 0)
		return 0;
	size_t ip_off = dp_l3_offset(frame, icmp_off);
	if (ip_off + DP_IPV4_HLEN > icmp_off)
		return 0;
	uint8_t *ip = frame + ip_off;
	if ((size_t)(ip[0] & 0x0f) * 4 != icmp_off - ip_off)
		return 0;

	uint8_t mac[6];
	memcpy(mac, frame, 6);
	memcpy(frame, frame + 6, 6);
	memcpy(frame + 6, mac, 6);

	/*
	 * The request's IP options are not carried over: RFC 1122 section 3.2.2.6 would
	 * have a Record Route or Timestamp updated and a source route reversed, which a
	 * server address has no reason to do; a plain 20-byte header is always a valid
	 * reply. The ICMP message moves up to follow it.
	 */
	if (icmp_off - ip_off > DP_IPV4_HLEN)
		memmove(ip + DP_IPV4_HLEN, frame + icmp_off, icmp_len);
	uint8_t *icmp = ip + DP_IPV4_HLEN;
	uint16_t id = dp_get16(ip + 4);
	uint8_t proto = ip[9];
	uint32_t src = (uint32_t)dp_get16(ip + 12) << 16 | dp_get16(ip + 14);
	uint32_t dst = (uint32_t)dp_get16(ip + 16) << 16 | dp_get16(ip + 18);
	dp_put_ipv4(ip, (uint16_t)(DP_IPV4_HLEN + icmp_len), id, proto, dst, src);

	/* RFC 792, "Echo or Echo Reply Message": same identifier, sequence and data. */
	icmp[0] = DP_ICMP_ECHO_REPLY;
	icmp[1] = 0;
	dp_put16(icmp + 2, 0);
	dp_put16(icmp + 2, dp_csum_fold(dp_csum_partial(icmp, icmp_len, 0)));
	return ip_off + DP_IPV4_HLEN + icmp_len;
}
