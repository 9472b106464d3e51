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
	TC_DROP_NOT_FOR_US,    /* a REQUEST, RELEASE or DECLINE naming another server */
	TC_DROP_POOL_EXHAUSTED,
	TC_DROP_QUEUE_FULL,    /* the lease writer's queue was full: no ACK without a row */
	TC_DROP_COMMIT_FAILED, /* the lease change did not commit: no ACK */
	TC_DROP_PENDING,       /* a retransmission while the first copy awaits its commit */
	TC_LEASES_COMMITTED,
	/* Protocol (issue 3). Why a message did not parse (each also counts as malformed). */
	TC_DROP_SHORT,       /* shorter than the fixed part and the cookie */
	TC_DROP_TOO_LONG,    /* longer than the largest message served */
	TC_DROP_NOT_REQUEST, /* op is not BOOTREQUEST */
	TC_DROP_BAD_HLEN,    /* hlen > 16 */
	TC_DROP_NO_COOKIE,   /* no magic cookie */
	TC_DROP_BAD_OPTION,  /* an option overruns its field or has a length its code forbids */
	TC_DROP_NO_TYPE,     /* no or an unknown option 53 (BOOTP is not served) */
	TC_DROP_BAD_HOPS,    /* hops > 16 (RFC 1542 4.1.1) */
	/* What the server did with the rest. */
	TC_DROP_NO_SUBNET,   /* giaddr, option 118 or link selection names no subnet of the tenant */
	TC_DROP_DECLINE_NOT_HOLDER, /* a DECLINE of an address the client does not hold */
	TC_DECLINED,         /* addresses quarantined after a DECLINE (RFC 2131 4.3.3) */
	TC_REQ_SELECTING,    /* REQUESTs by client state (RFC 2131 4.3.2; RFC 5010 for relays) */
	TC_REQ_INIT_REBOOT,
	TC_REQ_RENEWING,
	TC_REQ_REBINDING,
	TC_OPTIONS_DROPPED,  /* requested options left out of a reply for want of room */
	/* Isolation (issue 4): limits and fair service. */
	TC_DROP_RATE_LIMIT,     /* over the tenant's packets_per_second budget */
	TC_DROP_LEASE_CAP,      /* a DISCOVER from a new client at the tenant's max_leases */
	TC_DROP_QUEUE_OVERFLOW, /* the tenant's fair queue on its lcore was full */
	TC_ADMIN_RELEASED,      /* leases released by the operator (mtdhcpctl release) */
	/* Hostile input (issue 8). */
	TC_DROP_RELEASE_NOT_HOLDER, /* a RELEASE of an address the client does not hold */
	/* Gauges, not counters: values now, refreshed about once a second. */
	TC_LEASES_ACTIVE, /* bindings (active leases): bound, or a commit in flight */
	TC_POOL_USED,     /* pool addresses not free */
	TC_POOL_SIZE,     /* pool addresses */
	TC__COUNT
};

/* Whether @c is a gauge (a value now) rather than a counter that only grows. */
static inline int tenant_counter_is_gauge(enum tenant_counter c)
{
	return c == TC_LEASES_ACTIVE || c == TC_POOL_USED || c == TC_POOL_SIZE;
}

struct tenant_counters {
	uint64_t v[TC__COUNT];
};

/* A stable snake_case name for @c, for logs, the CLI and metrics. */
const char *tenant_counter_name(enum tenant_counter c);

#endif
