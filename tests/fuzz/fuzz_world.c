/*
 * The world of fuzz_frame (see fuzz_world.h). The configuration is written out and read
 * back with conf_load, as the daemon does, so the tenants the engine serves are exactly
 * what an operator's files would give.
 */
#include "fuzz_world.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fuzz.h"

/*
 * Four ports, as fuzz_frame's records can name them: "uplink" (0) takes the relayed
 * (dhcrelay) and the VLAN and QinQ captures, "downlink" (1) the perfdhcp one, "access" (2)
 * the directly attached clients, and "trunk" (3) relays on VLAN 200 with option 221
 * trusted and relay information off its relay links dropped. The tenants use every kind of
 * match key (docs/classification.md), so relay agents' option 82 and 221 go through every
 * lookup. Lease times are short and some pools tiny, so that runs reach exhaustion, expiry
 * and reuse; "direct" has many options (replies reach the client's maximum message size),
 * reservations, per-pool options and rapid commit, "relay" a shared network.
 */
static const char fuzz_service_conf[] =
    "dataplane = {\n"
    "  ports = (\n"
    "    { name = \"uplink\"; device = \"net_null0\"; address = \"10.0.1.1/24\";\n"
    "      mac = \"02:00:00:00:00:01\"; },\n"
    "    { name = \"downlink\"; device = \"net_null1\"; address = \"10.0.3.1/24\"; },\n"
    "    { name = \"access\"; device = \"net_null2\"; address = \"10.0.9.1/24\"; },\n"
    "    { name = \"trunk\"; device = \"net_null3\"; address = \"10.0.4.1/24\";\n"
    "      relay_vlans = [ 0, 200 ]; relay_vss_option = true; untrusted_relay = \"drop\"; }\n"
    "  );\n"
    "};\n"
    "lease_db = { path = \"leases.db\"; batch_max = 64; batch_usec = 0; queue_size = 1024; };\n"
    "tenants_dir = \"tenants.d\";\n"
    "defaults = {\n"
    "  lease_time = 60; min_lease_time = 30; max_lease_time = 300; offer_time = 20;\n"
    "  options = { domain-name-servers = [ \"10.0.0.53\" ]; };\n"
    "};\n";

