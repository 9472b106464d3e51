/*
 * mtdhcpctl lease TENANT ADDRESS: everything the database knows of one lease — client,
 * times, and how the client reached us (relay address, option 82 circuit-id and remote-id
 * of RFC 3046, port and VLAN tags) — read from the database, so it works with the daemon
 * down too.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl.h"

#define CTL_FIELD_MAX (4 * 255 + 1)

/* A relay sub-option: its text when it is all printable, and always its octets in hex. */
static void ctl_lease_relay_id(FILE *out, const char *label, const uint8_t *p, size_t len)
{
	char hex[3 * 255 + 1], text[CTL_FIELD_MAX];
	bool printable = len > 0;

	for (size_t i = 0; i < len; i++)
		printable = printable && p[i] >= 0x20 && p[i] < 0x7f;
	fprintf(out, "%-13s", label);
	if (len == 0) {
		fputs("-\n", out);
		return;
	}
	ctl_fmt_hex(hex, sizeof(hex), p, len);
	if (printable) {
		ctl_fmt_safe_text(text, sizeof(text), (const char *)p, len);
		fprintf(out, "\"%s\" (%s)\n", text, hex);
	} else {
		fprintf(out, "%s\n", hex);
	}
}

static void ctl_lease_text(FILE *out, const char *tenant, const struct lease_record *r, time_t now)
{
	char buf[CTL_FIELD_MAX], when[64], dur[32];

	ctl_fmt_safe_text(buf, sizeof(buf), tenant, strnlen(tenant, 255));
	fprintf(out, "%-13s%s\n", "tenant", buf);
	ctl_fmt_ipv4(buf, sizeof(buf), r->address);
	fprintf(out, "%-13s%s\n", "address", buf);
	fprintf(out, "%-13s%s%s\n", "state", lease_state_name(r->state),
	        r->outside_pools ? " (outside the configured pools; kept until it ends)" : "");
	ctl_fmt_hex(buf, sizeof(buf), r->hwaddr, r->hwlen);
	fprintf(out, "%-13s%s (hardware type %u)\n", "hwaddr", r->hwlen ? buf : "-", r->hwtype);
	ctl_fmt_hex(buf, sizeof(buf), r->client_id, r->client_id_len);
	fprintf(out, "%-13s%s\n", "client-id", r->client_id_len ? buf : "-");
	ctl_fmt_safe_text(buf, sizeof(buf), r->hostname, r->hostname_len);
	fprintf(out, "%-13s%s\n", "hostname", r->hostname_len ? buf : "-");
	ctl_fmt_time(when, sizeof(when), r->start_time);
	fprintf(out, "%-13s%s\n", "start", when);
	ctl_fmt_time(when, sizeof(when), r->end_time);
	if (r->end_time > now) {
		ctl_fmt_duration(dur, sizeof(dur), r->end_time - now);
		fprintf(out, "%-13s%s (in %s)\n", "ends", when, dur);
	} else {
		ctl_fmt_duration(dur, sizeof(dur), now - r->end_time);
		fprintf(out, "%-13s%s (%s ago)\n", "ended", when, dur);
	}
	ctl_fmt_time(when, sizeof(when), r->cltt);
	fprintf(out, "%-13s%s\n", "last-contact", when);
	if (r->giaddr != 0) {
		ctl_fmt_ipv4(buf, sizeof(buf), r->giaddr);
		fprintf(out, "%-13s%s\n", "relay", buf);
	} else {
		fprintf(out, "%-13s%s\n", "relay", "- (the client was on a directly served link)");
	}
	ctl_lease_relay_id(out, "circuit-id", r->circuit_id, r->circuit_id_len);
	ctl_lease_relay_id(out, "remote-id", r->remote_id, r->remote_id_len);
	fprintf(out, "%-13s%u\n", "port", r->port);
	if (r->vlan_outer == 0)
		fprintf(out, "%-13s%s\n", "vlan", "- (untagged)");
	else if (r->vlan_inner == 0)
		fprintf(out, "%-13s%u\n", "vlan", r->vlan_outer);
	else
		fprintf(out, "%-13s%u, inner %u (QinQ)\n", "vlan", r->vlan_outer, r->vlan_inner);
}

int ctl_lease_run(const struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct lease_record *rec;
	struct lease_reader *rd;
	bool json = false;
	uint32_t addr;
	int c, ret;

	opterr = 0;
	/* No "+": options may follow TENANT ADDRESS. */
	while ((c = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
		if (c == 'h')
			return ctl_command_help("lease");
		if (c != 'j')
			return ctl_opt_error("lease", c, argv);
		json = true;
	}
	if (argc - optind != 2)
		return ctl_usage_error("lease", "lease takes a tenant and an address");
	const char *tenant = argv[optind], *text = argv[optind + 1];

	if (!ctl_parse_ipv4(text, &addr))
		return ctl_usage_error("lease", "'%s' is not an IPv4 address", text);
	rec = calloc(1, sizeof(*rec));
	if (rec == NULL) {
		ctl_error("out of memory");
		return CTL_EXIT_RUNTIME;
	}
	rd = ctl_open_reader(ctx);
	if (rd == NULL) {
		free(rec);
		return CTL_EXIT_RUNTIME;
	}
	ret = lease_reader_get(rd, tenant, addr, rec);
	lease_reader_close(rd);
	if (ret == -ENOENT) {
		ctl_error("unknown tenant '%s'", tenant);
	} else if (ret == -ENODATA) {
		ctl_error("tenant %s has no lease on %s", tenant, text);
	} else if (ret == -EBADMSG) {
		ctl_error("the lease database has a damaged row (a value out of range)");
	} else if (ret != 0) {
		ctl_error("reading the lease: %s", strerror(-ret));
	} else {
		char *buf = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&buf, &len);

		if (out == NULL) {
			ctl_error("out of memory");
			ret = -ENOMEM;
		} else {
			if (json) {
				ctl_lease_json(out, tenant, rec, time(NULL));
				fputc('\n', out);
			} else {
				ctl_lease_text(out, tenant, rec, time(NULL));
			}
			ret = fclose(out) == 0 ? ctl_write_stdout(buf, len) : CTL_EXIT_RUNTIME;
			free(buf);
			free(rec);
			return ret;
		}
	}
	free(rec);
	return CTL_EXIT_RUNTIME;
}
