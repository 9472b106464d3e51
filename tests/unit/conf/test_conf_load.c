/*
 * conf_load on good configurations: the shipped examples, a file that sets every setting
 * (with an option of every value type, checked byte for byte), inheritance service ->
 * tenant -> subnet, paths relative to the service file, the tenant-file selection rules,
 * the libconfig integer guard; and the small helpers (conf_read_db_path,
 * conf_port_index, conf_take_tenants) including a registry built from loaded tenants.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf_harness.h"
#include "tenants/registry.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define EXAMPLES       MTDHCP_SOURCE_DIR "/conf/examples"
#define GOOD           HARNESS_FILES "/good"

static void assert_opt(const struct optset *s, uint8_t code, const void *data, size_t len)
{
	const struct optset_value *v = optset_get(s, code);

	if (!v)
		fail_msg("option %u is missing", code);
	assert_int_equal(v->len, len);
	assert_memory_equal(v->data, data, len);
}

static void assert_no_reports(const struct harness *h)
{
	for (size_t i = 0; i < h->n; i++)
		print_error("%s:%d: %s: %s\n", h->r[i].file, h->r[i].line, h->r[i].setting,
		            h->r[i].message);
	assert_int_equal(h->n, 0);
	assert_int_equal(h->rc, 0);
	assert_non_null(h->conf);
}

static void test_examples(void **state)
{
	struct harness h = {0};
	const struct conf_service *svc;
	const struct tenant *acme, *globex;
	const struct tenant_subnet *s;

	(void)state;
	harness_load(&h, EXAMPLES "/mtdhcpd.conf");
	assert_no_reports(&h);
	svc = &h.conf->service;
	assert_string_equal(svc->file, EXAMPLES "/mtdhcpd.conf");
	assert_int_equal(svc->n_eal_args, 7);
	assert_string_equal(svc->eal_args[0], "-l");
	assert_string_equal(svc->eal_args[6], "--no-shconf");
	assert_null(svc->eal_args[7]);
	assert_int_equal(svc->n_ports, 1);
	assert_string_equal(svc->ports[0].name, "uplink");
	assert_string_equal(svc->ports[0].device, "net_af_packet0,iface=svc0");
	assert_int_equal(svc->ports[0].address, IP(10, 0, 1, 1));
	assert_int_equal(svc->ports[0].prefix_len, 24);
	assert_false(svc->ports[0].has_mac);
	assert_int_equal(svc->idle_sleep_max_usec, 1000);
	assert_string_equal(svc->lease_db.path, "/var/lib/mtdhcp/leases.db");
	assert_int_equal(svc->lease_db.durability, CONF_DURABILITY_COMMIT_BEFORE_ACK);
	assert_int_equal(svc->lease_db.batch_max, 256);
	assert_int_equal(svc->lease_db.batch_usec, 200);
	assert_int_equal(svc->lease_db.queue_size, 16384);
	assert_string_equal(svc->control_socket, "/run/mtdhcp/control.sock");
	assert_int_equal(svc->log_level, CONF_LOG_INFO);
	assert_string_equal(svc->tenants_dir, EXAMPLES "/tenants.d");
	assert_int_equal(svc->times.default_time, 3600);
	assert_true(svc->authoritative);
	assert_opt(&svc->options, 6, "\x0a\x00\x00\x35", 4);
	/* The settings shown with their defaults have their defaults. */
	assert_true(svc->ports[0].relays);
	assert_int_equal(svc->ports[0].n_relay_vlans, 1);
	assert_int_equal(svc->ports[0].relay_vlans[0], 0);
	assert_false(svc->ports[0].relay_vss_option);
	assert_false(svc->ports[0].untrusted_relay_drop);
	assert_int_equal(svc->lease_db.removed_tenant_retention, 30);
	assert_false(svc->metrics.enabled);
	assert_null(svc->default_tenant);
	assert_false(svc->rapid_commit);
	assert_int_equal(svc->decline_time, 86400);
	assert_int_equal(svc->limits.max_leases, 0);
	assert_int_equal(svc->limits.packets_per_second, 0);
	assert_int_equal(svc->limits.burst, 0);

	/* In file-name order. */
	assert_int_equal(h.conf->n_tenants, 2);
	acme = h.conf->tenants[0];
	globex = h.conf->tenants[1];
	assert_string_equal(acme->name, "acme");
	assert_string_equal(acme->file, EXAMPLES "/tenants.d/acme.conf");
	assert_int_equal(acme->db_id, 0);
	assert_int_equal(acme->match.n_relays, 1);
	assert_int_equal(acme->match.relays[0], IP(192, 168, 1, 1));
	assert_int_equal(acme->match.n_vlans, 0);
	assert_int_equal(acme->server_address, 0);
	assert_true(acme->authoritative);
	assert_int_equal(acme->offer_time, 30);
	assert_int_equal(acme->n_subnets, 1);
	s = &acme->subnets[0];
	assert_int_equal(s->network, IP(192, 168, 1, 0));
	assert_int_equal(s->mask, 0xffffff00);
	assert_int_equal(s->prefix_len, 24);
	assert_int_equal(s->times.default_time, 600);
	assert_int_equal(s->times.min_time, 60);
	assert_int_equal(s->times.max_time, 86400);
	assert_int_equal(s->n_pools, 1);
	assert_int_equal(s->pools[0].first, IP(192, 168, 1, 100));
	assert_int_equal(s->pools[0].last, IP(192, 168, 1, 199));
	assert_int_equal(s->options.count, 3);
	assert_opt(&s->options, 3, "\xc0\xa8\x01\x01", 4);
	/* The tenant's DNS servers replace the service's. */
	assert_opt(&s->options, 6, "\xc0\xa8\x01\x35\xc0\xa8\x01\x36", 8);
	assert_opt(&s->options, 15, "acme.example", 12);

	assert_string_equal(globex->name, "globex");
	assert_int_equal(globex->match.n_relays, 0);
	assert_int_equal(globex->match.n_vlans, 1);
	assert_int_equal(globex->match.vlans[0].port, 0);
	assert_int_equal(globex->match.vlans[0].outer, 100);
	assert_int_equal(globex->match.vlans[0].inner, 0);
	assert_int_equal(globex->server_address, IP(192, 168, 1, 254));
	s = &globex->subnets[0];
	assert_int_equal(s->network, IP(192, 168, 1, 0));
	assert_int_equal(s->times.default_time, 3600);
	assert_int_equal(s->pools[0].first, IP(192, 168, 1, 100));
	assert_int_equal(s->pools[0].last, IP(192, 168, 1, 199));
	assert_int_equal(s->options.count, 2);
	assert_opt(&s->options, 3, "\xc0\xa8\x01\x01", 4);
	assert_opt(&s->options, 6, "\x0a\x00\x00\x35", 4); /* inherited from the service */
	harness_done(&h);
}

