#include "test_engine_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

struct et_reply et_sent[ET_MAX_REPLIES];
size_t et_n_sent;

static void et_capture(void *ctx, const struct dhcp_reply *reply, const uint8_t *msg, size_t len)
{
	(void)ctx;
	assert_true(et_n_sent < ET_MAX_REPLIES);
	et_sent[et_n_sent].dest = *reply;
	memcpy(et_sent[et_n_sent].msg, msg, len);
	et_sent[et_n_sent].len = len;
	et_n_sent++;
}

static void count_release(void *ctx, void *buf)
{
	(void)buf;
	/* tx_ctx is the fixture. */
	((struct et_fixture *)ctx)->released++;
}

struct et_fixture *et_setup(uint32_t queue_total, uint32_t queue_tenant)
{
	struct et_fixture *f = calloc(1, sizeof(*f));
	char err[256];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/mtdhcp-isolate-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/leases.db", f->dir);
	struct lease_store_params lp = {.path = f->path,
	                                .synchronous_full = false,
	                                .batch_max = 64,
	                                .batch_usec = 100,
	                                .queue_size = 1024,
	                                .n_owners = 1};
	f->store = lease_store_open(&lp, err, sizeof(err));
	assert_non_null(f->store);
	struct dhcp_engine_params ep = {.owner = 0,
	                                .store = f->store,
	                                .tx = et_capture,
	                                .tx_ctx = f,
	                                .max_pending = 64,
	                                .release = count_release,
	                                .queue_total = queue_total,
	                                .queue_tenant = queue_tenant};
	f->engine = dhcp_engine_create(&ep);
	assert_non_null(f->engine);
	assert_int_equal(lease_store_start(f->store), 0);
	f->relayed = (struct dhcp_path){.port = 0,
	                                .src_ip = IP(192, 168, 1, 1),
	                                .dst_ip = ET_SERVER,
	                                .src_port = 67,
	                                .local_ip = ET_SERVER};
	memcpy(f->relayed.src_mac, (uint8_t[]){0x02, 0, 0, 0, 0x20, 1}, 6);
	atomic_init(&f->lcore_stop, false);
	et_n_sent = 0;
	return f;
}

void et_teardown(struct et_fixture *f)
{
	char cmd[128];

	if (f->lcore_running)
		et_lcore_stop(f);
	lease_store_close(f->store);
	dhcp_engine_destroy(f->engine);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
}

struct tenant *et_tenant(struct et_fixture *f, const char *name, uint8_t first, uint8_t last)
{
	struct tenant *t = tenant_new();

	assert_non_null(t);
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->authoritative = true;
	t->offer_time = 30;
	t->decline_time = 60;
	t->subnets = calloc(1, sizeof(*t->subnets));
	t->n_subnets = 1;
	struct tenant_subnet *sn = &t->subnets[0];
	sn->network = IP(192, 168, 1, 0);
	sn->mask = 0xffffff00u;
	sn->prefix_len = 24;
	sn->times =
	    (struct tenant_lease_times){.default_time = 600, .min_time = 60, .max_time = 3600};
	sn->pools = calloc(1, sizeof(*sn->pools));
	sn->pools[0].first = IP(192, 168, 1, first);
	sn->pools[0].last = IP(192, 168, 1, last);
	sn->n_pools = 1;
	assert_int_equal(lease_store_tenant_id(f->store, name, &t->db_id), 0);
	return t;
}

void et_msg(struct req *m, uint8_t type, uint8_t mac_hi, uint8_t mac_lo, uint32_t xid)
{
	req_init(m, type, mac_lo, xid);
	m->b[28 + 4] = mac_hi;
	req_relayed(m, NULL, 0); /* through one relay, giaddr 192.168.1.1 */
}

void et_discover(struct req *m, uint8_t mac_hi, uint8_t mac_lo)
{
	et_msg(m, DHCPDISCOVER, mac_hi, mac_lo, 0x1000u + mac_lo);
	req_end(m);
}

