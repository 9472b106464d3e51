/*
 * The control socket's server (ctl_server.c) with real Unix sockets in a temporary
 * directory, driven from the test's own thread: the socket file (directory made, mode
 * 0660, stale socket replaced, a live one or another file refused, removed at close),
 * pipelined and split requests, a request too long, too many clients, a client that sends
 * without reading (the server keeps serving others and bounds what it holds), time-outs,
 * and clients that vanish.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dhcpd/ctl_server.h"

/* "count" answers {"n": <its calls so far>}; "big" answers about 200 KB. */
static int calls, big_calls;

static enum ctl_status count_fn(void *ctx, const json_t *req, struct ctl_reply *reply)
{
	(void)ctx;
	(void)req;
	reply->result = json_pack("{s:i}", "n", ++calls);
	return CTL_OK;
}

static enum ctl_status big_fn(void *ctx, const json_t *req, struct ctl_reply *reply)
{
	static char pad[200 * 1024];

	(void)ctx;
	(void)req;
	big_calls++;
	memset(pad, 'x', sizeof(pad) - 1);
	reply->result = json_pack("{s:s}", "pad", pad);
	return CTL_OK;
}

static const struct ctl_handler commands[] = {
    {.name = "count", .fn = count_fn},
    {.name = "big", .fn = big_fn},
};
static const struct ctl_handler_table table = {commands, 2};

static char dir[64];
static char sock_path[100];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_ctl_server.XXXXXX");
	assert_non_null(mkdtemp(dir));
	/* A directory that does not exist yet: the server makes it. */
	snprintf(sock_path, sizeof(sock_path), "%s/run/ctl.sock", dir);
	calls = 0;
	return 0;
}

