/*
 * One tenant's address space in memory: per pool range, a state per address and a bitmap
 * of free addresses with a search cursor, plus a table from client key to the address the
 * client holds. Offers, pending commits and bindings live here; the lease database is the
 * durable copy of the bindings.
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
};

struct pool_range {
	uint32_t first;
	uint32_t last;
	uint32_t cursor; /* offset where the next search for a free address starts */
	uint16_t subnet; /* index of the tenant subnet the range belongs to */
	uint64_t *free_bits; /* bit set = address free */
	struct pool_slot *slots;
};

/* Client key -> address, open addressing with linear probing and backward-shift delete. */
struct pool_client_map {
	uint64_t *keys; /* 0 = empty */
	uint32_t *addrs;
	uint32_t mask;
};

struct pool_set {
	struct pool_range *ranges; /* sorted by first address */
	size_t n_ranges;
	size_t size; /* addresses in all ranges */
	size_t used; /* addresses not free */
	struct pool_client_map clients;
	size_t sweep_range; /* where the expiry sweep resumes */
	uint32_t sweep_off;
};

/* Builds the ranges of every subnet's pools of @t, all free. 0 or -errno. */
int pool_set_init(struct pool_set *ps, const struct tenant *t);

void pool_set_free(struct pool_set *ps);

/* The slot of @addr, or NULL when @addr is in no range. */
struct pool_slot *pool_slot(const struct pool_set *ps, uint32_t addr);

/* The range holding @addr, or NULL. */
const struct pool_range *pool_range_of(const struct pool_set *ps, uint32_t addr);

/* The address held by @client (in any state but free), or 0. */
uint32_t pool_client_addr(const struct pool_set *ps, uint64_t client);

/*
 * Puts @addr in @state for @client until @expires. A client holds at most one address: a
 * different address it held before is freed. @addr must be in a range.
 */
void pool_assign(struct pool_set *ps, uint32_t addr, enum pool_state state, uint64_t client,
		 uint32_t expires);

/* Frees @addr (and forgets its client). */
void pool_release(struct pool_set *ps, uint32_t addr);

/*
 * True when @addr can be given to @client now: in a range, and free, or held by
 * @client, or held by nobody any more (its time has run out).
 */
bool pool_available(const struct pool_set *ps, uint32_t addr, uint64_t client, uint32_t now);

/*
 * Finds a free address in the ranges of subnet @subnet (-1 = any subnet), starting after
 * the range's cursor, or 0 when there is none.
 */
uint32_t pool_find_free(struct pool_set *ps, int subnet);

/*
 * Frees up to @budget slots whose time has run out (offers, bindings, quarantines),
 * resuming where the last sweep stopped. Calls @expired for each binding that expired
 * (so that the caller can record it), before freeing it. Returns the slots examined.
 */
size_t pool_sweep(struct pool_set *ps, uint32_t now, size_t budget,
		  void (*expired)(void *ctx, uint32_t addr, const struct pool_slot *slot), void *ctx);

#endif
