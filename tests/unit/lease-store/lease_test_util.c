/*
 * Helpers shared by the lease-store unit tests.
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
#include <unistd.h>

#include <cmocka.h>

#include "lease_test_util.h"

void lease_test_dir_make(struct lease_test_dir *d)
{
	snprintf(d->dir, sizeof(d->dir), "/tmp/mtdhcp-lease-test-XXXXXX");
	assert_non_null(mkdtemp(d->dir));
	snprintf(d->db, sizeof(d->db), "%s/leases.db", d->dir);
}

void lease_test_dir_remove(struct lease_test_dir *d)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal", ".lock"};
	char p[LEASE_TEST_PATH_MAX + 32];

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", d->db, suffixes[i]);
		unlink(p);
	}
	assert_int_equal(rmdir(d->dir), 0);
}

struct lease_store_params lease_test_params(const char *path)
{
	return (struct lease_store_params){
	    .path = path,
	    .synchronous_full = true,
	    .batch_max = 64,
	    .batch_usec = 200,
	    .queue_size = 256,
	    .n_owners = 2,
	};
}

struct lease_store *lease_test_open(const struct lease_store_params *params)
{
	char err[512] = "";
	struct lease_store *s = lease_store_open(params, err, sizeof(err));

	if (s == NULL)
		fail_msg("lease_store_open(%s): %s", params->path, err);
	return s;
}

void lease_test_record(struct lease_record *rec, uint32_t tenant_id, uint32_t address,
                       int64_t end_time)
{
	memset(rec, 0, sizeof(*rec));
	rec->tenant_id = tenant_id;
	rec->address = address;
	rec->state = LEASE_STATE_ACTIVE;
	rec->start_time = end_time - 3600;
	rec->end_time = end_time;
	rec->cltt = end_time - 3600;
	rec->hwtype = 1;
	rec->hwlen = 6;
	memcpy(rec->hwaddr, "\x02\x00\x00\x00", 4);
	rec->hwaddr[4] = (uint8_t)(address >> 8);
	rec->hwaddr[5] = (uint8_t)address;
}

sqlite3 *lease_test_sql_open(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 2000);
	return db;
}

int64_t lease_test_sql_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) != SQLITE_ROW)
		fail_msg("%s: no row (%s)", sql, sqlite3_errmsg(db));
	int64_t v = sqlite3_column_int64(st, 0);

	sqlite3_finalize(st);
	return v;
}

void lease_test_sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

size_t lease_test_poll(struct lease_store *store, uint16_t owner, struct lease_completion *out,
                       size_t want, int timeout_ms)
{
	size_t got = 0;

	for (int waited = 0; got < want; waited++) {
		got += lease_store_poll(store, owner, out + got, want - got);
		if (got >= want || waited >= timeout_ms)
			break;
		lease_test_sleep_ms(1);
	}
	return got;
}

void lease_test_commit(struct lease_store *store, struct lease_change *changes, size_t n)
{
	struct lease_completion done[64];
	size_t completed = 0;

	for (size_t i = 0; i < n; i++) {
		changes[i].owner = 0;
		changes[i].cookie = (uint32_t)i;
		/* A full queue or ring: take what has completed, then try again. */
		while (lease_store_submit(store, &changes[i]) == -EAGAIN) {
			size_t got = lease_store_poll(store, 0, done, 64);

			for (size_t k = 0; k < got; k++)
				assert_int_equal(done[k].status, 0);
			completed += got;
			if (got == 0)
				lease_test_sleep_ms(1);
		}
	}
	while (completed < n) {
		size_t want = n - completed < 64 ? n - completed : 64;
		size_t got = lease_test_poll(store, 0, done, want, 20000);

		assert_true(got > 0);
		for (size_t k = 0; k < got; k++)
			assert_int_equal(done[k].status, 0);
		completed += got;
	}
}

struct lease_change lease_test_change(enum lease_op op, uint32_t tenant_id, uint32_t address,
                                      int64_t end_time)
{
	struct lease_change ch = {.op = op};

	lease_test_record(&ch.rec, tenant_id, address, end_time);
	return ch;
}

void lease_test_sql_exec(const char *path, const char *sql)
{
	sqlite3 *db = lease_test_sql_open(path);
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

int64_t lease_test_path_int(const char *path, const char *sql)
{
	sqlite3 *db = lease_test_sql_open(path);
	int64_t n = lease_test_sql_int(db, sql);

	sqlite3_close(db);
	return n;
}