/* clang-format off: one configuration file per entry, as it reads in a file. */
static const struct {
	const char *name;
	const char *text;
} fuzz_tenant_confs[] = {
    {"direct.conf",
     "match = { vlans = ( { port = \"access\"; } ); };\n"
     "server_address = \"10.0.0.1\";\n"
     "renew_time = 20;\n"
     "rebind_time = 50;\n"
     "rapid_commit = true;\n"
     "options = {\n"
     "  routers = [ \"10.0.0.1\" ];\n"
     "  domain-name = \"example.test\";\n"
     "  domain-search = [ \"example.test\", \"corp.example.\" ];\n"
     "  classless-static-route = [ \"0.0.0.0/0 10.0.0.1\", \"172.16.128.0/17 10.0.0.2\" ];\n"
     "  interface-mtu = 1500;\n"
     "  ntp-servers = [ \"10.0.0.1\" ];\n"
     "  wpad-url = \"http://wpad.example.test/wpad.dat\";\n"
     "  option-224 = \"de:ad:be:ef\";\n"
     "  option-225 = \"\";\n"
     "};\n"
     "subnets = ( { subnet = \"10.0.0.0/24\";\n"
     "  pools = ( { first = \"10.0.0.100\"; last = \"10.0.0.199\"; },\n"
     "            { first = \"10.0.0.20\"; last = \"10.0.0.29\";\n"
     "              options = { domain-name = \"pool.example.test\"; }; } );\n"
     "  reservations = (\n"
     "    { hw-address = \"02:00:00:00:01:01\"; address = \"10.0.0.50\"; hostname = \"fixed\"; },\n"
     "    { client-id = \"01:02:00:00:00:02:01\"; address = \"10.0.0.150\"; } ); } );\n"},
    {"vlan100.conf", "match = { vlans = ( { port = \"uplink\"; vlan = 100; }, { port = \"trunk\"; "
                     "vlan = 100; } ); };\n"
                     "server_address = \"10.0.0.1\";\n"
                     "authoritative = false;\n"
                     "subnets = ( { subnet = \"10.0.0.0/24\";\n"
                     "  pools = ( { first = \"10.0.0.100\"; last = \"10.0.0.103\"; } ); } );\n"},
    {"qinq.conf",
     "match = { vlans = ( { port = \"uplink\"; vlan = 300; inner_vlan = 100; } ); };\n"
     "server_address = \"10.0.0.1\";\n"
     "lease_time = 120;\n"
     "subnets = ( { subnet = \"10.0.0.0/24\"; options = { routers = [ \"10.0.0.1\" ]; };\n"
     "  pools = ( { first = \"10.0.0.100\"; last = \"10.0.0.199\"; } ); } );\n"},
    {"relay.conf",
     "match = { relays = [ \"10.0.2.1\", \"10.0.1.2\" ]; relay_prefixes = [ \"10.0.6.0/24\" ];\n"
     "          link_selection = [ \"10.0.2.0/24\" ]; };\n"
     "options = { routers = [ \"10.0.2.1\" ]; domain-name = \"relay.example\"; };\n"
     "subnets = (\n"
     "  { subnet = \"10.0.2.0/24\";\n"
     "    pools = ( { first = \"10.0.2.100\"; last = \"10.0.2.199\"; } );\n"
     "    reservations = ( { circuit-id = \"capr0\"; address = \"10.0.2.50\"; } ); },\n"
     "  { subnet = \"10.0.1.0/24\";\n"
     "    pools = ( { first = \"10.0.1.100\"; last = \"10.0.1.107\"; } ); },\n"
     "  { subnet = \"10.0.6.0/24\"; shared_network = \"six\";\n"
     "    pools = ( { first = \"10.0.6.10\"; last = \"10.0.6.11\"; } ); },\n"
     "  { subnet = \"10.0.7.0/24\"; shared_network = \"six\";\n"
     "    pools = ( { first = \"10.0.7.10\"; last = \"10.0.7.20\"; } ); },\n"
     "  { subnet = \"10.9.0.0/30\"; }\n"
     ");\n"},
    {"opt82.conf",
     "match = { circuit_ids = [ \"capr1\", \"00:04:00:64:01:05\" ]; remote_ids = [ \"modem-7\" ];\n"
     "          circuit_id_prefixes = [ \"Eth1/\" ]; remote_id_prefixes = [ \"ab:cd\" ];\n"
     "          vss = [ \"blue\", \"vpn-id:00:00:5e:00:00:00:01\" ];\n"
     "          link_selection = [ \"10.0.5.0/24\" ]; };\n"
     "subnets = (\n"
     "  { subnet = \"10.0.2.0/24\"; pools = ( { first = \"10.0.2.10\"; last = \"10.0.2.13\"; } ); "
     "},\n"
     "  { subnet = \"10.0.5.0/24\"; pools = ( { first = \"10.0.5.10\"; last = \"10.0.5.200\"; } ); "
     "}\n"
     ");\n"},
    {"perf.conf", "match = { relays = [ \"10.0.3.2\" ]; };\n"
                  "subnets = ( { subnet = \"10.0.3.0/24\";\n"
                  "  pools = ( { first = \"10.0.3.100\"; last = \"10.0.3.104\"; } ); } );\n"},
};
/* clang-format on */

/* Seconds fuzz_world_settle waits for the lease writer before it calls it a hang. */
#define FUZZ_WORLD_SETTLE_MAX 60

/* A fixed start (14 November 2023), so that runs are repeatable. */
#define FUZZ_WORLD_EPOCH 1700000000

static void fuzz_world_report(void *ctx, const char *file, int line, const char *setting,
                              const char *message)
{
	(void)ctx;
	fprintf(stderr, "fuzz world: %s:%d: %s: %s\n", file, line, setting, message);
}

static void fuzz_world_die(const char *what, const char *why)
{
	fprintf(stderr, "fuzz world: %s: %s\n", what, why);
	abort();
}

static void fuzz_world_write_conf(const char *dir)
{
	char tdir[300];

	snprintf(tdir, sizeof(tdir), "%s/tenants.d", dir);
	if (mkdir(tdir, 0755) != 0)
		fuzz_world_die(tdir, strerror(errno));
	if (fuzz_write_file(dir, "mtdhcpd.conf", fuzz_service_conf, strlen(fuzz_service_conf)))
		fuzz_world_die("mtdhcpd.conf", "cannot write");
	for (size_t i = 0; i < sizeof(fuzz_tenant_confs) / sizeof(fuzz_tenant_confs[0]); i++) {
		const char *text = fuzz_tenant_confs[i].text;

		if (fuzz_write_file(tdir, fuzz_tenant_confs[i].name, text, strlen(text)))
			fuzz_world_die(fuzz_tenant_confs[i].name, "cannot write");
	}
}

