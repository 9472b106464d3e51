/*
 * Filtered lease listings, one lease by its key, and counts of active leases, for
 * mtdhcpctl (leases, lease, tenants without the daemon) and the daemon's pool use.
 *
 * The SQL of a listing is assembled from constant fragments, one per filter in use, so
 * that SQLite can use the primary key (tenant_id, address) and the indexes for the filters
 * given; every value that came from the operator is a bound parameter, never SQL text.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lease-store/lease_read.h"
#include "lease-store/lease_read_impl.h"
#include "lease-store/lease_row.h"
#include "lease-store/lease_sql.h"

/* Longest listing statement: the fixed part, every filter, ORDER BY, LIMIT. */
#define LEASE_QUERY_SQL_MAX 1536

/* The id of tenant @name: 0, -ENOENT, or another -errno. */
static int lease_query_tenant(struct lease_reader *rd, const char *name, int64_t *id)
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

/* ORDER BY of each sort key; the tie-breakers keep the order total, hence stable pages. */
static const struct {
	const char *key, *ties;
} lease_query_order[] = {
    [LEASE_SORT_TENANT] = {"t.name", ", address"},
    [LEASE_SORT_ADDRESS] = {"address", ", t.name"},
    [LEASE_SORT_EXPIRES] = {"end_time", ", t.name, address"},
    [LEASE_SORT_START] = {"start_time", ", t.name, address"},
    [LEASE_SORT_CLTT] = {"cltt", ", t.name, address"},
    [LEASE_SORT_HWADDR] = {"hwaddr", ", t.name, address"},
    [LEASE_SORT_HOSTNAME] = {"hostname", ", t.name, address"},
    [LEASE_SORT_STATE] = {"state", ", t.name, address"},
};

static const char *const lease_sort_names[] = {
    [LEASE_SORT_TENANT] = "tenant",     [LEASE_SORT_ADDRESS] = "address",
    [LEASE_SORT_EXPIRES] = "expires",   [LEASE_SORT_START] = "start",
    [LEASE_SORT_CLTT] = "cltt",         [LEASE_SORT_HWADDR] = "hwaddr",
    [LEASE_SORT_HOSTNAME] = "hostname", [LEASE_SORT_STATE] = "state",
};

#define LEASE_SORT_COUNT (sizeof(lease_sort_names) / sizeof(lease_sort_names[0]))

int lease_sort_from_name(const char *name)
{
	for (size_t i = 0; i < LEASE_SORT_COUNT; i++) {
		if (strcmp(lease_sort_names[i], name) == 0)
			return (int)i;
	}
	/* Operators say "mac" and "ip" as often as the column names. */
	if (strcmp(name, "mac") == 0)
		return LEASE_SORT_HWADDR;
	if (strcmp(name, "ip") == 0)
		return LEASE_SORT_ADDRESS;
	return -1;
}

const char *lease_sort_name(enum lease_sort sort)
{
	return (size_t)sort < LEASE_SORT_COUNT ? lease_sort_names[sort] : "unknown";
}

/* Appends @frag to @sql; false when it does not fit (a programming error, not input). */
static bool lease_query_cat(char *sql, size_t len, const char *frag)
{
	size_t n = strlen(sql);

	if (n + strlen(frag) >= len)
		return false;
	memcpy(sql + n, frag, strlen(frag) + 1);
	return true;
}

