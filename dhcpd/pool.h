/*
 * One tenant's address space in memory: per pool range, a state per address and a bitmap
 * of free addresses with a search cursor, plus a table from client key to the address the
 * client holds. Offers, pending commits and bindings live here; the lease database is the
 * durable copy of the bindings.
 *
 * Reservations: every reserved address has a slot too (a pool slot when it lies in a
 * pool, else a slot of its own), marked reserved: it is never free for dynamic
 * allocation, and pool_available refuses it to anyone but the client holding it. A hash
 * table finds a client's reservation by hardware address, client identifier or relay
 * circuit-id.
 *
 * Thread safety: a pool set belongs to the engine (lcore) that serves its tenant; it is
 * built on the control thread before launch. No allocation after pool_set_init.
 */
#ifndef MTDHCP_DHCPD_POOL_H
#define MTDHCP_DHCPD_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tenants/tenant.h"

enum pool_state {
	POOL_FREE = 0,
	POOL_OFFERED,  /* held for a client until expires */
	POOL_PENDING,  /* a binding awaits its commit */
	POOL_BOUND,    /* an active lease until expires */
	POOL_DECLINED, /* quarantined until expires (RFC 2131 4.3.3) */
};

struct pool_slot {
	uint64_t client;  /* client key; 0 when free */
	uint32_t expires; /* Unix seconds */
	uint8_t state;    /* enum pool_state */
	uint8_t reserved; /* a reservation's address: never handed out dynamically */
};

struct pool_range {
	uint32_t first;
	uint32_t last;
	uint32_t cursor;     /* offset where the next search for a free address starts */
	uint16_t subnet;     /* index of the tenant subnet the range belongs to */
	uint64_t *free_bits; /* bit set = address free */
	struct pool_slot *slots;
};

/* The slot of a reserved address outside every pool. */
struct pool_fixed {
	uint32_t addr;
	uint16_t subnet;
	struct pool_slot slot;
};

/* Client key -> address, open addressing with linear probing and backward-shift delete. */
struct pool_client_map {
	uint64_t *keys; /* 0 = empty */
	uint32_t *addrs;
	uint32_t mask;
};

/* Reservation key hash -> reservation; a hash may repeat, so the key is compared. */
struct pool_res_entry {
	uint64_t hash; /* 0 = empty */
	const struct tenant_reservation *res;
	uint16_t subnet;
};

struct pool_set {
	struct pool_range *ranges; /* sorted by first address */
	size_t n_ranges;
	size_t size; /* addresses in all ranges */
	size_t used; /* addresses in ranges that are not free (reserved ones included) */
	struct pool_fixed *fixed; /* sorted by address */
	size_t n_fixed;
	struct pool_res_entry *res;
	uint32_t res_mask;
	struct pool_client_map clients;
	size_t sweep_range; /* where the expiry sweep resumes; n_ranges = the fixed slots */
	uint32_t sweep_off;
};

/*
 * Builds the ranges of every subnet's pools of @t, all free but the reserved addresses,
 * and the reservation table. 0 or -errno.
 */
int pool_set_init(struct pool_set *ps, const struct tenant *t);

void pool_set_free(struct pool_set *ps);

/* The slot of @addr, or NULL when @addr is in no range and reserved for nobody. */
struct pool_slot *pool_slot(const struct pool_set *ps, uint32_t addr);

/* The range holding @addr, or NULL. */
const struct pool_range *pool_range_of(const struct pool_set *ps, uint32_t addr);

/* The address held by @client (in any state but free), or 0. */
uint32_t pool_client_addr(const struct pool_set *ps, uint64_t client);

/*
 * Puts @addr in @state for @client until @expires. A client holds at most one address: a
 * different address it held before is freed. @addr must have a slot.
 */
void pool_assign(struct pool_set *ps, uint32_t addr, enum pool_state state, uint64_t client,
                 uint32_t expires);

/* Frees @addr (and forgets its client); a reserved address stays reserved. */
void pool_release(struct pool_set *ps, uint32_t addr);

/*
 * True when @addr can be given to @client now: it has a slot, and it is free and not
 * reserved, or held by @client, or held by nobody any more (its time has run out and it
 * is not reserved). A commit in flight and an unexpired quarantine are never available to
 * another client.
 */
bool pool_available(const struct pool_set *ps, uint32_t addr, uint64_t client, uint32_t now);

/*
 * As pool_available, for the client a reservation of @addr is for: a reserved address
 * is available to it unless another client still holds it (a lease granted before the
 * reservation was configured) or it is quarantined.
 */
bool pool_available_reserved(const struct pool_set *ps, uint32_t addr, uint64_t client,
                             uint32_t now);

/*
 * Finds a free address in the ranges of subnet @subnet (-1 = any subnet), starting after
 * the range's cursor, or 0 when there is none.
 */
uint32_t pool_find_free(struct pool_set *ps, int subnet);

/*
 * The reservation of kind @kind (enum tenant_res_kind) whose key is the @len bytes at
 * @key, or NULL. *@subnet, when not NULL, receives the index of its subnet.
 */
const struct tenant_reservation *pool_reservation(const struct pool_set *ps, uint8_t kind,
                                                  const uint8_t *key, size_t len, uint16_t *subnet);

/*
 * Frees up to @budget slots whose time has run out (offers, bindings, quarantines),
 * resuming where the last sweep stopped. Calls @expired for each binding that expired
 * (so that the caller can record it), before freeing it. Returns the slots examined.
 */
size_t pool_sweep(struct pool_set *ps, uint32_t now, size_t budget,
                  void (*expired)(void *ctx, uint32_t addr, const struct pool_slot *slot),
                  void *ctx);

#endif
