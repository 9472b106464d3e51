/*
 * The classifier: the light scanner on real relayed frames (dhcrelay -a with circuit-id
 * "capr0", and with RFC 3527 link selection) and on crafted messages (VSS, option 221,
 * RFC 3396 split options, every kind of truncation); the precedence of the keys, from VSS
 * down to the default tenant; and the trust rules: relay keys count only in relayed
 * requests on relay links, never on a tenant's own link, and a port may drop them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../tenants/match_testutil.h"
#include "dataplane/dp_classify.h"
#include "frame_testutil.h"

/* --- crafted messages and frames --- */

struct msg {
	uint8_t b[1024];
	size_t len;
};

/* A BOOTREQUEST with @giaddr and the magic cookie, no options yet. */
static void msg_init(struct msg *m, uint32_t giaddr)
{
	memset(m, 0, sizeof(*m));
	m->b[0] = 1; /* BOOTREQUEST */
	m->b[1] = 1;
	m->b[2] = 6;
	m->b[24] = (uint8_t)(giaddr >> 24);
	m->b[25] = (uint8_t)(giaddr >> 16);
	m->b[26] = (uint8_t)(giaddr >> 8);
	m->b[27] = (uint8_t)giaddr;
	m->b[236] = 99;
	m->b[237] = 130;
	m->b[238] = 83;
	m->b[239] = 99;
	m->len = 240;
}

static void msg_raw(struct msg *m, const void *p, size_t n)
{
	assert_true(m->len + n <= sizeof(m->b));
	if (n)
		memcpy(m->b + m->len, p, n);
	m->len += n;
}

static void msg_opt(struct msg *m, uint8_t code, const void *p, size_t n)
{
	uint8_t h[2] = {code, (uint8_t)n};

	msg_raw(m, h, 2);
	msg_raw(m, p, n);
}

static void msg_end(struct msg *m)
{
	uint8_t end = 255;

	msg_raw(m, &end, 1);
}

/* Option 82 holding @n octets of already encoded sub-options. */
struct subopts {
	uint8_t b[255];
	size_t len;
};

static void sub_add(struct subopts *s, uint8_t code, const void *p, size_t n)
{
	assert_true(s->len + 2 + n <= sizeof(s->b));
	s->b[s->len] = code;
	s->b[s->len + 1] = (uint8_t)n;
	if (n)
		memcpy(s->b + s->len + 2, p, n);
	s->len += 2 + n;
}

static void sub_text(struct subopts *s, uint8_t code, const char *text)
{
	sub_add(s, code, text, strlen(text));
}

/* Sub-option 151 or option 221 value: type 0 and an NVT ASCII VPN name (RFC 6607). */
static size_t vss_name(uint8_t *out, const char *name)
{
	size_t n = strlen(name);

	out[0] = 0;
	memcpy(out + 1, name, n);
	return n + 1;
}

struct frame {
	uint8_t b[DP_REPLY_HEADROOM + sizeof(((struct msg *)0)->b)];
	struct dp_frame f;
};

/* @m in Ethernet (with the tags of @l2), IPv4 and UDP to port 67, parsed into fr->f. */
static void frame_of(struct frame *fr, const struct msg *m, uint16_t outer_tpid, uint16_t outer_vid,
                     uint16_t inner_tpid, uint16_t inner_vid)
{
	struct dp_l2 l2 = {.dst_mac = {2, 0, 0, 0, 0, 1},
	                   .src_mac = {2, 0, 0, 0, 0x10, 1},
	                   .outer_tpid = outer_tpid,
	                   .outer_tci = outer_vid,
	                   .inner_tpid = inner_tpid,
	                   .inner_tci = inner_vid};
	size_t hdr = dp_l2_len(&l2) + DP_IPV4_HLEN + DP_UDP_HLEN;

	memcpy(fr->b + hdr, m->b, m->len);
	dp_build_udp(fr->b + hdr, m->len, &l2, IP(10, 0, 1, 2), 67, IP(10, 0, 1, 1), 67, 1);
	assert_int_equal(dp_frame_parse(fr->b, hdr + m->len, false, 0, &fr->f), DP_FRAME_DHCP);
}

