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
 * when the database can be written again. A change that is wrong on its own (a tenant id
 * the database does not know) fails alone: it is refused before it writes anything and
 * the rest of the transaction stands (lease_apply.c).
 *
 * Each change that alters a row appends its event to lease_events in the same transaction,
 * so the history can never disagree with the leases. The writer's maintenance (expiring
 * leases whose time has run out, pruning old events; lease_maint.c) rides in small chunks
 * in the transactions of batches, or runs in its own when the queue is empty.
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

int64_t lease_writer_now_ns(void)
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
 * Sleeps until the change @need - 1 places after the next one to pop may be ready, the
 * store stops, or @timeout_ns passes.
 *
 * No wake-up that matters is lost: the writer reads the word, announces wake_pos and then
 * (with release) writer_waiting, and only then looks at the queue; a producer publishes its
 * change and only then looks at writer_waiting (with acquire, so it sees the wake_pos
 * announced with it). The two seq_cst fences guarantee that at least one of them sees the
 * other's store, so either the writer finds the change, or the producer bumps the word
 * (making FUTEX_WAIT return at once) and wakes it. A change published later than one at
 * or beyond wake_pos wakes no one: while idle (need 1) any change is at or beyond it, and
 * while filling a batch the wait ends by the timeout at the latest.
 */
static void lease_writer_sleep(struct lease_store *s, size_t need, int64_t timeout_ns)
{
	uint32_t word = atomic_load(&s->wake_word);

	/* A batch larger than the queue fills only as the queue drains: wait for a full one. */
	if (need > s->sq.mask + 1)
		need = s->sq.mask + 1;
	atomic_store_explicit(&s->wake_pos, lease_sq_head(&s->sq) + need - 1, memory_order_relaxed);
	atomic_store_explicit(&s->writer_waiting, true, memory_order_release);
	atomic_thread_fence(memory_order_seq_cst);
	if (!lease_sq_ready_at(&s->sq, need - 1) && !atomic_load(&s->stopping))
		lease_writer_futex_wait(&s->wake_word, word, timeout_ns);
	atomic_store_explicit(&s->writer_waiting, false, memory_order_relaxed);
}

void lease_writer_notify(struct lease_store *s, size_t pos)
{
	atomic_thread_fence(memory_order_seq_cst);
	/* A busy writer is not sleeping: then submitting costs no system call. */
	if (!atomic_load_explicit(&s->writer_waiting, memory_order_acquire))
		return;
	/* Positions run freely and wrap; compare their difference as signed. */
	size_t want = atomic_load_explicit(&s->wake_pos, memory_order_relaxed);

	if ((intptr_t)(pos - want) >= 0) {
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
	int ret = lease_apply_prepare(s, err, errlen);

	return ret != 0 ? ret : lease_maint_prepare(s, err, errlen);
}

void lease_writer_finalize(struct lease_store *s)
{
	sqlite3_stmt **st = (sqlite3_stmt **)&s->ws;

	/* The struct is nothing but statement pointers; finalize(NULL) is harmless. */
	for (size_t i = 0; i < sizeof(s->ws) / sizeof(*st); i++)
		sqlite3_finalize(st[i]);
	memset(&s->ws, 0, sizeof(s->ws));
}

/* Steps @st once and resets it; returns the step's result code. */
static int lease_writer_step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc;
}

int lease_writer_status(int rc)
{
	int status = lease_sql_errno(rc);

	if (status != -EBUSY && status != -ENOSPC && status != -EROFS)
		status = -EIO;
	return status;
}

const char *lease_writer_status_text(int status)
{
	switch (status) {
	case -EBUSY:
		return "the database is locked by another process";
	case -ENOSPC:
		return "the disk is full";
	case -EROFS:
		return "the database is read-only";
	default:
		return "I/O error";
	}
}

/* One line per second at most, however many batches fail (DESIGN.md, "Operator surface"). */
static void lease_writer_log_failure(struct lease_store *s, size_t n, int rc, const char *msg)
{
	uint64_t suppressed;

	if (!log_ratelimit_ok(&s->fail_log, lease_writer_now_ns() / 1000000000, 1, &suppressed))
		return;
	const char *why = lease_writer_status_text(lease_writer_status(rc));

	if (suppressed > 0)
		log_err("lease database %s: writing %zu lease changes failed: %s (SQLite: %s, code"
		        " %d); they are not acknowledged, the next batch will try again (%" PRIu64
		        " similar messages suppressed)",
		        s->path, n, why, msg, rc, suppressed);
	else
		log_err("lease database %s: writing %zu lease changes failed: %s (SQLite: %s, code"
		        " %d); they are not acknowledged, the next batch will try again",
		        s->path, n, why, msg, rc);
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
	s->batch_events = 0;
	if (rc == SQLITE_DONE) {
		for (size_t i = 0; i < n; i++) {
			int arc = lease_apply(s, &s->batch[i]);

			if (arc == SQLITE_OK) {
				s->batch_status[i] = 0;
				(*ok)++;
			} else if ((arc & 0xff) == SQLITE_CONSTRAINT ||
			           (arc & 0xff) == SQLITE_RANGE) {
				/* This change alone is wrong and wrote nothing: go on. */
				s->batch_status[i] = -EINVAL;
			} else {
				rc = arc;
				break;
			}
		}
		/* A due maintenance chunk rides in this transaction (lease_maint.c). */
		if (rc == SQLITE_DONE) {
			int mrc = lease_maint_in_batch(s);

			if (mrc != SQLITE_OK)
				rc = mrc;
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
	int status = lease_writer_status(rc);

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

/*
 * Takes the next batch into s->batch. 0 when nothing is queued and either the store is
 * stopping or maintenance is due.
 */
static size_t lease_writer_collect(struct lease_store *s)
{
	size_t n = 0;
	int64_t deadline;

	while (!lease_sq_pop(&s->sq, &s->batch[0])) {
		if (atomic_load(&s->stopping))
			return 0;
		int64_t wait = lease_maint_wait_ns(s);

		if (wait == 0)
			return 0;
		lease_writer_sleep(s, 1, wait);
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
		lease_writer_sleep(s, s->batch_max - n, left);
	}
	return n;
}

void lease_writer_run(struct lease_store *s)
{
	for (;;) {
		size_t n = lease_writer_collect(s), ok;

		if (n == 0 && atomic_load(&s->stopping))
			break;
		if (n == 0) {
			/* Nothing queued and maintenance due: a transaction of its own. */
			lease_maint_run(s);
			continue;
		}
		bool committed = lease_writer_commit(s, n, &ok);

		lease_maint_batch_done(s, committed);
		if (committed) {
			if (s->failing_since > 0) {
				log_info("lease database %s: writes succeed again after %" PRIu64
				         " failed lease changes",
				         s->path, s->failing_since);
				s->failing_since = 0;
			}
			atomic_fetch_add_explicit(&s->committed, ok, memory_order_relaxed);
			atomic_fetch_add_explicit(&s->failed, n - ok, memory_order_relaxed);
			atomic_fetch_add_explicit(&s->transactions, 1, memory_order_relaxed);
			atomic_fetch_add_explicit(&s->events, s->batch_events,
			                          memory_order_relaxed);
		} else {
			s->failing_since += n;
			atomic_fetch_add_explicit(&s->failed, n, memory_order_relaxed);
		}
		/* Completions go out only after the commit: an ACK must not precede its row. */
		lease_writer_complete(s, n);
	}
}
