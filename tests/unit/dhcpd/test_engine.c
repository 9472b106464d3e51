/*
 * The DHCP engine against a real lease store on a temporary file: what each message
 * gets back, where the reply goes (RFC 2131 4.1), and that an ACK leaves only after its
 * lease row has committed (RFC 2131 3.1 step 4).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "dhcpd/client_key.h"
#include "dhcpd/dhcp_engine.h"
#include "dhcpd/dhcp_msg.h"
#include "req_testutil.h"

/* The value of option @code in a reply, walking the options field. */
static const uint8_t *reply_opt(const struct sent *s, uint8_t code, size_t *len)
{
	size_t i = DHCP_OPTIONS_OFF;
	while (i < s->len && s->msg[i] != DHCP_OPT_END) {
		if (s->msg[i] == DHCP_OPT_PAD) {
			i++;
			continue;
		}
		assert_true(i + 1 < s->len);
		uint8_t c = s->msg[i], l = s->msg[i + 1];
		assert_true(i + 2 + l <= s->len);
		if (c == code) {
			*len = l;
			return &s->msg[i + 2];
		}
		i += 2 + (size_t)l;
	}
	return NULL;
}

static uint8_t reply_type(const struct sent *s)
{
	size_t len;
	const uint8_t *v = reply_opt(s, DHCP_OPT_MSG_TYPE, &len);
	assert_non_null(v);
	return v[0];
}

/* The code of the last option before END. */
static uint8_t reply_last_opt(const struct sent *s)
{
	size_t i = DHCP_OPTIONS_OFF;
	uint8_t last = 0;
	while (i < s->len && s->msg[i] != DHCP_OPT_END) {
		if (s->msg[i] == DHCP_OPT_PAD) {
			i++;
			continue;
		}
		last = s->msg[i];
		i += 2 + (size_t)s->msg[i + 1];
	}
	return last;
}

/* --- fixture ----------------------------------------------------------------------- */

struct fixture {
	char dir[64];
	char path[96];
	struct lease_store *store;
	struct dhcp_engine *engine;
	struct tenant *tenant;
	struct dhcp_path direct;  /* a client on the tenant's own link */
	struct dhcp_path relayed; /* through a relay agent */
};

static struct tenant *make_tenant(uint32_t first, uint32_t last)
{
	struct tenant *t = tenant_new();
	snprintf(t->name, sizeof(t->name), "acme");
	t->authoritative = true;
	t->offer_time = 30;
	t->subnets = calloc(1, sizeof(*t->subnets));
	t->n_subnets = 1;
	struct tenant_subnet *sn = &t->subnets[0];
	sn->network = IP(192, 168, 1, 0);
	sn->mask = 0xffffff00u;
	sn->prefix_len = 24;
	sn->times = (struct tenant_lease_times){.default_time = 600, .min_time = 60, .max_time = 3600};
	sn->pools = calloc(1, sizeof(*sn->pools));
	sn->pools[0] = (struct tenant_pool){first, last};
	sn->n_pools = 1;
	uint8_t routers[4];
	put32(routers, GIADDR);
	optset_put(&sn->options, DHCP_OPT_ROUTERS, routers, 4);
	uint8_t dns[8];
	put32(dns, IP(10, 0, 0, 53));
	put32(dns + 4, IP(10, 0, 0, 54));
	optset_put(&sn->options, DHCP_OPT_DNS, dns, 8);
	optset_put(&sn->options, DHCP_OPT_DOMAIN_NAME, "acme.example", 12);
	return t;
}

static int fixture_setup_pool(void **state, uint32_t first, uint32_t last)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/mtdhcp-engine-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/leases.db", f->dir);
	char err[256];
	struct lease_store_params lp = {.path = f->path, .synchronous_full = true, .batch_max = 64,
					.batch_usec = 100, .queue_size = 1024, .n_owners = 1};
	f->store = lease_store_open(&lp, err, sizeof(err));
	assert_non_null(f->store);
	f->tenant = make_tenant(first, last);
	assert_int_equal(lease_store_tenant_id(f->store, "acme", &f->tenant->db_id), 0);
	struct dhcp_engine_params ep = {.owner = 0, .store = f->store, .tx = capture, .max_pending = 16};
	f->engine = dhcp_engine_create(&ep);
	assert_non_null(f->engine);
	assert_int_equal(dhcp_engine_add_tenant(f->engine, f->tenant, time(NULL)), 0);
	assert_int_equal(lease_store_start(f->store), 0);

	f->direct = (struct dhcp_path){.port = 0, .outer_tpid = 0x8100, .outer_tci = 100,
				       .dst_ip = 0xffffffffu, .src_port = 68,
				       .local_ip = IP(192, 168, 1, 254)};
	memcpy(f->direct.src_mac, (uint8_t[]){0x02, 0, 0, 0, 0x10, 1}, 6);
	f->relayed = (struct dhcp_path){.port = 0, .src_ip = IP(10, 0, 1, 2), .dst_ip = SERVER,
					.src_port = 67, .local_ip = SERVER};
	memcpy(f->relayed.src_mac, (uint8_t[]){0x02, 0, 0, 0, 0x20, 1}, 6);
	n_sent = 0;
	*state = f;
	return 0;
}

