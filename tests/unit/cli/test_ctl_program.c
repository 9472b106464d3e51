/*
 * mtdhcpctl run as a program (its path is the first argument) on a configuration and a
 * database written by the lease store: the leases filters, sort and paging; lease with its
 * relay information; check; tenants from the files when no daemon answers; live commands
 * without a daemon (exit 3); and a usage error (exit 2, one line) for each kind of bad
 * argument.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "lease-store/lease_store.h"
#include "lease_test_util.h"

#define PYTHON         "/usr/bin/python3"
#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static const char *ctl_bin;
static struct lease_test_dir dir;
static char conf[LEASE_TEST_PATH_MAX + 32];

struct run {
	int code;
	char out[32768];
	char err[4096];
};

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, len - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	unlink(path);
}

/* Runs "mtdhcpctl -c <conf> @args"; @args are trusted test text. */
__attribute__((format(printf, 1, 2))) static struct run *ctl(const char *fmt, ...)
{
	static struct run r;
	char args[1024], cmd[2048], out[LEASE_TEST_PATH_MAX + 16], err[LEASE_TEST_PATH_MAX + 16];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(out, sizeof(out), "%s/out", dir.dir);
	snprintf(err, sizeof(err), "%s/err", dir.dir);
	snprintf(cmd, sizeof(cmd), "'%s' -c '%s' %s >'%s' 2>'%s'", ctl_bin, conf, args, out, err);
	int st = system(cmd);

	assert_true(WIFEXITED(st));
	r.code = WEXITSTATUS(st);
	slurp(out, r.out, sizeof(r.out));
	slurp(err, r.err, sizeof(r.err));
	return &r;
}

static int lines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* The command fails with @code and one line on stderr holding @needle, nothing on stdout. */
static void expect_fail(int code, const char *needle, const char *args)
{
	struct run *r = ctl("%s", args);

	if (r->code != code || lines(r->err) != 1 || strstr(r->err, needle) == NULL ||
	    r->out[0] != '\0')
		fail_msg(
		    "mtdhcpctl %s: exit %d (wanted %d), stderr '%s' (wanted '%s'), stdout '%s'",
		    args, r->code, code, r->err, needle, r->out);
}

/*
 * Python checks the JSON that "mtdhcpctl @args" prints: @check is a Python expression over
 * d, the parsed value (passed in a file, so that it may hold any quotes).
 */
static void expect_json(const char *args, const char *check)
{
	char cmd[4096], path[LEASE_TEST_PATH_MAX + 16];
	FILE *f;

	snprintf(path, sizeof(path), "%s/check.py", dir.dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(check, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
	         "'%s' -c '%s' %s | " PYTHON " -c 'import json, sys\n"
	         "d = json.load(sys.stdin)\n"
	         "assert eval(open(sys.argv[1]).read()), d' '%s'",
	         ctl_bin, conf, args, path);
	int st = system(cmd);

	unlink(path);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) != 0)
		fail_msg("mtdhcpctl %s: the JSON fails: %s", args, check);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char service_text[] =
    "dataplane = {\n"
    "  eal = [ \"--no-huge\" ];\n"
    "  ports = ( { name = \"uplink\"; device = \"net_null0\"; address = \"10.9.9.2/24\"; } );\n"
    "};\n"
    "lease_db = { path = \"leases.db\"; };\n"
    "control_socket = \"ctl.sock\";\n"
    "tenants_dir = \"tenants.d\";\n";

/*
 * red (relay 10.9.0.1; pool 10.0.0.1 .. .50): 10.0.0.1 .. .3 active (.2 relayed with
 * circuit-id "ar-br", a binary remote-id and VLAN 100.20), 10.0.0.9 released.
 * blue (VLAN 100 on uplink; pool 10.0.0.1 .. .10): 10.0.0.5 active, host "Laptop".
 */
