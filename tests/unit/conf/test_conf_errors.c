/*
 * One bad configuration file per validation rule: each must be refused with exactly the
 * expected report (file, line, setting path, message), and nothing else, so that a typo
 * never passes silently and a rule never fires where it should not.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf_harness.h"

struct bad_case {
	const char *file;    /* under files/ */
	size_t count;        /* reports expected */
	int line;            /* of the expected report */
	const char *setting; /* its setting path */
	const char *msg;     /* a substring of its message */
};

/* Service files: tenants_dir points at an empty directory, so they are all there is. */
static const struct bad_case service_cases[] = {
    {"service-bad/unknown-setting.conf", 1, 5, "log_levl", "unknown setting \"log_levl\""},
    {"service-bad/unknown-nested.conf", 1, 7, "lease_db.batch_mx", "unknown setting"},
    {"service-bad/wrong-type.conf", 1, 6, "lease_db.batch_max",
     "expected an integer, found a string"},
    {"service-bad/no-ports.conf", 1, 3, "dataplane.ports", "at least one port"},
    {"service-bad/no-dataplane.conf", 1, 0, "dataplane", "dataplane group"},
    {"service-bad/port-address.conf", 1, 4, "dataplane.ports.[0].address",
     "\"10.0.1.300/24\" is not an address with a prefix length"},
    {"service-bad/port-network-address.conf", 1, 3, "dataplane.ports.[0].address",
     "network address"},
    {"service-bad/port-no-device.conf", 1, 3, "dataplane.ports.[0].device", "needs a device"},
    {"service-bad/port-mac.conf", 1, 4, "dataplane.ports.[0].mac", "not a unicast MAC address"},
    {"service-bad/duplicate-port.conf", 1, 4, "dataplane.ports.[1].name",
     "\"uplink\" is already used by dataplane.ports.[0]"},
    {"service-bad/missing-tenants-dir.conf", 1, 0, "tenants_dir", "tenants_dir is required"},
    {"service-bad/tenants-dir-absent.conf", 1, 4, "tenants_dir",
     "no-such-directory: No such file or directory"},
    {"service-bad/parse-error.conf", 1, 4, "", "syntax error"},
    {"service-bad/durability.conf", 1, 5, "lease_db.durability", "\"sync\" is not a durability"},
    {"service-bad/log-level.conf", 1, 5, "log_level", "\"verbose\" is not a log level"},
    {"service-bad/big-integer.conf", 1, 5, "lease_db.batch_usec",
     "5000000000 does not fit in 32 bits"},
    {"service-bad/queue-size.conf", 1, 7, "lease_db.queue_size",
     "queue_size 256 is smaller than batch_max 512"},
    {"service-bad/defaults-lease-time.conf", 1, 7, "defaults.lease_time",
     "lease_time 30 is shorter than min_lease_time 60"},
    {"service-bad/defaults-option.conf", 1, 7, "defaults.options.domain-name-servers.[1]",
     "\"10.0.0.300\" is not an IPv4 address"},
    {"service-bad/idle-sleep.conf", 1, 3, "dataplane.idle_sleep_max_usec",
     "-1 is out of range (0..1000000)"},
};

