/*
 * Private to the service (service_reload.c, service_settings.c): which settings of the
 * service file a reload applies, and which keep their running value until a restart.
 *
 * Thread safety: the control thread.
 */
#ifndef MTDHCP_DHCPD_SERVICE_SETTINGS_H
#define MTDHCP_DHCPD_SERVICE_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"

/*
 * Whether @nw names the same ports in the same order as the running @run: tenants refer
 * to ports by index, and the dataplane's ports are fixed at start.
 */
bool service_settings_same_ports(const struct conf_service *run, const struct conf_service *nw);

/*
 * Reports through @report each setting of @nw (a newly read service file with the same
 * ports) that differs from the running @run but takes effect only at a restart, and puts
 * the running value back into @nw for each such setting, so that @nw becomes the service
 * part in force. Returns how many were reported.
 */
size_t service_settings_keep_restart(struct conf_service *run, struct conf_service *nw,
                                     conf_report_fn report, void *ctx);

#endif
