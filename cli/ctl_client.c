/*
 * The client side of the control socket (docs/control-protocol.md): one request line out,
 * one response line in, with a time limit, and the daemon's answer checked before use —
 * a response is an object with a boolean "ok", and an error one has a "code" and an
 * "error" string.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli/ctl.h"
#include "conf/conf.h"

/* The largest response read (a tenants listing of many tenants is a few MB). */
#define CTL_RESPONSE_MAX (256u << 20)

int ctl_socket_path(const struct ctl_ctx *ctx, char *out, size_t outlen)
{
	char err[PATH_MAX + 256];
	const char *service = ctl_service_file(ctx);
	int rc;

	if (ctx->socket_path != NULL) {
		if (strlen(ctx->socket_path) >= outlen) {
			ctl_error("--socket: the path is too long");
			return -ENAMETOOLONG;
		}
		memcpy(out, ctx->socket_path, strlen(ctx->socket_path) + 1);
		return 0;
	}
	err[0] = '\0';
	rc = conf_read_control_socket(service, out, outlen, err, sizeof(err));
	/* No service file where none was asked for: the daemon's default socket. */
	if (rc == -ENOENT && ctx->service_file == NULL &&
	    strcmp(service, CTL_DEFAULT_SERVICE_FILE) == 0) {
		snprintf(out, outlen, "%s", CTL_DEFAULT_CONTROL_SOCKET);
		return 0;
	}
	if (rc != 0)
		ctl_error("cannot find the control socket: %s", err);
	return rc;
}

static int64_t ctl_ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Connects to @path; the descriptor, or -errno after printing why. */
static int ctl_connect(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		ctl_error("control socket %s: the path is too long", path);
		return -ENAMETOOLONG;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		int e = errno;

		ctl_error("control socket: %s", strerror(e));
		return -e;
	}
	if (connect(fd, (const struct sockaddr *)&addr, sizeof(addr)) != 0) {
		int e = errno;

		close(fd);
		if (e == ENOENT || e == ECONNREFUSED)
			ctl_error("mtdhcpd is not running (no daemon on %s)", path);
		else if (e == EACCES || e == EPERM)
			ctl_error("control socket %s: permission denied (run as root or as a member"
			          " of group mtdhcp)",
			          path);
		else
			ctl_error("control socket %s: %s", path, strerror(e));
		return -e;
	}
	return fd;
}

/* Writes all of @buf, waiting at most until @deadline. 0 or -errno. */
static int ctl_send_all(int fd, const char *buf, size_t len, int64_t deadline)
{
	while (len > 0) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		int64_t left = deadline - ctl_ms_now();

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return -errno;
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads one line (newline excluded) into a malloc'd *@line. 0 or -errno (-EPIPE: closed). */
static int ctl_recv_line(int fd, char **line, size_t *len, int64_t deadline)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	if (buf == NULL)
		return -ENOMEM;
	for (;;) {
		char *nl = n > 0 ? memchr(buf, '\n', n) : NULL;

		if (nl != NULL) {
			*len = (size_t)(nl - buf);
			*nl = '\0';
			*line = buf;
			return 0;
		}
		if (n == cap) {
			char *b = cap < CTL_RESPONSE_MAX ? realloc(buf, cap * 2) : NULL;

			if (b == NULL) {
				free(buf);
				return cap < CTL_RESPONSE_MAX ? -ENOMEM : -EMSGSIZE;
			}
			buf = b;
			cap *= 2;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - ctl_ms_now();

		if (left <= 0) {
			free(buf);
			return -ETIMEDOUT;
		}
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR) {
			int e = errno;

			free(buf);
			return -e;
		}
		ssize_t r = recv(fd, buf + n, cap - n, MSG_DONTWAIT);

		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0) {
			int e = r < 0 ? errno : EPIPE;

			free(buf);
			return -e;
		}
		n += (size_t)r;
	}
}

