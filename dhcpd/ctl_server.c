/*
 * The control socket's connections. Everything is non-blocking and lives in one epoll set,
 * whose descriptor is the single one the control thread polls for us: it becomes readable
 * whenever the listening socket or any client is ready, for reading or (when responses are
 * queued) for writing, so a client that reads slowly never makes the thread wait.
 *
 * Requests of one client are answered in order. Its input is read into a bounded buffer and
 * answered line by line; while more than CTL_SERVER_OUT_HIGH bytes of responses wait for it,
 * the rest of its input waits too and nothing more is read from it, so a client that sends
 * without reading holds at most its two buffers.
 */
#include "dhcpd/ctl_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

#define CTL_SERVER_LISTEN_ID UINT64_MAX
/* Events handled per ctl_server_run, so that one call stays short. */
#define CTL_SERVER_EVENTS 32

struct ctl_conn {
	int fd; /* -1 = free slot */
	uint32_t gen;
	uint32_t events; /* what epoll watches now */
	struct ctl_peer peer;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_off, out_cap;
	bool closing; /* send what is queued, then close */
	int64_t last; /* last progress (bytes in or out) */
};

struct ctl_server {
	int listen_fd;
	int epoll_fd;
	char *path;
	struct stat file; /* the socket file as created: removed at close only if still it */
	const struct ctl_handler_table *table;
	struct ctl_conn conns[CTL_SERVER_CLIENTS_MAX];
	uint32_t next_gen;
	struct log_ratelimit busy_log;
};

/* Seconds of wall time, as the control loop's tick passes them. */
static int64_t ctl_now(void)
{
	return (int64_t)time(NULL);
}

static int ctl_epoll_add(struct ctl_server *srv, int fd, uint32_t events, uint64_t id)
{
	struct epoll_event ev = {.events = events, .data.u64 = id};

	return epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : -errno;
}

static uint64_t ctl_conn_id(const struct ctl_server *srv, const struct ctl_conn *c)
{
	return (uint64_t)c->gen << 32 | (uint64_t)(c - srv->conns);
}

struct ctl_server *ctl_server_open(const char *path, const struct ctl_handler_table *table,
                                   char *err, size_t errlen)
{
	struct ctl_server *srv = calloc(1, sizeof(*srv));
	int rc;

	if (srv == NULL || (srv->path = strdup(path != NULL ? path : "")) == NULL) {
		free(srv);
		snprintf(err, errlen, "control socket: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	srv->table = table;
	srv->epoll_fd = -1;
	for (size_t i = 0; i < CTL_SERVER_CLIENTS_MAX; i++)
		srv->conns[i].fd = -1;
	srv->listen_fd = ctl_socket_listen(path, CTL_SERVER_CLIENTS_MAX, &srv->file, err, errlen);
	if (srv->listen_fd < 0) {
		rc = srv->listen_fd;
		goto fail;
	}
	srv->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	rc = srv->epoll_fd < 0 ? -errno
	                       : ctl_epoll_add(srv, srv->listen_fd, EPOLLIN, CTL_SERVER_LISTEN_ID);
	if (rc != 0) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(-rc));
		close(srv->listen_fd);
		ctl_socket_remove(path, &srv->file);
		goto fail;
	}
	return srv;
fail:
	if (srv->epoll_fd >= 0)
		close(srv->epoll_fd);
	free(srv->path);
	free(srv);
	errno = -rc;
	return NULL;
}

static void ctl_conn_close(struct ctl_server *srv, struct ctl_conn *c)
{
	(void)srv;
	/* Closing the descriptor also takes it out of the epoll set. */
	close(c->fd);
	free(c->in);
	free(c->out);
	uint32_t gen = c->gen;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->gen = gen;
}

/* Watches @c for input while it may take more, for output while some is queued. */
static void ctl_conn_rearm(struct ctl_server *srv, struct ctl_conn *c)
{
	uint32_t want = 0;

	if (!c->closing && c->out_len - c->out_off <= CTL_SERVER_OUT_HIGH)
		want |= EPOLLIN;
	if (c->out_len > c->out_off)
		want |= EPOLLOUT;
	if (want == c->events)
		return;
	struct epoll_event ev = {.events = want, .data.u64 = ctl_conn_id(srv, c)};

	if (epoll_ctl(srv->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->events = want;
}

/* Appends @len bytes to @c's output. 0 or -ENOMEM. */
static int ctl_conn_queue(struct ctl_conn *c, const char *buf, size_t len)
{
	if (c->out_off > 0 && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;

		while (cap < c->out_len + len)
			cap *= 2;
		char *n = realloc(c->out, cap);

		if (n == NULL)
			return -ENOMEM;
		c->out = n;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, buf, len);
	c->out_len += len;
	return 0;
}

/* Sends what the socket takes now. false when the client is gone. */
static bool ctl_conn_flush(struct ctl_conn *c, int64_t now)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK;
		}
		c->out_off += (size_t)n;
		c->last = now;
	}
	c->out_off = c->out_len = 0;
	return true;
}