/* --- the scanner --- */

static void test_scan_captured_circuit_id(void **state)
{
	struct pcap_file pf;
	unsigned relayed = 0;

	(void)state;
	ft_load("dhcrelay-opt82-server-side.pcap", &pf);
	for (size_t i = 0; i < pf.n; i++) {
		struct dp_frame f;
		struct dp_class_keys k;

		if (dp_frame_parse(pf.frames[i].data, pf.frames[i].len, false, 0, &f) !=
		        DP_FRAME_DHCP ||
		    f.src_port != 67 || f.src_ip != IP(10, 0, 1, 2))
			continue;
		dp_class_scan(f.payload, f.payload_len, &k);
		/* The README: relayed copies carry giaddr 10.0.2.1 and circuit-id "capr0". */
		assert_int_equal(k.giaddr, IP(10, 0, 2, 1));
		assert_false(k.malformed);
		assert_true(k.has_relay_info);
		assert_int_equal(k.circuit_id_len, 5);
		assert_memory_equal(k.circuit_id, "capr0", 5);
		assert_null(k.remote_id);
		assert_false(k.has_link_selection);
		assert_null(k.vss);
		assert_false(k.has_vss_option);
		relayed++;
	}
	/* DISCOVER, REQUEST, the relayed RENEW and RELEASE. */
	assert_int_equal(relayed, 4);
	pcap_file_free(&pf);

	/* The client side: no relay information at all. */
	ft_load("dhcrelay-opt82-client-side.pcap", &pf);
	for (size_t i = 0; i < pf.n; i++) {
		struct dp_frame f;
		struct dp_class_keys k;

		if (dp_frame_parse(pf.frames[i].data, pf.frames[i].len, false, 0, &f) !=
		        DP_FRAME_DHCP ||
		    f.dst_port != 67)
			continue;
		dp_class_scan(f.payload, f.payload_len, &k);
		assert_false(k.has_relay_info);
		assert_false(k.malformed);
		assert_null(k.circuit_id);
	}
	pcap_file_free(&pf);
}

static void test_scan_captured_link_selection(void **state)
{
	struct pcap_file pf;
	unsigned relayed = 0;

	(void)state;
	ft_load("dhcrelay-opt82-linksel-server-side.pcap", &pf);
	for (size_t i = 0; i < pf.n; i++) {
		struct dp_frame f;
		struct dp_class_keys k;

		if (dp_frame_parse(pf.frames[i].data, pf.frames[i].len, false, 0, &f) !=
		        DP_FRAME_DHCP ||
		    f.dst_ip != IP(10, 0, 1, 1))
			continue;
		dp_class_scan(f.payload, f.payload_len, &k);
		assert_int_equal(k.giaddr, IP(10, 0, 1, 2));
		assert_memory_equal(k.circuit_id, "capr0", 5);
		assert_true(k.has_link_selection);
		assert_int_equal(k.link_selection, IP(10, 0, 2, 1));
		relayed++;
	}
	assert_int_equal(relayed, 2);
	pcap_file_free(&pf);
}

