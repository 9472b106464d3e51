/*
 * The protocol settings of a tenant file: reservations (by hw-address, client-id and
 * circuit-id, inside or outside pools), pool options and their inheritance, shared
 * networks, rapid_commit and decline_time; and the problems each is reported for, with
 * the file, the line and the setting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf_harness.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* Loads one tenant file with @text in a fresh directory. */
static void load_text(struct harness *h, const char *text)
{
	char svc[512];

	memset(h, 0, sizeof(*h));
	harness_mkdir(h);
	harness_write(h->dir, "tenants.d/acme.conf", text);
	snprintf(svc, sizeof(svc), "%s/mtdhcpd.conf", h->dir);
	harness_load(h, svc);
}

static const char good[] =
    "match = { relays = [ \"192.168.1.1\" ]; };\n"                                   /* 1 */
    "rapid_commit = true;\n"                                                         /* 2 */
    "decline_time = 600;\n"                                                          /* 3 */
    "options = { domain-name = \"acme.example\"; };\n"                               /* 4 */
    "subnets = (\n"                                                                  /* 5 */
    "  { subnet = \"192.168.1.0/24\"; shared_network = \"lan\";\n"                   /* 6 */
    "    options = { routers = [ \"192.168.1.1\" ]; };\n"                            /* 7 */
    "    pools = ( { first = \"192.168.1.100\"; last = \"192.168.1.109\";\n"         /* 8 */
    "                options = { domain-name = \"pool.example\"; }; },\n"            /* 9 */
    "              { first = \"192.168.1.150\"; last = \"192.168.1.159\"; } );\n"    /* 10 */
    "    reservations = (\n"                                                         /* 11 */
    "      { hw-address = \"02:00:00:00:10:50\"; address = \"192.168.1.105\";\n"     /* 12 */
    "        hostname = \"printer\"; },\n"                                           /* 13 */
    "      { client-id = \"01:aa:bb\"; address = \"192.168.1.20\";\n"                /* 14 */
    "        options = { domain-name = \"res.example\"; }; },\n"                     /* 15 */
    "      { circuit-id = \"capr0\"; address = \"192.168.1.21\"; } ); },\n"          /* 16 */
    "  { subnet = \"192.168.2.0/24\"; shared_network = \"lan\";\n"                   /* 17 */
    "    pools = ( { first = \"192.168.2.100\"; last = \"192.168.2.101\"; } ); },\n" /* 18 */
    "  { subnet = \"10.9.0.0/24\";\n"                                                /* 19 */
    "    pools = ( { first = \"10.9.0.10\"; last = \"10.9.0.11\"; } ); }\n"          /* 20 */
    ");\n";

static void assert_opt_str(const struct optset *o, uint8_t code, const char *want)
{
	const struct optset_value *v = optset_get(o, code);

	assert_non_null(v);
	assert_int_equal(v->len, strlen(want));
	assert_memory_equal(v->data, want, v->len);
}

static void test_conf_reservations_pool_options_shared_networks(void **state)
{
	struct harness h;

	(void)state;
	load_text(&h, good);
	assert_int_equal(h.n, 0);
	assert_int_equal(h.rc, 0);
	const struct tenant *t = h.conf->tenants[0];
	assert_true(t->rapid_commit);
	assert_int_equal(t->decline_time, 600);
	assert_int_equal(t->n_subnets, 3);
	const struct tenant_subnet *s0 = &t->subnets[0];
	/* Shared network: the first two subnets, the third alone. */
	assert_int_equal(t->subnets[1].network_id, s0->network_id);
	assert_int_not_equal(t->subnets[2].network_id, s0->network_id);
	/* Pool options over the subnet's; a pool without options gets the subnet's. */
	assert_non_null(s0->pool_options);
	assert_opt_str(&s0->pool_options[0], 15, "pool.example");
	assert_non_null(optset_get(&s0->pool_options[0], 3));
	assert_opt_str(&s0->pool_options[1], 15, "acme.example");
	assert_null(t->subnets[1].pool_options);
	/* Reservations: keys, addresses and options (hostname as option 12). */
	assert_int_equal(s0->n_reservations, 3);
	const struct tenant_reservation *r = s0->reservations;
	assert_int_equal(r[0].kind, TENANT_RES_HWADDR);
	assert_int_equal(r[0].key_len, 6);
	assert_memory_equal(r[0].key, "\x02\x00\x00\x00\x10\x50", 6);
	assert_int_equal(r[0].address, IP(192, 168, 1, 105));
	assert_opt_str(&r[0].options, 12, "printer");
	assert_opt_str(&r[0].options, 15, "pool.example"); /* inside pool 0 */
	assert_int_equal(r[1].kind, TENANT_RES_CLIENT_ID);
	assert_memory_equal(r[1].key, "\x01\xaa\xbb", 3);
	assert_opt_str(&r[1].options, 15, "res.example");
	assert_non_null(optset_get(&r[1].options, 3));
	assert_int_equal(r[2].kind, TENANT_RES_CIRCUIT_ID);
	assert_int_equal(r[2].key_len, 5);
	assert_memory_equal(r[2].key, "capr0", 5);
	assert_opt_str(&r[2].options, 15, "acme.example"); /* outside the pools */
	harness_done(&h);

	/* Defaults: rapid commit off, a day of quarantine, each subnet its own network. */
	load_text(
	    &h, "match = { relays = [ \"192.168.1.1\" ]; };\n"
	        "subnets = ( { subnet = \"192.168.1.0/24\"; }, { subnet = \"10.0.0.0/24\"; } );\n");
	assert_int_equal(h.rc, 0);
	t = h.conf->tenants[0];
	assert_false(t->rapid_commit);
	assert_int_equal(t->decline_time, 86400);
	assert_int_not_equal(t->subnets[0].network_id, t->subnets[1].network_id);
	harness_done(&h);
}

