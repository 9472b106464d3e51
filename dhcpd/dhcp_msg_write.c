/*
 * The sending half of the DHCPv4 wire codec: builds a BOOTREPLY in a caller's buffer.
 * It knows the message format only; which options a reply carries, and in what order,
 * is the engine's decision.
 */
#include "dhcpd/dhcp_msg.h"

#include <errno.h>
#include <string.h>

/*
 * RFC 2131 section 2 sizes the 576-octet minimum as an IP datagram: 312 octets of
 * options make a 548-octet DHCP message once the IPv4 (20) and UDP (8) headers are
 * added. Option 57 is read the same way (ISC dhcpd and busybox's udhcpc do too), so a
 * client that asks for 576 never receives more than it can hold.
 */
#define DHCP_IP_UDP_OVERHEAD 28

/* The longest value one option instance can carry (RFC 2132 section 2). */
#define DHCP_OPT_VALUE_MAX 255

static void dhcp_wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void dhcp_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void dhcp_writer_init(struct dhcp_writer *w, uint8_t *buf, size_t cap, size_t max_msg,
                      const struct dhcp_msg *req, uint8_t type)
{
	size_t limit = max_msg < DHCP_MIN_MAX_MSG ? DHCP_MIN_MAX_MSG : max_msg;

	limit -= DHCP_IP_UDP_OVERHEAD;
	if (limit > DHCP_MSG_MAX)
		limit = DHCP_MSG_MAX;
	if (cap > limit)
		cap = limit;

	w->buf = buf;
	w->cap = cap;
	w->pos = DHCP_OPTIONS_OFF;
	w->err = 0;
	/* The fixed part, the cookie, option 53 (3 octets) and END must fit at least. */
	if (cap < DHCP_OPTIONS_OFF + 3 + 1) {
		w->limit = 0;
		w->err = -ENOSPC;
		return;
	}
	/* One octet is kept back so that dhcp_writer_finish can always write END. */
	w->limit = cap - 1;

	/* RFC 2131 4.3.1 table 3: what a reply copies from the request, the rest zero. */
	memset(buf, 0, DHCP_OPTIONS_OFF);
	buf[0] = DHCP_BOOTREPLY;
	buf[1] = req->htype;
	buf[2] = req->hlen;
	dhcp_wr32(buf + 4, req->xid);
	dhcp_wr16(buf + 10, req->flags);
	dhcp_wr32(buf + 24, req->giaddr);
	memcpy(buf + 28, req->chaddr, DHCP_CHADDR_LEN);
	dhcp_wr32(buf + DHCP_FIXED_LEN, DHCP_COOKIE);

	dhcp_writer_put(w, DHCP_OPT_MSG_TYPE, &type, 1);
}

static void dhcp_writer_set_addr(struct dhcp_writer *w, size_t off, uint32_t addr)
{
	if (w->err)
		return;
	dhcp_wr32(w->buf + off, addr);
}

void dhcp_writer_set_yiaddr(struct dhcp_writer *w, uint32_t addr)
{
	dhcp_writer_set_addr(w, 16, addr);
}

void dhcp_writer_set_ciaddr(struct dhcp_writer *w, uint32_t addr)
{
	dhcp_writer_set_addr(w, 12, addr);
}

void dhcp_writer_set_siaddr(struct dhcp_writer *w, uint32_t addr)
{
	dhcp_writer_set_addr(w, 20, addr);
}

void dhcp_writer_put(struct dhcp_writer *w, uint8_t code, const void *data, size_t len)
{
	const uint8_t *src = data;
	size_t parts, need;

	if (w->err)
		return;
	/* PAD and END have no length octet: they are not options a caller can put. */
	if (code == DHCP_OPT_PAD || code == DHCP_OPT_END) {
		w->err = -EINVAL;
		return;
	}
	/* RFC 3396: a value over 255 octets goes out as consecutive instances. */
	parts = len == 0 ? 1 : (len + DHCP_OPT_VALUE_MAX - 1) / DHCP_OPT_VALUE_MAX;
	need = len + 2 * parts;
	/*
	 * Checked whole before writing, so a failed put leaves no partial option behind.
	 * After dhcp_writer_finish, w->pos is past w->limit and nothing fits either.
	 */
	if (w->pos > w->limit || need > w->limit - w->pos) {
		w->err = -ENOSPC;
		return;
	}
	for (size_t i = 0; i < parts; i++) {
		size_t chunk = len > DHCP_OPT_VALUE_MAX ? DHCP_OPT_VALUE_MAX : len;

		w->buf[w->pos] = code;
		w->buf[w->pos + 1] = (uint8_t)chunk;
		if (chunk)
			memcpy(w->buf + w->pos + 2, src, chunk);
		w->pos += 2 + chunk;
		src += chunk;
		len -= chunk;
	}
}

void dhcp_writer_put_u32(struct dhcp_writer *w, uint8_t code, uint32_t value)
{
	uint8_t v[4];

	dhcp_wr32(v, value);
	dhcp_writer_put(w, code, v, sizeof(v));
}

void dhcp_writer_put_ip(struct dhcp_writer *w, uint8_t code, uint32_t addr)
{
	dhcp_writer_put_u32(w, code, addr);
}

bool dhcp_writer_has(const struct dhcp_writer *w, uint8_t code)
{
	size_t pos = DHCP_OPTIONS_OFF;

	/*
	 * Only whole options lie before w->pos (a failed put writes nothing), so every
	 * length octet read here was written by dhcp_writer_put. END stops the walk once
	 * the reply is finished.
	 */
	while (pos < w->pos && w->buf[pos] != DHCP_OPT_END) {
		if (w->buf[pos] == code)
			return true;
		pos += 2u + w->buf[pos + 1];
	}
	return false;
}

int dhcp_writer_finish(struct dhcp_writer *w)
{
	if (w->err)
		return w->err;
	/* A second call finds the limit already closed and reports the same length. */
	if (w->pos > w->limit)
		return (int)w->pos;
	w->buf[w->pos++] = DHCP_OPT_END;
	/*
	 * RFC 1542 3.1: some relays and BOOTP-era clients drop messages shorter than 300
	 * octets; the padding is PAD (zero) octets after END.
	 */
	if (w->pos < DHCP_BOOTP_MIN_LEN && w->cap >= DHCP_BOOTP_MIN_LEN) {
		memset(w->buf + w->pos, 0, DHCP_BOOTP_MIN_LEN - w->pos);
		w->pos = DHCP_BOOTP_MIN_LEN;
	}
	/* Nothing may follow END: later puts find no room (w->pos > w->limit). */
	w->limit = 0;
	return (int)w->pos;
}
