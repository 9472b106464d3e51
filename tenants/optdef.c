/*
 * The DHCPv4 option definition table: RFC 2132 options 1..76 and the later ones this
 * server reads or may be configured to send. Types and lengths follow the RFC that
 * defines each option; names follow the ones ISC dhcpd and Kea use, so operators can
 * carry their configuration over.
 */
#include "tenants/optdef.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

/*
 * A variable-length value has no upper bound of its own: RFC 3396 lets any option be
 * split over several instances, so only the message size limits it.
 */
#define OPTDEF_LEN_ANY UINT16_MAX

/* Shorthands for the common shapes, so each row of the table stays on one line. */
#define FIXED(c, t, n, l)                                                                          \
	[c] = {.code = c, .type = t, .name = n, .min_len = l, .max_len = l, .multiple_of = 1}
#define VAR(c, t, n, mn, mult)                                                                     \
	[c] = {.code = c,                                                                          \
	       .type = t,                                                                          \
	       .name = n,                                                                          \
	       .min_len = mn,                                                                      \
	       .max_len = OPTDEF_LEN_ANY,                                                          \
	       .multiple_of = mult}
/* RFC 2132: lists of addresses have "a minimum length of 4" and are "a multiple of 4". */
#define IPS(c, n) VAR(c, OPTDEF_IPS, n, 4, 4)
/* RFC 2132: text options have "a minimum length of 1". */
#define STR(c, n) VAR(c, OPTDEF_STRING, n, 1, 1)

/*
 * Indexed by code; a row whose name is NULL is an unknown code. Options 0 (PAD) and 255
 * (END) carry no value and are handled by the codec, not described here.
 */
