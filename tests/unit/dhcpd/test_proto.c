/*
 * The DHCP engine against the protocol rules of RFC 2131/2132 and the relay RFCs, one test
 * per rule, named after the section it shows: client states, DECLINE, INFORM, client
 * identity, options and message size, lease times, reservations, relay sub-options, rapid
 * commit, shared networks, and what malformed requests are counted as. A real lease store
 * on a temporary file stands behind the engine, so ACKs come only after their commit.
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

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define SERVER         IP(10, 0, 1, 1)
#define GIADDR         IP(192, 168, 1, 1)
#define LOCAL          IP(192, 168, 1, 254)
#define BCAST          0xffffffffu

/* --- requests ------------------------------------------------------------------------ */

struct req {
	uint8_t b[DHCP_MSG_MAX];
	size_t len;
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void req_init(struct req *r, uint8_t type, uint8_t mac_last, uint32_t xid)
{
	memset(r, 0, sizeof(*r));
	r->b[0] = DHCP_BOOTREQUEST;
	r->b[1] = 1;
	r->b[2] = 6;
	put32(r->b + 4, xid);
	uint8_t mac[6] = {0x02, 0, 0, 0, 0x10, mac_last};
	memcpy(r->b + 28, mac, 6);
	put32(r->b + 236, DHCP_COOKIE);
	r->len = 240;
	r->b[r->len++] = DHCP_OPT_MSG_TYPE;
	r->b[r->len++] = 1;
	r->b[r->len++] = type;
}

static void req_opt(struct req *r, uint8_t code, const void *data, uint8_t len)
{
	r->b[r->len++] = code;
	r->b[r->len++] = len;
	if (len) /* an empty option may come with data == NULL, which memcpy must not get */
		memcpy(r->b + r->len, data, len);
	r->len += len;
}

static void req_opt_ip(struct req *r, uint8_t code, uint32_t ip)
{
	uint8_t v[4];
	put32(v, ip);
	req_opt(r, code, v, 4);
}

static void req_relayed(struct req *r, const void *o82, uint8_t len)
{
	r->b[3] = 1;
	put32(r->b + 24, GIADDR);
	if (o82)
		req_opt(r, DHCP_OPT_RELAY_AGENT, o82, len);
}

/* --- replies ------------------------------------------------------------------------- */

#define MAX_REPLIES 64
struct sent {
	struct dhcp_reply dest;
	uint8_t msg[DHCP_MSG_MAX];
	size_t len;
};
static struct sent sent[MAX_REPLIES];
static size_t n_sent;

static void capture(void *ctx, const struct dhcp_reply *reply, const uint8_t *msg, size_t len)
{
	(void)ctx;
	assert_true(n_sent < MAX_REPLIES);
	sent[n_sent].dest = *reply;
	memcpy(sent[n_sent].msg, msg, len);
	sent[n_sent].len = len;
	n_sent++;
}

/* Option @code of a reply, in any field (option 52 honoured), through the real parser. */
static const uint8_t *reply_opt(const struct sent *s, uint8_t code, size_t *len)
{
	static struct dhcp_msg m;
	static uint8_t copy[DHCP_MSG_MAX];
	memcpy(copy, s->msg, s->len);
	copy[0] = DHCP_BOOTREQUEST;
	assert_int_equal(dhcp_msg_parse(&m, copy, s->len), DHCP_PARSE_OK);
	return dhcp_msg_opt(&m, code, len);
}

static uint8_t reply_type(const struct sent *s)
{
	size_t len;
	const uint8_t *v = reply_opt(s, DHCP_OPT_MSG_TYPE, &len);
	assert_non_null(v);
	return v[0];
}

static uint32_t reply_u32(const struct sent *s, uint8_t code)
{
	size_t len;
	const uint8_t *v = reply_opt(s, code, &len);
	assert_non_null(v);
	assert_int_equal(len, 4);
	return get32(v);
}

static bool reply_has(const struct sent *s, uint8_t code)
{
	size_t len;
	return reply_opt(s, code, &len) != NULL;
}

static uint32_t yiaddr_of(const struct sent *s)
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

struct fixture {
	char dir[64];
	char path[96];
	struct lease_store *store;
	struct dhcp_engine *engine;
	struct tenant *tenant;
	struct dhcp_path direct;  /* a client on the tenant's own link, broadcast */
	struct dhcp_path unicast; /* the same client, unicast to our address */
	struct dhcp_path relayed; /* through a relay agent */
};

static int setup(void **state)
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

static int teardown(void **state)
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
static void input_at(struct fixture *f, struct dhcp_engine *e, const struct dhcp_path *path,
                     struct req *r, int64_t now)
{
	r->b[r->len++] = DHCP_OPT_END;
	while (r->len < 300)
		r->b[r->len++] = 0;
	dhcp_engine_input(e, f->tenant, path, r->b, r->len, now);
}

static void input(struct fixture *f, const struct dhcp_path *path, struct req *r)
{
	input_at(f, f->engine, path, r, time(NULL));
}

/* Polls until @want replies have been sent in all, or a second passed. */
static void poll_until(struct fixture *f, size_t want)
{
	for (int i = 0; i < 1000 && n_sent < want; i++) {
		dhcp_engine_poll(f->engine, time(NULL));
		if (n_sent < want)
			usleep(1000);
	}
}

/* Polls for a while and checks that no more than @want replies were sent. */
static void settle(struct fixture *f, size_t want)
{
	for (int i = 0; i < 50; i++) {
		dhcp_engine_poll(f->engine, time(NULL));
		usleep(1000);
	}
	assert_int_equal(n_sent, want);
}

static uint64_t counter(struct fixture *f, enum tenant_counter c)
{
	return dhcp_engine_counters(f->engine, f->tenant)->v[c];
}

static int db_state(const char *path, uint32_t addr)
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

static void wait_db_state(struct fixture *f, uint32_t addr, int state)
{
	for (int i = 0; i < 400 && db_state(f->path, addr) != state; i++) {
		dhcp_engine_poll(f->engine, time(NULL));
		usleep(2500);
	}
	assert_int_equal(db_state(f->path, addr), state);
}

/* DISCOVER, OFFER, REQUEST, ACK on @path (relayed: with @o82); returns the address. */
static uint32_t dora(struct fixture *f, const struct dhcp_path *path, uint8_t mac_last,
                     const uint8_t *o82, uint8_t o82_len)
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

/* --- client states (RFC 2131 4.3.2) ------------------------------------------------------ */

static void test_rfc2131_4_3_2_init_reboot_wrong_network_silent_unless_authoritative(void **state)
{
	struct fixture *f = *state;
	struct req r;
	f->tenant->authoritative = false;
	req_init(&r, DHCPREQUEST, 1, 1);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, IP(192, 168, 99, 5));
	input(f, &f->direct, &r);
	settle(f, 0);
	assert_int_equal(counter(f, TC_REQ_INIT_REBOOT), 1);
	f->tenant->authoritative = true;
	req_init(&r, DHCPREQUEST, 1, 2);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, IP(192, 168, 99, 5));
	input(f, &f->direct, &r);
	assert_int_equal(n_sent, 1);
	assert_int_equal(reply_type(&sent[0]), DHCPNAK);
	/* RFC 2131 table 3: a NAK SHOULD say why (56), and names its server (54) only. */
	assert_true(reply_has(&sent[0], DHCP_OPT_MESSAGE));
	assert_false(reply_has(&sent[0], DHCP_OPT_LEASE_TIME));
	assert_int_equal(yiaddr_of(&sent[0]), 0);
}

