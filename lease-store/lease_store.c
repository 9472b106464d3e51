/*
 * The lease store's API: opening and closing the database, naming tenants, and the
 * producers' side of the queues. The writer thread is in lease_writer.c, the startup load
 * in lease_load.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lease-store/lease_row.h"
#include "lease-store/lease_schema.h"
#include "lease-store/lease_sql.h"
#include "lease-store/lease_store_impl.h"

/* Tenant names come from configuration; this bounds what the database is asked to hold. */
#define LEASE_STORE_TENANT_NAME_MAX 255

static int lease_store_check_dir(const char *path, char *err, size_t errlen)
{
	char *copy = strdup(path);
	struct stat st;
	int ret = 0;

	if (copy == NULL)
		return -ENOMEM;
	const char *dir = dirname(copy);

	if (stat(dir, &st) != 0) {
		ret = -errno;
		if (ret == -ENOENT)
			lease_sql_set_err(err, errlen,
			                  "lease database %s: directory %s does not exist", path,
			                  dir);
		else
			lease_sql_set_err(err, errlen, "lease database %s: directory %s: %s", path,
			                  dir, strerror(-ret));
	} else if (!S_ISDIR(st.st_mode)) {
		ret = -ENOTDIR;
		lease_sql_set_err(err, errlen, "lease database %s: %s is not a directory", path,
		                  dir);
	} else if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		lease_sql_set_err(err, errlen, "lease database %s: not a regular file", path);
	}
	free(copy);
	return ret;
}

/*
 * Two daemons writing one database would each acknowledge leases the other does not know
 * about. SQLite's own locks only serialise transactions, so the store holds an exclusive
 * advisory lock on "<path>.lock" for its whole life. The lock file is never removed:
 * removing it would let a third process lock a new file while a second still waits on the
 * old one.
 */
static int lease_store_lock(struct lease_store *s, char *err, size_t errlen)
{
	size_t len = strlen(s->path);
	char *lock_path = malloc(len + sizeof(".lock"));
	int ret = 0;

	if (lock_path == NULL)
		return -ENOMEM;
	memcpy(lock_path, s->path, len);
	memcpy(lock_path + len, ".lock", sizeof(".lock"));
	s->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->lock_fd < 0) {
		ret = -errno;
		lease_sql_set_err(err, errlen, "lease database %s: cannot create lock file %s: %s",
		                  s->path, lock_path, strerror(-ret));
	} else if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		ret = -errno;
		if (ret == -EWOULDBLOCK) {
			ret = -EBUSY;
			lease_sql_set_err(
			    err, errlen,
			    "lease database %s: in use by another mtdhcpd (lock file %s"
			    " is held)",
			    s->path, lock_path);
		} else {
			lease_sql_set_err(err, errlen, "lease database %s: cannot lock %s: %s",
			                  s->path, lock_path, strerror(-ret));
		}
	}
	free(lock_path);
	return ret;
}

