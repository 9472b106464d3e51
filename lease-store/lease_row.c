/*
 * A struct lease_record to and from a row of the leases table.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lease-store/lease_row.h"

static int lease_row_bind_blob(sqlite3_stmt *st, int idx, const void *p, size_t len)
{
	if (len == 0)
		return sqlite3_bind_null(st, idx);
	return sqlite3_bind_blob(st, idx, p, (int)len, SQLITE_STATIC);
}

int lease_row_bind(sqlite3_stmt *st, int first, const struct lease_record *rec)
{
	int i = first, rc = SQLITE_OK;

	rc |= sqlite3_bind_int64(st, i++, rec->tenant_id);
	rc |= sqlite3_bind_int64(st, i++, rec->address);
	rc |= sqlite3_bind_int(st, i++, (int)rec->state);
	rc |= sqlite3_bind_int64(st, i++, rec->start_time);
	rc |= sqlite3_bind_int64(st, i++, rec->end_time);
	rc |= sqlite3_bind_int64(st, i++, rec->cltt);
	rc |= sqlite3_bind_int(st, i++, rec->hwtype);
	rc |= lease_row_bind_blob(st, i++, rec->hwaddr, rec->hwlen);
	rc |= lease_row_bind_blob(st, i++, rec->client_id, rec->client_id_len);
	/* Client-supplied text reaches SQLite only as a bound parameter. */
	if (rec->hostname_len == 0)
		rc |= sqlite3_bind_null(st, i++);
	else
		rc |= sqlite3_bind_text(st, i++, rec->hostname, rec->hostname_len, SQLITE_STATIC);
	rc |= sqlite3_bind_int64(st, i++, rec->giaddr);
	rc |= lease_row_bind_blob(st, i++, rec->circuit_id, rec->circuit_id_len);
	rc |= lease_row_bind_blob(st, i++, rec->remote_id, rec->remote_id_len);
	rc |= sqlite3_bind_int(st, i++, rec->port);
	rc |= sqlite3_bind_int(st, i++, rec->vlan_outer);
	rc |= sqlite3_bind_int(st, i++, rec->vlan_inner);
	/* Every bind returns SQLITE_OK (0) on success, so any other bit means a failure. */
	return rc == SQLITE_OK ? SQLITE_OK : SQLITE_RANGE;
}

/* Reads an integer column that must lie in [min, max]; NULL reads as 0 when allowed. */
static int lease_row_int(sqlite3_stmt *st, int col, int64_t min, int64_t max, int64_t *out)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL) {
		if (min > 0)
			return -EBADMSG;
		*out = 0;
		return 0;
	}
	int64_t v = sqlite3_column_int64(st, col);

	if (v < min || v > max)
		return -EBADMSG;
	*out = v;
	return 0;
}

/* Copies a blob or text column of at most @max bytes into @dst; NULL reads as empty. */
static int lease_row_bytes(sqlite3_stmt *st, int col, void *dst, size_t max, size_t *len)
{
	const void *p;
	int n;

	if (sqlite3_column_type(st, col) == SQLITE_NULL) {
		*len = 0;
		return 0;
	}
	/* The pointer first, then the length, as the SQLite documentation asks. */
	p = sqlite3_column_blob(st, col);
	n = sqlite3_column_bytes(st, col);
	if (n < 0 || (size_t)n > max || (n > 0 && p == NULL))
		return -EBADMSG;
	if (n > 0)
		memcpy(dst, p, (size_t)n);
	*len = (size_t)n;
	return 0;
}

int lease_row_read(sqlite3_stmt *st, int first, struct lease_record *rec)
{
	/* The integer columns and the range each must lie in; the others are blobs. */
	static const struct {
		int col;
		int64_t min, max;
	} ints[] = {
	    {0, 1, UINT32_MAX},                            /* tenant_id */
	    {1, 0, UINT32_MAX},                            /* address */
	    {2, LEASE_STATE_ACTIVE, LEASE_STATE_DECLINED}, /* state */
	    {3, -INT64_MAX, INT64_MAX},                    /* start_time */
	    {4, -INT64_MAX, INT64_MAX},                    /* end_time */
	    {5, -INT64_MAX, INT64_MAX},                    /* cltt */
	    {6, 0, UINT8_MAX},                             /* hwtype */
	    {10, 0, UINT32_MAX},                           /* giaddr */
	    {13, 0, UINT16_MAX},                           /* port */
	    {14, 0, UINT16_MAX},                           /* vlan_outer */
	    {15, 0, UINT16_MAX},                           /* vlan_inner */
	};
	int64_t v[LEASE_ROW_NCOLS] = {0};
	size_t len;
	int c = first;

	memset(rec, 0, sizeof(*rec));
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		if (lease_row_int(st, c + ints[i].col, ints[i].min, ints[i].max, &v[ints[i].col]) !=
		    0)
			return -EBADMSG;
	}
	rec->tenant_id = (uint32_t)v[0];
	rec->address = (uint32_t)v[1];
	rec->state = (enum lease_state)v[2];
	rec->start_time = v[3];
	rec->end_time = v[4];
	rec->cltt = v[5];
	rec->hwtype = (uint8_t)v[6];
	rec->giaddr = (uint32_t)v[10];
	rec->port = (uint16_t)v[13];
	rec->vlan_outer = (uint16_t)v[14];
	rec->vlan_inner = (uint16_t)v[15];

	if (lease_row_bytes(st, c + 7, rec->hwaddr, sizeof(rec->hwaddr), &len) != 0)
		return -EBADMSG;
	rec->hwlen = (uint8_t)len;
	if (lease_row_bytes(st, c + 8, rec->client_id, sizeof(rec->client_id), &len) != 0)
		return -EBADMSG;
	rec->client_id_len = (uint8_t)len;
	if (lease_row_bytes(st, c + 9, rec->hostname, sizeof(rec->hostname), &len) != 0)
		return -EBADMSG;
	rec->hostname_len = (uint8_t)len;
	if (lease_row_bytes(st, c + 11, rec->circuit_id, sizeof(rec->circuit_id), &len) != 0)
		return -EBADMSG;
	rec->circuit_id_len = (uint8_t)len;
	if (lease_row_bytes(st, c + 12, rec->remote_id, sizeof(rec->remote_id), &len) != 0)
		return -EBADMSG;
	rec->remote_id_len = (uint8_t)len;
	return 0;
}

bool lease_row_valid(const struct lease_record *rec)
{
	/*
	 * The uint8_t lengths of the variable fields cannot exceed their 255-byte arrays;
	 * only hwaddr is shorter than its length's range.
	 */
	return rec->tenant_id != 0 && rec->state >= LEASE_STATE_ACTIVE &&
	       rec->state <= LEASE_STATE_DECLINED && rec->hwlen <= LEASE_HWADDR_MAX;
}
