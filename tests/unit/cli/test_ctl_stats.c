/*
 * mtdhcpctl stats (ctl_stats.c) against the real control-socket server over a made-up
 * daemon (ctl_testutil.c) running in a thread: the lcore table (tenants, frames, busy
 * share, hand-offs) and the cycles per frame by stage, "-" for an lcore without frames,
 * the same numbers in --json, and no lcores for one tenant.
 */
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/ctl.h"
#include "ctl_testutil.h"

static struct ctl_fake fake;
static struct ctl_server *srv;
static pthread_t thread;
static atomic_bool stop;
static char dir[64], sock[100], outfile[128];

/*
 * The usage printer lives in mtdhcpctl.c with the command table, which this test does not
 * link; stats calls it only for --help.
 */
int ctl_command_help(const char *name)
{
	printf("usage of %s\n", name);
	return CTL_EXIT_OK;
}

static void *serve(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		struct pollfd p = {.fd = ctl_server_fd(srv), .events = POLLIN};

		if (poll(&p, 1, 20) > 0)
			ctl_server_run(srv);
	}
	return NULL;
}

static int setup(void **state)
{
	char err[256];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_ctl_stats.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	snprintf(outfile, sizeof(outfile), "%s/out", dir);
	ctl_fake_init(&fake, true);
	srv = ctl_server_open(sock, ctl_commands_table(&fake.backend), err, sizeof(err));
	if (srv == NULL)
		fail_msg("%s", err);
	atomic_store(&stop, false);
	assert_int_equal(pthread_create(&thread, NULL, serve, NULL), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	atomic_store(&stop, true);
	pthread_join(thread, NULL);
	ctl_server_close(srv);
	ctl_fake_free(&fake);
	unlink(outfile);
	rmdir(dir);
	return 0;
}

/*
 * Runs `mtdhcpctl stats ARGS...` against the server with stdout in a file; returns its
 * exit code and its output (malloc'd) with every run of spaces squeezed to one, so that
 * a table row reads as its cells joined by single spaces.
 */
static int run_stats(char **text, int argc, ...)
{
	struct ctl_ctx ctx = {.socket_path = sock};
	char *argv[8] = {"stats"};
	va_list ap;
	int fd, saved, rc;

	assert_true(argc < 8);
	va_start(ap, argc);
	for (int i = 1; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	fflush(stdout);
	fd = open(outfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	close(fd);
	optind = 0; /* glibc: start getopt afresh */
	rc = ctl_stats_run(&ctx, argc, argv);
	fflush(stdout);
	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);

	FILE *f = fopen(outfile, "r");
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	int c, prev = 0;

	assert_non_null(f);
	assert_non_null(buf);
	while ((c = fgetc(f)) != EOF && n + 1 < cap) {
		if (c == ' ' && prev == ' ')
			continue;
		buf[n++] = (char)c;
		prev = c;
	}
	buf[n] = '\0';
	fclose(f);
	*text = buf;
	return rc;
}

/* True when @text has the line @line exactly. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	}
	return false;
}

static void expect_line(const char *text, const char *line)
{
	if (!has_line(text, line))
		fail_msg("no line \"%s\" in:\n%s", line, text);
}

static void test_table(void **state)
{
	char *out = NULL;

	(void)state;
	assert_int_equal(run_stats(&out, 1), CTL_EXIT_OK);
	/* The lcores: index, EAL id, tenants owned, frames, busy share, hand-offs, yields. */
	expect_line(out, "INDEX LCORE TENANTS FRAMES BUSY HANDOFF-OUT HANDOFF-IN HANDOFF-FULL "
	                 "YIELDS");
	expect_line(out, "0 0 1 200000 25.0% 50000 10000 3 7");
	expect_line(out, "1 3 1 0 0.0% 0 0 0 0");
	/* Cycles per frame by stage, in the daemon's order, and the whole loop's. */
	expect_line(out, "TSC cycles per frame, by stage (TSC at 2000 MHz):");
	expect_line(out, "INDEX RX PARSE CLASSIFY HANDOFF ENGINE COMPLETION TX TOTAL");
	expect_line(out, "0 400 75 250 50 1500 100 0 5000");
	expect_line(out, "1 - - - - - - - -");
	/* The tables come after the ports. */
	assert_true(strstr(out, "INDEX LCORE") > strstr(out, "PORT ADDRESS"));
	free(out);

	/* Numbers that move are shown as they are now; no frequency before the lcore runs. */
	fake.lcores[1].frames = 10;
	fake.lcores[1].busy_cycles = 40000;
	fake.lcores[1].stages[4].cycles = 30000;
	fake.lcores[0].tsc_hz = 0;
	assert_int_equal(run_stats(&out, 1), CTL_EXIT_OK);
	expect_line(out, "TSC cycles per frame, by stage:");
	expect_line(out, "1 3 1 10 0.0% 0 0 0 0");
	expect_line(out, "1 0 0 0 0 3000 0 0 4000");
	free(out);
}

static void test_json_and_tenant(void **state)
{
	char *out = NULL;
	json_error_t jerr;
	json_t *v;

	(void)state;
	assert_int_equal(run_stats(&out, 2, "--json"), CTL_EXIT_OK);
	v = json_loads(out, 0, &jerr);
	if (v == NULL)
		fail_msg("not JSON: %s\n%s", jerr.text, out);
	const json_t *l = json_array_get(json_object_get(v, "lcores"), 0);

	assert_int_equal(json_array_size(json_object_get(v, "lcores")), 2);
	assert_int_equal(json_integer_value(json_object_get(l, "handoff_out")), 50000);
	assert_true(
	    json_real_value(json_object_get(json_object_get(json_object_get(l, "stages"), "engine"),
	                                    "cycles_per_frame")) == 1500.0);
	json_decref(v);
	free(out);

	/*
	 * One tenant: its counters only, no lcore table; the pool's figures once, from "pool",
	 * not again from the gauges the counters carry (refreshed only once a second).
	 */
	assert_int_equal(run_stats(&out, 3, "--tenant", "acme"), CTL_EXIT_OK);
	assert_non_null(strstr(out, "rx_discover"));
	assert_non_null(strstr(out, "active_leases"));
	assert_null(strstr(out, "leases_active"));
	assert_null(strstr(out, "pool_used"));
	assert_null(strstr(out, "pool_size"));
	assert_null(strstr(out, "INDEX"));
	assert_null(strstr(out, "cycles"));
	free(out);
}

/* A daemon that shows no lcores: the summary has no lcore tables. */
static void test_no_lcores(void **state)
{
	char *out = NULL;

	(void)state;
	fake.n_lcores = 0;
	assert_int_equal(run_stats(&out, 1), CTL_EXIT_OK);
	assert_non_null(strstr(out, "PORT ADDRESS"));
	assert_null(strstr(out, "INDEX"));
	assert_null(strstr(out, "by stage"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_table, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_json_and_tenant, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_lcores, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
