/*
 * Issue 4 "Scale", in two parts:
 *
 * 1. Tenants at scale: 1,000 generated tenant files loaded the way `mtdhcpd --check` and
 *    the daemon load them (conf_load, then tenant_registry_build), with the time each
 *    takes, and the memory an idle tenant costs: the tenant model in the registry, and
 *    the engine's instance (pool set and counters) measured as heap in use and RSS with
 *    1,000 tenants (pools of 100 addresses) against none.
 *
 * 2. Classification cost: ns per frame through dp_classify_request (scan of the DHCP
 *    options, then the lookups in precedence order) for registries of 1, 100 and 10,000
 *    tenants, for each kind of key. Each frame needs exactly the named key, so the cost
 *    includes the misses on every key that comes before it. Frames go to tenants picked
 *    at random, so large registries pay their cache misses.
 *
 * Output is a report; nothing is compared against a threshold here (the unit test
 * test_match_conf checks the one-second bound for 1,000 tenant files).
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "conf/conf.h"
#include "dataplane/dp_classify.h"
#include "dhcpd/dhcp_engine.h"
#include "lease-store/lease_store.h"
#include "tenants/registry.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_classify: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* --- part 1: tenants at scale --- */

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, resident = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		die(path);
}

static void write_tenants(const char *dir, unsigned n)
{
	char path[512], text[1024];

	snprintf(path, sizeof(path), "%s/tenants.d", dir);
	if (mkdir(path, 0755) && errno != EEXIST)
		die(path);
	snprintf(path, sizeof(path), "%s/mtdhcpd.conf", dir);
	write_file(path, "dataplane = { ports = ( { name = \"uplink\"; device = \"net_null0\";\n"
	                 "  address = \"10.0.1.1/24\"; } ); };\n"
	                 "lease_db = { path = \"leases.db\"; durability = \"async\"; };\n"
	                 "tenants_dir = \"tenants.d\";\n");
	for (unsigned i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/tenants.d/t%05u.conf", dir, i);
		snprintf(text, sizeof(text),
		         "match = { relays = [ \"10.%u.%u.1\" ];\n"
		         "  circuit_ids = [ \"Ethernet%u/0/1\" ]; vss = [ \"vpn-%u\" ];\n"
		         "  vlans = ( { port = \"uplink\"; vlan = %u; } ); };\n"
		         "server_address = \"192.168.1.254\";\n"
		         "options = { routers = [ \"192.168.1.254\" ]; domain-name = "
		         "\"t%u.example\"; };\n"
		         "subnets = ( { subnet = \"192.168.1.0/24\";\n"
		         "  pools = ( { first = \"192.168.1.100\"; last = \"192.168.1.199\"; } ); "
		         "} );\n",
		         i / 256, i % 256, i, i, 1 + i % 4094, i);
		write_file(path, text);
	}
}

static void report(void *ctx, const char *file, int line, const char *setting, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s:%d: %s: %s\n", file, line, setting, msg);
}

static void no_tx(void *ctx, const struct dhcp_reply *reply, const uint8_t *msg, size_t len)
{
	(void)ctx;
	(void)reply;
	(void)msg;
	(void)len;
}

