/*
 * The lease writer's maintenance: ending leases whose time has run out, and pruning lease
 * events past their retention, both in the writer thread (the only writer) and both a
 * little at a time.
 *
 * The engines expire the leases they hold in memory and submit an EXPIRE change for each,
 * but some leases are in no engine: those that ran out while the daemon was down, those
 * whose address left every pool (never loaded), and those whose EXPIRE change found the
 * queue full. So the writer looks for active rows whose end time has passed, every
 * maint_interval_ms, and ends them itself with an EXPIRE event dated at the lease's end.
 *
 * Maintenance never holds commits up for long. Its unit is a chunk: at most
 * LEASE_MAINT_CHUNK_EXPIRE expiries and LEASE_MAINT_CHUNK_PRUNE deletions, found through
 * indexes (the expiry index covers active rows only). While changes keep coming, a due
 * chunk rides in the transaction of a batch of changes, under a savepoint, just before its
 * COMMIT: it costs the batch the chunk's own work and no extra disk sync, and a chunk that
 * fails is rolled back alone while the batch commits. When the queue is empty, the writer
 * runs maintenance in transactions of its own, chunk after chunk, up to
 * LEASE_STORE_EXPIRE_MAX expiries and LEASE_STORE_PRUNE_MAX deletions, stopping early
 * when a change is waiting (after LEASE_MAINT_TXN_BUDGET_US). Whenever a chunk found as much as it
 * may take, more is probably waiting and the next chunk is due soon (LEASE_MAINT_BUSY_GAP_MS after
 * one that rode in a batch, at once when the queue is empty); otherwise an interval later. A
 * failure is logged at a limited rate and retried an interval later.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lease-store/lease_row.h"
#include "lease-store/lease_sql.h"
#include "lease-store/lease_store_impl.h"

_Static_assert(LEASE_STATE_ACTIVE == 1, "the maintenance SQL spells this value out");
_Static_assert(LEASE_STORE_EXPIRE_MAX % LEASE_MAINT_CHUNK_EXPIRE == 0 &&
                   LEASE_STORE_PRUNE_MAX % LEASE_MAINT_CHUNK_PRUNE == 0,
               "a maintenance transaction is made of whole chunks");

int lease_maint_prepare(struct lease_store *s, char *err, size_t errlen)
{
	static const struct {
		size_t offset;
		const char *sql;
	} stmts[] = {
	    /* "state = 1" is spelled out so that SQLite may use the partial expiry index. */
	    {offsetof(struct lease_writer_stmts, expire_pick),
	     "SELECT tenant_id, address, end_time FROM leases WHERE state = 1 AND end_time <= ?1"
	     " ORDER BY end_time, tenant_id, address LIMIT ?2"},
	    {offsetof(struct lease_writer_stmts, prune),
	     "DELETE FROM lease_events WHERE id IN (SELECT id FROM lease_events"
	     " WHERE keep_until < ?1 ORDER BY keep_until LIMIT ?2)"},
	    /* The same selection as prune's: read just before it, in the same transaction. */
	    {offsetof(struct lease_writer_stmts, prune_starts),
	     "SELECT tenant_id, address, time, id, starts_binding FROM lease_events"
	     " WHERE keep_until < ?1 ORDER BY keep_until LIMIT ?2"},
	    /*
	     * After the prune: the first event left on the address after a pruned start. When it
	     * does not start a binding itself, it belongs to the same binding (only a start
	     * changes the client a row names), and it becomes the binding's start, so that the
	     * history by hardware address still finds the binding (lease_read.c).
	     */
	    {offsetof(struct lease_writer_stmts, promote),
	     "UPDATE lease_events SET starts_binding = 1 WHERE starts_binding = 0 AND id ="
	     " (SELECT id FROM lease_events WHERE tenant_id = ?1 AND address = ?2 AND"
	     " (time > ?3 OR (time = ?3 AND id > ?4)) ORDER BY time, id LIMIT 1)"},
	    {offsetof(struct lease_writer_stmts, pruned_mark),
	     "UPDATE lease_events_pruned SET cutoff = max(cutoff, ?1)"},
	    {offsetof(struct lease_writer_stmts, savepoint), "SAVEPOINT lease_maint"},
	    {offsetof(struct lease_writer_stmts, release), "RELEASE lease_maint"},
	    {offsetof(struct lease_writer_stmts, rollback_to), "ROLLBACK TO lease_maint"},
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
	/* The first maintenance is due as soon as the writer starts. */
	s->maint_next_ns = 0;
	return 0;
}

int64_t lease_maint_wait_ns(struct lease_store *s)
{
	if (atomic_load(&s->stopping))
		return -1;

	int64_t left = s->maint_next_ns - lease_writer_now_ns();

	return left > 0 ? left : 0;
}

/* Steps @st once and resets it; returns the step's result code. */
static int lease_maint_step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc;
}

/*
 * The leases of the next expiry chunk, into s->maint_keys: their keys are read first and
 * the rows changed afterwards, because changing the state of a row moves it out of the
 * index the SELECT walks. Returns the number found, or a negative SQLite result code.
 */