static void test_scan_vss_and_split_options(void **state)
{
	struct msg m;
	struct subopts s = {0};
	struct dp_class_keys k;
	uint8_t v[64], pad = 0;
	size_t n;

	(void)state;
	msg_init(&m, IP(10, 0, 1, 2));
	msg_raw(&m, &pad, 1); /* pad octets are skipped */
	n = vss_name(v, "blue");
	msg_opt(&m, 221, v, n);
	sub_text(&s, 1, "eth0");
	sub_text(&s, 2, "modem1");
	sub_add(&s, 151, v, n);
	sub_add(&s, 152, NULL, 0);
	/* RFC 3396: option 82 in two parts, split in the middle of a sub-option. */
	msg_opt(&m, 82, s.b, 5);
	msg_opt(&m, 53, "\x01", 1);
	msg_opt(&m, 82, s.b + 5, s.len - 5);
	msg_end(&m);
	/* After the end option, nothing is read. */
	msg_opt(&m, 82, "\x01\x01X", 3);
	dp_class_scan(m.b, m.len, &k);
	assert_false(k.malformed);
	assert_true(k.has_relay_info);
	assert_memory_equal(k.circuit_id, "eth0", 4);
	assert_int_equal(k.circuit_id_len, 4);
	assert_memory_equal(k.remote_id, "modem1", 6);
	assert_int_equal(k.vss_len, 5);
	assert_memory_equal(k.vss, "\0blue", 5);
	assert_true(k.vss_control);
	assert_true(k.has_vss_option);
	assert_int_equal(k.vss_option_len, 5);
	assert_memory_equal(k.vss_option, "\0blue", 5);
	/* The joined value lives in the struct, the single one in the message. */
	assert_ptr_equal(k.circuit_id, k.joined_82 + 2);
	assert_true(k.vss_option >= m.b && k.vss_option < m.b + m.len);

	/* Without the cookie there are no options; too short, not even giaddr. */
	m.b[236] = 0;
	dp_class_scan(m.b, m.len, &k);
	assert_false(k.has_relay_info);
	assert_int_equal(k.giaddr, IP(10, 0, 1, 2));
	dp_class_scan(m.b, 27, &k);
	assert_int_equal(k.giaddr, 0);
}

/* Each way a message can lie about a length is "malformed", never a read past its end. */
static void test_scan_malformed(void **state)
{
	struct msg m;
	struct dp_class_keys k;
	uint8_t big[200];

	(void)state;
	memset(big, 'x', sizeof(big));
	/* An option longer than the message. */
	msg_init(&m, 1);
	msg_raw(&m,
	        "\x52\x09\x01\x03"
	        "abc",
	        7);
	dp_class_scan(m.b, m.len, &k);
	assert_true(k.malformed);
	/* A code without its length octet. */
	msg_init(&m, 1);
	msg_raw(&m, "\x52", 1);
	dp_class_scan(m.b, m.len, &k);
	assert_true(k.malformed);
	/* A sub-option longer than option 82. */
	msg_init(&m, 1);
	msg_opt(&m, 82,
	        "\x01\x09"
	        "abc",
	        5);
	dp_class_scan(m.b, m.len, &k);
	assert_true(k.malformed);
	assert_null(k.circuit_id);
	/* A sub-option code without its length. */
	msg_init(&m, 1);
	msg_opt(&m, 82,
	        "\x01\x01"
	        "a\x02",
	        4);
	dp_class_scan(m.b, m.len, &k);
	assert_true(k.malformed);
	/* Link selection that is not 4 octets; VSS without its type octet; empty 221. */
	msg_init(&m, 1);
	msg_opt(&m, 82, "\x05\x03\x0a\x00\x02", 5);
	dp_class_scan(m.b, m.len, &k);
	assert_true(k.malformed);
	msg_init(&m, 1);
	msg_opt(&m, 82, "\x97\x00", 2);
	dp_class_scan(m.b, m.len, &k);
	assert_true(k.malformed);
	msg_init(&m, 1);
	msg_opt(&m, 221, NULL, 0);
	dp_class_scan(m.b, m.len, &k);
	assert_true(k.malformed);
	/* Parts that join to more than the 255 octets an option value can be used as. */
	msg_init(&m, 1);
	msg_opt(&m, 82, big, sizeof(big));
	msg_opt(&m, 82, big, sizeof(big));
	dp_class_scan(m.b, m.len, &k);
	assert_true(k.malformed);
	/* Every truncation of a good message: no read past the end (ASan build), no crash. */
	struct subopts s = {0};
	sub_text(&s, 1, "capr0");
	sub_add(&s, 5, "\x0a\x00\x02\x01", 4);
	msg_init(&m, 1);
	msg_opt(&m, 82, s.b, s.len);
	msg_end(&m);
	for (size_t len = 0; len < m.len; len++) {
		uint8_t *copy = malloc(len ? len : 1);

		memcpy(copy, m.b, len);
		dp_class_scan(copy, len, &k);
		assert_true(k.circuit_id == NULL ||
		            (k.circuit_id >= copy && k.circuit_id < copy + len));
		free(copy);
	}
	/* An empty circuit-id is as good as none. */
	msg_init(&m, 1);
	msg_opt(&m, 82, "\x01\x00", 2);
	dp_class_scan(m.b, m.len, &k);
	assert_false(k.malformed);
	assert_null(k.circuit_id);
}