static int setup(void **state)
{
	char path[LEASE_TEST_PATH_MAX + 64];
	struct lease_store_params p;
	struct lease_store *s;
	uint32_t red, blue;
	struct lease_change ch[6];
	int64_t now = time(NULL);

	(void)state;
	lease_test_dir_make(&dir);
	snprintf(conf, sizeof(conf), "%s/mtdhcpd.conf", dir.dir);
	write_file(conf, service_text);
	snprintf(path, sizeof(path), "%s/tenants.d", dir.dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/tenants.d/red.conf", dir.dir);
	write_file(path, "name = \"red\";\nmatch = { relays = [ \"10.9.0.1\" ]; };\n"
	                 "subnets = ( { subnet = \"10.0.0.0/24\";\n"
	                 "  pools = ( { first = \"10.0.0.1\"; last = \"10.0.0.50\"; } ); } );\n");
	snprintf(path, sizeof(path), "%s/tenants.d/blue.conf", dir.dir);
	write_file(path, "name = \"blue\";\n"
	                 "match = { vlans = ( { port = \"uplink\"; vlan = 100; } ); };\n"
	                 "server_address = \"10.0.0.254\";\n"
	                 "subnets = ( { subnet = \"10.0.0.0/24\";\n"
	                 "  pools = ( { first = \"10.0.0.1\"; last = \"10.0.0.10\"; } ); } );\n");

	p = lease_test_params(dir.db);
	s = lease_test_open(&p);
	assert_int_equal(lease_store_tenant_id(s, "red", &red), 0);
	assert_int_equal(lease_store_tenant_id(s, "blue", &blue), 0);
	assert_int_equal(lease_store_start(s), 0);
	ch[0] = lease_test_change(LEASE_OP_BIND, red, IP(10, 0, 0, 1), now + 600);
	ch[1] = lease_test_change(LEASE_OP_BIND, red, IP(10, 0, 0, 2), now + 7200);
	ch[1].rec.giaddr = IP(10, 9, 0, 1);
	memcpy(ch[1].rec.circuit_id, "ar-br", 5);
	ch[1].rec.circuit_id_len = 5;
	memcpy(ch[1].rec.remote_id, "\x00\x06\x02\x00", 4);
	ch[1].rec.remote_id_len = 4;
	ch[1].rec.vlan_outer = 100;
	ch[1].rec.vlan_inner = 20;
	ch[2] = lease_test_change(LEASE_OP_BIND, red, IP(10, 0, 0, 3), now + 3000);
	ch[3] = lease_test_change(LEASE_OP_BIND, red, IP(10, 0, 0, 9), now + 600);
	ch[4] = lease_test_change(LEASE_OP_RELEASE, red, IP(10, 0, 0, 9), now - 5);
	ch[5] = lease_test_change(LEASE_OP_BIND, blue, IP(10, 0, 0, 5), now + 600);
	memcpy(ch[5].rec.hostname, "Laptop", 6);
	ch[5].rec.hostname_len = 6;
	memcpy(ch[5].rec.client_id, "\x01\x02\x00\x00\x00\x00\x05", 7);
	ch[5].rec.client_id_len = 7;
	lease_test_commit(s, ch, 6);
	lease_store_close(s);
	return 0;
}

static int teardown(void **state)
{
	char path[LEASE_TEST_PATH_MAX + 64];

	(void)state;
	snprintf(path, sizeof(path), "%s/tenants.d/red.conf", dir.dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/tenants.d/blue.conf", dir.dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/tenants.d", dir.dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/bad.conf", dir.dir);
	unlink(path);
	unlink(conf);
	lease_test_dir_remove(&dir);
	return 0;
}

static void test_help_lists_commands(void **state)
{
	static const char *const cmds[] = {"leases", "lease",   "tenants", "stats",
	                                   "status", "release", "reload",  "check"};
	struct run *r = ctl("--help");

	(void)state;
	assert_int_equal(r->code, 0);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char line[32];

		snprintf(line, sizeof(line), "\n  %s ", cmds[i]);
		if (strstr(r->out, line) == NULL)
			fail_msg("help lacks %s: %s", cmds[i], r->out);
	}
	assert_non_null(strstr(r->out, "3 the daemon could not be"));
	r = ctl("help leases");
	assert_non_null(strstr(r->out, "--expiring-within"));
	r = ctl("lease --help");
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "TENANT ADDRESS"));
}

