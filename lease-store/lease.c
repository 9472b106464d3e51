/*
 * Names of the stored lease states and of the lease events, as mtdhcpctl prints them and
 * accepts them in filters.
 */
#include <stddef.h>
#include <string.h>

#include "lease-store/lease.h"

static const char *const lease_state_names[] = {
    [LEASE_STATE_ACTIVE] = "active",
    [LEASE_STATE_RELEASED] = "released",
    [LEASE_STATE_EXPIRED] = "expired",
    [LEASE_STATE_DECLINED] = "declined",
};

#define LEASE_STATE_COUNT (sizeof(lease_state_names) / sizeof(lease_state_names[0]))

const char *lease_state_name(enum lease_state state)
{
	/* The value may come from a database row, so it is checked, not trusted. */
	if ((unsigned)state >= LEASE_STATE_COUNT || lease_state_names[state] == NULL)
		return "unknown";
	return lease_state_names[state];
}

int lease_state_from_name(const char *name)
{
	if (name == NULL)
		return 0;
	for (size_t i = 0; i < LEASE_STATE_COUNT; i++) {
		if (lease_state_names[i] != NULL && strcmp(lease_state_names[i], name) == 0)
			return (int)i;
	}
	return 0;
}

static const char *const lease_event_kind_names[] = {
    [LEASE_EVENT_BIND] = "bind",       [LEASE_EVENT_RENEW] = "renew",
    [LEASE_EVENT_RELEASE] = "release", [LEASE_EVENT_DECLINE] = "decline",
    [LEASE_EVENT_EXPIRE] = "expire",
};

const char *lease_event_kind_name(enum lease_event_kind kind)
{
	size_t n = sizeof(lease_event_kind_names) / sizeof(lease_event_kind_names[0]);

	/* As for states: the value comes from the database. */
	if ((unsigned)kind >= n || lease_event_kind_names[kind] == NULL)
		return "unknown";
	return lease_event_kind_names[kind];
}
