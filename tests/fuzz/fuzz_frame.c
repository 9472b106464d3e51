/*
 * fuzz_frame: arbitrary bytes through the whole receive path of the daemon, without DPDK:
 * frame parse (with or without a VLAN tag the NIC stripped into metadata), ARP and ICMP
 * echo answers, classification to a tenant, DHCP decode, RFC 2131 handling with a real
 * lease store, and reply building, including the Ethernet/VLAN/IPv4/UDP encapsulation,
 * which is parsed back. See fuzz_world.h for the tenants.
 *
 * An input is a sequence of up to FUZZ_FRAMES records, so that one input can carry a whole
 * exchange (DISCOVER, REQUEST, RELEASE...):
 *   octet 0      bit 0: the NIC stripped a tag; bits 1-2: the port; bit 3: make the
 *                IPv4 and UDP/ICMP lengths and checksums right before parsing; bits 4-7:
 *                seconds the clock moves before the frame
 *   octets 1-2   the stripped tag's TCI (big-endian)
 *   octets 3-4   the frame's length (big-endian; the rest of the input if shorter)
 *   then the frame.
 * tests/fuzz/make_corpus.py writes the captures in this form.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "dataplane/dp_classify.h"
#include "dataplane/dp_frame.h"
#include "dataplane/dp_frame_dhcp.h"
#include "dhcpd/dhcp_msg.h"
#include "fuzz.h"
#include "fuzz_world.h"

#define FUZZ_FRAMES  16
#define FUZZ_REC_HDR 5
/* The world is rebuilt once its clock has run a year, long before 32-bit times matter. */
#define FUZZ_WORLD_SPAN (365 * 86400)

static const uint8_t fuzz_our_mac[6] = {0x02, 0, 0, 0, 0, 0x01};

static struct fuzz_world world;

/* What the inputs reached, printed at exit when MTDHCP_FUZZ_STATS is set. */
static struct {
	uint64_t kinds[DP_FRAME__COUNT];
	uint64_t keys[DP_CLASS__COUNT];
	uint64_t misses[DP_CLASS_MISS__COUNT];
	uint64_t to_engine, replies;
	struct tenant_counters tenants; /* summed over the tenants of every world */
} stats;

/* The request being handled: every reply must answer it. */
static struct {
	bool active;
	uint16_t port;
	uint16_t src_port;  /* the request's UDP source port */
	const uint8_t *msg; /* the DHCP message */
	size_t len;
} cur;

static uint32_t fuzz_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t fuzz_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void fuzz_wr16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * Sets the IPv4 total length and the UDP length to what the frame holds, and the IPv4,
 * UDP and ICMP checksums to their right values. A mutation almost always breaks a
 * checksum, so without this few mutated frames would get past the parser's checks; inputs
 * without the flag keep testing those checks.
 */
static void fuzz_fix_frame(uint8_t *p, size_t len)
{
	size_t off = 12;

	while (off + 2 <= len && dp_tpid_is_vlan(fuzz_rd16(p + off)))
		off += DP_VLAN_HLEN;
	if (off + 2 > len || fuzz_rd16(p + off) != DP_ETHERTYPE_IPV4)
		return;
	off += 2;
	if (len - off < DP_IPV4_HLEN)
		return;
	uint8_t *ip = p + off;
	size_t total = len - off > 0xffff ? 0xffff : len - off;
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4;

	if (ihl < DP_IPV4_HLEN || ihl > total)
		return;
	fuzz_wr16(ip + 2, total);
	fuzz_wr16(ip + 10, 0);
	fuzz_wr16(ip + 10, dp_csum_fold(dp_csum_partial(ip, ihl, 0)));

	uint8_t *l4 = ip + ihl;
	size_t l4len = total - ihl;

	if (ip[9] == 17 && l4len >= DP_UDP_HLEN) {
		uint32_t sum =
		    dp_csum_pseudo(fuzz_rd32(ip + 12), fuzz_rd32(ip + 16), 17, (uint16_t)l4len);
		fuzz_wr16(l4 + 4, l4len);
		fuzz_wr16(l4 + 6, 0);
		uint16_t c = dp_csum_fold(dp_csum_partial(l4, l4len, sum));
		fuzz_wr16(l4 + 6, c ? c : 0xffff);
	} else if (ip[9] == 1 && l4len >= 8) {
		fuzz_wr16(l4 + 2, 0);
		fuzz_wr16(l4 + 2, dp_csum_fold(dp_csum_partial(l4, l4len, 0)));
	}
}

