/*
 * DHCPv4 option definitions (RFC 2132 and later): the one table that says, per option
 * code, its configuration name, its value type and the lengths it may have on the wire.
 * The wire codec (dhcpd/) validates received options with it and the config loader
 * (conf/) encodes configured values with it.
 *
 * Thread safety: the table is constant; every function may be called from any thread.
 */
#ifndef MTDHCP_TENANTS_OPTDEF_H
#define MTDHCP_TENANTS_OPTDEF_H

#include <stddef.h>
#include <stdint.h>

enum optdef_type {
	OPTDEF_BYTES = 0, /* opaque octets, configured as a hex string "01:02:0a" */
	OPTDEF_IP,        /* one IPv4 address */
	OPTDEF_IPS,       /* one or more IPv4 addresses */
	OPTDEF_IP_PAIRS,  /* pairs of IPv4 addresses (policy filters, static routes) */
	OPTDEF_U8,
	OPTDEF_U16,
	OPTDEF_U32,
	OPTDEF_I32,
	OPTDEF_U16S, /* one or more 16-bit values */
	OPTDEF_BOOL, /* one octet, 0 or 1 */
	OPTDEF_STRING,
	OPTDEF_DOMAINS,     /* RFC 1035 encoded domain search list (option 119, RFC 3397) */
	OPTDEF_CLASSLESS,   /* RFC 3442 classless static routes: "dest/len gw" strings */
	OPTDEF_INTERNAL,    /* set by the server only (53, 54, 51, 55, ...): not configurable */
};

struct optdef {
	uint8_t code;
	enum optdef_type type;
	const char *name;    /* configuration name, e.g. "domain-name-servers" */
	uint16_t min_len;    /* shortest valid value on the wire */
	uint16_t max_len;    /* longest valid value (up to 255 per instance, more with RFC 3396) */
	uint8_t multiple_of; /* the length must be a multiple of this (1 = any) */
};

/* The definition of @code, or NULL when the code is not known. */
const struct optdef *optdef_by_code(uint8_t code);

/* The definition whose configuration name is @name, or NULL. */
const struct optdef *optdef_by_name(const char *name);

/* 0 when @len is a valid length for an option of definition @def, else -EINVAL. */
int optdef_check_len(const struct optdef *def, size_t len);

#endif
