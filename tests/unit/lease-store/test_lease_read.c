/*
 * Reading leases back: the daemon's startup load (lease_store_load_active, and
 * lease_store_load_declined for quarantines) and the read-only reader mtdhcpctl uses, with
 * tenants that share an address space.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lease-store/lease_read.h"
#include "lease-store/lease_store.h"
#include "lease_test_util.h"

/*
 * Far ahead of the real clock: the writer's own expiry sweep (which uses the real time)
 * leaves these leases alone, so the load's own @now decides what is live.
 */
#define NOW         4000000000
#define SHARED_ADDR 0x0a000005 /* 10.0.0.5, leased in both tenants */

struct fixture {
	struct lease_test_dir dir;
	uint32_t zeta; /* created first, so its id is lower, yet it sorts last */
	uint32_t alpha;
};

/* Commits @n changes through a running store and checks they all succeeded. */
static void commit(struct lease_store *s, struct lease_change *ch, size_t n)
{
	struct lease_completion done[16];

	assert_true(n <= 16);
	for (size_t i = 0; i < n; i++) {
		ch[i].cookie = (uint32_t)i;
		assert_int_equal(lease_store_submit(s, &ch[i]), 0);
	}
	assert_int_equal(lease_test_poll(s, 0, done, n, 5000), n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(done[i].status, 0);
}

static struct lease_change bind(uint32_t tenant, uint32_t address, int64_t end)
{
	struct lease_change ch = {.op = LEASE_OP_BIND};

	lease_test_record(&ch.rec, tenant, address, end);
	return ch;
}

static struct lease_change set_state(enum lease_op op, uint32_t tenant, uint32_t address)
{
	struct lease_change ch = {.op = op};

	ch.rec.tenant_id = tenant;
	ch.rec.address = address;
	ch.rec.end_time = NOW - 10;
	ch.rec.cltt = NOW - 10;
	return ch;
}

/*
 * zeta:  10.0.0.5 active, 10.0.0.9 active but past its end, 10.0.0.7 released,
 *        10.0.0.6 declined, 10.0.0.2 active
 * alpha: 10.0.0.5 active
 */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct lease_store_params p;
	struct lease_store *s;

	lease_test_dir_make(&f->dir);
	p = lease_test_params(f->dir.db);
	s = lease_test_open(&p);
	assert_int_equal(lease_store_tenant_id(s, "zeta", &f->zeta), 0);
	assert_int_equal(lease_store_tenant_id(s, "alpha", &f->alpha), 0);
	assert_int_equal(lease_store_start(s), 0);

	struct lease_change ch[] = {
	    bind(f->zeta, SHARED_ADDR, NOW + 3600),  bind(f->zeta, 0x0a000009, NOW - 1),
	    bind(f->zeta, 0x0a000007, NOW + 3600),   bind(f->zeta, 0x0a000006, NOW + 3600),
	    bind(f->alpha, SHARED_ADDR, NOW + 7200), bind(f->zeta, 0x0a000002, NOW + 60),
	};

	ch[4].rec.hostname_len = 5;
	memcpy(ch[4].rec.hostname, "alpha", 5);
	commit(s, ch, sizeof(ch) / sizeof(ch[0]));
	struct lease_change st[] = {
	    set_state(LEASE_OP_RELEASE, f->zeta, 0x0a000007),
	    set_state(LEASE_OP_DECLINE, f->zeta, 0x0a000006),
	};

	commit(s, st, 2);
	lease_store_close(s);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	lease_test_dir_remove(&f->dir);
	free(f);
	return 0;
}

struct seen {
	size_t n;
	char tenant[8][16];
	struct lease_record rec[8];
	int stop_after; /* return 1 after this many calls; 0 = never */
};

static int collect(void *ctx, const struct lease_record *rec)
{
	struct seen *s = ctx;

	assert_true(s->n < 8);
	s->rec[s->n++] = *rec;
	return s->stop_after != 0 && (int)s->n >= s->stop_after ? 77 : 0;
}

static int collect_named(void *ctx, const char *tenant, const struct lease_record *rec)
{
	struct seen *s = ctx;

	assert_true(s->n < 8);
	snprintf(s->tenant[s->n], sizeof(s->tenant[0]), "%s", tenant);
	s->rec[s->n++] = *rec;
	return s->stop_after != 0 && (int)s->n >= s->stop_after ? 78 : 0;
}