static int fixture_setup(void **state)
{
	return fixture_setup_pool(state, IP(192, 168, 1, 100), IP(192, 168, 1, 199));
}

static int fixture_setup_tiny(void **state)
{
	return fixture_setup_pool(state, IP(192, 168, 1, 100), IP(192, 168, 1, 101));
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;
	lease_store_close(f->store);
	dhcp_engine_destroy(f->engine);
	tenant_free(f->tenant);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void input(struct fixture *f, const struct dhcp_path *path, struct req *r)
{
	req_end(r);
	dhcp_engine_input(f->engine, f->tenant, path, r->b, r->len, time(NULL));
}

/* Polls the engine until @want replies have been sent in all, or two seconds passed. */
static void poll_until(struct fixture *f, size_t want)
{
	for (int i = 0; i < 2000 && n_sent < want; i++) {
		dhcp_engine_poll(f->engine, time(NULL));
		if (n_sent < want)
			usleep(1000);
	}
}

static int count_rows(const char *path, uint32_t addr, int state)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT count(*) FROM leases WHERE address = ? AND state = ?",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(st, 1, addr);
	sqlite3_bind_int(st, 2, state);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* DISCOVER, OFFER, REQUEST, ACK for client @mac_last; returns the address. */
static uint32_t dora(struct fixture *f, const struct dhcp_path *path, uint8_t mac_last)
{
	size_t base = n_sent;
	struct req r;
	req_init(&r, DHCPDISCOVER, mac_last, 0x1000u + mac_last);
	if (path->src_port == 67)
		put32(r.b + 24, GIADDR);
	input(f, path, &r);
	assert_int_equal(n_sent, base + 1);
	assert_int_equal(reply_type(&sent[base]), DHCPOFFER);
	uint32_t yiaddr = get32(sent[base].msg + 16);

	req_init(&r, DHCPREQUEST, mac_last, 0x1000u + mac_last);
	if (path->src_port == 67)
		put32(r.b + 24, GIADDR);
	req_opt_ip(&r, DHCP_OPT_SERVER_ID, path->local_ip);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, yiaddr);
	input(f, path, &r);
	poll_until(f, base + 2);
	assert_int_equal(n_sent, base + 2);
	assert_int_equal(reply_type(&sent[base + 1]), DHCPACK);
	assert_int_equal(get32(sent[base + 1].msg + 16), yiaddr);
	return yiaddr;
}

/* --- tests ------------------------------------------------------------------------- */

static void test_rfc2131_4_3_1_discover_gets_offer_from_pool(void **state)
{
	struct fixture *f = *state;
	struct req r;
	req_init(&r, DHCPDISCOVER, 1, 42);
	uint8_t prl[] = {1, 3, 6, 15};
	req_opt(&r, DHCP_OPT_PARAM_LIST, prl, sizeof(prl));
	input(f, &f->direct, &r);
	assert_int_equal(n_sent, 1);
	const struct sent *s = &sent[0];
	assert_int_equal(s->msg[0], DHCP_BOOTREPLY);
	assert_int_equal(get32(s->msg + 4), 42);
	assert_int_equal(reply_type(s), DHCPOFFER);
	uint32_t yiaddr = get32(s->msg + 16);
	assert_true(yiaddr >= IP(192, 168, 1, 100) && yiaddr <= IP(192, 168, 1, 199));
	size_t len;
	const uint8_t *v = reply_opt(s, DHCP_OPT_SERVER_ID, &len);
	assert_non_null(v);
	assert_int_equal(get32(v), IP(192, 168, 1, 254));
	v = reply_opt(s, DHCP_OPT_LEASE_TIME, &len);
	assert_non_null(v);
	assert_int_equal(get32(v), 600);
	v = reply_opt(s, DHCP_OPT_RENEWAL_TIME, &len);
	assert_int_equal(get32(v), 300);
	v = reply_opt(s, DHCP_OPT_REBINDING_TIME, &len);
	assert_int_equal(get32(v), 525);
	v = reply_opt(s, DHCP_OPT_SUBNET_MASK, &len);
	assert_int_equal(get32(v), 0xffffff00u);
	v = reply_opt(s, DHCP_OPT_ROUTERS, &len);
	assert_int_equal(get32(v), GIADDR);
	v = reply_opt(s, DHCP_OPT_DNS, &len);
	assert_int_equal(len, 8);
	assert_non_null(reply_opt(s, DHCP_OPT_DOMAIN_NAME, &len));
	/* Nothing is written for an offer. */
	assert_int_equal(count_rows(f->path, yiaddr, 1), 0);
}

