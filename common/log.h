/*
 * Logging: one line per event worth an operator's attention, on stderr, with an
 * sd-daemon priority prefix ("<6>") so that journald files each line at its level when
 * the daemon runs under systemd, and a plain "mtdhcpd: level: " form on a terminal.
 * Repeats of one event are rate limited at their call site (log_ratelimit).
 *
 * Thread safety: any thread; each line is written with one write(2).
 */
#ifndef MTDHCP_COMMON_LOG_H
#define MTDHCP_COMMON_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_LEVEL_ERR = 3, LOG_LEVEL_WARNING = 4, LOG_LEVEL_INFO = 6, LOG_LEVEL_DEBUG = 7 };

/* Lines above @level are not written. Control thread, at start or reload. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Chooses the prefix style: journald's "<N>" (true) or "name: level: " (false). */
void log_set_journal(bool journal);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/*
 * A rate limit for one kind of event: at most one line per @interval_s seconds; the lines
 * suppressed in between are counted and reported with the next one. One per call site
 * (static), or per tenant. Not shared between threads.
 */
struct log_ratelimit {
	int64_t last;
	uint64_t suppressed;
};

/*
 * True when a line may be written now (then *@suppressed receives how many were held back
 * since the last one); false when it must be dropped (and is counted).
 */
bool log_ratelimit_ok(struct log_ratelimit *rl, int64_t now, int interval_s, uint64_t *suppressed);

#endif
