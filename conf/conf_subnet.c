/*
 * A tenant's subnets and their pools. Subnets of one tenant must not overlap (an address
 * must select one subnet), nor may its pools; different tenants may use the same
 * addresses, which is the point of a multi-tenant server. Subnets that share a link are
 * grouped by a shared_network name; pools may carry options of their own; reservations
 * are read by conf_reservation.c.
 */
#include "conf/conf_internal.h"
#include "conf/conf_reservation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const conf_subnet_names[] = {
    "subnet",  "lease_time", "min_lease_time", "max_lease_time", "renew_time", "rebind_time",
    "options", "pools",      "reservations",   "shared_network", NULL};
static const char *const conf_pool_names[] = {"first", "last", "options", NULL};

/* Where an accepted pool was written, to name it when a later one overlaps it. */
struct conf_pool_ref {
	uint32_t first, last;
	size_t subnet, pool;
};

/* Reads one end of a pool and checks it lies inside @sn, as a usable host address. */
static int conf_pool_end(struct conf_ctx *c, const config_setting_t *ps, const char *path,
                         const char *name, const struct tenant_subnet *sn, uint32_t *out)
{
	const config_setting_t *s = NULL;
	char p[CONF_PATH_MAX], a[16], n[16];
	int rc = conf_get_addr(c, ps, path, name, out, &s);
	uint32_t host;

	conf_path_member(p, path, name);
	if (rc == 0)
		conf_err(c, ps, p, "a pool needs %s (its %s address)", name, name);
	if (rc <= 0)
		return -1;
	if ((*out & sn->mask) != sn->network) {
		conf_err(c, s, p, "%s is outside subnet %s/%u", conf_addr_str(*out, a),
		         conf_addr_str(sn->network, n), sn->prefix_len);
		return -1;
	}
	/* Neither end of the subnet may be handed out (RFC 1122 3.2.1.3, RFC 919). */
	host = *out & ~sn->mask;
	if (host == 0 || host == ~sn->mask) {
		conf_err(c, s, p, "%s is the %s address of subnet %s/%u", conf_addr_str(*out, a),
		         host ? "broadcast" : "network", conf_addr_str(sn->network, n),
		         sn->prefix_len);
		return -1;
	}
	return 0;
}

/*
 * The options of pool @idx (of @n) in group @ps, merged over the subnet's, when it sets
 * any: the array of pool option sets is made on the first pool that does.
 */
static int conf_pool_options(struct conf_ctx *c, const config_setting_t *ps, const char *path,
                             struct tenant_subnet *sn, size_t idx, size_t n)
{
	const config_setting_t *og = conf_get_group(c, ps, path, "options");
	struct optset own = {0};
	char p[CONF_PATH_MAX];
	int bad = 0;

	if (!og)
		return config_setting_get_member(ps, "options") ? -1 : 0;
	conf_path_member(p, path, "options");
	if (conf_options_read(c, og, p, &own)) {
		optset_clear(&own);
		return -1;
	}
	if (!sn->pool_options) {
		/* The pools before this one get the subnet's options as they are. */
		sn->pool_options = calloc(n + 1, sizeof(*sn->pool_options));
		for (size_t i = 0; sn->pool_options && i < idx; i++)
			if (optset_merge(&sn->pool_options[i], &sn->options, NULL))
				bad = -1;
	}
	if (!sn->pool_options || bad || optset_merge(&sn->pool_options[idx], &sn->options, &own)) {
		conf_err(c, og, p, "out of memory");
		bad = -1;
	}
	optset_clear(&own);
	return bad;
}

