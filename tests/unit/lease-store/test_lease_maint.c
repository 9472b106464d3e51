/*
 * The writer's maintenance and the startup flags: active leases whose time ran out are
 * ended in the database (with their EXPIRE event, dated at their end), a little at a time
 * and without holding up commits; old events are pruned in bounded steps; a failing
 * maintenance is logged and retried; leases the daemon finds outside its pools are
 * flagged, and unflagged when they are back inside.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "lease-store/lease_read.h"
#include "lease-store/lease_store.h"
#include "lease_test_util.h"

struct fixture {
	struct lease_test_dir dir;
	uint32_t tenant;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct lease_store_params p;
	struct lease_store *s;

	lease_test_dir_make(&f->dir);
	p = lease_test_params(f->dir.db);
	s = lease_test_open(&p);
	assert_int_equal(lease_store_tenant_id(s, "acme", &f->tenant), 0);
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

static int64_t sql_int(const char *path, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int64_t sql_int(const char *path, const char *fmt, ...)
{
	char sql[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	sqlite3 *db = lease_test_sql_open(path);
	int64_t v = lease_test_sql_int(db, sql);

	sqlite3_close(db);
	return v;
}

/* Waits until the store's counters satisfy expired >= @expired and pruned >= @pruned. */
static void wait_maint(struct lease_store *s, uint64_t expired, uint64_t pruned,
                       struct lease_store_stats *st)
{
	for (int i = 0; i < 20000; i++) {
		lease_store_get_stats(s, st);
		if (st->expired >= expired && st->pruned >= pruned)
			return;
		lease_test_sleep_ms(1);
	}
	fail_msg("maintenance did not finish: expired %llu of %llu, pruned %llu of %llu",
	         (unsigned long long)st->expired, (unsigned long long)expired,
	         (unsigned long long)st->pruned, (unsigned long long)pruned);
}

static void test_leases_that_ran_out_are_ended(void **state)
{
	struct fixture *f = *state;
	struct lease_store_params p = lease_test_params(f->dir.db);
	const int64_t now = (int64_t)time(NULL);
	struct lease_store_stats st;
	struct lease_store *s;

	/* Written by hand, as if granted before a daemon stopped for a while. */
	char sql[512];

	snprintf(sql, sizeof(sql),
	         "INSERT INTO leases (tenant_id, address, state, start_time, end_time, cltt,"
	         " hwtype, hwaddr) VALUES"
	         " (%u, 1, 1, %lld, %lld, %lld, 1, x'020000000001'),"
	         " (%u, 2, 1, %lld, %lld, %lld, 1, x'020000000002'),"
	         " (%u, 3, 1, %lld, %lld, %lld, 1, x'020000000003'),"
	         " (%u, 4, 2, %lld, %lld, %lld, 1, x'020000000004')",
	         f->tenant, (long long)(now - 7200), (long long)(now - 100),
	         (long long)(now - 7200), f->tenant, (long long)(now - 7200), (long long)(now - 50),
	         (long long)(now - 7200), f->tenant, (long long)(now - 60), (long long)(now + 3600),
	         (long long)(now - 60), f->tenant, (long long)(now - 7200), (long long)(now - 200),
	         (long long)(now - 300));
	lease_test_sql_exec(f->dir.db, sql);

	p.maint_interval_ms = 20;
	s = lease_test_open(&p);
	assert_int_equal(lease_store_start(s), 0);
	wait_maint(s, 2, 0, &st);
	lease_store_close(s);
	assert_int_equal(st.expired, 2);
	assert_int_equal(st.events, 2);
	assert_true(st.maint_runs >= 1);
	assert_int_equal(st.maint_failed, 0);

	assert_int_equal(sql_int(f->dir.db, "SELECT state FROM leases WHERE address = 1"),
	                 LEASE_STATE_EXPIRED);
	assert_int_equal(sql_int(f->dir.db, "SELECT state FROM leases WHERE address = 2"),
	                 LEASE_STATE_EXPIRED);
	/* The lease still running and the released one are left alone. */
	assert_int_equal(sql_int(f->dir.db, "SELECT state FROM leases WHERE address = 3"),
	                 LEASE_STATE_ACTIVE);
	assert_int_equal(sql_int(f->dir.db, "SELECT state FROM leases WHERE address = 4"),
	                 LEASE_STATE_RELEASED);
	/* Each expiry is an event dated at the lease's end, naming its client. */
	assert_int_equal(sql_int(f->dir.db,
	                         "SELECT count(*) FROM lease_events WHERE kind = 5 AND"
	                         " state = 3 AND address = 1 AND time = %lld AND"
	                         " hwaddr = x'020000000001'",
	                         (long long)(now - 100)),
	                 1);
	assert_int_equal(sql_int(f->dir.db, "SELECT count(*) FROM lease_events"), 2);
}

