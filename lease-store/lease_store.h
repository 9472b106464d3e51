/*
 * The lease store: the one SQLite database of every tenant's leases, keyed by
 * (tenant_id, address), and the single writer thread that changes it.
 *
 * Producers (dataplane lcores, through the DHCP engine) submit lease changes into a
 * bounded multi-producer queue; the writer thread takes whatever has arrived, up to
 * batch_max changes or batch_usec microseconds, commits them in one transaction (group
 * commit, WAL, synchronous=FULL in commit-before-ack mode) and then posts one completion
 * per change to the completion queue of the owner that submitted it. A DHCPACK is sent
 * only when its completion reports success (RFC 2131 section 3.1, step 4).
 *
 * Each change also appends an event to the lease history (lease_events) in the same
 * transaction. Between batches the writer ends active leases whose time has run out and
 * prunes events older than the retention, in small transactions (see
 * lease_store_params.maint_interval_ms). The history is read through lease_read.h.
 *
 * Ownership: the store owns its connections and queues. Records passed in are copied.
 */
#ifndef MTDHCP_LEASE_STORE_LEASE_STORE_H
#define MTDHCP_LEASE_STORE_LEASE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lease.h"

/*
 * Every change that alters a row also appends an event (the row as it now stands, the
 * kind, the time: the record's cltt) to the lease_events table in the same transaction.
 * RELEASE and EXPIRE change only an active row, DECLINE any row; a change that finds no
 * such row changes nothing, records no event and still completes with 0.
 */
enum lease_op {
	LEASE_OP_BIND = LEASE_EVENT_BIND,       /* insert or replace the row: a new binding */
	LEASE_OP_RENEW = LEASE_EVENT_RENEW,     /* extend a binding (same row, new times) */
	LEASE_OP_RELEASE = LEASE_EVENT_RELEASE, /* state released (RFC 2131 4.4.6) */
	LEASE_OP_DECLINE = LEASE_EVENT_DECLINE, /* state declined: in use elsewhere (4.3.3) */
	LEASE_OP_EXPIRE = LEASE_EVENT_EXPIRE,   /* state expired */
};

struct lease_change {
	enum lease_op op;
	uint16_t owner;  /* completion queue to answer on (an lcore index) */
	uint32_t cookie; /* returned unchanged in the completion */
	struct lease_record rec;
};

struct lease_completion {
	uint32_t cookie;
	/*
	 * 0 = committed; -errno when the transaction failed (-EBUSY: locked by another
	 * writer, -ENOSPC: disk full, -EROFS, -EIO: anything else), or -EINVAL when the
	 * database refused this change alone (a tenant_id it does not know).
	 */
	int status;
};

/* Used for the parameters below that are left 0. */
#define LEASE_STORE_EVENTS_RETENTION_DAYS 30
#define LEASE_STORE_MAINT_INTERVAL_MS     1000

struct lease_store_params {
	const char *path;
	bool synchronous_full; /* false: synchronous=NORMAL (the "async" durability) */
	uint32_t batch_max;
	uint32_t batch_usec;
	uint32_t queue_size; /* rounded up to a power of two */
	uint16_t n_owners;   /* number of completion queues (dataplane lcores) */
	/*
	 * Lease events older than this many days are pruned, except those of a binding
	 * that had not yet ended then (lease_db.events_retention).
	 */
	uint32_t events_retention_days;
	/*
	 * How often the writer looks for active leases whose end time has passed (they ran
	 * out while the daemon was down, or their EXPIRE change was lost) and for events to
	 * prune. The work is done in small chunks that ride in batches of changes, or in
	 * transactions of their own (at most LEASE_STORE_EXPIRE_MAX expiries and
	 * LEASE_STORE_PRUNE_MAX deletions) when nothing is queued, so it never holds
	 * commits up for long; while more remain, the next chunk follows soon.
	 */
	uint32_t maint_interval_ms;
};

#define LEASE_STORE_EXPIRE_MAX 256
#define LEASE_STORE_PRUNE_MAX  1024

struct lease_store_stats {
	uint64_t submitted;
	uint64_t rejected_full;
	uint64_t committed;    /* changes in committed transactions */
	uint64_t failed;       /* changes in failed transactions */
	uint64_t transactions; /* committed transactions of changes */
	uint64_t events;       /* events recorded with the committed changes and expiries */
	uint64_t expired;      /* active leases the writer's own sweep found ended */
	uint64_t pruned;       /* events deleted after their retention */
	uint64_t maint_runs;   /* committed transactions that carried maintenance */
	uint64_t maint_failed; /* maintenance chunks or transactions that failed (retried) */
	uint64_t checkpoints;  /* WAL checkpoints done by the checkpointer thread */
};