/* Tenant files, each alone in the tenants directory of a standard service file. */
static const struct bad_case tenant_cases[] = {
    {"tenants-bad/unknown-setting.conf", 1, 2, "lease_tme", "unknown setting \"lease_tme\""},
    /* The typo is reported, and so is the setting it leaves missing. */
    {"tenants-bad/unknown-nested.conf", 2, 5, "subnets.[0].pools.[1].frist", "unknown setting"},
    {"tenants-bad/wrong-type.conf", 1, 2, "lease_time", "expected an integer, found a string"},
    {"tenants-bad/relay-address.conf", 1, 2, "match.relays.[1]",
     "\"192.168.1.256\" is not an IPv4 address"},
    {"tenants-bad/relay-twice.conf", 1, 3, "match.relays.[1]", "listed twice"},
    {"tenants-bad/prefix-range.conf", 1, 3, "subnets.[0].subnet", "is not a prefix"},
    {"tenants-bad/prefix-31.conf", 1, 3, "subnets.[0].subnet", "prefix length is 1..30"},
    {"tenants-bad/host-bits.conf", 1, 3, "subnets.[0].subnet",
     "has host bits set: the subnet is 192.168.1.0/24"},
    {"tenants-bad/pool-outside.conf", 1, 4, "subnets.[0].pools.[0].first",
     "192.168.2.100 is outside subnet 192.168.1.0/24"},
    {"tenants-bad/pool-reversed.conf", 1, 5, "subnets.[0].pools.[0].last",
     "last 192.168.1.100 is before first 192.168.1.199"},
    {"tenants-bad/pool-network.conf", 1, 4, "subnets.[0].pools.[0].first",
     "192.168.1.0 is the network address"},
    {"tenants-bad/pool-broadcast.conf", 1, 5, "subnets.[0].pools.[0].last",
     "192.168.1.255 is the broadcast address"},
    {"tenants-bad/pool-overlap.conf", 1, 6, "subnets.[0].pools.[1]",
     "overlaps subnets.[0].pools.[0] (192.168.1.100-192.168.1.199)"},
    {"tenants-bad/subnet-overlap.conf", 1, 5, "subnets.[2].subnet",
     "192.168.1.0/24 overlaps subnets.[0] (192.168.0.0/16)"},
    {"tenants-bad/lease-min.conf", 1, 2, "lease_time",
     "lease_time 600 is shorter than min_lease_time 700"},
    {"tenants-bad/lease-max.conf", 1, 5, "subnets.[0].lease_time",
     "lease_time 10000 is longer than max_lease_time 7200"},
    {"tenants-bad/lease-zero.conf", 1, 2, "lease_time", "0 is out of range (1..4294967295)"},
    {"tenants-bad/renew-rebind.conf", 1, 3, "renew_time",
     "renew_time 500 must be shorter than rebind_time 400"},
    {"tenants-bad/rebind-lease.conf", 1, 5, "subnets.[0].rebind_time",
     "rebind_time 600 must be shorter than lease_time 600"},
    {"tenants-bad/vlan-range.conf", 1, 2, "match.vlans.[0].vlan", "4095 is out of range (1..4094)"},
    {"tenants-bad/vlan-port.conf", 1, 3, "match.vlans.[1].port", "no port is called \"uplnk\""},
    {"tenants-bad/inner-vlan.conf", 1, 2, "match.vlans.[0].inner_vlan",
     "inner_vlan needs the outer vlan"},
    {"tenants-bad/server-address-missing.conf", 1, 3, "server_address",
     "server_address is required with match.vlans"},
    {"tenants-bad/server-address-outside.conf", 1, 2, "server_address",
     "192.168.2.254 is not in any of the tenant's subnets"},
    {"tenants-bad/server-address-in-pool.conf", 1, 2, "server_address",
     "192.168.1.150 is inside pool 0"},
    {"tenants-bad/no-subnets.conf", 1, 0, "subnets", "needs at least one subnet"},
    {"tenants-bad/empty-subnets.conf", 1, 2, "subnets", "needs at least one subnet"},
    {"tenants-bad/no-match.conf", 1, 0, "match", "a tenant needs match rules"},
    {"tenants-bad/empty-match.conf", 1, 1, "match", "the tenant matches no packets"},
    {"tenants-bad/option-internal.conf", 1, 3, "options.dhcp-server-identifier",
     "is set by the server"},
    {"tenants-bad/option-lease-time.conf", 1, 3, "options.dhcp-lease-time",
     "use lease_time, renew_time or rebind_time"},
    {"tenants-bad/option-subnet-mask.conf", 1, 4, "subnets.[0].options.subnet-mask",
     "follows from the subnet's prefix length"},
    {"tenants-bad/option-unknown.conf", 1, 3, "options.dns-servers",
     "unknown option \"dns-servers\""},
    {"tenants-bad/option-type.conf", 1, 3, "options.ip-forwarding",
     "expected true or false, found an integer"},
    {"tenants-bad/option-range.conf", 1, 3, "options.interface-mtu",
     "70000 is out of range (0..65535)"},
    {"tenants-bad/option-named-code.conf", 1, 3, "options.option-3", "write it as \"routers\""},
    {"tenants-bad/option-hex.conf", 1, 3, "options.option-224", "\"01:zz\" is not hex octets"},
    {"tenants-bad/option-domain.conf", 1, 3, "options.domain-search.[1]",
     "\"bad..example\" is not a valid domain name"},
    {"tenants-bad/option-classless.conf", 1, 4, "options.classless-static-route.[1]",
     "the destination has bits set past /16"},
    {"tenants-bad/option-length.conf", 1, 3, "options.host-name",
     "a value of 0 octets is not valid for host-name"},
    {"tenants-bad/tenant-name.conf", 1, 1, "name", "\"acme corp\" is not a valid tenant name"},
    {"tenants-bad/parse-error.conf", 1, 4, "", "syntax error"},
};

