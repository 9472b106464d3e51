/*
 * The size of the packet pool. Every mbuf the dataplane may hold at once must come from
 * it, or a queue runs dry: the receive rings the NIC keeps filled, the transmit rings
 * until the NIC is done with a frame, each lcore's hand-off ring and fair queues, the
 * pool's per-lcore caches, and the bursts in hand.
 *
 * One driver holds more: net_pcap with infinite_rx=1 reads its whole rx_pcap file into
 * mbufs of the queue's pool when the queue is set up and replays them forever (a
 * benchmark's traffic source, tests/bench/bench_engine_limit.sh), so each such file's
 * packets are counted here too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "dhcpd/dhcp_engine.h"
#include "dp_internal.h"

#define DP_POOL_MIN 8191
/* A replayed file larger than this is refused by the sizing (memory is finite). */
#define DP_POOL_PCAP_MAX (1u << 22)

/*
 * The packets in the pcap file @path: a 24-byte file header, then per packet a 16-byte
 * record header whose third word is the captured length, in the file's byte order (the
 * magic number tells which). 0 when the file cannot be read.
 */
static unsigned pcap_packets(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t hdr[24], rec[16];
	unsigned n = 0;

	if (!f)
		return 0;
	if (fread(hdr, 1, sizeof(hdr), f) != sizeof(hdr)) {
		fclose(f);
		return 0;
	}
	uint32_t magic = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 |
	                 (uint32_t)hdr[3] << 24;
	/* Microsecond and nanosecond files, either byte order. */
	bool little = magic == 0xa1b2c3d4u || magic == 0xa1b23c4du;
	bool big = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;

	while ((little || big) && n < DP_POOL_PCAP_MAX &&
	       fread(rec, 1, sizeof(rec), f) == sizeof(rec)) {
		const uint8_t *c = rec + 8;
		uint32_t caplen = little ? (uint32_t)c[0] | (uint32_t)c[1] << 8 |
		                               (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24
		                         : (uint32_t)c[3] | (uint32_t)c[2] << 8 |
		                               (uint32_t)c[1] << 16 | (uint32_t)c[0] << 24;

		if (caplen > 0x40000 || fseek(f, (long)caplen, SEEK_CUR) != 0)
			break;
		n++;
	}
	fclose(f);
	return n;
}

/* Packets net_pcap keeps in mbufs for device string @dev (infinite_rx=1 and rx_pcap=). */
static unsigned replayed_packets(const char *dev)
{
	if (strncmp(dev, "net_pcap", 8) != 0 || !strstr(dev, "infinite_rx=1"))
		return 0;
	unsigned total = 0;
	const char *p = dev;

	while ((p = strstr(p, "rx_pcap=")) != NULL) {
		char path[4096];
		size_t len;

		p += strlen("rx_pcap=");
		len = strcspn(p, ",");
		if (len < sizeof(path)) {
			memcpy(path, p, len);
			path[len] = '\0';
			unsigned n = pcap_packets(path);

			log_info("%.*s: replays %u packets of %s forever (infinite_rx)",
			         (int)strcspn(dev, ","), dev, n, path);
			total += n;
		}
		p += len;
	}
	return total;
}

unsigned dp_pool_size(const char *const *devices, size_t n_ports, unsigned n_lcores)
{
	/* Each port: a queue pair per lcore at most, both rings full, plus a burst in hand. */
	uint64_t n = (uint64_t)n_ports * n_lcores * (DP_RX_DESC + DP_TX_DESC + 2 * DP_BURST);

	/* Each lcore: its hand-off ring, its fair queues, its cache, and the staged bursts. */
	n += (uint64_t)n_lcores * (DP_HANDOFF_RING + DHCP_ENGINE_QUEUE_TOTAL + DP_MBUF_CACHE +
	                           (uint64_t)(n_lcores + 1) * DP_BURST);
	for (size_t i = 0; i < n_ports; i++)
		n += replayed_packets(devices[i]);
	if (n < DP_POOL_MIN)
		n = DP_POOL_MIN;
	return n > UINT32_MAX / 2 ? UINT32_MAX / 2 : (unsigned)n;
}
