/*
 * Classification settings read from real files through conf_load: a tenant's match keys
 * of every kind (text and hex values, VPN-IDs, prefixes), their errors with file, line and
 * setting, keys claimed by two tenant files (reported in the later file, naming both), the
 * ports' relay settings, the default tenant, and a thousand tenant files loaded and
 * indexed.
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

#include "../conf/conf_harness.h"
#include "match_testutil.h"

/* A temporary directory with @service as its mtdhcpd.conf (NULL: the standard one). */
static void setup(struct harness *h, const char *service)
{
	memset(h, 0, sizeof(*h));
	harness_mkdir(h);
	if (service)
		harness_write(h->dir, "mtdhcpd.conf", service);
}

static void load(struct harness *h)
{
	char svc[512];

	snprintf(svc, sizeof(svc), "%s/mtdhcpd.conf", h->dir);
	harness_load(h, svc);
}

static const struct tenant *find(const struct conf *conf, const char *name)
{
	for (size_t i = 0; i < conf->n_tenants; i++) {
		if (strcmp(conf->tenants[i]->name, name) == 0)
			return conf->tenants[i];
	}
	fail_msg("no tenant %s", name);
	return NULL;
}

#define SUBNET "subnets = ( { subnet = \"192.168.1.0/24\"; } );\n"

static void test_keys_of_every_kind(void **state)
{
	struct harness h;
	const struct tenant *t;
	const struct tenant_key *k;
	const struct tenant_prefix *p;

	(void)state;
	setup(&h, NULL);
	harness_write(h.dir, "tenants.d/acme.conf",
	              "match = {\n"
	              "  relay_prefixes = [ \"10.20.0.0/16\", \"10.30.1.0/24\" ];\n"
	              "  link_selection = [ \"192.168.1.0/24\", \"172.16.0.1\" ];\n"
	              "  vss = [ \"blue\", \"vpn-id:00:00:5e:00:00:00:01\", \"00:72:65:64\" ];\n"
	              "  circuit_ids = [ \"capr0\", \"00:04:00:64:01:05\" ];\n"
	              "  circuit_id_prefixes = \"Ethernet1/\";\n"
	              "  remote_ids = ( \"modem-7\" );\n"
	              "  remote_id_prefixes = [ \"ab:cd\", \"0g:11\" ];\n"
	              "};\n" SUBNET);
	load(&h);
	assert_int_equal(h.rc, 0);
	t = find(h.conf, "acme");
	assert_int_equal(t->match.n_prefixes, 4);
	p = &t->match.prefixes[1];
	assert_int_equal(p->kind, TENANT_PREFIX_RELAY);
	assert_int_equal(p->addr, IP(10, 30, 1, 0));
	assert_int_equal(p->len, 24);
	assert_int_equal(p->index, 1);
	assert_int_equal(p->line, 2);
	p = &t->match.prefixes[3];
	assert_int_equal(p->kind, TENANT_PREFIX_LINK);
	assert_int_equal(p->addr, IP(172, 16, 0, 1));
	assert_int_equal(p->len, 32); /* a bare address is a /32 */
	assert_int_equal(p->line, 3);

	assert_int_equal(t->match.n_keys, 9);
	k = &t->match.keys[0];
	assert_int_equal(k->kind, TENANT_KEY_VSS);
	assert_int_equal(k->len, 5);
	assert_memory_equal(k->bytes, "\0blue", 5); /* type 0, NVT ASCII (RFC 6607) */
	k = &t->match.keys[1];
	assert_int_equal(k->len, 8);
	assert_memory_equal(k->bytes, "\x01\x00\x00\x5e\x00\x00\x00\x01", 8);
	k = &t->match.keys[2]; /* raw hex: the value as on the wire */
	assert_int_equal(k->len, 4);
	assert_memory_equal(k->bytes, "\0red", 4);
	k = &t->match.keys[4];
	assert_int_equal(k->kind, TENANT_KEY_CIRCUIT_ID);
	assert_int_equal(k->len, 6);
	assert_memory_equal(k->bytes, "\x00\x04\x00\x64\x01\x05", 6);
	assert_int_equal(k->index, 1);
	assert_int_equal(k->line, 5);
	k = &t->match.keys[5];
	assert_int_equal(k->kind, TENANT_KEY_CIRCUIT_ID_PREFIX);
	assert_memory_equal(k->bytes, "Ethernet1/", 10);
	k = &t->match.keys[6];
	assert_int_equal(k->kind, TENANT_KEY_REMOTE_ID);
	assert_int_equal(k->line, 7);
	k = &t->match.keys[7];
	assert_int_equal(k->len, 2);
	assert_memory_equal(k->bytes, "\xab\xcd", 2);
	k = &t->match.keys[8]; /* not hex digits: text */
	assert_int_equal(k->len, 5);
	assert_memory_equal(k->bytes, "0g:11", 5);
	/* A tenant with only these keys matches packets: it needs no relays or vlans. */
	assert_int_equal(t->match.n_relays, 0);
	assert_false(t->match.is_default);
	harness_done(&h);
}