static int conf_pools_read(struct conf_ctx *c, const config_setting_t *sg, const char *spath,
                           size_t si, struct tenant_subnet *sn, struct conf_pool_ref **refs,
                           size_t *n_refs)
{
	const config_setting_t *pools = conf_get_list(c, sg, spath, "pools", false);
	int n = pools ? config_setting_length(pools) : 0, bad = 0;
	struct conf_pool_ref *grown;
	char lp[CONF_PATH_MAX];

	/* A subnet without pools is valid: it still answers DHCPINFORM and is a link. */
	if (!pools)
		return config_setting_get_member(sg, "pools") ? -1 : 0;
	conf_path_member(lp, spath, "pools");
	sn->pools = calloc((size_t)n + 1, sizeof(*sn->pools));
	grown = realloc(*refs, (*n_refs + (size_t)n + 1) * sizeof(**refs));
	if (grown)
		*refs = grown;
	if (!sn->pools || !grown) {
		conf_err(c, pools, lp, "out of memory");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *ps = config_setting_get_elem(pools, (unsigned)i);
		struct tenant_pool pool;
		char p[CONF_PATH_MAX], lastp[CONF_PATH_MAX], a[16], b[16], x[16], y[16];
		size_t k;
		int e;

		conf_path_elem(p, lp, (size_t)i);
		if (!config_setting_is_group(ps)) {
			conf_err(c, ps, p,
			         "expected { first = \"...\"; last = \"...\"; }, found %s",
			         conf_type_name_of(ps));
			bad = -1;
			continue;
		}
		conf_check_known(c, ps, p, conf_pool_names);
		e = conf_pool_end(c, ps, p, "first", sn, &pool.first);
		e |= conf_pool_end(c, ps, p, "last", sn, &pool.last);
		if (e) {
			bad = -1;
			continue;
		}
		if (pool.first > pool.last) {
			conf_path_member(lastp, p, "last");
			conf_err(c, config_setting_get_member(ps, "last"), lastp,
			         "last %s is before first %s", conf_addr_str(pool.last, a),
			         conf_addr_str(pool.first, b));
			bad = -1;
			continue;
		}
		for (k = 0; k < *n_refs; k++) {
			const struct conf_pool_ref *r = &(*refs)[k];

			if (pool.first <= r->last && r->first <= pool.last)
				break;
		}
		if (k < *n_refs) {
			const struct conf_pool_ref *r = &(*refs)[k];

			conf_err(c, ps, p, "pool %s-%s overlaps subnets.[%zu].pools.[%zu] (%s-%s)",
			         conf_addr_str(pool.first, a), conf_addr_str(pool.last, b),
			         r->subnet, r->pool, conf_addr_str(r->first, x),
			         conf_addr_str(r->last, y));
			bad = -1;
			continue;
		}
		(*refs)[(*n_refs)++] = (struct conf_pool_ref){pool.first, pool.last, si, (size_t)i};
		if (conf_pool_options(c, ps, p, sn, sn->n_pools, (size_t)n))
			bad = -1;
		sn->pools[sn->n_pools++] = pool;
	}
	/* Pools after the first one with options of its own get the subnet's as they are. */
	for (size_t i = 0; sn->pool_options && i < sn->n_pools; i++) {
		if (sn->pool_options[i].values || sn->options.count == 0)
			continue;
		if (optset_merge(&sn->pool_options[i], &sn->options, NULL)) {
			conf_err(c, pools, lp, "out of memory");
			bad = -1;
		}
	}
	return bad;
}

/* subnet = "a.b.c.d/len": a network address (host bits zero) with room for hosts. */
static int conf_subnet_prefix(struct conf_ctx *c, const config_setting_t *sg, const char *spath,
                              struct tenant_subnet *sn)
{
	const config_setting_t *s = NULL;
	const char *text;
	char p[CONF_PATH_MAX], a[16];
	int rc = conf_get_string(c, sg, spath, "subnet", &text);

	conf_path_member(p, spath, "subnet");
	s = config_setting_get_member(sg, "subnet");
	if (rc == 0)
		conf_err(c, sg, p, "a subnet needs its prefix (subnet = \"a.b.c.d/len\")");
	if (rc <= 0)
		return -1;
	if (!conf_parse_prefix(text, &sn->network, &sn->prefix_len)) {
		conf_err(c, s, p, "\"%s\" is not a prefix (a.b.c.d/len, len 0..32)", text);
		return -1;
	}
	/* /31 and /32 have no room for a network, a broadcast and a host between them. */
	if (sn->prefix_len < 1 || sn->prefix_len > 30) {
		conf_err(c, s, p, "\"%s\": a subnet's prefix length is 1..30", text);
		return -1;
	}
	sn->mask = conf_prefix_mask(sn->prefix_len);
	if (sn->network & ~sn->mask) {
		conf_err(c, s, p, "\"%s\" has host bits set: the subnet is %s/%u", text,
		         conf_addr_str(sn->network & sn->mask, a), sn->prefix_len);
		return -1;
	}
	return 0;
}

/*
 * Reports an overlap of @sn with a subnet the tenant already has; @cfg_idx gives each
 * accepted subnet's position in the file, for the message.
 */
static int conf_subnet_overlap(struct conf_ctx *c, const config_setting_t *sg, const char *spath,
                               const struct tenant *t, const size_t *cfg_idx,
                               const struct tenant_subnet *sn)
{
	for (size_t j = 0; j < t->n_subnets; j++) {
		const struct tenant_subnet *o = &t->subnets[j];
		uint32_t mask = o->prefix_len < sn->prefix_len ? o->mask : sn->mask;
		char p[CONF_PATH_MAX], a[16], b[16];

		if ((o->network & mask) != (sn->network & mask))
			continue;
		conf_path_member(p, spath, "subnet");
		conf_err(c, config_setting_get_member(sg, "subnet"), p,
		         "%s/%u overlaps subnets.[%zu] (%s/%u)", conf_addr_str(sn->network, a),
		         sn->prefix_len, cfg_idx[j], conf_addr_str(o->network, b), o->prefix_len);
		return -1;
	}
	return 0;
}

