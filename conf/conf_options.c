/*
 * DHCP option values in configuration files: each setting of an "options" group is named
 * by its definition (tenants/optdef.h) or as "option-NNN", and its value is encoded into
 * wire form by the definition's type, then checked against the lengths the option may
 * have.
 */
#include "conf/conf_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tenants/optdef.h"

/* An encoding buffer; overflow is sticky so that encoders check once at the end. */
struct conf_enc {
	uint8_t buf[OPTSET_VALUE_MAX];
	size_t len;
	bool overflow;
};

static void conf_enc_put(struct conf_enc *e, const void *data, size_t n)
{
	if (e->overflow || n > sizeof(e->buf) - e->len) {
		e->overflow = true;
		return;
	}
	memcpy(e->buf + e->len, data, n);
	e->len += n;
}

static void conf_enc_u8(struct conf_enc *e, uint8_t v)
{
	conf_enc_put(e, &v, 1);
}

static void conf_enc_be(struct conf_enc *e, uint32_t v, size_t n)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	conf_enc_put(e, b + 4 - n, n);
}

/* "01:02:ab" (one or two digits per octet) or "0102ab"; "" is no octets. */
static bool conf_enc_hex(struct conf_enc *e, const char *text)
{
	bool colons = strchr(text, ':') != NULL;
	const char *p = text;

	while (*p) {
		unsigned v = 0;
		int digits = 0;

		while (isxdigit((unsigned char)*p) && digits < 2) {
			v = v * 16 + (unsigned)(isdigit((unsigned char)*p)
			                            ? *p - '0'
			                            : (tolower((unsigned char)*p) - 'a' + 10));
			p++;
			digits++;
		}
		/* Without colons every octet is two digits; with them, one or two. */
		if (!digits || (!colons && digits != 2))
			return false;
		conf_enc_u8(e, (uint8_t)v);
		if (colons && *p == ':' && p[1])
			p++;
		else if (*p && (colons || !isxdigit((unsigned char)*p)))
			return false;
	}
	return true;
}

/* RFC 1035 3.1: labels of 1..63 octets, each with its length, then the root's zero. */
static bool conf_enc_domain(struct conf_enc *e, const char *name)
{
	size_t total = 0;
	const char *p = name;

	if (strcmp(name, ".") == 0) {
		conf_enc_u8(e, 0);
		return true;
	}
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		if (n == 0 || n > 63)
			return false;
		for (size_t i = 0; i < n; i++) {
			if (!isalnum((unsigned char)p[i]) && p[i] != '-' && p[i] != '_')
				return false;
		}
		conf_enc_u8(e, (uint8_t)n);
		conf_enc_put(e, p, n);
		total += n + 1;
		p += n;
		if (*p == '.')
			p++;
	}
	conf_enc_u8(e, 0);
	/* RFC 1035 2.3.4: a name is at most 255 octets in wire form. */
	return total + 1 <= 255;
}

/* Copies the next blank-separated word of *@pp into @out (@cap bytes). */
static bool conf_word(const char **pp, char *out, size_t cap)
{
	const char *p = *pp;
	size_t n = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	while (*p && *p != ' ' && *p != '\t') {
		if (n + 1 >= cap)
			return false;
		out[n++] = *p++;
	}
	out[n] = '\0';
	*pp = p;
	return n > 0;
}

/* Splits "a b" (blanks between, nothing else) into two words of fewer than @cap bytes. */
static bool conf_split2(const char *text, char *a, char *b, size_t cap)
{
	if (!conf_word(&text, a, cap) || !conf_word(&text, b, cap))
		return false;
	while (*text == ' ' || *text == '\t')
		text++;
	return *text == '\0';
}

