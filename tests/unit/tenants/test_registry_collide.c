/*
 * Hash collisions must never misclassify. The registry hashes octet-string keys into 64
 * bits; SipHash under a random seed makes collisions rare and unchoosable, but not
 * impossible. This test links with -Wl,--wrap=tenant_map_hash_bytes so that the registry's
 * hash becomes a poor one on demand (the same value for every key, or only the length),
 * and checks that every lookup still compares whole keys: each key finds its own tenant,
 * a value that shares a hash with a key finds nothing, and conflicts are exactly the
 * equal keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "match_testutil.h"

enum poor_hash { HASH_REAL, HASH_CONSTANT, HASH_LENGTH };
static enum poor_hash poor_hash = HASH_REAL;

uint64_t __real_tenant_map_hash_bytes(const struct tenant_map_seed *seed, uint8_t domain,
                                      const uint8_t *data, size_t len);
uint64_t __wrap_tenant_map_hash_bytes(const struct tenant_map_seed *seed, uint8_t domain,
                                      const uint8_t *data, size_t len);

uint64_t __wrap_tenant_map_hash_bytes(const struct tenant_map_seed *seed, uint8_t domain,
                                      const uint8_t *data, size_t len)
{
	switch (poor_hash) {
	case HASH_CONSTANT:
		return 42;
	case HASH_LENGTH:
		return len;
	default:
		return __real_tenant_map_hash_bytes(seed, domain, data, len);
	}
}

static const struct tenant *by_text(const struct tenant_registry *reg, enum tenant_key_kind kind,
                                    const char *text)
{
	return tenant_registry_by_key(reg, kind, (const uint8_t *)text, strlen(text));
}

static void check_lookups(enum poor_hash h)
{
	struct tenant *a = mt_tenant("a"), *b = mt_tenant("b"), *c = mt_tenant("c"),
	              *d = mt_tenant("d");
	struct tenant_registry *reg;

	poor_hash = h;
	mt_text(a, TENANT_KEY_CIRCUIT_ID, "abc");
	mt_text(b, TENANT_KEY_CIRCUIT_ID, "abd");
	mt_text(c, TENANT_KEY_REMOTE_ID, "abc");
	mt_text(d, TENANT_KEY_CIRCUIT_ID_PREFIX, "ab");
	mt_text(d, TENANT_KEY_REMOTE_ID_PREFIX, "xyz");
	mt_vss_name(d, "ab");
	reg = mt_build(mt_array(4, a, b, c, d), 4);

	assert_ptr_equal(by_text(reg, TENANT_KEY_CIRCUIT_ID, "abc"), a);
	assert_ptr_equal(by_text(reg, TENANT_KEY_CIRCUIT_ID, "abd"), b);
	assert_ptr_equal(by_text(reg, TENANT_KEY_REMOTE_ID, "abc"), c);
	/* Same length, same (poor) hash as the keys above, different octets: no tenant. */
	assert_null(by_text(reg, TENANT_KEY_CIRCUIT_ID, "abe"));
	assert_null(by_text(reg, TENANT_KEY_REMOTE_ID, "abd"));
	assert_null(by_text(reg, TENANT_KEY_REMOTE_ID, "xyz")); /* a prefix key, not exact */
	/* Prefixes still take the longest match that is really a prefix. */
	assert_ptr_equal(by_text(reg, TENANT_KEY_CIRCUIT_ID_PREFIX, "abzzz"), d);
	assert_null(by_text(reg, TENANT_KEY_CIRCUIT_ID_PREFIX, "acb"));
	assert_ptr_equal(by_text(reg, TENANT_KEY_REMOTE_ID_PREFIX, "xyz1"), d);
	assert_null(by_text(reg, TENANT_KEY_REMOTE_ID_PREFIX, "xya1"));
	tenant_registry_free(reg);
}

static void test_lookups_real_hash(void **state)
{
	(void)state;
	check_lookups(HASH_REAL);
}

static void test_lookups_constant_hash(void **state)
{
	(void)state;
	check_lookups(HASH_CONSTANT);
}

static void test_lookups_length_hash(void **state)
{
	(void)state;
	check_lookups(HASH_LENGTH);
}

/* With every key in one chain, only equal keys conflict, and each conflict once. */
static void test_conflicts_constant_hash(void **state)
{
	struct tenant *t[3] = {mt_tenant("a"), mt_tenant("b"), mt_tenant("c")};
	size_t n = 0;
	char err[512];

	(void)state;
	poor_hash = HASH_CONSTANT;
	mt_text(t[0], TENANT_KEY_CIRCUIT_ID, "one");
	mt_text(t[0], TENANT_KEY_CIRCUIT_ID, "two");
	mt_text(t[1], TENANT_KEY_CIRCUIT_ID, "three");
	mt_text(t[1], TENANT_KEY_REMOTE_ID, "one");
	mt_text(t[2], TENANT_KEY_CIRCUIT_ID, "four");
	assert_int_equal(tenant_registry_conflicts(t, 3, NULL, NULL), 0);
	mt_text(t[2], TENANT_KEY_CIRCUIT_ID, "two");
	mt_text(t[2], TENANT_KEY_REMOTE_ID, "one");
	n = (size_t)tenant_registry_conflicts(t, 3, NULL, NULL);
	assert_int_equal(n, 2);
	assert_null(tenant_registry_build(mt_array(3, t[0], t[1], t[2]), 3, err, sizeof(err)));
	assert_non_null(strstr(err, "tenant \"c\" (/t/c.conf) and tenant \"a\" (/t/a.conf) both "
	                            "match circuit-id \"two\""));
	poor_hash = HASH_REAL;
}

/* Many keys in one chain: slow, but every one still right. */
static void test_long_chain(void **state)
{
	enum { N = 500 };
	struct tenant **a = calloc(N + 1, sizeof(*a));
	struct tenant_registry *reg;
	char s[32];

	(void)state;
	poor_hash = HASH_CONSTANT;
	for (int i = 0; i < N; i++) {
		snprintf(s, sizeof(s), "t%d", i);
		a[i] = mt_tenant(s);
		snprintf(s, sizeof(s), "circuit-%d", i);
		mt_text(a[i], TENANT_KEY_CIRCUIT_ID, s);
	}
	reg = mt_build(a, N);
	for (int i = 0; i < N; i++) {
		snprintf(s, sizeof(s), "circuit-%d", i);
		assert_ptr_equal(by_text(reg, TENANT_KEY_CIRCUIT_ID, s), a[i]);
	}
	assert_null(by_text(reg, TENANT_KEY_CIRCUIT_ID, "circuit-500"));
	tenant_registry_free(reg);
	poor_hash = HASH_REAL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lookups_real_hash),
	    cmocka_unit_test(test_lookups_constant_hash),
	    cmocka_unit_test(test_lookups_length_hash),
	    cmocka_unit_test(test_conflicts_constant_hash),
	    cmocka_unit_test(test_long_chain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
