/*
 * mtdhcpctl history, run as a program on a database whose history the lease store wrote:
 * the table, the JSON (checked by Python's parser), "who held it at TIME" in each time
 * form, the note about pruned events, and the usage and runtime errors with their exit
 * codes. The binary's path is the first argument. Times print in UTC (TZ=UTC).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lease-store/lease_store.h"
#include "lease_test_util.h"

#define PYTHON "/usr/bin/python3"
/* 2096-10-02T07:06:40Z: far ahead of the real clock, so no sweep touches these leases. */
#define B INT64_C(4000000000)

static const char *ctl_bin;
static struct lease_test_dir dir;

struct run {
	int code;
	char out[16384];
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

/* Runs "TZ=UTC mtdhcpctl --db DB history @args" through the shell (trusted test text). */
static void run_history(struct run *r, const char *args)
{
	char cmd[2048], out[LEASE_TEST_PATH_MAX + 16], err[LEASE_TEST_PATH_MAX + 16];

	snprintf(out, sizeof(out), "%s/out", dir.dir);
	snprintf(err, sizeof(err), "%s/err", dir.dir);
	snprintf(cmd, sizeof(cmd), "TZ=UTC '%s' --db '%s' history %s >'%s' 2>'%s'", ctl_bin, dir.db,
	         args, out, err);
	int st = system(cmd);

	assert_true(WIFEXITED(st));
	r->code = WEXITSTATUS(st);
	slurp(out, r->out, sizeof(r->out));
	slurp(err, r->err, sizeof(r->err));
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static struct lease_change change(enum lease_op op, uint32_t tenant, uint32_t addr, uint8_t who,
                                  int64_t t, int64_t len)
{
	struct lease_change ch = lease_test_change(op, tenant, addr, t + len);

	ch.rec.start_time = t;
	ch.rec.cltt = t;
	ch.rec.hwaddr[4] = who;
	ch.rec.hwaddr[5] = 0x01;
	if (op != LEASE_OP_BIND && op != LEASE_OP_RENEW)
		ch.rec.end_time = t;
	return ch;
}

/*
 * acme 10.0.0.20: 02:00:00:00:11:01 from B (hostname "laptop\x1b", relay 192.168.1.1,
 * circuit "eth0"), renewed at B+1800, released at B+2000; 02:00:00:00:22:01 from B+3000
 * until B+6600. acme 10.0.0.21: 02:00:00:00:11:01 from B+100 for an hour.
 */
static int setup(void **state)
{
	struct lease_store_params p;
	struct lease_store *s;
	uint32_t acme;

	(void)state;
	lease_test_dir_make(&dir);
	p = lease_test_params(dir.db);
	s = lease_test_open(&p);
	assert_int_equal(lease_store_tenant_id(s, "acme", &acme), 0);
	struct lease_change ch[] = {
	    change(LEASE_OP_BIND, acme, 0x0a000014, 0x11, B, 3600),
	    change(LEASE_OP_BIND, acme, 0x0a000015, 0x11, B + 100, 3600),
	    change(LEASE_OP_RENEW, acme, 0x0a000014, 0x11, B + 1800, 3600),
	    change(LEASE_OP_RELEASE, acme, 0x0a000014, 0x11, B + 2000, 0),
	    change(LEASE_OP_BIND, acme, 0x0a000014, 0x22, B + 3000, 3600),
	};

	for (int i = 0; i < 3; i += 2) {
		memcpy(ch[i].rec.hostname, "laptop\x1b", 7);
		ch[i].rec.hostname_len = 7;
		ch[i].rec.giaddr = 0xc0a80101;
		memcpy(ch[i].rec.circuit_id, "eth0", 4);
		ch[i].rec.circuit_id_len = 4;
	}
	assert_int_equal(lease_store_start(s), 0);
	lease_test_commit(s, ch, sizeof(ch) / sizeof(ch[0]));
	lease_store_close(s);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	lease_test_dir_remove(&dir);
	return 0;
}

static void test_table(void **state)
{
	struct run *r = malloc(sizeof(*r));

	(void)state;
	run_history(r, "--tenant acme --ip 10.0.0.20");
	assert_int_equal(r->code, 0);
	assert_string_equal(r->err, "");
	/* A header and four events, oldest first. */
	assert_int_equal(count_lines(r->out), 5);
	assert_true(strncmp(r->out, "TIME", 4) == 0);
	const char *bind = strstr(r->out, "\n2096-10-02T07:06:40+00:00  bind ");
	const char *renew = strstr(r->out, "\n2096-10-02T07:36:40+00:00  renew ");
	const char *release = strstr(r->out, "\n2096-10-02T07:40:00+00:00  release ");
	const char *rebind = strstr(r->out, "\n2096-10-02T07:56:40+00:00  bind ");

	assert_true(bind != NULL && renew > bind && release > renew && rebind > release);
	/* The release names the client and relay of the binding it ended. */
	assert_non_null(strstr(release, "02:00:00:00:11:01"));
	assert_non_null(strstr(release, "192.168.1.1"));
	assert_non_null(strstr(release, "eth0"));
	assert_non_null(strstr(rebind, "02:00:00:00:22:01"));
	/* The client's hostname is shown escaped. */
	assert_null(strchr(r->out, '\x1b'));
	assert_non_null(strstr(bind, "laptop\\x1b"));
	free(r);
}

static void test_at_each_time_form(void **state)
{
	/* B+1900 = 2096-10-02T07:38:20Z: 02:00:00:00:11:01 holds 10.0.0.20 (renewed). */
	static const char *const forms[] = {
	    "@4000001900",
	    "2096-10-02T07:38:20Z",
	    "2096-10-02T09:38:20+02:00",
	    "2096-10-02T02:38:20-0500",
	    "'2096-10-02 07:38:20'", /* local time, and TZ is UTC */
	};
	struct run *r = malloc(sizeof(*r));
	char args[256];

	(void)state;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		snprintf(args, sizeof(args), "--tenant acme --ip 10.0.0.20 --at %s", forms[i]);
		run_history(r, args);
		if (r->code != 0)
			fail_msg("%s: exit %d: %s", forms[i], r->code, r->err);
		assert_int_equal(count_lines(r->out), 2);
		assert_non_null(strstr(r->out, " renew "));
		assert_non_null(strstr(r->out, "02:00:00:00:11:01"));
	}
	/* After the release, nobody; said in words, and still a success. */
	run_history(r, "--tenant acme --ip 10.0.0.20 --at 2096-10-02T07:45Z");
	assert_int_equal(r->code, 0);
	assert_string_equal(r->out,
	                    "nobody held 10.0.0.20 in tenant acme at 2096-10-02T07:45:00+00:00\n");
	/* By MAC: both of its addresses at B+150, none after the release and the hour. */
	run_history(r, "--tenant acme --mac 02:00:00:00:11:01 --at @4000000150");
	assert_int_equal(r->code, 0);
	assert_int_equal(count_lines(r->out), 3);
	assert_non_null(strstr(r->out, "10.0.0.20"));
	assert_non_null(strstr(r->out, "10.0.0.21"));
	run_history(r, "--tenant acme --mac 020000001101 --at @4000004000");
	assert_int_equal(r->code, 0);
	assert_string_equal(r->out, "02:00:00:00:11:01 held no address in tenant acme at"
	                            " 2096-10-02T08:13:20+00:00\n");
	free(r);
}

static void test_json(void **state)
{
	char cmd[4096];
	int st;

	(void)state;
	snprintf(
	    cmd, sizeof(cmd),
	    "TZ=UTC '%s' --db '%s' history --tenant acme --ip 10.0.0.20 --json | " PYTHON " -c '"
	    "import json, sys\n"
	    "d = json.load(sys.stdin)\n"
	    "assert [x[\"event\"] for x in d] == [\"bind\", \"renew\", \"release\", \"bind\"], d\n"
	    "assert [x[\"time\"] for x in d] == [4000000000, 4000001800, 4000002000,"
	    " 4000003000], d\n"
	    "assert d[0][\"time_iso\"] == \"2096-10-02T07:06:40+00:00\", d[0]\n"
	    "assert all(x[\"tenant\"] == \"acme\" and x[\"address\"] == \"10.0.0.20\""
	    " for x in d)\n"
	    "assert d[2][\"hwaddr\"] == \"02:00:00:00:11:01\" and d[2][\"state\"] =="
	    " \"released\", d[2]\n"
	    "assert d[2][\"giaddr\"] == \"192.168.1.1\" and d[2][\"end_time\"] == 4000002000\n"
	    "assert d[0][\"hostname\"] == \"laptop\\x1b\" and d[0][\"circuit_id\"] =="
	    " \"65:74:68:30\", d[0]\n"
	    "assert d[3][\"hwaddr\"] == \"02:00:00:00:22:01\" and d[3][\"giaddr\"] is None\n"
	    "'",
	    ctl_bin, dir.db);
	st = system(cmd);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);