/*
 * The catalogue of tenant settings (tenants.d/initech.conf.full) is not loaded from the
 * examples, but it is a valid tenant next to the other two under the example service
 * file: linked in as initech.conf, everything loads and nothing conflicts.
 */
static void test_examples_catalogue(void **state)
{
	struct harness h = {0};
	static const char *const files[][2] = {{"acme.conf", "acme.conf"},
	                                       {"globex.conf", "globex.conf"},
	                                       {"initech.conf.full", "initech.conf"}};
	char src[512], dst[512];
	const struct tenant *t;

	(void)state;
	harness_mkdir(&h);
	snprintf(dst, sizeof(dst), "%s/mtdhcpd.conf", h.dir);
	assert_int_equal(unlink(dst), 0);
	assert_int_equal(symlink(EXAMPLES "/mtdhcpd.conf", dst), 0);
	for (size_t i = 0; i < 3; i++) {
		snprintf(src, sizeof(src), "%s/tenants.d/%s", EXAMPLES, files[i][0]);
		snprintf(dst, sizeof(dst), "%s/tenants.d/%s", h.dir, files[i][1]);
		assert_int_equal(symlink(src, dst), 0);
	}
	snprintf(dst, sizeof(dst), "%s/mtdhcpd.conf", h.dir);
	harness_load(&h, dst);
	assert_no_reports(&h);
	assert_int_equal(h.conf->n_tenants, 3);
	t = h.conf->tenants[2];
	assert_string_equal(t->name, "initech");
	/* Every kind of match key. */
	assert_int_equal(t->match.n_relays, 1);
	assert_int_equal(t->match.n_vlans, 1);
	assert_int_equal(t->match.vlans[0].inner, 7);
	assert_int_equal(t->match.n_prefixes, 2);
	assert_int_equal(t->match.n_keys, 7);
	assert_int_equal(t->server_address, IP(10, 70, 9, 1));
	assert_false(t->rapid_commit);
	assert_int_equal(t->decline_time, 86400);
	assert_int_equal(t->limits.max_leases, 1000);
	assert_int_equal(t->limits.packets_per_second, 200);
	assert_int_equal(t->limits.burst, 50);
	assert_int_equal(t->n_subnets, 4);
	/* A shared network, pool options, and a reservation of each kind. */
	assert_int_equal(t->subnets[0].network_id, t->subnets[1].network_id);
	assert_int_not_equal(t->subnets[0].network_id, t->subnets[2].network_id);
	assert_int_equal(t->subnets[0].times.default_time, 3600);
	assert_int_equal(t->subnets[1].times.default_time, 7200);
	assert_non_null(t->subnets[0].pool_options);
	assert_opt(&t->subnets[0].pool_options[1], 15, "guests.initech.example", 22);
	assert_int_equal(t->subnets[0].n_reservations, 3);
	assert_int_equal(t->subnets[0].reservations[2].kind, TENANT_RES_CIRCUIT_ID);
	harness_done(&h);
}