void fuzz_world_open(struct fuzz_world *w, dhcp_tx_fn tx, void *tx_ctx)
{
	char path[320], err[512];
	struct tenant **tenants;
	size_t n;
	int rc;

	memset(w, 0, sizeof(*w));
	rc = fuzz_tmpdir_make(w->dir, sizeof(w->dir));
	if (rc)
		fuzz_world_die("scratch directory", strerror(-rc));
	fuzz_world_write_conf(w->dir);
	snprintf(path, sizeof(path), "%s/mtdhcpd.conf", w->dir);
	rc = conf_load(path, &w->conf, fuzz_world_report, NULL);
	if (rc)
		fuzz_world_die(path, strerror(-rc));

	const struct conf_lease_db *db = &w->conf->service.lease_db;
	struct lease_store_params lp = {
	    .path = db->path,
	    .synchronous_full = db->durability == CONF_DURABILITY_COMMIT_BEFORE_ACK,
	    .batch_max = db->batch_max,
	    .batch_usec = db->batch_usec,
	    .queue_size = db->queue_size,
	    .n_owners = 1,
	};
	w->store = lease_store_open(&lp, err, sizeof(err));
	if (!w->store)
		fuzz_world_die("lease store", err);

	/* As mtdhcpd does: database ids first, then the registry, then the engine. */
	tenants = conf_take_tenants(w->conf, &n);
	for (size_t i = 0; i < n; i++) {
		rc = lease_store_tenant_id(w->store, tenants[i]->name, &tenants[i]->db_id);
		if (rc)
			fuzz_world_die(tenants[i]->name, strerror(-rc));
	}
	/* Each port's relay policy, as the daemon builds its registry (service_reload.c). */
	const struct conf_service *svc = &w->conf->service;
	struct tenant_port_policy policies[FUZZ_WORLD_PORTS];

	if (svc->n_ports > FUZZ_WORLD_PORTS)
		fuzz_world_die("ports", "more than the records can name");
	for (size_t i = 0; i < svc->n_ports; i++)
		conf_port_policy(&svc->ports[i], &policies[i]);
	struct tenant_registry_params rp = {.ports = policies, .n_ports = svc->n_ports};

	w->reg = tenant_registry_build_params(tenants, n, &rp, err, sizeof(err));
	if (!w->reg)
		fuzz_world_die("registry", err);

	struct dhcp_engine_params ep = {
	    .owner = 0, .store = w->store, .tx = tx, .tx_ctx = tx_ctx, .max_pending = 64};
	w->engine = dhcp_engine_create(&ep);
	if (!w->engine)
		fuzz_world_die("engine", strerror(errno));
	w->epoch = w->now = FUZZ_WORLD_EPOCH;
	for (size_t i = 0; i < w->reg->n_tenants; i++) {
		rc = dhcp_engine_add_tenant(w->engine, w->reg->tenants[i], w->now);
		if (rc)
			fuzz_world_die(w->reg->tenants[i]->name, strerror(-rc));
	}
	/*
	 * The writer thread runs, as in the daemon, so that REQUESTs go through the real
	 * commit-before-ACK path; fuzz_world_settle makes each input wait for its commits,
	 * which keeps the ACK inside the input that caused it.
	 */
	rc = lease_store_start(w->store);
	if (rc)
		fuzz_world_die("lease writer", strerror(-rc));
}

void fuzz_world_close(struct fuzz_world *w)
{
	/* The store first: its last completions are never polled, which is allowed. */
	lease_store_close(w->store);
	dhcp_engine_destroy(w->engine);
	tenant_registry_free(w->reg);
	conf_free(w->conf);
	fuzz_tmpdir_remove(w->dir);
	memset(w, 0, sizeof(*w));
}

void fuzz_world_settle(struct fuzz_world *w)
{
	struct lease_store_stats st;
	struct timespec start, t;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		w->completions += dhcp_engine_poll(w->engine, w->now);
		lease_store_get_stats(w->store, &st);
		/* Every accepted change gets exactly one completion (lease_store.h). */
		fuzz_check(w->completions <= st.submitted);
		if (w->completions == st.submitted)
			return;
		clock_gettime(CLOCK_MONOTONIC, &t);
		/* Generous: a loaded test machine can stall a thread for seconds. */
		if (t.tv_sec - start.tv_sec > FUZZ_WORLD_SETTLE_MAX)
			fuzz_world_die("lease writer", "no completion for a minute");
		sched_yield();
	}
}

size_t fuzz_world_n_ports(const struct fuzz_world *w)
{
	return w->conf->service.n_ports;
}

uint32_t fuzz_world_port_address(const struct fuzz_world *w, uint16_t port)
{
	return port < w->conf->service.n_ports ? w->conf->service.ports[port].address : 0;
}
