/*
 * Fair service of tenants on one lcore: per-tenant queues served round-robin (see
 * dhcp_sched.h for why). A round takes the tenant at the front of the ring, serves the
 * oldest message of its queue and, if more wait, puts the tenant at the back: a tenant
 * with one message waits for at most one message of every other tenant, however long
 * their queues.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp_instance.h"

int dhcp_sched_init(struct dhcp_sched *s, uint32_t n, uint32_t queue_max)
{
	memset(s, 0, sizeof(*s));
	if (n == 0 || queue_max == 0)
		return -EINVAL;
	s->entries = calloc(n, sizeof(*s->entries));
	s->ring = calloc(n, sizeof(*s->ring));
	if (!s->entries || !s->ring) {
		dhcp_sched_fini(s);
		return -ENOMEM;
	}
	s->n_entries = n;
	s->queue_max = queue_max;
	for (uint32_t i = 0; i < n; i++)
		s->entries[i].next = i + 1 < n ? i + 1 : DHCP_FQ_NONE;
	s->free_head = 0;
	return 0;
}

void dhcp_sched_fini(struct dhcp_sched *s)
{
	free(s->entries);
	free(s->ring);
	memset(s, 0, sizeof(*s));
}

/* Every instance in the ring has a message queued, so the ring never holds more than n. */
static void ring_push(struct dhcp_sched *s, struct dhcp_instance *in)
{
	s->ring[(s->ring_head + s->ring_len) % s->n_entries] = in;
	s->ring_len++;
}

static struct dhcp_instance *ring_pop(struct dhcp_sched *s)
{
	struct dhcp_instance *in = s->ring[s->ring_head];

	s->ring_head = (s->ring_head + 1) % s->n_entries;
	s->ring_len--;
	return in;
}

bool dhcp_sched_push(struct dhcp_engine *e, struct dhcp_instance *in, const struct dhcp_path *path,
                     const uint8_t *msg, size_t len, void *buf)
{
	struct dhcp_sched *s = &e->sched;

	if (in->fq.len >= s->queue_max || s->free_head == DHCP_FQ_NONE || len > UINT32_MAX)
		return false;
	uint32_t i = s->free_head;
	struct dhcp_fq_entry *en = &s->entries[i];

	s->free_head = en->next;
	en->path = *path;
	en->msg = msg;
	en->len = (uint32_t)len;
	en->buf = buf;
	en->next = DHCP_FQ_NONE;
	if (in->fq.len == 0) {
		in->fq.head = i;
		ring_push(s, in);
	} else {
		s->entries[in->fq.tail].next = i;
	}
	in->fq.tail = i;
	in->fq.len++;
	s->queued++;
	return true;
}

/* Takes the oldest entry off @in's queue; the caller frees it with entry_free. */
static uint32_t fq_pop(struct dhcp_sched *s, struct dhcp_instance *in)
{
	uint32_t i = in->fq.head;

	in->fq.head = s->entries[i].next;
	if (--in->fq.len == 0)
		in->fq.head = in->fq.tail = DHCP_FQ_NONE;
	return i;
}

static void entry_free(struct dhcp_engine *e, uint32_t i)
{
	struct dhcp_sched *s = &e->sched;
	struct dhcp_fq_entry *en = &s->entries[i];

	if (e->p.release)
		e->p.release(e->p.tx_ctx, en->buf);
	en->buf = NULL;
	en->msg = NULL;
	en->next = s->free_head;
	s->free_head = i;
	s->queued--;
}

unsigned dhcp_sched_serve(struct dhcp_engine *e, unsigned budget, int64_t now)
{
	struct dhcp_sched *s = &e->sched;
	unsigned done = 0;

	while (done < budget && s->ring_len) {
		struct dhcp_instance *in = ring_pop(s);
		uint32_t i = fq_pop(s, in);
		struct dhcp_fq_entry *en = &s->entries[i];

		if (in->fq.len)
			ring_push(s, in);
		dhcp_engine_handle(e, in, &en->path, en->msg, en->len, now);
		entry_free(e, i);
		done++;
	}
	return done;
}

void dhcp_sched_move(struct dhcp_engine *e, struct dhcp_instance *from, struct dhcp_instance *to)
{
	struct dhcp_sched *s = &e->sched;

	to->fq = from->fq;
	from->fq = (struct dhcp_fq){DHCP_FQ_NONE, DHCP_FQ_NONE, 0};
	for (uint32_t k = 0; k < s->ring_len; k++) {
		uint32_t pos = (s->ring_head + k) % s->n_entries;

		if (s->ring[pos] == from)
			s->ring[pos] = to;
	}
}

void dhcp_sched_drop(struct dhcp_engine *e, struct dhcp_instance *in)
{
	struct dhcp_sched *s = &e->sched;

	if (in->fq.len == 0)
		return;
	while (in->fq.len)
		entry_free(e, fq_pop(s, in));
	/* Close the gap it leaves in the ring, keeping the others' order. */
	uint32_t kept = 0;
	for (uint32_t k = 0; k < s->ring_len; k++) {
		struct dhcp_instance *x = s->ring[(s->ring_head + k) % s->n_entries];

		if (x != in)
			s->ring[(s->ring_head + kept++) % s->n_entries] = x;
	}
	s->ring_len = kept;
}

void dhcp_engine_clock(struct dhcp_engine *e, uint64_t now_ns)
{
	e->now_ns = now_ns;
}

bool dhcp_engine_enqueue(struct dhcp_engine *e, const struct tenant *t,
                         const struct dhcp_path *path, const uint8_t *msg, size_t len, void *buf)
{
	struct dhcp_instance *in = dhcp_instance_of(e, t);

	if (!in)
		return false;
	if (!dhcp_bucket_take(&in->bucket, e->now_ns)) {
		in->counters.v[TC_DROP_RATE_LIMIT]++;
		return false;
	}
	if (!dhcp_sched_push(e, in, path, msg, len, buf)) {
		in->counters.v[TC_DROP_QUEUE_OVERFLOW]++;
		return false;
	}
	return true;
}

unsigned dhcp_engine_serve(struct dhcp_engine *e, unsigned budget, int64_t now)
{
	return dhcp_sched_serve(e, budget, now);
}

unsigned dhcp_engine_queued(const struct dhcp_engine *e)
{
	return e->sched.queued;
}
