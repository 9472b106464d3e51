/*
 * Helpers shared by the lease-store unit tests: scratch directories, records, a second
 * SQLite connection to look at what the store wrote, and polling with a deadline.
 */
#ifndef MTDHCP_TESTS_LEASE_TEST_UTIL_H
#define MTDHCP_TESTS_LEASE_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "lease-store/lease_store.h"

#define LEASE_TEST_PATH_MAX 256

/* A scratch directory under /tmp with "leases.db" in it (not created). */
struct lease_test_dir {
	char dir[LEASE_TEST_PATH_MAX];
	char db[LEASE_TEST_PATH_MAX + 16];
};

void lease_test_dir_make(struct lease_test_dir *d);
void lease_test_dir_remove(struct lease_test_dir *d);

/* Parameters for a test store on @path: commit-before-ack, small batches. */
struct lease_store_params lease_test_params(const char *path);

/* Opens a store on @path with @params, failing the test (with the message) if it fails. */
struct lease_store *lease_test_open(const struct lease_store_params *params);

/* An active lease of @tenant_id for @address (host order) ending at @end_time. */
void lease_test_record(struct lease_record *rec, uint32_t tenant_id, uint32_t address,
                       int64_t end_time);

/* A separate read-write connection to @path (as another process would have). */
sqlite3 *lease_test_sql_open(const char *path);

/* The first column of the first row of @sql; fails the test on error or no row. */
int64_t lease_test_sql_int(sqlite3 *db, const char *sql);

/*
 * Polls @owner until @want completions have arrived or @timeout_ms passed. Returns the
 * number collected into @out (at most @want).
 */
size_t lease_test_poll(struct lease_store *store, uint16_t owner, struct lease_completion *out,
                       size_t want, int timeout_ms);

/* Sleeps @ms milliseconds. */
void lease_test_sleep_ms(int ms);

/*
 * Submits @n changes (cookies 0 .. n-1) from owner 0 of a started store and waits for
 * their completions; fails the test unless every one committed.
 */
void lease_test_commit(struct lease_store *store, struct lease_change *changes, size_t n);

/* A change of @op for the record of lease_test_record(@tenant_id, @address, @end_time). */
struct lease_change lease_test_change(enum lease_op op, uint32_t tenant_id, uint32_t address,
                                      int64_t end_time);

/* Runs constant SQL @sql on @path through a separate connection; fails the test on error. */
void lease_test_sql_exec(const char *path, const char *sql);

/* The integer @sql (a count, say) reads from @path through a connection of its own. */
int64_t lease_test_path_int(const char *path, const char *sql);

#endif
