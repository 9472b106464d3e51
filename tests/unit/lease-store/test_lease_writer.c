/*
 * The submission queue, the writer thread and the completion queues, end to end: what is
 * acknowledged is in the database, completions reach the owner that asked, commits are
 * grouped, a full queue says so, a failing database fails the changes (never a false
 * success) and service resumes by itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "lease-store/lease_store.h"
#include "lease_test_util.h"

struct fixture {
	struct lease_test_dir dir;
	uint32_t tenant_a;
	uint32_t tenant_b;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct lease_store_params p;
	struct lease_store *s;

	lease_test_dir_make(&f->dir);
	p = lease_test_params(f->dir.db);
	s = lease_test_open(&p);
	assert_int_equal(lease_store_tenant_id(s, "a", &f->tenant_a), 0);
	assert_int_equal(lease_store_tenant_id(s, "b", &f->tenant_b), 0);
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

static struct lease_change bind_change(uint32_t tenant, uint32_t address, uint16_t owner,
                                       uint32_t cookie)
{
	struct lease_change ch = {.op = LEASE_OP_BIND, .owner = owner, .cookie = cookie};

	lease_test_record(&ch.rec, tenant, address, 4000000000);
	return ch;
}

static void test_submit_commits_and_completes_to_owner(void **state)
{
	struct fixture *f = *state;
	struct lease_store_params p = lease_test_params(f->dir.db);
	struct lease_store *s = lease_test_open(&p);
	struct lease_completion done[2][100];
	bool seen[200] = {false};
	struct lease_store_stats st;

	assert_int_equal(lease_store_start(s), 0);
	for (uint32_t i = 0; i < 200; i++) {
		uint16_t owner = (uint16_t)(i % 2);
		struct lease_change ch =
		    bind_change(owner ? f->tenant_b : f->tenant_a, 0x0a000000 + i, owner, 1000 + i);

		if (i == 3) {
			/* One row with every optional field, to check what lands in the row. */
			ch.rec.client_id_len = 7;
			memcpy(ch.rec.client_id, "\x01\x02\x00\x00\x00\x03\x01", 7);
			ch.rec.hostname_len = 9;
			memcpy(ch.rec.hostname, "laptop-'3", 9);
			ch.rec.giaddr = 0xc0a80101;
			ch.rec.circuit_id_len = 4;
			memcpy(ch.rec.circuit_id, "eth0", 4);
			ch.rec.remote_id_len = 2;
			memcpy(ch.rec.remote_id, "\xff\x00", 2);
			ch.rec.port = 1;
			ch.rec.vlan_outer = 300;
			ch.rec.vlan_inner = 100;
		}
		assert_int_equal(lease_store_submit(s, &ch), 0);
	}
	for (uint16_t owner = 0; owner < 2; owner++) {
		assert_int_equal(lease_test_poll(s, owner, done[owner], 100, 10000), 100);
		for (size_t i = 0; i < 100; i++) {
			uint32_t idx = done[owner][i].cookie - 1000;

			assert_int_equal(done[owner][i].status, 0);
			assert_true(idx < 200);
			/* Each cookie comes back once, and to the owner that submitted it. */
			assert_int_equal(idx % 2, owner);
			assert_false(seen[idx]);
			seen[idx] = true;
		}
	}
	lease_store_get_stats(s, &st);
	assert_int_equal(st.submitted, 200);
	assert_int_equal(st.committed, 200);
	assert_int_equal(st.failed, 0);
	/* Nothing more arrives. */
	assert_int_equal(lease_store_poll(s, 0, done[0], 100), 0);

	/* The rows are there for any other connection, as submitted. */
	sqlite3 *db = lease_test_sql_open(f->dir.db);
	char sql[512];

	assert_int_equal(lease_test_sql_int(db, "SELECT count(*) FROM leases"), 200);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM leases WHERE tenant_id = %u AND address = %u AND state = 1"
	         " AND end_time = 4000000000 AND hwaddr = x'020000000003' AND client_id ="
	         " x'01020000000301' AND hostname = 'laptop-''3' AND giaddr = %u AND circuit_id ="
	         " CAST('eth0' AS BLOB) AND remote_id = x'ff00' AND port = 1 AND vlan_outer = 300"
	         " AND vlan_inner = 100",
	         f->tenant_b, 0x0a000003, 0xc0a80101);
	assert_int_equal(lease_test_sql_int(db, sql), 1);
	/* Empty optional fields are stored as NULL. */
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM leases WHERE address = %u AND client_id IS NULL AND"
	         " hostname IS NULL AND circuit_id IS NULL",
	         0x0a000004);
	assert_int_equal(lease_test_sql_int(db, sql), 1);
	sqlite3_close(db);
	lease_store_close(s);
}