/* Queues the response to one request line. false when out of memory (the client goes). */
static bool ctl_conn_answer(struct ctl_server *srv, struct ctl_conn *c, char *line, size_t len)
{
	/* Tolerate CRLF (telnet, socat) and skip empty lines: they are not requests. */
	if (len > 0 && line[len - 1] == '\r')
		len--;
	size_t skip = 0;

	while (skip < len && (line[skip] == ' ' || line[skip] == '\t'))
		skip++;
	if (skip == len)
		return true;
	size_t rlen = 0;
	char *resp = ctl_proto_handle(srv->table, line, len, &c->peer, &rlen);

	if (resp == NULL)
		return false;
	int rc = ctl_conn_queue(c, resp, rlen);

	free(resp);
	return rc == 0;
}

/*
 * Answers the complete lines buffered for @c while its output is below the high mark. A
 * buffer full without a newline is a request too long: answered once, then the client is
 * closed after the answer, since the rest of that line cannot be found reliably.
 */
static bool ctl_conn_process(struct ctl_server *srv, struct ctl_conn *c)
{
	size_t start = 0;

	while (c->out_len - c->out_off <= CTL_SERVER_OUT_HIGH) {
		char *nl = memchr(c->in + start, '\n', c->in_len - start);

		if (nl == NULL)
			break;
		size_t len = (size_t)(nl - (c->in + start));

		if (!ctl_conn_answer(srv, c, c->in + start, len))
			return false;
		start += len + 1;
	}
	if (start > 0) {
		memmove(c->in, c->in + start, c->in_len - start);
		c->in_len -= start;
	}
	if (c->in_len > CTL_REQUEST_MAX && memchr(c->in, '\n', c->in_len) == NULL) {
		size_t rlen = 0;
		char msg[64];

		snprintf(msg, sizeof(msg), "request longer than %d bytes", CTL_REQUEST_MAX);
		char *resp = ctl_proto_error_line(CTL_ERR_BAD_REQUEST, msg, &rlen);

		if (resp == NULL || ctl_conn_queue(c, resp, rlen) != 0) {
			free(resp);
			return false;
		}
		free(resp);
		c->in_len = 0;
		c->closing = true;
	}
	return true;
}

/* Reads what @c sent (at most to the end of its buffer). false when the client is gone. */
static bool ctl_conn_read(struct ctl_conn *c, int64_t now, bool *eof)
{
	if (c->in == NULL) {
		/* One byte over the limit tells "too long" apart from "exactly the limit". */
		c->in = malloc(CTL_REQUEST_MAX + 2);
		if (c->in == NULL)
			return false;
	}
	size_t room = CTL_REQUEST_MAX + 2 - c->in_len;

	if (room == 0)
		return true;
	ssize_t n = recv(c->fd, c->in + c->in_len, room, MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
	if (n == 0) {
		*eof = true;
		return true;
	}
	c->in_len += (size_t)n;
	c->last = now;
	return true;
}

static void ctl_conn_event(struct ctl_server *srv, struct ctl_conn *c, uint32_t events, int64_t now)
{
	bool eof = false;

	if ((events & EPOLLIN) && !c->closing && !ctl_conn_read(c, now, &eof))
		goto gone;
	if (!c->closing && !ctl_conn_process(srv, c))
		goto gone;
	/* A last request without its newline before the client's end is still answered. */
	if (eof && !c->closing && c->in_len > 0 && c->in_len <= CTL_REQUEST_MAX &&
	    memchr(c->in, '\n', c->in_len) == NULL) {
		if (!ctl_conn_answer(srv, c, c->in, c->in_len))
			goto gone;
		c->in_len = 0;
	}
	if (!ctl_conn_flush(c, now))
		goto gone;
	/*
	 * A client may half-close after its last request: its answers are still sent. Once
	 * it has hung up and nothing is left to send, or it reported an error, it goes.
	 */
	if ((events & EPOLLERR) || ((eof || (events & EPOLLHUP)) && c->out_len == c->out_off))
		goto gone;
	if (eof)
		c->closing = true;
	if (c->closing && c->out_len == c->out_off)
		goto gone;
	ctl_conn_rearm(srv, c);
	return;
gone:
	ctl_conn_close(srv, c);
}

static void ctl_accept(struct ctl_server *srv, int64_t now)
{
	for (;;) {
		int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED) {
				uint64_t supp;

				if (log_ratelimit_ok(&srv->busy_log, now, 60, &supp))
					log_warn("control socket: accept: %s%s", strerror(errno),
					         supp ? " (and more problems since the last report)"
					              : "");
			}
			return;
		}
		struct ctl_conn *c = NULL;

		for (size_t i = 0; i < CTL_SERVER_CLIENTS_MAX && c == NULL; i++) {
			if (srv->conns[i].fd < 0)
				c = &srv->conns[i];
		}
		if (c == NULL) {
			size_t len = 0;
			char *line = ctl_proto_error_line(CTL_ERR_BUSY, "too many clients", &len);
			uint64_t supp;

			/* Best effort: a new socket's buffer takes one short line. */
			if (line != NULL) {
				ssize_t w = send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT);

				(void)w;
			}
			free(line);
			close(fd);
			if (log_ratelimit_ok(&srv->busy_log, now, 60, &supp)) {
				char more[64] = "";

				if (supp)
					snprintf(more, sizeof(more),
					         " (and %llu more since the last report)",
					         (unsigned long long)supp);
				log_warn(
				    "control socket: %d clients already connected; refused one%s",
				    CTL_SERVER_CLIENTS_MAX, more);
			}
			continue;
		}
		c->fd = fd;
		c->gen = ++srv->next_gen;
		c->last = now;
		struct ucred cred;
		socklen_t clen = sizeof(cred);

		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
			c->peer =
			    (struct ctl_peer){.pid = cred.pid, .uid = cred.uid, .gid = cred.gid};
		c->events = EPOLLIN;
		if (ctl_epoll_add(srv, fd, EPOLLIN, ctl_conn_id(srv, c)) != 0)
			ctl_conn_close(srv, c);
	}
}

