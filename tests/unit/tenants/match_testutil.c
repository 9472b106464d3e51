#include "match_testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

struct tenant *mt_tenant(const char *name)
{
	struct tenant *t = tenant_new();
	char file[128];

	assert_non_null(t);
	snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(file, sizeof(file), "/t/%s.conf", name);
	t->file = strdup(file);
	assert_non_null(t->file);
	return t;
}

/* Grows @arr (of @n elements of @size) by one zeroed element; returns it. */
static void *mt_grow(void **arr, size_t *n, size_t size)
{
	char *p = realloc(*arr, (*n + 1) * size);

	assert_non_null(p);
	memset(p + *n * size, 0, size);
	*arr = p;
	return p + (*n)++ * size;
}

void mt_relay(struct tenant *t, uint32_t addr)
{
	uint32_t *r = mt_grow((void **)&t->match.relays, &t->match.n_relays, sizeof(uint32_t));

	*r = addr;
}

void mt_vlan(struct tenant *t, uint16_t port, uint16_t outer, uint16_t inner)
{
	struct tenant_vlan_key *v =
	    mt_grow((void **)&t->match.vlans, &t->match.n_vlans, sizeof(*v));

	*v = (struct tenant_vlan_key){port, outer, inner};
}

void mt_prefix(struct tenant *t, enum tenant_prefix_kind kind, uint32_t addr, uint8_t len)
{
	size_t i = t->match.n_prefixes;
	struct tenant_prefix *p =
	    mt_grow((void **)&t->match.prefixes, &t->match.n_prefixes, sizeof(*p));

	*p = (struct tenant_prefix){
	    .addr = addr, .len = len, .kind = (uint8_t)kind, .index = (uint16_t)i};
}

void mt_key(struct tenant *t, enum tenant_key_kind kind, const void *bytes, size_t len)
{
	size_t i = t->match.n_keys;
	struct tenant_key *k = mt_grow((void **)&t->match.keys, &t->match.n_keys, sizeof(*k));

	assert_true(len >= 1 && len <= TENANT_KEY_MAX);
	k->kind = (uint8_t)kind;
	k->len = (uint8_t)len;
	k->index = (uint16_t)i;
	memcpy(k->bytes, bytes, len);
}

void mt_text(struct tenant *t, enum tenant_key_kind kind, const char *text)
{
	mt_key(t, kind, text, strlen(text));
}

void mt_vss_name(struct tenant *t, const char *name)
{
	uint8_t v[TENANT_KEY_MAX];
	size_t n = strlen(name);

	v[0] = 0;
	memcpy(v + 1, name, n);
	mt_key(t, TENANT_KEY_VSS, v, n + 1);
}

struct tenant **mt_array(size_t n, ...)
{
	struct tenant **a = calloc(n + 1, sizeof(*a));
	va_list ap;

	assert_non_null(a);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		a[i] = va_arg(ap, struct tenant *);
	va_end(ap);
	return a;
}

struct tenant_registry *mt_build(struct tenant **tenants, size_t n)
{
	char err[512];
	struct tenant_registry *reg = tenant_registry_build(tenants, n, err, sizeof(err));

	if (!reg)
		fail_msg("tenant_registry_build: %s", err);
	return reg;
}
