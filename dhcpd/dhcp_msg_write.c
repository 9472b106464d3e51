/*
 * The sending half of the DHCPv4 wire codec: builds a BOOTREPLY in a caller's buffer.
 * It knows the message format only; which options a reply carries, and in what order of
 * preference, is the engine's decision. Options are staged first and laid out when the
 * reply is finished, so that a reply that does not fit the options field can still be
 * sent: overloaded into the file and sname fields, and short of its least wanted options
 * if it must be.
 */
#include "dhcpd/dhcp_msg.h"

#include <errno.h>
#include <string.h>

/*
 * RFC 2131 section 2 sizes the 576-octet minimum as an IP datagram: 312 octets of
 * options make a 548-octet DHCP message once the IPv4 (20) and UDP (8) headers are
 * added. Option 57 (RFC 2132 9.10, "the maximum length DHCP message" a client accepts)
 * is read the same way, as ISC dhcpd and busybox's udhcpc read it, so that a client
 * that asks for 576 never receives more than it can hold. Reading it as the DHCP
 * message alone (as Kea does) would send 28 octets more than such a client expects.
 */
#define DHCP_IP_UDP_OVERHEAD 28

/* The longest value one option instance can carry (RFC 2132 section 2). */
#define DHCP_OPT_VALUE_MAX 255

/* The fields that can hold options: options, then file, then sname (RFC 2131 4.1). */
enum { DHCP_FIELD_OPTIONS, DHCP_FIELD_FILE, DHCP_FIELD_SNAME, DHCP_FIELD__COUNT };

/* Option 52 in the options field: code, length, value. */
#define DHCP_OVERLOAD_LEN 3

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

/* The octets an option of @len value octets takes, split as RFC 3396 says. */
static size_t dhcp_opt_wire_len(size_t len)
{
	size_t parts = len == 0 ? 1 : (len + DHCP_OPT_VALUE_MAX - 1) / DHCP_OPT_VALUE_MAX;

	return len + 2 * parts;
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
	w->err = 0;
	w->len = 0;
	w->overload = 0;
	w->dropped = 0;
	w->n_opts = 0;
	w->stage_len = 0;
	/* The fixed part, the cookie, option 53 (3 octets) and END must fit at least. */
	if (cap < DHCP_OPTIONS_OFF + 3 + 1) {
		w->err = -ENOSPC;
		return;
	}

	/*
	 * RFC 2131 4.3.1 table 3: what a reply copies from the request, the rest zero. The
	 * sname and file fields are zero too: this server names no boot server or file there,
	 * so both are free for overloaded options.
	 */
	memset(buf, 0, DHCP_OPTIONS_OFF);
	buf[0] = DHCP_BOOTREPLY;
	buf[1] = req->htype;
	buf[2] = req->hlen;
	dhcp_wr32(buf + 4, req->xid);
	dhcp_wr16(buf + 10, req->flags);
	dhcp_wr32(buf + 24, req->giaddr);
	memcpy(buf + 28, req->chaddr, DHCP_CHADDR_LEN);
	dhcp_wr32(buf + DHCP_FIXED_LEN, DHCP_COOKIE);

	/* RFC 2131 section 3: option 53 comes first; every reply has it. */
	dhcp_writer_put(w, DHCP_OPT_MSG_TYPE, &type, 1);
}

