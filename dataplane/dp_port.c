/*
 * EAL, lcore and port setup: everything is validated and allocated before the lcores
 * start, so the loops themselves never allocate anything but packet buffers.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "common/log.h"
#include "dp_internal.h"

static bool looks_like_pci(const char *dev)
{
	unsigned a, b, c, d;
	return sscanf(dev, "%x:%x:%x.%x", &a, &b, &c, &d) == 4 ||
	       sscanf(dev, "%x:%x.%x", &b, &c, &d) == 3;
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

/*
 * The lcores, in index order: the main lcore (the thread that runs dp_run) first, then
 * the workers as the EAL lists them. Each gets its hand-off ring when there are several.
 */
static int lcores_init(struct dp *dp, char *err, size_t errlen)
{
	unsigned n = rte_lcore_count(), id, i = 0;

	if (n > DP_MAX_LCORES) {
		snprintf(err, errlen, "%u lcores in the EAL's -l list: at most %d are supported", n,
		         DP_MAX_LCORES);
		return -EINVAL;
	}
	dp->lcores = rte_zmalloc("mtdhcp_lcores", n * sizeof(*dp->lcores), RTE_CACHE_LINE_SIZE);
	if (!dp->lcores) {
		snprintf(err, errlen, "out of memory for %u lcores", n);
		return -ENOMEM;
	}
	dp->n_lcores = n;
	dp->lcores[i++].lcore_id = rte_get_main_lcore();
	RTE_LCORE_FOREACH_WORKER(id)
	{
		dp->lcores[i++].lcore_id = id;
	}
	for (i = 0; i < n; i++) {
		struct dp_lcore *lc = &dp->lcores[i];
		char name[RTE_RING_NAMESIZE];

		lc->dp = dp;
		lc->index = i;
		lc->out =
		    rte_zmalloc("mtdhcp_handoff_out", n * sizeof(*lc->out), RTE_CACHE_LINE_SIZE);
		if (!lc->out) {
			snprintf(err, errlen, "out of memory for the hand-off of %u lcores", n);
			return -ENOMEM;
		}
		if (n == 1)
			continue;
		/* Any lcore enqueues, only the owner dequeues. */
		snprintf(name, sizeof(name), "mtdhcp_handoff%u", i);
		lc->handoff =
		    rte_ring_create(name, DP_HANDOFF_RING,
		                    (int)rte_lcore_to_socket_id(lc->lcore_id), RING_F_SC_DEQ);
		if (!lc->handoff) {
			snprintf(err, errlen, "cannot create the hand-off ring of lcore %u: %s",
			         lc->lcore_id, rte_strerror(rte_errno));
			return -rte_errno;
		}
	}
	return 0;
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

	/* The EAL pins this thread to lcore 0: remember where the process may run first. */
	CPU_ZERO(&dp->cpus);
	if (sched_getaffinity(0, sizeof(dp->cpus), &dp->cpus) != 0)
		CPU_ZERO(&dp->cpus);
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
	rc = lcores_init(dp, err, errlen);
	if (rc) {
		dp_destroy(dp);
		errno = -rc;
		return NULL;
	}

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
		dp->af_packet[i] = strncmp(ports[i].device, "net_af_packet", 13) == 0;
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

	const char *devices[DP_MAX_PORTS];
	for (size_t i = 0; i < n_ports; i++)
		devices[i] = ports[i].device;
	/* Each mbuf carries the hand-off metadata in its private area. */
	unsigned n_mbufs = dp_pool_size(devices, n_ports, dp->n_lcores);
	dp->pool = rte_pktmbuf_pool_create(
	    "mtdhcp_mbufs", n_mbufs, DP_MBUF_CACHE,
	    (uint16_t)RTE_ALIGN(sizeof(struct dp_handoff_meta), RTE_MBUF_PRIV_ALIGN),
	    RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (!dp->pool) {
		snprintf(err, errlen,
		         "cannot create the packet pool of %u mbufs: %s (give the EAL more "
		         "memory: -m)",
		         n_mbufs, rte_strerror(rte_errno));
		dp_destroy(dp);
		errno = ENOMEM;
		return NULL;
	}
	return dp;
}

/*
 * The queue pairs port @p gets: one per lcore when it offers them. Fewer work too (see
 * dp_start), with a warning that says how to get more.
 */
static uint16_t port_queues(struct dp *dp, const struct dp_port *p, bool af_packet,
                            struct rte_eth_conf *conf)
{
	struct rte_eth_dev_info info;
	uint16_t nq = (uint16_t)dp->n_lcores;

	memset(conf, 0, sizeof(*conf));
	if (rte_eth_dev_info_get(p->port_id, &info) != 0)
		return 1;
	if (info.max_rx_queues < nq)
		nq = info.max_rx_queues;
	if (info.max_tx_queues < nq)
		nq = info.max_tx_queues;
	if (nq == 0)
		nq = 1;
	if (nq < dp->n_lcores) {
		log_warn("port %s: %u queue pair%s for %u lcores: lcore indexes %u-%u receive "
		         "nothing from it (their tenants' frames come through the hand-off rings) "
		         "and lcores share its transmit queues%s",
		         p->name, nq, nq == 1 ? "" : "s", dp->n_lcores, nq, dp->n_lcores - 1,
		         af_packet ? "; add qpairs=N (N = lcores) to its device string" : "");
	}
	/*
	 * Several receive queues: let the NIC spread frames by IP addresses and UDP ports
	 * where it can (relays differ by address; clients on one link all send from 0.0.0.0
	 * to the broadcast address and land on one queue, whose lcore hands them over).
	 * net_af_packet spreads them itself (a PACKET_FANOUT group of qpairs sockets).
	 */
	uint64_t hf = info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP);
	if (nq > 1 && hf) {
		conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf->rx_adv_conf.rss_conf.rss_hf = hf;
	}
	return nq;
}

