/*
 * Filtered lease listings, one lease, counts (lease_query.c) on a database written by the
 * real lease store: each filter alone and together, prefixes, hardware address and client
 * identifier, host name patterns in any case, leases expiring soon, every sort key both
 * ways, paging that neither skips nor repeats a lease, and text from the operator that
 * looks like SQL staying a value.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "lease-store/lease_read.h"
#include "lease-store/lease_store.h"
#include "lease_test_util.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static struct lease_test_dir dir;
static int64_t now;

/*
 * red: 10.0.0.1 .. 10.0.0.20, active, ending now + 60 * i, host "Host-<i>";
 *      10.0.1.5 released; 10.0.0.21 with client-id 01:aa:bb and host "printer".
 * blue: 10.0.0.5 active (the same address as red's), ending now + 7200.
 */
static int setup(void **state)
{
	struct lease_store_params p;
	struct lease_store *s;
	uint32_t red, blue;
	struct lease_change ch[24];
	size_t n = 0;

	(void)state;
	now = time(NULL);
	lease_test_dir_make(&dir);
	p = lease_test_params(dir.db);
	s = lease_test_open(&p);
	assert_int_equal(lease_store_tenant_id(s, "red", &red), 0);
	assert_int_equal(lease_store_tenant_id(s, "blue", &blue), 0);
	assert_int_equal(lease_store_start(s), 0);
	for (int i = 1; i <= 20; i++) {
		ch[n] = lease_test_change(LEASE_OP_BIND, red, IP(10, 0, 0, i), now + 60 * i);
		ch[n].rec.hostname_len =
		    (uint8_t)snprintf(ch[n].rec.hostname, sizeof(ch[n].rec.hostname), "Host-%d", i);
		n++;
	}
	ch[n] = lease_test_change(LEASE_OP_BIND, red, IP(10, 0, 0, 21), now + 5000);
	memcpy(ch[n].rec.client_id, "\x01\xaa\xbb", 3);
	ch[n].rec.client_id_len = 3;
	memcpy(ch[n].rec.hostname, "printer", 7);
	ch[n].rec.hostname_len = 7;
	n++;
	ch[n++] = lease_test_change(LEASE_OP_BIND, red, IP(10, 0, 1, 5), now + 100);
	ch[n++] = lease_test_change(LEASE_OP_RELEASE, red, IP(10, 0, 1, 5), now - 10);
	ch[n++] = lease_test_change(LEASE_OP_BIND, blue, IP(10, 0, 0, 5), now + 7200);
	lease_test_commit(s, ch, n);
	lease_store_close(s);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	lease_test_dir_remove(&dir);
	return 0;
}

struct seen {
	size_t n;
	char tenant[32][16];
	struct lease_record rec[32];
};

static int collect(void *ctx, const char *tenant, const struct lease_record *rec)
{
	struct seen *s = ctx;

	assert_true(s->n < 32);
	snprintf(s->tenant[s->n], sizeof(s->tenant[0]), "%s", tenant);
	s->rec[s->n++] = *rec;
	return 0;
}

/* Runs @q and returns what it listed (a static buffer). */
static struct seen *run(const struct lease_query *q)
{
	static struct seen s;
	char err[256];
	struct lease_reader *rd = lease_reader_open(dir.db, err, sizeof(err));

	if (rd == NULL)
		fail_msg("%s", err);
	memset(&s, 0, sizeof(s));
	assert_int_equal(lease_reader_query(rd, q, collect, &s), 0);
	lease_reader_close(rd);
	return &s;
}

static void test_no_filter_is_everything_in_order(void **state)
{
	struct lease_query q = {.now = now};
	struct seen *s;

	(void)state;
	s = run(&q);
	assert_int_equal(s->n, 23);
	/* Tenant name, then address: blue first. */
	assert_string_equal(s->tenant[0], "blue");
	for (size_t i = 2; i < s->n; i++) {
		assert_string_equal(s->tenant[i], "red");
		assert_true(s->rec[i].address > s->rec[i - 1].address);
	}
}