/* One bad reservation in an otherwise good file, and the report it gets. */
static void expect_bad(const char *reservation, int line, const char *setting, const char *msg)
{
	char text[2048];
	struct harness h;

	snprintf(text, sizeof(text),
	         "match = { relays = [ \"192.168.1.1\" ]; };\n"
	         "subnets = ( { subnet = \"192.168.1.0/24\";\n"
	         "  pools = ( { first = \"192.168.1.100\"; last = \"192.168.1.109\"; } );\n"
	         "  reservations = (\n"
	         "    { hw-address = \"02:00:00:00:10:50\"; address = \"192.168.1.105\"; },\n"
	         "    %s ); } );\n",
	         reservation);
	load_text(&h, text);
	assert_int_equal(h.rc, -EINVAL);
	harness_expect(&h, 1, "/tenants.d/acme.conf", line, setting, msg);
	harness_done(&h);
}

static void test_conf_reservation_errors(void **state)
{
	(void)state;
	expect_bad("{ address = \"192.168.1.50\"; }", 6, "subnets.[0].reservations.[1]",
	           "needs hw-address, client-id or circuit-id");
	expect_bad("{ hw-address = \"02:00:00:00:10:51\"; client-id = \"01:02\"; address = "
	           "\"192.168.1.50\"; }",
	           6, "subnets.[0].reservations.[1].client-id", "not both");
	expect_bad("{ hw-address = \"02:00:00:00:10\"; address = \"192.168.1.50\"; }", 6,
	           "subnets.[0].reservations.[1].hw-address", "not an Ethernet address");
	expect_bad("{ client-id = \"01\"; address = \"192.168.1.50\"; }", 6,
	           "subnets.[0].reservations.[1].client-id", "not a client identifier");
	expect_bad("{ hw-address = \"02:00:00:00:10:51\"; }", 6,
	           "subnets.[0].reservations.[1].address", "needs the address");
	expect_bad("{ hw-address = \"02:00:00:00:10:51\"; address = \"10.0.0.5\"; }", 6,
	           "subnets.[0].reservations.[1].address", "outside subnet 192.168.1.0/24");
	expect_bad("{ hw-address = \"02:00:00:00:10:51\"; address = \"192.168.1.255\"; }", 6,
	           "subnets.[0].reservations.[1].address", "broadcast address");
	expect_bad("{ hw-address = \"02:00:00:00:10:51\"; address = \"192.168.1.105\"; }", 6,
	           "subnets.[0].reservations.[1]", "reserved twice");
	expect_bad("{ hw-address = \"02:00:00:00:10:50\"; address = \"192.168.1.106\"; }", 6,
	           "subnets.[0].reservations.[1]", "already has a reservation");
	expect_bad("{ circuit-id = \"c\"; address = \"192.168.1.50\"; hostname = \"\"; }", 6,
	           "subnets.[0].reservations.[1].hostname", "1..63 characters");
	expect_bad("{ circuit-id = \"c\"; address = \"192.168.1.50\"; mac = \"x\"; }", 6,
	           "subnets.[0].reservations.[1].mac", "unknown setting");
}

static void test_conf_protocol_setting_errors(void **state)
{
	struct harness h;

	(void)state;
	load_text(&h, "match = { relays = [ \"192.168.1.1\" ]; };\n"
	              "rapid_commit = 1;\n"
	              "decline_time = 0;\n"
	              "subnets = ( { subnet = \"192.168.1.0/24\"; shared_network = \"a b\";\n"
	              "  pools = ( { first = \"192.168.1.100\"; last = \"192.168.1.109\";\n"
	              "              options = { routers = 5; }; } ); } );\n");
	assert_int_equal(h.rc, -EINVAL);
	assert_int_equal(h.n, 4);
	harness_expect(&h, 4, "/tenants.d/acme.conf", 2, "rapid_commit", "expected true or false");
	harness_expect(&h, 4, "/tenants.d/acme.conf", 3, "decline_time", "");
	harness_expect(&h, 4, "/tenants.d/acme.conf", 4, "subnets.[0].shared_network",
	               "not a valid name");
	harness_expect(&h, 4, "/tenants.d/acme.conf", 6, "subnets.[0].pools.[0].options.routers",
	               "expected a string");
	harness_done(&h);

	/* A reservation of the server's own address on a VLAN tenant. */
	load_text(&h, "match = { vlans = ( { port = \"uplink\"; vlan = 7; } ); };\n"
	              "server_address = \"192.168.1.254\";\n"
	              "subnets = ( { subnet = \"192.168.1.0/24\"; reservations = (\n"
	              "  { circuit-id = \"c\"; address = \"192.168.1.254\"; } ); } );\n");
	assert_int_equal(h.rc, -EINVAL);
	harness_expect(&h, 1, "/tenants.d/acme.conf", 4, "subnets.[0].reservations.[0].address",
	               "server's own address");
	harness_done(&h);
}

