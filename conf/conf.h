/*
 * Loading and validating the service file (mtdhcpd.conf) and every tenant file in its
 * tenants_dir (libconfig syntax) into an immutable snapshot. Every problem is reported
 * with the file, the line and the setting it concerns; loading goes on after an error so
 * that one run of `mtdhcpd --check` lists them all.
 *
 * Thread safety: control thread only. The snapshot is immutable after conf_load returns.
 */
#ifndef MTDHCP_CONF_CONF_H
#define MTDHCP_CONF_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tenants/optset.h"
#include "tenants/tenant.h"

#define CONF_PORT_NAME_MAX 32

/* One DPDK port of the service. */
struct conf_port {
	char name[CONF_PORT_NAME_MAX]; /* referred to by tenants' match rules */
	char *device;                  /* EAL device argument, e.g. "net_af_packet0,iface=eth1" */
	uint32_t address;              /* our address on the port, host order */
	uint8_t prefix_len;
	uint8_t mac[6]; /* 0 = keep the device's own */
	bool has_mac;
	/*
	 * Relayed requests (issue 4, docs/classification.md): whether their relay information
	 * may choose the tenant on this port, on which outer VLANs (0 = untagged; default
	 * just 0), whether option 221 is trusted, and what happens to relay information that
	 * arrives anywhere else on the port.
	 */
	bool relays;
	uint16_t *relay_vlans;
	size_t n_relay_vlans;
	bool relay_vss_option;
	bool untrusted_relay_drop;
};

enum conf_durability {
	CONF_DURABILITY_COMMIT_BEFORE_ACK = 0, /* synchronous=FULL, ACK after the commit */
	CONF_DURABILITY_ASYNC,                 /* synchronous=OFF: recent leases lost on power loss */
};

struct conf_lease_db {
	char *path;
	enum conf_durability durability;
	uint32_t batch_max;  /* lease changes per transaction at most */
	uint32_t batch_usec; /* wait at most this long to fill a batch */
	uint32_t queue_size; /* lease changes waiting for the writer at most */
	uint32_t events_retention; /* days the lease events (history) are kept */
	/* Days a removed tenant's leases stay in the database (issue 4); 0 = for ever. */
	uint32_t removed_tenant_retention;
};

enum conf_log_level { CONF_LOG_ERROR = 3, CONF_LOG_WARNING = 4, CONF_LOG_INFO = 6, CONF_LOG_DEBUG = 7 };

/* The Prometheus metrics endpoint (`metrics = { listen = "127.0.0.1:9167"; }`). */
struct conf_metrics {
	bool enabled;      /* the metrics group is there; off by default */
	char *listen;      /* as written, for logs */
	int family;        /* AF_INET or AF_INET6 */
	uint8_t addr[16];  /* network byte order: 4 bytes for AF_INET */
	uint16_t port;     /* host byte order, 1..65535 */
};

struct conf_service {
	char *file; /* absolute or as given */
	char **eal_args; /* extra EAL arguments, NULL-terminated */
	size_t n_eal_args;
	struct conf_port *ports;
	size_t n_ports;
	struct conf_lease_db lease_db;
	char *tenants_dir; /* relative paths are taken from the service file's directory */
	char *control_socket;
	struct conf_metrics metrics;
	enum conf_log_level log_level;
	uint32_t idle_sleep_max_usec; /* an idle lcore sleeps up to this long; 0 = busy poll */
	/* Defaults every tenant inherits. */
	struct tenant_lease_times times;
	uint32_t offer_time;
	bool authoritative;
	bool rapid_commit;     /* RFC 4039 (default false) */
	uint32_t decline_time; /* RFC 2131 4.3.3 quarantine, seconds (default one day) */
#define CONF_DECLINE_TIME_MAX (30u * 86400) /* a month: the largest decline_time */
	struct optset options;
	struct tenant_limits limits; /* max_leases, packets_per_second, burst (issue 4) */
#define CONF_LIMIT_MAX 100000000u /* the largest value of a limit setting */
	/* The tenant that gets requests no tenant's rules match (issue 4); NULL = none. */
	char *default_tenant;
	int default_tenant_line; /* where it is set, for conf_check's report */
};

struct conf {
	struct conf_service service;
	struct tenant **tenants; /* in file name order */
	size_t n_tenants;
	/* conf_load_partial: the tenant files that were rejected (paths as in tenant.file). */
	char **failed_files;
	size_t n_failed;
};

/*
 * Receives one problem: @file and @line locate it (line 0 when unknown), @setting is the
 * setting's path such as "subnets.[0].pools.[1].first" ("" for the file as a whole).
 */
typedef void (*conf_report_fn)(void *ctx, const char *file, int line, const char *setting,
			       const char *message);

/*
 * Reads @service_file and every "*.conf" file in its tenants_dir. Reports each problem
 * through @report and returns 0 with *@out set, or -EINVAL when anything was wrong (then
 * *@out is NULL), or another -errno. The tenants' db_id fields are left 0.
 */
int conf_load(const char *service_file, struct conf **out, conf_report_fn report, void *ctx);

/*
 * As conf_load, for a reload (issue 4): a tenant file with problems is reported and left
 * out, its path listed in (*@out)->failed_files, instead of failing the whole load; so is
 * a tenant that the checks across tenants report (a name or a match key that another
 * tenant claims: the one reported is the later file). Problems with the service file
 * (including a default_tenant that names no loaded tenant) still fail the load: -EINVAL,
 * *@out NULL.
 */
int conf_load_partial(const char *service_file, struct conf **out, conf_report_fn report,
		      void *ctx);

/* Frees @conf and everything in it, tenants included; NULL is ignored. */
void conf_free(struct conf *conf);

/*
 * Removes the tenants from @conf and returns them (the caller owns the array and the
 * tenants), so that they can go into a registry while the service part stays in @conf.
 */
struct tenant **conf_take_tenants(struct conf *conf, size_t *n);

/*
 * Reads only lease_db.path from @service_file, for tools that open the database without
 * loading everything (mtdhcpctl). A relative path is taken from the service file's
 * directory, as conf_load does. 0 or -errno, with a message in @err.
 */
int conf_read_db_path(const char *service_file, char *out, size_t outlen, char *err,
		      size_t errlen);

/*
 * Reads only control_socket from @service_file (default /run/mtdhcp/control.sock), for
 * mtdhcpctl; a relative path is taken from the service file's directory. 0 or -errno, with
 * a message in @err.
 */
int conf_read_control_socket(const char *service_file, char *out, size_t outlen, char *err,
			     size_t errlen);

/*
 * Parses a listen address "a.b.c.d:port" or "[v6]:port" (port 1..65535) into @m's family,
 * addr and port. false when @text is not one.
 */
bool conf_parse_listen(const char *text, struct conf_metrics *m);

/* The classification policy of port @p, for tenant_registry_build_params (registry.h). */
struct tenant_port_policy;
void conf_port_policy(const struct conf_port *p, struct tenant_port_policy *out);

/* The index of the port called @name in @svc, or -1. */
int conf_port_index(const struct conf_service *svc, const char *name);

#endif