static void test_filters(void **state)
{
	struct lease_query q = {.now = now};
	uint8_t mac[6] = {2, 0, 0, 0, 0, 7};
	uint8_t cid[3] = {1, 0xaa, 0xbb};
	struct seen *s;

	(void)state;
	q.tenant = "blue";
	assert_int_equal(run(&q)->n, 1);

	q = (struct lease_query){.now = now, .address = IP(10, 0, 0, 5), .address_mask = ~0u};
	s = run(&q);
	assert_int_equal(s->n, 2); /* red's and blue's */
	q.tenant = "red";
	s = run(&q);
	assert_int_equal(s->n, 1);
	assert_int_equal(s->rec[0].address, IP(10, 0, 0, 5));

	/* 10.0.0.0/28: .1 .. .15 of red and blue's .5. */
	q = (struct lease_query){
	    .now = now, .address = IP(10, 0, 0, 9), .address_mask = 0xfffffff0};
	assert_int_equal(run(&q)->n, 16);
	q.address_mask = 0xffffff00; /* /24 */
	assert_int_equal(run(&q)->n, 22);

	q = (struct lease_query){.now = now, .hwaddr = mac, .hwlen = 6};
	s = run(&q);
	assert_int_equal(s->n, 1);
	assert_int_equal(s->rec[0].address, IP(10, 0, 0, 7));
	q.hwlen = 5; /* a prefix of it is another hardware address */
	assert_int_equal(run(&q)->n, 0);

	q = (struct lease_query){.now = now, .client_id = cid, .client_id_len = 3};
	s = run(&q);
	assert_int_equal(s->n, 1);
	assert_int_equal(s->rec[0].hostname_len, 7);
	assert_memory_equal(s->rec[0].hostname, "printer", 7);

	q = (struct lease_query){.now = now, .state = LEASE_STATE_RELEASED};
	s = run(&q);
	assert_int_equal(s->n, 1);
	assert_int_equal(s->rec[0].address, IP(10, 0, 1, 5));

	/* Filters combine. */
	q = (struct lease_query){.now = now,
	                         .tenant = "red",
	                         .address = IP(10, 0, 0, 0),
	                         .address_mask = 0xffffff00,
	                         .state = LEASE_STATE_ACTIVE};
	assert_int_equal(run(&q)->n, 21);
}

static void test_hostname_patterns(void **state)
{
	struct lease_query q = {.now = now};

	(void)state;
	q.hostname = "host-7";
	assert_int_equal(run(&q)->n, 1); /* any case */
	q.hostname = "HOST-1*";
	assert_int_equal(run(&q)->n, 11); /* 1, 10 .. 19 */
	q.hostname = "host-?";
	assert_int_equal(run(&q)->n, 9);
	q.hostname = "print*";
	assert_int_equal(run(&q)->n, 1);
	q.hostname = "nobody";
	assert_int_equal(run(&q)->n, 0);
	/* Operator text is a value, never SQL. */
	q.hostname = "x' OR '1'='1";
	assert_int_equal(run(&q)->n, 0);
	q.tenant = "red' OR 1=1 --";
	char err[256];
	struct lease_reader *rd = lease_reader_open(dir.db, err, sizeof(err));
	struct seen s = {0};

	assert_int_equal(lease_reader_query(rd, &q, collect, &s), -ENOENT);
	lease_reader_close(rd);
}

static void test_expiring(void **state)
{
	struct lease_query q = {.now = now, .expires_before = now + 300};
	struct seen *s;

	(void)state;
	/* red's .1 .. .5 end within 5 minutes; the released lease is not active. */
	s = run(&q);
	assert_int_equal(s->n, 5);
	for (size_t i = 0; i < s->n; i++)
		assert_int_equal(s->rec[i].state, LEASE_STATE_ACTIVE);
	q.expires_before = now + 59;
	assert_int_equal(run(&q)->n, 0);
}

