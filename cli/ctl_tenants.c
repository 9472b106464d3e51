/*
 * mtdhcpctl tenants [--tenant T] [--offline]: every tenant with its match rules, subnets,
 * pool use and active leases. The daemon answers for the configuration in force; when it
 * does not run (or with --offline) the same view is built from the configuration files
 * and the lease database, with the same code (dhcpd/ctl_view.c), so the two agree field for
 * field. Pool use then counts the active leases in the pools, as the daemon does.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/ctl.h"
#include "conf/conf.h"
#include "dhcpd/ctl_commands.h"

/* --- The view from the files, without the daemon --- */

struct ctl_offline {
	const struct conf *conf;
	struct lease_reader *rd;
	int64_t now;
	int error; /* first database error, -errno */
};

static size_t ctl_offline_n_ports(void *ctx)
{
	const struct ctl_offline *o = ctx;

	return o->conf->service.n_ports;
}

static void ctl_offline_port(void *ctx, size_t i, struct ctl_port_info *out)
{
	const struct ctl_offline *o = ctx;

	memset(out, 0, sizeof(*out));
	out->name = o->conf->service.ports[i].name;
	out->address = o->conf->service.ports[i].address;
	out->prefix_len = o->conf->service.ports[i].prefix_len;
}

static void ctl_offline_pool_use(struct ctl_offline *o, const struct tenant *t,
                                 struct ctl_pool_use *use)
{
	uint64_t n;
	int rc;

	memset(use, 0, sizeof(*use));
	use->size = ctl_tenant_pool_size(t);
	rc = lease_reader_count_active(o->rd, t->name, o->now, 0, UINT32_MAX, &use->active);
	for (size_t s = 0; rc == 0 && s < t->n_subnets; s++) {
		for (size_t p = 0; rc == 0 && p < t->subnets[s].n_pools; p++) {
			rc = lease_reader_count_active(o->rd, t->name, o->now,
			                               t->subnets[s].pools[p].first,
			                               t->subnets[s].pools[p].last, &n);
			use->used += rc == 0 ? n : 0;
		}
	}
	/* A tenant that never had a lease is not in the database yet: nothing in use. */
	if (rc != 0 && rc != -ENOENT && o->error == 0)
		o->error = rc;
}

struct ctl_conf_report {
	unsigned errors;
};

static void ctl_offline_report(void *ctx, const char *file, int line, const char *setting,
                               const char *msg)
{
	struct ctl_conf_report *r = ctx;

	r->errors++;
	if (line > 0)
		fprintf(stderr, "%s:%d: %s%s%s\n", file, line, setting, *setting ? ": " : "", msg);
	else
		fprintf(stderr, "%s: %s%s%s\n", file, setting, *setting ? ": " : "", msg);
}

/* The tenants result ({"tenants": [...]}) from the files; NULL after printing why. */
static json_t *ctl_tenants_offline(const struct ctl_ctx *ctx, const char *only)
{
	const char *service = ctl_service_file(ctx);
	struct ctl_conf_report report = {0};
	struct ctl_offline o = {.now = time(NULL)};
	struct conf *conf = NULL;
	json_t *res = NULL, *list;
	bool found = false;

	if (conf_load(service, &conf, ctl_offline_report, &report) != 0) {
		ctl_error("%s: the configuration has errors (see 'mtdhcpctl check')", service);
		return NULL;
	}
	o.conf = conf;
	o.rd = ctl_open_reader(ctx);
	if (o.rd == NULL) {
		conf_free(conf);
		return NULL;
	}
	const struct ctl_backend b = {
	    .ctx = &o,
	    .n_ports = ctl_offline_n_ports,
	    .port = ctl_offline_port,
	};

	list = json_array();
	res = json_pack("{s:s, s:o}", "source", "configuration", "tenants", list);
	for (size_t i = 0; res != NULL && i < conf->n_tenants; i++) {
		const struct tenant *t = conf->tenants[i];
		struct ctl_pool_use use;

		if (only != NULL && strcmp(t->name, only) != 0)
			continue;
		found = true;
		ctl_offline_pool_use(&o, t, &use);
		json_t *v = ctl_view_tenant(&b, t);

		if (v == NULL || json_object_set_new(v, "pool", ctl_view_pool_use(&use)) != 0 ||
		    json_array_append_new(list, v) != 0) {
			json_decref(res);
			res = NULL;
		}
	}
	lease_reader_close(o.rd);
	conf_free(conf);
	if (res == NULL) {
		ctl_error("out of memory");
	} else if (o.error != 0) {
		ctl_error("reading the lease database: %s", strerror(-o.error));
		json_decref(res);
		res = NULL;
	} else if (only != NULL && !found) {
		ctl_error("unknown tenant '%s'", only);
		json_decref(res);
		res = NULL;
	}
	return res;
}

/* --- Printing --- */

/* Appends to @out (of @outlen bytes, *@n used); what does not fit is cut. */
__attribute__((format(printf, 4, 5))) static void ctl_cat(char *out, size_t outlen, size_t *n,
                                                          const char *fmt, ...)
{
	va_list ap;

	if (*n + 1 >= outlen)
		return;
	va_start(ap, fmt);
	int w = vsnprintf(out + *n, outlen - *n, fmt, ap);

	va_end(ap);
	if (w > 0)
		*n = *n + (size_t)w < outlen ? *n + (size_t)w : outlen - 1;
}

/*
 * The match rules of a tenant view as "relay 10.0.1.2, vlan uplink:100.20, circuit_ids
 * ar-br": relays and VLANs in short, any other list by its configuration name.
 */
