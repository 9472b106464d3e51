/*
 * fuzz_options: the DHCP option codec round trip. Whatever dhcp_msg_parse accepts is
 * written back, option by option, with dhcp_writer_put (values over 255 octets split into
 * consecutive instances, RFC 3396) and parsed again with its op flipped to BOOTREQUEST:
 * every option must come back with the same value, the fixed fields a reply copies (RFC
 * 2131 4.3.1 table 3) must match, and the writer may run out of room only when the
 * options really do not fit in DHCP_MSG_MAX octets. The sub-option walker of option 82
 * (RFC 3046) runs on the parsed message too.
 */
#include <errno.h>
#include <string.h>

#include "dhcpd/dhcp_msg.h"
#include "fuzz.h"

/* Octets option @len takes on the wire once split into instances of 255 at most. */
static size_t fuzz_opt_wire_len(size_t len)
{
	size_t parts = len == 0 ? 1 : (len + 254) / 255;

	return len + 2 * parts;
}

static void fuzz_relay_subopts(const struct dhcp_msg *m)
{
	static const uint8_t subs[] = {1, 2, 5, 151, 152};
	size_t total;
	const uint8_t *opt = dhcp_msg_opt(m, DHCP_OPT_RELAY_AGENT, &total);

	for (size_t i = 0; i < sizeof(subs); i++) {
		size_t len;
		const uint8_t *v = dhcp_msg_relay_subopt(m, subs[i], &len);

		if (!v)
			continue;
		/* A sub-option is a view inside option 82's value, after its code and length. */
		fuzz_check(opt && v >= opt + 2 && v + len <= opt + total && v[-2] == subs[i]);
	}
}

/* Static: a struct dhcp_msg is a few kilobytes, more than a fuzzer's stack should hold. */
static struct dhcp_msg in, out;
static uint8_t reply[DHCP_MSG_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhcp_writer w;
	size_t need = DHCP_OPTIONS_OFF + 3 + 1; /* fixed part, cookie, option 53, END */
	int n;

	if (dhcp_msg_parse(&in, data, size) != DHCP_PARSE_OK)
		return 0;
	fuzz_check(in.type >= DHCPDISCOVER && in.type <= DHCPINFORM);
	fuzz_relay_subopts(&in);

	/* A client's option 57 of 1528 lets a reply take the whole DHCP_MSG_MAX. */
	dhcp_writer_init(&w, reply, sizeof(reply), DHCP_MSG_MAX + 28, &in, in.type);
	for (unsigned code = 1; code < DHCP_OPT_END; code++) {
		size_t len;
		const uint8_t *v = dhcp_msg_opt(&in, (uint8_t)code, &len);

		/* Option 53 is the writer's own; 52 would make the zeroed file/sname options. */
		if (!v || code == DHCP_OPT_MSG_TYPE || code == DHCP_OPT_OVERLOAD)
			continue;
		dhcp_writer_put(&w, (uint8_t)code, v, len);
		need += fuzz_opt_wire_len(len);
		fuzz_check(w.err != 0 || dhcp_writer_has(&w, (uint8_t)code));
	}
	fuzz_check(!dhcp_writer_has(&w, DHCP_OPT_OVERLOAD) || w.err != 0);
	n = dhcp_writer_finish(&w);
	if (need > DHCP_MSG_MAX) {
		fuzz_check(n == -ENOSPC);
		return 0;
	}
	fuzz_check(n >= (int)need && n <= DHCP_MSG_MAX);

	reply[0] = DHCP_BOOTREQUEST;
	fuzz_check(dhcp_msg_parse(&out, reply, (size_t)n) == DHCP_PARSE_OK);
	fuzz_check(out.type == in.type && out.htype == in.htype && out.hlen == in.hlen);
	fuzz_check(out.xid == in.xid && out.flags == in.flags && out.giaddr == in.giaddr);
	fuzz_check(memcmp(out.chaddr, in.chaddr, DHCP_CHADDR_LEN) == 0);
	fuzz_check(out.overload == 0 && out.hops == 0);
	for (unsigned code = 1; code < DHCP_OPT_END; code++) {
		size_t ilen = 0, olen = 0;
		const uint8_t *iv = dhcp_msg_opt(&in, (uint8_t)code, &ilen);
		const uint8_t *ov = dhcp_msg_opt(&out, (uint8_t)code, &olen);

		if (code == DHCP_OPT_OVERLOAD) {
			fuzz_check(!ov);
			continue;
		}
		fuzz_check(!iv == !ov);
		fuzz_check(ilen == olen);
		fuzz_check(ilen == 0 || memcmp(iv, ov, ilen) == 0);
	}
	fuzz_relay_subopts(&out);
	return 0;
}
