/*
 * The schema's versions: a version 1 database (as the first release wrote it) is migrated
 * to version 2 when the store opens it, once, keeping its leases and giving them the
 * history they imply; the new indexes are the ones the writer's queries need.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lease-store/lease_read.h"
#include "lease-store/lease_store.h"
#include "lease_test_util.h"

/* Version 1 exactly as lease_schema.c created it, with two leases of tenant "acme". */
static const char *const v1_database =
    "CREATE TABLE schema_version (version INTEGER NOT NULL);"
    "INSERT INTO schema_version (version) VALUES (1);"
    "CREATE TABLE tenants (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " created INTEGER NOT NULL, removed INTEGER);"
    "CREATE TABLE leases (tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    " address INTEGER NOT NULL, state INTEGER NOT NULL, start_time INTEGER, end_time INTEGER,"
    " cltt INTEGER NOT NULL, hwtype INTEGER, hwaddr BLOB, client_id BLOB, hostname TEXT,"
    " giaddr INTEGER, circuit_id BLOB, remote_id BLOB, port INTEGER, vlan_outer INTEGER,"
    " vlan_inner INTEGER, PRIMARY KEY (tenant_id, address)) WITHOUT ROWID;"
    "CREATE INDEX leases_by_hwaddr ON leases (tenant_id, hwaddr);"
    "CREATE INDEX leases_by_client_id ON leases (tenant_id, client_id);"
    "CREATE INDEX leases_by_end_time ON leases (end_time);"
    "PRAGMA journal_mode = WAL;"
    "INSERT INTO tenants (id, name, created) VALUES (1, 'acme', 1);"
    /* 10.0.0.5: active until 4000003600. 10.0.0.6: released at 3990000500. */
    "INSERT INTO leases VALUES (1, 167772165, 1, 4000000000, 4000003600, 4000000000, 1,"
    " x'020000000005', NULL, 'five', 0, NULL, NULL, 0, 0, 0);"
    "INSERT INTO leases VALUES (1, 167772166, 2, 3990000000, 3990000500, 3990000500, 1,"
    " x'020000000006', NULL, NULL, 3232235777, x'6574683031', NULL, 0, 0, 0);";