/* The message type of a reply, after checking that its options are well formed. */
static uint8_t fuzz_reply_type(const uint8_t *msg, size_t len)
{
	size_t i = DHCP_OPTIONS_OFF;
	uint8_t type = 0;

	while (i < len && msg[i] != DHCP_OPT_END) {
		if (msg[i] == DHCP_OPT_PAD) {
			i++;
			continue;
		}
		fuzz_check(i + 2 <= len && i + 2 + msg[i + 1] <= len);
		if (msg[i] == DHCP_OPT_MSG_TYPE && msg[i + 1] == 1)
			type = msg[i + 2];
		i += 2u + msg[i + 1];
	}
	fuzz_check(i < len); /* END is there */
	return type;
}

/* The engine's transmit callback: check the reply, then frame it as the dataplane does. */
static void fuzz_tx(void *ctx, const struct dhcp_reply *r, const uint8_t *msg, size_t len)
{
	(void)ctx;
	stats.replies++;
	fuzz_check(cur.active && cur.len >= DHCP_MIN_LEN);
	fuzz_check(len >= DHCP_MIN_LEN && len <= DHCP_MSG_MAX);
	/* RFC 2131 4.3.1 table 3: a BOOTREPLY with the request's xid and chaddr. */
	fuzz_check(msg[0] == DHCP_BOOTREPLY);
	fuzz_check(memcmp(msg + 4, cur.msg + 4, 4) == 0);
	fuzz_check(memcmp(msg + 28, cur.msg + 28, DHCP_CHADDR_LEN) == 0);
	fuzz_check(fuzz_rd32(msg + DHCP_FIXED_LEN) == DHCP_COOKIE);
	uint8_t type = fuzz_reply_type(msg, len);
	fuzz_check(type == DHCPOFFER || type == DHCPACK || type == DHCPNAK);
	/* Replies leave by the port and tags the request came by. */
	fuzz_check(r->path.port == cur.port);
	/*
	 * To a server or client port; or, for a relayed request whose relay agent named its
	 * own source port (RFC 8357, option 82 sub-option 19), back to that port.
	 */
	fuzz_check(r->dst_port == DP_PORT_BOOTPS || r->dst_port == DP_PORT_BOOTPC ||
	           (fuzz_rd32(cur.msg + 24) != 0 && r->dst_port == cur.src_port));

	struct dp_l2 l2;

	dp_reply_l2(r, fuzz_our_mac, &l2);
	size_t hdr = dp_l2_len(&l2) + DP_IPV4_HLEN + DP_UDP_HLEN;
	fuzz_check(hdr <= DP_REPLY_HEADROOM);
	uint8_t *frame = malloc(hdr + len);
	fuzz_check(frame != NULL);
	memcpy(frame + hdr, msg, len);
	dp_build_udp(frame + hdr, len, &l2, r->src_ip, r->src_port, r->dst_ip, r->dst_port, 1);

	/* What we send must pass our own parser: lengths, IPv4 and UDP checksums, tags. */
	struct dp_frame f;
	enum dp_frame_kind kind = dp_frame_parse(frame, hdr + len, false, 0, &f);
	if (r->dst_port == DP_PORT_BOOTPS) {
		fuzz_check(kind == DP_FRAME_DHCP);
		fuzz_check(f.payload_len == len && memcmp(f.payload, msg, len) == 0);
		fuzz_check(f.outer_tpid == l2.outer_tpid && f.outer_tci == l2.outer_tci);
		fuzz_check(f.inner_tpid == l2.inner_tpid && f.inner_tci == l2.inner_tci);
		fuzz_check(f.src_ip == r->src_ip && f.dst_ip == r->dst_ip);
	} else {
		fuzz_check(kind == DP_DROP_NOT_DHCP);
	}
	free(frame);
}

