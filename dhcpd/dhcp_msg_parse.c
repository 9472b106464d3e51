/*
 * The receiving half of the DHCPv4 wire codec: turns a UDP payload into a struct dhcp_msg
 * of views, checking every bound before the read it guards. Nothing is allocated; the
 * only copies are of options that came in several parts (RFC 3396), into msg->joined.
 */
#include "dhcpd/dhcp_msg.h"

#include <string.h>

#include "tenants/optdef.h"

static uint16_t dhcp_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t dhcp_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool dhcp_bit_test(const uint8_t *bits, uint8_t code)
{
	return bits[code >> 3] & (1u << (code & 7));
}

static void dhcp_bit_set(uint8_t *bits, uint8_t code)
{
	bits[code >> 3] |= (uint8_t)(1u << (code & 7));
}

/* One field that holds options: the options field, or file / sname when overloaded. */
struct dhcp_field {
	size_t off, end;
};

/*
 * Steps over the option at *@pos in @buf[..@end) and returns its code, with its value at
 * *@val / *@len; PAD is skipped here. Returns DHCP_OPT_END at END or at the exact end of
 * the field (a field whose last option fills it exactly may omit END: nothing is left
 * to misread), and -1 when an option's length octet or value would lie past the field.
 */
static int dhcp_field_next(const uint8_t *buf, size_t end, size_t *pos, const uint8_t **val,
                           uint8_t *len)
{
	size_t p = *pos;

	/* RFC 2132 3.1: PAD is a single octet with no length. */
	while (p < end && buf[p] == DHCP_OPT_PAD)
		p++;
	if (p >= end || buf[p] == DHCP_OPT_END) {
		*pos = end;
		return DHCP_OPT_END;
	}
	if (end - p < 2 || end - p - 2 < buf[p + 1])
		return -1;
	*val = buf + p + 2;
	*len = buf[p + 1];
	*pos = p + 2 + buf[p + 1];
	return buf[p];
}

/*
 * First pass over one field: records the first instance of each option as a view, adds
 * the length of every later instance to opt[code].len and marks the code in @repeated.
 */
static int dhcp_field_scan(struct dhcp_msg *msg, struct dhcp_field f, uint8_t *repeated)
{
	size_t pos = f.off;
	const uint8_t *val = NULL;
	uint8_t len = 0;
	int code;

	while ((code = dhcp_field_next(msg->raw, f.end, &pos, &val, &len)) != DHCP_OPT_END) {
		if (code < 0)
			return -1;
		if (!dhcp_bit_test(msg->present, (uint8_t)code)) {
			dhcp_bit_set(msg->present, (uint8_t)code);
			msg->opt[code].data = val;
			msg->opt[code].len = len;
		} else {
			/* Bounded by the message length, so it cannot wrap a uint16_t. */
			dhcp_bit_set(repeated, (uint8_t)code);
			msg->opt[code].len = (uint16_t)(msg->opt[code].len + len);
		}
	}
	return 0;
}

/*
 * Second pass, only when some option was repeated: RFC 3396 says the parts
 * are joined in the order they appear, options field first, then file, then sname. Each
 * repeated option gets a region of msg->joined sized by the first pass; @fill is where
 * its next part goes. The fields were validated by the first pass.
 */
static void dhcp_field_join(struct dhcp_msg *msg, struct dhcp_field f, const uint8_t *repeated,
                            uint16_t *fill)
{
	size_t pos = f.off;
	const uint8_t *val = NULL;
	uint8_t len = 0;
	int code;

	while ((code = dhcp_field_next(msg->raw, f.end, &pos, &val, &len)) > 0 &&
	       code != DHCP_OPT_END) {
		if (!dhcp_bit_test(repeated, (uint8_t)code))
			continue;
		memcpy(msg->joined + fill[code], val, len);
		fill[code] = (uint16_t)(fill[code] + len);
	}
}

/* Checks every present option against its definition; unknown codes pass as they are. */
static bool dhcp_msg_lengths_ok(const struct dhcp_msg *msg)
{
	for (unsigned byte = 0; byte < sizeof(msg->present); byte++) {
		if (!msg->present[byte])
			continue;
		for (unsigned bit = 0; bit < 8; bit++) {
			unsigned code = byte * 8 + bit;
			const struct optdef *def;

			if (!(msg->present[byte] & (1u << bit)))
				continue;
			def = optdef_by_code((uint8_t)code);
			if (def && optdef_check_len(def, msg->opt[code].len) != 0)
				return false;
		}
	}
	return true;
}