static int lease_store_connect(const char *path, int flags, int busy_ms, sqlite3 **db, char *err,
                               size_t errlen)
{
	int rc = sqlite3_open_v2(path, db, flags | SQLITE_OPEN_NOMUTEX, NULL);

	if (rc != SQLITE_OK) {
		lease_sql_set_err(err, errlen, "lease database %s: cannot open: %s", path,
		                  *db != NULL ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
		sqlite3_close(*db);
		*db = NULL;
		return lease_sql_errno(rc);
	}
	sqlite3_extended_result_codes(*db, 1);
	sqlite3_busy_timeout(*db, busy_ms);
	/*
	 * Keep the -wal and -shm files when the last connection closes. A read-only reader
	 * (mtdhcpctl run by an operator who may not write the directory) cannot create them,
	 * and without them it could not read a WAL database at all once the daemon stopped.
	 */
	int persist = 1;

	sqlite3_file_control(*db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	return 0;
}

/*
 * The writer's connection: a larger page cache, and foreign keys off because lease_apply
 * checks tenant ids itself (see lease_apply.c for why).
 */
static int lease_store_writer_tune(struct lease_store *s, char *err, size_t errlen)
{
	char sql[96];
	int rc;

	snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%d; PRAGMA foreign_keys = OFF",
	         LEASE_STORE_WRITER_CACHE_KIB);
	rc = lease_sql_exec(s->wdb, sql);
	if (rc != SQLITE_OK) {
		lease_sql_set_err(err, errlen, "lease database %s: setting connection options: %s",
		                  s->path, sqlite3_errmsg(s->wdb));
		return lease_sql_errno(rc);
	}
	return 0;
}

static void lease_store_free(struct lease_store *s)
{
	lease_ckpt_close(s);
	if (s->wdb != NULL)
		lease_writer_finalize(s);
	/* Closing the last connection checkpoints the WAL into the main file. */
	sqlite3_close(s->cdb);
	sqlite3_close(s->wdb);
	if (s->lock_fd >= 0)
		close(s->lock_fd); /* releases the flock */
	if (s->cqs != NULL) {
		for (uint16_t i = 0; i < s->n_owners; i++)
			lease_cq_fini(&s->cqs[i]);
	}
	free(s->cqs);
	lease_sq_fini(&s->sq);
	free(s->batch);
	free(s->batch_status);
	free(s->tenants_known);
	free(s->path);
	free(s);
}

static int lease_store_alloc_queues(struct lease_store *s, size_t capacity)
{
	int ret = lease_sq_init(&s->sq, capacity);

	if (ret != 0)
		return ret;
	s->cqs = aligned_alloc(LEASE_QUEUE_CACHE_LINE, sizeof(*s->cqs) * s->n_owners);
	if (s->cqs == NULL)
		return -ENOMEM;
	memset(s->cqs, 0, sizeof(*s->cqs) * s->n_owners);
	/* As large as the submission queue: see lease_writer_complete. */
	for (uint16_t i = 0; i < s->n_owners; i++) {
		ret = lease_cq_init(&s->cqs[i], capacity);
		if (ret != 0)
			return ret;
	}
	s->batch = calloc(s->batch_max, sizeof(*s->batch));
	s->batch_status = calloc(s->batch_max, sizeof(*s->batch_status));
	if (s->batch == NULL || s->batch_status == NULL)
		return -ENOMEM;
	return 0;
}

struct lease_store *lease_store_open(const struct lease_store_params *params, char *err,
                                     size_t errlen)
{
	struct lease_store *s;
	size_t capacity;
	int ret;

	if (params == NULL || params->path == NULL || params->path[0] == '\0' ||
	    params->batch_max == 0 || params->n_owners == 0 || params->queue_size == 0) {
		lease_sql_set_err(
		    err, errlen,
		    "lease store: path, batch_max, queue_size and n_owners must be set");
		errno = EINVAL;
		return NULL;
	}
	capacity = lease_queue_capacity(params->queue_size);
	if (capacity == 0) {
		lease_sql_set_err(err, errlen, "lease store: queue_size %u is larger than %zu",
		                  params->queue_size, (size_t)LEASE_QUEUE_MAX);
		errno = EINVAL;
		return NULL;
	}
	/* The struct has cache-line aligned members, so its storage must be aligned too. */
	size_t size =
	    (sizeof(*s) + LEASE_QUEUE_CACHE_LINE - 1) & ~(size_t)(LEASE_QUEUE_CACHE_LINE - 1);

	s = aligned_alloc(LEASE_QUEUE_CACHE_LINE, size);
	if (s == NULL) {
		lease_sql_set_err(err, errlen, "lease store: out of memory");
		return NULL;
	}
	memset(s, 0, sizeof(*s));
	s->lock_fd = -1;
	s->n_owners = params->n_owners;
	s->batch_max = params->batch_max;
	s->batch_usec = params->batch_usec;
	s->retention_s =
	    (int64_t)(params->events_retention_days != 0 ? params->events_retention_days
	                                                 : LEASE_STORE_EVENTS_RETENTION_DAYS) *
	    86400;
	s->maint_interval_ns =
	    (int64_t)(params->maint_interval_ms != 0 ? params->maint_interval_ms
	                                             : LEASE_STORE_MAINT_INTERVAL_MS) *
	    1000000;
	s->path = strdup(params->path);
	atomic_init(&s->wake_word, 0);
	atomic_init(&s->writer_waiting, false);
	atomic_init(&s->wake_pos, 0);
	atomic_init(&s->stopping, false);
	if (s->path == NULL) {
		ret = -ENOMEM;
		goto fail_nomem;
	}

	ret = lease_store_check_dir(s->path, err, errlen);
	if (ret == 0)
		ret = lease_store_lock(s, err, errlen);
	if (ret == 0)
		ret = lease_store_connect(s->path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
		                          LEASE_STORE_WRITER_BUSY_MS, &s->wdb, err, errlen);
	if (ret == 0)
		ret = lease_schema_prepare(s->wdb, s->path, params->synchronous_full, err, errlen);
	if (ret == 0)
		ret = lease_store_writer_tune(s, err, errlen);
	if (ret == 0)
		ret = lease_store_connect(s->path, SQLITE_OPEN_READWRITE,
		                          LEASE_STORE_CONTROL_BUSY_MS, &s->cdb, err, errlen);
	if (ret == 0)
		ret =
		    lease_schema_configure(s->cdb, s->path, params->synchronous_full, err, errlen);
	if (ret == 0)
		ret = lease_writer_prepare(s, err, errlen);
	if (ret == 0)
		ret = lease_ckpt_open(s, err, errlen);
	if (ret != 0)
		goto fail;
	ret = lease_store_alloc_queues(s, capacity);
	if (ret == 0)
		return s;
fail_nomem:
	lease_sql_set_err(err, errlen, "lease store: out of memory");
fail:
	lease_store_free(s);
	errno = -ret;
	return NULL;
}

int lease_store_tenant_id(struct lease_store *s, const char *name, uint32_t *id)
{
	sqlite3_stmt *ins = NULL, *sel = NULL;
	size_t len;
	int rc, ret = 0;

	if (s == NULL || name == NULL || id == NULL)
		return -EINVAL;
	len = strnlen(name, LEASE_STORE_TENANT_NAME_MAX + 1);
	if (len == 0 || len > LEASE_STORE_TENANT_NAME_MAX)
		return -EINVAL;

	/*
	 * One short transaction on the control connection. The writer may hold the write lock
	 * for a batch meanwhile; the busy timeout waits that out.
	 */
	rc = lease_sql_exec(s->cdb, "BEGIN IMMEDIATE");
	if (rc != SQLITE_OK)
		return lease_sql_errno(rc);
	rc = sqlite3_prepare_v2(s->cdb,
	                        "INSERT INTO tenants (name, created) VALUES (?1, ?2)"
	                        " ON CONFLICT (name) DO UPDATE SET removed = NULL"
	                        " WHERE removed IS NOT NULL",
	                        -1, &ins, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(ins, 1, name, (int)len, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(ins, 2, (int64_t)time(NULL));
	if (rc == SQLITE_OK)
		rc = sqlite3_step(ins) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(s->cdb);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(s->cdb, "SELECT id FROM tenants WHERE name = ?1", -1, &sel,
		                        NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(sel, 1, name, (int)len, SQLITE_STATIC);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(sel);
		if (rc == SQLITE_ROW) {
			int64_t v = sqlite3_column_int64(sel, 0);

			/* Ids travel as uint32_t and 0 means "unassigned" elsewhere. */
			if (v <= 0 || v > UINT32_MAX)
				ret = -ERANGE;
			else
				*id = (uint32_t)v;
			rc = SQLITE_OK;
		} else {
			rc = rc == SQLITE_DONE ? SQLITE_INTERNAL : rc;
		}
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(sel);
	if (rc == SQLITE_OK && ret == 0)
		rc = lease_sql_exec(s->cdb, "COMMIT");
	if (rc != SQLITE_OK || ret != 0) {
		if (ret == 0)
			ret = lease_sql_errno(rc);
		if (!sqlite3_get_autocommit(s->cdb))
			lease_sql_exec(s->cdb, "ROLLBACK");
	}
	return ret;
}

static void *lease_store_writer_main(void *arg)
{
	lease_writer_run(arg);
	return NULL;
}

int lease_store_start(struct lease_store *s)
{
	sigset_t all, old;
	int ret;

	if (s == NULL || s->started)
		return -EINVAL;
	/* The checkpointer first: the writer's WAL hook relies on it once it runs. */
	ret = lease_ckpt_start(s);
	if (ret != 0)
		return ret;
	/* Signals are the main thread's business: the writer inherits a full mask. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = -pthread_create(&s->thread, NULL, lease_store_writer_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret != 0)
		return ret;
	pthread_setname_np(s->thread, "lease-writer");
	s->started = true;
	return 0;
}

static bool lease_store_op_valid(const struct lease_change *c)
{
	switch (c->op) {
	case LEASE_OP_BIND:
	case LEASE_OP_RENEW:
		return lease_row_valid(&c->rec);
	case LEASE_OP_RELEASE:
	case LEASE_OP_DECLINE:
	case LEASE_OP_EXPIRE:
		return c->rec.tenant_id != 0;
	}
	return false;
}

int lease_store_submit(struct lease_store *s, const struct lease_change *change)
{
	if (change->owner >= s->n_owners || !lease_store_op_valid(change))
		return -EINVAL;
	if (atomic_load_explicit(&s->stopping, memory_order_relaxed))
		return -ESHUTDOWN;

	struct lease_cq *cq = &s->cqs[change->owner];

	/* Reserve the completion's place first, so the writer never waits for the ring. */
	if (!lease_cq_take_credit(cq)) {
		atomic_fetch_add_explicit(&s->rejected_full, 1, memory_order_relaxed);
		return -EAGAIN;
	}
	size_t pos;

	if (!lease_sq_push(&s->sq, change, &pos)) {
		lease_cq_give_credits(cq, 1);
		atomic_fetch_add_explicit(&s->rejected_full, 1, memory_order_relaxed);
		return -EAGAIN;
	}
	lease_writer_notify(s, pos);
	return 0;
}

size_t lease_store_poll(struct lease_store *s, uint16_t owner, struct lease_completion *out,
                        size_t max)
{
	if (owner >= s->n_owners || max == 0)
		return 0;

	size_t n = lease_cq_pop(&s->cqs[owner], out, max);

	if (n > 0)
		lease_cq_give_credits(&s->cqs[owner], n);
	return n;
}

void lease_store_get_stats(const struct lease_store *s, struct lease_store_stats *out)
{
	out->submitted = lease_sq_accepted(&s->sq);
	out->rejected_full = atomic_load_explicit(&s->rejected_full, memory_order_relaxed);
	out->committed = atomic_load_explicit(&s->committed, memory_order_relaxed);
	out->failed = atomic_load_explicit(&s->failed, memory_order_relaxed);
	out->transactions = atomic_load_explicit(&s->transactions, memory_order_relaxed);
	out->events = atomic_load_explicit(&s->events, memory_order_relaxed);
	out->expired = atomic_load_explicit(&s->expired, memory_order_relaxed);
	out->pruned = atomic_load_explicit(&s->pruned, memory_order_relaxed);
	out->maint_runs = atomic_load_explicit(&s->maint_runs, memory_order_relaxed);
	out->maint_failed = atomic_load_explicit(&s->maint_failed, memory_order_relaxed);
	out->checkpoints = atomic_load_explicit(&s->checkpoints, memory_order_relaxed);
}

void lease_store_close(struct lease_store *s)
{
	if (s == NULL)
		return;
	atomic_store(&s->stopping, true);
	if (s->started) {
		lease_writer_kick(s);
		pthread_join(s->thread, NULL);
	} else {
		/* Never started: commit what was queued on this thread, as the writer would. */
		lease_writer_run(s);
	}
	lease_store_free(s);
}
