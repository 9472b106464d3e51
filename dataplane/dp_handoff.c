/*
 * Hand-off between lcores: every tenant is served by exactly one lcore, its owner
 * (dp_tenant_owner), whose engine alone holds the tenant's pools, fair queue and pending
 * ACKs; a frame that arrives on another lcore's queue goes to the owner through the
 * owner's rte_ring (any lcore enqueues, only the owner dequeues).
 *
 * The receiving lcore has parsed and classified the frame already; what it learnt rides
 * in the mbuf's private area (struct dp_handoff_meta), so the owner does neither again.
 * Frames are staged per owner during a receive burst and enqueued with one burst call per
 * owner, which keeps the ring's shared cache lines touched once per burst, not per frame.
 * A full ring is never waited for (a waiting lcore would stall its own tenants behind
 * another's overload): the frames that do not fit are freed and counted.
 */
#include "dp_internal.h"

/* Sends @o's frames to @to's ring; frees and counts what does not fit. */
static void handoff_send(struct dp_lcore *lc, struct dp_lcore *to, struct dp_handoff_out *o)
{
	unsigned sent = rte_ring_mp_enqueue_burst(to->handoff, (void **)o->m, o->n, NULL);

	lc->stats.handoff_out += sent;
	if (sent < o->n) {
		rte_pktmbuf_free_bulk(o->m + sent, o->n - sent);
		lc->stats.handoff_full += o->n - sent;
	}
	o->n = 0;
}

void dp_handoff_stage(struct dp_lcore *lc, unsigned owner, struct rte_mbuf *m)
{
	struct dp_handoff_out *o = &lc->out[owner];

	if (o->n == DP_BURST)
		handoff_send(lc, &lc->dp->lcores[owner], o);
	o->m[o->n++] = m;
}

unsigned dp_handoff_flush(struct dp_lcore *lc)
{
	unsigned staged = 0;

	for (unsigned i = 0; i < lc->dp->n_lcores; i++) {
		struct dp_handoff_out *o = &lc->out[i];

		if (o->n == 0)
			continue;
		staged += o->n;
		handoff_send(lc, &lc->dp->lcores[i], o);
	}
	return staged;
}

unsigned dp_handoff_receive(struct dp_lcore *lc, unsigned max)
{
	struct rte_mbuf *m[DP_BURST];
	unsigned total = 0;

	while (total < max) {
		unsigned want = max - total < DP_BURST ? max - total : DP_BURST;
		unsigned n = rte_ring_sc_dequeue_burst(lc->handoff, (void **)m, want, NULL);

		for (unsigned k = 0; k < n; k++) {
			const struct dp_handoff_meta *meta = dp_handoff_meta(m[k]);
			const uint8_t *msg =
			    rte_pktmbuf_mtod(m[k], const uint8_t *) + meta->msg_off;

			/* Refused (budget, full queue, a tenant a reload just removed): counted. */
			if (!dhcp_engine_enqueue_id(lc->engine, meta->tenant_id, &meta->path, msg,
			                            meta->msg_len, m[k]))
				rte_pktmbuf_free(m[k]);
		}
		total += n;
		lc->stats.handoff_in += n;
		if (n < want)
			break;
	}
	return total;
}
