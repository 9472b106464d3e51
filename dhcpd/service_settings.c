/*
 * The service part of a reload: which settings of the service file take effect at once
 * and which need a restart.
 *
 * Applied at once: log_level, tenants_dir, the defaults (lease times, options, limits:
 * the tenants inherit them), default_tenant, the ports' relay policies (the registry is
 * rebuilt), lease_db.removed_tenant_retention, and anything else this file does not name.
 *
 * Kept until a restart, reported: dataplane.eal, the ports' devices, addresses and MACs
 * (the EAL and the ports are set up once), dataplane.idle_sleep_max_usec, the lease
 * database (path, durability, batching, queue, events retention: the store and its
 * writer are opened once), control_socket and metrics (their sockets are bound once).
 * The ports' names and order cannot change at all (service_settings_same_ports).
 */
#include <stdio.h>
#include <string.h>

#include "dhcpd/service_settings.h"

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

#define SWAP(a, b)                                                                                 \
	do {                                                                                       \
		__typeof__(a) swap_tmp_ = (a);                                                     \
		(a) = (b);                                                                         \
		(b) = swap_tmp_;                                                                   \
	} while (0)

/*
 * Tenants name ports by their index in the service file, and the dataplane's ports are
 * fixed at start: a reload must keep the same port names in the same order.
 */
bool service_settings_same_ports(const struct conf_service *run, const struct conf_service *nw)
{
	if (run->n_ports != nw->n_ports)
		return false;
	for (size_t i = 0; i < run->n_ports; i++) {
		if (strcmp(run->ports[i].name, nw->ports[i].name) != 0)
			return false;
	}
	return true;
}

struct settings_ctx {
	conf_report_fn report;
	void *ctx;
	size_t count;
};

static void restart_needed(struct settings_ctx *rc, const char *file, const char *setting,
                           size_t *count)
{
	(*count)++;
	if (rc->report)
		rc->report(rc->ctx, file, 0, setting,
		           "changed: takes effect only when mtdhcpd restarts; the running value "
		           "stays in force");
}

size_t service_settings_keep_restart(struct conf_service *run, struct conf_service *nw,
                                     conf_report_fn report, void *ctx)
{
	struct settings_ctx sc = {report, ctx, 0};
	struct settings_ctx *rc = &sc;
	size_t *count = &sc.count;
	const char *f = nw->file;
	bool eal_same = run->n_eal_args == nw->n_eal_args;

	for (size_t i = 0; eal_same && i < run->n_eal_args; i++)
		eal_same = str_eq(run->eal_args[i], nw->eal_args[i]);
	if (!eal_same)
		restart_needed(rc, f, "dataplane.eal", count);
	SWAP(run->eal_args, nw->eal_args);
	SWAP(run->n_eal_args, nw->n_eal_args);

	for (size_t i = 0; i < run->n_ports; i++) {
		struct conf_port *a = &run->ports[i], *b = &nw->ports[i];
		char path[64];

		if (!str_eq(a->device, b->device) || a->address != b->address ||
		    a->prefix_len != b->prefix_len || a->has_mac != b->has_mac ||
		    memcmp(a->mac, b->mac, sizeof(a->mac)) != 0) {
			snprintf(path, sizeof(path), "dataplane.ports.[%zu]", i);
			restart_needed(rc, f, path, count);
		}
		SWAP(a->device, b->device);
		SWAP(a->address, b->address);
		SWAP(a->prefix_len, b->prefix_len);
		SWAP(a->has_mac, b->has_mac);
		uint8_t mac[6];
		memcpy(mac, a->mac, 6);
		memcpy(a->mac, b->mac, 6);
		memcpy(b->mac, mac, 6);
	}
	if (run->idle_sleep_max_usec != nw->idle_sleep_max_usec)
		restart_needed(rc, f, "dataplane.idle_sleep_max_usec", count);
	SWAP(run->idle_sleep_max_usec, nw->idle_sleep_max_usec);

	/* The database and its writer are opened once; the retention of removed tenants is
	 * the reload's own business and changes. */
	const struct conf_lease_db *a = &run->lease_db, *b = &nw->lease_db;
	if (!str_eq(a->path, b->path))
		restart_needed(rc, f, "lease_db.path", count);
	if (a->durability != b->durability)
		restart_needed(rc, f, "lease_db.durability", count);
	if (a->batch_max != b->batch_max || a->batch_usec != b->batch_usec ||
	    a->queue_size != b->queue_size)
		restart_needed(rc, f, "lease_db (batch_max, batch_usec, queue_size)", count);
	if (a->events_retention != b->events_retention)
		restart_needed(rc, f, "lease_db.events_retention", count);
	uint32_t retention = nw->lease_db.removed_tenant_retention;
	SWAP(run->lease_db, nw->lease_db);
	run->lease_db.removed_tenant_retention = nw->lease_db.removed_tenant_retention;
	nw->lease_db.removed_tenant_retention = retention;

	if (!str_eq(run->control_socket, nw->control_socket))
		restart_needed(rc, f, "control_socket", count);
	SWAP(run->control_socket, nw->control_socket);
	if (run->metrics.enabled != nw->metrics.enabled ||
	    !str_eq(run->metrics.listen, nw->metrics.listen))
		restart_needed(rc, f, "metrics", count);
	SWAP(run->metrics, nw->metrics);
	return sc.count;
}