/* --- precedence --- */

struct world {
	struct tenant *vss, *circuit, *remote, *circuit_pfx, *remote_pfx, *link, *relay, *relay_pfx,
	    *vlan, *qinq, *dflt;
	struct tenant_registry *reg;
};

static void world_build(struct world *w, const struct tenant_registry_params *params,
                        bool with_default)
{
	char err[512];
	size_t n = 0;
	struct tenant **a = calloc(12, sizeof(*a));

	a[n++] = w->vss = mt_tenant("vss");
	mt_vss_name(w->vss, "blue");
	a[n++] = w->circuit = mt_tenant("circuit");
	mt_text(w->circuit, TENANT_KEY_CIRCUIT_ID, "capr0");
	a[n++] = w->remote = mt_tenant("remote");
	mt_text(w->remote, TENANT_KEY_REMOTE_ID, "modem1");
	a[n++] = w->circuit_pfx = mt_tenant("circuit_pfx");
	mt_text(w->circuit_pfx, TENANT_KEY_CIRCUIT_ID_PREFIX, "cap");
	a[n++] = w->remote_pfx = mt_tenant("remote_pfx");
	mt_text(w->remote_pfx, TENANT_KEY_REMOTE_ID_PREFIX, "mod");
	a[n++] = w->link = mt_tenant("link");
	mt_prefix(w->link, TENANT_PREFIX_LINK, IP(192, 168, 1, 0), 24);
	a[n++] = w->relay = mt_tenant("relay");
	mt_relay(w->relay, IP(10, 0, 1, 2));
	a[n++] = w->relay_pfx = mt_tenant("relay_pfx");
	mt_prefix(w->relay_pfx, TENANT_PREFIX_RELAY, IP(10, 0, 0, 0), 8);
	a[n++] = w->vlan = mt_tenant("vlan");
	mt_vlan(w->vlan, 0, 100, 0);
	a[n++] = w->qinq = mt_tenant("qinq");
	mt_vlan(w->qinq, 0, 300, 100);
	a[n++] = w->dflt = mt_tenant("dflt");
	w->dflt->match.is_default = with_default;
	if (!with_default)
		mt_vlan(w->dflt, 9, 9, 9);
	w->reg = tenant_registry_build_params(a, n, params, err, sizeof(err));
	if (!w->reg)
		fail_msg("%s", err);
}

/* What a relayed request from 10.0.1.2 carries, each part optional. */
struct relayed {
	const char *vss;
	const char *vss_option;
	uint8_t vss_type;
	const char *circuit;
	const char *remote;
	uint32_t link;
	uint32_t giaddr;
};

static const struct tenant *classify(const struct world *w, uint16_t port, const struct relayed *r,
                                     uint16_t outer_tpid, uint16_t outer, uint16_t inner_tpid,
                                     uint16_t inner, struct dp_class_result *res)
{
	struct msg m;
	struct subopts s = {0};
	struct frame fr;
	uint8_t v[64];

	msg_init(&m, r->giaddr);
	if (r->vss_option) {
		size_t n = vss_name(v, r->vss_option);

		msg_opt(&m, 221, v, n);
	}
	if (r->circuit)
		sub_text(&s, 1, r->circuit);
	if (r->remote)
		sub_text(&s, 2, r->remote);
	if (r->link) {
		uint8_t a[4] = {(uint8_t)(r->link >> 24), (uint8_t)(r->link >> 16),
		                (uint8_t)(r->link >> 8), (uint8_t)r->link};

		sub_add(&s, 5, a, 4);
	}
	if (r->vss) {
		size_t n = vss_name(v, r->vss);

		v[0] = r->vss_type;
		sub_add(&s, 151, v, n);
		sub_add(&s, 152, NULL, 0);
	}
	if (s.len)
		msg_opt(&m, 82, s.b, s.len);
	msg_end(&m);
	frame_of(&fr, &m, outer_tpid, outer, inner_tpid, inner);
	return dp_classify_request(w->reg, port, &fr.f, res);
}

