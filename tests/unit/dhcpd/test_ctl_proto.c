/*
 * The control protocol without sockets (ctl_proto.c): one request line in, one response
 * line out. Well-formed requests reach their handler with their arguments checked; every
 * kind of bad request gets the right error code; and a long run of random and mutated
 * lines always gets exactly one well-formed response line, never a crash (this is the
 * fuzz-ish test; tests/fuzz may drive the same function with libFuzzer).
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

#include "dhcpd/ctl_server.h"

struct echo_ctx {
	int calls;
	const char *last_name;
};

/* Answers {"name": <the "name" argument>, "addr": <"addr" as a number>}. */
static enum ctl_status echo_fn(void *ctx, const json_t *req, struct ctl_reply *reply)
{
	struct echo_ctx *e = ctx;
	const char *name = NULL;
	uint32_t addr = 0;
	enum ctl_status st;

	e->calls++;
	st = ctl_arg_string(req, "name", true, &name, reply);
	if (st != CTL_OK)
		return st;
	st = ctl_arg_ipv4(req, "addr", false, &addr, reply);
	if (st != CTL_OK)
		return st;
	e->last_name = name;
	reply->result = json_pack("{s:s, s:I}", "name", name, "addr", (json_int_t)addr);
	return CTL_OK;
}

/* Fails with details. */
static enum ctl_status fail_fn(void *ctx, const json_t *req, struct ctl_reply *reply)
{
	(void)ctx;
	(void)req;
	reply->details = json_pack("{s:i}", "why", 42);
	return ctl_reply_error(reply, CTL_ERR_NOT_FOUND, "nothing like that here");
}

/* Returns an error status without a message: the protocol supplies one. */
static enum ctl_status mute_fn(void *ctx, const json_t *req, struct ctl_reply *reply)
{
	(void)ctx;
	(void)req;
	(void)reply;
	return CTL_ERR_FAILED;
}

static struct echo_ctx echo;
static const char *const echo_args[] = {"name", "addr", NULL};
static const struct ctl_handler commands[] = {
    {.name = "echo", .fn = echo_fn, .ctx = &echo, .args = echo_args},
    {.name = "fail", .fn = fail_fn},
    {.name = "mute", .fn = mute_fn},
};
static const struct ctl_handler_table table = {commands, 3};

/* Runs @line (of @len bytes) and returns the parsed response, checking its shape. */
static json_t *call_n(const char *line, size_t len)
{
	size_t outlen = 0;
	char *out = ctl_proto_handle(&table, line, len, NULL, &outlen);
	json_error_t jerr;
	json_t *v;

	assert_non_null(out);
	assert_true(outlen >= 2);
	assert_int_equal(strlen(out), outlen);
	assert_int_equal(out[outlen - 1], '\n');
	/* One line: no newline inside, whatever the request held. */
	assert_null(memchr(out, '\n', outlen - 1));
	v = json_loadb(out, outlen, JSON_REJECT_DUPLICATES, &jerr);
	if (v == NULL)
		fail_msg("not JSON: %s: %s", out, jerr.text);
	free(out);
	assert_true(json_is_object(v));
	assert_true(json_is_boolean(json_object_get(v, "ok")));
	if (json_is_false(json_object_get(v, "ok"))) {
		assert_true(json_is_string(json_object_get(v, "code")));
		assert_true(json_is_string(json_object_get(v, "error")));
		assert_true(json_string_length(json_object_get(v, "error")) > 0);
		assert_null(json_object_get(v, "result"));
	} else {
		assert_true(json_is_object(json_object_get(v, "result")));
	}
	return v;
}

static json_t *call(const char *line)
{
	return call_n(line, strlen(line));
}

static const char *code_of(const json_t *v)
{
	const char *c = json_string_value(json_object_get(v, "code"));

	return c != NULL ? c : "ok";
}

static void expect_code(const char *line, const char *code)
{
	json_t *v = call(line);

	if (strcmp(code_of(v), code) != 0)
		fail_msg("%s: code %s, wanted %s", line, code_of(v), code);
	json_decref(v);
}

static void test_good_request(void **state)
{
	json_t *v, *r;

	(void)state;
	echo.calls = 0;
	v = call("{\"cmd\":\"echo\",\"name\":\"acme\",\"addr\":\"192.168.1.2\"}");
	assert_true(json_is_true(json_object_get(v, "ok")));
	r = json_object_get(v, "result");
	assert_string_equal(json_string_value(json_object_get(r, "name")), "acme");
	assert_int_equal(json_integer_value(json_object_get(r, "addr")), 0xc0a80102);
	assert_null(json_object_get(v, "id"));
	assert_int_equal(echo.calls, 1);
	json_decref(v);

	/* Whitespace around and inside is JSON's business; the optional argument may go. */
	v = call("  { \"name\" : \"b\" , \"cmd\" : \"echo\" }  ");
	assert_true(json_is_true(json_object_get(v, "ok")));
	json_decref(v);
}

