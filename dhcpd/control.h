/*
 * The control thread: a small poll(2) loop that owns the daemon's slow work — signals
 * (through a signalfd, so that handlers never run inside the lcore), the control socket,
 * periodic timers. Modules register file descriptors with a callback.
 *
 * Thread safety: control_create/destroy on the main thread; control_watch and the
 * callbacks on the control thread (or on the main thread before control_start).
 */
#ifndef MTDHCP_DHCPD_CONTROL_H
#define MTDHCP_DHCPD_CONTROL_H

#include <signal.h>
#include <stdint.h>

struct control;

/* Called when @fd is readable (poll events in @revents). */
typedef void (*control_fd_fn)(void *ctx, int fd, short revents);
/* Called for each signal received. */
typedef void (*control_signal_fn)(void *ctx, int signo);
/* Called about once per second. */
typedef void (*control_tick_fn)(void *ctx, int64_t now);

/*
 * Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (call it on the main thread
 * before any other thread exists, so every thread inherits the mask) and opens the
 * signalfd that delivers them to @on_signal. NULL with errno.
 */
struct control *control_create(control_signal_fn on_signal, void *ctx);

/* Watches @fd for POLLIN. At most 32 descriptors. 0 or -errno. */
int control_watch(struct control *c, int fd, control_fd_fn fn, void *ctx);

/* Stops watching @fd (the caller closes it). */
void control_unwatch(struct control *c, int fd);

/* Adds a once-per-second callback. At most 8. 0 or -errno. */
int control_on_tick(struct control *c, control_tick_fn fn, void *ctx);

/* Starts the control thread. 0 or -errno. */
int control_start(struct control *c);

/* Ends the loop and joins the thread, then frees @c. NULL is ignored. */
void control_destroy(struct control *c);

#endif
