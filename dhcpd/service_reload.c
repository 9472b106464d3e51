/*
 * Live reload (SIGHUP, `mtdhcpctl reload`): re-reads the service file and the tenants
 * directory and applies what changed while the lcore keeps forwarding.
 *
 * The order, on the control thread:
 *   1. conf_load_partial: a tenant file with problems is reported with file:line and left
 *      out; problems in the service file reject the whole reload.
 *   2. The service part (service_settings.c): settings that need a restart (EAL, ports'
 *      devices and addresses, the lease database, the control socket, metrics, idle
 *      back-off) are reported and keep their running values; the rest (log level,
 *      defaults and limits, tenants_dir, default tenant, relay policies, removed-tenant
 *      retention) take effect. A change in the ports' names or order rejects the reload:
 *      tenants refer to ports by index.
 *   3. The new tenant set: a tenant whose files did not change keeps its running struct
 *      (and engine instance); a rejected file's tenant keeps its running version; the
 *      others get their stable database ids by name and new instances, built here with
 *      their leases read from the database.
 *   4. The registry is built (match conflicts reject the reload), the engine swaps the
 *      instances in (dhcp_engine_plan_apply), and only then is the registry published, so
 *      that no packet is ever classified to a tenant the lcore has no instance for.
 *   5. Removed tenants are marked in the database; their leases stay until
 *      lease_db.removed_tenant_retention passes (service_reload_tick purges them).
 *
 * Tenant ownership: a struct tenant has holders (tenants/tenant.h, tenant_ref): each
 * registry it is in, and each engine instance built for it. Carrying an unchanged or
 * failed tenant into the new registry takes one more reference, so the old registry's
 * RCU callback and the new registry each drop their own.
 *
 * "Unchanged" is decided by a fingerprint of what the tenant was read from: its file's
 * path and bytes and the service file's bytes (it inherits the service defaults). A file
 * that uses @include has no fingerprint and always counts as changed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "dhcpd/service.h"
#include "dhcpd/service_settings.h"
#include "tenants/registry.h"

#define RELOAD_SWAP_TIMEOUT_MS  10000
#define RELOAD_PURGE_INTERVAL_S 3600
#define RELOAD_PURGE_MAX_ROWS   100000

/* --- fingerprints ------------------------------------------------------------------------- */

struct service_fp {
	uint32_t db_id;
	uint64_t fp;
};

/* FNV-1a over a file's bytes, or 0 when it cannot be read or @includes another file. */
static uint64_t file_hash(const char *path, uint64_t h)
{
	FILE *f = fopen(path, "rb");
	char buf[4096], prev = 0;
	size_t n;
	bool include = false;

	if (!f)
		return 0;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		for (size_t i = 0; i < n; i++) {
			h ^= (uint8_t)buf[i];
			h *= 0x100000001b3ull;
			/* "@include" pulls in bytes this hash does not see. */
			if (buf[i] == 'i' && prev == '@')
				include = true;
			prev = buf[i];
		}
	}
	fclose(f);
	return include || h == 0 ? 0 : h;
}

static uint64_t service_file_fp(const char *service_file)
{
	return file_hash(service_file, 0xcbf29ce484222325ull);
}

/* The fingerprint of tenant @t read along with a service file of fingerprint @svc_fp. */
static uint64_t tenant_fp(const struct tenant *t, uint64_t svc_fp)
{
	uint64_t h = svc_fp;

	if (!svc_fp || !t->file)
		return 0;
	for (const char *p = t->file; *p; p++) {
		h ^= (uint8_t)*p;
		h *= 0x100000001b3ull;
	}
	return file_hash(t->file, h);
}

static int fp_cmp(const void *a, const void *b)
{
	const struct service_fp *x = a, *y = b;

	return (x->db_id > y->db_id) - (x->db_id < y->db_id);
}

static uint64_t fp_find(const struct service *s, uint32_t db_id)
{
	struct service_fp key = {.db_id = db_id};
	const struct service_fp *f = bsearch(&key, s->fps, s->n_fps, sizeof(key), fp_cmp);

	return f ? f->fp : 0;
}

/* Takes @fps (sorted here) as the fingerprints of the tenants in force. */
static void fp_set(struct service *s, struct service_fp *fps, size_t n)
{
	qsort(fps, n, sizeof(*fps), fp_cmp);
	free(s->fps);
	s->fps = fps;
	s->n_fps = n;
}

int service_fingerprints_init(struct service *s)
{
	const struct tenant_registry *reg = tenant_registry_current();
	uint64_t svc_fp = service_file_fp(s->conf_file);
	struct service_fp *fps = calloc(reg && reg->n_tenants ? reg->n_tenants : 1, sizeof(*fps));

	if (!fps)
		return -ENOMEM;
	for (size_t i = 0; reg && i < reg->n_tenants; i++)
		fps[i] =
		    (struct service_fp){reg->tenants[i]->db_id, tenant_fp(reg->tenants[i], svc_fp)};
	fp_set(s, fps, reg ? reg->n_tenants : 0);
	return 0;
}

