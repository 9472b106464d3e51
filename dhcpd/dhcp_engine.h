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
	/*
	 * Fair queueing (dhcp_engine_enqueue): gives back the dataplane's buffer of a queued
	 * message once it has been served (called with tx_ctx; NULL when the caller keeps
	 * the bytes alive until dhcp_engine_serve has served them). Messages queued
	 * at most per engine and per tenant; 0 = DHCP_ENGINE_QUEUE_TOTAL / _TENANT.
	 */
	void (*release)(void *ctx, void *buf);
	uint32_t queue_total;
	uint32_t queue_tenant;
};

/*
 * A tenant's queue must hold more than one loop's worth of its frames (the lcore reads up
 * to DP_RX_ROUNDS bursts of 32 per port before serving): a smaller cap drops a busy but
 * well-behaved tenant's frames whenever the lcore is briefly late. The cap still bounds
 * what one flooding tenant can hold of the engine's entries.
 */
#define DHCP_ENGINE_QUEUE_TOTAL 2048
#define DHCP_ENGINE_QUEUE_TENANT 512

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

/*
 * The engine's counters for tenant @t, or NULL when it does not serve @t. The control
 * thread (a reload, which it runs, replaces instances), or the owner lcore.
 */
const struct tenant_counters *dhcp_engine_counters(const struct dhcp_engine *e,
						   const struct tenant *t);

/*
 * --- Fair service (issue 4) ----------------------------------------------------------
 *
 * Instead of dhcp_engine_input in arrival order, the dataplane queues each message on its
 * tenant's queue and lets the engine serve the queues round-robin, each tenant within its
 * packets-per-second budget (see dhcp_sched.h). Owner lcore only.
 */

/* Sets the lcore's clock for the token buckets (monotonic ns), once per loop. */
void dhcp_engine_clock(struct dhcp_engine *e, uint64_t now_ns);

/*
 * Queues the message @msg (@len bytes, inside the dataplane's buffer @buf) of tenant @t.
 * Returns true when queued: @buf is then given back through params.release once the
 * message has been served. False when it was not queued: the tenant is over its
 * packets-per-second budget (counted, TC_DROP_RATE_LIMIT), its queue or the engine's
 * entries are full (counted, TC_DROP_QUEUE_OVERFLOW), or the engine does not serve @t;
 * the caller keeps @buf and frees it. The budget is checked here, before any parsing,
 * so a flood costs its tenant's budget and little else.
 */
bool dhcp_engine_enqueue(struct dhcp_engine *e, const struct tenant *t,
			 const struct dhcp_path *path, const uint8_t *msg, size_t len, void *buf);

/*
 * As dhcp_engine_enqueue, for the tenant whose database id is @tenant_id: the message was
 * classified on another lcore (the dataplane's hand-off to the tenant's owner), and the
 * engine serves it with the instance it has for that id now, whatever registry snapshot
 * the classifying lcore held. False also when the engine serves no such tenant (a reload
 * removed it meanwhile; nothing is counted then).
 */
bool dhcp_engine_enqueue_id(struct dhcp_engine *e, uint32_t tenant_id,
			    const struct dhcp_path *path, const uint8_t *msg, size_t len, void *buf);

/*
 * Serves up to @budget queued messages, round-robin across tenants: one message of each
 * tenant with messages waiting per round. Returns the number served.
 */
unsigned dhcp_engine_serve(struct dhcp_engine *e, unsigned budget, int64_t now);

/* Messages waiting in the queues. */
unsigned dhcp_engine_queued(const struct dhcp_engine *e);

/*
 * Whether the lease store is holding the engine back: a sixteenth or more of its
 * pending-ACK records wait for commits (a writer that keeps up answers within a batch or
 * two, and few wait), and once they are all taken REQUESTs are dropped until completions
 * come. The dataplane then lets the lease writer have the CPU if they share one. Owner
 * lcore.
 */
bool dhcp_engine_backlogged(const struct dhcp_engine *e);

/* Counts one event @c for tenant @t (a drop the dataplane decided). Owner lcore. */
void dhcp_engine_count(struct dhcp_engine *e, const struct tenant *t, enum tenant_counter c);

/* A tenant's address use. */
struct dhcp_tenant_usage {
	uint64_t pool_size;     /* addresses in the pools */
	uint64_t pool_used;     /* addresses not free: offered, bound, pending, declined, reserved */
	uint64_t active_leases; /* bindings: bound, or a commit in flight */
};

/*
 * The address use of tenant @t; false when this engine does not serve it. Control
 * thread (which alone changes the set of instances, by reloading): the values are read
 * while the lcore changes them, so each is recent, not a snapshot; the active count may
 * run ahead by the bindings released since its last exact count (at most
 * DHCP_ACTIVE_RECOUNT_S seconds ago).
 */
