/*
 * Frame parsing and building for the dataplane, on plain byte buffers so that it is
 * tested without DPDK or a NIC: Ethernet, up to two VLAN tags (802.1ad 0x88a8 or 802.1Q
 * 0x8100 outer, 802.1Q inner), IPv4, UDP, ARP and ICMP echo.
 *
 * Thread safety: no shared state; any thread.
 */
#ifndef MTDHCP_DATAPLANE_DP_FRAME_H
#define MTDHCP_DATAPLANE_DP_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DP_ETH_HLEN 14
#define DP_VLAN_HLEN 4
#define DP_IPV4_HLEN 20
#define DP_UDP_HLEN 8
/* Room to keep in front of a reply's DHCP message for its headers. */
#define DP_REPLY_HEADROOM (DP_ETH_HLEN + 2 * DP_VLAN_HLEN + DP_IPV4_HLEN + DP_UDP_HLEN)

#define DP_TPID_8021Q 0x8100
#define DP_TPID_8021AD 0x88a8
#define DP_TPID_QINQ_9100 0x9100 /* pre-802.1ad vendor QinQ, accepted as a tag TPID */
#define DP_ETHERTYPE_IPV4 0x0800
#define DP_ETHERTYPE_ARP 0x0806
#define DP_PORT_BOOTPS 67
#define DP_PORT_BOOTPC 68

/* What a received frame is; everything but the first three is a counted drop. */
enum dp_frame_kind {
	DP_FRAME_DHCP = 0,   /* IPv4/UDP to port 67 */
	DP_FRAME_ARP,        /* an ARP request or reply (Ethernet/IPv4) */
	DP_FRAME_ICMP_ECHO,  /* an ICMP echo request */
	DP_DROP_TRUNCATED,   /* shorter than its headers say */
	DP_DROP_TOO_MANY_TAGS, /* more than two VLAN tags */
	DP_DROP_NOT_IPV4,    /* another ethertype */
	DP_DROP_BAD_IPV4,    /* version, header length, total length or header checksum */
	DP_DROP_FRAGMENT,    /* a fragment: DHCP is never fragmented here */
	DP_DROP_NOT_UDP,     /* another IP protocol (or ICMP other than echo) */
	DP_DROP_BAD_UDP,     /* UDP length or checksum */
	DP_DROP_NOT_DHCP,    /* UDP to another port */
	DP_DROP_BAD_ARP,
	DP_FRAME__COUNT
};

/* A parsed frame; the pointers are views into the frame. Numbers in host byte order. */
struct dp_frame {
	uint16_t outer_tpid; /* 0 = untagged */
	uint16_t outer_tci;
	uint16_t inner_tpid; /* 0 = fewer than two tags */
	uint16_t inner_tci;
	const uint8_t *dst_mac;
	const uint8_t *src_mac;
	uint16_t ethertype; /* after the tags */
	/* IPv4 */
	uint32_t src_ip;
	uint32_t dst_ip;
	uint8_t ttl;
	uint8_t proto;
	/* UDP */
	uint16_t src_port;
	uint16_t dst_port;
	/* The UDP payload (DHCP), the ICMP message, or the ARP packet. */
	const uint8_t *payload;
	size_t payload_len;
};

/*
 * Parses @len bytes of @frame. When the NIC stripped a VLAN tag into metadata,
 * @stripped_tci is that tag's TCI and @stripped is true: the tag counts as the outermost
 * one (TPID 0x8100), followed by any tags still in the frame. Returns the kind of frame;
 * only for the first three kinds is @out filled (the rest are reasons to drop).
 */
enum dp_frame_kind dp_frame_parse(const uint8_t *frame, size_t len, bool stripped,
				  uint16_t stripped_tci, struct dp_frame *out);

/* A stable name for @kind, for counters. */
const char *dp_frame_kind_name(enum dp_frame_kind kind);

/* The fields of an Ethernet/IPv4 ARP packet (payload of a DP_FRAME_ARP). */
struct dp_arp {
	uint16_t op; /* 1 request, 2 reply */
	const uint8_t *sha;
	uint32_t spa;
	const uint8_t *tha;
	uint32_t tpa;
};

/* Parses an ARP payload; false when it is not Ethernet/IPv4 ARP. */
bool dp_arp_parse(const uint8_t *payload, size_t len, struct dp_arp *out);

/* Everything needed to put headers around a payload. Numbers in host byte order. */
struct dp_l2 {
	uint8_t dst_mac[6];
	uint8_t src_mac[6];
	uint16_t outer_tpid; /* 0 = untagged */
	uint16_t outer_tci;
	uint16_t inner_tpid;
	uint16_t inner_tci;
};

/* The bytes Ethernet and tags take for @l2. */
size_t dp_l2_len(const struct dp_l2 *l2);

/*
 * Writes Ethernet, tags, IPv4 (TTL 64, DF clear, checksum) and UDP (checksum) headers
 * into the @hdr_len bytes that end exactly at @payload, where @hdr_len is
 * dp_l2_len(l2) + 28. The caller provides that room in front of the payload (at most
 * DP_REPLY_HEADROOM). @ip_id is the IPv4 identification.
 */
void dp_build_udp(uint8_t *payload, size_t payload_len, const struct dp_l2 *l2, uint32_t src_ip,
		  uint16_t src_port, uint32_t dst_ip, uint16_t dst_port, uint16_t ip_id);

/*
 * Turns an ARP request in @frame (as parsed into @f and @arp) into the reply for
 * @our_mac, in place: the frame keeps its tags. Returns the frame length (Ethernet
 * padding of the request is cut off), or 0 when @f does not describe @len bytes of @frame.
 */
size_t dp_arp_reply_inplace(uint8_t *frame, size_t len, const struct dp_frame *f,
			    const struct dp_arp *arp, const uint8_t our_mac[6]);

/*
 * Turns an ICMP echo request in @frame into its echo reply in place (addresses and MACs
 * swapped, type 0, checksums updated). Returns the frame length, or 0 when the ICMP
 * checksum of the request is wrong.
 */
size_t dp_icmp_echo_reply_inplace(uint8_t *frame, size_t len, const struct dp_frame *f);

/* True for a TPID that starts a VLAN tag: 0x8100, 0x88a8 or 0x9100. */
bool dp_tpid_is_vlan(uint16_t tpid);

/*
 * The Internet checksum (RFC 1071), for the parser, the builders and anyone who patches
 * headers. dp_csum_partial adds @len bytes at @p (any alignment) to the running sum @sum as
 * big-endian 16-bit words; only the last piece of a checksummed range may have an odd
 * length. dp_csum_pseudo is the sum of the IPv4 pseudo-header (RFC 768). dp_csum_fold
 * folds a sum to 16 bits and complements it: the value to store in a checksum field, and
 * 0 when a range that includes its checksum field verifies.
 */
uint32_t dp_csum_partial(const uint8_t *p, size_t len, uint32_t sum);
uint32_t dp_csum_pseudo(uint32_t src_ip, uint32_t dst_ip, uint8_t proto, uint16_t len);
uint16_t dp_csum_fold(uint32_t sum);

#endif