static const struct tenant *untagged(const struct world *w, const struct relayed *r,
                                     struct dp_class_result *res)
{
	return classify(w, 0, r, 0, 0, 0, 0, res);
}

static void test_precedence(void **state)
{
	struct world w;
	struct dp_class_result res;
	struct relayed r = {.vss = "blue",
	                    .circuit = "capr0",
	                    .remote = "modem1",
	                    .link = IP(192, 168, 1, 1),
	                    .giaddr = IP(10, 0, 1, 2)};

	(void)state;
	world_build(&w, NULL, true);
	/* Every key present: VSS wins; remove the winner each time and the next one wins. */
	assert_ptr_equal(untagged(&w, &r, &res), w.vss);
	assert_int_equal(res.key, DP_CLASS_VSS);
	assert_true(res.relayed);
	r.vss = NULL;
	assert_ptr_equal(untagged(&w, &r, &res), w.circuit);
	assert_int_equal(res.key, DP_CLASS_CIRCUIT_ID);
	r.circuit = "capr9"; /* no longer exact: the remote-id is, before any prefix */
	assert_ptr_equal(untagged(&w, &r, &res), w.remote);
	assert_int_equal(res.key, DP_CLASS_REMOTE_ID);
	r.remote = "modem2";
	assert_ptr_equal(untagged(&w, &r, &res), w.circuit_pfx);
	assert_int_equal(res.key, DP_CLASS_CIRCUIT_ID_PREFIX);
	r.circuit = "eth0";
	assert_ptr_equal(untagged(&w, &r, &res), w.remote_pfx);
	assert_int_equal(res.key, DP_CLASS_REMOTE_ID_PREFIX);
	r.remote = NULL;
	assert_ptr_equal(untagged(&w, &r, &res), w.link);
	assert_int_equal(res.key, DP_CLASS_LINK_SELECTION);
	r.link = IP(172, 16, 0, 1);
	assert_ptr_equal(untagged(&w, &r, &res), w.relay);
	assert_int_equal(res.key, DP_CLASS_RELAY);
	r.giaddr = IP(10, 9, 9, 9);
	assert_ptr_equal(untagged(&w, &r, &res), w.relay_pfx);
	assert_int_equal(res.key, DP_CLASS_RELAY);
	r.giaddr = IP(172, 16, 0, 1);
	assert_ptr_equal(untagged(&w, &r, &res), w.dflt);
	assert_int_equal(res.key, DP_CLASS_DEFAULT);
	assert_true(res.relayed);
	/* A direct client: its link, then the default. */
	struct relayed direct = {0};
	assert_ptr_equal(classify(&w, 0, &direct, 0x8100, 100, 0, 0, &res), w.vlan);
	assert_int_equal(res.key, DP_CLASS_VLAN);
	assert_false(res.relayed);
	assert_false(res.relay_info_ignored);
	assert_ptr_equal(classify(&w, 0, &direct, 0x88a8, 300, 0x8100, 100, &res), w.qinq);
	assert_ptr_equal(classify(&w, 0, &direct, 0x8100, 300, 0x8100, 100, &res), w.qinq);
	assert_ptr_equal(classify(&w, 0, &direct, 0x8100, 300, 0, 0, &res), w.dflt);
	assert_ptr_equal(classify(&w, 1, &direct, 0x8100, 100, 0, 0, &res), w.dflt);
	tenant_registry_free(w.reg);

	/* Without a default tenant, no match is a counted miss. */
	world_build(&w, NULL, false);
	assert_null(untagged(&w, &r, &res));
	assert_int_equal(res.key, DP_CLASS_NONE);
	assert_int_equal(res.miss, DP_CLASS_MISS_NO_MATCH);
	tenant_registry_free(w.reg);
}