static void test_load_active_only_live_leases_of_tenant(void **state)
{
	struct fixture *f = *state;
	struct lease_store_params p = lease_test_params(f->dir.db);
	struct lease_store *s = lease_test_open(&p);
	struct seen seen = {0};

	assert_int_equal(lease_store_load_active(s, f->zeta, NOW, collect, &seen), 0);
	/* Not the expired-by-time, the released, the declined, nor alpha's. In address order. */
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.rec[0].address, 0x0a000002);
	assert_int_equal(seen.rec[1].address, SHARED_ADDR);
	assert_int_equal(seen.rec[1].tenant_id, f->zeta);
	assert_int_equal(seen.rec[1].end_time, NOW + 3600);
	assert_int_equal(seen.rec[1].hwlen, 6);
	assert_memory_equal(seen.rec[1].hwaddr, "\x02\x00\x00\x00\x00\x05", 6);
	assert_int_equal(seen.rec[1].hostname_len, 0);

	memset(&seen, 0, sizeof(seen));
	assert_int_equal(lease_store_load_active(s, f->alpha, NOW, collect, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.rec[0].address, SHARED_ADDR);
	assert_int_equal(seen.rec[0].tenant_id, f->alpha);
	assert_int_equal(seen.rec[0].end_time, NOW + 7200);
	assert_int_equal(seen.rec[0].hostname_len, 5);
	assert_memory_equal(seen.rec[0].hostname, "alpha", 5);

	/* Later, the short lease has ended too. */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(lease_store_load_active(s, f->zeta, NOW + 60, collect, &seen), 0);
	assert_int_equal(seen.n, 1);
	/* A callback's non-zero value stops the walk and is returned. */
	memset(&seen, 0, sizeof(seen));
	seen.stop_after = 1;
	assert_int_equal(lease_store_load_active(s, f->zeta, NOW, collect, &seen), 77);
	assert_int_equal(seen.n, 1);
	/* An unknown tenant simply has no leases. */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(lease_store_load_active(s, 4242, NOW, collect, &seen), 0);
	assert_int_equal(seen.n, 0);
	lease_store_close(s);
}

/*
 * Declined addresses whose quarantine runs past the load's @now: the fixture's 10.0.0.6
 * (its quarantine ended at NOW - 10) is not one; two new DECLINEs, until NOW + 300 and
 * NOW + 600, are, in zeta only, until then.
 */
