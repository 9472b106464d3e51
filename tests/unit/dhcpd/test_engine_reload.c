/*
 * Reload on the engine (dhcp_engine_plan_*): a changed tenant's new instance takes over
 * the in-memory state of the old one (bindings, offers, commits in flight, counters,
 * queued messages) for the addresses its pools still hold; a kept tenant is untouched; a
 * removed tenant stops being served; an ACK whose commit straddles the swap still goes
 * out; retired instances are freed once nothing points at them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dhcpd/client_key.h"
#include "test_engine_util.h"

struct apply_job {
	struct dhcp_engine *e;
	struct dhcp_engine_plan *plan;
	int rc;
	pthread_t th;
};

static void *apply_main(void *arg)
{
	struct apply_job *j = arg;

	j->rc = dhcp_engine_plan_apply(j->e, j->plan, 5000);
	return NULL;
}

/*
 * Applies @plan from a "control thread" while this thread plays the lcore. The apply is
 * posted before this thread polls again, so the swap runs before any completion that is
 * already waiting: a commit in flight straddles it.
 */
static int apply_as_control(struct et_fixture *f, struct dhcp_engine_plan *plan)
{
	struct apply_job j = {.e = f->engine, .plan = plan};

	assert_int_equal(pthread_create(&j.th, NULL, apply_main, &j), 0);
	usleep(50000);
	for (int i = 0; i < 100; i++) {
		dhcp_engine_poll(f->engine, time(NULL));
		usleep(1000);
	}
	pthread_join(j.th, NULL);
	return j.rc;
}

static uint64_t counter(struct et_fixture *f, const struct tenant *t, enum tenant_counter c)
{
	const struct tenant_counters *v = dhcp_engine_counters(f->engine, t);

	assert_non_null(v);
	return v->v[c];
}

static void test_changed_tenant_takes_over_state(void **state)
{
	(void)state;
	struct et_fixture *f = et_setup(0, 0);
	struct tenant *v1 = et_tenant(f, "acme", 100, 110);
	struct tenant *v2 = et_tenant(f, "acme", 100, 120); /* the pool grew */
	struct req m;

	assert_int_equal(v1->db_id, v2->db_id);
	assert_int_equal(dhcp_engine_add_tenant(f->engine, v1, time(NULL)), 0);
	/* Client 1 bound, client 2 holds an offer, client 3's commit is in flight. */
	uint32_t a1 = et_dora(f, v1, 0x10, 1);
	assert_int_not_equal(a1, 0);
	et_discover(&m, 0x10, 2);
	et_input(f, v1, &m);
	uint32_t a2 = et_reply_yiaddr(&et_sent[et_n_sent - 1]);
	et_discover(&m, 0x10, 3);
	et_input(f, v1, &m);
	uint32_t a3 = et_reply_yiaddr(&et_sent[et_n_sent - 1]);
	size_t before = et_n_sent;
	et_select(&m, 0x10, 3, a3);
	et_input(f, v1, &m);
	et_renew(&m, 0x10, 1, a1); /* a renewal in flight too */
	et_input(f, v1, &m);
	assert_int_equal(et_n_sent, before); /* no ACK before its commit */
	uint64_t discovers = counter(f, v1, TC_RX_DISCOVER);
	usleep(20000); /* the commit is done; its completion waits for the next poll */

	struct dhcp_engine_plan *plan = dhcp_engine_plan_new(f->engine);
	assert_non_null(plan);
	assert_int_equal(dhcp_engine_plan_add(plan, v2, time(NULL)), 0);
	assert_int_equal(apply_as_control(f, plan), 0);

	/* The ACKs of the commits that straddled the swap went out. */
	assert_int_equal(et_n_sent, before + 2);
	assert_int_equal(et_reply_type(&et_sent[before]), DHCPACK);
	assert_int_equal(et_reply_type(&et_sent[before + 1]), DHCPACK);
	assert_true((et_reply_yiaddr(&et_sent[before]) == a3 &&
	             et_reply_yiaddr(&et_sent[before + 1]) == a1) ||
	            (et_reply_yiaddr(&et_sent[before]) == a1 &&
	             et_reply_yiaddr(&et_sent[before + 1]) == a3));
	/* The retired instance is freed once that ACK is done. */
	assert_int_equal(dhcp_engine_reap(f->engine), 0);

	/* Counters go on in the new version; the old version's packets still find it. */
	assert_int_equal(counter(f, v2, TC_RX_DISCOVER), discovers);
	assert_ptr_equal(dhcp_engine_counters(f->engine, v1), dhcp_engine_counters(f->engine, v2));
	/* Binding, offer and the committed one were carried over. */
	before = et_n_sent;
	et_renew(&m, 0x10, 1, a1);
	et_input(f, v2, &m);
	et_poll_until(f, before + 1);
	assert_int_equal(et_reply_type(&et_sent[before]), DHCPACK);
	et_select(&m, 0x10, 2, a2);
	et_input(f, v2, &m);
	et_poll_until(f, before + 2);
	assert_int_equal(et_reply_type(&et_sent[before + 1]), DHCPACK);
	assert_int_equal(et_reply_yiaddr(&et_sent[before + 1]), a2);
	et_renew(&m, 0x10, 3, a3);
	et_input(f, v1, &m); /* classified with the registry that still names v1 */
	et_poll_until(f, before + 3);
	assert_int_equal(et_reply_type(&et_sent[before + 2]), DHCPACK);
	/*
	 * Three bindings. The count taken at the swap saw two commits in flight; it may run
	 * one ahead until the next exact count (the new binding committed in the second of
	 * the count), never behind.
	 */
	struct dhcp_tenant_usage u;
	assert_true(dhcp_engine_usage(f->engine, v2, &u));
	assert_in_range(u.active_leases, 3, 4);
	assert_int_equal(u.pool_size, 21);
	/* No two clients ever share an address: the new pool hands out the rest. */
	for (uint8_t i = 4; i < 22; i++) {
		uint32_t a = et_dora(f, v2, 0x10, i);
		assert_int_not_equal(a, 0);
		assert_true(a != a1 && a != a2 && a != a3);
	}
	tenant_free(v1);
	tenant_free(v2);
	et_teardown(f);
}

