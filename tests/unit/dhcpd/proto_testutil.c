/* The fixture and helpers of the protocol unit tests (proto_testutil.h). */
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

#include "proto_testutil.h"

/* Option @code of a reply, in any field (option 52 honoured), through the real parser. */
const uint8_t *reply_opt(const struct sent *s, uint8_t code, size_t *len)
{
	static struct dhcp_msg m;
	static uint8_t copy[DHCP_MSG_MAX];
	memcpy(copy, s->msg, s->len);
	copy[0] = DHCP_BOOTREQUEST;
	assert_int_equal(dhcp_msg_parse(&m, copy, s->len), DHCP_PARSE_OK);
	return dhcp_msg_opt(&m, code, len);
}

uint8_t reply_type(const struct sent *s)
{
	size_t len;
	const uint8_t *v = reply_opt(s, DHCP_OPT_MSG_TYPE, &len);
	assert_non_null(v);
	return v[0];
}

uint32_t reply_u32(const struct sent *s, uint8_t code)
{
	size_t len;
	const uint8_t *v = reply_opt(s, code, &len);
	assert_non_null(v);
	assert_int_equal(len, 4);
	return get32(v);
}

bool reply_has(const struct sent *s, uint8_t code)
{
	size_t len;
	return reply_opt(s, code, &len) != NULL;
}

uint32_t yiaddr_of(const struct sent *s)
{
	return get32(s->msg + 16);
}

/* --- the tenant and the fixture -------------------------------------------------------- */

/*
 * acme: 192.168.1.0/24 (pool .100-.109, its own domain-name; reservations: MAC ..:50 ->
 * .105 in the pool, client-id 01:aa:bb -> .20 and circuit-id "capr9" -> .21 outside it),
 * 192.168.2.0/24 (pool .100-.101) on the same shared network, and 10.9.0.0/24 (pool
 * .10-.11) on a network of its own.
 */
static void opt_ip(struct optset *o, uint8_t code, uint32_t ip)
{
	uint8_t v[4];
	put32(v, ip);
	assert_int_equal(optset_put(o, code, v, 4), 0);
}

static void opt_str(struct optset *o, uint8_t code, const char *s)
{
	assert_int_equal(optset_put(o, code, s, strlen(s)), 0);
}

static struct tenant *make_tenant(void)
{
	struct tenant *t = tenant_new();
	snprintf(t->name, sizeof(t->name), "acme");
	t->authoritative = true;
	t->offer_time = 30;
	t->decline_time = 600;
	t->subnets = calloc(3, sizeof(*t->subnets));
	t->n_subnets = 3;
	static const struct {
		uint32_t net, first, last;
		uint16_t network_id;
	} def[3] = {
	    {IP(192, 168, 1, 0), IP(192, 168, 1, 100), IP(192, 168, 1, 109), 0},
	    {IP(192, 168, 2, 0), IP(192, 168, 2, 100), IP(192, 168, 2, 101), 0},
	    {IP(10, 9, 0, 0), IP(10, 9, 0, 10), IP(10, 9, 0, 11), 2},
	};
	for (int i = 0; i < 3; i++) {
		struct tenant_subnet *sn = &t->subnets[i];
		sn->network = def[i].net;
		sn->mask = 0xffffff00u;
		sn->prefix_len = 24;
		sn->network_id = def[i].network_id;
		sn->times = (struct tenant_lease_times){
		    .default_time = 600, .min_time = 60, .max_time = 3600};
		sn->pools = calloc(1, sizeof(*sn->pools));
		sn->pools[0] = (struct tenant_pool){def[i].first, def[i].last};
		sn->n_pools = 1;
		opt_ip(&sn->options, DHCP_OPT_ROUTERS, def[i].net + 1);
		opt_ip(&sn->options, DHCP_OPT_DNS, IP(10, 0, 0, 53));
		opt_str(&sn->options, DHCP_OPT_DOMAIN_NAME, "acme.example");
		opt_ip(&sn->options, 42, IP(10, 0, 0, 123)); /* ntp-servers */
	}
	struct tenant_subnet *s0 = &t->subnets[0];
	s0->pool_options = calloc(1, sizeof(*s0->pool_options));
	assert_int_equal(optset_merge(&s0->pool_options[0], &s0->options, NULL), 0);
	opt_str(&s0->pool_options[0], DHCP_OPT_DOMAIN_NAME, "pool.example");
	s0->reservations = calloc(3, sizeof(*s0->reservations));
	s0->n_reservations = 3;
	struct tenant_reservation *r = s0->reservations;
	r[0] = (struct tenant_reservation){.kind = TENANT_RES_HWADDR,
	                                   .key_len = 6,
	                                   .key = {2, 0, 0, 0, 0x10, 0x50},
	                                   .address = IP(192, 168, 1, 105)};
	assert_int_equal(optset_merge(&r[0].options, &s0->pool_options[0], NULL), 0);
	opt_str(&r[0].options, DHCP_OPT_DOMAIN_NAME, "res.example");
	r[1] = (struct tenant_reservation){.kind = TENANT_RES_CLIENT_ID,
	                                   .key_len = 3,
	                                   .key = {1, 0xaa, 0xbb},
	                                   .address = IP(192, 168, 1, 20)};
	assert_int_equal(optset_merge(&r[1].options, &s0->options, NULL), 0);
	r[2] = (struct tenant_reservation){.kind = TENANT_RES_CIRCUIT_ID,
	                                   .key_len = 5,
	                                   .key = "capr9",
	                                   .address = IP(192, 168, 1, 21)};
	assert_int_equal(optset_merge(&r[2].options, &s0->options, NULL), 0);
	return t;
}

