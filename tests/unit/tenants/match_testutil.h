/*
 * Helpers for the classification tests: tenants built in code with any kind of match key,
 * as conf_tenant.c would build them from a file.
 */
#ifndef MTDHCP_TESTS_MATCH_TESTUTIL_H
#define MTDHCP_TESTS_MATCH_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "tenants/registry.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* A tenant called @name read from "/t/@name.conf", with no keys yet. */
struct tenant *mt_tenant(const char *name);

void mt_relay(struct tenant *t, uint32_t addr);
void mt_vlan(struct tenant *t, uint16_t port, uint16_t outer, uint16_t inner);
void mt_prefix(struct tenant *t, enum tenant_prefix_kind kind, uint32_t addr, uint8_t len);
void mt_key(struct tenant *t, enum tenant_key_kind kind, const void *bytes, size_t len);
/* A key whose octets are the characters of @text. */
void mt_text(struct tenant *t, enum tenant_key_kind kind, const char *text);
/* A VSS key of type 0 (an NVT ASCII VPN name, RFC 6607). */
void mt_vss_name(struct tenant *t, const char *name);

/* A NULL-terminated array of the @n tenants given, as tenant_registry_build takes it. */
struct tenant **mt_array(size_t n, ...);

/* tenant_registry_build that must succeed. */
struct tenant_registry *mt_build(struct tenant **tenants, size_t n);

#endif
