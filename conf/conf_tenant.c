/*
 * A tenant file (tenants.d/<name>.conf): the tenant's name, the rules that classify its
 * packets (relay addresses, port and VLANs), its own address on a directly attached link,
 * its lease times and options over the service defaults, and its subnets (conf_subnet.c).
 */
#include "conf/conf_internal.h"
#include "conf/conf_classify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONF_VLAN_MIN 1
#define CONF_VLAN_MAX 4094 /* 0 and 4095 are reserved (IEEE 802.1Q 9.6) */

static const char *const conf_tenant_names[] = {
    "name",        "match",          "server_address", "authoritative",
    "lease_time",  "min_lease_time", "max_lease_time", "renew_time",
    "rebind_time", "offer_time",     "options",        "subnets",
    /* Protocol (issue 3) */
    "rapid_commit", "decline_time",
    /* Isolation (issue 4) */
    "max_leases", "packets_per_second", "burst",
    NULL};
static const char *const conf_match_names[] = {"relays", "vlans", CONF_MATCH_KEY_NAMES, NULL};
static const char *const conf_vlan_names[] = {"port", "vlan", "inner_vlan", NULL};

static int conf_name_read(struct conf_ctx *c, const config_setting_t *root,
                          const char *default_name, struct tenant *t, struct conf_tenant_src *src)
{
	const config_setting_t *s = config_setting_get_member(root, "name");
	const char *name = default_name;

	src->name_line = conf_line(s);
	if (s && conf_string_value(c, s, "name", &name))
		return -1;
	if (!conf_name_ok(name, TENANT_NAME_MAX)) {
		conf_err(c, s, "name",
		         "\"%s\"%s is not a valid tenant name (1..%d of letters, digits, '-', '_', "
		         "'.')%s",
		         name, s ? "" : " (from the file name)", TENANT_NAME_MAX - 1,
		         s ? "" : ": set name in the file");
		return -1;
	}
	snprintf(t->name, sizeof(t->name), "%s", name);
	return 0;
}

static int conf_relays_read(struct conf_ctx *c, const config_setting_t *match, struct tenant *t,
                            struct conf_tenant_src *src)
{
	const config_setting_t *relays = conf_get_list(c, match, "match", "relays", true);
	bool single = relays && config_setting_is_scalar(relays);
	int n = single ? 1 : relays ? config_setting_length(relays) : 0, bad = 0;

	if (!relays)
		return config_setting_get_member(match, "relays") ? -1 : 0;
	src->relays_scalar = single;
	t->match.relays = calloc((size_t)n + 1, sizeof(uint32_t));
	src->relay_lines = calloc((size_t)n + 1, sizeof(int));
	if (!t->match.relays || !src->relay_lines) {
		conf_err(c, relays, "match.relays", "out of memory");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *s =
		    single ? relays : config_setting_get_elem(relays, (unsigned)i);
		char p[CONF_PATH_MAX], a[16];
		uint32_t addr;
		size_t j;

		if (single)
			snprintf(p, sizeof(p), "match.relays");
		else
			conf_path_elem(p, "match.relays", (size_t)i);
		if (conf_addr_value(c, s, p, &addr)) {
			bad = -1;
			continue;
		}
		/* A giaddr of 0 means "not relayed" (RFC 2131 4.1); it can never match. */
		if (addr == 0 || addr >= 0xe0000000u) {
			conf_err(c, s, p, "%s is not a unicast address", conf_addr_str(addr, a));
			bad = -1;
			continue;
		}
		for (j = 0; j < t->match.n_relays && t->match.relays[j] != addr; j++)
			;
		if (j < t->match.n_relays) {
			conf_err(c, s, p, "relay %s is listed twice", conf_addr_str(addr, a));
			bad = -1;
			continue;
		}
		src->relay_lines[t->match.n_relays] = conf_line(s);
		t->match.relays[t->match.n_relays++] = addr;
	}
	return bad;
}

/* One { port = "..."; vlan = N; inner_vlan = M; } into @key. 0 or -1 after reporting. */
static int conf_vlan_read(struct conf_ctx *c, const config_setting_t *vs, const char *path,
                          const struct conf_service *svc, bool ports_ok,
                          struct tenant_vlan_key *key)
{
	const char *port = NULL;
	uint32_t outer = 0, inner = 0;
	const config_setting_t *outer_s = NULL, *inner_s = NULL;
	char p[CONF_PATH_MAX];
	int bad = 0, rc, idx;