static void rmtree(const char *dir, unsigned n)
{
	char path[512];
	static const char *const files[] = {"mtdhcpd.conf", "leases.db", "leases.db-wal",
	                                    "leases.db-shm", "leases.db.lock"};

	for (unsigned i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/tenants.d/t%05u.conf", dir, i);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/tenants.d", dir);
	rmdir(path);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void part_scale(unsigned n)
{
	char dir[] = "/tmp/mtdhcp-bench-XXXXXX", svc[256], err[512];
	struct conf *conf;
	struct tenant **tenants;
	struct tenant_registry *reg;
	struct lease_store *store;
	struct dhcp_engine *engine;
	size_t got, heap0, heap1, heap2, heap3;
	long rss0, rss2, rss3;
	double t0, t1, t2;

	if (!mkdtemp(dir))
		die("mkdtemp");
	write_tenants(dir, n);
	snprintf(svc, sizeof(svc), "%s/mtdhcpd.conf", dir);

	/* The store and an engine serving nobody: the baseline. */
	struct lease_store_params lp = {.path = NULL,
	                                .synchronous_full = false,
	                                .batch_max = 256,
	                                .batch_usec = 200,
	                                .queue_size = 1024,
	                                .n_owners = 1,
	                                .events_retention_days = 30,
	                                .maint_interval_ms = 60000};
	char db[300];
	snprintf(db, sizeof(db), "%s/leases.db", dir);
	lp.path = db;
	store = lease_store_open(&lp, err, sizeof(err));
	if (!store) {
		fprintf(stderr, "bench_classify: %s\n", err);
		exit(1);
	}
	struct dhcp_engine_params ep = {
	    .owner = 0, .store = store, .tx = no_tx, .max_pending = 1024};
	engine = dhcp_engine_create(&ep);
	if (!engine)
		die("dhcp_engine_create");
	malloc_trim(0);
	heap0 = heap_in_use();
	rss0 = rss_kib();

	t0 = now_sec();
	if (conf_load(svc, &conf, report, NULL))
		die("conf_load");
	t1 = now_sec();
	tenants = conf_take_tenants(conf, &got);
	for (size_t i = 0; i < got; i++) {
		if (lease_store_tenant_id(store, tenants[i]->name, &tenants[i]->db_id))
			die("lease_store_tenant_id");
	}
	t2 = now_sec();
	reg = tenant_registry_build(tenants, got, err, sizeof(err));
	double t3 = now_sec();
	if (!reg) {
		fprintf(stderr, "bench_classify: %s\n", err);
		exit(1);
	}
	conf_free(conf);
	malloc_trim(0);
	heap1 = heap_in_use();

	heap2 = heap_in_use();
	rss2 = rss_kib();
	double t4 = now_sec();
	for (size_t i = 0; i < reg->n_tenants; i++) {
		if (dhcp_engine_add_tenant(engine, reg->tenants[i], (int64_t)time(NULL)))
			die("dhcp_engine_add_tenant");
	}
	double t5 = now_sec();
	heap3 = heap_in_use();
	rss3 = rss_kib();

	printf("tenants at scale: %u tenant files (one /24, a pool of 100 addresses, a relay, a\n"
	       "circuit-id, a VSS name and a VLAN each)\n",
	       n);
	printf("  conf_load (what mtdhcpd --check does)  %8.1f ms\n", (t1 - t0) * 1e3);
	printf("  tenant ids from the lease database     %8.1f ms\n", (t2 - t1) * 1e3);
	printf("  tenant_registry_build                  %8.1f ms\n", (t3 - t2) * 1e3);
	printf("  engine: instances for every tenant     %8.1f ms\n", (t5 - t4) * 1e3);
	printf("  total                                  %8.1f ms\n", (t3 - t0 + t5 - t4) * 1e3);
	printf("memory of an idle tenant (heap in use / RSS, divided by %u):\n", n);
	printf("  tenant model and registry tables       %8.0f B\n", (double)(heap1 - heap0) / n);
	printf("  engine instance (pool set, counters)   %8.0f B heap, %8.0f B RSS\n",
	       (double)(heap3 - heap2) / n, (double)(rss3 - rss2) * 1024 / n);
	printf("  whole process with %u tenants: RSS %ld KiB (%ld KiB with none)\n\n", n, rss3,
	       rss0);

	dhcp_engine_destroy(engine);
	lease_store_close(store);
	tenant_registry_free(reg);
	rmtree(dir, n);
}

/* --- part 2: classification cost --- */

enum kind {
	K_VSS,
	K_CIRCUIT,
	K_REMOTE,
	K_CIRCUIT_PFX,
	K_REMOTE_PFX,
	K_LINK,
	K_RELAY,
	K_RELAY_PFX,
	K_VLAN,
	K_QINQ,
	K_DEFAULT,
	K__COUNT
};

static const char *const kind_names[K__COUNT] = {
    "vss (82.151)",
    "circuit-id",
    "remote-id",
    "circuit-id prefix",
    "remote-id prefix",
    "link-selection",
    "giaddr",
    "giaddr prefix",
    "vlan",
    "qinq",
    "default (every relay key missed)",
};

static struct tenant *bench_tenant(unsigned i)
{
	struct tenant *t = tenant_new();
	struct tenant_match *m;
	char s[64];
	int n;

	if (!t)
		die("tenant_new");
	snprintf(t->name, sizeof(t->name), "t%05u", i);
	m = &t->match;
	m->relays = calloc(1, sizeof(*m->relays));
	m->vlans = calloc(2, sizeof(*m->vlans));
	m->prefixes = calloc(2, sizeof(*m->prefixes));
	m->keys = calloc(5, sizeof(*m->keys));
	if (!m->relays || !m->vlans || !m->prefixes || !m->keys)
		die("calloc");
	m->relays[m->n_relays++] = IP(100, 64, 0, 0) + i;
	m->vlans[m->n_vlans++] =
	    (struct tenant_vlan_key){(uint16_t)(i % 4), (uint16_t)(1 + i / 4 % 4094), 0};
	m->vlans[m->n_vlans++] =
	    (struct tenant_vlan_key){(uint16_t)(4 + i % 4), (uint16_t)(1 + i / 4 % 4094), 100};
	m->prefixes[m->n_prefixes++] = (struct tenant_prefix){
	    .addr = IP(100, 100, 0, 0) + (i << 8), .len = 24, .kind = TENANT_PREFIX_RELAY};
	m->prefixes[m->n_prefixes++] = (struct tenant_prefix){
	    .addr = IP(10, 128, 0, 0) + (i << 8), .len = 24, .kind = TENANT_PREFIX_LINK};
	n = snprintf(s, sizeof(s), "vpn-%u", i);
	m->keys[0].kind = TENANT_KEY_VSS;
	m->keys[0].bytes[0] = 0;
	memcpy(m->keys[0].bytes + 1, s, (size_t)n);
	m->keys[0].len = (uint8_t)(n + 1);
	static const uint8_t kinds[4] = {TENANT_KEY_CIRCUIT_ID, TENANT_KEY_REMOTE_ID,
	                                 TENANT_KEY_CIRCUIT_ID_PREFIX, TENANT_KEY_REMOTE_ID_PREFIX};
	for (int k = 0; k < 4; k++) {
		struct tenant_key *key = &m->keys[1 + k];
		char *b = (char *)key->bytes;

		if (k == 0)
			n = snprintf(b, sizeof(key->bytes), "Ethernet%u/0/1", i);
		else if (k == 1)
			n = snprintf(b, sizeof(key->bytes), "modem-%u", i);
		else if (k == 2)
			n = snprintf(b, sizeof(key->bytes), "pfx-%u/", i);
		else
			n = snprintf(b, sizeof(key->bytes), "rpfx-%u:", i);
		key->kind = kinds[k];
		key->len = (uint8_t)n;
	}
	m->n_keys = 5;
	return t;
}

struct bench_frame {
	uint8_t b[DP_REPLY_HEADROOM + 512];
	struct dp_frame f;
	uint16_t port;
};

static void put_opt(uint8_t *m, size_t *len, uint8_t code, const void *v, size_t n)
{
	m[(*len)++] = code;
	m[(*len)++] = (uint8_t)n;
	memcpy(m + *len, v, n);
	*len += n;
}

/* A frame of kind @k aimed at tenant @i. */
static void bench_frame_build(struct bench_frame *fr, enum kind k, unsigned i)
{
	uint8_t m[512] = {1, 1, 6}, sub[255], v[64];
	size_t len = 240, sl = 0;
	uint32_t giaddr = IP(172, 31, 0, 1); /* no tenant's relay */
	struct dp_l2 l2 = {.dst_mac = {2, 0, 0, 0, 0, 1}, .src_mac = {2, 0, 0, 0, 0x10, 1}};
	int n;

	m[236] = 99, m[237] = 130, m[238] = 83, m[239] = 99;
	put_opt(m, &len, 53, "\x01", 1);
	put_opt(m, &len, 55, "\x01\x03\x06\x0f\x33\x36", 6);
	fr->port = 0;
	switch (k) {
	case K_VSS:
		n = snprintf((char *)v + 1, sizeof(v) - 1, "vpn-%u", i);
		v[0] = 0;
		sub[sl++] = 151;
		sub[sl++] = (uint8_t)(n + 1);
		memcpy(sub + sl, v, (size_t)n + 1);
		sl += (size_t)n + 1;
		break;
	case K_CIRCUIT:
	case K_CIRCUIT_PFX:
		if (k == K_CIRCUIT)
			n = snprintf((char *)v, sizeof(v), "Ethernet%u/0/1", i);
		else
			n = snprintf((char *)v, sizeof(v), "pfx-%u/7", i);
		sub[sl++] = 1;
		sub[sl++] = (uint8_t)n;
		memcpy(sub + sl, v, (size_t)n);
		sl += (size_t)n;
		break;
	case K_REMOTE:
	case K_REMOTE_PFX:
		if (k == K_REMOTE)
			n = snprintf((char *)v, sizeof(v), "modem-%u", i);
		else
			n = snprintf((char *)v, sizeof(v), "rpfx-%u:ab", i);
		sub[sl++] = 2;
		sub[sl++] = (uint8_t)n;
		memcpy(sub + sl, v, (size_t)n);
		sl += (size_t)n;
		break;
	case K_LINK: {
		uint32_t a = IP(10, 128, 0, 1) + (i << 8);
		uint8_t ab[4] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8),
		                 (uint8_t)a};

		sub[sl++] = 5;
		sub[sl++] = 4;
		memcpy(sub + sl, ab, 4);
		sl += 4;
		break;
	}
	case K_RELAY:
		giaddr = IP(100, 64, 0, 0) + i;
		break;
	case K_RELAY_PFX:
		giaddr = IP(100, 100, 0, 9) + (i << 8);
		break;
	case K_VLAN:
	case K_QINQ:
		giaddr = 0;
		fr->port = (uint16_t)((k == K_QINQ ? 4 : 0) + i % 4);
		l2.outer_tpid = k == K_QINQ ? 0x88a8 : 0x8100;
		l2.outer_tci = (uint16_t)(1 + i / 4 % 4094);
		l2.inner_tpid = k == K_QINQ ? 0x8100 : 0;
		l2.inner_tci = k == K_QINQ ? 100 : 0;
		break;
	case K_DEFAULT:
		sub[sl++] = 1;
		sub[sl++] = 4;
		memcpy(sub + sl, "none", 4);
		sl += 4;
		break;
	default:
		break;
	}
	if (sl)
		put_opt(m, &len, 82, sub, sl);
	m[len++] = 255;
	m[24] = (uint8_t)(giaddr >> 24), m[25] = (uint8_t)(giaddr >> 16);
	m[26] = (uint8_t)(giaddr >> 8), m[27] = (uint8_t)giaddr;

	size_t hdr = dp_l2_len(&l2) + DP_IPV4_HLEN + DP_UDP_HLEN;
	memcpy(fr->b + hdr, m, len);
	dp_build_udp(fr->b + hdr, len, &l2, giaddr ? IP(10, 0, 1, 2) : 0, giaddr ? 67 : 68,
	             giaddr ? IP(10, 0, 1, 1) : 0xffffffffu, 67, 1);
	if (dp_frame_parse(fr->b, hdr + len, false, 0, &fr->f) != DP_FRAME_DHCP) {
		fprintf(stderr, "bench_classify: frame does not parse\n");
		exit(1);
	}
}

