/*
 * Read-only access to the lease database for mtdhcpctl and tests: its own read-only
 * connection, so that it works whether the daemon runs or not (WAL lets readers and the
 * writer proceed together).
 */
#ifndef MTDHCP_LEASE_STORE_LEASE_READ_H
#define MTDHCP_LEASE_STORE_LEASE_READ_H

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

void lease_reader_close(struct lease_reader *rd);

#endif
