/*
 * The admin mailbox (dhcp_engine_admin): a request from the control thread runs on the
 * engine's lcore; one that the lcore does not take in time is withdrawn and never runs;
 * DHCP_ADMIN_RELEASE frees a binding in memory, records it, and answers after the commit.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "dhcpd/client_key.h"
#include "test_engine_util.h"

static int setup(void **state)
{
	*state = et_setup(0, 0);
	return 0;
}

static int teardown(void **state)
{
	et_teardown(*state);
	return 0;
}

static void test_admin_nop_runs_on_the_lcore(void **state)
{
	struct et_fixture *f = *state;
	struct dhcp_admin_req req = {.op = DHCP_ADMIN_NOP, .result = 42};

	et_lcore_start(f);
	assert_int_equal(dhcp_engine_admin(f->engine, &req, 2000), 0);
	assert_int_equal(req.result, 0);
	/* The slots are reused: many requests in a row go through the ring. */
	for (int i = 0; i < 50; i++)
		assert_int_equal(dhcp_engine_admin(f->engine, &req, 2000), 0);
	et_lcore_stop(f);
}

static void test_admin_unknown_op_is_refused(void **state)
{
	struct et_fixture *f = *state;
	struct dhcp_admin_req req = {.op = (enum dhcp_admin_op)99};

	et_lcore_start(f);
	assert_int_equal(dhcp_engine_admin(f->engine, &req, 2000), -EOPNOTSUPP);
	et_lcore_stop(f);
}

static void test_admin_timeout_withdraws_the_request(void **state)
{
	struct et_fixture *f = *state;
	struct tenant *t = et_tenant(f, "acme", 100, 110);

	assert_int_equal(dhcp_engine_add_tenant(f->engine, t, time(NULL)), 0);
	uint32_t addr = et_dora(f, t, 0x10, 1);
	assert_int_not_equal(addr, 0);

	/* Nobody polls: the request times out... */
	struct dhcp_admin_req req = {
	    .op = DHCP_ADMIN_RELEASE, .tenant_id = t->db_id, .address = addr};
	assert_int_equal(dhcp_engine_admin(f->engine, &req, 20), -ETIMEDOUT);
	assert_int_equal(req.result, -ETIMEDOUT);
	/* ...and, withdrawn, it never runs when the lcore comes back. */
	for (int i = 0; i < 5; i++)
		dhcp_engine_poll(f->engine, time(NULL));
	struct dhcp_tenant_usage u;
	assert_true(dhcp_engine_usage(f->engine, t, &u));
	assert_int_equal(u.active_leases, 1);
	assert_int_equal(et_row_state(f, t->db_id, addr), LEASE_STATE_ACTIVE);
	/* The mailbox still works. */
	et_lcore_start(f);
	req.op = DHCP_ADMIN_NOP;
	assert_int_equal(dhcp_engine_admin(f->engine, &req, 2000), 0);
	et_lcore_stop(f);
	tenant_free(t);
}

static void test_admin_release_frees_and_records_after_commit(void **state)
{
	struct et_fixture *f = *state;
	struct tenant *t = et_tenant(f, "acme", 100, 100); /* one address */

	assert_int_equal(dhcp_engine_add_tenant(f->engine, t, time(NULL)), 0);
	uint32_t addr = et_dora(f, t, 0x10, 1);
	assert_int_equal(addr, IP(192, 168, 1, 100));
	assert_true(et_row_wait(f, t->db_id, addr, LEASE_STATE_ACTIVE));

	et_lcore_start(f);
	struct dhcp_admin_req req = {
	    .op = DHCP_ADMIN_RELEASE, .tenant_id = t->db_id, .address = addr};
	assert_int_equal(dhcp_engine_admin(f->engine, &req, 2000), 0);
	et_lcore_stop(f);
	/* The result came after the commit: the row says released already. */
	assert_int_equal(et_row_state(f, t->db_id, addr), LEASE_STATE_RELEASED);
	const struct tenant_counters *c = dhcp_engine_counters(f->engine, t);
	assert_int_equal(c->v[TC_ADMIN_RELEASED], 1);

	/* The only address is free again: another client gets it. */
	assert_int_equal(et_dora(f, t, 0x10, 2), addr);
	tenant_free(t);
}

