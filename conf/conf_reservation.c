/*
 * Reservations: a fixed address for one client of a subnet, named by its hardware
 * address, its client identifier (option 61) or the circuit-id its relay adds (option 82
 * sub-option 1). The address may be inside a pool (the allocator then never hands it to
 * anyone else) or outside every pool, but always inside the subnet; an address and a key
 * are reserved once per tenant.
 *
 *   reservations = (
 *     { hw-address = "02:00:00:00:10:01"; address = "192.168.1.50"; },
 *     { client-id = "01:02:00:00:00:10:02"; address = "192.168.1.51"; hostname = "printer"; },
 *     { circuit-id = "capr0"; address = "192.168.1.52"; options = { routers = [...]; }; }
 *   );
 */
#include "conf/conf_reservation.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tenants/optdef.h"

static const char *const conf_res_names[] = {"hw-address", "client-id", "circuit-id", "address",
                                             "hostname",   "options",   NULL};

/* The key settings, in enum tenant_res_kind order from TENANT_RES_HWADDR. */
static const char *const conf_res_keys[] = {"hw-address", "client-id", "circuit-id"};

/* "01:02:0a" (one or two hex digits per octet) into @out; the octet count, or -1. */
static int conf_res_hex(const char *text, uint8_t *out, size_t cap)
{
	size_t n = 0;
	const char *p = text;

	while (*p) {
		unsigned v = 0;
		int digits = 0;

		while (isxdigit((unsigned char)*p) && digits < 2) {
			v = v * 16 + (unsigned)(isdigit((unsigned char)*p)
			                            ? *p - '0'
			                            : tolower((unsigned char)*p) - 'a' + 10);
			p++;
			digits++;
		}
		if (!digits || n == cap)
			return -1;
		out[n++] = (uint8_t)v;
		if (*p == ':' && p[1])
			p++;
		else if (*p)
			return -1;
	}
	return (int)n;
}

/* The one key setting of reservation @rs into @r; 0 or -1 after reporting. */
static int conf_res_key(struct conf_ctx *c, const config_setting_t *rs, const char *path,
                        struct tenant_reservation *r)
{
	const config_setting_t *key = NULL;
	const char *text;
	char p[CONF_PATH_MAX];
	int n;

	for (size_t k = 0; k < sizeof(conf_res_keys) / sizeof(conf_res_keys[0]); k++) {
		const config_setting_t *s = config_setting_get_member(rs, conf_res_keys[k]);

		if (!s)
			continue;
		if (key) {
			conf_path_member(p, path, conf_res_keys[k]);
			conf_err(c, s, p, "a reservation names its client once: %s or %s, not both",
			         config_setting_name(key), conf_res_keys[k]);
			return -1;
		}
		key = s;
		r->kind = (uint8_t)(TENANT_RES_HWADDR + k);
	}
	if (!key) {
		conf_err(c, rs, path,
		         "a reservation needs hw-address, client-id or circuit-id (its client)");
		return -1;
	}
	conf_path_member(p, path, config_setting_name(key));
	if (conf_string_value(c, key, p, &text))
		return -1;
	switch (r->kind) {
	case TENANT_RES_HWADDR:
		n = conf_res_hex(text, r->key, sizeof(r->key));
		if (n != 6) {
			conf_err(c, key, p,
			         "\"%s\" is not an Ethernet address (\"02:00:00:00:10:01\")", text);
			return -1;
		}
		break;
	case TENANT_RES_CLIENT_ID:
		/* RFC 2132 9.14: a type octet and at least one octet of identifier. */
		n = conf_res_hex(text, r->key, sizeof(r->key));
		if (n < 2) {
			conf_err(c, key, p,
			         "\"%s\" is not a client identifier: hex octets, the type first "
			         "(\"01:02:00:00:00:10:01\")",
			         text);
			return -1;
		}
		break;
	default:
		/* The circuit-id as the relay sends it, e.g. dhcrelay's interface name. */
		n = (int)strlen(text);
		if (n < 1 || n > TENANT_RES_KEY_MAX) {
			conf_err(c, key, p, "a circuit-id is 1..%d characters", TENANT_RES_KEY_MAX);
			return -1;
		}
		memcpy(r->key, text, (size_t)n);
		break;
	}
	r->key_len = (uint8_t)n;
	return 0;
}

/* The address: inside the subnet, a host address, not the server's own. */
static int conf_res_address(struct conf_ctx *c, const config_setting_t *rs, const char *path,
                            const struct tenant *t, const struct tenant_subnet *sn,
                            struct tenant_reservation *r)
{
	const config_setting_t *s = NULL;
	char p[CONF_PATH_MAX], a[16], nb[16];
	int rc = conf_get_addr(c, rs, path, "address", &r->address, &s);
	uint32_t host;