static void test_expiry_is_bounded_and_commits_go_on(void **state)
{
	struct fixture *f = *state;
	struct lease_store_params p = lease_test_params(f->dir.db);
	const int64_t now = (int64_t)time(NULL);
	const int backlog = 20000;
	struct lease_completion done;
	struct lease_store_stats st;
	struct lease_store *s;
	char sql[512];

	/* A backlog of leases that ran out long ago: more than a hundred transactions' worth. */
	snprintf(sql, sizeof(sql),
	         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
	         " INSERT INTO leases (tenant_id, address, state, start_time, end_time, cltt)"
	         " SELECT %u, i, 1, %lld, %lld + i, %lld FROM n",
	         backlog, f->tenant, (long long)(now - 86400), (long long)(now - 80000),
	         (long long)(now - 86400));
	lease_test_sql_exec(f->dir.db, sql);

	/* Quick transactions: the drain is what is watched here, not the disk. */
	p.synchronous_full = false;
	s = lease_test_open(&p);
	assert_int_equal(lease_store_start(s), 0);
	/* A client's change meanwhile is committed between two maintenance transactions. */
	struct lease_change ch =
	    lease_test_change(LEASE_OP_BIND, f->tenant, 0x0a000001, now + 3600);

	ch.cookie = 7;
	assert_int_equal(lease_store_submit(s, &ch), 0);
	assert_int_equal(lease_test_poll(s, 0, &done, 1, 10000), 1);
	assert_int_equal(done.status, 0);
	lease_store_get_stats(s, &st);
	assert_true(st.expired < (uint64_t)backlog);

	wait_maint(s, (uint64_t)backlog, 0, &st);
	lease_store_close(s);
	assert_int_equal(st.expired, backlog);
	/* Never more than LEASE_STORE_EXPIRE_MAX per transaction. */
	assert_true(st.maint_runs >=
	            (uint64_t)(backlog + LEASE_STORE_EXPIRE_MAX - 1) / LEASE_STORE_EXPIRE_MAX);
	assert_int_equal(sql_int(f->dir.db, "SELECT count(*) FROM leases WHERE state = 1"), 1);
	assert_int_equal(sql_int(f->dir.db, "SELECT count(*) FROM lease_events WHERE kind = 5"),
	                 backlog);
}