static void test_admin_release_errors(void **state)
{
	struct et_fixture *f = *state;
	struct tenant *t = et_tenant(f, "acme", 100, 110);

	assert_int_equal(dhcp_engine_add_tenant(f->engine, t, time(NULL)), 0);
	/* An offer is not a lease. */
	struct req m;
	et_discover(&m, 0x10, 1);
	et_input(f, t, &m);
	assert_int_equal(et_n_sent, 1);
	uint32_t offered = et_reply_yiaddr(&et_sent[0]);

	et_lcore_start(f);
	struct dhcp_admin_req req = {.op = DHCP_ADMIN_RELEASE, .tenant_id = t->db_id};
	req.address = offered;
	assert_int_equal(dhcp_engine_admin(f->engine, &req, 2000), -ENOENT);
	req.address = IP(192, 168, 1, 105);
	assert_int_equal(dhcp_engine_admin(f->engine, &req, 2000), -ENOENT);
	req.address = IP(192, 168, 1, 200); /* outside the pools */
	assert_int_equal(dhcp_engine_admin(f->engine, &req, 2000), -ENOENT);
	req.tenant_id = t->db_id + 100; /* a tenant this engine does not serve */
	req.address = offered;
	assert_int_equal(dhcp_engine_admin(f->engine, &req, 2000), -ESRCH);
	et_lcore_stop(f);
	tenant_free(t);
}

/*
 * Two tenants with the same subnet and the same client MAC: releasing tenant A's lease
 * leaves tenant B's binding of the same address alone.
 */
static void test_admin_release_touches_only_its_tenant(void **state)
{
	struct et_fixture *f = *state;
	struct tenant *a = et_tenant(f, "acme", 100, 110);
	struct tenant *b = et_tenant(f, "globex", 100, 110);

	assert_int_equal(dhcp_engine_add_tenant(f->engine, a, time(NULL)), 0);
	assert_int_equal(dhcp_engine_add_tenant(f->engine, b, time(NULL)), 0);
	uint32_t addr_a = et_dora(f, a, 0x10, 1);
	uint32_t addr_b = et_dora(f, b, 0x10, 1);
	assert_int_equal(addr_a, addr_b);
	assert_true(et_row_wait(f, b->db_id, addr_b, LEASE_STATE_ACTIVE));

	et_lcore_start(f);
	struct dhcp_admin_req req = {
	    .op = DHCP_ADMIN_RELEASE, .tenant_id = a->db_id, .address = addr_a};
	assert_int_equal(dhcp_engine_admin(f->engine, &req, 2000), 0);
	et_lcore_stop(f);
	assert_int_equal(et_row_state(f, a->db_id, addr_a), LEASE_STATE_RELEASED);
	assert_int_equal(et_row_state(f, b->db_id, addr_b), LEASE_STATE_ACTIVE);
	struct dhcp_tenant_usage u;
	assert_true(dhcp_engine_usage(f->engine, a, &u));
	assert_int_equal(u.active_leases, 0);
	assert_true(dhcp_engine_usage(f->engine, b, &u));
	assert_int_equal(u.active_leases, 1);
	tenant_free(a);
	tenant_free(b);
}

int main(void)
{
	assert_int_equal(dhcp_client_key_init(), 0);
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	    T(test_admin_nop_runs_on_the_lcore),
	    T(test_admin_unknown_op_is_refused),
	    T(test_admin_timeout_withdraws_the_request),
	    T(test_admin_release_frees_and_records_after_commit),
	    T(test_admin_release_errors),
	    T(test_admin_release_touches_only_its_tenant),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
