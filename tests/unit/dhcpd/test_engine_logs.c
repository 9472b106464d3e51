/*
 * What the engine logs about a tenant at its limits, read back from stderr: a tenant whose
 * pools hover at full, or whose leases hover at max_leases, logs its warning and recovery
 * at most once per DHCP_STATE_LOG_INTERVAL_S (not a pair per address that turns over),
 * and the next warning says how many went unreported. A rate-limited line mentions what
 * it suppressed only when it suppressed something (DECLINE warnings).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dhcpd/client_key.h"
#include "test_engine_util.h"

/* --- stderr into a file ------------------------------------------------------------------ */

struct log_capture {
	char path[128];
	int saved;
};

static void capture_start(struct log_capture *c, const struct et_fixture *f)
{
	snprintf(c->path, sizeof(c->path), "%s/stderr.log", f->dir);
	int fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	c->saved = dup(2);
	assert_true(c->saved >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
}

static void capture_stop(struct log_capture *c)
{
	fflush(stderr);
	assert_int_equal(dup2(c->saved, 2), 2);
	close(c->saved);
}

/* Lines of the captured log that contain @needle. */
static int count_lines(const struct log_capture *c, const char *needle)
{
	FILE *fp = fopen(c->path, "r");
	char line[1024];
	int n = 0;

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		if (strstr(line, needle))
			n++;
	}
	fclose(fp);
	return n;
}

/* --- messages at a chosen time ------------------------------------------------------------ */

static void input_at(struct et_fixture *f, const struct tenant *t, struct req *m, int64_t now)
{
	dhcp_engine_input(f->engine, t, &f->relayed, m->b, m->len, now);
}

/* A DISCOVER from client @mac_lo at @now; true when it got an OFFER. */
static bool offered_at(struct et_fixture *f, const struct tenant *t, uint8_t mac_lo, int64_t now)
{
	struct req m;
	size_t base = et_n_sent;

	et_discover(&m, 0x10, mac_lo);
	input_at(f, t, &m, now);
	return et_n_sent == base + 1 && et_reply_type(&et_sent[base]) == DHCPOFFER;
}

/* DISCOVER and REQUEST at @now, ACK after the commit; true when the client got its lease. */
static bool bound_at(struct et_fixture *f, const struct tenant *t, uint8_t mac_lo, int64_t now)
{
	struct req m;

	if (!offered_at(f, t, mac_lo, now))
		return false;
	size_t base = et_n_sent;
	et_select(&m, 0x10, mac_lo, et_reply_yiaddr(&et_sent[base - 1]));
	input_at(f, t, &m, now);
	et_poll_until(f, base + 1);
	return et_n_sent == base + 1 && et_reply_type(&et_sent[base]) == DHCPACK;
}

/* --- the tests ------------------------------------------------------------------------- */

/*
 * Three addresses, offers held 30 s. Each time the offers run out, the next DISCOVER finds
 * the pools full again: without a rate limit, one warning and one recovery per round.
 */
static void test_exhaustion_logged_at_a_limited_rate(void **state)
{
	(void)state;
	struct et_fixture *f = et_setup(0, 0);
	struct tenant *t = et_tenant(f, "small", 10, 12);
	struct log_capture c;
	int64_t t0 = time(NULL);

	assert_int_equal(dhcp_engine_add_tenant(f->engine, t, t0), 0);
	capture_start(&c, f);
	for (uint8_t i = 1; i <= 3; i++)
		assert_true(offered_at(f, t, i, t0));
	assert_false(offered_at(f, t, 4, t0)); /* warning 1 */
	/* The offers ran out: room again (recovery 1), full again, two misses unreported. */
	assert_true(offered_at(f, t, 5, t0 + 31));
	assert_true(offered_at(f, t, 6, t0 + 31));
	assert_true(offered_at(f, t, 7, t0 + 31));
	assert_false(offered_at(f, t, 8, t0 + 31));
	assert_false(offered_at(f, t, 9, t0 + 31));
	/* A minute after the first warning: room, full, and the second warning. */
	for (uint8_t i = 10; i <= 12; i++)
		assert_true(offered_at(f, t, i, t0 + 62));
	assert_false(offered_at(f, t, 13, t0 + 62)); /* warning 2 */
	assert_false(offered_at(f, t, 14, t0 + 62)); /* only counted: the warning stands */
	assert_true(offered_at(f, t, 15, t0 + 93));  /* recovery 2 */
	capture_stop(&c);

	assert_int_equal(dhcp_engine_counters(f->engine, t)->v[TC_DROP_POOL_EXHAUSTED], 5);
	assert_int_equal(count_lines(&c, "tenant small: no free address"), 2);
	assert_int_equal(count_lines(&c, "tenant small: addresses available again"), 2);
	assert_int_equal(count_lines(&c, "DHCPDISCOVER (2 more since the last report)"), 1);
	assert_int_equal(count_lines(&c, "more since"), 1);
	unlink(c.path);
	tenant_free(t);
	et_teardown(f);
}

