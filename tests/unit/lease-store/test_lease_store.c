/*
 * lease_store_open and the schema: creation, reopening, tenant ids, and every way opening
 * must refuse (newer schema, damaged file, second daemon, foreign writer, missing
 * directory, someone else's database).
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

#include "lease-store/lease_store.h"
#include "lease_test_util.h"

static int setup(void **state)
{
	struct lease_test_dir *d = malloc(sizeof(*d));

	lease_test_dir_make(d);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	lease_test_dir_remove(*state);
	free(*state);
	return 0;
}

/* Opens a store that must fail; returns its errno and leaves the message in @err. */
static int open_fails(const struct lease_store_params *p, char *err, size_t errlen)
{
	errno = 0;
	err[0] = '\0';
	struct lease_store *s = lease_store_open(p, err, errlen);

	assert_null(s);
	assert_true(err[0] != '\0');
	return errno;
}

static void test_open_creates_schema(void **state)
{
	struct lease_test_dir *d = *state;
	struct lease_store_params p = lease_test_params(d->db);
	struct lease_store *s = lease_test_open(&p);
	sqlite3 *db = lease_test_sql_open(d->db);

	assert_int_equal(lease_test_sql_int(db, "SELECT version FROM schema_version"), 3);
	assert_int_equal(lease_test_sql_int(db, "SELECT count(*) FROM schema_version"), 1);
	assert_int_equal(lease_test_sql_int(db, "SELECT count(*) FROM sqlite_master WHERE type ="
	                                        " 'table' AND name IN ('tenants', 'leases',"
	                                        " 'lease_events')"),
	                 3);
	/* The three indexes the design asks for, on the columns it names. */
	assert_int_equal(lease_test_sql_int(db, "SELECT count(*) FROM pragma_index_info("
	                                        "'leases_by_hwaddr') WHERE name IN"
	                                        " ('tenant_id', 'hwaddr')"),
	                 2);
	assert_int_equal(lease_test_sql_int(db, "SELECT count(*) FROM pragma_index_info("
	                                        "'leases_by_client_id') WHERE name IN"
	                                        " ('tenant_id', 'client_id')"),
	                 2);
	assert_int_equal(lease_test_sql_int(db, "SELECT count(*) FROM pragma_index_info("
	                                        "'leases_by_end_time') WHERE name = 'end_time'"),
	                 1);
	/* WAL is a property of the file, so another connection sees it. */
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	/* The key is (tenant_id, address) and the table has no rowid. */
	assert_int_equal(lease_test_sql_int(db, "SELECT count(*) FROM pragma_table_info('leases')"
	                                        " WHERE pk > 0"),
	                 2);
	assert_int_equal(lease_test_sql_int(db, "SELECT count(*) FROM sqlite_master WHERE name ="
	                                        " 'leases' AND sql LIKE '%WITHOUT ROWID%'"),
	                 1);
	sqlite3_close(db);
	lease_store_close(s);
}

static void test_close_keeps_wal_files(void **state)
{
	struct lease_test_dir *d = *state;
	struct lease_store_params p = lease_test_params(d->db);
	char wal[LEASE_TEST_PATH_MAX + 32], shm[LEASE_TEST_PATH_MAX + 32];

	lease_store_close(lease_test_open(&p));
	/* Kept, so that a reader without write access to the directory can still read. */
	snprintf(wal, sizeof(wal), "%s-wal", d->db);
	snprintf(shm, sizeof(shm), "%s-shm", d->db);
	assert_int_equal(access(wal, F_OK), 0);
	assert_int_equal(access(shm, F_OK), 0);
}