static void test_pruning_is_bounded(void **state)
{
	struct fixture *f = *state;
	struct lease_store_params p = lease_test_params(f->dir.db);
	const int64_t now = (int64_t)time(NULL), day = 86400;
	struct lease_store_stats st;
	struct lease_store *s;
	char sql[512];

	/* 3000 events from ten days ago and 10 from an hour ago; the retention is 2 days. */
	snprintf(sql, sizeof(sql),
	         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3010)"
	         " INSERT INTO lease_events (time, kind, keep_until, tenant_id, address, state,"
	         " cltt) SELECT t, 3, t, %u, i, 2, t FROM"
	         " (SELECT i, CASE WHEN i <= 3000 THEN %lld ELSE %lld END AS t FROM n)",
	         f->tenant, (long long)(now - 10 * day), (long long)(now - 3600));
	lease_test_sql_exec(f->dir.db, sql);
	p.events_retention_days = 2;
	s = lease_test_open(&p);
	assert_int_equal(lease_store_start(s), 0);
	wait_maint(s, 0, 3000, &st);
	lease_store_close(s);
	assert_int_equal(st.pruned, 3000);
	assert_true(st.maint_runs >= (3000 + LEASE_STORE_PRUNE_MAX - 1) / LEASE_STORE_PRUNE_MAX);
	assert_int_equal(sql_int(f->dir.db, "SELECT count(*) FROM lease_events"), 10);
	int64_t cutoff = sql_int(f->dir.db, "SELECT cutoff FROM lease_events_pruned");

	assert_true(cutoff >= now - 2 * day && cutoff <= now - 2 * day + 60);
}

/* Counts the lines of @path that contain @needle. */
static int count_lines(const char *path, const char *needle)
{
	FILE *fp = fopen(path, "r");
	char line[1024];
	int n = 0;

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strstr(line, needle) != NULL)
			n++;
	}
	fclose(fp);
	return n;
}