static void test_full_service(void **state)
{
	struct harness h = {0};
	const struct conf_service *svc;
	static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};

	(void)state;
	harness_load(&h, GOOD "/mtdhcpd.conf");
	assert_no_reports(&h);
	svc = &h.conf->service;
	assert_int_equal(svc->n_eal_args, 8);
	assert_string_equal(svc->eal_args[7], "--vdev=net_af_packet0,iface=svc0");
	assert_int_equal(svc->n_ports, 2);
	assert_true(svc->ports[0].has_mac);
	assert_memory_equal(svc->ports[0].mac, mac, 6);
	assert_string_equal(svc->ports[1].name, "trunk-2");
	assert_string_equal(svc->ports[1].device, "0000:00:05.0");
	assert_int_equal(svc->ports[1].address, IP(172, 16, 0, 1));
	assert_int_equal(svc->ports[1].prefix_len, 31);
	assert_false(svc->ports[1].has_mac);
	assert_int_equal(svc->idle_sleep_max_usec, 0);
	/* Relative paths are taken from the service file's directory. */
	assert_string_equal(svc->lease_db.path, GOOD "/state/leases.db");
	assert_string_equal(svc->control_socket, GOOD "/run/ctl.sock");
	assert_string_equal(svc->tenants_dir, GOOD "/tenants.d");
	assert_int_equal(svc->lease_db.durability, CONF_DURABILITY_ASYNC);
	assert_int_equal(svc->lease_db.batch_max, 64);
	assert_int_equal(svc->lease_db.batch_usec, 1000);
	assert_int_equal(svc->lease_db.queue_size, 1024);
	assert_int_equal(svc->log_level, CONF_LOG_DEBUG);
	assert_int_equal(svc->times.default_time, 7200);
	assert_int_equal(svc->times.min_time, 120);
	assert_int_equal(svc->times.max_time, UINT32_MAX);
	assert_int_equal(svc->times.renew_time, 1800);
	assert_int_equal(svc->times.rebind_time, 3600);
	assert_int_equal(svc->offer_time, 60);
	assert_false(svc->authoritative);
	assert_int_equal(svc->options.count, 3);
	assert_int_equal(conf_port_index(svc, "uplink"), 0);
	assert_int_equal(conf_port_index(svc, "trunk-2"), 1);
	assert_int_equal(conf_port_index(svc, "trunk"), -1);
	assert_int_equal(conf_port_index(svc, ""), -1);
	harness_done(&h);
}

