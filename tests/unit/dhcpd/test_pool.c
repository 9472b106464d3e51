/* The per-tenant address allocator: ranges, free bitmap, client table, sweep. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dhcpd/pool.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static struct tenant_pool pools_a[] = {{IP(192, 168, 1, 100), IP(192, 168, 1, 103)}};
static struct tenant_pool pools_b[] = {{IP(10, 0, 0, 10), IP(10, 0, 0, 10)},
                                       {IP(10, 0, 0, 20), IP(10, 0, 0, 21)}};
static struct tenant_subnet subnets[] = {
    {.network = IP(192, 168, 1, 0),
     .mask = 0xffffff00,
     .prefix_len = 24,
     .pools = pools_a,
     .n_pools = 1},
    {.network = IP(10, 0, 0, 0),
     .mask = 0xffffff00,
     .prefix_len = 24,
     .pools = pools_b,
     .n_pools = 2},
};
static struct tenant tenant = {.name = "t", .subnets = subnets, .n_subnets = 2};

static int setup(void **state)
{
	struct pool_set *ps = calloc(1, sizeof(*ps));
	assert_int_equal(pool_set_init(ps, &tenant), 0);
	*state = ps;
	return 0;
}

static int teardown(void **state)
{
	pool_set_free(*state);
	free(*state);
	return 0;
}

static void test_pool_ranges_sorted_and_sized(void **state)
{
	struct pool_set *ps = *state;
	assert_int_equal(ps->size, 7);
	assert_int_equal(ps->n_ranges, 3);
	assert_true(ps->ranges[0].first < ps->ranges[1].first);
	assert_non_null(pool_slot(ps, IP(10, 0, 0, 21)));
	assert_null(pool_slot(ps, IP(10, 0, 0, 22)));
	assert_null(pool_slot(ps, IP(192, 168, 1, 99)));
	assert_null(pool_slot(ps, IP(192, 168, 1, 104)));
}

static void test_pool_find_free_per_subnet_until_exhausted(void **state)
{
	struct pool_set *ps = *state;
	uint32_t seen[4];
	for (int i = 0; i < 4; i++) {
		seen[i] = pool_find_free(ps, 0);
		assert_true(seen[i] >= IP(192, 168, 1, 100) && seen[i] <= IP(192, 168, 1, 103));
		for (int k = 0; k < i; k++)
			assert_int_not_equal(seen[i], seen[k]);
		pool_assign(ps, seen[i], POOL_OFFERED, 100 + (uint64_t)i, 50);
	}
	assert_int_equal(pool_find_free(ps, 0), 0);
	/* The other subnet still has room. */
	uint32_t b = pool_find_free(ps, 1);
	assert_true(b == IP(10, 0, 0, 10) || b == IP(10, 0, 0, 20) || b == IP(10, 0, 0, 21));
	assert_int_equal(ps->used, 4);
}

static void test_pool_client_holds_one_address(void **state)
{
	struct pool_set *ps = *state;
	pool_assign(ps, IP(192, 168, 1, 100), POOL_OFFERED, 7, 10);
	assert_int_equal(pool_client_addr(ps, 7), IP(192, 168, 1, 100));
	pool_assign(ps, IP(192, 168, 1, 101), POOL_BOUND, 7, 10);
	assert_int_equal(pool_client_addr(ps, 7), IP(192, 168, 1, 101));
	assert_int_equal(pool_slot(ps, IP(192, 168, 1, 100))->state, POOL_FREE);
	assert_int_equal(ps->used, 1);
	pool_release(ps, IP(192, 168, 1, 101));
	assert_int_equal(pool_client_addr(ps, 7), 0);
	assert_int_equal(ps->used, 0);
}

static void test_pool_available_rules(void **state)
{
	struct pool_set *ps = *state;
	uint32_t a = IP(192, 168, 1, 102);
	assert_true(pool_available(ps, a, 1, 100));
	pool_assign(ps, a, POOL_BOUND, 1, 200);
	assert_true(pool_available(ps, a, 1, 100));
	assert_false(pool_available(ps, a, 2, 100));
	/* A lease that ran out may go to another client. */
	assert_true(pool_available(ps, a, 2, 200));
	pool_assign(ps, a, POOL_PENDING, 1, 0);
	assert_false(pool_available(ps, a, 2, 1000));
	pool_assign(ps, a, POOL_DECLINED, 0, 300);
	assert_false(pool_available(ps, a, 1, 299));
	assert_true(pool_available(ps, a, 1, 300));
	assert_false(pool_available(ps, IP(1, 2, 3, 4), 1, 0));
}

static void test_pool_taking_an_address_evicts_old_holder(void **state)
{
	struct pool_set *ps = *state;
	uint32_t a = IP(10, 0, 0, 10);
	pool_assign(ps, a, POOL_OFFERED, 1, 10);
	pool_assign(ps, a, POOL_BOUND, 2, 20);
	assert_int_equal(pool_client_addr(ps, 1), 0);
	assert_int_equal(pool_client_addr(ps, 2), a);
	assert_int_equal(ps->used, 1);
}

