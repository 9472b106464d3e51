/*
 * The control socket: a Unix stream socket on which mtdhcpctl (or a script) sends requests
 * and reads responses, one JSON object per line each way (docs/control-protocol.md):
 *
 *   {"cmd":"stats","tenant":"acme"}          ->  {"ok":true,"result":{...}}
 *   {"cmd":"frobnicate"}                     ->  {"ok":false,"code":"unknown_command",...}
 *
 * The server lives on the control thread: it registers one descriptor with control_watch
 * (an epoll set holding the listening socket and every client) and never blocks. A request
 * line is bounded (CTL_REQUEST_MAX), so are the clients (CTL_SERVER_CLIENTS_MAX) and the
 * output queued for one client; a client that stalls mid-request or stops reading its
 * responses is disconnected after CTL_SERVER_STALL_SEC. Whatever bytes arrive, the answer is
 * a well-formed response or a closed connection, never a crash.
 *
 * The commands themselves are a table (struct ctl_handler) given by the caller; ctl_proto.c
 * turns one request line into one response line with it, so that the protocol can be tested
 * without sockets.
 *
 * Thread safety: control thread only (or the main thread before control_start).
 */
#ifndef MTDHCP_DHCPD_CTL_SERVER_H
#define MTDHCP_DHCPD_CTL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <jansson.h>

#include "dhcpd/control.h"

/* The longest request line accepted, newline excluded. */
#define CTL_REQUEST_MAX (64 * 1024)
/* Clients connected at once; one more is told "busy" and disconnected. */
#define CTL_SERVER_CLIENTS_MAX 16
/* Responses queued for one client beyond which its further requests wait. */
#define CTL_SERVER_OUT_HIGH (1024 * 1024)
/* A client with a partial request or unsent output that makes no progress this long goes. */
#define CTL_SERVER_STALL_SEC 10
/* A client that sends nothing for this long goes. */
#define CTL_SERVER_IDLE_SEC 300

/* Why a request failed: the "code" member of an error response. Part of the protocol. */
enum ctl_status {
	CTL_OK = 0,
	CTL_ERR_BAD_REQUEST,     /* "bad_request": not JSON, not an object, a bad argument */
	CTL_ERR_UNKNOWN_COMMAND, /* "unknown_command" */
	CTL_ERR_NOT_FOUND,       /* "not_found": no such tenant, lease or address */
	CTL_ERR_FAILED,          /* "failed": the operation was tried and did not succeed */
	CTL_ERR_TIMEOUT,         /* "timeout": the dataplane did not answer in time */
	CTL_ERR_BUSY,            /* "busy": too many clients */
	CTL_ERR_INTERNAL,        /* "internal": out of memory and the like */
};

/* The protocol name of @status ("ok", "bad_request", ...). */
const char *ctl_status_name(enum ctl_status status);

/* What a command handler produces: a result, or a status with a message for people. */
struct ctl_reply {
	enum ctl_status status;
	json_t *result;   /* CTL_OK: a new reference the protocol takes; NULL means {} */
	char error[1024]; /* otherwise: one line, no trailing period */
	json_t *details;  /* optional with an error: more data (a new reference), e.g. a report */
};

/*
 * Sets @reply's status and message; returns @status so that a handler can end with
 * "return ctl_reply_error(...)".
 */
__attribute__((format(printf, 3, 4))) enum ctl_status
ctl_reply_error(struct ctl_reply *reply, enum ctl_status status, const char *fmt, ...);

/*
 * A command handler. @req is the whole request object (its "cmd" included); arguments are
 * read with the ctl_arg_* helpers, which check their types. The return value is the reply's
 * status.
 */
typedef enum ctl_status (*ctl_handler_fn)(void *ctx, const json_t *req, struct ctl_reply *reply);