/* The DHCP path of the lcore loop (dataplane/dp_lcore.c, handle_dhcp) without DPDK. */
static void fuzz_dhcp(const struct dp_frame *f, uint16_t port)
{
	struct dp_class_result cls;
	const struct tenant *t = dp_classify_request(world.reg, port, f, &cls);

	fuzz_check((unsigned)cls.key < DP_CLASS__COUNT &&
	           (unsigned)cls.miss < DP_CLASS_MISS__COUNT);
	/* A tenant comes with the key that chose it; no tenant with the reason why. */
	fuzz_check(!t == (cls.key == DP_CLASS_NONE));
	fuzz_check(!t == (cls.miss != DP_CLASS_MISS_NONE));
	stats.keys[cls.key]++;
	stats.misses[cls.miss]++;
	if (!t)
		return;
	struct dhcp_path path;

	if (!dp_dhcp_path(f, port, fuzz_world_port_address(&world, port), t, cls.relayed, &path))
		return;
	stats.to_engine++;
	cur.active = true;
	cur.port = port;
	cur.src_port = f->src_port;
	cur.msg = f->payload;
	cur.len = f->payload_len;
	dhcp_engine_input(world.engine, t, &path, f->payload, f->payload_len, world.now);
	/* A REQUEST's ACK waits for its commit: let it come now, while cur describes it. */
	fuzz_world_settle(&world);
	cur.active = false;
}

static void fuzz_arp(uint8_t *frame, size_t len, bool stripped, uint16_t tci,
                     const struct dp_frame *f)
{
	struct dp_arp arp;

	if (!dp_arp_parse(f->payload, f->payload_len, &arp) || arp.op != 1)
		return;
	size_t n = dp_arp_reply_inplace(frame, len, f, &arp, fuzz_our_mac);
	fuzz_check(n > 0 && n <= len);
	struct dp_frame r;
	fuzz_check(dp_frame_parse(frame, n, stripped, tci, &r) == DP_FRAME_ARP);
	fuzz_check(dp_arp_parse(r.payload, r.payload_len, &arp) && arp.op == 2);
	fuzz_check(memcmp(arp.sha, fuzz_our_mac, 6) == 0);
}

static void fuzz_icmp(uint8_t *frame, size_t len, bool stripped, uint16_t tci,
                      const struct dp_frame *f)
{
	size_t n = dp_icmp_echo_reply_inplace(frame, len, f);

	if (n == 0)
		return;
	fuzz_check(n <= len);
	/* An echo reply is no request: a valid IPv4 datagram that the parser turns away. */
	struct dp_frame r;
	fuzz_check(dp_frame_parse(frame, n, stripped, tci, &r) == DP_DROP_NOT_UDP);
}

