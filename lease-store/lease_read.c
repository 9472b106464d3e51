/*
 * Read-only access to the lease database (mtdhcpctl). The connection is opened read-only,
 * so it can never change a lease, and WAL mode lets it read a consistent snapshot while
 * the daemon's writer commits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lease-store/lease_read.h"
#include "lease-store/lease_read_impl.h"
#include "lease-store/lease_row.h"
#include "lease-store/lease_schema.h"
#include "lease-store/lease_sql.h"

/* A reader waits this long for the writer's WAL bookkeeping, never for transactions. */
#define LEASE_READ_BUSY_MS 2000

struct lease_reader *lease_reader_open(const char *path, char *err, size_t errlen)
{
	struct lease_reader *rd;
	struct stat st;
	int rc, ret;

	if (path == NULL || path[0] == '\0') {
		lease_sql_set_err(err, errlen, "lease database: no path given");
		errno = EINVAL;
		return NULL;
	}
	/* SQLite's "unable to open database file" does not say why; stat does. */
	if (stat(path, &st) != 0) {
		ret = errno;
		lease_sql_set_err(err, errlen, "lease database %s: %s", path, strerror(ret));
		errno = ret;
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		lease_sql_set_err(err, errlen, "lease database %s: not a regular file", path);
		errno = EINVAL;
		return NULL;
	}
	rd = calloc(1, sizeof(*rd));
	if (rd == NULL || (rd->path = strdup(path)) == NULL) {
		free(rd);
		lease_sql_set_err(err, errlen, "lease database %s: out of memory", path);
		errno = ENOMEM;
		return NULL;
	}
	rc = sqlite3_open_v2(path, &rd->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		lease_sql_set_err(err, errlen, "lease database %s: cannot open: %s", path,
		                  rd->db != NULL ? sqlite3_errmsg(rd->db) : sqlite3_errstr(rc));
		ret = lease_sql_errno(rc);
		goto fail;
	}
	sqlite3_extended_result_codes(rd->db, 1);
	sqlite3_busy_timeout(rd->db, LEASE_READ_BUSY_MS);
	ret = lease_schema_check(rd->db, path, err, errlen);
	if (ret == -EROFS) {
		/*
		 * A reader writes nothing; "read-only" here means SQLite could not create the
		 * WAL index files next to the database, which needs write access there.
		 */
		lease_sql_set_err(
		    err, errlen,
		    "lease database %s: cannot read it: its %s-shm and %s-wal files are"
		    " missing and this user may not create them (run as mtdhcpd's user,"
		    " or start mtdhcpd once)",
		    path, path, path);
	}
	if (ret != 0)
		goto fail;
	return rd;
fail:
	lease_reader_close(rd);
	errno = -ret;
	return NULL;
}

/* The id of tenant @name: 0, -ENOENT, or another -errno. */
static int lease_reader_tenant(struct lease_reader *rd, const char *name, int64_t *id)
{
	sqlite3_stmt *st = NULL;
	int rc =
	    sqlite3_prepare_v2(rd->db, "SELECT id FROM tenants WHERE name = ?1", -1, &st, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? -ENOENT : lease_sql_errno(rc);
}

int lease_reader_foreach(struct lease_reader *rd, const struct lease_filter *filter,
                         int (*fn)(void *ctx, const char *tenant_name,
                                   const struct lease_record *rec),
                         void *ctx)
{
	struct lease_record rec;
	sqlite3_stmt *st = NULL;
	int64_t tenant_id = 0;
	int state = filter != NULL ? filter->state : 0;
	int rc, ret = 0;

	if (rd == NULL || fn == NULL)
		return -EINVAL;
	if (filter != NULL && filter->tenant != NULL) {
		ret = lease_reader_tenant(rd, filter->tenant, &tenant_id);
		if (ret != 0)
			return ret;
	}
	/*
	 * One statement for every filter combination: ?1 = 0 and ?2 = 0 switch a filter off.
	 * Tenant ids start at 1, so 0 never names a real one. The whole listing comes from one
	 * read transaction, hence one consistent snapshot.
	 */
	rc = sqlite3_prepare_v2(rd->db,
	                        "SELECT t.name, " LEASE_ROW_COLUMNS ", outside_pools"
	                        " FROM leases JOIN tenants AS t ON t.id = tenant_id"
	                        " WHERE (?1 = 0 OR tenant_id = ?1) AND (?2 = 0 OR state = ?2)"
	                        " ORDER BY t.name, address",
	                        -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, tenant_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 2, state);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		return lease_sql_errno(rc);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *name = sqlite3_column_text(st, 0);

		ret = name != NULL ? lease_row_read(st, 1, &rec) : -EBADMSG;
		if (ret == 0) {
			rec.outside_pools = sqlite3_column_int(st, 1 + LEASE_ROW_NCOLS) != 0;
			ret = fn(ctx, (const char *)name, &rec);
		}
		if (ret != 0)
			break;
	}
	return lease_sql_finish(st, rc, ret);
}

