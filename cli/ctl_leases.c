/*
 * mtdhcpctl leases: lists the leases of the database that match the filters, in the order
 * asked for (tenant then address by default), a page at a time if asked, as an aligned
 * table or as a JSON array. The filters go to SQL as bound parameters (lease_query.c).
 * The output is built in memory first, so a failure half way never leaves half a table or
 * broken JSON on stdout.
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

/* What the options hold: the query, plus the storage its pointers refer to. */
struct ctl_leases_args {
	struct lease_query q;
	uint8_t hwaddr[LEASE_HWADDR_MAX];
	uint8_t client_id[LEASE_CLIENT_ID_MAX];
	int64_t within;
	bool json, help;
};

/* Room for any field of a lease record in text form (255 bytes as \xNN, plus NUL). */
#define CTL_FIELD_MAX (4 * 255 + 1)

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

	if (l->json) {
		fputs(l->n == 0 ? "\n  " : ",\n  ", l->out);
		ctl_lease_json(l->out, tenant, r, l->now);
	} else if (ctl_leases_row(l, tenant, r) != 0) {
		return -ENOMEM;
	}
	l->n++;
	return 0;
}

/* Parses one option @c with argument @arg into @a; CTL_EXIT_OK or a usage error. */
static int ctl_leases_option(int c, const char *arg, struct ctl_leases_args *a)
{
	struct lease_query *q = &a->q;
	size_t n;
	int v;

	switch (c) {
	case 't':
		if (arg[0] == '\0')
			return ctl_usage_error("leases", "--tenant needs a name");
		q->tenant = arg;
		break;
	case 'i':
		if (!ctl_parse_prefix(arg, &q->address, &q->address_mask))
			return ctl_usage_error("leases",
			                       "'%s' is not an address or a prefix (a.b.c.d or"
			                       " a.b.c.d/len)",
			                       arg);
		/* /0 is every address: no filter, which address_mask 0 means. */
		break;
	case 'm':
		n = ctl_parse_hex(arg, a->hwaddr, sizeof(a->hwaddr));
		if (n == 0)
			return ctl_usage_error(
			    "leases", "'%s' is not a hardware address (02:00:00:00:00:01)", arg);
		q->hwaddr = a->hwaddr;
		q->hwlen = (uint8_t)n;
		break;
	case 'C':
		n = ctl_parse_hex(arg, a->client_id, sizeof(a->client_id));
		if (n == 0)
			return ctl_usage_error(
			    "leases", "'%s' is not a client identifier in hex (01:02:...)", arg);
		q->client_id = a->client_id;
		q->client_id_len = (uint8_t)n;
		break;
	case 'n':
		if (arg[0] == '\0')
			return ctl_usage_error("leases", "--hostname needs a name or a pattern");
		q->hostname = arg;
		break;
	case 's':
		q->state = lease_state_from_name(arg);
		if (q->state == 0)
			return ctl_usage_error("leases",
			                       "unknown state '%s' (active, released, expired or"
			                       " declined)",
			                       arg);
		break;
	case 'e':
		if (!ctl_parse_duration(arg, &a->within))
			return ctl_usage_error(
			    "leases", "'%s' is not a duration (90, 90s, 15m, 2h, 1d, 1h30m)", arg);
		break;
	case 'S':
		v = lease_sort_from_name(arg);
		if (v < 0)
			return ctl_usage_error(
			    "leases",
			    "cannot sort by '%s' (tenant, address, expires, start,"
			    " cltt, hwaddr, hostname or state)",
			    arg);
		q->sort = (enum lease_sort)v;
		break;
	case 'r':
		q->descending = true;
		break;
	case 'l':
		if (!ctl_parse_count(arg, &q->limit) || q->limit == 0)
			return ctl_usage_error("leases",
			                       "--limit wants a count of 1 or more, not '%s'", arg);
		break;
	case 'o':
		if (!ctl_parse_count(arg, &q->offset))
			return ctl_usage_error("leases", "--offset wants a count, not '%s'", arg);
		break;
	case 'j':
		a->json = true;
		break;
	}
	return CTL_EXIT_OK;
}