static void test_leases_filters(void **state)
{
	(void)state;
	expect_json("leases --json", "len(d) == 5");
	expect_json("leases --json --ip 10.0.0.0/30", "len(d) == 3"); /* red .1 .2 .3 */
	expect_json("leases --json --ip 10.0.0.5", "[x['tenant'] for x in d] == ['blue']");
	expect_json("leases --json --tenant red --ip 10.0.0.0/24", "len(d) == 4");
	expect_json("leases --json --mac 02:00:00:00:00:02",
	            "[x['address'] for x in d] == ['10.0.0.2']");
	expect_json("leases --json --mac 02-00-00-00-00-02", "len(d) == 1");
	expect_json("leases --json --client-id 01:02:00:00:00:00:05", "len(d) == 1");
	expect_json("leases --json --hostname 'lap*'", "[x['hostname'] for x in d] == ['Laptop']");
	expect_json("leases --json --state released", "[x['address'] for x in d] == ['10.0.0.9']");
	expect_json("leases --json --expiring-within 15m",
	            "sorted(x['address'] for x in d) == ['10.0.0.1', '10.0.0.5']");
	expect_json("leases --json --expiring-within 1h --state active", "len(d) == 3");
	/* Sorting and paging. */
	expect_json("leases --json --sort expires --reverse --limit 1",
	            "[x['address'] for x in d] == ['10.0.0.2']");
	expect_json("leases --json --sort address",
	            "[x['address'] for x in d] == ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.5',"
	            " '10.0.0.9']");
	expect_json("leases --json --sort ip --limit 2 --offset 2",
	            "[x['address'] for x in d] == ['10.0.0.3', '10.0.0.5']");
	expect_json("leases --json --offset 10", "d == []");
	/* The table: the header and one line per lease. */
	struct run *r = ctl("leases --tenant red --sort expires");

	assert_int_equal(r->code, 0);
	assert_int_equal(lines(r->out), 5);
	assert_true(strstr(r->out, "10.0.0.1 ") < strstr(r->out, "10.0.0.3 "));
	assert_true(strstr(r->out, "10.0.0.3 ") < strstr(r->out, "10.0.0.2 "));
}

static void test_leases_usage(void **state)
{
	(void)state;
	expect_fail(2, "not an address or a prefix", "leases --ip 10.0.0.0/40");
	expect_fail(2, "not an address or a prefix", "leases --ip 10.0.0");
	expect_fail(2, "not a hardware address", "leases --mac 02:00:0");
	expect_fail(2, "not a hardware address", "leases --mac zz:00:00:00:00:00");
	expect_fail(2, "client identifier", "leases --client-id 1");
	expect_fail(2, "not a duration", "leases --expiring-within soon");
	expect_fail(2, "cannot sort by 'colour'", "leases --sort colour");
	expect_fail(2, "--limit wants", "leases --limit 0");
	expect_fail(2, "--offset wants", "leases --offset -3");
	expect_fail(2, "excludes --state released", "leases --expiring-within 1h --state released");
	expect_fail(2, "needs an argument", "leases --hostname");
	expect_fail(1, "unknown tenant 'green'", "leases --tenant green");
}

static void test_lease(void **state)
{
	struct run *r;

	(void)state;
	r = ctl("lease red 10.0.0.2");
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "tenant       red\n"));
	assert_non_null(strstr(r->out, "state        active\n"));
	assert_non_null(strstr(r->out, "relay        10.9.0.1\n"));
	assert_non_null(strstr(r->out, "circuit-id   \"ar-br\" (61:72:2d:62:72)\n"));
	assert_non_null(strstr(r->out, "remote-id    00:06:02:00\n"));
	assert_non_null(strstr(r->out, "vlan         100, inner 20 (QinQ)\n"));
	assert_non_null(strstr(r->out, "ends "));
	r = ctl("lease red 10.0.0.9");
	assert_non_null(strstr(r->out, "state        released\n"));
	assert_non_null(strstr(r->out, "ended "));
	assert_non_null(strstr(r->out, "ago)"));
	expect_json(
	    "lease red 10.0.0.2 --json",
	    "d['giaddr'] == '10.9.0.1' and d['circuit_id'] == '61:72:2d:62:72' and "
	    "d['vlan_outer'] == 100 and d['vlan_inner'] == 20 and d['outside_pools'] is False");
	expect_json("lease --json blue 10.0.0.5", "d['hostname'] == 'Laptop'");
	expect_fail(1, "has no lease on 10.0.0.7", "lease red 10.0.0.7");
	expect_fail(1, "unknown tenant 'green'", "lease green 10.0.0.1");
	expect_fail(2, "not an IPv4 address", "lease red 10.0.0");
	expect_fail(2, "takes a tenant and an address", "lease red");
	expect_fail(2, "takes a tenant and an address", "lease red 10.0.0.1 extra");
}