static void test_rfc2131_4_1_unicast_offer_to_yiaddr_and_chaddr(void **state)
{
	struct fixture *f = *state;
	struct req r;
	req_init(&r, DHCPDISCOVER, 2, 1);
	input(f, &f->direct, &r);
	assert_int_equal(n_sent, 1);
	const struct dhcp_reply *d = &sent[0].dest;
	assert_int_equal(d->dst_ip, get32(sent[0].msg + 16));
	assert_memory_equal(d->dst_mac, ((uint8_t[]){0x02, 0, 0, 0, 0x10, 2}), 6);
	assert_int_equal(d->dst_port, 68);
	assert_int_equal(d->src_ip, IP(192, 168, 1, 254));
	/* The reply goes back on the request's VLAN. */
	assert_int_equal(d->path.outer_tpid, 0x8100);
	assert_int_equal(d->path.outer_tci, 100);
}

static void test_rfc2131_4_1_broadcast_bit_gets_broadcast(void **state)
{
	struct fixture *f = *state;
	struct req r;
	req_init(&r, DHCPDISCOVER, 3, 1);
	r.b[10] = 0x80; /* flags: broadcast */
	input(f, &f->direct, &r);
	assert_int_equal(n_sent, 1);
	assert_int_equal(sent[0].dest.dst_ip, 0xffffffffu);
	assert_memory_equal(sent[0].dest.dst_mac, ((uint8_t[]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), 6);
	assert_int_equal(get32(sent[0].msg + 8) & 0x8000, 0x8000); /* flags copied */
}

static void test_rfc3046_relayed_reply_to_giaddr_with_option82_last(void **state)
{
	struct fixture *f = *state;
	struct req r;
	req_init(&r, DHCPDISCOVER, 4, 7);
	r.b[3] = 1; /* hops */
	put32(r.b + 24, GIADDR);
	uint8_t o82[] = {1, 5, 'c', 'a', 'p', 'r', '0', 2, 3, 'x', 'y', 'z'};
	req_opt(&r, DHCP_OPT_RELAY_AGENT, o82, sizeof(o82));
	input(f, &f->relayed, &r);
	assert_int_equal(n_sent, 1);
	const struct sent *s = &sent[0];
	assert_int_equal(s->dest.dst_ip, GIADDR);
	assert_int_equal(s->dest.dst_port, 67);
	assert_int_equal(s->dest.src_ip, SERVER);
	assert_memory_equal(s->dest.dst_mac, f->relayed.src_mac, 6);
	assert_int_equal(get32(s->msg + 24), GIADDR);
	assert_int_equal(s->msg[3], 0); /* hops */
	size_t len;
	const uint8_t *v = reply_opt(s, DHCP_OPT_RELAY_AGENT, &len);
	assert_non_null(v);
	assert_int_equal(len, sizeof(o82));
	assert_memory_equal(v, o82, sizeof(o82));
	assert_int_equal(reply_last_opt(s), DHCP_OPT_RELAY_AGENT);
	v = reply_opt(s, DHCP_OPT_SERVER_ID, &len);
	assert_int_equal(get32(v), SERVER);
}

static void test_rfc2131_3_1_ack_only_after_row_committed(void **state)
{
	struct fixture *f = *state;
	struct req r;
	req_init(&r, DHCPDISCOVER, 5, 9);
	input(f, &f->direct, &r);
	uint32_t yiaddr = get32(sent[0].msg + 16);

	req_init(&r, DHCPREQUEST, 5, 9);
	req_opt_ip(&r, DHCP_OPT_SERVER_ID, f->direct.local_ip);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, yiaddr);
	input(f, &f->direct, &r);
	/* No ACK straight from the input path: it waits for the writer. */
	assert_int_equal(n_sent, 1);
	poll_until(f, 2);
	assert_int_equal(n_sent, 2);
	assert_int_equal(reply_type(&sent[1]), DHCPACK);
	/* The row is there the moment the ACK is handed to the dataplane. */
	assert_int_equal(count_rows(f->path, yiaddr, 1), 1);
	const struct tenant_counters *c = dhcp_engine_counters(f->engine, f->tenant);
	assert_int_equal(c->v[TC_TX_ACK], 1);
	assert_int_equal(c->v[TC_LEASES_COMMITTED], 1);
}