static void test_kept_removed_and_shrunk_tenants(void **state)
{
	(void)state;
	struct et_fixture *f = et_setup(0, 0);
	struct tenant *keep = et_tenant(f, "keep", 100, 110);
	struct tenant *gone = et_tenant(f, "gone", 100, 110);
	struct tenant *v1 = et_tenant(f, "shrink", 100, 110);
	struct tenant *v2 = et_tenant(f, "shrink", 100, 101); /* the pool shrank */
	struct req m;

	assert_int_equal(dhcp_engine_add_tenant(f->engine, keep, time(NULL)), 0);
	assert_int_equal(dhcp_engine_add_tenant(f->engine, gone, time(NULL)), 0);
	assert_int_equal(dhcp_engine_add_tenant(f->engine, v1, time(NULL)), 0);
	uint32_t k = et_dora(f, keep, 0x10, 1);
	assert_int_not_equal(et_dora(f, gone, 0x10, 1), 0);
	uint32_t s1 = et_dora(f, v1, 0x10, 1); /* .100: still in the pool */
	uint32_t s2 = et_dora(f, v1, 0x10, 2);
	uint32_t s3 = et_dora(f, v1, 0x10, 3); /* .102: no longer */
	assert_int_equal(s3, IP(192, 168, 1, 102));
	const struct tenant_counters *kc = dhcp_engine_counters(f->engine, keep);

	struct dhcp_engine_plan *plan = dhcp_engine_plan_new(f->engine);
	assert_int_equal(dhcp_engine_plan_keep(plan, keep), 0);
	assert_int_equal(dhcp_engine_plan_add(plan, v2, time(NULL)), 0);
	/* Keeping a tenant the engine does not serve is refused. */
	assert_int_equal(dhcp_engine_plan_keep(plan, v2), -ENOENT);
	et_lcore_start(f);
	assert_int_equal(dhcp_engine_plan_apply(f->engine, plan, 2000), 0);
	et_lcore_stop(f);
	assert_int_equal(dhcp_engine_reap(f->engine), 0);

	/* Kept: the same instance, untouched. */
	assert_ptr_equal(dhcp_engine_counters(f->engine, keep), kc);
	size_t before = et_n_sent;
	et_renew(&m, 0x10, 1, k);
	et_input(f, keep, &m);
	et_poll_until(f, before + 1);
	assert_int_equal(et_reply_type(&et_sent[before]), DHCPACK);
	/* Removed: not served any more. */
	assert_null(dhcp_engine_counters(f->engine, gone));
	before = et_n_sent;
	et_discover(&m, 0x10, 9);
	et_input(f, gone, &m);
	assert_int_equal(et_n_sent, before);
	/* Shrunk: bindings inside the new pool carry over, the one outside is refused. */
	et_renew(&m, 0x10, 1, s1);
	et_input(f, v2, &m);
	et_renew(&m, 0x10, 2, s2);
	et_input(f, v2, &m);
	et_poll_until(f, before + 2);
	assert_int_equal(et_reply_type(&et_sent[before]), DHCPACK);
	assert_int_equal(et_reply_type(&et_sent[before + 1]), DHCPACK);
	et_renew(&m, 0x10, 3, s3);
	et_input(f, v2, &m);
	et_poll_until(f, before + 3);
	assert_int_equal(et_n_sent, before + 3);
	assert_int_equal(et_reply_type(&et_sent[before + 2]), DHCPNAK);
	/* Both addresses are taken: a new client gets nothing. */
	et_discover(&m, 0x10, 4);
	et_input(f, v2, &m);
	assert_int_equal(et_n_sent, before + 3);
	tenant_free(keep);
	tenant_free(gone);
	tenant_free(v1);
	tenant_free(v2);
	et_teardown(f);
}