static void test_rfc2131_4_3_2_init_reboot_on_a_sibling_subnet_is_the_right_network(void **state)
{
	struct fixture *f = *state;
	struct req r;
	/* 192.168.2.0/24 shares the link with 192.168.1.0/24: not the wrong network. */
	req_init(&r, DHCPREQUEST, 2, 1);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, IP(192, 168, 2, 100));
	input(f, &f->direct, &r);
	poll_until(f, 1);
	assert_int_equal(reply_type(&sent[0]), DHCPACK);
	assert_int_equal(yiaddr_of(&sent[0]), IP(192, 168, 2, 100));
	assert_int_equal(reply_u32(&sent[0], DHCP_OPT_SUBNET_MASK), 0xffffff00u);
	/* 10.9.0.0/24 is another network of the tenant: wrong here. */
	req_init(&r, DHCPREQUEST, 3, 1);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, IP(10, 9, 0, 10));
	input(f, &f->direct, &r);
	assert_int_equal(reply_type(&sent[1]), DHCPNAK);
}

static void test_rfc2131_4_3_2_init_reboot_without_record(void **state)
{
	struct fixture *f = *state;
	struct req r;
	uint32_t taken = dora(f, &f->direct, 4, NULL, 0);
	/* Someone else's address: NAK. */
	req_init(&r, DHCPREQUEST, 5, 1);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, taken);
	input(f, &f->direct, &r);
	assert_int_equal(reply_type(&sent[2]), DHCPNAK);
	/* Not authoritative and no record of this client: "MUST remain silent". */
	f->tenant->authoritative = false;
	req_init(&r, DHCPREQUEST, 5, 2);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, IP(192, 168, 1, 108));
	input(f, &f->direct, &r);
	settle(f, 3);
	/* Authoritative: the database is the record, a free address is granted. */
	f->tenant->authoritative = true;
	input(f, &f->direct, &r);
	poll_until(f, 4);
	assert_int_equal(reply_type(&sent[3]), DHCPACK);
	assert_int_equal(yiaddr_of(&sent[3]), IP(192, 168, 1, 108));
}

static void test_rfc2131_4_3_2_rebinding_broadcast_extends_and_is_counted(void **state)
{
	struct fixture *f = *state;
	uint32_t addr = dora(f, &f->direct, 6, NULL, 0);
	struct req r;
	req_init(&r, DHCPREQUEST, 6, 77);
	put32(r.b + 12, addr);
	input(f, &f->direct, &r); /* broadcast: REBINDING */
	poll_until(f, 3);
	assert_int_equal(reply_type(&sent[2]), DHCPACK);
	assert_int_equal(sent[2].dest.dst_ip, addr); /* 4.1: ciaddr set, unicast to it */
	assert_int_equal(counter(f, TC_REQ_REBINDING), 1);
	req_init(&r, DHCPREQUEST, 6, 78);
	put32(r.b + 12, addr);
	input(f, &f->unicast, &r); /* unicast: RENEWING */
	poll_until(f, 4);
	assert_int_equal(reply_type(&sent[3]), DHCPACK);
	assert_int_equal(counter(f, TC_REQ_RENEWING), 1);
	/* Another client's address in ciaddr: NAK, broadcast (giaddr 0). */
	req_init(&r, DHCPREQUEST, 7, 79);
	put32(r.b + 12, addr);
	input(f, &f->direct, &r);
	assert_int_equal(reply_type(&sent[4]), DHCPNAK);
	assert_int_equal(sent[4].dest.dst_ip, BCAST);
}

