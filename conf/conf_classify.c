/*
 * Classification settings (issue 4; docs/classification.md explains them to operators):
 *
 * - in a tenant file's match group, next to relays and vlans: relay_prefixes and
 *   link_selection (address prefixes), vss (RFC 6607 VPN identifiers), circuit_ids,
 *   circuit_id_prefixes, remote_ids and remote_id_prefixes (RFC 3046 sub-options 1 and 2);
 * - on a port of the service file: relays, relay_vlans, relay_vss_option and
 *   untrusted_relay, which say where relay information may choose a tenant;
 * - default_tenant in the service file.
 *
 * Octet-string values are written as text ("capr0") or, when they are not text, as
 * two-digit hex octets joined by colons ("00:04:00:64:01:05").
 */
#include "conf/conf_classify.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tenants/registry.h"

#define CONF_VSS_TYPE_ASCII  0   /* RFC 6607 section 3: NVT ASCII VPN identifier */
#define CONF_VSS_TYPE_VPN_ID 1   /* RFC 6607 section 3: RFC 2685 VPN-ID, 7 octets */
#define CONF_VSS_TYPE_GLOBAL 255 /* RFC 6607 section 3: the global, default VPN */
#define CONF_VPN_ID_LEN      7   /* RFC 2685 section 4: 3-octet OUI, 4-octet VPN index */
#define CONF_VSS_PREFIX      "vpn-id:"

/* One list of the match group, the kind of key it holds and how to read it. */
struct conf_key_list {
	const char *name;
	int kind; /* enum tenant_key_kind, or -1 - enum tenant_prefix_kind for addresses */
};

static const struct conf_key_list conf_key_lists[] = {
    {"relay_prefixes", -1 - TENANT_PREFIX_RELAY},
    {"link_selection", -1 - TENANT_PREFIX_LINK},
    {"vss", TENANT_KEY_VSS},
    {"circuit_ids", TENANT_KEY_CIRCUIT_ID},
    {"circuit_id_prefixes", TENANT_KEY_CIRCUIT_ID_PREFIX},
    {"remote_ids", TENANT_KEY_REMOTE_ID},
    {"remote_id_prefixes", TENANT_KEY_REMOTE_ID_PREFIX},
};

#define CONF_N_KEY_LISTS (sizeof(conf_key_lists) / sizeof(conf_key_lists[0]))

/*
 * "01:02:03": two-digit hex octets joined by colons, at least two of them (so that a
 * plain word is never mistaken for hex). Returns the number of octets written to @out,
 * or 0 when @text is not of that form or has more than @max octets.
 */
static size_t conf_hex_octets(const char *text, uint8_t *out, size_t max)
{
	size_t len = strlen(text), n;

	if (len < 5 || len % 3 != 2)
		return 0;
	n = (len + 1) / 3;
	if (n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const char *p = text + 3 * i;
		char hex[3] = {p[0], p[1], '\0'};

		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) ||
		    (i + 1 < n && p[2] != ':'))
			return 0;
		out[i] = (uint8_t)strtoul(hex, NULL, 16);
	}
	return n;
}

/* RFC 6607 section 3 (NVT ASCII, RFC 854): printable US-ASCII. */
static bool conf_nvt_ascii(const char *text)
{
	for (const char *p = text; *p; p++) {
		if (*p < 0x20 || *p > 0x7e)
			return false;
	}
	return true;
}