static void test_service_case(void **state)
{
	const struct bad_case *c = *state;
	struct harness h = {0};
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", HARNESS_FILES, c->file);
	harness_load(&h, path);
	harness_expect(&h, c->count, c->file, c->line, c->setting, c->msg);
	harness_done(&h);
}

static void test_tenant_case(void **state)
{
	const struct bad_case *c = *state;
	const char *base = strrchr(c->file, '/') + 1;
	struct harness h = {0};
	char suffix[256];

	harness_load_tenants(&h, &c->file, 1);
	snprintf(suffix, sizeof(suffix), "/tenants.d/%s", base);
	harness_expect(&h, c->count, suffix, c->line, c->setting, c->msg);
	harness_done(&h);
}

/* Match keys and names claimed by two tenant files: reported in the later file. */
static void test_conflicts(void **state)
{
	static const char *const relay[] = {"conflict-relay/a-acme.conf",
	                                    "conflict-relay/b-globex.conf"};
	static const char *const vlan[] = {"conflict-vlan/a-acme.conf",
	                                   "conflict-vlan/b-globex.conf"};
	static const char *const name[] = {"conflict-name/acme.conf",
	                                   "conflict-name/copy-of-acme.conf"};
	struct harness h = {0};
	char msg[1024];

	(void)state;
	harness_load_tenants(&h, relay, 2);
	snprintf(msg, sizeof(msg),
	         "tenant \"globex\" (%s/tenants.d/b-globex.conf) and tenant \"acme\" "
	         "(%s/tenants.d/a-acme.conf) both match relay 192.168.1.1",
	         h.dir, h.dir);
	harness_expect(&h, 1, "/tenants.d/b-globex.conf", 5, "match.relays.[1]", msg);
	harness_done(&h);

	memset(&h, 0, sizeof(h));
	harness_load_tenants(&h, vlan, 2);
	harness_expect(&h, 1, "/tenants.d/b-globex.conf", 5, "match.vlans.[2]",
	               "both match port \"uplink\" vlan 300 inner_vlan 100");
	assert_non_null(strstr(h.r[0].message, "tenant \"acme\" ("));
	harness_done(&h);

	memset(&h, 0, sizeof(h));
	harness_load_tenants(&h, name, 2);
	harness_expect(&h, 1, "/tenants.d/copy-of-acme.conf", 3, "name",
	               "tenant \"acme\" is already defined in");
	assert_non_null(strstr(h.r[0].message, "/tenants.d/acme.conf"));
	harness_done(&h);
}