static void test_rfc5010_relay_unicast_flag_marks_renewing(void **state)
{
	struct fixture *f = *state;
	static const uint8_t o82[] = {1, 5, 'c', 'a', 'p', 'r', '0'};
	static const uint8_t o82_unicast[] = {1, 5, 'c', 'a', 'p', 'r', '0', 10, 1, 0x80};
	uint32_t addr = dora(f, &f->relayed, 8, o82, sizeof(o82));
	struct req r;
	req_init(&r, DHCPREQUEST, 8, 1);
	put32(r.b + 12, addr);
	req_relayed(&r, o82, sizeof(o82));
	input(f, &f->relayed, &r);
	poll_until(f, 3);
	assert_int_equal(counter(f, TC_REQ_REBINDING), 1);
	req_init(&r, DHCPREQUEST, 8, 2);
	put32(r.b + 12, addr);
	req_relayed(&r, o82_unicast, sizeof(o82_unicast));
	input(f, &f->relayed, &r);
	poll_until(f, 4);
	assert_int_equal(reply_type(&sent[3]), DHCPACK);
	assert_int_equal(counter(f, TC_REQ_RENEWING), 1);
	/* The flags sub-option goes back inside option 82, unchanged (RFC 3046 2.2). */
	size_t len;
	const uint8_t *v = reply_opt(&sent[3], DHCP_OPT_RELAY_AGENT, &len);
	assert_int_equal(len, sizeof(o82_unicast));
	assert_memory_equal(v, o82_unicast, len);
}

static void test_rfc2131_4_3_2_relayed_nak_sets_broadcast_bit(void **state)
{
	struct fixture *f = *state;
	struct req r;
	req_init(&r, DHCPREQUEST, 9, 1);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, IP(172, 30, 0, 1));
	req_relayed(&r, NULL, 0);
	input(f, &f->relayed, &r);
	assert_int_equal(n_sent, 1);
	assert_int_equal(reply_type(&sent[0]), DHCPNAK);
	assert_int_equal(sent[0].msg[10] & 0x80, 0x80);
	assert_int_equal(sent[0].dest.dst_ip, GIADDR);
	assert_int_equal(sent[0].dest.dst_port, 67);
}

static void test_rfc2131_4_3_2_selecting_names_our_offer_or_nak(void **state)
{
	struct fixture *f = *state;
	struct req r;
	req_init(&r, DHCPDISCOVER, 10, 5);
	input(f, &f->direct, &r);
	uint32_t offered = yiaddr_of(&sent[0]);
	/* Another server's identifier: the offer is freed, nothing is sent. */
	req_init(&r, DHCPREQUEST, 10, 5);
	req_opt_ip(&r, DHCP_OPT_SERVER_ID, IP(192, 168, 1, 77));
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, offered);
	input(f, &f->direct, &r);
	settle(f, 1);
	assert_int_equal(counter(f, TC_DROP_NOT_FOR_US), 1);
	/* Ours, but no requested address: NAK. */
	req_init(&r, DHCPREQUEST, 10, 6);
	req_opt_ip(&r, DHCP_OPT_SERVER_ID, LOCAL);
	input(f, &f->direct, &r);
	assert_int_equal(reply_type(&sent[1]), DHCPNAK);
}

/* --- DECLINE, RELEASE, INFORM ---------------------------------------------------------- */

static void test_rfc2131_4_3_3_decline_quarantines_the_address(void **state)
{
	struct fixture *f = *state;
	uint32_t addr = dora(f, &f->direct, 11, NULL, 0);
	struct req r;
	req_init(&r, DHCPDECLINE, 11, 9);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, addr);
	req_opt_ip(&r, DHCP_OPT_SERVER_ID, LOCAL);
	input(f, &f->direct, &r);
	wait_db_state(f, addr, 4 /* declined */);
	assert_int_equal(counter(f, TC_DECLINED), 1);
	assert_int_equal(n_sent, 2); /* no reply to a DECLINE */
	/* Never offered again meanwhile: not to the client, not when asked for. */
	for (uint8_t c = 11; c < 16; c++) {
		req_init(&r, DHCPDISCOVER, c, 100 + c);
		req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, addr);
		input(f, &f->direct, &r);
		assert_int_equal(reply_type(&sent[n_sent - 1]), DHCPOFFER);
		assert_int_not_equal(yiaddr_of(&sent[n_sent - 1]), addr);
	}
	/* INIT-REBOOT for it: NAK. */
	req_init(&r, DHCPREQUEST, 16, 1);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, addr);
	input(f, &f->direct, &r);
	assert_int_equal(reply_type(&sent[n_sent - 1]), DHCPNAK);
}

/*
 * RFC 2131 4.3.3: the quarantine is in the lease database, so an engine started on it
 * later (the daemon restarted) keeps the address out of service until it ends.
 */
static void test_rfc2131_4_3_3_quarantine_survives_a_restart(void **state)
{
	struct fixture *f = *state;
	uint32_t addr = dora(f, &f->direct, 17, NULL, 0);
	struct req r;
	req_init(&r, DHCPDECLINE, 17, 9);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, addr);
	req_opt_ip(&r, DHCP_OPT_SERVER_ID, LOCAL);
	input(f, &f->direct, &r);
	wait_db_state(f, addr, 4 /* declined */);

	int64_t now = time(NULL);
	struct dhcp_engine_params ep = {
	    .owner = 0, .store = f->store, .tx = capture, .max_pending = 16};
	struct dhcp_engine *e2 = dhcp_engine_create(&ep);
	assert_non_null(e2);
	assert_int_equal(dhcp_engine_add_tenant(e2, f->tenant, now), 0);
	size_t base = n_sent;
	req_init(&r, DHCPDISCOVER, 18, 1);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, addr);
	input_at(f, e2, &f->direct, &r, now);
	assert_int_equal(n_sent, base + 1);
	assert_int_equal(reply_type(&sent[base]), DHCPOFFER);
	assert_int_not_equal(yiaddr_of(&sent[base]), addr);
	/* The quarantine (decline_time, 600 s) over, the address is offered again. */
	req_init(&r, DHCPDISCOVER, 19, 2);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, addr);
	input_at(f, e2, &f->direct, &r, now + 601);
	assert_int_equal(n_sent, base + 2);
	assert_int_equal(yiaddr_of(&sent[base + 1]), addr);
	dhcp_engine_destroy(e2);
}