/* RFC 6607: a VPN no tenant serves is dropped, never served from another space. */
static void test_vss_rules(void **state)
{
	const struct tenant_port_policy vss_port = {.relays = true,
	                                            .relay_vlans = (const uint16_t[]){0},
	                                            .n_relay_vlans = 1,
	                                            .vss_option = true};
	const struct tenant_registry_params params = {&vss_port, 1};
	struct world w;
	struct dp_class_result res;
	struct relayed r = {.vss = "green", .circuit = "capr0", .giaddr = IP(10, 0, 1, 2)};

	(void)state;
	world_build(&w, NULL, true);
	assert_null(untagged(&w, &r, &res));
	assert_int_equal(res.miss, DP_CLASS_MISS_UNKNOWN_VPN);
	/* Type 255, the global VPN, is no VPN: the other keys decide. */
	r.vss_type = 255;
	assert_ptr_equal(untagged(&w, &r, &res), w.circuit);
	/* Type 1 with a name is a VPN-ID nobody has. */
	r.vss = "blue";
	r.vss_type = 1;
	assert_null(untagged(&w, &r, &res));
	assert_int_equal(res.miss, DP_CLASS_MISS_UNKNOWN_VPN);
	/* Option 221 is the client's: not trusted by default ... */
	r.vss = NULL;
	r.vss_option = "blue";
	assert_ptr_equal(untagged(&w, &r, &res), w.circuit);
	tenant_registry_free(w.reg);
	/* ... trusted where the port says so, and the relay's 151 still wins over it. */
	world_build(&w, &params, true);
	assert_ptr_equal(untagged(&w, &r, &res), w.vss);
	assert_int_equal(res.key, DP_CLASS_VSS);
	r.vss = "green";
	r.vss_type = 0;
	assert_null(untagged(&w, &r, &res));
	assert_int_equal(res.miss, DP_CLASS_MISS_UNKNOWN_VPN);
	tenant_registry_free(w.reg);
}

/* Relay information counts only in relayed requests on relay links. */
static void test_trust(void **state)
{
	const struct tenant_port_policy ports[3] = {
	    {.relays = true, .relay_vlans = (const uint16_t[]){0, 100, 200}, .n_relay_vlans = 3},
	    {.relays = false, .untrusted = TENANT_UNTRUSTED_DROP},
	    {.relays = true,
	     .relay_vlans = (const uint16_t[]){0},
	     .n_relay_vlans = 1,
	     .untrusted = TENANT_UNTRUSTED_DROP},
	};
	const struct tenant_registry_params params = {ports, 3};
	struct world w;
	struct dp_class_result res;
	struct relayed r = {.circuit = "capr0", .giaddr = IP(10, 0, 1, 2)};
	struct relayed forged = {.circuit = "capr0"}; /* option 82 from a client: giaddr 0 */

	(void)state;
	world_build(&w, &params, true);
	/* VLAN 200 of port 0 is a relay link. */
	assert_ptr_equal(classify(&w, 0, &r, 0x8100, 200, 0, 0, &res), w.circuit);
	assert_true(res.relayed);
	/* VLAN 100 of port 0 is listed, but the tenant "vlan" claims it: its clients could
	 * forge a relayed request, so the link decides and the relay information is ignored. */
	assert_ptr_equal(classify(&w, 0, &r, 0x8100, 100, 0, 0, &res), w.vlan);
	assert_int_equal(res.key, DP_CLASS_VLAN);
	assert_false(res.relayed);
	assert_true(res.relay_info_ignored);
	/* QinQ links are never relay links. */
	assert_ptr_equal(classify(&w, 0, &r, 0x88a8, 300, 0x8100, 100, &res), w.qinq);
	assert_true(res.relay_info_ignored);
	/* Option 82 without giaddr (a client, or a layer-2 agent) never chooses a tenant. */
	assert_ptr_equal(untagged(&w, &forged, &res), w.dflt);
	assert_int_equal(res.key, DP_CLASS_DEFAULT);
	assert_true(res.relay_info_ignored);
	assert_ptr_equal(classify(&w, 0, &forged, 0x8100, 100, 0, 0, &res), w.vlan);
	/* Port 1 accepts no relayed requests and drops relay information. */
	assert_null(classify(&w, 1, &r, 0, 0, 0, 0, &res));
	assert_int_equal(res.miss, DP_CLASS_MISS_UNTRUSTED_RELAY);
	assert_null(classify(&w, 1, &forged, 0, 0, 0, 0, &res));
	assert_int_equal(res.miss, DP_CLASS_MISS_UNTRUSTED_RELAY);
	/* Port 2 drops relay information off its relay link (a tagged VLAN)... */
	assert_null(classify(&w, 2, &r, 0x8100, 100, 0, 0, &res));
	assert_int_equal(res.miss, DP_CLASS_MISS_UNTRUSTED_RELAY);
	/* ... but on the relay link, option 82 without giaddr is only ignored. */
	assert_ptr_equal(classify(&w, 2, &forged, 0, 0, 0, 0, &res), w.dflt);
	assert_ptr_equal(classify(&w, 2, &r, 0, 0, 0, 0, &res), w.circuit);
	tenant_registry_free(w.reg);
}

