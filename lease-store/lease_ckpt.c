/*
 * WAL checkpoints, off the writer thread.
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL past 1000 pages:
 * it copies the WAL's pages into the database file and, with synchronous=FULL, syncs it,
 * which adds tens of milliseconds to that commit and to every DHCPACK waiting for it. The
 * writer's connection therefore has no automatic checkpoint; its WAL hook (run after each
 * commit) wakes this thread, which checkpoints on a connection of its own in PASSIVE mode:
 * it never waits for the writer, and the writer never waits for it. Should it fall far
 * behind (a reader holding an old snapshot for a long time keeps the WAL from being
 * reset), the writer checkpoints itself, passively, so that the WAL cannot grow without
 * bound.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "lease-store/lease_sql.h"
#include "lease-store/lease_store_impl.h"

/* The WAL size (pages) at which a checkpoint is wanted: SQLite's default. */
#define LEASE_CKPT_PAGES 1000
/* The size at which the writer stops relying on the thread and checkpoints itself. */
#define LEASE_CKPT_WRITER_PAGES (16 * LEASE_CKPT_PAGES)

/* The writer's WAL hook, after every commit: writer thread. */
static int lease_ckpt_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct lease_store *s = arg;

	if (pages >= LEASE_CKPT_WRITER_PAGES || !s->ckpt_started) {
		/* Behind, or no thread (the store was never started): as SQLite would. */
		if (pages >= LEASE_CKPT_PAGES)
			sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		return SQLITE_OK;
	}
	if (pages >= LEASE_CKPT_PAGES) {
		pthread_mutex_lock(&s->ckpt_lock);
		s->ckpt_wanted = true;
		pthread_cond_signal(&s->ckpt_cond);
		pthread_mutex_unlock(&s->ckpt_lock);
	}
	return SQLITE_OK;
}

int lease_ckpt_open(struct lease_store *s, char *err, size_t errlen)
{
	int rc =
	    sqlite3_open_v2(s->path, &s->kdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);

	if (rc != SQLITE_OK) {
		lease_sql_set_err(err, errlen, "lease database %s: cannot open: %s", s->path,
		                  s->kdb != NULL ? sqlite3_errmsg(s->kdb) : sqlite3_errstr(rc));
		return lease_sql_errno(rc);
	}
	sqlite3_extended_result_codes(s->kdb, 1);
	/* Its own connection must not checkpoint on its own either (it never writes). */
	sqlite3_wal_autocheckpoint(s->kdb, 0);
	/*
	 * A connection learns that the file is in WAL mode when it first reads it; until then
	 * its checkpoints do nothing at all.
	 */
	int64_t n;

	rc = lease_sql_int(s->kdb, "SELECT count(*) FROM sqlite_master", &n);
	if (rc != SQLITE_OK) {
		lease_sql_set_err(err, errlen, "lease database %s: cannot read: %s", s->path,
		                  sqlite3_errmsg(s->kdb));
		return lease_sql_errno(rc);
	}
	pthread_mutex_init(&s->ckpt_lock, NULL);
	pthread_cond_init(&s->ckpt_cond, NULL);
	s->ckpt_inited = true;
	sqlite3_wal_hook(s->wdb, lease_ckpt_hook, s);
	return 0;
}

static void *lease_ckpt_main(void *arg)
{
	struct lease_store *s = arg;
	int nlog, nckpt;

	pthread_mutex_lock(&s->ckpt_lock);
	for (;;) {
		while (!s->ckpt_wanted && !s->ckpt_stop)
			pthread_cond_wait(&s->ckpt_cond, &s->ckpt_lock);
		if (s->ckpt_stop)
			break;
		s->ckpt_wanted = false;
		pthread_mutex_unlock(&s->ckpt_lock);
		/*
		 * Busy (another checkpoint), or frames a reader still needs: they are copied by
		 * a later checkpoint. Only one that copied something is counted.
		 */
		if (sqlite3_wal_checkpoint_v2(s->kdb, NULL, SQLITE_CHECKPOINT_PASSIVE, &nlog,
		                              &nckpt) == SQLITE_OK &&
		    nckpt > 0)
			atomic_fetch_add_explicit(&s->checkpoints, 1, memory_order_relaxed);
		pthread_mutex_lock(&s->ckpt_lock);
	}
	pthread_mutex_unlock(&s->ckpt_lock);
	return NULL;
}

int lease_ckpt_start(struct lease_store *s)
{
	sigset_t all, old;
	int ret;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = -pthread_create(&s->ckpt_thread, NULL, lease_ckpt_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret != 0)
		return ret;
	pthread_setname_np(s->ckpt_thread, "lease-ckpt");
	s->ckpt_started = true;
	return 0;
}

void lease_ckpt_close(struct lease_store *s)
{
	if (s->ckpt_started) {
		pthread_mutex_lock(&s->ckpt_lock);
		s->ckpt_stop = true;
		pthread_cond_signal(&s->ckpt_cond);
		pthread_mutex_unlock(&s->ckpt_lock);
		pthread_join(s->ckpt_thread, NULL);
		s->ckpt_started = false;
	}
	if (s->wdb != NULL)
		sqlite3_wal_hook(s->wdb, NULL, NULL);
	sqlite3_close(s->kdb);
	s->kdb = NULL;
	if (s->ckpt_inited) {
		pthread_cond_destroy(&s->ckpt_cond);
		pthread_mutex_destroy(&s->ckpt_lock);
		s->ckpt_inited = false;
	}
}
