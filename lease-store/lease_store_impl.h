/*
 * Private to lease-store: the store's state, shared by lease_store.c (the API the control
 * thread and the producers call) and lease_writer.c (the writer thread).
 */
#ifndef MTDHCP_LEASE_STORE_LEASE_STORE_IMPL_H
#define MTDHCP_LEASE_STORE_LEASE_STORE_IMPL_H

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "common/log.h"
#include "lease-store/lease_queue.h"
#include "lease-store/lease_store.h"

/*
 * How long the writer's connection waits for a lock held by someone else. Long enough to
 * outlast the control thread's own short transactions (tenant ids, startup flags) even
 * when a loaded disk makes their sync slow; short enough that a stuck foreign writer costs
 * one batch a fraction of a second, not the service: the batch fails, its requests are
 * not acknowledged, and the next batch tries again. Clients retransmit after seconds.
 */
#define LEASE_STORE_WRITER_BUSY_MS 250
/* The control thread may wait longer: it only names tenants and loads leases. */
#define LEASE_STORE_CONTROL_BUSY_MS 2000
/*
 * The writer's page cache, in KiB (SQLite's default is 2 MiB). Hardware addresses and
 * client ids arrive in no order, so every binding inserts into index pages all over their
 * b-trees; a cache that holds them saves a read per index and change at high rates.
 * Pages are allocated only as the database grows.
 */
#define LEASE_STORE_WRITER_CACHE_KIB 65536

/*
 * A maintenance chunk: at most this many expiries and event deletions. Small enough that a
 * chunk adds about a millisecond to the batch it rides in (lease_maint.c).
 */
#define LEASE_MAINT_CHUNK_EXPIRE 16
#define LEASE_MAINT_CHUNK_PRUNE  64
/*
 * While changes keep coming, the next chunk of a backlog rides in a batch no sooner than
 * this: most batches carry no maintenance, and a backlog still drains at thousands of
 * leases a second.
 */
#define LEASE_MAINT_BUSY_GAP_MS 10
/* A maintenance transaction of its own goes on this long even when changes are waiting. */
#define LEASE_MAINT_TXN_BUDGET_US 2000

/* A pruned event that started a binding: where the binding's next event is looked for. */
struct lease_maint_start {
	uint32_t tenant_id;
	uint32_t address;
	int64_t time;
	int64_t id;
};

/* A lease the maintenance is about to end. */
struct lease_maint_key {
	uint32_t tenant_id;
	uint32_t address;
	int64_t end_time;
};

struct lease_writer_stmts {
	sqlite3_stmt *begin;
	sqlite3_stmt *commit;
	sqlite3_stmt *rollback;
	sqlite3_stmt *upsert;       /* lease_apply.c: the row of a BIND or RENEW */
	sqlite3_stmt *renew;        /* a RENEW of the client the row names: times only */
	sqlite3_stmt *row_get;      /* the row a RELEASE, DECLINE or EXPIRE ends */
	sqlite3_stmt *set_state;    /* its new state */
	sqlite3_stmt *event;        /* the event of a change */
	sqlite3_stmt *tenant_get;   /* whether a tenant id exists */
	sqlite3_stmt *expire_pick;  /* lease_maint.c: leases whose time has run out */
	sqlite3_stmt *prune;        /* events past their retention */
	sqlite3_stmt *prune_starts; /* those of them that start a binding */
	sqlite3_stmt *promote;      /* the next event of such a binding becomes its start */
	sqlite3_stmt *pruned_mark;  /* how far the history is incomplete */
	sqlite3_stmt *savepoint;    /* around a chunk that rides in a batch */
	sqlite3_stmt *release;
	sqlite3_stmt *rollback_to;
};

struct lease_store {
	/* Fields the producers touch on every submission come first. */
	struct lease_sq sq;
	struct lease_cq *cqs; /* n_owners of them */
	uint16_t n_owners;

	/*
	 * Waking the writer (an event count): the writer announces in wake_pos the queue
	 * position whose change it waits for and in writer_waiting that it is about to sleep,
	 * then sleeps on wake_word with futex as long as the word is unchanged; a producer
	 * that sees writer_waiting and has queued at or beyond wake_pos bumps the word and
	 * wakes it. An idle writer waits for the next change; one filling a batch waits for
	 * the change that completes it (or its batch_usec to pass), so that filling a batch
	 * costs one wake-up, not one per change.
	 */
	alignas(LEASE_QUEUE_CACHE_LINE) _Atomic uint32_t wake_word;
	atomic_bool writer_waiting;
	atomic_size_t wake_pos;
	atomic_bool stopping;

	alignas(LEASE_QUEUE_CACHE_LINE) atomic_uint_least64_t rejected_full;
	/* Written by the writer only. */
	alignas(LEASE_QUEUE_CACHE_LINE) atomic_uint_least64_t committed;
	atomic_uint_least64_t failed;
	atomic_uint_least64_t transactions;
	atomic_uint_least64_t events;
	atomic_uint_least64_t expired;
	atomic_uint_least64_t pruned;
	atomic_uint_least64_t maint_runs;
	atomic_uint_least64_t maint_failed;
	atomic_uint_least64_t checkpoints;

	/* Configuration and resources, set at open. */
	char *path;
	uint32_t batch_max;
	uint32_t batch_usec;
	int64_t retention_s; /* events_retention_days in seconds */
	int64_t maint_interval_ns;
	int lock_fd;  /* holds the exclusive flock on "<path>.lock" */
	sqlite3 *wdb; /* the writer's connection (the opener's until the writer starts) */
	sqlite3 *cdb; /* the control thread's connection: tenant ids, startup load */
	struct lease_writer_stmts ws;
	pthread_t thread;
	bool started;

