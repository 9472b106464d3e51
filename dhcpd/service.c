#include "service.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <urcu/urcu-qsbr.h>

#include "common/log.h"
#include "dhcpd/client_key.h"
#include "dhcpd/service_ctl.h"
#include "tenants/registry.h"

#define SERVICE_MAX_PENDING 8192

void service_tenant_counters(const struct service *svc, const struct tenant *t,
			     struct tenant_counters *out)
{
	memset(out, 0, sizeof(*out));
	/* Its owner serves it; a change in the lcore count would move it, so ask them all. */
	for (unsigned l = 0; svc->dp && l < dp_n_lcores(svc->dp); l++) {
		const struct dhcp_engine *e = dp_engine(svc->dp, l);
		const struct tenant_counters *c = e ? dhcp_engine_counters(e, t) : NULL;
		if (!c)
			continue;
		for (size_t i = 0; i < TC__COUNT; i++)
			out->v[i] += c->v[i];
	}
}

static void on_signal(void *ctx, int signo)
{
	if (signo == SIGTERM || signo == SIGINT) {
		log_info("%s received: stopping", signo == SIGTERM ? "SIGTERM" : "SIGINT");
		dp_request_stop();
	} else if (signo == SIGHUP) {
		/* Problems are logged; the running configuration stays where they are. */
		log_info("SIGHUP received: reloading");
		service_reload(ctx, NULL, NULL, NULL);
	}
}

static void on_tick(void *ctx, int64_t now)
{
	service_reload_tick(ctx, now);
}

/* Builds the EAL's argv: program name, then the configured arguments. */
static char **eal_argv(const struct conf_service *svc, int *argc)
{
	char **argv = calloc(svc->n_eal_args + 2, sizeof(*argv));
	if (!argv)
		return NULL;
	int n = 0;
	argv[n++] = "mtdhcpd";
	for (size_t i = 0; i < svc->n_eal_args; i++)
		argv[n++] = svc->eal_args[i];
	*argc = n;
	return argv;
}

