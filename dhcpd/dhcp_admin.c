/*
 * The admin mailbox: requests from the control thread to the engine's lcore.
 *
 * The engine owns DHCP_ADMIN_SLOTS slots used as a ring: a poster copies its request into
 * the slot at head and advances head; the lcore takes slots from tail in dhcp_engine_poll.
 * Each slot's state is an atomic that both sides move with compare-and-swap, so that a
 * poster that gives up can withdraw a request the lcore has not taken, and a request the
 * lcore has taken always finishes in a slot the engine owns: a poster's timeout never
 * leaves the lcore writing into memory that is gone.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "dhcp_instance.h"

int dhcp_admin_init(struct dhcp_admin_box *box)
{
	memset(box->slots, 0, sizeof(box->slots));
	atomic_init(&box->head, 0);
	atomic_init(&box->tail, 0);
	for (size_t i = 0; i < DHCP_ADMIN_SLOTS; i++)
		atomic_init(&box->slots[i].state, DHCP_ADMIN_FREE);
	return -pthread_mutex_init(&box->post_lock, NULL);
}

void dhcp_admin_fini(struct dhcp_admin_box *box)
{
	pthread_mutex_destroy(&box->post_lock);
}

static bool admin_cas(struct dhcp_admin_slot *slot, int from, int to)
{
	return atomic_compare_exchange_strong_explicit(&slot->state, &from, to,
	                                               memory_order_acq_rel, memory_order_acquire);
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Takes the result of a finished slot and frees it. */
static int admin_collect(struct dhcp_admin_slot *slot, struct dhcp_admin_req *req)
{
	req->result = slot->req.result;
	atomic_store_explicit(&slot->state, DHCP_ADMIN_FREE, memory_order_release);
	return req->result;
}

