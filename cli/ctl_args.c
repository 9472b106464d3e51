/*
 * Operator input: addresses, prefixes, hardware addresses and client identifiers in hex,
 * durations, counts. Each parser accepts exactly its syntax and nothing around it, so a
 * typo is a usage error rather than a silently different filter.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

#include "cli/ctl.h"

bool ctl_parse_ipv4(const char *s, uint32_t *out)
{
	struct in_addr a;

	/* inet_pton takes only the four-part dotted-decimal form (no "10.1", no octal). */
	if (inet_pton(AF_INET, s, &a) != 1)
		return false;
	*out = ntohl(a.s_addr);
	return true;
}

bool ctl_parse_prefix(const char *s, uint32_t *addr, uint32_t *mask)
{
	const char *slash = strchr(s, '/');
	char host[16];
	unsigned len = 0;

	if (slash == NULL) {
		*mask = UINT32_MAX;
		return ctl_parse_ipv4(s, addr);
	}
	if ((size_t)(slash - s) >= sizeof(host))
		return false;
	memcpy(host, s, (size_t)(slash - s));
	host[slash - s] = '\0';
	const char *p = slash + 1;

	if (*p == '\0' || strlen(p) > 2)
		return false;
	for (; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p))
			return false;
		len = len * 10 + (unsigned)(*p - '0');
	}
	if (len > 32 || !ctl_parse_ipv4(host, addr))
		return false;
	*mask = len == 0 ? 0 : UINT32_MAX << (32 - len);
	return true;
}

static int ctl_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

size_t ctl_parse_hex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	char sep = 0;

	if (*s == '\0')
		return 0;
	while (*s != '\0') {
		int hi = ctl_hex_digit(s[0]);
		int lo = hi >= 0 ? ctl_hex_digit(s[1]) : -1;

		if (lo < 0 || n == max)
			return 0;
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (*s == '\0')
			break;
		/* One separator throughout: ':' or '-', or none at all. */
		if (*s == ':' || *s == '-') {
			if ((sep != 0 && sep != *s) || (sep == 0 && n > 1) || s[1] == '\0')
				return 0;
			sep = *s++;
		} else if (sep != 0) {
			return 0;
		}
	}
	return n;
}

bool ctl_parse_duration(const char *s, int64_t *seconds)
{
	static const struct {
		char unit;
		int64_t secs;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800}};
	const int64_t max = 100LL * 366 * 86400;
	int64_t total = 0;

	if (*s == '\0')
		return false;
	while (*s != '\0') {
		int64_t v = 0;

		if (!isdigit((unsigned char)*s))
			return false;
		for (; isdigit((unsigned char)*s); s++) {
			v = v * 10 + (*s - '0');
			if (v > max)
				return false;
		}
		int64_t mult = 0;

		if (*s == '\0') {
			mult = 1; /* a bare number is seconds */
		} else {
			for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
				if (*s == units[i].unit)
					mult = units[i].secs;
			}
			if (mult == 0)
				return false;
			s++;
		}
		if (v > (max - total) / mult)
			return false;
		total += v * mult;
	}
	if (total == 0)
		return false;
	*seconds = total;
	return true;
}

bool ctl_parse_count(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0' || strlen(s) > 10)
		return false;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*out = v;
	return true;
}
