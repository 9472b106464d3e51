/*
 * The service file (mtdhcpd.conf): the dataplane's EAL arguments and ports, the lease
 * database, the control socket, logging, where the tenant files are, and the defaults
 * every tenant inherits.
 */
#include "conf/conf_internal.h"
#include "conf/conf_classify.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#define CONF_DEFAULT_DB_PATH        "/var/lib/mtdhcp/leases.db"
#define CONF_DEFAULT_CONTROL_SOCKET "/run/mtdhcp/control.sock"
#define CONF_USEC_MAX               1000000u
/* Lease events (who had which address when) are kept this many days by default. */
#define CONF_DEFAULT_EVENTS_RETENTION 30u
#define CONF_EVENTS_RETENTION_MAX     36500u
#define CONF_DEFAULT_REMOVED_TENANT_RETENTION 30u
/* RFC 2131 4.3.3: a declined address is quarantined, by default for a day. */
#define CONF_DEFAULT_DECLINE_TIME 86400u

static const char *const conf_root_names[] = {
    "dataplane",   "lease_db", "control_socket", "log_level",
    "tenants_dir", "defaults", "metrics",        "default_tenant", NULL};
static const char *const conf_metrics_names[] = {"listen", NULL};
static const char *const conf_dataplane_names[] = {"eal", "ports", "idle_sleep_max_usec", NULL};
static const char *const conf_port_names[] = {"name", "device", "address", "mac",
                                              CONF_PORT_RELAY_NAMES, NULL};
static const char *const conf_lease_db_names[] = {
    "path", "durability", "batch_max", "batch_usec", "queue_size", "events_retention",
    "removed_tenant_retention", NULL};
static const char *const conf_defaults_names[] = {
    "lease_time", "min_lease_time", "max_lease_time", "renew_time", "rebind_time",
    "offer_time", "authoritative",  "options",
    /* Protocol (issue 3) */
    "rapid_commit", "decline_time",
    /* Isolation (issue 4) */
    "max_leases", "packets_per_second", "burst", NULL};

/* "02:00:00:00:00:01": six two-digit hex octets, a unicast address that is not zero. */
static bool conf_parse_mac(const char *text, uint8_t mac[6])
{
	unsigned v[6];
	char end;
	bool zero = true;

	if (strlen(text) != 17 || sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2],
	                                 &v[3], &v[4], &v[5], &end) != 6)
		return false;
	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)text[3 * i]) ||
		    !isxdigit((unsigned char)text[3 * i + 1]))
			return false;
		mac[i] = (uint8_t)v[i];
		zero = zero && v[i] == 0;
	}
	/* The group bit (IEEE 802 "I/G") set means multicast: not an interface address. */
	return !zero && !(mac[0] & 1);
}

/*
 * An address we answer for on a port: unicast, and neither the network nor the broadcast
 * address of its prefix (when the prefix has such addresses, i.e. up to /30).
 */
static const char *conf_host_addr_problem(uint32_t addr, uint8_t plen)
{
	uint32_t mask = conf_prefix_mask(plen);

	if (addr == 0 || addr >= 0xe0000000u)
		return "is not a unicast address";
	if (plen <= 30 && (addr & ~mask) == 0)
		return "is the network address of its prefix";
	if (plen <= 30 && (addr & ~mask) == ~mask)
		return "is the broadcast address of its prefix";
	return NULL;
}

static int conf_port_read(struct conf_ctx *c, const config_setting_t *ps, const char *path,
                          struct conf_port *port)
{
	const char *name = NULL, *device = NULL, *addr = NULL, *mac = NULL, *why;
	char p[CONF_PATH_MAX];
	int bad = 0, rc;

	if (!config_setting_is_group(ps)) {
		conf_err(c, ps, path,
		         "expected a port group { name = ...; device = ...; }, found %s",
		         conf_type_name_of(ps));
		return -1;
	}
	conf_check_known(c, ps, path, conf_port_names);