static void test_sort_and_pages(void **state)
{
	struct lease_query q = {.now = now, .sort = LEASE_SORT_EXPIRES};
	struct seen *s;
	uint32_t all[32];
	size_t n;

	(void)state;
	s = run(&q);
	assert_int_equal(s->n, 23);
	for (size_t i = 1; i < s->n; i++)
		assert_true(s->rec[i].end_time >= s->rec[i - 1].end_time);
	q.descending = true;
	s = run(&q);
	assert_int_equal(s->rec[0].address, IP(10, 0, 0, 5)); /* blue's, ending last */
	for (size_t i = 1; i < s->n; i++)
		assert_true(s->rec[i].end_time <= s->rec[i - 1].end_time);

	/* Every key sorts; ties keep an order, so pages of 4 cover the list exactly once. */
	for (int key = 0; key <= LEASE_SORT_STATE; key++) {
		struct lease_query p = {.now = now, .sort = (enum lease_sort)key, .limit = 4};

		q = (struct lease_query){.now = now, .sort = (enum lease_sort)key};
		s = run(&q);
		n = s->n;
		for (size_t i = 0; i < n; i++)
			all[i] = s->rec[i].address ^ (s->tenant[i][0] == 'b' ? 0x80000000u : 0);
		for (p.offset = 0; p.offset < n + 4; p.offset += 4) {
			s = run(&p);
			assert_int_equal(s->n,
			                 p.offset >= n ? 0 : (n - p.offset < 4 ? n - p.offset : 4));
			for (size_t i = 0; i < s->n; i++)
				assert_int_equal(s->rec[i].address ^
				                     (s->tenant[i][0] == 'b' ? 0x80000000u : 0),
				                 all[p.offset + i]);
		}
	}
	assert_int_equal(lease_sort_from_name("expires"), LEASE_SORT_EXPIRES);
	assert_int_equal(lease_sort_from_name("mac"), LEASE_SORT_HWADDR);
	assert_int_equal(lease_sort_from_name("ip"), LEASE_SORT_ADDRESS);
	assert_int_equal(lease_sort_from_name("colour"), -1);
	assert_string_equal(lease_sort_name(LEASE_SORT_HOSTNAME), "hostname");
}

static void test_get_and_count(void **state)
{
	struct lease_record rec;
	char err[256];
	struct lease_reader *rd = lease_reader_open(dir.db, err, sizeof(err));
	uint64_t n = 99;

	(void)state;
	assert_non_null(rd);
	assert_int_equal(lease_reader_get(rd, "red", IP(10, 0, 0, 21), &rec), 0);
	assert_int_equal(rec.client_id_len, 3);
	assert_int_equal(rec.state, LEASE_STATE_ACTIVE);
	assert_int_equal(lease_reader_get(rd, "red", IP(10, 0, 1, 5), &rec), 0);
	assert_int_equal(rec.state, LEASE_STATE_RELEASED);
	assert_int_equal(lease_reader_get(rd, "red", IP(10, 0, 9, 9), &rec), -ENODATA);
	assert_int_equal(lease_reader_get(rd, "green", IP(10, 0, 0, 1), &rec), -ENOENT);

	assert_int_equal(lease_reader_count_active(rd, "red", now, 0, UINT32_MAX, &n), 0);
	assert_int_equal(n, 21);
	assert_int_equal(
	    lease_reader_count_active(rd, "red", now, IP(10, 0, 0, 1), IP(10, 0, 0, 10), &n), 0);
	assert_int_equal(n, 10);
	/* Later, the first five have ended. */
	assert_int_equal(
	    lease_reader_count_active(rd, "red", now + 301, IP(10, 0, 0, 1), IP(10, 0, 0, 10), &n),
	    0);
	assert_int_equal(n, 5);
	assert_int_equal(lease_reader_count_active(rd, "blue", now, 0, UINT32_MAX, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(lease_reader_count_active(rd, "green", now, 0, UINT32_MAX, &n), -ENOENT);
	assert_int_equal(lease_reader_count_active(rd, "red", now, 5, 4, &n), -EINVAL);
	lease_reader_close(rd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_filter_is_everything_in_order),
	    cmocka_unit_test(test_filters),
	    cmocka_unit_test(test_hostname_patterns),
	    cmocka_unit_test(test_expiring),
	    cmocka_unit_test(test_sort_and_pages),
	    cmocka_unit_test(test_get_and_count),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
