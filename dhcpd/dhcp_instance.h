/*
 * Internals shared by the engine's files: one server instance per tenant, and the
 * records of REQUESTs whose ACK waits for a commit. Not a public contract.
 */
#ifndef MTDHCP_DHCPD_DHCP_INSTANCE_H
#define MTDHCP_DHCPD_DHCP_INSTANCE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/log.h"
#include "dhcp_bucket.h"
#include "dhcp_engine.h"
#include "dhcp_sched.h"
#include "dhcp_msg.h"
#include "dhcp_reply.h"
#include "dhcp_req.h"
#include "pool.h"

struct dhcp_instance {
	const struct tenant *tenant;
	struct pool_set pools;
	struct tenant_counters counters;
	bool exhausted; /* logged once, until an address is found again */
	/*
	 * The "no free address" and "at max_leases" warnings, each logged at most once per
	 * DHCP_STATE_LOG_INTERVAL_S: a tenant that hovers at its limit would otherwise log a
	 * pair (warning, recovery) per address that turns over.
	 */
	struct log_ratelimit exhausted_log;
	struct log_ratelimit cap_log;
	int64_t last_full_sweep;
	struct log_ratelimit commit_log;
	struct log_ratelimit decline_log; /* protocol (issue 3): DECLINEs, logged at a limited rate */
	/* --- Isolation (issue 4): limits, fair queue, reload ------------------------------ */
	size_t active;          /* bindings (bound or pending): exact at active_counted, see
				   dhcp_limits.c, then kept up to date or overestimated */
	int64_t active_counted; /* when active was last counted exactly */
	bool at_cap;            /* at max_leases: logged once, until below again */
	struct dhcp_bucket bucket; /* the packets-per-second budget */
	struct dhcp_fq fq;         /* messages waiting for their turn (dhcp_sched.c) */
	/*
	 * An instance replaced or removed by a reload is retired: the lcore no longer serves
	 * it, but ACKs waiting for a commit still point at it (and at its tenant, which it
	 * holds a reference to) until they complete. pending_refs counts them; the control
	 * thread frees the instance once it is zero (dhcp_engine_reap).
	 */
	const struct tenant *prev_tenant; /* the tenant this one replaced, until the next reload */
	atomic_uint pending_refs;
	bool retired;
	bool retiring; /* marked during the swap that retires it */
	struct dhcp_instance *next_retired; /* the control thread's list of retired instances */
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

/* --- Isolation (issue 4): the admin mailbox and the fair queue --------------------------- */

#define DHCP_ADMIN_SLOTS 8
/* Completions of an admin request's lease change carry cookie DHCP_COOKIE_ADMIN + slot. */
#define DHCP_COOKIE_ADMIN (DHCP_COOKIE_NO_REPLY - DHCP_ADMIN_SLOTS)

enum dhcp_admin_state {
	DHCP_ADMIN_FREE = 0,
	DHCP_ADMIN_POSTED,    /* waits for the lcore */
	DHCP_ADMIN_RUNNING,   /* the lcore runs it now */
	DHCP_ADMIN_WAITING,   /* done in memory, waits for its commit */
	DHCP_ADMIN_DONE,      /* result ready for the poster */
	DHCP_ADMIN_CANCELLED, /* withdrawn before the lcore took it; the lcore frees the slot */
	DHCP_ADMIN_ABANDONED, /* the poster gave up waiting for the commit; the lcore frees it */
};

struct dhcp_admin_slot {
	atomic_int state; /* enum dhcp_admin_state */
	struct dhcp_admin_req req;
};

/* A single-producer ring of slots: slot i % DHCP_ADMIN_SLOTS holds request i. */
struct dhcp_admin_box {
	struct dhcp_admin_slot slots[DHCP_ADMIN_SLOTS];
	atomic_uint head;          /* requests posted; written under post_lock */
	atomic_uint tail;          /* requests taken; written by the lcore */
	pthread_mutex_t post_lock; /* serialises the posting threads */
};

struct dhcp_engine {
	struct dhcp_engine_params p;
	struct dhcp_instance **by_id; /* indexed by tenant db_id */
	size_t n_by_id;
	struct dhcp_pending *pending;
	uint32_t *pending_free; /* stack of free pending indexes */
	uint32_t n_pending_free;
	int64_t last_sweep;
	/* --- Isolation (issue 4) ----------------------------------------------------------- */
	struct dhcp_admin_box admin;
	struct dhcp_sched sched;
	uint64_t now_ns;                 /* the lcore's clock for token buckets (dhcp_engine_clock) */
	struct dhcp_instance *retired;   /* retired instances not yet freed (control thread) */
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
/* --- Protocol (issue 3): the other handlers (dhcp_server_notify.c) ----------------------- */
void dhcp_server_decline(struct dhcp_engine *e, struct dhcp_instance *in, int64_t now);
void dhcp_server_inform(struct dhcp_engine *e, struct dhcp_instance *in, int64_t now);
/* The counter of a parse error's reason (each parse error also counts as malformed). */
enum tenant_counter dhcp_server_parse_counter(enum dhcp_parse_error err);

/* Builds and sends @ans for e->req (or @req). Counts the reply. */
void dhcp_engine_send(struct dhcp_engine *e, struct dhcp_instance *in, const struct dhcp_req *req,
		      const struct dhcp_answer *ans);

/* --- Isolation (issue 4): internals shared by the engine's files ----------------------- */

/* The instance serving @t (the current or the replaced version of the tenant), or NULL. */
struct dhcp_instance *dhcp_instance_of(const struct dhcp_engine *e, const struct tenant *t);

/*
 * Builds an instance for @t: pools, limits, and the active leases from the store except
 * those whose address has a slot in @skip (NULL = load all). Holds a reference on @t.
 * NULL with errno. Control thread.
 */
struct dhcp_instance *dhcp_instance_build(struct dhcp_engine *e, const struct tenant *t,
					  int64_t now, const struct pool_set *skip);

/* Frees an instance that no lcore serves and no pending ACK points at. */
void dhcp_instance_free(struct dhcp_instance *in);

/* The message handling behind dhcp_engine_input, for an instance already found. */
void dhcp_engine_handle(struct dhcp_engine *e, struct dhcp_instance *in,
			const struct dhcp_path *path, const uint8_t *msg, size_t len, int64_t now);

/* dhcp_admin.c: the mailbox. */
int dhcp_admin_init(struct dhcp_admin_box *box);
void dhcp_admin_fini(struct dhcp_admin_box *box);
void dhcp_admin_run(struct dhcp_engine *e, int64_t now);                  /* lcore */
void dhcp_admin_complete(struct dhcp_engine *e, uint32_t cookie, int status); /* lcore */

/* dhcp_reconcile.c: the lcore's side of a reload (DHCP_ADMIN_SWAP). 0 or -errno. */
int dhcp_reconcile_swap(struct dhcp_engine *e, void *plan, int64_t now);

/* dhcp_limits.c: leases cap, token bucket, gauges. */

/* The least time between two "no free address" (or "at max_leases") warnings of a tenant. */
#define DHCP_STATE_LOG_INTERVAL_S 60

/* Seconds between exact counts of a tenant's bindings (see dhcp_instance.active). */
#define DHCP_ACTIVE_RECOUNT_S 10

/* Bindings (bound, or pending: a commit in flight) in @ps, counted. */
size_t dhcp_limits_count_active(const struct pool_set *ps);

/*
 * True when the DISCOVER of client @client must get no offer because the tenant is at
 * its max_leases and the client holds no binding; counts it (TC_DROP_LEASE_CAP).
 */
bool dhcp_limits_lease_cap(struct dhcp_instance *in, uint64_t client, int64_t now);

/* Sets the instance's token bucket from its tenant's limits (@keep: carry the tokens). */
void dhcp_limits_bucket(struct dhcp_instance *in, uint64_t now_ns, bool keep);

/* Once a second: refreshes the gauges, and counts bindings exactly when due. */
void dhcp_limits_tick(struct dhcp_instance *in, int64_t now);

#endif
