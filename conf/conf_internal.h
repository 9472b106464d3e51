/*
 * Private to conf/: the state of one load, problem reporting with setting paths, typed
 * getters over libconfig settings, and the pieces each conf_*.c file provides to the
 * others. Nothing here is part of the public contract (conf.h).
 *
 * Every getter reports its own problems, so that a caller only decides what to do next;
 * loading goes on after a problem so that one run lists them all.
 */
#ifndef MTDHCP_CONF_CONF_INTERNAL_H
#define MTDHCP_CONF_CONF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libconfig.h>

#include "conf/conf.h"

#define CONF_PATH_MAX 256

/* The state of one conf_load. */
struct conf_ctx {
	conf_report_fn report;
	void *report_ctx;
	const char *file; /* the file being read, named in reports */
	unsigned errors;  /* problems reported in this load */
};

/* --- conf_report.c: reports and setting paths --- */

/*
 * Reports a problem with setting @s (its line; line 0 when @s is NULL) at path @path.
 * Counts it as an error.
 */
void conf_err(struct conf_ctx *c, const config_setting_t *s, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* As conf_err, with an explicit line. */
void conf_err_line(struct conf_ctx *c, int line, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* As conf_err, with an explicit file (named as libconfig names it) and line. */
void conf_err_at(struct conf_ctx *c, const char *file, int line, const char *path, const char *fmt,
                 ...) __attribute__((format(printf, 5, 6)));

/* "a string", "an integer", ... for messages about a setting of the wrong type. */
const char *conf_type_name_of(const config_setting_t *s);

/* The line of @s, or 0 for NULL or the root group. */
int conf_line(const config_setting_t *s);

/* @out = "@parent.@name" (or "@name" at the top). */
void conf_path_member(char *out, const char *parent, const char *name);

/* @out = "@parent.[@i]". */
void conf_path_elem(char *out, const char *parent, size_t i);

/*
 * Reports every member of @group whose name is not in the NULL-terminated @names, so
 * that a misspelt setting never passes silently.
 */
void conf_check_known(struct conf_ctx *c, const config_setting_t *group, const char *path,
                      const char *const *names);

/*
 * The member @name of @group when it is a group; NULL when it is absent, or (reported)
 * when it has another type.
 */
config_setting_t *conf_get_group(struct conf_ctx *c, const config_setting_t *group,
                                 const char *gpath, const char *name);

/*
 * The member @name of @group when it is a list or an array (an aggregate of elements);
 * NULL when absent or (reported) of another type. @allow_scalar also accepts a single
 * scalar, returned as is, for settings where "one value" may be written without brackets.
 */
config_setting_t *conf_get_list(struct conf_ctx *c, const config_setting_t *group,
                                const char *gpath, const char *name, bool allow_scalar);

/* --- conf_value.c: typed values --- */

/* Parses dotted-quad @text into a host-order address. */
bool conf_parse_addr(const char *text, uint32_t *out);

/* Parses "a.b.c.d/len" (len 0..32) into a host-order address and a prefix length. */
bool conf_parse_prefix(const char *text, uint32_t *addr, uint8_t *len);

/*
 * True when @name is 1..@max - 1 characters of letters, digits, '-', '_' and '.': safe in
 * logs, the CLI, file names and the lease database (tenant and port names).
 */
bool conf_name_ok(const char *name, size_t max);

/* The netmask of a prefix length, host order. */
uint32_t conf_prefix_mask(uint8_t len);

/* Formats host-order @addr into @buf (16 bytes). */
const char *conf_addr_str(uint32_t addr, char buf[16]);

/*
 * Value getters for a setting @s at @path; each returns 0, or -1 after reporting.
 * conf_int_value accepts the range [@min, @max].
 */
int conf_int_value(struct conf_ctx *c, const config_setting_t *s, const char *path, int64_t min,
                   int64_t max, int64_t *out);
int conf_string_value(struct conf_ctx *c, const config_setting_t *s, const char *path,
                      const char **out);
int conf_addr_value(struct conf_ctx *c, const config_setting_t *s, const char *path, uint32_t *out);

/*
 * Member getters: look @name up in @group (whose path is @gpath). Each returns 1 when the
 * setting is there and valid (then *@out is set), 0 when it is absent (*@out untouched),
 * and -1 after reporting a problem. @where, when not NULL, receives the setting.
 */
int conf_get_u32(struct conf_ctx *c, const config_setting_t *group, const char *gpath,
                 const char *name, uint32_t min, uint32_t max, uint32_t *out,
                 const config_setting_t **where);
int conf_get_bool(struct conf_ctx *c, const config_setting_t *group, const char *gpath,
                  const char *name, bool *out);
int conf_get_string(struct conf_ctx *c, const config_setting_t *group, const char *gpath,
                    const char *name, const char **out);
int conf_get_addr(struct conf_ctx *c, const config_setting_t *group, const char *gpath,
                  const char *name, uint32_t *out, const config_setting_t **where);

/* --- conf_intscan.c: integers libconfig 1.5 silently truncates --- */

/*
 * libconfig 1.5 reads an integer literal without the L suffix into an int, wrapping any
 * value outside 32 bits (5000000000 becomes 705032704). Scans @text (the file @path that
 * @cfg was parsed from) and the files it @includes for such literals, and marks the
 * settings they became, so that conf_int_value reports them instead of using the wrapped
 * value. Returns the marks, to be freed with conf_intscan_free after the settings are
 * read; NULL when there are none.
 */
struct conf_intscan *conf_intscan_mark(struct conf_ctx *c, config_t *cfg, const char *path,
                                       const char *text);

/* A description of the literal a marked setting held, or NULL when @s is not marked. */
const char *conf_intscan_literal(const config_setting_t *s);

void conf_intscan_free(struct conf_intscan *scan);

/* --- conf_file.c: reading one file --- */

/*
 * Reads and parses @path into @cfg (initialised here; the caller destroys it), reporting
 * an unreadable or unparsable file. Also marks truncated integers (see conf_intscan).
 * 0, or -errno after reporting.
 */
int conf_file_read(struct conf_ctx *c, const char *path, config_t *cfg, struct conf_intscan **scan);

/* Reads all of @path into a new NUL-terminated buffer. 0 or -errno. */
int conf_file_slurp(const char *path, char **out);

/* "@dir/@path", or @path when it is absolute or @dir is NULL. NULL on ENOMEM. */
char *conf_path_join(const char *dir, const char *path);

/* The directory of @file ("." when it has none), newly allocated. NULL on ENOMEM. */
char *conf_dirname(const char *file);

/* --- conf_options.c: DHCP option values --- */

/*
 * Encodes each member of the "options" group @group (path @gpath) into @out (empty on
 * entry), by the types in tenants/optdef.h. 0, or -1 when anything was reported.
 */
int conf_options_read(struct conf_ctx *c, const config_setting_t *group, const char *gpath,
                      struct optset *out);

/* --- conf_times.c: lease lifetimes --- */

enum conf_time_field {
	CONF_TIME_LEASE,
	CONF_TIME_MIN,
	CONF_TIME_MAX,
	CONF_TIME_RENEW,
	CONF_TIME_REBIND,
	CONF_TIME__COUNT
};

/*
 * The lease times at one level of the inheritance chain (defaults, tenant, subnet): the
 * values in force there, and which of them this level sets itself.
 */
struct conf_times {
	struct tenant_lease_times v;
	const config_setting_t *set[CONF_TIME__COUNT];
};

/* The names of the lease-time settings, in enum conf_time_field order. */
extern const char *const conf_time_names[CONF_TIME__COUNT];

/*
 * Starts from @parent's values and reads the settings @group (path @gpath) sets over
 * them, then checks the result (min <= lease <= max, renew < rebind < lease; RFC 2131
 * 4.4.5). A problem is reported at a setting this level sets, so an inherited one is
 * reported once, where it was written. 0, or -1 after reporting.
 */
int conf_times_read(struct conf_ctx *c, const config_setting_t *group, const char *gpath,
                    const struct tenant_lease_times *parent, struct conf_times *out);

/* The built-in lease times, used where the service file sets none. */
void conf_times_builtin(struct tenant_lease_times *out);

/* --- conf_service.c: mtdhcpd.conf --- */

/*
 * Fills @svc from the parsed service file @cfg. @svc->file is set by the caller. @ports_ok
 * is false when the ports could not all be read (then tenant files skip port-name
 * checks rather than report every reference). 0, or -1 after reporting.
 */
int conf_service_read(struct conf_ctx *c, const config_t *cfg, struct conf_service *svc,
                      bool *ports_ok);

/* Frees what conf_service_read allocated in @svc. */
void conf_service_clear(struct conf_service *svc);

/* --- conf_tenant.c and conf_subnet.c: tenant files --- */

/* Where a tenant's match keys were written, for cross-tenant conflict reports. */
struct conf_tenant_src {
	int *relay_lines;
	int *vlan_lines;
	int name_line;
	bool relays_scalar; /* relays = "a.b.c.d" rather than a list */
};

/*
 * Builds the tenant that the parsed tenant file @cfg describes; @file is its path and
 * @default_name its name when the file sets none. Returns NULL when anything was
 * reported (or on ENOMEM, also reported). @src receives the lines of its match keys.
 */
struct tenant *conf_tenant_read(struct conf_ctx *c, const config_t *cfg, const char *file,
                                const char *default_name, const struct conf_service *svc,
                                bool ports_ok, struct conf_tenant_src *src);

void conf_tenant_src_clear(struct conf_tenant_src *src);

/*
 * Reads the "subnets" list of the tenant file root @root into @t, with their pools, and
 * the lease times and options each inherits from @times and @options (the tenant's,
 * already merged over the service defaults). 0, or -1 after reporting.
 */
int conf_subnets_read(struct conf_ctx *c, const config_setting_t *root, struct tenant *t,
                      const struct tenant_lease_times *times, const struct optset *options);

/* --- conf_check.c: checks across tenant files --- */

/*
 * Reports tenants with the same name and match keys (relay addresses, port/VLAN) claimed
 * by two tenants, as tenant_registry_build would refuse them. 0, or -1 after reporting.
 */
int conf_check_tenants(struct conf_ctx *c, struct tenant *const *tenants,
                       const struct conf_tenant_src *srcs, size_t n,
                       const struct conf_service *svc);

#endif
