/*
 * The lease database schema and its migrations.
 *
 * Every schema version is one entry of lease_schema_steps: the SQL that turns version
 * N - 1 into version N. A new version appends a step; a database is brought up to date by
 * running the steps it has not seen, in order, inside the same write transaction that
 * records the new version, so a crash leaves either the old or the new schema.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lease-store/lease_schema.h"
#include "lease-store/lease_sql.h"

static const char *const lease_schema_steps[] = {
    /* Version 1. Tenants are named in config; their ids must never change (DESIGN.md). */
    "CREATE TABLE tenants ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " created INTEGER NOT NULL,"
    " removed INTEGER);"
    /* Keyed by (tenant, address): tenants may use the same private address space. */
    "CREATE TABLE leases ("
    " tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    " address INTEGER NOT NULL,"
    " state INTEGER NOT NULL,"
    " start_time INTEGER,"
    " end_time INTEGER,"
    " cltt INTEGER NOT NULL,"
    " hwtype INTEGER,"
    " hwaddr BLOB,"
    " client_id BLOB,"
    " hostname TEXT,"
    " giaddr INTEGER,"
    " circuit_id BLOB,"
    " remote_id BLOB,"
    " port INTEGER,"
    " vlan_outer INTEGER,"
    " vlan_inner INTEGER,"
    " PRIMARY KEY (tenant_id, address)) WITHOUT ROWID;"
    "CREATE INDEX leases_by_hwaddr ON leases (tenant_id, hwaddr);"
    "CREATE INDEX leases_by_client_id ON leases (tenant_id, client_id);"
    "CREATE INDEX leases_by_end_time ON leases (end_time);",

    /*
     * Version 2. Leases whose address left every pool are flagged, not dropped: they are
     * kept until they expire. The expiry index covers only active rows, so the writer's
     * sweep for leases that ran out never reads the ever-growing history of ended ones.
     * lease_events is the append-only history an operator asks "who had this address
     * then?"; keep_until is when retention may drop an event: its own time, or for a
     * binding the end of the lease it granted, so a long lease keeps its bind event, and
     * for the end of a binding the same or later (lease_writer.c).
     * Existing rows get the events they imply: a bind at their start, and their end.
     */
    "ALTER TABLE leases ADD COLUMN outside_pools INTEGER NOT NULL DEFAULT 0;"
    "DROP INDEX leases_by_end_time;"
    "CREATE INDEX leases_by_end_time ON leases (end_time) WHERE state = 1;"
    "CREATE TABLE lease_events ("
    " id INTEGER PRIMARY KEY,"
    " time INTEGER NOT NULL,"
    " kind INTEGER NOT NULL,"
    " keep_until INTEGER NOT NULL,"
    " tenant_id INTEGER NOT NULL,"
    " address INTEGER NOT NULL,"
    " state INTEGER NOT NULL,"
    " start_time INTEGER,"
    " end_time INTEGER,"
    " cltt INTEGER NOT NULL,"
    " hwtype INTEGER,"
    " hwaddr BLOB,"
    " client_id BLOB,"
    " hostname TEXT,"
    " giaddr INTEGER,"
    " circuit_id BLOB,"
    " remote_id BLOB,"
    " port INTEGER,"
    " vlan_outer INTEGER,"
    " vlan_inner INTEGER);"
    "CREATE INDEX lease_events_by_address ON lease_events (tenant_id, address, time);"
    "CREATE INDEX lease_events_by_hwaddr ON lease_events (tenant_id, hwaddr, time);"
    "CREATE INDEX lease_events_by_keep ON lease_events (keep_until);"
    /* Events before cutoff may have been pruned: the history is complete only after it. */
    "CREATE TABLE lease_events_pruned (cutoff INTEGER NOT NULL);"
    "INSERT INTO lease_events_pruned (cutoff) VALUES (0);"
    "INSERT INTO lease_events (time, kind, keep_until, tenant_id, address, state, start_time,"
    " end_time, cltt, hwtype, hwaddr, client_id, hostname, giaddr, circuit_id, remote_id, port,"
    " vlan_outer, vlan_inner)"
    " SELECT coalesce(start_time, cltt), 1, max(coalesce(start_time, cltt),"
    " coalesce(end_time, cltt)), tenant_id, address, 1, start_time, end_time, cltt, hwtype,"
    " hwaddr, client_id, hostname, giaddr, circuit_id, remote_id, port, vlan_outer, vlan_inner"
    " FROM leases ORDER BY coalesce(start_time, cltt);"
    "INSERT INTO lease_events (time, kind, keep_until, tenant_id, address, state, start_time,"
    " end_time, cltt, hwtype, hwaddr, client_id, hostname, giaddr, circuit_id, remote_id, port,"
    " vlan_outer, vlan_inner)"
    " SELECT cltt, CASE state WHEN 2 THEN 3 WHEN 4 THEN 4 ELSE 5 END, cltt, tenant_id,"
    " address, state, start_time, end_time, cltt, hwtype, hwaddr, client_id, hostname, giaddr,"
    " circuit_id, remote_id, port, vlan_outer, vlan_inner"
    " FROM leases WHERE state IN (2, 3, 4) ORDER BY cltt;",

    /*
     * Version 3. The history's index by hardware address holds only the events that start
     * a client's binding of an address (starts_binding = 1): a BIND, or a RENEW that
     * rewrote a row naming another client. A MAC's history is then the events of that MAC
     * on the addresses it started bindings on (lease_read.c), and a renewal in place, the
     * most common change of all, no longer adds an entry at a random place of that index.
     * Every event of an older database counts as a start, so none is lost from view.
     */
    "ALTER TABLE lease_events ADD COLUMN starts_binding INTEGER NOT NULL DEFAULT 1;"
    "DROP INDEX lease_events_by_hwaddr;"
    "CREATE INDEX lease_events_by_hwaddr ON lease_events (tenant_id, hwaddr, time)"
    " WHERE starts_binding = 1;",
};

