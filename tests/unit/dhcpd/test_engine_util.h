/*
 * Helpers for the engine's isolation tests (test_engine_*.c): a lease store on a
 * temporary file, an engine, tenants with one /24 subnet, DHCP messages, captured
 * replies, and an "lcore" thread that polls the engine while the test thread plays the
 * control thread.
 */
#ifndef MTDHCP_TESTS_ENGINE_UTIL_H
#define MTDHCP_TESTS_ENGINE_UTIL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcpd/dhcp_engine.h"
#include "dhcpd/dhcp_msg.h"
#include "lease-store/lease_store.h"
#include "req_testutil.h"
#include "tenants/tenant.h"

#define ET_SERVER      SERVER
#define ET_MAX_REPLIES 512

struct et_reply {
	struct dhcp_reply dest;
	uint8_t msg[DHCP_MSG_MAX];
	size_t len;
};

struct et_fixture {
	char dir[64];
	char path[96];
	struct lease_store *store;
	struct dhcp_engine *engine;
	struct dhcp_path relayed; /* through a relay agent */
	pthread_t lcore;
	atomic_bool lcore_stop;
	bool lcore_running;
	size_t released; /* buffers given back by the engine */
};

extern struct et_reply et_sent[ET_MAX_REPLIES];
extern size_t et_n_sent;

/* Opens a store and creates an engine (max_pending 64); the writer is started. */
struct et_fixture *et_setup(uint32_t queue_total, uint32_t queue_tenant);
void et_teardown(struct et_fixture *f);

/*
 * A tenant called @name with subnet 192.168.1.0/24 and pool .@first-.@last, its db_id
 * taken from the store. The caller frees it (tenant_free).
 */
struct tenant *et_tenant(struct et_fixture *f, const char *name, uint8_t first, uint8_t last);

/*
 * A request from client 02:00:00:00:@mac_hi:@mac_lo through relay GIADDR; options and the
 * end follow with req_opt_ip and req_end (req_testutil.h).
 */
void et_msg(struct req *m, uint8_t type, uint8_t mac_hi, uint8_t mac_lo, uint32_t xid);

/* DISCOVER, REQUEST (selecting, for @addr), RENEW (ciaddr @addr), RELEASE (ciaddr @addr). */
void et_discover(struct req *m, uint8_t mac_hi, uint8_t mac_lo);
void et_select(struct req *m, uint8_t mac_hi, uint8_t mac_lo, uint32_t addr);
void et_renew(struct req *m, uint8_t mac_hi, uint8_t mac_lo, uint32_t addr);
void et_release(struct req *m, uint8_t mac_hi, uint8_t mac_lo, uint32_t addr);

/* Hands @m to the engine for @t (dhcp_engine_input). */
void et_input(struct et_fixture *f, const struct tenant *t, struct req *m);

/* Polls (on this thread) until @want replies were sent in all, or 2 s passed. */
void et_poll_until(struct et_fixture *f, size_t want);

/* DORA for a client of @t; returns the address acknowledged (0 when none). */
uint32_t et_dora(struct et_fixture *f, const struct tenant *t, uint8_t mac_hi, uint8_t mac_lo);

/* The DHCP message type and yiaddr of a reply. */
uint8_t et_reply_type(const struct et_reply *r);
uint32_t et_reply_yiaddr(const struct et_reply *r);

/* Runs dhcp_engine_poll in a loop on a thread of its own (the lcore), until et_lcore_stop. */
void et_lcore_start(struct et_fixture *f);
void et_lcore_stop(struct et_fixture *f);

/* The state of the row (tenant @tenant_id, @addr) in the database, or -1 when none. */
int et_row_state(struct et_fixture *f, uint32_t tenant_id, uint32_t addr);

/* Waits up to 2 s for the row to reach @state. */
bool et_row_wait(struct et_fixture *f, uint32_t tenant_id, uint32_t addr, int state);

#endif
