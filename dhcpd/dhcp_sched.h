/*
 * Fair service of tenants on one lcore (engine internals; not a public contract).
 *
 * The dataplane classifies every frame of a receive burst and queues each DHCP message
 * on its tenant's queue; the engine then serves the queues round-robin, one message per
 * tenant per round, checking each tenant's token bucket before any parsing. A tenant
 * that floods fills its own queue (what overflows is dropped and counted for that tenant)
 * and spends its own budget; a tenant with one message waiting is served within one
 * round, whatever the flood. Entries come from one preallocated array per engine: no
 * allocation on the fast path, and the memory does not grow with the number of tenants.
 *
 * Thread safety: the engine's lcore.
 */
#ifndef MTDHCP_DHCPD_DHCP_SCHED_H
#define MTDHCP_DHCPD_DHCP_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "dhcp_engine.h"

#define DHCP_FQ_NONE UINT32_MAX

/*
 * One queued message: what the dataplane knew of its path, a view of its bytes and the
 * dataplane's handle on the buffer that holds them (given back through the release
 * callback once the message has been served or dropped).
 */
struct dhcp_fq_entry {
	struct dhcp_path path;
	const uint8_t *msg;
	void *buf;
	uint32_t len;
	uint32_t next; /* the next entry of the same queue, or DHCP_FQ_NONE */
};

/* A tenant's queue: a list of entries in arrival order. */
struct dhcp_fq {
	uint32_t head;
	uint32_t tail;
	uint32_t len;
};

struct dhcp_instance;

struct dhcp_sched {
	struct dhcp_fq_entry *entries;
	uint32_t n_entries;
	uint32_t free_head; /* a list of free entries through next */
	uint32_t queued;    /* entries in use */
	uint32_t queue_max; /* per tenant */
	/* The tenants with messages waiting, in serving order (a ring of n_entries). */
	struct dhcp_instance **ring;
	uint32_t ring_head;
	uint32_t ring_len;
};

struct dhcp_engine;

/* Allocates @n entries and the ring. Control thread, at engine creation. 0 or -errno. */
int dhcp_sched_init(struct dhcp_sched *s, uint32_t n, uint32_t queue_max);
void dhcp_sched_fini(struct dhcp_sched *s);

/*
 * Queues a message of instance @in. Returns false when its queue or the engine's entries
 * are full: then the caller still owns @buf and counts the drop.
 */
bool dhcp_sched_push(struct dhcp_engine *e, struct dhcp_instance *in, const struct dhcp_path *path,
                     const uint8_t *msg, size_t len, void *buf);

/* Serves up to @budget messages round-robin. Returns the number served or dropped. */
unsigned dhcp_sched_serve(struct dhcp_engine *e, unsigned budget, int64_t now);

/* Reload: @to (a fresh instance) takes over the queue of @from. */
void dhcp_sched_move(struct dhcp_engine *e, struct dhcp_instance *from, struct dhcp_instance *to);

/* Reload: drops the queue of @in (a removed tenant), releasing its buffers. */
void dhcp_sched_drop(struct dhcp_engine *e, struct dhcp_instance *in);

#endif
