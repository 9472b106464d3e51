/*
 * The control socket's commands (ctl_commands.c, ctl_view.c) against a made-up daemon
 * (ctl_testutil.c): what ping, stats (lcores included), tenants, release and reload
 * answer, and how they refuse unknown tenants, addresses outside the tenant, missing
 * arguments and failures of the daemon below them.
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

#include "ctl_testutil.h"

static struct ctl_fake fake;
static const struct ctl_handler_table *table;

static int setup(void **state)
{
	(void)state;
	ctl_fake_init(&fake, true);
	table = ctl_commands_table(&fake.backend);
	return 0;
}

static int setup_no_reload(void **state)
{
	(void)state;
	ctl_fake_init(&fake, false);
	table = ctl_commands_table(&fake.backend);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ctl_fake_free(&fake);
	return 0;
}

static const char *code_of(const json_t *v)
{
	const char *c = json_string_value(json_object_get(v, "code"));

	return c != NULL ? c : "ok";
}

static json_int_t int_at(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fail_msg("%s is not an integer", key);
	return json_integer_value(v);
}

static const char *str_at(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s == NULL)
		fail_msg("%s is not a string", key);
	return s;
}

/* The element of array @a whose "name" is @name. */
static const json_t *by_name(const json_t *a, const char *name)
{
	const json_t *v;
	size_t i;

	json_array_foreach(a, i, v)
	{
		if (strcmp(str_at(v, "name"), name) == 0)
			return v;
	}
	fail_msg("no %s in the list", name);
	return NULL;
}

static void test_ping_and_version(void **state)
{
	json_t *v, *r;

	(void)state;
	v = ctl_fake_call(table, "{\"cmd\":\"ping\"}");
	r = json_object_get(v, "result");
	assert_true(json_is_true(json_object_get(r, "pong")));
	assert_string_equal(str_at(r, "version"), "9.8.7");
	assert_int_equal(int_at(r, "tenants"), 2);
	assert_int_equal(int_at(r, "ports"), 2);
	assert_int_equal(int_at(r, "started"), 1000);
	assert_true(int_at(r, "uptime") > 0);
	assert_true(int_at(r, "pid") > 0);
	json_decref(v);
	v = ctl_fake_call(table, "{\"cmd\":\"version\"}");
	assert_string_equal(str_at(json_object_get(v, "result"), "version"), "9.8.7");
	json_decref(v);
	/* ping takes no arguments. */
	v = ctl_fake_call(table, "{\"cmd\":\"ping\",\"tenant\":\"acme\"}");
	assert_string_equal(code_of(v), "bad_request");
	json_decref(v);
}

static void test_stats(void **state)
{
	size_t acme = ctl_fake_index(&fake, "acme"), globex = ctl_fake_index(&fake, "globex");
	json_t *v, *r;
	const json_t *t, *c, *p;

	(void)state;
	fake.counters[acme].v[TC_RX_DISCOVER] = 12;
	fake.counters[acme].v[TC_TX_ACK] = 10;
	fake.counters[globex].v[TC_DROP_POOL_EXHAUSTED] = 3;
	fake.use[acme] = (struct ctl_pool_use){.size = 100, .used = 25, .active = 24};
	fake.store.committed = 77;
	v = ctl_fake_call(table, "{\"cmd\":\"stats\"}");
	r = json_object_get(v, "result");
	assert_int_equal(json_array_size(json_object_get(r, "tenants")), 2);
	t = by_name(json_object_get(r, "tenants"), "acme");
	c = json_object_get(t, "counters");
	/* Every counter is there by its stable name. */
	assert_int_equal(json_object_size(c), TC__COUNT);
	assert_int_equal(int_at(c, "rx_discover"), 12);
	assert_int_equal(int_at(c, "tx_ack"), 10);
	assert_int_equal(int_at(c, "tx_nak"), 0);
	p = json_object_get(t, "pool");
	assert_int_equal(int_at(p, "size"), 100);
	assert_int_equal(int_at(p, "used"), 25);
	assert_int_equal(int_at(p, "active_leases"), 24);
	assert_true(json_real_value(json_object_get(p, "use_percent")) == 25.0);
	t = by_name(json_object_get(r, "tenants"), "globex");
	assert_int_equal(int_at(json_object_get(t, "counters"), "drop_pool_exhausted"), 3);
	/* Ports with their drop reasons, and the lease store. */
	assert_int_equal(json_array_size(json_object_get(r, "ports")), 2);
	p = by_name(json_object_get(r, "ports"), "uplink");
	assert_int_equal(int_at(p, "rx"), 1000);
	assert_int_equal(int_at(p, "tx"), 900);
	assert_string_equal(str_at(p, "address"), "10.0.1.1/24");
	assert_int_equal(int_at(json_object_get(p, "drops"), "no_tenant"), 7);
	assert_int_equal(int_at(json_object_get(p, "drops"), "bad_udp"), 2);
	/* What the classifier decided: by key, and relay information it ignored. */
	assert_int_equal(int_at(json_object_get(p, "classified"), "circuit-id"), 40);
	assert_int_equal(int_at(json_object_get(p, "classified"), "vlan"), 5);
	assert_int_equal(int_at(p, "relay_info_ignored"), 3);
	assert_int_equal(int_at(json_object_get(r, "lease_store"), "committed"), 77);
	json_decref(v);

	/* One tenant: only its entry, no ports, no lcores. */
	v = ctl_fake_call(table, "{\"cmd\":\"stats\",\"tenant\":\"globex\"}");
	r = json_object_get(v, "result");
	assert_int_equal(json_array_size(json_object_get(r, "tenants")), 1);
	by_name(json_object_get(r, "tenants"), "globex");
	assert_int_equal(json_array_size(json_object_get(r, "ports")), 0);
	assert_int_equal(json_array_size(json_object_get(r, "lcores")), 0);
	assert_null(json_object_get(r, "lease_store"));
	json_decref(v);

	v = ctl_fake_call(table, "{\"cmd\":\"stats\",\"tenant\":\"initech\"}");
	assert_string_equal(code_of(v), "not_found");
	assert_non_null(strstr(str_at(v, "error"), "initech"));
	json_decref(v);
	v = ctl_fake_call(table, "{\"cmd\":\"stats\",\"tenant\":7}");
	assert_string_equal(code_of(v), "bad_request");
	json_decref(v);
}

