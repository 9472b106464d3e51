/*
 * The control socket's file: its directory made when missing, a stale socket (left by a
 * daemon that was killed) replaced, a live one or any other file never touched, and the
 * access rights of the mtdhcp group.
 */
#include "dhcpd/ctl_server.h"

#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"

#define CTL_SOCKET_GROUP "mtdhcp"

static void ctl_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void ctl_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * Creates @dir and its missing parents with mode 0750 (like mkdir -p); *@created tells
 * whether @dir itself was made. 0 or -errno.
 */
static int ctl_mkdirs(const char *dir, bool *created)
{
	char *p = strdup(dir);
	int rc = 0;

	*created = false;
	if (p == NULL)
		return -ENOMEM;
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;

		*s = '\0';
		*created = mkdir(p, 0750) == 0;
		if (!*created && errno != EEXIST) {
			rc = -errno;
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return rc;
}

/*
 * Makes room for the socket at @addr: nothing there, or a socket nobody answers on (left by
 * a daemon that was killed), which is removed. 0, or -errno with a message.
 */
static int ctl_clear_stale(const struct sockaddr_un *addr, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(addr->sun_path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		int e = errno;

		ctl_set_err(err, errlen, "control socket %s: %s", addr->sun_path, strerror(e));
		return -e;
	}
	if (!S_ISSOCK(st.st_mode)) {
		ctl_set_err(err, errlen, "control socket %s: the path exists and is not a socket",
		            addr->sun_path);
		return -EEXIST;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		int e = errno;

		ctl_set_err(err, errlen, "control socket: %s", strerror(e));
		return -e;
	}
	int rc = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	int e = errno;

	close(fd);
	if (rc == 0) {
		ctl_set_err(err, errlen,
		            "control socket %s is in use: another mtdhcpd runs with this"
		            " configuration",
		            addr->sun_path);
		return -EADDRINUSE;
	}
	if (e != ECONNREFUSED) {
		ctl_set_err(err, errlen, "control socket %s: %s", addr->sun_path, strerror(e));
		return -e;
	}
	if (unlink(addr->sun_path) != 0 && errno != ENOENT) {
		e = errno;
		ctl_set_err(err, errlen, "control socket %s: cannot remove the stale socket: %s",
		            addr->sun_path, strerror(e));
		return -e;
	}
	log_info("control socket %s: removed a stale socket", addr->sun_path);
	return 0;
}

/*
 * Access to the socket is access to the daemon: owner and the "mtdhcp" group may connect
 * (mode 0660), nobody else. Without that group only the daemon's user (root) may. A
 * directory made for the socket gets the group too, or the group could not reach it. A
 * daemon that may not give files to that group (not root, not a member) still serves, to
 * its own user and group, and says so.
 */
static int ctl_set_mode(const char *path, const char *dir, char *err, size_t errlen)
{
	struct group *g = getgrnam(CTL_SOCKET_GROUP);

	if (g != NULL && ((dir != NULL && chown(dir, (uid_t)-1, g->gr_gid) != 0) ||
	                  chown(path, (uid_t)-1, g->gr_gid) != 0))
		log_warn("control socket %s: cannot give it to group %s (%s): only this user and"
		         " its group may use it",
		         path, CTL_SOCKET_GROUP, strerror(errno));
	if (chmod(path, 0660) != 0) {
		int e = errno;

		ctl_set_err(err, errlen, "control socket %s: chmod: %s", path, strerror(e));
		return -e;
	}
	return 0;
}

int ctl_socket_listen(const char *path, int backlog, struct stat *st, char *err, size_t errlen)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = -1, rc;

	if (path == NULL || path[0] == '\0' || strlen(path) >= sizeof(addr.sun_path)) {
		ctl_set_err(err, errlen, "control socket: the path is empty or too long");
		return -EINVAL;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);

	/* dirname may return a static "." instead of a part of its argument: keep both. */
	char *copy = strdup(path);
	const char *dir = copy != NULL ? dirname(copy) : NULL;
	bool made_dir = false;

	rc = dir != NULL ? ctl_mkdirs(dir, &made_dir) : -ENOMEM;
	if (rc != 0) {
		ctl_set_err(err, errlen, "control socket %s: cannot create its directory: %s", path,
		            strerror(-rc));
		goto out;
	}
	rc = ctl_clear_stale(&addr, err, errlen);
	if (rc != 0)
		goto out;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (const struct sockaddr *)&addr, sizeof(addr)) != 0) {
		rc = -errno;
		ctl_set_err(err, errlen, "control socket %s: %s", path, strerror(-rc));
		goto out;
	}
	/* Remember which file is ours, so that we never remove another daemon's socket. */
	if (stat(path, st) != 0) {
		rc = -errno;
		ctl_set_err(err, errlen, "control socket %s: %s", path, strerror(-rc));
		goto out;
	}
	rc = ctl_set_mode(path, made_dir ? dir : NULL, err, errlen);
	if (rc == 0 && listen(fd, backlog) != 0) {
		rc = -errno;
		ctl_set_err(err, errlen, "control socket %s: listen: %s", path, strerror(-rc));
	}
	if (rc != 0)
		unlink(path);
out:
	free(copy);
	if (rc != 0) {
		if (fd >= 0)
			close(fd);
		return rc;
	}
	return fd;
}

void ctl_socket_remove(const char *path, const struct stat *st)
{
	struct stat now;

	if (stat(path, &now) == 0 && now.st_dev == st->st_dev && now.st_ino == st->st_ino)
		unlink(path);
}
