/*
 * Removed tenants: marking a tenant removed when a reload drops it, and deleting its
 * leases once the configured retention has passed (lease_store.h). Both run on the
 * control thread's connection, in short transactions: the writer's busy timeout is
 * short (LEASE_STORE_WRITER_BUSY_MS), so a long transaction here would fail its commits.
 */
#include <errno.h>

#include "lease-store/lease_sql.h"
#include "lease-store/lease_store_impl.h"

int lease_store_tenant_removed(struct lease_store *s, uint32_t id, int64_t when)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (s == NULL || id == 0)
		return -EINVAL;
	rc = sqlite3_prepare_v2(s->cdb,
	                        "UPDATE tenants SET removed = ?2 WHERE id = ?1 AND removed IS NULL",
	                        -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, when);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(s->cdb);
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : lease_sql_errno(rc);
}

/* One chunk: deletes up to @limit rows in one transaction. Returns the rows or -errno. */
static int lease_tenants_purge_chunk(struct lease_store *s, int64_t before, int limit)
{
	sqlite3_stmt *st = NULL;
	int rc, n = 0;

	rc = lease_sql_exec(s->cdb, "BEGIN IMMEDIATE");
	if (rc != SQLITE_OK)
		return lease_sql_errno(rc);
	rc = sqlite3_prepare_v2(s->cdb,
	                        "DELETE FROM leases WHERE (tenant_id, address) IN"
	                        " (SELECT tenant_id, address FROM leases WHERE tenant_id IN"
	                        "  (SELECT id FROM tenants WHERE removed IS NOT NULL"
	                        "   AND removed < ?1) LIMIT ?2)",
	                        -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, before);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 2, limit);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(s->cdb);
	if (rc == SQLITE_OK)
		n = sqlite3_changes(s->cdb);
	sqlite3_finalize(st);
	if (rc == SQLITE_OK)
		rc = lease_sql_exec(s->cdb, "COMMIT");
	if (rc != SQLITE_OK) {
		if (!sqlite3_get_autocommit(s->cdb))
			lease_sql_exec(s->cdb, "ROLLBACK");
		return lease_sql_errno(rc);
	}
	return n;
}

int lease_store_purge_removed(struct lease_store *s, int64_t before, size_t max_rows,
                              size_t *purged)
{
	size_t done = 0;
	int n = 0;

	if (s == NULL)
		return -EINVAL;
	while (done < max_rows) {
		size_t want = max_rows - done;

		n = lease_tenants_purge_chunk(
		    s, before,
		    want < LEASE_STORE_PURGE_CHUNK ? (int)want : LEASE_STORE_PURGE_CHUNK);
		if (n <= 0)
			break;
		done += (size_t)n;
		if (n < LEASE_STORE_PURGE_CHUNK)
			break;
	}
	if (purged)
		*purged = done;
	return n < 0 ? n : 0;
}