static int conf_subnet_read(struct conf_ctx *c, const config_setting_t *sg, const char *spath,
                            size_t si, struct tenant *t, const struct tenant_lease_times *times,
                            const struct optset *options, size_t *cfg_idx,
                            struct conf_pool_ref **refs, size_t *n_refs)
{
	struct tenant_subnet *sn = &t->subnets[t->n_subnets];
	const config_setting_t *opts;
	struct optset own = {0};
	struct conf_times st;
	char op[CONF_PATH_MAX];
	int bad = 0;

	memset(sn, 0, sizeof(*sn));
	if (!config_setting_is_group(sg)) {
		conf_err(c, sg, spath, "expected a subnet group { subnet = ...; }, found %s",
		         conf_type_name_of(sg));
		return -1;
	}
	conf_check_known(c, sg, spath, conf_subnet_names);
	if (conf_subnet_prefix(c, sg, spath, sn) ||
	    conf_subnet_overlap(c, sg, spath, t, cfg_idx, sn))
		return -1;
	if (conf_times_read(c, sg, spath, times, &st))
		bad = -1;
	sn->times = st.v;

	conf_path_member(op, spath, "options");
	opts = conf_get_group(c, sg, spath, "options");
	if (!opts && config_setting_get_member(sg, "options"))
		bad = -1;
	if (conf_options_read(c, opts, op, &own))
		bad = -1;
	if (optset_merge(&sn->options, options, &own)) {
		conf_err(c, sg, op, "out of memory");
		bad = -1;
	}
	optset_clear(&own);

	if (conf_pools_read(c, sg, spath, si, sn, refs, n_refs))
		bad = -1;
	if (conf_reservations_read(c, sg, spath, t, sn))
		bad = -1;
	/* Counted even when bad, so that tenant_free releases what it owns. */
	cfg_idx[t->n_subnets++] = si;
	return bad;
}

/*
 * shared_network = "name": subnets with the same name are one network (several subnets
 * on one link); every other subnet is a network of its own. Each gets its network id.
 */
static int conf_shared_networks(struct conf_ctx *c, const config_setting_t *subnets,
                                struct tenant *t, const size_t *cfg_idx)
{
	const char **names = calloc(t->n_subnets + 1, sizeof(*names));
	int bad = 0;

	if (!names) {
		conf_err(c, subnets, "subnets", "out of memory");
		return -1;
	}
	for (size_t i = 0; i < t->n_subnets; i++) {
		const config_setting_t *sg = config_setting_get_elem(subnets, (unsigned)cfg_idx[i]);
		char p[CONF_PATH_MAX], np[CONF_PATH_MAX];
		const char *name = NULL;

		conf_path_elem(p, "subnets", cfg_idx[i]);
		if (conf_get_string(c, sg, p, "shared_network", &name) < 0) {
			bad = -1;
		} else if (name && !conf_name_ok(name, 64)) {
			conf_path_member(np, p, "shared_network");
			conf_err(c, config_setting_get_member(sg, "shared_network"), np,
			         "\"%s\" is not a valid name (letters, digits, '-', '_', '.')",
			         name);
			bad = -1;
			name = NULL;
		}
		names[i] = name;
		t->subnets[i].network_id = (uint16_t)i;
		for (size_t j = 0; name && j < i; j++) {
			if (names[j] && strcmp(names[j], name) == 0) {
				t->subnets[i].network_id = t->subnets[j].network_id;
				break;
			}
		}
	}
	free(names);
	return bad;
}

int conf_subnets_read(struct conf_ctx *c, const config_setting_t *root, struct tenant *t,
                      const struct tenant_lease_times *times, const struct optset *options)
{
	const config_setting_t *subnets = conf_get_list(c, root, "", "subnets", false);
	struct conf_pool_ref *refs = NULL;
	size_t n_refs = 0, *cfg_idx;
	int n, bad = 0;

	if (!subnets) {
		if (!config_setting_get_member(root, "subnets"))
			conf_err(
			    c, NULL, "subnets",
			    "a tenant needs at least one subnet (subnets = ( { subnet = ...; } ))");
		return -1;
	}
	n = config_setting_length(subnets);
	if (n == 0) {
		conf_err(c, subnets, "subnets", "a tenant needs at least one subnet");
		return -1;
	}
	t->subnets = calloc((size_t)n, sizeof(*t->subnets));
	cfg_idx = calloc((size_t)n, sizeof(*cfg_idx));
	if (!t->subnets || !cfg_idx) {
		free(cfg_idx);
		conf_err(c, subnets, "subnets", "out of memory");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char p[CONF_PATH_MAX];

		conf_path_elem(p, "subnets", (size_t)i);
		if (conf_subnet_read(c, config_setting_get_elem(subnets, (unsigned)i), p, (size_t)i,
		                     t, times, options, cfg_idx, &refs, &n_refs))
			bad = -1;
	}
	if (conf_shared_networks(c, subnets, t, cfg_idx))
		bad = -1;
	free(cfg_idx);
	free(refs);
	return bad;
}
