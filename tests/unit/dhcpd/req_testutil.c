/* DHCP requests and captured replies for the engine's unit tests (req_testutil.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "req_testutil.h"

struct sent sent[MAX_REPLIES];
size_t n_sent;

void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void req_init(struct req *r, uint8_t type, uint8_t mac_last, uint32_t xid)
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

void req_opt(struct req *r, uint8_t code, const void *data, uint8_t len)
{
	r->b[r->len++] = code;
	r->b[r->len++] = len;
	if (len) /* an empty option may come with data == NULL, which memcpy must not get */
		memcpy(r->b + r->len, data, len);
	r->len += len;
}

void req_opt_ip(struct req *r, uint8_t code, uint32_t ip)
{
	uint8_t v[4];
	put32(v, ip);
	req_opt(r, code, v, 4);
}

void req_relayed(struct req *r, const void *o82, uint8_t len)
{
	r->b[3] = 1;
	put32(r->b + 24, GIADDR);
	if (o82)
		req_opt(r, DHCP_OPT_RELAY_AGENT, o82, len);
}

void capture(void *ctx, const struct dhcp_reply *reply, const uint8_t *msg, size_t len)
{
	(void)ctx;
	assert_true(n_sent < MAX_REPLIES);
	sent[n_sent].dest = *reply;
	memcpy(sent[n_sent].msg, msg, len);
	sent[n_sent].len = len;
	n_sent++;
}

void req_end(struct req *r)
{
	r->b[r->len++] = DHCP_OPT_END;
	while (r->len < 300)
		r->b[r->len++] = 0;
}
