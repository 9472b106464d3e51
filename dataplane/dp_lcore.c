/*
 * The lcore loop: bursts in; per burst, parse every frame, then answer ARP and ping at
 * once and classify each DHCP frame to its tenant, queueing it on the tenant's fair queue
 * when this lcore owns the tenant or staging it for the owner's hand-off ring when not;
 * the frames other lcores handed over; the engine's service; lease-store completions
 * (ACKs); bursts out; a quiescent state per loop; an adaptive sleep when there is nothing
 * to do. Every stage is timed with the TSC once per burst (struct dp_lcore_stats).
 */
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <urcu/urcu-qsbr.h>

#include "common/log.h"
#include "dp_classify.h"
#include "dp_frame.h"
#include "dp_frame_dhcp.h"
#include "dp_internal.h"
#include "tenants/registry.h"

static volatile sig_atomic_t dp_stop_requested;

void dp_request_stop(void)
{
	dp_stop_requested = 1;
}

const char *dp_stage_name(enum dp_stage s)
{
	static const char *const names[DP_STAGE__COUNT] = {
	    [DP_STAGE_RX] = "rx",
	    [DP_STAGE_PARSE] = "parse",
	    [DP_STAGE_CLASSIFY] = "classify",
	    [DP_STAGE_HANDOFF] = "handoff",
	    [DP_STAGE_ENGINE] = "engine",
	    [DP_STAGE_COMPLETION] = "completion",
	    [DP_STAGE_TX] = "tx",
	};

	return (unsigned)s < DP_STAGE__COUNT ? names[s] : "?";
}

static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static bool for_our_mac(const struct dp_port *port, const struct dp_frame *f)
{
	return memcmp(f->dst_mac, bcast_mac, 6) == 0 ||
	       memcmp(f->dst_mac, port->mac.addr_bytes, 6) == 0;
}

/*
 * Our address on the link a frame arrived by: a tenant's own server address on its VLAN,
 * or the port's address on the untagged link and on the port's tagged relay links. 0 when
 * we have none there.
 */
static uint32_t link_address(const struct tenant_registry *reg, const struct dp_port *port,
                             uint16_t port_index, const struct dp_frame *f)
{
	if (reg)
		return dp_classify_link_address(reg, port_index, f, port->address);
	return f->outer_tpid ? 0 : port->address;
}

/* Sends back a frame that was rewritten in place, with its stripped tag put back. */
static void tx_inplace(struct dp_port *port, struct rte_mbuf *m, size_t len, bool stripped)
{
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - len));
	if (stripped && rte_vlan_insert(&m) != 0) {
		rte_pktmbuf_free(m);
		port->stats.tx_dropped++;
		return;
	}
	dp_tx_queue(port, m);
}

/* Counts what the classifier decided: the key that chose the tenant, or why none was. */
static void count_class(struct dp_port_stats *st, const struct tenant *t,
                        const struct dp_class_result *cls)
{
	if (cls->relay_info_ignored)
		st->relay_info_ignored++;
	if (t) {
		if ((unsigned)cls->key < sizeof(st->classified) / sizeof(st->classified[0]))
			st->classified[cls->key]++;
		return;
	}
	switch (cls->miss) {
	case DP_CLASS_MISS_UNKNOWN_VPN:
		st->drop_unknown_vpn++;
		break;
	case DP_CLASS_MISS_UNTRUSTED_RELAY:
		st->drop_untrusted_relay++;
		break;
	case DP_CLASS_MISS_BAD_RELAY_INFO:
		st->drop_bad_relay_info++;
		break;
	default:
		st->drop_no_tenant++;
		break;
	}
}

/*
 * Queues a DHCP frame on its tenant's fair queue (dhcp_engine_enqueue) when this lcore
 * owns the tenant, or stages it for the owner's hand-off ring; the engines serve their
 * queues round-robin after the receive bursts. True when the frame was taken (the engine
 * gives it back through dp_release_mbuf, or the owner's engine does); false when the
 * caller frees it.
 */