static void test_check(void **state)
{
	char bad[LEASE_TEST_PATH_MAX + 32];
	struct run *r;

	(void)state;
	r = ctl("check");
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "configuration OK (2 tenants)"));
	r = ctl("check -c '%s'", conf);
	assert_int_equal(r->code, 0);

	/* The metrics setting: a good one passes, a bad one names the file, line and setting. */
	snprintf(bad, sizeof(bad), "%s/bad.conf", dir.dir);
	char text[2048];

	snprintf(text, sizeof(text), "%smetrics = { listen = \"[::1]:9167\"; };\n", service_text);
	write_file(bad, text);
	r = ctl("check -c '%s'", bad);
	assert_int_equal(r->code, 0);
	snprintf(text, sizeof(text), "%smetrics = { listen = \"127.0.0.1\"; };\n", service_text);
	write_file(bad, text);
	r = ctl("check -c '%s'", bad);
	assert_int_equal(r->code, 1);
	assert_non_null(strstr(r->err, "bad.conf:8: metrics.listen: \"127.0.0.1\" is not"));
	snprintf(text, sizeof(text), "%smetrics = { listen = \"127.0.0.1:99999\"; };\n",
	         service_text);
	write_file(bad, text);
	assert_int_equal(ctl("check -c '%s'", bad)->code, 1);
	snprintf(text, sizeof(text), "%smetrics = { port = 9167; };\n", service_text);
	write_file(bad, text);
	r = ctl("check -c '%s'", bad);
	assert_int_equal(r->code, 1);
	assert_non_null(strstr(r->err, "metrics.port"));
	assert_non_null(strstr(r->err, "metrics.listen"));
	r = ctl("check -c /nonexistent.conf");
	assert_int_equal(r->code, 1);
	assert_non_null(strstr(r->err, "/nonexistent.conf"));
	expect_fail(2, "unexpected argument", "check extra");
}

static void test_tenants_without_daemon(void **state)
{
	struct run *r;

	(void)state;
	/* No daemon on ctl.sock: the view comes from the files, with a note on stderr. */
	r = ctl("tenants");
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->err, "not running"));
	assert_non_null(strstr(r->err, "configuration files and the lease database instead"));
	assert_non_null(strstr(r->out, "TENANT"));
	assert_non_null(strstr(r->out, "relay 10.9.0.1"));
	assert_non_null(strstr(r->out, "vlan uplink:100"));
	assert_non_null(strstr(r->out, "3/50 (6.0%)"));
	assert_non_null(strstr(r->out, "1/10 (10.0%)"));
	r = ctl("tenants --offline");
	assert_int_equal(r->code, 0);
	assert_string_equal(r->err, "");
	expect_json("tenants --offline --json",
	            "d['source'] == 'configuration' and [t['name'] for t in d['tenants']] =="
	            " ['blue', 'red'] and d['tenants'][1]['pool'] == {'size': 50, 'used': 3,"
	            " 'use_percent': 6.0, 'active_leases': 3}");
	expect_json("tenants --offline --json --tenant blue",
	            "len(d['tenants']) == 1 and d['tenants'][0]['server_address'] == '10.0.0.254'");
	expect_fail(1, "unknown tenant 'green'", "tenants --offline --tenant green");
}

static void test_live_without_daemon(void **state)
{
	(void)state;
	expect_fail(3, "not running", "status");
	expect_fail(3, "not running", "stats");
	expect_fail(3, "not running", "stats --tenant red");
	expect_fail(3, "not running", "release red 10.0.0.1");
	expect_fail(3, "not running", "reload");
	expect_fail(3, "not running", "--socket /nonexistent/x.sock status");
	/* Usage is checked before the daemon is asked. */
	expect_fail(2, "not an IPv4 address", "release red 10.0.0");
	expect_fail(2, "takes a tenant and an address", "release red");
	expect_fail(2, "unexpected argument", "status now");
	expect_fail(2, "unknown option", "reload --force");
	expect_fail(2, "unexpected argument", "stats red");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_help_lists_commands),
	    cmocka_unit_test(test_leases_filters),
	    cmocka_unit_test(test_leases_usage),
	    cmocka_unit_test(test_lease),
	    cmocka_unit_test(test_check),
	    cmocka_unit_test(test_tenants_without_daemon),
	    cmocka_unit_test(test_live_without_daemon),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH_TO_MTDHCPCTL\n", argv[0]);
		return 2;
	}
	ctl_bin = argv[1];
	return cmocka_run_group_tests(tests, setup, teardown);
}
