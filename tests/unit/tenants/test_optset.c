/*
 * optset: option value sets. Put keeps values sorted with a working index, replace
 * changes a value in place, get finds or misses, merge lets the child win, clear empties.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tenants/optset.h"

static void assert_value(const struct optset *s, uint8_t code, const void *data, size_t len)
{
	const struct optset_value *v = optset_get(s, code);

	assert_non_null(v);
	assert_int_equal(v->code, code);
	assert_int_equal(v->len, len);
	assert_memory_equal(v->data, data, len);
}

static void test_put_sorted(void **state)
{
	struct optset s = {0};
	const uint8_t codes[] = {121, 3, 252, 6, 1, 15, 44};

	(void)state;
	for (size_t i = 0; i < sizeof(codes); i++) {
		uint8_t v[3] = {codes[i], (uint8_t)i, 0xee};

		assert_int_equal(optset_put(&s, codes[i], v, sizeof(v)), 0);
	}
	assert_int_equal(s.count, sizeof(codes));
	for (size_t i = 1; i < s.count; i++)
		assert_true(s.values[i - 1].code < s.values[i].code);
	/* index[] points at each value after every insertion moved the later ones. */
	for (size_t i = 0; i < sizeof(codes); i++) {
		uint8_t v[3] = {codes[i], (uint8_t)i, 0xee};

		assert_value(&s, codes[i], v, sizeof(v));
		assert_int_equal(s.values[s.index[codes[i]] - 1].code, codes[i]);
	}
	assert_null(optset_get(&s, 2));
	assert_null(optset_get(&s, 254));
	optset_clear(&s);
}

static void test_replace(void **state)
{
	struct optset s = {0};
	const uint8_t a[4] = {10, 0, 0, 1}, b[8] = {10, 0, 0, 2, 10, 0, 0, 3};

	(void)state;
	assert_int_equal(optset_put(&s, 6, a, sizeof(a)), 0);
	assert_int_equal(optset_put(&s, 3, a, sizeof(a)), 0);
	assert_int_equal(optset_put(&s, 6, b, sizeof(b)), 0);
	assert_int_equal(s.count, 2);
	assert_value(&s, 6, b, sizeof(b));
	assert_value(&s, 3, a, sizeof(a));
	optset_clear(&s);
}

static void test_put_limits(void **state)
{
	struct optset s = {0};
	static uint8_t big[OPTSET_VALUE_MAX + 1];

	(void)state;
	/* PAD and END carry no value. */
	assert_int_equal(optset_put(&s, 0, big, 1), -EINVAL);
	assert_int_equal(optset_put(&s, 255, big, 1), -EINVAL);
	assert_int_equal(optset_put(&s, 43, big, sizeof(big)), -EINVAL);
	assert_int_equal(optset_put(&s, 43, NULL, 4), -EINVAL);
	assert_int_equal(s.count, 0);
	assert_int_equal(optset_put(&s, 43, big, OPTSET_VALUE_MAX), 0);
	assert_int_equal(optset_get(&s, 43)->len, OPTSET_VALUE_MAX);
	/* A zero-length value (rapid commit) is present, not absent. */
	assert_int_equal(optset_put(&s, 80, NULL, 0), 0);
	assert_non_null(optset_get(&s, 80));
	assert_int_equal(optset_get(&s, 80)->len, 0);
	optset_clear(&s);
}

static void test_put_copies(void **state)
{
	struct optset s = {0};
	char name[] = "acme.example";

	(void)state;
	assert_int_equal(optset_put(&s, 15, name, strlen(name)), 0);
	name[0] = 'X';
	assert_value(&s, 15, "acme.example", 12);
	optset_clear(&s);
}

static void test_merge_child_wins(void **state)
{
	struct optset parent = {0}, child = {0}, out = {0};
	const uint8_t dns[4] = {10, 0, 0, 53}, routers_p[4] = {10, 0, 0, 1},
	              routers_c[4] = {192, 168, 1, 1}, ntp[4] = {192, 168, 1, 123};

	(void)state;
	assert_int_equal(optset_put(&parent, 6, dns, 4), 0);
	assert_int_equal(optset_put(&parent, 3, routers_p, 4), 0);
	assert_int_equal(optset_put(&parent, 15, "p.example", 9), 0);
	assert_int_equal(optset_put(&child, 3, routers_c, 4), 0);
	assert_int_equal(optset_put(&child, 42, ntp, 4), 0);

	assert_int_equal(optset_merge(&out, &parent, &child), 0);
	assert_int_equal(out.count, 4);
	assert_value(&out, 3, routers_c, 4); /* the child's */
	assert_value(&out, 6, dns, 4);       /* inherited */
	assert_value(&out, 15, "p.example", 9);
	assert_value(&out, 42, ntp, 4);
	for (size_t i = 1; i < out.count; i++)
		assert_true(out.values[i - 1].code < out.values[i].code);
	/* The inputs are unchanged and independent of the result. */
	assert_int_equal(parent.count, 3);
	assert_value(&parent, 3, routers_p, 4);
	optset_clear(&parent);
	assert_value(&out, 6, dns, 4);

	/* @out must be empty. */
	assert_int_equal(optset_merge(&out, NULL, &child), -EINVAL);
	optset_clear(&out);
	/* Either side may be missing or empty. */
	assert_int_equal(optset_merge(&out, NULL, &child), 0);
	assert_int_equal(out.count, 2);
	optset_clear(&out);
	assert_int_equal(optset_merge(&out, &parent, NULL), 0);
	assert_int_equal(out.count, 0);
	optset_clear(&out);
	optset_clear(&child);
}

static void test_clear(void **state)
{
	struct optset s = {0};

	(void)state;
	assert_int_equal(optset_put(&s, 3, "abcd", 4), 0);
	assert_int_equal(optset_put(&s, 6, "efgh", 4), 0);
	optset_clear(&s);
	assert_int_equal(s.count, 0);
	assert_null(s.values);
	assert_null(optset_get(&s, 3));
	assert_null(optset_get(&s, 6));
	/* Usable again after a clear. */
	assert_int_equal(optset_put(&s, 6, "ijkl", 4), 0);
	assert_value(&s, 6, "ijkl", 4);
	optset_clear(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_put_sorted),       cmocka_unit_test(test_replace),
	    cmocka_unit_test(test_put_limits),       cmocka_unit_test(test_put_copies),
	    cmocka_unit_test(test_merge_child_wins), cmocka_unit_test(test_clear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