static const struct optdef optdef_table[256] = {
    /* RFC 2132 section 3: vendor extensions. */
    FIXED(1, OPTDEF_IP, "subnet-mask", 4),
    FIXED(2, OPTDEF_I32, "time-offset", 4),
    IPS(3, "routers"),
    IPS(4, "time-servers"),
    IPS(5, "name-servers"),
    IPS(6, "domain-name-servers"),
    IPS(7, "log-servers"),
    IPS(8, "cookie-servers"),
    IPS(9, "lpr-servers"),
    IPS(10, "impress-servers"),
    IPS(11, "resource-location-servers"),
    STR(12, "host-name"),
    FIXED(13, OPTDEF_U16, "boot-size", 2),
    STR(14, "merit-dump"),
    STR(15, "domain-name"),
    FIXED(16, OPTDEF_IP, "swap-server", 4),
    STR(17, "root-path"),
    STR(18, "extensions-path"),
    /* RFC 2132 section 4: IP layer parameters per host. */
    FIXED(19, OPTDEF_BOOL, "ip-forwarding", 1),
    FIXED(20, OPTDEF_BOOL, "non-local-source-routing", 1),
    VAR(21, OPTDEF_IP_PAIRS, "policy-filter", 8, 8),
    FIXED(22, OPTDEF_U16, "max-dgram-reassembly", 2),
    FIXED(23, OPTDEF_U8, "default-ip-ttl", 1),
    FIXED(24, OPTDEF_U32, "path-mtu-aging-timeout", 4),
    VAR(25, OPTDEF_U16S, "path-mtu-plateau-table", 2, 2),
    /* RFC 2132 section 5: IP layer parameters per interface. */
    FIXED(26, OPTDEF_U16, "interface-mtu", 2),
    FIXED(27, OPTDEF_BOOL, "all-subnets-local", 1),
    FIXED(28, OPTDEF_IP, "broadcast-address", 4),
    FIXED(29, OPTDEF_BOOL, "perform-mask-discovery", 1),
    FIXED(30, OPTDEF_BOOL, "mask-supplier", 1),
    FIXED(31, OPTDEF_BOOL, "router-discovery", 1),
    FIXED(32, OPTDEF_IP, "router-solicitation-address", 4),
    VAR(33, OPTDEF_IP_PAIRS, "static-routes", 8, 8),
    /* RFC 2132 section 6: link layer parameters per interface. */
    FIXED(34, OPTDEF_BOOL, "trailer-encapsulation", 1),
    FIXED(35, OPTDEF_U32, "arp-cache-timeout", 4),
    FIXED(36, OPTDEF_BOOL, "ieee802-3-encapsulation", 1),
    /* RFC 2132 section 7: TCP parameters. */
    FIXED(37, OPTDEF_U8, "default-tcp-ttl", 1),
    FIXED(38, OPTDEF_U32, "tcp-keepalive-interval", 4),
    FIXED(39, OPTDEF_BOOL, "tcp-keepalive-garbage", 1),
    /* RFC 2132 section 8: application and service parameters. */
    STR(40, "nis-domain"),
    IPS(41, "nis-servers"),
    IPS(42, "ntp-servers"),
    VAR(43, OPTDEF_BYTES, "vendor-encapsulated-options", 1, 1),
    IPS(44, "netbios-name-servers"),
    IPS(45, "netbios-dd-server"),
    FIXED(46, OPTDEF_U8, "netbios-node-type", 1),
    STR(47, "netbios-scope"),
    IPS(48, "font-servers"),
    IPS(49, "x-display-manager"),
    /*
     * RFC 2132 section 9: DHCP extensions. The server sets these itself from the
     * protocol state and the lease times (51, 58, 59 come from the lease-time
     * settings), or only clients send them, so none is configurable as an option.
     */
    FIXED(50, OPTDEF_INTERNAL, "dhcp-requested-address", 4),
    FIXED(51, OPTDEF_INTERNAL, "dhcp-lease-time", 4),
    FIXED(52, OPTDEF_INTERNAL, "dhcp-option-overload", 1),
    FIXED(53, OPTDEF_INTERNAL, "dhcp-message-type", 1),
    FIXED(54, OPTDEF_INTERNAL, "dhcp-server-identifier", 4),
    VAR(55, OPTDEF_INTERNAL, "dhcp-parameter-request-list", 1, 1),
    VAR(56, OPTDEF_INTERNAL, "dhcp-message", 1, 1),
    FIXED(57, OPTDEF_INTERNAL, "dhcp-max-message-size", 2),
    FIXED(58, OPTDEF_INTERNAL, "dhcp-renewal-time", 4),
    FIXED(59, OPTDEF_INTERNAL, "dhcp-rebinding-time", 4),
    /* RFC 2132 9.13: a server may answer a vendor class with its own. */
    STR(60, "vendor-class-identifier"),
    /* RFC 2132 9.14: "type" octet plus at least one octet of identifier. */
    VAR(61, OPTDEF_INTERNAL, "dhcp-client-identifier", 2, 1),
    /* RFC 2242: NetWare/IP. */
    STR(62, "nwip-domain-name"),
    VAR(63, OPTDEF_BYTES, "nwip-suboptions", 1, 1),
    /* RFC 2132 section 8 continued. */
    STR(64, "nisplus-domain-name"),
    IPS(65, "nisplus-servers"),
    STR(66, "tftp-server-name"),
    STR(67, "boot-file-name"),
    /* RFC 2132: the mobile IP home agent list may be empty ("usually" 4 or 0 octets). */
    VAR(68, OPTDEF_IPS, "mobile-ip-home-agent", 0, 4),
    IPS(69, "smtp-server"),
    IPS(70, "pop-server"),
    IPS(71, "nntp-server"),
    IPS(72, "www-server"),
    IPS(73, "finger-server"),
    IPS(74, "irc-server"),
    IPS(75, "streettalk-server"),
    IPS(76, "streettalk-directory-assistance-server"),
    /*
     * RFC 3004: user class. Its instances are length-prefixed, but some clients
     * (iPXE, Windows) send one bare string, so only emptiness is refused.
     */
    VAR(77, OPTDEF_BYTES, "user-class", 1, 1),
    /* RFC 4039: rapid commit has no value. */
    FIXED(80, OPTDEF_INTERNAL, "rapid-commit", 0),
    /* RFC 4702 section 2: flags and the two RCODE octets before the name. */
    VAR(81, OPTDEF_INTERNAL, "fqdn", 3, 1),
    /* RFC 3046 2.0: at least one sub-option of code and length. */
    VAR(82, OPTDEF_INTERNAL, "dhcp-agent-options", 2, 1),
    /* RFC 3118 2: protocol, algorithm, RDM and the 8-octet replay detection. */
    VAR(90, OPTDEF_INTERNAL, "authenticate", 11, 1),
    /* RFC 2563 2: one octet, 0 or 1. */
    FIXED(116, OPTDEF_U8, "auto-config", 1),
    /* RFC 3011 3: the subnet is named by one address; sent by clients and relays. */
    FIXED(118, OPTDEF_INTERNAL, "subnet-selection", 4),
    /* RFC 3397 2: the smallest encoded list is the root name, one zero octet. */
    VAR(119, OPTDEF_DOMAINS, "domain-search", 1, 1),
    /* RFC 3442: the smallest route is a default route, width octet plus router. */
    VAR(121, OPTDEF_CLASSLESS, "classless-static-route", 5, 1),
    /* RFC 6704: one or more algorithm octets. */
    VAR(145, OPTDEF_INTERNAL, "forcerenew-nonce-capable", 1, 1),
    /* RFC 5859: TFTP server addresses. */
    IPS(150, "tftp-server-address"),
    /* RFC 6607: the VSS type octet, then the VPN identifier. */
    VAR(221, OPTDEF_INTERNAL, "vss", 1, 1),
    /* Microsoft's pre-RFC 3442 code, same encoding. */
    VAR(249, OPTDEF_CLASSLESS, "ms-classless-static-route", 5, 1),
    /* Web proxy auto-discovery URL (draft-ietf-wrec-wpad). */
    STR(252, "wpad-url"),
};

const struct optdef *optdef_by_code(uint8_t code)
{
	const struct optdef *def = &optdef_table[code];

	return def->name ? def : NULL;
}

/* A linear scan is enough: it only runs while a configuration is being loaded. */
const struct optdef *optdef_by_name(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof(optdef_table) / sizeof(optdef_table[0]); i++) {
		const struct optdef *def = &optdef_table[i];

		if (def->name && strcmp(def->name, name) == 0)
			return def;
	}
	return NULL;
}

int optdef_check_len(const struct optdef *def, size_t len)
{
	if (!def)
		return -EINVAL;
	if (len < def->min_len || len > def->max_len)
		return -EINVAL;
	if (def->multiple_of > 1 && len % def->multiple_of != 0)
		return -EINVAL;
	return 0;
}
