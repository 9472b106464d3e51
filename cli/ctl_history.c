/*
 * mtdhcpctl history: the recorded events (bind, renew, release, decline, expire) of one
 * address or one hardware address of a tenant, oldest first, with client, relay and time;
 * or, with --at, only the bindings in force at that moment, which answers "who had
 * 192.168.1.20 in tenant acme yesterday at 14:00?". Read from the lease database, so it
 * works with the daemon up or down. The output is built in memory first, so that a failure
 * half way never leaves half a table or broken JSON on stdout.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl.h"

enum { CTL_HISTORY_NCOLS = 10 };

/* Room for any field of a lease record in text form (255 bytes as \xNN, plus NUL). */
#define CTL_HISTORY_FIELD_MAX (4 * 255 + 1)

struct ctl_history {
	bool json;
	const char *tenant;
	FILE *out; /* JSON: the memory stream the array is written to */
	size_t n;
	struct ctl_table *table;
};

/* Reads exactly @digits decimal digits at *@s into *@v and advances *@s. */
static bool ctl_history_digits(const char **s, int digits, int *v)
{
	*v = 0;
	for (int i = 0; i < digits; i++) {
		char c = (*s)[i];

		if (c < '0' || c > '9')
			return false;
		*v = *v * 10 + (c - '0');
	}
	*s += digits;
	return true;
}

/*
 * Parses a moment: "now", "@SECONDS" (Unix time), or "YYYY-MM-DD[(T| )HH:MM[:SS]]" in
 * local time, or in UTC with a final "Z", or at a UTC offset "+HH:MM", "-HHMM".
 */
static bool ctl_history_parse_time(const char *s, int64_t *out)
{
	struct tm tm = {0};
	int year, mon, day, hour = 0, min = 0, sec = 0, oh = 0, om = 0, sign = 0;
	char *end;

	if (strcmp(s, "now") == 0) {
		*out = (int64_t)time(NULL);
		return true;
	}
	if (s[0] == '@') {
		errno = 0;
		long long v = strtoll(s + 1, &end, 10);

		if (errno != 0 || end == s + 1 || *end != '\0')
			return false;
		*out = v;
		return true;
	}
	if (!ctl_history_digits(&s, 4, &year) || *s++ != '-' || !ctl_history_digits(&s, 2, &mon) ||
	    *s++ != '-' || !ctl_history_digits(&s, 2, &day))
		return false;
	if (*s == 'T' || *s == ' ') {
		s++;
		if (!ctl_history_digits(&s, 2, &hour) || *s++ != ':' ||
		    !ctl_history_digits(&s, 2, &min))
			return false;
		if (*s == ':') {
			s++;
			if (!ctl_history_digits(&s, 2, &sec))
				return false;
		}
	}
	if (*s == 'Z') {
		sign = 1;
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '+' ? 1 : -1;
		if (!ctl_history_digits(&s, 2, &oh))
			return false;
		if (*s == ':')
			s++;
		if (!ctl_history_digits(&s, 2, &om) || oh > 23 || om > 59)
			return false;
	}
	if (*s != '\0' || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 ||
	    sec > 60)
		return false;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	if (sign == 0) {
		tm.tm_isdst = -1; /* the local rules say whether summer time applied */
		time_t t = mktime(&tm);

		/* A changed day means mktime normalised an impossible date such as 02-31. */
		if (t == (time_t)-1 || tm.tm_mday != day)
			return false;
		*out = (int64_t)t;
		return true;
	}
	time_t t = timegm(&tm);

	if (tm.tm_mday != day)
		return false;
	*out = (int64_t)t - (int64_t)sign * (oh * 3600 + om * 60);
	return true;
}

static void ctl_history_json_hex(FILE *out, const char *key, const uint8_t *p, size_t len)
{
	char hex[3 * 255 + 1];

	fprintf(out, ", \"%s\": ", key);
	if (len == 0) {
		fputs("null", out);
		return;
	}
	ctl_fmt_hex(hex, sizeof(hex), p, len);
	fprintf(out, "\"%s\"", hex);
}