/* The statement of @q with its parameters bound; SQLite result code. */
static int lease_query_prepare(struct lease_reader *rd, const struct lease_query *q,
                               int64_t tenant_id, sqlite3_stmt **out)
{
	char sql[LEASE_QUERY_SQL_MAX] = "SELECT t.name, " LEASE_ROW_COLUMNS ", outside_pools"
	                                " FROM leases JOIN tenants AS t ON t.id = tenant_id"
	                                " WHERE 1";
	bool ok = true;

	if (q->tenant != NULL)
		ok = ok && lease_query_cat(sql, sizeof(sql), " AND tenant_id = ?1");
	if (q->address_mask != 0)
		ok = ok && lease_query_cat(sql, sizeof(sql), " AND address BETWEEN ?2 AND ?3");
	if (q->hwlen > 0)
		ok = ok && lease_query_cat(sql, sizeof(sql), " AND hwaddr = ?4");
	if (q->client_id_len > 0)
		ok = ok && lease_query_cat(sql, sizeof(sql), " AND client_id = ?5");
	/* Host names are case-insensitive (RFC 4343); the pattern is a shell-style glob. */
	if (q->hostname != NULL)
		ok = ok && lease_query_cat(sql, sizeof(sql), " AND lower(hostname) GLOB lower(?6)");
	if (q->state != 0)
		ok = ok && lease_query_cat(sql, sizeof(sql), " AND state = ?7");
	if (q->expires_before != 0)
		ok = ok && lease_query_cat(sql, sizeof(sql),
		                           " AND state = 1 AND end_time > ?8 AND end_time <= ?9");
	ok = ok && lease_query_cat(sql, sizeof(sql), " ORDER BY ") &&
	     lease_query_cat(sql, sizeof(sql), lease_query_order[q->sort].key) &&
	     lease_query_cat(sql, sizeof(sql), q->descending ? " DESC" : " ASC") &&
	     lease_query_cat(sql, sizeof(sql), lease_query_order[q->sort].ties) &&
	     lease_query_cat(sql, sizeof(sql), " LIMIT ?10 OFFSET ?11");
	if (!ok)
		return SQLITE_TOOBIG;

	uint32_t first = q->address & q->address_mask;
	uint32_t last = first | ~q->address_mask;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(rd->db, sql, -1, &st, NULL);

	/* Parameters that the statement does not use are accepted and ignored by SQLite. */
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, tenant_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, first);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, last);
	if (rc == SQLITE_OK && q->hwlen > 0)
		rc = sqlite3_bind_blob(st, 4, q->hwaddr, q->hwlen, SQLITE_STATIC);
	if (rc == SQLITE_OK && q->client_id_len > 0)
		rc = sqlite3_bind_blob(st, 5, q->client_id, q->client_id_len, SQLITE_STATIC);
	if (rc == SQLITE_OK && q->hostname != NULL)
		rc = sqlite3_bind_text(st, 6, q->hostname, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 7, q->state);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 8, q->now);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 9, q->expires_before);
	/* A negative LIMIT is no limit in SQLite. */
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(
		    st, 10, q->limit > 0 && q->limit <= INT64_MAX ? (sqlite3_int64)q->limit : -1);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(
		    st, 11, q->offset <= INT64_MAX ? (sqlite3_int64)q->offset : INT64_MAX);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		return rc;
	}
	*out = st;
	return SQLITE_OK;
}

int lease_reader_query(struct lease_reader *rd, const struct lease_query *q,
                       int (*fn)(void *ctx, const char *tenant_name,
                                 const struct lease_record *rec),
                       void *ctx)
{
	struct lease_record rec;
	sqlite3_stmt *st = NULL;
	int64_t tenant_id = 0;
	int rc, ret = 0;

	if (rd == NULL || q == NULL || fn == NULL || (size_t)q->sort >= LEASE_SORT_COUNT ||
	    q->hwlen > LEASE_HWADDR_MAX || (q->hwlen > 0 && q->hwaddr == NULL) ||
	    (q->client_id_len > 0 && q->client_id == NULL))
		return -EINVAL;
	if (q->tenant != NULL) {
		ret = lease_query_tenant(rd, q->tenant, &tenant_id);
		if (ret != 0)
			return ret;
	}
	rc = lease_query_prepare(rd, q, tenant_id, &st);
	if (rc != SQLITE_OK)
		return lease_sql_errno(rc);
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

int lease_reader_get(struct lease_reader *rd, const char *tenant, uint32_t address,
                     struct lease_record *out)
{
	sqlite3_stmt *st = NULL;
	int64_t tenant_id;
	int rc, ret;

	if (rd == NULL || tenant == NULL || out == NULL)
		return -EINVAL;
	ret = lease_query_tenant(rd, tenant, &tenant_id);
	if (ret != 0)
		return ret;
	rc = sqlite3_prepare_v2(rd->db,
	                        "SELECT " LEASE_ROW_COLUMNS ", outside_pools FROM leases"
	                        " WHERE tenant_id = ?1 AND address = ?2",
	                        -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, tenant_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, address);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		ret = lease_row_read(st, 0, out);
		if (ret == 0)
			out->outside_pools = sqlite3_column_int(st, LEASE_ROW_NCOLS) != 0;
	} else {
		ret = rc == SQLITE_DONE ? -ENODATA : lease_sql_errno(rc);
	}
	sqlite3_finalize(st);
	return ret;
}

int lease_reader_count_active(struct lease_reader *rd, const char *tenant, int64_t now,
                              uint32_t first, uint32_t last, uint64_t *count)
{
	sqlite3_stmt *st = NULL;
	int64_t tenant_id;
	int rc, ret;

	if (rd == NULL || tenant == NULL || count == NULL || first > last)
		return -EINVAL;
	ret = lease_query_tenant(rd, tenant, &tenant_id);
	if (ret != 0)
		return ret;
	/* A range scan of the primary key (tenant_id, address). */
	rc = sqlite3_prepare_v2(rd->db,
	                        "SELECT count(*) FROM leases WHERE tenant_id = ?1 AND address"
	                        " BETWEEN ?2 AND ?3 AND state = 1 AND end_time > ?4",
	                        -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, tenant_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, first);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, last);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, now);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int64_t n = sqlite3_column_int64(st, 0);

		*count = n > 0 ? (uint64_t)n : 0;
		ret = 0;
	} else {
		ret = lease_sql_errno(rc);
	}
	sqlite3_finalize(st);
	return ret;
}
