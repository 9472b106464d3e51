/* The option definition table (tenants/optdef.c): names, codes, types and length rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "tenants/optdef.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void test_optdef_table(void **state)
{
	static const struct {
		uint8_t code;
		size_t len;
		bool ok;
	} lens[] = {
	    {1, 4, true},   {1, 3, false},  {1, 5, false},  {3, 4, true},   {3, 8, true},
	    {3, 0, false},  {3, 6, false},  {12, 1, true},  {12, 0, false}, {15, 300, true},
	    {21, 8, true},  {21, 4, false}, {25, 2, true},  {25, 3, false}, {53, 1, true},
	    {53, 2, false}, {54, 4, true},  {54, 5, false}, {55, 0, false}, {55, 1, true},
	    {57, 2, true},  {57, 4, false}, {61, 1, false}, {61, 2, true},  {61, 19, true},
	    {68, 0, true},  {68, 4, true},  {80, 0, true},  {80, 1, false}, {82, 7, true},
	    {82, 1, false}, {116, 1, true}, {119, 1, true}, {121, 5, true}, {121, 4, false},
	    {145, 1, true},
	};
	static const struct {
		const char *name;
		uint8_t code;
		enum optdef_type type;
	} names[] = {
	    {"subnet-mask", 1, OPTDEF_IP},
	    {"routers", 3, OPTDEF_IPS},
	    {"domain-name-servers", 6, OPTDEF_IPS},
	    {"host-name", 12, OPTDEF_STRING},
	    {"domain-name", 15, OPTDEF_STRING},
	    {"static-routes", 33, OPTDEF_IP_PAIRS},
	    {"interface-mtu", 26, OPTDEF_U16},
	    {"broadcast-address", 28, OPTDEF_IP},
	    {"ntp-servers", 42, OPTDEF_IPS},
	    {"dhcp-lease-time", 51, OPTDEF_INTERNAL},
	    {"dhcp-message-type", 53, OPTDEF_INTERNAL},
	    {"domain-search", 119, OPTDEF_DOMAINS},
	    {"classless-static-route", 121, OPTDEF_CLASSLESS},
	    {"tftp-server-address", 150, OPTDEF_IPS},
	    {"ms-classless-static-route", 249, OPTDEF_CLASSLESS},
	    {"wpad-url", 252, OPTDEF_STRING},
	};
	unsigned known = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		const struct optdef *def = optdef_by_code(lens[i].code);

		assert_non_null(def);
		if ((optdef_check_len(def, lens[i].len) == 0) != lens[i].ok)
			fail_msg("option %u length %zu", lens[i].code, lens[i].len);
	}
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const struct optdef *def = optdef_by_name(names[i].name);

		assert_non_null(def);
		assert_int_equal(def->code, names[i].code);
		assert_int_equal(def->type, names[i].type);
	}
	/* RFC 2132 options 1..76 all, and each row names its own code uniquely. */
	for (unsigned code = 0; code < 256; code++) {
		const struct optdef *def = optdef_by_code((uint8_t)code);

		if (code >= 1 && code <= 76)
			assert_non_null(def);
		if (!def)
			continue;
		known++;
		assert_int_equal(def->code, code);
		assert_ptr_equal(optdef_by_name(def->name), def);
		assert_true(def->min_len <= def->max_len);
		assert_true(def->multiple_of >= 1);
	}
	assert_true(known > 76);
	assert_null(optdef_by_code(0));
	assert_null(optdef_by_code(255));
	assert_null(optdef_by_code(200));
	assert_null(optdef_by_name("no-such-option"));
	assert_null(optdef_by_name(""));
	assert_null(optdef_by_name(NULL));
	assert_int_equal(optdef_check_len(NULL, 1), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_optdef_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
