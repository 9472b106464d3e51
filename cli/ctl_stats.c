/*
 * mtdhcpctl stats [--tenant T]: the daemon's counters (live). Without a tenant: one row
 * per tenant with the main message counts and its pool use, the drop reasons that are not
 * zero, one row per port, one row per lcore and its cycles per frame by stage, and the
 * lease store's line. With a tenant: every counter of that tenant, one per line. Counters
 * and stages are shown by the names the daemon sends, so a counter added to the daemon
 * appears here (in the detailed view and, for drops, in the summary) without a change to
 * mtdhcpctl.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl.h"
#include "tenants/counters.h"

/* The summary's counter columns: title and counter name. */
static const struct {
	const char *title, *counter;
} ctl_stats_cols[] = {
    {"DISCOVER", "rx_discover"}, {"OFFER", "tx_offer"},
    {"REQUEST", "rx_request"},   {"ACK", "tx_ack"},
    {"NAK", "tx_nak"},           {"RELEASE", "rx_release"},
    {"DECLINE", "rx_decline"},   {"MALFORMED", "drop_malformed"},
};

#define CTL_STATS_NCOLS (sizeof(ctl_stats_cols) / sizeof(ctl_stats_cols[0]))

static unsigned long long ctl_num(const json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v > 0 ? (unsigned long long)v : 0;
}

/* "used/size (pct%)" of a pool view. */
static void ctl_fmt_pool(char *out, size_t outlen, const json_t *pool)
{
	snprintf(out, outlen, "%llu/%llu (%.1f%%)", ctl_num(pool, "used"), ctl_num(pool, "size"),
	         json_number_value(json_object_get(pool, "use_percent")));
}

static int ctl_stats_tenants(FILE *out, const json_t *tenants)
{
	const char *headers[CTL_STATS_NCOLS + 3] = {"TENANT", "ACTIVE", "POOL-USE"};
	char cells[CTL_STATS_NCOLS + 3][64];
	const char *row[CTL_STATS_NCOLS + 3];
	const json_t *t;
	size_t i;

	for (size_t c = 0; c < CTL_STATS_NCOLS; c++)
		headers[c + 3] = ctl_stats_cols[c].title;
	struct ctl_table *tab = ctl_table_new(CTL_STATS_NCOLS + 3, headers);

	if (tab == NULL)
		return -1;
	json_array_foreach(tenants, i, t)
	{
		const json_t *counters = json_object_get(t, "counters");
		const json_t *pool = json_object_get(t, "pool");
		const char *name = json_string_value(json_object_get(t, "name"));

		ctl_fmt_safe_text(cells[0], sizeof(cells[0]), name ? name : "?",
		                  name ? strnlen(name, 60) : 1);
		snprintf(cells[1], sizeof(cells[1]), "%llu", ctl_num(pool, "active_leases"));
		ctl_fmt_pool(cells[2], sizeof(cells[2]), pool);
		for (size_t c = 0; c < CTL_STATS_NCOLS; c++)
			snprintf(cells[c + 3], sizeof(cells[c + 3]), "%llu",
			         ctl_num(counters, ctl_stats_cols[c].counter));
		for (size_t c = 0; c < CTL_STATS_NCOLS + 3; c++)
			row[c] = cells[c];
		ctl_table_add(tab, row);
	}
	if (ctl_table_finish(tab, out) != 0)
		return -1;

	/* Drop reasons that happened, beyond the MALFORMED column, one line per tenant. */
	json_array_foreach(tenants, i, t)
	{
		const json_t *counters = json_object_get(t, "counters"), *v;
		const char *name = json_string_value(json_object_get(t, "name")), *key;
		bool first = true;

		json_object_foreach((json_t *)counters, key, v)
		{
			if (strncmp(key, "drop_", 5) != 0 || strcmp(key, "drop_malformed") == 0 ||
			    json_integer_value(v) <= 0)
				continue;
			if (first)
				fprintf(out, "%s dropped:", name != NULL ? name : "?");
			fprintf(out, "%s %s %lld", first ? "" : ",", key + 5,
			        (long long)json_integer_value(v));
			first = false;
		}
		if (!first)
			fputc('\n', out);
	}
	return 0;
}