static void test_rfc2131_4_3_3_decline_only_from_the_holder(void **state)
{
	struct fixture *f = *state;
	uint32_t addr = dora(f, &f->direct, 17, NULL, 0);
	struct req r;
	req_init(&r, DHCPDECLINE, 18, 9); /* another client */
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, addr);
	req_opt_ip(&r, DHCP_OPT_SERVER_ID, LOCAL);
	input(f, &f->direct, &r);
	settle(f, 2);
	assert_int_equal(counter(f, TC_DROP_DECLINE_NOT_HOLDER), 1);
	assert_int_equal(db_state(f->path, addr), 1 /* active */);
	/* The holder renews its address as before. */
	req_init(&r, DHCPREQUEST, 17, 10);
	put32(r.b + 12, addr);
	input(f, &f->unicast, &r);
	poll_until(f, 3);
	assert_int_equal(reply_type(&sent[2]), DHCPACK);
}

static void test_rfc2131_4_3_4_release_frees_for_its_client_only(void **state)
{
	struct fixture *f = *state;
	uint32_t addr = dora(f, &f->direct, 19, NULL, 0);
	struct req r;
	req_init(&r, DHCPRELEASE, 20, 1);
	put32(r.b + 12, addr);
	req_opt_ip(&r, DHCP_OPT_SERVER_ID, LOCAL);
	input(f, &f->unicast, &r);
	settle(f, 2);
	assert_int_equal(db_state(f->path, addr), 1);
	assert_int_equal(counter(f, TC_DROP_RELEASE_NOT_HOLDER), 1);
	/* Naming another server: not for us, whoever sends it. */
	req_init(&r, DHCPRELEASE, 19, 3);
	put32(r.b + 12, addr);
	req_opt_ip(&r, DHCP_OPT_SERVER_ID, IP(192, 168, 1, 77));
	input(f, &f->unicast, &r);
	settle(f, 2);
	assert_int_equal(db_state(f->path, addr), 1);
	assert_int_equal(counter(f, TC_DROP_NOT_FOR_US), 1);
	req_init(&r, DHCPRELEASE, 19, 2);
	put32(r.b + 12, addr);
	req_opt_ip(&r, DHCP_OPT_SERVER_ID, LOCAL);
	input(f, &f->unicast, &r);
	wait_db_state(f, addr, 2 /* released */);
	assert_int_equal(n_sent, 2);
}

static void test_rfc2131_4_3_5_inform_acks_options_without_lease(void **state)
{
	struct fixture *f = *state;
	struct req r;
	uint8_t prl[] = {1, 3, 6, 15, 51};
	req_init(&r, DHCPINFORM, 21, 3);
	put32(r.b + 12, IP(192, 168, 1, 50));
	req_opt(&r, DHCP_OPT_PARAM_LIST, prl, sizeof(prl));
	struct dhcp_path p = f->unicast;
	p.src_ip = IP(192, 168, 1, 50);
	input(f, &p, &r);
	assert_int_equal(n_sent, 1);
	const struct sent *s = &sent[0];
	assert_int_equal(reply_type(s), DHCPACK);
	assert_int_equal(yiaddr_of(s), 0);
	assert_false(reply_has(s, DHCP_OPT_LEASE_TIME));
	assert_false(reply_has(s, DHCP_OPT_RENEWAL_TIME));
	assert_false(reply_has(s, DHCP_OPT_REBINDING_TIME));
	assert_int_equal(reply_u32(s, DHCP_OPT_ROUTERS), IP(192, 168, 1, 1));
	assert_int_equal(s->dest.dst_ip, IP(192, 168, 1, 50));
	assert_int_equal(s->dest.dst_port, 68);
	/* Nothing was leased. */
	settle(f, 1);
	assert_int_equal(db_state(f->path, IP(192, 168, 1, 50)), 0);
	/* Relayed, the ACK still goes straight to ciaddr (a relay would send it to yiaddr 0). */
	req_init(&r, DHCPINFORM, 21, 4);
	put32(r.b + 12, IP(192, 168, 1, 50));
	req_relayed(&r, (const uint8_t[]){1, 1, 'x'}, 3);
	input(f, &f->relayed, &r);
	assert_int_equal(sent[1].dest.dst_ip, IP(192, 168, 1, 50));
	assert_int_equal(sent[1].dest.dst_port, 68);
	assert_memory_equal(sent[1].dest.dst_mac, f->relayed.src_mac, 6);
}

/* --- identity and options ------------------------------------------------------------- */