static void test_state_changes_keep_the_binding(void **state)
{
	struct fixture *f = *state;
	struct lease_store_params p = lease_test_params(f->dir.db);
	struct lease_store *s = lease_test_open(&p);
	struct lease_completion done[8];
	static const struct {
		enum lease_op op;
		int state;
	} ops[] = {{LEASE_OP_RELEASE, LEASE_STATE_RELEASED},
	           {LEASE_OP_DECLINE, LEASE_STATE_DECLINED},
	           {LEASE_OP_EXPIRE, LEASE_STATE_EXPIRED}};

	assert_int_equal(lease_store_start(s), 0);
	for (uint32_t i = 0; i < 3; i++) {
		struct lease_change ch = bind_change(f->tenant_a, 0x0a000001 + i, 0, i);

		assert_int_equal(lease_store_submit(s, &ch), 0);
	}
	assert_int_equal(lease_test_poll(s, 0, done, 3, 5000), 3);
	for (uint32_t i = 0; i < 3; i++) {
		struct lease_change ch = {.op = ops[i].op, .owner = 0, .cookie = 10 + i};

		/* Only the key and the times matter for a state change. */
		ch.rec.tenant_id = f->tenant_a;
		ch.rec.address = 0x0a000001 + i;
		ch.rec.end_time = 1700000000;
		ch.rec.cltt = 1700000000;
		assert_int_equal(lease_store_submit(s, &ch), 0);
	}
	/* A renewal moves the end time of the same row. */
	struct lease_change renew = bind_change(f->tenant_b, 0x0a000001, 0, 20);

	assert_int_equal(lease_store_submit(s, &renew), 0);
	renew.op = LEASE_OP_RENEW;
	renew.rec.end_time = 4100000000;
	assert_int_equal(lease_store_submit(s, &renew), 0);
	assert_int_equal(lease_test_poll(s, 0, done, 5, 5000), 5);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(done[i].status, 0);
	lease_store_close(s);

	for (uint32_t i = 0; i < 3; i++) {
		char sql[200];

		snprintf(sql, sizeof(sql),
		         "SELECT state FROM leases WHERE tenant_id = %u AND address = %u AND"
		         " end_time = 1700000000 AND cltt = 1700000000 AND hwaddr IS NOT NULL",
		         f->tenant_a, 0x0a000001 + i);
		assert_int_equal(lease_test_path_int(f->dir.db, sql), ops[i].state);
	}
	assert_int_equal(lease_test_path_int(f->dir.db, "SELECT max(end_time) FROM leases"),
	                 4100000000);
	assert_int_equal(lease_test_path_int(f->dir.db, "SELECT count(*) FROM leases"), 4);
}

/*
 * A RENEW of the client the row names changes the row in place (times, relay details),
 * and one whose row names another client, or that finds no row, writes the whole row:
 * either way the row and the indexes by hardware address end up right.
 */
