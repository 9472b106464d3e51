/*
 * The Prometheus text exposition format (version 0.0.4): for each metric family one
 * "# HELP" and one "# TYPE" line, then all of its samples together. Counters end in
 * _total; labels name the tenant, the port, the lcore and the reason, message type or
 * stage.
 *
 * The per-tenant counters are mapped to families by their stable names (tenants/counters.c),
 * so a counter added there appears here without a change: rx_<type> are received messages,
 * tx_<type> sent ones, drop_<reason> drops, request_<state> REQUESTs by client state, and
 * any other name becomes a family of its own; the gauges among them (tenant_counter_is_gauge:
 * active leases, pool use) are gauges named after the counter, without _total.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dhcpd/metrics.h"

#define METRICS_PREFIX "mtdhcp_"

/* A family of tenant counters that share a name and differ by one label. */
struct metrics_family {
	const char *prefix; /* of the counter names it takes, e.g. "rx_" */
	const char *name;   /* the metric's name, without METRICS_PREFIX */
	const char *label;  /* the label that carries the rest of the counter's name */
	const char *help;
};

static const struct metrics_family metrics_families[] = {
    {"rx_", "tenant_received_total", "type", "DHCP messages received, by message type."},
    {"tx_", "tenant_sent_total", "type", "DHCP messages sent, by message type."},
    {"drop_", "tenant_dropped_total", "reason",
     "DHCP messages dropped, by reason (malformed includes the parse failures)."},
    {"request_", "tenant_requests_total", "state",
     "DHCPREQUESTs by client state (RFC 2131 4.3.2)."},
};

#define METRICS_N_FAMILIES (sizeof(metrics_families) / sizeof(metrics_families[0]))

/* The family of counter @name, or METRICS_N_FAMILIES when it has one of its own. */
static size_t metrics_family_of(const char *name)
{
	for (size_t f = 0; f < METRICS_N_FAMILIES; f++) {
		if (strncmp(name, metrics_families[f].prefix, strlen(metrics_families[f].prefix)) ==
		    0)
			return f;
	}
	return METRICS_N_FAMILIES;
}

/* A label value: backslash, double quote and newline escaped (the format's rules). */
static void metrics_label(FILE *out, const char *v)
{
	fputc('"', out);
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(out, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", out);
		else
			fputc(*v, out);
	}
	fputc('"', out);
}

static void metrics_head(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP " METRICS_PREFIX "%s %s\n# TYPE " METRICS_PREFIX "%s %s\n", name, help,
	        name, type);
}

/* One sample with one or two labels (@k2 NULL for one). */
static void metrics_sample(FILE *out, const char *name, const char *k1, const char *v1,
                           const char *k2, const char *v2, unsigned long long value)
{
	fprintf(out, METRICS_PREFIX "%s{%s=", name, k1);
	metrics_label(out, v1);
	if (k2 != NULL) {
		fprintf(out, ",%s=", k2);
		metrics_label(out, v2);
	}
	fprintf(out, "} %llu\n", value);
}

/* Every tenant's counters, gathered once so that each family is printed whole. */
static void metrics_tenants(FILE *out, const struct tenant_registry *reg,
                            const struct tenant_counters *c)
{
	size_t n = reg->n_tenants;

	for (size_t f = 0; f < METRICS_N_FAMILIES; f++) {
		const struct metrics_family *fam = &metrics_families[f];
		bool head = false;

		for (size_t k = 0; k < TC__COUNT; k++) {
			const char *cname = tenant_counter_name((enum tenant_counter)k);

			if (tenant_counter_is_gauge((enum tenant_counter)k) ||
			    metrics_family_of(cname) != f)
				continue;
			if (!head) {
				metrics_head(out, fam->name, "counter", fam->help);
				head = true;
			}
			for (size_t i = 0; i < n; i++)
				metrics_sample(out, fam->name, "tenant", reg->tenants[i]->name,
				               fam->label, cname + strlen(fam->prefix),
				               (unsigned long long)c[i].v[k]);
		}
	}
	for (size_t k = 0; k < TC__COUNT; k++) {
		const char *cname = tenant_counter_name((enum tenant_counter)k);
		bool gauge = tenant_counter_is_gauge((enum tenant_counter)k);
		char name[96], help[128];

		if (!gauge && metrics_family_of(cname) != METRICS_N_FAMILIES)
			continue;
		snprintf(name, sizeof(name), gauge ? "tenant_%s" : "tenant_%s_total", cname);
		snprintf(help, sizeof(help), "Per-tenant %s %s (mtdhcpctl stats).",
		         gauge ? "value" : "counter", cname);
		metrics_head(out, name, gauge ? "gauge" : "counter", help);
		for (size_t i = 0; i < n; i++)
			metrics_sample(out, name, "tenant", reg->tenants[i]->name, NULL, NULL,
			               (unsigned long long)c[i].v[k]);
	}
}