static void test_rfc6842_client_id_is_the_identity_and_is_echoed(void **state)
{
	struct fixture *f = *state;
	struct req r;
	/* Same chaddr, two client identifiers: two clients, two addresses. */
	req_init(&r, DHCPDISCOVER, 22, 1);
	req_opt(&r, DHCP_OPT_CLIENT_ID, "\x01\x11", 2);
	input(f, &f->direct, &r);
	req_init(&r, DHCPDISCOVER, 22, 2);
	req_opt(&r, DHCP_OPT_CLIENT_ID, "\x01\x12", 2);
	input(f, &f->direct, &r);
	assert_int_not_equal(yiaddr_of(&sent[0]), yiaddr_of(&sent[1]));
	size_t len;
	const uint8_t *v = reply_opt(&sent[1], DHCP_OPT_CLIENT_ID, &len);
	assert_int_equal(len, 2);
	assert_memory_equal(v, "\x01\x12", 2);
	/* A NAK echoes it too. */
	req_init(&r, DHCPREQUEST, 22, 3);
	req_opt(&r, DHCP_OPT_CLIENT_ID, "\x01\x12", 2);
	input(f, &f->direct, &r);
	assert_int_equal(reply_type(&sent[2]), DHCPNAK);
	assert_true(reply_has(&sent[2], DHCP_OPT_CLIENT_ID));
}

static void test_rfc2132_9_8_parameter_request_list_order(void **state)
{
	struct fixture *f = *state;
	struct req r;
	uint8_t prl[] = {42, 15, 3, 6};
	req_init(&r, DHCPDISCOVER, 23, 1);
	req_opt(&r, DHCP_OPT_PARAM_LIST, prl, sizeof(prl));
	input(f, &f->direct, &r);
	const struct sent *s = &sent[0];
	/* The requested options appear in the client's order after the server's own. */
	size_t i = DHCP_OPTIONS_OFF, k = 0;
	while (s->msg[i] != DHCP_OPT_END) {
		if (k < sizeof(prl) && s->msg[i] == prl[k])
			k++;
		i += 2u + s->msg[i + 1];
	}
	assert_int_equal(k, sizeof(prl));
	/* Without a request list: routers, DNS and domain only. */
	req_init(&r, DHCPDISCOVER, 24, 1);
	input(f, &f->direct, &r);
	assert_true(reply_has(&sent[1], DHCP_OPT_ROUTERS));
	assert_false(reply_has(&sent[1], 42));
}

static void test_rfc2132_9_10_reply_fits_max_message_size(void **state)
{
	struct fixture *f = *state;
	struct req r;
	/* Long options in the pool: 200, 100 and 200 octets (codes 150, 151, 152). */
	static uint8_t big[200];
	memset(big, 'a', sizeof(big));
	struct optset *po = &f->tenant->subnets[0].pool_options[0];
	assert_int_equal(optset_put(po, 150, big, 200), 0);
	assert_int_equal(optset_put(po, 151, big, 100), 0);
	assert_int_equal(optset_put(po, 152, big, 200), 0);
	uint8_t prl[] = {3, 150, 151, 152, 6, 15};
	req_init(&r, DHCPDISCOVER, 25, 1);
	req_opt(&r, DHCP_OPT_PARAM_LIST, prl, sizeof(prl));
	req_opt(&r, DHCP_OPT_MAX_MSG_SIZE, "\x02\x40", 2); /* 576 */
	input(f, &f->direct, &r);
	assert_int_equal(n_sent, 1);
	/* 576 is the IP datagram: 548 octets of DHCP at most. */
	assert_true(sent[0].len <= 548);
	assert_true(reply_has(&sent[0], 150));
	assert_true(reply_has(&sent[0], 151));               /* in the file field ... */
	assert_true(reply_has(&sent[0], DHCP_OPT_OVERLOAD)); /* ... says option 52 (4.1) */
	assert_true(reply_has(&sent[0], 6));
	assert_true(reply_has(&sent[0], 15));
	assert_false(reply_has(&sent[0], 152)); /* the one that fits nowhere is left out */
	assert_int_equal(counter(f, TC_OPTIONS_DROPPED), 1);
	/* With room for it all, no overload and nothing left out. */
	req_init(&r, DHCPDISCOVER, 25, 2);
	req_opt(&r, DHCP_OPT_PARAM_LIST, prl, sizeof(prl));
	req_opt(&r, DHCP_OPT_MAX_MSG_SIZE, "\x05\xdc", 2); /* 1500 */
	input(f, &f->direct, &r);
	assert_true(reply_has(&sent[1], 152));
	assert_false(reply_has(&sent[1], DHCP_OPT_OVERLOAD));
	/* RFC 1542 3.1: a short reply is padded to 300 octets. */
	req_init(&r, DHCPREQUEST, 26, 3);
	input(f, &f->direct, &r);
	assert_int_equal(sent[2].len, DHCP_BOOTP_MIN_LEN);
}

static void test_rfc2131_4_3_1_lease_time_within_bounds_and_timers(void **state)
{
	struct fixture *f = *state;
	struct req r;
	static const struct {
		uint32_t want, got;
	} cases[] = {{0, 600}, {30, 60}, {120, 120}, {999999, 3600}};
	for (size_t i = 0; i < 4; i++) {
		req_init(&r, DHCPDISCOVER, 27, (uint32_t)i);
		if (cases[i].want)
			req_opt_ip(&r, DHCP_OPT_LEASE_TIME, cases[i].want);
		input(f, &f->direct, &r);
		assert_int_equal(reply_u32(&sent[i], DHCP_OPT_LEASE_TIME), cases[i].got);
		/* RFC 2131 4.4.5: T1 = 1/2, T2 = 7/8 of the lease by default. */
		assert_int_equal(reply_u32(&sent[i], DHCP_OPT_RENEWAL_TIME), cases[i].got / 2);
		assert_int_equal(reply_u32(&sent[i], DHCP_OPT_REBINDING_TIME),
		                 cases[i].got * 7 / 8);
	}
	/* Configured T1/T2 (58/59) are used as they are. */
	f->tenant->subnets[0].times.renew_time = 100;
	f->tenant->subnets[0].times.rebind_time = 400;
	req_init(&r, DHCPDISCOVER, 27, 9);
	input(f, &f->direct, &r);
	assert_int_equal(reply_u32(&sent[4], DHCP_OPT_RENEWAL_TIME), 100);
	assert_int_equal(reply_u32(&sent[4], DHCP_OPT_REBINDING_TIME), 400);
}

