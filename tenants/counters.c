/*
 * Names of the per-tenant counters. They appear in logs, in `mtdhcpctl stats` and in
 * metrics, so they never change once released.
 */
#include "tenants/counters.h"

#include <stddef.h>

static const char *const tenant_counter_names[TC__COUNT] = {
    [TC_RX_DISCOVER] = "rx_discover",
    [TC_RX_REQUEST] = "rx_request",
    [TC_RX_DECLINE] = "rx_decline",
    [TC_RX_RELEASE] = "rx_release",
    [TC_RX_INFORM] = "rx_inform",
    [TC_RX_OTHER] = "rx_other",
    [TC_TX_OFFER] = "tx_offer",
    [TC_TX_ACK] = "tx_ack",
    [TC_TX_NAK] = "tx_nak",
    [TC_DROP_MALFORMED] = "drop_malformed",
    [TC_DROP_NOT_FOR_US] = "drop_not_for_us",
    [TC_DROP_POOL_EXHAUSTED] = "drop_pool_exhausted",
    [TC_DROP_QUEUE_FULL] = "drop_queue_full",
    [TC_DROP_COMMIT_FAILED] = "drop_commit_failed",
    [TC_DROP_PENDING] = "drop_pending",
    [TC_LEASES_COMMITTED] = "leases_committed",
};

const char *tenant_counter_name(enum tenant_counter c)
{
	if ((unsigned)c >= TC__COUNT || !tenant_counter_names[c])
		return "unknown";
	return tenant_counter_names[c];
}