struct bad {
	const char *match;
	int line;
	const char *setting;
	const char *msg;
};

static void test_key_errors(void **state)
{
	static const struct bad bad[] = {
	    {"vss = [ \"vpn-id:00:01\" ];", 2, "match.vss.[0]", "is not a VPN-ID"},
	    {"vss = \"ff:00\";", 2, "match.vss", "type 255 is the global VPN"},
	    {"vss = [ \"02:41:42\" ];", 2, "match.vss.[0]", "is not a VSS value"},
	    {"vss = [ \"01:02:03\" ];", 2, "match.vss.[0]", "is not a VSS value"},
	    {"vss = [ \"caf\xc3\xa9\" ];", 2, "match.vss.[0]", "printable ASCII"},
	    {"vss = [ \"\" ];", 2, "match.vss.[0]", "printable ASCII"},
	    {"circuit_ids = [ \"\" ];", 2, "match.circuit_ids.[0]", "expected 1..255 octets"},
	    {"circuit_ids = [ 5 ];", 2, "match.circuit_ids.[0]", "expected a string"},
	    {"circuit_ids = [ \"a\", \"b\",\n \"a\" ];", 3, "match.circuit_ids.[2]",
	     "listed twice"},
	    {"remote_id_prefixes = { a = 1; };", 2, "match.remote_id_prefixes", "expected a list"},
	    {"relay_prefixes = [ \"10.20.0.1/16\" ];", 2, "match.relay_prefixes.[0]",
	     "has host bits set: the prefix is 10.20.0.0/16"},
	    {"relay_prefixes = [ \"10.20.0.0\" ];", 2, "match.relay_prefixes.[0]",
	     "is not an address prefix"},
	    {"relay_prefixes = [ \"0.0.0.0/0\" ];", 2, "match.relay_prefixes.[0]",
	     "is not an address prefix"},
	    {"link_selection = [ \"10.1.0.0/33\" ];", 2, "match.link_selection.[0]",
	     "or an address"},
	    {"link_selection = [ \"10.1.0.0/16\", \"10.1.0.0/16\" ];", 2,
	     "match.link_selection.[1]", "listed twice"},
	    {"circuit_idz = [ \"x\" ];", 2, "match.circuit_idz", "unknown setting"},
	};
	char text[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct harness h;

		setup(&h, NULL);
		snprintf(text, sizeof(text),
		         "match = {\n%s\n  relays = [ \"10.0.0.1\" ];\n};\n" SUBNET, bad[i].match);
		harness_write(h.dir, "tenants.d/t.conf", text);
		load(&h);
		harness_expect(&h, 1, "/tenants.d/t.conf", bad[i].line, bad[i].setting, bad[i].msg);
		harness_done(&h);
	}
}

/* Keys claimed by two files: each reported once, in the later file, naming both files. */
static void test_conflicts_between_files(void **state)
{
	struct harness h;
	char msg[1024];

	(void)state;
	setup(&h, NULL);
	harness_write(h.dir, "tenants.d/a-acme.conf",
	              "name = \"acme\";\n"
	              "match = { circuit_ids = [ \"capr0\" ]; vss = \"blue\";\n"
	              "          relay_prefixes = [ \"10.20.0.0/16\" ];\n"
	              "          link_selection = [ \"192.168.1.0/24\" ]; };\n" SUBNET);
	harness_write(h.dir, "tenants.d/b-globex.conf",
	              "name = \"globex\";\n"
	              "match = {\n"
	              "  circuit_ids = [ \"capr1\", \"63:61:70:72:30\" ];\n" /* "capr0" in hex */
	              "  vss = \"blue\";\n"
	              "  relay_prefixes = [ \"10.20.0.0/24\" ];\n" /* nested, not the same */
	              "  link_selection = [ \"10.0.0.0/8\",\n"
	              "                     \"192.168.1.0/24\" ];\n"
	              "  relays = [ \"10.20.0.0\" ];\n"
	              "};\n" SUBNET);
	load(&h);
	assert_int_equal(h.rc, -EINVAL);
	snprintf(msg, sizeof(msg),
	         "tenant \"globex\" (%s/tenants.d/b-globex.conf) and tenant \"acme\" "
	         "(%s/tenants.d/a-acme.conf) both match circuit-id \"capr0\"",
	         h.dir, h.dir);
	harness_expect(&h, 3, "/tenants.d/b-globex.conf", 3, "match.circuit_ids.[1]", msg);
	harness_expect(&h, 3, "/tenants.d/b-globex.conf", 4, "match.vss",
	               "both match VSS VPN \"blue\"");
	harness_expect(&h, 3, "/tenants.d/b-globex.conf", 7, "match.link_selection.[1]",
	               "both match link-selection 192.168.1.0/24");
	harness_done(&h);
}