/* --- reservations ----------------------------------------------------------------------- */

static void test_reservation_by_mac_inside_pool_never_to_another(void **state)
{
	struct fixture *f = *state;
	struct req r;
	/* Others asking for it, and the whole pool handed out: never .105. */
	for (uint8_t c = 30; c < 39; c++) {
		req_init(&r, DHCPDISCOVER, c, c);
		req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, IP(192, 168, 1, 105));
		input(f, &f->direct, &r);
		assert_int_not_equal(yiaddr_of(&sent[n_sent - 1]), IP(192, 168, 1, 105));
	}
	req_init(&r, DHCPREQUEST, 39, 1);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, IP(192, 168, 1, 105));
	input(f, &f->direct, &r);
	assert_int_equal(reply_type(&sent[n_sent - 1]), DHCPNAK);
	/* Its own client gets it, with the reservation's options over the pool's. */
	uint32_t addr = dora(f, &f->direct, 0x50, NULL, 0);
	assert_int_equal(addr, IP(192, 168, 1, 105));
	size_t len;
	const uint8_t *v = reply_opt(&sent[n_sent - 1], DHCP_OPT_DOMAIN_NAME, &len);
	assert_int_equal(len, 11);
	assert_memory_equal(v, "res.example", 11);
}

static void test_reservation_by_client_id_outside_pool(void **state)
{
	struct fixture *f = *state;
	struct req r;
	req_init(&r, DHCPDISCOVER, 40, 1);
	req_opt(&r, DHCP_OPT_CLIENT_ID, "\x01\xaa\xbb", 3);
	uint8_t prl[] = {15};
	req_opt(&r, DHCP_OPT_PARAM_LIST, prl, 1);
	input(f, &f->direct, &r);
	assert_int_equal(yiaddr_of(&sent[0]), IP(192, 168, 1, 20));
	req_init(&r, DHCPREQUEST, 40, 1);
	req_opt(&r, DHCP_OPT_CLIENT_ID, "\x01\xaa\xbb", 3);
	req_opt_ip(&r, DHCP_OPT_SERVER_ID, LOCAL);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, IP(192, 168, 1, 20));
	input(f, &f->direct, &r);
	poll_until(f, 2);
	assert_int_equal(reply_type(&sent[1]), DHCPACK);
	wait_db_state(f, IP(192, 168, 1, 20), 1);
	/* A pool client gets the pool's domain, the reserved one outside it the subnet's. */
	size_t len;
	const uint8_t *v = reply_opt(&sent[1], DHCP_OPT_DOMAIN_NAME, &len);
	assert_memory_equal(v, "acme.example", 12);
	req_init(&r, DHCPDISCOVER, 41, 2);
	req_opt(&r, DHCP_OPT_PARAM_LIST, prl, 1);
	input(f, &f->direct, &r);
	v = reply_opt(&sent[2], DHCP_OPT_DOMAIN_NAME, &len);
	assert_memory_equal(v, "pool.example", 12);
}

static void test_rfc3046_reservation_by_circuit_id_only_from_a_relay(void **state)
{
	struct fixture *f = *state;
	static const uint8_t o82[] = {1, 5, 'c', 'a', 'p', 'r', '9'};
	uint32_t addr = dora(f, &f->relayed, 42, o82, sizeof(o82));
	assert_int_equal(addr, IP(192, 168, 1, 21));
	/* A direct client cannot claim it with an option 82 of its own. */
	struct req r;
	req_init(&r, DHCPDISCOVER, 43, 1);
	req_opt(&r, DHCP_OPT_RELAY_AGENT, o82, sizeof(o82));
	input(f, &f->direct, &r);
	assert_int_not_equal(yiaddr_of(&sent[2]), IP(192, 168, 1, 21));
	assert_false(reply_has(&sent[2], DHCP_OPT_RELAY_AGENT));
}

/* --- relays ---------------------------------------------------------------------------- */

static void test_rfc3527_link_selection_picks_the_subnet(void **state)
{
	struct fixture *f = *state;
	static const uint8_t o82[] = {1, 1, 'x', 5, 4, 10, 9, 0, 1};
	static const uint8_t unknown[] = {5, 4, 172, 31, 0, 1};
	struct req r;
	req_init(&r, DHCPDISCOVER, 44, 1);
	req_relayed(&r, o82, sizeof(o82));
	put32(r.b + 24, IP(10, 0, 1, 2)); /* giaddr: the relay's upstream address */
	input(f, &f->relayed, &r);
	assert_int_equal(n_sent, 1);
	uint32_t a = yiaddr_of(&sent[0]);
	assert_true(a == IP(10, 9, 0, 10) || a == IP(10, 9, 0, 11));
	assert_int_equal(sent[0].dest.dst_ip, IP(10, 0, 1, 2));
	/* A link the tenant has no subnet for: no reply, never a fallback to giaddr. */
	req_init(&r, DHCPDISCOVER, 45, 1);
	req_relayed(&r, unknown, sizeof(unknown));
	input(f, &f->relayed, &r);
	settle(f, 1);
	assert_int_equal(counter(f, TC_DROP_NO_SUBNET), 1);
}

