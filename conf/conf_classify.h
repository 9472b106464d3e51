/*
 * Private to conf/: the settings that decide which tenant a request belongs to (issue 4,
 * docs/classification.md), read by conf_classify.c for conf_tenant.c (a tenant's match
 * keys beyond relays and vlans) and conf_service.c (ports' relay settings, the default
 * tenant).
 */
#ifndef MTDHCP_CONF_CONF_CLASSIFY_H
#define MTDHCP_CONF_CONF_CLASSIFY_H

#include "conf/conf_internal.h"

/* The match settings conf_match_keys_read reads, for conf_check_known. */
#define CONF_MATCH_KEY_NAMES                                                                       \
	"relay_prefixes", "link_selection", "vss", "circuit_ids", "circuit_id_prefixes",           \
	    "remote_ids", "remote_id_prefixes"

/* The index of a key written as a single value (vss = "blue") rather than a list. */
#define CONF_KEY_INDEX_SINGLE UINT16_MAX

/* The port settings conf_port_relay_read reads. */
#define CONF_PORT_RELAY_NAMES "relays", "relay_vlans", "relay_vss_option", "untrusted_relay"

/*
 * Reads the match group's relay_prefixes, link_selection, vss, circuit_ids,
 * circuit_id_prefixes, remote_ids and remote_id_prefixes into @t->match.prefixes and
 * keys, each with its line. 0, or -1 after reporting.
 */
int conf_match_keys_read(struct conf_ctx *c, const config_setting_t *match, struct tenant *t);

/*
 * Reads a port's relays, relay_vlans, relay_vss_option and untrusted_relay into @port
 * (defaults: true, [0], false, "ignore"). 0, or -1 after reporting.
 */
int conf_port_relay_read(struct conf_ctx *c, const config_setting_t *ps, const char *path,
                         struct conf_port *port);

/* Reads default_tenant (a tenant name; conf_check.c checks that it exists). */
int conf_default_tenant_read(struct conf_ctx *c, const config_setting_t *root,
                             struct conf_service *svc);

/* Frees what conf_port_relay_read and conf_default_tenant_read allocated. */
void conf_classify_clear(struct conf_service *svc);

#endif
