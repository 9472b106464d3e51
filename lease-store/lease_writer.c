/*
 * The lease writer thread: the only thread that writes leases to the database.
 *
 * It sleeps until a change arrives, then gathers up to batch_max changes, waiting at most
 * batch_usec for more after the first, and commits them in one BEGIN IMMEDIATE ... COMMIT.
 * In WAL mode with synchronous=FULL that is one fsync for the whole batch (group commit),
 * which is how acknowledging only committed leases (RFC 2131 section 3.1, step 4) stays
 * fast. After the commit it posts one completion per change to the queue of the owner that
 * submitted it.
 *
 * A failed transaction (busy, disk full, I/O error) is rolled back and every change of it
 * is answered with an error, so no DHCPACK goes out for a lease that is not on disk; the
 * writer then carries on, and the next batch tries again, so service comes back by itself
 * when the database can be written again. A change that breaks a constraint (a tenant id
 * the database does not know) fails alone: SQLite aborts just that statement and the rest
 * of the transaction stands.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lease-store/lease_row.h"
#include "lease-store/lease_sql.h"
#include "lease-store/lease_store_impl.h"

_Static_assert(sizeof(_Atomic uint32_t) == sizeof(uint32_t), "futex word must be 32 bits");

static int64_t lease_writer_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Sleeps while *word == @expected, at most @timeout_ns (< 0: no limit). */
static void lease_writer_futex_wait(_Atomic uint32_t *word, uint32_t expected, int64_t timeout_ns)
{
	struct timespec ts, *tsp = NULL;

	if (timeout_ns >= 0) {
		ts.tv_sec = (time_t)(timeout_ns / 1000000000);
		ts.tv_nsec = (long)(timeout_ns % 1000000000);
		tsp = &ts;
	}
	/* EAGAIN (the word changed), EINTR and ETIMEDOUT all just return to the caller's loop. */
	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expected, tsp, NULL, 0);
}