static void test_reopen_keeps_data_and_tenant_ids(void **state)
{
	struct lease_test_dir *d = *state;
	struct lease_store_params p = lease_test_params(d->db);
	struct lease_store *s = lease_test_open(&p);
	uint32_t a1, b1, a2, b2, c2;
	struct lease_change ch = {.op = LEASE_OP_BIND, .owner = 0, .cookie = 7};
	struct lease_completion done;

	assert_int_equal(lease_store_tenant_id(s, "alpha", &a1), 0);
	assert_int_equal(lease_store_tenant_id(s, "beta", &b1), 0);
	assert_int_not_equal(a1, b1);
	assert_int_not_equal(a1, 0);
	/* Asking again gives the same id without creating a row. */
	assert_int_equal(lease_store_tenant_id(s, "alpha", &a2), 0);
	assert_int_equal(a1, a2);
	lease_test_record(&ch.rec, a1, 0x0a000005, 4000000000);
	assert_int_equal(lease_store_start(s), 0);
	assert_int_equal(lease_store_submit(s, &ch), 0);
	assert_int_equal(lease_test_poll(s, 0, &done, 1, 5000), 1);
	assert_int_equal(done.status, 0);
	lease_store_close(s);

	s = lease_test_open(&p);
	/* Asked in the other order, and with a new tenant first: ids follow names. */
	assert_int_equal(lease_store_tenant_id(s, "gamma", &c2), 0);
	assert_int_equal(lease_store_tenant_id(s, "beta", &b2), 0);
	assert_int_equal(lease_store_tenant_id(s, "alpha", &a2), 0);
	assert_int_equal(a2, a1);
	assert_int_equal(b2, b1);
	assert_true(c2 != a1 && c2 != b1);
	lease_store_close(s);

	sqlite3 *db = lease_test_sql_open(d->db);

	assert_int_equal(lease_test_sql_int(db, "SELECT count(*) FROM tenants"), 3);
	assert_int_equal(lease_test_sql_int(db, "SELECT address FROM leases"), 0x0a000005);
	assert_int_equal(lease_test_sql_int(db, "SELECT tenant_id FROM leases"), a1);
	sqlite3_close(db);
}

static void test_tenant_id_rejects_bad_names(void **state)
{
	struct lease_test_dir *d = *state;
	struct lease_store_params p = lease_test_params(d->db);
	struct lease_store *s = lease_test_open(&p);
	char longname[300];
	uint32_t id = 0;

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(lease_store_tenant_id(s, "", &id), -EINVAL);
	assert_int_equal(lease_store_tenant_id(s, longname, &id), -EINVAL);
	/* A name with SQL in it is just a name. */
	assert_int_equal(lease_store_tenant_id(s, "x'); DROP TABLE leases; --", &id), 0);
	assert_int_not_equal(id, 0);
	lease_store_close(s);

	sqlite3 *db = lease_test_sql_open(d->db);

	assert_int_equal(lease_test_sql_int(db, "SELECT count(*) FROM leases"), 0);
	assert_int_equal(lease_test_sql_int(db, "SELECT count(*) FROM tenants"), 1);
	sqlite3_close(db);
}

static void test_tenant_id_while_writer_runs(void **state)
{
	struct lease_test_dir *d = *state;
	struct lease_store_params p = lease_test_params(d->db);
	struct lease_store *s = lease_test_open(&p);
	struct lease_completion done[200];
	uint32_t base, id;
	char name[32];

	assert_int_equal(lease_store_tenant_id(s, "base", &base), 0);
	assert_int_equal(lease_store_start(s), 0);
	/* The control connection names tenants while the writer commits leases. */
	for (uint32_t i = 0; i < 200; i++) {
		struct lease_change ch = {.op = LEASE_OP_BIND, .owner = 0, .cookie = i};

		lease_test_record(&ch.rec, base, i + 1, 4000000000);
		assert_int_equal(lease_store_submit(s, &ch), 0);
		if (i % 20 == 0) {
			snprintf(name, sizeof(name), "t%u", i);
			assert_int_equal(lease_store_tenant_id(s, name, &id), 0);
		}
	}
	assert_int_equal(lease_test_poll(s, 0, done, 200, 10000), 200);
	for (size_t i = 0; i < 200; i++)
		assert_int_equal(done[i].status, 0);
	lease_store_close(s);
}

static void test_newer_schema_refused(void **state)
{
	struct lease_test_dir *d = *state;
	struct lease_store_params p = lease_test_params(d->db);
	char err[512];

	lease_store_close(lease_test_open(&p));
	sqlite3 *db = lease_test_sql_open(d->db);

	assert_int_equal(
	    sqlite3_exec(db, "UPDATE schema_version SET version = 99", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(open_fails(&p, err, sizeof(err)), EPROTONOSUPPORT);
	assert_non_null(strstr(err, "schema version 99 is newer"));
}

static void write_file(const char *path, const void *data, size_t len, off_t at, int flags)
{
	int fd = open(path, O_WRONLY | flags, 0600);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, data, len, at), (ssize_t)len);
	close(fd);
}

static void test_random_bytes_refused(void **state)
{
	struct lease_test_dir *d = *state;
	struct lease_store_params p = lease_test_params(d->db);
	unsigned char junk[65536];
	char err[512];

	srand(12345);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)rand();
	write_file(d->db, junk, sizeof(junk), 0, O_CREAT | O_TRUNC);
	assert_int_equal(open_fails(&p, err, sizeof(err)), EBADMSG);
	assert_non_null(strstr(err, "not a database or damaged"));
	assert_non_null(strstr(err, d->db));
	/* Refusing must not have touched the file. */
	unsigned char back[sizeof(junk)];
	int fd = open(d->db, O_RDONLY);

	assert_int_equal(read(fd, back, sizeof(back)), (ssize_t)sizeof(back));
	close(fd);
	assert_memory_equal(back, junk, sizeof(junk));
}