	rc = conf_get_string(c, ps, path, "name", &name);
	conf_path_member(p, path, "name");
	if (rc == 0)
		conf_err(c, ps, p, "a port needs a name");
	else if (rc > 0 && !conf_name_ok(name, CONF_PORT_NAME_MAX))
		conf_err(
		    c, config_setting_get_member(ps, "name"), p,
		    "\"%s\" is not a valid port name (1..%d of letters, digits, '-', '_', '.')",
		    name, CONF_PORT_NAME_MAX - 1);
	if (rc > 0 && conf_name_ok(name, CONF_PORT_NAME_MAX))
		snprintf(port->name, sizeof(port->name), "%s", name);
	else
		bad = -1;

	rc = conf_get_string(c, ps, path, "device", &device);
	conf_path_member(p, path, "device");
	if (rc == 0 || (rc > 0 && !device[0])) {
		conf_err(c, rc ? config_setting_get_member(ps, "device") : ps, p,
		         "a port needs a device (an EAL device argument)");
		bad = -1;
	} else if (rc < 0) {
		bad = -1;
	} else if (!(port->device = strdup(device))) {
		conf_err(c, ps, p, "out of memory");
		bad = -1;
	}

	rc = conf_get_string(c, ps, path, "address", &addr);
	conf_path_member(p, path, "address");
	if (rc == 0) {
		conf_err(c, ps, p, "a port needs an address (a.b.c.d/prefix-length)");
		bad = -1;
	} else if (rc < 0) {
		bad = -1;
	} else if (!conf_parse_prefix(addr, &port->address, &port->prefix_len) ||
	           port->prefix_len == 0) {
		conf_err(c, config_setting_get_member(ps, "address"), p,
		         "\"%s\" is not an address with a prefix length 1..32 (a.b.c.d/len)", addr);
		bad = -1;
	} else if ((why = conf_host_addr_problem(port->address, port->prefix_len))) {
		conf_err(c, config_setting_get_member(ps, "address"), p, "%s %s", addr, why);
		bad = -1;
	}

	rc = conf_get_string(c, ps, path, "mac", &mac);
	conf_path_member(p, path, "mac");
	if (rc < 0) {
		bad = -1;
	} else if (rc > 0 && !conf_parse_mac(mac, port->mac)) {
		conf_err(c, config_setting_get_member(ps, "mac"), p,
		         "\"%s\" is not a unicast MAC address (02:00:00:00:00:01)", mac);
		bad = -1;
	} else if (rc > 0) {
		port->has_mac = true;
	}
	if (conf_port_relay_read(c, ps, path, port))
		bad = -1;
	return bad;
}

static int conf_ports_read(struct conf_ctx *c, const config_setting_t *dp, struct conf_service *svc)
{
	const config_setting_t *ports;
	int n, bad = 0;

	/* A missing dataplane group has been reported already. */
	if (!dp)
		return -1;
	ports = conf_get_list(c, dp, "dataplane", "ports", false);
	if (!ports) {
		if (!config_setting_get_member(dp, "ports"))
			conf_err(c, dp, "dataplane.ports", "at least one port is required");
		return -1;
	}
	n = config_setting_length(ports);
	if (n == 0) {
		conf_err(c, ports, "dataplane.ports", "at least one port is required");
		return -1;
	}
	svc->ports = calloc((size_t)n, sizeof(*svc->ports));
	if (!svc->ports) {
		conf_err(c, ports, "dataplane.ports", "out of memory");
		return -1;
	}
	svc->n_ports = (size_t)n;
	for (int i = 0; i < n; i++) {
		const config_setting_t *ps = config_setting_get_elem(ports, (unsigned)i);
		char p[CONF_PATH_MAX], np[CONF_PATH_MAX];

		conf_path_elem(p, "dataplane.ports", (size_t)i);
		if (conf_port_read(c, ps, p, &svc->ports[i])) {
			bad = -1;
			continue;
		}
		for (int j = 0; j < i; j++) {
			if (strcmp(svc->ports[j].name, svc->ports[i].name) != 0)
				continue;
			conf_path_member(np, p, "name");
			conf_err(c, config_setting_get_member(ps, "name"), np,
			         "port name \"%s\" is already used by dataplane.ports.[%d]",
			         svc->ports[i].name, j);
			bad = -1;
		}
	}
	return bad;
}

