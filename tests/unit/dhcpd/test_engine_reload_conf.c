/*
 * What a reload reads: conf_load_partial leaves out the tenant files with problems
 * (reported with file and line) and keeps the rest, where conf_load refuses everything;
 * the limits (max_leases, packets_per_second, burst) with their service defaults; and the
 * removed tenants in the lease database (marked, purged after the retention, unmarked
 * when named again).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "conf_harness.h"
#include "dhcpd/client_key.h"
#include "test_engine_util.h"

#define TENANT(name, relay, extra)                                                                 \
	"name = \"" name "\";\n"                                                                   \
	"match = { relays = [ \"" relay "\" ]; };\n" extra                                         \
	"subnets = ( { subnet = \"192.168.1.0/24\";\n"                                             \
	"  pools = ( { first = \"192.168.1.100\"; last = \"192.168.1.199\"; } ); } );\n"

static const struct tenant *find(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->n_tenants; i++) {
		if (strcmp(c->tenants[i]->name, name) == 0)
			return c->tenants[i];
	}
	return NULL;
}

static bool failed(const struct conf *c, const char *suffix)
{
	for (size_t i = 0; i < c->n_failed; i++) {
		size_t n = strlen(c->failed_files[i]), m = strlen(suffix);
		if (n >= m && strcmp(c->failed_files[i] + n - m, suffix) == 0)
			return true;
	}
	return false;
}

static void load_partial(struct harness *h)
{
	char svc[512];

	snprintf(svc, sizeof(svc), "%s/mtdhcpd.conf", h->dir);
	h->conf = NULL;
	h->rc = conf_load_partial(svc, &h->conf, harness_report, h);
}

static void test_partial_load_leaves_out_only_the_bad_files(void **state)
{
	(void)state;
	struct harness h = {0};

	harness_mkdir(&h);
	harness_write(h.dir, "tenants.d/a-good.conf", TENANT("good", "10.9.0.1", ""));
	/* A syntax error on line 3, and a pool outside its subnet. */
	harness_write(
	    h.dir, "tenants.d/b-syntax.conf",
	    "name = \"syntax\";\nmatch = { relays = [ \"10.9.0.2\" ]; };\nlease_time = ;\n");
	harness_write(h.dir, "tenants.d/c-pool.conf",
	              "name = \"pool\";\nmatch = { relays = [ \"10.9.0.3\" ]; };\n"
	              "subnets = ( { subnet = \"192.168.1.0/24\";\n"
	              "  pools = ( { first = \"10.0.0.1\"; last = \"10.0.0.9\"; } ); } );\n");

	/* Strict, as at startup and for --check: nothing. */
	char svc[512];
	snprintf(svc, sizeof(svc), "%s/mtdhcpd.conf", h.dir);
	h.n = 0;
	harness_load(&h, svc);
	assert_int_equal(h.rc, -EINVAL);
	assert_null(h.conf);

	/* Partial, as for a reload: the good tenant, and the two files named. */
	h.n = 0;
	load_partial(&h);
	assert_int_equal(h.rc, 0);
	assert_non_null(h.conf);
	assert_int_equal(h.conf->n_tenants, 1);
	assert_non_null(find(h.conf, "good"));
	assert_int_equal(h.conf->n_failed, 2);
	assert_true(failed(h.conf, "tenants.d/b-syntax.conf"));
	assert_true(failed(h.conf, "tenants.d/c-pool.conf"));
	/* Each reported with its file and line. */
	bool syntax = false, pool = false;
	for (size_t i = 0; i < h.n; i++) {
		syntax |= strstr(h.r[i].file, "b-syntax.conf") && h.r[i].line == 3;
		pool |= strstr(h.r[i].file, "c-pool.conf") && h.r[i].line > 0;
	}
	assert_true(syntax);
	assert_true(pool);
	harness_done(&h);
}