void et_select(struct req *m, uint8_t mac_hi, uint8_t mac_lo, uint32_t addr)
{
	et_msg(m, DHCPREQUEST, mac_hi, mac_lo, 0x1000u + mac_lo);
	req_opt_ip(m, DHCP_OPT_SERVER_ID, ET_SERVER);
	req_opt_ip(m, DHCP_OPT_REQUESTED_IP, addr);
	req_end(m);
}

void et_renew(struct req *m, uint8_t mac_hi, uint8_t mac_lo, uint32_t addr)
{
	et_msg(m, DHCPREQUEST, mac_hi, mac_lo, 0x2000u + mac_lo);
	put32(m->b + 12, addr);
	req_end(m);
}

void et_release(struct req *m, uint8_t mac_hi, uint8_t mac_lo, uint32_t addr)
{
	et_msg(m, DHCPRELEASE, mac_hi, mac_lo, 0x3000u + mac_lo);
	put32(m->b + 12, addr);
	req_opt_ip(m, DHCP_OPT_SERVER_ID, ET_SERVER);
	req_end(m);
}

void et_input(struct et_fixture *f, const struct tenant *t, struct req *m)
{
	dhcp_engine_input(f->engine, t, &f->relayed, m->b, m->len, time(NULL));
}

void et_poll_until(struct et_fixture *f, size_t want)
{
	for (int i = 0; i < 2000 && et_n_sent < want; i++) {
		dhcp_engine_poll(f->engine, time(NULL));
		if (et_n_sent < want)
			usleep(1000);
	}
}

uint8_t et_reply_type(const struct et_reply *r)
{
	size_t i = DHCP_OPTIONS_OFF;

	while (i + 2 < r->len && r->msg[i] != DHCP_OPT_END) {
		if (r->msg[i] == DHCP_OPT_PAD) {
			i++;
			continue;
		}
		if (r->msg[i] == DHCP_OPT_MSG_TYPE)
			return r->msg[i + 2];
		i += 2 + (size_t)r->msg[i + 1];
	}
	return 0;
}

uint32_t et_reply_yiaddr(const struct et_reply *r)
{
	return get32(r->msg + 16);
}

uint32_t et_dora(struct et_fixture *f, const struct tenant *t, uint8_t mac_hi, uint8_t mac_lo)
{
	struct req m;
	size_t base = et_n_sent;

	et_discover(&m, mac_hi, mac_lo);
	et_input(f, t, &m);
	if (et_n_sent != base + 1 || et_reply_type(&et_sent[base]) != DHCPOFFER)
		return 0;
	uint32_t addr = et_reply_yiaddr(&et_sent[base]);
	et_select(&m, mac_hi, mac_lo, addr);
	et_input(f, t, &m);
	et_poll_until(f, base + 2);
	if (et_n_sent != base + 2 || et_reply_type(&et_sent[base + 1]) != DHCPACK)
		return 0;
	return et_reply_yiaddr(&et_sent[base + 1]);
}

static void *lcore_main(void *arg)
{
	struct et_fixture *f = arg;

	while (!atomic_load(&f->lcore_stop)) {
		dhcp_engine_poll(f->engine, time(NULL));
		usleep(50);
	}
	return NULL;
}

void et_lcore_start(struct et_fixture *f)
{
	atomic_store(&f->lcore_stop, false);
	assert_int_equal(pthread_create(&f->lcore, NULL, lcore_main, f), 0);
	f->lcore_running = true;
}

void et_lcore_stop(struct et_fixture *f)
{
	atomic_store(&f->lcore_stop, true);
	pthread_join(f->lcore, NULL);
	f->lcore_running = false;
}

int et_row_state(struct et_fixture *f, uint32_t tenant_id, uint32_t addr)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int state = -1;

	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 1000);
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT state FROM leases WHERE tenant_id = ?1 AND "
	                                    "address = ?2",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, addr);
	if (sqlite3_step(st) == SQLITE_ROW)
		state = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return state;
}

bool et_row_wait(struct et_fixture *f, uint32_t tenant_id, uint32_t addr, int state)
{
	for (int i = 0; i < 200; i++) {
		if (et_row_state(f, tenant_id, addr) == state)
			return true;
		usleep(10000);
	}
	return false;
}