static void test_load_declined_only_running_quarantines(void **state)
{
	struct fixture *f = *state;
	struct lease_store_params p = lease_test_params(f->dir.db);
	struct lease_store *s = lease_test_open(&p);
	struct seen seen = {0};

	assert_int_equal(lease_store_load_declined(s, f->zeta, NOW, collect, &seen), 0);
	assert_int_equal(seen.n, 0);
	assert_int_equal(lease_store_start(s), 0);
	struct lease_change ch[] = {
	    bind(f->zeta, 0x0a000008, NOW + 3600),
	    bind(f->zeta, 0x0a000003, NOW + 3600),
	    set_state(LEASE_OP_DECLINE, f->zeta, 0x0a000008),
	    set_state(LEASE_OP_DECLINE, f->zeta, 0x0a000003),
	};
	ch[2].rec.end_time = NOW + 600;
	ch[3].rec.end_time = NOW + 300;
	commit(s, ch, 4);

	assert_int_equal(lease_store_load_declined(s, f->zeta, NOW, collect, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.rec[0].address, 0x0a000003);
	assert_int_equal(seen.rec[1].address, 0x0a000008);
	assert_int_equal(seen.rec[1].state, LEASE_STATE_DECLINED);
	assert_int_equal(seen.rec[1].end_time, NOW + 600);
	/* Not among the active leases; later, only the longer quarantine runs; not alpha's. */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(lease_store_load_active(s, f->zeta, NOW, collect, &seen), 0);
	for (size_t i = 0; i < seen.n; i++)
		assert_true(seen.rec[i].address != 0x0a000008 && seen.rec[i].address != 0x0a000003);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(lease_store_load_declined(s, f->zeta, NOW + 300, collect, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.rec[0].address, 0x0a000008);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(lease_store_load_declined(s, f->alpha, NOW, collect, &seen), 0);
	assert_int_equal(seen.n, 0);
	/* A callback's non-zero value stops the walk and is returned. */
	seen.stop_after = 1;
	assert_int_equal(lease_store_load_declined(s, f->zeta, NOW, collect, &seen), 77);
	assert_int_equal(seen.n, 1);
	lease_store_close(s);
}

static struct lease_reader *reader_open(const char *path)
{
	char err[512] = "";
	struct lease_reader *rd = lease_reader_open(path, err, sizeof(err));

	if (rd == NULL)
		fail_msg("lease_reader_open: %s", err);
	return rd;
}

static void test_reader_orders_and_filters(void **state)
{
	struct fixture *f = *state;
	struct lease_reader *rd = reader_open(f->dir.db);
	struct lease_filter filter = {0};
	struct seen seen = {0};

	/* Every lease, by tenant name, then address. */
	assert_int_equal(lease_reader_foreach(rd, &filter, collect_named, &seen), 0);
	assert_int_equal(seen.n, 6);
	assert_string_equal(seen.tenant[0], "alpha");
	assert_int_equal(seen.rec[0].address, SHARED_ADDR);
	static const uint32_t zeta_order[] = {0x0a000002, SHARED_ADDR, 0x0a000006, 0x0a000007,
	                                      0x0a000009};
	for (size_t i = 0; i < 5; i++) {
		assert_string_equal(seen.tenant[i + 1], "zeta");
		assert_int_equal(seen.rec[i + 1].address, zeta_order[i]);
	}
	assert_int_equal(seen.rec[3].state, LEASE_STATE_DECLINED);
	assert_int_equal(seen.rec[4].state, LEASE_STATE_RELEASED);
	/* NULL filter is no filter. */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(lease_reader_foreach(rd, NULL, collect_named, &seen), 0);
	assert_int_equal(seen.n, 6);

	/* By tenant. */
	memset(&seen, 0, sizeof(seen));
	filter.tenant = "alpha";
	assert_int_equal(lease_reader_foreach(rd, &filter, collect_named, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.rec[0].tenant_id, f->alpha);

	/* By state, across tenants: expiry by time is not a state, so 10.0.0.9 is active. */
	memset(&seen, 0, sizeof(seen));
	filter.tenant = NULL;
	filter.state = LEASE_STATE_ACTIVE;
	assert_int_equal(lease_reader_foreach(rd, &filter, collect_named, &seen), 0);
	assert_int_equal(seen.n, 4);

	/* Both. */
	memset(&seen, 0, sizeof(seen));
	filter.tenant = "zeta";
	filter.state = LEASE_STATE_RELEASED;
	assert_int_equal(lease_reader_foreach(rd, &filter, collect_named, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.rec[0].address, 0x0a000007);
	assert_int_equal(seen.rec[0].end_time, NOW - 10);

	/* A tenant that does not exist is an error, not an empty list. */
	filter.tenant = "nobody";
	filter.state = 0;
	assert_int_equal(lease_reader_foreach(rd, &filter, collect_named, &seen), -ENOENT);
	/* A name that is SQL is just a name that does not exist. */
	filter.tenant = "' OR 1=1 --";
	assert_int_equal(lease_reader_foreach(rd, &filter, collect_named, &seen), -ENOENT);

	/* The callback's value stops the walk. */
	memset(&seen, 0, sizeof(seen));
	seen.stop_after = 2;
	assert_int_equal(lease_reader_foreach(rd, NULL, collect_named, &seen), 78);
	assert_int_equal(seen.n, 2);
	lease_reader_close(rd);
}

static void test_reader_works_while_store_writes(void **state)
{
	struct fixture *f = *state;
	struct lease_store_params p = lease_test_params(f->dir.db);
	struct lease_store *s = lease_test_open(&p);
	struct lease_reader *rd = reader_open(f->dir.db);
	struct seen seen = {0};

	assert_int_equal(lease_store_start(s), 0);
	assert_int_equal(lease_reader_foreach(rd, NULL, collect_named, &seen), 0);
	assert_int_equal(seen.n, 6);

	struct lease_change ch = bind(f->alpha, 0x0a000001, NOW + 100);

	commit(s, &ch, 1);
	/* The same reader sees the new commit on its next walk. */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(lease_reader_foreach(rd, NULL, collect_named, &seen), 0);
	assert_int_equal(seen.n, 7);
	assert_int_equal(seen.rec[0].address, 0x0a000001);
	lease_reader_close(rd);
	lease_store_close(s);
}

static void test_reader_refuses_missing_and_foreign_files(void **state)
{
	struct fixture *f = *state;
	char path[LEASE_TEST_PATH_MAX + 32], err[1024];

	snprintf(path, sizeof(path), "%s/absent.db", f->dir.dir);
	errno = 0;
	assert_null(lease_reader_open(path, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "No such file"));
	/* A reader never creates the file. */
	assert_int_equal(access(path, F_OK), -1);

	/* Random bytes. */
	int fd = open(path, O_WRONLY | O_CREAT, 0600);
	char junk[4096];

	memset(junk, 0xa5, sizeof(junk));
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	assert_null(lease_reader_open(path, err, sizeof(err)));
	assert_non_null(strstr(err, "not a database or damaged"));
	unlink(path);

	/* A newer schema. */
	sqlite3 *db = lease_test_sql_open(f->dir.db);

	assert_int_equal(
	    sqlite3_exec(db, "UPDATE schema_version SET version = 99", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	errno = 0;
	assert_null(lease_reader_open(f->dir.db, err, sizeof(err)));
	assert_int_equal(errno, EPROTONOSUPPORT);
	assert_non_null(strstr(err, "newer"));
}

static void test_reader_rejects_out_of_range_rows(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db = lease_test_sql_open(f->dir.db);
	char sql[256];

	/* A hand-edited row with a hardware address longer than any record can hold. */
	snprintf(sql, sizeof(sql),
	         "UPDATE leases SET hwaddr = zeroblob(40) WHERE tenant_id = %u AND address = %u",
	         f->alpha, SHARED_ADDR);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	struct lease_reader *rd = reader_open(f->dir.db);
	struct seen seen = {0};

	assert_int_equal(lease_reader_foreach(rd, NULL, collect_named, &seen), -EBADMSG);
	assert_int_equal(seen.n, 0);
	lease_reader_close(rd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_load_active_only_live_leases_of_tenant, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_load_declined_only_running_quarantines, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_reader_orders_and_filters, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reader_works_while_store_writes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reader_refuses_missing_and_foreign_files, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_reader_rejects_out_of_range_rows, setup, teardown),
	};

	return cmocka_run_group_tests_name("lease_read", tests, NULL, NULL);
}