	/* Nobody at that time: an empty array, not a sentence. */
	snprintf(
	    cmd, sizeof(cmd),
	    "'%s' --db '%s' history --tenant acme --ip 10.0.0.20 --at @4000002500 --json | " PYTHON
	    " -c 'import json, sys; assert json.load(sys.stdin) == []'",
	    ctl_bin, dir.db);
	st = system(cmd);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_pruned_history_is_noted(void **state)
{
	struct run *r = malloc(sizeof(*r));

	(void)state;
	lease_test_sql_exec(dir.db, "UPDATE lease_events_pruned SET cutoff = 4000005000");
	/* A question about a time before the cutoff gets its answer and a note. */
	run_history(r, "--tenant acme --ip 10.0.0.20 --at @4000001900");
	assert_int_equal(r->code, 0);
	assert_int_equal(count_lines(r->out), 2);
	assert_int_equal(count_lines(r->err), 1);
	assert_non_null(strstr(r->err, "mtdhcpctl: note: events before 2096-10-02T08:30:00+00:00"
	                               " have been pruned"));
	assert_non_null(strstr(r->err, "may be incomplete"));
	/* One after it, none. */
	run_history(r, "--tenant acme --ip 10.0.0.20 --at @4000006000");
	assert_int_equal(r->code, 0);
	assert_string_equal(r->err, "");
	lease_test_sql_exec(dir.db, "UPDATE lease_events_pruned SET cutoff = 0");
	free(r);
}

/* Runs a failing command and checks its exit code and its one line on stderr. */
static void expect_failure(const char *args, int code, const char *needle)
{
	struct run *r = malloc(sizeof(*r));

	run_history(r, args);
	if (r->code != code)
		fail_msg("history %s: exit %d, wanted %d (stderr: %s)", args, r->code, code,
		         r->err);
	assert_int_equal(count_lines(r->err), 1);
	if (strstr(r->err, needle) == NULL)
		fail_msg("history %s: stderr '%s' lacks '%s'", args, r->err, needle);
	assert_string_equal(r->out, "");
	free(r);
}

static void test_errors(void **state)
{
	(void)state;
	expect_failure("--ip 10.0.0.20", 2, "--tenant is required");
	expect_failure("--tenant acme", 2, "either --ip or --mac");
	expect_failure("--tenant acme --ip 10.0.0.20 --mac 02:00:00:00:11:01", 2,
	               "either --ip or --mac");
	expect_failure("--tenant acme --ip 10.0.0.300", 2, "not an IPv4 address");
	expect_failure("--tenant acme --mac zz:zz", 2, "not a hardware address");
	expect_failure("--tenant acme --ip 10.0.0.20 --at yesterday", 2, "not a time");
	expect_failure("--tenant acme --ip 10.0.0.20 --at 2096-02-30T10:00", 2, "not a time");
	expect_failure("--tenant acme --ip 10.0.0.20 --at 2096-10-02T25:00", 2, "not a time");
	expect_failure("--tenant acme --ip 10.0.0.20 extra", 2, "unexpected argument");
	expect_failure("--tenant acme --ip 10.0.0.20 --bogus", 2, "unknown option");
	expect_failure("--tenant nosuch --ip 10.0.0.20", 1, "unknown tenant 'nosuch'");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),  cmocka_unit_test(test_at_each_time_form),
	    cmocka_unit_test(test_json),   cmocka_unit_test(test_pruned_history_is_noted),
	    cmocka_unit_test(test_errors),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH_TO_MTDHCPCTL\n", argv[0]);
		return 2;
	}
	ctl_bin = argv[1];
	return cmocka_run_group_tests_name("ctl_history", tests, setup, teardown);
}
