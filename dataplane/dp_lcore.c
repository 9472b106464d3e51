/*
 * The lcore loop: bursts in, per frame parse -> (ARP | ping | DHCP -> classify -> engine),
 * bursts out; lease-store completions; a quiescent state per loop; an adaptive sleep when
 * there is nothing to do.
 */
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <urcu/urcu-qsbr.h>

#include "dp_classify.h"
#include "dp_frame.h"
#include "dp_internal.h"
#include "tenants/registry.h"

static volatile sig_atomic_t dp_stop_requested;

void dp_request_stop(void)
{
	dp_stop_requested = 1;
}

void dp_tx_flush(struct dp_port *port)
{
	if (port->tx_len == 0)
		return;
	uint16_t sent = rte_eth_tx_burst(port->port_id, 0, port->tx_buf, port->tx_len);
	port->stats.tx += sent;
	for (uint16_t i = sent; i < port->tx_len; i++) {
		/* A full tx ring means free and count, never wait. */
		rte_pktmbuf_free(port->tx_buf[i]);
		port->stats.tx_dropped++;
	}
	port->tx_len = 0;
}

void dp_tx_queue(struct dp_port *port, struct rte_mbuf *m)
{
	port->tx_buf[port->tx_len++] = m;
	if (port->tx_len == DP_BURST)
		dp_tx_flush(port);
}

void dp_tx_dhcp(void *ctx, const struct dhcp_reply *reply, const uint8_t *msg, size_t len)
{
	struct dp *dp = ctx;
	if (reply->path.port >= dp->n_ports)
		return;
	struct dp_port *port = &dp->ports[reply->path.port];
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool);
	if (!m) {
		port->stats.drop_no_mbuf++;
		return;
	}
	struct dp_l2 l2 = {
		.outer_tpid = reply->path.outer_tpid,
		.outer_tci = reply->path.outer_tci,
		.inner_tpid = reply->path.inner_tpid,
		.inner_tci = reply->path.inner_tci,
	};
	memcpy(l2.dst_mac, reply->dst_mac, 6);
	memcpy(l2.src_mac, port->mac.addr_bytes, 6);
	size_t hdr = dp_l2_len(&l2) + DP_IPV4_HLEN + DP_UDP_HLEN;
	uint8_t *frame = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(hdr + len));
	if (!frame) {
		rte_pktmbuf_free(m);
		port->stats.drop_no_mbuf++;
		return;
	}
	memcpy(frame + hdr, msg, len);
	dp_build_udp(frame + hdr, len, &l2, reply->src_ip, reply->src_port, reply->dst_ip,
		     reply->dst_port, dp->ip_id++);
	dp_tx_queue(port, m);
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

/*
 * Queues a DHCP frame on its tenant's fair queue (dhcp_engine_enqueue); the engine serves
 * the queues round-robin after the receive bursts. True when the engine took @m (it gives
 * it back through dp_release_mbuf); false when the caller frees it.
 */
static bool handle_dhcp(struct dp *dp, const struct tenant_registry *reg, struct dp_port *port,
			uint16_t port_index, const struct dp_frame *f, struct rte_mbuf *m)
{
	struct dp_class_result cls;
	const struct tenant *t = reg ? dp_classify_request(reg, port_index, f, &cls) : NULL;
	if (!t) {
		port->stats.drop_no_tenant++;
		return false;
	}
	/* A request from a directly attached link is answered from the tenant's address there. */
	uint32_t local = (!cls.relayed && t->server_address) ? t->server_address : port->address;
	if (f->dst_ip != 0xffffffffu) {
		/* Unicast (a relay, a renewing client): only to one of our addresses. */
		if (f->dst_ip != local && f->dst_ip != port->address) {
			port->stats.drop_not_ours++;
			return false;
		}
		local = f->dst_ip;
	}
	struct dhcp_path path = {
		.port = port_index,
		.outer_tpid = f->outer_tpid,
		.outer_tci = f->outer_tci,
		.inner_tpid = f->inner_tpid,
		.inner_tci = f->inner_tci,
		.src_ip = f->src_ip,
		.dst_ip = f->dst_ip,
		.src_port = f->src_port,
		.local_ip = local,
	};
	memcpy(path.src_mac, f->src_mac, 6);
	/* Over budget or a full queue: counted for the tenant by the engine, freed here. */
	return dhcp_engine_enqueue(dp->engine, t, &path, f->payload, f->payload_len, m);
}