_Static_assert(sizeof(lease_schema_steps) / sizeof(lease_schema_steps[0]) == LEASE_SCHEMA_VERSION,
               "one migration step per schema version");

/* Reports @rc from an operation on @path, naming the usual causes in operators' words. */
static int lease_schema_fail(sqlite3 *db, int rc, const char *path, const char *what, char *err,
                             size_t errlen)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		lease_sql_set_err(err, errlen,
		                  "lease database %s: database is locked by another process", path);
		break;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		lease_sql_set_err(err, errlen, "lease database %s: not a database or damaged (%s)",
		                  path, sqlite3_errmsg(db));
		break;
	case SQLITE_READONLY:
		lease_sql_set_err(err, errlen, "lease database %s: database is read-only", path);
		break;
	default:
		lease_sql_set_err(err, errlen, "lease database %s: %s: %s", path, what,
		                  sqlite3_errmsg(db));
		break;
	}
	return lease_sql_errno(rc);
}

static int lease_schema_quick_check(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return lease_schema_fail(db, rc, path, "integrity check", err, errlen);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		int ret = lease_schema_fail(db, rc, path, "integrity check", err, errlen);

		sqlite3_finalize(st);
		return ret;
	}
	const unsigned char *res = sqlite3_column_text(st, 0);

	if (res == NULL || strcmp((const char *)res, "ok") != 0) {
		lease_sql_set_err(err, errlen, "lease database %s: damaged: %s", path,
		                  res != NULL ? (const char *)res
		                              : "integrity check gave no answer");
		sqlite3_finalize(st);
		return -EBADMSG;
	}
	sqlite3_finalize(st);
	return 0;
}

/*
 * The version recorded in @db, 0 for an empty database. A file with tables but no
 * schema_version table is someone else's database and is left alone.
 */
static int lease_schema_read_version(sqlite3 *db, const char *path, int64_t *version, char *err,
                                     size_t errlen)
{
	int64_t n;
	int rc = lease_sql_int(db,
	                       "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
	                       " AND name = 'schema_version'",
	                       &n);

	if (rc != SQLITE_OK)
		return lease_schema_fail(db, rc, path, "reading the schema", err, errlen);
	if (n == 0) {
		rc = lease_sql_int(db, "SELECT count(*) FROM sqlite_master", &n);
		if (rc != SQLITE_OK)
			return lease_schema_fail(db, rc, path, "reading the schema", err, errlen);
		if (n != 0) {
			lease_sql_set_err(err, errlen,
			                  "lease database %s: not an mtdhcp lease database"
			                  " (it has tables but no schema_version)",
			                  path);
			return -EINVAL;
		}
		*version = 0;
		return 0;
	}
	rc = lease_sql_int(db, "SELECT count(*) FROM schema_version", &n);
	if (rc == SQLITE_OK && n != 1) {
		lease_sql_set_err(err, errlen,
		                  "lease database %s: damaged: schema_version has %" PRId64
		                  " rows instead of one",
		                  path, n);
		return -EBADMSG;
	}
	if (rc == SQLITE_OK)
		rc = lease_sql_int(db, "SELECT version FROM schema_version", version);
	if (rc != SQLITE_OK)
		return lease_schema_fail(db, rc, path, "reading the schema version", err, errlen);
	if (*version < 0) {
		lease_sql_set_err(err, errlen,
		                  "lease database %s: damaged: schema version %" PRId64, path,
		                  *version);
		return -EBADMSG;
	}
	if (*version > LEASE_SCHEMA_VERSION) {
		lease_sql_set_err(err, errlen,
		                  "lease database %s: schema version %" PRId64
		                  " is newer than this program knows (%d); upgrade mtdhcp",
		                  path, *version, LEASE_SCHEMA_VERSION);
		return -EPROTONOSUPPORT;
	}
	return 0;
}

