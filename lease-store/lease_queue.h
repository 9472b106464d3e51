/*
 * Private to lease-store: the queues between the DHCP engines and the lease writer.
 *
 * lease_sq is the submission queue, a bounded multi-producer queue after Dmitry Vyukov's
 * design: every slot carries a sequence number that tells producers and the consumer
 * whether the slot is free for position p (seq == p) or holds the item of position p
 * (seq == p + 1). Producers claim a position with one compare-and-swap and never wait:
 * a full queue is reported, not waited for. Only one thread (the writer) consumes.
 *
 * lease_cq is a completion queue, single producer (the writer) and single consumer (the
 * owner lcore), with free-running head and tail counters.
 */
#ifndef MTDHCP_LEASE_STORE_LEASE_QUEUE_H
#define MTDHCP_LEASE_STORE_LEASE_QUEUE_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "lease-store/lease_store.h"

#define LEASE_QUEUE_CACHE_LINE 64
/* Large enough for any real deployment, small enough that the rounding cannot overflow. */
#define LEASE_QUEUE_MAX ((size_t)1 << 24)

struct lease_sq_slot {
	atomic_size_t seq;
	struct lease_change change;
};

struct lease_sq {
	/* Producers write enqueue_pos, the consumer dequeue_pos: separate cache lines. */
	alignas(LEASE_QUEUE_CACHE_LINE) atomic_size_t enqueue_pos;
	alignas(LEASE_QUEUE_CACHE_LINE) size_t dequeue_pos;
	size_t mask;
	struct lease_sq_slot *slots;
};

struct lease_cq {
	alignas(LEASE_QUEUE_CACHE_LINE) atomic_size_t head; /* written by the writer */
	alignas(LEASE_QUEUE_CACHE_LINE) atomic_size_t tail; /* written by the owner */
	/*
	 * Completions this owner may still be owed: taken by lease_store_submit, given back by
	 * lease_store_poll. They bound the changes of one owner in flight to the ring size.
	 */
	alignas(LEASE_QUEUE_CACHE_LINE) atomic_size_t credits;
	size_t mask;
	struct lease_completion *ring;
};

/* The smallest power of two >= @n (and >= 2), or 0 when @n exceeds LEASE_QUEUE_MAX. */
size_t lease_queue_capacity(size_t n);

/* 0 or -errno. @capacity must come from lease_queue_capacity. Single thread. */
int lease_sq_init(struct lease_sq *q, size_t capacity);
void lease_sq_fini(struct lease_sq *q);

/*
 * Copies @change in and, when @pos is not NULL, stores the position it took there (the
 * count of changes accepted before it). Any thread; false when the queue is full. Never
 * blocks.
 */
bool lease_sq_push(struct lease_sq *q, const struct lease_change *change, size_t *pos);

/* Copies the oldest change out. Consumer thread only; false when none is ready. */
bool lease_sq_pop(struct lease_sq *q, struct lease_change *out);

/* Whether lease_sq_pop would return a change now. Consumer thread only. */
bool lease_sq_ready(struct lease_sq *q);

/*
 * Whether the change @ahead places after the next one to pop has been published (0 is
 * the next one). Consumer thread only; @ahead must be below the capacity.
 */
bool lease_sq_ready_at(struct lease_sq *q, size_t ahead);

/* The position of the next change to pop. Consumer thread only. */
size_t lease_sq_head(const struct lease_sq *q);

/* How many changes were ever accepted. Any thread. */
size_t lease_sq_accepted(const struct lease_sq *q);

/* 0 or -errno. Starts with @capacity credits. Single thread. */
int lease_cq_init(struct lease_cq *q, size_t capacity);
void lease_cq_fini(struct lease_cq *q);

/* Writer only; false when the ring is full. */
bool lease_cq_push(struct lease_cq *q, const struct lease_completion *c);

/* Owner only: takes up to @max completions. Returns the number taken. */
size_t lease_cq_pop(struct lease_cq *q, struct lease_completion *out, size_t max);

/* Takes one credit; false when none is left. Any thread. */
bool lease_cq_take_credit(struct lease_cq *q);

/* Gives back @n credits. Any thread. */
void lease_cq_give_credits(struct lease_cq *q, size_t n);

#endif
