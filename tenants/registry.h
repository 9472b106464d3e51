/*
 * The tenant registry: an immutable snapshot of every tenant and the lookup tables that
 * classify a packet to one. The control thread builds a snapshot, publishes it with RCU
 * (liburcu, QSBR flavour), and frees the one it replaced after a grace period; dataplane
 * lcores read the current snapshot without locks and report a quiescent state once per
 * loop.
 *
 * Every lookup is a hash lookup (tenant_map.h), so its cost does not grow with the number
 * of tenants; a prefix lookup costs one hash lookup per distinct prefix length configured
 * for its kind of key. The order in which the classifier asks (VSS, circuit-id, remote-id,
 * link selection, giaddr, VLANs, default) is the dataplane's (dataplane/dp_classify.h);
 * docs/classification.md describes it for operators.
 */
#ifndef MTDHCP_TENANTS_REGISTRY_H
#define MTDHCP_TENANTS_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <urcu/urcu-qsbr.h>

#include "tenant.h"
#include "tenant_map.h"

struct tenant_registry {
	uint64_t generation;
	struct tenant **tenants; /* owned */
	size_t n_tenants;
	struct rcu_head rcu;
};

/* What to do with relay information that arrives off a relay link. */
enum tenant_untrusted_relay {
	TENANT_UNTRUSTED_IGNORE = 0, /* classify the request by its link, as if it had none */
	TENANT_UNTRUSTED_DROP,       /* drop the request */
};

/*
 * Which of a port's links carry relayed requests whose relay information (giaddr, option
 * 82, option 221) may choose a tenant. A link that a tenant claims in match.vlans is never
 * one, whatever is set here: a client on it could write its own relay information.
 */
struct tenant_port_policy {
	bool relays;                 /* relayed requests are accepted on this port */
	const uint16_t *relay_vlans; /* on these outer VLANs (0 = untagged), single-tagged */
	size_t n_relay_vlans;
	bool vss_option; /* RFC 6607 option 221 of a relayed request is trusted */
	enum tenant_untrusted_relay untrusted;
};

/* Service-wide settings of a snapshot; a port without a policy gets the default one. */
struct tenant_registry_params {
	const struct tenant_port_policy *ports; /* indexed by port */
	size_t n_ports;
};

/*
 * The policy of a port the parameters do not cover: relayed requests accepted untagged
 * only, option 221 not trusted, relay information elsewhere ignored.
 */
extern const struct tenant_port_policy tenant_port_policy_default;

/*
 * Builds a snapshot of @n tenants and takes ownership of the array and the tenants, also
 * when it fails. Two tenants that claim the same match key are an error that names both
 * tenants, their files and the key (written to @err); so are two default tenants.
 * @params may be NULL (every port gets the default policy). Returns the snapshot, or
 * NULL with errno (EINVAL for a conflict, ENOMEM).
 */
struct tenant_registry *tenant_registry_build_params(struct tenant **tenants, size_t n,
                                                     const struct tenant_registry_params *params,
                                                     char *err, size_t errlen);

/* tenant_registry_build_params with the default policy on every port. */
struct tenant_registry *tenant_registry_build(struct tenant **tenants, size_t n, char *err,
                                              size_t errlen);

/* Frees a snapshot that was never published, or one after its grace period. */
void tenant_registry_free(struct tenant_registry *reg);

/* Lookups; each returns the tenant or NULL. Any thread holding the snapshot. */

/*
 * The relay address or prefix (match.relays, match.relay_prefixes) that contains @addr,
 * longest prefix first.
 */
const struct tenant *tenant_registry_by_relay(const struct tenant_registry *reg, uint32_t addr);

/*
 * The longest address key of @kind that contains @addr (host order); *@plen, when not
 * NULL, receives its prefix length.
 */
const struct tenant *tenant_registry_by_addr(const struct tenant_registry *reg,
                                             enum tenant_prefix_kind kind, uint32_t addr,
                                             uint8_t *plen);

