/*
 * How the writer turns one lease change into rows, inside its open transaction: the lease
 * row (an upsert, or a new state) and the change's event in lease_events.
 *
 * Every statement here writes one row with values bound from memory. Statements of that
 * shape need no statement journal: SQLite checks their constraints before it writes
 * anything, so there is nothing to undo when one fails. An INSERT ... SELECT, or a foreign
 * key checked at the end of the statement, would make SQLite save a copy of every page the
 * statement touches first, which at high rates cost as much as the writes themselves. So
 * the writer's connection runs with foreign keys off and checks tenant ids itself (the
 * tenants table is the only parent), and an event is written from values, the row read
 * first where the change does not carry it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lease-store/lease_row.h"
#include "lease-store/lease_sql.h"
#include "lease-store/lease_store_impl.h"

_Static_assert(LEASE_STATE_DECLINED == 4, "row_get spells the declined state out");

int lease_apply_prepare(struct lease_store *s, char *err, size_t errlen)
{
	static const struct {
		size_t offset;
		const char *sql;
	} stmts[] = {
	    /*
	     * An upsert rather than INSERT OR REPLACE: a renewal, the most common change of
	     * all, then updates its row in place, and only the indexes whose columns changed
	     * (the expiry index, for a new end time), instead of deleting and inserting the
	     * row and every index entry. A binding is in a pool, so the flag is cleared.
	     */
	    {offsetof(struct lease_writer_stmts, upsert),
	     "INSERT INTO leases (" LEASE_ROW_COLUMNS ") VALUES (" LEASE_ROW_PARAMS ")"
	     " ON CONFLICT (tenant_id, address) DO UPDATE SET state = excluded.state,"
	     " start_time = excluded.start_time, end_time = excluded.end_time,"
	     " cltt = excluded.cltt, hwtype = excluded.hwtype, hwaddr = excluded.hwaddr,"
	     " client_id = excluded.client_id, hostname = excluded.hostname,"
	     " giaddr = excluded.giaddr, circuit_id = excluded.circuit_id,"
	     " remote_id = excluded.remote_id, port = excluded.port,"
	     " vlan_outer = excluded.vlan_outer, vlan_inner = excluded.vlan_inner,"
	     " outside_pools = 0"},
	    /*
	     * A renewal by the client the row already names: only the times, the state and
	     * what the relay said change. An upsert sets every column, and SQLite rewrites
	     * the entries of every index on a column it sets, changed or not: the hardware
	     * address and client identifier indexes, one random leaf page each per renewal,
	     * which at high rates cost more than the row itself. When the row names another
	     * client (or there is none), nothing matches and the upsert follows.
	     */
	    {offsetof(struct lease_writer_stmts, renew),
	     "UPDATE leases SET state = ?3, start_time = ?4, end_time = ?5, cltt = ?6,"
	     " hostname = ?10, giaddr = ?11, circuit_id = ?12, remote_id = ?13, port = ?14,"
	     " vlan_outer = ?15, vlan_inner = ?16, outside_pools = 0"
	     " WHERE tenant_id = ?1 AND address = ?2 AND hwtype IS ?7 AND hwaddr IS ?8"
	     " AND client_id IS ?9"},
	    /*
	     * The row a release, decline or expiry ends. A release or an expiry ends an
	     * active binding only: a late EXPIRE for a lease the maintenance sweep already
	     * ended, or a RELEASE of a lease that ran out, finds nothing and records nothing.
	     * A DECLINE marks the address whatever the row's state (RFC 2131 4.3.3: the
	     * address is in use elsewhere).
	     */
	    {offsetof(struct lease_writer_stmts, row_get),
	     "SELECT " LEASE_ROW_COLUMNS " FROM leases"
	     " WHERE tenant_id = ?1 AND address = ?2 AND (state = 1 OR ?3 = 4)"},
	    /* A NULL cltt keeps the row's own. */
	    {offsetof(struct lease_writer_stmts, set_state),
	     "UPDATE leases SET state = ?1, end_time = ?2, cltt = coalesce(?3, cltt)"
	     " WHERE tenant_id = ?4 AND address = ?5"},
	    {offsetof(struct lease_writer_stmts, event),
	     "INSERT INTO lease_events (time, kind, keep_until, starts_binding, " LEASE_ROW_COLUMNS
	     ") VALUES (?, ?, ?, ?, " LEASE_ROW_PARAMS ")"},
	    {offsetof(struct lease_writer_stmts, tenant_get),
	     "SELECT 1 FROM tenants WHERE id = ?1"},
	};

	for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++) {
		sqlite3_stmt **st = (sqlite3_stmt **)((char *)&s->ws + stmts[i].offset);
		int rc = sqlite3_prepare_v3(s->wdb, stmts[i].sql, -1, SQLITE_PREPARE_PERSISTENT, st,
		                            NULL);

		if (rc != SQLITE_OK) {
			lease_sql_set_err(err, errlen, "lease database %s: preparing \"%s\": %s",
			                  s->path, stmts[i].sql, sqlite3_errmsg(s->wdb));
			return lease_sql_errno(rc);
		}
	}
	s->tenants_known = calloc(LEASE_APPLY_TENANT_CACHE / 64, sizeof(*s->tenants_known));
	if (s->tenants_known == NULL) {
		lease_sql_set_err(err, errlen, "lease store: out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* Steps @st once, resets it and drops its bindings; returns the step's result code. */
static int lease_apply_step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	/* Bound blobs point into records that the next change overwrites. */
	sqlite3_clear_bindings(st);
	return rc;
}

/*
 * Whether tenant @id has a row: SQLITE_OK, SQLITE_CONSTRAINT when it has none (the change
 * then fails alone, as a foreign key would make it), or an error. Tenants are never
 * deleted (a removed one is only marked), so an id once found is remembered.
 */
static int lease_apply_tenant(struct lease_store *s, uint32_t id)
{
	uint64_t bit = id < LEASE_APPLY_TENANT_CACHE ? UINT64_C(1) << (id % 64) : 0;

	if (bit != 0 && (s->tenants_known[id / 64] & bit) != 0)
		return SQLITE_OK;
	int rc = sqlite3_bind_int64(s->ws.tenant_get, 1, id);

	if (rc == SQLITE_OK)
		rc = lease_apply_step(s->ws.tenant_get);
	if (rc == SQLITE_ROW) {
		if (bit != 0)
			s->tenants_known[id / 64] |= bit;
		return SQLITE_OK;
	}
	return rc == SQLITE_DONE ? SQLITE_CONSTRAINT : rc;
}

/*
 * Appends the event (@time, @kind) of lease @rec, kept until @keep_until. A binding's event
 * is kept for as long as the lease it granted runs, however short the retention; the end
 * of a binding as long as any event of the binding it ends, so that retention never drops
 * the end of a binding while it keeps its start, which would make the binding look as if
 * it never ended. @starts: the event starts the binding of the client it names (the row
 * named another client, or none), and so goes into the history's index by hardware
 * address (lease_schema.c, version 3).
 */
static int lease_apply_event(struct lease_store *s, int64_t time, enum lease_op kind,
                             int64_t keep_until, bool starts, const struct lease_record *rec)
{
	sqlite3_stmt *st = s->ws.event;
	int rc = sqlite3_bind_int64(st, 1, time);

	rc |= sqlite3_bind_int(st, 2, (int)kind);
	rc |= sqlite3_bind_int64(st, 3, keep_until);
	rc |= sqlite3_bind_int(st, 4, starts);
	if (rc == SQLITE_OK)
		rc = lease_row_bind(st, 5, rec);
	if (rc != SQLITE_OK) {
		sqlite3_clear_bindings(st);
		return SQLITE_RANGE;
	}
	rc = lease_apply_step(st);
	if (rc != SQLITE_DONE)
		return rc;
	s->batch_events++;
	return SQLITE_OK;
}

/*
 * A RENEW of the row's own client, in place (see the renew statement): SQLITE_DONE when it
 * changed the row, SQLITE_OK when no row names that client (the upsert is needed), or an
 * error.
 */
static int lease_apply_renew(struct lease_store *s, const struct lease_change *c)
{
	int rc = lease_row_bind(s->ws.renew, 1, &c->rec);

	if (rc != SQLITE_OK) {
		sqlite3_clear_bindings(s->ws.renew);
		return rc;
	}
	rc = lease_apply_step(s->ws.renew);
	if (rc != SQLITE_DONE)
		return rc;
	return sqlite3_changes(s->wdb) > 0 ? SQLITE_DONE : SQLITE_OK;
}

/* The row of a BIND (or of a RENEW the in-place update did not fit): SQLITE_DONE or an error. */
static int lease_apply_upsert(struct lease_store *s, const struct lease_change *c)
{
	int rc = lease_row_bind(s->ws.upsert, 1, &c->rec);

	if (rc != SQLITE_OK) {
		sqlite3_clear_bindings(s->ws.upsert);
		return rc;
	}
	return lease_apply_step(s->ws.upsert);
}

/*
 * A BIND or RENEW: the row, then its event. The event starts a binding unless it renewed
 * the row of the same client in place.
 */
static int lease_apply_bind(struct lease_store *s, const struct lease_change *c)
{
	int rc = lease_apply_tenant(s, c->rec.tenant_id);
	bool in_place;

	if (rc != SQLITE_OK)
		return rc;
	rc = c->op == LEASE_OP_RENEW ? lease_apply_renew(s, c) : SQLITE_OK;
	in_place = rc == SQLITE_DONE;
	if (rc == SQLITE_OK)
		rc = lease_apply_upsert(s, c);
	if (rc != SQLITE_DONE)
		return rc;
	return lease_apply_event(s, c->rec.cltt, c->op,
	                         c->rec.end_time > c->rec.cltt ? c->rec.end_time : c->rec.cltt,
	                         !in_place, &c->rec);
}

static enum lease_state lease_apply_op_state(enum lease_op op)
{
	switch (op) {
	case LEASE_OP_RELEASE:
		return LEASE_STATE_RELEASED;
	case LEASE_OP_DECLINE:
		return LEASE_STATE_DECLINED;
	default:
		return LEASE_STATE_EXPIRED;
	}
}

/*
 * Ends the binding of (@tenant_id, @address) as @op says, at @time: the row as it was, its
 * event with the new state, end time @end_time and last transaction time @cltt (so that
 * the event names the client and relay), then the row's new state. @cltt NULL keeps the
 * row's own: an expiry found by the sweep is no client transaction.
 */
static int lease_apply_finish(struct lease_store *s, enum lease_op op, uint32_t tenant_id,
                              uint32_t address, int64_t time, int64_t end_time, const int64_t *cltt)
{
	enum lease_state state = lease_apply_op_state(op);
	struct lease_record *rec = &s->apply_rec;
	sqlite3_stmt *st = s->ws.row_get;
	int rc = sqlite3_bind_int64(st, 1, tenant_id);

	rc |= sqlite3_bind_int64(st, 2, address);
	rc |= sqlite3_bind_int(st, 3, (int)state);
	if (rc != SQLITE_OK)
		return SQLITE_RANGE;
	rc = sqlite3_step(st);
	/*
	 * A row damaged by hand (a value out of range) cannot be read into an event; its
	 * state still changes, so that the binding ends (and the sweep does not find it again
	 * and again), but it leaves no event.
	 */
	bool readable = rc == SQLITE_ROW && lease_row_read(st, 0, rec) == 0;

	sqlite3_reset(st);
	/* No row in a state this change may end: nothing happens, nothing is recorded. */
	if (rc == SQLITE_DONE)
		return SQLITE_OK;
	if (rc != SQLITE_ROW)
		return rc;
	if (readable) {
		int64_t keep_until = rec->end_time > time ? rec->end_time : time;

		rec->state = state;
		rec->end_time = end_time;
		if (cltt != NULL)
			rec->cltt = *cltt;
		/* The row's own client: it started its binding with an earlier event. */
		rc = lease_apply_event(s, time, op, keep_until, false, rec);
		if (rc != SQLITE_OK)
			return rc;
	}

	st = s->ws.set_state;
	rc = sqlite3_bind_int(st, 1, (int)state);
	rc |= sqlite3_bind_int64(st, 2, end_time);
	rc |= cltt != NULL ? sqlite3_bind_int64(st, 3, *cltt) : sqlite3_bind_null(st, 3);
	rc |= sqlite3_bind_int64(st, 4, tenant_id);
	rc |= sqlite3_bind_int64(st, 5, address);
	if (rc != SQLITE_OK)
		return SQLITE_RANGE;
	rc = lease_apply_step(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int lease_apply_expire(struct lease_store *s, uint32_t tenant_id, uint32_t address,
                       int64_t end_time)
{
	return lease_apply_finish(s, LEASE_OP_EXPIRE, tenant_id, address, end_time, end_time, NULL);
}

int lease_apply(struct lease_store *s, const struct lease_change *c)
{
	if (c->op == LEASE_OP_BIND || c->op == LEASE_OP_RENEW)
		return lease_apply_bind(s, c);
	return lease_apply_finish(s, c->op, c->rec.tenant_id, c->rec.address, c->rec.cltt,
	                          c->rec.end_time, &c->rec.cltt);
}