/* Gives every tenant its stable database id (created on first sight of its name). */
static int assign_tenant_ids(struct lease_store *store, struct tenant **tenants, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = lease_store_tenant_id(store, tenants[i]->name, &tenants[i]->db_id);
		if (rc) {
			log_err("tenant %s: cannot get its database id: %s", tenants[i]->name,
				strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static int open_store(struct service *s)
{
	const struct conf_service *svc = &s->conf->service;
	char err[512];
	struct lease_store_params lp = {
		.path = svc->lease_db.path,
		.synchronous_full = svc->lease_db.durability == CONF_DURABILITY_COMMIT_BEFORE_ACK,
		.batch_max = svc->lease_db.batch_max,
		.batch_usec = svc->lease_db.batch_usec,
		.queue_size = svc->lease_db.queue_size,
		.events_retention_days = svc->lease_db.events_retention,
		/* One completion queue per lcore: each engine is the owner of its index. */
		.n_owners = (uint16_t)dp_n_lcores(s->dp),
	};
	s->store = lease_store_open(&lp, err, sizeof(err));
	if (!s->store) {
		log_err("%s", err);
		return -1;
	}
	if (!lp.synchronous_full)
		log_warn("lease database durability is \"async\": leases acknowledged in the last "
			 "moments before a power loss may be lost");
	return 0;
}

static int publish_tenants(struct service *s)
{
	char err[512];
	size_t n;
	struct tenant **tenants = conf_take_tenants(s->conf, &n);
	int rc = assign_tenant_ids(s->store, tenants, n);
	struct tenant_registry *reg =
	    service_registry_build(&s->conf->service, tenants, n, err, sizeof(err));
	if (!reg) {
		log_err("%s", err);
		return -1;
	}
	if (rc) {
		tenant_registry_free(reg);
		return -1;
	}
	tenant_registry_publish(reg);
	return service_fingerprints_init(s) ? -1 : 0;
}

static int start_dataplane(struct service *s)
{
	const struct conf_service *svc = &s->conf->service;
	char err[512];
	struct dp_port_params ports[DP_MAX_PORTS];
	if (svc->n_ports > DP_MAX_PORTS) {
		log_err("at most %d ports are supported", DP_MAX_PORTS);
		return -1;
	}
	for (size_t i = 0; i < svc->n_ports; i++) {
		ports[i] = (struct dp_port_params){
			.name = svc->ports[i].name,
			.device = svc->ports[i].device,
			.address = svc->ports[i].address,
			.mac = svc->ports[i].has_mac ? svc->ports[i].mac : NULL,
		};
	}
	int argc;
	char **argv = eal_argv(svc, &argc);
	if (!argv) {
		log_err("out of memory");
		return -1;
	}
	s->dp = dp_init(argc, argv, ports, svc->n_ports, err, sizeof(err));
	free(argv);
	if (!s->dp) {
		log_err("%s", err);
		return -1;
	}
	if (dp_start(s->dp, svc->idle_sleep_max_usec, err, sizeof(err)) != 0) {
		log_err("%s", err);
		return -1;
	}
	return 0;
}

/*
 * One engine per lcore (owner index = lcore index), each serving the tenants its lcore
 * owns (dp_tenant_owner). s->engine is lcore 0's.
 */
static int start_engines(struct service *s)
{
	unsigned n = dp_n_lcores(s->dp);

	for (unsigned l = 0; l < n; l++) {
		struct dhcp_engine_params ep = {
			.store = s->store,
			.max_pending = SERVICE_MAX_PENDING,
		};
		dp_engine_params(s->dp, l, &ep);
		struct dhcp_engine *e = dhcp_engine_create(&ep);
		if (!e) {
			log_err("cannot create the DHCP engine of lcore %u: %s", l, strerror(errno));
			return -1;
		}
		dp_set_engine(s->dp, l, e);
	}
	s->engine = dp_engine(s->dp, 0);
	/* The control thread is not running yet: this thread may read the registry. */
	const struct tenant_registry *reg = tenant_registry_current();
	int64_t now = time(NULL);
	for (size_t i = 0; i < reg->n_tenants; i++) {
		const struct tenant *t = reg->tenants[i];
		int rc = dhcp_engine_add_tenant(dp_tenant_engine(s->dp, t->db_id), t, now);
		if (rc) {
			log_err("tenant %s: cannot start: %s", t->name, strerror(-rc));
			return -1;
		}
		if (n > 1)
			log_debug("tenant %s: served by lcore %u", t->name,
				  dp_tenant_owner(t->db_id, n));
	}
	return 0;
}

/* The engines, when the dataplane is gone or never came: freed in lcore order. */
static void destroy_engines(struct service *s)
{
	for (unsigned l = 0; s->dp && l < dp_n_lcores(s->dp); l++) {
		dhcp_engine_destroy(dp_engine(s->dp, l));
		dp_set_engine(s->dp, l, NULL);
	}
	s->engine = NULL;
}

/*
 * Per lcore: where its cycles went, per DHCP frame received, and the hand-offs. The same
 * numbers as `mtdhcpctl stats` would show, kept in the log of a stopped daemon (the
 * engine-limit benchmark reads them there).
 */
static void log_lcores(const struct service *s)
{
	for (unsigned l = 0; l < dp_n_lcores(s->dp); l++) {
		struct dp_lcore_stats ls;
		char line[512];
		size_t len = 0;

		dp_lcore_stats(s->dp, l, &ls);
		uint64_t frames = ls.items[DP_STAGE_RX] + ls.handoff_in;
		for (int k = 0; k < DP_STAGE__COUNT && len < sizeof(line); k++) {
			int w = snprintf(line + len, sizeof(line) - len, " %s=%llu/%llu",
					 dp_stage_name((enum dp_stage)k),
					 (unsigned long long)ls.cycles[k],
					 (unsigned long long)ls.items[k]);
			if (w < 0)
				break;
			len += (size_t)w;
		}
		log_info("lcore %u (index %u): frames %llu, busy %llu cycles in %llu loops, tsc_hz "
			 "%llu, handoff out %llu in %llu full %llu, yields %llu; cycles/items:%s",
			 ls.lcore_id, l, (unsigned long long)frames,
			 (unsigned long long)ls.busy_cycles, (unsigned long long)ls.busy_loops,
			 (unsigned long long)ls.tsc_hz, (unsigned long long)ls.handoff_out,
			 (unsigned long long)ls.handoff_in, (unsigned long long)ls.handoff_full,
			 (unsigned long long)ls.yields, line);
	}
}

/* One line per port and per tenant with traffic, so that a stopped daemon leaves a record. */
static void log_counters(const struct service *s)
{
	for (size_t i = 0; i < s->conf->service.n_ports; i++) {
		struct dp_port_stats ps;
		dp_port_stats(s->dp, i, &ps);
		/* Every reason the classifier gives no tenant counts as "no tenant" here. */
		uint64_t no_tenant = ps.drop_no_tenant + ps.drop_unknown_vpn +
				     ps.drop_untrusted_relay + ps.drop_bad_relay_info;
		uint64_t dropped = ps.drop_multiseg + ps.drop_other_mac + ps.drop_not_ours +
				   no_tenant + ps.drop_no_mbuf;
		for (size_t k = 0; k < sizeof(ps.drop_kind) / sizeof(ps.drop_kind[0]); k++)
			dropped += ps.drop_kind[k];
		log_info("port %s: rx %llu tx %llu dropped %llu (no tenant %llu) arp %llu icmp %llu",
			 s->conf->service.ports[i].name, (unsigned long long)ps.rx,
			 (unsigned long long)ps.tx, (unsigned long long)dropped,
			 (unsigned long long)no_tenant, (unsigned long long)ps.arp_replies,
			 (unsigned long long)ps.icmp_replies);
	}
	/* Every counter that moved, by its stable name: one line per tenant. */
	const struct tenant_registry *reg = tenant_registry_current();
	for (size_t i = 0; reg && i < reg->n_tenants; i++) {
		struct tenant_counters c;
		char line[2048];
		size_t len = 0;
		service_tenant_counters(s, reg->tenants[i], &c);
		for (size_t k = 0; k < TC__COUNT && len < sizeof(line); k++) {
			if (c.v[k] == 0)
				continue;
			int w = snprintf(line + len, sizeof(line) - len, " %s=%llu",
					 tenant_counter_name((enum tenant_counter)k),
					 (unsigned long long)c.v[k]);
			if (w < 0)
				break;
			len += (size_t)w;
		}
		log_info("tenant %s:%s", reg->tenants[i]->name, len ? line : " no traffic");
	}
}

int service_run(const char *conf_file, struct conf *conf)
{
	struct service s = {.conf_file = conf_file, .conf = conf, .started = time(NULL)};
	struct service_ctl *ctl = NULL;
	int status = 1;

	/* Before any thread exists, so that every thread inherits the blocked signals. */
	s.control = control_create(on_signal, &s);
	if (!s.control) {
		log_err("cannot set up signal handling: %s", strerror(errno));
		conf_free(conf);
		return 1;
	}
	int rc = dhcp_client_key_init();
	if (rc) {
		log_err("cannot seed the client hash: %s", strerror(-rc));
		goto out;
	}
	/* The EAL first: the lease store needs one completion queue per lcore. */
	if (start_dataplane(&s) || open_store(&s) || publish_tenants(&s) || start_engines(&s))
		goto out;
	/*
	 * The lease writer and the control thread inherit this thread's CPUs: the ones no
	 * lcore polls on, so that a busy lcore does not starve them (and they it).
	 */
	rc = dp_affinity_service(s.dp);
	if (rc)
		log_warn("cannot move the service threads off the lcores' CPUs: %s", strerror(-rc));
	rc = lease_store_start(s.store);
	if (rc) {
		log_err("cannot start the lease writer: %s", strerror(-rc));
		goto out;
	}
	/* The control socket and the metrics are served by the control thread. */
	ctl = service_ctl_start(&s);
	if (!ctl)
		goto out;
	/* Retired instances and the leases of long-removed tenants (service_reload.c). */
	rc = control_on_tick(s.control, on_tick, &s);
	if (rc) {
		log_err("cannot start the control timers: %s", strerror(-rc));
		goto out;
	}
	rc = control_start(s.control);
	if (rc) {
		log_err("cannot start the control thread: %s", strerror(-rc));
		goto out;
	}
	rc = dp_affinity_lcore(s.dp);
	if (rc) {
		log_err("cannot put the main thread back on its lcore: %s", strerror(-rc));
		goto out;
	}

	log_info("ready: %zu tenants, %zu ports, %u lcores, lease database %s",
		 tenant_registry_current()->n_tenants, s.conf->service.n_ports,
		 dp_n_lcores(s.dp), s.conf->service.lease_db.path);
	urcu_qsbr_register_thread();
	dp_run(s.dp);
	urcu_qsbr_unregister_thread();
	status = 0;
out:
	control_destroy(s.control);
	service_ctl_stop(ctl);
	/* The writer commits what is queued before it stops: no acknowledged lease is lost. */
	lease_store_close(s.store);
	if (s.engine) {
		log_counters(&s);
		log_lcores(&s);
	}
	destroy_engines(&s);
	dp_destroy(s.dp);
	tenant_registry_shutdown();
	conf_free(s.conf);
	free(s.fps);
	log_info("stopped");
	return status;
}
