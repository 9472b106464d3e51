/*
 * The metrics (metrics_text.c, metrics.c) against a made-up daemon: the text follows the
 * Prometheus exposition format (one HELP and TYPE per family before all of its samples,
 * counters named _total, labels quoted and escaped), carries every tenant counter and the
 * pool use, port and lcore counters with their values, and is served over HTTP at /metrics by
 * libmicrohttpd on an ephemeral port (404 elsewhere, 405 for POST).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl_testutil.h"
#include "dhcpd/metrics.h"

static struct ctl_fake fake;

static int setup(void **state)
{
	(void)state;
	ctl_fake_init(&fake, false);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ctl_fake_free(&fake);
	return 0;
}

/* True when @text has the line @line exactly. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++) {
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return true;
	}
	return false;
}

/*
 * Checks the format's rules: every sample's family has had its # TYPE, no family is
 * declared twice, and once another family starts, an earlier one has no more samples.
 */
static void check_format(const char *text)
{
	char declared[256][96];
	size_t n_declared = 0;
	char current[96] = "";

	for (const char *line = text; *line != '\0';) {
		const char *end = strchr(line, '\n');
		char l[512], name[96];

		assert_non_null(end);
		assert_true((size_t)(end - line) < sizeof(l));
		memcpy(l, line, (size_t)(end - line));
		l[end - line] = '\0';
		line = end + 1;
		if (strncmp(l, "# HELP ", 7) == 0)
			continue;
		if (strncmp(l, "# TYPE ", 7) == 0) {
			char type[32];

			assert_int_equal(sscanf(l + 7, "%95s %31s", name, type), 2);
			assert_true(strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0);
			if (strcmp(type, "counter") == 0)
				assert_non_null(strstr(name, "_total"));
			for (size_t i = 0; i < n_declared; i++)
				assert_string_not_equal(declared[i], name);
			assert_true(n_declared < 256);
			snprintf(declared[n_declared++], sizeof(declared[0]), "%s", name);
			snprintf(current, sizeof(current), "%s", name);
			continue;
		}
		/* A sample: its name, up to '{' or ' ', is the current family. */
		size_t k = strcspn(l, "{ ");

		assert_true(k > 0 && k < sizeof(name));
		memcpy(name, l, k);
		name[k] = '\0';
		if (strcmp(name, current) != 0)
			fail_msg("sample of %s outside its family (current %s): %s", name, current,
			         l);
		assert_non_null(strrchr(l, ' '));
	}
}

