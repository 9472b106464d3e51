/*
 * Internals shared by the engine's files: one server instance per tenant, and the
 * records of REQUESTs whose ACK waits for a commit. Not a public contract.
 */
#ifndef MTDHCP_DHCPD_DHCP_INSTANCE_H
#define MTDHCP_DHCPD_DHCP_INSTANCE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/log.h"
#include "dhcp_engine.h"
#include "dhcp_msg.h"
#include "dhcp_reply.h"
#include "dhcp_req.h"
#include "pool.h"

struct dhcp_instance {
	const struct tenant *tenant;
	struct pool_set pools;
	struct tenant_counters counters;
	bool exhausted; /* logged once, until an address is found again */
	int64_t last_full_sweep;
	struct log_ratelimit commit_log;
};

/* An ACK that waits for its lease row to commit. */
struct dhcp_pending {
	struct dhcp_req req;
	struct dhcp_instance *inst;
	const struct tenant_subnet *subnet;
	uint32_t yiaddr;
	uint32_t lease_time;
	uint32_t expires;
	uint32_t prev_expires; /* to restore the slot if the commit fails */
	uint8_t prev_state;
	bool in_use;
};

#define DHCP_COOKIE_NO_REPLY UINT32_MAX

struct dhcp_engine {
	struct dhcp_engine_params p;
	struct dhcp_instance **by_id; /* indexed by tenant db_id */
	size_t n_by_id;
	struct dhcp_pending *pending;
	uint32_t *pending_free; /* stack of free pending indexes */
	uint32_t n_pending_free;
	int64_t last_sweep;
	/* Scratch space, so that the fast path neither allocates nor uses a large stack. */
	struct dhcp_msg msg;
	struct dhcp_req req;
	struct lease_change change;
	uint8_t out[DHCP_MSG_MAX];
};

/* The message handlers (dhcp_server.c). Owner lcore. */
void dhcp_server_discover(struct dhcp_engine *e, struct dhcp_instance *in, int64_t now);
void dhcp_server_request(struct dhcp_engine *e, struct dhcp_instance *in, int64_t now);
void dhcp_server_release(struct dhcp_engine *e, struct dhcp_instance *in, int64_t now);

/* Builds and sends @ans for e->req (or @req). Counts the reply. */
void dhcp_engine_send(struct dhcp_engine *e, struct dhcp_instance *in, const struct dhcp_req *req,
		      const struct dhcp_answer *ans);

#endif
