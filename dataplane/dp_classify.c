#include "dp_classify.h"

#define DHCP_GIADDR_OFF 24

static uint16_t vid(uint16_t tpid, uint16_t tci)
{
	return tpid ? (tci & 0x0fff) : 0;
}

const struct tenant *dp_classify_link(const struct tenant_registry *reg, uint16_t port,
				      const struct dp_frame *f)
{
	return tenant_registry_by_vlan(reg, port, vid(f->outer_tpid, f->outer_tci),
				       vid(f->inner_tpid, f->inner_tci));
}

const struct tenant *dp_classify_dhcp(const struct tenant_registry *reg, uint16_t port,
				      const struct dp_frame *f, enum dp_class_key *key)
{
	*key = DP_CLASS_NONE;
	if (f->payload_len >= DHCP_GIADDR_OFF + 4) {
		const uint8_t *g = f->payload + DHCP_GIADDR_OFF;
		uint32_t giaddr = (uint32_t)g[0] << 24 | (uint32_t)g[1] << 16 |
				  (uint32_t)g[2] << 8 | g[3];
		if (giaddr) {
			const struct tenant *t = tenant_registry_by_relay(reg, giaddr);
			if (t) {
				*key = DP_CLASS_RELAY;
				return t;
			}
		}
	}
	const struct tenant *t = dp_classify_link(reg, port, f);
	if (t)
		*key = DP_CLASS_VLAN;
	return t;
}