static void test_port_relay_settings(void **state)
{
	static const char service[] =
	    "dataplane = { ports = (\n"
	    "  { name = \"uplink\"; device = \"net_null0\"; address = \"10.0.1.1/24\";\n"
	    "    relay_vlans = [ 0, 200 ]; relay_vss_option = true; untrusted_relay = \"drop\"; "
	    "},\n"
	    "  { name = \"trunk\"; device = \"net_null1\"; address = \"10.0.2.1/24\";\n"
	    "    relays = false; },\n"
	    "  { name = \"none\"; device = \"net_null2\"; address = \"10.0.3.1/24\";\n"
	    "    relay_vlans = [ ]; },\n"
	    "  { name = \"plain\"; device = \"net_null3\"; address = \"10.0.4.1/24\"; } ); };\n"
	    "tenants_dir = \"tenants.d\";\n";
	struct harness h;
	struct tenant_port_policy pol;

	(void)state;
	setup(&h, service);
	harness_write(h.dir, "tenants.d/a.conf", "match = { relays = \"10.0.0.1\"; };\n" SUBNET);
	load(&h);
	assert_int_equal(h.rc, 0);
	conf_port_policy(&h.conf->service.ports[0], &pol);
	assert_true(pol.relays);
	assert_int_equal(pol.n_relay_vlans, 2);
	assert_int_equal(pol.relay_vlans[1], 200);
	assert_true(pol.vss_option);
	assert_int_equal(pol.untrusted, TENANT_UNTRUSTED_DROP);
	conf_port_policy(&h.conf->service.ports[1], &pol);
	assert_false(pol.relays);
	assert_int_equal(pol.untrusted, TENANT_UNTRUSTED_IGNORE);
	conf_port_policy(&h.conf->service.ports[2], &pol);
	assert_true(pol.relays);
	assert_int_equal(pol.n_relay_vlans, 0); /* an empty list: nowhere */
	conf_port_policy(&h.conf->service.ports[3], &pol);
	assert_true(pol.relays);
	assert_false(pol.vss_option);
	assert_int_equal(pol.n_relay_vlans, 1); /* the default: untagged */
	assert_int_equal(pol.relay_vlans[0], 0);
	harness_done(&h);

	static const struct bad bad[] = {
	    {"relays = false; relay_vlans = [ 5 ];", 1, "dataplane.ports.[0].relay_vlans",
	     "no effect with relays = false"},
	    {"relay_vlans = [ 4095 ];", 1, "dataplane.ports.[0].relay_vlans.[0]", "out of range"},
	    {"relay_vlans = [ 7, 7 ];", 1, "dataplane.ports.[0].relay_vlans.[1]", "listed twice"},
	    {"untrusted_relay = \"reject\";", 1, "dataplane.ports.[0].untrusted_relay",
	     "not ignore or drop"},
	    {"relays = \"yes\";", 1, "dataplane.ports.[0].relays", "expected true or false"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[512];

		snprintf(text, sizeof(text),
		         "dataplane = { ports = ( { name = \"uplink\"; device = \"net_null0\"; "
		         "address = \"10.0.1.1/24\"; %s } ); };\ntenants_dir = \"tenants.d\";\n",
		         bad[i].match);
		setup(&h, text);
		harness_write(h.dir, "tenants.d/a.conf",
		              "match = { relays = \"10.0.0.1\"; };\n" SUBNET);
		load(&h);
		harness_expect(&h, 1, "/mtdhcpd.conf", bad[i].line, bad[i].setting, bad[i].msg);
		harness_done(&h);
	}
}

static void test_default_tenant(void **state)
{
	static const char service[] =
	    "dataplane = { ports = ( { name = \"uplink\"; device = \"net_null0\";\n"
	    "  address = \"10.0.1.1/24\"; } ); };\n"
	    "tenants_dir = \"tenants.d\";\n"
	    "default_tenant = \"fallback\";\n";
	struct harness h;

	(void)state;
	setup(&h, service);
	harness_write(h.dir, "tenants.d/acme.conf", "match = { relays = \"10.0.0.1\"; };\n" SUBNET);
	/* The default tenant needs no match rules of its own. */
	harness_write(h.dir, "tenants.d/fallback.conf", SUBNET);
	load(&h);
	assert_int_equal(h.rc, 0);
	assert_true(find(h.conf, "fallback")->match.is_default);
	assert_false(find(h.conf, "acme")->match.is_default);
	harness_done(&h);

	/* A default tenant that is not there is reported where it is named. */
	setup(&h, service);
	harness_write(h.dir, "tenants.d/acme.conf", "match = { relays = \"10.0.0.1\"; };\n" SUBNET);
	load(&h);
	harness_expect(&h, 1, "/mtdhcpd.conf", 4, "default_tenant",
	               "no tenant is called \"fallback\"");
	harness_done(&h);

	/* Any other tenant still needs rules. */
	setup(&h, NULL);
	harness_write(h.dir, "tenants.d/fallback.conf", SUBNET);
	load(&h);
	harness_expect(&h, 1, "/tenants.d/fallback.conf", 0, "match", "a tenant needs match rules");
	harness_done(&h);
}

/*
 * Issue 4 "Scale": 1,000 tenant files, each with a relay, a circuit-id, a VSS name and a
 * VLAN, are read, checked across tenants and indexed into a registry; every one is then
 * found by each of its keys. How long that takes is measured by bench_tenant_load.
 */
static void test_thousand_tenant_files(void **state)
{
	enum { N = 1000 };
	struct harness h;
	struct tenant_registry *reg;
	struct tenant **tenants;
	char name[64], text[1024], err[256];
	size_t n;

	(void)state;
	setup(&h, NULL);
	for (unsigned i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "tenants.d/t%04u.conf", i);
		snprintf(text, sizeof(text),
		         "match = {\n"
		         "  relays = [ \"10.%u.%u.1\" ];\n"
		         "  circuit_ids = [ \"Ethernet%u/0/1\" ];\n"
		         "  vss = [ \"vpn-%u\" ];\n"
		         "  vlans = ( { port = \"uplink\"; vlan = %u; } );\n"
		         "};\n"
		         "server_address = \"192.168.1.254\";\n"
		         "lease_time = 600;\n"
		         "options = { routers = [ \"192.168.1.254\" ]; domain-name = "
		         "\"t%u.example\"; };\n"
		         "subnets = ( { subnet = \"192.168.1.0/24\";\n"
		         "              pools = ( { first = \"192.168.1.100\"; last = "
		         "\"192.168.1.199\"; } ); } );\n",
		         i / 256, i % 256, i, i, 1 + i, i);
		harness_write(h.dir, name, text);
	}
	load(&h);
	assert_int_equal(h.rc, 0);
	tenants = conf_take_tenants(h.conf, &n);
	assert_int_equal(n, N);
	reg = tenant_registry_build(tenants, n, err, sizeof(err));
	assert_non_null(reg);
	for (unsigned i = 0; i < N; i++) {
		uint8_t v[32];
		int len;

		snprintf(name, sizeof(name), "t%04u", i);
		const struct tenant *t = tenant_registry_by_name(reg, name);
		assert_non_null(t);
		assert_ptr_equal(tenant_registry_by_relay(reg, IP(10, i / 256, i % 256, 1)), t);
		snprintf(name, sizeof(name), "Ethernet%u/0/1", i);
		assert_ptr_equal(tenant_registry_by_key(reg, TENANT_KEY_CIRCUIT_ID,
		                                        (const uint8_t *)name, strlen(name)),
		                 t);
		v[0] = 0;
		len = snprintf((char *)v + 1, sizeof(v) - 1, "vpn-%u", i);
		assert_ptr_equal(tenant_registry_by_key(reg, TENANT_KEY_VSS, v, (size_t)len + 1),
		                 t);
		assert_ptr_equal(tenant_registry_by_vlan(reg, 0, (uint16_t)(1 + i), 0), t);
	}
	tenant_registry_free(reg);
	harness_done(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keys_of_every_kind),
	    cmocka_unit_test(test_key_errors),
	    cmocka_unit_test(test_conflicts_between_files),
	    cmocka_unit_test(test_port_relay_settings),
	    cmocka_unit_test(test_default_tenant),
	    cmocka_unit_test(test_thousand_tenant_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
