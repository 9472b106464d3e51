/*
 * The control socket's commands (docs/control-protocol.md). Each reads its arguments with
 * the ctl_arg_* helpers, asks the backend, and answers with a view from ctl_view.c.
 */
#include "dhcpd/ctl_commands.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct ctl_backend ctl_backend;

static enum ctl_status ctl_oom(struct ctl_reply *reply)
{
	return ctl_reply_error(reply, CTL_ERR_INTERNAL, "out of memory");
}

/* Sets the reply's result, or answers "internal" when the view could not be built. */
static enum ctl_status ctl_result(struct ctl_reply *reply, json_t *result)
{
	if (result == NULL)
		return ctl_oom(reply);
	reply->result = result;
	return CTL_OK;
}

/* The tenant named by the request's "tenant" (required or not); NULL with the reply set. */
static const struct tenant *ctl_tenant_arg(const struct tenant_registry *reg, const json_t *req,
                                           bool required, struct ctl_reply *reply,
                                           enum ctl_status *st)
{
	const char *name = NULL;

	*st = ctl_arg_string(req, "tenant", required, &name, reply);
	if (*st != CTL_OK || name == NULL)
		return NULL;
	const struct tenant *t = reg != NULL ? tenant_registry_by_name(reg, name) : NULL;

	if (t == NULL)
		*st = ctl_reply_error(reply, CTL_ERR_NOT_FOUND, "unknown tenant \"%.64s\"", name);
	return t;
}

static void ctl_pool_use_of(const struct ctl_backend *b, const struct tenant *t,
                            struct ctl_pool_use *use)
{
	memset(use, 0, sizeof(*use));
	if (b->pool_use != NULL)
		b->pool_use(b->ctx, t, use);
	else
		use->size = ctl_tenant_pool_size(t);
}

static enum ctl_status ctl_cmd_version(void *ctx, const json_t *req, struct ctl_reply *reply)
{
	const struct ctl_backend *b = ctx;

	(void)req;
	return ctl_result(reply, json_pack("{s:s}", "version", b->version));
}

static enum ctl_status ctl_cmd_ping(void *ctx, const json_t *req, struct ctl_reply *reply)
{
	const struct ctl_backend *b = ctx;
	const struct tenant_registry *reg = b->registry(b->ctx);
	int64_t now = time(NULL);

	(void)req;
	return ctl_result(
	    reply, json_pack("{s:b, s:s, s:I, s:I, s:I, s:I, s:I}", "pong", 1, "version",
	                     b->version, "pid", (json_int_t)getpid(), "started",
	                     (json_int_t)b->started, "uptime", (json_int_t)(now - b->started),
	                     "tenants", (json_int_t)(reg != NULL ? reg->n_tenants : 0), "ports",
	                     (json_int_t)(b->n_ports != NULL ? b->n_ports(b->ctx) : 0)));
}

/* One tenant's counters and pool use. */
static json_t *ctl_tenant_stats(const struct ctl_backend *b, const struct tenant *t)
{
	struct tenant_counters c;
	struct ctl_pool_use use;

	b->tenant_counters(b->ctx, t, &c);
	ctl_pool_use_of(b, t, &use);
	return json_pack("{s:s, s:o, s:o}", "name", t->name, "pool", ctl_view_pool_use(&use),
	                 "counters", ctl_view_counters(&c));
}

static enum ctl_status ctl_cmd_stats(void *ctx, const json_t *req, struct ctl_reply *reply)
{
	const struct ctl_backend *b = ctx;
	const struct tenant_registry *reg = b->registry(b->ctx);
	enum ctl_status st;
	const struct tenant *only = ctl_tenant_arg(reg, req, false, reply, &st);
	struct lease_store_stats ss;

	if (st != CTL_OK)
		return st;
	json_t *tenants = json_array(), *ports = json_array(), *lcores = json_array();
	json_t *res =
	    json_pack("{s:I, s:o, s:o, s:o}", "uptime", (json_int_t)(time(NULL) - b->started),
	              "tenants", tenants, "ports", ports, "lcores", lcores);

	if (res == NULL)
		return ctl_oom(reply);
	for (size_t i = 0; reg != NULL && i < reg->n_tenants; i++) {
		if (only != NULL && reg->tenants[i] != only)
			continue;
		if (json_array_append_new(tenants, ctl_tenant_stats(b, reg->tenants[i])) != 0)
			goto oom;
	}
	/* The ports, lcores and store are the whole daemon's: not shown for one tenant. */
	for (size_t i = 0; only == NULL && b->n_ports != NULL && i < b->n_ports(b->ctx); i++) {
		struct ctl_port_info p = {0};

		b->port(b->ctx, i, &p);
		if (json_array_append_new(ports, ctl_view_port(&p)) != 0)
			goto oom;
	}
	for (size_t i = 0; only == NULL && b->n_lcores != NULL && i < b->n_lcores(b->ctx); i++) {
		struct ctl_lcore_info l = {0};

		b->lcore(b->ctx, i, &l);
		if (json_array_append_new(lcores, ctl_view_lcore(&l)) != 0)
			goto oom;
	}
	if (only == NULL && b->store_stats != NULL && b->store_stats(b->ctx, &ss) &&
	    json_object_set_new(res, "lease_store", ctl_view_store(&ss)) != 0)
		goto oom;
	reply->result = res;
	return CTL_OK;
oom:
	json_decref(res);
	return ctl_oom(reply);
}

