/*
 * The service part of a reload (dhcpd/service_settings.c): settings that need a restart
 * are reported and keep their running values; the others take the new ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "conf_harness.h"
#include "dhcpd/service_settings.h"

static const char svc_a[] =
    "dataplane = { eal = [ \"-l\", \"0\" ]; idle_sleep_max_usec = 1000;\n"
    "  ports = ( { name = \"uplink\"; device = \"net_null0\"; address = \"10.0.1.1/24\"; } ); };\n"
    "lease_db = { path = \"a.db\"; removed_tenant_retention = 30; };\n"
    "log_level = \"info\";\n"
    "tenants_dir = \"tenants.d\";\n"
    "defaults = { max_leases = 10; };\n";

static const char svc_b[] =
    "dataplane = { eal = [ \"-l\", \"1\" ]; idle_sleep_max_usec = 1000;\n"
    "  ports = ( { name = \"uplink\"; device = \"net_null1\"; address = \"10.0.1.1/24\"; } ); };\n"
    "lease_db = { path = \"b.db\"; removed_tenant_retention = 7; };\n"
    "log_level = \"debug\";\n"
    "tenants_dir = \"tenants.d\";\n"
    "defaults = { max_leases = 20; };\n";

static struct conf *load(struct harness *h, const char *text)
{
	char path[512];

	harness_write(h->dir, "mtdhcpd.conf", text);
	snprintf(path, sizeof(path), "%s/mtdhcpd.conf", h->dir);
	harness_load(h, path);
	assert_int_equal(h->rc, 0);
	struct conf *c = h->conf;
	h->conf = NULL;
	return c;
}

static void test_restart_settings_keep_running_values(void **state)
{
	(void)state;
	struct harness h = {0};

	harness_mkdir(&h);
	struct conf *run = load(&h, svc_a), *nw = load(&h, svc_b);
	char *run_eal = run->service.eal_args[1], *run_dev = run->service.ports[0].device;

	assert_true(service_settings_same_ports(&run->service, &nw->service));
	h.n = 0;
	size_t n = service_settings_keep_restart(&run->service, &nw->service, harness_report, &h);
	/* eal, the port's device and the database path: reported, one line each. */
	assert_int_equal(n, 3);
	assert_int_equal(h.n, 3);
	bool eal = false, port = false, db = false;
	for (size_t i = 0; i < h.n; i++) {
		eal |= strcmp(h.r[i].setting, "dataplane.eal") == 0;
		port |= strcmp(h.r[i].setting, "dataplane.ports.[0]") == 0;
		db |= strcmp(h.r[i].setting, "lease_db.path") == 0;
		assert_non_null(strstr(h.r[i].message, "restart"));
	}
	assert_true(eal && port && db);
	/* The new struct now holds the running values for those... */
	assert_ptr_equal(nw->service.eal_args[1], run_eal);
	assert_string_equal(nw->service.eal_args[1], "0");
	assert_ptr_equal(nw->service.ports[0].device, run_dev);
	assert_non_null(strstr(nw->service.lease_db.path, "a.db"));
	/* ...and its own for the rest. */
	assert_int_equal(nw->service.lease_db.removed_tenant_retention, 7);
	assert_int_equal(nw->service.log_level, CONF_LOG_DEBUG);
	assert_int_equal(nw->service.limits.max_leases, 20);
	conf_free(run);
	conf_free(nw);
	harness_done(&h);
}

static void test_port_layout_change_is_refused(void **state)
{
	(void)state;
	struct harness h = {0};

	harness_mkdir(&h);
	struct conf *run = load(&h, svc_a);
	struct conf *nw = load(&h, "dataplane = { ports = ( { name = \"other\"; device = "
				   "\"net_null0\"; address = \"10.0.1.1/24\"; } ); };\n"
				   "tenants_dir = \"tenants.d\";\n");
	assert_false(service_settings_same_ports(&run->service, &nw->service));
	conf_free(run);
	conf_free(nw);
	harness_done(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restart_settings_keep_running_values),
		cmocka_unit_test(test_port_layout_change_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