struct ctl_handler {
	const char *name;
	ctl_handler_fn fn;
	void *ctx;
	/*
	 * The request members the command accepts besides "cmd" and "id", NULL-terminated
	 * (NULL itself = none). Anything else is a bad request, so that a misspelt argument
	 * never passes silently.
	 */
	const char *const *args;
	bool changes_state; /* logged with the client's credentials (reload, release) */
};

struct ctl_handler_table {
	const struct ctl_handler *commands;
	size_t n;
};

/* Who sent a request, for the log line of a command that changes state. */
struct ctl_peer {
	int pid; /* 0 when unknown */
	unsigned uid;
	unsigned gid;
};

/*
 * Handles one request line (@len bytes, newline excluded; anything, including NUL bytes and
 * invalid UTF-8) with @table and returns the response line, newline included, in a malloc'd
 * buffer of *@outlen bytes; NULL only when out of memory. A request's "id", when present, is
 * echoed in its response. @peer may be NULL.
 */
char *ctl_proto_handle(const struct ctl_handler_table *table, const char *line, size_t len,
                       const struct ctl_peer *peer, size_t *outlen);

/* The response line of an error that is not a request's (e.g. "busy"); as above. */
char *ctl_proto_error_line(enum ctl_status status, const char *message, size_t *outlen);

/*
 * Argument helpers for handlers. Each returns CTL_OK and sets *@out, or fills @reply with a
 * bad_request naming the member and returns its status. A missing optional member leaves
 * *@out alone and returns CTL_OK.
 */
enum ctl_status ctl_arg_string(const json_t *req, const char *name, bool required, const char **out,
                               struct ctl_reply *reply);
/* A dotted-quad IPv4 address string, in host byte order. */
enum ctl_status ctl_arg_ipv4(const json_t *req, const char *name, bool required, uint32_t *out,
                             struct ctl_reply *reply);

/* --- The socket file (ctl_socket.c) --- */

/*
 * Creates the listening socket at @path (its directory too when missing, mode 0750),
 * replacing a stale socket left by a daemon that died but never a socket a live daemon
 * answers on or a file that is not a socket; mode 0660, group "mtdhcp" when that group
 * exists. *@st receives the file's identity for ctl_socket_remove. Returns the descriptor
 * (non-blocking), or -errno with a message in @err.
 */
int ctl_socket_listen(const char *path, int backlog, struct stat *st, char *err, size_t errlen);

/* Removes the socket file at @path if it is still the one *@st describes. */
void ctl_socket_remove(const char *path, const struct stat *st);

/* --- The server --- */

struct ctl_server;

/*
 * Creates the socket at @path (its directory too when missing, mode 0750), replacing a
 * stale socket left by a daemon that died but never a socket a live daemon answers on or a
 * file that is not a socket; mode 0660, group "mtdhcp" when that group exists. @table must
 * outlive the server. NULL with errno and a message in @err.
 */
struct ctl_server *ctl_server_open(const char *path, const struct ctl_handler_table *table,
                                   char *err, size_t errlen);

/*
 * Starts serving through @control (one watched descriptor and a once-per-second tick for
 * the time-outs). Before control_start. 0 or -errno.
 */
int ctl_server_attach(struct ctl_server *srv, struct control *control);

/*
 * What the control callbacks do, for tests to drive the server directly: run serves
 * whatever is ready without waiting; tick disconnects the clients that stalled or idled
 * past their time at @now (Unix seconds).
 */
void ctl_server_run(struct ctl_server *srv);
void ctl_server_tick(struct ctl_server *srv, int64_t now);

/* The descriptor to poll for POLLIN (the epoll set). */
int ctl_server_fd(const struct ctl_server *srv);

/* Clients connected now. */
size_t ctl_server_clients(const struct ctl_server *srv);

/*
 * Disconnects every client, closes the socket and removes its file (when it is still the
 * one this server created). After control_destroy, or when never attached. NULL is ignored.
 */
void ctl_server_close(struct ctl_server *srv);

#endif
