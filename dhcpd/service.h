/*
 * The running service: the loaded configuration, the lease store, the published tenant
 * registry, the dataplane with its DHCP engine, and the control thread, with their start
 * and stop order in one place. main.c parses the command line and hands over.
 *
 * Thread safety: service_run on the main thread (which becomes the dataplane lcore);
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

struct service {
	const char *conf_file;
	struct conf *conf; /* the service part in force; its tenants moved to the registry */
	struct lease_store *store;
	struct dp *dp;
	struct dhcp_engine *engine;
	struct control *control;
	int64_t started;
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

#endif