/* Gives every lcore its copy of each port and the queues it uses there. */
static void lcore_ports(struct dp *dp)
{
	for (unsigned l = 0; l < dp->n_lcores; l++) {
		struct dp_lcore *lc = &dp->lcores[l];

		for (size_t i = 0; i < dp->n_ports; i++) {
			struct dp_port *p = &lc->ports[i];
			uint16_t nq = dp->n_queues[i];
			/* Lcores l, l + nq, l + 2 nq ... share transmit queue l % nq. */
			unsigned users = (dp->n_lcores - l % nq + nq - 1) / nq;

			*p = dp->ports[i];
			p->rxq = l < nq ? (uint16_t)l : DP_NO_QUEUE;
			p->txq = (uint16_t)(l % nq);
			p->tx_lock = users > 1 ? &dp->tx_locks[i][p->txq] : NULL;
			p->tx_len = 0;
			memset(&p->stats, 0, sizeof(p->stats));
		}
	}
}

int dp_start(struct dp *dp, uint32_t idle_sleep_max_usec, char *err, size_t errlen)
{
	dp->idle_sleep_max_usec = idle_sleep_max_usec;
	for (size_t i = 0; i < dp->n_ports; i++) {
		struct dp_port *p = &dp->ports[i];
		struct rte_eth_conf conf;
		uint16_t nq = port_queues(dp, p, dp->af_packet[i], &conf);
		int rc = rte_eth_dev_configure(p->port_id, nq, nq, &conf);
		unsigned socket = (unsigned)rte_eth_dev_socket_id(p->port_id);

		for (uint16_t q = 0; rc == 0 && q < nq; q++) {
			rc = rte_eth_rx_queue_setup(p->port_id, q, DP_RX_DESC, socket, NULL,
			                            dp->pool);
			if (rc == 0)
				rc =
				    rte_eth_tx_queue_setup(p->port_id, q, DP_TX_DESC, socket, NULL);
		}
		if (rc == 0)
			rc = rte_eth_dev_start(p->port_id);
		if (rc < 0) {
			snprintf(err, errlen, "port %s: cannot start: %s", p->name,
			         rte_strerror(-rc));
			return rc;
		}
		dp->n_queues[i] = nq;
		for (unsigned q = 0; q < DP_MAX_LCORES; q++)
			rte_spinlock_init(&dp->tx_locks[i][q]);
		/*
		 * Promiscuous mode lets VLAN-tagged frames for the tenants' own server
		 * addresses in; frames for other MACs are dropped (and counted) in software.
		 */
		rte_eth_promiscuous_enable(p->port_id);
		rte_eth_macaddr_get(p->port_id, &p->mac);
		char mac[RTE_ETHER_ADDR_FMT_SIZE];
		rte_ether_format_addr(mac, sizeof(mac), &p->mac);
		log_info("port %s: started (DPDK port %u, MAC %s, address %u.%u.%u.%u, %u queue "
		         "pairs)",
		         p->name, p->port_id, mac, p->address >> 24, (p->address >> 16) & 0xff,
		         (p->address >> 8) & 0xff, p->address & 0xff, nq);
	}
	lcore_ports(dp);
	dp->started = true;
	return 0;
}

