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

#include "lease-store/lease_queue.h"
#include "lease-store/lease_store.h"

/*
 * How long the writer's connection waits for a lock held by someone else. Short, so that
 * a stuck foreign writer costs one batch a few tens of milliseconds, not the service: the
 * batch fails, its requests are not acknowledged and the next batch tries again.
 */
#define LEASE_STORE_WRITER_BUSY_MS 50
/* The control thread may wait longer: it only names tenants and loads leases. */
#define LEASE_STORE_CONTROL_BUSY_MS 2000

struct lease_writer_stmts {
	sqlite3_stmt *begin;
	sqlite3_stmt *commit;
	sqlite3_stmt *rollback;
	sqlite3_stmt *upsert;
	sqlite3_stmt *set_state;
};

struct lease_store {
	/* Fields the producers touch on every submission come first. */
	struct lease_sq sq;
	struct lease_cq *cqs; /* n_owners of them */
	uint16_t n_owners;

	/*
	 * Waking the writer (an event count): the writer announces it is about to sleep in
	 * writer_waiting, then sleeps on wake_word with futex as long as the word is unchanged;
	 * a producer that sees writer_waiting bumps the word and wakes it.
	 */
	alignas(LEASE_QUEUE_CACHE_LINE) _Atomic uint32_t wake_word;
	atomic_bool writer_waiting;
	atomic_bool stopping;

	alignas(LEASE_QUEUE_CACHE_LINE) atomic_uint_least64_t rejected_full;
	/* Written by the writer only. */
	alignas(LEASE_QUEUE_CACHE_LINE) atomic_uint_least64_t committed;
	atomic_uint_least64_t failed;
	atomic_uint_least64_t transactions;

	/* Configuration and resources, set at open. */
	char *path;
	uint32_t batch_max;
	uint32_t batch_usec;
	int lock_fd;  /* holds the exclusive flock on "<path>.lock" */
	sqlite3 *wdb; /* the writer's connection (the opener's until the writer starts) */
	sqlite3 *cdb; /* the control thread's connection: tenant ids, startup load */
	struct lease_writer_stmts ws;
	pthread_t thread;
	bool started;

	/* The writer's own state. */
	struct lease_change *batch; /* batch_max changes */
	int *batch_status;          /* one per change of the batch */
	int64_t log_last_sec;       /* rate limit of failure log lines */
	uint64_t log_suppressed;
	uint64_t failing_since; /* changes failed since the last success; 0 = healthy */
};

/* Prepares the writer's statements on store->wdb. 0 or -errno with a message in @err. */
int lease_writer_prepare(struct lease_store *store, char *err, size_t errlen);

/* Finalizes what lease_writer_prepare prepared. */
void lease_writer_finalize(struct lease_store *store);

/*
 * The writer's loop: commits batches until store->stopping is set and the queue is empty.
 * Runs on the writer thread, or on the closing thread when the writer was never started.
 */
void lease_writer_run(struct lease_store *store);

/* Wakes the writer if it sleeps. Any thread, after it has queued a change. */
void lease_writer_notify(struct lease_store *store);

/* Wakes the writer whatever it is doing (for stopping). Any thread. */
void lease_writer_kick(struct lease_store *store);

#endif
