/*
 * Private to lease-store: small SQLite helpers shared by the store, the schema code and
 * the reader.
 */
#ifndef MTDHCP_LEASE_STORE_LEASE_SQL_H
#define MTDHCP_LEASE_STORE_LEASE_SQL_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/* The -errno that best describes SQLite result code @rc (extended codes accepted). */
int lease_sql_errno(int rc);

/*
 * Finalizes @st after a loop of sqlite3_step that ended on result @rc, in which the rows
 * gave @ret (0 or -errno): @ret, or when it is 0 the error of a loop that stopped short of
 * SQLITE_DONE.
 */
int lease_sql_finish(sqlite3_stmt *st, int rc, int ret);

/* snprintf into @err when it is not NULL. */
__attribute__((format(printf, 3, 4))) void lease_sql_set_err(char *err, size_t errlen,
                                                             const char *fmt, ...);

/*
 * Runs constant SQL @sql (one or more statements without parameters). Returns the SQLite
 * result code. Never pass it text that came from outside the program.
 */
int lease_sql_exec(sqlite3 *db, const char *sql);

/*
 * Runs constant SQL @sql and stores the integer in the first column of its first row into
 * *@out. Returns SQLITE_OK, SQLITE_NOTFOUND when there is no row, or the error code.
 */
int lease_sql_int(sqlite3 *db, const char *sql, int64_t *out);

#endif