	if (!config_setting_is_group(vs)) {
		conf_err(c, vs, path, "expected { port = \"...\"; vlan = N; }, found %s",
		         conf_type_name_of(vs));
		return -1;
	}
	conf_check_known(c, vs, path, conf_vlan_names);
	conf_path_member(p, path, "port");
	rc = conf_get_string(c, vs, path, "port", &port);
	if (rc == 0) {
		conf_err(c, vs, p, "a VLAN match needs the port its frames arrive on");
		bad = -1;
	} else if (rc < 0) {
		bad = -1;
	} else if ((idx = conf_port_index(svc, port)) >= 0) {
		key->port = (uint16_t)idx;
	} else if (ports_ok) {
		conf_err(c, config_setting_get_member(vs, "port"), p,
		         "no port is called \"%s\" in the service file's dataplane.ports", port);
		bad = -1;
	} else {
		bad = -1; /* the ports themselves were reported */
	}
	/* Without a vlan, the rule matches untagged frames on the port. */
	if (conf_get_u32(c, vs, path, "vlan", CONF_VLAN_MIN, CONF_VLAN_MAX, &outer, &outer_s) < 0)
		bad = -1;
	rc =
	    conf_get_u32(c, vs, path, "inner_vlan", CONF_VLAN_MIN, CONF_VLAN_MAX, &inner, &inner_s);
	if (rc < 0) {
		bad = -1;
	} else if (rc > 0 && !outer_s) {
		conf_path_member(p, path, "inner_vlan");
		conf_err(c, inner_s, p, "inner_vlan needs the outer vlan (QinQ: vlan = S-VID)");
		bad = -1;
	}
	key->outer = (uint16_t)outer;
	key->inner = (uint16_t)inner;
	return bad;
}

static int conf_vlans_read(struct conf_ctx *c, const config_setting_t *match,
                           const struct conf_service *svc, bool ports_ok, struct tenant *t,
                           struct conf_tenant_src *src)
{
	const config_setting_t *vlans = conf_get_list(c, match, "match", "vlans", false);
	int n = vlans ? config_setting_length(vlans) : 0, bad = 0;

	if (!vlans)
		return config_setting_get_member(match, "vlans") ? -1 : 0;
	t->match.vlans = calloc((size_t)n + 1, sizeof(*t->match.vlans));
	src->vlan_lines = calloc((size_t)n + 1, sizeof(int));
	if (!t->match.vlans || !src->vlan_lines) {
		conf_err(c, vlans, "match.vlans", "out of memory");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *vs = config_setting_get_elem(vlans, (unsigned)i);
		struct tenant_vlan_key key = {0};
		char p[CONF_PATH_MAX];
		size_t j;

		conf_path_elem(p, "match.vlans", (size_t)i);
		if (conf_vlan_read(c, vs, p, svc, ports_ok, &key)) {
			bad = -1;
			continue;
		}
		for (j = 0; j < t->match.n_vlans; j++) {
			const struct tenant_vlan_key *o = &t->match.vlans[j];

			if (o->port == key.port && o->outer == key.outer && o->inner == key.inner)
				break;
		}
		if (j < t->match.n_vlans) {
			conf_err(c, vs, p,
			         "this port and VLAN are listed twice (also match.vlans.[%zu])", j);
			bad = -1;
			continue;
		}
		src->vlan_lines[t->match.n_vlans] = conf_line(vs);
		t->match.vlans[t->match.n_vlans++] = key;
	}
	return bad;
}

static int conf_match_read(struct conf_ctx *c, const config_setting_t *root,
                           const struct conf_service *svc, bool ports_ok, struct tenant *t,
                           struct conf_tenant_src *src)
{
	const config_setting_t *match = conf_get_group(c, root, "", "match");
	/* The default tenant gets what no rule matches, so it needs no rules of its own. */
	bool is_default = svc->default_tenant && strcmp(svc->default_tenant, t->name) == 0;
	int bad = 0;

	if (!match) {
		/* A match setting of another type was reported by conf_get_group. */
		if (config_setting_get_member(root, "match"))
			return -1;
		if (is_default)
			return 0;
		conf_err(c, NULL, "match",
		         "a tenant needs match rules (match.relays, match.vlans, ...; see "
		         "docs/classification.md)");
		return -1;
	}
	conf_check_known(c, match, "match", conf_match_names);
	if (conf_relays_read(c, match, t, src))
		bad = -1;
	if (conf_vlans_read(c, match, svc, ports_ok, t, src))
		bad = -1;
	if (conf_match_keys_read(c, match, t))
		bad = -1;
	if (!bad && !is_default && !t->match.n_relays && !t->match.n_vlans &&
	    !t->match.n_prefixes && !t->match.n_keys) {
		conf_err(c, match, "match",
		         "the tenant matches no packets: set match.relays, match.vlans or another "
		         "match rule");
		bad = -1;
	}
	return bad;
}

