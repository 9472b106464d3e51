/*
 * The startup load: the active leases of a tenant, handed to the engine that fills its
 * pools with them, and the outside_pools flags of the leases it could not place; then the
 * declined addresses whose quarantine is still running. Control thread, on the control
 * connection.
 */
#include <errno.h>
#include <stdlib.h>

#include "lease-store/lease_row.h"
#include "lease-store/lease_sql.h"
#include "lease-store/lease_store_impl.h"

/* Addresses a load found outside the pools, to be flagged once the load is done. */
struct lease_store_outside {
	uint32_t *addr;
	size_t n, cap;
};

static int lease_store_outside_add(struct lease_store_outside *o, uint32_t addr)
{
	if (o->n == o->cap) {
		size_t cap = o->cap != 0 ? o->cap * 2 : 64;
		uint32_t *a = realloc(o->addr, cap * sizeof(*a));

		if (a == NULL)
			return -ENOMEM;
		o->addr = a;
		o->cap = cap;
	}
	o->addr[o->n++] = addr;
	return 0;
}

/*
 * Makes the outside_pools flags of tenant @tenant_id's rows say exactly which leases the
 * load found outside: one transaction on the control connection. The SELECT of the load
 * is finished by then, so no statement reads the table while it changes.
 */
static int lease_store_flag_outside(struct lease_store *s, uint32_t tenant_id,
                                    const struct lease_store_outside *o)
{
	sqlite3_stmt *clear = NULL, *set = NULL;
	int rc = lease_sql_exec(s->cdb, "BEGIN IMMEDIATE");

	if (rc != SQLITE_OK)
		return lease_sql_errno(rc);
	rc = sqlite3_prepare_v2(s->cdb,
	                        "UPDATE leases SET outside_pools = 0"
	                        " WHERE tenant_id = ?1 AND outside_pools <> 0",
	                        -1, &clear, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(clear, 1, tenant_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(clear) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(s->cdb);
	if (rc == SQLITE_OK && o->n > 0)
		rc = sqlite3_prepare_v2(s->cdb,
		                        "UPDATE leases SET outside_pools = 1"
		                        " WHERE tenant_id = ?1 AND address = ?2",
		                        -1, &set, NULL);
	for (size_t i = 0; rc == SQLITE_OK && i < o->n; i++) {
		rc = sqlite3_bind_int64(set, 1, tenant_id);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(set, 2, o->addr[i]);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(set) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(s->cdb);
		sqlite3_reset(set);
	}
	sqlite3_finalize(clear);
	sqlite3_finalize(set);
	if (rc == SQLITE_OK)
		rc = lease_sql_exec(s->cdb, "COMMIT");
	if (rc != SQLITE_OK && !sqlite3_get_autocommit(s->cdb))
		lease_sql_exec(s->cdb, "ROLLBACK");
	return lease_sql_errno(rc);
}

/* The rows of tenant @tenant_id in @state that end after @now, in address order. */
static int lease_load_select(struct lease_store *s, uint32_t tenant_id, enum lease_state state,
                             int64_t now, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(s->cdb,
	                            "SELECT " LEASE_ROW_COLUMNS ", outside_pools FROM leases"
	                            " WHERE tenant_id = ?1 AND state = ?2 AND end_time > ?3"
	                            " ORDER BY address",
	                            -1, st, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(*st, 1, tenant_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(*st, 2, state);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(*st, 3, now);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(*st);
		*st = NULL;
	}
	return lease_sql_errno(rc);
}

int lease_store_load_active(struct lease_store *s, uint32_t tenant_id, int64_t now,
                            int (*fn)(void *ctx, const struct lease_record *rec), void *ctx)
{
	struct lease_store_outside outside = {0};
	struct lease_record rec;
	sqlite3_stmt *st = NULL;
	int rc, ret = 0;

	if (s == NULL || fn == NULL)
		return -EINVAL;
	rc = lease_load_select(s, tenant_id, LEASE_STATE_ACTIVE, now, &st);
	if (rc != 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ret = lease_row_read(st, 0, &rec);
		if (ret != 0)
			break;
		rec.outside_pools = sqlite3_column_int(st, LEASE_ROW_NCOLS) != 0;
		ret = fn(ctx, &rec);
		if (ret == LEASE_LOAD_OUTSIDE)
			ret = lease_store_outside_add(&outside, rec.address);
		if (ret != 0)
			break;
	}
	ret = lease_sql_finish(st, rc, ret);
	if (ret == 0)
		ret = lease_store_flag_outside(s, tenant_id, &outside);
	free(outside.addr);
	return ret;
}

int lease_store_load_declined(struct lease_store *s, uint32_t tenant_id, int64_t now,
                              int (*fn)(void *ctx, const struct lease_record *rec), void *ctx)
{
	struct lease_record rec;
	sqlite3_stmt *st = NULL;
	int rc, ret = 0;

	if (s == NULL || fn == NULL)
		return -EINVAL;
	/*
	 * RFC 2131 4.3.3: a declined address is out of service until its row's end_time (the
	 * DECLINE set it to the end of the quarantine). Without this, a restart would hand
	 * the address that another host uses straight back out.
	 */
	rc = lease_load_select(s, tenant_id, LEASE_STATE_DECLINED, now, &st);
	if (rc != 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ret = lease_row_read(st, 0, &rec);
		if (ret == 0)
			ret = fn(ctx, &rec);
		if (ret != 0)
			break;
	}
	return lease_sql_finish(st, rc, ret);
}
