/*
 * Private to lease-store: moving a struct lease_record in and out of a row of the leases
 * table, so that the writer, the startup load and the reader agree on one column order.
 */
#ifndef MTDHCP_LEASE_STORE_LEASE_ROW_H
#define MTDHCP_LEASE_STORE_LEASE_ROW_H

#include <stdbool.h>

#include <sqlite3.h>

#include "lease-store/lease.h"

/* The columns of the leases table in the order lease_row_bind and lease_row_read use. */
#define LEASE_ROW_COLUMNS                                                                          \
	"tenant_id, address, state, start_time, end_time, cltt, hwtype, hwaddr, client_id, "       \
	"hostname, giaddr, circuit_id, remote_id, port, vlan_outer, vlan_inner"
#define LEASE_ROW_PARAMS "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
#define LEASE_ROW_NCOLS  16

/*
 * Binds the fields of @rec to parameters @first .. @first + LEASE_ROW_NCOLS - 1 of @st.
 * Blobs and text are bound without a copy: @rec must outlive the statement's next step.
 * Empty blobs and text are bound as NULL. Returns an SQLite result code.
 */
int lease_row_bind(sqlite3_stmt *st, int first, const struct lease_record *rec);

/*
 * Reads columns @first .. @first + LEASE_ROW_NCOLS - 1 of the current row of @st into
 * @rec. The file may have been damaged or edited by hand, so every value is checked
 * against the record's limits: 0, or -EBADMSG when one is out of range.
 */
int lease_row_read(sqlite3_stmt *st, int first, struct lease_record *rec);

/*
 * Whether every length and enum of @rec is within the record's limits (what
 * lease_store_submit accepts).
 */
bool lease_row_valid(const struct lease_record *rec);

#endif
