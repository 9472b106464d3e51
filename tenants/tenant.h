/*
 * The tenant model: what one tenant's configuration file describes, in the form the fast
 * path uses (addresses in host byte order, options already in wire form, inheritance
 * already applied). A struct tenant is immutable once it is part of a published registry.
 *
 * Thread safety: built and freed on the control thread; read by any thread that holds
 * the registry it belongs to (see registry.h).
 */
#ifndef MTDHCP_TENANTS_TENANT_H
#define MTDHCP_TENANTS_TENANT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "optset.h"

#define TENANT_NAME_MAX 64

/* Lease lifetimes in seconds. */
struct tenant_lease_times {
	uint32_t default_time;
	uint32_t min_time;
	uint32_t max_time;
	uint32_t renew_time;  /* T1 (option 58); 0 = half the granted lease time */
	uint32_t rebind_time; /* T2 (option 59); 0 = 7/8 of the granted lease time */
};

/* An inclusive range of addresses the server may hand out, host byte order. */
struct tenant_pool {
	uint32_t first;
	uint32_t last;
};

/* --- Protocol (issue 3): reservations and shared networks --- */

/* What identifies the client a reservation is for. */
enum tenant_res_kind {
	TENANT_RES_HWADDR = 1, /* chaddr of an Ethernet client (htype 1) */
	TENANT_RES_CLIENT_ID,  /* option 61, all of its octets (RFC 2132 9.14) */
	TENANT_RES_CIRCUIT_ID, /* option 82 sub-option 1 from the relay (RFC 3046 3.1) */
};

#define TENANT_RES_KEY_MAX 255

/* One address reserved for one client, inside a pool of its subnet or outside any. */
struct tenant_reservation {
	uint8_t kind; /* enum tenant_res_kind */
	uint8_t key_len;
	uint8_t key[TENANT_RES_KEY_MAX];
	uint32_t address;      /* host byte order, inside the subnet that holds it */
	struct optset options; /* subnet (-> pool holding the address) -> reservation, merged */
};

struct tenant_subnet {
	uint32_t network; /* host byte order, host bits zero */
	uint32_t mask;    /* host byte order */
	uint8_t prefix_len;
	struct tenant_lease_times times;
	struct optset options; /* service -> tenant -> subnet, merged */
	struct tenant_pool *pools;
	size_t n_pools;
	/*
	 * Per pool (same index as pools), subnet -> pool merged: what clients given the
	 * pool's addresses get. NULL when no pool sets options of its own.
	 */
	struct optset *pool_options;
	struct tenant_reservation *reservations;
	size_t n_reservations;
	/*
	 * Subnets with the same network id are one shared network (several subnets on one
	 * link): the allocator moves on to the next when one is exhausted, and an address in
	 * any of them is on the client's network (RFC 2131 4.3.2). Unique per subnet unless
	 * the configuration groups them.
	 */
	uint16_t network_id;
};

/* One (port, outer VLAN, inner VLAN) a tenant's clients arrive on; 0 = no tag. */
struct tenant_vlan_key {
	uint16_t port;
	uint16_t outer;
	uint16_t inner;
};

/* --- Classification (issue 4): see docs/classification.md for the precedence --- */

/* Keys that are octet strings a relay agent puts in the request. */
enum tenant_key_kind {
	TENANT_KEY_VSS = 0,           /* RFC 6607 VSS: the type octet, then the VPN identifier */
	TENANT_KEY_CIRCUIT_ID,        /* RFC 3046 3.1: option 82 sub-option 1, all of it */
	TENANT_KEY_REMOTE_ID,         /* RFC 3046 3.2: option 82 sub-option 2, all of it */
	TENANT_KEY_CIRCUIT_ID_PREFIX, /* sub-option 1 starts with these octets */
	TENANT_KEY_REMOTE_ID_PREFIX,  /* sub-option 2 starts with these octets */
	TENANT_KEY__COUNT
};

#define TENANT_KEY_MAX 255 /* an option or sub-option value holds at most 255 octets */

