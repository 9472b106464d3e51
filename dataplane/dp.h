/*
 * The DPDK dataplane: EAL, ports and the lcores that receive frames, answer ARP and ping
 * for the server's own addresses, classify DHCP frames to tenants, run the DHCP engines
 * and transmit their replies.
 *
 * Lcores (docs/performance.md, "Scaling"): every lcore of the EAL's -l list runs the loop,
 * the main lcore included (it is the thread that calls dp_run), so "-l 0" is one lcore and
 * "-l 0,1" two. Lcore index i (0 = the main lcore, then the workers in EAL order) polls
 * queue i of every port and runs engine i, which serves the tenants it owns
 * (dp_tenant_owner) and is the lease store's completion owner i. A frame received on one
 * lcore for a tenant another owns goes to the owner through the owner's hand-off ring.
 *
 * Thread safety: dp_init, dp_start, dp_set_engine, the affinity calls and dp_destroy on
 * the main thread; dp_run blocks the calling thread (it becomes lcore 0); dp_request_stop
 * is async-signal-safe; the stats calls may run on any thread (each value is exact, the
 * set is not a snapshot).
 */
#ifndef MTDHCP_DATAPLANE_DP_H
#define MTDHCP_DATAPLANE_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcpd/dhcp_engine.h"

#define DP_MAX_PORTS  16
#define DP_MAX_LCORES 64

/*
 * The lcore index that owns tenant @db_id among @n_lcores: its engine alone serves the
 * tenant. The database id is stable across reloads and restarts (the lease store keeps
 * it by name), so the owner is too while the lcore count stays; ids are handed out in
 * sequence, so tenants spread evenly. Any lcore computes it without a shared table.
 */
static inline unsigned dp_tenant_owner(uint32_t db_id, unsigned n_lcores)
{
	return n_lcores > 1 ? db_id % n_lcores : 0;
}

struct dp_port_params {
	const char *name;   /* for logs */
	const char *device; /* "net_af_packet0,iface=eth1" (a vdev) or a PCI address */
	uint32_t address;   /* our address on the port, host order */
	const uint8_t *mac; /* NULL = keep the device's MAC */
};

/* Counters of one port, kept by each lcore for its queues and summed by dp_port_stats. */
struct dp_port_stats {
	uint64_t rx;
	uint64_t tx;
	uint64_t tx_dropped;     /* the port did not take them */
	uint64_t drop_kind[16];  /* by enum dp_frame_kind (DP_DROP_*) */
	uint64_t drop_multiseg;  /* frames in several segments */
	uint64_t drop_other_mac; /* unicast to another MAC (seen in promiscuous mode) */
	uint64_t drop_not_ours;  /* IPv4 unicast to an address that is not ours */
	uint64_t drop_no_tenant; /* DHCP that no tenant claims (no rule, no default tenant) */
	uint64_t drop_no_mbuf;   /* no buffer for a reply */
	uint64_t arp_replies;
	uint64_t icmp_replies;
	/*
	 * Classification (docs/classification.md, docs/robustness.md): the other reasons a
	 * DHCP frame gets no tenant (enum dp_class_miss), relay information that was ignored
	 * because it came off a relay link, and the frames each kind of key gave a tenant.
	 */
	uint64_t drop_unknown_vpn;     /* VSS names a VPN no tenant serves (RFC 6607) */
	uint64_t drop_untrusted_relay; /* giaddr, option 82 or 221 off a relay link, dropped */
	uint64_t drop_bad_relay_info;  /* a relayed request whose option 82 or 221 cannot be read */
	uint64_t relay_info_ignored;   /* giaddr, option 82 or 221 off a relay link, ignored */
	uint64_t classified[16];       /* by enum dp_class_key: the key that chose the tenant */
};

/*
 * The stages of an lcore's loop, timed with the TSC once per burst (not per frame): the
 * cost is a few dozen cycles per burst of up to 32 frames, well under 1 % of the work,
 * so it is always on. A stage is charged only when it handled something; the cycles of
 * empty polls stay in busy_cycles (the loop's overhead).
 */
enum dp_stage {
	DP_STAGE_RX,         /* rte_eth_rx_burst on the lcore's queues; items: frames */
	DP_STAGE_PARSE,      /* Ethernet/VLAN/IPv4/UDP parse; items: frames */
	DP_STAGE_CLASSIFY,   /* DHCP frame -> tenant, fair queue or hand-off; items: DHCP frames */
	DP_STAGE_HANDOFF,    /* rings to and from the other lcores; items: frames out and in */
	DP_STAGE_ENGINE,     /* the engine serving its fair queues; items: messages */
	DP_STAGE_COMPLETION, /* lease-store completions and the ACKs they release; items: them */
	DP_STAGE_TX,         /* rte_eth_tx_burst of what the loop queued; items: frames sent */
	DP_STAGE__COUNT
};