static void test_full_tenant(void **state)
{
	struct harness h = {0};
	const struct tenant *t, *m;
	const struct tenant_subnet *s;
	static const uint8_t domains[] = "\x04"
	                                 "full"
	                                 "\x07"
	                                 "example"
	                                 "\x00"
	                                 "\x04"
	                                 "corp"
	                                 "\x07"
	                                 "example"
	                                 "\x00";
	static const uint8_t routes[] = {0,  192, 168, 10,  1,                     /* 0/0 */
	                                 8,  10,  192, 168, 10,  2,                /* 10/8 */
	                                 17, 172, 16,  128, 192, 168, 10,  3,      /* /17 */
	                                 32, 192, 168, 99,  7,   192, 168, 10, 4}; /* /32 */

	(void)state;
	harness_load(&h, GOOD "/mtdhcpd.conf");
	assert_no_reports(&h);
	/* README, .hidden.conf and notes.conf.orig are not tenant files. */
	assert_int_equal(h.conf->n_tenants, 2);
	t = h.conf->tenants[0];
	m = h.conf->tenants[1];
	assert_string_equal(t->name, "full-tenant_1.x");
	assert_string_equal(t->file, GOOD "/tenants.d/full.conf");
	assert_int_equal(t->match.n_relays, 2);
	assert_int_equal(t->match.relays[1], IP(192, 168, 11, 1));
	assert_int_equal(t->match.n_vlans, 3);
	assert_int_equal(t->match.vlans[0].port, 0);
	assert_int_equal(t->match.vlans[0].outer, 0); /* untagged */
	assert_int_equal(t->match.vlans[1].outer, 100);
	assert_int_equal(t->match.vlans[2].port, 1);
	assert_int_equal(t->match.vlans[2].outer, 300);
	assert_int_equal(t->match.vlans[2].inner, 4094);
	assert_int_equal(t->server_address, IP(192, 168, 10, 254));
	assert_true(t->authoritative); /* over the service's false */
	assert_int_equal(t->offer_time, 10);
	assert_int_equal(t->n_subnets, 3);

	s = &t->subnets[0];
	assert_int_equal(s->times.default_time, 600);
	assert_int_equal(s->times.min_time, 300);
	assert_int_equal(s->times.max_time, 3600);
	assert_int_equal(s->times.renew_time, 200);
	assert_int_equal(s->times.rebind_time, 500);
	assert_int_equal(s->n_pools, 2);
	assert_int_equal(s->pools[0].first, IP(192, 168, 10, 10));
	assert_int_equal(s->pools[1].last, IP(192, 168, 10, 199));
	/* service -> tenant -> subnet: the subnet's routers and ntp-servers win. */
	assert_opt(&s->options, 3, "\xc0\xa8\x0a\x02", 4);
	assert_opt(&s->options, 42, "\xc0\xa8\x0a\x7b", 4);
	assert_opt(&s->options, 6, "\x0a\x00\x00\x35", 4);
	assert_opt(&s->options, 15, "full.example", 12);
	assert_opt(&s->options, 2, "\xff\xff\xf1\xf0", 4);                  /* I32 -3600 */
	assert_opt(&s->options, 23, "\x40", 1);                             /* U8 */
	assert_opt(&s->options, 26, "\x23\x28", 2);                         /* U16 9000 */
	assert_opt(&s->options, 35, "\xff\xff\xff\xff", 4);                 /* U32 max */
	assert_opt(&s->options, 25, "\x05\xdc\x23\x28", 4);                 /* U16S */
	assert_opt(&s->options, 19, "\x00", 1);                             /* BOOL */
	assert_opt(&s->options, 21, "\x0a\x00\x00\x00\xff\x00\x00\x00", 8); /* IP_PAIRS */
	assert_opt(&s->options, 16, "\xc0\xa8\x0a\x05", 4);                 /* IP */
	assert_opt(&s->options, 43, "\x01\x04\xc0\xa8\x0a\x01", 6);         /* BYTES */
	assert_opt(&s->options, 119, domains, sizeof(domains) - 1);
	assert_opt(&s->options, 121, routes, sizeof(routes));
	assert_opt(&s->options, 224, "\xde\xad\xbe\xef", 4);
	assert_opt(&s->options, 225, "", 0);
	assert_opt(&s->options, 252, "http://wpad.full.example/wpad.dat", 33);
	assert_null(optset_get(&s->options, 1)); /* never configured */
	assert_int_equal(s->options.count, 18);

	s = &t->subnets[1];
	assert_int_equal(s->network, IP(192, 168, 11, 0));
	assert_int_equal(s->times.default_time, 1200);
	assert_int_equal(s->times.min_time, 300);
	assert_int_equal(s->times.max_time, 7200);
	assert_int_equal(s->times.renew_time, 0); /* set back to "derive" */
	assert_int_equal(s->times.rebind_time, 0);
	assert_opt(&s->options, 3, "\xc0\xa8\x0a\x01", 4);                  /* the tenant's */
	assert_opt(&s->options, 42, "\x0a\x00\x00\x7b\x0a\x00\x00\x7c", 8); /* the service's */
	assert_int_equal(s->n_pools, 1);

	s = &t->subnets[2];
	assert_int_equal(s->network, IP(10, 20, 0, 0));
	assert_int_equal(s->prefix_len, 30);
	assert_int_equal(s->n_pools, 0);
	assert_int_equal(s->times.default_time, 600);

	/* The minimal tenant: name from the file, one relay as a plain string, all inherited. */
	assert_string_equal(m->name, "minimal");
	assert_int_equal(m->match.n_relays, 1);
	assert_int_equal(m->match.relays[0], IP(10, 50, 0, 1));
	assert_false(m->authoritative);
	assert_int_equal(m->offer_time, 60);
	s = &m->subnets[0];
	assert_int_equal(s->times.default_time, 7200);
	assert_int_equal(s->times.max_time, UINT32_MAX);
	assert_int_equal(s->times.renew_time, 1800);
	assert_int_equal(s->options.count, 3);
	assert_opt(&s->options, 15, "provider.example", 16);
	harness_done(&h);
}