static void test_rfc2131_4_3_2_request_for_other_server_frees_offer_silently(void **state)
{
	struct fixture *f = *state;
	struct req r;
	req_init(&r, DHCPDISCOVER, 6, 11);
	input(f, &f->direct, &r);
	uint32_t yiaddr = get32(sent[0].msg + 16);
	req_init(&r, DHCPREQUEST, 6, 11);
	req_opt_ip(&r, DHCP_OPT_SERVER_ID, IP(192, 168, 1, 77));
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, yiaddr);
	input(f, &f->direct, &r);
	poll_until(f, 2);
	assert_int_equal(n_sent, 1);
	assert_int_equal(dhcp_engine_counters(f->engine, f->tenant)->v[TC_DROP_NOT_FOR_US], 1);
}

static void test_rfc2131_4_3_2_init_reboot_wrong_network_naks(void **state)
{
	struct fixture *f = *state;
	struct req r;
	req_init(&r, DHCPREQUEST, 7, 12);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, IP(192, 168, 99, 5));
	input(f, &f->direct, &r);
	assert_int_equal(n_sent, 1);
	assert_int_equal(reply_type(&sent[0]), DHCPNAK);
	/* RFC 2131 4.1: with giaddr 0 a NAK is broadcast. */
	assert_int_equal(sent[0].dest.dst_ip, 0xffffffffu);
	assert_int_equal(get32(sent[0].msg + 16), 0);
	size_t len;
	assert_null(reply_opt(&sent[0], DHCP_OPT_LEASE_TIME, &len));
	assert_non_null(reply_opt(&sent[0], DHCP_OPT_SERVER_ID, &len));
}

static void test_rfc2131_4_3_2_request_without_address_naks(void **state)
{
	struct fixture *f = *state;
	struct req r;
	req_init(&r, DHCPREQUEST, 8, 13);
	input(f, &f->direct, &r);
	assert_int_equal(n_sent, 1);
	assert_int_equal(reply_type(&sent[0]), DHCPNAK);
}

static void test_rfc2131_4_3_2_renewing_extends_and_unicasts_to_ciaddr(void **state)
{
	struct fixture *f = *state;
	uint32_t addr = dora(f, &f->direct, 9);
	struct req r;
	req_init(&r, DHCPREQUEST, 9, 14);
	put32(r.b + 12, addr); /* ciaddr */
	struct dhcp_path unicast = f->direct;
	unicast.dst_ip = f->direct.local_ip;
	unicast.src_ip = addr;
	input(f, &unicast, &r);
	poll_until(f, 3);
	assert_int_equal(n_sent, 3);
	assert_int_equal(reply_type(&sent[2]), DHCPACK);
	assert_int_equal(get32(sent[2].msg + 16), addr);
	assert_int_equal(get32(sent[2].msg + 12), addr); /* ciaddr copied (table 3) */
	assert_int_equal(sent[2].dest.dst_ip, addr);
	assert_int_equal(count_rows(f->path, addr, 1), 1);
}

