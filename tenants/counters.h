/*
 * Per-tenant counters. Each dataplane lcore keeps its own copy per tenant (one writer,
 * no atomics); the control thread sums the copies for display.
 */
#ifndef MTDHCP_TENANTS_COUNTERS_H
#define MTDHCP_TENANTS_COUNTERS_H

#include <stdint.h>

enum tenant_counter {
	TC_RX_DISCOVER,
	TC_RX_REQUEST,
	TC_RX_DECLINE,
	TC_RX_RELEASE,
	TC_RX_INFORM,
	TC_RX_OTHER,
	TC_TX_OFFER,
	TC_TX_ACK,
	TC_TX_NAK,
	TC_DROP_MALFORMED,     /* a DHCP message that does not parse */
	TC_DROP_NOT_FOR_US,    /* a REQUEST for another server, a RELEASE of another's lease */
	TC_DROP_POOL_EXHAUSTED,
	TC_DROP_QUEUE_FULL,    /* the lease writer's queue was full: no ACK without a row */
	TC_DROP_COMMIT_FAILED, /* the lease change did not commit: no ACK */
	TC_DROP_PENDING,       /* a retransmission while the first copy awaits its commit */
	TC_LEASES_COMMITTED,
	TC__COUNT
};

struct tenant_counters {
	uint64_t v[TC__COUNT];
};

/* A stable snake_case name for @c, for logs, the CLI and metrics. */
const char *tenant_counter_name(enum tenant_counter c);

#endif
