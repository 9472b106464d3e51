/*
 * mtdhcpctl's operator input and output (ctl_args.c, ctl_format.c) and its reading of the
 * daemon's responses (ctl_client_parse): each parser takes exactly its syntax, and a
 * response that is not one is told apart from an error response.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/ctl.h"

static void test_ipv4_and_prefix(void **state)
{
	uint32_t a = 0, m = 0;

	(void)state;
	assert_true(ctl_parse_ipv4("192.168.1.20", &a));
	assert_int_equal(a, 0xc0a80114);
	assert_false(ctl_parse_ipv4("192.168.1", &a));
	assert_false(ctl_parse_ipv4("192.168.1.256", &a));
	assert_false(ctl_parse_ipv4(" 1.2.3.4", &a));
	assert_false(ctl_parse_ipv4("1.2.3.4x", &a));
	assert_false(ctl_parse_ipv4("", &a));

	assert_true(ctl_parse_prefix("10.1.2.3", &a, &m));
	assert_int_equal(a, 0x0a010203);
	assert_int_equal(m, 0xffffffffu);
	assert_true(ctl_parse_prefix("10.1.2.3/16", &a, &m));
	assert_int_equal(m, 0xffff0000u);
	assert_true(ctl_parse_prefix("10.1.2.3/32", &a, &m));
	assert_int_equal(m, 0xffffffffu);
	assert_true(ctl_parse_prefix("0.0.0.0/0", &a, &m));
	assert_int_equal(m, 0);
	assert_true(ctl_parse_prefix("10.0.0.0/1", &a, &m));
	assert_int_equal(m, 0x80000000u);
	assert_false(ctl_parse_prefix("10.1.2.3/33", &a, &m));
	assert_false(ctl_parse_prefix("10.1.2.3/", &a, &m));
	assert_false(ctl_parse_prefix("10.1.2.3/1a", &a, &m));
	assert_false(ctl_parse_prefix("10.1.2.3/-1", &a, &m));
	assert_false(ctl_parse_prefix("10.1.2.3/024", &a, &m));
	assert_false(ctl_parse_prefix("10.1.2/24", &a, &m));
	assert_false(ctl_parse_prefix("a.b.c.d/8", &a, &m));
}

static void test_hex(void **state)
{
	uint8_t b[16];

	(void)state;
	assert_int_equal(ctl_parse_hex("02:00:00:00:10:01", b, 16), 6);
	assert_memory_equal(b, "\x02\x00\x00\x00\x10\x01", 6);
	assert_int_equal(ctl_parse_hex("02-AA-bb", b, 16), 3);
	assert_memory_equal(b, "\x02\xaa\xbb", 3);
	assert_int_equal(ctl_parse_hex("0200aaBB", b, 16), 4);
	assert_memory_equal(b, "\x02\x00\xaa\xbb", 4);
	assert_int_equal(ctl_parse_hex("7f", b, 16), 1);
	/* Refused: odd digits, mixed or doubled separators, a trailing one, junk, too many. */
	assert_int_equal(ctl_parse_hex("2:00:00", b, 16), 0);
	assert_int_equal(ctl_parse_hex("02:00-00", b, 16), 0);
	assert_int_equal(ctl_parse_hex("0200:00", b, 16), 0);
	assert_int_equal(ctl_parse_hex("02::00", b, 16), 0);
	assert_int_equal(ctl_parse_hex("02:00:", b, 16), 0);
	assert_int_equal(ctl_parse_hex("0g", b, 16), 0);
	assert_int_equal(ctl_parse_hex("", b, 16), 0);
	assert_int_equal(ctl_parse_hex("00:01:02", b, 2), 0);
}

static void test_duration_and_count(void **state)
{
	int64_t s = 0;
	uint64_t n = 0;

	(void)state;
	assert_true(ctl_parse_duration("90", &s));
	assert_int_equal(s, 90);
	assert_true(ctl_parse_duration("90s", &s));
	assert_int_equal(s, 90);
	assert_true(ctl_parse_duration("15m", &s));
	assert_int_equal(s, 900);
	assert_true(ctl_parse_duration("1h30m", &s));
	assert_int_equal(s, 5400);
	assert_true(ctl_parse_duration("2d", &s));
	assert_int_equal(s, 172800);
	assert_true(ctl_parse_duration("1w1s", &s));
	assert_int_equal(s, 604801);
	assert_false(ctl_parse_duration("", &s));
	assert_false(ctl_parse_duration("0", &s));
	assert_false(ctl_parse_duration("0m", &s));
	assert_false(ctl_parse_duration("h", &s));
	assert_false(ctl_parse_duration("5x", &s));
	assert_false(ctl_parse_duration("5 m", &s));
	assert_false(ctl_parse_duration("-5m", &s));
	assert_false(ctl_parse_duration("99999999999999999999", &s));
	assert_false(ctl_parse_duration("101y", &s));
	assert_false(ctl_parse_duration("5300w", &s)); /* beyond 100 years */

	assert_true(ctl_parse_count("0", &n));
	assert_int_equal(n, 0);
	assert_true(ctl_parse_count("4294967295", &n));
	assert_int_equal(n, 4294967295u);
	assert_false(ctl_parse_count("4294967296", &n));
	assert_false(ctl_parse_count("12a", &n));
	assert_false(ctl_parse_count("", &n));
	assert_false(ctl_parse_count("-1", &n));
}