/* The loaded tenants go into a registry that classifies by their match rules. */
static void test_take_tenants_into_registry(void **state)
{
	struct harness h = {0};
	struct tenant **tenants;
	struct tenant_registry *reg;
	size_t n;
	char err[256];

	(void)state;
	harness_load(&h, EXAMPLES "/mtdhcpd.conf");
	assert_no_reports(&h);
	tenants = conf_take_tenants(h.conf, &n);
	assert_int_equal(n, 2);
	assert_null(h.conf->tenants);
	assert_int_equal(h.conf->n_tenants, 0);
	reg = tenant_registry_build(tenants, n, err, sizeof(err));
	assert_non_null(reg);
	assert_string_equal(tenant_registry_by_relay(reg, IP(192, 168, 1, 1))->name, "acme");
	assert_string_equal(tenant_registry_by_vlan(reg, 0, 100, 0)->name, "globex");
	assert_null(tenant_registry_by_vlan(reg, 0, 101, 0));
	tenant_registry_free(reg);
	/* The service part stays usable and is freed on its own. */
	assert_string_equal(h.conf->service.ports[0].name, "uplink");
	harness_done(&h);
}

static void test_no_tenants(void **state)
{
	struct harness h = {0};
	size_t n = 99;
	struct tenant **t;
	char svc[512];

	(void)state;
	harness_mkdir(&h);
	snprintf(svc, sizeof(svc), "%s/mtdhcpd.conf", h.dir);
	harness_load(&h, svc);
	assert_no_reports(&h);
	assert_int_equal(h.conf->n_tenants, 0);
	t = conf_take_tenants(h.conf, &n);
	assert_int_equal(n, 0);
	free(t);
	harness_done(&h);
}

static void test_missing_service_file(void **state)
{
	struct harness h = {0};

	(void)state;
	harness_load(&h, HARNESS_FILES "/does-not-exist.conf");
	assert_int_equal(h.rc, -ENOENT);
	assert_int_equal(h.n, 1);
	assert_string_equal(h.r[0].file, HARNESS_FILES "/does-not-exist.conf");
	assert_int_equal(h.r[0].line, 0);
	assert_string_equal(h.r[0].setting, "");
	assert_non_null(strstr(h.r[0].message, "No such file or directory"));
	harness_done(&h);
}

/* libconfig 1.5 wraps integer literals past 32 bits; they must be refused, not used. */
static void test_integer_guard(void **state)
{
	struct harness h = {0};
	char svc[512];

	(void)state;
	harness_mkdir(&h);
	harness_write(h.dir, "tenants.d/big.conf",
	              "# 99999999999 in a comment, /* 0xFFFFFFFFFF */ and \"4294967296\" are fine\n"
	              "match = { relays = [ \"10.0.0.1\" ]; };  // 12345678901\n"
	              "/* lease_time = 5000000000; */\n"
	              "options = { option-250 = \"42:94:96:72:96\"; host-name = \"h4294967296\";\n"
	              "  arp-cache-timeout = 4294967295; time-offset = -2147483649;\n"
	              "  tcp-keepalive-interval = 0xFFFFFFFF; };\n"
	              "max_lease_time = 4294967295L;\n"
	              "lease_time = 4294967296L;\n"
	              "subnets = ( { subnet = \"10.0.0.0/24\"; } );\n");
	snprintf(svc, sizeof(svc), "%s/mtdhcpd.conf", h.dir);
	harness_load(&h, svc);
	harness_expect(&h, 4, "/tenants.d/big.conf", 5, "options.arp-cache-timeout",
	               "integer 4294967295 does not fit in 32 bits");
	harness_expect(&h, 4, "/tenants.d/big.conf", 5, "options.time-offset",
	               "integer -2147483649 does not fit");
	harness_expect(&h, 4, "/tenants.d/big.conf", 6, "options.tcp-keepalive-interval",
	               "0xFFFFFFFF does not fit");
	/* With the suffix the value is read whole, and then range-checked. */
	harness_expect(&h, 4, "/tenants.d/big.conf", 8, "lease_time",
	               "4294967296 is out of range (1..4294967295)");
	harness_done(&h);
}