static void test_render(void **state)
{
	size_t acme = ctl_fake_index(&fake, "acme"), globex = ctl_fake_index(&fake, "globex");
	size_t len = 0;
	char *text;

	(void)state;
	fake.counters[acme].v[TC_RX_DISCOVER] = 12;
	fake.counters[acme].v[TC_TX_ACK] = 10;
	fake.counters[globex].v[TC_DROP_POOL_EXHAUSTED] = 3;
	fake.counters[globex].v[TC_LEASES_COMMITTED] = 5;
	fake.counters[acme].v[TC_POOL_SIZE] = 100;
	fake.counters[acme].v[TC_POOL_USED] = 25;
	fake.counters[acme].v[TC_LEASES_ACTIVE] = 24;
	fake.counters[acme].v[TC_REQ_RENEWING] = 6;
	fake.store.committed = 77;
	text = metrics_render(&fake.backend, &len);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	check_format(text);
	assert_true(has_line(text, "mtdhcp_info{version=\"9.8.7\"} 1"));
	assert_true(has_line(text, "mtdhcp_tenants 2"));
	assert_true(has_line(text, "# TYPE mtdhcp_tenant_received_total counter"));
	assert_true(has_line(text, "mtdhcp_tenant_received_total{tenant=\"acme\",type=\"discover\"}"
	                           " 12"));
	assert_true(has_line(text,
	                     "mtdhcp_tenant_received_total{tenant=\"globex\",type=\"discover\"}"
	                     " 0"));
	assert_true(has_line(text, "mtdhcp_tenant_sent_total{tenant=\"acme\",type=\"ack\"} 10"));
	assert_true(has_line(text, "mtdhcp_tenant_dropped_total{tenant=\"globex\","
	                           "reason=\"pool_exhausted\"} 3"));
	assert_true(has_line(text, "mtdhcp_tenant_leases_committed_total{tenant=\"globex\"} 5"));
	assert_true(has_line(text, "mtdhcp_tenant_requests_total{tenant=\"acme\","
	                           "state=\"renewing\"} 6"));
	/* The gauges among the tenant counters are gauges, without _total. */
	assert_true(has_line(text, "# TYPE mtdhcp_tenant_pool_size gauge"));
	assert_true(has_line(text, "mtdhcp_tenant_pool_size{tenant=\"acme\"} 100"));
	assert_true(has_line(text, "mtdhcp_tenant_pool_used{tenant=\"acme\"} 25"));
	assert_true(has_line(text, "mtdhcp_tenant_leases_active{tenant=\"acme\"} 24"));
	assert_null(strstr(text, "pool_size_total"));
	assert_true(has_line(text, "mtdhcp_port_received_frames_total{port=\"uplink\"} 1000"));
	assert_true(has_line(text, "mtdhcp_port_received_frames_total{port=\"backup\"} 0"));
	assert_true(has_line(text, "mtdhcp_port_dropped_frames_total{port=\"uplink\","
	                           "reason=\"no_tenant\"} 7"));
	assert_true(has_line(text, "mtdhcp_port_classified_frames_total{port=\"uplink\","
	                           "key=\"circuit-id\"} 40"));
	assert_true(has_line(text, "mtdhcp_port_relay_info_ignored_total{port=\"uplink\"} 3"));
	assert_true(has_line(text, "mtdhcp_lease_store_committed_total 77"));
	/* Every tenant counter has its sample, for every tenant. */
	for (size_t k = 0; k < TC__COUNT; k++) {
		const char *name = tenant_counter_name((enum tenant_counter)k);
		const char *rest = strchr(name, '_');
		char label[128];

		if (tenant_counter_is_gauge((enum tenant_counter)k)) {
			snprintf(label, sizeof(label), "mtdhcp_tenant_%s{tenant=\"acme\"}", name);
			if (strstr(text, label) == NULL)
				fail_msg("gauge %s is missing", name);
			continue;
		}
		snprintf(label, sizeof(label), "\"%s\"", rest != NULL ? rest + 1 : name);
		if (rest == NULL || strstr(text, label) == NULL) {
			snprintf(label, sizeof(label), "mtdhcp_tenant_%s_total{tenant=\"acme\"}",
			         name);
			if (strstr(text, label) == NULL)
				fail_msg("counter %s is missing", name);
		}
	}
	free(text);
}

static void test_render_lcores(void **state)
{
	static const char *const stages[] = {"rx",     "parse",      "classify", "handoff",
	                                     "engine", "completion", "tx"};
	size_t len = 0;
	char *text, line[160];

	(void)state;
	text = metrics_render(&fake.backend, &len);
	assert_non_null(text);
	check_format(text);
	/* Labelled by index; the EAL's lcore id is an info label. */
	assert_true(has_line(text, "mtdhcp_lcore_info{lcore=\"0\",eal_lcore=\"0\"} 1"));
	assert_true(has_line(text, "mtdhcp_lcore_info{lcore=\"1\",eal_lcore=\"3\"} 1"));
	assert_true(has_line(text, "# TYPE mtdhcp_lcore_tenants gauge"));
	assert_true(has_line(text, "mtdhcp_lcore_tenants{lcore=\"0\"} 1"));
	assert_true(has_line(text, "mtdhcp_lcore_tsc_hz{lcore=\"1\"} 2000000000"));
	assert_true(has_line(text, "# TYPE mtdhcp_lcore_frames_total counter"));
	assert_true(has_line(text, "mtdhcp_lcore_frames_total{lcore=\"0\"} 200000"));
	assert_true(has_line(text, "mtdhcp_lcore_frames_total{lcore=\"1\"} 0"));
	assert_true(has_line(text, "mtdhcp_lcore_busy_cycles_total{lcore=\"0\"} 1000000000"));
	assert_true(has_line(text, "mtdhcp_lcore_busy_loops_total{lcore=\"0\"} 5000"));
	assert_true(has_line(text, "mtdhcp_lcore_handoff_out_frames_total{lcore=\"0\"} 50000"));
	assert_true(has_line(text, "mtdhcp_lcore_handoff_in_frames_total{lcore=\"0\"} 10000"));
	assert_true(has_line(text, "mtdhcp_lcore_handoff_full_frames_total{lcore=\"0\"} 3"));
	assert_true(has_line(text, "mtdhcp_lcore_yields_total{lcore=\"0\"} 7"));
	assert_true(has_line(text, "mtdhcp_lcore_stage_cycles_total{lcore=\"0\",stage=\"engine\"}"
	                           " 300000000"));
	assert_true(has_line(text, "mtdhcp_lcore_stage_items_total{lcore=\"0\",stage=\"engine\"}"
	                           " 100000"));
	/* Every stage of every lcore, in both families. */
	for (unsigned l = 0; l < 2; l++) {
		for (size_t k = 0; k < sizeof(stages) / sizeof(stages[0]); k++) {
			snprintf(line, sizeof(line),
			         "mtdhcp_lcore_stage_cycles_total{lcore=\"%u\",stage=\"%s\"} ", l,
			         stages[k]);
			assert_non_null(strstr(text, line));
			snprintf(line, sizeof(line),
			         "mtdhcp_lcore_stage_items_total{lcore=\"%u\",stage=\"%s\"} ", l,
			         stages[k]);
			assert_non_null(strstr(text, line));
		}
	}
	free(text);

	/* Without lcores (a backend that has none), no lcore family at all. */
	fake.backend.n_lcores = NULL;
	text = metrics_render(&fake.backend, &len);
	assert_non_null(text);
	check_format(text);
	assert_null(strstr(text, "mtdhcp_lcore_"));
	free(text);
}

