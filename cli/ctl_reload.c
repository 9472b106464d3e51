/*
 * mtdhcpctl reload: the daemon re-reads the service file and the tenants directory, as on
 * SIGHUP, and reports what it did: tenants added, changed, unchanged and removed, tenant
 * files rejected (their tenants keep the running version), settings that wait for a
 * restart, and each problem as "file:line: setting: message".
 *
 * Exit 0 when everything applied (settings that wait for a restart included), 1 when a
 * tenant file was rejected or the reload changed nothing, 3 when the daemon is not
 * reachable.
 */
#include <stdio.h>

#include "cli/ctl.h"

static unsigned long long ctl_count(const json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v > 0 ? (unsigned long long)v : 0;
}

/* Prints the problems of a reload, one "file:line: setting: message" per line. */
static void ctl_reload_problems(FILE *out, const json_t *list)
{
	const json_t *p;
	size_t i;

	json_array_foreach(list, i, p)
	{
		const char *file = json_string_value(json_object_get(p, "file"));
		const char *setting = json_string_value(json_object_get(p, "setting"));
		const char *msg = json_string_value(json_object_get(p, "message"));
		json_int_t line = json_integer_value(json_object_get(p, "line"));

		fprintf(out, "  %s", file != NULL ? file : "?");
		if (line > 0)
			fprintf(out, ":%lld", (long long)line);
		fprintf(out, ": %s%s%s\n", setting != NULL ? setting : "",
		        setting != NULL && setting[0] ? ": " : "", msg != NULL ? msg : "");
	}
}

int ctl_reload_run(const struct ctl_ctx *ctx, int argc, char **argv)
{
	json_t *res = NULL, *details = NULL;
	bool json = false;
	int ret = ctl_simple_options("reload", argc, argv, &json, NULL, 0, NULL);

	if (ret != CTL_EXIT_OK)
		return ret < 0 ? CTL_EXIT_OK : ret;
	ret = ctl_call_take(ctx, json_pack("{s:s}", "cmd", "reload"), &res, &details);
	if (ret != CTL_EXIT_OK) {
		/* A refused reload's report says what was wrong: show it. */
		if (details != NULL) {
			if (json)
				ctl_print_json(details);
			else
				ctl_reload_problems(stderr, json_object_get(details, "problems"));
		}
		json_decref(details);
		return ret;
	}
	unsigned long long failed = ctl_count(res, "failed_files");

	if (json) {
		ret = ctl_print_json(res);
	} else {
		const json_t *problems = json_object_get(res, "problems");

		printf("reloaded: %llu tenants added, %llu changed, %llu unchanged, %llu removed\n",
		       ctl_count(res, "added"), ctl_count(res, "changed"),
		       ctl_count(res, "unchanged"), ctl_count(res, "removed"));
		if (failed > 0)
			printf("%llu tenant file%s rejected; %llu tenant%s keep%s the running"
			       " version\n",
			       failed, failed == 1 ? "" : "s", ctl_count(res, "kept_running"),
			       ctl_count(res, "kept_running") == 1 ? "" : "s",
			       ctl_count(res, "kept_running") == 1 ? "s" : "");
		if (ctl_count(res, "restart_settings") > 0)
			printf("%llu changed setting%s wait%s for a restart\n",
			       ctl_count(res, "restart_settings"),
			       ctl_count(res, "restart_settings") == 1 ? "" : "s",
			       ctl_count(res, "restart_settings") == 1 ? "s" : "");
		if (json_array_size(problems) > 0) {
			printf("problems:\n");
			ctl_reload_problems(stdout, problems);
		}
		ret = ctl_write_stdout(NULL, 0);
	}
	json_decref(res);
	if (ret == CTL_EXIT_OK && failed > 0)
		ret = CTL_EXIT_RUNTIME;
	return ret;
}