static void lease_writer_futex_wake(_Atomic uint32_t *word)
{
	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/*
 * Sleeps until a change may be ready, the store stops, or @timeout_ns passes.
 *
 * No wake-up is lost: the writer reads the word, announces itself in writer_waiting and
 * only then looks at the queue; a producer publishes its change and only then looks at
 * writer_waiting. The two seq_cst fences guarantee that at least one of them sees the
 * other's store, so either the writer finds the change, or the producer bumps the word
 * (making FUTEX_WAIT return at once) and wakes it.
 */
static void lease_writer_sleep(struct lease_store *s, int64_t timeout_ns)
{
	uint32_t word = atomic_load(&s->wake_word);

	atomic_store_explicit(&s->writer_waiting, true, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	if (!lease_sq_ready(&s->sq) && !atomic_load(&s->stopping))
		lease_writer_futex_wait(&s->wake_word, word, timeout_ns);
	atomic_store_explicit(&s->writer_waiting, false, memory_order_relaxed);
}

void lease_writer_notify(struct lease_store *s)
{
	atomic_thread_fence(memory_order_seq_cst);
	/* A busy writer is not sleeping: then submitting costs no system call. */
	if (atomic_load_explicit(&s->writer_waiting, memory_order_relaxed)) {
		atomic_fetch_add(&s->wake_word, 1);
		lease_writer_futex_wake(&s->wake_word);
	}
}

void lease_writer_kick(struct lease_store *s)
{
	atomic_fetch_add(&s->wake_word, 1);
	lease_writer_futex_wake(&s->wake_word);
}

int lease_writer_prepare(struct lease_store *s, char *err, size_t errlen)
{
	static const struct {
		size_t offset;
		const char *sql;
	} stmts[] = {
	    {offsetof(struct lease_writer_stmts, begin), "BEGIN IMMEDIATE"},
	    {offsetof(struct lease_writer_stmts, commit), "COMMIT"},
	    {offsetof(struct lease_writer_stmts, rollback), "ROLLBACK"},
	    {offsetof(struct lease_writer_stmts, upsert),
	     "INSERT OR REPLACE INTO leases (" LEASE_ROW_COLUMNS ") VALUES (" LEASE_ROW_PARAMS ")"},
	    {offsetof(struct lease_writer_stmts, set_state),
	     "UPDATE leases SET state = ?1, end_time = ?2, cltt = ?3"
	     " WHERE tenant_id = ?4 AND address = ?5"},
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
	return 0;
}

void lease_writer_finalize(struct lease_store *s)
{
	sqlite3_finalize(s->ws.begin);
	sqlite3_finalize(s->ws.commit);
	sqlite3_finalize(s->ws.rollback);
	sqlite3_finalize(s->ws.upsert);
	sqlite3_finalize(s->ws.set_state);
	memset(&s->ws, 0, sizeof(s->ws));
}

/* Steps @st once and resets it; returns the step's result code. */
static int lease_writer_step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc;
}

static enum lease_state lease_writer_op_state(enum lease_op op)
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

/* Applies one change inside the open transaction. Returns an SQLite result code. */
static int lease_writer_apply(struct lease_store *s, const struct lease_change *c)
{
	sqlite3_stmt *st;
	int rc;

	if (c->op == LEASE_OP_BIND || c->op == LEASE_OP_RENEW) {
		st = s->ws.upsert;
		rc = lease_row_bind(st, 1, &c->rec);
	} else {
		/* Release, decline and expiry keep the binding's history, only its state moves. */
		st = s->ws.set_state;
		rc = sqlite3_bind_int(st, 1, (int)lease_writer_op_state(c->op));
		rc |= sqlite3_bind_int64(st, 2, c->rec.end_time);
		rc |= sqlite3_bind_int64(st, 3, c->rec.cltt);
		rc |= sqlite3_bind_int64(st, 4, c->rec.tenant_id);
		rc |= sqlite3_bind_int64(st, 5, c->rec.address);
		if (rc != SQLITE_OK)
			rc = SQLITE_RANGE;
	}
	if (rc != SQLITE_OK)
		return rc;
	rc = lease_writer_step(st);
	/* The bound blobs point into the batch, which the next batch overwrites. */
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* One line per second at most, however many batches fail (DESIGN.md, "Operator surface"). */
static void lease_writer_log_failure(struct lease_store *s, size_t n, int rc, const char *msg)
{
	int64_t now = lease_writer_now_ns() / 1000000000;

	if (s->log_last_sec != 0 && now - s->log_last_sec < 1) {
		s->log_suppressed++;
		return;
	}
	if (s->log_suppressed > 0)
		fprintf(stderr,
		        "mtdhcp: lease store %s: write of %zu lease changes failed (%s, code %d);"
		        " not acknowledged; the next batch will try again (%" PRIu64
		        " similar messages suppressed)\n",
		        s->path, n, msg, rc, s->log_suppressed);
	else
		fprintf(stderr,
		        "mtdhcp: lease store %s: write of %zu lease changes failed (%s, code %d);"
		        " not acknowledged; the next batch will try again\n",
		        s->path, n, msg, rc);
	s->log_last_sec = now;
	s->log_suppressed = 0;
}

/*
 * Commits batch[0 .. n-1] in one transaction and fills batch_status. Returns whether the
 * transaction committed; *@ok is the number of its changes that succeeded.
 */
static bool lease_writer_commit(struct lease_store *s, size_t n, size_t *ok)
{
	char msg[128];
	int rc = lease_writer_step(s->ws.begin);

	*ok = 0;
	if (rc == SQLITE_DONE) {
		for (size_t i = 0; i < n; i++) {
			int arc = lease_writer_apply(s, &s->batch[i]);

			if (arc == SQLITE_OK) {
				s->batch_status[i] = 0;
				(*ok)++;
			} else if ((arc & 0xff) == SQLITE_CONSTRAINT ||
			           (arc & 0xff) == SQLITE_RANGE) {
				/* This change alone is wrong; the statement was undone, go on. */
				s->batch_status[i] = -EINVAL;
			} else {
				rc = arc;
				break;
			}
		}
		if (rc == SQLITE_DONE)
			rc = lease_writer_step(s->ws.commit);
	}
	if (rc == SQLITE_DONE)
		return true;

	/* Keep SQLite's words for the log before ROLLBACK replaces them. */
	snprintf(msg, sizeof(msg), "%s", sqlite3_errmsg(s->wdb));
	if (!sqlite3_get_autocommit(s->wdb))
		lease_writer_step(s->ws.rollback);
	/* The owners are told busy, full or read-only; anything else is an I/O error. */
	int status = lease_sql_errno(rc);

	if (status != -EBUSY && status != -ENOSPC && status != -EROFS)
		status = -EIO;
	for (size_t i = 0; i < n; i++)
		s->batch_status[i] = status;
	*ok = 0;
	lease_writer_log_failure(s, n, rc, msg);
	return false;
}

/*
 * Posts the completion of every change of the batch. The ring of an owner cannot be full
 * here: lease_store_submit takes one of the owner's credits per change and the owner gives
 * them back only when it polls, so an owner never has more changes in flight than its ring
 * holds. The wait below is therefore never expected to run; should it ever, it cannot
 * deadlock either, because lease_store_poll never waits for the writer.
 */
static void lease_writer_complete(struct lease_store *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct lease_change *c = &s->batch[i];
		struct lease_completion done = {.cookie = c->cookie, .status = s->batch_status[i]};
		struct lease_cq *cq = &s->cqs[c->owner];

		while (!lease_cq_push(cq, &done)) {
			struct timespec ts = {.tv_sec = 0, .tv_nsec = 20000};

			nanosleep(&ts, NULL);
		}
	}
}

/* Takes the next batch into s->batch; 0 when stopping with nothing queued. */
static size_t lease_writer_collect(struct lease_store *s)
{
	size_t n = 0;
	int64_t deadline;

	while (!lease_sq_pop(&s->sq, &s->batch[0])) {
		if (atomic_load(&s->stopping))
			return 0;
		lease_writer_sleep(s, -1);
	}
	n = 1;
	deadline = lease_writer_now_ns() + (int64_t)s->batch_usec * 1000;
	while (n < s->batch_max) {
		if (lease_sq_pop(&s->sq, &s->batch[n])) {
			n++;
			continue;
		}
		/* When closing, commit what is there without waiting for company. */
		if (atomic_load(&s->stopping))
			break;
		int64_t left = deadline - lease_writer_now_ns();

		if (left <= 0)
			break;
		lease_writer_sleep(s, left);
	}
	return n;
}

void lease_writer_run(struct lease_store *s)
{
	for (;;) {
		size_t n = lease_writer_collect(s), ok;

		if (n == 0)
			break;
		if (lease_writer_commit(s, n, &ok)) {
			if (s->failing_since > 0) {
				fprintf(
				    stderr,
				    "mtdhcp: lease store %s: writes succeed again after %" PRIu64
				    " failed lease changes\n",
				    s->path, s->failing_since);
				s->failing_since = 0;
			}
			atomic_fetch_add_explicit(&s->committed, ok, memory_order_relaxed);
			atomic_fetch_add_explicit(&s->failed, n - ok, memory_order_relaxed);
			atomic_fetch_add_explicit(&s->transactions, 1, memory_order_relaxed);
		} else {
			s->failing_since += n;
			atomic_fetch_add_explicit(&s->failed, n, memory_order_relaxed);
		}
		/* Completions go out only after the commit: an ACK must not precede its row. */
		lease_writer_complete(s, n);
	}
}