int proto_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/mtdhcp-proto-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/leases.db", f->dir);
	char err[256];
	struct lease_store_params lp = {.path = f->path,
	                                .synchronous_full = false,
	                                .batch_max = 64,
	                                .batch_usec = 100,
	                                .queue_size = 1024,
	                                .n_owners = 1};
	f->store = lease_store_open(&lp, err, sizeof(err));
	assert_non_null(f->store);
	f->tenant = make_tenant();
	assert_int_equal(lease_store_tenant_id(f->store, "acme", &f->tenant->db_id), 0);
	struct dhcp_engine_params ep = {
	    .owner = 0, .store = f->store, .tx = capture, .max_pending = 16};
	f->engine = dhcp_engine_create(&ep);
	assert_non_null(f->engine);
	assert_int_equal(dhcp_engine_add_tenant(f->engine, f->tenant, time(NULL)), 0);
	assert_int_equal(lease_store_start(f->store), 0);
	f->direct = (struct dhcp_path){.dst_ip = BCAST, .src_port = 68, .local_ip = LOCAL};
	memcpy(f->direct.src_mac, (uint8_t[]){0x02, 0, 0, 0, 0x10, 1}, 6);
	f->unicast = f->direct;
	f->unicast.dst_ip = LOCAL;
	f->relayed = (struct dhcp_path){
	    .src_ip = IP(10, 0, 1, 2), .dst_ip = SERVER, .src_port = 67, .local_ip = SERVER};
	memcpy(f->relayed.src_mac, (uint8_t[]){0x02, 0, 0, 0, 0x20, 1}, 6);
	n_sent = 0;
	*state = f;
	return 0;
}

int proto_teardown(void **state)
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

/* Ends @r and hands it to engine @e (the fixture's, or a second one) at time @now. */
void input_at(struct fixture *f, struct dhcp_engine *e, const struct dhcp_path *path, struct req *r,
              int64_t now)
{
	req_end(r);
	dhcp_engine_input(e, f->tenant, path, r->b, r->len, now);
}

void input(struct fixture *f, const struct dhcp_path *path, struct req *r)
{
	input_at(f, f->engine, path, r, time(NULL));
}

/* Polls until @want replies have been sent in all, or a second passed. */
void poll_until(struct fixture *f, size_t want)
{
	for (int i = 0; i < 1000 && n_sent < want; i++) {
		dhcp_engine_poll(f->engine, time(NULL));
		if (n_sent < want)
			usleep(1000);
	}
}

/* Polls for a while and checks that no more than @want replies were sent. */
void settle(struct fixture *f, size_t want)
{
	for (int i = 0; i < 50; i++) {
		dhcp_engine_poll(f->engine, time(NULL));
		usleep(1000);
	}
	assert_int_equal(n_sent, want);
}

uint64_t counter(struct fixture *f, enum tenant_counter c)
{
	return dhcp_engine_counters(f->engine, f->tenant)->v[c];
}

int db_state(const char *path, uint32_t addr)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(
	    sqlite3_prepare_v2(db, "SELECT state FROM leases WHERE address = ?", -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(st, 1, addr);
	int state = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return state;
}

void wait_db_state(struct fixture *f, uint32_t addr, int state)
{
	for (int i = 0; i < 400 && db_state(f->path, addr) != state; i++) {
		dhcp_engine_poll(f->engine, time(NULL));
		usleep(2500);
	}
	assert_int_equal(db_state(f->path, addr), state);
}

/* DISCOVER, OFFER, REQUEST, ACK on @path (relayed: with @o82); returns the address. */
uint32_t dora(struct fixture *f, const struct dhcp_path *path, uint8_t mac_last, const uint8_t *o82,
              uint8_t o82_len)
{
	size_t base = n_sent;
	struct req r;
	req_init(&r, DHCPDISCOVER, mac_last, 0x1000u + mac_last);
	if (path->src_port == 67)
		req_relayed(&r, o82, o82_len);
	input(f, path, &r);
	assert_int_equal(n_sent, base + 1);
	assert_int_equal(reply_type(&sent[base]), DHCPOFFER);
	uint32_t yiaddr = yiaddr_of(&sent[base]);
	uint32_t sid = reply_u32(&sent[base], DHCP_OPT_SERVER_ID);

	req_init(&r, DHCPREQUEST, mac_last, 0x1000u + mac_last);
	req_opt_ip(&r, DHCP_OPT_SERVER_ID, sid);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, yiaddr);
	if (path->src_port == 67)
		req_relayed(&r, o82, o82_len);
	input(f, path, &r);
	poll_until(f, base + 2);
	assert_int_equal(n_sent, base + 2);
	assert_int_equal(reply_type(&sent[base + 1]), DHCPACK);
	assert_int_equal(yiaddr_of(&sent[base + 1]), yiaddr);
	return yiaddr;
}
