/*
 * The backend of the control socket and the metrics over the running service: counters
 * and pool use from the engines, ports and lcores from the dataplane, the lease store's
 * counters, release through the engine's admin mailbox, reload through service_reload.
 *
 * Built into mtdhcpd itself (not the dhcpd library) because it reads the DPDK dataplane's
 * port and lcore counters.
 */
#include "dhcpd/service_ctl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "dataplane/dp_classify.h"
#include "dataplane/dp_frame.h"
#include "dhcpd/ctl_commands.h"
#include "dhcpd/ctl_server.h"
#include "dhcpd/metrics.h"

/* How long `mtdhcpctl release` waits for the lcore and the commit of the release. */
#define SERVICE_CTL_RELEASE_TIMEOUT_MS 3000

struct service_ctl {
	struct service *s;
	struct timespec t0; /* when the lcores were about to start: their busy share's origin */
	struct ctl_backend backend;
	struct ctl_server *server;
	struct metrics *metrics;
};

static const struct tenant_registry *sc_registry(void *ctx)
{
	(void)ctx;
	/* The control thread publishes the registry, so it may read it without a lock. */
	return tenant_registry_current();
}

static size_t sc_n_ports(void *ctx)
{
	struct service_ctl *sc = ctx;

	return sc->s->conf->service.n_ports;
}

static void sc_port(void *ctx, size_t i, struct ctl_port_info *out)
{
	struct service_ctl *sc = ctx;
	const struct conf_port *cp = &sc->s->conf->service.ports[i];
	struct dp_port_stats ps;

	memset(out, 0, sizeof(*out));
	out->name = cp->name;
	out->address = cp->address;
	out->prefix_len = cp->prefix_len;
	dp_port_stats(sc->s->dp, i, &ps);
	out->rx = ps.rx;
	out->tx = ps.tx;
	out->tx_dropped = ps.tx_dropped;
	out->arp_replies = ps.arp_replies;
	out->icmp_replies = ps.icmp_replies;

	const struct ctl_counter fixed[] = {
	    {"multiseg", ps.drop_multiseg},
	    {"other_mac", ps.drop_other_mac},
	    {"not_ours", ps.drop_not_ours},
	    {"no_tenant", ps.drop_no_tenant},
	    {"unknown_vpn", ps.drop_unknown_vpn},
	    {"untrusted_relay", ps.drop_untrusted_relay},
	    {"bad_relay_info", ps.drop_bad_relay_info},
	    {"no_mbuf", ps.drop_no_mbuf},
	};

	for (size_t k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++)
		out->drops[out->n_drops++] = fixed[k];
	/* The parser's reasons; the first kinds are frames it accepts, not drops. */
	for (int k = DP_DROP_TRUNCATED; k < DP_FRAME__COUNT && out->n_drops < CTL_PORT_DROPS_MAX;
	     k++) {
		if ((size_t)k >= sizeof(ps.drop_kind) / sizeof(ps.drop_kind[0]))
			break;
		out->drops[out->n_drops++] = (struct ctl_counter){
		    dp_frame_kind_name((enum dp_frame_kind)k), ps.drop_kind[k]};
	}
	/* The classifier's keys; "none" is no key (the frame got no tenant). */
	out->relay_info_ignored = ps.relay_info_ignored;
	for (int k = DP_CLASS_NONE + 1;
	     k < DP_CLASS__COUNT && out->n_classified < CTL_PORT_DROPS_MAX; k++) {
		if ((size_t)k >= sizeof(ps.classified) / sizeof(ps.classified[0]))
			break;
		out->classified[out->n_classified++] =
		    (struct ctl_counter){dp_class_key_name((enum dp_class_key)k), ps.classified[k]};
	}
}

static size_t sc_n_lcores(void *ctx)
{
	struct service_ctl *sc = ctx;

	return dp_n_lcores(sc->s->dp);
}

/* Nanoseconds since @t0 on the monotonic clock. */
static uint64_t sc_ns_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t ns = (int64_t)(now.tv_sec - t0->tv_sec) * 1000000000 + (now.tv_nsec - t0->tv_nsec);

	return ns > 0 ? (uint64_t)ns : 0;
}