/* A VSS value into @k: "vpn-id:OUI:INDEX" octets, raw hex, or an NVT ASCII VPN name. */
static int conf_vss_value(struct conf_ctx *c, const config_setting_t *s, const char *path,
                          const char *text, struct tenant_key *k)
{
	size_t n;

	if (strncasecmp(text, CONF_VSS_PREFIX, strlen(CONF_VSS_PREFIX)) == 0) {
		n = conf_hex_octets(text + strlen(CONF_VSS_PREFIX), k->bytes + 1, CONF_VPN_ID_LEN);
		if (n != CONF_VPN_ID_LEN) {
			conf_err(
			    c, s, path,
			    "\"%s\" is not a VPN-ID: write vpn-id: and 7 hex octets (RFC 2685: "
			    "3-octet OUI, 4-octet index), e.g. vpn-id:00:00:5e:00:00:00:01",
			    text);
			return -1;
		}
		k->bytes[0] = CONF_VSS_TYPE_VPN_ID;
		k->len = CONF_VPN_ID_LEN + 1;
		return 0;
	}
	n = conf_hex_octets(text, k->bytes, TENANT_KEY_MAX);
	if (n) {
		/* Raw hex is the option's value as on the wire: the type octet first. */
		k->len = (uint8_t)n;
		if (k->bytes[0] == CONF_VSS_TYPE_GLOBAL) {
			conf_err(
			    c, s, path,
			    "VSS type 255 is the global VPN (RFC 6607 section 3), which no tenant "
			    "claims: such requests are classified by their other keys");
			return -1;
		}
		if ((k->bytes[0] == CONF_VSS_TYPE_ASCII && n >= 2) ||
		    (k->bytes[0] == CONF_VSS_TYPE_VPN_ID && n == CONF_VPN_ID_LEN + 1))
			return 0;
		conf_err(c, s, path,
		         "%s is not a VSS value: type 0 and a VPN name, or type 1 and a 7-octet "
		         "VPN-ID (RFC 6607 section 3)",
		         text);
		return -1;
	}
	n = strlen(text);
	if (n == 0 || n > TENANT_KEY_MAX - 1 || !conf_nvt_ascii(text)) {
		conf_err(c, s, path,
		         "a VPN name is 1..%d printable ASCII characters (RFC 6607 section 3: NVT "
		         "ASCII)",
		         TENANT_KEY_MAX - 1);
		return -1;
	}
	k->bytes[0] = CONF_VSS_TYPE_ASCII;
	memcpy(k->bytes + 1, text, n);
	k->len = (uint8_t)(n + 1);
	return 0;
}

/* An octet-string key of @kind at setting @s. 0, or -1 after reporting. */
static int conf_key_value(struct conf_ctx *c, const config_setting_t *s, const char *path, int kind,
                          struct tenant_key *k)
{
	const char *text;
	size_t n;

	if (conf_string_value(c, s, path, &text))
		return -1;
	k->kind = (uint8_t)kind;
	if (kind == TENANT_KEY_VSS)
		return conf_vss_value(c, s, path, text, k);
	n = conf_hex_octets(text, k->bytes, TENANT_KEY_MAX);
	if (n) {
		k->len = (uint8_t)n;
		return 0;
	}
	n = strlen(text);
	if (n == 0 || n > TENANT_KEY_MAX) {
		conf_err(c, s, path, "expected 1..%d octets, as text or as hex (01:02:03)",
		         TENANT_KEY_MAX);
		return -1;
	}
	memcpy(k->bytes, text, n);
	k->len = (uint8_t)n;
	return 0;
}

/* An address prefix of @kind at setting @s; link_selection also takes a bare address. */
static int conf_prefix_value(struct conf_ctx *c, const config_setting_t *s, const char *path,
                             int kind, struct tenant_prefix *p)
{
	const char *text;
	char a[16];
	uint32_t addr;
	uint8_t len;

	if (conf_string_value(c, s, path, &text))
		return -1;
	p->kind = (uint8_t)kind;
	if (kind == TENANT_PREFIX_LINK && !strchr(text, '/') && conf_parse_addr(text, &addr)) {
		len = 32;
	} else if (!conf_parse_prefix(text, &addr, &len) || len == 0) {
		conf_err(c, s, path, "\"%s\" is not an address prefix (a.b.c.d/len, len 1..32)%s",
		         text, kind == TENANT_PREFIX_LINK ? " or an address" : "");
		return -1;
	}
	if (addr & ~conf_prefix_mask(len)) {
		conf_err(c, s, path, "%s has host bits set: the prefix is %s/%u", text,
		         conf_addr_str(addr & conf_prefix_mask(len), a), len);
		return -1;
	}
	p->addr = addr;
	p->len = len;
	return 0;
}