static void test_id_is_echoed(void **state)
{
	json_t *v;

	(void)state;
	v = call("{\"cmd\":\"echo\",\"name\":\"x\",\"id\":17}");
	assert_int_equal(json_integer_value(json_object_get(v, "id")), 17);
	json_decref(v);
	v = call("{\"cmd\":\"nope\",\"id\":[\"a\",{\"b\":null}]}");
	assert_string_equal(code_of(v), "unknown_command");
	assert_true(json_is_array(json_object_get(v, "id")));
	json_decref(v);
	/* Not JSON at all: there is no id to echo. */
	v = call("{\"cmd\":\"echo\",\"id\":3");
	assert_string_equal(code_of(v), "bad_request");
	assert_null(json_object_get(v, "id"));
	json_decref(v);
}

static void test_bad_requests(void **state)
{
	(void)state;
	expect_code("", "bad_request");
	expect_code("   ", "bad_request");
	expect_code("hello", "bad_request");
	expect_code("[\"cmd\",\"echo\"]", "bad_request");
	expect_code("\"echo\"", "bad_request");
	expect_code("42", "bad_request");
	expect_code("null", "bad_request");
	expect_code("{}", "bad_request");
	expect_code("{\"cmd\":7}", "bad_request");
	expect_code("{\"cmd\":null}", "bad_request");
	expect_code("{\"cmd\":\"echo\",\"name\":\"a\"} trailing", "bad_request");
	expect_code("{\"cmd\":\"echo\",\"name\":\"a\"}{\"cmd\":\"echo\"}", "bad_request");
	expect_code("{\"cmd\":\"echo\",\"cmd\":\"fail\"}", "bad_request"); /* duplicate */
	expect_code("{\"cmd\":\"frobnicate\"}", "unknown_command");
	expect_code("{\"cmd\":\"ECHO\",\"name\":\"a\"}", "unknown_command");
	/* Arguments: missing, mistyped, unknown, malformed. */
	expect_code("{\"cmd\":\"echo\"}", "bad_request");
	expect_code("{\"cmd\":\"echo\",\"name\":3}", "bad_request");
	expect_code("{\"cmd\":\"echo\",\"name\":\"a\",\"nmae\":\"b\"}", "bad_request");
	expect_code("{\"cmd\":\"fail\",\"name\":\"a\"}", "bad_request");
	expect_code("{\"cmd\":\"echo\",\"name\":\"a\",\"addr\":\"300.1.1.1\"}", "bad_request");
	expect_code("{\"cmd\":\"echo\",\"name\":\"a\",\"addr\":\"10.1\"}", "bad_request");
	expect_code("{\"cmd\":\"echo\",\"name\":\"a\",\"addr\":167837953}", "bad_request");
	/* Deep nesting stops at jansson's depth limit instead of the stack. */
	char *deep = malloc(20001);

	assert_non_null(deep);
	memset(deep, '[', 20000);
	deep[20000] = '\0';
	expect_code(deep, "bad_request");
	free(deep);
}

static void test_nul_and_invalid_utf8(void **state)
{
	static const char nul_inside[] = "{\"cmd\":\"echo\",\"name\":\"a\\u0000b\"}";
	static const char raw_nul[] = "{\"cmd\":\"echo\",\"name\":\"a\0b\"}";
	json_t *v;

	(void)state;
	/* A NUL byte in the line, raw or escaped in a string, is refused. */
	v = call_n(raw_nul, sizeof(raw_nul) - 1);
	assert_string_equal(code_of(v), "bad_request");
	json_decref(v);
	v = call(nul_inside);
	assert_string_equal(code_of(v), "bad_request");
	json_decref(v);
	/* An unknown command name that is not UTF-8: refused, and the answer is valid JSON. */
	v = call("{\"cmd\":\"\xff\xfe\"}");
	assert_string_equal(code_of(v), "bad_request");
	json_decref(v);
}

static void test_handler_errors(void **state)
{
	json_t *v;

	(void)state;
	v = call("{\"cmd\":\"fail\"}");
	assert_string_equal(code_of(v), "not_found");
	assert_string_equal(json_string_value(json_object_get(v, "error")),
	                    "nothing like that here");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "details"), "why")),
	                 42);
	json_decref(v);
	v = call("{\"cmd\":\"mute\"}");
	assert_string_equal(code_of(v), "failed");
	assert_string_equal(json_string_value(json_object_get(v, "error")), "mute failed");
	json_decref(v);
}