static void test_failing_maintenance_is_retried(void **state)
{
	struct fixture *f = *state;
	struct lease_store_params p = lease_test_params(f->dir.db);
	const int64_t now = (int64_t)time(NULL);
	char log_path[LEASE_TEST_PATH_MAX + 32], sql[256];
	struct lease_store_stats st;
	struct lease_store *s;
	int saved_stderr = dup(2);

	snprintf(sql, sizeof(sql),
	         "INSERT INTO leases (tenant_id, address, state, start_time, end_time, cltt)"
	         " VALUES (%u, 1, 1, %lld, %lld, %lld)",
	         f->tenant, (long long)(now - 3600), (long long)(now - 10),
	         (long long)(now - 3600));
	lease_test_sql_exec(f->dir.db, sql);
	snprintf(log_path, sizeof(log_path), "%s/stderr.log", f->dir.dir);
	int log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(log_fd >= 0 && saved_stderr >= 0);
	assert_int_equal(dup2(log_fd, 2), 2);
	close(log_fd);

	p.maint_interval_ms = 50;
	s = lease_test_open(&p);
	/* Someone else holds the write lock: the sweep cannot commit. */
	sqlite3 *blocker = lease_test_sql_open(f->dir.db);

	assert_int_equal(sqlite3_exec(blocker, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(lease_store_start(s), 0);
	for (int i = 0; i < 5000; i++) {
		lease_store_get_stats(s, &st);
		if (st.maint_failed >= 2)
			break;
		lease_test_sleep_ms(1);
	}
	assert_true(st.maint_failed >= 2);
	assert_int_equal(st.expired, 0);
	assert_int_equal(sqlite3_exec(blocker, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(blocker);
	/* Once the lock is gone, the next try succeeds by itself. */
	wait_maint(s, 1, 0, &st);
	lease_store_close(s);

	fflush(stderr);
	assert_int_equal(dup2(saved_stderr, 2), 2);
	close(saved_stderr);
	/* Logged once (rate limited), and the recovery too. */
	assert_int_equal(count_lines(log_path,
	                             "expiring ended leases and pruning old events failed:"
	                             " the database is locked by another process"),
	                 1);
	assert_int_equal(count_lines(log_path, "expiry and pruning work again"), 1);
	unlink(log_path);
	assert_int_equal(sql_int(f->dir.db, "SELECT state FROM leases WHERE address = 1"),
	                 LEASE_STATE_EXPIRED);
}

static void test_failing_chunk_does_not_fail_the_batch(void **state)
{
	struct fixture *f = *state;
	struct lease_store_params p = lease_test_params(f->dir.db);
	const int64_t now = (int64_t)time(NULL);
	struct lease_completion done;
	struct lease_store_stats st;
	struct lease_store *s;
	char sql[512];

	/* A lease that ran out, and an event past the retention. */
	snprintf(
	    sql, sizeof(sql),
	    "INSERT INTO leases (tenant_id, address, state, start_time, end_time, cltt)"
	    " VALUES (%u, 1, 1, %lld, %lld, %lld);"
	    "INSERT INTO lease_events (time, kind, keep_until, tenant_id, address, state, cltt)"
	    " VALUES (1, 3, 1, %u, 9, 2, 1);"
	    /* Every deletion of an event fails: so does every maintenance chunk. */
	    "CREATE TRIGGER no_prune BEFORE DELETE ON lease_events"
	    " BEGIN SELECT RAISE(ABORT, 'refused'); END;",
	    f->tenant, (long long)(now - 3600), (long long)(now - 10), (long long)(now - 3600),
	    f->tenant);
	lease_test_sql_exec(f->dir.db, sql);
	p.maint_interval_ms = 5;
	p.batch_usec = 20000; /* changes come one by one: each batch is due a chunk */
	s = lease_test_open(&p);
	assert_int_equal(lease_store_start(s), 0);
	for (uint32_t i = 0; i < 20; i++) {
		struct lease_change ch =
		    lease_test_change(LEASE_OP_BIND, f->tenant, 0x0a000100 + i, now + 3600);

		ch.cookie = i;
		lease_test_sleep_ms(6);
		assert_int_equal(lease_store_submit(s, &ch), 0);
		assert_int_equal(lease_test_poll(s, 0, &done, 1, 5000), 1);
		/* The batch commits although its maintenance chunk could not. */
		assert_int_equal(done.status, 0);
	}
	lease_store_get_stats(s, &st);
	assert_int_equal(st.committed, 20);
	assert_true(st.maint_failed >= 2);
	/* The chunk was undone whole: the expiry with the deletion. */
	assert_int_equal(st.expired, 0);
	assert_int_equal(sql_int(f->dir.db, "SELECT state FROM leases WHERE address = 1"),
	                 LEASE_STATE_ACTIVE);
	assert_int_equal(
	    sql_int(f->dir.db, "SELECT count(*) FROM leases WHERE address >= %u", 0x0a000100), 20);
	lease_test_sql_exec(f->dir.db, "DROP TRIGGER no_prune");
	wait_maint(s, 1, 1, &st);
	lease_store_close(s);
	assert_int_equal(sql_int(f->dir.db, "SELECT state FROM leases WHERE address = 1"),
	                 LEASE_STATE_EXPIRED);
}

static void test_damaged_row_is_ended_without_event(void **state)
{
	struct fixture *f = *state;
	struct lease_store_params p = lease_test_params(f->dir.db);
	const int64_t now = (int64_t)time(NULL);
	struct lease_store_stats st;
	struct lease_store *s;
	char sql[512];

	/* 40 leases that ran out, the first 35 with a hardware address no record can hold. */
	snprintf(sql, sizeof(sql),
	         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)"
	         " INSERT INTO leases (tenant_id, address, state, start_time, end_time, cltt,"
	         " hwaddr) SELECT %u, i, 1, %lld, %lld + i, %lld,"
	         " CASE WHEN i <= 35 THEN zeroblob(40) ELSE x'020000000001' END FROM n",
	         f->tenant, (long long)(now - 7200), (long long)(now - 3600),
	         (long long)(now - 7200));
	lease_test_sql_exec(f->dir.db, sql);
	p.maint_interval_ms = 20;
	s = lease_test_open(&p);
	assert_int_equal(lease_store_start(s), 0);
	wait_maint(s, 40, 0, &st);
	lease_store_close(s);
	assert_int_equal(st.expired, 40);
	assert_int_equal(sql_int(f->dir.db, "SELECT count(*) FROM leases WHERE state = 3"), 40);
	/* Only the readable ones have their event; the others did not stop the sweep. */
	assert_int_equal(sql_int(f->dir.db, "SELECT count(*) FROM lease_events WHERE kind = 5"), 5);
	/* The sweep kept each row's last client transaction time. */
	assert_int_equal(sql_int(f->dir.db, "SELECT count(*) FROM leases WHERE cltt = %lld",
	                         (long long)(now - 7200)),
	                 40);
}

struct outside_ctx {
	uint32_t outside; /* the address to call outside the pools */
	uint32_t stop_at; /* the address at which to stop with 77; 0 = never */
	int calls;
};

static int load_fn(void *ctx, const struct lease_record *rec)
{
	struct outside_ctx *o = ctx;

	o->calls++;
	if (rec->address == o->stop_at)
		return 77;
	return rec->address == o->outside ? LEASE_LOAD_OUTSIDE : 0;
}

static int flagged(const char *path, uint32_t addr)
{
	return (int)sql_int(path, "SELECT outside_pools FROM leases WHERE address = %u", addr);
}

static int reader_flag(void *ctx, const char *tenant, const struct lease_record *rec)
{
	uint32_t *mask = ctx;

	(void)tenant;
	if (rec->outside_pools)
		*mask |= 1u << rec->address;
	return 0;
}

static void test_outside_pools_are_flagged(void **state)
{
	struct fixture *f = *state;
	struct lease_store_params p = lease_test_params(f->dir.db);
	struct lease_store *s = lease_test_open(&p);
	struct lease_change ch[] = {
	    lease_test_change(LEASE_OP_BIND, f->tenant, 1, 4000000000),
	    lease_test_change(LEASE_OP_BIND, f->tenant, 2, 4000000000),
	    lease_test_change(LEASE_OP_BIND, f->tenant, 3, 4000000000),
	};
	struct outside_ctx o = {.outside = 2};

	assert_int_equal(lease_store_start(s), 0);
	lease_test_commit(s, ch, 3);
	assert_int_equal(lease_store_load_active(s, f->tenant, 3900000000, load_fn, &o), 0);
	assert_int_equal(o.calls, 3);
	assert_int_equal(flagged(f->dir.db, 1), 0);
	assert_int_equal(flagged(f->dir.db, 2), 1);
	assert_int_equal(flagged(f->dir.db, 3), 0);

	/* Operators see the flag through the reader. */
	char err[256];
	struct lease_reader *rd = lease_reader_open(f->dir.db, err, sizeof(err));
	uint32_t mask = 0;

	assert_non_null(rd);
	assert_int_equal(lease_reader_foreach(rd, NULL, reader_flag, &mask), 0);
	assert_int_equal(mask, 1u << 2);
	lease_reader_close(rd);

	/* The pools changed again: 2 is back inside, 3 is out. */
	o = (struct outside_ctx){.outside = 3};
	assert_int_equal(lease_store_load_active(s, f->tenant, 3900000000, load_fn, &o), 0);
	assert_int_equal(flagged(f->dir.db, 2), 0);
	assert_int_equal(flagged(f->dir.db, 3), 1);

	/* A load the callback stops leaves the flags as they were. */
	o = (struct outside_ctx){.outside = 1, .stop_at = 2};
	assert_int_equal(lease_store_load_active(s, f->tenant, 3900000000, load_fn, &o), 77);
	assert_int_equal(flagged(f->dir.db, 1), 0);
	assert_int_equal(flagged(f->dir.db, 3), 1);

	/* A new binding of a flagged address (a pool grew back) clears it. */
	struct lease_change again = lease_test_change(LEASE_OP_RENEW, f->tenant, 3, 4000000100);

	lease_test_commit(s, &again, 1);
	assert_int_equal(flagged(f->dir.db, 3), 0);
	lease_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_leases_that_ran_out_are_ended, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expiry_is_bounded_and_commits_go_on, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_pruning_is_bounded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failing_maintenance_is_retried, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failing_chunk_does_not_fail_the_batch, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_damaged_row_is_ended_without_event, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_outside_pools_are_flagged, setup, teardown),
	};

	return cmocka_run_group_tests_name("lease_maint", tests, NULL, NULL);
}