static int conf_eal_read(struct conf_ctx *c, const config_setting_t *dp, struct conf_service *svc)
{
	const config_setting_t *eal = dp ? conf_get_list(c, dp, "dataplane", "eal", false) : NULL;
	int n = eal ? config_setting_length(eal) : 0, bad = 0;

	svc->eal_args = calloc((size_t)n + 1, sizeof(char *));
	if (!svc->eal_args) {
		conf_err(c, eal, "dataplane.eal", "out of memory");
		return -1;
	}
	if (!eal)
		return dp && config_setting_get_member(dp, "eal") ? -1 : 0;
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(eal, (unsigned)i);
		const char *arg;
		char p[CONF_PATH_MAX];

		conf_path_elem(p, "dataplane.eal", (size_t)i);
		if (conf_string_value(c, s, p, &arg)) {
			bad = -1;
			continue;
		}
		svc->eal_args[svc->n_eal_args] = strdup(arg);
		if (!svc->eal_args[svc->n_eal_args]) {
			conf_err(c, s, p, "out of memory");
			return -1;
		}
		svc->n_eal_args++;
	}
	return bad;
}

/* A path setting: relative values are taken from the service file's directory. */
static int conf_path_setting(struct conf_ctx *c, const config_setting_t *group, const char *gpath,
                             const char *name, const char *dir, const char *dflt, char **out)
{
	const char *v = dflt;
	char p[CONF_PATH_MAX];
	int rc = conf_get_string(c, group, gpath, name, &v);

	conf_path_member(p, gpath, name);
	if (rc < 0)
		return -1;
	if (rc > 0 && !v[0]) {
		conf_err(c, config_setting_get_member(group, name), p, "the path is empty");
		return -1;
	}
	if (!v)
		return 0;
	*out = conf_path_join(dir, v);
	if (!*out) {
		conf_err(c, group, p, "out of memory");
		return -1;
	}
	return 0;
}

static int conf_lease_db_read(struct conf_ctx *c, const config_setting_t *root, const char *dir,
                              struct conf_lease_db *db)
{
	const config_setting_t *g = conf_get_group(c, root, "", "lease_db");
	const config_setting_t *where = NULL;
	const char *durability;
	int bad = 0, rc;

	db->durability = CONF_DURABILITY_COMMIT_BEFORE_ACK;
	db->batch_max = 256;
	db->batch_usec = 200;
	db->queue_size = 16384;
	db->events_retention = CONF_DEFAULT_EVENTS_RETENTION;
	db->removed_tenant_retention = CONF_DEFAULT_REMOVED_TENANT_RETENTION;
	if (!g) {
		if (config_setting_get_member(root, "lease_db"))
			bad = -1;
		db->path = conf_path_join(NULL, CONF_DEFAULT_DB_PATH);
		return db->path ? bad : -1;
	}
	conf_check_known(c, g, "lease_db", conf_lease_db_names);
	if (conf_path_setting(c, g, "lease_db", "path", dir, CONF_DEFAULT_DB_PATH, &db->path))
		bad = -1;
	rc = conf_get_string(c, g, "lease_db", "durability", &durability);
	if (rc < 0) {
		bad = -1;
	} else if (rc > 0 && strcmp(durability, "async") == 0) {
		db->durability = CONF_DURABILITY_ASYNC;
	} else if (rc > 0 && strcmp(durability, "commit-before-ack") != 0) {
		conf_err(c, config_setting_get_member(g, "durability"), "lease_db.durability",
		         "\"%s\" is not a durability: \"commit-before-ack\" or \"async\"",
		         durability);
		bad = -1;
	}
	if (conf_get_u32(c, g, "lease_db", "batch_max", 1, 65536, &db->batch_max, NULL) < 0)
		bad = -1;
	if (conf_get_u32(c, g, "lease_db", "batch_usec", 0, CONF_USEC_MAX, &db->batch_usec, NULL) <
	    0)
		bad = -1;
	if (conf_get_u32(c, g, "lease_db", "events_retention", 1, CONF_EVENTS_RETENTION_MAX,
	                 &db->events_retention, NULL) < 0)
		bad = -1;
	if (conf_get_u32(c, g, "lease_db", "removed_tenant_retention", 0, 36500,
	                 &db->removed_tenant_retention, NULL) < 0)
		bad = -1;
	rc = conf_get_u32(c, g, "lease_db", "queue_size", 1, 1u << 20, &db->queue_size, &where);
	if (rc < 0)
		bad = -1;
	if (!bad && db->queue_size < db->batch_max) {
		/* A batch is taken from the queue, so it can never be larger than the queue. */
		const char *name = rc > 0 ? "queue_size" : "batch_max";
		char p[CONF_PATH_MAX];

		conf_path_member(p, "lease_db", name);
		conf_err(c, config_setting_get_member(g, name), p,
		         "queue_size %u is smaller than batch_max %u", db->queue_size,
		         db->batch_max);
		bad = -1;
	}
	return bad;
}