static int ctl_history_json(struct ctl_history *h, const struct lease_event *ev)
{
	const struct lease_record *r = &ev->rec;
	FILE *out = h->out;
	char buf[64];

	fputs(h->n == 0 ? "\n  {" : ",\n  {", out);
	ctl_fmt_time(buf, sizeof(buf), ev->time);
	fprintf(out, "\"time\": %lld, \"time_iso\": \"%s\", \"event\": \"%s\", \"tenant\": ",
	        (long long)ev->time, buf, lease_event_kind_name(ev->kind));
	ctl_json_string(out, h->tenant, strlen(h->tenant));
	ctl_fmt_ipv4(buf, sizeof(buf), r->address);
	fprintf(out, ", \"address\": \"%s\", \"state\": \"%s\", \"hwtype\": %u", buf,
	        lease_state_name(r->state), r->hwtype);
	ctl_history_json_hex(out, "hwaddr", r->hwaddr, r->hwlen);
	ctl_history_json_hex(out, "client_id", r->client_id, r->client_id_len);
	fputs(", \"hostname\": ", out);
	if (r->hostname_len == 0)
		fputs("null", out);
	else
		ctl_json_string(out, r->hostname, r->hostname_len);
	if (r->giaddr != 0) {
		ctl_fmt_ipv4(buf, sizeof(buf), r->giaddr);
		fprintf(out, ", \"giaddr\": \"%s\"", buf);
	} else {
		fputs(", \"giaddr\": null", out);
	}
	ctl_history_json_hex(out, "circuit_id", r->circuit_id, r->circuit_id_len);
	ctl_history_json_hex(out, "remote_id", r->remote_id, r->remote_id_len);
	fprintf(out,
	        ", \"port\": %u, \"vlan_outer\": %u, \"vlan_inner\": %u, \"start_time\": %lld,"
	        " \"end_time\": %lld}",
	        r->port, r->vlan_outer, r->vlan_inner, (long long)r->start_time,
	        (long long)r->end_time);
	return 0;
}

static int ctl_history_row(struct ctl_history *h, const struct lease_event *ev)
{
	const struct lease_record *r = &ev->rec;
	char when[64], addr[16], hw[3 * LEASE_HWADDR_MAX + 1], cid[3 * LEASE_CLIENT_ID_MAX + 1];
	char host[CTL_HISTORY_FIELD_MAX], relay[16], circuit[CTL_HISTORY_FIELD_MAX], ends[64];
	char vlan[24];

	ctl_fmt_time(when, sizeof(when), ev->time);
	ctl_fmt_ipv4(addr, sizeof(addr), r->address);
	ctl_fmt_hex(hw, sizeof(hw), r->hwaddr, r->hwlen);
	ctl_fmt_hex(cid, sizeof(cid), r->client_id, r->client_id_len);
	/* Client and relay bytes may hold terminal escapes: shown escaped. */
	ctl_fmt_safe_text(host, sizeof(host), r->hostname, r->hostname_len);
	ctl_fmt_safe_text(circuit, sizeof(circuit), (const char *)r->circuit_id, r->circuit_id_len);
	if (r->giaddr != 0)
		ctl_fmt_ipv4(relay, sizeof(relay), r->giaddr);
	else
		snprintf(relay, sizeof(relay), "-");
	if (r->vlan_inner != 0)
		snprintf(vlan, sizeof(vlan), "%u.%u", r->vlan_outer, r->vlan_inner);
	else if (r->vlan_outer != 0)
		snprintf(vlan, sizeof(vlan), "%u", r->vlan_outer);
	else
		snprintf(vlan, sizeof(vlan), "-");
	/* The end a binding granted; for the end of a binding, when it ended. */
	ctl_fmt_time(ends, sizeof(ends), r->end_time);

	const char *cells[CTL_HISTORY_NCOLS] = {
	    when,
	    lease_event_kind_name(ev->kind),
	    addr,
	    hw[0] ? hw : "-",
	    cid[0] ? cid : "-",
	    host[0] ? host : "-",
	    relay,
	    circuit[0] ? circuit : "-",
	    vlan,
	    ends,
	};

	return ctl_table_add(h->table, cells);
}

static int ctl_history_each(void *ctx, const struct lease_event *ev)
{
	struct ctl_history *h = ctx;
	int ret = h->json ? ctl_history_json(h, ev) : ctl_history_row(h, ev);

	h->n++;
	return ret;
}

/* Parses the options into @q; CTL_EXIT_OK, a usage error, or -1 for --help. */
static int ctl_history_options(int argc, char **argv, struct lease_history_query *q, bool *json)
{
	static const struct option opts[] = {
	    {"tenant", required_argument, NULL, 't'},
	    {"ip", required_argument, NULL, 'i'},
	    {"mac", required_argument, NULL, 'm'},
	    {"at", required_argument, NULL, 'a'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool has_ip = false;
	size_t n;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:t:i:m:a:jh", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (optarg[0] == '\0')
				return ctl_usage_error("history", "--tenant needs a name");
			q->tenant = optarg;
			break;
		case 'i':
			if (!ctl_parse_ipv4(optarg, &q->address))
				return ctl_usage_error("history", "'%s' is not an IPv4 address",
				                       optarg);
			has_ip = true;
			break;
		case 'm':
			n = ctl_parse_hex(optarg, q->hwaddr, LEASE_HWADDR_MAX);
			if (n == 0)
				return ctl_usage_error("history",
				                       "'%s' is not a hardware address"
				                       " (02:00:00:00:00:01)",
				                       optarg);
			q->hwlen = (uint8_t)n;
			q->by_hwaddr = true;
			break;
		case 'a':
			if (!ctl_history_parse_time(optarg, &q->at))
				return ctl_usage_error("history",
				                       "'%s' is not a time (2024-05-01T14:00, with"
				                       " :SS, Z or +02:00 if wanted; @UNIX; now)",
				                       optarg);
			q->at_set = true;
			break;
		case 'j':
			*json = true;
			break;
		case 'h':
			return -1;
		default:
			return ctl_opt_error("history", c, argv);
		}
	}
	if (optind < argc)
		return ctl_extra_args("history", argc, argv);
	if (q->tenant == NULL)
		return ctl_usage_error("history", "--tenant is required");
	if (has_ip == q->by_hwaddr)
		return ctl_usage_error("history", "give either --ip or --mac");
	return CTL_EXIT_OK;
}