static bool handle_dhcp(struct dp_lcore *lc, const struct tenant_registry *reg,
                        struct dp_port *port, uint16_t port_index, const struct dp_frame *f,
                        struct rte_mbuf *m)
{
	struct dp_class_result cls = {.miss = DP_CLASS_MISS_NO_MATCH};
	const struct tenant *t = reg ? dp_classify_request(reg, port_index, f, &cls) : NULL;
	count_class(&port->stats, t, &cls);
	if (!t)
		return false;
	struct dhcp_path path;
	if (!dp_dhcp_path(f, port_index, port->address, t, cls.relayed, &path)) {
		port->stats.drop_not_ours++;
		return false;
	}
	unsigned owner = dp_tenant_owner(t->db_id, lc->dp->n_lcores);
	if (owner != lc->index) {
		/* The owner queues it (budget and queue checks are its tenant's business). */
		struct dp_handoff_meta *meta = dp_handoff_meta(m);
		meta->path = path;
		meta->tenant_id = t->db_id;
		meta->msg_off = (uint16_t)(f->payload - rte_pktmbuf_mtod(m, const uint8_t *));
		meta->msg_len = (uint16_t)f->payload_len;
		dp_handoff_stage(lc, owner, m);
		return true;
	}
	/* Over budget or a full queue: counted for the tenant by the engine, freed here. */
	return dhcp_engine_enqueue(lc->engine, t, &path, f->payload, f->payload_len, m);
}

/*
 * What to do with one parsed frame: answer ARP or ping in place, take a DHCP frame for its
 * tenant, or free it. Returns true when it was a DHCP frame (for the classify count).
 */
static bool handle_frame(struct dp_lcore *lc, const struct tenant_registry *reg,
                         uint16_t port_index, struct rte_mbuf *m, enum dp_frame_kind kind,
                         const struct dp_frame *fp)
{
	struct dp_port *port = &lc->ports[port_index];
	const struct dp_frame f = *fp;
	uint8_t *data = rte_pktmbuf_mtod(m, uint8_t *);
	size_t len = rte_pktmbuf_data_len(m);
	bool stripped = (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) != 0;

	switch (kind) {
	case DP_FRAME_DHCP:
		if (!for_our_mac(port, &f)) {
			port->stats.drop_other_mac++;
			break;
		}
		if (handle_dhcp(lc, reg, port, port_index, &f, m))
			return true;
		rte_pktmbuf_free(m);
		return true;
	case DP_FRAME_ARP: {
		struct dp_arp arp;
		if (!dp_arp_parse(f.payload, f.payload_len, &arp) || arp.op != 1)
			break;
		uint32_t ours = link_address(reg, port, port_index, &f);
		if (ours == 0 || arp.tpa != ours)
			break;
		size_t n = dp_arp_reply_inplace(data, len, &f, &arp, port->mac.addr_bytes);
		if (n == 0) /* the parse does not describe this frame: nothing to send */
			break;
		port->stats.arp_replies++;
		tx_inplace(port, m, n, stripped);
		return false;
	}
	case DP_FRAME_ICMP_ECHO: {
		if (!for_our_mac(port, &f))
			break;
		uint32_t ours = link_address(reg, port, port_index, &f);
		if (ours == 0 || f.dst_ip != ours)
			break;
		size_t n = dp_icmp_echo_reply_inplace(data, len, &f);
		if (n == 0)
			break;
		port->stats.icmp_replies++;
		tx_inplace(port, m, n, stripped);
		return false;
	}
	default:
		if ((unsigned)kind <
		    sizeof(port->stats.drop_kind) / sizeof(port->stats.drop_kind[0]))
			port->stats.drop_kind[kind]++;
		break;
	}
	rte_pktmbuf_free(m);
	return false;
}

/* Frames in several segments are not parsed: the kind that says so. */
#define DP_FRAME_MULTISEG DP_FRAME__COUNT

/*
 * One receive burst of port @port_index: parse every frame, then handle each. Two passes
 * rather than one per frame, so that each stage is timed once per burst.
 */
