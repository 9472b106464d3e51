/*
 * Between frames and the DHCP engine, without DPDK: the path a classified request takes
 * into the engine, and the layer 2 a reply leaves with. The lcore loop (dp_lcore.c,
 * dp_tx.c) and the frame fuzzer use the same two, so the fuzzer tests what runs.
 */
#ifndef MTDHCP_DATAPLANE_DP_FRAME_DHCP_H
#define MTDHCP_DATAPLANE_DP_FRAME_DHCP_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane/dp_frame.h"
#include "dhcpd/dhcp_engine.h"
#include "tenants/tenant.h"

/*
 * The path of request @f, which arrived on port @port (our address there @port_addr) and
 * was classified to tenant @t (@relayed: by relay information on a relay link), into @out.
 * A request from a directly attached link is answered from the tenant's own address there
 * when it has one. False when @f is unicast to an address that is not ours: the caller
 * drops it.
 */
bool dp_dhcp_path(const struct dp_frame *f, uint16_t port, uint32_t port_addr,
                  const struct tenant *t, bool relayed, struct dhcp_path *out);

/* The Ethernet header and tags of reply @r, sent from @src_mac. */
void dp_reply_l2(const struct dhcp_reply *r, const uint8_t src_mac[6], struct dp_l2 *out);

#endif