bool dhcp_engine_usage(const struct dhcp_engine *e, const struct tenant *t,
		       struct dhcp_tenant_usage *out);

/*
 * --- Reload (issue 4) ----------------------------------------------------------------
 *
 * The control thread prepares the set of instances the engine serves after a reload (a
 * plan): tenants kept as they are, and an instance built for each new or changed tenant
 * (its pools, its leases read from the database). dhcp_engine_plan_apply hands the plan to
 * the lcore, which swaps it in between two packets: a changed tenant's instance takes
 * over the in-memory state of the one it replaces (offers, pending commits, bindings,
 * quarantines, for every address its pools still hold), its queue and its counters; the
 * instances of tenants not in the plan are retired. ACKs still waiting for a commit
 * complete normally. Control thread only.
 */
struct dhcp_engine_plan;

/* An empty plan. NULL with errno. */
struct dhcp_engine_plan *dhcp_engine_plan_new(struct dhcp_engine *e);

/* Keeps serving @t (a tenant the engine serves now, the same struct) unchanged. 0 or -errno. */
int dhcp_engine_plan_keep(struct dhcp_engine_plan *p, const struct tenant *t);

/*
 * Builds the instance for tenant @t (db_id set; not served yet, or a new version of a
 * served tenant with the same db_id): its pools and its active leases from the database,
 * except the addresses the running instance holds in memory, which it takes over at the
 * swap. The instance holds a reference on @t (tenant_ref). 0 or -errno.
 */
int dhcp_engine_plan_add(struct dhcp_engine_plan *p, const struct tenant *t, int64_t now);

/*
 * Swaps the plan in on the lcore (waiting up to @timeout_ms; -ETIMEDOUT leaves the engine
 * as it was). Tenants served now but not in the plan stop being served. Consumes @p
 * whatever the result. 0 or -errno.
 */
int dhcp_engine_plan_apply(struct dhcp_engine *e, struct dhcp_engine_plan *p, int timeout_ms);

/* Frees a plan that was not applied. NULL is ignored. */
void dhcp_engine_plan_free(struct dhcp_engine_plan *p);

/*
 * Frees the retired instances whose last pending ACK has completed. Control thread,
 * periodically. Returns how many are still waiting.
 */
size_t dhcp_engine_reap(struct dhcp_engine *e);

/* Frees the engine; pending ACKs are dropped. NULL is ignored. */
void dhcp_engine_destroy(struct dhcp_engine *e);

/*
 * --- Admin mailbox: requests from the control thread to the engine's lcore -------------
 *
 * The engine's state has one writer, its lcore. Another thread that needs to change it
 * (mtdhcpctl release, a reload) posts a request into the engine's mailbox (a small SPSC
 * ring of slots the engine owns) and waits; the lcore runs the request at its next
 * dhcp_engine_poll, between two packets, and posts the result back.
 */
enum dhcp_admin_op {
	DHCP_ADMIN_NOP = 0, /* does nothing: tells that the lcore polls (result 0) */
	/*
	 * Frees @address of tenant @tenant_id (its db_id) in memory and records the release
	 * in the lease database (LEASE_OP_RELEASE). The result comes when the row has
	 * committed: 0, or the commit's -errno; -ENOENT when the address holds no active
	 * lease (free, offered, declined, or outside the tenant's pools), -EBUSY while a
	 * commit for it is in flight, -ESRCH when this engine does not serve the tenant,
	 * -EAGAIN when the lease writer's queue is full (nothing was changed).
	 */
	DHCP_ADMIN_RELEASE,
	DHCP_ADMIN_SWAP, /* internal to dhcp_engine_plan_apply (@arg: the plan) */
};

struct dhcp_admin_req {
	enum dhcp_admin_op op;
	uint32_t tenant_id;
	uint32_t address; /* host byte order */
	void *arg;
	int result; /* out: the op's result */
};

/*
 * Runs @req on the engine's lcore and waits up to @timeout_ms for its result, which it
 * returns (and stores in req->result). The lcore copies the request into a slot of the
 * engine, so @req may live on the caller's stack. -ETIMEDOUT when the lcore did not take
 * the request in time: it was withdrawn and will never run; except for a RELEASE that
 * was already done in memory and still waits for its commit, which then completes on
 * its own. -EBUSY when earlier abandoned requests still hold every slot. Any thread but
 * the engine's lcore (one caller at a time; callers are serialised).
 */
int dhcp_engine_admin(struct dhcp_engine *e, struct dhcp_admin_req *req, int timeout_ms);

#endif