static void test_too_long(void **state)
{
	size_t n = CTL_REQUEST_MAX + 10;
	char *big = malloc(n + 1);
	json_t *v;

	(void)state;
	assert_non_null(big);
	memset(big, ' ', n);
	memcpy(big, "{\"cmd\":\"echo\",\"name\":\"a\"}", 25);
	big[n] = '\0';
	v = call_n(big, n);
	assert_string_equal(code_of(v), "bad_request");
	assert_non_null(strstr(json_string_value(json_object_get(v, "error")), "longer"));
	json_decref(v);
	/* Exactly the limit is still a request. */
	v = call_n(big, CTL_REQUEST_MAX);
	assert_true(json_is_true(json_object_get(v, "ok")));
	json_decref(v);
	free(big);
}

static void test_error_line(void **state)
{
	size_t len = 0;
	char *line = ctl_proto_error_line(CTL_ERR_BUSY, "too many clients", &len);
	json_t *v;

	(void)state;
	assert_non_null(line);
	assert_int_equal(line[len - 1], '\n');
	v = json_loadb(line, len, 0, NULL);
	assert_non_null(v);
	assert_string_equal(code_of(v), "busy");
	assert_true(json_is_false(json_object_get(v, "ok")));
	json_decref(v);
	free(line);
	assert_string_equal(ctl_status_name(CTL_ERR_TIMEOUT), "timeout");
	assert_string_equal(ctl_status_name((enum ctl_status)99), "internal");
}

/* xorshift64*: a fixed sequence, so a failure is reproducible. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

/*
 * Random bytes, random JSON-ish tokens, and valid requests with bytes flipped, cut or
 * inserted: each gets one well-formed response (call_n checks the shape).
 */
static void test_fuzz(void **state)
{
	static const char *const seeds[] = {
	    "{\"cmd\":\"echo\",\"name\":\"acme\",\"addr\":\"10.0.0.1\",\"id\":1}",
	    "{\"cmd\":\"fail\",\"id\":\"x\"}",
	    "{\"cmd\":\"mute\"}",
	};
	static const char *const tokens[] = {"{",    "}",    "[",     "]",       ",",    ":",
	                                     "\"",   "cmd",  "echo",  "name",    "null", "true",
	                                     "1e99", "-0",   "\\u00", "\\ud800", "addr", "id",
	                                     "\xc3", "\xff", " ",     "\t",      "fail", "\""};
	char buf[512];
	int ok = 0, failed = 0;

	(void)state;
	for (int i = 0; i < 30000; i++) {
		size_t len = 0;
		int kind = (int)(rng() % 3);

		if (kind == 0) {
			len = rng() % sizeof(buf);
			for (size_t k = 0; k < len; k++)
				buf[k] = (char)rng();
		} else if (kind == 1) {
			size_t n = rng() % 24;

			for (size_t k = 0; k < n; k++) {
				const char *t =
				    tokens[rng() % (sizeof(tokens) / sizeof(tokens[0]))];
				size_t tl = strlen(t);

				if (len + tl > sizeof(buf))
					break;
				memcpy(buf + len, t, tl);
				len += tl;
			}
		} else {
			const char *s = seeds[rng() % 3];

			len = strlen(s);
			memcpy(buf, s, len);
			for (int m = (int)(rng() % 4); m >= 0; m--) {
				size_t at = rng() % len;

				switch (rng() % 3) {
				case 0:
					buf[at] = (char)rng();
					break;
				case 1:
					len = at + 1;
					break;
				default:
					if (len < sizeof(buf)) {
						memmove(buf + at + 1, buf + at, len - at);
						buf[at] = (char)rng();
						len++;
					}
				}
			}
		}
		json_t *v = call_n(buf, len);

		if (json_is_true(json_object_get(v, "ok")))
			ok++;
		else
			failed++;
		json_decref(v);
	}
	/* Mutations leave some requests intact: both outcomes happen. */
	assert_true(ok > 0);
	assert_true(failed > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_request),   cmocka_unit_test(test_id_is_echoed),
	    cmocka_unit_test(test_bad_requests),   cmocka_unit_test(test_nul_and_invalid_utf8),
	    cmocka_unit_test(test_handler_errors), cmocka_unit_test(test_too_long),
	    cmocka_unit_test(test_error_line),     cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