static void test_formatting(void **state)
{
	char buf[64];

	(void)state;
	ctl_fmt_duration(buf, sizeof(buf), 45);
	assert_string_equal(buf, "45s");
	ctl_fmt_duration(buf, sizeof(buf), 750);
	assert_string_equal(buf, "12m30s");
	ctl_fmt_duration(buf, sizeof(buf), 3 * 3600 + 5 * 60 + 9);
	assert_string_equal(buf, "3h05m");
	ctl_fmt_duration(buf, sizeof(buf), 2 * 86400 + 4 * 3600);
	assert_string_equal(buf, "2d04h");
	ctl_fmt_duration(buf, sizeof(buf), -5);
	assert_string_equal(buf, "0s");
	ctl_fmt_hex(buf, sizeof(buf), (const uint8_t *)"\x01\xab", 2);
	assert_string_equal(buf, "01:ab");
	ctl_fmt_safe_text(buf, sizeof(buf), "a\x1b[1m\\", 6);
	assert_string_equal(buf, "a\\x1b[1m\\\\");
	ctl_fmt_ipv4(buf, sizeof(buf), 0x0a000001);
	assert_string_equal(buf, "10.0.0.1");
}

/* Tables: each column as wide as its widest cell, two spaces between; NULL is empty. */
static void test_table(void **state)
{
	static const char *const headers[] = {"TENANT", "ADDRESS", "STATE"};
	static const char *const r1[] = {"acme", "192.168.1.100", "active"};
	static const char *const r2[] = {"a-long-tenant", "10.0.0.1", NULL};
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct ctl_table *t = ctl_table_new(3, headers);

	(void)state;
	assert_non_null(t);
	assert_int_equal(ctl_table_add(t, r1), 0);
	assert_int_equal(ctl_table_add(t, r2), 0);
	assert_int_equal(ctl_table_finish(t, out), 0);
	fclose(out);
	assert_string_equal(buf, "TENANT         ADDRESS        STATE\n"
	                         "acme           192.168.1.100  active\n"
	                         "a-long-tenant  10.0.0.1       \n");
	free(buf);
}

static void test_client_parse(void **state)
{
	char code[32], msg[128];
	json_t *res = NULL, *det = NULL;
	const char *ok = "{\"ok\":true,\"result\":{\"x\":1}}";
	const char *err = "{\"ok\":false,\"code\":\"not_found\",\"error\":\"no such\","
	                  "\"details\":{\"y\":2}}";

	(void)state;
	assert_int_equal(
	    ctl_client_parse(ok, strlen(ok), &res, &det, code, sizeof(code), msg, sizeof(msg)), 0);
	assert_int_equal(json_integer_value(json_object_get(res, "x")), 1);
	json_decref(res);
	assert_int_equal(
	    ctl_client_parse(err, strlen(err), &res, &det, code, sizeof(code), msg, sizeof(msg)),
	    1);
	assert_string_equal(code, "not_found");
	assert_string_equal(msg, "no such");
	assert_int_equal(json_integer_value(json_object_get(det, "y")), 2);
	json_decref(det);
	/* An ok without a result is an empty result. */
	assert_int_equal(
	    ctl_client_parse("{\"ok\":true}", 11, &res, NULL, code, sizeof(code), msg, sizeof(msg)),
	    0);
	assert_true(json_is_object(res));
	json_decref(res);
	/* Not responses. */
	assert_int_equal(
	    ctl_client_parse("nonsense", 8, &res, NULL, code, sizeof(code), msg, sizeof(msg)),
	    -EPROTO);
	assert_int_equal(
	    ctl_client_parse("{\"ok\":1}", 8, &res, NULL, code, sizeof(code), msg, sizeof(msg)),
	    -EPROTO);
	assert_int_equal(
	    ctl_client_parse("[true]", 6, &res, NULL, code, sizeof(code), msg, sizeof(msg)),
	    -EPROTO);
	/* An error without its members still reads. */
	assert_int_equal(ctl_client_parse("{\"ok\":false}", 12, &res, NULL, code, sizeof(code), msg,
	                                  sizeof(msg)),
	                 1);
	assert_string_equal(code, "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ipv4_and_prefix),    cmocka_unit_test(test_hex),
	    cmocka_unit_test(test_duration_and_count), cmocka_unit_test(test_formatting),
	    cmocka_unit_test(test_client_parse),       cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
