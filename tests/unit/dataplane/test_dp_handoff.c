/*
 * Tenant ownership and the hand-off between lcores (dataplane/dp_handoff.c), without the
 * EAL: the owner's ring is an rte_ring initialised in ordinary memory, the "mbufs" are
 * opaque pointers that only travel through rings, and rte_pktmbuf_free_bulk (what frees
 * the frames a full ring refused) is wrapped at link time to record what it was given.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/dp_internal.h"

/* --- the wrapped free ------------------------------------------------------------------ */

static struct rte_mbuf *freed[256];
static unsigned n_freed;

void __wrap_rte_pktmbuf_free_bulk(struct rte_mbuf **mbufs, unsigned int count);

void __wrap_rte_pktmbuf_free_bulk(struct rte_mbuf **mbufs, unsigned int count)
{
	for (unsigned i = 0; i < count && n_freed < 256; i++)
		freed[n_freed++] = mbufs[i];
}

/* --- a two-lcore dataplane with a small ring at lcore 1 -------------------------------- */

#define RING_SIZE 8 /* holds 7: an rte_ring keeps one slot empty */

struct fixture {
	struct dp dp;
	struct dp_lcore lcores[2];
	struct dp_handoff_out out[2][2];
	struct rte_ring *ring;
	char frames[64]; /* their addresses stand for mbufs */
};

static struct rte_mbuf *frame(struct fixture *f, unsigned i)
{
	return (struct rte_mbuf *)(void *)&f->frames[i];
}

static int setup(void **state)
{
	struct fixture *f =
	    aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN(sizeof(*f), RTE_CACHE_LINE_SIZE));
	ssize_t size = rte_ring_get_memsize(RING_SIZE);

	assert_non_null(f);
	assert_true(size > 0);
	memset(f, 0, sizeof(*f));
	f->ring = aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN((size_t)size, RTE_CACHE_LINE_SIZE));
	assert_non_null(f->ring);
	assert_int_equal(rte_ring_init(f->ring, "test_handoff", RING_SIZE, RING_F_SC_DEQ), 0);
	f->dp.lcores = f->lcores;
	f->dp.n_lcores = 2;
	for (unsigned i = 0; i < 2; i++) {
		f->lcores[i].dp = &f->dp;
		f->lcores[i].index = i;
		f->lcores[i].out = f->out[i];
	}
	f->lcores[1].handoff = f->ring;
	n_freed = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->ring);
	free(f);
	return 0;
}

/* --- tenant -> owner --------------------------------------------------------------------- */

static void test_owner_one_lcore(void **state)
{
	(void)state;
	for (uint32_t id = 1; id < 1000; id++)
		assert_int_equal(dp_tenant_owner(id, 1), 0);
}

/* Ids are handed out in sequence: consecutive tenants land on every lcore in turn. */
static void test_owner_spreads_evenly(void **state)
{
	(void)state;
	for (unsigned n = 2; n <= 16; n++) {
		unsigned count[16] = {0};

		for (uint32_t id = 1; id <= 10 * n; id++) {
			unsigned o = dp_tenant_owner(id, n);

			assert_true(o < n);
			count[o]++;
		}
		for (unsigned l = 0; l < n; l++)
			assert_int_equal(count[l], 10);
	}
}

/* The owner depends on the id alone: the same after a reload, whatever the order. */
static void test_owner_stable(void **state)
{
	(void)state;
	assert_int_equal(dp_tenant_owner(7, 2), 1);
	assert_int_equal(dp_tenant_owner(8, 2), 0);
	assert_int_equal(dp_tenant_owner(7, 4), 3);
	assert_int_equal(dp_tenant_owner(4096, 4), 0);
	assert_int_equal(dp_tenant_owner(UINT32_MAX, 2), 1);
}

/* --- hand-off -------------------------------------------------------------------------- */

static void test_handoff_reaches_owner_in_order(void **state)
{
	struct fixture *f = *state;
	void *got[8];

	for (unsigned i = 0; i < 5; i++)
		dp_handoff_stage(&f->lcores[0], 1, frame(f, i));
	/* Staged, not sent: the ring is written once per burst. */
	assert_int_equal(rte_ring_count(f->ring), 0);
	assert_int_equal(dp_handoff_flush(&f->lcores[0]), 5);
	assert_int_equal(rte_ring_count(f->ring), 5);
	assert_int_equal(f->lcores[0].stats.handoff_out, 5);
	assert_int_equal(f->lcores[0].stats.handoff_full, 0);
	assert_int_equal(rte_ring_sc_dequeue_burst(f->ring, got, 8, NULL), 5);
	for (unsigned i = 0; i < 5; i++)
		assert_ptr_equal(got[i], frame(f, i));
	/* Nothing left staged: a second flush sends nothing. */
	assert_int_equal(dp_handoff_flush(&f->lcores[0]), 0);
	assert_int_equal(n_freed, 0);
}

/* A full ring is never waited for: what does not fit is freed and counted. */
static void test_handoff_ring_full_frees_and_counts(void **state)
{
	struct fixture *f = *state;

	for (unsigned i = 0; i < 10; i++)
		dp_handoff_stage(&f->lcores[0], 1, frame(f, i));
	assert_int_equal(dp_handoff_flush(&f->lcores[0]), 10);
	assert_int_equal(rte_ring_count(f->ring), RING_SIZE - 1);
	assert_int_equal(f->lcores[0].stats.handoff_out, RING_SIZE - 1);
	assert_int_equal(f->lcores[0].stats.handoff_full, 10 - (RING_SIZE - 1));
	/* The frames that did not fit, and only those, were freed. */
	assert_int_equal(n_freed, 10 - (RING_SIZE - 1));
	for (unsigned i = 0; i < n_freed; i++)
		assert_ptr_equal(freed[i], frame(f, RING_SIZE - 1 + i));
	/* Still full: the next burst is freed whole. */
	dp_handoff_stage(&f->lcores[0], 1, frame(f, 20));
	dp_handoff_flush(&f->lcores[0]);
	assert_int_equal(f->lcores[0].stats.handoff_full, 4);
	assert_ptr_equal(freed[n_freed - 1], frame(f, 20));
}

/* A burst's worth staged for one owner goes out before the next frame is staged. */
static void test_handoff_stage_sends_full_burst(void **state)
{
	struct fixture *f = *state;

	for (unsigned i = 0; i < DP_BURST; i++)
		dp_handoff_stage(&f->lcores[0], 1, frame(f, i));
	assert_int_equal(rte_ring_count(f->ring), 0);
	dp_handoff_stage(&f->lcores[0], 1, frame(f, DP_BURST));
	/* The first burst was sent (7 fit), the new frame is staged alone. */
	assert_int_equal(f->lcores[0].stats.handoff_out, RING_SIZE - 1);
	assert_int_equal(f->lcores[0].stats.handoff_full, DP_BURST - (RING_SIZE - 1));
	assert_int_equal(f->lcores[0].out[1].n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_owner_one_lcore),
	    cmocka_unit_test(test_owner_spreads_evenly),
	    cmocka_unit_test(test_owner_stable),
	    cmocka_unit_test_setup_teardown(test_handoff_reaches_owner_in_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_handoff_ring_full_frees_and_counts, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_handoff_stage_sends_full_burst, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