static void test_renew_in_place_or_whole_row(void **state)
{
	struct fixture *f = *state;
	struct lease_store_params p = lease_test_params(f->dir.db);
	struct lease_store *s = lease_test_open(&p);
	struct lease_completion done[8];
	struct lease_change ch[4];

	ch[0] = bind_change(f->tenant_a, 0x0a000001, 0, 0);
	/* The same client renews: new times and a new circuit id. */
	ch[1] = bind_change(f->tenant_a, 0x0a000001, 0, 1);
	ch[1].op = LEASE_OP_RENEW;
	ch[1].rec.end_time = 4100000000;
	ch[1].rec.cltt = 4099996400;
	memcpy(ch[1].rec.circuit_id, "port-7", 6);
	ch[1].rec.circuit_id_len = 6;
	/* Another client's RENEW of that address: the whole row is its now. */
	ch[2] = bind_change(f->tenant_a, 0x0a000001, 0, 2);
	ch[2].op = LEASE_OP_RENEW;
	ch[2].rec.hwaddr[5] = 0x99;
	ch[2].rec.end_time = 4200000000;
	/* A RENEW with no row yet (lost, or written by hand away): the row is created. */
	ch[3] = bind_change(f->tenant_b, 0x0a000002, 0, 3);
	ch[3].op = LEASE_OP_RENEW;
	assert_int_equal(lease_store_start(s), 0);
	assert_int_equal(lease_store_submit(s, &ch[0]), 0);
	assert_int_equal(lease_store_submit(s, &ch[1]), 0);
	assert_int_equal(lease_test_poll(s, 0, done, 2, 5000), 2);
	assert_int_equal(done[1].status, 0);
	lease_store_close(s);

	char sql[256];

	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM leases INDEXED BY leases_by_hwaddr WHERE tenant_id = %u"
	         " AND hwaddr = x'020000000001' AND end_time = 4100000000 AND"
	         " cltt = 4099996400 AND circuit_id = CAST('port-7' AS BLOB) AND state = 1",
	         f->tenant_a);
	assert_int_equal(lease_test_path_int(f->dir.db, sql), 1);

	s = lease_test_open(&p);
	assert_int_equal(lease_store_start(s), 0);
	assert_int_equal(lease_store_submit(s, &ch[2]), 0);
	assert_int_equal(lease_store_submit(s, &ch[3]), 0);
	assert_int_equal(lease_test_poll(s, 0, done, 2, 5000), 2);
	assert_int_equal(done[0].status, 0);
	assert_int_equal(done[1].status, 0);
	lease_store_close(s);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM leases INDEXED BY leases_by_hwaddr WHERE tenant_id = %u"
	         " AND hwaddr = x'020000000099' AND end_time = 4200000000 AND circuit_id IS NULL",
	         f->tenant_a);
	assert_int_equal(lease_test_path_int(f->dir.db, sql), 1);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM leases INDEXED BY leases_by_hwaddr WHERE tenant_id = %u"
	         " AND hwaddr = x'020000000001'",
	         f->tenant_a);
	assert_int_equal(lease_test_path_int(f->dir.db, sql), 0);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM leases WHERE tenant_id = %u AND address = %u", f->tenant_b,
	         0x0a000002);
	assert_int_equal(lease_test_path_int(f->dir.db, sql), 1);
	/* One event per change: the bind and three renewals. */
	assert_int_equal(
	    lease_test_path_int(f->dir.db, "SELECT count(*) FROM lease_events WHERE kind = 2"), 3);
	assert_int_equal(
	    lease_test_path_int(f->dir.db, "SELECT count(*) FROM lease_events WHERE kind = 1"), 1);
}

