/*
 * mtdhcpctl, run as a program on a database prepared through the lease store: the table,
 * the JSON (checked by Python's parser), the filters, the service-file lookup, and the
 * exit codes with their one-line messages. The binary's path is the first argument.
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "lease-store/lease_store.h"
#include "lease_test_util.h"

#define PYTHON "/usr/bin/python3"

static const char *ctl_bin;
static struct lease_test_dir dir;

/* The result of one run: exit code, stdout and stderr. */
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

/* Runs "@env mtdhcpctl @args" through the shell; @args are trusted test text. */
static void run_ctl(struct run *r, const char *env, const char *args)
{
	char cmd[2048], out[LEASE_TEST_PATH_MAX + 16], err[LEASE_TEST_PATH_MAX + 16];

	snprintf(out, sizeof(out), "%s/out", dir.dir);
	snprintf(err, sizeof(err), "%s/err", dir.dir);
	snprintf(cmd, sizeof(cmd), "%s '%s' %s >'%s' 2>'%s'", env ? env : "", ctl_bin, args, out,
	         err);
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

/* Runs a failing command and checks its code and its single line on stderr. */
static void expect_failure(const char *env, const char *args, int code, const char *needle)
{
	struct run *r = malloc(sizeof(*r));

	run_ctl(r, env, args);
	if (r->code != code)
		fail_msg("mtdhcpctl %s: exit %d, wanted %d (stderr: %s)", args, r->code, code,
		         r->err);
	assert_int_equal(count_lines(r->err), 1);
	assert_true(strncmp(r->err, "mtdhcpctl: ", 11) == 0);
	if (strstr(r->err, needle) == NULL)
		fail_msg("mtdhcpctl %s: stderr '%s' lacks '%s'", args, r->err, needle);
	assert_string_equal(r->out, "");
	free(r);
}

/*
 * Two tenants with the same address 10.0.0.5; "red" also has a released 10.0.0.7 and a
 * client whose hostname tries terminal escapes and is not UTF-8.
 */
static int setup(void **state)
{
	struct lease_store_params p;
	struct lease_completion done[4];
	struct lease_store *s;
	uint32_t red, blue;
	int64_t now = time(NULL);

	(void)state;
	lease_test_dir_make(&dir);
	p = lease_test_params(dir.db);
	s = lease_test_open(&p);
	assert_int_equal(lease_store_tenant_id(s, "red", &red), 0);
	assert_int_equal(lease_store_tenant_id(s, "blue", &blue), 0);
	struct lease_change ch[4] = {{.op = LEASE_OP_BIND},
	                             {.op = LEASE_OP_BIND},
	                             {.op = LEASE_OP_BIND},
	                             {.op = LEASE_OP_RELEASE}};

	lease_test_record(&ch[0].rec, red, 0x0a000005, now + 3600);
	memcpy(ch[0].rec.hostname, "ev\"il\n\x1b[31m\xff", 12);
	ch[0].rec.hostname_len = 12;
	lease_test_record(&ch[1].rec, blue, 0x0a000005, now + 7200);
	memcpy(ch[1].rec.hostname, "blue-laptop", 11);
	ch[1].rec.hostname_len = 11;
	memcpy(ch[1].rec.client_id, "\x01\x02\x00\x00\x00\x05\x01", 7);
	ch[1].rec.client_id_len = 7;
	lease_test_record(&ch[2].rec, red, 0x0a000007, now + 3600);
	ch[3].rec = ch[2].rec;
	ch[3].rec.end_time = now - 5;
	assert_int_equal(lease_store_start(s), 0);
	for (int i = 0; i < 4; i++) {
		ch[i].cookie = (uint32_t)i;
		assert_int_equal(lease_store_submit(s, &ch[i]), 0);
	}
	assert_int_equal(lease_test_poll(s, 0, done, 4, 5000), 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(done[i].status, 0);
	lease_store_close(s);
	return 0;
}

static int teardown(void **state)
{
	char p[LEASE_TEST_PATH_MAX + 32];

	(void)state;
	snprintf(p, sizeof(p), "%s/mtdhcpd.conf", dir.dir);
	unlink(p);
	lease_test_dir_remove(&dir);
	return 0;
}

/* The line of @text that starts with @prefix, copied into @line. */
static bool find_line(const char *text, const char *prefix, const char *contains, char *line,
                      size_t len)
{
	for (const char *s = text; *s != '\0';) {
		const char *e = strchr(s, '\n');
		size_t n = e != NULL ? (size_t)(e - s) : strlen(s);

		if (strncmp(s, prefix, strlen(prefix)) == 0 && n < len) {
			memcpy(line, s, n);
			line[n] = '\0';
			if (strstr(line, contains) != NULL)
				return true;
		}
		s += n + (e != NULL);
	}
	return false;
}

static void test_table_lists_both_tenants(void **state)
{
	struct run *r = malloc(sizeof(*r));
	char args[LEASE_TEST_PATH_MAX + 64], header[256], red[512], blue[512];

	(void)state;
	snprintf(args, sizeof(args), "--db '%s' leases", dir.db);
	run_ctl(r, NULL, args);
	assert_int_equal(r->code, 0);
	assert_string_equal(r->err, "");
	/* Header, then three rows sorted by tenant name (blue before red). */
	assert_int_equal(count_lines(r->out), 4);
	assert_true(find_line(r->out, "TENANT", "EXPIRES", header, sizeof(header)));
	assert_true(strstr(r->out, "TENANT") == r->out);
	assert_true(find_line(r->out, "blue ", "10.0.0.5", blue, sizeof(blue)));
	assert_true(find_line(r->out, "red ", "10.0.0.5", red, sizeof(red)));
	assert_true(strstr(r->out, "blue ") < strstr(r->out, "red "));
	static const char *const columns[] = {"TENANT",   "ADDRESS", "HWADDR", "CLIENT-ID",
	                                      "HOSTNAME", "STATE",   "EXPIRES"};
	const char *prev = header;

	for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++) {
		const char *c = strstr(header, columns[i]);

		assert_non_null(c);
		assert_true(c >= prev);
		prev = c;
	}
	/* Aligned: each value starts where its column's title does. */
	size_t addr_col = (size_t)(strstr(header, "ADDRESS") - header);
	size_t state_col = (size_t)(strstr(header, "STATE") - header);
	size_t host_col = (size_t)(strstr(header, "HOSTNAME") - header);

	assert_int_equal(strstr(blue, "10.0.0.5") - blue, addr_col);
	assert_int_equal(strstr(red, "10.0.0.5") - red, addr_col);
	assert_int_equal(strstr(blue, "active") - blue, state_col);
	assert_int_equal(strstr(red, "active") - red, state_col);
	assert_int_equal(strstr(blue, "blue-laptop") - blue, host_col);
	assert_non_null(strstr(blue, "01:02:00:00:00:05:01"));
	assert_non_null(strstr(blue, "02:00:00:00:00:05"));
	/* The hostile hostname is shown escaped, never raw. */
	assert_null(strchr(r->out, '\x1b'));
	assert_non_null(strstr(red, "ev\"il\\x0a\\x1b[31m\\xff"));
	/* Active leases show when they end; the released one has. */
	assert_non_null(strstr(blue, "T"));
	assert_true(find_line(r->out, "red ", "10.0.0.7", red, sizeof(red)));
	assert_non_null(strstr(red, "released"));
	assert_non_null(strstr(red, "expired"));
	free(r);
}

static void test_json_parses(void **state)
{
	char cmd[4096];
	int st;

	(void)state;
	/* Python checks the structure and the values; its exit status is the verdict. */
	snprintf(
	    cmd, sizeof(cmd),
	    "'%s' --db '%s' leases --json | " PYTHON " -c '"
	    "import json, re, sys\n"
	    "d = json.load(sys.stdin)\n"
	    "assert isinstance(d, list) and len(d) == 3, d\n"
	    "assert [(x[\"tenant\"], x[\"address\"]) for x in d] == "
	    "[(\"blue\", \"10.0.0.5\"), (\"red\", \"10.0.0.5\"), (\"red\", \"10.0.0.7\")], d\n"
	    "assert d[0][\"client_id\"] == \"01:02:00:00:00:05:01\"\n"
	    "assert d[0][\"hostname\"] == \"blue-laptop\"\n"
	    "assert d[1][\"hostname\"] == \"ev\\\"il\\n\\x1b[31m\\ufffd\", d[1]\n"
	    "assert d[1][\"client_id\"] is None and d[1][\"giaddr\"] is None\n"
	    "assert d[1][\"hwaddr\"] == \"02:00:00:00:00:05\"\n"
	    "assert d[2][\"state\"] == \"released\" and d[2][\"expired\"] is True\n"
	    "assert d[2][\"expires\"] is None\n"
	    "assert re.fullmatch(r\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d[+-]\\d\\d:\\d\\d\","
	    " d[0][\"expires\"]), d[0]\n"
	    "assert d[0][\"end_time\"] > d[0][\"start_time\"]\n"
	    "'",
	    ctl_bin, dir.db);
	st = system(cmd);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);

	/* An empty result is still an array. */
	snprintf(cmd, sizeof(cmd),
	         "'%s' --db '%s' leases --json --state declined | " PYTHON
	         " -c 'import json, sys; assert json.load(sys.stdin) == []'",
	         ctl_bin, dir.db);
	st = system(cmd);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_filters(void **state)
{
	struct run *r = malloc(sizeof(*r));
	char args[LEASE_TEST_PATH_MAX + 64];

	(void)state;
	snprintf(args, sizeof(args), "--db '%s' leases --tenant red", dir.db);
	run_ctl(r, NULL, args);
	assert_int_equal(r->code, 0);
	assert_int_equal(count_lines(r->out), 3);
	assert_null(strstr(r->out, "blue"));

	snprintf(args, sizeof(args), "--db '%s' leases -s released", dir.db);
	run_ctl(r, NULL, args);
	assert_int_equal(r->code, 0);
	assert_int_equal(count_lines(r->out), 2);
	assert_non_null(strstr(r->out, "10.0.0.7"));

	snprintf(args, sizeof(args), "--db '%s' leases --tenant blue --state released", dir.db);
	run_ctl(r, NULL, args);
	assert_int_equal(r->code, 0);
	assert_int_equal(count_lines(r->out), 1); /* the header alone */
	free(r);
}

static void test_service_file_locates_database(void **state)
{
	struct run *r = malloc(sizeof(*r));
	char conf[LEASE_TEST_PATH_MAX + 32], args[LEASE_TEST_PATH_MAX + 64];
	char env[LEASE_TEST_PATH_MAX + 64];
	FILE *fp;

	(void)state;
	/* A relative lease_db.path is taken from the service file's directory. */
	snprintf(conf, sizeof(conf), "%s/mtdhcpd.conf", dir.dir);
	fp = fopen(conf, "w");
	assert_non_null(fp);
	fputs("lease_db = {\n  path = \"leases.db\";\n};\n", fp);
	fclose(fp);

	snprintf(args, sizeof(args), "-c '%s' leases --tenant blue", conf);
	run_ctl(r, "cd / &&", args);
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "blue-laptop"));

	snprintf(env, sizeof(env), "cd / && MTDHCP_CONF='%s'", conf);
	run_ctl(r, env, "leases");
	assert_int_equal(r->code, 0);
	assert_int_equal(count_lines(r->out), 4);
	free(r);

	expect_failure("MTDHCP_CONF=/nonexistent/mtdhcpd.conf", "leases", 1,
	               "/nonexistent/mtdhcpd.conf");
}

