/*
 * Frame parsing: Ethernet, VLAN tags, IPv4, UDP, ARP and ICMP echo on untrusted bytes, and
 * the Internet checksum that the parser and the builders (dp_frame_build.c) share.
 *
 * Every read is preceded by a check that the bytes are there, multi-byte fields are read
 * byte by byte (frames sit at any alignment in a buffer), and the parser fills the caller's
 * struct only once the whole frame has been accepted.
 */
#include "dataplane/dp_frame.h"

#include <string.h>

#define DP_ARP_LEN           28 /* Ethernet/IPv4 ARP: 8-byte fixed part, 2 * (6 + 4) addresses */
#define DP_ICMP_HLEN         8
#define DP_IPPROTO_ICMP      1
#define DP_IPPROTO_UDP       17
#define DP_ICMP_ECHO_REQUEST 8
#define DP_IPV4_MF           0x2000
#define DP_IPV4_FRAG_OFFSET  0x1fff

static uint16_t dp_get16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t dp_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint32_t dp_csum_partial(const uint8_t *p, size_t len, uint32_t sum)
{
	/*
	 * RFC 1071 section 2: the one's complement sum may be accumulated in a wider
	 * integer and folded at the end; 64 bits cannot overflow for any frame.
	 */
	uint64_t acc = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		acc += (uint32_t)p[len - 1] << 8;
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

uint32_t dp_csum_pseudo(uint32_t src_ip, uint32_t dst_ip, uint8_t proto, uint16_t len)
{
	/* RFC 768: source, destination, zero, protocol, UDP length. */
	return (src_ip >> 16) + (src_ip & 0xffff) + (dst_ip >> 16) + (dst_ip & 0xffff) + proto +
	       len;
}

uint16_t dp_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

bool dp_tpid_is_vlan(uint16_t tpid)
{
	/*
	 * 802.1Q (0x8100) and 802.1ad (0x88a8), plus 0x9100, which switches built before
	 * 802.1ad still put on the outer tag of QinQ trunks.
	 */
	return tpid == DP_TPID_8021Q || tpid == DP_TPID_8021AD || tpid == DP_TPID_QINQ_9100;
}

static const char *const dp_kind_names[DP_FRAME__COUNT] = {
    [DP_FRAME_DHCP] = "dhcp",
    [DP_FRAME_ARP] = "arp",
    [DP_FRAME_ICMP_ECHO] = "icmp_echo",
    [DP_DROP_TRUNCATED] = "truncated",
    [DP_DROP_TOO_MANY_TAGS] = "too_many_tags",
    [DP_DROP_NOT_IPV4] = "not_ipv4",
    [DP_DROP_BAD_IPV4] = "bad_ipv4",
    [DP_DROP_FRAGMENT] = "fragment",
    [DP_DROP_NOT_UDP] = "not_udp",
    [DP_DROP_BAD_UDP] = "bad_udp",
    [DP_DROP_NOT_DHCP] = "not_dhcp",
    [DP_DROP_BAD_ARP] = "bad_arp",
};

const char *dp_frame_kind_name(enum dp_frame_kind kind)
{
	if ((unsigned)kind >= DP_FRAME__COUNT || !dp_kind_names[kind])
		return "unknown";
	return dp_kind_names[kind];
}

bool dp_arp_parse(const uint8_t *payload, size_t len, struct dp_arp *out)
{
	/*
	 * RFC 826: only Ethernet hardware (1) with IPv4 protocol addresses (0x0800), hence
	 * 6-byte and 4-byte address lengths, and only requests (1) and replies (2).
	 */
	if (len < DP_ARP_LEN)
		return false;
	if (dp_get16(payload) != 1 || dp_get16(payload + 2) != DP_ETHERTYPE_IPV4 ||
	    payload[4] != 6 || payload[5] != 4)
		return false;
	uint16_t op = dp_get16(payload + 6);
	if (op != 1 && op != 2)
		return false;
	out->op = op;
	out->sha = payload + 8;
	out->spa = dp_get32(payload + 14);
	out->tha = payload + 18;
	out->tpa = dp_get32(payload + 24);
	return true;
}

static enum dp_frame_kind dp_parse_arp(const uint8_t *p, size_t avail, struct dp_frame *f)
{
	struct dp_arp arp;

	if (avail < DP_ARP_LEN)
		return DP_DROP_TRUNCATED;
	if (!dp_arp_parse(p, avail, &arp))
		return DP_DROP_BAD_ARP;
	/* Anything after the 28 bytes is Ethernet padding. */
	f->payload = p;
	f->payload_len = DP_ARP_LEN;
	return DP_FRAME_ARP;
}

static enum dp_frame_kind dp_parse_udp(const uint8_t *p, size_t ip_plen, struct dp_frame *f)
{
	/* RFC 768: the UDP length covers header and data and must fit in the IP payload. */
	if (ip_plen < DP_UDP_HLEN)
		return DP_DROP_BAD_UDP;
	uint16_t ulen = dp_get16(p + 4);
	if (ulen < DP_UDP_HLEN || ulen > ip_plen)
		return DP_DROP_BAD_UDP;
	/*
	 * A zero checksum means the sender computed none (RFC 768), which IPv4 allows:
	 * dhcpcd sends its unicast RELEASE that way. Any other value must verify; a
	 * computed zero is sent as 0xffff, which verifies the same way.
	 */
	if (dp_get16(p + 6) != 0) {
		uint32_t sum = dp_csum_pseudo(f->src_ip, f->dst_ip, DP_IPPROTO_UDP, ulen);
		if (dp_csum_fold(dp_csum_partial(p, ulen, sum)) != 0)
			return DP_DROP_BAD_UDP;
	}
	f->src_port = dp_get16(p);
	f->dst_port = dp_get16(p + 2);
	/*
	 * Clients send to port 67, and so do relays (RFC 1542 section 4.1) and servers
	 * answering a relay; replies to port 68 are never for this server.
	 */
	if (f->dst_port != DP_PORT_BOOTPS)
		return DP_DROP_NOT_DHCP;
	f->payload = p + DP_UDP_HLEN;
	f->payload_len = (size_t)ulen - DP_UDP_HLEN;
	return DP_FRAME_DHCP;
}

static enum dp_frame_kind dp_parse_icmp(const uint8_t *p, size_t ip_plen, struct dp_frame *f)
{
	/* RFC 792: every ICMP message starts with an 8-byte header. */
	if (ip_plen < DP_ICMP_HLEN)
		return DP_DROP_TRUNCATED;
	if (p[0] != DP_ICMP_ECHO_REQUEST || p[1] != 0)
		return DP_DROP_NOT_UDP;
	/* The ICMP checksum is checked by whoever answers (dp_icmp_echo_reply_inplace). */
	f->payload = p;
	f->payload_len = ip_plen;
	return DP_FRAME_ICMP_ECHO;
}

static enum dp_frame_kind dp_parse_ipv4(const uint8_t *p, size_t avail, struct dp_frame *f)
{
	if (avail < DP_IPV4_HLEN)
		return DP_DROP_TRUNCATED;
	/* RFC 791 section 3.1: version 4, IHL in 32-bit words and at least 5. */
	if (p[0] >> 4 != 4)
		return DP_DROP_BAD_IPV4;
	size_t ihl = (size_t)(p[0] & 0x0f) * 4;
	if (ihl < DP_IPV4_HLEN)
		return DP_DROP_BAD_IPV4;
	/*
	 * The total length bounds the datagram: bytes after it are Ethernet padding (a
	 * minimum-size frame) and are ignored; fewer bytes than it says is a truncation.
	 * From here on ihl <= total <= avail, so the whole header is present.
	 */
	size_t total = dp_get16(p + 2);
	if (total < ihl)
		return DP_DROP_BAD_IPV4;
	if (total > avail)
		return DP_DROP_TRUNCATED;
	/* RFC 1122 section 3.2.1.2: silently discard a datagram with a bad checksum. */
	if (dp_csum_fold(dp_csum_partial(p, ihl, 0)) != 0)
		return DP_DROP_BAD_IPV4;
	/*
	 * Fragments are dropped rather than reassembled: a DHCP message fits in one
	 * datagram (RFC 2131 section 2 sizes it to 576 bytes by default), and reassembly
	 * would need state and memory on the fast path.
	 */
	uint16_t frag = dp_get16(p + 6);
	if (frag & (DP_IPV4_MF | DP_IPV4_FRAG_OFFSET))
		return DP_DROP_FRAGMENT;
	f->ttl = p[8];
	f->proto = p[9];
	f->src_ip = dp_get32(p + 12);
	f->dst_ip = dp_get32(p + 16);
	if (f->proto == DP_IPPROTO_UDP)
		return dp_parse_udp(p + ihl, total - ihl, f);
	if (f->proto == DP_IPPROTO_ICMP)
		return dp_parse_icmp(p + ihl, total - ihl, f);
	return DP_DROP_NOT_UDP;
}

enum dp_frame_kind dp_frame_parse(const uint8_t *frame, size_t len, bool stripped,
                                  uint16_t stripped_tci, struct dp_frame *out)
{
	struct dp_frame f;
	enum dp_frame_kind kind;
	unsigned ntags = 0;
	size_t off = 12; /* the ethertype or the first tag's TPID */

	memset(&f, 0, sizeof(f));
	if (len < DP_ETH_HLEN)
		return DP_DROP_TRUNCATED;
	f.dst_mac = frame;
	f.src_mac = frame + 6;
	if (stripped) {
		/* The NIC took the outermost tag; the frame's own tags follow it. */
		f.outer_tpid = DP_TPID_8021Q;
		f.outer_tci = stripped_tci;
		ntags = 1;
	}
	/* Invariant: off + 2 <= len, so the two bytes at off can be read. */
	uint16_t type = dp_get16(frame + off);
	while (dp_tpid_is_vlan(type)) {
		/*
		 * 802.1ad stacks an S-tag on a C-tag; a third tag has no place in the
		 * (port, outer VLAN, inner VLAN) match, so it is dropped as such.
		 */
		if (ntags == 2)
			return DP_DROP_TOO_MANY_TAGS;
		if (len - off < DP_VLAN_HLEN + 2)
			return DP_DROP_TRUNCATED;
		uint16_t tci = dp_get16(frame + off + 2);
		if (ntags == 0) {
			f.outer_tpid = type;
			f.outer_tci = tci;
		} else {
			f.inner_tpid = type;
			f.inner_tci = tci;
		}
		ntags++;
		off += DP_VLAN_HLEN;
		type = dp_get16(frame + off);
	}
	f.ethertype = type;
	off += 2;

	if (type == DP_ETHERTYPE_IPV4)
		kind = dp_parse_ipv4(frame + off, len - off, &f);
	else if (type == DP_ETHERTYPE_ARP)
		kind = dp_parse_arp(frame + off, len - off, &f);
	else
		kind = DP_DROP_NOT_IPV4;
	if (kind == DP_FRAME_DHCP || kind == DP_FRAME_ARP || kind == DP_FRAME_ICMP_ECHO)
		*out = f;
	return kind;
}
