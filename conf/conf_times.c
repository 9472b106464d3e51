/*
 * Lease lifetimes along the inheritance chain: service defaults -> tenant -> subnet. Each
 * level may set any of them; the values in force at a level must be consistent there.
 */
#include "conf/conf_internal.h"

#include <stdio.h>

const char *const conf_time_names[CONF_TIME__COUNT] = {
    [CONF_TIME_LEASE] = "lease_time",   [CONF_TIME_MIN] = "min_lease_time",
    [CONF_TIME_MAX] = "max_lease_time", [CONF_TIME_RENEW] = "renew_time",
    [CONF_TIME_REBIND] = "rebind_time",
};

void conf_times_builtin(struct tenant_lease_times *out)
{
	*out = (struct tenant_lease_times){
	    .default_time = 3600,
	    .min_time = 60,
	    .max_time = 86400,
	    .renew_time = 0,
	    .rebind_time = 0,
	};
}

static uint32_t *conf_times_field(struct tenant_lease_times *t, enum conf_time_field f)
{
	switch (f) {
	case CONF_TIME_LEASE:
		return &t->default_time;
	case CONF_TIME_MIN:
		return &t->min_time;
	case CONF_TIME_MAX:
		return &t->max_time;
	case CONF_TIME_RENEW:
		return &t->renew_time;
	default:
		return &t->rebind_time;
	}
}

/*
 * Reports @msg at the first of @a, @b this level sets; when it sets neither, the values
 * are inherited and the level that set them has reported the problem already.
 */
static int conf_times_fail(struct conf_ctx *c, const struct conf_times *t, const char *gpath,
                           enum conf_time_field a, enum conf_time_field b, const char *msg)
{
	enum conf_time_field f = t->set[a] ? a : b;
	char p[CONF_PATH_MAX];

	if (!t->set[f])
		return 0;
	conf_path_member(p, gpath, conf_time_names[f]);
	conf_err(c, t->set[f], p, "%s", msg);
	return -1;
}

static int conf_times_check(struct conf_ctx *c, const struct conf_times *t, const char *gpath)
{
	const struct tenant_lease_times *v = &t->v;
	char msg[160];
	int bad = 0;

	if (v->default_time < v->min_time) {
		snprintf(msg, sizeof(msg), "lease_time %u is shorter than min_lease_time %u",
		         v->default_time, v->min_time);
		bad |= conf_times_fail(c, t, gpath, CONF_TIME_LEASE, CONF_TIME_MIN, msg);
	}
	if (v->default_time > v->max_time) {
		snprintf(msg, sizeof(msg), "lease_time %u is longer than max_lease_time %u",
		         v->default_time, v->max_time);
		bad |= conf_times_fail(c, t, gpath, CONF_TIME_LEASE, CONF_TIME_MAX, msg);
	}
	/* RFC 2131 4.4.5: T1 < T2 < lease time; T2 defaults to 7/8 of the lease. */
	if (v->rebind_time && v->rebind_time >= v->default_time) {
		snprintf(msg, sizeof(msg), "rebind_time %u must be shorter than lease_time %u",
		         v->rebind_time, v->default_time);
		bad |= conf_times_fail(c, t, gpath, CONF_TIME_REBIND, CONF_TIME_LEASE, msg);
	}
	if (v->renew_time && v->rebind_time && v->renew_time >= v->rebind_time) {
		snprintf(msg, sizeof(msg), "renew_time %u must be shorter than rebind_time %u",
		         v->renew_time, v->rebind_time);
		bad |= conf_times_fail(c, t, gpath, CONF_TIME_RENEW, CONF_TIME_REBIND, msg);
	}
	if (v->renew_time && !v->rebind_time &&
	    v->renew_time >= (uint32_t)((uint64_t)v->default_time * 7 / 8)) {
		snprintf(msg, sizeof(msg),
		         "renew_time %u must be shorter than the rebinding time, 7/8 of lease_time "
		         "%u",
		         v->renew_time, v->default_time);
		bad |= conf_times_fail(c, t, gpath, CONF_TIME_RENEW, CONF_TIME_LEASE, msg);
	}
	return bad;
}

int conf_times_read(struct conf_ctx *c, const config_setting_t *group, const char *gpath,
                    const struct tenant_lease_times *parent, struct conf_times *out)
{
	int bad = 0;

	out->v = *parent;
	for (int f = 0; f < CONF_TIME__COUNT; f++) {
		/* 0 means "derive it" for T1 and T2; a lease time is at least a second. */
		uint32_t min = f == CONF_TIME_RENEW || f == CONF_TIME_REBIND ? 0 : 1;
		const config_setting_t *where = NULL;
		uint32_t v;
		int rc;

		out->set[f] = NULL;
		if (!group)
			continue;
		rc = conf_get_u32(c, group, gpath, conf_time_names[f], min, UINT32_MAX, &v, &where);
		if (rc < 0)
			bad = -1;
		if (rc > 0) {
			*conf_times_field(&out->v, (enum conf_time_field)f) = v;
			out->set[f] = where;
		}
	}
	if (bad)
		return -1;
	return conf_times_check(c, out, gpath);
}