static void test_usage_errors_exit_2(void **state)
{
	char args[LEASE_TEST_PATH_MAX + 64];

	(void)state;
	expect_failure(NULL, "--bogus leases", 2, "unknown option '--bogus'");
	expect_failure(NULL, "", 2, "no command");
	expect_failure(NULL, "frobnicate", 2, "unknown command 'frobnicate'");
	expect_failure(NULL, "-c /x --db /y leases", 2, "exclude");
	expect_failure(NULL, "--db", 2, "needs an argument");
	snprintf(args, sizeof(args), "--db '%s' leases --bogus", dir.db);
	expect_failure(NULL, args, 2, "unknown option '--bogus'");
	snprintf(args, sizeof(args), "--db '%s' leases --state sleepy", dir.db);
	expect_failure(NULL, args, 2, "unknown state 'sleepy'");
	snprintf(args, sizeof(args), "--db '%s' leases extra", dir.db);
	expect_failure(NULL, args, 2, "unexpected argument 'extra'");
}

static void test_runtime_errors_exit_1(void **state)
{
	char args[LEASE_TEST_PATH_MAX + 64];

	(void)state;
	snprintf(args, sizeof(args), "--db '%s/missing.db' leases", dir.dir);
	expect_failure(NULL, args, 1, "No such file or directory");
	snprintf(args, sizeof(args), "--db '%s' leases --tenant green", dir.db);
	expect_failure(NULL, args, 1, "unknown tenant 'green'");
	snprintf(args, sizeof(args), "--db '%s' leases", dir.dir);
	expect_failure(NULL, args, 1, "not a regular file");
}

static void test_help(void **state)
{
	struct run *r = malloc(sizeof(*r));

	(void)state;
	run_ctl(r, NULL, "--help");
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "usage: mtdhcpctl"));
	assert_non_null(strstr(r->out, "leases"));
	run_ctl(r, NULL, "help");
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "commands:"));
	run_ctl(r, NULL, "help leases");
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "--tenant NAME"));
	run_ctl(r, NULL, "leases --help");
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "--state STATE"));
	assert_string_equal(r->err, "");
	free(r);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_lists_both_tenants),
	    cmocka_unit_test(test_json_parses),
	    cmocka_unit_test(test_filters),
	    cmocka_unit_test(test_service_file_locates_database),
	    cmocka_unit_test(test_usage_errors_exit_2),
	    cmocka_unit_test(test_runtime_errors_exit_1),
	    cmocka_unit_test(test_help),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH_TO_MTDHCPCTL\n", argv[0]);
		return 2;
	}
	ctl_bin = argv[1];
	return cmocka_run_group_tests_name("mtdhcpctl", tests, setup, teardown);
}