static unsigned expired_calls;
static void on_expired(void *ctx, uint32_t addr, const struct pool_slot *slot)
{
	(void)ctx;
	assert_int_equal(slot->state, POOL_BOUND);
	assert_int_equal(addr, IP(192, 168, 1, 100));
	expired_calls++;
}

static void test_pool_sweep_frees_what_ran_out(void **state)
{
	struct pool_set *ps = *state;
	pool_assign(ps, IP(192, 168, 1, 100), POOL_BOUND, 1, 100);
	pool_assign(ps, IP(192, 168, 1, 101), POOL_OFFERED, 2, 100);
	pool_assign(ps, IP(192, 168, 1, 102), POOL_BOUND, 3, 500);
	pool_assign(ps, IP(192, 168, 1, 103), POOL_PENDING, 4, 0);
	expired_calls = 0;
	/* A small budget resumes where it stopped. */
	size_t seen = 0;
	while (seen < ps->size)
		seen += pool_sweep(ps, 200, 2, on_expired, NULL);
	assert_int_equal(expired_calls, 1);
	assert_int_equal(pool_slot(ps, IP(192, 168, 1, 100))->state, POOL_FREE);
	assert_int_equal(pool_slot(ps, IP(192, 168, 1, 101))->state, POOL_FREE);
	assert_int_equal(pool_slot(ps, IP(192, 168, 1, 102))->state, POOL_BOUND);
	assert_int_equal(pool_slot(ps, IP(192, 168, 1, 103))->state, POOL_PENDING);
	assert_int_equal(ps->used, 2);
	assert_int_equal(pool_client_addr(ps, 1), 0);
}

static void test_pool_client_table_survives_many_deletes(void **state)
{
	(void)state;
	static struct tenant_pool big[] = {{IP(10, 1, 0, 0), IP(10, 1, 15, 255)}};
	static struct tenant_subnet sn = {
	    .network = IP(10, 1, 0, 0), .mask = 0xfff00000u, .pools = big, .n_pools = 1};
	struct tenant t = {.name = "big", .subnets = &sn, .n_subnets = 1};
	struct pool_set ps;
	assert_int_equal(pool_set_init(&ps, &t), 0);
	/* Fill, delete every other one, and check every remaining client is still found. */
	for (uint32_t i = 0; i < 4096; i++)
		pool_assign(&ps, IP(10, 1, 0, 0) + i, POOL_BOUND, 0x9e3779b97f4a7c15ull * (i + 1),
		            9);
	for (uint32_t i = 0; i < 4096; i += 2)
		pool_release(&ps, IP(10, 1, 0, 0) + i);
	for (uint32_t i = 0; i < 4096; i++) {
		uint32_t want = (i % 2) ? IP(10, 1, 0, 0) + i : 0;
		assert_int_equal(pool_client_addr(&ps, 0x9e3779b97f4a7c15ull * (i + 1)), want);
	}
	assert_int_equal(ps.used, 2048);
	pool_set_free(&ps);
}

/* A tenant with a reservation inside a pool and one outside every pool. */
static struct tenant_pool res_pools[] = {{IP(172, 16, 0, 10), IP(172, 16, 0, 13)}};
static struct tenant_reservation res_list[] = {
    {.kind = TENANT_RES_HWADDR,
     .key_len = 6,
     .key = {2, 0, 0, 0, 0x10, 1},
     .address = IP(172, 16, 0, 11)},
    {.kind = TENANT_RES_CLIENT_ID, .key_len = 3, .key = {1, 2, 3}, .address = IP(172, 16, 0, 50)},
    {.kind = TENANT_RES_CIRCUIT_ID, .key_len = 5, .key = "capr0", .address = IP(172, 16, 0, 51)},
};
static struct tenant_subnet res_subnet = {.network = IP(172, 16, 0, 0),
                                          .mask = 0xffffff00,
                                          .prefix_len = 24,
                                          .pools = res_pools,
                                          .n_pools = 1,
                                          .reservations = res_list,
                                          .n_reservations = 3};
static struct tenant res_tenant = {.name = "r", .subnets = &res_subnet, .n_subnets = 1};

