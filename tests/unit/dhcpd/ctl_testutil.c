#include "ctl_testutil.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static struct tenant *ctl_fake_tenant(const char *name, uint32_t db_id, uint32_t first,
                                      uint32_t last)
{
	struct tenant *t = tenant_new();

	assert_non_null(t);
	snprintf(t->name, sizeof(t->name), "%s", name);
	assert_true(asprintf(&t->file, "/etc/mtdhcp/tenants.d/%s.conf", name) > 0);
	t->db_id = db_id;
	t->authoritative = true;
	t->offer_time = 30;
	t->subnets = calloc(1, sizeof(*t->subnets));
	assert_non_null(t->subnets);
	t->n_subnets = 1;
	t->subnets[0].network = CTL_IP(192, 168, 1, 0);
	t->subnets[0].mask = 0xffffff00u;
	t->subnets[0].prefix_len = 24;
	t->subnets[0].times.default_time = 600;
	t->subnets[0].times.min_time = 60;
	t->subnets[0].times.max_time = 3600;
	t->subnets[0].pools = calloc(1, sizeof(*t->subnets[0].pools));
	assert_non_null(t->subnets[0].pools);
	t->subnets[0].pools[0].first = first;
	t->subnets[0].pools[0].last = last;
	t->subnets[0].n_pools = 1;
	return t;
}

static const struct tenant_registry *fake_registry(void *ctx)
{
	return ((struct ctl_fake *)ctx)->reg;
}

static size_t fake_n_ports(void *ctx)
{
	return ((struct ctl_fake *)ctx)->n_ports;
}

static void fake_port(void *ctx, size_t i, struct ctl_port_info *out)
{
	*out = ((struct ctl_fake *)ctx)->ports[i];
}

size_t ctl_fake_index(const struct ctl_fake *f, const char *name)
{
	for (size_t i = 0; i < f->reg->n_tenants; i++) {
		if (strcmp(f->reg->tenants[i]->name, name) == 0)
			return i;
	}
	fail_msg("no tenant %s", name);
	return 0;
}

static size_t fake_index_of(const struct ctl_fake *f, const struct tenant *t)
{
	for (size_t i = 0; i < f->reg->n_tenants; i++) {
		if (f->reg->tenants[i] == t)
			return i;
	}
	fail_msg("a tenant that is not in the registry");
	return 0;
}

static void fake_counters(void *ctx, const struct tenant *t, struct tenant_counters *out)
{
	struct ctl_fake *f = ctx;

	*out = f->counters[fake_index_of(f, t)];
}

static void fake_pool_use(void *ctx, const struct tenant *t, struct ctl_pool_use *out)
{
	struct ctl_fake *f = ctx;

	*out = f->use[fake_index_of(f, t)];
}

static bool fake_store(void *ctx, struct lease_store_stats *out)
{
	*out = ((struct ctl_fake *)ctx)->store;
	return true;
}

static size_t fake_n_lcores(void *ctx)
{
	return ((struct ctl_fake *)ctx)->n_lcores;
}

static void fake_lcore(void *ctx, size_t i, struct ctl_lcore_info *out)
{
	*out = ((struct ctl_fake *)ctx)->lcores[i];
}

/*
 * Lcore 0 at 2 GHz, 2 s running, 25 % busy: 200,000 frames (190,000 received, 10,000
 * handed in), 5,000 cycles a frame in all, of which the stages take round numbers (rx 400,
 * parse 75, classify 250, handoff 50, engine 1,500, completion 100, tx 0).
 */
static void ctl_fake_lcores(struct ctl_fake *f)
{
	static const struct ctl_lcore_stage stages[] = {
	    {"rx", 80000000, 190000},
	    {"parse", 15000000, 190000},
	    {"classify", 50000000, 150000},
	    {"handoff", 10000000, 60000},
	    {"engine", 300000000, 100000},
	    {"completion", 20000000, 50000},
	    {"tx", 0, 0},
	};

	f->n_lcores = 2;
	f->lcores[0] = (struct ctl_lcore_info){.index = 0,
	                                       .lcore_id = 0,
	                                       .tenants = 1,
	                                       .tsc_hz = 2000000000,
	                                       .running_cycles = 4000000000,
	                                       .frames = 200000,
	                                       .busy_cycles = 1000000000,
	                                       .busy_loops = 5000,
	                                       .handoff_out = 50000,
	                                       .handoff_in = 10000,
	                                       .handoff_full = 3,
	                                       .yields = 7};
	f->lcores[1] = (struct ctl_lcore_info){.index = 1,
	                                       .lcore_id = 3,
	                                       .tenants = 1,
	                                       .tsc_hz = 2000000000,
	                                       .running_cycles = 4000000000};
	for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++) {
		f->lcores[0].stages[i] = stages[i];
		f->lcores[1].stages[i] = (struct ctl_lcore_stage){stages[i].name, 0, 0};
	}
	f->lcores[0].n_stages = f->lcores[1].n_stages = sizeof(stages) / sizeof(stages[0]);
}

