/*
 * mtdhcpctl release TENANT ADDRESS: frees a lease now, as its client's DHCPRELEASE would
 * (RFC 2131 4.3.4): the daemon frees the address in memory and records the release in the
 * lease database before it answers.
 */
#include <stdio.h>

#include "cli/ctl.h"

int ctl_release_run(const struct ctl_ctx *ctx, int argc, char **argv)
{
	const char *pos[2];
	json_t *res = NULL;
	bool json = false;
	uint32_t addr;
	int ret =
	    ctl_simple_options("release", argc, argv, &json, pos, 2, "a tenant and an address");

	if (ret != CTL_EXIT_OK)
		return ret < 0 ? CTL_EXIT_OK : ret;
	if (!ctl_parse_ipv4(pos[1], &addr))
		return ctl_usage_error("release", "'%s' is not an IPv4 address", pos[1]);
	ret = ctl_call_take(
	    ctx,
	    json_pack("{s:s, s:s, s:s}", "cmd", "release", "tenant", pos[0], "address", pos[1]),
	    &res, NULL);
	if (ret != CTL_EXIT_OK)
		return ret;
	if (json) {
		ret = ctl_print_json(res);
	} else {
		printf("released %s in tenant %s\n", pos[1], pos[0]);
		ret = ctl_write_stdout(NULL, 0);
	}
	json_decref(res);
	return ret;
}