static void fuzz_one_frame(const uint8_t *data, size_t len, uint8_t flags, uint16_t tci)
{
	/* A copy of exactly @len bytes, so that AddressSanitizer sees any read past it. */
	uint8_t *frame = malloc(len ? len : 1);
	bool stripped = flags & 1;
	uint16_t port = (uint16_t)((flags >> 1 & 3) % fuzz_world_n_ports(&world));
	struct dp_frame f;

	fuzz_check(frame != NULL);
	memcpy(frame, data, len);
	if (flags & 8)
		fuzz_fix_frame(frame, len);
	enum dp_frame_kind kind = dp_frame_parse(frame, len, stripped, tci, &f);

	fuzz_check((unsigned)kind < DP_FRAME__COUNT);
	stats.kinds[kind]++;
	fuzz_check(strcmp(dp_frame_kind_name(kind), "unknown") != 0);
	switch (kind) {
	case DP_FRAME_DHCP:
		fuzz_check(f.payload >= frame && f.payload + f.payload_len <= frame + len);
		fuzz_dhcp(&f, port);
		break;
	case DP_FRAME_ARP:
		fuzz_arp(frame, len, stripped, tci, &f);
		break;
	case DP_FRAME_ICMP_ECHO:
		fuzz_icmp(frame, len, stripped, tci, &f);
		break;
	default:
		break;
	}
	free(frame);
}

/* Adds the engine's counters of every tenant to stats.tenants, before a world goes. */
static void fuzz_stats_collect(void)
{
	for (size_t i = 0; i < world.reg->n_tenants; i++) {
		const struct tenant_counters *c =
		    dhcp_engine_counters(world.engine, world.reg->tenants[i]);

		for (unsigned k = 0; c && k < TC__COUNT; k++)
			stats.tenants.v[k] += c->v[k];
	}
}

static void fuzz_stats_print(void)
{
	fprintf(stderr, "fuzz_frame: frames:");
	for (unsigned k = 0; k < DP_FRAME__COUNT; k++)
		fprintf(stderr, " %s %llu", dp_frame_kind_name((enum dp_frame_kind)k),
		        (unsigned long long)stats.kinds[k]);
	fprintf(stderr, "\nfuzz_frame: classified by:");
	for (unsigned k = 1; k < DP_CLASS__COUNT; k++)
		fprintf(stderr, " %s %llu", dp_class_key_name((enum dp_class_key)k),
		        (unsigned long long)stats.keys[k]);
	fprintf(stderr, "\nfuzz_frame: not classified:");
	for (unsigned k = 1; k < DP_CLASS_MISS__COUNT; k++)
		fprintf(stderr, " %s %llu", dp_class_miss_name((enum dp_class_miss)k),
		        (unsigned long long)stats.misses[k]);
	fprintf(stderr, "\nfuzz_frame: to the engine %llu, replies %llu\n",
	        (unsigned long long)stats.to_engine, (unsigned long long)stats.replies);
	fprintf(stderr, "fuzz_frame: engine:");
	for (unsigned k = 0; k < TC__COUNT; k++)
		fprintf(stderr, " %s %llu", tenant_counter_name((enum tenant_counter)k),
		        (unsigned long long)stats.tenants.v[k]);
	fprintf(stderr, "\n");
}

static void fuzz_frame_cleanup(void)
{
	fuzz_stats_collect();
	if (getenv("MTDHCP_FUZZ_STATS"))
		fuzz_stats_print();
	fuzz_world_close(&world);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_world_open(&world, fuzz_tx, NULL);
	atexit(fuzz_frame_cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!world.engine)
		LLVMFuzzerInitialize(NULL, NULL);
	world.now++;
	for (unsigned i = 0; i < FUZZ_FRAMES && size >= FUZZ_REC_HDR; i++) {
		uint8_t flags = data[0];
		uint16_t tci = (uint16_t)(data[1] << 8 | data[2]);
		size_t len = (size_t)data[3] << 8 | data[4];

		data += FUZZ_REC_HDR;
		size -= FUZZ_REC_HDR;
		if (len > size)
			len = size;
		world.now += flags >> 4;
		fuzz_one_frame(data, len, flags, tci);
		data += len;
		size -= len;
	}
	/* Expiry records the engine submitted on its own get their completions too. */
	fuzz_world_settle(&world);
	if (world.now - world.epoch > FUZZ_WORLD_SPAN) {
		fuzz_stats_collect();
		fuzz_world_close(&world);
		fuzz_world_open(&world, fuzz_tx, NULL);
	}
	return 0;
}