static void test_rfc3011_subnet_selection_picks_and_is_echoed(void **state)
{
	struct fixture *f = *state;
	struct req r;
	req_init(&r, DHCPDISCOVER, 46, 1);
	req_opt_ip(&r, DHCP_OPT_SUBNET_SELECTION, IP(10, 9, 0, 0));
	input(f, &f->direct, &r);
	uint32_t a = yiaddr_of(&sent[0]);
	assert_true(a == IP(10, 9, 0, 10) || a == IP(10, 9, 0, 11));
	assert_int_equal(reply_u32(&sent[0], DHCP_OPT_SUBNET_SELECTION), IP(10, 9, 0, 0));
}

static void test_rfc5107_server_identifier_override(void **state)
{
	struct fixture *f = *state;
	static const uint8_t o82[] = {11, 4, 192, 168, 1, 1};
	uint32_t addr = dora(f, &f->relayed, 47, o82, sizeof(o82));
	/* The client knows us by the relay's address, and its REQUEST naming it was ours. */
	assert_int_equal(reply_u32(&sent[0], DHCP_OPT_SERVER_ID), GIADDR);
	assert_int_equal(reply_u32(&sent[1], DHCP_OPT_SERVER_ID), GIADDR);
	assert_int_equal(yiaddr_of(&sent[1]), addr);
	/* Without the override, that identifier is another server's. */
	struct req r;
	req_init(&r, DHCPREQUEST, 48, 1);
	req_opt_ip(&r, DHCP_OPT_SERVER_ID, GIADDR);
	req_opt_ip(&r, DHCP_OPT_REQUESTED_IP, IP(192, 168, 1, 101));
	req_relayed(&r, NULL, 0);
	input(f, &f->relayed, &r);
	settle(f, 2);
	assert_int_equal(counter(f, TC_DROP_NOT_FOR_US), 1);
}

static void test_rfc8357_reply_to_the_relay_source_port(void **state)
{
	struct fixture *f = *state;
	static const uint8_t o82[] = {1, 1, 'x', 19, 0};
	struct dhcp_path p = f->relayed;
	p.src_port = 3067;
	struct req r;
	req_init(&r, DHCPDISCOVER, 49, 1);
	req_relayed(&r, o82, sizeof(o82));
	input(f, &p, &r);
	assert_int_equal(sent[0].dest.dst_port, 3067);
	assert_int_equal(sent[0].dest.dst_ip, GIADDR);
	/* Without the sub-option, the server port, whatever the source port. */
	req_init(&r, DHCPDISCOVER, 49, 2);
	req_relayed(&r, (const uint8_t[]){1, 1, 'x'}, 3);
	input(f, &p, &r);
	assert_int_equal(sent[1].dest.dst_port, 67);
}

/*
 * RFC 6607 3.3: the VSS-Control sub-option (152) tells the relay, by its absence from the
 * echo, that the server understood the VSS sub-option (151); everything else in option 82,
 * 151 included, goes back unchanged and in order (RFC 3046 2.2), in the OFFER and the ACK.
 */
static void test_rfc6607_vss_control_is_not_echoed(void **state)
{
	struct fixture *f = *state;
	static const uint8_t o82[] = {1,   5,   'c', 'a', 'p', 'r', '0', 151, 5,   0,   'b',
	                              'l', 'u', 'e', 152, 0,   2,   2,   'r', '1', 152, 0};
	static const uint8_t echo[] = {1, 5,   'c', 'a', 'p', 'r', '0', 151, 5,
	                               0, 'b', 'l', 'u', 'e', 2,   2,   'r', '1'};
	size_t len;
	dora(f, &f->relayed, 53, o82, sizeof(o82));
	for (int i = 0; i < 2; i++) {
		const uint8_t *v = reply_opt(&sent[i], DHCP_OPT_RELAY_AGENT, &len);
		assert_non_null(v);
		assert_int_equal(len, sizeof(echo));
		assert_memory_equal(v, echo, sizeof(echo));
	}
	/* Without 152, option 82 goes back byte for byte, a trailing fragment included. */
	static const uint8_t plain[] = {1, 1, 'x', 151, 2, 255, 0, 9};
	struct req r;
	req_init(&r, DHCPDISCOVER, 54, 1);
	req_relayed(&r, plain, sizeof(plain));
	input(f, &f->relayed, &r);
	assert_int_equal(n_sent, 3);
	const uint8_t *v = reply_opt(&sent[2], DHCP_OPT_RELAY_AGENT, &len);
	assert_non_null(v);
	assert_int_equal(len, sizeof(plain));
	assert_memory_equal(v, plain, sizeof(plain));
	/* An option 82 that held only 152 leaves nothing to echo: no option 82 at all. */
	req_init(&r, DHCPDISCOVER, 55, 1);
	req_relayed(&r, (const uint8_t[]){152, 0}, 2);
	input(f, &f->relayed, &r);
	assert_int_equal(n_sent, 4);
	assert_int_equal(reply_type(&sent[3]), DHCPOFFER);
	assert_false(reply_has(&sent[3], DHCP_OPT_RELAY_AGENT));
}

/* --- rapid commit, shared networks, malformed input ----------------------------------- */