static void ctl_fmt_match(char *out, size_t outlen, const json_t *match)
{
	const json_t *v, *list;
	const char *key;
	size_t i, n = 0;

	out[0] = '\0';
	json_array_foreach(json_object_get(match, "relays"), i, v)
	{
		ctl_cat(out, outlen, &n, "%srelay %s", n ? ", " : "",
		        json_string_value(v) ? json_string_value(v) : "?");
	}
	json_array_foreach(json_object_get(match, "vlans"), i, v)
	{
		const char *port = json_string_value(json_object_get(v, "port"));
		json_int_t inner = json_integer_value(json_object_get(v, "inner_vlan"));
		json_int_t outer = json_integer_value(json_object_get(v, "vlan"));
		char tags[32];

		if (outer == 0)
			snprintf(tags, sizeof(tags), "untagged");
		else if (inner == 0)
			snprintf(tags, sizeof(tags), "%lld", (long long)outer);
		else
			snprintf(tags, sizeof(tags), "%lld.%lld", (long long)outer,
			         (long long)inner);
		ctl_cat(out, outlen, &n, "%svlan %s:%s", n ? ", " : "", port != NULL ? port : "?",
		        tags);
	}
	json_object_foreach((json_t *)match, key, list)
	{
		if (!json_is_array(list) || strcmp(key, "relays") == 0 || strcmp(key, "vlans") == 0)
			continue;
		json_array_foreach(list, i, v)
		{
			char safe[256];
			const char *s = json_string_value(v);

			ctl_fmt_safe_text(safe, sizeof(safe), s ? s : "?", s ? strnlen(s, 60) : 1);
			ctl_cat(out, outlen, &n, "%s%s %s", n ? ", " : "", key, safe);
		}
	}
	if (json_is_true(json_object_get(match, "default")))
		ctl_cat(out, outlen, &n, "%sdefault tenant", n ? ", " : "");
	if (n == 0)
		snprintf(out, outlen, "-");
}

static void ctl_fmt_subnets(char *out, size_t outlen, const json_t *subnets)
{
	const json_t *v;
	size_t i, n = 0;

	out[0] = '\0';
	json_array_foreach(subnets, i, v)
	{
		const char *s = json_string_value(json_object_get(v, "subnet"));

		ctl_cat(out, outlen, &n, "%s%s", n ? ", " : "", s != NULL ? s : "?");
	}
	if (n == 0)
		snprintf(out, outlen, "-");
}

static int ctl_tenants_print(const json_t *res, FILE *out)
{
	static const char *const headers[] = {"TENANT", "MATCH", "SUBNETS", "POOL-USE", "ACTIVE"};
	char name[256], match[1024], subnets[1024], pool[64], active[24];
	const char *row[] = {name, match, subnets, pool, active};
	struct ctl_table *tab = ctl_table_new(5, headers);
	const json_t *t;
	size_t i;

	if (tab == NULL)
		return -1;
	json_array_foreach(json_object_get(res, "tenants"), i, t)
	{
		const json_t *p = json_object_get(t, "pool");
		const char *n = json_string_value(json_object_get(t, "name"));

		ctl_fmt_safe_text(name, sizeof(name), n ? n : "?", n ? strnlen(n, 63) : 1);
		ctl_fmt_match(match, sizeof(match), json_object_get(t, "match"));
		ctl_fmt_subnets(subnets, sizeof(subnets), json_object_get(t, "subnets"));
		snprintf(pool, sizeof(pool), "%lld/%lld (%.1f%%)",
		         (long long)json_integer_value(json_object_get(p, "used")),
		         (long long)json_integer_value(json_object_get(p, "size")),
		         json_number_value(json_object_get(p, "use_percent")));
		snprintf(active, sizeof(active), "%lld",
		         (long long)json_integer_value(json_object_get(p, "active_leases")));
		ctl_table_add(tab, row);
	}
	return ctl_table_finish(tab, out);
}

int ctl_tenants_run(const struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"tenant", required_argument, NULL, 't'},
	    {"offline", no_argument, NULL, 'O'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *tenant = NULL;
	json_t *res = NULL;
	bool json = false, offline = false;
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:t:jh", opts, NULL)) != -1) {
		if (c == 'h')
			return ctl_command_help("tenants");
		if (c == 't')
			tenant = optarg;
		else if (c == 'O')
			offline = true;
		else if (c == 'j')
			json = true;
		else
			return ctl_opt_error("tenants", c, argv);
	}
	ret = ctl_extra_args("tenants", argc, argv);
	if (ret != CTL_EXIT_OK)
		return ret;
	ret = CTL_EXIT_UNREACHABLE;
	if (!offline) {
		json_t *req = tenant != NULL
		                  ? json_pack("{s:s, s:s}", "cmd", "tenants", "tenant", tenant)
		                  : json_pack("{s:s}", "cmd", "tenants");

		ret = ctl_call_take(ctx, req, &res, NULL);
		if (ret == CTL_EXIT_OK)
			json_object_set_new(res, "source", json_string("daemon"));
		else if (ret == CTL_EXIT_UNREACHABLE)
			ctl_error("showing the configuration files and the lease database instead");
	}
	if (ret == CTL_EXIT_UNREACHABLE) {
		res = ctl_tenants_offline(ctx, tenant);
		ret = res != NULL ? CTL_EXIT_OK : CTL_EXIT_RUNTIME;
	}
	if (ret != CTL_EXIT_OK)
		return ret;
	if (json) {
		ret = ctl_print_json(res);
	} else {
		char *buf = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&buf, &len);

		int bad = out == NULL || ctl_tenants_print(res, out) != 0;

		if (out != NULL && fclose(out) != 0)
			bad = 1;
		if (bad) {
			ctl_error("out of memory");
			ret = CTL_EXIT_RUNTIME;
		} else {
			ret = ctl_write_stdout(buf, len);
		}
		free(buf);
	}
	json_decref(res);
	return ret;
}
