/*
 * A tenant's address state in memory: ranges with a free bitmap and a cursor, fixed slots
 * for reserved addresses outside the pools, the client table and the reservation table.
 */
#include "pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client_key.h"

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

static int fixed_cmp(const void *a, const void *b)
{
	const struct pool_fixed *x = a, *y = b;
	return (x->addr > y->addr) - (x->addr < y->addr);
}

/* Where an address's slot is: in a range (then @r and @off are set) or a fixed slot. */
struct pool_loc {
	struct pool_range *r;
	uint32_t off;
	struct pool_slot *s;
};

static const struct pool_fixed *fixed_of(const struct pool_set *ps, uint32_t addr)
{
	size_t lo = 0, hi = ps->n_fixed;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (addr < ps->fixed[mid].addr)
			hi = mid;
		else if (addr > ps->fixed[mid].addr)
			lo = mid + 1;
		else
			return &ps->fixed[mid];
	}
	return NULL;
}

static bool pool_locate(const struct pool_set *ps, uint32_t addr, struct pool_loc *loc)
{
	const struct pool_range *r = pool_range_of(ps, addr);
	if (r) {
		loc->r = (struct pool_range *)r;
		loc->off = addr - r->first;
		loc->s = &r->slots[loc->off];
		return true;
	}
	const struct pool_fixed *f = fixed_of(ps, addr);
	if (!f)
		return false;
	loc->r = NULL;
	loc->off = 0;
	loc->s = (struct pool_slot *)&f->slot;
	return true;
}

static void set_free_bit(const struct pool_range *r, uint32_t off, bool free_now)
{
	uint64_t bit = 1ull << (off % 64);
	if (free_now)
		r->free_bits[off / 64] |= bit;
	else
		r->free_bits[off / 64] &= ~bit;
}

static int ranges_init(struct pool_set *ps, const struct tenant *t)
{
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
			if (!r->slots || !r->free_bits)
				return -ENOMEM;
			memset(r->free_bits, 0xff, words * sizeof(*r->free_bits));
			if (count % 64)
				r->free_bits[words - 1] = (1ull << (count % 64)) - 1;
			ps->size += count;
		}
	}
	qsort(ps->ranges, ps->n_ranges, sizeof(*ps->ranges), range_cmp);
	return 0;
}

/* Adds reservation @res of subnet @subnet to the hash table (sized at twice the count). */
static void res_insert(struct pool_set *ps, const struct tenant_reservation *res, uint16_t subnet)
{
	uint64_t h = dhcp_key_hash(res->kind, res->key, res->key_len);
	uint32_t i = (uint32_t)mix64(h) & ps->res_mask;
	while (ps->res[i].hash != 0)
		i = (i + 1) & ps->res_mask;
	ps->res[i] = (struct pool_res_entry){h, res, subnet};
}

/*
 * Marks every reserved address: a pool slot becomes reserved (and leaves the free bitmap
 * for good), an address outside the pools gets a fixed slot. The configuration made
 * addresses and keys unique per tenant.
 */
static int reservations_init(struct pool_set *ps, const struct tenant *t)
{
	size_t n = 0;
	for (size_t s = 0; s < t->n_subnets; s++)
		n += t->subnets[s].n_reservations;
	size_t cap = 16;
	while (cap < n * 2)
		cap <<= 1;
	ps->res = calloc(cap, sizeof(*ps->res));
	ps->fixed = calloc(n ? n : 1, sizeof(*ps->fixed));
	if (!ps->res || !ps->fixed)
		return -ENOMEM;
	ps->res_mask = (uint32_t)(cap - 1);
	for (size_t s = 0; s < t->n_subnets; s++) {
		const struct tenant_subnet *sn = &t->subnets[s];
		for (size_t i = 0; i < sn->n_reservations; i++) {
			const struct tenant_reservation *res = &sn->reservations[i];
			res_insert(ps, res, (uint16_t)s);
			struct pool_range *r = (struct pool_range *)pool_range_of(ps, res->address);
			if (r) {
				uint32_t off = res->address - r->first;
				if (!r->slots[off].reserved) {
					r->slots[off].reserved = 1;
					set_free_bit(r, off, false);
					ps->used++;
				}
				continue;
			}
			struct pool_fixed *f = &ps->fixed[ps->n_fixed++];
			f->addr = res->address;
			f->subnet = (uint16_t)s;
			f->slot.reserved = 1;
		}
	}
	qsort(ps->fixed, ps->n_fixed, sizeof(*ps->fixed), fixed_cmp);
	return 0;
}

