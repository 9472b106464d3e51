/*
 * The tenant model's own functions: construction and destruction (run under the
 * sanitizer build to catch leaks), the subnet lookup, and the counter names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tenants/counters.h"
#include "tenants/tenant.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static void add_subnet(struct tenant *t, uint32_t net, uint8_t plen)
{
	struct tenant_subnet *s;

	t->subnets = realloc(t->subnets, (t->n_subnets + 1) * sizeof(*t->subnets));
	assert_non_null(t->subnets);
	s = &t->subnets[t->n_subnets++];
	memset(s, 0, sizeof(*s));
	s->network = net;
	s->prefix_len = plen;
	s->mask = UINT32_MAX << (32 - plen);
	s->pools = calloc(1, sizeof(*s->pools));
	s->pools[0] = (struct tenant_pool){net + 10, net + 20};
	s->n_pools = 1;
	assert_int_equal(optset_put(&s->options, 3, "\x0a\x00\x00\x01", 4), 0);
}

static void test_new_is_zeroed(void **state)
{
	struct tenant *t = tenant_new();

	(void)state;
	assert_non_null(t);
	assert_string_equal(t->name, "");
	assert_null(t->file);
	assert_int_equal(t->n_subnets, 0);
	assert_int_equal(t->match.n_relays, 0);
	assert_int_equal(t->server_address, 0);
	assert_false(t->authoritative);
	tenant_free(t);
	tenant_free(NULL);
}

static void test_subnet_of(void **state)
{
	struct tenant *t = tenant_new();

	(void)state;
	add_subnet(t, IP(192, 168, 1, 0), 24);
	add_subnet(t, IP(10, 0, 0, 0), 8);
	add_subnet(t, IP(172, 16, 0, 4), 30);
	t->file = strdup("/etc/mtdhcp/tenants.d/t.conf");
	t->match.relays = calloc(2, sizeof(uint32_t));
	t->match.n_relays = 2;
	t->match.vlans = calloc(1, sizeof(*t->match.vlans));
	t->match.n_vlans = 1;

	assert_ptr_equal(tenant_subnet_of(t, IP(192, 168, 1, 77)), &t->subnets[0]);
	assert_ptr_equal(tenant_subnet_of(t, IP(192, 168, 1, 0)), &t->subnets[0]);
	assert_ptr_equal(tenant_subnet_of(t, IP(192, 168, 1, 255)), &t->subnets[0]);
	assert_null(tenant_subnet_of(t, IP(192, 168, 2, 1)));
	assert_ptr_equal(tenant_subnet_of(t, IP(10, 255, 255, 254)), &t->subnets[1]);
	assert_null(tenant_subnet_of(t, IP(11, 0, 0, 1)));
	assert_ptr_equal(tenant_subnet_of(t, IP(172, 16, 0, 6)), &t->subnets[2]);
	assert_null(tenant_subnet_of(t, IP(172, 16, 0, 8)));
	assert_null(tenant_subnet_of(t, IP(172, 16, 0, 3)));
	assert_null(tenant_subnet_of(t, 0));
	/* Frees subnets, pools, options, match rules and the file name. */
	tenant_free(t);
}

static void test_counter_names(void **state)
{
	(void)state;
	assert_string_equal(tenant_counter_name(TC_RX_DISCOVER), "rx_discover");
	assert_string_equal(tenant_counter_name(TC_TX_ACK), "tx_ack");
	assert_string_equal(tenant_counter_name(TC_DROP_QUEUE_FULL), "drop_queue_full");
	assert_string_equal(tenant_counter_name(TC_LEASES_COMMITTED), "leases_committed");
	/* Every counter has its own snake_case name. */
	for (int i = 0; i < TC__COUNT; i++) {
		const char *n = tenant_counter_name((enum tenant_counter)i);

		assert_string_not_equal(n, "unknown");
		for (const char *p = n; *p; p++)
			assert_true((*p >= 'a' && *p <= 'z') || *p == '_');
		for (int j = 0; j < i; j++)
			assert_string_not_equal(n, tenant_counter_name((enum tenant_counter)j));
	}
	assert_string_equal(tenant_counter_name(TC__COUNT), "unknown");
	assert_string_equal(tenant_counter_name((enum tenant_counter) - 1), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new_is_zeroed),
	    cmocka_unit_test(test_subnet_of),
	    cmocka_unit_test(test_counter_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
