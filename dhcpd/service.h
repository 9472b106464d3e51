/*
 * The running service: the loaded configuration, the lease store, the published tenant
 * registry, the dataplane with its DHCP engine, and the control thread, with their start
 * and stop order in one place. main.c parses the command line and hands over.
 *
 * Thread safety: service_run on the main thread (which becomes dataplane lcore 0; the other
 * lcores of the EAL's -l list run the same loop);
 * everything a struct service holds that the control thread changes is documented at
 * its field.
 */
#ifndef MTDHCP_DHCPD_SERVICE_H
#define MTDHCP_DHCPD_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "dataplane/dp.h"
#include "dhcpd/control.h"
#include "dhcpd/dhcp_engine.h"
#include "lease-store/lease_store.h"

struct service_fp;

struct service {
	const char *conf_file;
	/*
	 * The service part in force; its tenants moved to the registry. A reload replaces
	 * the reloadable settings (control thread): do not keep pointers into it across one.
	 */
	struct conf *conf;
	struct lease_store *store;
	struct dp *dp;
	struct dhcp_engine *engine; /* lcore 0's engine; every lcore's through dp_engine() */
	struct control *control;
	int64_t started;
	/* Reload (service_reload.c), control thread: what the tenants in force were read
	 * from, by db_id; when the leases of removed tenants were last purged. */
	struct service_fp *fps;
	size_t n_fps;
	int64_t last_purge;
};

/*
 * Runs the service described by @conf (loaded from @conf_file; @conf is owned by the
 * service from here on) until SIGTERM or SIGINT. Returns the process exit status.
 */
int service_run(const char *conf_file, struct conf *conf);

/*
 * Sums the counters of tenant @t over every engine into @out. Control thread; the values
 * are read while the lcores update them, so each is exact but they are not a snapshot.
 */
void service_tenant_counters(const struct service *svc, const struct tenant *t,
			     struct tenant_counters *out);

/* --- Live reload (issue 4; service_reload.c) --------------------------------------------- */

/* What a reload did. */
struct service_reload_result {
	size_t added;     /* tenants served from now on */
	size_t changed;   /* tenants whose configuration changed (new version, state kept) */
	size_t unchanged; /* tenants whose files did not change */
	size_t removed;   /* tenants no longer served (leases kept, marked, until retention) */
	size_t failed_files; /* tenant files rejected (each reported with file:line) */
	size_t kept_running; /* tenants of rejected files that keep their running version */
	size_t restart_settings; /* changed service settings that wait for a restart */
};

/*
 * Re-reads the service file and the tenants directory and applies what changed, while
 * the dataplane keeps forwarding (see service_reload.c for the order). Every problem is
 * passed to @report (may be NULL) with its file and line, and logged: a tenant file with
 * problems is left out and its tenant keeps its running version; a changed setting that
 * needs a restart is reported and keeps its running value. Returns 0 when the reload was
 * applied (*@res, when not NULL, says what it did), or -errno when nothing changed:
 * -EINVAL for a service file with problems, a change of the ports' names or order, or
 * tenants that conflict. Control thread (SIGHUP, mtdhcpctl reload).
 */
int service_reload(struct service *s, conf_report_fn report, void *ctx,
		   struct service_reload_result *res);

/* Once a second on the control thread: frees retired instances, purges old leases. */
void service_reload_tick(struct service *s, int64_t now);

/* Records what the tenants in force at startup were read from. 0 or -errno. */
int service_fingerprints_init(struct service *s);

/*
 * Builds a registry of @n tenants (taking them, also on failure) with the ports'
 * classification policies of @svc. NULL with errno and a message in @err.
 */
struct tenant_registry *service_registry_build(const struct conf_service *svc,
					       struct tenant **tenants, size_t n, char *err,
					       size_t errlen);

#endif