/*
 * The history statements: by address or by hardware address, all events or only the
 * bindings in force at ?3. ?1 is the tenant id, ?2 the address or hardware address. The
 * index on (tenant_id, address, time) serves the selection by address and the "no later
 * event" check. The index by hardware address holds only the events that start a binding
 * (schema version 3): a MAC's events are found on the addresses it started bindings on,
 * each of which keeps a start for as long as any event of its binding is kept
 * (lease_maint.c), and only there, since nothing but a start changes the client a lease
 * row names.
 */
#define LEASE_READ_EVENT_COLS "time, kind, " LEASE_ROW_COLUMNS
#define LEASE_READ_BY_ADDRESS " AND e.address = ?2"
#define LEASE_READ_BY_HWADDR                                                                       \
	" AND e.hwaddr = ?2 AND e.address IN (SELECT s.address FROM lease_events AS s"             \
	" WHERE s.tenant_id = ?1 AND s.hwaddr = ?2 AND s.starts_binding = 1)"
#define LEASE_READ_ALL(by)                                                                         \
	"SELECT " LEASE_READ_EVENT_COLS " FROM lease_events AS e WHERE e.tenant_id = ?1" by        \
	" ORDER BY e.time, e.id"
#define LEASE_READ_AT(by)                                                                          \
	"SELECT " LEASE_READ_EVENT_COLS " FROM lease_events AS e WHERE e.tenant_id = ?1" by        \
	" AND e.time <= ?3 AND e.kind IN (1, 2) AND e.end_time > ?3 AND NOT EXISTS"                \
	" (SELECT 1 FROM lease_events AS l WHERE l.tenant_id = e.tenant_id AND"                    \
	" l.address = e.address AND l.time <= ?3 AND (l.time > e.time OR"                          \
	" (l.time = e.time AND l.id > e.id))) ORDER BY e.time, e.id"

_Static_assert(LEASE_EVENT_BIND == 1 && LEASE_EVENT_RENEW == 2,
               "LEASE_READ_AT spells out the binding kinds");

int lease_reader_history(struct lease_reader *rd, const struct lease_history_query *q,
                         int (*fn)(void *ctx, const struct lease_event *ev), void *ctx)
{
	static const char *const sql[2][2] = {
	    {LEASE_READ_ALL(LEASE_READ_BY_ADDRESS), LEASE_READ_AT(LEASE_READ_BY_ADDRESS)},
	    {LEASE_READ_ALL(LEASE_READ_BY_HWADDR), LEASE_READ_AT(LEASE_READ_BY_HWADDR)},
	};
	struct lease_event ev;
	sqlite3_stmt *st = NULL;
	int64_t tenant_id;
	int rc, ret;

	if (rd == NULL || q == NULL || fn == NULL || q->tenant == NULL ||
	    (q->by_hwaddr && (q->hwlen == 0 || q->hwlen > LEASE_HWADDR_MAX)))
		return -EINVAL;
	ret = lease_reader_tenant(rd, q->tenant, &tenant_id);
	if (ret != 0)
		return ret;
	rc = sqlite3_prepare_v2(rd->db, sql[q->by_hwaddr][q->at_set], -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, tenant_id);
	if (rc == SQLITE_OK)
		rc = q->by_hwaddr ? sqlite3_bind_blob(st, 2, q->hwaddr, q->hwlen, SQLITE_STATIC)
		                  : sqlite3_bind_int64(st, 2, q->address);
	if (rc == SQLITE_OK && q->at_set)
		rc = sqlite3_bind_int64(st, 3, q->at);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		return lease_sql_errno(rc);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t kind = sqlite3_column_int64(st, 1);

		/* As every value read back, the kind is checked, not trusted. */
		if (kind < LEASE_EVENT_BIND || kind > LEASE_EVENT_EXPIRE) {
			ret = -EBADMSG;
			break;
		}
		ev.time = sqlite3_column_int64(st, 0);
		ev.kind = (enum lease_event_kind)kind;
		ret = lease_row_read(st, 2, &ev.rec);
		if (ret == 0)
			ret = fn(ctx, &ev);
		if (ret != 0)
			break;
	}
	return lease_sql_finish(st, rc, ret);
}

int lease_reader_history_cutoff(struct lease_reader *rd, int64_t *cutoff)
{
	int rc;

	if (rd == NULL || cutoff == NULL)
		return -EINVAL;
	rc = lease_sql_int(rd->db, "SELECT max(cutoff) FROM lease_events_pruned", cutoff);
	return lease_sql_errno(rc == SQLITE_NOTFOUND ? SQLITE_CORRUPT : rc);
}

void lease_reader_close(struct lease_reader *rd)
{
	if (rd == NULL)
		return;
	sqlite3_close(rd->db);
	free(rd->path);
	free(rd);
}