static int fake_release(void *ctx, const struct tenant *t, uint32_t address)
{
	struct ctl_fake *f = ctx;

	f->n_release++;
	f->released_tenant = t->db_id;
	f->released_addr = address;
	return f->release_rc;
}

static enum ctl_status fake_reload(void *ctx, struct ctl_reply *reply)
{
	struct ctl_fake *f = ctx;

	f->n_reload++;
	if (f->reload_status != CTL_OK) {
		reply->details =
		    json_pack("{s:[{s:s, s:i, s:s, s:s}]}", "problems", "file", "/t/bad.conf",
		              "line", 3, "setting", "subnets", "message", "broken");
		return ctl_reply_error(reply, f->reload_status, "1 tenant file has errors");
	}
	reply->result = json_pack("{s:[s], s:[], s:[]}", "added", "initech", "changed", "removed");
	return CTL_OK;
}

void ctl_fake_init(struct ctl_fake *f, bool with_reload)
{
	char err[256];
	struct tenant **ts = calloc(2, sizeof(*ts));

	memset(f, 0, sizeof(*f));
	assert_non_null(ts);
	ts[0] = ctl_fake_tenant("acme", 1, CTL_IP(192, 168, 1, 100), CTL_IP(192, 168, 1, 199));
	ts[0]->match.relays = calloc(1, sizeof(uint32_t));
	ts[0]->match.relays[0] = CTL_IP(192, 168, 1, 1);
	ts[0]->match.n_relays = 1;
	/* A circuit-id and a relay prefix as well, and a lease cap. */
	ts[0]->match.keys = calloc(1, sizeof(*ts[0]->match.keys));
	ts[0]->match.keys[0] = (struct tenant_key){.kind = TENANT_KEY_CIRCUIT_ID, .len = 5};
	memcpy(ts[0]->match.keys[0].bytes, "ar-br", 5);
	ts[0]->match.n_keys = 1;
	ts[0]->match.prefixes = calloc(1, sizeof(*ts[0]->match.prefixes));
	ts[0]->match.prefixes[0] = (struct tenant_prefix){
	    .addr = CTL_IP(10, 1, 0, 0), .len = 16, .kind = TENANT_PREFIX_RELAY};
	ts[0]->match.n_prefixes = 1;
	ts[0]->limits.max_leases = 50;
	ts[1] = ctl_fake_tenant("globex", 2, CTL_IP(192, 168, 1, 10), CTL_IP(192, 168, 1, 59));
	ts[1]->match.vlans = calloc(1, sizeof(*ts[1]->match.vlans));
	ts[1]->match.vlans[0] = (struct tenant_vlan_key){.port = 0, .outer = 100, .inner = 0};
	ts[1]->match.n_vlans = 1;
	ts[1]->server_address = CTL_IP(192, 168, 1, 254);
	f->reg = tenant_registry_build(ts, 2, err, sizeof(err));
	if (f->reg == NULL)
		fail_msg("registry: %s", err);
	f->n_ports = 2;
	f->ports[0] = (struct ctl_port_info){.name = "uplink",
	                                     .address = CTL_IP(10, 0, 1, 1),
	                                     .prefix_len = 24,
	                                     .rx = 1000,
	                                     .tx = 900,
	                                     .n_drops = 2,
	                                     .drops = {{"no_tenant", 7}, {"bad_udp", 2}},
	                                     .n_classified = 2,
	                                     .classified = {{"circuit-id", 40}, {"vlan", 5}},
	                                     .relay_info_ignored = 3};
	f->ports[1] = (struct ctl_port_info){
	    .name = "backup", .address = CTL_IP(10, 0, 2, 1), .prefix_len = 24};
	ctl_fake_lcores(f);
	f->backend = (struct ctl_backend){
	    .ctx = f,
	    .version = "9.8.7",
	    .started = 1000,
	    .registry = fake_registry,
	    .n_ports = fake_n_ports,
	    .port = fake_port,
	    .n_lcores = fake_n_lcores,
	    .lcore = fake_lcore,
	    .tenant_counters = fake_counters,
	    .pool_use = fake_pool_use,
	    .store_stats = fake_store,
	    .release = fake_release,
	    .reload = with_reload ? fake_reload : NULL,
	};
}

void ctl_fake_free(struct ctl_fake *f)
{
	tenant_registry_free(f->reg);
	f->reg = NULL;
}

json_t *ctl_fake_call(const struct ctl_handler_table *table, const char *line)
{
	size_t len = 0;
	char *out = ctl_proto_handle(table, line, strlen(line), NULL, &len);
	json_error_t jerr;

	assert_non_null(out);
	assert_true(len > 0);
	assert_int_equal(out[len - 1], '\n');
	assert_null(memchr(out, '\n', len - 1));
	json_t *v = json_loadb(out, len, 0, &jerr);

	if (v == NULL)
		fail_msg("response is not JSON: %s (%s)", out, jerr.text);
	assert_true(json_is_object(v));
	free(out);
	return v;
}
