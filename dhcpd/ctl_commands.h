/*
 * What the operator surface (the control socket's commands and the metrics) reads of the
 * running daemon, and the control socket's command table built on it.
 *
 * The daemon's state is reached through struct ctl_backend, a table of callbacks that
 * service_ctl.c fills from the service (engines, dataplane ports, lease store, reload), so
 * that these commands never see DPDK and can be tested against a made-up daemon.
 *
 * Thread safety: control thread only, like every callback of the backend.
 */
#ifndef MTDHCP_DHCPD_CTL_COMMANDS_H
#define MTDHCP_DHCPD_CTL_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "dhcpd/ctl_server.h"
#include "lease-store/lease_store.h"
#include "tenants/counters.h"
#include "tenants/registry.h"

/* One named number; drop reasons of a port, for instance. */
struct ctl_counter {
	const char *name; /* static, snake_case */
	uint64_t value;
};

#define CTL_PORT_DROPS_MAX 32

/* One dataplane port as the operator sees it. */
struct ctl_port_info {
	const char *name;
	uint32_t address; /* host order */
	uint8_t prefix_len;
	uint64_t rx, tx, tx_dropped, arp_replies, icmp_replies;
	struct ctl_counter drops[CTL_PORT_DROPS_MAX]; /* by reason */
	size_t n_drops;
	/* DHCP frames given a tenant, by the kind of key that chose it (docs/classification.md) */
	struct ctl_counter classified[CTL_PORT_DROPS_MAX];
	size_t n_classified;
	uint64_t relay_info_ignored; /* relay information off a relay link, ignored */
};

#define CTL_LCORE_STAGES_MAX 16

/* One stage of an lcore's loop (docs/performance.md, "Stage timing"). */
struct ctl_lcore_stage {
	const char *name; /* static: "rx", "parse", ... */
	uint64_t cycles;  /* TSC cycles spent in it */
	uint64_t items;   /* what it handled: frames, messages or completions */
};

/*
 * One dataplane lcore as the operator sees it: the tenants it owns, where its cycles go,
 * how busy it is and what it hands to the other lcores. The numbers count from the start.
 */
struct ctl_lcore_info {
	unsigned index;          /* 0 = the main lcore; it owns the tenants db_id mod n = index */
	unsigned lcore_id;       /* the EAL's lcore id (the -l list) */
	uint64_t tenants;        /* tenants of the registry in force that it owns */
	uint64_t tsc_hz;         /* the TSC's frequency; 0 before the lcore runs */
	uint64_t running_cycles; /* TSC cycles since the lcores started: busy_cycles' whole */
	uint64_t frames;         /* frames received on its queues plus those handed to it */
	uint64_t busy_cycles;    /* loops that found work, overhead included */
	uint64_t busy_loops;
	struct ctl_lcore_stage stages[CTL_LCORE_STAGES_MAX];
	size_t n_stages;
	uint64_t handoff_out;  /* DHCP frames passed to the lcore owning their tenant */
	uint64_t handoff_in;   /* DHCP frames taken from the other lcores */
	uint64_t handoff_full; /* frames freed because the owner's ring was full */
	uint64_t yields;       /* loops that gave the CPU away to a lease writer behind */
};

/*
 * How much of a tenant's address space is in use. The daemon counts in memory (used: not
 * free, i.e. offered, awaiting its commit, bound or declined); mtdhcpctl without the
 * daemon counts the lease database's active leases (used: those in the pools).
 */
struct ctl_pool_use {
	uint64_t size;   /* addresses in its pools */
	uint64_t used;   /* of those, in use */
	uint64_t active; /* active leases (bindings), in the pools or not */
};

struct ctl_backend {
	void *ctx;
	const char *version;
	int64_t started; /* Unix time the daemon started */
	/* The registry in force; the control thread publishes it, so it may read it. */
	const struct tenant_registry *(*registry)(void *ctx);
	size_t (*n_ports)(void *ctx);
	void (*port)(void *ctx, size_t i, struct ctl_port_info *out);
	/* The dataplane's lcores by index; n_lcores NULL when there are none to show. */
	size_t (*n_lcores)(void *ctx);
	void (*lcore)(void *ctx, size_t i, struct ctl_lcore_info *out);
	/* Counters of @t summed over every engine (service_tenant_counters). */
	void (*tenant_counters)(void *ctx, const struct tenant *t, struct tenant_counters *out);
	void (*pool_use)(void *ctx, const struct tenant *t, struct ctl_pool_use *out);
	/* The lease store's counters; false when there is no store. */
	bool (*store_stats)(void *ctx, struct lease_store_stats *out);
	/*
	 * Releases the lease of @t on @address as a client's DHCPRELEASE would (RFC 2131
	 * 4.3.4): 0, -ENOENT when nobody holds it, -ETIMEDOUT when the dataplane did not
	 * answer, or another -errno. NULL when the daemon cannot release.
	 */
	int (*release)(void *ctx, const struct tenant *t, uint32_t address);
	/*
	 * Re-reads the configuration. Fills @reply: CTL_OK with a result describing what
	 * changed, or an error with the report in reply->details. NULL when not supported.
	 */
	enum ctl_status (*reload)(void *ctx, struct ctl_reply *reply);
};

/*
 * The control socket's commands (ping, version, status, stats, tenants, release, reload)
 * over @backend, which must outlive the table. Static storage: one backend per process.
 */
const struct ctl_handler_table *ctl_commands_table(const struct ctl_backend *backend);

/* --- The JSON views, shared by the commands (ctl_view.c) --- */

/* "a.b.c.d" of a host-order address. */
json_t *ctl_view_ipv4(uint32_t addr);

/* The description of @t: its file, match rules, subnets and pools, settings. */
json_t *ctl_view_tenant(const struct ctl_backend *b, const struct tenant *t);

/* @use as {"size":..,"used":..,"use_percent":..,"active_leases":..}. */
json_t *ctl_view_pool_use(const struct ctl_pool_use *use);

/* Every counter of @c by its stable name. */
json_t *ctl_view_counters(const struct tenant_counters *c);

json_t *ctl_view_port(const struct ctl_port_info *p);

json_t *ctl_view_store(const struct lease_store_stats *s);

/* @l with what follows from it: cycles per frame by stage, busy share. */
json_t *ctl_view_lcore(const struct ctl_lcore_info *l);

/* Addresses in @t's pools, as the configuration gives them. */
uint64_t ctl_tenant_pool_size(const struct tenant *t);

#endif
