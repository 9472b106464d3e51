/*
 * What the message handlers (dhcp_server*.c) share: the client's network, its
 * reservation, the options and lease time it gets, and the commit that precedes an ACK.
 * Not a public contract.
 *
 * Thread safety: the engine's lcore.
 */
#ifndef MTDHCP_DHCPD_DHCP_SERVER_H
#define MTDHCP_DHCPD_DHCP_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "dhcp_instance.h"

/* Seconds a declined address is quarantined when the tenant sets none (as Kea). */
#define DHCP_DEFAULT_DECLINE_TIME 86400u

/*
 * The subnet that names the client's link (RFC 2131 4.3.1: giaddr, or the link a direct
 * client is on; RFC 3011, RFC 3527: the selected subnet), or NULL when it names none of
 * the tenant's subnets. A relay whose address is in none of them still serves a tenant
 * that has one subnet only: there is no choice to make.
 */
const struct tenant_subnet *dhcp_server_link(const struct tenant *t, const struct dhcp_req *req);

/*
 * True when @addr is on the client's network: in @link, or in a subnet of the same shared
 * network (RFC 2131 4.3.2 "the client is on the wrong network").
 */
bool dhcp_server_on_network(const struct tenant *t, const struct tenant_subnet *link,
                            uint32_t addr);

/*
 * The reservation of the requesting client on its network: by client identifier, then
 * hardware address, then the relay's circuit-id; NULL when it has none there.
 */
const struct tenant_reservation *dhcp_server_reservation(const struct dhcp_instance *in,
                                                         const struct dhcp_req *req,
                                                         const struct tenant_subnet *link);

/*
 * The configured options a client given @addr (in subnet @sn) gets: its reservation's
 * when @res reserves @addr, else those of the pool holding @addr, else the subnet's.
 */
const struct optset *dhcp_server_options(const struct tenant_subnet *sn,
                                         const struct tenant_reservation *res, uint32_t addr);

/* RFC 2131 4.3.1: the lease time the client asked for, within the configured bounds. */
uint32_t dhcp_server_lease_time(const struct tenant_subnet *sn, const struct dhcp_req *req);

/* Sends a DHCPNAK to e->req, with @message as option 56 (RFC 2131 table 3). */
void dhcp_server_nak(struct dhcp_engine *e, struct dhcp_instance *in, const char *message);

/*
 * Commits a binding of @addr to the requesting client with the options @opts; its ACK
 * goes out from dhcp_engine_poll once the row is in the database (RFC 2131 3.1 step 4).
 */
void dhcp_server_bind(struct dhcp_engine *e, struct dhcp_instance *in, uint32_t addr,
                      const struct optset *opts, int64_t now);

/* Fills the lease row of @addr for the requesting client. */
void dhcp_server_record(struct lease_record *rec, const struct dhcp_req *req, uint32_t tenant_id,
                        uint32_t addr, int64_t now, uint32_t lease_time);

#endif