static void test_label_escaping(void **state)
{
	size_t len = 0;
	char *text;

	(void)state;
	fake.backend.version = "a\"b\\c\nd";
	text = metrics_render(&fake.backend, &len);
	assert_non_null(text);
	assert_true(has_line(text, "mtdhcp_info{version=\"a\\\"b\\\\c\\nd\"} 1"));
	free(text);
}

/* Sends @request to the server on @port and returns the whole answer (malloc'd). */
static char *http(struct metrics *m, unsigned port, const char *request)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	size_t cap = 1 << 20, n = 0;
	char *buf = malloc(cap);

	assert_non_null(buf);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(send(fd, request, strlen(request), 0), (ssize_t)strlen(request));
	/* The server runs on this thread: drive it until it has answered and closed. */
	for (int i = 0; i < 2000; i++) {
		struct pollfd p[2] = {{.fd = metrics_fd(m), .events = POLLIN},
		                      {.fd = fd, .events = POLLIN}};

		poll(p, 2, 5);
		metrics_run(m);
		if (p[1].revents) {
			ssize_t r = recv(fd, buf + n, cap - n - 1, MSG_DONTWAIT);

			if (r == 0)
				break;
			if (r > 0)
				n += (size_t)r;
		}
	}
	close(fd);
	buf[n] = '\0';
	return buf;
}

static void test_http(void **state)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
	char err[256] = "";
	struct metrics *m;
	char *resp;

	(void)state;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	m = metrics_open((struct sockaddr *)&a, sizeof(a), &fake.backend, err, sizeof(err));
	if (m == NULL)
		fail_msg("metrics_open: %s", err);
	assert_true(metrics_port(m) > 0);

	fake.counters[0].v[TC_TX_OFFER] = 4;
	resp = http(m, metrics_port(m),
	            "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_true(strncmp(resp, "HTTP/1.1 200", 12) == 0);
	assert_non_null(strstr(resp, "text/plain; version=0.0.4"));
	assert_non_null(strstr(resp, "mtdhcp_tenant_sent_total{tenant=\"acme\",type=\"offer\"} 4"));
	free(resp);
	/* A scrape reads the counters now: a counter that moved shows its new value. */
	fake.counters[0].v[TC_TX_OFFER] = 9;
	resp = http(m, metrics_port(m),
	            "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_non_null(strstr(resp, "mtdhcp_tenant_sent_total{tenant=\"acme\",type=\"offer\"} 9"));
	free(resp);

	resp = http(m, metrics_port(m), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_true(strncmp(resp, "HTTP/1.1 404", 12) == 0);
	free(resp);
	resp = http(m, metrics_port(m),
	            "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
	            "Connection: close\r\n\r\nabc");
	assert_true(strncmp(resp, "HTTP/1.1 405", 12) == 0);
	free(resp);
	/* Garbage is answered with an error (or a closed connection), and serving goes on. */
	resp = http(m, metrics_port(m), "\x01\x02 nonsense\r\n\r\n");
	assert_null(strstr(resp, "200 OK"));
	free(resp);
	resp = http(m, metrics_port(m),
	            "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_true(strncmp(resp, "HTTP/1.1 200", 12) == 0);
	free(resp);
	metrics_close(m);
}

static void test_address_in_use(void **state)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
	socklen_t alen = sizeof(a);
	char err[256] = "";
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	(void)state;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	assert_null(
	    metrics_open((struct sockaddr *)&a, sizeof(a), &fake.backend, err, sizeof(err)));
	assert_non_null(strstr(err, "metrics"));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_render, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_render_lcores, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_label_escaping, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_http, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_address_in_use, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