static int teardown(void **state)
{
	char p[160];

	(void)state;
	unlink(sock_path);
	snprintf(p, sizeof(p), "%s/run", dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/file", dir);
	unlink(p);
	rmdir(dir);
	return 0;
}

static struct ctl_server *open_server(void)
{
	char err[256] = "";
	struct ctl_server *srv = ctl_server_open(sock_path, &table, err, sizeof(err));

	if (srv == NULL)
		fail_msg("ctl_server_open: %s", err);
	return srv;
}

static int connect_client(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock_path);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* Lets the server work for up to @ms, returning early once @until_fd has data. */
static void pump(struct ctl_server *srv, int ms, int until_fd)
{
	for (int waited = 0; waited < ms; waited += 5) {
		struct pollfd p[2] = {{.fd = ctl_server_fd(srv), .events = POLLIN},
		                      {.fd = until_fd, .events = POLLIN}};

		poll(p, until_fd >= 0 ? 2 : 1, 5);
		if (p[0].revents)
			ctl_server_run(srv);
		if (until_fd >= 0 && poll(&p[1], 1, 0) == 1)
			return;
	}
}

/* Reads one response line from @fd (pumping the server meanwhile); NULL at EOF. */
static json_t *read_response(struct ctl_server *srv, int fd)
{
	static char buf[512 * 1024];
	size_t n = 0;

	while (n < sizeof(buf)) {
		pump(srv, 2000, fd);
		ssize_t r = recv(fd, buf + n, 1, MSG_DONTWAIT);

		if (r == 0)
			return NULL;
		if (r < 0) {
			if (errno == EAGAIN)
				continue;
			return NULL;
		}
		if (buf[n] == '\n') {
			json_t *v = json_loadb(buf, n, 0, NULL);

			assert_non_null(v);
			return v;
		}
		n++;
	}
	fail_msg("response too long");
	return NULL;
}

static void send_str(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

static void test_socket_file(void **state)
{
	struct ctl_server *srv = open_server();
	struct stat st;

	(void)state;
	assert_int_equal(stat(sock_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);
	/* A second server on the same path finds it alive and refuses. */
	char err[256] = "";

	assert_null(ctl_server_open(sock_path, &table, err, sizeof(err)));
	assert_int_equal(errno, EADDRINUSE);
	assert_non_null(strstr(err, "in use"));
	ctl_server_close(srv);
	assert_int_not_equal(stat(sock_path, &st), 0);
}

static void test_stale_socket_replaced(void **state)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	char dpath[160];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	(void)state;
	/* What a killed daemon leaves: a socket file nobody listens on. */
	snprintf(dpath, sizeof(dpath), "%s/run", dir);
	mkdir(dpath, 0750);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock_path);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
	struct ctl_server *srv = open_server();
	int c = connect_client();

	send_str(c, "{\"cmd\":\"count\"}\n");
	json_t *v = read_response(srv, c);

	assert_true(json_is_true(json_object_get(v, "ok")));
	json_decref(v);
	close(c);
	ctl_server_close(srv);
}

static void test_other_file_kept(void **state)
{
	char path[160], err[256] = "";
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/file", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("precious", f);
	fclose(f);
	assert_null(ctl_server_open(path, &table, err, sizeof(err)));
	assert_non_null(strstr(err, "not a socket"));
	f = fopen(path, "r");
	assert_non_null(f);
	fclose(f);
}

static void test_pipelined_and_split(void **state)
{
	struct ctl_server *srv = open_server();
	int c = connect_client();
	json_t *v;

	(void)state;
	/* Three requests in one write, an empty line and a CRLF among them. */
	send_str(c, "{\"cmd\":\"count\",\"id\":1}\n\n{\"cmd\":\"count\",\"id\":2}\r\n"
	            "{\"cmd\":\"nope\",\"id\":3}\n");
	for (int id = 1; id <= 3; id++) {
		v = read_response(srv, c);
		assert_non_null(v);
		assert_int_equal(json_integer_value(json_object_get(v, "id")), id);
		json_decref(v);
	}
	/* One request in pieces. */
	send_str(c, "{\"cmd\":");
	pump(srv, 30, -1);
	send_str(c, "\"count\",\"i");
	pump(srv, 30, -1);
	send_str(c, "d\":4}\n");
	v = read_response(srv, c);
	assert_int_equal(json_integer_value(json_object_get(v, "id")), 4);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "result"), "n")), 3);
	json_decref(v);
	/* The last request before a half-close needs no newline. */
	send_str(c, "{\"cmd\":\"count\",\"id\":5}");
	shutdown(c, SHUT_WR);
	v = read_response(srv, c);
	assert_int_equal(json_integer_value(json_object_get(v, "id")), 5);
	json_decref(v);
	assert_null(read_response(srv, c)); /* then the server closes */
	close(c);
	pump(srv, 30, -1);
	assert_int_equal(ctl_server_clients(srv), 0);
	ctl_server_close(srv);
}

static void test_request_too_long(void **state)
{
	struct ctl_server *srv = open_server();
	int c = connect_client();
	size_t n = CTL_REQUEST_MAX + 100, sent = 0;
	char *big = malloc(n);
	json_t *v;

	(void)state;
	assert_non_null(big);
	memset(big, 'a', n);
	fcntl(c, F_SETFL, O_NONBLOCK);
	while (sent < n) {
		ssize_t w = send(c, big + sent, n - sent, MSG_NOSIGNAL);

		if (w > 0)
			sent += (size_t)w;
		else if (errno != EAGAIN)
			break;
		pump(srv, 5, -1);
	}
	v = read_response(srv, c);
	assert_non_null(v);
	assert_string_equal(json_string_value(json_object_get(v, "code")), "bad_request");
	json_decref(v);
	assert_null(read_response(srv, c));
	free(big);
	close(c);
	ctl_server_close(srv);
}