/* @include works, relative to the including file, and reports name the included file. */
static void test_include(void **state)
{
	struct harness h = {0};
	char svc[512];

	(void)state;
	harness_mkdir(&h);
	harness_write(h.dir, "mtdhcpd.conf",
	              "@include \"ports.inc\"\ntenants_dir = \"tenants.d\";\n");
	harness_write(
	    h.dir, "ports.inc",
	    "dataplane = {\n"
	    "  ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.1.1/24\"; } );\n"
	    "  idle_sleep_max_usec = 250;\n"
	    "};\n");
	snprintf(svc, sizeof(svc), "%s/mtdhcpd.conf", h.dir);
	harness_load(&h, svc);
	assert_no_reports(&h);
	assert_string_equal(h.conf->service.ports[0].name, "p0");
	assert_int_equal(h.conf->service.idle_sleep_max_usec, 250);
	conf_free(h.conf);
	h.conf = NULL;

	harness_write(
	    h.dir, "ports.inc",
	    "dataplane = {\n"
	    "  ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.1.1/24\"; } );\n"
	    "  idle_sleep_max_usec = 4295967296;\n"
	    "  idle = 1;\n"
	    "};\n");
	harness_load(&h, svc);
	harness_expect(&h, 2, "/ports.inc", 3, "dataplane.idle_sleep_max_usec",
	               "integer 4295967296 does not fit in 32 bits");
	harness_expect(&h, 2, "/ports.inc", 4, "dataplane.idle", "unknown setting");
	assert_non_null(strstr(h.r[0].file, h.dir));
	harness_done(&h);
}

static void test_read_db_path(void **state)
{
	char out[256], err[256], small[8], svc[512];
	struct harness h = {0};

	(void)state;
	assert_int_equal(
	    conf_read_db_path(GOOD "/mtdhcpd.conf", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, GOOD "/state/leases.db");
	assert_int_equal(
	    conf_read_db_path(EXAMPLES "/mtdhcpd.conf", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "/var/lib/mtdhcp/leases.db");
	/* No lease_db group: the default. */
	harness_mkdir(&h);
	snprintf(svc, sizeof(svc), "%s/mtdhcpd.conf", h.dir);
	assert_int_equal(conf_read_db_path(svc, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "/var/lib/mtdhcp/leases.db");
	harness_write(h.dir, "mtdhcpd.conf", "lease_db = { path = 5; };\n");
	assert_int_equal(conf_read_db_path(svc, out, sizeof(out), err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "lease_db.path"));
	assert_non_null(strstr(err, ":1:"));
	harness_done(&h);
	assert_int_equal(conf_read_db_path(HARNESS_FILES "/service-bad/parse-error.conf", out,
	                                   sizeof(out), err, sizeof(err)),
	                 -EINVAL);
	assert_non_null(strstr(err, "parse-error.conf:4: syntax error"));
	assert_int_equal(
	    conf_read_db_path(HARNESS_FILES "/nope.conf", out, sizeof(out), err, sizeof(err)),
	    -ENOENT);
	assert_non_null(strstr(err, "No such file or directory"));
	assert_int_equal(
	    conf_read_db_path(GOOD "/mtdhcpd.conf", small, sizeof(small), err, sizeof(err)),
	    -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_examples),      cmocka_unit_test(test_full_service),
	    cmocka_unit_test(test_full_tenant),   cmocka_unit_test(test_take_tenants_into_registry),
	    cmocka_unit_test(test_no_tenants),    cmocka_unit_test(test_missing_service_file),
	    cmocka_unit_test(test_integer_guard), cmocka_unit_test(test_include),
	    cmocka_unit_test(test_read_db_path),  cmocka_unit_test(test_examples_catalogue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
