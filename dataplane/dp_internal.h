/* Internals shared by dp_port.c and dp_lcore.c; not a public contract. */
#ifndef MTDHCP_DATAPLANE_DP_INTERNAL_H
#define MTDHCP_DATAPLANE_DP_INTERNAL_H

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dp.h"

#define DP_BURST 32
/* Receive bursts per port per loop, at most, and DHCP messages served per loop. */
#define DP_RX_ROUNDS 4
#define DP_SERVE_BUDGET 64

struct dp_port {
	char name[32];
	uint16_t port_id;
	uint32_t address;
	struct rte_ether_addr mac;
	struct rte_mbuf *tx_buf[DP_BURST];
	uint16_t tx_len;
	struct dp_port_stats stats;
} __rte_cache_aligned;

struct dp {
	struct dp_port ports[DP_MAX_PORTS];
	size_t n_ports;
	struct rte_mempool *pool;
	struct dhcp_engine *engine;
	uint32_t idle_sleep_max_usec;
	uint16_t ip_id;
	bool eal_ready;
	bool started;
	/* The port a reply from the engine goes out on is in its path. */
};

/* The engine's release callback: frees the mbuf of a message it has served. */
void dp_release_mbuf(void *ctx, void *buf);

/* The engine's tx callback: wraps a DHCP reply in headers and queues it. */
void dp_tx_dhcp(void *ctx, const struct dhcp_reply *reply, const uint8_t *msg, size_t len);

/* Queues @m on @port, flushing when the burst is full. */
void dp_tx_queue(struct dp_port *port, struct rte_mbuf *m);

/* Sends what is queued on @port; what the port refuses is freed and counted. */
void dp_tx_flush(struct dp_port *port);

#endif
