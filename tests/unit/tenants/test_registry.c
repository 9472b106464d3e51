/*
 * The tenant registry: lookups by relay, by (port, VLANs) and by name; conflicts refused
 * with a message naming both tenants and files; publication with QSBR RCU while a
 * registered reader thread reads snapshots, and a shutdown that waits for that reader.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tenants/registry.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static struct tenant *make_tenant(const char *name, const char *file, const uint32_t *relays,
                                  size_t n_relays, const struct tenant_vlan_key *vlans,
                                  size_t n_vlans)
{
	struct tenant *t = tenant_new();

	assert_non_null(t);
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->file = strdup(file);
	t->match.relays = calloc(n_relays + 1, sizeof(uint32_t));
	if (n_relays)
		memcpy(t->match.relays, relays, n_relays * sizeof(uint32_t));
	t->match.n_relays = n_relays;
	t->match.vlans = calloc(n_vlans + 1, sizeof(*vlans));
	if (n_vlans)
		memcpy(t->match.vlans, vlans, n_vlans * sizeof(*vlans));
	t->match.n_vlans = n_vlans;
	return t;
}

static struct tenant **tenant_array(size_t n, ...)
{
	struct tenant **a = calloc(n + 1, sizeof(*a));
	va_list ap;

	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		a[i] = va_arg(ap, struct tenant *);
	va_end(ap);
	return a;
}

static void test_lookups(void **state)
{
	const uint32_t acme_relays[] = {IP(192, 168, 1, 1), IP(10, 9, 9, 1)};
	const uint32_t initech_relays[] = {IP(172, 16, 0, 1)};
	const struct tenant_vlan_key globex_vlans[] = {{0, 100, 0}, {0, 300, 100}, {1, 0, 0}};
	const struct tenant_vlan_key initech_vlans[] = {{0, 300, 200}};
	struct tenant *acme = make_tenant("acme", "/t/acme.conf", acme_relays, 2, NULL, 0);
	struct tenant *globex = make_tenant("globex", "/t/globex.conf", NULL, 0, globex_vlans, 3);
	struct tenant *initech =
	    make_tenant("initech", "/t/initech.conf", initech_relays, 1, initech_vlans, 1);
	char err[256] = "unchanged";
	struct tenant_registry *reg =
	    tenant_registry_build(tenant_array(3, globex, initech, acme), 3, err, sizeof(err));

	(void)state;
	assert_non_null(reg);
	assert_string_equal(err, "");
	assert_int_equal(reg->n_tenants, 3);
	assert_ptr_equal(tenant_registry_by_relay(reg, IP(192, 168, 1, 1)), acme);
	assert_ptr_equal(tenant_registry_by_relay(reg, IP(10, 9, 9, 1)), acme);
	assert_ptr_equal(tenant_registry_by_relay(reg, IP(172, 16, 0, 1)), initech);
	assert_null(tenant_registry_by_relay(reg, IP(192, 168, 1, 2)));
	assert_null(tenant_registry_by_relay(reg, 0));

	assert_ptr_equal(tenant_registry_by_vlan(reg, 0, 100, 0), globex);
	assert_ptr_equal(tenant_registry_by_vlan(reg, 0, 300, 100), globex);
	assert_ptr_equal(tenant_registry_by_vlan(reg, 0, 300, 200), initech);
	assert_ptr_equal(tenant_registry_by_vlan(reg, 1, 0, 0), globex); /* untagged on port 1 */
	assert_null(tenant_registry_by_vlan(reg, 0, 0, 0));
	assert_null(tenant_registry_by_vlan(reg, 1, 100, 0)); /* the port is part of the key */
	assert_null(tenant_registry_by_vlan(reg, 0, 300, 0)); /* so is the inner tag */
	assert_null(tenant_registry_by_vlan(reg, 0, 100, 300));

	assert_ptr_equal(tenant_registry_by_name(reg, "acme"), acme);
	assert_ptr_equal(tenant_registry_by_name(reg, "globex"), globex);
	assert_ptr_equal(tenant_registry_by_name(reg, "initech"), initech);
	assert_null(tenant_registry_by_name(reg, "acm"));
	assert_null(tenant_registry_by_name(reg, "zzz"));
	assert_null(tenant_registry_by_name(reg, ""));
	assert_null(tenant_registry_by_name(reg, NULL));
	tenant_registry_free(reg);
}