int ctl_client_parse(const char *line, size_t len, json_t **result, json_t **details, char *code,
                     size_t codelen, char *msg, size_t msglen)
{
	json_error_t jerr;
	json_t *resp = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *ok = json_is_object(resp) ? json_object_get(resp, "ok") : NULL;
	int ret;

	if (resp == NULL || !json_is_boolean(ok)) {
		snprintf(msg, msglen, "%s",
		         resp == NULL ? "the daemon's answer is not JSON"
		                      : "the daemon's answer is not a response object");
		json_decref(resp);
		return -EPROTO;
	}
	if (json_is_true(ok)) {
		json_t *r = json_object_get(resp, "result");

		*result = r != NULL ? json_incref(r) : json_object();
		ret = 0;
	} else {
		const char *c = json_string_value(json_object_get(resp, "code"));
		const char *e = json_string_value(json_object_get(resp, "error"));

		snprintf(code, codelen, "%s", c != NULL ? c : "unknown");
		snprintf(msg, msglen, "%s", e != NULL ? e : "the daemon gave no reason");
		if (details != NULL) {
			json_t *d = json_object_get(resp, "details");

			*details = d != NULL ? json_incref(d) : NULL;
		}
		ret = 1;
	}
	json_decref(resp);
	return ret;
}

int ctl_call(const struct ctl_ctx *ctx, json_t *req, json_t **result, json_t **details)
{
	char path[PATH_MAX], code[64], msg[1024];
	char *out = json_dumps(req, JSON_COMPACT), *line = NULL;
	int64_t deadline = ctl_ms_now() + CTL_CALL_TIMEOUT_MS;
	size_t len = 0;
	int fd, rc;

	if (details != NULL)
		*details = NULL;
	if (out == NULL) {
		ctl_error("out of memory");
		return CTL_EXIT_RUNTIME;
	}
	if (ctl_socket_path(ctx, path, sizeof(path)) != 0) {
		free(out);
		return CTL_EXIT_UNREACHABLE;
	}
	fd = ctl_connect(path);
	if (fd < 0) {
		free(out);
		return CTL_EXIT_UNREACHABLE;
	}
	size_t olen = strlen(out);

	out[olen] = '\n'; /* json_dumps's NUL becomes the line's end */
	rc = ctl_send_all(fd, out, olen + 1, deadline);
	free(out);
	if (rc == 0)
		rc = ctl_recv_line(fd, &line, &len, deadline);
	close(fd);
	if (rc == -ETIMEDOUT) {
		ctl_error("mtdhcpd did not answer within %d s", CTL_CALL_TIMEOUT_MS / 1000);
		return CTL_EXIT_UNREACHABLE;
	}
	if (rc != 0) {
		ctl_error("control socket %s: %s", path,
		          rc == -EPIPE ? "the daemon closed the connection" : strerror(-rc));
		return CTL_EXIT_UNREACHABLE;
	}
	rc = ctl_client_parse(line, len, result, details, code, sizeof(code), msg, sizeof(msg));
	free(line);
	if (rc < 0) {
		ctl_error("%s", msg);
		return CTL_EXIT_RUNTIME;
	}
	if (rc > 0) {
		if (strcmp(code, "busy") == 0) {
			ctl_error("mtdhcpd is busy: %s", msg);
			return CTL_EXIT_UNREACHABLE;
		}
		ctl_error("%s", msg);
		return CTL_EXIT_RUNTIME;
	}
	return CTL_EXIT_OK;
}

int ctl_call_take(const struct ctl_ctx *ctx, json_t *req, json_t **result, json_t **details)
{
	int ret;

	if (req == NULL) {
		/* jansson refuses text that is not UTF-8, and fails when out of memory. */
		ctl_error("cannot build the request (an argument that is not UTF-8 text?)");
		return CTL_EXIT_RUNTIME;
	}
	ret = ctl_call(ctx, req, result, details);
	json_decref(req);
	return ret;
}

int ctl_print_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2));
	int ret;

	if (s == NULL) {
		ctl_error("out of memory");
		return CTL_EXIT_RUNTIME;
	}
	size_t n = strlen(s);

	/* json_dumps's NUL becomes the newline; the buffer has room for it. */
	s[n] = '\n';
	ret = ctl_write_stdout(s, n + 1);
	free(s);
	return ret;
}