static double real_at(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_real(v))
		fail_msg("%s is not a real number", key);
	return json_real_value(v);
}

/* The stage @name of lcore view @l. */
static const json_t *stage_of(const json_t *l, const char *name)
{
	const json_t *st = json_object_get(json_object_get(l, "stages"), name);

	if (st == NULL)
		fail_msg("no stage %s", name);
	return st;
}

static void test_stats_lcores(void **state)
{
	json_t *v, *r;
	const json_t *lcores, *l, *st;
	const char *key;
	size_t n = 0;

	(void)state;
	v = ctl_fake_call(table, "{\"cmd\":\"stats\"}");
	r = json_object_get(v, "result");
	lcores = json_object_get(r, "lcores");
	assert_int_equal(json_array_size(lcores), 2);

	/* The counters as they are, and what follows from them. */
	l = json_array_get(lcores, 0);
	assert_int_equal(int_at(l, "index"), 0);
	assert_int_equal(int_at(l, "lcore_id"), 0);
	assert_int_equal(int_at(l, "tenants"), 1);
	assert_int_equal(int_at(l, "tsc_hz"), 2000000000);
	assert_int_equal(int_at(l, "frames"), 200000);
	assert_int_equal(int_at(l, "busy_cycles"), 1000000000);
	assert_int_equal(int_at(l, "busy_loops"), 5000);
	assert_int_equal(int_at(l, "running_cycles"), 4000000000);
	assert_true(real_at(l, "busy_percent") == 25.0);
	assert_true(real_at(l, "cycles_per_frame") == 5000.0);
	assert_int_equal(int_at(l, "handoff_out"), 50000);
	assert_int_equal(int_at(l, "handoff_in"), 10000);
	assert_int_equal(int_at(l, "handoff_full"), 3);
	assert_int_equal(int_at(l, "yields"), 7);
	/* Every stage in the loop's order, per frame worked on and per item it handled. */
	static const char *const order[] = {"rx",     "parse",      "classify", "handoff",
	                                    "engine", "completion", "tx"};
	json_object_foreach((json_t *)json_object_get(l, "stages"), key, st)
	{
		assert_true(n < 7);
		assert_string_equal(key, order[n++]);
	}
	assert_int_equal(n, 7);
	st = stage_of(l, "rx");
	assert_int_equal(int_at(st, "cycles"), 80000000);
	assert_int_equal(int_at(st, "items"), 190000);
	assert_true(real_at(st, "cycles_per_frame") == 400.0);
	st = stage_of(l, "parse");
	assert_true(real_at(st, "cycles_per_frame") == 75.0);
	st = stage_of(l, "engine");
	assert_true(real_at(st, "cycles_per_frame") == 1500.0);
	assert_true(real_at(st, "cycles_per_item") == 3000.0);
	st = stage_of(l, "tx");
	assert_true(real_at(st, "cycles_per_frame") == 0.0);
	assert_true(real_at(st, "cycles_per_item") == 0.0);

	/* An lcore with no frame yet: no division by zero, nothing busy. */
	l = json_array_get(lcores, 1);
	assert_int_equal(int_at(l, "index"), 1);
	assert_int_equal(int_at(l, "lcore_id"), 3);
	assert_int_equal(int_at(l, "frames"), 0);
	assert_true(real_at(l, "busy_percent") == 0.0);
	assert_true(real_at(l, "cycles_per_frame") == 0.0);
	assert_true(real_at(stage_of(l, "engine"), "cycles_per_frame") == 0.0);
	json_decref(v);

	/*
	 * Rounded to one decimal; never over 100 %, although the clock of running_cycles
	 * starts a moment before the lcores; nothing busy before the lcore runs (tsc_hz 0).
	 */
	fake.lcores[0].busy_cycles = 1000000001;
	fake.lcores[0].running_cycles = 3000000000;
	fake.lcores[0].frames = 3;
	fake.lcores[1].busy_cycles = 5000;
	fake.lcores[1].running_cycles = 4000;
	fake.lcores[1].tsc_hz = 0;
	v = ctl_fake_call(table, "{\"cmd\":\"stats\"}");
	lcores = json_object_get(json_object_get(v, "result"), "lcores");
	l = json_array_get(lcores, 0);
	assert_true(real_at(l, "busy_percent") == 33.3);
	assert_true(real_at(l, "cycles_per_frame") == 333333333.7);
	assert_true(real_at(stage_of(l, "parse"), "cycles_per_frame") == 5000000.0);
	assert_true(real_at(json_array_get(lcores, 1), "busy_percent") == 100.0);
	json_decref(v);

	/* A daemon without lcores to show (no callback) answers an empty list. */
	fake.backend.n_lcores = NULL;
	table = ctl_commands_table(&fake.backend);
	v = ctl_fake_call(table, "{\"cmd\":\"stats\"}");
	assert_int_equal(json_array_size(json_object_get(json_object_get(v, "result"), "lcores")),
	                 0);
	json_decref(v);
}