static void test_many_tenants(void **state)
{
	enum { N = 2000 };
	struct tenant **a = calloc(N, sizeof(*a));
	struct tenant_registry *reg;
	char err[256];

	(void)state;
	for (uint32_t i = 0; i < N; i++) {
		uint32_t relay = IP(10, 0, 0, 0) + i;
		struct tenant_vlan_key vk = {(uint16_t)(i % 4), (uint16_t)(1 + i / 4), 0};
		char name[32];

		snprintf(name, sizeof(name), "t%04u", (N - 1) - i);
		a[i] = make_tenant(name, "/t/x.conf", &relay, 1, &vk, 1);
	}
	reg = tenant_registry_build(a, N, err, sizeof(err));
	assert_non_null(reg);
	for (uint32_t i = 0; i < N; i++) {
		char name[32];

		snprintf(name, sizeof(name), "t%04u", (N - 1) - i);
		assert_ptr_equal(tenant_registry_by_relay(reg, IP(10, 0, 0, 0) + i), a[i]);
		assert_ptr_equal(
		    tenant_registry_by_vlan(reg, (uint16_t)(i % 4), (uint16_t)(1 + i / 4), 0),
		    a[i]);
		assert_ptr_equal(tenant_registry_by_name(reg, name), a[i]);
	}
	tenant_registry_free(reg);
}

static void test_duplicate_relay(void **state)
{
	const uint32_t acme_relays[] = {IP(192, 168, 1, 1)};
	const uint32_t globex_relays[] = {IP(192, 168, 2, 1), IP(192, 168, 1, 1)};
	char err[512];
	struct tenant **a = tenant_array(
	    2, make_tenant("acme", "/etc/mtdhcp/tenants.d/acme.conf", acme_relays, 1, NULL, 0),
	    make_tenant("globex", "/etc/mtdhcp/tenants.d/globex.conf", globex_relays, 2, NULL, 0));

	(void)state;
	errno = 0;
	/* Fails, and frees the tenants it was given (the sanitizer build checks). */
	assert_null(tenant_registry_build(a, 2, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err, "tenant \"globex\" (/etc/mtdhcp/tenants.d/globex.conf) and tenant "
	                         "\"acme\" (/etc/mtdhcp/tenants.d/acme.conf) both match relay "
	                         "192.168.1.1");
}

static void test_duplicate_vlan(void **state)
{
	const struct tenant_vlan_key acme_vlans[] = {{2, 300, 100}};
	const struct tenant_vlan_key globex_vlans[] = {{2, 300, 200}, {2, 300, 100}};
	char err[512];
	struct tenant **a =
	    tenant_array(2, make_tenant("acme", "/t/acme.conf", NULL, 0, acme_vlans, 1),
	                 make_tenant("globex", "/t/globex.conf", NULL, 0, globex_vlans, 2));

	(void)state;
	assert_null(tenant_registry_build(a, 2, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "tenant \"globex\" (/t/globex.conf)"));
	assert_non_null(strstr(err, "tenant \"acme\" (/t/acme.conf)"));
	assert_non_null(strstr(err, "both match port 2 vlan 300 inner vlan 100"));
}

static void test_duplicate_name(void **state)
{
	const uint32_t r1[] = {IP(10, 0, 0, 1)}, r2[] = {IP(10, 0, 0, 2)}, r3[] = {IP(10, 0, 0, 3)};
	char err[512];
	struct tenant **a = tenant_array(3, make_tenant("acme", "/t/a.conf", r1, 1, NULL, 0),
	                                 make_tenant("globex", "/t/g.conf", r2, 1, NULL, 0),
	                                 make_tenant("acme", "/t/b.conf", r3, 1, NULL, 0));

	(void)state;
	assert_null(tenant_registry_build(a, 3, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "tenant \"acme\" is defined twice"));
	assert_non_null(strstr(err, "/t/a.conf"));
	assert_non_null(strstr(err, "/t/b.conf"));
}

static void test_same_tenant_twice_and_bad_vlan(void **state)
{
	const uint32_t relays[] = {IP(10, 0, 0, 1), IP(10, 0, 0, 1)};
	const struct tenant_vlan_key bad[] = {{0, 4096, 0}};
	char err[512];
	struct tenant_registry *reg;

	(void)state;
	/* A tenant repeating its own key is not ambiguous. */
	reg = tenant_registry_build(
	    tenant_array(1, make_tenant("a", "/t/a.conf", relays, 2, NULL, 0)), 1, err,
	    sizeof(err));
	assert_non_null(reg);
	assert_string_equal(tenant_registry_by_relay(reg, IP(10, 0, 0, 1))->name, "a");
	tenant_registry_free(reg);
	/* VLAN ids are 12 bits. */
	reg = tenant_registry_build(tenant_array(1, make_tenant("a", "/t/a.conf", NULL, 0, bad, 1)),
	                            1, err, sizeof(err));
	assert_null(reg);
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "invalid VLAN id"));
	/* No tenants at all is a valid (empty) registry. */
	reg = tenant_registry_build(NULL, 0, err, sizeof(err));
	assert_non_null(reg);
	assert_null(tenant_registry_by_relay(reg, 1));
	assert_null(tenant_registry_by_name(reg, "a"));
	tenant_registry_free(reg);
	tenant_registry_free(NULL);
}

