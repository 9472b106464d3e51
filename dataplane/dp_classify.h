/*
 * Classification of a parsed frame to the tenant it belongs to, with lookups in the
 * published tenant registry, most specific key first: the relay agent's address (giaddr),
 * then the (port, outer VLAN, inner VLAN) the frame arrived on. Each lookup is a hash
 * lookup, so the cost does not grow with the number of tenants.
 *
 * Thread safety: any thread that holds @reg (an RCU reader between quiescent states).
 */
#ifndef MTDHCP_DATAPLANE_DP_CLASSIFY_H
#define MTDHCP_DATAPLANE_DP_CLASSIFY_H

#include <stdint.h>

#include "dp_frame.h"
#include "tenants/registry.h"

/* Which key matched. */
enum dp_class_key {
	DP_CLASS_NONE = 0,
	DP_CLASS_RELAY,
	DP_CLASS_VLAN,
};

/*
 * The tenant of a DHCP frame @f (kind DP_FRAME_DHCP) that arrived on @port, or NULL when
 * no tenant claims it. *@key says which rule matched.
 */
const struct tenant *dp_classify_dhcp(const struct tenant_registry *reg, uint16_t port,
				      const struct dp_frame *f, enum dp_class_key *key);

/* The tenant whose directly attached link the frame @f arrived on (VLAN rules), or NULL. */
const struct tenant *dp_classify_link(const struct tenant_registry *reg, uint16_t port,
				      const struct dp_frame *f);

#endif