static int setup(void **state)
{
	struct lease_test_dir *d = malloc(sizeof(*d));
	sqlite3 *db = NULL;

	lease_test_dir_make(d);
	assert_int_equal(sqlite3_open(d->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, v1_database, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	lease_test_dir_remove(*state);
	free(*state);
	return 0;
}

static int64_t q(sqlite3 *db, const char *sql)
{
	return lease_test_sql_int(db, sql);
}

static void test_v1_is_migrated_once(void **state)
{
	struct lease_test_dir *d = *state;
	struct lease_store_params p = lease_test_params(d->db);
	uint32_t id;

	/* Until the daemon has migrated it, the reader refuses the old version. */
	char err[512];

	assert_null(lease_reader_open(d->db, err, sizeof(err)));
	assert_non_null(strstr(err, "older than this program reads"));

	lease_store_close(lease_test_open(&p));
	sqlite3 *db = lease_test_sql_open(d->db);

	assert_int_equal(q(db, "SELECT version FROM schema_version"), 3);
	/* The leases are kept, unflagged, and their tenant keeps its id. */
	assert_int_equal(q(db, "SELECT count(*) FROM leases WHERE outside_pools = 0"), 2);
	sqlite3_close(db);
	struct lease_store *s = lease_test_open(&p);

	assert_int_equal(lease_store_tenant_id(s, "acme", &id), 0);
	assert_int_equal(id, 1);
	lease_store_close(s);

	db = lease_test_sql_open(d->db);
	/* The history the rows imply: a bind for each, and the release of 10.0.0.6. */
	assert_int_equal(q(db, "SELECT count(*) FROM lease_events"), 3);
	assert_int_equal(q(db, "SELECT count(*) FROM lease_events WHERE address = 167772165 AND"
	                       " kind = 1 AND time = 4000000000 AND keep_until = 4000003600 AND"
	                       " hostname = 'five'"),
	                 1);
	assert_int_equal(q(db, "SELECT count(*) FROM lease_events WHERE address = 167772166 AND"
	                       " kind = 3 AND state = 2 AND time = 3990000500 AND giaddr ="
	                       " 3232235777"),
	                 1);
	assert_int_equal(q(db, "SELECT cutoff FROM lease_events_pruned"), 0);
	/*
	 * Version 3: the events an older file had all count as starts of bindings, so the
	 * index by hardware address, which holds only those, still finds every one.
	 */
	assert_int_equal(q(db, "SELECT count(*) FROM lease_events WHERE starts_binding = 1"), 3);
	assert_int_equal(q(db,
	                   "SELECT count(*) FROM sqlite_master WHERE name ="
	                   " 'lease_events_by_hwaddr' AND sql LIKE '%WHERE starts_binding = 1'"),
	                 1);
	/* The expiry index covers active rows only. */
	assert_int_equal(q(db, "SELECT count(*) FROM sqlite_master WHERE name ="
	                       " 'leases_by_end_time' AND sql LIKE '%WHERE state = 1'"),
	                 1);
	sqlite3_close(db);

	/* What the reader makes of it. */
	struct lease_reader *rd = lease_reader_open(d->db, err, sizeof(err));

	assert_non_null(rd);
	int64_t cutoff = -1;

	assert_int_equal(lease_reader_history_cutoff(rd, &cutoff), 0);
	assert_int_equal(cutoff, 0);
	lease_reader_close(rd);
}

/* The detail column of EXPLAIN QUERY PLAN @sql, rows joined by '|'. */
static void plan(sqlite3 *db, const char *sql, char *out, size_t len)
{
	char eqp[512];
	sqlite3_stmt *st;
	size_t o = 0;

	snprintf(eqp, sizeof(eqp), "EXPLAIN QUERY PLAN %s", sql);
	assert_int_equal(sqlite3_prepare_v2(db, eqp, -1, &st, NULL), SQLITE_OK);
	out[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW)
		o += (size_t)snprintf(out + o, len - o, "%s|", sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
}

static void test_sweeps_and_history_use_indexes(void **state)
{
	struct lease_test_dir *d = *state;
	struct lease_store_params p = lease_test_params(d->db);
	char detail[1024];

	lease_store_close(lease_test_open(&p));
	sqlite3 *db = lease_test_sql_open(d->db);

	/*
	 * The queries of lease_maint.c and lease_read.c, in their shapes: each must search an
	 * index rather than scan a table that grows with every lease ever granted.
	 */
	plan(db,
	     "SELECT tenant_id, address, end_time FROM leases WHERE state = 1 AND end_time <= 5"
	     " ORDER BY end_time, tenant_id, address LIMIT 32",
	     detail, sizeof(detail));
	assert_non_null(strstr(detail, "USING INDEX leases_by_end_time"));
	assert_null(strstr(detail, "TEMP B-TREE"));
	plan(db, "SELECT id FROM lease_events WHERE keep_until < 5 ORDER BY keep_until LIMIT 1024",
	     detail, sizeof(detail));
	assert_non_null(strstr(detail, "lease_events_by_keep"));
	/*
	 * A MAC's history: its starts through the index by hardware address, then their
	 * addresses' events through the index by address (lease_read.c), never a scan.
	 */
	plan(db,
	     "SELECT time FROM lease_events AS e WHERE e.tenant_id = 1 AND e.hwaddr = x'01' AND"
	     " e.address IN (SELECT s.address FROM lease_events AS s WHERE s.tenant_id = 1 AND"
	     " s.hwaddr = x'01' AND s.starts_binding = 1) ORDER BY e.time, e.id",
	     detail, sizeof(detail));
	assert_non_null(strstr(detail, "SEARCH s USING INDEX lease_events_by_hwaddr"));
	assert_non_null(strstr(detail, "SEARCH e USING INDEX lease_events_by_address"));
	plan(db,
	     "SELECT 1 FROM lease_events AS l WHERE l.tenant_id = 1 AND l.address = 2 AND"
	     " l.time <= 3",
	     detail, sizeof(detail));
	assert_non_null(strstr(detail, "lease_events_by_address"));
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_v1_is_migrated_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sweeps_and_history_use_indexes, setup, teardown),
	};

	return cmocka_run_group_tests_name("lease_schema", tests, NULL, NULL);
}