/* A relayed request whose options cannot be read is dropped, not classified by giaddr. */
static void test_bad_relay_info(void **state)
{
	struct world w;
	struct dp_class_result res;
	struct msg m;
	struct frame fr;

	(void)state;
	world_build(&w, NULL, true);
	msg_init(&m, IP(10, 0, 1, 2));
	msg_opt(&m, 82,
	        "\x01\x09"
	        "capr0",
	        7);
	msg_end(&m);
	frame_of(&fr, &m, 0, 0, 0, 0);
	assert_null(dp_classify_request(w.reg, 0, &fr.f, &res));
	assert_int_equal(res.miss, DP_CLASS_MISS_BAD_RELAY_INFO);
	/* From a direct client the same bytes are ignored; the engine refuses them later. */
	msg_init(&m, 0);
	msg_opt(&m, 82,
	        "\x01\x09"
	        "capr0",
	        7);
	frame_of(&fr, &m, 0x8100, 100, 0, 0);
	assert_ptr_equal(dp_classify_request(w.reg, 0, &fr.f, &res), w.vlan);
	tenant_registry_free(w.reg);
}

/* A tag the NIC stripped into metadata classifies as the same tag in the frame. */
static void test_stripped_tags(void **state)
{
	struct world w;
	struct dp_class_result res;
	struct relayed direct = {0};
	struct msg m;
	struct frame fr;
	uint8_t stripped[sizeof(fr.b)];
	struct dp_frame f;
	enum dp_class_key key;

	(void)state;
	world_build(&w, NULL, false);
	msg_init(&m, 0);
	msg_end(&m);
	/* QinQ with the outer tag stripped: the inner tag stays in the bytes. */
	frame_of(&fr, &m, 0x8100, 100, 0, 0);
	size_t len = DP_ETH_HLEN + DP_VLAN_HLEN + DP_IPV4_HLEN + DP_UDP_HLEN + m.len;
	memcpy(stripped, fr.b, len);
	assert_int_equal(dp_frame_parse(stripped, len, true, 300, &f), DP_FRAME_DHCP);
	assert_ptr_equal(dp_classify_request(w.reg, 0, &f, &res), w.qinq);
	/* A single tag stripped. */
	frame_of(&fr, &m, 0, 0, 0, 0);
	len = DP_ETH_HLEN + DP_IPV4_HLEN + DP_UDP_HLEN + m.len;
	assert_int_equal(dp_frame_parse(fr.b, len, true, 100, &f), DP_FRAME_DHCP);
	assert_ptr_equal(dp_classify_request(w.reg, 0, &f, &res), w.vlan);
	/* PCP and DEI bits are not part of the VLAN id. */
	assert_int_equal(dp_frame_parse(fr.b, len, true, 0xe000 | 100, &f), DP_FRAME_DHCP);
	assert_ptr_equal(dp_classify_dhcp(w.reg, 0, &f, &key), w.vlan);
	assert_int_equal(key, DP_CLASS_VLAN);
	assert_ptr_equal(dp_classify_link(w.reg, 0, &f), w.vlan);
	assert_null(classify(&w, 0, &direct, 0, 0, 0, 0, &res));
	tenant_registry_free(w.reg);
}