static void test_tenants(void **state)
{
	size_t acme = ctl_fake_index(&fake, "acme");
	json_t *v, *r;
	const json_t *t, *m, *s, *pool;

	(void)state;
	fake.use[acme] = (struct ctl_pool_use){.size = 100, .used = 3, .active = 4};
	v = ctl_fake_call(table, "{\"cmd\":\"tenants\"}");
	r = json_object_get(v, "result");
	assert_int_equal(json_array_size(json_object_get(r, "tenants")), 2);
	assert_true(json_is_integer(json_object_get(r, "generation")));

	t = by_name(json_object_get(r, "tenants"), "acme");
	assert_int_equal(int_at(t, "db_id"), 1);
	assert_string_equal(str_at(t, "file"), "/etc/mtdhcp/tenants.d/acme.conf");
	m = json_object_get(t, "match");
	assert_int_equal(json_array_size(json_object_get(m, "relays")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(m, "relays"), 0)),
	                    "192.168.1.1");
	assert_int_equal(json_array_size(json_object_get(m, "vlans")), 0);
	/* The other lists under their configuration names, keys as text when printable. */
	assert_string_equal(json_string_value(json_array_get(json_object_get(m, "circuit_ids"), 0)),
	                    "ar-br");
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(m, "relay_prefixes"), 0)),
	    "10.1.0.0/16");
	assert_null(json_object_get(m, "remote_ids"));
	assert_true(json_is_false(json_object_get(m, "default")));
	assert_int_equal(int_at(json_object_get(t, "limits"), "max_leases"), 50);
	assert_true(json_is_null(json_object_get(t, "server_address")));
	assert_true(json_is_true(json_object_get(t, "authoritative")));
	s = json_array_get(json_object_get(t, "subnets"), 0);
	assert_string_equal(str_at(s, "subnet"), "192.168.1.0/24");
	assert_int_equal(int_at(s, "lease_time"), 600);
	pool = json_array_get(json_object_get(s, "pools"), 0);
	assert_string_equal(str_at(pool, "first"), "192.168.1.100");
	assert_string_equal(str_at(pool, "last"), "192.168.1.199");
	assert_int_equal(int_at(pool, "size"), 100);
	assert_int_equal(int_at(json_object_get(t, "pool"), "used"), 3);
	assert_true(json_real_value(json_object_get(json_object_get(t, "pool"), "use_percent")) ==
	            3.0);

	t = by_name(json_object_get(r, "tenants"), "globex");
	m = json_object_get(t, "match");
	s = json_array_get(json_object_get(m, "vlans"), 0);
	/* The port is named, not only numbered. */
	assert_string_equal(str_at(s, "port"), "uplink");
	assert_int_equal(int_at(s, "vlan"), 100);
	assert_int_equal(int_at(s, "inner_vlan"), 0);
	assert_string_equal(str_at(t, "server_address"), "192.168.1.254");
	json_decref(v);

	v = ctl_fake_call(table, "{\"cmd\":\"tenants\",\"tenant\":\"acme\"}");
	assert_int_equal(json_array_size(json_object_get(json_object_get(v, "result"), "tenants")),
	                 1);
	json_decref(v);
	v = ctl_fake_call(table, "{\"cmd\":\"tenants\",\"tenant\":\"nobody\"}");
	assert_string_equal(code_of(v), "not_found");
	json_decref(v);
}

