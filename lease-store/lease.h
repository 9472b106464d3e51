/*
 * One lease as the lease database stores it. Shared by the writer (lease_store.h), the
 * startup load and the read API (lease_read.h).
 */
#ifndef MTDHCP_LEASE_STORE_LEASE_H
#define MTDHCP_LEASE_STORE_LEASE_H

#include <stdbool.h>
#include <stdint.h>

#define LEASE_HWADDR_MAX 16
#define LEASE_CLIENT_ID_MAX 255
#define LEASE_HOSTNAME_MAX 255
#define LEASE_RELAY_ID_MAX 255 /* circuit-id and remote-id (RFC 3046) */

/* Stored states. An offer is never stored: it lives in memory only. */
enum lease_state {
	LEASE_STATE_ACTIVE = 1,
	LEASE_STATE_RELEASED = 2,
	LEASE_STATE_EXPIRED = 3,
	LEASE_STATE_DECLINED = 4,
};

/*
 * What happened to a lease, as the lease_events table records it. The values are those of
 * the lease_op that causes each (lease_store.h); an expiry found by the store's own sweep
 * is an EXPIRE event too.
 */
enum lease_event_kind {
	LEASE_EVENT_BIND = 1,
	LEASE_EVENT_RENEW = 2,
	LEASE_EVENT_RELEASE = 3,
	LEASE_EVENT_DECLINE = 4,
	LEASE_EVENT_EXPIRE = 5,
};

struct lease_record {
	uint32_t tenant_id; /* the tenant's stable database id */
	uint32_t address;   /* host byte order */
	enum lease_state state;
	int64_t start_time; /* Unix seconds */
	int64_t end_time;
	int64_t cltt; /* time of the client's last transaction */
	uint8_t hwtype;
	uint8_t hwlen;
	uint8_t hwaddr[LEASE_HWADDR_MAX];
	uint8_t client_id_len; /* 0 = the client sent no option 61 */
	uint8_t client_id[LEASE_CLIENT_ID_MAX];
	uint8_t hostname_len;
	char hostname[LEASE_HOSTNAME_MAX]; /* not NUL-terminated */
	uint32_t giaddr;                   /* 0 = not relayed */
	uint8_t circuit_id_len;
	uint8_t circuit_id[LEASE_RELAY_ID_MAX];
	uint8_t remote_id_len;
	uint8_t remote_id[LEASE_RELAY_ID_MAX];
	uint16_t port; /* dataplane port index */
	uint16_t vlan_outer; /* 0 = untagged */
	uint16_t vlan_inner;
	/*
	 * Read only (ignored on submit): the daemon found at startup that the address is in
	 * none of the tenant's pools any more; the lease is kept until it expires.
	 */
	bool outside_pools;
};

/* "active", "released", "expired", "declined", or "unknown". Any thread. */
const char *lease_state_name(enum lease_state state);

/* The state called @name (as lease_state_name spells it), or 0 when none is. Any thread. */
int lease_state_from_name(const char *name);

/* "bind", "renew", "release", "decline", "expire", or "unknown". Any thread. */
const char *lease_event_kind_name(enum lease_event_kind kind);

#endif
