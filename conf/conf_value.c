/*
 * Typed values: addresses, prefixes, integers in a range, strings and booleans, each
 * checked against the type the setting must have so that a wrong type is reported rather
 * than converted.
 */
#include "conf/conf_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

bool conf_parse_addr(const char *text, uint32_t *out)
{
	struct in_addr in;

	/* inet_pton takes exactly four decimal octets: no "10.1", no hex, no leading zeros. */
	if (!text || inet_pton(AF_INET, text, &in) != 1)
		return false;
	*out = ntohl(in.s_addr);
	return true;
}

bool conf_parse_prefix(const char *text, uint32_t *addr, uint8_t *len)
{
	const char *slash = text ? strchr(text, '/') : NULL;
	char buf[INET_ADDRSTRLEN];
	size_t alen;
	unsigned v = 0;
	const char *p;

	if (!slash)
		return false;
	alen = (size_t)(slash - text);
	if (alen >= sizeof(buf))
		return false;
	memcpy(buf, text, alen);
	buf[alen] = '\0';
	if (!conf_parse_addr(buf, addr))
		return false;
	/* One or two decimal digits, nothing after them. */
	for (p = slash + 1; *p; p++) {
		if (*p < '0' || *p > '9' || p - slash > 2)
			return false;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (p == slash + 1 || v > 32)
		return false;
	*len = (uint8_t)v;
	return true;
}

bool conf_name_ok(const char *name, size_t max)
{
	size_t n = strlen(name);

	if (n == 0 || n >= max)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)name[i]) && !strchr("-_.", name[i]))
			return false;
	}
	return true;
}

uint32_t conf_prefix_mask(uint8_t len)
{
	return len ? UINT32_MAX << (32 - len) : 0;
}

const char *conf_addr_str(uint32_t addr, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff, (addr >> 8) & 0xff,
	         addr & 0xff);
	return buf;
}

int conf_int_value(struct conf_ctx *c, const config_setting_t *s, const char *path, int64_t min,
                   int64_t max, int64_t *out)
{
	const char *lit;
	int64_t v;

	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		conf_err(c, s, path, "expected an integer, found %s", conf_type_name_of(s));
		return -1;
	}
	lit = conf_intscan_literal(s);
	if (lit) {
		conf_err(c, s, path,
		         "integer %s does not fit in 32 bits, which is all libconfig reads "
		         "without a suffix: write it as %sL",
		         lit, lit);
		return -1;
	}
	v = config_setting_get_int64(s);
	if (v < min || v > max) {
		conf_err(c, s, path, "%" PRId64 " is out of range (%" PRId64 "..%" PRId64 ")", v,
		         min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int conf_string_value(struct conf_ctx *c, const config_setting_t *s, const char *path,
                      const char **out)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		conf_err(c, s, path, "expected a string, found %s", conf_type_name_of(s));
		return -1;
	}
	*out = config_setting_get_string(s);
	return 0;
}

int conf_addr_value(struct conf_ctx *c, const config_setting_t *s, const char *path, uint32_t *out)
{
	const char *text;

	if (conf_string_value(c, s, path, &text))
		return -1;
	if (!conf_parse_addr(text, out)) {
		conf_err(c, s, path, "\"%s\" is not an IPv4 address (a.b.c.d)", text);
		return -1;
	}
	return 0;
}

int conf_get_u32(struct conf_ctx *c, const config_setting_t *group, const char *gpath,
                 const char *name, uint32_t min, uint32_t max, uint32_t *out,
                 const config_setting_t **where)
{
	const config_setting_t *s = config_setting_get_member(group, name);
	char p[CONF_PATH_MAX];
	int64_t v;

	if (!s)
		return 0;
	if (where)
		*where = s;
	conf_path_member(p, gpath, name);
	if (conf_int_value(c, s, p, min, max, &v))
		return -1;
	*out = (uint32_t)v;
	return 1;
}

int conf_get_bool(struct conf_ctx *c, const config_setting_t *group, const char *gpath,
                  const char *name, bool *out)
{
	const config_setting_t *s = config_setting_get_member(group, name);
	char p[CONF_PATH_MAX];

	if (!s)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		conf_path_member(p, gpath, name);
		conf_err(c, s, p, "expected true or false, found %s", conf_type_name_of(s));
		return -1;
	}
	*out = config_setting_get_bool(s) != 0;
	return 1;
}

int conf_get_string(struct conf_ctx *c, const config_setting_t *group, const char *gpath,
                    const char *name, const char **out)
{
	const config_setting_t *s = config_setting_get_member(group, name);
	char p[CONF_PATH_MAX];

	if (!s)
		return 0;
	conf_path_member(p, gpath, name);
	if (conf_string_value(c, s, p, out))
		return -1;
	return 1;
}

int conf_get_addr(struct conf_ctx *c, const config_setting_t *group, const char *gpath,
                  const char *name, uint32_t *out, const config_setting_t **where)
{
	const config_setting_t *s = config_setting_get_member(group, name);
	char p[CONF_PATH_MAX];

	if (!s)
		return 0;
	if (where)
		*where = s;
	conf_path_member(p, gpath, name);
	if (conf_addr_value(c, s, p, out))
		return -1;
	return 1;
}