static void handle_burst(struct dp_lcore *lc, const struct tenant_registry *reg,
                         uint16_t port_index, struct rte_mbuf **burst, uint16_t n)
{
	struct dp_port *port = &lc->ports[port_index];
	struct dp_frame f[DP_BURST];
	enum dp_frame_kind kind[DP_BURST];
	unsigned dhcp = 0;
	uint64_t t0 = rte_rdtsc();

	port->stats.rx += n;
	for (uint16_t k = 0; k < n; k++) {
		struct rte_mbuf *m = burst[k];

		if (m->nb_segs != 1) {
			kind[k] = DP_FRAME_MULTISEG;
			continue;
		}
		bool stripped = (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) != 0;
		kind[k] = dp_frame_parse(rte_pktmbuf_mtod(m, const uint8_t *),
		                         rte_pktmbuf_data_len(m), stripped, m->vlan_tci, &f[k]);
	}
	uint64_t t1 = rte_rdtsc();

	for (uint16_t k = 0; k < n; k++) {
		if (kind[k] == DP_FRAME_MULTISEG) {
			port->stats.drop_multiseg++;
			rte_pktmbuf_free(burst[k]);
			continue;
		}
		dhcp += handle_frame(lc, reg, port_index, burst[k], kind[k], &f[k]);
	}
	uint64_t t2 = rte_rdtsc();

	lc->stats.cycles[DP_STAGE_PARSE] += t1 - t0;
	lc->stats.items[DP_STAGE_PARSE] += n;
	lc->stats.cycles[DP_STAGE_CLASSIFY] += t2 - t1;
	lc->stats.items[DP_STAGE_CLASSIFY] += dhcp;
}

/* The TSC in nanoseconds: the token buckets' clock, read once per loop. */
static uint64_t tsc_ns(uint64_t tsc, uint64_t hz)
{
	return tsc / hz * 1000000000u + tsc % hz * 1000000000u / hz;
}

/*
 * Adds the cycles since *@t to @stage when it handled @items > 0, and moves *@t to now. A
 * stage that found nothing (an empty poll) is not charged: its cycles are the loop's
 * overhead (busy_cycles minus the stages), so that an idle daemon's polling does not
 * inflate the cost per frame.
 */
static void stage_done(struct dp_lcore *lc, enum dp_stage stage, uint64_t *t, unsigned items)
{
	uint64_t now = rte_rdtsc();

	if (items) {
		lc->stats.cycles[stage] += now - *t;
		lc->stats.items[stage] += items;
	}
	*t = now;
}

/*
 * One loop: drain the receive queues (up to DP_RX_ROUNDS bursts per port), answering ARP
 * and ping at once and putting DHCP on its tenant's fair queue (here or at the owner);
 * send the hand-offs and take the frames handed to this lcore; serve at most
 * DP_SERVE_BUDGET queued messages round-robin across tenants; then the lease store's
 * completions (ACKs), the admin mailbox and the transmit queues.
 *
 * Receiving more than is served per loop is deliberate: under overload the frames that
 * cannot be served are dropped at their own tenant's queue (and counted for it), instead
 * of piling up in the NIC's ring where a flood and a renewing client look alike. Taking a
 * frame off the ring and classifying it costs a fraction of serving it. For the same
 * reason an lcore drains its whole hand-off ring every loop: what waits there has not
 * met its tenant's budget yet.
 */