/* A service file with @defaults as its defaults group and a tenant file per @tenants. */
static void load_with_defaults(struct harness *h, const char *defaults, const char *const *tenants,
                               size_t n)
{
	char svc[1024];

	memset(h, 0, sizeof(*h));
	harness_mkdir(h);
	snprintf(svc, sizeof(svc),
	         "dataplane = { ports = ( { name = \"uplink\"; device = \"net_null0\";\n"
	         "  address = \"10.0.1.1/24\"; } ); };\n"
	         "tenants_dir = \"tenants.d\";\n"
	         "defaults = { %s };\n",
	         defaults);
	harness_write(h->dir, "mtdhcpd.conf", svc);
	for (size_t i = 0; i < n; i++) {
		char name[64];

		snprintf(name, sizeof(name), "tenants.d/t%zu.conf", i);
		harness_write(h->dir, name, tenants[i]);
	}
	snprintf(svc, sizeof(svc), "%s/mtdhcpd.conf", h->dir);
	harness_load(h, svc);
}

/* rapid_commit and decline_time in the service defaults: inherited, and overridden. */
static void test_conf_protocol_service_defaults(void **state)
{
	static const char *const tenants[] = {
	    "match = { relays = [ \"192.168.1.1\" ]; };\n"
	    "subnets = ( { subnet = \"192.168.1.0/24\"; } );\n",
	    "match = { relays = [ \"192.168.2.1\" ]; };\n"
	    "rapid_commit = false;\n"
	    "decline_time = 60;\n"
	    "subnets = ( { subnet = \"192.168.2.0/24\"; } );\n",
	};
	struct harness h;

	(void)state;
	load_with_defaults(&h, "rapid_commit = true; decline_time = 3600;", tenants, 2);
	assert_int_equal(h.n, 0);
	assert_int_equal(h.rc, 0);
	assert_true(h.conf->service.rapid_commit);
	assert_int_equal(h.conf->service.decline_time, 3600);
	assert_true(h.conf->tenants[0]->rapid_commit);
	assert_int_equal(h.conf->tenants[0]->decline_time, 3600);
	assert_false(h.conf->tenants[1]->rapid_commit);
	assert_int_equal(h.conf->tenants[1]->decline_time, 60);
	harness_done(&h);

	/* The built-in defaults when the service sets neither. */
	load_with_defaults(&h, "offer_time = 30;", tenants, 1);
	assert_int_equal(h.rc, 0);
	assert_false(h.conf->service.rapid_commit);
	assert_int_equal(h.conf->service.decline_time, 86400);
	assert_false(h.conf->tenants[0]->rapid_commit);
	assert_int_equal(h.conf->tenants[0]->decline_time, 86400);
	harness_done(&h);

	/* Bad values are reported in the service file, with their setting. */
	load_with_defaults(&h, "rapid_commit = \"yes\"; decline_time = 2592001;", tenants, 1);
	harness_expect(&h, 2, "/mtdhcpd.conf", 4, "defaults.rapid_commit",
	               "expected true or false");
	harness_expect(&h, 2, "/mtdhcpd.conf", 4, "defaults.decline_time", "");
	harness_done(&h);
}

/* The example configuration stays loadable with every protocol setting in it. */
static void test_conf_examples_load(void **state)
{
	struct harness h;

	(void)state;
	memset(&h, 0, sizeof(h));
	harness_load(&h, MTDHCP_SOURCE_DIR "/conf/examples/mtdhcpd.conf");
	for (size_t i = 0; i < h.n; i++)
		print_message("%s:%d: %s: %s\n", h.r[i].file, h.r[i].line, h.r[i].setting,
		              h.r[i].message);
	assert_int_equal(h.n, 0);
	assert_int_equal(h.rc, 0);
	harness_done(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_conf_reservations_pool_options_shared_networks),
	    cmocka_unit_test(test_conf_reservation_errors),
	    cmocka_unit_test(test_conf_protocol_setting_errors),
	    cmocka_unit_test(test_conf_protocol_service_defaults),
	    cmocka_unit_test(test_conf_examples_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