struct lease_store;

/*
 * Opens (creating if needed) the database at params->path, checks or migrates its schema
 * and prepares the queues. The writer thread is not started yet. Returns NULL with errno
 * and a message in @err on failure (missing directory, damaged file, locked, read-only).
 * Control thread.
 */
struct lease_store *lease_store_open(const struct lease_store_params *params, char *err,
				     size_t errlen);

/*
 * The stable id of tenant @name, created on first use. Control thread, before
 * lease_store_start or while the writer runs (it uses its own connection). 0 or -errno.
 */
int lease_store_tenant_id(struct lease_store *store, const char *name, uint32_t *id);

/* What a lease_store_load_active callback returns for a lease it cannot place. */
#define LEASE_LOAD_OUTSIDE 1

/*
 * Calls @fn for every active lease of tenant @tenant_id whose end_time is after @now.
 * @fn returns 0 when it took the lease, LEASE_LOAD_OUTSIDE when the lease's address is in
 * none of the tenant's pools (the lease is kept until it expires, and its row is flagged
 * outside_pools so that operators see it), or anything else to stop. Afterwards the flags
 * of the tenant's rows are made to match, in one transaction: set on the leases @fn
 * called outside, cleared on every other row. Control thread, at startup, before
 * lease_store_start or while the writer runs. Returns 0, the first other value @fn
 * returned (nothing is flagged then), or -errno.
 */
int lease_store_load_active(struct lease_store *store, uint32_t tenant_id, int64_t now,
			    int (*fn)(void *ctx, const struct lease_record *rec), void *ctx);

/*
 * Calls @fn for every declined address of tenant @tenant_id whose quarantine (the row's
 * end_time, RFC 2131 4.3.3) runs past @now, in address order, so that a restart keeps it
 * out of service. @fn returns 0 to go on, anything else to stop. Control thread, as
 * lease_store_load_active. Returns 0, the value that stopped @fn, or -errno.
 */
int lease_store_load_declined(struct lease_store *store, uint32_t tenant_id, int64_t now,
			      int (*fn)(void *ctx, const struct lease_record *rec), void *ctx);

/* Starts the writer thread. 0 or -errno. */
int lease_store_start(struct lease_store *store);

/*
 * Queues @change for the writer. Any producer thread; never blocks. 0, or -EAGAIN when the
 * queue is full, or when @change->owner already has as many changes in flight (submitted,
 * completion not yet polled) as its completion queue holds: the caller must then drop the
 * request (never ACK without the row). -EINVAL for an owner out of range, an unknown op,
 * tenant_id 0, or (BIND/RENEW) a state outside enum lease_state or hwlen above
 * LEASE_HWADDR_MAX; -ESHUTDOWN once lease_store_close has begun.
 * BIND and RENEW store every field of the record; RELEASE, DECLINE and EXPIRE set the
 * state their op names and use only tenant_id, address, end_time and cltt.
 */
int lease_store_submit(struct lease_store *store, const struct lease_change *change);

/*
 * Takes up to @max completions for @owner. Only the thread that owns @owner may call it.
 * Returns the number taken.
 */
size_t lease_store_poll(struct lease_store *store, uint16_t owner, struct lease_completion *out,
			size_t max);

/* A consistent-enough copy of the counters (relaxed atomics). Any thread. */
void lease_store_get_stats(const struct lease_store *store, struct lease_store_stats *out);

/*
 * Stops the writer after it has committed everything queued, delivers the last
 * completions, then closes the database and frees the store. NULL is ignored.
 */
void lease_store_close(struct lease_store *store);

/*
 * --- Removed tenants (issue 4; lease_tenants.c) ---------------------------------------
 *
 * A tenant removed from the configuration keeps its leases in the database, its row
 * marked removed (tenants.removed = the time), until the retention passes; naming it
 * again (lease_store_tenant_id) clears the mark and its leases are served again.
 */

/*
 * Marks tenant @id removed at @when, unless it is marked already. Control thread, with
 * the writer running (its own short transaction). 0 or -errno.
 */
int lease_store_tenant_removed(struct lease_store *store, uint32_t id, int64_t when);

/*
 * Deletes the leases of tenants marked removed before @before, in transactions of at
 * most LEASE_STORE_PURGE_CHUNK rows (so that the writer's commits never wait long), at
 * most @max_rows in all. *@purged (when not NULL) receives the rows deleted. Control
 * thread. 0 or -errno.
 */
#define LEASE_STORE_PURGE_CHUNK 500
int lease_store_purge_removed(struct lease_store *store, int64_t before, size_t max_rows,
			      size_t *purged);

#endif