static int ctl_stats_ports(FILE *out, const json_t *ports)
{
	static const char *const headers[] = {"PORT",    "ADDRESS",   "RX",  "TX",
	                                      "DROPPED", "NO-TENANT", "ARP", "ICMP"};
	char cells[8][64];
	const char *row[8];
	const json_t *p;
	size_t i;
	struct ctl_table *tab = ctl_table_new(8, headers);

	if (tab == NULL)
		return -1;
	json_array_foreach(ports, i, p)
	{
		const json_t *drops = json_object_get(p, "drops"), *v;
		const char *name = json_string_value(json_object_get(p, "name"));
		const char *addr = json_string_value(json_object_get(p, "address"));
		unsigned long long dropped = 0;
		const char *key;

		json_object_foreach((json_t *)drops, key, v) dropped +=
		    (unsigned long long)json_integer_value(v);
		snprintf(cells[0], sizeof(cells[0]), "%s", name ? name : "?");
		snprintf(cells[1], sizeof(cells[1]), "%s", addr ? addr : "-");
		snprintf(cells[2], sizeof(cells[2]), "%llu", ctl_num(p, "rx"));
		snprintf(cells[3], sizeof(cells[3]), "%llu", ctl_num(p, "tx"));
		snprintf(cells[4], sizeof(cells[4]), "%llu", dropped);
		/* Every reason the classifier gives no tenant (docs/robustness.md). */
		snprintf(cells[5], sizeof(cells[5]), "%llu",
		         ctl_num(drops, "no_tenant") + ctl_num(drops, "unknown_vpn") +
		             ctl_num(drops, "untrusted_relay") + ctl_num(drops, "bad_relay_info"));
		snprintf(cells[6], sizeof(cells[6]), "%llu", ctl_num(p, "arp_replies"));
		snprintf(cells[7], sizeof(cells[7]), "%llu", ctl_num(p, "icmp_replies"));
		for (size_t c = 0; c < 8; c++)
			row[c] = cells[c];
		ctl_table_add(tab, row);
	}
	return ctl_table_finish(tab, out);
}

/* A cycles-per-frame cell of @o: "-" for an lcore that has seen no frame yet. */
static void ctl_fmt_cycles(char *out, size_t outlen, const json_t *o, unsigned long long frames)
{
	if (frames == 0 || !json_is_number(json_object_get(o, "cycles_per_frame")))
		snprintf(out, outlen, "-");
	else
		snprintf(out, outlen, "%.0f",
		         json_number_value(json_object_get(o, "cycles_per_frame")));
}

#define CTL_STATS_LCORE_COLS 9
#define CTL_STATS_STAGES_MAX 16

/* One row per lcore: the tenants it owns, the frames it worked on, busy share, hand-offs. */
static int ctl_stats_lcores(FILE *out, const json_t *lcores)
{
	static const char *const headers[CTL_STATS_LCORE_COLS] = {
	    "INDEX",       "LCORE",      "TENANTS",      "FRAMES", "BUSY",
	    "HANDOFF-OUT", "HANDOFF-IN", "HANDOFF-FULL", "YIELDS"};
	static const char *const keys[] = {"handoff_out", "handoff_in", "handoff_full", "yields"};
	char cells[CTL_STATS_LCORE_COLS][32];
	const char *row[CTL_STATS_LCORE_COLS];
	struct ctl_table *tab = ctl_table_new(CTL_STATS_LCORE_COLS, headers);
	const json_t *l;
	size_t i;

	if (tab == NULL)
		return -1;
	json_array_foreach(lcores, i, l)
	{
		snprintf(cells[0], sizeof(cells[0]), "%llu", ctl_num(l, "index"));
		snprintf(cells[1], sizeof(cells[1]), "%llu", ctl_num(l, "lcore_id"));
		snprintf(cells[2], sizeof(cells[2]), "%llu", ctl_num(l, "tenants"));
		snprintf(cells[3], sizeof(cells[3]), "%llu", ctl_num(l, "frames"));
		snprintf(cells[4], sizeof(cells[4]), "%.1f%%",
		         json_number_value(json_object_get(l, "busy_percent")));
		for (size_t k = 0; k < 4; k++)
			snprintf(cells[5 + k], sizeof(cells[5 + k]), "%llu", ctl_num(l, keys[k]));
		for (size_t c = 0; c < CTL_STATS_LCORE_COLS; c++)
			row[c] = cells[c];
		ctl_table_add(tab, row);
	}
	return ctl_table_finish(tab, out);
}

/*
 * The TSC cycles per frame by stage, one column per stage in the order the daemon sends
 * them (the first lcore's; every lcore has the same), then the whole busy loop's, which
 * adds the loop's own overhead to the stages.
 */
static int ctl_stats_stages(FILE *out, const json_t *lcores)
{
	const json_t *first = json_object_get(json_array_get(lcores, 0), "stages"), *l, *v;
	const char *headers[CTL_STATS_STAGES_MAX + 2] = {"INDEX"}, *stage[CTL_STATS_STAGES_MAX];
	char titles[CTL_STATS_STAGES_MAX][24], cells[CTL_STATS_STAGES_MAX + 2][32];
	const char *row[CTL_STATS_STAGES_MAX + 2];
	size_t ns = 0, i;
	const char *key;

	json_object_foreach((json_t *)first, key, v)
	{
		size_t n = 0;

		if (ns == CTL_STATS_STAGES_MAX)
			break;
		for (; key[n] != '\0' && n + 1 < sizeof(titles[ns]); n++)
			titles[ns][n] =
			    (char)(key[n] >= 'a' && key[n] <= 'z' ? key[n] - 'a' + 'A' : key[n]);
		titles[ns][n] = '\0';
		stage[ns] = key;
		headers[1 + ns] = titles[ns];
		ns++;
	}
	headers[1 + ns] = "TOTAL";
	struct ctl_table *tab = ctl_table_new(ns + 2, headers);

	if (tab == NULL)
		return -1;
	json_array_foreach(lcores, i, l)
	{
		const json_t *stages = json_object_get(l, "stages");
		unsigned long long frames = ctl_num(l, "frames");

		snprintf(cells[0], sizeof(cells[0]), "%llu", ctl_num(l, "index"));
		for (size_t k = 0; k < ns; k++)
			ctl_fmt_cycles(cells[1 + k], sizeof(cells[1 + k]),
			               json_object_get(stages, stage[k]), frames);
		ctl_fmt_cycles(cells[1 + ns], sizeof(cells[1 + ns]), l, frames);
		for (size_t c = 0; c < ns + 2; c++)
			row[c] = cells[c];
		ctl_table_add(tab, row);
	}
	/* The frequency turns cycles into time: 2,450 cycles are 1 us at 2,450 MHz. */
	unsigned long long hz = ctl_num(json_array_get(lcores, 0), "tsc_hz");

	if (hz > 0)
		fprintf(out, "TSC cycles per frame, by stage (TSC at %llu MHz):\n",
		        (hz + 500000) / 1000000);
	else
		fprintf(out, "TSC cycles per frame, by stage:\n");
	return ctl_table_finish(tab, out);
}

