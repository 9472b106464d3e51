/*
 * One lease as a JSON object, the same for `leases --json` and `lease --json`: numbers for
 * times (Unix seconds) next to their ISO 8601 form, hex for binary identifiers, and null
 * for what the client did not send.
 */
#include <string.h>

#include "cli/ctl.h"

/* Room for any field of a lease record in text form (255 bytes as \xNN, plus NUL). */
#define CTL_FIELD_MAX (4 * 255 + 1)

static void ctl_json_hex(FILE *out, const char *key, const uint8_t *p, size_t len)
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

void ctl_lease_json(FILE *out, const char *tenant, const struct lease_record *r, time_t now)
{
	char buf[64];

	fputs("{\"tenant\": ", out);
	ctl_json_string(out, tenant, strlen(tenant));
	ctl_fmt_ipv4(buf, sizeof(buf), r->address);
	fprintf(out, ", \"address\": \"%s\"", buf);
	fprintf(out, ", \"state\": \"%s\"", lease_state_name(r->state));
	fprintf(out, ", \"hwtype\": %u", r->hwtype);
	ctl_json_hex(out, "hwaddr", r->hwaddr, r->hwlen);
	ctl_json_hex(out, "client_id", r->client_id, r->client_id_len);
	fputs(", \"hostname\": ", out);
	if (r->hostname_len == 0)
		fputs("null", out);
	else
		ctl_json_string(out, r->hostname, r->hostname_len);
	fprintf(out, ", \"start_time\": %lld, \"end_time\": %lld, \"cltt\": %lld",
	        (long long)r->start_time, (long long)r->end_time, (long long)r->cltt);
	if (r->end_time > now) {
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
	ctl_json_hex(out, "circuit_id", r->circuit_id, r->circuit_id_len);
	ctl_json_hex(out, "remote_id", r->remote_id, r->remote_id_len);
	fprintf(out, ", \"port\": %u, \"vlan_outer\": %u, \"vlan_inner\": %u", r->port,
	        r->vlan_outer, r->vlan_inner);
	fprintf(out, ", \"outside_pools\": %s}", r->outside_pools ? "true" : "false");
}