int dhcp_engine_admin(struct dhcp_engine *e, struct dhcp_admin_req *req, int timeout_ms)
{
	struct dhcp_admin_box *box = &e->admin;
	int64_t deadline = mono_ns() + (int64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000;
	long nap_ns = 20000;
	int rc;

	pthread_mutex_lock(&box->post_lock);
	unsigned head = atomic_load_explicit(&box->head, memory_order_relaxed);
	struct dhcp_admin_slot *slot = &box->slots[head % DHCP_ADMIN_SLOTS];
	if (atomic_load_explicit(&slot->state, memory_order_acquire) != DHCP_ADMIN_FREE) {
		/* Earlier requests were abandoned and the lcore has not finished them yet. */
		pthread_mutex_unlock(&box->post_lock);
		req->result = -EBUSY;
		return -EBUSY;
	}
	slot->req = *req;
	slot->req.result = 0;
	atomic_store_explicit(&slot->state, DHCP_ADMIN_POSTED, memory_order_release);
	atomic_store_explicit(&box->head, head + 1, memory_order_release);

	for (;;) {
		int st = atomic_load_explicit(&slot->state, memory_order_acquire);

		if (st == DHCP_ADMIN_DONE) {
			rc = admin_collect(slot, req);
			break;
		}
		if (mono_ns() >= deadline) {
			/* Withdraw it if the lcore has not taken it: then it never runs. */
			if (st == DHCP_ADMIN_POSTED &&
			    admin_cas(slot, DHCP_ADMIN_POSTED, DHCP_ADMIN_CANCELLED)) {
				req->result = rc = -ETIMEDOUT;
				break;
			}
			/*
			 * Done in memory, waiting for the commit: the slot finishes without us.
			 * The lcore frees it when the completion comes.
			 */
			if (st == DHCP_ADMIN_WAITING &&
			    admin_cas(slot, DHCP_ADMIN_WAITING, DHCP_ADMIN_ABANDONED)) {
				req->result = rc = -ETIMEDOUT;
				break;
			}
			/*
			 * Running: the lcore finishes a request within one poll, and it may be
			 * using memory the request points to, so wait for it.
			 */
		}
		struct timespec ts = {0, nap_ns};
		nanosleep(&ts, NULL);
		if (nap_ns < 1000000)
			nap_ns *= 2;
	}
	pthread_mutex_unlock(&box->post_lock);
	return rc;
}

/* Finishes the slot: its result goes to the poster, or the slot is freed if abandoned. */
static void admin_finish(struct dhcp_admin_slot *slot, int from, int result)
{
	slot->req.result = result;
	if (!admin_cas(slot, from, DHCP_ADMIN_DONE))
		atomic_store_explicit(&slot->state, DHCP_ADMIN_FREE, memory_order_release);
}

/* The operator's release of one lease (mtdhcpctl release). Returns a result or 1 = waits. */
static int admin_release(struct dhcp_engine *e, const struct dhcp_admin_req *req, uint32_t cookie,
                         int64_t now)
{
	struct dhcp_instance *in = req->tenant_id < e->n_by_id ? e->by_id[req->tenant_id] : NULL;
	if (!in)
		return -ESRCH;
	struct pool_slot *slot = pool_slot(&in->pools, req->address);
	if (!slot)
		return -ENOENT;
	if (slot->state == POOL_PENDING)
		return -EBUSY;
	if (slot->state != POOL_BOUND)
		return -ENOENT;

	struct lease_change *ch = &e->change;
	memset(ch, 0, sizeof(*ch));
	ch->op = LEASE_OP_RELEASE;
	ch->owner = e->p.owner;
	ch->cookie = cookie;
	ch->rec.tenant_id = in->tenant->db_id;
	ch->rec.address = req->address;
	ch->rec.state = LEASE_STATE_RELEASED;
	ch->rec.end_time = now;
	ch->rec.cltt = now;
	int rc = lease_store_submit(e->p.store, ch);
	if (rc)
		return rc;
	/* Like a client's DHCPRELEASE (RFC 2131 4.3.4): the address is free at once. */
	pool_release(&in->pools, req->address);
	if (in->active)
		in->active--;
	in->counters.v[TC_ADMIN_RELEASED]++;
	return 1;
}

void dhcp_admin_run(struct dhcp_engine *e, int64_t now)
{
	struct dhcp_admin_box *box = &e->admin;
	unsigned head = atomic_load_explicit(&box->head, memory_order_acquire);
	unsigned tail = atomic_load_explicit(&box->tail, memory_order_relaxed);

	for (; tail != head; tail++) {
		unsigned idx = tail % DHCP_ADMIN_SLOTS;
		struct dhcp_admin_slot *slot = &box->slots[idx];

		if (!admin_cas(slot, DHCP_ADMIN_POSTED, DHCP_ADMIN_RUNNING)) {
			/* Withdrawn by its poster. */
			atomic_store_explicit(&slot->state, DHCP_ADMIN_FREE, memory_order_release);
			continue;
		}
		int rc;
		switch (slot->req.op) {
		case DHCP_ADMIN_NOP:
			rc = 0;
			break;
		case DHCP_ADMIN_RELEASE:
			rc = admin_release(e, &slot->req, DHCP_COOKIE_ADMIN + idx, now);
			break;
		case DHCP_ADMIN_SWAP:
			rc = dhcp_reconcile_swap(e, slot->req.arg, now);
			break;
		default:
			rc = -EOPNOTSUPP;
			break;
		}
		if (rc == 1)
			atomic_store_explicit(&slot->state, DHCP_ADMIN_WAITING,
			                      memory_order_release);
		else
			admin_finish(slot, DHCP_ADMIN_RUNNING, rc);
	}
	atomic_store_explicit(&box->tail, tail, memory_order_release);
}

void dhcp_admin_complete(struct dhcp_engine *e, uint32_t cookie, int status)
{
	uint32_t idx = cookie - DHCP_COOKIE_ADMIN;

	if (idx >= DHCP_ADMIN_SLOTS)
		return;
	admin_finish(&e->admin.slots[idx], DHCP_ADMIN_WAITING, status);
}