struct tenant_key {
	uint8_t kind;   /* enum tenant_key_kind */
	uint8_t len;    /* 1..TENANT_KEY_MAX */
	uint16_t index; /* its place in the list it was configured in, for messages */
	int line;       /* the configuration line it was written on; 0 when unknown */
	uint8_t bytes[TENANT_KEY_MAX];
};

/* Address keys with a prefix length. */
enum tenant_prefix_kind {
	TENANT_PREFIX_RELAY = 0, /* giaddr: match.relay_prefixes (match.relays are the /32s) */
	TENANT_PREFIX_LINK,      /* RFC 3527 link selection (sub-option 5): match.link_selection */
	TENANT_PREFIX__COUNT
};

struct tenant_prefix {
	uint32_t addr;  /* host byte order, host bits zero */
	uint8_t len;    /* 1..32 */
	uint8_t kind;   /* enum tenant_prefix_kind */
	uint16_t index; /* its place in the list it was configured in */
	int line;       /* as in struct tenant_key */
};

/* Which packets belong to the tenant. Every array is owned (tenant_free frees it). */
struct tenant_match {
	uint32_t *relays; /* relay agent addresses (giaddr), host byte order */
	size_t n_relays;
	struct tenant_vlan_key *vlans;
	size_t n_vlans;
	struct tenant_prefix *prefixes; /* relay prefixes and link-selection addresses */
	size_t n_prefixes;
	struct tenant_key *keys; /* VSS, circuit-id and remote-id keys */
	size_t n_keys;
	/* The service file's default_tenant: it gets the requests no tenant's rules match. */
	bool is_default;
};

/* --- Isolation (issue 4): limits --- */

/* What one tenant may take of the shared server; 0 = no limit. Service defaults -> tenant. */
struct tenant_limits {
	uint32_t max_leases;         /* active bindings at most: new clients get no offer beyond */
	uint32_t packets_per_second; /* messages served per second (a token bucket) */
	uint32_t burst;              /* messages in a burst above the rate; 0 = one second's worth */
};

struct tenant {
	char name[TENANT_NAME_MAX];
	char *file;     /* the configuration file it was read from */
	uint32_t db_id; /* stable id of the name in the lease database; 0 until assigned */
	struct tenant_match match;
	/*
	 * Our own address on the tenant's directly attached links (VLAN matches): the server
	 * identifier, the source of replies, and the address answered for in ARP there.
	 * 0 when the tenant is only reached through relays, which talk to the port address.
	 */
	uint32_t server_address;
	bool authoritative;  /* NAK requests for addresses that are wrong here (RFC 2131 4.3.2) */
	uint32_t offer_time; /* seconds an offered address stays held for its client */
	bool rapid_commit;     /* answer a DISCOVER with option 80 by an ACK (RFC 4039) */
	uint32_t decline_time; /* seconds a declined address is quarantined (RFC 2131 4.3.3) */
	struct tenant_subnet *subnets;
	size_t n_subnets;
	struct tenant_limits limits;
	/*
	 * Holders beyond the first (tenant_ref). A reload carries an unchanged tenant, or the
	 * running version of one whose file failed, into the new registry while the old
	 * registry still holds it, and each engine instance holds its tenant until its last
	 * pending ACK is sent; the struct is freed by the last tenant_free.
	 */
	atomic_uint extra_refs;
};

/* A zeroed tenant, or NULL with errno. */
struct tenant *tenant_new(void);

/*
 * Adds a holder of @t and returns it (not const: the holder frees it with tenant_free,
 * though it never changes it). Any thread.
 */
struct tenant *tenant_ref(const struct tenant *t);

/*
 * Drops a holder of @t; the last one frees @t and everything it owns. NULL is ignored.
 * Any thread (the registry's RCU callback, the control thread).
 */
void tenant_free(struct tenant *t);

/* The subnet of @t that contains @addr (host order), or NULL. */
const struct tenant_subnet *tenant_subnet_of(const struct tenant *t, uint32_t addr);

#endif