unsigned dp_n_lcores(const struct dp *dp)
{
	return dp->n_lcores;
}

void dp_engine_params(struct dp *dp, unsigned lcore, struct dhcp_engine_params *params)
{
	params->owner = (uint16_t)lcore;
	params->tx = dp_tx_dhcp;
	params->tx_ctx = lcore < dp->n_lcores ? &dp->lcores[lcore] : NULL;
	params->release = dp_release_mbuf;
}

void dp_set_engine(struct dp *dp, unsigned lcore, struct dhcp_engine *engine)
{
	if (lcore < dp->n_lcores)
		dp->lcores[lcore].engine = engine;
}

struct dhcp_engine *dp_engine(const struct dp *dp, unsigned lcore)
{
	return lcore < dp->n_lcores ? dp->lcores[lcore].engine : NULL;
}

struct dhcp_engine *dp_tenant_engine(const struct dp *dp, uint32_t db_id)
{
	return dp_engine(dp, dp_tenant_owner(db_id, dp->n_lcores));
}

/* Writes @set as "0-3,6" into @out. */
static void cpu_list(const cpu_set_t *set, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE && used < len; c++) {
		if (!CPU_ISSET(c, set) || (c > 0 && CPU_ISSET(c - 1, set)))
			continue;
		int last = c;
		while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, set))
			last++;
		int w = last > c
		            ? snprintf(out + used, len - used, "%s%d-%d", used ? "," : "", c, last)
		            : snprintf(out + used, len - used, "%s%d", used ? "," : "", c);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

int dp_affinity_service(struct dp *dp)
{
	cpu_set_t set = dp->cpus;
	char list[256];

	for (unsigned i = 0; i < dp->n_lcores; i++) {
		rte_cpuset_t lcpus = rte_lcore_cpuset(dp->lcores[i].lcore_id);

		for (int c = 0; c < CPU_SETSIZE; c++) {
			if (CPU_ISSET(c, &lcpus))
				CPU_CLR(c, &set);
		}
	}
	/* Every CPU runs an lcore (or the process was given no more): share them. */
	if (CPU_COUNT(&set) == 0)
		set = dp->cpus;
	if (CPU_COUNT(&set) == 0)
		return 0;
	cpu_list(&set, list, sizeof(list));
	log_info("lease writer and control threads on CPUs %s", list);
	return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

int dp_affinity_lcore(struct dp *dp)
{
	rte_cpuset_t set = rte_lcore_cpuset(dp->lcores[0].lcore_id);

	return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* The port counters are all uint64_t: summed as an array, whatever fields they gain. */
_Static_assert(sizeof(struct dp_port_stats) % sizeof(uint64_t) == 0,
               "struct dp_port_stats holds uint64_t counters only");

void dp_port_stats(const struct dp *dp, size_t i, struct dp_port_stats *out)
{
	uint64_t *sum = (uint64_t *)out;

	memset(out, 0, sizeof(*out));
	if (i >= dp->n_ports)
		return;
	for (unsigned l = 0; l < dp->n_lcores; l++) {
		const uint64_t *v = (const uint64_t *)&dp->lcores[l].ports[i].stats;

		for (size_t k = 0; k < sizeof(*out) / sizeof(uint64_t); k++)
			sum[k] += v[k];
	}
}

void dp_lcore_stats(const struct dp *dp, unsigned i, struct dp_lcore_stats *out)
{
	if (i < dp->n_lcores)
		*out = dp->lcores[i].stats;
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
	for (unsigned i = 0; dp->lcores && i < dp->n_lcores; i++) {
		rte_ring_free(dp->lcores[i].handoff);
		rte_free(dp->lcores[i].out);
	}
	rte_free(dp->lcores);
	if (dp->pool)
		rte_mempool_free(dp->pool);
	if (dp->eal_ready)
		rte_eal_cleanup();
	free(dp);
}