static void test_rfc4039_rapid_commit(void **state)
{
	struct fixture *f = *state;
	struct req r;
	/* Disabled (the default): an ordinary OFFER, without option 80. */
	req_init(&r, DHCPDISCOVER, 50, 1);
	req_opt(&r, DHCP_OPT_RAPID_COMMIT, NULL, 0);
	input(f, &f->direct, &r);
	assert_int_equal(reply_type(&sent[0]), DHCPOFFER);
	assert_false(reply_has(&sent[0], DHCP_OPT_RAPID_COMMIT));
	/* Enabled: an ACK with option 80, after the commit. */
	f->tenant->rapid_commit = true;
	req_init(&r, DHCPDISCOVER, 51, 2);
	req_opt(&r, DHCP_OPT_RAPID_COMMIT, NULL, 0);
	input(f, &f->direct, &r);
	assert_int_equal(n_sent, 1);
	poll_until(f, 2);
	assert_int_equal(reply_type(&sent[1]), DHCPACK);
	assert_true(reply_has(&sent[1], DHCP_OPT_RAPID_COMMIT));
	assert_int_equal(db_state(f->path, yiaddr_of(&sent[1])), 1);
	/* Enabled, but the client did not ask: an OFFER. */
	req_init(&r, DHCPDISCOVER, 52, 3);
	input(f, &f->direct, &r);
	assert_int_equal(reply_type(&sent[2]), DHCPOFFER);
}

static void test_shared_network_moves_to_the_next_subnet_then_exhausts(void **state)
{
	struct fixture *f = *state;
	struct req r;
	/* 192.168.1.100-109 less the reserved .105: 9, then 192.168.2.100-101: 2. */
	for (uint8_t c = 60; c < 71; c++) {
		req_init(&r, DHCPDISCOVER, c, c);
		input(f, &f->direct, &r);
		assert_int_equal(n_sent, (size_t)(c - 59));
		uint32_t a = yiaddr_of(&sent[n_sent - 1]);
		if (c < 69)
			assert_int_equal(a & 0xffffff00u, IP(192, 168, 1, 0));
		else
			assert_int_equal(a & 0xffffff00u, IP(192, 168, 2, 0));
		/* The mask and router are those of the address's subnet. */
		assert_int_equal(reply_u32(&sent[n_sent - 1], DHCP_OPT_ROUTERS),
		                 (a & 0xffffff00u) + 1);
	}
	/* Exhausted: no OFFER, counted each time. */
	for (uint8_t c = 71; c < 74; c++) {
		req_init(&r, DHCPDISCOVER, c, c);
		input(f, &f->direct, &r);
	}
	assert_int_equal(n_sent, 11);
	assert_int_equal(counter(f, TC_DROP_POOL_EXHAUSTED), 3);
}

static void test_rfc2131_2_malformed_requests_counted_by_reason(void **state)
{
	struct fixture *f = *state;
	struct req r;
	req_init(&r, DHCPDISCOVER, 80, 1);
	r.b[2] = 17; /* hlen */
	input(f, &f->direct, &r);
	req_init(&r, DHCPDISCOVER, 80, 2);
	r.b[0] = DHCP_BOOTREPLY;
	input(f, &f->direct, &r);
	req_init(&r, DHCPDISCOVER, 80, 3);
	r.b[236] = 0; /* cookie */
	input(f, &f->direct, &r);
	req_init(&r, DHCPDISCOVER, 80, 4);
	r.b[3] = 17; /* hops */
	input(f, &f->direct, &r);
	assert_int_equal(n_sent, 0);
	assert_int_equal(counter(f, TC_DROP_BAD_HLEN), 1);
	assert_int_equal(counter(f, TC_DROP_NOT_REQUEST), 1);
	assert_int_equal(counter(f, TC_DROP_NO_COOKIE), 1);
	assert_int_equal(counter(f, TC_DROP_BAD_HOPS), 1);
	assert_int_equal(counter(f, TC_DROP_MALFORMED), 4);
}

int main(void)
{
	assert_int_equal(dhcp_client_key_init(), 0);
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	    T(test_rfc2131_4_3_2_init_reboot_wrong_network_silent_unless_authoritative),
	    T(test_rfc2131_4_3_2_init_reboot_on_a_sibling_subnet_is_the_right_network),
	    T(test_rfc2131_4_3_2_init_reboot_without_record),
	    T(test_rfc2131_4_3_2_rebinding_broadcast_extends_and_is_counted),
	    T(test_rfc5010_relay_unicast_flag_marks_renewing),
	    T(test_rfc2131_4_3_2_relayed_nak_sets_broadcast_bit),
	    T(test_rfc2131_4_3_2_selecting_names_our_offer_or_nak),
	    T(test_rfc2131_4_3_3_decline_quarantines_the_address),
	    T(test_rfc2131_4_3_3_quarantine_survives_a_restart),
	    T(test_rfc2131_4_3_3_decline_only_from_the_holder),
	    T(test_rfc2131_4_3_4_release_frees_for_its_client_only),
	    T(test_rfc2131_4_3_5_inform_acks_options_without_lease),
	    T(test_rfc6842_client_id_is_the_identity_and_is_echoed),
	    T(test_rfc2132_9_8_parameter_request_list_order),
	    T(test_rfc2132_9_10_reply_fits_max_message_size),
	    T(test_rfc2131_4_3_1_lease_time_within_bounds_and_timers),
	    T(test_reservation_by_mac_inside_pool_never_to_another),
	    T(test_reservation_by_client_id_outside_pool),
	    T(test_rfc3046_reservation_by_circuit_id_only_from_a_relay),
	    T(test_rfc3527_link_selection_picks_the_subnet),
	    T(test_rfc3011_subnet_selection_picks_and_is_echoed),
	    T(test_rfc5107_server_identifier_override),
	    T(test_rfc8357_reply_to_the_relay_source_port),
	    T(test_rfc6607_vss_control_is_not_echoed),
	    T(test_rfc4039_rapid_commit),
	    T(test_shared_network_moves_to_the_next_subnet_then_exhausts),
	    T(test_rfc2131_2_malformed_requests_counted_by_reason),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