static int lease_maint_pick(struct lease_store *s, int64_t now)
{
	sqlite3_stmt *st = s->ws.expire_pick;
	int rc = sqlite3_bind_int64(st, 1, now), n = 0;

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 2, LEASE_MAINT_CHUNK_EXPIRE);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		s->maint_keys[n].tenant_id = (uint32_t)sqlite3_column_int64(st, 0);
		s->maint_keys[n].address = (uint32_t)sqlite3_column_int64(st, 1);
		s->maint_keys[n].end_time = sqlite3_column_int64(st, 2);
		n++;
		rc = n < LEASE_MAINT_CHUNK_EXPIRE ? SQLITE_OK : SQLITE_DONE;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_OK ? n : -rc;
}

/*
 * The events of the next prune chunk that start a binding, into s->maint_starts: their
 * count, or a negative SQLite result code.
 */
static int lease_maint_prune_starts(struct lease_store *s, int64_t cutoff)
{
	sqlite3_stmt *st = s->ws.prune_starts;
	int rc = sqlite3_bind_int64(st, 1, cutoff), n = 0;

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 2, LEASE_MAINT_CHUNK_PRUNE);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_int64(st, 4) != 0 && n < LEASE_MAINT_CHUNK_PRUNE) {
			s->maint_starts[n].tenant_id = (uint32_t)sqlite3_column_int64(st, 0);
			s->maint_starts[n].address = (uint32_t)sqlite3_column_int64(st, 1);
			s->maint_starts[n].time = sqlite3_column_int64(st, 2);
			s->maint_starts[n].id = sqlite3_column_int64(st, 3);
			n++;
		}
		rc = SQLITE_OK;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? n : -rc;
}

