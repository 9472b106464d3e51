/* Between frames and the DHCP engine (dp_frame_dhcp.h). */
#include "dataplane/dp_frame_dhcp.h"

#include <string.h>

bool dp_dhcp_path(const struct dp_frame *f, uint16_t port, uint32_t port_addr,
                  const struct tenant *t, bool relayed, struct dhcp_path *out)
{
	uint32_t local = !relayed && t->server_address ? t->server_address : port_addr;

	if (f->dst_ip != 0xffffffffu) {
		/* Unicast (a relay, a renewing client): only to one of our addresses. */
		if (f->dst_ip != local && f->dst_ip != port_addr)
			return false;
		local = f->dst_ip;
	}
	*out = (struct dhcp_path){
	    .port = port,
	    .outer_tpid = f->outer_tpid,
	    .outer_tci = f->outer_tci,
	    .inner_tpid = f->inner_tpid,
	    .inner_tci = f->inner_tci,
	    .src_ip = f->src_ip,
	    .dst_ip = f->dst_ip,
	    .src_port = f->src_port,
	    .local_ip = local,
	};
	memcpy(out->src_mac, f->src_mac, 6);
	return true;
}

void dp_reply_l2(const struct dhcp_reply *r, const uint8_t src_mac[6], struct dp_l2 *out)
{
	*out = (struct dp_l2){
	    .outer_tpid = r->path.outer_tpid,
	    .outer_tci = r->path.outer_tci,
	    .inner_tpid = r->path.inner_tpid,
	    .inner_tci = r->path.inner_tci,
	};
	memcpy(out->dst_mac, r->dst_mac, 6);
	memcpy(out->src_mac, src_mac, 6);
}