static void test_too_many_clients(void **state)
{
	struct ctl_server *srv = open_server();
	int c[CTL_SERVER_CLIENTS_MAX + 1];
	json_t *v;

	(void)state;
	for (int i = 0; i < CTL_SERVER_CLIENTS_MAX; i++) {
		c[i] = connect_client();
		pump(srv, 20, -1);
	}
	assert_int_equal(ctl_server_clients(srv), CTL_SERVER_CLIENTS_MAX);
	c[CTL_SERVER_CLIENTS_MAX] = connect_client();
	v = read_response(srv, c[CTL_SERVER_CLIENTS_MAX]);
	assert_non_null(v);
	assert_string_equal(json_string_value(json_object_get(v, "code")), "busy");
	json_decref(v);
	assert_null(read_response(srv, c[CTL_SERVER_CLIENTS_MAX]));
	/* The others are still served; once one leaves, a newcomer is too. */
	send_str(c[3], "{\"cmd\":\"count\"}\n");
	v = read_response(srv, c[3]);
	assert_true(json_is_true(json_object_get(v, "ok")));
	json_decref(v);
	close(c[0]);
	pump(srv, 30, -1);
	int late = connect_client();

	send_str(late, "{\"cmd\":\"count\"}\n");
	v = read_response(srv, late);
	assert_true(json_is_true(json_object_get(v, "ok")));
	json_decref(v);
	close(late);
	for (int i = 1; i <= CTL_SERVER_CLIENTS_MAX; i++)
		close(c[i]);
	ctl_server_close(srv);
}

/*
 * A client that asks for large answers and never reads: the server must go on serving
 * another client promptly, and stop reading the greedy one's requests once its queued
 * output passes the high mark.
 */
static void test_client_that_does_not_read(void **state)
{
	struct ctl_server *srv = open_server();
	int greedy = connect_client(), polite = connect_client();
	char req[64 * 1024];
	size_t n = 0;
	json_t *v;

	(void)state;
	while (n + 16 < sizeof(req)) {
		memcpy(req + n, "{\"cmd\":\"big\"}\n", 14);
		n += 14;
	}
	fcntl(greedy, F_SETFL, O_NONBLOCK);
	ssize_t w = send(greedy, req, n, MSG_NOSIGNAL);

	assert_true(w > 0);
	calls = big_calls = 0;
	pump(srv, 300, -1);
	send_str(polite, "{\"cmd\":\"count\"}\n");
	v = read_response(srv, polite);
	assert_non_null(v);
	assert_true(json_is_true(json_object_get(v, "ok")));
	json_decref(v);
	/* Far less than the 4000-odd big answers asked for were made: the rest wait. */
	assert_int_equal(calls, 1);
	assert_true(big_calls > 0);
	assert_true(big_calls < 30);
	/* A stalled client is dropped at the stall time-out, an idle one much later. */
	ctl_server_tick(srv, time(NULL) + CTL_SERVER_STALL_SEC + 1);
	assert_int_equal(ctl_server_clients(srv), 1);
	ctl_server_tick(srv, time(NULL) + CTL_SERVER_IDLE_SEC + 1);
	assert_int_equal(ctl_server_clients(srv), 0);
	close(greedy);
	close(polite);
	ctl_server_close(srv);
}

static void test_clients_that_vanish(void **state)
{
	struct ctl_server *srv = open_server();

	(void)state;
	for (int i = 0; i < 50; i++) {
		int c = connect_client();

		/* Gone mid-request, or right after a request before the answer. */
		send_str(c, i % 2 ? "{\"cmd\":\"cou" : "{\"cmd\":\"big\"}\n");
		close(c);
		pump(srv, 5, -1);
	}
	pump(srv, 50, -1);
	assert_int_equal(ctl_server_clients(srv), 0);
	int c = connect_client();

	send_str(c, "{\"cmd\":\"count\"}\n");
	json_t *v = read_response(srv, c);

	assert_true(json_is_true(json_object_get(v, "ok")));
	json_decref(v);
	close(c);
	ctl_server_close(srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_socket_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stale_socket_replaced, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_other_file_kept, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pipelined_and_split, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_request_too_long, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_too_many_clients, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_client_that_does_not_read, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clients_that_vanish, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
