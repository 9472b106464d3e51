/*
 * mtdhcpd: wires the modules together. Loads and validates the configuration, opens the
 * lease store, publishes the tenant registry, starts the DPDK dataplane and the lease
 * writer, then runs the dataplane loop on the main lcore until SIGTERM or SIGINT.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <urcu/urcu-qsbr.h>

#include "common/log.h"
#include "conf/conf.h"
#include "dataplane/dp.h"
#include "dhcpd/client_key.h"
#include "dhcpd/dhcp_engine.h"
#include "lease-store/lease_store.h"
#include "tenants/registry.h"

#define MTDHCPD_DEFAULT_CONF "/etc/mtdhcp/mtdhcpd.conf"
#define MTDHCPD_MAX_PENDING 8192

static void usage(FILE *out)
{
	fprintf(out, "usage: mtdhcpd [-c FILE] [--check] [--help] [--version]\n"
		     "  -c, --config FILE  service configuration (default " MTDHCPD_DEFAULT_CONF ")\n"
		     "      --check        validate the service file and every tenant file, then exit\n"
		     "  -h, --help         this text\n"
		     "  -V, --version      the version\n");
}

struct report_ctx {
	unsigned errors;
};

static void report(void *ctx, const char *file, int line, const char *setting, const char *msg)
{
	struct report_ctx *rc = ctx;
	rc->errors++;
	if (line > 0)
		fprintf(stderr, "%s:%d: %s%s%s\n", file, line, setting, *setting ? ": " : "", msg);
	else
		fprintf(stderr, "%s: %s%s%s\n", file, setting, *setting ? ": " : "", msg);
}

static void on_signal(int sig)
{
	(void)sig;
	dp_request_stop();
}

static int install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL))
		return -errno;
	return 0;
}

/* Builds the EAL's argv: program name, the configured arguments. */
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

static int run(struct conf *conf)
{
	const struct conf_service *svc = &conf->service;
	char err[512];
	int status = 1;
	struct lease_store *store = NULL;
	struct dp *dp = NULL;
	struct dhcp_engine *engine = NULL;
	char **argv = NULL;

	int rc = dhcp_client_key_init();
	if (rc) {
		log_err("cannot seed the client hash: %s", strerror(-rc));
		return 1;
	}

	struct lease_store_params lp = {
		.path = svc->lease_db.path,
		.synchronous_full = svc->lease_db.durability == CONF_DURABILITY_COMMIT_BEFORE_ACK,
		.batch_max = svc->lease_db.batch_max,
		.batch_usec = svc->lease_db.batch_usec,
		.queue_size = svc->lease_db.queue_size,
		.n_owners = 1,
	};
	store = lease_store_open(&lp, err, sizeof(err));
	if (!store) {
		log_err("%s", err);
		return 1;
	}
	if (!lp.synchronous_full)
		log_warn("lease database durability is \"async\": leases acknowledged in the last "
			 "moments before a power loss or crash may be lost");

	size_t n_tenants;
	struct tenant **tenants = conf_take_tenants(conf, &n_tenants);
	rc = assign_tenant_ids(store, tenants, n_tenants);
	struct tenant_registry *reg = tenant_registry_build(tenants, n_tenants, err, sizeof(err));
	if (!reg) {
		log_err("%s", err);
		goto out;
	}
	if (rc) {
		tenant_registry_free(reg);
		goto out;
	}
	tenant_registry_publish(reg);

	struct dp_port_params ports[DP_MAX_PORTS];
	if (svc->n_ports > DP_MAX_PORTS) {
		log_err("at most %d ports are supported", DP_MAX_PORTS);
		goto out;
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
	argv = eal_argv(svc, &argc);
	if (!argv) {
		log_err("out of memory");
		goto out;
	}
	dp = dp_init(argc, argv, ports, svc->n_ports, err, sizeof(err));
	if (!dp) {
		log_err("%s", err);
		goto out;
	}
	if (dp_start(dp, svc->idle_sleep_max_usec, err, sizeof(err)) != 0) {
		log_err("%s", err);
		goto out;
	}

	struct dhcp_engine_params ep = {
		.owner = 0,
		.store = store,
		.max_pending = MTDHCPD_MAX_PENDING,
	};
	dp_engine_params(dp, &ep);
	engine = dhcp_engine_create(&ep);
	if (!engine) {
		log_err("cannot create the DHCP engine: %s", strerror(errno));
		goto out;
	}
	int64_t now = time(NULL);
	for (size_t i = 0; i < reg->n_tenants; i++) {
		rc = dhcp_engine_add_tenant(engine, reg->tenants[i], now);
		if (rc) {
			log_err("tenant %s: cannot start: %s", reg->tenants[i]->name, strerror(-rc));
			goto out;
		}
	}
	dp_set_engine(dp, engine);
	rc = lease_store_start(store);
	if (rc) {
		log_err("cannot start the lease writer: %s", strerror(-rc));
		goto out;
	}
	if (install_signals()) {
		log_err("cannot install signal handlers: %s", strerror(errno));
		goto out;
	}

	log_info("ready: %zu tenants, %zu ports, lease database %s", reg->n_tenants, svc->n_ports,
		 svc->lease_db.path);
	urcu_qsbr_register_thread();
	dp_run(dp);
	urcu_qsbr_unregister_thread();
	log_info("stopping");
	status = 0;
out:
	/* The writer commits what is queued before it stops: no acknowledged lease is lost. */
	lease_store_close(store);
	dhcp_engine_destroy(engine);
	dp_destroy(dp);
	free(argv);
	tenant_registry_shutdown();
	return status;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *conf_file = MTDHCPD_DEFAULT_CONF;
	bool check = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			conf_file = optarg;
			break;
		case 'k':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("mtdhcpd " MTDHCP_VERSION "\n");
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "mtdhcpd: unexpected argument: %s\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	struct report_ctx rctx = {0};
	struct conf *conf = NULL;
	int rc = conf_load(conf_file, &conf, report, &rctx);
	if (rc) {
		if (rctx.errors == 0)
			fprintf(stderr, "%s: %s\n", conf_file, strerror(-rc));
		fprintf(stderr, "mtdhcpd: configuration has errors; not started\n");
		return 1;
	}
	if (check) {
		printf("%s: configuration OK (%zu tenants)\n", conf_file, conf->n_tenants);
		conf_free(conf);
		return 0;
	}
	log_set_level((enum log_level)conf->service.log_level);
	log_set_journal(getenv("JOURNAL_STREAM") != NULL);
	int status = run(conf);
	conf_free(conf);
	return status;
}
