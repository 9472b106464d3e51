/*
 * Transmit: each lcore queues frames on its own view of a port and sends them in bursts
 * on its own transmit queue; a queue that lcores share (a port with fewer queues than
 * lcores) is sent on under that queue's lock. After a partial burst the rest is freed
 * and counted: a full transmit ring is never waited for.
 */
#include <string.h>

#include "dp_frame.h"
#include "dp_frame_dhcp.h"
#include "dp_internal.h"

unsigned dp_tx_flush(struct dp_port *port)
{
	if (port->tx_len == 0)
		return 0;
	uint16_t sent;

	if (port->tx_lock) {
		rte_spinlock_lock(port->tx_lock);
		sent = rte_eth_tx_burst(port->port_id, port->txq, port->tx_buf, port->tx_len);
		rte_spinlock_unlock(port->tx_lock);
	} else {
		sent = rte_eth_tx_burst(port->port_id, port->txq, port->tx_buf, port->tx_len);
	}
	port->stats.tx += sent;
	if (sent < port->tx_len) {
		rte_pktmbuf_free_bulk(port->tx_buf + sent, port->tx_len - sent);
		port->stats.tx_dropped += port->tx_len - sent;
	}
	port->tx_len = 0;
	return sent;
}

void dp_tx_queue(struct dp_port *port, struct rte_mbuf *m)
{
	port->tx_buf[port->tx_len++] = m;
	if (port->tx_len == DP_BURST)
		dp_tx_flush(port);
}

void dp_tx_dhcp(void *ctx, const struct dhcp_reply *reply, const uint8_t *msg, size_t len)
{
	struct dp_lcore *lc = ctx;
	if (reply->path.port >= lc->dp->n_ports)
		return;
	struct dp_port *port = &lc->ports[reply->path.port];
	struct rte_mbuf *m = rte_pktmbuf_alloc(lc->dp->pool);
	if (!m) {
		port->stats.drop_no_mbuf++;
		return;
	}
	struct dp_l2 l2;
	dp_reply_l2(reply, port->mac.addr_bytes, &l2);
	size_t hdr = dp_l2_len(&l2) + DP_IPV4_HLEN + DP_UDP_HLEN;
	uint8_t *frame = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(hdr + len));
	if (!frame) {
		rte_pktmbuf_free(m);
		port->stats.drop_no_mbuf++;
		return;
	}
	memcpy(frame + hdr, msg, len);
	dp_build_udp(frame + hdr, len, &l2, reply->src_ip, reply->src_port, reply->dst_ip,
	             reply->dst_port, lc->ip_id++);
	dp_tx_queue(port, m);
}

void dp_release_mbuf(void *ctx, void *buf)
{
	(void)ctx;
	rte_pktmbuf_free(buf);
}
