/*
 * Prometheus metrics: the per-tenant, per-port and per-lcore counters and the pool use,
 * in the Prometheus text exposition format (version 0.0.4), served at /metrics over HTTP by
 * libmicrohttpd on the address of the service file's `metrics.listen` (off when unset).
 *
 * The HTTP server runs inside the control thread's poll loop: libmicrohttpd's external
 * epoll mode gives one descriptor to watch (control_watch) and is run when it is ready and
 * once a second for its time-outs, so a scrape reads the counters on the same thread as
 * `mtdhcpctl stats` and never blocks the dataplane.
 *
 * Thread safety: control thread only (or the main thread before control_start).
 */
#ifndef MTDHCP_DHCPD_METRICS_H
#define MTDHCP_DHCPD_METRICS_H

#include <stddef.h>
#include <sys/socket.h>

#include "dhcpd/control.h"
#include "dhcpd/ctl_commands.h"

/* HTTP clients served at once; scrapers are few. */
#define METRICS_CONNECTIONS_MAX 16
/* Seconds an idle or stalled HTTP connection is kept. */
#define METRICS_TIMEOUT_SEC 10

/*
 * Renders every metric of @b into a malloc'd NUL-terminated text of *@len bytes; NULL when
 * out of memory.
 */
char *metrics_render(const struct ctl_backend *b, size_t *len);

struct metrics;

/*
 * Listens on @addr (IPv4 or IPv6; port 0 picks one) and serves @b's metrics, which must
 * outlive the server. NULL with errno and a message in @err.
 */
struct metrics *metrics_open(const struct sockaddr *addr, socklen_t addrlen,
                             const struct ctl_backend *b, char *err, size_t errlen);

/* Serves through @control (one watched descriptor, a tick). Before control_start. 0/-errno. */
int metrics_attach(struct metrics *m, struct control *control);

/* What the control callbacks do: serve whatever is ready, without waiting. */
void metrics_run(struct metrics *m);

/* The descriptor to poll for POLLIN, and the port listened on (host order). */
int metrics_fd(const struct metrics *m);
unsigned metrics_port(const struct metrics *m);

/* Stops the server and closes its connections. After control_destroy. NULL is ignored. */
void metrics_close(struct metrics *m);

#endif