/* --- publication --- */

static struct tenant_registry *snapshot(uint32_t stamp)
{
	const uint32_t relay = IP(192, 168, 1, 1);
	struct tenant *t = make_tenant("acme", "/t/acme.conf", &relay, 1, NULL, 0);
	char err[256];
	struct tenant_registry *reg;

	/* db_id carries the generation the snapshot is expected to get when published. */
	t->db_id = stamp;
	reg = tenant_registry_build(tenant_array(1, t), 1, err, sizeof(err));
	assert_non_null(reg);
	return reg;
}

struct reader {
	atomic_bool stop;
	atomic_ulong reads;
	atomic_ulong bad;
	atomic_int phase; /* grace-period test handshake */
	atomic_bool done_reading;
};

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Reads every snapshot it sees and checks it is complete and never goes back in time. */
static void *reader_stress(void *arg)
{
	struct reader *r = arg;
	uint64_t last = 0;

	urcu_qsbr_register_thread();
	while (!atomic_load(&r->stop)) {
		struct tenant_registry *reg = tenant_registry_current();

		if (reg) {
			const struct tenant *t = tenant_registry_by_relay(reg, IP(192, 168, 1, 1));

			if (!t || t->db_id != reg->generation || reg->generation < last ||
			    strcmp(t->name, "acme") != 0)
				atomic_fetch_add(&r->bad, 1);
			last = reg->generation;
			atomic_fetch_add(&r->reads, 1);
		}
		urcu_qsbr_quiescent_state();
	}
	urcu_qsbr_unregister_thread();
	return NULL;
}