/* --- the registry ------------------------------------------------------------------------ */

struct tenant_registry *service_registry_build(const struct conf_service *svc,
                                               struct tenant **tenants, size_t n, char *err,
                                               size_t errlen)
{
	struct tenant_port_policy *ports = calloc(svc->n_ports ? svc->n_ports : 1, sizeof(*ports));

	if (!ports) {
		for (size_t i = 0; i < n; i++)
			tenant_free(tenants[i]);
		free(tenants);
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < svc->n_ports; i++)
		conf_port_policy(&svc->ports[i], &ports[i]);
	struct tenant_registry_params params = {.ports = ports, .n_ports = svc->n_ports};
	struct tenant_registry *reg =
	    tenant_registry_build_params(tenants, n, &params, err, errlen);
	int e = errno;

	free(ports); /* the registry keeps copies */
	errno = e;
	return reg;
}

/* --- problems ------------------------------------------------------------------------------ */

struct reload_ctx {
	conf_report_fn report;
	void *ctx;
	unsigned problems;
};

/* Every problem goes to the log (a SIGHUP has no one else to tell) and to the caller. */
static void reload_report(void *arg, const char *file, int line, const char *setting,
                          const char *message)
{
	struct reload_ctx *rc = arg;

	rc->problems++;
	if (line > 0)
		log_warn("reload: %s:%d: %s%s%s", file, line, setting, *setting ? ": " : "",
		         message);
	else
		log_warn("reload: %s: %s%s%s", file, setting, *setting ? ": " : "", message);
	if (rc->report)
		rc->report(rc->ctx, file, line, setting, message);
}

static void reload_problem(struct reload_ctx *rc, const char *file, const char *setting,
                           const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void reload_problem(struct reload_ctx *rc, const char *file, const char *setting,
                           const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reload_report(rc, file, 0, setting, msg);
}

/* --- the tenants --------------------------------------------------------------------------- */

/* The tenant list of the new registry, with what the reload does to each. */
struct reload_set {
	struct tenant **tenants;
	bool *fresh; /* a new struct (new or changed tenant), not the running one */
	struct service_fp *fps;
	size_t n, cap;
};

static int set_push(struct reload_set *rs, struct tenant *t, bool fresh, uint64_t fp)
{
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? 2 * rs->cap : 16;
		struct tenant **t2 = realloc(rs->tenants, cap * sizeof(*t2));
		if (!t2)
			return -ENOMEM;
		rs->tenants = t2;
		bool *f2 = realloc(rs->fresh, cap * sizeof(*f2));
		if (!f2)
			return -ENOMEM;
		rs->fresh = f2;
		struct service_fp *p2 = realloc(rs->fps, cap * sizeof(*p2));
		if (!p2)
			return -ENOMEM;
		rs->fps = p2;
		rs->cap = cap;
	}
	rs->tenants[rs->n] = t;
	rs->fresh[rs->n] = fresh;
	rs->fps[rs->n] = (struct service_fp){t->db_id, fp};
	rs->n++;
	return 0;
}

static void set_free(struct reload_set *rs)
{
	if (rs->tenants) {
		for (size_t i = 0; i < rs->n; i++)
			tenant_free(rs->tenants[i]);
	}
	free(rs->tenants);
	free(rs->fresh);
	free(rs->fps);
	memset(rs, 0, sizeof(*rs));
}

static bool set_has_name(const struct reload_set *rs, const char *name)
{
	for (size_t i = 0; i < rs->n; i++) {
		if (strcmp(rs->tenants[i]->name, name) == 0)
			return true;
	}
	return false;
}

/*
 * The tenants after the reload: each loaded tenant (or its running struct when nothing it
 * was read from changed), then the running version of each tenant whose file failed.
 * Takes the loaded tenants (freeing those replaced by their running struct).
 */
static int reload_tenants(struct service *s, struct reload_ctx *rc,
                          const struct tenant_registry *cur, struct conf *nc, struct reload_set *rs,
                          struct service_reload_result *res)
{
	uint64_t svc_fp = service_file_fp(s->conf_file);
	size_t n;
	struct tenant **loaded = conf_take_tenants(nc, &n);
	int err = 0;