static void metrics_ports(FILE *out, const struct ctl_port_info *p, size_t n)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} counters[] = {
	    {"port_received_frames_total", "Frames received on the port.",
	     offsetof(struct ctl_port_info, rx)},
	    {"port_sent_frames_total", "Frames sent on the port.",
	     offsetof(struct ctl_port_info, tx)},
	    {"port_tx_dropped_total", "Frames the port did not take for sending.",
	     offsetof(struct ctl_port_info, tx_dropped)},
	    {"port_arp_replies_total", "ARP replies sent for the server's addresses.",
	     offsetof(struct ctl_port_info, arp_replies)},
	    {"port_icmp_replies_total", "ICMP echo replies sent.",
	     offsetof(struct ctl_port_info, icmp_replies)},
	    {"port_relay_info_ignored_total",
	     "DHCP requests whose relay information (giaddr, option 82, option 221) came off a "
	     "relay link and was ignored.",
	     offsetof(struct ctl_port_info, relay_info_ignored)},
	};

	for (size_t k = 0; k < sizeof(counters) / sizeof(counters[0]); k++) {
		metrics_head(out, counters[k].name, "counter", counters[k].help);
		for (size_t i = 0; i < n; i++) {
			uint64_t v;

			memcpy(&v, (const char *)&p[i] + counters[k].off, sizeof(v));
			metrics_sample(out, counters[k].name, "port", p[i].name, NULL, NULL,
			               (unsigned long long)v);
		}
	}
	metrics_head(out, "port_dropped_frames_total", "counter",
	             "Frames received and dropped, by reason.");
	for (size_t i = 0; i < n; i++) {
		for (size_t d = 0; d < p[i].n_drops; d++)
			metrics_sample(out, "port_dropped_frames_total", "port", p[i].name,
			               "reason", p[i].drops[d].name,
			               (unsigned long long)p[i].drops[d].value);
	}
	metrics_head(out, "port_classified_frames_total", "counter",
	             "DHCP frames given a tenant, by the kind of key that chose it.");
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < p[i].n_classified; k++)
			metrics_sample(out, "port_classified_frames_total", "port", p[i].name,
			               "key", p[i].classified[k].name,
			               (unsigned long long)p[i].classified[k].value);
	}
}

/*
 * The lcores (docs/performance.md), labelled by their index (`lcore`, 0 = the main lcore;
 * the EAL's id is in mtdhcp_lcore_info). Cycles per frame by stage and the busy share are
 * ratios of these counters over a window, e.g. rate(mtdhcp_lcore_busy_cycles_total[1m]) /
 * mtdhcp_lcore_tsc_hz, so only the counters are exported.
 */
static void metrics_lcores(FILE *out, const struct ctl_lcore_info *l, size_t n)
{
	static const struct {
		const char *name, *type, *help;
		size_t off;
	} values[] = {
	    {"lcore_tenants", "gauge", "Tenants the lcore owns (database id modulo lcores).",
	     offsetof(struct ctl_lcore_info, tenants)},
	    {"lcore_tsc_hz", "gauge", "The frequency of the TSC its cycles are counted in.",
	     offsetof(struct ctl_lcore_info, tsc_hz)},
	    {"lcore_frames_total", "counter",
	     "Frames the lcore worked on: received on its queues or handed to it.",
	     offsetof(struct ctl_lcore_info, frames)},
	    {"lcore_busy_cycles_total", "counter",
	     "TSC cycles of the lcore's loops that found work, overhead included.",
	     offsetof(struct ctl_lcore_info, busy_cycles)},
	    {"lcore_busy_loops_total", "counter", "Loops of the lcore that found work.",
	     offsetof(struct ctl_lcore_info, busy_loops)},
	    {"lcore_handoff_out_frames_total", "counter",
	     "DHCP frames passed to the lcore that owns their tenant.",
	     offsetof(struct ctl_lcore_info, handoff_out)},
	    {"lcore_handoff_in_frames_total", "counter", "DHCP frames taken from other lcores.",
	     offsetof(struct ctl_lcore_info, handoff_in)},
	    {"lcore_handoff_full_frames_total", "counter",
	     "DHCP frames freed because the owner's hand-off ring was full.",
	     offsetof(struct ctl_lcore_info, handoff_full)},
	    {"lcore_yields_total", "counter",
	     "Loops that gave the CPU away because the lease writer was behind.",
	     offsetof(struct ctl_lcore_info, yields)},
	};
	char idx[16], id[16];

	if (n == 0)
		return;
	metrics_head(out, "lcore_info", "gauge", "A dataplane lcore; eal_lcore is its EAL id.");
	for (size_t i = 0; i < n; i++) {
		snprintf(idx, sizeof(idx), "%u", l[i].index);
		snprintf(id, sizeof(id), "%u", l[i].lcore_id);
		metrics_sample(out, "lcore_info", "lcore", idx, "eal_lcore", id, 1);
	}
	for (size_t k = 0; k < sizeof(values) / sizeof(values[0]); k++) {
		metrics_head(out, values[k].name, values[k].type, values[k].help);
		for (size_t i = 0; i < n; i++) {
			uint64_t v;

			memcpy(&v, (const char *)&l[i] + values[k].off, sizeof(v));
			snprintf(idx, sizeof(idx), "%u", l[i].index);
			metrics_sample(out, values[k].name, "lcore", idx, NULL, NULL,
			               (unsigned long long)v);
		}
	}
	metrics_head(out, "lcore_stage_cycles_total", "counter",
	             "TSC cycles the lcore spent in each stage of its loop.");
	for (size_t i = 0; i < n; i++) {
		snprintf(idx, sizeof(idx), "%u", l[i].index);
		for (size_t k = 0; k < l[i].n_stages && k < CTL_LCORE_STAGES_MAX; k++)
			metrics_sample(out, "lcore_stage_cycles_total", "lcore", idx, "stage",
			               l[i].stages[k].name,
			               (unsigned long long)l[i].stages[k].cycles);
	}
	metrics_head(out, "lcore_stage_items_total", "counter",
	             "What each stage handled: frames, DHCP messages or completions.");
	for (size_t i = 0; i < n; i++) {
		snprintf(idx, sizeof(idx), "%u", l[i].index);
		for (size_t k = 0; k < l[i].n_stages && k < CTL_LCORE_STAGES_MAX; k++)
			metrics_sample(out, "lcore_stage_items_total", "lcore", idx, "stage",
			               l[i].stages[k].name,
			               (unsigned long long)l[i].stages[k].items);
	}
}

