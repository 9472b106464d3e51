/*
 * Private to lease-store: the database schema, its versions and the checks made when a
 * connection is opened.
 */
#ifndef MTDHCP_LEASE_STORE_LEASE_SCHEMA_H
#define MTDHCP_LEASE_STORE_LEASE_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include <sqlite3.h>

/* The schema version this code writes and reads. */
#define LEASE_SCHEMA_VERSION 3

/*
 * Makes @db, just opened read-write on @path, ready for the writer: checks the file's
 * integrity (PRAGMA quick_check), that it is writable and not locked by another process,
 * sets WAL mode and the synchronous level, and creates or migrates the schema inside one
 * write transaction. 0 or -errno with a message in @err.
 */
int lease_schema_prepare(sqlite3 *db, const char *path, bool synchronous_full, char *err,
                         size_t errlen);

/*
 * Sets the per-connection settings every read-write connection needs (foreign keys,
 * synchronous level). 0 or -errno with a message in @err.
 */
int lease_schema_configure(sqlite3 *db, const char *path, bool synchronous_full, char *err,
                           size_t errlen);

/*
 * Checks that @db (any mode) holds an mtdhcp lease database of a version this code reads.
 * 0 or -errno with a message in @err.
 */
int lease_schema_check(sqlite3 *db, const char *path, char *err, size_t errlen);

#endif