	conf_path_member(p, path, "address");
	if (rc == 0)
		conf_err(c, rs, p, "a reservation needs the address it reserves");
	if (rc <= 0)
		return -1;
	if ((r->address & sn->mask) != sn->network) {
		conf_err(c, s, p, "%s is outside subnet %s/%u", conf_addr_str(r->address, a),
		         conf_addr_str(sn->network, nb), sn->prefix_len);
		return -1;
	}
	host = r->address & ~sn->mask;
	if (host == 0 || host == ~sn->mask) {
		conf_err(c, s, p, "%s is the %s address of subnet %s/%u",
		         conf_addr_str(r->address, a), host ? "broadcast" : "network",
		         conf_addr_str(sn->network, nb), sn->prefix_len);
		return -1;
	}
	if (t->server_address && r->address == t->server_address) {
		conf_err(c, s, p, "%s is the server's own address (server_address)",
		         conf_addr_str(r->address, a));
		return -1;
	}
	return 0;
}

/* Reports @r when an earlier reservation of the tenant has its address or its key. */
static int conf_res_unique(struct conf_ctx *c, const config_setting_t *rs, const char *path,
                           const struct tenant *t, const struct tenant_subnet *sn,
                           const struct tenant_reservation *r)
{
	char a[16];

	/* The subnets built so far, this one included (its n_reservations grows). */
	for (const struct tenant_subnet *o = t->subnets; o <= sn; o++) {
		for (size_t i = 0; i < o->n_reservations; i++) {
			const struct tenant_reservation *q = &o->reservations[i];

			if (q->address == r->address) {
				conf_err(c, rs, path, "%s is reserved twice in this tenant",
				         conf_addr_str(r->address, a));
				return -1;
			}
			if (q->kind == r->kind && q->key_len == r->key_len &&
			    memcmp(q->key, r->key, r->key_len) == 0) {
				conf_err(c, rs, path,
				         "this %s already has a reservation in this tenant (%s)",
				         conf_res_keys[r->kind - TENANT_RES_HWADDR],
				         conf_addr_str(q->address, a));
				return -1;
			}
		}
	}
	return 0;
}

/* The options of @r: the pool's (or subnet's) under its own, hostname as option 12. */
static int conf_res_options(struct conf_ctx *c, const config_setting_t *rs, const char *path,
                            const struct tenant_subnet *sn, struct tenant_reservation *r)
{
	const config_setting_t *og = conf_get_group(c, rs, path, "options");
	const struct optset *base = &sn->options;
	struct optset own = {0};
	const char *hostname = NULL;
	char p[CONF_PATH_MAX];
	int bad = 0, rc;

	conf_path_member(p, path, "options");
	if (!og && config_setting_get_member(rs, "options"))
		bad = -1;
	if (conf_options_read(c, og, p, &own))
		bad = -1;
	rc = conf_get_string(c, rs, path, "hostname", &hostname);
	if (rc < 0) {
		bad = -1;
	} else if (rc > 0) {
		conf_path_member(p, path, "hostname");
		/* RFC 2132 3.14: host-name is at least one octet; RFC 1035 labels, 63 at most. */
		if (!*hostname || strlen(hostname) > 63) {
			conf_err(c, config_setting_get_member(rs, "hostname"), p,
			         "a host name is 1..63 characters");
			bad = -1;
		} else if (!optset_get(&own, 12) &&
		           optset_put(&own, 12, hostname, strlen(hostname))) {
			conf_err(c, rs, p, "out of memory");
			bad = -1;
		}
	}
	for (size_t i = 0; sn->pool_options && i < sn->n_pools; i++)
		if (r->address >= sn->pools[i].first && r->address <= sn->pools[i].last)
			base = &sn->pool_options[i];
	if (!bad && optset_merge(&r->options, base, &own)) {
		conf_err(c, rs, path, "out of memory");
		bad = -1;
	}
	optset_clear(&own);
	return bad;
}

int conf_reservations_read(struct conf_ctx *c, const config_setting_t *sg, const char *spath,
                           const struct tenant *t, struct tenant_subnet *sn)
{
	const config_setting_t *list = conf_get_list(c, sg, spath, "reservations", false);
	int n = list ? config_setting_length(list) : 0, bad = 0;
	char lp[CONF_PATH_MAX];

	if (!list)
		return config_setting_get_member(sg, "reservations") ? -1 : 0;
	conf_path_member(lp, spath, "reservations");
	sn->reservations = calloc((size_t)n + 1, sizeof(*sn->reservations));
	if (!sn->reservations) {
		conf_err(c, list, lp, "out of memory");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *rs = config_setting_get_elem(list, (unsigned)i);
		struct tenant_reservation *r = &sn->reservations[sn->n_reservations];
		char p[CONF_PATH_MAX];

		conf_path_elem(p, lp, (size_t)i);
		if (!config_setting_is_group(rs)) {
			conf_err(c, rs, p,
			         "expected { hw-address = \"...\"; address = \"...\"; }, found %s",
			         conf_type_name_of(rs));
			bad = -1;
			continue;
		}
		conf_check_known(c, rs, p, conf_res_names);
		memset(r, 0, sizeof(*r));
		if (conf_res_key(c, rs, p, r) | conf_res_address(c, rs, p, t, sn, r)) {
			bad = -1;
			continue;
		}
		if (conf_res_unique(c, rs, p, t, sn, r)) {
			bad = -1;
			continue;
		}
		if (conf_res_options(c, rs, p, sn, r)) {
			optset_clear(&r->options);
			bad = -1;
			continue;
		}
		sn->n_reservations++;
	}
	return bad;
}