static enum ctl_status ctl_cmd_tenants(void *ctx, const json_t *req, struct ctl_reply *reply)
{
	const struct ctl_backend *b = ctx;
	const struct tenant_registry *reg = b->registry(b->ctx);
	enum ctl_status st;
	const struct tenant *only = ctl_tenant_arg(reg, req, false, reply, &st);

	if (st != CTL_OK)
		return st;
	json_t *tenants = json_array();
	json_t *res =
	    json_pack("{s:I, s:o}", "generation", (json_int_t)(reg != NULL ? reg->generation : 0),
	              "tenants", tenants);

	if (res == NULL)
		return ctl_oom(reply);
	for (size_t i = 0; reg != NULL && i < reg->n_tenants; i++) {
		const struct tenant *t = reg->tenants[i];
		struct ctl_pool_use use;

		if (only != NULL && t != only)
			continue;
		ctl_pool_use_of(b, t, &use);
		json_t *v = ctl_view_tenant(b, t);

		if (v == NULL || json_object_set_new(v, "pool", ctl_view_pool_use(&use)) != 0 ||
		    json_array_append_new(tenants, v) != 0) {
			json_decref(res);
			return ctl_oom(reply);
		}
	}
	reply->result = res;
	return CTL_OK;
}

static enum ctl_status ctl_cmd_release(void *ctx, const json_t *req, struct ctl_reply *reply)
{
	const struct ctl_backend *b = ctx;
	const struct tenant_registry *reg = b->registry(b->ctx);
	enum ctl_status st;
	const struct tenant *t = ctl_tenant_arg(reg, req, true, reply, &st);
	uint32_t addr = 0;

	if (st != CTL_OK)
		return st;
	st = ctl_arg_ipv4(req, "address", true, &addr, reply);
	if (st != CTL_OK)
		return st;
	const char *text = json_string_value(json_object_get(req, "address"));

	if (tenant_subnet_of(t, addr) == NULL)
		return ctl_reply_error(reply, CTL_ERR_NOT_FOUND, "%s is in no subnet of tenant %s",
		                       text, t->name);
	if (b->release == NULL)
		return ctl_reply_error(reply, CTL_ERR_FAILED, "release is not supported");
	int rc = b->release(b->ctx, t, addr);

	switch (rc) {
	case 0:
		return ctl_result(reply, json_pack("{s:s, s:s, s:b}", "tenant", t->name, "address",
		                                   text, "released", 1));
	case -ENOENT:
		return ctl_reply_error(reply, CTL_ERR_NOT_FOUND,
		                       "tenant %s has no lease on %s to release", t->name, text);
	case -ETIMEDOUT:
		return ctl_reply_error(reply, CTL_ERR_TIMEOUT,
		                       "the dataplane did not answer in time; the lease may still"
		                       " be released");
	case -EBUSY:
		return ctl_reply_error(reply, CTL_ERR_FAILED,
		                       "a change of %s in tenant %s is being committed; try again",
		                       text, t->name);
	case -EAGAIN:
		return ctl_reply_error(reply, CTL_ERR_FAILED,
		                       "the lease database's queue is full; try again");
	case -ESRCH:
		return ctl_reply_error(reply, CTL_ERR_FAILED,
		                       "tenant %s is not served by the dataplane yet; try again",
		                       t->name);
	default:
		return ctl_reply_error(reply, CTL_ERR_FAILED, "releasing %s in tenant %s: %s", text,
		                       t->name, strerror(-rc));
	}
}

static enum ctl_status ctl_cmd_reload(void *ctx, const json_t *req, struct ctl_reply *reply)
{
	const struct ctl_backend *b = ctx;

	(void)req;
	if (b->reload == NULL)
		return ctl_reply_error(reply, CTL_ERR_FAILED, "reload is not supported");
	return b->reload(b->ctx, reply);
}

static const char *const ctl_args_tenant[] = {"tenant", NULL};
static const char *const ctl_args_release[] = {"tenant", "address", NULL};

static struct ctl_handler ctl_commands[] = {
    {.name = "ping", .fn = ctl_cmd_ping},
    {.name = "version", .fn = ctl_cmd_version},
    {.name = "stats", .fn = ctl_cmd_stats, .args = ctl_args_tenant},
    {.name = "tenants", .fn = ctl_cmd_tenants, .args = ctl_args_tenant},
    {.name = "release", .fn = ctl_cmd_release, .args = ctl_args_release, .changes_state = true},
    {.name = "reload", .fn = ctl_cmd_reload, .changes_state = true},
};

static const struct ctl_handler_table ctl_table = {
    .commands = ctl_commands,
    .n = sizeof(ctl_commands) / sizeof(ctl_commands[0]),
};

const struct ctl_handler_table *ctl_commands_table(const struct ctl_backend *backend)
{
	ctl_backend = *backend;
	for (size_t i = 0; i < ctl_table.n; i++)
		ctl_commands[i].ctx = &ctl_backend;
	return &ctl_table;
}
