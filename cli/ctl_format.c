/*
 * Formatting lease fields for people (tables) and for scripts (JSON). Every byte that came
 * from a client is untrusted: a hostname may hold terminal escape sequences or bytes that
 * are not UTF-8, so it is escaped for the table and made valid for JSON.
 */
#include <stdio.h>
#include <string.h>

#include "cli/ctl.h"

void ctl_fmt_ipv4(char *out, size_t outlen, uint32_t a)
{
	snprintf(out, outlen, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

void ctl_fmt_hex(char *out, size_t outlen, const uint8_t *p, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t o = 0;

	if (outlen == 0)
		return;
	for (size_t i = 0; i < len && o + 3 + (i > 0) <= outlen; i++) {
		if (i > 0)
			out[o++] = ':';
		out[o++] = digits[p[i] >> 4];
		out[o++] = digits[p[i] & 0xf];
	}
	out[o] = '\0';
}

void ctl_fmt_safe_text(char *out, size_t outlen, const char *p, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t o = 0;

	if (outlen == 0)
		return;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\\') {
			if (o + 3 > outlen)
				break;
			out[o++] = '\\';
			out[o++] = '\\';
		} else if (c >= 0x20 && c < 0x7f) {
			if (o + 2 > outlen)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 5 > outlen)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = digits[c >> 4];
			out[o++] = digits[c & 0xf];
		}
	}
	out[o] = '\0';
}

void ctl_fmt_time(char *out, size_t outlen, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char zone[8];

	if ((int64_t)tt != t || localtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 > 9999 ||
	    strftime(out, outlen, "%Y-%m-%dT%H:%M:%S", &tm) == 0 ||
	    strftime(zone, sizeof(zone), "%z", &tm) != 5) {
		snprintf(out, outlen, "never");
		return;
	}
	/* strftime's %z is "+0200"; ISO 8601's extended format wants "+02:00". */
	size_t n = strlen(out);

	snprintf(out + n, outlen - n, "%.3s:%.2s", zone, zone + 3);
}

/* The length of the valid UTF-8 sequence at @p (RFC 3629 section 4), or 0 if none. */
static size_t ctl_utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0; /* no overlong forms */
		else if (c == 0xed)
			hi = 0x9f; /* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f; /* nothing above U+10FFFF */
	} else {
		return 0;
	}
	if (len > n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	}
	return len;
}

void ctl_json_string(FILE *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', out);
	for (size_t i = 0; i < len;) {
		unsigned char c = p[i];

		if (c == '"' || c == '\\') {
			fputc('\\', out);
			fputc(c, out);
			i++;
		} else if (c == '\n') {
			fputs("\\n", out);
			i++;
		} else if (c == '\t') {
			fputs("\\t", out);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\u%04x", c);
			i++;
		} else if (c < 0x80) {
			fputc(c, out);
			i++;
		} else {
			size_t n = ctl_utf8_len(p + i, len - i);

			if (n == 0) {
				fputs("\\ufffd", out);
				i++;
			} else {
				fwrite(p + i, 1, n, out);
				i += n;
			}
		}
	}
	fputc('"', out);
}

void ctl_fmt_duration(char *out, size_t outlen, int64_t s)
{
	if (s < 0)
		s = 0;
	/* Two units at most: enough to read at a glance, exact enough to act on. */
	if (s < 60)
		snprintf(out, outlen, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(out, outlen, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else if (s < 86400)
		snprintf(out, outlen, "%lldh%02lldm", (long long)(s / 3600),
		         (long long)(s % 3600 / 60));
	else
		snprintf(out, outlen, "%lldd%02lldh", (long long)(s / 86400),
		         (long long)(s % 86400 / 3600));
}