static int conf_defaults_read(struct conf_ctx *c, const config_setting_t *root,
                              struct conf_service *svc)
{
	const config_setting_t *g = conf_get_group(c, root, "", "defaults");
	const config_setting_t *opts;
	struct tenant_lease_times builtin;
	struct conf_times times;
	int bad = 0;

	conf_times_builtin(&builtin);
	svc->times = builtin;
	/* RFC 2131 4.3.2: NAK what is wrong on the client's network. A tenant's link has
	 * no other server once it moved here, so the built-in default is to be authoritative. */
	svc->authoritative = true;
	svc->offer_time = 30;
	/* RFC 4039 rapid commit is off unless asked for: it skips the OFFER a client may be
	 * choosing between servers with. */
	svc->rapid_commit = false;
	svc->decline_time = CONF_DEFAULT_DECLINE_TIME;
	if (!g)
		return config_setting_get_member(root, "defaults") ? -1 : 0;
	conf_check_known(c, g, "defaults", conf_defaults_names);
	if (conf_times_read(c, g, "defaults", &builtin, &times))
		bad = -1;
	svc->times = times.v;
	if (conf_get_u32(c, g, "defaults", "offer_time", 1, 86400, &svc->offer_time, NULL) < 0)
		bad = -1;
	if (conf_get_bool(c, g, "defaults", "authoritative", &svc->authoritative) < 0)
		bad = -1;
	if (conf_get_bool(c, g, "defaults", "rapid_commit", &svc->rapid_commit) < 0)
		bad = -1;
	if (conf_get_u32(c, g, "defaults", "decline_time", 1, CONF_DECLINE_TIME_MAX,
	                 &svc->decline_time, NULL) < 0)
		bad = -1;
	/* Isolation (issue 4): what each tenant may take of the server; 0 = no limit. */
	if (conf_get_u32(c, g, "defaults", "max_leases", 0, CONF_LIMIT_MAX,
	                 &svc->limits.max_leases, NULL) < 0 ||
	    conf_get_u32(c, g, "defaults", "packets_per_second", 0, CONF_LIMIT_MAX,
	                 &svc->limits.packets_per_second, NULL) < 0 ||
	    conf_get_u32(c, g, "defaults", "burst", 0, CONF_LIMIT_MAX, &svc->limits.burst,
	                 NULL) < 0)
		bad = -1;
	opts = conf_get_group(c, g, "defaults", "options");
	if (!opts && config_setting_get_member(g, "options"))
		bad = -1;
	if (conf_options_read(c, opts, "defaults.options", &svc->options))
		bad = -1;
	return bad;
}

static int conf_log_level_read(struct conf_ctx *c, const config_setting_t *root,
                               struct conf_service *svc)
{
	static const struct {
		const char *name;
		enum conf_log_level level;
	} levels[] = {{"error", CONF_LOG_ERROR},
	              {"warning", CONF_LOG_WARNING},
	              {"info", CONF_LOG_INFO},
	              {"debug", CONF_LOG_DEBUG}};
	const char *v;
	int rc = conf_get_string(c, root, "", "log_level", &v);

	svc->log_level = CONF_LOG_INFO;
	if (rc <= 0)
		return rc;
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcmp(v, levels[i].name) == 0) {
			svc->log_level = levels[i].level;
			return 0;
		}
	}
	conf_err(c, config_setting_get_member(root, "log_level"), "log_level",
	         "\"%s\" is not a log level: error, warning, info or debug", v);
	return -1;
}

/*
 * metrics = { listen = "127.0.0.1:9167"; }: the Prometheus endpoint, off when the group is
 * absent. It serves counters to whoever can reach it, hence no default address.
 */
