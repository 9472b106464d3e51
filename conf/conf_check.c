/*
 * Checks across tenant files: two tenants may use the same addresses, but never the same
 * name or the same match key, or a packet could belong to either. tenant_registry_build
 * refuses the same conflicts; checking here as well lets `mtdhcpd --check` report every
 * one with its file and line.
 */
#include "conf/conf_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tenants/tenant_map.h"

static int conf_check_name_cmp(const void *a, const void *b, void *arg)
{
	struct tenant *const *tenants = arg;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	int c = strcmp(tenants[ia]->name, tenants[ib]->name);

	/* Equal names stay in file order, so the later file is the one reported. */
	return c ? c : (ia > ib) - (ia < ib);
}

static int conf_check_names(struct conf_ctx *c, struct tenant *const *tenants,
                            const struct conf_tenant_src *srcs, size_t n)
{
	size_t *order = malloc((n ? n : 1) * sizeof(*order));
	int bad = 0;

	if (!order) {
		conf_err_line(c, 0, "", "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	if (n > 1)
		qsort_r(order, n, sizeof(*order), conf_check_name_cmp, (void *)tenants);
	for (size_t k = 1; k < n; k++) {
		const struct tenant *first = tenants[order[k - 1]], *t = tenants[order[k]];

		if (strcmp(first->name, t->name) != 0)
			continue;
		c->file = t->file;
		conf_err_line(c, srcs[order[k]].name_line, "name",
		              "tenant \"%s\" is already defined in %s", t->name, first->file);
		bad = -1;
	}
	free(order);
	return bad;
}

static void conf_check_conflict(struct conf_ctx *c, const struct tenant *t,
                                const struct tenant *other, int line, const char *path,
                                const char *what)
{
	c->file = t->file;
	conf_err_line(c, line, path, "tenant \"%s\" (%s) and tenant \"%s\" (%s) both match %s",
	              t->name, t->file, other->name, other->file, what);
}

static int conf_check_relays(struct conf_ctx *c, struct tenant *const *tenants,
                             const struct conf_tenant_src *srcs, size_t n)
{
	struct tenant_map map;
	size_t total = 0;
	int bad = 0;

	for (size_t i = 0; i < n; i++)
		total += tenants[i]->match.n_relays;
	if (tenant_map_init(&map, total)) {
		conf_err_line(c, 0, "", "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct tenant *t = tenants[i];

		for (size_t r = 0; r < t->match.n_relays; r++) {
			char what[32], a[16], p[CONF_PATH_MAX];
			uint32_t other;

			if (tenant_map_insert(&map, t->match.relays[r], (uint32_t)i, &other) !=
			    -EEXIST)
				continue;
			snprintf(what, sizeof(what), "relay %s",
			         conf_addr_str(t->match.relays[r], a));
			if (srcs[i].relays_scalar)
				snprintf(p, sizeof(p), "match.relays");
			else
				conf_path_elem(p, "match.relays", r);
			conf_check_conflict(c, t, tenants[other], srcs[i].relay_lines[r], p, what);
			bad = -1;
		}
	}
	tenant_map_free(&map);
	return bad;
}

static int conf_check_vlans(struct conf_ctx *c, struct tenant *const *tenants,
                            const struct conf_tenant_src *srcs, size_t n,
                            const struct conf_service *svc)
{
	struct tenant_map map;
	size_t total = 0;
	int bad = 0;

	for (size_t i = 0; i < n; i++)
		total += tenants[i]->match.n_vlans;
	if (tenant_map_init(&map, total)) {
		conf_err_line(c, 0, "", "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct tenant *t = tenants[i];

		for (size_t v = 0; v < t->match.n_vlans; v++) {
			const struct tenant_vlan_key *k = &t->match.vlans[v];
			/* The same key layout as the registry's by_vlan table. */
			uint64_t key =
			    (uint64_t)k->port << 32 | (uint64_t)k->outer << 16 | k->inner;
			char what[96], p[CONF_PATH_MAX];
			uint32_t other;
			int len;

			if (tenant_map_insert(&map, key, (uint32_t)i, &other) != -EEXIST)
				continue;
			len = snprintf(what, sizeof(what), "port \"%s\" ",
			               k->port < svc->n_ports ? svc->ports[k->port].name : "?");
			if (!k->outer)
				snprintf(what + len, sizeof(what) - (size_t)len, "untagged");
			else if (!k->inner)
				snprintf(what + len, sizeof(what) - (size_t)len, "vlan %u",
				         k->outer);
			else
				snprintf(what + len, sizeof(what) - (size_t)len,
				         "vlan %u inner_vlan %u", k->outer, k->inner);
			conf_path_elem(p, "match.vlans", v);
			conf_check_conflict(c, t, tenants[other], srcs[i].vlan_lines[v], p, what);
			bad = -1;
		}
	}
	tenant_map_free(&map);
	return bad;
}

int conf_check_tenants(struct conf_ctx *c, struct tenant *const *tenants,
                       const struct conf_tenant_src *srcs, size_t n, const struct conf_service *svc)
{
	const char *file = c->file;
	int bad = 0;

	if (conf_check_names(c, tenants, srcs, n))
		bad = -1;
	if (conf_check_relays(c, tenants, srcs, n))
		bad = -1;
	if (conf_check_vlans(c, tenants, srcs, n, svc))
		bad = -1;
	c->file = file;
	return bad;
}