	for (size_t i = 0; i < n; i++) {
		struct tenant *t = loaded[i];
		loaded[i] = NULL;
		if (err) {
			tenant_free(t);
			continue;
		}
		err = lease_store_tenant_id(s->store, t->name, &t->db_id);
		if (err) {
			reload_problem(rc, t->file, "name",
			               "tenant %s: cannot get its database id: %s", t->name,
			               strerror(-err));
			tenant_free(t);
			continue;
		}
		const struct tenant *r = cur ? tenant_registry_by_name(cur, t->name) : NULL;
		uint64_t fp = tenant_fp(t, svc_fp);
		if (r && r->db_id == t->db_id && fp && fp == fp_find(s, r->db_id)) {
			/* Nothing it was read from changed: the running version goes on. */
			tenant_free(t);
			err = set_push(rs, tenant_ref(r), false, fp);
			res->unchanged++;
		} else {
			err = set_push(rs, t, true, fp);
			if (err)
				tenant_free(t);
			else if (r)
				res->changed++;
			else
				res->added++;
		}
	}
	free(loaded);
	if (err)
		return err;

	/* A rejected file: its tenant keeps serving the version it had. */
	res->failed_files = nc->n_failed;
	for (size_t k = 0; k < nc->n_failed && cur; k++) {
		for (size_t i = 0; i < cur->n_tenants; i++) {
			const struct tenant *r = cur->tenants[i];

			if (!r->file || strcmp(r->file, nc->failed_files[k]) != 0 ||
			    set_has_name(rs, r->name))
				continue;
			err = set_push(rs, tenant_ref(r), false, fp_find(s, r->db_id));
			if (err)
				return err;
			res->kept_running++;
			log_warn(
			    "reload: tenant %s keeps its running configuration: %s was rejected",
			    r->name, r->file);
		}
	}
	for (size_t i = 0; cur && i < cur->n_tenants; i++) {
		if (!set_has_name(rs, cur->tenants[i]->name))
			res->removed++;
	}
	return 0;
}

/* A tenant the reload removes: what is needed of it once its registry may be gone. */
struct reload_gone {
	uint32_t db_id;
	char name[TENANT_NAME_MAX];
};

/*
 * The running tenants that @next no longer holds, copied out: once @next is published the
 * previous registry may be freed at any moment (the control thread is no RCU reader).
 */
static struct reload_gone *removed_list(const struct tenant_registry *prev,
                                        const struct tenant_registry *next, size_t *n)
{
	struct reload_gone *v = calloc(prev && prev->n_tenants ? prev->n_tenants : 1, sizeof(*v));

	*n = 0;
	for (size_t i = 0; v && prev && i < prev->n_tenants; i++) {
		const struct tenant *t = prev->tenants[i];

		if (tenant_registry_by_name(next, t->name))
			continue;
		v[*n].db_id = t->db_id;
		snprintf(v[*n].name, sizeof(v[*n].name), "%s", t->name);
		(*n)++;
	}
	return v;
}

/* Marks the removed tenants in the database: their leases stay until the retention. */
static void mark_removed(struct service *s, const struct reload_gone *gone, size_t n, int64_t now)
{
	uint32_t days = s->conf->service.lease_db.removed_tenant_retention;

	for (size_t i = 0; i < n; i++) {
		int rc = lease_store_tenant_removed(s->store, gone[i].db_id, now);
		if (rc)
			log_err(
			    "reload: tenant %s: cannot mark it removed in the lease database: %s",
			    gone[i].name, strerror(-rc));
		else if (days)
			log_info(
			    "reload: tenant %s removed; its leases stay in the database for %u "
			    "days",
			    gone[i].name, days);
		else
			log_info("reload: tenant %s removed; its leases stay in the database",
			         gone[i].name);
	}
}

int service_reload(struct service *s, conf_report_fn report, void *ctx,
                   struct service_reload_result *res)
{
	struct service_reload_result local;
	struct reload_ctx rc = {report, ctx, 0};
	struct reload_set rs = {0};
	struct conf *nc = NULL;
	char err[512];
	int64_t now = time(NULL);
	int ret;

	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	log_info("reload: reading %s", s->conf_file);
	ret = conf_load_partial(s->conf_file, &nc, reload_report, &rc);
	if (ret) {
		if (ret != -EINVAL)
			reload_problem(&rc, s->conf_file, "", "cannot read it: %s", strerror(-ret));
		log_err("reload rejected: %s has problems; the running configuration stays in "
		        "force",
		        s->conf_file);
		return ret == -EINVAL ? -EINVAL : ret;
	}
	if (!service_settings_same_ports(&s->conf->service, &nc->service)) {
		reload_problem(&rc, nc->service.file, "dataplane.ports",
		               "the ports' names or order changed: restart mtdhcpd to apply this "
		               "configuration; nothing was reloaded");
		conf_free(nc);
		return -EINVAL;
	}

	const struct tenant_registry *cur = tenant_registry_current();
	ret = reload_tenants(s, &rc, cur, nc, &rs, res);
	if (ret) {
		log_err("reload failed: %s; the running configuration stays in force",
		        strerror(-ret));
		set_free(&rs);
		conf_free(nc);
		return ret;
	}

