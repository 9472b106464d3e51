/*
 * The registry's classification tables: every kind of key, exact and prefix matches
 * (longest first), address prefixes, the default tenant, ports' relay policies, and the
 * conflicts between tenants that are refused with both tenants and files named.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "match_testutil.h"

static const struct tenant *by_text(const struct tenant_registry *reg, enum tenant_key_kind kind,
                                    const char *text)
{
	return tenant_registry_by_key(reg, kind, (const uint8_t *)text, strlen(text));
}

/* Exact keys: equal octets and equal kind, nothing less. */
static void test_exact_keys(void **state)
{
	static const uint8_t vpn_id[] = {1, 0x00, 0x00, 0x5e, 0x00, 0x00, 0x00, 0x01};
	static const uint8_t binary[] = {0x00, 0x04, 0x00, 0x64, 0x01, 0x05};
	struct tenant *a = mt_tenant("a"), *b = mt_tenant("b"), *c = mt_tenant("c"),
	              *d = mt_tenant("d");
	struct tenant_registry *reg;
	uint8_t v[8];

	(void)state;
	mt_text(a, TENANT_KEY_CIRCUIT_ID, "capr0");
	mt_key(a, TENANT_KEY_CIRCUIT_ID, binary, sizeof(binary));
	/* The same octets as a's circuit-id, but a remote-id: another key, no conflict. */
	mt_text(b, TENANT_KEY_REMOTE_ID, "capr0");
	mt_vss_name(c, "blue");
	mt_key(d, TENANT_KEY_VSS, vpn_id, sizeof(vpn_id));
	reg = mt_build(mt_array(4, a, b, c, d), 4);

	assert_ptr_equal(by_text(reg, TENANT_KEY_CIRCUIT_ID, "capr0"), a);
	assert_ptr_equal(tenant_registry_by_key(reg, TENANT_KEY_CIRCUIT_ID, binary, sizeof(binary)),
	                 a);
	assert_ptr_equal(by_text(reg, TENANT_KEY_REMOTE_ID, "capr0"), b);
	assert_null(by_text(reg, TENANT_KEY_CIRCUIT_ID, "capr"));         /* shorter */
	assert_null(by_text(reg, TENANT_KEY_CIRCUIT_ID, "capr00"));       /* longer */
	assert_null(by_text(reg, TENANT_KEY_CIRCUIT_ID, "capr1"));        /* one octet off */
	assert_null(by_text(reg, TENANT_KEY_CIRCUIT_ID_PREFIX, "capr0")); /* not a prefix key */
	assert_null(tenant_registry_by_key(reg, TENANT_KEY_CIRCUIT_ID, binary, 0));

	v[0] = 0;
	memcpy(v + 1, "blue", 4);
	assert_ptr_equal(tenant_registry_by_key(reg, TENANT_KEY_VSS, v, 5), c);
	v[0] = 1; /* the same name under another VSS type is another VPN */
	assert_null(tenant_registry_by_key(reg, TENANT_KEY_VSS, v, 5));
	assert_ptr_equal(tenant_registry_by_key(reg, TENANT_KEY_VSS, vpn_id, sizeof(vpn_id)), d);
	memcpy(v, vpn_id, sizeof(v));
	v[7] = 2;
	assert_null(tenant_registry_by_key(reg, TENANT_KEY_VSS, v, sizeof(v)));
	tenant_registry_free(reg);
}