/* For --at: when nobody held it, say so, so that an empty answer is not mistaken. */
static void ctl_history_nobody(const struct ctl_history *h, const struct lease_history_query *q)
{
	char what[3 * LEASE_HWADDR_MAX + 1], when[64], name[CTL_HISTORY_FIELD_MAX];

	if (q->by_hwaddr)
		ctl_fmt_hex(what, sizeof(what), q->hwaddr, q->hwlen);
	else
		ctl_fmt_ipv4(what, sizeof(what), q->address);
	ctl_fmt_time(when, sizeof(when), q->at);
	ctl_fmt_safe_text(name, sizeof(name), q->tenant, strlen(q->tenant));
	if (q->by_hwaddr)
		fprintf(h->out, "%s held no address in tenant %s at %s\n", what, name, when);
	else
		fprintf(h->out, "nobody held %s in tenant %s at %s\n", what, name, when);
}

/*
 * Events older than the retention are gone: a question about a time before the cutoff
 * may get an incomplete answer, and the operator is told so (stderr, as a note).
 */
static void ctl_history_note_cutoff(struct lease_reader *rd, const struct lease_history_query *q)
{
	int64_t cutoff = 0;
	char when[64];

	if (lease_reader_history_cutoff(rd, &cutoff) != 0 || cutoff == 0)
		return;
	if (q->at_set ? q->at >= cutoff : false)
		return;
	ctl_fmt_time(when, sizeof(when), cutoff);
	if (q->at_set)
		ctl_error("note: events before %s have been pruned (lease_db.events_retention);"
		          " this answer may be incomplete",
		          when);
	else
		ctl_error("note: events before %s have been pruned (lease_db.events_retention)",
		          when);
}

int ctl_history_run(const struct ctl_ctx *ctx, int argc, char **argv)
{
	static const char *const headers[CTL_HISTORY_NCOLS] = {
	    "TIME",     "EVENT", "ADDRESS",    "HWADDR", "CLIENT-ID",
	    "HOSTNAME", "RELAY", "CIRCUIT-ID", "VLAN",   "LEASE-END",
	};
	struct lease_history_query q = {0};
	struct ctl_history h = {0};
	struct lease_reader *rd;
	char *buf = NULL;
	size_t len = 0;
	int ret;

	ret = ctl_history_options(argc, argv, &q, &h.json);
	if (ret == -1)
		return ctl_command_help("history");
	if (ret != CTL_EXIT_OK)
		return ret;
	h.tenant = q.tenant;
	rd = ctl_open_reader(ctx);
	if (rd == NULL)
		return CTL_EXIT_RUNTIME;

	h.out = open_memstream(&buf, &len);
	if (!h.json)
		h.table = ctl_table_new(CTL_HISTORY_NCOLS, headers);
	if (h.out == NULL || (!h.json && h.table == NULL)) {
		ctl_error("out of memory");
		ret = -ENOMEM;
	} else {
		if (h.json)
			fputc('[', h.out);
		ret = lease_reader_history(rd, &q, ctl_history_each, &h);
	}
	if (ret == 0)
		ctl_history_note_cutoff(rd, &q);
	lease_reader_close(rd);

	if (ret == -ENOENT) {
		ctl_error("unknown tenant '%s'", q.tenant);
	} else if (ret == -EBADMSG) {
		ctl_error("the lease database has a damaged event (a value out of range)");
	} else if (ret != 0 && ret != -ENOMEM) {
		ctl_error("reading the history: %s", strerror(-ret));
	} else if (ret == 0) {
		if (h.json)
			fputs(h.n == 0 ? "]\n" : "\n]\n", h.out);
		else if (h.n == 0 && q.at_set)
			ctl_history_nobody(&h, &q);
		else
			ctl_table_print(h.table, h.out);
	}
	if (h.out != NULL && fclose(h.out) != 0 && ret == 0) {
		ctl_error("out of memory");
		ret = -ENOMEM;
	}
	ctl_table_free(h.table);
	if (ret == 0)
		ret = ctl_write_stdout(buf, len);
	else
		ret = CTL_EXIT_RUNTIME;
	free(buf);
	return ret;
}
