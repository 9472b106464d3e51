/*
 * Small reads of the service file for other programs and for the loader: the control
 * socket's path for mtdhcpctl (without loading, hence without failing on a tenant file's
 * errors), and the syntax of a listen address ("127.0.0.1:9167", "[::1]:9167").
 */
#include "conf/conf_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* As conf_service.c's default: the socket the daemon makes when the file names none. */
#define CONF_DEFAULT_CONTROL_SOCKET "/run/mtdhcp/control.sock"

bool conf_parse_listen(const char *text, struct conf_metrics *m)
{
	char host[64];
	const char *colon, *port;
	size_t hlen;

	if (text[0] == '[') {
		const char *end = strchr(text, ']');

		if (end == NULL || end[1] != ':')
			return false;
		hlen = (size_t)(end - text - 1);
		if (hlen == 0 || hlen >= sizeof(host))
			return false;
		memcpy(host, text + 1, hlen);
		host[hlen] = '\0';
		port = end + 2;
		m->family = AF_INET6;
	} else {
		colon = strrchr(text, ':');
		if (colon == NULL || (size_t)(colon - text) >= sizeof(host))
			return false;
		hlen = (size_t)(colon - text);
		memcpy(host, text, hlen);
		host[hlen] = '\0';
		port = colon + 1;
		m->family = AF_INET;
	}
	if (inet_pton(m->family, host, m->addr) != 1)
		return false;
	unsigned long v = 0;

	if (port[0] == '\0' || strlen(port) > 5)
		return false;
	for (const char *p = port; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p))
			return false;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v == 0 || v > 65535)
		return false;
	m->port = (uint16_t)v;
	return true;
}

int conf_read_control_socket(const char *service_file, char *out, size_t outlen, char *err,
                             size_t errlen)
{
	const char *path = CONF_DEFAULT_CONTROL_SOCKET;
	const config_setting_t *s;
	char *dir = NULL, *full = NULL;
	config_t cfg;
	FILE *f;
	int rc = 0;

	/* libconfig says only "file I/O error"; fopen says why. */
	f = fopen(service_file, "r");
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", service_file, strerror(-rc));
		return rc;
	}
	fclose(f);
	config_init(&cfg);
	if (!config_read_file(&cfg, service_file)) {
		snprintf(err, errlen, "%s:%d: %s",
		         config_error_file(&cfg) ? config_error_file(&cfg) : service_file,
		         config_error_line(&cfg), config_error_text(&cfg));
		config_destroy(&cfg);
		return -EINVAL;
	}
	s = config_setting_get_member(config_root_setting(&cfg), "control_socket");
	if (s &&
	    (config_setting_type(s) != CONFIG_TYPE_STRING || !config_setting_get_string(s)[0])) {
		snprintf(err, errlen, "%s:%u: control_socket: expected a non-empty path string",
		         service_file, config_setting_source_line(s));
		config_destroy(&cfg);
		return -EINVAL;
	}
	if (s)
		path = config_setting_get_string(s);
	dir = conf_dirname(service_file);
	full = dir ? conf_path_join(dir, path) : NULL;
	config_destroy(&cfg);
	if (!full) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
	} else if (strlen(full) >= outlen) {
		rc = -ENAMETOOLONG;
		snprintf(err, errlen, "%s: control_socket is longer than %zu characters",
		         service_file, outlen ? outlen - 1 : 0);
	} else {
		memcpy(out, full, strlen(full) + 1);
	}
	free(dir);
	free(full);
	return rc;
}
