/*
 * The fixture and helpers of the protocol unit tests (test_proto_*.c): tenant acme behind an
 * engine with a real lease store on a temporary file, so ACKs come only after their commit,
 * and the replies read through the real parser. Requests and the captured replies are
 * req_testutil.h's.
 */
#ifndef MTDHCP_TESTS_PROTO_TESTUTIL_H
#define MTDHCP_TESTS_PROTO_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcpd/dhcp_engine.h"
#include "dhcpd/dhcp_msg.h"

#include "req_testutil.h"

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

/* Option @code of a reply, in any field (option 52 honoured), through the real parser. */
const uint8_t *reply_opt(const struct sent *s, uint8_t code, size_t *len);
uint8_t reply_type(const struct sent *s);
uint32_t reply_u32(const struct sent *s, uint8_t code);
bool reply_has(const struct sent *s, uint8_t code);
uint32_t yiaddr_of(const struct sent *s);

/* cmocka setup and teardown: a struct fixture in *@state, sent[] emptied. */
int proto_setup(void **state);
int proto_teardown(void **state);

/* Ends @r and hands it to engine @e (the fixture's, or a second one) at time @now. */
void input_at(struct fixture *f, struct dhcp_engine *e, const struct dhcp_path *path, struct req *r,
              int64_t now);
/* The same, to the fixture's engine, now. */
void input(struct fixture *f, const struct dhcp_path *path, struct req *r);
/* Polls until @want replies have been sent in all, or a second passed. */
void poll_until(struct fixture *f, size_t want);
/* Polls for a while and checks that no more than @want replies were sent. */
void settle(struct fixture *f, size_t want);
/* Counter @c of the fixture's tenant. */
uint64_t counter(struct fixture *f, enum tenant_counter c);
/* The state of address @addr's row in the database at @path (0: no row). */
int db_state(const char *path, uint32_t addr);
/* Polls the engine until @addr's row is in @state, for up to a second; then checks it. */
void wait_db_state(struct fixture *f, uint32_t addr, int state);
/* DISCOVER, OFFER, REQUEST, ACK on @path (relayed: with @o82); returns the address. */
uint32_t dora(struct fixture *f, const struct dhcp_path *path, uint8_t mac_last, const uint8_t *o82,
              uint8_t o82_len);

#endif
