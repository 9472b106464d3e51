/*
 * mtdhcpctl's protocol client (ctl_client.c) against the real control-socket server
 * (ctl_server.c with the daemon's command table over a made-up daemon) running in a thread:
 * results come back, the daemon's errors become exit code 1 with its message, an absent
 * daemon exit code 3, and the socket is found through the service file.
 */
#include <errno.h>
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
static char dir[64], sock[100], conf[128];

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
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_ctl_client.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	snprintf(conf, sizeof(conf), "%s/mtdhcpd.conf", dir);
	/* Only control_socket is read from it, relative to the file's directory. */
	f = fopen(conf, "w");
	assert_non_null(f);
	fputs("control_socket = \"ctl.sock\";\n", f);
	fclose(f);
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
	unlink(conf);
	rmdir(dir);
	return 0;
}

static void test_call_ok(void **state)
{
	struct ctl_ctx ctx = {.socket_path = sock};
	json_t *req = json_pack("{s:s}", "cmd", "ping"), *res = NULL;

	(void)state;
	assert_int_equal(ctl_call(&ctx, req, &res, NULL), CTL_EXIT_OK);
	assert_string_equal(json_string_value(json_object_get(res, "version")), "9.8.7");
	json_decref(res);
	/* The same through the service file's control_socket. */
	ctx = (struct ctl_ctx){.service_file = conf};
	assert_int_equal(ctl_call(&ctx, req, &res, NULL), CTL_EXIT_OK);
	json_decref(res);
	json_decref(req);
}

static void test_call_errors(void **state)
{
	struct ctl_ctx ctx = {.socket_path = sock};
	json_t *res = NULL, *details = NULL;

	(void)state;
	assert_int_equal(
	    ctl_call_take(&ctx, json_pack("{s:s, s:s}", "cmd", "stats", "tenant", "x"), &res, NULL),
	    CTL_EXIT_RUNTIME);
	assert_int_equal(ctl_call_take(&ctx, json_pack("{s:s}", "cmd", "nonsense"), &res, NULL),
	                 CTL_EXIT_RUNTIME);
	/* A refused reload hands its report back. */
	fake.reload_status = CTL_ERR_FAILED;
	assert_int_equal(ctl_call_take(&ctx, json_pack("{s:s}", "cmd", "reload"), &res, &details),
	                 CTL_EXIT_RUNTIME);
	assert_non_null(details);
	assert_int_equal(json_array_size(json_object_get(details, "problems")), 1);
	json_decref(details);
	/* A request that cannot be built (not UTF-8) is refused before sending. */
	assert_int_equal(ctl_call_take(&ctx, NULL, &res, NULL), CTL_EXIT_RUNTIME);
}

static void test_unreachable(void **state)
{
	char none[128];
	struct ctl_ctx ctx = {.socket_path = none};
	json_t *res = NULL;
	json_t *req = json_pack("{s:s}", "cmd", "ping");

	(void)state;
	snprintf(none, sizeof(none), "%s/absent.sock", dir);
	assert_int_equal(ctl_call(&ctx, req, &res, NULL), CTL_EXIT_UNREACHABLE);
	ctx = (struct ctl_ctx){.service_file = "/nonexistent/mtdhcpd.conf"};
	assert_int_equal(ctl_call(&ctx, req, &res, NULL), CTL_EXIT_UNREACHABLE);
	json_decref(req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_call_ok),
	    cmocka_unit_test(test_call_errors),
	    cmocka_unit_test(test_unreachable),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
