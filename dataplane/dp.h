/*
 * The DPDK dataplane: EAL, ports and the lcore loop that receives frames, answers ARP
 * and ping for the server's own addresses, classifies DHCP frames to tenants, runs the
 * DHCP engine and transmits its replies.
 *
 * Thread safety: dp_init, dp_port_add, dp_start and dp_destroy on the main thread;
 * dp_run blocks the calling thread (it becomes the dataplane lcore); dp_request_stop is
 * async-signal-safe.
 */
#ifndef MTDHCP_DATAPLANE_DP_H
#define MTDHCP_DATAPLANE_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcpd/dhcp_engine.h"

#define DP_MAX_PORTS 16

struct dp_port_params {
	const char *name;   /* for logs */
	const char *device; /* "net_af_packet0,iface=eth1" (a vdev) or a PCI address */
	uint32_t address;   /* our address on the port, host order */
	const uint8_t *mac; /* NULL = keep the device's MAC */
};

/* Counters of one port, kept by the lcore that polls it. */
struct dp_port_stats {
	uint64_t rx;
	uint64_t tx;
	uint64_t tx_dropped;     /* the port did not take them */
	uint64_t drop_kind[16];  /* by enum dp_frame_kind (DP_DROP_*) */
	uint64_t drop_multiseg;  /* frames in several segments */
	uint64_t drop_other_mac; /* unicast to another MAC (seen in promiscuous mode) */
	uint64_t drop_not_ours;  /* IPv4 unicast to an address that is not ours */
	uint64_t drop_no_tenant; /* DHCP that no tenant claims */
	uint64_t drop_no_mbuf;   /* no buffer for a reply */
	uint64_t arp_replies;
	uint64_t icmp_replies;
};

struct dp;

/*
 * Initialises the EAL with @eal_argv (argv[0] included) plus one --vdev / -a per port
 * device, creates the packet pool. NULL with errno and a message in @err.
 */
struct dp *dp_init(int eal_argc, char **eal_argv, const struct dp_port_params *ports,
		   size_t n_ports, char *err, size_t errlen);

/*
 * Configures and starts the ports (one rx and one tx queue each). @idle_sleep_max_usec
 * bounds how long an idle lcore sleeps between polls (0 = poll without sleeping).
 */
int dp_start(struct dp *dp, uint32_t idle_sleep_max_usec, char *err, size_t errlen);

/* The engine serving every tenant; the dataplane sends its replies. Before dp_run. */
struct dhcp_engine_params;
void dp_engine_params(struct dp *dp, struct dhcp_engine_params *params);
void dp_set_engine(struct dp *dp, struct dhcp_engine *engine);

/*
 * Runs the lcore loop on the calling thread until dp_request_stop. The thread must be
 * a registered RCU (QSBR) reader. Returns 0.
 */
int dp_run(struct dp *dp);

/* Async-signal-safe: the loop ends after its current burst. */
void dp_request_stop(void);

/* A copy of port @i's counters. */
void dp_port_stats(const struct dp *dp, size_t i, struct dp_port_stats *out);

/* Stops and closes the ports, frees everything and cleans up the EAL. */
void dp_destroy(struct dp *dp);

#endif