/* The address we answer ARP and ping for on each kind of link. */
static void test_link_address(void **state)
{
	const struct tenant_port_policy ports[2] = {
	    {.relays = true, .relay_vlans = (const uint16_t[]){0, 200}, .n_relay_vlans = 2},
	    {.relays = false},
	};
	const struct tenant_registry_params params = {ports, 2};
	const uint32_t port_addr = IP(10, 0, 1, 1);
	struct world w;
	struct msg m;
	struct frame fr;

	(void)state;
	world_build(&w, &params, false);
	w.vlan->server_address = IP(192, 168, 1, 254);
	msg_init(&m, 0);
	msg_end(&m);
	frame_of(&fr, &m, 0x8100, 100, 0, 0); /* the tenant "vlan"'s link */
	assert_int_equal(dp_classify_link_address(w.reg, 0, &fr.f, port_addr),
	                 IP(192, 168, 1, 254));
	frame_of(&fr, &m, 0x8100, 200, 0, 0); /* a tagged relay link */
	assert_int_equal(dp_classify_link_address(w.reg, 0, &fr.f, port_addr), port_addr);
	frame_of(&fr, &m, 0x8100, 201, 0, 0); /* nobody's */
	assert_int_equal(dp_classify_link_address(w.reg, 0, &fr.f, port_addr), 0);
	frame_of(&fr, &m, 0x88a8, 200, 0x8100, 1); /* QinQ under a relay VLAN: not a relay link */
	assert_int_equal(dp_classify_link_address(w.reg, 0, &fr.f, port_addr), 0);
	frame_of(&fr, &m, 0, 0, 0, 0); /* untagged: the port's own, relays or not */
	assert_int_equal(dp_classify_link_address(w.reg, 0, &fr.f, port_addr), port_addr);
	assert_int_equal(dp_classify_link_address(w.reg, 1, &fr.f, port_addr), port_addr);
	frame_of(&fr, &m, 0x8100, 200, 0, 0);
	assert_int_equal(dp_classify_link_address(w.reg, 1, &fr.f, port_addr), 0);
	tenant_registry_free(w.reg);
}

static void test_names(void **state)
{
	(void)state;
	for (int k = 0; k < DP_CLASS__COUNT; k++)
		assert_string_not_equal(dp_class_key_name((enum dp_class_key)k), "?");
	for (int k = 0; k < DP_CLASS_MISS__COUNT; k++)
		assert_string_not_equal(dp_class_miss_name((enum dp_class_miss)k), "?");
	assert_string_equal(dp_class_key_name(DP_CLASS_CIRCUIT_ID), "circuit-id");
	assert_string_equal(dp_class_miss_name(DP_CLASS_MISS_UNKNOWN_VPN), "unknown-vpn");
	assert_string_equal(dp_class_key_name(DP_CLASS__COUNT), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scan_captured_circuit_id),
	    cmocka_unit_test(test_scan_captured_link_selection),
	    cmocka_unit_test(test_scan_vss_and_split_options),
	    cmocka_unit_test(test_scan_malformed),
	    cmocka_unit_test(test_precedence),
	    cmocka_unit_test(test_vss_rules),
	    cmocka_unit_test(test_trust),
	    cmocka_unit_test(test_bad_relay_info),
	    cmocka_unit_test(test_stripped_tags),
	    cmocka_unit_test(test_link_address),
	    cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