/* Prefix keys: the longest configured prefix of the value wins. */
static void test_prefix_keys(void **state)
{
	struct tenant *a = mt_tenant("a"), *b = mt_tenant("b"), *c = mt_tenant("c"),
	              *r = mt_tenant("r");
	struct tenant_registry *reg;

	(void)state;
	mt_text(a, TENANT_KEY_CIRCUIT_ID_PREFIX, "eth");
	mt_text(b, TENANT_KEY_CIRCUIT_ID_PREFIX, "eth1/");
	mt_text(c, TENANT_KEY_CIRCUIT_ID_PREFIX, "eth1/0/");
	mt_text(r, TENANT_KEY_REMOTE_ID_PREFIX, "eth1/");
	reg = mt_build(mt_array(4, a, b, c, r), 4);

	assert_ptr_equal(by_text(reg, TENANT_KEY_CIRCUIT_ID_PREFIX, "eth1/0/5"), c);
	assert_ptr_equal(by_text(reg, TENANT_KEY_CIRCUIT_ID_PREFIX, "eth1/0/"), c);
	assert_ptr_equal(by_text(reg, TENANT_KEY_CIRCUIT_ID_PREFIX, "eth1/1/5"), b);
	assert_ptr_equal(by_text(reg, TENANT_KEY_CIRCUIT_ID_PREFIX, "eth2"), a);
	assert_ptr_equal(by_text(reg, TENANT_KEY_CIRCUIT_ID_PREFIX, "eth"), a);
	assert_null(by_text(reg, TENANT_KEY_CIRCUIT_ID_PREFIX, "et"));
	assert_null(by_text(reg, TENANT_KEY_CIRCUIT_ID_PREFIX, "xeth1/0/5"));
	/* Remote-id prefixes are their own table. */
	assert_ptr_equal(by_text(reg, TENANT_KEY_REMOTE_ID_PREFIX, "eth1/0/5"), r);
	assert_null(by_text(reg, TENANT_KEY_REMOTE_ID_PREFIX, "eth2"));
	/* Exact lookups do not see prefixes. */
	assert_null(by_text(reg, TENANT_KEY_CIRCUIT_ID, "eth"));
	tenant_registry_free(reg);
}

/* Relay addresses and prefixes, and link-selection prefixes: longest prefix first. */
static void test_address_prefixes(void **state)
{
	struct tenant *a = mt_tenant("a"), *b = mt_tenant("b"), *c = mt_tenant("c"),
	              *l = mt_tenant("l");
	struct tenant_registry *reg;
	uint8_t plen = 0;

	(void)state;
	mt_relay(a, IP(10, 20, 0, 1));
	mt_prefix(b, TENANT_PREFIX_RELAY, IP(10, 20, 0, 0), 16);
	mt_prefix(c, TENANT_PREFIX_RELAY, IP(10, 0, 0, 0), 8);
	mt_prefix(l, TENANT_PREFIX_LINK, IP(10, 20, 0, 0), 16);
	mt_prefix(l, TENANT_PREFIX_LINK, IP(192, 168, 1, 1), 32);
	reg = mt_build(mt_array(4, a, b, c, l), 4);

	assert_ptr_equal(tenant_registry_by_addr(reg, TENANT_PREFIX_RELAY, IP(10, 20, 0, 1), &plen),
	                 a);
	assert_int_equal(plen, 32);
	assert_ptr_equal(tenant_registry_by_addr(reg, TENANT_PREFIX_RELAY, IP(10, 20, 9, 9), &plen),
	                 b);
	assert_int_equal(plen, 16);
	assert_ptr_equal(tenant_registry_by_relay(reg, IP(10, 99, 0, 1)), c);
	assert_null(tenant_registry_by_relay(reg, IP(11, 0, 0, 1)));
	assert_null(tenant_registry_by_relay(reg, IP(192, 168, 1, 1)));
	/* Link selection has its own table: the same addresses mean other tenants there. */
	assert_ptr_equal(tenant_registry_by_addr(reg, TENANT_PREFIX_LINK, IP(10, 20, 0, 1), NULL),
	                 l);
	assert_ptr_equal(tenant_registry_by_addr(reg, TENANT_PREFIX_LINK, IP(192, 168, 1, 1), NULL),
	                 l);
	assert_null(tenant_registry_by_addr(reg, TENANT_PREFIX_LINK, IP(192, 168, 1, 2), NULL));
	assert_null(tenant_registry_by_addr(reg, TENANT_PREFIX_LINK, IP(10, 99, 0, 1), NULL));
	assert_null(
	    tenant_registry_by_addr(reg, (enum tenant_prefix_kind)7, IP(10, 20, 0, 1), NULL));
	tenant_registry_free(reg);
}

struct seen {
	size_t n;
	const struct tenant *t[8], *other[8];
	enum tenant_conflict_list list[8];
	size_t index[8];
	char what[8][128];
};

static void record(void *ctx, const struct tenant *t, size_t ti, const struct tenant *other,
                   enum tenant_conflict_list list, size_t index, const char *what)
{
	struct seen *s = ctx;