static void test_queued_messages_follow_the_tenant(void **state)
{
	(void)state;
	struct et_fixture *f = et_setup(64, 16);
	struct tenant *v1 = et_tenant(f, "acme", 100, 150);
	struct tenant *v2 = et_tenant(f, "acme", 100, 150);
	struct tenant *gone = et_tenant(f, "gone", 100, 150);
	static struct req m[10];

	assert_int_equal(dhcp_engine_add_tenant(f->engine, v1, time(NULL)), 0);
	assert_int_equal(dhcp_engine_add_tenant(f->engine, gone, time(NULL)), 0);
	for (int i = 0; i < 5; i++) {
		et_discover(&m[i], 0x20, (uint8_t)i);
		assert_true(
		    dhcp_engine_enqueue(f->engine, v1, &f->relayed, m[i].b, m[i].len, &m[i]));
		et_discover(&m[5 + i], 0x30, (uint8_t)i);
		assert_true(dhcp_engine_enqueue(f->engine, gone, &f->relayed, m[5 + i].b,
		                                m[5 + i].len, &m[5 + i]));
	}
	struct dhcp_engine_plan *plan = dhcp_engine_plan_new(f->engine);
	assert_int_equal(dhcp_engine_plan_add(plan, v2, time(NULL)), 0);
	et_lcore_start(f);
	assert_int_equal(dhcp_engine_plan_apply(f->engine, plan, 2000), 0);
	et_lcore_stop(f);
	/* The removed tenant's messages were dropped (their buffers given back). */
	assert_int_equal(f->released, 5);
	assert_int_equal(dhcp_engine_queued(f->engine), 5);
	assert_int_equal(dhcp_engine_serve(f->engine, 100, time(NULL)), 5);
	assert_int_equal(et_n_sent, 5);
	assert_int_equal(f->released, 10);
	assert_int_equal(counter(f, v2, TC_TX_OFFER), 5);
	tenant_free(v1);
	tenant_free(v2);
	tenant_free(gone);
	et_teardown(f);
}

static void test_apply_without_lcore_changes_nothing(void **state)
{
	(void)state;
	struct et_fixture *f = et_setup(0, 0);
	struct tenant *v1 = et_tenant(f, "acme", 100, 110);
	struct tenant *v2 = et_tenant(f, "acme", 100, 120);

	assert_int_equal(dhcp_engine_add_tenant(f->engine, v1, time(NULL)), 0);
	struct dhcp_engine_plan *plan = dhcp_engine_plan_new(f->engine);
	assert_int_equal(dhcp_engine_plan_add(plan, v2, time(NULL)), 0);
	assert_int_equal(dhcp_engine_plan_apply(f->engine, plan, 30), -ETIMEDOUT);
	for (int i = 0; i < 3; i++)
		dhcp_engine_poll(f->engine, time(NULL));
	struct dhcp_tenant_usage u;
	assert_true(dhcp_engine_usage(f->engine, v1, &u));
	assert_int_equal(u.pool_size, 11);
	assert_false(dhcp_engine_usage(f->engine, v2, &u));
	assert_int_not_equal(et_dora(f, v1, 0x10, 1), 0);
	tenant_free(v1);
	tenant_free(v2);
	et_teardown(f);
}