static void test_group_commit_batches(void **state)
{
	struct fixture *f = *state;
	struct lease_store_params p = lease_test_params(f->dir.db);
	struct lease_completion done[500];
	struct lease_store_stats st;
	struct lease_store *s;

	p.queue_size = 512;
	p.batch_max = 64;
	p.batch_usec = 1000;
	s = lease_test_open(&p);
	/* Queued before the writer starts: it finds them all at once. */
	for (uint32_t i = 0; i < 500; i++) {
		struct lease_change ch = bind_change(f->tenant_a, i + 1, 0, i);

		assert_int_equal(lease_store_submit(s, &ch), 0);
	}
	assert_int_equal(lease_store_start(s), 0);
	assert_int_equal(lease_test_poll(s, 0, done, 500, 10000), 500);
	lease_store_get_stats(s, &st);
	assert_int_equal(st.committed, 500);
	/* ceil(500 / 64) = 8 transactions, and never more changes in one than batch_max. */
	assert_int_equal(st.transactions, 8);

	/* While it runs: a burst is still grouped. */
	for (uint32_t i = 0; i < 200; i++) {
		struct lease_change ch = bind_change(f->tenant_b, i + 1, 1, i);

		assert_int_equal(lease_store_submit(s, &ch), 0);
	}
	assert_int_equal(lease_test_poll(s, 1, done, 200, 10000), 200);
	lease_store_get_stats(s, &st);
	assert_int_equal(st.committed, 700);
	assert_true(st.transactions - 8 < 200 / 4);
	lease_store_close(s);
	assert_int_equal(lease_test_path_int(f->dir.db, "SELECT count(*) FROM leases"), 700);
}

static void test_full_queue_says_eagain(void **state)
{
	struct fixture *f = *state;
	struct lease_store_params p = lease_test_params(f->dir.db);
	struct lease_completion done[16];
	struct lease_store_stats st;
	struct lease_store *s;
	struct lease_change ch;

	p.queue_size = 5; /* rounded up to 8 */
	s = lease_test_open(&p);
	/* The writer is not started, so nothing drains the queue. */
	for (uint32_t i = 0; i < 8; i++) {
		ch = bind_change(f->tenant_a, i + 1, (uint16_t)(i % 2), i);
		assert_int_equal(lease_store_submit(s, &ch), 0);
	}
	ch = bind_change(f->tenant_a, 100, 0, 100);
	assert_int_equal(lease_store_submit(s, &ch), -EAGAIN);
	assert_int_equal(lease_store_submit(s, &ch), -EAGAIN);
	lease_store_get_stats(s, &st);
	assert_int_equal(st.submitted, 8);
	assert_int_equal(st.rejected_full, 2);

	assert_int_equal(lease_store_start(s), 0);
	assert_int_equal(lease_test_poll(s, 0, done, 4, 5000), 4);
	assert_int_equal(lease_test_poll(s, 1, done + 4, 4, 5000), 4);
	/* Owner 0 now submits 8 more and never polls: its completions fill its ring. */
	for (uint32_t i = 0; i < 8; i++) {
		ch = bind_change(f->tenant_a, 200 + i, 0, 200 + i);
		assert_int_equal(lease_store_submit(s, &ch), 0);
	}
	for (int i = 0; i < 5000; i++) {
		lease_store_get_stats(s, &st);
		if (st.committed == 16)
			break;
		lease_test_sleep_ms(1);
	}
	assert_int_equal(st.committed, 16);
	/* The submission queue is empty, but owner 0 has 8 completions it has not taken. */
	ch = bind_change(f->tenant_a, 300, 0, 300);
	assert_int_equal(lease_store_submit(s, &ch), -EAGAIN);
	/* Other owners are not held up by it. */
	ch.owner = 1;
	assert_int_equal(lease_store_submit(s, &ch), 0);
	assert_int_equal(lease_test_poll(s, 1, done, 1, 5000), 1);
	/* Taking the completions lets owner 0 submit again. */
	assert_int_equal(lease_test_poll(s, 0, done, 8, 5000), 8);
	ch = bind_change(f->tenant_a, 301, 0, 301);
	assert_int_equal(lease_store_submit(s, &ch), 0);
	assert_int_equal(lease_test_poll(s, 0, done, 1, 5000), 1);
	assert_int_equal(done[0].cookie, 301);
	lease_store_close(s);
}