static void test_partial_load_conflict_rejects_the_later_file(void **state)
{
	(void)state;
	struct harness h = {0};

	harness_mkdir(&h);
	harness_write(h.dir, "tenants.d/a.conf", TENANT("a", "10.9.0.1", ""));
	harness_write(h.dir, "tenants.d/b.conf", TENANT("b", "10.9.0.1", ""));
	harness_write(h.dir, "tenants.d/c.conf", TENANT("c", "10.9.0.3", ""));
	load_partial(&h);
	assert_int_equal(h.rc, 0);
	assert_int_equal(h.conf->n_tenants, 2);
	assert_non_null(find(h.conf, "a"));
	assert_non_null(find(h.conf, "c"));
	assert_int_equal(h.conf->n_failed, 1);
	assert_true(failed(h.conf, "tenants.d/b.conf"));
	harness_done(&h);
}

static void test_partial_load_service_problem_is_fatal(void **state)
{
	(void)state;
	struct harness h = {0};

	harness_mkdir(&h);
	harness_write(h.dir, "tenants.d/a.conf", TENANT("a", "10.9.0.1", ""));
	harness_write(h.dir, "mtdhcpd.conf",
	              "dataplane = { ports = ( { name = \"uplink\"; device = \"net_null0\";"
	              " address = \"10.0.1.1/24\"; } ); };\ntenants_dir = \"tenants.d\";\n"
	              "log_level = \"loud\";\n");
	load_partial(&h);
	assert_int_equal(h.rc, -EINVAL);
	assert_null(h.conf);
	harness_done(&h);
}

static void test_limits_inherit_service_defaults(void **state)
{
	(void)state;
	struct harness h = {0};

	harness_mkdir(&h);
	harness_write(h.dir, "mtdhcpd.conf",
	              "dataplane = { ports = ( { name = \"uplink\"; device = \"net_null0\";"
	              " address = \"10.0.1.1/24\"; } ); };\ntenants_dir = \"tenants.d\";\n"
	              "lease_db = { removed_tenant_retention = 7; };\n"
	              "defaults = { max_leases = 500; packets_per_second = 100; };\n");
	harness_write(h.dir, "tenants.d/a.conf", TENANT("a", "10.9.0.1", ""));
	harness_write(
	    h.dir, "tenants.d/b.conf",
	    TENANT("b", "10.9.0.2", "max_leases = 0;\npackets_per_second = 20;\nburst = 5;\n"));
	load_partial(&h);
	assert_int_equal(h.rc, 0);
	assert_int_equal(h.conf->service.lease_db.removed_tenant_retention, 7);
	const struct tenant *a = find(h.conf, "a"), *b = find(h.conf, "b");
	assert_int_equal(a->limits.max_leases, 500);
	assert_int_equal(a->limits.packets_per_second, 100);
	assert_int_equal(a->limits.burst, 0);
	assert_int_equal(b->limits.max_leases, 0);
	assert_int_equal(b->limits.packets_per_second, 20);
	assert_int_equal(b->limits.burst, 5);
	harness_done(&h);

	/* Out of range and the wrong type are reported at their line. */
	struct harness h2 = {0};
	harness_mkdir(&h2);
	harness_write(h2.dir, "tenants.d/a.conf",
	              TENANT("a", "10.9.0.1", "packets_per_second = -1;\nburst = \"x\";\n"));
	load_partial(&h2);
	assert_int_equal(h2.rc, 0);
	assert_int_equal(h2.conf->n_tenants, 0);
	assert_int_equal(h2.conf->n_failed, 1);
	bool pps = false, burst = false;
	for (size_t i = 0; i < h2.n; i++) {
		pps |= h2.r[i].line == 3 && strcmp(h2.r[i].setting, "packets_per_second") == 0;
		burst |= h2.r[i].line == 4 && strcmp(h2.r[i].setting, "burst") == 0;
	}
	assert_true(pps);
	assert_true(burst);
	harness_done(&h2);
}

/* --- removed tenants in the lease database -------------------------------------------- */