/* A stable name for @s ("rx", "parse", ...). */
const char *dp_stage_name(enum dp_stage s);

/* Counters of one lcore. */
struct dp_lcore_stats {
	unsigned lcore_id;                /* the EAL's lcore id */
	uint64_t tsc_hz;                  /* the TSC's frequency, to turn cycles into time */
	uint64_t cycles[DP_STAGE__COUNT]; /* TSC cycles spent in each stage */
	uint64_t items[DP_STAGE__COUNT];  /* what each stage handled (see enum dp_stage) */
	uint64_t busy_cycles;             /* whole loops that found work, overhead included */
	uint64_t busy_loops;
	uint64_t handoff_out;  /* DHCP frames passed to the lcore owning their tenant */
	uint64_t handoff_in;   /* DHCP frames taken from other lcores */
	uint64_t handoff_full; /* frames freed because the owner's ring was full */
	uint64_t yields;       /* loops that gave the CPU away: the lease writer was behind */
};

struct dp;

/*
 * Initialises the EAL with @eal_argv (argv[0] included) plus one --vdev / -a per port
 * device, creates the packet pool. NULL with errno and a message in @err.
 */
struct dp *dp_init(int eal_argc, char **eal_argv, const struct dp_port_params *ports,
                   size_t n_ports, char *err, size_t errlen);

/*
 * Configures and starts the ports: one rx and one tx queue per lcore when the port offers
 * them (net_af_packet: qpairs=N in its device string). A port with fewer is used as it
 * is, with a warning: its queues are received on by the first lcores only (the others
 * get their frames through the hand-off rings) and lcores share its transmit queues under
 * a lock. @idle_sleep_max_usec bounds how long an idle lcore sleeps between polls (0 =
 * poll without sleeping).
 */
int dp_start(struct dp *dp, uint32_t idle_sleep_max_usec, char *err, size_t errlen);

/* The number of lcores (the EAL's -l list). After dp_init. */
unsigned dp_n_lcores(const struct dp *dp);

/*
 * The engine of lcore @lcore: its owner index, and the dataplane's callbacks that send
 * its replies on that lcore's queues. Before dp_run.
 */
struct dhcp_engine_params;
void dp_engine_params(struct dp *dp, unsigned lcore, struct dhcp_engine_params *params);
void dp_set_engine(struct dp *dp, unsigned lcore, struct dhcp_engine *engine);

/* The engine of lcore @lcore (NULL when out of range or not set). */
struct dhcp_engine *dp_engine(const struct dp *dp, unsigned lcore);

/* The engine that serves tenant @db_id: its owner lcore's. */
struct dhcp_engine *dp_tenant_engine(const struct dp *dp, uint32_t db_id);

/*
 * CPU placement of the other threads (lease writer, control thread): threads inherit
 * their creator's affinity, and the EAL pins the main thread to lcore 0's CPU, where a
 * busy lcore would starve them. dp_affinity_service sets the calling thread's affinity to
 * the CPUs the process may use that no lcore runs on (all of them when the lcores take
 * every one); create the threads, then dp_affinity_lcore puts the caller back on lcore
 * 0's CPUs. 0 or -errno.
 */
int dp_affinity_service(struct dp *dp);
int dp_affinity_lcore(struct dp *dp);

/*
 * Runs the lcores until dp_request_stop: launches the worker lcores (each registers
 * itself as an RCU QSBR reader), runs lcore 0 on the calling thread, which must be a
 * registered RCU (QSBR) reader, then waits for the workers. Returns 0.
 */
int dp_run(struct dp *dp);

/* Async-signal-safe: the loops end after their current burst. */
void dp_request_stop(void);

/* Port @i's counters, summed over the lcores. */
void dp_port_stats(const struct dp *dp, size_t i, struct dp_port_stats *out);

/* A copy of lcore @i's counters (zeroes when out of range). */
void dp_lcore_stats(const struct dp *dp, unsigned i, struct dp_lcore_stats *out);

/* Stops and closes the ports, frees everything and cleans up the EAL. */
void dp_destroy(struct dp *dp);

#endif
