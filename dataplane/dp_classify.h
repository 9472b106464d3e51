/*
 * Classification of a DHCP frame to the tenant it belongs to, with hash lookups in the
 * published tenant registry, most specific key first (docs/classification.md):
 *
 *   1. RFC 6607 VSS: option 82 sub-option 151, else option 221 (when the port trusts it);
 *   2. RFC 3046 option 82 circuit-id, then remote-id, exact values;
 *   3. circuit-id, then remote-id prefixes, longest first;
 *   4. RFC 3527 link selection (sub-option 5), longest prefix first;
 *   5. giaddr: relay addresses and prefixes, longest first;
 *   6. the link: (port, outer VLAN, inner VLAN), tags from the frame or stripped by the NIC;
 *   7. the default tenant.
 *
 * Keys 1 to 5 come from relay agents, so they count only in a relayed request (giaddr not
 * 0) that arrived on a relay link of its port (tenant_registry_relay_link); anywhere else
 * relay information is ignored or the request dropped, as the port says. A VSS value that
 * names no tenant's VPN is dropped: RFC 6607 leaves no room for serving a VPN's client
 * from another address space.
 *
 * Thread safety: any thread that holds @reg (an RCU reader between quiescent states).
 */
#ifndef MTDHCP_DATAPLANE_DP_CLASSIFY_H
#define MTDHCP_DATAPLANE_DP_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dp_frame.h"
#include "tenants/registry.h"

/* Which key chose the tenant. */
enum dp_class_key {
	DP_CLASS_NONE = 0,
	DP_CLASS_VSS,
	DP_CLASS_CIRCUIT_ID,
	DP_CLASS_REMOTE_ID,
	DP_CLASS_CIRCUIT_ID_PREFIX,
	DP_CLASS_REMOTE_ID_PREFIX,
	DP_CLASS_LINK_SELECTION,
	DP_CLASS_RELAY, /* giaddr: a relay address or prefix */
	DP_CLASS_VLAN,  /* the (port, outer VLAN, inner VLAN) link */
	DP_CLASS_DEFAULT,
	DP_CLASS__COUNT
};

/* Why no tenant was chosen. */
enum dp_class_miss {
	DP_CLASS_MISS_NONE = 0,        /* a tenant was chosen */
	DP_CLASS_MISS_NO_MATCH,        /* no rule matches and there is no default tenant */
	DP_CLASS_MISS_UNKNOWN_VPN,     /* VSS names a VPN that no tenant serves */
	DP_CLASS_MISS_UNTRUSTED_RELAY, /* relay information off a relay link; the port drops it */
	DP_CLASS_MISS_BAD_RELAY_INFO,  /* a relayed request whose options cannot be read */
	DP_CLASS_MISS__COUNT
};

struct dp_class_result {
	enum dp_class_key key;
	enum dp_class_miss miss;
	/* A relayed request (giaddr set) on a relay link: replies go back to the relay. */
	bool relayed;
	/* Relay information (giaddr, option 82 or 221) that was ignored: not on a relay link. */
	bool relay_info_ignored;
};

/*
 * What a DHCP message carries that can name its tenant. Views point into the message, or
 * into this struct when an option came in several parts (RFC 3396), so the struct and the
 * message must both outlive their use.
 */
struct dp_class_keys {
	uint32_t giaddr;     /* host order; 0 = not relayed */
	bool malformed;      /* the options field, option 82 or option 221 runs past its end */
	bool has_relay_info; /* option 82 */
	bool has_vss_option; /* option 221 */
	const uint8_t *circuit_id; /* sub-option 1, NULL when absent */
	uint8_t circuit_id_len;
	const uint8_t *remote_id; /* sub-option 2 */
	uint8_t remote_id_len;
	bool has_link_selection;
	uint32_t link_selection; /* sub-option 5 (RFC 3527), host order */
	const uint8_t *vss;      /* sub-option 151: type octet, then the VPN identifier */
	uint8_t vss_len;
	bool vss_control;          /* sub-option 152 (RFC 6607 section 3) */
	const uint8_t *vss_option; /* option 221, same layout as sub-option 151 */
	uint8_t vss_option_len;
	uint8_t joined_82[255];
	uint8_t joined_221[255];
};

/*
 * Reads giaddr, option 82 (and its sub-options 1, 2, 5, 151, 152) and option 221 from the
 * DHCP message @msg of @len octets, with every bound checked first and nothing else
 * decoded. Only the options field is read: relay agents append option 82 there (RFC 3046
 * 2.1), and the file and sname fields are the client's. A message too short for options,
 * or without the magic cookie, has none.
 */
void dp_class_scan(const uint8_t *msg, size_t len, struct dp_class_keys *out);

/*
 * The tenant of a DHCP frame @f (kind DP_FRAME_DHCP) that arrived on @port, or NULL when
 * no tenant claims it; *@res says which key matched, or why none did.
 */
const struct tenant *dp_classify_request(const struct tenant_registry *reg, uint16_t port,
                                         const struct dp_frame *f, struct dp_class_result *res);

/* As dp_classify_request, reporting only the key that matched (DP_CLASS_NONE: none). */
const struct tenant *dp_classify_dhcp(const struct tenant_registry *reg, uint16_t port,
                                      const struct dp_frame *f, enum dp_class_key *key);

/* As dp_classify_request, for keys already read from the message by dp_class_scan. */
const struct tenant *dp_classify_keys(const struct tenant_registry *reg, uint16_t port,
                                      const struct dp_frame *f, const struct dp_class_keys *k,
                                      struct dp_class_result *res);

/* The tenant whose directly attached link the frame @f arrived on (VLAN rules), or NULL. */
const struct tenant *dp_classify_link(const struct tenant_registry *reg, uint16_t port,
                                      const struct dp_frame *f);

/*
 * Our own address on the link @f arrived by, for ARP and ping: the server_address of the
 * tenant that claims the link, else @port_address on the untagged link and on the port's
 * tagged relay links (where relays send to it), else 0 (we have no address there).
 */
uint32_t dp_classify_link_address(const struct tenant_registry *reg, uint16_t port,
                                  const struct dp_frame *f, uint32_t port_address);

/* Stable names, for counters and logs. */
const char *dp_class_key_name(enum dp_class_key key);
const char *dp_class_miss_name(enum dp_class_miss miss);

#endif