static int conf_metrics_read(struct conf_ctx *c, const config_setting_t *root,
                             struct conf_metrics *m)
{
	const config_setting_t *g = conf_get_group(c, root, "", "metrics");
	const char *listen = NULL;
	int rc;

	if (!g)
		return config_setting_get_member(root, "metrics") ? -1 : 0;
	conf_check_known(c, g, "metrics", conf_metrics_names);
	rc = conf_get_string(c, g, "metrics", "listen", &listen);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		conf_err(c, g, "metrics.listen",
		         "the metrics group needs listen = \"address:port\" (e.g. \"127.0.0.1:9167\")");
		return -1;
	}
	if (!conf_parse_listen(listen, m)) {
		conf_err(c, config_setting_get_member(g, "listen"), "metrics.listen",
		         "\"%s\" is not an address and port (\"127.0.0.1:9167\" or \"[::1]:9167\")",
		         listen);
		return -1;
	}
	m->listen = strdup(listen);
	if (!m->listen) {
		conf_err(c, g, "metrics.listen", "out of memory");
		return -1;
	}
	m->enabled = true;
	return 0;
}

int conf_service_read(struct conf_ctx *c, const config_t *cfg, struct conf_service *svc,
                      bool *ports_ok)
{
	const config_setting_t *root = config_root_setting(cfg);
	const config_setting_t *dp;
	char *dir = conf_dirname(svc->file);
	int bad = 0;

	*ports_ok = false;
	if (!dir) {
		conf_err(c, NULL, "", "out of memory");
		return -1;
	}
	conf_check_known(c, root, "", conf_root_names);

	dp = conf_get_group(c, root, "", "dataplane");
	if (!dp && !config_setting_get_member(root, "dataplane"))
		conf_err(c, NULL, "dataplane", "the dataplane group (with its ports) is required");
	if (!dp)
		bad = -1;
	else
		conf_check_known(c, dp, "dataplane", conf_dataplane_names);
	if (conf_eal_read(c, dp, svc))
		bad = -1;
	if (conf_ports_read(c, dp, svc))
		bad = -1;
	else
		*ports_ok = true;
	svc->idle_sleep_max_usec = 1000;
	if (dp && conf_get_u32(c, dp, "dataplane", "idle_sleep_max_usec", 0, CONF_USEC_MAX,
	                       &svc->idle_sleep_max_usec, NULL) < 0)
		bad = -1;

	if (conf_lease_db_read(c, root, dir, &svc->lease_db))
		bad = -1;
	if (conf_path_setting(c, root, "", "control_socket", dir, CONF_DEFAULT_CONTROL_SOCKET,
	                      &svc->control_socket)) {
		bad = -1;
	} else if (svc->control_socket &&
	           strlen(svc->control_socket) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		/* A Unix socket's path must fit in sockaddr_un (unix(7)). */
		conf_err(c, config_setting_get_member(root, "control_socket"), "control_socket",
		         "the socket path is longer than %zu characters",
		         sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		bad = -1;
	}
	if (conf_log_level_read(c, root, svc))
		bad = -1;
	if (conf_metrics_read(c, root, &svc->metrics))
		bad = -1;
	if (!config_setting_get_member(root, "tenants_dir")) {
		conf_err(c, NULL, "tenants_dir",
		         "tenants_dir is required: the directory of the tenant files");
		bad = -1;
	} else if (conf_path_setting(c, root, "", "tenants_dir", dir, NULL, &svc->tenants_dir)) {
		bad = -1;
	}
	if (conf_defaults_read(c, root, svc))
		bad = -1;
	if (conf_default_tenant_read(c, root, svc))
		bad = -1;
	free(dir);
	return bad;
}

void conf_service_clear(struct conf_service *svc)
{
	if (svc->eal_args) {
		for (size_t i = 0; i < svc->n_eal_args; i++)
			free(svc->eal_args[i]);
		free(svc->eal_args);
	}
	conf_classify_clear(svc);
	for (size_t i = 0; i < svc->n_ports; i++)
		free(svc->ports[i].device);
	free(svc->ports);
	free(svc->lease_db.path);
	free(svc->tenants_dir);
	free(svc->control_socket);
	free(svc->metrics.listen);
	free(svc->file);
	optset_clear(&svc->options);
	memset(svc, 0, sizeof(*svc));
}
