/*
 * The control protocol without the sockets: one request line in, one response line out
 * (docs/control-protocol.md). The line is untrusted: it may be anything up to
 * CTL_REQUEST_MAX bytes, so it goes to jansson with a length (NUL bytes and trailing
 * garbage are errors), duplicate members are refused, and every member a command reads is
 * type-checked before use.
 */
#include "dhcpd/ctl_server.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

static const char *const ctl_status_names[] = {
    [CTL_OK] = "ok",
    [CTL_ERR_BAD_REQUEST] = "bad_request",
    [CTL_ERR_UNKNOWN_COMMAND] = "unknown_command",
    [CTL_ERR_NOT_FOUND] = "not_found",
    [CTL_ERR_FAILED] = "failed",
    [CTL_ERR_TIMEOUT] = "timeout",
    [CTL_ERR_BUSY] = "busy",
    [CTL_ERR_INTERNAL] = "internal",
};

const char *ctl_status_name(enum ctl_status status)
{
	if ((size_t)status >= sizeof(ctl_status_names) / sizeof(ctl_status_names[0]))
		return "internal";
	return ctl_status_names[status];
}

enum ctl_status ctl_reply_error(struct ctl_reply *reply, enum ctl_status status, const char *fmt,
                                ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reply->error, sizeof(reply->error), fmt, ap);
	va_end(ap);
	reply->status = status;
	return status;
}

/*
 * A JSON string of @s. jansson refuses text that is not UTF-8; an error message may quote
 * what a client sent, so such text is made printable ASCII instead of being lost.
 */
static json_t *ctl_json_text(const char *s)
{
	json_t *j = json_string(s);

	if (j != NULL)
		return j;
	size_t n = strlen(s);
	char *safe = malloc(4 * n + 1);

	if (safe == NULL)
		return NULL;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f)
			safe[o++] = (char)c;
		else
			o += (size_t)sprintf(safe + o, "\\x%02x", c);
	}
	safe[o] = '\0';
	j = json_string(safe);
	free(safe);
	return j;
}

/* The response object of a failure. NULL when out of memory. */
static json_t *ctl_error_object(enum ctl_status status, const char *message, json_t *details)
{
	json_t *o = json_object();

	if (o == NULL || json_object_set_new(o, "ok", json_false()) != 0 ||
	    json_object_set_new(o, "code", json_string(ctl_status_name(status))) != 0 ||
	    json_object_set_new(o, "error", ctl_json_text(message)) != 0 ||
	    (details != NULL && json_object_set(o, "details", details) != 0)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* One compact line with its newline; NULL when out of memory. */
static char *ctl_dump_line(const json_t *o, size_t *outlen)
{
	char *s = json_dumps(o, JSON_COMPACT);

	if (s == NULL)
		return NULL;
	size_t n = strlen(s);
	char *line = realloc(s, n + 2);

	if (line == NULL) {
		free(s);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	*outlen = n + 1;
	return line;
}

char *ctl_proto_error_line(enum ctl_status status, const char *message, size_t *outlen)
{
	json_t *o = ctl_error_object(status, message, NULL);
	char *line = o != NULL ? ctl_dump_line(o, outlen) : NULL;

	json_decref(o);
	return line;
}

static const struct ctl_handler *ctl_find(const struct ctl_handler_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->commands[i].name, name) == 0)
			return &t->commands[i];
	}
	return NULL;
}

/* Whether @key is one of the members @cmd accepts. */
static bool ctl_arg_known(const struct ctl_handler *cmd, const char *key)
{
	if (strcmp(key, "cmd") == 0 || strcmp(key, "id") == 0)
		return true;
	for (const char *const *a = cmd->args; a != NULL && *a != NULL; a++) {
		if (strcmp(*a, key) == 0)
			return true;
	}
	return false;
}

/*
 * A command that changes the daemon's state is an event worth a log line: who asked, with
 * which arguments, and how it ended ("control: release tenant=acme address=10.0.0.5 by pid
 * 812 (uid 0): done").
 */
static void ctl_log_change(const struct ctl_handler *cmd, const json_t *req,
                           const struct ctl_peer *peer, const struct ctl_reply *reply)
{
	char args[256] = "", who[64] = "";
	const char *key;
	const json_t *v;
	size_t n = 0;

	json_object_foreach((json_t *)req, key, v)
	{
		const char *s = json_string_value(v);

		if (s == NULL || strcmp(key, "cmd") == 0 || strcmp(key, "id") == 0 ||
		    n + 1 >= sizeof(args))
			continue;
		/* Only printable ASCII reaches the log; the rest shows as '?'. */
		int w = snprintf(args + n, sizeof(args) - n, " %s=", key);

		n = w > 0 && n + (size_t)w < sizeof(args) ? n + (size_t)w : sizeof(args) - 1;
		for (; *s != '\0' && n + 1 < sizeof(args) && s - json_string_value(v) < 64; s++)
			args[n++] = *s >= 0x20 && *s < 0x7f ? *s : '?';
		args[n] = '\0';
	}
	if (peer != NULL && peer->pid != 0)
		snprintf(who, sizeof(who), " by pid %d (uid %u)", peer->pid, peer->uid);
	if (reply->status == CTL_OK)
		log_info("control: %s%s%s: done", cmd->name, args, who);
	else
		log_warn("control: %s%s%s: %s", cmd->name, args, who, reply->error);
}