/* Loading goes on after a problem: every problem of every file is reported in one run. */
static void test_reports_everything(void **state)
{
	static const char *const files[] = {
	    "tenants-bad/lease-min.conf",  "tenants-bad/pool-overlap.conf",
	    "conflict-relay/a-acme.conf",  "tenants-bad/vlan-port.conf",
	    "tenants-bad/option-hex.conf",
	};
	struct harness h = {0};

	(void)state;
	harness_load_tenants(&h, files, 5);
	assert_int_equal(h.rc, -EINVAL);
	assert_null(h.conf);
	/* Four bad files; a-acme.conf is fine (and its relay conflicts with no good tenant). */
	assert_int_equal(h.n, 4);
	harness_done(&h);

	/* Several problems in one file are all reported too. */
	memset(&h, 0, sizeof(h));
	harness_mkdir(&h);
	harness_write(h.dir, "tenants.d/many.conf",
	              "match = { relays = [ \"1.2.3\" ]; vlans = ( { port = \"x\"; } ); };\n"
	              "lease_time = \"long\";\n"
	              "options = { routers = 5; bogus = 1; };\n"
	              "subnets = ( { subnet = \"10.0.0.0/8\"; pools = ( { first = \"10.0.0.0\"; "
	              "last = \"10.0.0.9\"; } ); } );\n"
	              "tpyo = 1;\n");
	{
		char svc[512];

		snprintf(svc, sizeof(svc), "%s/mtdhcpd.conf", h.dir);
		harness_load(&h, svc);
	}
	assert_int_equal(h.rc, -EINVAL);
	assert_int_equal(h.n, 7);
	harness_expect(&h, 7, "/tenants.d/many.conf", 1, "match.relays.[0]", "not an IPv4 address");
	harness_expect(&h, 7, "/tenants.d/many.conf", 1, "match.vlans.[0].port",
	               "no port is called \"x\"");
	harness_expect(&h, 7, "/tenants.d/many.conf", 2, "lease_time", "expected an integer");
	harness_expect(&h, 7, "/tenants.d/many.conf", 3, "options.routers",
	               "expected a string, found an integer");
	harness_expect(&h, 7, "/tenants.d/many.conf", 3, "options.bogus", "unknown option");
	harness_expect(&h, 7, "/tenants.d/many.conf", 4, "subnets.[0].pools.[0].first",
	               "network address");
	harness_expect(&h, 7, "/tenants.d/many.conf", 5, "tpyo", "unknown setting");
	harness_done(&h);
}

/* A tenant file that cannot be read (here a dangling link) is reported with the reason. */
static void test_unreadable_tenant_file(void **state)
{
	struct harness h = {0};
	char link[512], svc[512];

	(void)state;
	harness_mkdir(&h);
	snprintf(link, sizeof(link), "%s/tenants.d/gone.conf", h.dir);
	assert_int_equal(symlink("/nonexistent/gone.conf", link), 0);
	snprintf(svc, sizeof(svc), "%s/mtdhcpd.conf", h.dir);
	harness_load(&h, svc);
	harness_expect(&h, 1, "/tenants.d/gone.conf", 0, "",
	               "cannot read the file: No such file or directory");
	harness_done(&h);
}

int main(void)
{
	enum { NS = sizeof(service_cases) / sizeof(service_cases[0]) };
	enum { NT = sizeof(tenant_cases) / sizeof(tenant_cases[0]) };
	struct CMUnitTest tests[NS + NT + 3];

	for (size_t i = 0; i < NS; i++)
		tests[i] = (struct CMUnitTest){service_cases[i].file, test_service_case, NULL, NULL,
		                               (void *)&service_cases[i]};
	for (size_t i = 0; i < NT; i++)
		tests[NS + i] = (struct CMUnitTest){tenant_cases[i].file, test_tenant_case, NULL,
		                                    NULL, (void *)&tenant_cases[i]};
	tests[NS + NT] = (struct CMUnitTest)cmocka_unit_test(test_conflicts);
	tests[NS + NT + 1] = (struct CMUnitTest)cmocka_unit_test(test_reports_everything);
	tests[NS + NT + 2] = (struct CMUnitTest)cmocka_unit_test(test_unreadable_tenant_file);
	return _cmocka_run_group_tests("conf_errors", tests, NS + NT + 3, NULL, NULL);
}
