/*
 * The classifier: which tenant a DHCP frame belongs to, in the precedence dp_classify.h
 * lists. Every step is a hash lookup in the registry snapshot; none allocates.
 */
#include "dp_classify.h"

#define DP_VSS_TYPE_GLOBAL 255 /* RFC 6607 section 3: the global, default VPN */

static uint16_t dp_class_vid(uint16_t tpid, uint16_t tci)
{
	return tpid ? (tci & 0x0fff) : 0;
}

const struct tenant *dp_classify_link(const struct tenant_registry *reg, uint16_t port,
                                      const struct dp_frame *f)
{
	return tenant_registry_by_vlan(reg, port, dp_class_vid(f->outer_tpid, f->outer_tci),
	                               dp_class_vid(f->inner_tpid, f->inner_tci));
}

uint32_t dp_classify_link_address(const struct tenant_registry *reg, uint16_t port,
                                  const struct dp_frame *f, uint32_t port_address)
{
	const struct tenant *t = dp_classify_link(reg, port, f);

	if (t && t->server_address)
		return t->server_address;
	if (!f->outer_tpid)
		return port_address;
	return tenant_registry_relay_link(reg, port, dp_class_vid(f->outer_tpid, f->outer_tci),
	                                  dp_class_vid(f->inner_tpid, f->inner_tci))
	           ? port_address
	           : 0;
}

static const struct tenant *dp_class_hit(const struct tenant *t, enum dp_class_key key,
                                         struct dp_class_result *res)
{
	if (t)
		res->key = key;
	return t;
}

/*
 * The relay agent's keys of a relayed request on a relay link, most specific first.
 * NULL with res->miss set when the request must not go on to the link's keys (a VPN no
 * tenant serves, options that cannot be read); NULL with miss NONE when no key matched.
 */
static const struct tenant *dp_class_relayed(const struct tenant_registry *reg,
                                             const struct tenant_port_policy *pol,
                                             const struct dp_class_keys *k,
                                             struct dp_class_result *res)
{
	const uint8_t *vss = k->vss;
	uint8_t vss_len = k->vss_len;
	const struct tenant *t;

	if (k->malformed) {
		res->miss = DP_CLASS_MISS_BAD_RELAY_INFO;
		return NULL;
	}
	/*
	 * RFC 6607: the relay agent's sub-option 151 speaks for the relay; option 221 is the
	 * client's own, trusted only where the port says its relays set or check it.
	 */
	if (!vss && k->vss_option && pol->vss_option) {
		vss = k->vss_option;
		vss_len = k->vss_option_len;
	}
	/* Type 255 is the global VPN: no VPN at all, so the other keys decide. */
	if (vss && vss[0] != DP_VSS_TYPE_GLOBAL) {
		t = tenant_registry_by_key(reg, TENANT_KEY_VSS, vss, vss_len);
		if (!t)
			res->miss = DP_CLASS_MISS_UNKNOWN_VPN;
		return dp_class_hit(t, DP_CLASS_VSS, res);
	}
	if (k->circuit_id && (t = tenant_registry_by_key(reg, TENANT_KEY_CIRCUIT_ID, k->circuit_id,
	                                                 k->circuit_id_len)))
		return dp_class_hit(t, DP_CLASS_CIRCUIT_ID, res);
	if (k->remote_id &&
	    (t = tenant_registry_by_key(reg, TENANT_KEY_REMOTE_ID, k->remote_id, k->remote_id_len)))
		return dp_class_hit(t, DP_CLASS_REMOTE_ID, res);
	if (k->circuit_id && (t = tenant_registry_by_key(reg, TENANT_KEY_CIRCUIT_ID_PREFIX,
	                                                 k->circuit_id, k->circuit_id_len)))
		return dp_class_hit(t, DP_CLASS_CIRCUIT_ID_PREFIX, res);
	if (k->remote_id && (t = tenant_registry_by_key(reg, TENANT_KEY_REMOTE_ID_PREFIX,
	                                                k->remote_id, k->remote_id_len)))
		return dp_class_hit(t, DP_CLASS_REMOTE_ID_PREFIX, res);
	/*
	 * RFC 3527 3: link selection names the client's link when giaddr cannot; it is looked
	 * up in its own table (match.link_selection), because it is an address of the
	 * tenant's space, which may overlap another tenant's, while giaddr is the relay's
	 * address in the network that reaches us.
	 */
	if (k->has_link_selection &&
	    (t = tenant_registry_by_addr(reg, TENANT_PREFIX_LINK, k->link_selection, NULL)))
		return dp_class_hit(t, DP_CLASS_LINK_SELECTION, res);
	return dp_class_hit(tenant_registry_by_relay(reg, k->giaddr), DP_CLASS_RELAY, res);
}