/* Hands the start of each of the @n pruned bindings in s->maint_starts on to its next event. */
static int lease_maint_promote(struct lease_store *s, int n)
{
	sqlite3_stmt *st = s->ws.promote;
	int rc = SQLITE_OK;

	for (int i = 0; i < n && rc == SQLITE_OK; i++) {
		rc = sqlite3_bind_int64(st, 1, s->maint_starts[i].tenant_id);
		rc |= sqlite3_bind_int64(st, 2, s->maint_starts[i].address);
		rc |= sqlite3_bind_int64(st, 3, s->maint_starts[i].time);
		rc |= sqlite3_bind_int64(st, 4, s->maint_starts[i].id);
		if (rc != SQLITE_OK)
			return SQLITE_RANGE;
		rc = lease_maint_step(st);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	return rc;
}

/*
 * One chunk inside the open transaction, at wall-clock time @now. Adds what it did to the
 * pending counts and sets maint_more when a part of it found as much as it may take.
 * Returns an SQLite result code.
 */
static int lease_maint_chunk(struct lease_store *s, int64_t now)
{
	int n = lease_maint_pick(s, now), rc = SQLITE_OK;

	if (n < 0)
		return -n;
	for (int i = 0; i < n && rc == SQLITE_OK; i++)
		rc = lease_apply_expire(s, s->maint_keys[i].tenant_id, s->maint_keys[i].address,
		                        s->maint_keys[i].end_time);
	if (rc != SQLITE_OK)
		return rc;
	s->maint_pend_expired += (uint64_t)n;
	s->maint_more = n == LEASE_MAINT_CHUNK_EXPIRE;

	int64_t cutoff = now - s->retention_s;
	int starts = lease_maint_prune_starts(s, cutoff);
	sqlite3_stmt *st = s->ws.prune;

	if (starts < 0)
		return -starts;
	rc = sqlite3_bind_int64(st, 1, cutoff);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 2, LEASE_MAINT_CHUNK_PRUNE);
	if (rc == SQLITE_OK)
		rc = lease_maint_step(st);
	if (rc != SQLITE_DONE)
		return rc;
	int pruned = sqlite3_changes(s->wdb);

	s->maint_pend_pruned += (uint64_t)pruned;
	s->maint_more = s->maint_more || pruned == LEASE_MAINT_CHUNK_PRUNE;
	if (pruned == 0)
		return SQLITE_OK;
	rc = lease_maint_promote(s, starts);
	if (rc != SQLITE_OK)
		return rc;
	/* Readers are told from when on the history they see is complete. */
	rc = sqlite3_bind_int64(s->ws.pruned_mark, 1, cutoff);
	if (rc == SQLITE_OK)
		rc = lease_maint_step(s->ws.pruned_mark);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static void lease_maint_log_failure(struct lease_store *s, int rc, const char *msg)
{
	uint64_t suppressed;

	atomic_fetch_add_explicit(&s->maint_failed, 1, memory_order_relaxed);
	s->maint_failing = true;
	if (!log_ratelimit_ok(&s->maint_log, lease_writer_now_ns() / 1000000000, 10, &suppressed))
		return;
	const char *why = lease_writer_status_text(lease_writer_status(rc));

	if (suppressed > 0)
		log_warn("lease database %s: expiring ended leases and pruning old events failed:"
		         " %s (SQLite: %s, code %d); will try again (%" PRIu64
		         " similar messages suppressed)",
		         s->path, why, msg, rc, suppressed);
	else
		log_warn("lease database %s: expiring ended leases and pruning old events failed:"
		         " %s (SQLite: %s, code %d); will try again",
		         s->path, why, msg, rc);
}

/*
 * Ends the maintenance of a transaction (@in_batch: a chunk that rode in a batch): counts
 * what it did when it committed, and says when the next chunk is due. While changes keep
 * coming, a backlog is worked off at one chunk per LEASE_MAINT_BUSY_GAP_MS, so that most
 * batches carry none; when the queue is empty, as fast as it goes.
 */
static void lease_maint_settle(struct lease_store *s, bool committed, bool in_batch)
{
	int64_t now = lease_writer_now_ns();
	int64_t soon = in_batch ? (int64_t)LEASE_MAINT_BUSY_GAP_MS * 1000000 : 0;

	if (committed && s->maint_in_txn) {
		atomic_fetch_add_explicit(&s->expired, s->maint_pend_expired, memory_order_relaxed);
		atomic_fetch_add_explicit(&s->pruned, s->maint_pend_pruned, memory_order_relaxed);
		atomic_fetch_add_explicit(&s->maint_runs, 1, memory_order_relaxed);
		if (s->maint_failing) {
			log_info("lease database %s: expiry and pruning work again", s->path);
			s->maint_failing = false;
		}
		s->maint_next_ns = now + (s->maint_more ? soon : s->maint_interval_ns);
	} else if (s->maint_in_txn) {
		s->maint_next_ns = now + s->maint_interval_ns;
	}
	s->maint_in_txn = false;
	s->maint_more = false;
	s->maint_pend_expired = 0;
	s->maint_pend_pruned = 0;
}

int lease_maint_in_batch(struct lease_store *s)
{
	char msg[128];
	int rc;

	if (lease_maint_wait_ns(s) != 0)
		return SQLITE_OK;
	uint64_t events = s->batch_events;

	rc = lease_maint_step(s->ws.savepoint);
	if (rc != SQLITE_DONE)
		return rc;
	rc = lease_maint_chunk(s, (int64_t)time(NULL));
	if (rc == SQLITE_OK) {
		rc = lease_maint_step(s->ws.release);
		s->maint_in_txn = true;
		return rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	/* The chunk alone is undone; the batch's changes go on to their COMMIT. */
	snprintf(msg, sizeof(msg), "%s", sqlite3_errmsg(s->wdb));
	lease_maint_log_failure(s, rc, msg);
	s->batch_events = events;
	s->maint_pend_expired = 0;
	s->maint_pend_pruned = 0;
	s->maint_next_ns = lease_writer_now_ns() + s->maint_interval_ns;
	if (sqlite3_get_autocommit(s->wdb))
		return rc; /* SQLite rolled the whole transaction back: the batch fails too */
	rc = lease_maint_step(s->ws.rollback_to);
	if (rc == SQLITE_DONE)
		rc = lease_maint_step(s->ws.release);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

void lease_maint_batch_done(struct lease_store *s, bool committed)
{
	lease_maint_settle(s, committed, true);
}

void lease_maint_run(struct lease_store *s)
{
	char msg[128];
	int rc;

	if (lease_maint_wait_ns(s) != 0)
		return;
	s->batch_events = 0;
	rc = lease_maint_step(s->ws.begin);
	if (rc == SQLITE_DONE) {
		int64_t now = (int64_t)time(NULL), start = lease_writer_now_ns();

		/*
		 * Chunk after chunk, until done, at the limits, or, after a first
		 * LEASE_MAINT_TXN_BUDGET_US, as soon as a change is waiting: a transaction's
		 * disk sync is worth more than one chunk, and a change waits no longer than for
		 * a batch before its own.
		 */
		do {
			rc = lease_maint_chunk(s, now);
		} while (rc == SQLITE_OK && s->maint_more &&
		         s->maint_pend_expired < LEASE_STORE_EXPIRE_MAX &&
		         s->maint_pend_pruned < LEASE_STORE_PRUNE_MAX &&
		         (!lease_sq_ready(&s->sq) ||
		          lease_writer_now_ns() - start < LEASE_MAINT_TXN_BUDGET_US * 1000));
		if (rc == SQLITE_OK)
			rc = lease_maint_step(s->ws.commit);
	}
	if (rc == SQLITE_DONE) {
		s->maint_in_txn = true;
		atomic_fetch_add_explicit(&s->events, s->batch_events, memory_order_relaxed);
		lease_maint_settle(s, true, false);
		return;
	}
	snprintf(msg, sizeof(msg), "%s", sqlite3_errmsg(s->wdb));
	if (!sqlite3_get_autocommit(s->wdb))
		lease_maint_step(s->ws.rollback);
	lease_maint_log_failure(s, rc, msg);
	s->maint_in_txn = true;
	lease_maint_settle(s, false, false);
}