static void metrics_store(FILE *out, const struct lease_store_stats *s)
{
	const struct {
		const char *name, *help;
		uint64_t v;
	} c[] = {
	    {"lease_store_submitted_total", "Lease changes queued for the writer.", s->submitted},
	    {"lease_store_rejected_full_total", "Lease changes refused: the queue was full.",
	     s->rejected_full},
	    {"lease_store_committed_total", "Lease changes committed.", s->committed},
	    {"lease_store_failed_total", "Lease changes whose transaction failed.", s->failed},
	    {"lease_store_transactions_total", "Transactions of lease changes committed.",
	     s->transactions},
	    {"lease_store_expired_total", "Active leases the writer found ended.", s->expired},
	    {"lease_store_maintenance_failed_total", "Maintenance transactions that failed.",
	     s->maint_failed},
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		metrics_head(out, c[i].name, "counter", c[i].help);
		fprintf(out, METRICS_PREFIX "%s %llu\n", c[i].name, (unsigned long long)c[i].v);
	}
}

char *metrics_render(const struct ctl_backend *b, size_t *len)
{
	const struct tenant_registry *reg = b->registry(b->ctx);
	size_t nt = reg != NULL ? reg->n_tenants : 0;
	size_t np = b->n_ports != NULL ? b->n_ports(b->ctx) : 0;
	size_t nl = b->n_lcores != NULL ? b->n_lcores(b->ctx) : 0;
	struct tenant_counters *c = calloc(nt ? nt : 1, sizeof(*c));
	struct ctl_port_info *ports = calloc(np ? np : 1, sizeof(*ports));
	struct ctl_lcore_info *lcores = calloc(nl ? nl : 1, sizeof(*lcores));
	struct lease_store_stats ss;
	char *buf = NULL;
	FILE *out = NULL;

	if (c == NULL || ports == NULL || lcores == NULL)
		goto done;
	for (size_t i = 0; i < nt; i++)
		b->tenant_counters(b->ctx, reg->tenants[i], &c[i]);
	for (size_t i = 0; i < np; i++)
		b->port(b->ctx, i, &ports[i]);
	for (size_t i = 0; i < nl; i++)
		b->lcore(b->ctx, i, &lcores[i]);
	out = open_memstream(&buf, len);
	if (out == NULL)
		goto done;
	metrics_head(out, "info", "gauge", "The running mtdhcpd; its version is a label.");
	fprintf(out, METRICS_PREFIX "info{version=");
	metrics_label(out, b->version);
	fputs("} 1\n", out);
	metrics_head(out, "start_time_seconds", "gauge", "When mtdhcpd started (Unix time).");
	fprintf(out, METRICS_PREFIX "start_time_seconds %lld\n", (long long)b->started);
	metrics_head(out, "tenants", "gauge", "Tenants in the configuration in force.");
	fprintf(out, METRICS_PREFIX "tenants %zu\n", nt);
	if (reg != NULL)
		metrics_tenants(out, reg, c);
	metrics_ports(out, ports, np);
	metrics_lcores(out, lcores, nl);
	if (b->store_stats != NULL && b->store_stats(b->ctx, &ss))
		metrics_store(out, &ss);
	if (fclose(out) != 0) {
		free(buf);
		buf = NULL;
	}
done:
	free(c);
	free(ports);
	free(lcores);
	return buf;
}