/*
 * Whether @key names one of the gauges the counters carry (refreshed once a second): the
 * "pool" object's fresh figures are printed in their place.
 */
static bool ctl_stats_is_gauge(const char *key)
{
	for (unsigned c = 0; c < TC__COUNT; c++) {
		if (tenant_counter_is_gauge((enum tenant_counter)c) &&
		    strcmp(key, tenant_counter_name((enum tenant_counter)c)) == 0)
			return true;
	}
	return false;
}

/* Every counter of one tenant, one per line. */
static void ctl_stats_one(FILE *out, const json_t *t)
{
	const json_t *counters = json_object_get(t, "counters"), *v;
	const json_t *pool = json_object_get(t, "pool");
	const char *name = json_string_value(json_object_get(t, "name")), *key;
	char buf[64];

	fprintf(out, "%-28s%s\n", "tenant", name ? name : "?");
	fprintf(out, "%-28s%llu\n", "active_leases", ctl_num(pool, "active_leases"));
	ctl_fmt_pool(buf, sizeof(buf), pool);
	fprintf(out, "%-28s%s\n", "pool_use", buf);
	json_object_foreach((json_t *)counters, key, v)
	{
		if (!ctl_stats_is_gauge(key))
			fprintf(out, "%-28s%lld\n", key, (long long)json_integer_value(v));
	}
}

int ctl_stats_run(const struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"tenant", required_argument, NULL, 't'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *tenant = NULL;
	json_t *req, *res = NULL;
	bool json = false;
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:t:jh", opts, NULL)) != -1) {
		if (c == 'h')
			return ctl_command_help("stats");
		if (c == 't')
			tenant = optarg;
		else if (c == 'j')
			json = true;
		else
			return ctl_opt_error("stats", c, argv);
	}
	ret = ctl_extra_args("stats", argc, argv);
	if (ret != CTL_EXIT_OK)
		return ret;
	req = tenant != NULL ? json_pack("{s:s, s:s}", "cmd", "stats", "tenant", tenant)
	                     : json_pack("{s:s}", "cmd", "stats");
	ret = ctl_call_take(ctx, req, &res, NULL);
	if (ret != CTL_EXIT_OK)
		return ret;
	if (json) {
		ret = ctl_print_json(res);
		json_decref(res);
		return ret;
	}

	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	const json_t *tenants = json_object_get(res, "tenants");
	const json_t *store = json_object_get(res, "lease_store");
	const json_t *lcores = json_object_get(res, "lcores");
	int bad = out == NULL;

	if (!bad && tenant != NULL && json_array_size(tenants) == 1) {
		ctl_stats_one(out, json_array_get(tenants, 0));
	} else if (!bad) {
		char up[32];

		ctl_fmt_duration(up, sizeof(up), ctl_num(res, "uptime"));
		fprintf(out, "up %s\n\n", up);
		bad = ctl_stats_tenants(out, tenants) != 0;
		fputc('\n', out);
		bad = bad || ctl_stats_ports(out, json_object_get(res, "ports")) != 0;
		if (!bad && json_array_size(lcores) > 0) {
			fputc('\n', out);
			bad = ctl_stats_lcores(out, lcores) != 0;
			fputc('\n', out);
			bad = bad || ctl_stats_stages(out, lcores) != 0;
		}
		if (json_is_object(store))
			fprintf(out,
			        "\nlease store: %llu changes committed in %llu transactions, %llu"
			        " failed, %llu refused (queue full)\n",
			        ctl_num(store, "committed"), ctl_num(store, "transactions"),
			        ctl_num(store, "failed"), ctl_num(store, "rejected_full"));
	}
	if (out != NULL && fclose(out) != 0)
		bad = 1;
	if (bad)
		ctl_error("out of memory");
	ret = bad ? CTL_EXIT_RUNTIME : ctl_write_stdout(buf, len);
	free(buf);
	json_decref(res);
	return ret;
}
