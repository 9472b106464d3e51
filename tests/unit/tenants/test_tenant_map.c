/*
 * tenant_map: the classifier's open-addressing table. Inserts, lookups of present and
 * absent keys, keys that share a home slot, duplicates, the load limit, and many keys;
 * the SipHash that turns long keys into map keys.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "tenants/tenant_map.h"

static void test_insert_find(void **state)
{
	struct tenant_map m;

	(void)state;
	assert_int_equal(tenant_map_init(&m, 4), 0);
	assert_int_equal(tenant_map_insert(&m, 0xc0a80101, 7, NULL), 0);
	assert_int_equal(tenant_map_insert(&m, 0, 8, NULL), 0); /* key 0 is an ordinary key */
	assert_int_equal(tenant_map_insert(&m, UINT64_MAX, 9, NULL), 0);
	assert_int_equal(m.count, 3);
	assert_int_equal(tenant_map_find(&m, 0xc0a80101), 7);
	assert_int_equal(tenant_map_find(&m, 0), 8);
	assert_int_equal(tenant_map_find(&m, UINT64_MAX), 9);
	assert_int_equal(tenant_map_find(&m, 0xc0a80102), TENANT_MAP_EMPTY);
	tenant_map_free(&m);
	assert_null(m.slots);
	assert_int_equal(tenant_map_find(&m, 0xc0a80101), TENANT_MAP_EMPTY);
}

static void test_eexist_reports_value(void **state)
{
	struct tenant_map m;
	uint32_t existing = 0;

	(void)state;
	assert_int_equal(tenant_map_init(&m, 2), 0);
	assert_int_equal(tenant_map_insert(&m, 42, 1, NULL), 0);
	assert_int_equal(tenant_map_insert(&m, 42, 2, &existing), -EEXIST);
	assert_int_equal(existing, 1);
	assert_int_equal(tenant_map_insert(&m, 42, 3, NULL), -EEXIST);
	/* The first value stays. */
	assert_int_equal(tenant_map_find(&m, 42), 1);
	assert_int_equal(m.count, 1);
	/* TENANT_MAP_EMPTY marks a free slot, so it cannot be a value. */
	assert_int_equal(tenant_map_insert(&m, 43, TENANT_MAP_EMPTY, NULL), -EINVAL);
	tenant_map_free(&m);
}

/* The slot @key lands in when it is alone in a table sized for @expected keys. */
static size_t home_slot(uint64_t key, size_t expected)
{
	struct tenant_map probe;
	size_t slot;

	assert_int_equal(tenant_map_init(&probe, expected), 0);
	assert_int_equal(tenant_map_insert(&probe, key, 5, NULL), 0);
	for (slot = 0; probe.slots[slot].value == TENANT_MAP_EMPTY; slot++)
		;
	tenant_map_free(&probe);
	return slot;
}