static void dhcp_msg_fixed(struct dhcp_msg *msg, const uint8_t *buf, size_t len)
{
	msg->raw = buf;
	msg->len = len;
	msg->op = buf[0];
	msg->htype = buf[1];
	msg->hlen = buf[2];
	msg->hops = buf[3];
	msg->xid = dhcp_rd32(buf + 4);
	msg->secs = dhcp_rd16(buf + 8);
	msg->flags = dhcp_rd16(buf + 10);
	msg->ciaddr = dhcp_rd32(buf + 12);
	msg->yiaddr = dhcp_rd32(buf + 16);
	msg->siaddr = dhcp_rd32(buf + 20);
	msg->giaddr = dhcp_rd32(buf + 24);
	msg->chaddr = buf + 28;
	msg->type = 0;
	msg->overload = 0;
	msg->joined_len = 0;
	/* opt[] is read only where a present bit is set, so only the bits are cleared. */
	memset(msg->present, 0, sizeof(msg->present));
}

/* Parses the option fields: options, then file and sname as option 52 says. */
static enum dhcp_parse_error dhcp_msg_options(struct dhcp_msg *msg)
{
	struct dhcp_field fields[3] = {{DHCP_OPTIONS_OFF, msg->len}};
	unsigned nfields = 1;
	uint8_t repeated[32] = {0};
	bool any_repeated = false;

	if (dhcp_field_scan(msg, fields[0], repeated) != 0)
		return DHCP_PARSE_BAD_OPTION;

	/*
	 * RFC 2131 4.1 and RFC 2132 9.3: only an overload option in the options field
	 * counts; file is read before sname. Its length is checked here already because
	 * the value decides which bytes are read next.
	 */
	if (dhcp_bit_test(msg->present, DHCP_OPT_OVERLOAD)) {
		if (dhcp_bit_test(repeated, DHCP_OPT_OVERLOAD) ||
		    msg->opt[DHCP_OPT_OVERLOAD].len != 1)
			return DHCP_PARSE_BAD_OPTION;
		msg->overload = msg->opt[DHCP_OPT_OVERLOAD].data[0];
		if (msg->overload < 1 || msg->overload > 3)
			return DHCP_PARSE_BAD_OPTION;
		if (msg->overload & 1)
			fields[nfields++] =
			    (struct dhcp_field){DHCP_FILE_OFF, DHCP_FILE_OFF + DHCP_FILE_LEN};
		if (msg->overload & 2)
			fields[nfields++] =
			    (struct dhcp_field){DHCP_SNAME_OFF, DHCP_SNAME_OFF + DHCP_SNAME_LEN};
		for (unsigned i = 1; i < nfields; i++)
			if (dhcp_field_scan(msg, fields[i], repeated) != 0)
				return DHCP_PARSE_BAD_OPTION;
	}

	for (unsigned i = 0; i < sizeof(repeated); i++)
		any_repeated |= repeated[i] != 0;
	if (any_repeated) {
		uint16_t fill[256];

		/*
		 * The joined values together are shorter than the message, which is at
		 * most DHCP_MSG_MAX bytes, so the regions always fit in msg->joined.
		 */
		for (unsigned code = 0; code < 256; code++) {
			if (!dhcp_bit_test(repeated, (uint8_t)code))
				continue;
			fill[code] = (uint16_t)msg->joined_len;
			msg->opt[code].data = msg->joined + msg->joined_len;
			msg->joined_len += msg->opt[code].len;
		}
		for (unsigned i = 0; i < nfields; i++)
			dhcp_field_join(msg, fields[i], repeated, fill);
	}

	if (!dhcp_msg_lengths_ok(msg))
		return DHCP_PARSE_BAD_OPTION;
	return DHCP_PARSE_OK;
}

enum dhcp_parse_error dhcp_msg_parse(struct dhcp_msg *msg, const uint8_t *buf, size_t len)
{
	enum dhcp_parse_error err;

	if (len < DHCP_MIN_LEN)
		return DHCP_PARSE_SHORT;
	if (len > DHCP_MSG_MAX)
		return DHCP_PARSE_TOO_LONG;
	dhcp_msg_fixed(msg, buf, len);

