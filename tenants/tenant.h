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

struct tenant_subnet {
	uint32_t network; /* host byte order, host bits zero */
	uint32_t mask;    /* host byte order */
	uint8_t prefix_len;
	struct tenant_lease_times times;
	struct optset options; /* service -> tenant -> subnet, merged */
	struct tenant_pool *pools;
	size_t n_pools;
};

/* One (port, outer VLAN, inner VLAN) a tenant's clients arrive on; 0 = no tag. */
struct tenant_vlan_key {
	uint16_t port;
	uint16_t outer;
	uint16_t inner;
};

/* Which packets belong to the tenant. */
struct tenant_match {
	uint32_t *relays; /* relay agent addresses (giaddr), host byte order */
	size_t n_relays;
	struct tenant_vlan_key *vlans;
	size_t n_vlans;
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
	struct tenant_subnet *subnets;
	size_t n_subnets;
};

/* A zeroed tenant, or NULL with errno. */
struct tenant *tenant_new(void);

/* Frees @t and everything it owns; NULL is ignored. */
void tenant_free(struct tenant *t);

/* The subnet of @t that contains @addr (host order), or NULL. */
const struct tenant_subnet *tenant_subnet_of(const struct tenant *t, uint32_t addr);

#endif