void dp_lcore_loop(struct dp_lcore *lc)
{
	struct dp *dp = lc->dp;
	struct rte_mbuf *burst[DP_BURST];
	uint32_t idle_usec = 0;
	uint64_t hz = rte_get_tsc_hz();

	lc->stats.lcore_id = lc->lcore_id;
	lc->stats.tsc_hz = hz;
	while (!dp_stop_requested) {
		uint64_t start = rte_rdtsc(), t = start;
		int64_t now = time(NULL);
		/* The snapshot stays valid until this thread's next quiescent state. */
		const struct tenant_registry *reg = tenant_registry_current();
		unsigned work = 0, n;

		dhcp_engine_clock(lc->engine, tsc_ns(start, hz));
		for (uint16_t i = 0; i < dp->n_ports; i++) {
			struct dp_port *port = &lc->ports[i];

			if (port->rxq == DP_NO_QUEUE)
				continue;
			for (unsigned round = 0; round < DP_RX_ROUNDS; round++) {
				uint16_t got =
				    rte_eth_rx_burst(port->port_id, port->rxq, burst, DP_BURST);

				stage_done(lc, DP_STAGE_RX, &t, got);
				if (got == 0)
					break;
				handle_burst(lc, reg, i, burst, got);
				t = rte_rdtsc();
				work += got;
				if (got < DP_BURST)
					break;
			}
		}
		if (dp->n_lcores > 1) {
			unsigned out = dp_handoff_flush(lc);

			n = dp_handoff_receive(lc, DP_HANDOFF_RING);
			stage_done(lc, DP_STAGE_HANDOFF, &t, out + n);
			work += n;
		}
		n = dhcp_engine_serve(lc->engine, DP_SERVE_BUDGET, now);
		stage_done(lc, DP_STAGE_ENGINE, &t, n);
		work += n;
		n = dhcp_engine_poll(lc->engine, now);
		stage_done(lc, DP_STAGE_COMPLETION, &t, n);
		work += n;
		n = 0;
		for (uint16_t i = 0; i < dp->n_ports; i++)
			n += dp_tx_flush(&lc->ports[i]);
		stage_done(lc, DP_STAGE_TX, &t, n);
		urcu_qsbr_quiescent_state();

		if (work) {
			lc->stats.busy_cycles += rte_rdtsc() - start;
			lc->stats.busy_loops++;
		}
		/*
		 * Overload that the lease writer cannot keep up with: what this loop receives
		 * beyond its commits is dropped anyway, so when the writer (or the checkpoint
		 * thread) waits for this lcore's CPU, let it run. Where they have CPUs of their
		 * own (dp_affinity_service) nothing else is waiting and this returns at once.
		 */
		if (work && dhcp_engine_backlogged(lc->engine)) {
			lc->stats.yields++;
			sched_yield();
		}
		if (dp->idle_sleep_max_usec == 0)
			continue;
		if (work) {
			/*
			 * Work halves the nap rather than ending it: under a steady trickle (a
			 * request every millisecond) the lcore then wakes about once per request
			 * instead of climbing 1, 2, 4 ... µs after each one, while back-to-back
			 * busy loops still bring it down to pure polling within a few rounds.
			 */
			idle_usec /= 2;
			continue;
		}
		/*
		 * Nothing to do: sleep, doubling the nap up to the configured bound, so an idle
		 * daemon costs almost no CPU while a busy one never sleeps. Offline, so that
		 * RCU grace periods do not wait for us.
		 */
		idle_usec = idle_usec ? idle_usec * 2 : 1;
		if (idle_usec > dp->idle_sleep_max_usec)
			idle_usec = dp->idle_sleep_max_usec;
		urcu_qsbr_thread_offline();
		usleep(idle_usec);
		urcu_qsbr_thread_online();
	}
	dp_handoff_flush(lc);
	for (uint16_t i = 0; i < dp->n_ports; i++)
		dp_tx_flush(&lc->ports[i]);
}

/* A worker lcore: an RCU reader of its own for the registry, then the loop. */
static int worker_main(void *arg)
{
	urcu_qsbr_register_thread();
	dp_lcore_loop(arg);
	urcu_qsbr_unregister_thread();
	return 0;
}

/* Frees what is left in the hand-off rings once every lcore has stopped. */
static void drain_rings(struct dp *dp)
{
	void *m;

	for (unsigned i = 0; i < dp->n_lcores; i++) {
		while (dp->lcores[i].handoff && rte_ring_sc_dequeue(dp->lcores[i].handoff, &m) == 0)
			rte_pktmbuf_free(m);
	}
}

int dp_run(struct dp *dp)
{
	int rc = 0;

	for (unsigned i = 1; i < dp->n_lcores; i++) {
		rc = rte_eal_remote_launch(worker_main, &dp->lcores[i], dp->lcores[i].lcore_id);
		if (rc) {
			log_err("cannot launch lcore %u: %s", dp->lcores[i].lcore_id,
			        rte_strerror(-rc));
			dp_request_stop();
			break;
		}
	}
	if (!rc) {
		log_info("dataplane: %u lcores running", dp->n_lcores);
		dp_lcore_loop(&dp->lcores[0]);
	}
	rte_eal_mp_wait_lcore();
	drain_rings(dp);
	return rc;
}