const struct tenant *dp_classify_keys(const struct tenant_registry *reg, uint16_t port,
                                      const struct dp_frame *f, const struct dp_class_keys *k,
                                      struct dp_class_result *res)
{
	uint16_t outer = dp_class_vid(f->outer_tpid, f->outer_tci);
	uint16_t inner = dp_class_vid(f->inner_tpid, f->inner_tci);
	const struct tenant *t;

	res->key = DP_CLASS_NONE;
	res->miss = DP_CLASS_MISS_NONE;
	res->relayed = false;
	res->relay_info_ignored = false;
	if (k->giaddr && tenant_registry_relay_link(reg, port, outer, inner)) {
		res->relayed = true;
		t = dp_class_relayed(reg, tenant_registry_port_policy(reg, port), k, res);
		if (t || res->miss != DP_CLASS_MISS_NONE)
			return t;
	} else if (k->giaddr || k->has_relay_info || k->has_vss_option) {
		/*
		 * RFC 3046 2.1: option 82 belongs to relay agents; here it (or a giaddr, or the
		 * client's option 221) came from a link where clients could have written it.
		 * An option 82 with giaddr 0 on a relay link (a layer-2 relay agent) is
		 * ignored too: relay keys count only in relayed requests.
		 */
		if (tenant_registry_port_policy(reg, port)->untrusted == TENANT_UNTRUSTED_DROP &&
		    !(tenant_registry_relay_link(reg, port, outer, inner) && !k->giaddr)) {
			res->miss = DP_CLASS_MISS_UNTRUSTED_RELAY;
			return NULL;
		}
		res->relay_info_ignored = true;
	}
	t = tenant_registry_by_vlan(reg, port, outer, inner);
	if (t)
		return dp_class_hit(t, DP_CLASS_VLAN, res);
	t = tenant_registry_default(reg);
	if (t)
		return dp_class_hit(t, DP_CLASS_DEFAULT, res);
	res->miss = DP_CLASS_MISS_NO_MATCH;
	return NULL;
}

const struct tenant *dp_classify_request(const struct tenant_registry *reg, uint16_t port,
                                         const struct dp_frame *f, struct dp_class_result *res)
{
	struct dp_class_keys k;

	dp_class_scan(f->payload, f->payload_len, &k);
	return dp_classify_keys(reg, port, f, &k, res);
}

const struct tenant *dp_classify_dhcp(const struct tenant_registry *reg, uint16_t port,
                                      const struct dp_frame *f, enum dp_class_key *key)
{
	struct dp_class_result res;
	const struct tenant *t = dp_classify_request(reg, port, f, &res);

	*key = res.key;
	return t;
}

const char *dp_class_key_name(enum dp_class_key key)
{
	static const char *const names[DP_CLASS__COUNT] = {
	    [DP_CLASS_NONE] = "none",
	    [DP_CLASS_VSS] = "vss",
	    [DP_CLASS_CIRCUIT_ID] = "circuit-id",
	    [DP_CLASS_REMOTE_ID] = "remote-id",
	    [DP_CLASS_CIRCUIT_ID_PREFIX] = "circuit-id-prefix",
	    [DP_CLASS_REMOTE_ID_PREFIX] = "remote-id-prefix",
	    [DP_CLASS_LINK_SELECTION] = "link-selection",
	    [DP_CLASS_RELAY] = "relay",
	    [DP_CLASS_VLAN] = "vlan",
	    [DP_CLASS_DEFAULT] = "default",
	};

	return (unsigned)key < DP_CLASS__COUNT ? names[key] : "?";
}

const char *dp_class_miss_name(enum dp_class_miss miss)
{
	static const char *const names[DP_CLASS_MISS__COUNT] = {
	    [DP_CLASS_MISS_NONE] = "none",
	    [DP_CLASS_MISS_NO_MATCH] = "no-match",
	    [DP_CLASS_MISS_UNKNOWN_VPN] = "unknown-vpn",
	    [DP_CLASS_MISS_UNTRUSTED_RELAY] = "untrusted-relay",
	    [DP_CLASS_MISS_BAD_RELAY_INFO] = "bad-relay-info",
	};

	return (unsigned)miss < DP_CLASS_MISS__COUNT ? names[miss] : "?";
}
