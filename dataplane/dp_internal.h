/* Internals shared by the dataplane's DPDK files; not a public contract. */
#ifndef MTDHCP_DATAPLANE_DP_INTERNAL_H
#define MTDHCP_DATAPLANE_DP_INTERNAL_H

#include <sched.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_spinlock.h>

#include "dp.h"

#define DP_BURST 32
/* Receive bursts per port per loop, at most, and DHCP messages served per loop. */
#define DP_RX_ROUNDS    4
#define DP_SERVE_BUDGET 64
/* Descriptors of each receive and transmit queue; the packet pool's per-lcore cache. */
#define DP_RX_DESC    1024
#define DP_TX_DESC    1024
#define DP_MBUF_CACHE 256
/* No queue of this port for this lcore. */
#define DP_NO_QUEUE UINT16_MAX
/*
 * Frames waiting in an lcore's hand-off ring at most (a power of two; the ring holds one
 * less). As deep as the engine's fair queues (DHCP_ENGINE_QUEUE_TOTAL): a ring that is
 * full means the owner is that far behind, and dropping there is dropping what its fair
 * queues would drop a moment later.
 */
#define DP_HANDOFF_RING 2048
_Static_assert(DP_HANDOFF_RING >= DHCP_ENGINE_QUEUE_TOTAL,
               "the hand-off ring is as deep as the engine's fair queues");

/*
 * One lcore's view of a port: the port's settings (copied at start, read-only after),
 * the queues this lcore uses, its transmit buffer and its counters. Each lcore has its
 * own, so the fast path shares no cache line between lcores.
 */
struct dp_port {
	char name[32];
	uint16_t port_id;
	uint32_t address;
	struct rte_ether_addr mac;
	uint16_t rxq; /* the receive queue this lcore polls, or DP_NO_QUEUE */
	uint16_t txq;
	rte_spinlock_t *tx_lock; /* taken around tx bursts when txq is shared; else NULL */
	struct rte_mbuf *tx_buf[DP_BURST];
	uint16_t tx_len;
	struct dp_port_stats stats;
} __rte_cache_aligned;

/*
 * What the receiving lcore learnt of a DHCP frame it passes to the tenant's owner, kept
 * in the mbuf's private area so that the owner neither parses nor classifies it again.
 * The tenant goes by its database id, not by pointer: the owner serves it with the
 * instance it has for that id, whatever registry snapshot the receiver held.
 */
struct dp_handoff_meta {
	struct dhcp_path path;
	uint32_t tenant_id;
	uint16_t msg_off; /* the DHCP message: offset from the frame's start, and length */
	uint16_t msg_len;
};

/* Frames an lcore is about to pass to one other lcore, sent once per receive burst. */
struct dp_handoff_out {
	struct rte_mbuf *m[DP_BURST];
	uint16_t n;
};

struct dp;

struct dp_lcore {
	struct dp *dp;
	unsigned index;    /* 0 .. n_lcores - 1: engine owner index */
	unsigned lcore_id; /* the EAL's */
	struct dhcp_engine *engine;
	struct rte_ring *handoff; /* frames of this lcore's tenants from the other lcores */
	struct dp_port ports[DP_MAX_PORTS];
	struct dp_handoff_out *out; /* one per lcore (n_lcores), staged during a burst */
	struct dp_lcore_stats stats;
	uint16_t ip_id;
} __rte_cache_aligned;

struct dp {
	/* The ports as configured; each lcore works on its own copy (dp_lcore.ports). */
	struct dp_port ports[DP_MAX_PORTS];
	size_t n_ports;
	uint16_t n_queues[DP_MAX_PORTS]; /* rx/tx queue pairs set up on each port */
	bool af_packet[DP_MAX_PORTS];    /* net_af_packet: more queues with qpairs=N */
	/* One lock per transmit queue, used only by queues that lcores share. */
	rte_spinlock_t tx_locks[DP_MAX_PORTS][DP_MAX_LCORES];
	struct dp_lcore *lcores;
	unsigned n_lcores;
	struct rte_mempool *pool;
	uint32_t idle_sleep_max_usec;
	cpu_set_t cpus; /* the CPUs the process could use before the EAL pinned it */
	bool eal_ready;
	bool started;
};

/* dp_tx.c: the engine's release callback: frees the mbuf of a message it has served. */
void dp_release_mbuf(void *ctx, void *buf);

/* The engine's tx callback (ctx: the struct dp_lcore): wraps a reply and queues it. */
void dp_tx_dhcp(void *ctx, const struct dhcp_reply *reply, const uint8_t *msg, size_t len);

/* Queues @m on @port, flushing when the burst is full. */
void dp_tx_queue(struct dp_port *port, struct rte_mbuf *m);

/* Sends what is queued on @port; what the port refuses is freed and counted. Returns the
 * number sent. */
unsigned dp_tx_flush(struct dp_port *port);

/* The loop of one lcore (dp_lcore.c), until dp_request_stop. */
void dp_lcore_loop(struct dp_lcore *lc);

/* dp_pool.c: how many mbufs the packet pool needs for these ports and lcores. */
unsigned dp_pool_size(const char *const *devices, size_t n_ports, unsigned n_lcores);

/*
 * --- Hand-off (dp_handoff.c) -----------------------------------------------------------
 *
 * A frame classified on an lcore that does not own its tenant is staged for the owner
 * (dp_handoff_stage) and, once per receive burst, the staged frames go into the owners'
 * rings in one multi-producer enqueue each (dp_handoff_flush). A full ring is never waited
 * for: what does not fit is freed and counted (stats->handoff_full). The owner takes them
 * with dp_handoff_receive (single consumer) and queues each on its tenant's fair queue.
 */

/* Stages @m for lcore @owner (flushing that lcore's stage first when it is full). */
void dp_handoff_stage(struct dp_lcore *lc, unsigned owner, struct rte_mbuf *m);

/* Sends every staged frame to its owner's ring. Returns the number staged before. */
unsigned dp_handoff_flush(struct dp_lcore *lc);

/*
 * Takes up to @max frames from @lc's ring and queues each on its tenant's fair queue
 * (dhcp_engine_enqueue_id); what the engine refuses is freed (the engine counted it).
 * Returns the number taken.
 */
unsigned dp_handoff_receive(struct dp_lcore *lc, unsigned max);

/* The metadata area of @m (the pool's private area). */
static inline struct dp_handoff_meta *dp_handoff_meta(struct rte_mbuf *m)
{
	return (struct dp_handoff_meta *)rte_mbuf_to_priv(m);
}

#endif
