/*
 * Checks across tenant files: two tenants may use the same addresses, but never the same
 * name or the same match key, or a packet could belong to either. The conflicts are the
 * ones tenant_registry_build refuses (tenant_registry_conflicts finds them with the
 * registry's own tables); checking here lets `mtdhcpd --check` report every one with its
 * file, line and setting. Also resolves the service file's default_tenant.
 */
#include "conf/conf_internal.h"
#include "conf/conf_classify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tenants/registry.h"

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

/* The setting a tenant_key of @kind is written in. */
static const char *conf_check_key_setting(uint8_t kind)
{
	switch (kind) {
	case TENANT_KEY_VSS:
		return "match.vss";
	case TENANT_KEY_CIRCUIT_ID:
		return "match.circuit_ids";
	case TENANT_KEY_REMOTE_ID:
		return "match.remote_ids";
	case TENANT_KEY_CIRCUIT_ID_PREFIX:
		return "match.circuit_id_prefixes";
	default:
		return "match.remote_id_prefixes";
	}
}

/* "@setting.[@index]", or @setting for a value written on its own. */
static void conf_check_path(char *out, const char *setting, size_t index)
{
	if (index == CONF_KEY_INDEX_SINGLE)
		snprintf(out, CONF_PATH_MAX, "%s", setting);
	else
		conf_path_elem(out, setting, index);
}

struct conf_check_ctx {
	struct conf_ctx *c;
	const struct conf_tenant_src *srcs;
	const struct conf_service *svc;
};

/* "port \"uplink\" vlan 300 inner_vlan 100", with the port's name from the service file. */
static void conf_check_vlan_what(const struct conf_service *svc, const struct tenant_vlan_key *k,
                                 char *what, size_t len)
{
	int n = snprintf(what, len, "port \"%s\" ",
	                 k->port < svc->n_ports ? svc->ports[k->port].name : "?");

	if (n < 0 || (size_t)n >= len)
		return;
	if (!k->outer)
		snprintf(what + n, len - (size_t)n, "untagged");
	else if (!k->inner)
		snprintf(what + n, len - (size_t)n, "vlan %u", k->outer);
	else
		snprintf(what + n, len - (size_t)n, "vlan %u inner_vlan %u", k->outer, k->inner);
}

/* Reports one conflict in the later tenant's file, at the key's line and setting. */
static void conf_check_conflict(void *ctx, const struct tenant *t, size_t ti,
                                const struct tenant *other, enum tenant_conflict_list list,
                                size_t index, const char *what)
{
	struct conf_check_ctx *x = ctx;
	const struct conf_tenant_src *src = &x->srcs[ti];
	char path[CONF_PATH_MAX], vwhat[96];
	int line = 0;

	switch (list) {
	case TENANT_CONFLICT_RELAY:
		conf_check_path(path, "match.relays",
		                src->relays_scalar ? CONF_KEY_INDEX_SINGLE : index);
		line = src->relay_lines ? src->relay_lines[index] : 0;
		break;
	case TENANT_CONFLICT_VLAN:
		conf_path_elem(path, "match.vlans", index);
		line = src->vlan_lines ? src->vlan_lines[index] : 0;
		conf_check_vlan_what(x->svc, &t->match.vlans[index], vwhat, sizeof(vwhat));
		what = vwhat;
		break;
	case TENANT_CONFLICT_PREFIX: {
		const struct tenant_prefix *p = &t->match.prefixes[index];

		conf_check_path(path,
		                p->kind == TENANT_PREFIX_LINK ? "match.link_selection"
		                                              : "match.relay_prefixes",
		                p->index);
		line = p->line;
		break;
	}
	case TENANT_CONFLICT_KEY: {
		const struct tenant_key *k = &t->match.keys[index];

		conf_check_path(path, conf_check_key_setting(k->kind), k->index);
		line = k->line;
		break;
	}
	default:
		snprintf(path, sizeof(path), "name");
		line = src->name_line;
		break;
	}
	x->c->file = t->file;
	conf_err_line(x->c, line, path, "tenant \"%s\" (%s) and tenant \"%s\" (%s) both match %s",
	              t->name, t->file, other->name, other->file, what);
}

/* Marks the service's default tenant, which must be one of the tenant files. */
static int conf_check_default(struct conf_ctx *c, struct tenant *const *tenants, size_t n,
                              const struct conf_service *svc)
{
	if (!svc->default_tenant)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(tenants[i]->name, svc->default_tenant) == 0) {
			tenants[i]->match.is_default = true;
			return 0;
		}
	}
	c->file = svc->file;
	conf_err_line(c, svc->default_tenant_line, "default_tenant",
	              "no tenant is called \"%s\" (in %s)", svc->default_tenant,
	              svc->tenants_dir ? svc->tenants_dir : "tenants_dir");
	return -1;
}

int conf_check_tenants(struct conf_ctx *c, struct tenant *const *tenants,
                       const struct conf_tenant_src *srcs, size_t n, const struct conf_service *svc)
{
	struct conf_check_ctx x = {c, srcs, svc};
	const char *file = c->file;
	int bad = 0, rc;

	if (conf_check_names(c, tenants, srcs, n))
		bad = -1;
	if (conf_check_default(c, tenants, n, svc))
		bad = -1;
	rc = tenant_registry_conflicts(tenants, n, conf_check_conflict, &x);
	if (rc < 0) {
		c->file = svc->file;
		conf_err_line(c, 0, "", "out of memory");
	}
	if (rc != 0)
		bad = -1;
	c->file = file;
	return bad;
}