/* A reserved address in a pool is never found free, and goes only to its own client. */
static void test_pool_reserved_address_never_dynamic(void **state)
{
	(void)state;
	struct pool_set ps;
	assert_int_equal(pool_set_init(&ps, &res_tenant), 0);
	assert_int_equal(ps.size, 4);
	assert_int_equal(ps.used, 1); /* the reserved one */
	uint32_t got[3];
	for (int i = 0; i < 3; i++) {
		got[i] = pool_find_free(&ps, 0);
		assert_int_not_equal(got[i], 0);
		assert_int_not_equal(got[i], IP(172, 16, 0, 11));
		pool_assign(&ps, got[i], POOL_BOUND, 10 + (uint64_t)i, 100);
	}
	assert_int_equal(pool_find_free(&ps, 0), 0);
	/* Free, but not available to anyone through the dynamic path. */
	assert_false(pool_available(&ps, IP(172, 16, 0, 11), 99, 0));
	assert_true(pool_available_reserved(&ps, IP(172, 16, 0, 11), 99, 0));
	pool_assign(&ps, IP(172, 16, 0, 11), POOL_BOUND, 99, 100);
	assert_true(pool_available(&ps, IP(172, 16, 0, 11), 99, 0));
	assert_false(pool_available(&ps, IP(172, 16, 0, 11), 98, 200)); /* even expired */
	assert_false(pool_available_reserved(&ps, IP(172, 16, 0, 11), 98, 50));
	/* Released, it stays reserved: out of the free bitmap, still counted as used. */
	pool_release(&ps, IP(172, 16, 0, 11));
	assert_int_equal(pool_find_free(&ps, 0), 0);
	assert_int_equal(ps.used, 4);
	assert_int_equal(pool_slot(&ps, IP(172, 16, 0, 11))->reserved, 1);
	/* Expiry sweeps it back to the reserved state too. */
	pool_assign(&ps, IP(172, 16, 0, 11), POOL_BOUND, 99, 100);
	pool_sweep(&ps, 1000, 100, NULL, NULL);
	for (int i = 0; i < 3; i++) {
		uint32_t a = pool_find_free(&ps, 0);
		assert_true(a != 0 && a != IP(172, 16, 0, 11));
		pool_assign(&ps, a, POOL_OFFERED, 20 + (uint64_t)i, 3000);
	}
	assert_int_equal(pool_find_free(&ps, 0), 0);
	assert_false(pool_available(&ps, IP(172, 16, 0, 11), 98, 2000));
	assert_int_equal(pool_slot(&ps, IP(172, 16, 0, 11))->state, POOL_FREE);
	pool_set_free(&ps);
}

/* A reservation outside the pools gets a slot of its own, which the sweep also visits. */
static void test_pool_reservation_outside_pools_has_a_slot(void **state)
{
	(void)state;
	struct pool_set ps;
	assert_int_equal(pool_set_init(&ps, &res_tenant), 0);
	assert_int_equal(ps.n_fixed, 2);
	struct pool_slot *s = pool_slot(&ps, IP(172, 16, 0, 50));
	assert_non_null(s);
	assert_int_equal(s->reserved, 1);
	assert_null(pool_slot(&ps, IP(172, 16, 0, 52)));
	assert_true(pool_available_reserved(&ps, IP(172, 16, 0, 50), 7, 0));
	assert_false(pool_available(&ps, IP(172, 16, 0, 50), 7, 0));
	pool_assign(&ps, IP(172, 16, 0, 50), POOL_BOUND, 7, 100);
	assert_int_equal(pool_client_addr(&ps, 7), IP(172, 16, 0, 50));
	assert_int_equal(ps.used, 1); /* fixed slots are not pool addresses */
	pool_sweep(&ps, 500, ps.size + ps.n_fixed, NULL, NULL);
	assert_int_equal(pool_slot(&ps, IP(172, 16, 0, 50))->state, POOL_FREE);
	assert_int_equal(pool_client_addr(&ps, 7), 0);
	pool_set_free(&ps);
}

/* The reservation table finds each kind by its exact key, and nothing else. */
static void test_pool_reservation_lookup_by_key(void **state)
{
	(void)state;
	struct pool_set ps;
	uint16_t sn = 9;
	assert_int_equal(pool_set_init(&ps, &res_tenant), 0);
	const uint8_t mac[6] = {2, 0, 0, 0, 0x10, 1};
	const struct tenant_reservation *r = pool_reservation(&ps, TENANT_RES_HWADDR, mac, 6, &sn);
	assert_ptr_equal(r, &res_list[0]);
	assert_int_equal(sn, 0);
	assert_ptr_equal(
	    pool_reservation(&ps, TENANT_RES_CLIENT_ID, (const uint8_t *)"\1\2\3", 3, NULL),
	    &res_list[1]);
	assert_ptr_equal(
	    pool_reservation(&ps, TENANT_RES_CIRCUIT_ID, (const uint8_t *)"capr0", 5, NULL),
	    &res_list[2]);
	/* Same bytes, other kind; a prefix; an empty key. */
	assert_null(pool_reservation(&ps, TENANT_RES_CLIENT_ID, mac, 6, NULL));
	assert_null(pool_reservation(&ps, TENANT_RES_CIRCUIT_ID, (const uint8_t *)"capr", 4, NULL));
	assert_null(pool_reservation(&ps, TENANT_RES_HWADDR, mac, 0, NULL));
	pool_set_free(&ps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_pool_ranges_sorted_and_sized, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pool_find_free_per_subnet_until_exhausted, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_pool_client_holds_one_address, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pool_available_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pool_taking_an_address_evicts_old_holder, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_pool_sweep_frees_what_ran_out, setup, teardown),
	    cmocka_unit_test(test_pool_client_table_survives_many_deletes),
	    cmocka_unit_test(test_pool_reserved_address_never_dynamic),
	    cmocka_unit_test(test_pool_reservation_outside_pools_has_a_slot),
	    cmocka_unit_test(test_pool_reservation_lookup_by_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