	/*
	 * Build everything before anything changes: a failure here leaves all as it was. One
	 * plan per lcore's engine, holding the tenants that lcore owns (dp_tenant_owner).
	 */
	unsigned n_lcores = dp_n_lcores(s->dp);
	struct dhcp_engine_plan *plans[DP_MAX_LCORES] = {0};
	ret = 0;
	for (unsigned l = 0; l < n_lcores && !ret; l++) {
		plans[l] = dhcp_engine_plan_new(dp_engine(s->dp, l));
		if (!plans[l])
			ret = -ENOMEM;
	}
	for (size_t i = 0; i < rs.n && !ret; i++) {
		struct dhcp_engine_plan *plan =
		    plans[dp_tenant_owner(rs.tenants[i]->db_id, n_lcores)];
		ret = rs.fresh[i] ? dhcp_engine_plan_add(plan, rs.tenants[i], now)
		                  : dhcp_engine_plan_keep(plan, rs.tenants[i]);
		if (ret)
			reload_problem(&rc, rs.tenants[i]->file ? rs.tenants[i]->file : "", "",
			               "tenant %s: cannot build its server instance: %s",
			               rs.tenants[i]->name, strerror(-ret));
	}
	struct service_fp *fps = rs.fps;
	size_t n_fps = rs.n;
	rs.fps = NULL;
	struct tenant_registry *reg = NULL;
	if (!ret) {
		/* The registry takes the tenants (and their references), also when it fails. */
		reg = service_registry_build(&nc->service, rs.tenants, rs.n, err, sizeof(err));
		rs.tenants = NULL;
		rs.n = 0;
		if (!reg) {
			ret = -EINVAL;
			reload_problem(&rc, nc->service.file, "", "%s", err);
		}
	}
	size_t n_gone = 0;
	struct reload_gone *gone = ret ? NULL : removed_list(cur, reg, &n_gone);
	if (!ret && !gone)
		ret = -ENOMEM;
	/* The lcores get the instances first, then the registry names the tenants. */
	for (unsigned l = 0; l < n_lcores && !ret; l++) {
		ret = dhcp_engine_plan_apply(dp_engine(s->dp, l), plans[l], RELOAD_SWAP_TIMEOUT_MS);
		plans[l] = NULL;
		if (ret && l == 0) {
			log_err("reload: the dataplane did not take the new tenants: %s",
			        strerror(-ret));
		} else if (ret) {
			/*
			 * The lcores before it serve the new versions of their tenants (a packet
			 * classified with the running registry reaches them too); this one and
			 * the rest keep the old. The next reload that succeeds sets all right.
			 */
			log_err("reload: lcore index %u did not take its new tenants (%s); the "
			        "lcores before it did: their tenants' new settings apply",
			        l, strerror(-ret));
		}
	}
	for (unsigned l = 0; l < n_lcores; l++)
		dhcp_engine_plan_free(plans[l]);
	set_free(&rs);
	if (ret) {
		tenant_registry_free(reg);
		free(fps);
		free(gone);
		conf_free(nc);
		log_err("reload rejected; the running configuration stays in force");
		return ret;
	}
	tenant_registry_publish(reg);
	cur = NULL; /* freed after a grace period from now on */
	fp_set(s, fps, n_fps);

	/* The service part: what needs a restart keeps its running value. */
	res->restart_settings =
	    service_settings_keep_restart(&s->conf->service, &nc->service, reload_report, &rc);
	struct conf_service in_force = nc->service;
	nc->service = s->conf->service;
	s->conf->service = in_force;
	conf_free(nc);
	log_set_level((enum log_level)s->conf->service.log_level);
	mark_removed(s, gone, n_gone, now);
	free(gone);

	log_info("reload done: %zu tenants added, %zu changed, %zu unchanged, %zu removed; %zu "
	         "tenant files rejected (%zu keep their running version); %zu settings need a "
	         "restart",
	         res->added, res->changed, res->unchanged, res->removed, res->failed_files,
	         res->kept_running, res->restart_settings);
	return 0;
}

void service_reload_tick(struct service *s, int64_t now)
{
	for (unsigned l = 0; l < dp_n_lcores(s->dp); l++)
		dhcp_engine_reap(dp_engine(s->dp, l));
	uint32_t days = s->conf->service.lease_db.removed_tenant_retention;
	if (days == 0 || now - s->last_purge < RELOAD_PURGE_INTERVAL_S)
		return;
	s->last_purge = now;
	size_t purged = 0;
	int rc = lease_store_purge_removed(s->store, now - (int64_t)days * 86400,
	                                   RELOAD_PURGE_MAX_ROWS, &purged);
	if (rc)
		log_warn("cannot purge the leases of removed tenants: %s", strerror(-rc));
	else if (purged)
		log_info("purged %zu leases of tenants removed more than %u days ago", purged,
		         days);
}