void ctl_server_run(struct ctl_server *srv)
{
	struct epoll_event ev[CTL_SERVER_EVENTS];
	int64_t now = ctl_now();
	int n = epoll_wait(srv->epoll_fd, ev, CTL_SERVER_EVENTS, 0);

	for (int i = 0; i < n; i++) {
		uint64_t id = ev[i].data.u64;

		if (id == CTL_SERVER_LISTEN_ID) {
			ctl_accept(srv, now);
			continue;
		}
		uint32_t slot = (uint32_t)id;

		/* A slot closed earlier in this batch may hold a new client: check the gen. */
		if (slot >= CTL_SERVER_CLIENTS_MAX || srv->conns[slot].fd < 0 ||
		    srv->conns[slot].gen != (uint32_t)(id >> 32))
			continue;
		ctl_conn_event(srv, &srv->conns[slot], ev[i].events, now);
	}
}

void ctl_server_tick(struct ctl_server *srv, int64_t now)
{
	for (size_t i = 0; i < CTL_SERVER_CLIENTS_MAX; i++) {
		struct ctl_conn *c = &srv->conns[i];

		if (c->fd < 0)
			continue;
		bool busy = c->in_len > 0 || c->out_len > c->out_off;
		int64_t limit = busy ? CTL_SERVER_STALL_SEC : CTL_SERVER_IDLE_SEC;

		/* A clock set back makes last lie ahead: that client just waits longer. */
		if (now - c->last >= limit)
			ctl_conn_close(srv, c);
	}
}

static void ctl_server_on_fd(void *ctx, int fd, short revents)
{
	(void)fd;
	(void)revents;
	ctl_server_run(ctx);
}

static void ctl_server_on_tick(void *ctx, int64_t now)
{
	ctl_server_tick(ctx, now);
}

int ctl_server_attach(struct ctl_server *srv, struct control *control)
{
	int rc = control_watch(control, srv->epoll_fd, ctl_server_on_fd, srv);

	if (rc == 0) {
		rc = control_on_tick(control, ctl_server_on_tick, srv);
		if (rc != 0)
			control_unwatch(control, srv->epoll_fd);
	}
	return rc;
}

int ctl_server_fd(const struct ctl_server *srv)
{
	return srv->epoll_fd;
}

size_t ctl_server_clients(const struct ctl_server *srv)
{
	size_t n = 0;

	for (size_t i = 0; i < CTL_SERVER_CLIENTS_MAX; i++)
		n += srv->conns[i].fd >= 0;
	return n;
}

void ctl_server_close(struct ctl_server *srv)
{
	if (srv == NULL)
		return;
	for (size_t i = 0; i < CTL_SERVER_CLIENTS_MAX; i++) {
		if (srv->conns[i].fd >= 0)
			ctl_conn_close(srv, &srv->conns[i]);
	}
	close(srv->listen_fd);
	close(srv->epoll_fd);
	ctl_socket_remove(srv->path, &srv->file);
	free(srv->path);
	free(srv);
}