	/* A server only answers BOOTREQUESTs (RFC 2131 4.1); replies from others are not ours. */
	if (msg->op != DHCP_BOOTREQUEST)
		return DHCP_PARSE_NOT_REQUEST;
	if (msg->hlen > DHCP_CHADDR_LEN)
		return DHCP_PARSE_BAD_HLEN;
	/*
	 * RFC 1542 4.1.1: a relay discards a request whose hops exceed its limit, at most 16,
	 * so more than 16 means a forwarding loop or a forgery.
	 */
	if (msg->hops > DHCP_MAX_HOPS)
		return DHCP_PARSE_BAD_HOPS;
	/* RFC 2131 section 3: the options field starts with the magic cookie 99.130.83.99. */
	if (dhcp_rd32(buf + DHCP_FIXED_LEN) != DHCP_COOKIE)
		return DHCP_PARSE_NO_COOKIE;

	err = dhcp_msg_options(msg);
	if (err != DHCP_PARSE_OK)
		return err;

	/* RFC 2131 section 3, RFC 2132 9.6: every DHCP message carries option 53. */
	if (!dhcp_bit_test(msg->present, DHCP_OPT_MSG_TYPE))
		return DHCP_PARSE_NO_TYPE;
	msg->type = msg->opt[DHCP_OPT_MSG_TYPE].data[0];
	if (msg->type < DHCPDISCOVER || msg->type > DHCPINFORM)
		return DHCP_PARSE_NO_TYPE;
	return DHCP_PARSE_OK;
}

const char *dhcp_parse_error_name(enum dhcp_parse_error err)
{
	static const char *const names[DHCP_PARSE__COUNT] = {
	    [DHCP_PARSE_OK] = "ok",
	    [DHCP_PARSE_SHORT] = "short",
	    [DHCP_PARSE_TOO_LONG] = "too_long",
	    [DHCP_PARSE_NOT_REQUEST] = "not_request",
	    [DHCP_PARSE_BAD_HLEN] = "bad_hlen",
	    [DHCP_PARSE_NO_COOKIE] = "no_cookie",
	    [DHCP_PARSE_BAD_OPTION] = "bad_option",
	    [DHCP_PARSE_NO_TYPE] = "no_type",
	    [DHCP_PARSE_BAD_HOPS] = "bad_hops",
	};

	if ((unsigned)err >= DHCP_PARSE__COUNT)
		return "unknown";
	return names[err];
}

const uint8_t *dhcp_msg_opt(const struct dhcp_msg *msg, uint8_t code, size_t *len)
{
	if (!dhcp_bit_test(msg->present, code))
		return NULL;
	*len = msg->opt[code].len;
	return msg->opt[code].data;
}

bool dhcp_msg_opt_ip(const struct dhcp_msg *msg, uint8_t code, uint32_t *out)
{
	return dhcp_msg_opt_u32(msg, code, out);
}

bool dhcp_msg_opt_u32(const struct dhcp_msg *msg, uint8_t code, uint32_t *out)
{
	size_t len;
	const uint8_t *p = dhcp_msg_opt(msg, code, &len);

	if (!p || len != 4)
		return false;
	*out = dhcp_rd32(p);
	return true;
}

bool dhcp_msg_opt_u16(const struct dhcp_msg *msg, uint8_t code, uint16_t *out)
{
	size_t len;
	const uint8_t *p = dhcp_msg_opt(msg, code, &len);

	if (!p || len != 2)
		return false;
	*out = dhcp_rd16(p);
	return true;
}

/*
 * RFC 3046 2.0: option 82 is a sequence of sub-options, each a code, a length and that
 * many octets, with no PAD or END. A sub-option that runs past the option ends the walk.
 */
const uint8_t *dhcp_msg_relay_subopt(const struct dhcp_msg *msg, uint8_t sub, size_t *len)
{
	size_t total, pos = 0;
	const uint8_t *p = dhcp_msg_opt(msg, DHCP_OPT_RELAY_AGENT, &total);

	if (!p)
		return NULL;
	while (total - pos >= 2) {
		uint8_t code = p[pos], l = p[pos + 1];

		if (total - pos - 2 < l)
			return NULL;
		if (code == sub) {
			*len = l;
			return p + pos + 2;
		}
		pos += 2u + l;
	}
	return NULL;
}