static void test_release(void **state)
{
	json_t *v;

	(void)state;
	v = ctl_fake_call(
	    table, "{\"cmd\":\"release\",\"tenant\":\"globex\",\"address\":\"192.168.1.20\"}");
	assert_string_equal(code_of(v), "ok");
	assert_true(json_is_true(json_object_get(json_object_get(v, "result"), "released")));
	assert_int_equal(fake.n_release, 1);
	assert_int_equal(fake.released_tenant, 2);
	assert_int_equal(fake.released_addr, CTL_IP(192, 168, 1, 20));
	json_decref(v);

	/* What the engine answers becomes the error code. */
	fake.release_rc = -ENOENT;
	v = ctl_fake_call(
	    table, "{\"cmd\":\"release\",\"tenant\":\"acme\",\"address\":\"192.168.1.120\"}");
	assert_string_equal(code_of(v), "not_found");
	assert_non_null(strstr(str_at(v, "error"), "no lease"));
	json_decref(v);
	fake.release_rc = -ETIMEDOUT;
	v = ctl_fake_call(
	    table, "{\"cmd\":\"release\",\"tenant\":\"acme\",\"address\":\"192.168.1.120\"}");
	assert_string_equal(code_of(v), "timeout");
	json_decref(v);
	fake.release_rc = -EBUSY;
	v = ctl_fake_call(
	    table, "{\"cmd\":\"release\",\"tenant\":\"acme\",\"address\":\"192.168.1.120\"}");
	assert_string_equal(code_of(v), "failed");
	assert_non_null(strstr(str_at(v, "error"), "try again"));
	json_decref(v);
	assert_int_equal(fake.n_release, 4);

	/* Refused before the engine is asked. */
	v = ctl_fake_call(table,
	                  "{\"cmd\":\"release\",\"tenant\":\"acme\",\"address\":\"10.9.9.9\"}");
	assert_string_equal(code_of(v), "not_found");
	assert_non_null(strstr(str_at(v, "error"), "no subnet"));
	json_decref(v);
	v = ctl_fake_call(table,
	                  "{\"cmd\":\"release\",\"tenant\":\"initech\",\"address\":\"10.9.9.9\"}");
	assert_string_equal(code_of(v), "not_found");
	json_decref(v);
	v = ctl_fake_call(table, "{\"cmd\":\"release\",\"tenant\":\"acme\"}");
	assert_string_equal(code_of(v), "bad_request");
	json_decref(v);
	v = ctl_fake_call(table,
	                  "{\"cmd\":\"release\",\"tenant\":\"acme\",\"address\":\"192.168.1\"}");
	assert_string_equal(code_of(v), "bad_request");
	json_decref(v);
	assert_int_equal(fake.n_release, 4);
}

static void test_reload(void **state)
{
	json_t *v;

	(void)state;
	v = ctl_fake_call(table, "{\"cmd\":\"reload\"}");
	assert_string_equal(code_of(v), "ok");
	assert_string_equal(json_string_value(json_array_get(
	                        json_object_get(json_object_get(v, "result"), "added"), 0)),
	                    "initech");
	json_decref(v);
	fake.reload_status = CTL_ERR_FAILED;
	v = ctl_fake_call(table, "{\"cmd\":\"reload\"}");
	assert_string_equal(code_of(v), "failed");
	/* The report of a failed reload travels in details. */
	const json_t *p =
	    json_array_get(json_object_get(json_object_get(v, "details"), "problems"), 0);

	assert_string_equal(str_at(p, "file"), "/t/bad.conf");
	assert_int_equal(int_at(p, "line"), 3);
	json_decref(v);
	assert_int_equal(fake.n_reload, 2);
}

static void test_reload_unsupported(void **state)
{
	json_t *v;

	(void)state;
	v = ctl_fake_call(table, "{\"cmd\":\"reload\"}");
	assert_string_equal(code_of(v), "failed");
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ping_and_version, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stats_lcores, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tenants, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_release, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reload_unsupported, setup_no_reload, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
