/*
 * mtdhcpctl status: whether the daemon runs, since when, with how many tenants and ports.
 * Its exit status alone answers "is it up?" (0, or 3 when it cannot be reached).
 */
#include <stdio.h>

#include "cli/ctl.h"

static json_int_t ctl_int(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

int ctl_status_run(const struct ctl_ctx *ctx, int argc, char **argv)
{
	json_t *res = NULL;
	bool json = false;
	int ret = ctl_simple_options("status", argc, argv, &json, NULL, 0, NULL);

	if (ret != CTL_EXIT_OK)
		return ret < 0 ? CTL_EXIT_OK : ret;
	ret = ctl_call_take(ctx, json_pack("{s:s}", "cmd", "ping"), &res, NULL);
	if (ret != CTL_EXIT_OK)
		return ret;
	if (json) {
		ret = ctl_print_json(res);
	} else {
		char up[32];
		const char *version = json_string_value(json_object_get(res, "version"));

		ctl_fmt_duration(up, sizeof(up), ctl_int(res, "uptime"));
		printf("mtdhcpd %s is running: pid %lld, up %s, %lld tenants, %lld ports\n",
		       version != NULL ? version : "?", (long long)ctl_int(res, "pid"), up,
		       (long long)ctl_int(res, "tenants"), (long long)ctl_int(res, "ports"));
		ret = ctl_write_stdout(NULL, 0);
	}
	json_decref(res);
	return ret;
}