static bool conf_key_same(const struct tenant_key *a, const struct tenant_key *b)
{
	return a->kind == b->kind && a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

/* Reads one list (@l) of the match group into @t->match; the arrays are big enough. */
static int conf_key_list_read(struct conf_ctx *c, const config_setting_t *list,
                              const struct conf_key_list *l, struct tenant *t)
{
	bool single = config_setting_is_scalar(list);
	int n = single ? 1 : config_setting_length(list), bad = 0;
	struct tenant_match *m = &t->match;

	for (int i = 0; i < n; i++) {
		const config_setting_t *s =
		    single ? list : config_setting_get_elem(list, (unsigned)i);
		char p[CONF_PATH_MAX], base[CONF_PATH_MAX];
		size_t j;

		snprintf(base, sizeof(base), "match.%s", l->name);
		if (single)
			snprintf(p, sizeof(p), "%s", base);
		else
			conf_path_elem(p, base, (size_t)i);
		if (l->kind < 0) {
			struct tenant_prefix *np = &m->prefixes[m->n_prefixes];

			if (conf_prefix_value(c, s, p, -1 - l->kind, np)) {
				bad = -1;
				continue;
			}
			for (j = 0; j < m->n_prefixes; j++) {
				if (m->prefixes[j].kind == np->kind &&
				    m->prefixes[j].len == np->len &&
				    m->prefixes[j].addr == np->addr)
					break;
			}
			if (j < m->n_prefixes) {
				conf_err(c, s, p, "this prefix is listed twice");
				bad = -1;
				continue;
			}
			np->index = single ? CONF_KEY_INDEX_SINGLE : (uint16_t)i;
			np->line = conf_line(s);
			m->n_prefixes++;
			continue;
		}
		struct tenant_key *k = &m->keys[m->n_keys];

		memset(k, 0, sizeof(*k));
		if (conf_key_value(c, s, p, l->kind, k)) {
			bad = -1;
			continue;
		}
		for (j = 0; j < m->n_keys && !conf_key_same(&m->keys[j], k); j++)
			;
		if (j < m->n_keys) {
			conf_err(c, s, p, "this value is listed twice");
			bad = -1;
			continue;
		}
		k->index = single ? CONF_KEY_INDEX_SINGLE : (uint16_t)i;
		k->line = conf_line(s);
		m->n_keys++;
	}
	return bad;
}

int conf_match_keys_read(struct conf_ctx *c, const config_setting_t *match, struct tenant *t)
{
	const config_setting_t *lists[CONF_N_KEY_LISTS];
	size_t n_prefixes = 0, n_keys = 0;
	int bad = 0;

	for (size_t i = 0; i < CONF_N_KEY_LISTS; i++) {
		const struct conf_key_list *l = &conf_key_lists[i];
		size_t n;

		lists[i] = conf_get_list(c, match, "match", l->name, true);
		if (!lists[i]) {
			if (config_setting_get_member(match, l->name))
				bad = -1;
			continue;
		}
		n = config_setting_is_scalar(lists[i]) ? 1
		                                       : (size_t)config_setting_length(lists[i]);
		/* A key's index in its list is 16 bits wide, for messages. */
		if (n >= CONF_KEY_INDEX_SINGLE) {
			char p[CONF_PATH_MAX];

			conf_path_member(p, "match", l->name);
			conf_err(c, lists[i], p, "more than %u values", CONF_KEY_INDEX_SINGLE - 1);
			lists[i] = NULL;
			bad = -1;
			continue;
		}
		if (l->kind < 0)
			n_prefixes += n;
		else
			n_keys += n;
	}
	t->match.prefixes = calloc(n_prefixes + 1, sizeof(*t->match.prefixes));
	t->match.keys = calloc(n_keys + 1, sizeof(*t->match.keys));
	if (!t->match.prefixes || !t->match.keys) {
		conf_err(c, match, "match", "out of memory");
		return -1;
	}
	for (size_t i = 0; i < CONF_N_KEY_LISTS; i++) {
		if (lists[i] && conf_key_list_read(c, lists[i], &conf_key_lists[i], t))
			bad = -1;
	}
	return bad;
}

/* --- the service file --- */

int conf_port_relay_read(struct conf_ctx *c, const config_setting_t *ps, const char *path,
                         struct conf_port *port)
{
	const config_setting_t *vlans = conf_get_list(c, ps, path, "relay_vlans", true);
	const char *untrusted = NULL;
	char p[CONF_PATH_MAX];
	int bad = 0, rc, n;

	port->relays = true;
	if (conf_get_bool(c, ps, path, "relays", &port->relays) < 0)
		bad = -1;
	if (conf_get_bool(c, ps, path, "relay_vss_option", &port->relay_vss_option) < 0)
		bad = -1;
	rc = conf_get_string(c, ps, path, "untrusted_relay", &untrusted);
	conf_path_member(p, path, "untrusted_relay");
	if (rc < 0) {
		bad = -1;
	} else if (rc > 0 && strcmp(untrusted, "drop") == 0) {
		port->untrusted_relay_drop = true;
	} else if (rc > 0 && strcmp(untrusted, "ignore") != 0) {
		conf_err(c, config_setting_get_member(ps, "untrusted_relay"), p,
		         "\"%s\" is not ignore or drop", untrusted);
		bad = -1;
	}
	if (!vlans)
		return config_setting_get_member(ps, "relay_vlans") ? -1 : bad;
	conf_path_member(p, path, "relay_vlans");
	if (!port->relays) {
		conf_err(c, vlans, p, "relay_vlans has no effect with relays = false");
		return -1;
	}
	n = config_setting_is_scalar(vlans) ? 1 : config_setting_length(vlans);
	port->relay_vlans = calloc((size_t)n + 1, sizeof(*port->relay_vlans));
	if (!port->relay_vlans) {
		conf_err(c, vlans, p, "out of memory");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_is_scalar(vlans)
		                                ? vlans
		                                : config_setting_get_elem(vlans, (unsigned)i);
		char ep[CONF_PATH_MAX];
		int64_t vid;
		size_t j;

		if (config_setting_is_scalar(vlans))
			snprintf(ep, sizeof(ep), "%s", p);
		else
			conf_path_elem(ep, p, (size_t)i);
		/* 0 stands for "untagged"; 4095 is reserved (IEEE 802.1Q 9.6). */
		if (conf_int_value(c, s, ep, 0, 4094, &vid)) {
			bad = -1;
			continue;
		}
		for (j = 0; j < port->n_relay_vlans && port->relay_vlans[j] != vid; j++)
			;
		if (j < port->n_relay_vlans) {
			conf_err(c, s, ep, "VLAN %d is listed twice", (int)vid);
			bad = -1;
			continue;
		}
		port->relay_vlans[port->n_relay_vlans++] = (uint16_t)vid;
	}
	return bad;
}

int conf_default_tenant_read(struct conf_ctx *c, const config_setting_t *root,
                             struct conf_service *svc)
{
	const char *name;
	int rc = conf_get_string(c, root, "", "default_tenant", &name);

	if (rc <= 0)
		return rc;
	if (!conf_name_ok(name, TENANT_NAME_MAX)) {
		conf_err(c, config_setting_get_member(root, "default_tenant"), "default_tenant",
		         "\"%s\" is not a valid tenant name", name);
		return -1;
	}
	svc->default_tenant_line = conf_line(config_setting_get_member(root, "default_tenant"));
	svc->default_tenant = strdup(name);
	if (!svc->default_tenant) {
		conf_err(c, root, "default_tenant", "out of memory");
		return -1;
	}
	return 0;
}

void conf_classify_clear(struct conf_service *svc)
{
	for (size_t i = 0; i < svc->n_ports; i++) {
		free(svc->ports[i].relay_vlans);
		svc->ports[i].relay_vlans = NULL;
	}
	free(svc->default_tenant);
	svc->default_tenant = NULL;
}

void conf_port_policy(const struct conf_port *p, struct tenant_port_policy *out)
{
	static const uint16_t untagged[] = {0};

	out->relays = p->relays;
	/* Not set: untagged only. Set to an empty list: nowhere on this port. */
	out->relay_vlans = p->relay_vlans ? p->relay_vlans : untagged;
	out->n_relay_vlans = p->relay_vlans ? p->n_relay_vlans : 1;
	out->vss_option = p->relay_vss_option;
	out->untrusted = p->untrusted_relay_drop ? TENANT_UNTRUSTED_DROP : TENANT_UNTRUSTED_IGNORE;
}