static void test_rfc2131_4_3_4_release_only_by_owner(void **state)
{
	struct fixture *f = *state;
	uint32_t addr = dora(f, &f->direct, 10);
	/* Another client's RELEASE of that address is ignored. */
	struct req r;
	req_init(&r, DHCPRELEASE, 11, 15);
	put32(r.b + 12, addr);
	req_opt_ip(&r, DHCP_OPT_SERVER_ID, f->direct.local_ip);
	input(f, &f->direct, &r);
	usleep(50000);
	dhcp_engine_poll(f->engine, time(NULL));
	assert_int_equal(count_rows(f->path, addr, 1), 1);
	/* The owner's is honoured. */
	req_init(&r, DHCPRELEASE, 10, 16);
	put32(r.b + 12, addr);
	req_opt_ip(&r, DHCP_OPT_SERVER_ID, f->direct.local_ip);
	input(f, &f->direct, &r);
	for (int i = 0; i < 200 && count_rows(f->path, addr, 2) == 0; i++) {
		usleep(5000);
		dhcp_engine_poll(f->engine, time(NULL));
	}
	assert_int_equal(count_rows(f->path, addr, 2), 1);
	assert_int_equal(n_sent, 2); /* no reply to a RELEASE */
}

static void test_rfc2131_4_3_1_client_gets_same_address_again(void **state)
{
	struct fixture *f = *state;
	uint32_t first = dora(f, &f->direct, 12);
	uint32_t again = dora(f, &f->direct, 12);
	assert_int_equal(first, again);
}

static void test_exhausted_pool_sends_no_offer_and_counts(void **state)
{
	struct fixture *f = *state;
	dora(f, &f->direct, 20);
	dora(f, &f->direct, 21);
	struct req r;
	req_init(&r, DHCPDISCOVER, 22, 99);
	input(f, &f->direct, &r);
	assert_int_equal(n_sent, 4);
	assert_int_equal(dhcp_engine_counters(f->engine, f->tenant)->v[TC_DROP_POOL_EXHAUSTED], 1);
}

static void test_malformed_message_is_counted(void **state)
{
	struct fixture *f = *state;
	uint8_t junk[100] = {1, 1, 6};
	dhcp_engine_input(f->engine, f->tenant, &f->direct, junk, sizeof(junk), time(NULL));
	assert_int_equal(n_sent, 0);
	assert_int_equal(dhcp_engine_counters(f->engine, f->tenant)->v[TC_DROP_MALFORMED], 1);
}

static void test_leases_reload_into_a_new_engine(void **state)
{
	struct fixture *f = *state;
	uint32_t addr = dora(f, &f->direct, 30);
	/* A second engine on the same store sees the binding and offers it to its owner only. */
	struct dhcp_engine_params ep = {.owner = 0, .store = f->store, .tx = capture, .max_pending = 4};
	struct dhcp_engine *e2 = dhcp_engine_create(&ep);
	assert_int_equal(dhcp_engine_add_tenant(e2, f->tenant, time(NULL)), 0);
	struct req r;
	req_init(&r, DHCPDISCOVER, 31, 5);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, addr);
	req_end(&r);
	size_t base = n_sent;
	dhcp_engine_input(e2, f->tenant, &f->direct, r.b, r.len, time(NULL));
	assert_int_equal(n_sent, base + 1);
	assert_int_not_equal(get32(sent[base].msg + 16), addr);
	req_init(&r, DHCPDISCOVER, 30, 6);
	req_end(&r);
	dhcp_engine_input(e2, f->tenant, &f->direct, r.b, r.len, time(NULL));
	assert_int_equal(get32(sent[base + 1].msg + 16), addr);
	dhcp_engine_destroy(e2);
}

int main(void)
{
	assert_int_equal(dhcp_client_key_init(), 0);
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)
		T(test_rfc2131_4_3_1_discover_gets_offer_from_pool),
		T(test_rfc2131_4_1_unicast_offer_to_yiaddr_and_chaddr),
		T(test_rfc2131_4_1_broadcast_bit_gets_broadcast),
		T(test_rfc3046_relayed_reply_to_giaddr_with_option82_last),
		T(test_rfc2131_3_1_ack_only_after_row_committed),
		T(test_rfc2131_4_3_2_request_for_other_server_frees_offer_silently),
		T(test_rfc2131_4_3_2_init_reboot_wrong_network_naks),
		T(test_rfc2131_4_3_2_request_without_address_naks),
		T(test_rfc2131_4_3_2_renewing_extends_and_unicasts_to_ciaddr),
		T(test_rfc2131_4_3_4_release_only_by_owner),
		T(test_rfc2131_4_3_1_client_gets_same_address_again),
		T(test_malformed_message_is_counted),
		T(test_leases_reload_into_a_new_engine),
		cmocka_unit_test_setup_teardown(test_exhausted_pool_sends_no_offer_and_counts,
						fixture_setup_tiny, fixture_teardown),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
