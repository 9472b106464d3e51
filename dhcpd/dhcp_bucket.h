/*
 * A token bucket: a tenant's packets-per-second budget. Tokens accrue at @rate per second
 * up to @burst; each message takes one; a message that finds the bucket empty is dropped.
 * The clock is the caller's (nanoseconds, monotonic), read once per burst of packets, so
 * the check costs a few integer operations and no system call.
 *
 * Tokens are kept in units of 1/1e9 token (one token = DHCP_BUCKET_UNIT), so refilling is
 * exact for any rate without floating point or accumulated rounding.
 *
 * Thread safety: plain data, owned by the instance's lcore.
 */
#ifndef MTDHCP_DHCPD_DHCP_BUCKET_H
#define MTDHCP_DHCPD_DHCP_BUCKET_H

#include <stdbool.h>
#include <stdint.h>

#define DHCP_BUCKET_UNIT 1000000000ull

struct dhcp_bucket {
	uint64_t rate;   /* tokens per second; 0 = unlimited */
	uint64_t cap;    /* burst * DHCP_BUCKET_UNIT */
	uint64_t tokens; /* in 1/DHCP_BUCKET_UNIT tokens */
	uint64_t last_ns;
};

/*
 * Sets the budget: @rate messages per second (0 = unlimited), bursts of up to @burst (0 =
 * one second's worth). A new bucket starts full. Keeps the tokens a running bucket has,
 * within the new burst, so that a reload neither grants nor takes a burst.
 */
void dhcp_bucket_set(struct dhcp_bucket *b, uint32_t rate, uint32_t burst, uint64_t now_ns,
                     bool keep_tokens);

/* Takes one token at @now_ns: true when the message may be served. */
bool dhcp_bucket_take(struct dhcp_bucket *b, uint64_t now_ns);

#endif
