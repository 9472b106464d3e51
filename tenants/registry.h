/*
 * The tenant registry: an immutable snapshot of every tenant and the lookup tables that
 * classify a packet to one. The control thread builds a snapshot, publishes it with RCU
 * (liburcu, QSBR flavour), and frees the one it replaced after a grace period; dataplane
 * lcores read the current snapshot without locks and report a quiescent state once per
 * loop.
 */
#ifndef MTDHCP_TENANTS_REGISTRY_H
#define MTDHCP_TENANTS_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include <urcu/urcu-qsbr.h>

#include "tenant.h"
#include "tenant_map.h"

struct tenant_registry {
	uint64_t generation;
	struct tenant **tenants; /* owned */
	size_t n_tenants;
	struct tenant_map by_relay; /* relay address -> tenant index */
	struct tenant_map by_vlan;  /* (port, outer, inner) -> tenant index */
	struct rcu_head rcu;
};

/*
 * Builds a snapshot of @n tenants and takes ownership of the array and the tenants, also
 * when it fails. Two tenants that claim the same match key are an error that names both
 * tenants, their files and the key (written to @err). Returns the snapshot, or NULL with
 * errno (EINVAL for a conflict, ENOMEM).
 */
struct tenant_registry *tenant_registry_build(struct tenant **tenants, size_t n, char *err,
					      size_t errlen);

/* Frees a snapshot that was never published, or one after its grace period. */
void tenant_registry_free(struct tenant_registry *reg);

/* Lookups; each returns the tenant or NULL. Any thread holding the snapshot. */
const struct tenant *tenant_registry_by_relay(const struct tenant_registry *reg, uint32_t addr);
const struct tenant *tenant_registry_by_vlan(const struct tenant_registry *reg, uint16_t port,
					     uint16_t outer, uint16_t inner);
const struct tenant *tenant_registry_by_name(const struct tenant_registry *reg, const char *name);

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
