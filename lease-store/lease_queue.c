/*
 * The submission and completion queues of the lease store (see lease_queue.h).
 *
 * Memory ordering: a producer publishes a slot's contents with a release store of its
 * sequence number; the consumer reads that number with acquire before it copies the slot,
 * and hands the slot back with a release store that the next producer's acquire load pairs
 * with. Positions are free-running size_t counters; differences are taken as signed so
 * wrap-around is harmless.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lease-store/lease_queue.h"

size_t lease_queue_capacity(size_t n)
{
	size_t cap = 2;

	if (n > LEASE_QUEUE_MAX)
		return 0;
	while (cap < n)
		cap <<= 1;
	return cap;
}

int lease_sq_init(struct lease_sq *q, size_t capacity)
{
	if (capacity < 2 || (capacity & (capacity - 1)) != 0)
		return -EINVAL;
	q->slots = calloc(capacity, sizeof(*q->slots));
	if (q->slots == NULL)
		return -ENOMEM;
	q->mask = capacity - 1;
	for (size_t i = 0; i < capacity; i++)
		atomic_init(&q->slots[i].seq, i);
	atomic_init(&q->enqueue_pos, 0);
	q->dequeue_pos = 0;
	return 0;
}

void lease_sq_fini(struct lease_sq *q)
{
	free(q->slots);
	q->slots = NULL;
}

bool lease_sq_push(struct lease_sq *q, const struct lease_change *change, size_t *out_pos)
{
	size_t pos = atomic_load_explicit(&q->enqueue_pos, memory_order_relaxed);
	struct lease_sq_slot *slot;

	for (;;) {
		slot = &q->slots[pos & q->mask];
		size_t seq = atomic_load_explicit(&slot->seq, memory_order_acquire);
		intptr_t diff = (intptr_t)seq - (intptr_t)pos;

		if (diff == 0) {
			/* The slot is free for this position: try to claim the position. */
			if (atomic_compare_exchange_weak_explicit(&q->enqueue_pos, &pos, pos + 1,
			                                          memory_order_relaxed,
			                                          memory_order_relaxed))
				break;
			/* Lost the race: pos now holds the current position, try it. */
		} else if (diff < 0) {
			/* The slot still holds the item of pos - capacity: the queue is full. */
			return false;
		} else {
			/* Another producer claimed pos already; catch up. */
			pos = atomic_load_explicit(&q->enqueue_pos, memory_order_relaxed);
		}
	}
	memcpy(&slot->change, change, sizeof(*change));
	atomic_store_explicit(&slot->seq, pos + 1, memory_order_release);
	if (out_pos != NULL)
		*out_pos = pos;
	return true;
}

bool lease_sq_ready_at(struct lease_sq *q, size_t ahead)
{
	size_t pos = q->dequeue_pos + ahead;
	const struct lease_sq_slot *slot = &q->slots[pos & q->mask];

	return atomic_load_explicit(&slot->seq, memory_order_acquire) == pos + 1;
}

bool lease_sq_ready(struct lease_sq *q)
{
	return lease_sq_ready_at(q, 0);
}

size_t lease_sq_head(const struct lease_sq *q)
{
	return q->dequeue_pos;
}

bool lease_sq_pop(struct lease_sq *q, struct lease_change *out)
{
	size_t pos = q->dequeue_pos;
	struct lease_sq_slot *slot = &q->slots[pos & q->mask];

	/*
	 * A position claimed by a producer that has not published yet reads as empty; the
	 * writer comes back for it, since that producer wakes it after publishing.
	 */
	if (atomic_load_explicit(&slot->seq, memory_order_acquire) != pos + 1)
		return false;
	memcpy(out, &slot->change, sizeof(*out));
	atomic_store_explicit(&slot->seq, pos + q->mask + 1, memory_order_release);
	q->dequeue_pos = pos + 1;
	return true;
}

size_t lease_sq_accepted(const struct lease_sq *q)
{
	return atomic_load_explicit(&q->enqueue_pos, memory_order_relaxed);
}

int lease_cq_init(struct lease_cq *q, size_t capacity)
{
	if (capacity < 2 || (capacity & (capacity - 1)) != 0)
		return -EINVAL;
	q->ring = calloc(capacity, sizeof(*q->ring));
	if (q->ring == NULL)
		return -ENOMEM;
	q->mask = capacity - 1;
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	atomic_init(&q->credits, capacity);
	return 0;
}

void lease_cq_fini(struct lease_cq *q)
{
	free(q->ring);
	q->ring = NULL;
}

bool lease_cq_push(struct lease_cq *q, const struct lease_completion *c)
{
	size_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
	size_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);

	if (head - tail > q->mask)
		return false;
	q->ring[head & q->mask] = *c;
	atomic_store_explicit(&q->head, head + 1, memory_order_release);
	return true;
}

size_t lease_cq_pop(struct lease_cq *q, struct lease_completion *out, size_t max)
{
	size_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	size_t head = atomic_load_explicit(&q->head, memory_order_acquire);
	size_t n = head - tail;

	if (n > max)
		n = max;
	for (size_t i = 0; i < n; i++)
		out[i] = q->ring[(tail + i) & q->mask];
	atomic_store_explicit(&q->tail, tail + n, memory_order_release);
	return n;
}

bool lease_cq_take_credit(struct lease_cq *q)
{
	size_t c = atomic_load_explicit(&q->credits, memory_order_relaxed);

	do {
		if (c == 0)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(
	    &q->credits, &c, c - 1, memory_order_acquire, memory_order_relaxed));
	return true;
}

void lease_cq_give_credits(struct lease_cq *q, size_t n)
{
	/*
	 * Release, paired with the acquire in lease_cq_take_credit: the tail store of the poll
	 * that freed these slots then happens before the submission that uses the credit, and
	 * so before the writer pushes its completion, even when the submitter is another
	 * thread than the owner.
	 */
	atomic_fetch_add_explicit(&q->credits, n, memory_order_release);
}
