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
    [TC_DROP_SHORT] = "drop_short",
    [TC_DROP_TOO_LONG] = "drop_too_long",
    [TC_DROP_NOT_REQUEST] = "drop_not_request",
    [TC_DROP_BAD_HLEN] = "drop_bad_hlen",
    [TC_DROP_NO_COOKIE] = "drop_no_cookie",
    [TC_DROP_BAD_OPTION] = "drop_bad_option",
    [TC_DROP_NO_TYPE] = "drop_no_type",
    [TC_DROP_BAD_HOPS] = "drop_bad_hops",
    [TC_DROP_NO_SUBNET] = "drop_no_subnet",
    [TC_DROP_DECLINE_NOT_HOLDER] = "drop_decline_not_holder",
    [TC_DECLINED] = "declined",
    [TC_REQ_SELECTING] = "request_selecting",
    [TC_REQ_INIT_REBOOT] = "request_init_reboot",
    [TC_REQ_RENEWING] = "request_renewing",
    [TC_REQ_REBINDING] = "request_rebinding",
    [TC_OPTIONS_DROPPED] = "options_dropped",
    [TC_DROP_RATE_LIMIT] = "drop_rate_limit",
    [TC_DROP_LEASE_CAP] = "drop_lease_cap",
    [TC_DROP_QUEUE_OVERFLOW] = "drop_queue_overflow",
    [TC_ADMIN_RELEASED] = "admin_released",
    [TC_DROP_RELEASE_NOT_HOLDER] = "drop_release_not_holder",
    [TC_LEASES_ACTIVE] = "leases_active",
    [TC_POOL_USED] = "pool_used",
    [TC_POOL_SIZE] = "pool_size",
};

const char *tenant_counter_name(enum tenant_counter c)
{
	if ((unsigned)c >= TC__COUNT || !tenant_counter_names[c])
		return "unknown";
	return tenant_counter_names[c];
}
