/*
 * The DHCP server engine: one per dataplane lcore, serving the tenants that lcore owns.
 * It applies RFC 2131 to each message, allocates from the tenant's pools in memory,
 * submits lease changes to the lease store and sends a DHCPACK only when the store
 * reports that its row has committed. It never sees an mbuf: the dataplane describes the
 * path a request came by (struct dhcp_path) and receives replies through a callback.
 *
 * Thread safety: an engine belongs to one thread (its lcore) after dhcp_engine_launch;
 * before that, the control thread sets it up.
 */
#ifndef MTDHCP_DHCPD_DHCP_ENGINE_H
#define MTDHCP_DHCPD_DHCP_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "lease-store/lease_store.h"
#include "tenants/counters.h"
#include "tenants/tenant.h"

/* How a request reached us, so that its reply can go back the same way. */
struct dhcp_path {
	uint16_t port;
	uint16_t outer_tpid; /* 0 = untagged */
	uint16_t outer_tci;
	uint16_t inner_tpid; /* 0 = single tag or none */
	uint16_t inner_tci;
	uint8_t src_mac[6]; /* the L2 neighbour that sent the frame: client, relay or router */
	uint32_t src_ip;    /* host byte order */
	uint32_t dst_ip;
	uint16_t src_port;
	uint32_t local_ip; /* our address on this path: server identifier, reply source */
};

/* Where a reply goes; the dataplane adds Ethernet, tags, IPv4 and UDP around it. */
struct dhcp_reply {
	struct dhcp_path path; /* port and tags to send on, copied from the request */
	uint8_t dst_mac[6];
	uint32_t dst_ip; /* host byte order */
	uint16_t dst_port;
	uint32_t src_ip;
	uint16_t src_port;
};

/* Called once per reply; @msg is valid only during the call. */
typedef void (*dhcp_tx_fn)(void *ctx, const struct dhcp_reply *reply, const uint8_t *msg,
			   size_t len);

struct dhcp_engine_params {
	uint16_t owner;            /* this engine's completion queue in the lease store */
	struct lease_store *store; /* not owned */
	dhcp_tx_fn tx;
	void *tx_ctx;
	uint32_t max_pending; /* REQUESTs awaiting their commit at most */
};

struct dhcp_engine;

/* NULL with errno. Control thread. */
struct dhcp_engine *dhcp_engine_create(const struct dhcp_engine_params *params);

/*
 * Starts serving tenant @t (not owned; it must outlive its use, i.e. stay in a published
 * registry): builds its pools and loads its active leases from the store. Control
 * thread, before launch. 0 or -errno.
 */
int dhcp_engine_add_tenant(struct dhcp_engine *e, const struct tenant *t, int64_t now);

/*
 * Handles one DHCP message (the UDP payload) of tenant @t that arrived by @path. Replies
 * that need no commit (OFFER, NAK, INFORM's ACK) go out through the tx callback at once;
 * an ACK waits for its commit. Owner lcore only.
 */
void dhcp_engine_input(struct dhcp_engine *e, const struct tenant *t,
		       const struct dhcp_path *path, const uint8_t *msg, size_t len, int64_t now);

/*
 * Takes lease-store completions and sends the replies that waited for them. Owner lcore,
 * once per loop. Returns the number of completions handled.
 */
unsigned dhcp_engine_poll(struct dhcp_engine *e, int64_t now);

/* The engine's counters for tenant @t, or NULL when it does not serve @t. */
const struct tenant_counters *dhcp_engine_counters(const struct dhcp_engine *e,
						   const struct tenant *t);

/* Frees the engine; pending ACKs are dropped. NULL is ignored. */
void dhcp_engine_destroy(struct dhcp_engine *e);

#endif