/* Encodes one element of a list-valued option; 0 or -1 after reporting. */
static int conf_enc_elem(struct conf_ctx *c, const struct optdef *def, const config_setting_t *s,
                         const char *path, struct conf_enc *e)
{
	char a[24], b[24];
	const char *text;
	uint32_t addr, gw;
	uint8_t plen;
	int64_t v;

	switch (def->type) {
	case OPTDEF_IPS:
		if (conf_addr_value(c, s, path, &addr))
			return -1;
		conf_enc_be(e, addr, 4);
		return 0;
	case OPTDEF_U16S:
		if (conf_int_value(c, s, path, 0, UINT16_MAX, &v))
			return -1;
		conf_enc_be(e, (uint32_t)v, 2);
		return 0;
	case OPTDEF_IP_PAIRS:
		if (conf_string_value(c, s, path, &text))
			return -1;
		if (!conf_split2(text, a, b, sizeof(a)) || !conf_parse_addr(a, &addr) ||
		    !conf_parse_addr(b, &gw)) {
			conf_err(c, s, path,
			         "\"%s\" is not a pair of IPv4 addresses (\"a.b.c.d a.b.c.d\")",
			         text);
			return -1;
		}
		conf_enc_be(e, addr, 4);
		conf_enc_be(e, gw, 4);
		return 0;
	case OPTDEF_DOMAINS:
		if (conf_string_value(c, s, path, &text))
			return -1;
		if (!conf_enc_domain(e, text)) {
			conf_err(c, s, path, "\"%s\" is not a valid domain name", text);
			return -1;
		}
		return 0;
	case OPTDEF_CLASSLESS:
		if (conf_string_value(c, s, path, &text))
			return -1;
		if (!conf_split2(text, a, b, sizeof(a)) || !conf_parse_prefix(a, &addr, &plen) ||
		    !conf_parse_addr(b, &gw)) {
			conf_err(c, s, path,
			         "\"%s\" is not a route (\"destination/prefix-length router\")",
			         text);
			return -1;
		}
		/* RFC 3442: only the significant octets are sent, so host bits would be lost. */
		if (addr & ~conf_prefix_mask(plen)) {
			conf_err(c, s, path, "\"%s\": the destination has bits set past /%u", text,
			         plen);
			return -1;
		}
		/* RFC 3442: the width, the ceil(width / 8) leading octets, then the router. */
		conf_enc_u8(e, plen);
		for (unsigned k = 0; k < (plen + 7u) / 8; k++)
			conf_enc_u8(e, (uint8_t)(addr >> (24 - 8 * k)));
		conf_enc_be(e, gw, 4);
		return 0;
	default:
		return -1;
	}
}

/* Encodes a value that is one element or a list of them. */
static int conf_enc_list(struct conf_ctx *c, const struct optdef *def, const config_setting_t *s,
                         const char *path, struct conf_enc *e)
{
	char p[CONF_PATH_MAX];
	int n, bad = 0;

	if (config_setting_is_scalar(s))
		return conf_enc_elem(c, def, s, path, e);
	if (config_setting_is_group(s)) {
		conf_err(c, s, path, "expected a value or a list of values, found %s",
		         conf_type_name_of(s));
		return -1;
	}
	n = config_setting_length(s);
	if (n == 0) {
		conf_err(c, s, path, "needs at least one value");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		conf_path_elem(p, path, (size_t)i);
		if (conf_enc_elem(c, def, config_setting_get_elem(s, (unsigned)i), p, e))
			bad = -1;
	}
	return bad;
}

/* Encodes the value @s of an option of definition @def into @e; 0 or -1 after reporting. */
static int conf_enc_value(struct conf_ctx *c, const struct optdef *def, const config_setting_t *s,
                          const char *path, struct conf_enc *e)
{
	const char *text;
	uint32_t addr;
	int64_t v;

	switch (def->type) {
	case OPTDEF_IP:
		if (conf_addr_value(c, s, path, &addr))
			return -1;
		conf_enc_be(e, addr, 4);
		return 0;
	case OPTDEF_U8:
		if (conf_int_value(c, s, path, 0, UINT8_MAX, &v))
			return -1;
		conf_enc_be(e, (uint32_t)v, 1);
		return 0;
	case OPTDEF_U16:
		if (conf_int_value(c, s, path, 0, UINT16_MAX, &v))
			return -1;
		conf_enc_be(e, (uint32_t)v, 2);
		return 0;
	case OPTDEF_U32:
		if (conf_int_value(c, s, path, 0, UINT32_MAX, &v))
			return -1;
		conf_enc_be(e, (uint32_t)v, 4);
		return 0;
	case OPTDEF_I32:
		if (conf_int_value(c, s, path, INT32_MIN, INT32_MAX, &v))
			return -1;
		conf_enc_be(e, (uint32_t)(int32_t)v, 4);
		return 0;
	case OPTDEF_BOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
			conf_err(c, s, path, "expected true or false, found %s",
			         conf_type_name_of(s));
			return -1;
		}
		conf_enc_u8(e, config_setting_get_bool(s) ? 1 : 0);
		return 0;
	case OPTDEF_STRING:
		if (conf_string_value(c, s, path, &text))
			return -1;
		conf_enc_put(e, text, strlen(text));
		return 0;
	case OPTDEF_BYTES:
		if (conf_string_value(c, s, path, &text))
			return -1;
		if (!conf_enc_hex(e, text)) {
			conf_err(c, s, path, "\"%s\" is not hex octets (\"01:02:ab\")", text);
			return -1;
		}
		return 0;
	case OPTDEF_IPS:
	case OPTDEF_IP_PAIRS:
	case OPTDEF_U16S:
	case OPTDEF_DOMAINS:
	case OPTDEF_CLASSLESS:
		return conf_enc_list(c, def, s, path, e);
	case OPTDEF_INTERNAL:
		break;
	}
	return -1;
}