static void test_invalid_changes_refused_or_failed_alone(void **state)
{
	struct fixture *f = *state;
	struct lease_store_params p = lease_test_params(f->dir.db);
	struct lease_store *s = lease_test_open(&p);
	struct lease_completion done[3];
	struct lease_change ch;

	/* Refused at once: no such owner, no tenant, an hwaddr longer than the field. */
	ch = bind_change(f->tenant_a, 1, 2, 0);
	assert_int_equal(lease_store_submit(s, &ch), -EINVAL);
	ch = bind_change(0, 1, 0, 0);
	assert_int_equal(lease_store_submit(s, &ch), -EINVAL);
	ch = bind_change(f->tenant_a, 1, 0, 0);
	ch.rec.hwlen = LEASE_HWADDR_MAX + 1;
	assert_int_equal(lease_store_submit(s, &ch), -EINVAL);
	ch = bind_change(f->tenant_a, 1, 0, 0);
	ch.op = (enum lease_op)99;
	assert_int_equal(lease_store_submit(s, &ch), -EINVAL);

	/* A tenant id the database does not know fails alone inside its batch. */
	ch = bind_change(f->tenant_a, 1, 0, 1);
	assert_int_equal(lease_store_submit(s, &ch), 0);
	ch = bind_change(9999, 2, 0, 2);
	assert_int_equal(lease_store_submit(s, &ch), 0);
	ch = bind_change(f->tenant_a, 3, 0, 3);
	assert_int_equal(lease_store_submit(s, &ch), 0);
	assert_int_equal(lease_store_start(s), 0);
	assert_int_equal(lease_test_poll(s, 0, done, 3, 5000), 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(done[i].status, done[i].cookie == 2 ? -EINVAL : 0);
	struct lease_store_stats st;

	lease_store_get_stats(s, &st);
	assert_int_equal(st.committed, 2);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.transactions, 1);
	lease_store_close(s);
	assert_int_equal(lease_test_path_int(f->dir.db, "SELECT count(*) FROM leases"), 2);
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

static void test_failure_fails_changes_then_recovers(void **state)
{
	struct fixture *f = *state;
	struct lease_store_params p = lease_test_params(f->dir.db);
	struct lease_store *s = lease_test_open(&p);
	struct lease_completion done[8];
	struct lease_store_stats st;
	char log_path[LEASE_TEST_PATH_MAX + 32];
	int saved_stderr = dup(2);
	const int batches = 5;

	/* Capture the writer's log lines. */
	snprintf(log_path, sizeof(log_path), "%s/stderr.log", f->dir.dir);
	int log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(log_fd >= 0 && saved_stderr >= 0);
	assert_int_equal(dup2(log_fd, 2), 2);
	close(log_fd);

	assert_int_equal(lease_store_start(s), 0);
	/* Another connection takes the write lock: every commit now finds the database busy. */
	sqlite3 *blocker = lease_test_sql_open(f->dir.db);

	assert_int_equal(sqlite3_exec(blocker, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	time_t t0 = time(NULL);

	for (uint32_t i = 0; i < (uint32_t)batches; i++) {
		struct lease_change ch = bind_change(f->tenant_a, 0x0a000001 + i, 0, i);

		assert_int_equal(lease_store_submit(s, &ch), 0);
		/* One at a time, so each is its own failing batch. */
		assert_int_equal(lease_test_poll(s, 0, done, 1, 5000), 1);
		assert_int_equal(done[0].cookie, i);
		assert_int_equal(done[0].status, -EBUSY);
	}
	time_t elapsed = time(NULL) - t0;

	lease_store_get_stats(s, &st);
	assert_int_equal(st.failed, batches);
	assert_int_equal(st.committed, 0);
	assert_int_equal(lease_test_sql_int(blocker, "SELECT count(*) FROM leases"), 0);
	assert_int_equal(sqlite3_exec(blocker, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(blocker);

	/* Nothing else has to happen: the next batch just works. */
	for (uint32_t i = 0; i < 4; i++) {
		struct lease_change ch = bind_change(f->tenant_a, 0x0a000101 + i, 0, 100 + i);

		assert_int_equal(lease_store_submit(s, &ch), 0);
	}
	assert_int_equal(lease_test_poll(s, 0, done, 4, 5000), 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(done[i].status, 0);
	lease_store_close(s);

	fflush(stderr);
	assert_int_equal(dup2(saved_stderr, 2), 2);
	close(saved_stderr);
	/*
	 * The failures were logged, but rate-limited: one line a second at most (so fewer
	 * lines than failed batches, unless a loaded machine made each batch take a second).
	 */
	int lines = count_lines(log_path, "lease changes failed");

	assert_true(lines >= 1 && lines <= elapsed + 1);
	if (elapsed < batches - 1)
		assert_true(lines < batches);
	assert_int_equal(count_lines(log_path, "succeed again after 5 failed"), 1);
	unlink(log_path);
	/* Only the changes acknowledged with status 0 are in the database. */
	assert_int_equal(lease_test_path_int(f->dir.db, "SELECT count(*) FROM leases"), 4);
	assert_int_equal(lease_test_path_int(f->dir.db, "SELECT min(address) FROM leases"),
	                 0x0a000101);
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void test_idle_writer_sleeps(void **state)
{
	struct fixture *f = *state;
	struct lease_store_params p = lease_test_params(f->dir.db);
	struct lease_store *s = lease_test_open(&p);
	struct lease_completion done;

	assert_int_equal(lease_store_start(s), 0);
	double before = cpu_seconds();

	lease_test_sleep_ms(400);
	/* A spinning writer would have used ~0.4 s of CPU. */
	assert_true(cpu_seconds() - before < 0.05);

	/* And it still wakes up for work. */
	struct lease_change ch = bind_change(f->tenant_a, 1, 1, 42);

	assert_int_equal(lease_store_submit(s, &ch), 0);
	assert_int_equal(lease_test_poll(s, 1, &done, 1, 5000), 1);
	assert_int_equal(done.cookie, 42);
	assert_int_equal(done.status, 0);
	lease_store_close(s);
}

static void test_close_commits_what_was_queued(void **state)
{
	struct fixture *f = *state;
	struct lease_store_params p = lease_test_params(f->dir.db);
	struct lease_store *s = lease_test_open(&p);

	/* Never started: close commits on its own thread. */
	for (uint32_t i = 0; i < 10; i++) {
		struct lease_change ch = bind_change(f->tenant_a, i + 1, 0, i);

		assert_int_equal(lease_store_submit(s, &ch), 0);
	}
	lease_store_close(s);
	assert_int_equal(lease_test_path_int(f->dir.db, "SELECT count(*) FROM leases"), 10);

	/* Started, closed straight after submitting. */
	p.batch_usec = 1000000; /* close must not wait out a long batch window */
	s = lease_test_open(&p);
	assert_int_equal(lease_store_start(s), 0);
	for (uint32_t i = 0; i < 50; i++) {
		struct lease_change ch = bind_change(f->tenant_b, i + 1, 1, i);

		assert_int_equal(lease_store_submit(s, &ch), 0);
	}
	lease_store_close(s);
	assert_int_equal(lease_test_path_int(f->dir.db, "SELECT count(*) FROM leases"), 60);
}

/* One "lcore": submits its share and collects its own completions, as the engine will. */
struct producer {
	struct lease_store *store;
	uint32_t tenant;
	uint16_t owner;
	uint32_t count;
	uint32_t completed;
	uint32_t errors;
	uint32_t duplicates;
	uint8_t *seen;
};

static void producer_take(struct producer *pr)
{
	struct lease_completion done[64];
	size_t n = lease_store_poll(pr->store, pr->owner, done, 64);

	for (size_t i = 0; i < n; i++) {
		if (done[i].status != 0 || done[i].cookie >= pr->count)
			pr->errors++;
		else if (pr->seen[done[i].cookie]++ != 0)
			pr->duplicates++;
		pr->completed++;
	}
}

static void *producer_main(void *arg)
{
	struct producer *pr = arg;

	for (uint32_t i = 0; i < pr->count; i++) {
		struct lease_change ch =
		    bind_change(pr->tenant, (uint32_t)pr->owner << 16 | i, pr->owner, i);
		int ret;

		while ((ret = lease_store_submit(pr->store, &ch)) == -EAGAIN)
			producer_take(pr);
		if (ret != 0)
			pr->errors++;
		producer_take(pr);
	}
	for (int spins = 0; pr->completed < pr->count && spins < 20000; spins++) {
		producer_take(pr);
		lease_test_sleep_ms(1);
	}
	return NULL;
}

static void test_many_producers(void **state)
{
	struct fixture *f = *state;
	struct lease_store_params p = lease_test_params(f->dir.db);
	enum { N_PROD = 4, PER_PROD = 3000 };
	struct producer pr[N_PROD];
	pthread_t th[N_PROD];
	struct lease_store_stats st;
	struct lease_store *s;

	p.n_owners = N_PROD;
	p.queue_size = 64; /* small, so producers meet a full queue */
	p.synchronous_full = false;
	s = lease_test_open(&p);
	assert_int_equal(lease_store_start(s), 0);
	for (int i = 0; i < N_PROD; i++) {
		pr[i] = (struct producer){.store = s,
		                          .tenant = i % 2 ? f->tenant_b : f->tenant_a,
		                          .owner = (uint16_t)i,
		                          .count = PER_PROD,
		                          .seen = calloc(PER_PROD, 1)};
		assert_int_equal(pthread_create(&th[i], NULL, producer_main, &pr[i]), 0);
	}
	for (int i = 0; i < N_PROD; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(pr[i].completed, PER_PROD);
		assert_int_equal(pr[i].errors, 0);
		assert_int_equal(pr[i].duplicates, 0);
		free(pr[i].seen);
	}
	lease_store_get_stats(s, &st);
	assert_int_equal(st.submitted, N_PROD * PER_PROD);
	assert_int_equal(st.committed, N_PROD * PER_PROD);
	lease_store_close(s);
	assert_int_equal(lease_test_path_int(f->dir.db, "SELECT count(*) FROM leases"),
	                 N_PROD * PER_PROD);
}

static void test_checkpoints_off_the_writer(void **state)
{
	struct fixture *f = *state;
	struct lease_store_params p = lease_test_params(f->dir.db);
	struct lease_completion done[64];
	struct lease_store_stats st;
	struct stat sb;
	struct lease_store *s;
	uint32_t sent = 0, got = 0;

	p.synchronous_full = false;
	p.queue_size = 1024;
	p.batch_max = 512;
	s = lease_test_open(&p);
	assert_int_equal(stat(f->dir.db, &sb), 0);
	off_t before = sb.st_size;

	assert_int_equal(lease_store_start(s), 0);
	/* Enough changes to take the WAL well past 1000 pages. */
	while (got < 30000) {
		if (sent < 30000) {
			struct lease_change ch =
			    bind_change(f->tenant_a, 0x0a000000 + sent, 0, sent);

			if (lease_store_submit(s, &ch) == 0)
				sent++;
		}
		size_t n = lease_store_poll(s, 0, done, 64);

		for (size_t i = 0; i < n; i++)
			assert_int_equal(done[i].status, 0);
		got += (uint32_t)n;
		if (n == 0 && sent == 30000)
			lease_test_sleep_ms(1);
	}
	for (int i = 0; i < 5000; i++) {
		lease_store_get_stats(s, &st);
		if (st.checkpoints >= 1)
			break;
		lease_test_sleep_ms(1);
	}
	/* The checkpointer copied the WAL into the database file while the store ran. */
	assert_true(st.checkpoints >= 1);
	assert_int_equal(stat(f->dir.db, &sb), 0);
	assert_true(sb.st_size > before + 1024 * 1024);
	lease_store_close(s);
	assert_int_equal(lease_test_path_int(f->dir.db, "SELECT count(*) FROM leases"), 30000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_submit_commits_and_completes_to_owner, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_state_changes_keep_the_binding, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_renew_in_place_or_whole_row, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_group_commit_batches, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_full_queue_says_eagain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invalid_changes_refused_or_failed_alone, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_failure_fails_changes_then_recovers, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_idle_writer_sleeps, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_close_commits_what_was_queued, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_producers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_checkpoints_off_the_writer, setup, teardown),
	};

	return cmocka_run_group_tests_name("lease_writer", tests, NULL, NULL);
}