	(void)ti;
	assert_true(s->n < 8);
	s->t[s->n] = t;
	s->other[s->n] = other;
	s->list[s->n] = list;
	s->index[s->n] = index;
	snprintf(s->what[s->n], sizeof(s->what[0]), "%s", what);
	s->n++;
}

/* Every key two tenants claim is a conflict, reported at the later tenant's key. */
static void test_conflicts(void **state)
{
	static const uint8_t vpn_id[] = {1, 0x00, 0x00, 0x5e, 0x00, 0x00, 0x00, 0x01};
	struct tenant *a = mt_tenant("acme"), *b = mt_tenant("globex"), *c = mt_tenant("initech");
	struct tenant *tenants[3] = {a, b, c};
	struct seen s = {0};

	(void)state;
	mt_text(a, TENANT_KEY_CIRCUIT_ID, "capr0");
	mt_prefix(a, TENANT_PREFIX_RELAY, IP(10, 20, 0, 0), 16);
	mt_relay(a, IP(10, 9, 9, 1));
	mt_key(a, TENANT_KEY_VSS, vpn_id, sizeof(vpn_id));
	mt_vlan(a, 0, 300, 100);
	/* b: overlapping but different keys are not conflicts (the longest match decides). */
	mt_prefix(b, TENANT_PREFIX_RELAY, IP(10, 20, 0, 0), 24);
	mt_text(b, TENANT_KEY_CIRCUIT_ID, "capr01");
	mt_text(b, TENANT_KEY_CIRCUIT_ID_PREFIX, "capr0");
	mt_vlan(b, 0, 300, 200);
	mt_prefix(b, TENANT_PREFIX_LINK, IP(10, 20, 0, 0), 16); /* another table than a's */
	/* c: the same keys as a, of every kind; a relay given as a /32 prefix is a relay. */
	mt_text(c, TENANT_KEY_REMOTE_ID, "x");
	mt_text(c, TENANT_KEY_CIRCUIT_ID, "capr0");
	mt_prefix(c, TENANT_PREFIX_RELAY, IP(10, 20, 0, 0), 16);
	mt_prefix(c, TENANT_PREFIX_RELAY, IP(10, 9, 9, 1), 32);
	mt_key(c, TENANT_KEY_VSS, vpn_id, sizeof(vpn_id));
	mt_vlan(c, 0, 300, 100);
	a->match.is_default = c->match.is_default = true;

	assert_int_equal(tenant_registry_conflicts(tenants, 2, record, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(tenant_registry_conflicts(tenants, 3, record, &s), 6);
	assert_int_equal(s.n, 6);
	for (size_t i = 0; i < s.n; i++) {
		assert_ptr_equal(s.t[i], c);
		assert_ptr_equal(s.other[i], a);
	}
	/* In the order the registry indexes them: prefixes, VLANs, keys, default. */
	assert_int_equal(s.list[0], TENANT_CONFLICT_PREFIX);
	assert_int_equal(s.index[0], 0);
	assert_string_equal(s.what[0], "relay prefix 10.20.0.0/16");
	assert_int_equal(s.list[1], TENANT_CONFLICT_PREFIX);
	assert_int_equal(s.index[1], 1);
	assert_int_equal(s.list[2], TENANT_CONFLICT_VLAN);
	assert_string_equal(s.what[2], "port 0 vlan 300 inner vlan 100");
	assert_int_equal(s.list[3], TENANT_CONFLICT_KEY);
	assert_int_equal(s.index[3], 1);
	assert_string_equal(s.what[3], "circuit-id \"capr0\"");
	assert_int_equal(s.list[4], TENANT_CONFLICT_KEY);
	assert_string_equal(s.what[4], "VSS VPN-ID 00:00:5e:00:00:00:01");
	assert_int_equal(s.list[5], TENANT_CONFLICT_DEFAULT);

	for (size_t i = 0; i < 3; i++)
		tenant_free(tenants[i]);
}

/* The registry refuses the first conflict, naming both tenants, both files and the key. */
static void test_build_refuses_conflict(void **state)
{
	struct tenant *a = mt_tenant("acme"), *b = mt_tenant("globex");
	char err[512];

	(void)state;
	mt_vss_name(a, "blue");
	mt_text(b, TENANT_KEY_REMOTE_ID, "r1");
	mt_vss_name(b, "blue");
	errno = 0;
	assert_null(tenant_registry_build(mt_array(2, a, b), 2, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err, "tenant \"globex\" (/t/globex.conf) and tenant \"acme\" "
	                         "(/t/acme.conf) both match VSS VPN \"blue\"");

	/* Two default tenants. */
	a = mt_tenant("acme");
	b = mt_tenant("globex");
	a->match.is_default = b->match.is_default = true;
	assert_null(tenant_registry_build(mt_array(2, a, b), 2, err, sizeof(err)));
	assert_non_null(strstr(err, "both match the default tenant"));

	/* Keys no table holds. */
	a = mt_tenant("acme");
	mt_prefix(a, TENANT_PREFIX_RELAY, IP(10, 0, 0, 0), 33);
	assert_null(tenant_registry_build(mt_array(1, a), 1, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "invalid relay prefix"));
}

/* A tenant that repeats its own key is not ambiguous; descriptions show binary as hex. */
static void test_same_tenant_and_describe(void **state)
{
	static const uint8_t bin[] = {0x00, 0x04, '"'};
	struct tenant *a = mt_tenant("a");
	struct tenant_registry *reg;
	char buf[128];

	(void)state;
	mt_text(a, TENANT_KEY_CIRCUIT_ID, "capr0");
	mt_text(a, TENANT_KEY_CIRCUIT_ID, "capr0");
	mt_prefix(a, TENANT_PREFIX_LINK, IP(10, 0, 0, 0), 8);
	mt_prefix(a, TENANT_PREFIX_LINK, IP(10, 0, 0, 0), 8);
	reg = mt_build(mt_array(1, a), 1);
	assert_ptr_equal(by_text(reg, TENANT_KEY_CIRCUIT_ID, "capr0"), a);
	tenant_registry_free(reg);

	struct tenant_key k = {.kind = TENANT_KEY_REMOTE_ID_PREFIX, .len = 3};
	memcpy(k.bytes, bin, 3);
	tenant_key_describe(&k, buf, sizeof(buf));
	assert_string_equal(buf, "remote-id prefix 00:04:22");
	k.kind = TENANT_KEY_VSS;
	k.bytes[0] = 9;
	tenant_key_describe(&k, buf, sizeof(buf));
	assert_string_equal(buf, "VSS type 9 04:22");
	struct tenant_prefix p = {
	    .addr = IP(192, 168, 1, 0), .len = 24, .kind = TENANT_PREFIX_LINK};
	tenant_prefix_describe(&p, buf, sizeof(buf));
	assert_string_equal(buf, "link-selection 192.168.1.0/24");
}

/* The default tenant, and which links carry relayed requests whose keys count. */
static void test_default_and_relay_links(void **state)
{
	static const uint16_t p0_vlans[] = {0, 200, 300};
	const struct tenant_port_policy ports[2] = {
	    {.relays = true,
	     .relay_vlans = p0_vlans,
	     .n_relay_vlans = 3,
	     .untrusted = TENANT_UNTRUSTED_DROP},
	    {.relays = false},
	};
	const struct tenant_registry_params params = {ports, 2};
	struct tenant *a = mt_tenant("a"), *d = mt_tenant("d");
	struct tenant_registry *reg;
	char err[256];

	(void)state;
	mt_vlan(a, 0, 300, 0); /* a claims VLAN 300 on port 0: never a relay link */
	d->match.is_default = true;
	reg = tenant_registry_build_params(mt_array(2, a, d), 2, &params, err, sizeof(err));
	assert_non_null(reg);
	assert_ptr_equal(tenant_registry_default(reg), d);

	assert_true(tenant_registry_relay_link(reg, 0, 0, 0));
	assert_true(tenant_registry_relay_link(reg, 0, 200, 0));
	assert_false(tenant_registry_relay_link(reg, 0, 200, 7)); /* QinQ */
	assert_false(tenant_registry_relay_link(reg, 0, 100, 0)); /* not listed */
	assert_false(tenant_registry_relay_link(reg, 0, 300, 0)); /* claimed by a */
	assert_false(tenant_registry_relay_link(reg, 1, 0, 0));   /* relays = false */
	assert_false(tenant_registry_relay_link(reg, 0, 4096, 0));
	/* A port the parameters do not cover gets the default: untagged only. */
	assert_true(tenant_registry_relay_link(reg, 5, 0, 0));
	assert_false(tenant_registry_relay_link(reg, 5, 200, 0));
	assert_int_equal(tenant_registry_port_policy(reg, 0)->untrusted, TENANT_UNTRUSTED_DROP);
	assert_int_equal(tenant_registry_port_policy(reg, 0)->n_relay_vlans, 3);
	assert_int_equal(tenant_registry_port_policy(reg, 0)->relay_vlans[2], 300);
	assert_ptr_equal(tenant_registry_port_policy(reg, 5), &tenant_port_policy_default);
	tenant_registry_free(reg);

	/* Without a default tenant there is none; an invalid relay VLAN is refused. */
	reg = mt_build(mt_array(1, mt_tenant("a")), 1);
	assert_null(tenant_registry_default(reg));
	tenant_registry_free(reg);
	static const uint16_t bad[] = {4096};
	const struct tenant_port_policy badp = {
	    .relays = true, .relay_vlans = bad, .n_relay_vlans = 1};
	const struct tenant_registry_params bp = {&badp, 1};
	assert_null(
	    tenant_registry_build_params(mt_array(1, mt_tenant("a")), 1, &bp, err, sizeof(err)));
	assert_non_null(strstr(err, "invalid relay VLAN id 4096"));
}

/* Many tenants with keys of every kind: each is found, and only its own keys find it. */
static void test_many_tenants(void **state)
{
	enum { N = 10000 };
	struct tenant **a = calloc(N + 1, sizeof(*a));
	struct tenant_registry *reg;
	char s[64];

	(void)state;
	assert_non_null(a);
	for (uint32_t i = 0; i < N; i++) {
		snprintf(s, sizeof(s), "t%05u", i);
		a[i] = mt_tenant(s);
		snprintf(s, sizeof(s), "Ethernet%u/0/1", i);
		mt_text(a[i], TENANT_KEY_CIRCUIT_ID, s);
		snprintf(s, sizeof(s), "modem-%u-", i);
		mt_text(a[i], TENANT_KEY_REMOTE_ID_PREFIX, s);
		snprintf(s, sizeof(s), "vpn%u", i);
		mt_vss_name(a[i], s);
		mt_prefix(a[i], TENANT_PREFIX_RELAY, IP(10, 0, 0, 0) + (i << 8), 24);
		mt_vlan(a[i], (uint16_t)(i % 3), (uint16_t)(1 + i / 3 % 4094),
		        (uint16_t)(i / 12282));
	}
	reg = mt_build(a, N);
	for (uint32_t i = 0; i < N; i++) {
		uint8_t v[64];

		snprintf(s, sizeof(s), "Ethernet%u/0/1", i);
		assert_ptr_equal(by_text(reg, TENANT_KEY_CIRCUIT_ID, s), a[i]);
		snprintf(s, sizeof(s), "modem-%u-abc", i);
		assert_ptr_equal(by_text(reg, TENANT_KEY_REMOTE_ID_PREFIX, s), a[i]);
		v[0] = 0;
		int n = snprintf((char *)v + 1, sizeof(v) - 1, "vpn%u", i);
		assert_ptr_equal(tenant_registry_by_key(reg, TENANT_KEY_VSS, v, (size_t)n + 1),
		                 a[i]);
		assert_ptr_equal(tenant_registry_by_relay(reg, IP(10, 0, 0, 77) + (i << 8)), a[i]);
		assert_ptr_equal(tenant_registry_by_vlan(reg, (uint16_t)(i % 3),
		                                         (uint16_t)(1 + i / 3 % 4094),
		                                         (uint16_t)(i / 12282)),
		                 a[i]);
	}
	assert_null(by_text(reg, TENANT_KEY_CIRCUIT_ID, "Ethernet10000/0/1"));
	tenant_registry_free(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exact_keys),
	    cmocka_unit_test(test_prefix_keys),
	    cmocka_unit_test(test_address_prefixes),
	    cmocka_unit_test(test_conflicts),
	    cmocka_unit_test(test_build_refuses_conflict),
	    cmocka_unit_test(test_same_tenant_and_describe),
	    cmocka_unit_test(test_default_and_relay_links),
	    cmocka_unit_test(test_many_tenants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