/*
 * Resolves the setting name @name to a definition. "option-NNN" names a code the table
 * has no name for; its value is hex octets (described by @raw). NULL after reporting.
 */
static const struct optdef *conf_option_def(struct conf_ctx *c, const config_setting_t *s,
                                            const char *path, const char *name, struct optdef *raw)
{
	const struct optdef *def;
	unsigned code = 0;
	const char *p;

	if (strncmp(name, "option-", 7) != 0) {
		def = optdef_by_name(name);
		if (!def)
			conf_err(c, s, path, "unknown option \"%s\"", name);
		return def;
	}
	for (p = name + 7; isdigit((unsigned char)*p) && code < 1000; p++)
		code = code * 10 + (unsigned)(*p - '0');
	if (*p || p == name + 7 || code < 1 || code > 254) {
		conf_err(c, s, path, "\"%s\": an option code is 1..254", name);
		return NULL;
	}
	def = optdef_by_code((uint8_t)code);
	if (def) {
		conf_err(c, s, path, "option %u has a name: write it as \"%s\"", code, def->name);
		return NULL;
	}
	*raw = (struct optdef){.code = (uint8_t)code,
	                       .type = OPTDEF_BYTES,
	                       .name = name,
	                       .min_len = 0,
	                       .max_len = OPTSET_VALUE_MAX,
	                       .multiple_of = 1};
	return raw;
}

/* Refuses the options the server sets itself; 0 when @def may be configured. */
static int conf_option_allowed(struct conf_ctx *c, const config_setting_t *s, const char *path,
                               const struct optdef *def)
{
	/* The engine sends the mask of the subnet the address is in (RFC 2132 3.3). */
	if (def->code == 1) {
		conf_err(
		    c, s, path,
		    "subnet-mask is not configured: it follows from the subnet's prefix length");
		return -1;
	}
	if (def->type != OPTDEF_INTERNAL)
		return 0;
	if (def->code == 51 || def->code == 58 || def->code == 59)
		conf_err(c, s, path,
		         "option \"%s\" (%u) is set by the server: use lease_time, renew_time or "
		         "rebind_time",
		         def->name, def->code);
	else
		conf_err(c, s, path, "option \"%s\" (%u) is set by the server, not configured",
		         def->name, def->code);
	return -1;
}

int conf_options_read(struct conf_ctx *c, const config_setting_t *group, const char *gpath,
                      struct optset *out)
{
	int n = group ? config_setting_length(group) : 0;
	int bad = 0;

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(s);
		struct conf_enc *e;
		const struct optdef *def;
		struct optdef raw;
		char p[CONF_PATH_MAX];

		conf_path_member(p, gpath, name);
		def = conf_option_def(c, s, p, name, &raw);
		if (!def || conf_option_allowed(c, s, p, def)) {
			bad = -1;
			continue;
		}
		e = calloc(1, sizeof(*e));
		if (!e) {
			conf_err(c, s, p, "out of memory");
			return -1;
		}
		if (conf_enc_value(c, def, s, p, e)) {
			bad = -1;
		} else if (e->overflow) {
			conf_err(c, s, p, "the value is longer than %u octets", OPTSET_VALUE_MAX);
			bad = -1;
		} else if (optdef_check_len(def, e->len)) {
			if (def->max_len >= OPTSET_VALUE_MAX)
				conf_err(
				    c, s, p,
				    "a value of %zu octets is not valid for %s (at least %u%s)",
				    e->len, def->name, def->min_len,
				    def->multiple_of > 1 ? ", a multiple of its item size" : "");
			else
				conf_err(c, s, p,
				         "a value of %zu octets is not valid for %s (%u..%u)",
				         e->len, def->name, def->min_len, def->max_len);
			bad = -1;
		} else if (optset_put(out, def->code, e->buf, e->len)) {
			conf_err(c, s, p, "out of memory");
			bad = -1;
		}
		free(e);
	}
	return bad;
}
