/*
 * The metrics HTTP endpoint: libmicrohttpd in its external epoll mode, so that it runs on
 * the control thread (see metrics.h). Only GET (and HEAD) of /metrics is served; anything
 * else gets 404 or 405. Connections are few and short-lived, and libmicrohttpd bounds them
 * (METRICS_CONNECTIONS_MAX, METRICS_TIMEOUT_SEC).
 */
#include "dhcpd/metrics.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "common/log.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics {
	struct MHD_Daemon *mhd;
	const struct ctl_backend *backend;
	int fd;
	unsigned port;
	struct log_ratelimit log_rl;
};

/* libmicrohttpd's own complaints (a client that misbehaves, a failed accept). */
__attribute__((format(printf, 2, 0))) static void metrics_mhd_log(void *cls, const char *fmt,
                                                                  va_list ap)
{
	struct metrics *m = cls;
	char msg[256];
	uint64_t suppressed;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	if (!log_ratelimit_ok(&m->log_rl, time(NULL), 60, &suppressed))
		return;
	if (suppressed > 0)
		log_warn("metrics: %s (and %llu more messages since the last)", msg,
		         (unsigned long long)suppressed);
	else
		log_warn("metrics: %s", msg);
}

static enum MHD_Result metrics_reply(struct MHD_Connection *conn, unsigned status, const char *text)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	enum MHD_Result ret = MHD_queue_response(conn, status, r);

	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result metrics_handle(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **req_cls)
{
	static int first_call;
	struct metrics *m = cls;

	(void)version;
	(void)upload_data;
	/* The first call announces the request; the answer comes with the second. */
	if (*req_cls == NULL) {
		*req_cls = &first_call;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0; /* a body is not wanted: ignored */
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") != 0)
		return metrics_reply(conn, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n");
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return metrics_reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n");

	size_t len = 0;
	char *text = metrics_render(m->backend, &len);

	if (text == NULL)
		return metrics_reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);

	if (r == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, METRICS_CONTENT_TYPE);
	enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);

	MHD_destroy_response(r);
	return ret;
}

struct metrics *metrics_open(const struct sockaddr *addr, socklen_t addrlen,
                             const struct ctl_backend *b, char *err, size_t errlen)
{
	struct metrics *m = calloc(1, sizeof(*m));
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;

	(void)addrlen;
	if (m == NULL) {
		snprintf(err, errlen, "metrics: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	m->backend = b;
	if (addr->sa_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* The port argument is ignored when MHD_OPTION_SOCK_ADDR gives the address. */
	/* The logger first, so that libmicrohttpd's own start-up messages use it too. */
	m->mhd = MHD_start_daemon(flags, 0, NULL, NULL, metrics_handle, m,
	                          MHD_OPTION_EXTERNAL_LOGGER, metrics_mhd_log, m,
	                          MHD_OPTION_SOCK_ADDR, addr, MHD_OPTION_CONNECTION_LIMIT,
	                          (unsigned)METRICS_CONNECTIONS_MAX, MHD_OPTION_CONNECTION_TIMEOUT,
	                          (unsigned)METRICS_TIMEOUT_SEC, MHD_OPTION_END);
	if (m->mhd == NULL) {
		int e = errno ? errno : EADDRNOTAVAIL;

		snprintf(err, errlen, "metrics: cannot listen: %s", strerror(e));
		free(m);
		errno = e;
		return NULL;
	}
	const union MHD_DaemonInfo *fd = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	const union MHD_DaemonInfo *port = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_BIND_PORT);

	if (fd == NULL || port == NULL) {
		snprintf(err, errlen, "metrics: libmicrohttpd gives no epoll descriptor");
		MHD_stop_daemon(m->mhd);
		free(m);
		errno = ENOTSUP;
		return NULL;
	}
	m->fd = fd->epoll_fd;
	m->port = port->port;
	return m;
}

void metrics_run(struct metrics *m)
{
	MHD_run(m->mhd);
}

static void metrics_on_fd(void *ctx, int fd, short revents)
{
	(void)fd;
	(void)revents;
	metrics_run(ctx);
}

/* libmicrohttpd's time-outs are acted on only when it runs: once a second is enough. */
static void metrics_on_tick(void *ctx, int64_t now)
{
	(void)now;
	metrics_run(ctx);
}

int metrics_attach(struct metrics *m, struct control *control)
{
	int rc = control_watch(control, m->fd, metrics_on_fd, m);

	if (rc == 0) {
		rc = control_on_tick(control, metrics_on_tick, m);
		if (rc != 0)
			control_unwatch(control, m->fd);
	}
	return rc;
}

int metrics_fd(const struct metrics *m)
{
	return m->fd;
}

unsigned metrics_port(const struct metrics *m)
{
	return m->port;
}

void metrics_close(struct metrics *m)
{
	if (m == NULL)
		return;
	MHD_stop_daemon(m->mhd);
	free(m);
}
