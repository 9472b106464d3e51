/*
 * Private to conf/: the "reservations" list of a subnet (conf_reservation.c), read by
 * conf_subnet.c once the subnet's pools and options are known.
 */
#ifndef MTDHCP_CONF_CONF_RESERVATION_H
#define MTDHCP_CONF_CONF_RESERVATION_H

#include "conf/conf_internal.h"

/*
 * Reads the reservations of subnet group @sg (path @spath) into @sn, each with its options
 * merged over those of the pool holding its address (or the subnet's). @t is the tenant
 * being built: its earlier subnets' reservations are checked for repeated addresses and
 * keys, and its server address is never reservable. 0, or -1 after reporting.
 */
int conf_reservations_read(struct conf_ctx *c, const config_setting_t *sg, const char *spath,
                           const struct tenant *t, struct tenant_subnet *sn);

#endif
