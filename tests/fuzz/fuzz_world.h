/*
 * The fixed world fuzz_frame runs frames against, built once per process: a service
 * configuration with four ports and six tenants (direct, VLAN, QinQ, relayed and option 82
 * ones that match the captures in tests/captures, and some with tiny pools), loaded with
 * the real configuration loader; the tenant registry built from it with each port's relay
 * policy; a real lease store on tmpfs with its writer thread running; and one DHCP engine
 * serving every tenant.
 *
 * Time is the world's own clock, which only moves forward: fuzz inputs advance it, so
 * that offers lapse and leases expire (RFC 2131 4.4.5) within a run.
 */
#ifndef MTDHCP_TESTS_FUZZ_FUZZ_WORLD_H
#define MTDHCP_TESTS_FUZZ_FUZZ_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "dhcpd/dhcp_engine.h"
#include "lease-store/lease_store.h"
#include "tenants/registry.h"

/* The ports of the world: fuzz_frame's records name one with two bits. */
#define FUZZ_WORLD_PORTS 4

struct fuzz_world {
	char dir[256];
	struct conf *conf; /* the service part: ports and their addresses */
	struct tenant_registry *reg;
	struct lease_store *store;
	struct dhcp_engine *engine;
	int64_t epoch; /* the clock when the world was built */
	int64_t now;
	uint64_t completions; /* lease-store completions the engine has taken */
};

/* Builds the world; aborts when it cannot (the target is useless without it). */
void fuzz_world_open(struct fuzz_world *w, dhcp_tx_fn tx, void *tx_ctx);

/* Stops the writer, frees everything and removes the world's files. */
void fuzz_world_close(struct fuzz_world *w);

/*
 * Lets the lease writer finish every change submitted so far and hands the completions to
 * the engine, which sends the ACKs that waited for them. Aborts if the writer does not
 * answer within a minute: a hang is a finding too.
 */
void fuzz_world_settle(struct fuzz_world *w);

/* The number of ports, and the address of port @port (host order). */
size_t fuzz_world_n_ports(const struct fuzz_world *w);
uint32_t fuzz_world_port_address(const struct fuzz_world *w, uint16_t port);

#endif
