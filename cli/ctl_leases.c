/*
 * mtdhcpctl leases: lists the leases of the database, ordered by tenant then address,
 * as an aligned table or as a JSON array. The output is built in memory first, so a
 * failure half way never leaves half a table or broken JSON on stdout.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl.h"

enum { CTL_LEASES_NCOLS = 7 };

struct ctl_leases {
	bool json;
	time_t now;
	FILE *out; /* JSON: the memory stream the array is written to */
	size_t n;
	struct ctl_table *table;
};

/* Room for any field of a lease record in text form (255 bytes as \xNN, plus NUL). */
#define CTL_FIELD_MAX (4 * 255 + 1)

static void ctl_leases_json_hex(FILE *out, const char *key, const uint8_t *p, size_t len)
{
	char hex[CTL_FIELD_MAX];

	fprintf(out, ", \"%s\": ", key);
	if (len == 0) {
		fputs("null", out);
		return;
	}
	ctl_fmt_hex(hex, sizeof(hex), p, len);
	fprintf(out, "\"%s\"", hex);
}

static int ctl_leases_json(struct ctl_leases *l, const char *tenant, const struct lease_record *r)
{
	FILE *out = l->out;
	char buf[64];

	fputs(l->n == 0 ? "\n  {" : ",\n  {", out);
	fputs("\"tenant\": ", out);
	ctl_json_string(out, tenant, strlen(tenant));
	ctl_fmt_ipv4(buf, sizeof(buf), r->address);
	fprintf(out, ", \"address\": \"%s\"", buf);
	fprintf(out, ", \"state\": \"%s\"", lease_state_name(r->state));
	fprintf(out, ", \"hwtype\": %u", r->hwtype);
	ctl_leases_json_hex(out, "hwaddr", r->hwaddr, r->hwlen);
	ctl_leases_json_hex(out, "client_id", r->client_id, r->client_id_len);
	fputs(", \"hostname\": ", out);
	if (r->hostname_len == 0)
		fputs("null", out);
	else
		ctl_json_string(out, r->hostname, r->hostname_len);
	fprintf(out, ", \"start_time\": %lld, \"end_time\": %lld, \"cltt\": %lld",
	        (long long)r->start_time, (long long)r->end_time, (long long)r->cltt);
	if (r->end_time > l->now) {
		ctl_fmt_time(buf, sizeof(buf), r->end_time);
		fprintf(out, ", \"expires\": \"%s\", \"expired\": false", buf);
	} else {
		fputs(", \"expires\": null, \"expired\": true", out);
	}
	if (r->giaddr != 0) {
		ctl_fmt_ipv4(buf, sizeof(buf), r->giaddr);
		fprintf(out, ", \"giaddr\": \"%s\"", buf);
	} else {
		fputs(", \"giaddr\": null", out);
	}
	ctl_leases_json_hex(out, "circuit_id", r->circuit_id, r->circuit_id_len);
	ctl_leases_json_hex(out, "remote_id", r->remote_id, r->remote_id_len);
	fprintf(out, ", \"port\": %u, \"vlan_outer\": %u, \"vlan_inner\": %u}", r->port,
	        r->vlan_outer, r->vlan_inner);
	return 0;
}

static int ctl_leases_row(struct ctl_leases *l, const char *tenant, const struct lease_record *r)
{
	char name[CTL_FIELD_MAX], addr[16], hw[3 * LEASE_HWADDR_MAX + 1];
	char cid[3 * LEASE_CLIENT_ID_MAX + 1], host[CTL_FIELD_MAX], expires[64];

	/* Tenant names are the operator's, but the file may have been edited: escape too. */
	ctl_fmt_safe_text(name, sizeof(name), tenant, strnlen(tenant, 255));
	ctl_fmt_ipv4(addr, sizeof(addr), r->address);
	ctl_fmt_hex(hw, sizeof(hw), r->hwaddr, r->hwlen);
	ctl_fmt_hex(cid, sizeof(cid), r->client_id, r->client_id_len);
	ctl_fmt_safe_text(host, sizeof(host), r->hostname, r->hostname_len);
	if (r->end_time > l->now)
		ctl_fmt_time(expires, sizeof(expires), r->end_time);
	else
		snprintf(expires, sizeof(expires), "expired");

	const char *cells[CTL_LEASES_NCOLS] = {
	    name,
	    addr,
	    hw[0] ? hw : "-",
	    cid[0] ? cid : "-",
	    host[0] ? host : "-",
	    lease_state_name(r->state),
	    expires,
	};

	return ctl_table_add(l->table, cells);
}

