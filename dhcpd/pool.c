#include "pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint64_t mix64(uint64_t x)
{
	/* The client keys are already keyed hashes; a finalizer spreads them over the table. */
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

static int client_map_init(struct pool_client_map *m, size_t expected)
{
	size_t cap = 16;
	while (cap < expected * 2)
		cap <<= 1;
	m->keys = calloc(cap, sizeof(*m->keys));
	m->addrs = calloc(cap, sizeof(*m->addrs));
	if (!m->keys || !m->addrs) {
		free(m->keys);
		free(m->addrs);
		return -ENOMEM;
	}
	m->mask = (uint32_t)(cap - 1);
	return 0;
}

static uint32_t client_map_find(const struct pool_client_map *m, uint64_t key)
{
	for (uint32_t i = (uint32_t)mix64(key) & m->mask;; i = (i + 1) & m->mask) {
		if (m->keys[i] == key)
			return m->addrs[i];
		if (m->keys[i] == 0)
			return 0;
	}
}

/*
 * The table holds at most one entry per pool address and has twice as many slots, so
 * an insert always finds room.
 */
static void client_map_put(struct pool_client_map *m, uint64_t key, uint32_t addr)
{
	uint32_t i = (uint32_t)mix64(key) & m->mask;
	while (m->keys[i] != 0 && m->keys[i] != key)
		i = (i + 1) & m->mask;
	m->keys[i] = key;
	m->addrs[i] = addr;
}

static void client_map_del(struct pool_client_map *m, uint64_t key)
{
	uint32_t i = (uint32_t)mix64(key) & m->mask;
	while (m->keys[i] != key) {
		if (m->keys[i] == 0)
			return;
		i = (i + 1) & m->mask;
	}
	/* Backward-shift deletion keeps every probe chain unbroken without tombstones. */
	for (uint32_t j = (i + 1) & m->mask; m->keys[j] != 0; j = (j + 1) & m->mask) {
		uint32_t home = (uint32_t)mix64(m->keys[j]) & m->mask;
		bool movable = (i <= j) ? (home <= i || home > j) : (home <= i && home > j);
		if (movable) {
			m->keys[i] = m->keys[j];
			m->addrs[i] = m->addrs[j];
			i = j;
		}
	}
	m->keys[i] = 0;
	m->addrs[i] = 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct pool_range *x = a, *y = b;
	return (x->first > y->first) - (x->first < y->first);
}

int pool_set_init(struct pool_set *ps, const struct tenant *t)
{
	memset(ps, 0, sizeof(*ps));
	size_t n = 0;
	for (size_t s = 0; s < t->n_subnets; s++)
		n += t->subnets[s].n_pools;
	ps->ranges = calloc(n ? n : 1, sizeof(*ps->ranges));
	if (!ps->ranges)
		return -ENOMEM;
	for (size_t s = 0; s < t->n_subnets; s++) {
		const struct tenant_subnet *sn = &t->subnets[s];
		for (size_t p = 0; p < sn->n_pools; p++) {
			struct pool_range *r = &ps->ranges[ps->n_ranges++];
			r->first = sn->pools[p].first;
			r->last = sn->pools[p].last;
			r->subnet = (uint16_t)s;
			size_t count = (size_t)r->last - r->first + 1;
			size_t words = (count + 63) / 64;
			r->slots = calloc(count, sizeof(*r->slots));
			r->free_bits = malloc(words * sizeof(*r->free_bits));
			if (!r->slots || !r->free_bits) {
				pool_set_free(ps);
				return -ENOMEM;
			}
			memset(r->free_bits, 0xff, words * sizeof(*r->free_bits));
			if (count % 64)
				r->free_bits[words - 1] = (1ull << (count % 64)) - 1;
			ps->size += count;
		}
	}
	qsort(ps->ranges, ps->n_ranges, sizeof(*ps->ranges), range_cmp);
	int rc = client_map_init(&ps->clients, ps->size);
	if (rc) {
		pool_set_free(ps);
		return rc;
	}
	return 0;
}

void pool_set_free(struct pool_set *ps)
{
	for (size_t i = 0; i < ps->n_ranges; i++) {
		free(ps->ranges[i].slots);
		free(ps->ranges[i].free_bits);
	}
	free(ps->ranges);
	free(ps->clients.keys);
	free(ps->clients.addrs);
	memset(ps, 0, sizeof(*ps));
}

const struct pool_range *pool_range_of(const struct pool_set *ps, uint32_t addr)
{
	size_t lo = 0, hi = ps->n_ranges;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct pool_range *r = &ps->ranges[mid];
		if (addr < r->first)
			hi = mid;
		else if (addr > r->last)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

struct pool_slot *pool_slot(const struct pool_set *ps, uint32_t addr)
{
	const struct pool_range *r = pool_range_of(ps, addr);
	return r ? &r->slots[addr - r->first] : NULL;
}

uint32_t pool_client_addr(const struct pool_set *ps, uint64_t client)
{
	return client ? client_map_find(&ps->clients, client) : 0;
}

static void set_free_bit(const struct pool_range *r, uint32_t off, bool free_now)
{
	uint64_t bit = 1ull << (off % 64);
	if (free_now)
		r->free_bits[off / 64] |= bit;
	else
		r->free_bits[off / 64] &= ~bit;
}

void pool_release(struct pool_set *ps, uint32_t addr)
{
	const struct pool_range *r = pool_range_of(ps, addr);
	if (!r)
		return;
	uint32_t off = addr - r->first;
	struct pool_slot *s = &r->slots[off];
	if (s->state == POOL_FREE)
		return;
	if (s->client && client_map_find(&ps->clients, s->client) == addr)
		client_map_del(&ps->clients, s->client);
	memset(s, 0, sizeof(*s));
	set_free_bit(r, off, true);
	ps->used--;
}

void pool_assign(struct pool_set *ps, uint32_t addr, enum pool_state state, uint64_t client,
		 uint32_t expires)
{
	const struct pool_range *r = pool_range_of(ps, addr);
	if (!r)
		return;
	uint32_t off = addr - r->first;
	struct pool_slot *s = &r->slots[off];

	/* A client holds one address per tenant: drop what it held elsewhere. */
	uint32_t before = client ? client_map_find(&ps->clients, client) : 0;
	if (before && before != addr)
		pool_release(ps, before);
	/* Whoever held this address before loses it. */
	if (s->state != POOL_FREE && s->client != client)
		pool_release(ps, addr);

	if (s->state == POOL_FREE) {
		set_free_bit(r, off, false);
		ps->used++;
	}
	s->state = (uint8_t)state;
	s->client = client;
	s->expires = expires;
	if (client)
		client_map_put(&ps->clients, client, addr);
}

bool pool_available(const struct pool_set *ps, uint32_t addr, uint64_t client, uint32_t now)
{
	const struct pool_slot *s = pool_slot(ps, addr);
	if (!s)
		return false;
	switch (s->state) {
	case POOL_FREE:
		return true;
	case POOL_DECLINED:
		return s->expires <= now;
	case POOL_PENDING:
		/* A commit in flight belongs to its client whatever the clock says. */
		return s->client == client;
	default:
		return s->client == client || s->expires <= now;
	}
}

/* The first set bit at or after @off in @r, or UINT32_MAX. */
static uint32_t range_next_free(const struct pool_range *r, uint32_t off)
{
	uint32_t count = r->last - r->first + 1;
	while (off < count) {
		uint64_t w = r->free_bits[off / 64] >> (off % 64);
		if (w)
			return off + (uint32_t)__builtin_ctzll(w);
		off = (off / 64 + 1) * 64;
	}
	return UINT32_MAX;
}

uint32_t pool_find_free(struct pool_set *ps, int subnet)
{
	for (size_t i = 0; i < ps->n_ranges; i++) {
		struct pool_range *r = &ps->ranges[i];
		if (subnet >= 0 && r->subnet != subnet)
			continue;
		uint32_t off = range_next_free(r, r->cursor);
		if (off == UINT32_MAX && r->cursor)
			off = range_next_free(r, 0);
		if (off == UINT32_MAX)
			continue;
		/*
		 * Moving the cursor past the address hands out addresses round-robin, so a
		 * released address is not given to the next client at once.
		 */
		uint32_t count = r->last - r->first + 1;
		r->cursor = off + 1 < count ? off + 1 : 0;
		return r->first + off;
	}
	return 0;
}

size_t pool_sweep(struct pool_set *ps, uint32_t now, size_t budget,
		  void (*expired)(void *ctx, uint32_t addr, const struct pool_slot *slot), void *ctx)
{
	size_t seen = 0;
	if (ps->n_ranges == 0)
		return 0;
	while (seen < budget && seen < ps->size) {
		if (ps->sweep_range >= ps->n_ranges) {
			ps->sweep_range = 0;
			ps->sweep_off = 0;
		}
		struct pool_range *r = &ps->ranges[ps->sweep_range];
		uint32_t count = r->last - r->first + 1;
		if (ps->sweep_off >= count) {
			ps->sweep_range++;
			ps->sweep_off = 0;
			continue;
		}
		struct pool_slot *s = &r->slots[ps->sweep_off];
		uint32_t addr = r->first + ps->sweep_off;
		ps->sweep_off++;
		seen++;
		if (s->state == POOL_FREE || s->state == POOL_PENDING || s->expires > now)
			continue;
		if (s->state == POOL_BOUND && expired)
			expired(ctx, addr, s);
		pool_release(ps, addr);
	}
	return seen;
}