static int lease_schema_migrate(sqlite3 *db, const char *path, int64_t from, char *err,
                                size_t errlen)
{
	int rc;

	if (from == 0) {
		rc = lease_sql_exec(db, "CREATE TABLE schema_version (version INTEGER NOT NULL);"
		                        "INSERT INTO schema_version (version) VALUES (0);");
		if (rc != SQLITE_OK)
			return lease_schema_fail(db, rc, path, "creating the schema", err, errlen);
	}
	for (int64_t v = from + 1; v <= LEASE_SCHEMA_VERSION; v++) {
		char sql[64];

		rc = lease_sql_exec(db, lease_schema_steps[v - 1]);
		if (rc != SQLITE_OK)
			return lease_schema_fail(db, rc, path, "migrating the schema", err, errlen);
		snprintf(sql, sizeof(sql), "UPDATE schema_version SET version = %" PRId64, v);
		rc = lease_sql_exec(db, sql);
		if (rc != SQLITE_OK)
			return lease_schema_fail(db, rc, path, "migrating the schema", err, errlen);
	}
	return 0;
}

int lease_schema_configure(sqlite3 *db, const char *path, bool synchronous_full, char *err,
                           size_t errlen)
{
	/*
	 * FULL syncs the WAL at every commit, which is what lets a DHCPACK follow the commit
	 * (RFC 2131 section 3.1, step 4). NORMAL is the explicit "async" durability: a commit
	 * is not synced, so a power loss may take the last commits with it, but the WAL is
	 * synced before each checkpoint, so the database itself survives intact (with OFF it
	 * could be damaged). A crash of the daemon alone loses nothing in either mode.
	 */
	int rc = lease_sql_exec(db, synchronous_full ? "PRAGMA synchronous = FULL"
	                                             : "PRAGMA synchronous = NORMAL");

	if (rc == SQLITE_OK)
		rc = lease_sql_exec(db, "PRAGMA foreign_keys = ON");
	if (rc != SQLITE_OK)
		return lease_schema_fail(db, rc, path, "setting connection options", err, errlen);
	return 0;
}

int lease_schema_prepare(sqlite3 *db, const char *path, bool synchronous_full, char *err,
                         size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int64_t version;
	int rc, ret;

	/* A damaged file is refused before anything is written to it. */
	ret = lease_schema_quick_check(db, path, err, errlen);
	if (ret != 0)
		return ret;
	if (sqlite3_db_readonly(db, "main") == 1) {
		lease_sql_set_err(err, errlen, "lease database %s: database is read-only", path);
		return -EROFS;
	}

	/* WAL lets mtdhcpctl read while the writer commits. */
	rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		ret = lease_schema_fail(db, rc, path, "setting WAL mode", err, errlen);
		sqlite3_finalize(st);
		return ret;
	}
	const unsigned char *mode = sqlite3_column_text(st, 0);

	if (mode == NULL || strcmp((const char *)mode, "wal") != 0) {
		lease_sql_set_err(err, errlen,
		                  "lease database %s: cannot use WAL mode (mode is %s)", path,
		                  mode != NULL ? (const char *)mode : "unknown");
		sqlite3_finalize(st);
		return -EIO;
	}
	sqlite3_finalize(st);

	ret = lease_schema_configure(db, path, synchronous_full, err, errlen);
	if (ret != 0)
		return ret;

	/*
	 * Taking the write lock now finds another writer (one that does not honour our lock
	 * file, such as an sqlite3 shell) before the service starts, not at the first lease.
	 */
	rc = lease_sql_exec(db, "BEGIN IMMEDIATE");
	if (rc != SQLITE_OK)
		return lease_schema_fail(db, rc, path, "starting a transaction", err, errlen);
	ret = lease_schema_read_version(db, path, &version, err, errlen);
	if (ret == 0 && version < LEASE_SCHEMA_VERSION)
		ret = lease_schema_migrate(db, path, version, err, errlen);
	if (ret != 0) {
		lease_sql_exec(db, "ROLLBACK");
		return ret;
	}
	rc = lease_sql_exec(db, "COMMIT");
	if (rc != SQLITE_OK) {
		ret = lease_schema_fail(db, rc, path, "committing the schema", err, errlen);
		if (!sqlite3_get_autocommit(db))
			lease_sql_exec(db, "ROLLBACK");
		return ret;
	}
	return 0;
}

int lease_schema_check(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	int64_t version;
	int ret = lease_schema_read_version(db, path, &version, err, errlen);

	if (ret != 0)
		return ret;
	if (version == 0) {
		lease_sql_set_err(err, errlen, "lease database %s: empty, no schema yet", path);
		return -ENOENT;
	}
	/*
	 * An older version is refused too: the daemon migrates at open, and the reader's
	 * queries are written for the current schema only.
	 */
	if (version != LEASE_SCHEMA_VERSION) {
		lease_sql_set_err(err, errlen,
		                  "lease database %s: schema version %" PRId64
		                  " is older than this program reads (%d); start mtdhcpd once to "
		                  "migrate it",
		                  path, version, LEASE_SCHEMA_VERSION);
		return -EPROTONOSUPPORT;
	}
	return 0;
}