int pool_set_init(struct pool_set *ps, const struct tenant *t)
{
	memset(ps, 0, sizeof(*ps));
	int rc = ranges_init(ps, t);
	if (!rc)
		rc = reservations_init(ps, t);
	if (!rc)
		rc = client_map_init(&ps->clients, ps->size + ps->n_fixed);
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
	free(ps->fixed);
	free(ps->res);
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
	struct pool_loc loc;
	return pool_locate(ps, addr, &loc) ? loc.s : NULL;
}

uint32_t pool_client_addr(const struct pool_set *ps, uint64_t client)
{
	return client ? client_map_find(&ps->clients, client) : 0;
}

void pool_release(struct pool_set *ps, uint32_t addr)
{
	struct pool_loc loc;
	if (!pool_locate(ps, addr, &loc))
		return;
	struct pool_slot *s = loc.s;
	if (s->state == POOL_FREE)
		return;
	if (s->client && client_map_find(&ps->clients, s->client) == addr)
		client_map_del(&ps->clients, s->client);
	uint8_t reserved = s->reserved;
	memset(s, 0, sizeof(*s));
	s->reserved = reserved;
	/* A reserved address never rejoins the free bitmap: it waits for its client. */
	if (loc.r && !reserved) {
		set_free_bit(loc.r, loc.off, true);
		ps->used--;
	}
}

void pool_assign(struct pool_set *ps, uint32_t addr, enum pool_state state, uint64_t client,
                 uint32_t expires)
{
	struct pool_loc loc;
	if (!pool_locate(ps, addr, &loc))
		return;
	struct pool_slot *s = loc.s;

	/* A client holds one address per tenant: drop what it held elsewhere. */
	uint32_t before = client ? client_map_find(&ps->clients, client) : 0;
	if (before && before != addr)
		pool_release(ps, before);
	/* Whoever held this address before loses it. */
	if (s->state != POOL_FREE && s->client != client)
		pool_release(ps, addr);

	if (s->state == POOL_FREE && loc.r && !s->reserved) {
		set_free_bit(loc.r, loc.off, false);
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
	/* A reserved address goes only to its own client (pool_available_reserved). */
	if (s->reserved)
		return s->state != POOL_FREE && s->state != POOL_DECLINED && s->client == client;
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

bool pool_available_reserved(const struct pool_set *ps, uint32_t addr, uint64_t client,
                             uint32_t now)
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

const struct tenant_reservation *pool_reservation(const struct pool_set *ps, uint8_t kind,
                                                  const uint8_t *key, size_t len, uint16_t *subnet)
{
	if (!ps->res || len == 0 || len > TENANT_RES_KEY_MAX)
		return NULL;
	uint64_t h = dhcp_key_hash(kind, key, len);
	for (uint32_t i = (uint32_t)mix64(h) & ps->res_mask; ps->res[i].hash;
	     i = (i + 1) & ps->res_mask) {
		const struct tenant_reservation *r = ps->res[i].res;
		if (ps->res[i].hash == h && r->kind == kind && r->key_len == len &&
		    memcmp(r->key, key, len) == 0) {
			if (subnet)
				*subnet = ps->res[i].subnet;
			return r;
		}
	}
	return NULL;
}

size_t pool_sweep(struct pool_set *ps, uint32_t now, size_t budget,
                  void (*expired)(void *ctx, uint32_t addr, const struct pool_slot *slot),
                  void *ctx)
{
	size_t seen = 0, total = ps->size + ps->n_fixed;
	if (total == 0)
		return 0;
	/* The ranges in order, then the fixed slots as one more "range". */
	while (seen < budget && seen < total) {
		if (ps->sweep_range > ps->n_ranges) {
			ps->sweep_range = 0;
			ps->sweep_off = 0;
		}
		bool fixed = ps->sweep_range == ps->n_ranges;
		struct pool_range *r = fixed ? NULL : &ps->ranges[ps->sweep_range];
		uint32_t count = fixed ? (uint32_t)ps->n_fixed : r->last - r->first + 1;
		if (ps->sweep_off >= count) {
			ps->sweep_range++;
			ps->sweep_off = 0;
			continue;
		}
		struct pool_slot *s =
		    fixed ? &ps->fixed[ps->sweep_off].slot : &r->slots[ps->sweep_off];
		uint32_t addr = fixed ? ps->fixed[ps->sweep_off].addr : r->first + ps->sweep_off;
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