void dp_release_mbuf(void *ctx, void *buf)
{
	(void)ctx;
	rte_pktmbuf_free(buf);
}

static void handle_frame(struct dp *dp, const struct tenant_registry *reg, uint16_t port_index,
			 struct rte_mbuf *m)
{
	struct dp_port *port = &dp->ports[port_index];
	port->stats.rx++;
	if (m->nb_segs != 1) {
		port->stats.drop_multiseg++;
		rte_pktmbuf_free(m);
		return;
	}
	uint8_t *data = rte_pktmbuf_mtod(m, uint8_t *);
	size_t len = rte_pktmbuf_data_len(m);
	bool stripped = (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) != 0;
	struct dp_frame f;
	enum dp_frame_kind kind = dp_frame_parse(data, len, stripped, m->vlan_tci, &f);

	switch (kind) {
	case DP_FRAME_DHCP:
		if (!for_our_mac(port, &f)) {
			port->stats.drop_other_mac++;
			break;
		}
		if (handle_dhcp(dp, reg, port, port_index, &f, m))
			return;
		break;
	case DP_FRAME_ARP: {
		struct dp_arp arp;
		if (!dp_arp_parse(f.payload, f.payload_len, &arp) || arp.op != 1)
			break;
		uint32_t ours = link_address(reg, port, port_index, &f);
		if (ours == 0 || arp.tpa != ours)
			break;
		size_t n = dp_arp_reply_inplace(data, len, &f, &arp, port->mac.addr_bytes);
		port->stats.arp_replies++;
		tx_inplace(port, m, n, stripped);
		return;
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
		return;
	}
	default:
		if ((unsigned)kind < sizeof(port->stats.drop_kind) / sizeof(port->stats.drop_kind[0]))
			port->stats.drop_kind[kind]++;
		break;
	}
	rte_pktmbuf_free(m);
}

/* The TSC in nanoseconds: the token buckets' clock, read once per loop. */
static uint64_t tsc_ns(uint64_t hz)
{
	uint64_t tsc = rte_get_tsc_cycles();

	return tsc / hz * 1000000000u + tsc % hz * 1000000000u / hz;
}

/*
 * One loop: drain the receive queues (up to DP_RX_ROUNDS bursts per port), classifying
 * each frame and answering ARP and ping at once, DHCP into its tenant's fair queue; then
 * serve at most DP_SERVE_BUDGET queued messages round-robin across tenants; then the lease
 * store's completions (ACKs), the admin mailbox and the transmit queues.
 *
 * Receiving more than is served per loop is deliberate: under overload the frames that
 * cannot be served are dropped at their own tenant's queue (and counted for it), instead
 * of piling up in the NIC's ring where a flood and a renewing client look alike. Taking a
 * frame off the ring and classifying it costs a fraction of serving it.
 */
int dp_run(struct dp *dp)
{
	struct rte_mbuf *burst[DP_BURST];
	uint32_t idle_usec = 0;
	uint64_t hz = rte_get_tsc_hz();

	while (!dp_stop_requested) {
		int64_t now = time(NULL);
		/* The snapshot stays valid until this thread's next quiescent state. */
		const struct tenant_registry *reg = tenant_registry_current();
		unsigned work = 0;

		dhcp_engine_clock(dp->engine, tsc_ns(hz));
		for (uint16_t i = 0; i < dp->n_ports; i++) {
			for (unsigned round = 0; round < DP_RX_ROUNDS; round++) {
				uint16_t n =
				    rte_eth_rx_burst(dp->ports[i].port_id, 0, burst, DP_BURST);
				for (uint16_t k = 0; k < n; k++)
					handle_frame(dp, reg, i, burst[k]);
				work += n;
				if (n < DP_BURST)
					break;
			}
		}
		work += dhcp_engine_serve(dp->engine, DP_SERVE_BUDGET, now);
		work += dhcp_engine_poll(dp->engine, now);
		for (uint16_t i = 0; i < dp->n_ports; i++)
			dp_tx_flush(&dp->ports[i]);
		urcu_qsbr_quiescent_state();

		if (work || dp->idle_sleep_max_usec == 0) {
			idle_usec = 0;
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
	for (uint16_t i = 0; i < dp->n_ports; i++)
		dp_tx_flush(&dp->ports[i]);
	return 0;
}