/*
 * server_address: required with VLAN matches (it is the server identifier and the
 * address ARP is answered for on the tenant's link), inside one of the tenant's subnets,
 * and never one the pools could hand to a client.
 */
static int conf_server_address_check(struct conf_ctx *c, const config_setting_t *root,
                                     const struct tenant *t)
{
	const config_setting_t *s = config_setting_get_member(root, "server_address");
	const struct tenant_subnet *sn;
	uint32_t a = t->server_address, host;
	char as[16], ns[16];

	if (!s) {
		if (!t->match.n_vlans)
			return 0;
		conf_err(
		    c, config_setting_get_member(config_setting_get_member(root, "match"), "vlans"),
		    "server_address",
		    "server_address is required with match.vlans: the server's own address on "
		    "the tenant's link");
		return -1;
	}
	sn = tenant_subnet_of(t, a);
	if (!sn) {
		conf_err(c, s, "server_address", "%s is not in any of the tenant's subnets",
		         conf_addr_str(a, as));
		return -1;
	}
	host = a & ~sn->mask;
	if (host == 0 || host == ~sn->mask) {
		conf_err(c, s, "server_address", "%s is the %s address of subnet %s/%u",
		         conf_addr_str(a, as), host ? "broadcast" : "network",
		         conf_addr_str(sn->network, ns), sn->prefix_len);
		return -1;
	}
	for (size_t i = 0; i < sn->n_pools; i++) {
		if (a >= sn->pools[i].first && a <= sn->pools[i].last) {
			conf_err(
			    c, s, "server_address",
			    "%s is inside pool %zu of subnet %s/%u: a client could be given it",
			    conf_addr_str(a, as), i, conf_addr_str(sn->network, ns),
			    sn->prefix_len);
			return -1;
		}
	}
	return 0;
}

struct tenant *conf_tenant_read(struct conf_ctx *c, const config_t *cfg, const char *file,
                                const char *default_name, const struct conf_service *svc,
                                bool ports_ok, struct conf_tenant_src *src)
{
	const config_setting_t *root = config_root_setting(cfg);
	const config_setting_t *opts;
	struct optset own = {0}, merged = {0};
	struct conf_times times;
	unsigned errors_before = c->errors;
	struct tenant *t = tenant_new();
	int rc;

	memset(src, 0, sizeof(*src));
	if (!t || !(t->file = strdup(file))) {
		conf_err(c, NULL, "", "out of memory");
		tenant_free(t);
		return NULL;
	}
	conf_check_known(c, root, "", conf_tenant_names);
	conf_name_read(c, root, default_name, t, src);
	conf_match_read(c, root, svc, ports_ok, t, src);
	rc = conf_get_addr(c, root, "", "server_address", &t->server_address, NULL);

	t->authoritative = svc->authoritative;
	conf_get_bool(c, root, "", "authoritative", &t->authoritative);
	t->offer_time = svc->offer_time;
	conf_get_u32(c, root, "", "offer_time", 1, 86400, &t->offer_time, NULL);
	/* Protocol (issue 3): RFC 4039 rapid commit, RFC 2131 4.3.3 quarantine, over the
	 * service defaults. */
	t->rapid_commit = svc->rapid_commit;
	conf_get_bool(c, root, "", "rapid_commit", &t->rapid_commit);
	t->decline_time = svc->decline_time;
	conf_get_u32(c, root, "", "decline_time", 1, CONF_DECLINE_TIME_MAX, &t->decline_time, NULL);
	/* Isolation (issue 4): limits over the service defaults; 0 = no limit. */
	t->limits = svc->limits;
	conf_get_u32(c, root, "", "max_leases", 0, CONF_LIMIT_MAX, &t->limits.max_leases, NULL);
	conf_get_u32(c, root, "", "packets_per_second", 0, CONF_LIMIT_MAX,
	             &t->limits.packets_per_second, NULL);
	conf_get_u32(c, root, "", "burst", 0, CONF_LIMIT_MAX, &t->limits.burst, NULL);
	conf_times_read(c, root, "", &svc->times, &times);

	opts = conf_get_group(c, root, "", "options");
	conf_options_read(c, opts, "options", &own);
	if (optset_merge(&merged, &svc->options, &own))
		conf_err(c, opts, "options", "out of memory");

	if (conf_subnets_read(c, root, t, &times.v, &merged) == 0 && rc >= 0)
		conf_server_address_check(c, root, t);

	optset_clear(&own);
	optset_clear(&merged);
	if (c->errors != errors_before) {
		tenant_free(t);
		return NULL;
	}
	return t;
}

void conf_tenant_src_clear(struct conf_tenant_src *src)
{
	free(src->relay_lines);
	free(src->vlan_lines);
	memset(src, 0, sizeof(*src));
}