#define BENCH_FRAMES          4096
#define BENCH_CLASSIFICATIONS 100000
#define BENCH_RUNS            7

static void part_classify(void)
{
	static const unsigned sizes[] = {1, 100, 10000};
	static struct bench_frame frames[BENCH_FRAMES];
	double ns[K__COUNT][3];
	uint64_t rnd = 0x9e3779b97f4a7c15ULL;

	for (size_t s = 0; s < 3; s++) {
		unsigned n = sizes[s];
		struct tenant **a = calloc(n + 2, sizeof(*a));
		struct tenant_registry *reg;
		char err[256];

		if (!a)
			die("calloc");
		for (unsigned i = 0; i < n; i++)
			a[i] = bench_tenant(i);
		a[n] = tenant_new();
		snprintf(a[n]->name, sizeof(a[n]->name), "default");
		a[n]->match.is_default = true;
		reg = tenant_registry_build(a, n + 1, err, sizeof(err));
		if (!reg) {
			fprintf(stderr, "bench_classify: %s\n", err);
			exit(1);
		}
		for (int k = 0; k < K__COUNT; k++) {
			const struct tenant *expect_default = tenant_registry_default(reg);
			volatile uintptr_t sink = 0;
			double t0, t1;

			for (size_t f = 0; f < BENCH_FRAMES; f++) {
				rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
				bench_frame_build(&frames[f], (enum kind)k,
				                  (unsigned)(rnd >> 33) % n);
			}
			/* Each frame must reach the kind it is meant for. */
			for (size_t f = 0; f < BENCH_FRAMES; f++) {
				struct dp_class_result res;
				const struct tenant *t =
				    dp_classify_request(reg, frames[f].port, &frames[f].f, &res);

				if (!t || (k == K_DEFAULT) != (t == expect_default)) {
					fprintf(stderr,
					        "bench_classify: %s frame %zu misclassified\n",
					        kind_names[k], f);
					exit(1);
				}
			}
			/* The best of several runs: the least disturbed by other work on the host.
			 */
			ns[k][s] = 1e30;
			for (int run = 0; run < BENCH_RUNS; run++) {
				t0 = now_sec();
				for (size_t r = 0; r < BENCH_CLASSIFICATIONS; r++) {
					const struct bench_frame *fr = &frames[r % BENCH_FRAMES];
					struct dp_class_result res;

					sink += (uintptr_t)dp_classify_request(reg, fr->port,
					                                       &fr->f, &res);
				}
				t1 = now_sec();
				if ((t1 - t0) * 1e9 / BENCH_CLASSIFICATIONS < ns[k][s])
					ns[k][s] = (t1 - t0) * 1e9 / BENCH_CLASSIFICATIONS;
			}
			(void)sink;
		}
		tenant_registry_free(reg);
	}
	printf("classification, ns per frame (dp_classify_request: option scan and lookups)\n");
	printf("  %-34s %8s %8s %8s\n", "key that matches", "1", "100", "10000");
	for (int k = 0; k < K__COUNT; k++)
		printf("  %-34s %8.1f %8.1f %8.1f\n", kind_names[k], ns[k][0], ns[k][1], ns[k][2]);
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 1000;

	/* The engine logs a line per tenant it starts; a report has no use for them. */
	log_set_level(LOG_LEVEL_WARNING);
	part_scale(n ? n : 1000);
	part_classify();
	return 0;
}