static int ctl_leases_each(void *ctx, const char *tenant, const struct lease_record *r)
{
	struct ctl_leases *l = ctx;
	int ret = l->json ? ctl_leases_json(l, tenant, r) : ctl_leases_row(l, tenant, r);

	l->n++;
	return ret;
}

/* Parses the command's options into @filter and @json; CTL_EXIT_OK or a usage error. */
static int ctl_leases_options(int argc, char **argv, struct lease_filter *filter, bool *json,
                              bool *help)
{
	static const struct option opts[] = {
	    {"tenant", required_argument, NULL, 't'},
	    {"state", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:t:s:jh", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (optarg[0] == '\0')
				return ctl_usage_error("leases", "--tenant needs a name");
			filter->tenant = optarg;
			break;
		case 's':
			filter->state = lease_state_from_name(optarg);
			if (filter->state == 0)
				return ctl_usage_error("leases",
				                       "unknown state '%s' (active, released,"
				                       " expired or declined)",
				                       optarg);
			break;
		case 'j':
			*json = true;
			break;
		case 'h':
			*help = true;
			return CTL_EXIT_OK;
		case ':':
			return ctl_usage_error("leases", "option '%s' needs an argument",
			                       argv[optind - 1]);
		default:
			if (optopt != 0)
				return ctl_usage_error("leases", "unknown option '-%c'", optopt);
			return ctl_usage_error("leases", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return ctl_usage_error("leases", "unexpected argument '%s'", argv[optind]);
	return CTL_EXIT_OK;
}

int ctl_leases_run(const struct ctl_ctx *ctx, int argc, char **argv)
{
	static const char *const headers[CTL_LEASES_NCOLS] = {
	    "TENANT", "ADDRESS", "HWADDR", "CLIENT-ID", "HOSTNAME", "STATE", "EXPIRES",
	};
	struct lease_filter filter = {0};
	struct ctl_leases l = {0};
	struct lease_reader *rd;
	char *buf = NULL;
	size_t len = 0;
	bool help = false;
	int ret;

	ret = ctl_leases_options(argc, argv, &filter, &l.json, &help);
	if (ret != CTL_EXIT_OK || help)
		return help ? ctl_command_help("leases") : ret;
	rd = ctl_open_reader(ctx);
	if (rd == NULL)
		return CTL_EXIT_RUNTIME;

	l.now = time(NULL);
	l.out = open_memstream(&buf, &len);
	if (!l.json)
		l.table = ctl_table_new(CTL_LEASES_NCOLS, headers);
	if (l.out == NULL || (!l.json && l.table == NULL)) {
		ctl_error("out of memory");
		ret = -ENOMEM;
	} else {
		if (l.json)
			fputc('[', l.out);
		ret = lease_reader_foreach(rd, &filter, ctl_leases_each, &l);
	}
	lease_reader_close(rd);

	if (ret == -ENOENT && filter.tenant != NULL) {
		ctl_error("unknown tenant '%s'", filter.tenant);
	} else if (ret == -EBADMSG) {
		ctl_error("the lease database has a damaged row (a value out of range)");
	} else if (ret != 0 && ret != -ENOMEM) {
		ctl_error("reading leases: %s", strerror(-ret));
	} else if (ret == 0) {
		if (l.json)
			fputs(l.n == 0 ? "]\n" : "\n]\n", l.out);
		else
			ctl_table_print(l.table, l.out);
	}
	if (l.out != NULL && fclose(l.out) != 0 && ret == 0) {
		ctl_error("out of memory");
		ret = -ENOMEM;
	}
	ctl_table_free(l.table);
	if (ret == 0)
		ret = ctl_write_stdout(buf, len);
	else
		ret = CTL_EXIT_RUNTIME;
	free(buf);
	return ret;
}
