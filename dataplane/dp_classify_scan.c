/*
 * A light scanner for the few DHCP fields that choose a tenant: giaddr, option 82 with its
 * sub-options, option 221. The engine parses the whole message later (dhcp_msg_parse);
 * this reads only what classification needs, checking every bound before each read.
 */
#include <string.h>

#include "dp_classify.h"

#define DP_DHCP_GIADDR_OFF      24
#define DP_DHCP_COOKIE_OFF      236
#define DP_DHCP_OPTIONS_OFF     240
#define DP_DHCP_OPT_PAD         0
#define DP_DHCP_OPT_RELAY       82  /* RFC 3046 */
#define DP_DHCP_OPT_VSS         221 /* RFC 6607 */
#define DP_DHCP_OPT_END         255
#define DP_RELAY_CIRCUIT_ID     1   /* RFC 3046 3.1 */
#define DP_RELAY_REMOTE_ID      2   /* RFC 3046 3.2 */
#define DP_RELAY_LINK_SELECTION 5   /* RFC 3527 3 */
#define DP_RELAY_VSS            151 /* RFC 6607 */
#define DP_RELAY_VSS_CONTROL    152 /* RFC 6607 */

static const uint8_t dp_dhcp_cookie[4] = {99, 130, 83, 99};

static uint32_t dp_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * One more instance of an option: the first is a view into the message; later ones are
 * concatenated with it in @joined (RFC 3396 3), up to the 255 octets the engine keeps too.
 * False when the joined value would be longer.
 */
static bool dp_class_add_part(const uint8_t **view, uint8_t *len, uint8_t *joined, bool *seen,
                              const uint8_t *part, uint8_t part_len)
{
	if (!*seen) {
		*seen = true;
		*view = part;
		*len = part_len;
		return true;
	}
	if ((size_t)*len + part_len > 255)
		return false;
	if (*view != joined) {
		memmove(joined, *view, *len);
		*view = joined;
	}
	memcpy(joined + *len, part, part_len);
	*len = (uint8_t)(*len + part_len);
	return true;
}

/* The sub-options of option 82 (RFC 3046 2.0): code, length, value; no pad, no end. */
static void dp_class_relay_subopts(struct dp_class_keys *k, const uint8_t *p, size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		uint8_t code, sl;

		if (len - pos < 2) {
			k->malformed = true;
			return;
		}
		code = p[pos];
		sl = p[pos + 1];
		if (len - pos - 2 < sl) {
			k->malformed = true;
			return;
		}
		const uint8_t *v = p + pos + 2;

		/* A repeated sub-option is ambiguous: the first one counts, as in the engine. */
		switch (code) {
		case DP_RELAY_CIRCUIT_ID:
			if (!k->circuit_id && sl) {
				k->circuit_id = v;
				k->circuit_id_len = sl;
			}
			break;
		case DP_RELAY_REMOTE_ID:
			if (!k->remote_id && sl) {
				k->remote_id = v;
				k->remote_id_len = sl;
			}
			break;
		case DP_RELAY_LINK_SELECTION:
			/* RFC 3527 3: exactly one IPv4 address. */
			if (sl != 4) {
				k->malformed = true;
				return;
			}
			if (!k->has_link_selection) {
				k->has_link_selection = true;
				k->link_selection = dp_rd32(v);
			}
			break;
		case DP_RELAY_VSS:
			if (sl == 0) {
				k->malformed = true;
				return;
			}
			if (!k->vss) {
				k->vss = v;
				k->vss_len = sl;
			}
			break;
		case DP_RELAY_VSS_CONTROL:
			k->vss_control = true;
			break;
		default:
			break;
		}
		pos += 2u + sl;
	}
}

void dp_class_scan(const uint8_t *msg, size_t len, struct dp_class_keys *out)
{
	const uint8_t *relay = NULL;
	uint8_t relay_len = 0;
	size_t pos = DP_DHCP_OPTIONS_OFF;

	out->giaddr = 0;
	out->malformed = false;
	out->has_relay_info = out->has_vss_option = false;
	out->circuit_id = out->remote_id = out->vss = out->vss_option = NULL;
	out->circuit_id_len = out->remote_id_len = out->vss_len = out->vss_option_len = 0;
	out->has_link_selection = out->vss_control = false;
	out->link_selection = 0;

	if (len >= DP_DHCP_GIADDR_OFF + 4)
		out->giaddr = dp_rd32(msg + DP_DHCP_GIADDR_OFF);
	if (len < DP_DHCP_OPTIONS_OFF ||
	    memcmp(msg + DP_DHCP_COOKIE_OFF, dp_dhcp_cookie, sizeof(dp_dhcp_cookie)) != 0)
		return;
	/* RFC 2131 4.1 (options field): pad and end are one octet, every other option TLV. */
	while (pos < len) {
		uint8_t code = msg[pos], ol;

		if (code == DP_DHCP_OPT_PAD) {
			pos++;
			continue;
		}
		if (code == DP_DHCP_OPT_END)
			break;
		if (len - pos < 2 || len - pos - 2 < msg[pos + 1]) {
			out->malformed = true;
			return;
		}
		ol = msg[pos + 1];
		if (code == DP_DHCP_OPT_RELAY &&
		    !dp_class_add_part(&relay, &relay_len, out->joined_82, &out->has_relay_info,
		                       msg + pos + 2, ol))
			out->malformed = true;
		if (code == DP_DHCP_OPT_VSS &&
		    !dp_class_add_part(&out->vss_option, &out->vss_option_len, out->joined_221,
		                       &out->has_vss_option, msg + pos + 2, ol))
			out->malformed = true;
		pos += 2u + ol;
	}
	if (out->has_vss_option && out->vss_option_len == 0)
		out->malformed = true; /* RFC 6607: at least the type octet */
	if (out->has_relay_info && !out->malformed)
		dp_class_relay_subopts(out, relay, relay_len);
}
