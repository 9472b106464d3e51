/*
 * The running service's operator surface: the control socket (ctl_server.h) and the
 * metrics endpoint (metrics.h), both on the control thread, reading the service through a
 * struct ctl_backend built here from struct service.
 *
 * Thread safety: service_ctl_start and service_ctl_stop on the main thread (before
 * control_start and after control_destroy); everything else runs on the control thread.
 */
#ifndef MTDHCP_DHCPD_SERVICE_CTL_H
#define MTDHCP_DHCPD_SERVICE_CTL_H

#include "dhcpd/service.h"

struct service_ctl;

/*
 * Opens the control socket at the service's control_socket and, when configured, the
 * metrics endpoint, and registers both with s->control. The store, the engine and the
 * dataplane must exist. NULL after logging why (the daemon then does not start: a second
 * daemon on the same socket, a metrics address in use).
 */
struct service_ctl *service_ctl_start(struct service *s);

/* Closes both and removes the socket file. After control_destroy. NULL is ignored. */
void service_ctl_stop(struct service_ctl *sc);

#endif
