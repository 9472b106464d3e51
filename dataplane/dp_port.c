/*
 * EAL and port setup: everything is validated and allocated before the lcore starts, so
 * the loop itself never allocates anything but packet buffers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "common/log.h"
#include "dp_internal.h"

#define DP_NB_MBUF 8191
#define DP_MBUF_CACHE 256
#define DP_RX_DESC 1024
#define DP_TX_DESC 1024

static bool looks_like_pci(const char *dev)
{
	unsigned a, b, c, d;
	return sscanf(dev, "%x:%x:%x.%x", &a, &b, &c, &d) == 4 || sscanf(dev, "%x:%x.%x", &b, &c, &d) == 3;
}

/* "net_af_packet0,iface=eth1" -> "net_af_packet0": the name the EAL gives the port. */
static void device_name(const char *dev, char *out, size_t len)
{
	size_t n = strcspn(dev, ",");
	if (n >= len)
		n = len - 1;
	memcpy(out, dev, n);
	out[n] = '\0';
}

struct dp *dp_init(int eal_argc, char **eal_argv, const struct dp_port_params *ports,
		   size_t n_ports, char *err, size_t errlen)
{
	if (n_ports == 0 || n_ports > DP_MAX_PORTS) {
		snprintf(err, errlen, "between 1 and %d ports are needed", DP_MAX_PORTS);
		errno = EINVAL;
		return NULL;
	}
	struct dp *dp = calloc(1, sizeof(*dp));
	char **argv = calloc((size_t)eal_argc + 2 * n_ports + 1, sizeof(*argv));
	char **owned = calloc(n_ports, sizeof(*owned));
	if (!dp || !argv || !owned) {
		free(dp);
		free(argv);
		free(owned);
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	int argc = 0;
	for (int i = 0; i < eal_argc; i++)
		argv[argc++] = eal_argv[i];
	for (size_t i = 0; i < n_ports; i++) {
		bool pci = looks_like_pci(ports[i].device);
		argv[argc++] = pci ? "-a" : "--vdev";
		owned[i] = strdup(ports[i].device);
		argv[argc++] = owned[i];
	}

	int rc = rte_eal_init(argc, argv);
	int saved = rte_errno;
	for (size_t i = 0; i < n_ports; i++)
		free(owned[i]);
	free(owned);
	free(argv);
	if (rc < 0) {
		snprintf(err, errlen, "DPDK EAL initialisation failed: %s", rte_strerror(saved));
		free(dp);
		errno = saved;
		return NULL;
	}
	dp->eal_ready = true;

	for (size_t i = 0; i < n_ports; i++) {
		struct dp_port *p = &dp->ports[i];
		char name[RTE_ETH_NAME_MAX_LEN];
		device_name(ports[i].device, name, sizeof(name));
		if (rte_eth_dev_get_port_by_name(name, &p->port_id) != 0) {
			snprintf(err, errlen, "port %s: device %s not found after EAL start",
				 ports[i].name, ports[i].device);
			dp_destroy(dp);
			errno = ENODEV;
			return NULL;
		}
		snprintf(p->name, sizeof(p->name), "%s", ports[i].name);
		p->address = ports[i].address;
		if (ports[i].mac) {
			memcpy(p->mac.addr_bytes, ports[i].mac, 6);
			rc = rte_eth_dev_default_mac_addr_set(p->port_id, &p->mac);
			if (rc) {
				snprintf(err, errlen, "port %s: cannot set MAC: %s", p->name,
					 rte_strerror(-rc));
				dp_destroy(dp);
				errno = -rc;
				return NULL;
			}
		}
		dp->n_ports++;
	}

	dp->pool = rte_pktmbuf_pool_create("mtdhcp_mbufs", DP_NB_MBUF, DP_MBUF_CACHE, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (!dp->pool) {
		snprintf(err, errlen, "cannot create the packet pool: %s", rte_strerror(rte_errno));
		dp_destroy(dp);
		errno = ENOMEM;
		return NULL;
	}
	return dp;
}

int dp_start(struct dp *dp, uint32_t idle_sleep_max_usec, char *err, size_t errlen)
{
	dp->idle_sleep_max_usec = idle_sleep_max_usec;
	for (size_t i = 0; i < dp->n_ports; i++) {
		struct dp_port *p = &dp->ports[i];
		struct rte_eth_conf conf;
		memset(&conf, 0, sizeof(conf));
		int rc = rte_eth_dev_configure(p->port_id, 1, 1, &conf);
		if (rc == 0)
			rc = rte_eth_rx_queue_setup(p->port_id, 0, DP_RX_DESC,
						    (unsigned)rte_eth_dev_socket_id(p->port_id), NULL,
						    dp->pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(p->port_id, 0, DP_TX_DESC,
						    (unsigned)rte_eth_dev_socket_id(p->port_id), NULL);
		if (rc == 0)
			rc = rte_eth_dev_start(p->port_id);
		if (rc < 0) {
			snprintf(err, errlen, "port %s: cannot start: %s", p->name, rte_strerror(-rc));
			return rc;
		}
		/*
		 * Promiscuous mode lets VLAN-tagged frames for the tenants' own server
		 * addresses in; frames for other MACs are dropped (and counted) in software.
		 */
		rte_eth_promiscuous_enable(p->port_id);
		rte_eth_macaddr_get(p->port_id, &p->mac);
		char mac[RTE_ETHER_ADDR_FMT_SIZE];
		rte_ether_format_addr(mac, sizeof(mac), &p->mac);
		log_info("port %s: started (DPDK port %u, MAC %s, address %u.%u.%u.%u)", p->name,
			 p->port_id, mac, p->address >> 24, (p->address >> 16) & 0xff,
			 (p->address >> 8) & 0xff, p->address & 0xff);
	}
	dp->started = true;
	return 0;
}

void dp_engine_params(struct dp *dp, struct dhcp_engine_params *params)
{
	params->tx = dp_tx_dhcp;
	params->tx_ctx = dp;
	params->release = dp_release_mbuf;
}

void dp_set_engine(struct dp *dp, struct dhcp_engine *engine)
{
	dp->engine = engine;
}

void dp_port_stats(const struct dp *dp, size_t i, struct dp_port_stats *out)
{
	if (i < dp->n_ports)
		*out = dp->ports[i].stats;
	else
		memset(out, 0, sizeof(*out));
}

void dp_destroy(struct dp *dp)
{
	if (!dp)
		return;
	for (size_t i = 0; i < dp->n_ports; i++) {
		if (dp->started)
			rte_eth_dev_stop(dp->ports[i].port_id);
		rte_eth_dev_close(dp->ports[i].port_id);
	}
	if (dp->pool)
		rte_mempool_free(dp->pool);
	if (dp->eal_ready)
		rte_eal_cleanup();
	free(dp);
}