	/* The checkpointer (lease_ckpt.c): its connection, thread and wake-up. */
	sqlite3 *kdb;
	pthread_t ckpt_thread;
	pthread_mutex_t ckpt_lock;
	pthread_cond_t ckpt_cond;
	bool ckpt_wanted;  /* under ckpt_lock */
	bool ckpt_stop;    /* under ckpt_lock */
	bool ckpt_started; /* set before the writer starts, cleared after it stopped */
	bool ckpt_inited;

	/* The writer's own state. */
	struct lease_change *batch;    /* batch_max changes */
	int *batch_status;             /* one per change of the batch */
	uint64_t batch_events;         /* events the batch being committed recorded */
	struct lease_record apply_rec; /* lease_apply.c: the row a change ends */
	uint64_t *tenants_known;       /* lease_apply.c: bitmap of tenant ids seen to exist */
	struct log_ratelimit fail_log;
	uint64_t failing_since; /* changes failed since the last success; 0 = healthy */
	int64_t maint_next_ns;  /* CLOCK_MONOTONIC time of the next maintenance */
	struct log_ratelimit maint_log;
	bool maint_failing;
	bool maint_in_txn;           /* the open transaction carries maintenance */
	bool maint_more;             /* its last chunk found as much as it may take */
	uint64_t maint_pend_expired; /* what the open transaction's maintenance did */
	uint64_t maint_pend_pruned;
	struct lease_maint_key maint_keys[LEASE_MAINT_CHUNK_EXPIRE];
	struct lease_maint_start maint_starts[LEASE_MAINT_CHUNK_PRUNE];
};

/*
 * Opens the checkpointer's connection and takes the writer's checkpoints over (its WAL
 * hook). Control thread, at open, once store->wdb is ready. 0 or -errno.
 */
int lease_ckpt_open(struct lease_store *store, char *err, size_t errlen);

/* Starts the checkpointer thread; before the writer starts. 0 or -errno. */
int lease_ckpt_start(struct lease_store *store);

/* Stops the thread (once the writer has stopped) and closes its connection. */
void lease_ckpt_close(struct lease_store *store);

/* Prepares the writer's statements on store->wdb. 0 or -errno with a message in @err. */
int lease_writer_prepare(struct lease_store *store, char *err, size_t errlen);

/* Finalizes what lease_writer_prepare prepared. */
void lease_writer_finalize(struct lease_store *store);

/*
 * The writer's loop: commits batches until store->stopping is set and the queue is empty.
 * Runs on the writer thread, or on the closing thread when the writer was never started.
 */
void lease_writer_run(struct lease_store *store);

/*
 * Wakes the writer if it sleeps waiting for the change at @pos or an earlier one. Any
 * thread, after it has queued the change at position @pos.
 */
void lease_writer_notify(struct lease_store *store, size_t pos);

/* Wakes the writer whatever it is doing (for stopping). Any thread. */
void lease_writer_kick(struct lease_store *store);

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t lease_writer_now_ns(void);

/*
 * The -errno a failed transaction reports to the owners: -EBUSY, -ENOSPC, -EROFS, or -EIO
 * for anything else; and the operator's words for it.
 */
int lease_writer_status(int rc);
const char *lease_writer_status_text(int status);

/*
 * Tenant ids below this are remembered once found (8 KiB of bits); larger ones are looked
 * up for every change.
 */
#define LEASE_APPLY_TENANT_CACHE 65536

/* Prepares the statements of lease_apply on store->wdb (lease_apply.c). 0 or -errno. */
int lease_apply_prepare(struct lease_store *store, char *err, size_t errlen);

/*
 * Applies one change, and records its event, inside the writer's open transaction.
 * Returns an SQLite result code: SQLITE_CONSTRAINT or SQLITE_RANGE when this change alone
 * is wrong (an unknown tenant id, a value out of range), anything else but SQLITE_OK
 * when the transaction failed. Writer thread.
 */
int lease_apply(struct lease_store *store, const struct lease_change *change);

/*
 * Ends the active lease (@tenant_id, @address) whose time ran out at @end_time, with its
 * EXPIRE event dated then, inside the open transaction. As lease_apply. Writer thread.
 */
int lease_apply_expire(struct lease_store *store, uint32_t tenant_id, uint32_t address,
                       int64_t end_time);

/* Prepares the maintenance statements on store->wdb (lease_maint.c). 0 or -errno. */
int lease_maint_prepare(struct lease_store *store, char *err, size_t errlen);

/*
 * Nanoseconds until the next maintenance is due: 0 when it is due now, -1 when it never
 * is (the store is stopping). Writer thread.
 */
int64_t lease_maint_wait_ns(struct lease_store *store);

/*
 * Inside the open transaction of a batch, just before its COMMIT: when maintenance is
 * due, one chunk under a savepoint (a chunk that fails is undone alone). Returns
 * SQLITE_OK, or an SQLite error when SQLite rolled the whole transaction back (the batch
 * then fails). Writer thread.
 */
int lease_maint_in_batch(struct lease_store *store);

/* After the batch's transaction committed (@committed) or not. Writer thread. */
void lease_maint_batch_done(struct lease_store *store, bool committed);

/*
 * When due, with no change waiting: maintenance in a transaction of its own, chunk after
 * chunk, up to LEASE_STORE_EXPIRE_MAX expiries and LEASE_STORE_PRUNE_MAX deletions or until
 * a change is waiting. Writer thread.
 */
void lease_maint_run(struct lease_store *store);

#endif