/*
 * Lcore @i's counters (dp_lcore_stats), the tenants it owns in the registry in force
 * (dp_tenant_owner: the same rule the engines were given their tenants by), and the TSC
 * cycles since the lcores started, which the busy cycles are a share of.
 */
static void sc_lcore(void *ctx, size_t i, struct ctl_lcore_info *out)
{
	struct service_ctl *sc = ctx;
	const struct tenant_registry *reg = tenant_registry_current();
	unsigned n = dp_n_lcores(sc->s->dp);
	struct dp_lcore_stats ls;

	memset(out, 0, sizeof(*out));
	dp_lcore_stats(sc->s->dp, (unsigned)i, &ls);
	out->index = (unsigned)i;
	out->lcore_id = ls.lcore_id;
	for (size_t k = 0; reg != NULL && k < reg->n_tenants; k++)
		out->tenants += dp_tenant_owner(reg->tenants[k]->db_id, n) == i;
	out->tsc_hz = ls.tsc_hz;
	/* Seconds times Hz in two steps, exact to the nanosecond and without overflow. */
	uint64_t ns = sc_ns_since(&sc->t0);

	out->running_cycles =
	    ns / 1000000000 * ls.tsc_hz + ns % 1000000000 * ls.tsc_hz / 1000000000;
	/* Frames it worked on: those its queues received and those handed to it. */
	out->frames = ls.items[DP_STAGE_RX] + ls.handoff_in;
	out->busy_cycles = ls.busy_cycles;
	out->busy_loops = ls.busy_loops;
	for (int k = 0; k < DP_STAGE__COUNT && out->n_stages < CTL_LCORE_STAGES_MAX; k++)
		out->stages[out->n_stages++] = (struct ctl_lcore_stage){
		    dp_stage_name((enum dp_stage)k), ls.cycles[k], ls.items[k]};
	out->handoff_out = ls.handoff_out;
	out->handoff_in = ls.handoff_in;
	out->handoff_full = ls.handoff_full;
	out->yields = ls.yields;
}

static void sc_tenant_counters(void *ctx, const struct tenant *t, struct tenant_counters *out)
{
	struct service_ctl *sc = ctx;

	service_tenant_counters(sc->s, t, out);
}

/*
 * Pool use as the engine has it in memory: addresses not free (offered, awaiting their
 * commit, bound, declined) and bindings. A tenant the engine does not serve yet (just
 * added) shows its configured size and nothing used.
 */
static void sc_pool_use(void *ctx, const struct tenant *t, struct ctl_pool_use *out)
{
	struct service_ctl *sc = ctx;
	struct dhcp_tenant_usage u;

	memset(out, 0, sizeof(*out));
	if (!dhcp_engine_usage(dp_tenant_engine(sc->s->dp, t->db_id), t, &u)) {
		out->size = ctl_tenant_pool_size(t);
		return;
	}
	out->size = u.pool_size;
	out->used = u.pool_used;
	out->active = u.active_leases;
}

static bool sc_store_stats(void *ctx, struct lease_store_stats *out)
{
	struct service_ctl *sc = ctx;

	if (sc->s->store == NULL)
		return false;
	lease_store_get_stats(sc->s->store, out);
	return true;
}

static int sc_release(void *ctx, const struct tenant *t, uint32_t address)
{
	struct service_ctl *sc = ctx;
	struct dhcp_admin_req req = {
	    .op = DHCP_ADMIN_RELEASE,
	    .tenant_id = t->db_id,
	    .address = address,
	};

	/* The lcore that owns the tenant holds its addresses. */
	return dhcp_engine_admin(dp_tenant_engine(sc->s->dp, t->db_id), &req,
	                         SERVICE_CTL_RELEASE_TIMEOUT_MS);
}

/* Collects a reload's problems as [{"file", "line", "setting", "message"}]. */
static void sc_reload_report(void *ctx, const char *file, int line, const char *setting,
                             const char *message)
{
	json_t *problems = ctx;

	json_array_append_new(problems, json_pack("{s:s, s:i, s:s, s:s}", "file", file ? file : "",
	                                          "line", line, "setting", setting ? setting : "",
	                                          "message", message ? message : ""));
}

/*
 * mtdhcpctl reload: the same reload as SIGHUP (service_reload), with its report. A reload
 * that was applied answers ok with what it did and the problems it met (tenant files
 * rejected, settings that wait for a restart); one that changed nothing answers failed
 * with the problems in the details.
 */
