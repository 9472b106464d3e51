/*
 * Private to lease-store: a reader's state, shared by lease_read.c (opening, listing,
 * history) and lease_query.c (filtered listings, one lease, counts).
 */
#ifndef MTDHCP_LEASE_STORE_LEASE_READ_IMPL_H
#define MTDHCP_LEASE_STORE_LEASE_READ_IMPL_H

#include <sqlite3.h>

struct lease_reader {
	sqlite3 *db;
	char *path;
};

#endif