/* Parses and checks the request, then runs its command; fills @reply in every case. */
static void ctl_dispatch(const struct ctl_handler_table *table, const json_t *req,
                         const struct ctl_peer *peer, struct ctl_reply *reply)
{
	const char *name = NULL, *key;
	const json_t *v;

	if (!json_is_object(req)) {
		ctl_reply_error(reply, CTL_ERR_BAD_REQUEST, "a request is a JSON object");
		return;
	}
	if (ctl_arg_string(req, "cmd", true, &name, reply) != CTL_OK)
		return;
	const struct ctl_handler *cmd = ctl_find(table, name);

	if (cmd == NULL) {
		ctl_reply_error(reply, CTL_ERR_UNKNOWN_COMMAND, "unknown command \"%.64s\"", name);
		return;
	}
	json_object_foreach((json_t *)req, key, v)
	{
		if (!ctl_arg_known(cmd, key)) {
			ctl_reply_error(reply, CTL_ERR_BAD_REQUEST,
			                "command \"%s\" takes no argument \"%.64s\"", cmd->name,
			                key);
			return;
		}
	}
	reply->status = cmd->fn(cmd->ctx, req, reply);
	if (reply->status != CTL_OK && reply->error[0] == '\0')
		snprintf(reply->error, sizeof(reply->error), "%s failed", cmd->name);
	if (cmd->changes_state)
		ctl_log_change(cmd, req, peer, reply);
}

char *ctl_proto_handle(const struct ctl_handler_table *table, const char *line, size_t len,
                       const struct ctl_peer *peer, size_t *outlen)
{
	struct ctl_reply *reply = calloc(1, sizeof(*reply));
	json_error_t jerr;
	json_t *req = NULL, *resp = NULL, *id = NULL;
	char *out = NULL;

	if (reply == NULL)
		return NULL;
	if (len > CTL_REQUEST_MAX) {
		ctl_reply_error(reply, CTL_ERR_BAD_REQUEST, "request longer than %d bytes",
		                CTL_REQUEST_MAX);
	} else {
		req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
		if (req == NULL)
			ctl_reply_error(reply, CTL_ERR_BAD_REQUEST, "not JSON: %s (column %d)",
			                jerr.text, jerr.column);
		else
			ctl_dispatch(table, req, peer, reply);
	}
	if (json_is_object(req))
		id = json_object_get(req, "id");

	if (reply->status == CTL_OK) {
		json_t *result = reply->result != NULL ? reply->result : json_object();

		reply->result = NULL;
		resp = json_object();
		if (resp == NULL || json_object_set_new(resp, "ok", json_true()) != 0) {
			json_decref(result);
			json_decref(resp);
			resp = NULL;
		} else if (json_object_set_new(resp, "result", result) != 0) {
			/* json_object_set_new has dropped @result's reference already. */
			json_decref(resp);
			resp = NULL;
		}
	} else {
		json_decref(reply->result);
		reply->result = NULL;
		resp = ctl_error_object(reply->status, reply->error, reply->details);
	}
	if (resp != NULL && id != NULL && json_object_set(resp, "id", id) != 0) {
		json_decref(resp);
		resp = NULL;
	}
	if (resp == NULL)
		resp = ctl_error_object(CTL_ERR_INTERNAL, "out of memory", NULL);
	if (resp != NULL)
		out = ctl_dump_line(resp, outlen);
	json_decref(resp);
	json_decref(reply->details);
	json_decref(req);
	free(reply);
	return out;
}

enum ctl_status ctl_arg_string(const json_t *req, const char *name, bool required, const char **out,
                               struct ctl_reply *reply)
{
	const json_t *v = json_object_get(req, name);

	if (v == NULL) {
		if (required)
			return ctl_reply_error(reply, CTL_ERR_BAD_REQUEST, "\"%s\" is missing",
			                       name);
		return CTL_OK;
	}
	if (!json_is_string(v))
		return ctl_reply_error(reply, CTL_ERR_BAD_REQUEST, "\"%s\" must be a string", name);
	*out = json_string_value(v);
	return CTL_OK;
}

enum ctl_status ctl_arg_ipv4(const json_t *req, const char *name, bool required, uint32_t *out,
                             struct ctl_reply *reply)
{
	const char *s = NULL;
	struct in_addr a;
	enum ctl_status st = ctl_arg_string(req, name, required, &s, reply);

	if (st != CTL_OK || s == NULL)
		return st;
	if (inet_pton(AF_INET, s, &a) != 1)
		return ctl_reply_error(reply, CTL_ERR_BAD_REQUEST,
		                       "\"%s\": \"%.64s\" is not an IPv4 address", name, s);
	*out = ntohl(a.s_addr);
	return CTL_OK;
}