/* Parses the command's options into @a; CTL_EXIT_OK or a usage error. */
static int ctl_leases_options(int argc, char **argv, struct ctl_leases_args *a)
{
	static const struct option opts[] = {
	    {"tenant", required_argument, NULL, 't'},
	    {"ip", required_argument, NULL, 'i'},
	    {"mac", required_argument, NULL, 'm'},
	    {"client-id", required_argument, NULL, 'C'},
	    {"hostname", required_argument, NULL, 'n'},
	    {"state", required_argument, NULL, 's'},
	    {"expiring-within", required_argument, NULL, 'e'},
	    {"sort", required_argument, NULL, 'S'},
	    {"reverse", no_argument, NULL, 'r'},
	    {"limit", required_argument, NULL, 'l'},
	    {"offset", required_argument, NULL, 'o'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:t:i:m:n:s:e:S:rl:o:jh", opts, NULL)) != -1) {
		if (c == 'h') {
			a->help = true;
			return CTL_EXIT_OK;
		}
		if (c == ':' || c == '?')
			return ctl_opt_error("leases", c, argv);
		ret = ctl_leases_option(c, optarg, a);
		if (ret != CTL_EXIT_OK)
			return ret;
	}
	if (a->within != 0) {
		if (a->q.state != 0 && a->q.state != LEASE_STATE_ACTIVE)
			return ctl_usage_error("leases",
			                       "--expiring-within lists active leases: it excludes"
			                       " --state %s",
			                       lease_state_name(a->q.state));
		a->q.expires_before = a->q.now + a->within;
	}
	return ctl_extra_args("leases", argc, argv);
}

int ctl_leases_run(const struct ctl_ctx *ctx, int argc, char **argv)
{
	static const char *const headers[CTL_LEASES_NCOLS] = {
	    "TENANT", "ADDRESS", "HWADDR", "CLIENT-ID", "HOSTNAME", "STATE", "EXPIRES",
	};
	struct ctl_leases_args *a = calloc(1, sizeof(*a));
	struct ctl_leases l = {0};
	struct lease_reader *rd;
	char *buf = NULL;
	size_t len = 0;
	int ret;

	if (a == NULL) {
		ctl_error("out of memory");
		return CTL_EXIT_RUNTIME;
	}
	l.now = time(NULL);
	a->q.now = l.now;
	ret = ctl_leases_options(argc, argv, a);
	if (ret != CTL_EXIT_OK || a->help) {
		ret = a->help ? ctl_command_help("leases") : ret;
		free(a);
		return ret;
	}
	l.json = a->json;
	rd = ctl_open_reader(ctx);
	if (rd == NULL) {
		free(a);
		return CTL_EXIT_RUNTIME;
	}
	l.out = open_memstream(&buf, &len);
	if (!l.json)
		l.table = ctl_table_new(CTL_LEASES_NCOLS, headers);
	if (l.out == NULL || (!l.json && l.table == NULL)) {
		ret = -ENOMEM;
	} else {
		if (l.json)
			fputc('[', l.out);
		ret = lease_reader_query(rd, &a->q, ctl_leases_each, &l);
	}
	lease_reader_close(rd);

	if (ret == -ENOENT && a->q.tenant != NULL) {
		ctl_error("unknown tenant '%s'", a->q.tenant);
	} else if (ret == -EBADMSG) {
		ctl_error("the lease database has a damaged row (a value out of range)");
	} else if (ret == -ENOMEM) {
		ctl_error("out of memory");
	} else if (ret != 0) {
		ctl_error("reading leases: %s", strerror(-ret));
	} else if (l.json) {
		fputs(l.n == 0 ? "]\n" : "\n]\n", l.out);
	} else {
		ctl_table_print(l.table, l.out);
	}
	if (l.out != NULL && fclose(l.out) != 0 && ret == 0) {
		ctl_error("out of memory");
		ret = -ENOMEM;
	}
	ctl_table_free(l.table);
	ret = ret == 0 ? ctl_write_stdout(buf, len) : CTL_EXIT_RUNTIME;
	free(buf);
	free(a);
	return ret;
}
