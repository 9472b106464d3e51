/*
 * A made-up daemon for the control socket and metrics tests: two tenants that share
 * 192.168.1.0/24 (acme behind relay 192.168.1.1, globex on VLAN 100 of port "uplink"),
 * counters and pool use the test sets, two ports, two lcores (index 0 busy, index 1 on EAL
 * lcore 3 without a frame yet), and release/reload that record their calls and answer
 * what the test asks.
 */
#ifndef MTDHCP_TESTS_CTL_TESTUTIL_H
#define MTDHCP_TESTS_CTL_TESTUTIL_H

#include "dhcpd/ctl_commands.h"

#define CTL_IP(a, b, c, d)                                                                         \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

struct ctl_fake {
	struct tenant_registry *reg;
	struct tenant_counters counters[2]; /* by registry index */
	struct ctl_pool_use use[2];
	struct ctl_port_info ports[2];
	size_t n_ports;
	struct ctl_lcore_info lcores[2];
	size_t n_lcores;
	struct lease_store_stats store;
	int release_rc;
	int n_release;
	uint32_t released_tenant, released_addr;
	enum ctl_status reload_status;
	int n_reload;
	struct ctl_backend backend;
};

/* Builds the fake (registry, ports, backend); the counters and pool use start at zero. */
void ctl_fake_init(struct ctl_fake *f, bool with_reload);

void ctl_fake_free(struct ctl_fake *f);

/* The registry index of tenant @name. */
size_t ctl_fake_index(const struct ctl_fake *f, const char *name);

/*
 * Runs one request line through the command table of @f and returns the parsed response
 * (asserting it is one JSON object on one line).
 */
json_t *ctl_fake_call(const struct ctl_handler_table *table, const char *line);

#endif
