/*
 * Read-only access to the lease database for mtdhcpctl and tests: the leases as they are,
 * and their history (who had which address when). Its own read-only connection, so that
 * it works whether the daemon runs or not (WAL lets readers and the writer proceed
 * together). Single thread per reader.
 */
#ifndef MTDHCP_LEASE_STORE_LEASE_READ_H
#define MTDHCP_LEASE_STORE_LEASE_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lease.h"

struct lease_reader;

struct lease_filter {
	const char *tenant; /* NULL = every tenant */
	int state;          /* 0 = every state, else an enum lease_state */
};

/* Opens @path read-only. NULL with errno and a message in @err. */
struct lease_reader *lease_reader_open(const char *path, char *err, size_t errlen);

/*
 * Calls @fn for each lease matching @filter, ordered by tenant name then address;
 * @tenant_name is the tenant's name. Returns 0, the first non-zero value of @fn, or
 * -errno (-ENOENT when filter->tenant names no tenant in the database).
 */
int lease_reader_foreach(struct lease_reader *rd, const struct lease_filter *filter,
			 int (*fn)(void *ctx, const char *tenant_name, const struct lease_record *rec),
			 void *ctx);

/* One entry of a lease's history (the lease_events table). */
struct lease_event {
	int64_t time; /* Unix seconds: the client's transaction, or the lease's end for expiry */
	enum lease_event_kind kind;
	struct lease_record rec; /* the lease as the event left it (outside_pools unset) */
};

/* Which history lease_reader_history reads. */
struct lease_history_query {
	const char *tenant; /* required */
	bool by_hwaddr;     /* false: by address */
	uint32_t address;   /* host order */
	uint8_t hwlen;      /* 1 .. LEASE_HWADDR_MAX */
	uint8_t hwaddr[LEASE_HWADDR_MAX];
	/*
	 * With at_set, only the bindings in force at time @at: the binding of the address
	 * then (none if nobody held it), or every address the hardware address held then.
	 * A binding is in force when it started at or before @at, ends after @at, and no
	 * later event of its address at or before @at ended or replaced it.
	 */
	bool at_set;
	int64_t at;
};

/*
 * Calls @fn for each event that @q selects, oldest first. Returns 0, the first non-zero
 * value of @fn, or -errno (-ENOENT when q->tenant names no tenant in the database,
 * -EINVAL for a query without a tenant or with a bad hwlen, -EBADMSG for a damaged row).
 */
int lease_reader_history(struct lease_reader *rd, const struct lease_history_query *q,
			 int (*fn)(void *ctx, const struct lease_event *ev), void *ctx);

/*
 * The time before which events may have been pruned (lease_db.events_retention): a
 * history question about an earlier time may get an incomplete answer. 0 when nothing was
 * ever pruned. 0 or -errno.
 */
int lease_reader_history_cutoff(struct lease_reader *rd, int64_t *cutoff);

/* --- Filtered listings, one lease, counts (lease_query.c) ---------------------------- */

/* What a listing is ordered by; ties are broken by tenant name then address. */
enum lease_sort {
	LEASE_SORT_TENANT = 0, /* tenant name, then address: the default */
	LEASE_SORT_ADDRESS,
	LEASE_SORT_EXPIRES, /* end_time */
	LEASE_SORT_START,
	LEASE_SORT_CLTT,
	LEASE_SORT_HWADDR,
	LEASE_SORT_HOSTNAME,
	LEASE_SORT_STATE,
};

/* The sort called @name ("tenant", "address" or "ip", "expires", "start", "cltt", "hwaddr"
 * or "mac", "hostname", "state"), or -1. Any thread. */
int lease_sort_from_name(const char *name);
const char *lease_sort_name(enum lease_sort sort);

/* Which leases lease_reader_query lists; zero fields select everything. */
struct lease_query {
	const char *tenant;     /* NULL = every tenant */
	uint32_t address;       /* host order; with address_mask, the prefix address/mask */
	uint32_t address_mask;  /* 0 = any address, 0xffffffff = exactly @address */
	const uint8_t *hwaddr;  /* with hwlen 1 .. LEASE_HWADDR_MAX */
	uint8_t hwlen;          /* 0 = any */
	const uint8_t *client_id;
	uint8_t client_id_len;  /* 0 = any */
	const char *hostname;   /* NULL = any; a case-insensitive glob (*, ?, [...]) */
	int state;              /* 0 = any, else an enum lease_state */
	int64_t expires_before; /* 0 = any; else active leases ending in (now, expires_before] */
	int64_t now;            /* for expires_before */
	enum lease_sort sort;
	bool descending;        /* the sort key only; ties stay ascending */
	uint64_t limit;         /* 0 = no limit */
	uint64_t offset;        /* rows skipped first (paging) */
};

/*
 * Calls @fn for each lease @q selects, in its order, from one read transaction. Returns 0,
 * the first non-zero value of @fn, or -errno (-ENOENT when q->tenant names no tenant in the
 * database, -EINVAL for a bad query, -EBADMSG for a damaged row).
 */
int lease_reader_query(struct lease_reader *rd, const struct lease_query *q,
		       int (*fn)(void *ctx, const char *tenant_name, const struct lease_record *rec),
		       void *ctx);

/*
 * The lease of tenant @tenant on @address (host order), in any state, into @out. 0,
 * -ENOENT for a tenant the database does not know, -ENODATA when there is no such row, or
 * another -errno.
 */
int lease_reader_get(struct lease_reader *rd, const char *tenant, uint32_t address,
		     struct lease_record *out);

/*
 * Counts the active leases of tenant @tenant that end after @now with an address in
 * [@first, @last] (host order; 0 .. UINT32_MAX for all). 0, -ENOENT for an unknown tenant,
 * or another -errno.
 */
int lease_reader_count_active(struct lease_reader *rd, const char *tenant, int64_t now,
			      uint32_t first, uint32_t last, uint64_t *count);

void lease_reader_close(struct lease_reader *rd);

#endif