/*
 * A reload builds the new instance with the leases in the database, except where the
 * running instance's memory is newer: a lease released in memory whose row still says
 * active (its change not yet committed) stays released.
 */
static void test_memory_wins_over_rows_for_running_addresses(void **state)
{
	(void)state;
	struct et_fixture *f = et_setup(0, 0);
	struct tenant *v1 = et_tenant(f, "acme", 100, 100);
	struct tenant *v2 = et_tenant(f, "acme", 100, 100);
	struct req m;

	assert_int_equal(dhcp_engine_add_tenant(f->engine, v1, time(NULL)), 0);
	uint32_t a = et_dora(f, v1, 0x10, 1);
	assert_true(et_row_wait(f, v1->db_id, a, LEASE_STATE_ACTIVE));
	et_release(&m, 0x10, 1, a);
	et_input(f, v1, &m);
	/* The plan is built now, whatever the row says by then. */
	struct dhcp_engine_plan *plan = dhcp_engine_plan_new(f->engine);
	assert_int_equal(dhcp_engine_plan_add(plan, v2, time(NULL)), 0);
	et_lcore_start(f);
	assert_int_equal(dhcp_engine_plan_apply(f->engine, plan, 2000), 0);
	et_lcore_stop(f);
	/* The single address is free: another client gets it. */
	assert_int_equal(et_dora(f, v2, 0x10, 2), a);
	tenant_free(v1);
	tenant_free(v2);
	et_teardown(f);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * What a reload costs the lcore for a large tenant: 20,000 offers in a /16 pool carried
 * over, all of them kept. The time it takes is printed for information only.
 */
static void test_swap_cost_for_a_large_tenant(void **state)
{
	(void)state;
	struct et_fixture *f = et_setup(0, 0);
	struct tenant *v1 = et_tenant(f, "big", 100, 100);
	struct tenant *v2 = et_tenant(f, "big", 100, 100);
	static struct req m;

	for (struct tenant *t = v1; t; t = t == v1 ? v2 : NULL) {
		t->subnets[0].network = IP(172, 16, 0, 0);
		t->subnets[0].mask = 0xffff0000u;
		t->subnets[0].prefix_len = 16;
		t->subnets[0].pools[0].first = IP(172, 16, 1, 0);
		t->subnets[0].pools[0].last = IP(172, 16, 255, 254);
	}
	f->relayed.src_ip = IP(172, 16, 0, 1);
	assert_int_equal(dhcp_engine_add_tenant(f->engine, v1, time(NULL)), 0);
	for (int i = 0; i < 20000; i++) {
		et_discover(&m, (uint8_t)(i >> 8), (uint8_t)i);
		m.b[24] = 172, m.b[25] = 16, m.b[26] = 0, m.b[27] = 1; /* giaddr in the subnet */
		et_n_sent = 0;
		et_input(f, v1, &m);
		assert_int_equal(et_n_sent, 1);
	}
	uint64_t t0 = mono_ns();
	struct dhcp_engine_plan *plan = dhcp_engine_plan_new(f->engine);
	assert_int_equal(dhcp_engine_plan_add(plan, v2, time(NULL)), 0);
	uint64_t t1 = mono_ns();
	et_lcore_start(f);
	assert_int_equal(dhcp_engine_plan_apply(f->engine, plan, 5000), 0);
	uint64_t t2 = mono_ns();
	et_lcore_stop(f);
	struct dhcp_tenant_usage u;
	assert_true(dhcp_engine_usage(f->engine, v2, &u));
	assert_int_equal(u.pool_used, 20000);
	printf("reload of a 65,279-address tenant with 20,000 offers: built in %.1f ms (control "
	       "thread), applied in %.1f ms (swap on the lcore included)\n",
	       (double)(t1 - t0) / 1e6, (double)(t2 - t1) / 1e6);
	tenant_free(v1);
	tenant_free(v2);
	et_teardown(f);
}

int main(void)
{
	assert_int_equal(dhcp_client_key_init(), 0);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_changed_tenant_takes_over_state),
	    cmocka_unit_test(test_kept_removed_and_shrunk_tenants),
	    cmocka_unit_test(test_queued_messages_follow_the_tenant),
	    cmocka_unit_test(test_apply_without_lcore_changes_nothing),
	    cmocka_unit_test(test_memory_wins_over_rows_for_running_addresses),
	    cmocka_unit_test(test_swap_cost_for_a_large_tenant),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