static enum ctl_status sc_reload(void *ctx, struct ctl_reply *reply)
{
	struct service_ctl *sc = ctx;
	struct service_reload_result res = {0};
	json_t *problems = json_array();
	int rc;

	if (problems == NULL)
		return ctl_reply_error(reply, CTL_ERR_INTERNAL, "out of memory");
	rc = service_reload(sc->s, sc_reload_report, problems, &res);
	if (rc != 0) {
		reply->details = json_pack("{s:o}", "problems", problems);
		if (rc == -EINVAL)
			return ctl_reply_error(reply, CTL_ERR_FAILED,
			                       "the configuration has errors; the running"
			                       " configuration stays in force");
		return ctl_reply_error(
		    reply, CTL_ERR_FAILED,
		    "reload failed: %s; the running configuration stays in force", strerror(-rc));
	}
	reply->result =
	    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "added", (json_int_t)res.added,
	              "changed", (json_int_t)res.changed, "unchanged", (json_int_t)res.unchanged,
	              "removed", (json_int_t)res.removed, "failed_files",
	              (json_int_t)res.failed_files, "kept_running", (json_int_t)res.kept_running,
	              "restart_settings", (json_int_t)res.restart_settings, "problems", problems);
	if (reply->result == NULL)
		return ctl_reply_error(reply, CTL_ERR_INTERNAL, "out of memory");
	return CTL_OK;
}

/* The metrics address of the service file as a socket address. */
static socklen_t sc_metrics_addr(const struct conf_metrics *m, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (m->family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(m->port);
		memcpy(&a->sin6_addr, m->addr, 16);
		return sizeof(*a);
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	a->sin_family = AF_INET;
	a->sin_port = htons(m->port);
	memcpy(&a->sin_addr, m->addr, 4);
	return sizeof(*a);
}

struct service_ctl *service_ctl_start(struct service *s)
{
	const struct conf_service *svc = &s->conf->service;
	struct service_ctl *sc = calloc(1, sizeof(*sc));
	char err[512];
	int rc;

	if (sc == NULL) {
		log_err("control socket: out of memory");
		return NULL;
	}
	sc->s = s;
	/* The control thread and the lcores start right after this (service_run). */
	clock_gettime(CLOCK_MONOTONIC, &sc->t0);
	sc->backend = (struct ctl_backend){
	    .ctx = sc,
	    .version = MTDHCP_VERSION,
	    .started = s->started,
	    .registry = sc_registry,
	    .n_ports = sc_n_ports,
	    .port = sc_port,
	    .n_lcores = sc_n_lcores,
	    .lcore = sc_lcore,
	    .tenant_counters = sc_tenant_counters,
	    .pool_use = sc_pool_use,
	    .store_stats = sc_store_stats,
	    .release = sc_release,
	    .reload = sc_reload,
	};
	sc->server = ctl_server_open(svc->control_socket, ctl_commands_table(&sc->backend), err,
	                             sizeof(err));
	if (sc->server == NULL) {
		log_err("%s", err);
		goto fail;
	}
	rc = ctl_server_attach(sc->server, s->control);
	if (rc != 0) {
		log_err("control socket: cannot watch it: %s", strerror(-rc));
		goto fail;
	}
	log_info("control socket %s ready", svc->control_socket);

	if (svc->metrics.enabled) {
		struct sockaddr_storage ss;
		socklen_t len = sc_metrics_addr(&svc->metrics, &ss);

		sc->metrics =
		    metrics_open((const struct sockaddr *)&ss, len, &sc->backend, err, sizeof(err));
		if (sc->metrics == NULL) {
			log_err("%s (metrics.listen = \"%s\")", err, svc->metrics.listen);
			goto fail;
		}
		rc = metrics_attach(sc->metrics, s->control);
		if (rc != 0) {
			log_err("metrics: cannot watch it: %s", strerror(-rc));
			goto fail;
		}
		log_info("metrics on http://%s/metrics", svc->metrics.listen);
	}
	return sc;
fail:
	service_ctl_stop(sc);
	return NULL;
}

void service_ctl_stop(struct service_ctl *sc)
{
	if (sc == NULL)
		return;
	metrics_close(sc->metrics);
	ctl_server_close(sc->server);
	free(sc);
}