/* Keys that share a home slot must all be found, and an absent one not. */
static void test_collisions(void **state)
{
	struct tenant_map m;
	uint64_t keys[6], missing = 0;
	size_t n = 0, home = home_slot(1, 8);

	(void)state;
	for (uint64_t k = 1; n < 6 && k < 100000; k++) {
		if (home_slot(k, 8) == home)
			keys[n++] = k;
		else if (!missing)
			missing = k;
	}
	assert_int_equal(n, 6);
	assert_int_equal(tenant_map_init(&m, 8), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(tenant_map_insert(&m, keys[i], (uint32_t)(100 + i), NULL), 0);
	/* They sit in consecutive slots from their home one (linear probing). */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(m.slots[(home + i) & m.mask].key, keys[i]);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(tenant_map_find(&m, keys[i]), 100 + i);
	/* A key whose home is elsewhere, and one probing through the whole cluster. */
	assert_int_equal(tenant_map_find(&m, missing), TENANT_MAP_EMPTY);
	for (uint64_t k = keys[n - 1] + 1; k < 200000; k++) {
		if (home_slot(k, 8) == home) {
			assert_int_equal(tenant_map_find(&m, k), TENANT_MAP_EMPTY);
			break;
		}
	}
	tenant_map_free(&m);
}

static void test_load_limit(void **state)
{
	struct tenant_map m;
	size_t slots, i;

	(void)state;
	assert_int_equal(tenant_map_init(&m, 10), 0);
	slots = (size_t)m.mask + 1;
	assert_true((slots & (slots - 1)) == 0); /* a power of two */
	assert_true(slots >= 20);                /* room for 10 at load <= 0.5 */
	for (i = 0; i < slots / 2; i++)
		assert_int_equal(tenant_map_insert(&m, i * 7919, (uint32_t)i, NULL), 0);
	/* One more would pass load 0.5. */
	assert_int_equal(tenant_map_insert(&m, 123456789, 1, NULL), -ENOSPC);
	/* A duplicate is still reported as such when full. */
	assert_int_equal(tenant_map_insert(&m, 7919, 1, NULL), -EEXIST);
	for (i = 0; i < slots / 2; i++)
		assert_int_equal(tenant_map_find(&m, i * 7919), i);
	tenant_map_free(&m);
}

static void test_many_keys(void **state)
{
	enum { N = 100000 };
	struct tenant_map m;

	(void)state;
	assert_int_equal(tenant_map_init(&m, N), 0);
	/*
	 * Consecutive relay addresses and packed VLAN keys (ports 1..8, so never equal to a
	 * relay key): the patterns the mixer must spread.
	 */
	for (uint32_t i = 0; i < N / 2; i++) {
		assert_int_equal(tenant_map_insert(&m, 0x0a000000u + i, i, NULL), 0);
		assert_int_equal(tenant_map_insert(&m,
		                                   (uint64_t)(1 + i % 8) << 32 | (i / 8) << 16 | 7,
		                                   N + i, NULL),
		                 0);
	}
	assert_int_equal(m.count, N);
	for (uint32_t i = 0; i < N / 2; i++) {
		assert_int_equal(tenant_map_find(&m, 0x0a000000u + i), i);
		assert_int_equal(
		    tenant_map_find(&m, (uint64_t)(1 + i % 8) << 32 | (i / 8) << 16 | 7), N + i);
	}
	for (uint32_t i = 0; i < 1000; i++)
		assert_int_equal(tenant_map_find(&m, 0x0b000000u + i), TENANT_MAP_EMPTY);
	tenant_map_free(&m);
}

static void test_empty_map(void **state)
{
	struct tenant_map m;

	(void)state;
	assert_int_equal(tenant_map_init(&m, 0), 0);
	assert_int_equal(tenant_map_find(&m, 1), TENANT_MAP_EMPTY);
	assert_int_equal(tenant_map_insert(&m, 1, 1, NULL), 0);
	assert_int_equal(tenant_map_find(&m, 1), 1);
	tenant_map_free(&m);
	/* Sizes a mask cannot address are refused. */
	assert_int_equal(tenant_map_init(&m, (size_t)1 << 40), -ENOMEM);
}

/*
 * SipHash-2-4 against the reference test vectors (Aumasson and Bernstein, the paper's
 * appendix A and the reference implementation's vectors.h): key 00 01 .. 0f, message
 * 00 01 .. of each length. Domain 0 leaves the key as it is.
 */
static void test_siphash_vectors(void **state)
{
	static const struct {
		size_t len;
		uint64_t hash;
	} v[] = {
	    {0, 0x726fdb47dd0e0e31ULL}, {1, 0x74f839c593dc67fdULL},  {2, 0x0d6c8009d9a94f5aULL},
	    {8, 0x93f5f5799a932462ULL}, {15, 0xa129ca6149be45e5ULL},
	};
	struct tenant_map_seed seed = {0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
	uint8_t msg[64];

	(void)state;
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_true(tenant_map_hash_bytes(&seed, 0, msg, v[i].len) == v[i].hash);
}

/* The domain (key kind) and the seed both change the hash; random seeds differ. */
static void test_siphash_domain_and_seed(void **state)
{
	struct tenant_map_seed a = {1, 2}, b = {1, 3}, r1, r2;
	const uint8_t msg[] = "capr0";

	(void)state;
	assert_true(tenant_map_hash_bytes(&a, 1, msg, 5) != tenant_map_hash_bytes(&a, 2, msg, 5));
	assert_true(tenant_map_hash_bytes(&a, 1, msg, 5) != tenant_map_hash_bytes(&b, 1, msg, 5));
	assert_true(tenant_map_hash_bytes(&a, 1, msg, 5) == tenant_map_hash_bytes(&a, 1, msg, 5));
	/* A prefix of a key is another key: the length is part of the hash. */
	assert_true(tenant_map_hash_bytes(&a, 1, msg, 4) != tenant_map_hash_bytes(&a, 1, msg, 5));
	assert_int_equal(tenant_map_seed_random(&r1), 0);
	assert_int_equal(tenant_map_seed_random(&r2), 0);
	assert_true(r1.k0 != r2.k0 || r1.k1 != r2.k1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_insert_find),     cmocka_unit_test(test_eexist_reports_value),
	    cmocka_unit_test(test_collisions),      cmocka_unit_test(test_load_limit),
	    cmocka_unit_test(test_many_keys),       cmocka_unit_test(test_empty_map),
	    cmocka_unit_test(test_siphash_vectors), cmocka_unit_test(test_siphash_domain_and_seed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