static void test_publish_with_reader(void **state)
{
	struct reader r = {0};
	struct tenant_registry *reg;
	pthread_t th;
	uint64_t gen;

	(void)state;
	urcu_qsbr_register_thread();
	assert_null(tenant_registry_current());
	/* The first generation is whatever follows earlier publishes in this process. */
	reg = snapshot(0);
	tenant_registry_publish(reg);
	gen = reg->generation;
	assert_true(gen >= 1);
	assert_ptr_equal(tenant_registry_current(), reg);
	/* Patch the first snapshot's stamp: it is ours until the next grace period. */
	reg->tenants[0]->db_id = (uint32_t)gen;

	assert_int_equal(pthread_create(&th, NULL, reader_stress, &r), 0);
	for (uint32_t i = 1; i <= 2000; i++) {
		tenant_registry_publish(snapshot((uint32_t)(gen + i)));
		if (i % 100 == 0)
			sleep_ms(1);
		urcu_qsbr_quiescent_state();
	}
	sleep_ms(20);
	atomic_store(&r.stop, true);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(atomic_load(&r.reads) > 0);
	assert_int_equal(atomic_load(&r.bad), 0);
	assert_int_equal(tenant_registry_current()->generation, gen + 2000);

	/* Called from a registered, online thread: it goes offline to wait and comes back. */
	tenant_registry_shutdown();
	assert_null(tenant_registry_current());
	urcu_qsbr_quiescent_state(); /* still online and usable */
	urcu_qsbr_unregister_thread();
}

/* Holds the snapshot it finds until told to go on, checks it is intact, then lets go. */
static void *reader_holding(void *arg)
{
	struct reader *r = arg;
	struct tenant_registry *reg;

	urcu_qsbr_register_thread();
	reg = tenant_registry_current();
	atomic_store(&r->phase, 1);
	while (atomic_load(&r->phase) != 2)
		sleep_ms(1);
	/*
	 * The control thread has moved on (a new publish, or a shutdown that is waiting);
	 * the snapshot held here must still be intact, since this thread has passed no
	 * quiescent state. The sanitizer build turns a premature free into a failure.
	 */
	sleep_ms(100);
	if (!reg || reg->n_tenants != 1 || strcmp(reg->tenants[0]->name, "acme") != 0)
		atomic_fetch_add(&r->bad, 1);
	atomic_store(&r->done_reading, true);
	urcu_qsbr_quiescent_state();
	urcu_qsbr_unregister_thread();
	return NULL;
}

/* A snapshot replaced while a reader holds it is freed only after the reader lets go. */
static void test_publish_defers_free(void **state)
{
	struct reader r = {0};
	pthread_t th;

	(void)state;
	tenant_registry_publish(snapshot(0));
	assert_int_equal(pthread_create(&th, NULL, reader_holding, &r), 0);
	while (atomic_load(&r.phase) != 1)
		sleep_ms(1);
	tenant_registry_publish(snapshot(0));
	atomic_store(&r.phase, 2);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(atomic_load(&r.bad), 0);
	tenant_registry_shutdown();
	assert_null(tenant_registry_current());
}

/* Shutdown frees the current snapshot only after every reader has let go of it. */
static void test_shutdown_waits_for_reader(void **state)
{
	struct reader r = {0};
	pthread_t th;

	(void)state;
	/* This time the control thread is not a registered reader at all. */
	tenant_registry_publish(snapshot(0));
	assert_int_equal(pthread_create(&th, NULL, reader_holding, &r), 0);
	while (atomic_load(&r.phase) != 1)
		sleep_ms(1);
	atomic_store(&r.phase, 2);
	tenant_registry_shutdown();
	/* The grace period could only end once the reader let go of its snapshot. */
	assert_true(atomic_load(&r.done_reading));
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(atomic_load(&r.bad), 0);
	assert_null(tenant_registry_current());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lookups),
	    cmocka_unit_test(test_many_tenants),
	    cmocka_unit_test(test_duplicate_relay),
	    cmocka_unit_test(test_duplicate_vlan),
	    cmocka_unit_test(test_duplicate_name),
	    cmocka_unit_test(test_same_tenant_twice_and_bad_vlan),
	    cmocka_unit_test(test_publish_with_reader),
	    cmocka_unit_test(test_publish_defers_free),
	    cmocka_unit_test(test_shutdown_waits_for_reader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
