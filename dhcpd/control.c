#include "control.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

#define CONTROL_MAX_FDS 32
#define CONTROL_MAX_TICKS 8

struct control_watch {
	int fd;
	control_fd_fn fn;
	void *ctx;
};

struct control_tick {
	control_tick_fn fn;
	void *ctx;
};

struct control {
	int signal_fd;
	int wake_fd; /* eventfd: tells the loop to end */
	control_signal_fn on_signal;
	void *signal_ctx;
	struct control_watch watches[CONTROL_MAX_FDS];
	size_t n_watches;
	struct control_tick ticks[CONTROL_MAX_TICKS];
	size_t n_ticks;
	pthread_t thread;
	bool running;
};

struct control *control_create(control_signal_fn on_signal, void *ctx)
{
	struct control *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	int rc = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (rc) {
		free(c);
		errno = rc;
		return NULL;
	}
	c->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->signal_fd < 0 || c->wake_fd < 0) {
		int e = errno;
		if (c->signal_fd >= 0)
			close(c->signal_fd);
		if (c->wake_fd >= 0)
			close(c->wake_fd);
		free(c);
		errno = e;
		return NULL;
	}
	c->on_signal = on_signal;
	c->signal_ctx = ctx;
	return c;
}

int control_watch(struct control *c, int fd, control_fd_fn fn, void *ctx)
{
	if (c->n_watches == CONTROL_MAX_FDS)
		return -ENOSPC;
	c->watches[c->n_watches++] = (struct control_watch){fd, fn, ctx};
	return 0;
}

void control_unwatch(struct control *c, int fd)
{
	for (size_t i = 0; i < c->n_watches; i++) {
		if (c->watches[i].fd == fd) {
			c->watches[i] = c->watches[--c->n_watches];
			return;
		}
	}
}

int control_on_tick(struct control *c, control_tick_fn fn, void *ctx)
{
	if (c->n_ticks == CONTROL_MAX_TICKS)
		return -ENOSPC;
	c->ticks[c->n_ticks++] = (struct control_tick){fn, ctx};
	return 0;
}

static void read_signals(struct control *c)
{
	struct signalfd_siginfo si;
	while (read(c->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		c->on_signal(c->signal_ctx, (int)si.ssi_signo);
}

static void *control_main(void *arg)
{
	struct control *c = arg;
	int64_t last_tick = 0;
	for (;;) {
		struct pollfd pfd[CONTROL_MAX_FDS + 2];
		size_t n = 0;
		pfd[n++] = (struct pollfd){.fd = c->wake_fd, .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = c->signal_fd, .events = POLLIN};
		/* Callbacks may add or remove watches: work on a copy of this round's list. */
		struct control_watch round[CONTROL_MAX_FDS];
		size_t n_round = c->n_watches;
		memcpy(round, c->watches, n_round * sizeof(round[0]));
		for (size_t i = 0; i < n_round; i++)
			pfd[n++] = (struct pollfd){.fd = round[i].fd, .events = POLLIN};

		int rc = poll(pfd, n, 250);
		if (rc < 0 && errno != EINTR) {
			log_err("control thread: poll failed: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents)
			break;
		if (pfd[1].revents)
			read_signals(c);
		for (size_t i = 0; i < n_round; i++) {
			if (pfd[i + 2].revents)
				round[i].fn(round[i].ctx, round[i].fd, pfd[i + 2].revents);
		}
		int64_t now = time(NULL);
		if (now != last_tick) {
			last_tick = now;
			for (size_t i = 0; i < c->n_ticks; i++)
				c->ticks[i].fn(c->ticks[i].ctx, now);
		}
	}
	return NULL;
}

int control_start(struct control *c)
{
	int rc = pthread_create(&c->thread, NULL, control_main, c);
	if (rc)
		return -rc;
	pthread_setname_np(c->thread, "mtdhcp-control");
	c->running = true;
	return 0;
}

void control_destroy(struct control *c)
{
	if (!c)
		return;
	if (c->running) {
		uint64_t one = 1;
		ssize_t w = write(c->wake_fd, &one, sizeof(one));
		(void)w;
		pthread_join(c->thread, NULL);
	}
	close(c->signal_fd);
	close(c->wake_fd);
	free(c);
}