static int64_t removed_of(struct et_fixture *f, uint32_t id)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_prepare_v2(db, "SELECT coalesce(removed, 0) FROM tenants WHERE id = ?1", -1, &st,
	                   NULL);
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void test_removed_tenant_marked_purged_and_unmarked(void **state)
{
	(void)state;
	struct et_fixture *f = et_setup(0, 0);
	struct tenant *a = et_tenant(f, "acme", 100, 110);
	struct tenant *b = et_tenant(f, "globex", 100, 110);
	size_t purged = 99;

	assert_int_equal(dhcp_engine_add_tenant(f->engine, a, time(NULL)), 0);
	assert_int_equal(dhcp_engine_add_tenant(f->engine, b, time(NULL)), 0);
	uint32_t la = et_dora(f, a, 0x10, 1), lb = et_dora(f, b, 0x10, 1);
	assert_true(et_row_wait(f, a->db_id, la, LEASE_STATE_ACTIVE));
	assert_true(et_row_wait(f, b->db_id, lb, LEASE_STATE_ACTIVE));

	assert_int_equal(lease_store_tenant_removed(f->store, a->db_id, 1000), 0);
	assert_int_equal(removed_of(f, a->db_id), 1000);
	/* Marked once: a second mark keeps the first time. */
	assert_int_equal(lease_store_tenant_removed(f->store, a->db_id, 5000), 0);
	assert_int_equal(removed_of(f, a->db_id), 1000);
	/* Not yet past the retention: nothing goes. */
	assert_int_equal(lease_store_purge_removed(f->store, 1000, 100, &purged), 0);
	assert_int_equal(purged, 0);
	assert_int_equal(et_row_state(f, a->db_id, la), LEASE_STATE_ACTIVE);
	/* Past it: the removed tenant's leases go, the other tenant's stay. */
	assert_int_equal(lease_store_purge_removed(f->store, 1001, 100, &purged), 0);
	assert_int_equal(purged, 1);
	assert_int_equal(et_row_state(f, a->db_id, la), -1);
	assert_int_equal(et_row_state(f, b->db_id, lb), LEASE_STATE_ACTIVE);
	/* Named again: the same id, no longer marked. */
	uint32_t id;
	assert_int_equal(lease_store_tenant_id(f->store, "acme", &id), 0);
	assert_int_equal(id, a->db_id);
	assert_int_equal(removed_of(f, a->db_id), 0);
	tenant_free(a);
	tenant_free(b);
	et_teardown(f);
}

static void test_purge_works_in_chunks(void **state)
{
	(void)state;
	struct et_fixture *f = et_setup(0, 0);
	struct tenant *a = et_tenant(f, "acme", 10, 250);
	size_t purged = 0;

	assert_int_equal(dhcp_engine_add_tenant(f->engine, a, time(NULL)), 0);
	for (int i = 0; i < 30; i++)
		assert_int_not_equal(et_dora(f, a, 0x20, (uint8_t)i), 0);
	assert_int_equal(lease_store_tenant_removed(f->store, a->db_id, 10), 0);
	/* A bound on the rows per call leaves the rest for the next. */
	assert_int_equal(lease_store_purge_removed(f->store, 11, 20, &purged), 0);
	assert_int_equal(purged, 20);
	assert_int_equal(lease_store_purge_removed(f->store, 11, 100, &purged), 0);
	assert_int_equal(purged, 10);
	tenant_free(a);
	et_teardown(f);
}

int main(void)
{
	assert_int_equal(dhcp_client_key_init(), 0);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_partial_load_leaves_out_only_the_bad_files),
	    cmocka_unit_test(test_partial_load_conflict_rejects_the_later_file),
	    cmocka_unit_test(test_partial_load_service_problem_is_fatal),
	    cmocka_unit_test(test_limits_inherit_service_defaults),
	    cmocka_unit_test(test_removed_tenant_marked_purged_and_unmarked),
	    cmocka_unit_test(test_purge_works_in_chunks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