static void dhcp_writer_set_addr(struct dhcp_writer *w, size_t off, uint32_t addr)
{
	if (w->err || w->len)
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

bool dhcp_writer_has(const struct dhcp_writer *w, uint8_t code)
{
	for (size_t i = 0; i < w->n_opts; i++)
		if (w->opts[i].code == code)
			return true;
	return false;
}

void dhcp_writer_add(struct dhcp_writer *w, uint8_t code, const void *data, size_t len,
                     unsigned flags)
{
	struct dhcp_writer_opt *o;

	if (w->err)
		return;
	/* PAD and END have no length octet: they are not options a caller can put. */
	if (code == DHCP_OPT_PAD || code == DHCP_OPT_END) {
		w->err = -EINVAL;
		return;
	}
	/* A finished reply takes nothing more: END has been written. */
	if (w->len) {
		w->err = -ENOSPC;
		return;
	}
	if (dhcp_writer_has(w, code))
		return;
	/*
	 * The stage is as large as the largest message, so a value that does not fit in it
	 * could not fit in the reply either.
	 */
	if (w->n_opts == DHCP_WRITER_MAX_OPTS || len > sizeof(w->stage) - w->stage_len) {
		if (flags & DHCP_WOPT_OPTIONAL)
			w->dropped++;
		else
			w->err = -ENOSPC;
		return;
	}
	o = &w->opts[w->n_opts++];
	o->code = code;
	o->flags = (uint8_t)flags;
	o->off = (uint16_t)w->stage_len;
	o->len = (uint16_t)len;
	o->field = DHCP_FIELD_OPTIONS;
	o->placed = false;
	if (len)
		memcpy(w->stage + w->stage_len, data, len);
	w->stage_len += len;
}

void dhcp_writer_put(struct dhcp_writer *w, uint8_t code, const void *data, size_t len)
{
	dhcp_writer_add(w, code, data, len, DHCP_WOPT_REQUIRED);
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

/* Writes option @o at @pos, split into instances of at most 255 octets (RFC 3396). */
static size_t dhcp_writer_emit(struct dhcp_writer *w, const struct dhcp_writer_opt *o, size_t pos)
{
	const uint8_t *src = w->stage + o->off;
	size_t len = o->len;

	do {
		size_t chunk = len > DHCP_OPT_VALUE_MAX ? DHCP_OPT_VALUE_MAX : len;

		w->buf[pos] = o->code;
		w->buf[pos + 1] = (uint8_t)chunk;
		if (chunk)
			memcpy(w->buf + pos + 2, src, chunk);
		pos += 2 + chunk;
		src += chunk;
		len -= chunk;
	} while (len);
	return pos;
}

/*
 * Chooses a field for every option, or drops it. Options marked LAST are placed first so
 * that the options field keeps room for them, then the required ones, then the optional
 * ones in the order they were put: an option never loses its place to a less wanted one.
 * Each option goes whole into the first field with room, so the parts of a split option
 * (RFC 3396) stay consecutive in one field. Returns 0, or -ENOSPC when a required option
 * fits nowhere.
 */
static int dhcp_writer_place(struct dhcp_writer *w, size_t room[DHCP_FIELD__COUNT])
{
	static const unsigned passes[3][2] = {
	    {DHCP_WOPT_LAST, DHCP_WOPT_LAST},
	    {DHCP_WOPT_LAST | DHCP_WOPT_OPTIONAL, 0},
	    {DHCP_WOPT_LAST | DHCP_WOPT_OPTIONAL, DHCP_WOPT_OPTIONAL},
	};

	for (size_t p = 0; p < 3; p++) {
		for (size_t i = 0; i < w->n_opts; i++) {
			struct dhcp_writer_opt *o = &w->opts[i];
			size_t need = dhcp_opt_wire_len(o->len);
			unsigned fields = (o->flags & DHCP_WOPT_LAST) ? 1 : DHCP_FIELD__COUNT;
			unsigned f;

			if ((o->flags & passes[p][0]) != passes[p][1])
				continue;
			for (f = 0; f < fields && room[f] < need; f++)
				;
			if (f == fields) {
				if (!(o->flags & DHCP_WOPT_OPTIONAL))
					return -ENOSPC;
				w->dropped++;
				continue;
			}
			room[f] -= need;
			o->field = (uint8_t)f;
			o->placed = true;
		}
	}
	return 0;
}

/* Writes the options placed in field @f from @pos, then END; returns the end. */
static size_t dhcp_writer_fill(struct dhcp_writer *w, unsigned f, size_t pos)
{
	/* Option 53 is put first; LAST options follow all others (RFC 3046 2.2). */
	for (unsigned last = 0; last < 2; last++) {
		for (size_t i = 0; i < w->n_opts; i++) {
			const struct dhcp_writer_opt *o = &w->opts[i];

			if (!o->placed || o->field != f || !!(o->flags & DHCP_WOPT_LAST) != last)
				continue;
			pos = dhcp_writer_emit(w, o, pos);
			/* RFC 2131 4.1: option 52 is in the options field; here, after 53. */
			if (f == DHCP_FIELD_OPTIONS && i == 0 && w->overload) {
				w->buf[pos] = DHCP_OPT_OVERLOAD;
				w->buf[pos + 1] = 1;
				w->buf[pos + 2] = w->overload;
				pos += DHCP_OVERLOAD_LEN;
			}
		}
	}
	w->buf[pos++] = DHCP_OPT_END;
	return pos;
}

int dhcp_writer_finish(struct dhcp_writer *w)
{
	/* Each field keeps one octet for its END. */
	size_t room[DHCP_FIELD__COUNT] = {w->cap - DHCP_OPTIONS_OFF - 1, 0, 0};
	size_t total = 0, pos;

	if (w->err)
		return w->err;
	if (w->len)
		return w->len;
	for (size_t i = 0; i < w->n_opts; i++)
		total += dhcp_opt_wire_len(w->opts[i].len);

	if (total > room[DHCP_FIELD_OPTIONS]) {
		/*
		 * RFC 2131 4.1 and RFC 2132 9.3: options that do not fit the options field may
		 * go into the file field and then the sname field, announced by option 52 in
		 * the options field. Both are free here (see dhcp_writer_init).
		 */
		room[DHCP_FIELD_OPTIONS] -= DHCP_OVERLOAD_LEN;
		room[DHCP_FIELD_FILE] = DHCP_FILE_LEN - 1;
		room[DHCP_FIELD_SNAME] = DHCP_SNAME_LEN - 1;
	}
	w->err = dhcp_writer_place(w, room);
	if (w->err)
		return w->err;
	for (size_t i = 0; i < w->n_opts; i++) {
		if (w->opts[i].placed && w->opts[i].field == DHCP_FIELD_FILE)
			w->overload |= 1;
		if (w->opts[i].placed && w->opts[i].field == DHCP_FIELD_SNAME)
			w->overload |= 3; /* sname is read only after file: 3 is "both" */
	}
	if (w->overload)
		dhcp_writer_fill(w, DHCP_FIELD_FILE, DHCP_FILE_OFF);
	if (w->overload == 3)
		dhcp_writer_fill(w, DHCP_FIELD_SNAME, DHCP_SNAME_OFF);
	pos = dhcp_writer_fill(w, DHCP_FIELD_OPTIONS, DHCP_OPTIONS_OFF);

	/*
	 * RFC 1542 3.1: some relays and BOOTP-era clients drop messages shorter than 300
	 * octets; the padding is PAD (zero) octets after END.
	 */
	if (pos < DHCP_BOOTP_MIN_LEN && w->cap >= DHCP_BOOTP_MIN_LEN) {
		memset(w->buf + pos, 0, DHCP_BOOTP_MIN_LEN - pos);
		pos = DHCP_BOOTP_MIN_LEN;
	}
	w->len = (int)pos;
	return w->len;
}