/* max_leases 2: a lease released and taken again brings the tenant back to its cap. */
static void test_lease_cap_logged_at_a_limited_rate(void **state)
{
	(void)state;
	struct et_fixture *f = et_setup(0, 0);
	struct tenant *t = et_tenant(f, "capped", 10, 30);
	struct log_capture c;
	struct req m;
	int64_t t0 = time(NULL);

	t->limits.max_leases = 2;
	assert_int_equal(dhcp_engine_add_tenant(f->engine, t, t0), 0);
	capture_start(&c, f);
	assert_true(bound_at(f, t, 1, t0));
	assert_true(bound_at(f, t, 2, t0));
	uint32_t addr1 = et_reply_yiaddr(&et_sent[1]);
	uint32_t addr2 = et_reply_yiaddr(&et_sent[3]);
	assert_false(offered_at(f, t, 3, t0 + 1)); /* warning 1 */
	/* Client 1 leaves, client 3 takes its place (below again 1): at the cap once more. */
	et_release(&m, 0x10, 1, addr1);
	input_at(f, t, &m, t0 + 1);
	assert_true(bound_at(f, t, 3, t0 + 2));
	assert_false(offered_at(f, t, 4, t0 + 3)); /* within the minute: only counted */
	et_release(&m, 0x10, 2, addr2);
	input_at(f, t, &m, t0 + 3);
	assert_true(bound_at(f, t, 4, t0 + 4));     /* no recovery line: no warning stood */
	assert_false(offered_at(f, t, 5, t0 + 62)); /* warning 2, with the one unreported */
	capture_stop(&c);

	assert_int_equal(dhcp_engine_counters(f->engine, t)->v[TC_DROP_LEASE_CAP], 3);
	assert_int_equal(count_lines(&c, "tenant capped: at max_leases (2 active)"), 2);
	assert_int_equal(count_lines(&c, "tenant capped: below max_leases (2) again"), 1);
	assert_int_equal(count_lines(&c, "no offer (1 more refusals since the last report)"), 1);
	assert_int_equal(count_lines(&c, "more refusals"), 1);
	unlink(c.path);
	tenant_free(t);
	et_teardown(f);
}

/* A DECLINE warning says "N more declines suppressed" only when N > 0. */
static void test_decline_log_counts_only_what_it_suppressed(void **state)
{
	(void)state;
	struct et_fixture *f = et_setup(0, 0);
	struct tenant *t = et_tenant(f, "decl", 10, 30);
	struct log_capture c;
	struct req m;
	uint32_t addr[4];
	int64_t t0 = time(NULL);

	assert_int_equal(dhcp_engine_add_tenant(f->engine, t, t0), 0);
	for (uint8_t i = 0; i < 4; i++) {
		assert_true(bound_at(f, t, (uint8_t)(i + 1), t0));
		addr[i] = et_reply_yiaddr(&et_sent[et_n_sent - 1]);
	}
	capture_start(&c, f);
	/* Logged, logged 11 s later (nothing suppressed), suppressed, logged with 1. */
	static const int64_t at[4] = {1, 12, 13, 24};
	for (uint8_t i = 0; i < 4; i++) {
		et_msg(&m, DHCPDECLINE, 0x10, (uint8_t)(i + 1), 0x4000u + i);
		req_opt_ip(&m, DHCP_OPT_REQUESTED_IP, addr[i]);
		req_opt_ip(&m, DHCP_OPT_SERVER_ID, ET_SERVER);
		req_end(&m);
		input_at(f, t, &m, t0 + at[i]);
	}
	capture_stop(&c);

	assert_int_equal(dhcp_engine_counters(f->engine, t)->v[TC_DECLINED], 4);
	assert_int_equal(count_lines(&c, "was declined by its client"), 3);
	assert_int_equal(count_lines(&c, "suppressed"), 1);
	assert_int_equal(count_lines(&c, "(1 more declines suppressed)"), 1);
	unlink(c.path);
	tenant_free(t);
	et_teardown(f);
}

int main(void)
{
	assert_int_equal(dhcp_client_key_init(), 0);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exhaustion_logged_at_a_limited_rate),
	    cmocka_unit_test(test_lease_cap_logged_at_a_limited_rate),
	    cmocka_unit_test(test_decline_log_counts_only_what_it_suppressed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