/*
 * The octet-string key of @kind that matches the @len octets at @data: equal to them for
 * TENANT_KEY_VSS, _CIRCUIT_ID and _REMOTE_ID; their longest configured prefix for the
 * _PREFIX kinds. The whole key is compared, never only its hash.
 */
const struct tenant *tenant_registry_by_key(const struct tenant_registry *reg,
                                            enum tenant_key_kind kind, const uint8_t *data,
                                            size_t len);

const struct tenant *tenant_registry_by_vlan(const struct tenant_registry *reg, uint16_t port,
                                             uint16_t outer, uint16_t inner);
const struct tenant *tenant_registry_by_name(const struct tenant_registry *reg, const char *name);

/* The default tenant (the service's default_tenant), or NULL. */
const struct tenant *tenant_registry_default(const struct tenant_registry *reg);

/*
 * Whether relayed requests that arrive on (@port, @outer, @inner) may be classified by
 * their relay information: the port accepts relayed requests on that VLAN and no tenant
 * claims the link. VLAN ids are 0 for "no tag".
 */
bool tenant_registry_relay_link(const struct tenant_registry *reg, uint16_t port, uint16_t outer,
                                uint16_t inner);

/* The policy of @port (tenant_port_policy_default when none was given). */
const struct tenant_port_policy *tenant_registry_port_policy(const struct tenant_registry *reg,
                                                             uint16_t port);

/* Which list of a tenant's match a conflicting key is in. */
enum tenant_conflict_list {
	TENANT_CONFLICT_RELAY,  /* match.relays[index] */
	TENANT_CONFLICT_VLAN,   /* match.vlans[index] */
	TENANT_CONFLICT_PREFIX, /* match.prefixes[index] */
	TENANT_CONFLICT_KEY,    /* match.keys[index] */
	TENANT_CONFLICT_DEFAULT /* a second default tenant */
};

/*
 * Called once per key of a later tenant (@t, at @ti in the array) that an earlier one
 * (@other) already claims: @list and @index say where the key is in @t's match, @what
 * describes it for messages (e.g. "circuit-id \"capr0\"").
 */
typedef void (*tenant_conflict_fn)(void *ctx, const struct tenant *t, size_t ti,
                                   const struct tenant *other, enum tenant_conflict_list list,
                                   size_t index, const char *what);

/*
 * Finds every match key that two of the @n @tenants claim, calling @fn (which may be NULL)
 * for each. Returns the number of conflicts, or -ENOMEM. The registry refuses exactly
 * these; conf_check.c reports them all with their lines. Keys no table can hold are left
 * to the files' own checks. Control thread.
 */
int tenant_registry_conflicts(struct tenant *const *tenants, size_t n, tenant_conflict_fn fn,
                              void *ctx);

/*
 * Writes a description of key @k into @buf, for messages: e.g. "circuit-id \"capr0\"",
 * "remote-id prefix 01:02", "VSS VPN \"blue\"", "VSS VPN-ID 00:00:5e:00:00:00:01".
 */
void tenant_key_describe(const struct tenant_key *k, char *buf, size_t len);

/* As tenant_key_describe, for an address key: "relay prefix 10.20.0.0/16". */
void tenant_prefix_describe(const struct tenant_prefix *p, char *buf, size_t len);

/*
 * Control thread: makes @reg the current snapshot and frees the previous one after an
 * RCU grace period (call_rcu). Takes ownership of @reg.
 */
void tenant_registry_publish(struct tenant_registry *reg);

/*
 * The current snapshot, or NULL before the first publish. The caller must be a
 * registered QSBR reader (rcu_register_thread) and must not use the pointer past its
 * next quiescent state.
 */
struct tenant_registry *tenant_registry_current(void);

/* Control thread, at exit: unpublishes and frees the current snapshot, waits for RCU. */
void tenant_registry_shutdown(void);

#endif