static void test_damaged_pages_refused(void **state)
{
	struct lease_test_dir *d = *state;
	struct lease_store_params p = lease_test_params(d->db);
	struct lease_store *s = lease_test_open(&p);
	unsigned char junk[4096];
	char err[512];
	uint32_t id;

	assert_int_equal(lease_store_tenant_id(s, "alpha", &id), 0);
	lease_store_close(s);
	/* Keep the valid header page, scribble over the pages after it. */
	srand(777);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)rand();
	sqlite3 *db = lease_test_sql_open(d->db);
	int64_t page = lease_test_sql_int(db, "PRAGMA page_size");
	int64_t pages = lease_test_sql_int(db, "PRAGMA page_count");

	sqlite3_close(db);
	assert_true(pages >= 3);
	for (int64_t pg = 1; pg < pages; pg++)
		write_file(d->db, junk, (size_t)page < sizeof(junk) ? (size_t)page : sizeof(junk),
		           (off_t)(pg * page), 0);
	assert_int_equal(open_fails(&p, err, sizeof(err)), EBADMSG);
	assert_true(strstr(err, "damaged") != NULL);
}

static void test_second_open_refused(void **state)
{
	struct lease_test_dir *d = *state;
	struct lease_store_params p = lease_test_params(d->db);
	struct lease_store *s = lease_test_open(&p);
	char err[512];

	assert_int_equal(open_fails(&p, err, sizeof(err)), EBUSY);
	assert_non_null(strstr(err, "in use by another mtdhcpd"));
	lease_store_close(s);
	/* Closing released the lock. */
	s = lease_test_open(&p);
	lease_store_close(s);
}

static void test_foreign_writer_reported(void **state)
{
	struct lease_test_dir *d = *state;
	struct lease_store_params p = lease_test_params(d->db);
	char err[512];

	lease_store_close(lease_test_open(&p));
	/* Another process (say an sqlite3 shell) holds the write lock. */
	sqlite3 *db = lease_test_sql_open(d->db);

	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(open_fails(&p, err, sizeof(err)), EBUSY);
	assert_non_null(strstr(err, "database is locked by another process"));
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	lease_store_close(lease_test_open(&p));
}

static void test_missing_directory_refused(void **state)
{
	struct lease_test_dir *d = *state;
	char path[LEASE_TEST_PATH_MAX + 32], err[1024];

	snprintf(path, sizeof(path), "%s/nowhere/leases.db", d->dir);
	struct lease_store_params p = lease_test_params(path);

	assert_int_equal(open_fails(&p, err, sizeof(err)), ENOENT);
	assert_non_null(strstr(err, "does not exist"));
	assert_non_null(strstr(err, "/nowhere"));
}

static void test_foreign_database_refused(void **state)
{
	struct lease_test_dir *d = *state;
	struct lease_store_params p = lease_test_params(d->db);
	sqlite3 *db = NULL;
	char err[512];

	assert_int_equal(sqlite3_open(d->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE photos (id INTEGER)", NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(open_fails(&p, err, sizeof(err)), EINVAL);
	assert_non_null(strstr(err, "not an mtdhcp lease database"));
	/* It was left as it was. */
	db = lease_test_sql_open(d->db);
	assert_int_equal(lease_test_sql_int(db, "SELECT count(*) FROM sqlite_master"), 1);
	sqlite3_close(db);
}

static void test_bad_params_refused(void **state)
{
	struct lease_test_dir *d = *state;
	struct lease_store_params p = lease_test_params(d->db);
	char err[512];

	p.batch_max = 0;
	assert_int_equal(open_fails(&p, err, sizeof(err)), EINVAL);
	p = lease_test_params(d->db);
	p.n_owners = 0;
	assert_int_equal(open_fails(&p, err, sizeof(err)), EINVAL);
	p = lease_test_params(d->db);
	p.queue_size = UINT32_MAX;
	assert_int_equal(open_fails(&p, err, sizeof(err)), EINVAL);
	/* Nothing was created by the refused opens. */
	assert_int_equal(access(d->db, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_open_creates_schema, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_close_keeps_wal_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reopen_keeps_data_and_tenant_ids, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tenant_id_rejects_bad_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tenant_id_while_writer_runs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_random_bytes_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_damaged_pages_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_second_open_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_foreign_writer_reported, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_directory_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_foreign_database_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_params_refused, setup, teardown),
	};

	return cmocka_run_group_tests_name("lease_store", tests, NULL, NULL);
}
