/*
 * mtdhcp-tagger: a userspace 802.1Q / 802.1ad tagging switch for the lab.
 *
 * The lab kernel is built without CONFIG_VLAN_8021Q, so no VLAN subinterface can be made.
 * This program stands in for the access ports of a tagging switch: every frame that arrives
 * on an access interface gets that port's tag stack pushed (with the port's TPIDs, PCP 0,
 * DEI 0) and leaves on the trunk; every frame that arrives on the trunk whose tag stack has
 * the same depth and the same VIDs as an access port's stack has the stack popped and leaves
 * on each such access port. Untagged and unmatched trunk frames are counted and dropped, as
 * on a switch port with no native VLAN.
 *
 * Only VIDs are compared, not TPIDs (nor PCP and DEI): a receiver may not learn the TPID of a
 * tag that the kernel moved into metadata (older kernels give no TPID in the auxdata, and
 * DPDK's af_packet driver does not pass it on), and the lab must not drop a reply for that.
 *
 * It uses one AF_PACKET raw socket per interface, in promiscuous mode, and a poll() loop.
 * SIGTERM and SIGINT end it cleanly; the counters then go to stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#define TAGGER_MAX_ACCESS    64
#define TAGGER_MAX_SPEC_TAGS 2 /* one 802.1Q tag, or QinQ: outer S-tag then inner C-tag */
#define TAGGER_MAX_STACK     4 /* deeper stacks on the trunk are unmatched */
#define TAGGER_TAG_LEN       4
#define TAGGER_MAC_LEN       12 /* destination and source MAC addresses */
#define TAGGER_VID_MASK      0x0fff
#define TAGGER_TPID_QINQ_OLD 0x9100 /* pre-standard QinQ TPID some switches still send */
/* Room in front of a received frame: the pushed stack, or the tag rebuilt from metadata. */
#define TAGGER_HEADROOM  (TAGGER_TAG_LEN * TAGGER_MAX_STACK)
#define TAGGER_FRAME_MAX 65536

struct tagger_tag {
	uint16_t tpid;
	uint16_t vid;
};

struct tagger_port {
	char name[IF_NAMESIZE];
	int ifindex;
	int fd;
	unsigned int n_tags; /* 0 for the trunk */
	struct tagger_tag tags[TAGGER_MAX_SPEC_TAGS];
	/* Counters: frames received here, and what became of them. */
	uint64_t rx;
	uint64_t tx;        /* frames sent out of this interface */
	uint64_t tx_errors; /* sends that failed (the frame is lost) */
	uint64_t rx_errors; /* receive errors and truncated frames */
	uint64_t untagged;  /* trunk only: no tag at all, dropped */
	uint64_t unmatched; /* trunk only: no access port has this stack, dropped */
	uint64_t from_meta; /* frames whose outer tag the kernel had moved into metadata */
};

struct tagger {
	struct tagger_port trunk;
	struct tagger_port access[TAGGER_MAX_ACCESS];
	unsigned int n_access;
	/* The frame being handled, after TAGGER_HEADROOM free bytes. */
	uint8_t buf[TAGGER_HEADROOM + TAGGER_FRAME_MAX];
};

static volatile sig_atomic_t tagger_stop;

static void tagger_on_signal(int sig)
{
	(void)sig;
	tagger_stop = 1;
}

static uint16_t tagger_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void tagger_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static bool tagger_is_tpid(uint16_t type)
{
	return type == ETH_P_8021Q || type == ETH_P_8021AD || type == TAGGER_TPID_QINQ_OLD;
}

/* Parses "8100:100" or "88a8:300,8100:100" (outermost first) into @port. 0 or -EINVAL. */
static int tagger_parse_spec(const char *spec, struct tagger_port *port)
{
	const char *p = spec;

	port->n_tags = 0;
	while (*p != '\0') {
		char *end;
		unsigned long tpid, vid;

		if (port->n_tags == TAGGER_MAX_SPEC_TAGS)
			return -EINVAL;
		errno = 0;
		tpid = strtoul(p, &end, 16);
		if (errno != 0 || end == p || *end != ':' || tpid > 0xffff ||
		    !tagger_is_tpid((uint16_t)tpid))
			return -EINVAL;
		p = end + 1;
		vid = strtoul(p, &end, 10);
		/* VID 0 marks a priority-only tag and 4095 is reserved (802.1Q table 9-2). */
		if (errno != 0 || end == p || vid < 1 || vid > 4094)
			return -EINVAL;
		port->tags[port->n_tags].tpid = (uint16_t)tpid;
		port->tags[port->n_tags].vid = (uint16_t)vid;
		port->n_tags++;
		if (*end == ',')
			end++;
		else if (*end != '\0')
			return -EINVAL;
		p = end;
	}
	return port->n_tags > 0 ? 0 : -EINVAL;
}

/* Opens a promiscuous raw socket on @port->name with auxdata. 0 or -errno. */
static int tagger_port_open(struct tagger_port *port)
{
	struct sockaddr_ll sll = {0};
	struct packet_mreq mreq = {0};
	int one = 1;
	int err;

	port->ifindex = (int)if_nametoindex(port->name);
	if (port->ifindex == 0)
		return -errno;
	/*
	 * Protocol 0 receives nothing until bind(): an ETH_P_ALL socket would see every
	 * interface's frames in the gap between socket() and bind().
	 */
	port->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (port->fd < 0)
		return -errno;
	/* Without auxdata, a tag that the receive path moved into metadata would be lost. */
	if (setsockopt(port->fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0)
		goto fail;
	mreq.mr_ifindex = port->ifindex;
	mreq.mr_type = PACKET_MR_PROMISC;
	if (setsockopt(port->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) < 0)
		goto fail;
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = port->ifindex;
	if (bind(port->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto fail;
	return 0;
fail:
	err = -errno;
	close(port->fd);
	port->fd = -1;
	return err;
}

/*
 * Receives one frame from @port into t->buf + TAGGER_HEADROOM and puts the outer tag back
 * into the bytes if the kernel had moved it into metadata (veth and the bridge do). Returns
 * the frame's start and sets *@len, or NULL when there is nothing to handle.
 */
static uint8_t *tagger_recv(struct tagger *t, struct tagger_port *port, size_t *len)
{
	union {
		struct cmsghdr align;
		uint8_t space[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} control;
	uint8_t *frame = t->buf + TAGGER_HEADROOM;
	struct sockaddr_ll from;
	struct iovec iov = {.iov_base = frame, .iov_len = TAGGER_FRAME_MAX};
	struct msghdr msg = {
	    .msg_name = &from,
	    .msg_namelen = sizeof(from),
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = control.space,
	    .msg_controllen = sizeof(control.space),
	};
	const struct tpacket_auxdata *aux = NULL;
	struct cmsghdr *cm;
	ssize_t n;

	n = recvmsg(port->fd, &msg, MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			port->rx_errors++;
		return NULL;
	}
	/* Our own and other senders' transmissions on this interface are not input. */
	if (from.sll_pkttype == PACKET_OUTGOING)
		return NULL;
	port->rx++;
	if ((msg.msg_flags & MSG_TRUNC) != 0 || n < ETH_HLEN) {
		port->rx_errors++;
		return NULL;
	}
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level == SOL_PACKET && cm->cmsg_type == PACKET_AUXDATA &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(*aux)))
			aux = (const struct tpacket_auxdata *)CMSG_DATA(cm);
	}
	if (aux != NULL && (aux->tp_status & TP_STATUS_VLAN_VALID) != 0) {
		/* Older kernels give no TPID: the stripped tag was then an 802.1Q one. */
		uint16_t tpid = (aux->tp_status & TP_STATUS_VLAN_TPID_VALID) != 0
		                    ? aux->tp_vlan_tpid
		                    : ETH_P_8021Q;

		memmove(frame - TAGGER_TAG_LEN, frame, TAGGER_MAC_LEN);
		frame -= TAGGER_TAG_LEN;
		tagger_put16(frame + TAGGER_MAC_LEN, tpid);
		tagger_put16(frame + TAGGER_MAC_LEN + 2, aux->tp_vlan_tci);
		n += TAGGER_TAG_LEN;
		port->from_meta++;
	}
	*len = (size_t)n;
	return frame;
}

static void tagger_send(struct tagger_port *port, const uint8_t *frame, size_t len)
{
	if (send(port->fd, frame, len, MSG_DONTWAIT) == (ssize_t)len)
		port->tx++;
	else
		port->tx_errors++;
}

/* Access to trunk: push the port's tag stack in front of whatever the frame carries. */
static void tagger_from_access(struct tagger *t, struct tagger_port *port)
{
	size_t len, push = port->n_tags * TAGGER_TAG_LEN;
	uint8_t *frame = tagger_recv(t, port, &len);

	if (frame == NULL)
		return;
	/* At most one tag can come back from metadata, so the headroom still holds the push. */
	memmove(frame - push, frame, TAGGER_MAC_LEN);
	frame -= push;
	for (unsigned int i = 0; i < port->n_tags; i++) {
		uint8_t *tag = frame + TAGGER_MAC_LEN + i * TAGGER_TAG_LEN;

		tagger_put16(tag, port->tags[i].tpid);
		tagger_put16(tag + 2, port->tags[i].vid); /* PCP 0, DEI 0 */
	}
	tagger_send(&t->trunk, frame, len + push);
}

/* True when the @n tags at @stack (outermost first) carry @port's VIDs, in order. */
static bool tagger_stack_matches(const struct tagger_port *port, const uint8_t *stack,
                                 unsigned int n)
{
	if (n != port->n_tags)
		return false;
	for (unsigned int i = 0; i < n; i++) {
		const uint8_t *tag = stack + i * TAGGER_TAG_LEN;

		if ((tagger_get16(tag + 2) & TAGGER_VID_MASK) != port->tags[i].vid)
			return false;
	}
	return true;
}

/* Trunk to access: pop a matching stack and send to every access port that has it. */
static void tagger_from_trunk(struct tagger *t)
{
	struct tagger_port *trunk = &t->trunk;
	struct tagger_port *out[TAGGER_MAX_ACCESS];
	unsigned int n = 0, n_out = 0;
	size_t len, pop;
	uint8_t *frame = tagger_recv(t, trunk, &len);

	if (frame == NULL)
		return;
	/* Count the tags; each needs its 4 bytes and the 2-byte type after it to be present. */
	while (n <= TAGGER_MAX_STACK && ETH_HLEN + (n + 1) * TAGGER_TAG_LEN <= len &&
	       tagger_is_tpid(tagger_get16(frame + TAGGER_MAC_LEN + n * TAGGER_TAG_LEN)))
		n++;
	if (n == 0) {
		trunk->untagged++;
		return;
	}
	/* Match every port against the stack before popping it, which overwrites it. */
	for (unsigned int i = 0; i < t->n_access; i++) {
		if (tagger_stack_matches(&t->access[i], frame + TAGGER_MAC_LEN, n))
			out[n_out++] = &t->access[i];
	}
	if (n_out == 0) {
		trunk->unmatched++;
		return;
	}
	pop = n * TAGGER_TAG_LEN;
	memmove(frame + pop, frame, TAGGER_MAC_LEN);
	for (unsigned int i = 0; i < n_out; i++)
		tagger_send(out[i], frame + pop, len - pop);
}

static void tagger_print_port(const char *role, const struct tagger_port *port)
{
	fprintf(stderr,
	        "mtdhcp-tagger: %-6s %-15s rx %" PRIu64 " tx %" PRIu64 " tx_errors %" PRIu64
	        " rx_errors %" PRIu64 " tag_from_metadata %" PRIu64,
	        role, port->name, port->rx, port->tx, port->tx_errors, port->rx_errors,
	        port->from_meta);
	if (port->n_tags == 0)
		fprintf(stderr, " untagged_dropped %" PRIu64 " unmatched_dropped %" PRIu64,
		        port->untagged, port->unmatched);
	fputc('\n', stderr);
}

static void tagger_usage(FILE *out)
{
	fputs("usage: mtdhcp-tagger --trunk IF --access IF=TAGSPEC [--access IF=TAGSPEC ...]\n"
	      "\n"
	      "A userspace VLAN tagging switch: frames from each access interface leave on the\n"
	      "trunk with that port's tags pushed; tagged frames from the trunk leave, popped, on\n"
	      "every access port whose VIDs they carry (TPIDs, PCP and DEI are not compared).\n"
	      "Untagged or unmatched trunk frames are counted and dropped.\n"
	      "\n"
	      "  --trunk IF             the tagged interface\n"
	      "  --access IF=TAGSPEC    an access interface and its tags, outermost first:\n"
	      "                         8100:100 (802.1Q VID 100), 88a8:300,8100:100 (QinQ\n"
	      "                         S-tag 300, C-tag 100), 8100:300,8100:100\n"
	      "  -h, --help             this text\n"
	      "\n"
	      "Needs CAP_NET_RAW. SIGTERM or SIGINT stops it and prints its counters.\n",
	      out);
}

static int tagger_set_name(struct tagger_port *port, const char *name, size_t len)
{
	if (len == 0 || len >= sizeof(port->name))
		return -EINVAL;
	memcpy(port->name, name, len);
	port->name[len] = '\0';
	port->fd = -1;
	return 0;
}

static int tagger_parse_args(struct tagger *t, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"trunk", required_argument, NULL, 't'},
	    {"access", required_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		const char *eq;

		switch (c) {
		case 't':
			if (t->trunk.name[0] != '\0' ||
			    tagger_set_name(&t->trunk, optarg, strlen(optarg)) < 0) {
				fprintf(stderr, "mtdhcp-tagger: one --trunk with a valid name\n");
				return -EINVAL;
			}
			break;
		case 'a':
			eq = strchr(optarg, '=');
			if (t->n_access == TAGGER_MAX_ACCESS || eq == NULL ||
			    tagger_set_name(&t->access[t->n_access], optarg,
			                    (size_t)(eq - optarg)) < 0 ||
			    tagger_parse_spec(eq + 1, &t->access[t->n_access]) < 0) {
				fprintf(stderr,
				        "mtdhcp-tagger: bad --access '%s' (want IF=TAGSPEC)\n",
				        optarg);
				return -EINVAL;
			}
			t->n_access++;
			break;
		case 'h':
			tagger_usage(stdout);
			return 1;
		default:
			tagger_usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc || t->trunk.name[0] == '\0' || t->n_access == 0) {
		tagger_usage(stderr);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < t->n_access; i++) {
		bool dup = strcmp(t->access[i].name, t->trunk.name) == 0;

		for (unsigned int j = 0; j < i; j++)
			dup = dup || strcmp(t->access[i].name, t->access[j].name) == 0;
		if (dup) {
			fprintf(stderr, "mtdhcp-tagger: interface %s given twice\n",
			        t->access[i].name);
			return -EINVAL;
		}
	}
	return 0;
}

static int tagger_open_all(struct tagger *t)
{
	for (unsigned int i = 0; i <= t->n_access; i++) {
		struct tagger_port *port = i == 0 ? &t->trunk : &t->access[i - 1];
		int err = tagger_port_open(port);

		if (err < 0) {
			fprintf(stderr, "mtdhcp-tagger: %s: %s\n", port->name, strerror(-err));
			return err;
		}
	}
	return 0;
}

static void tagger_close_all(struct tagger *t)
{
	for (unsigned int i = 0; i <= t->n_access; i++) {
		struct tagger_port *port = i == 0 ? &t->trunk : &t->access[i - 1];

		if (port->fd >= 0)
			close(port->fd);
	}
}

/* Forwards until a signal arrives. 0 or -errno when poll fails. */
static int tagger_run(struct tagger *t, const sigset_t *wait_mask)
{
	struct pollfd pfd[1 + TAGGER_MAX_ACCESS];
	unsigned int n = 1 + t->n_access;

	pfd[0].fd = t->trunk.fd;
	for (unsigned int i = 0; i < t->n_access; i++)
		pfd[1 + i].fd = t->access[i].fd;
	for (unsigned int i = 0; i < n; i++)
		pfd[i].events = POLLIN;

	while (!tagger_stop) {
		/* The signals are blocked except inside ppoll, so none is lost before it. */
		int ready = ppoll(pfd, n, NULL, wait_mask);

		if (ready < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (unsigned int i = 0; i < n; i++) {
			struct tagger_port *port = i == 0 ? &t->trunk : &t->access[i - 1];

			if ((pfd[i].revents & POLLERR) != 0) {
				int err = 0;
				socklen_t elen = sizeof(err);

				/* Reading SO_ERROR clears it, so poll does not report it again. */
				getsockopt(port->fd, SOL_SOCKET, SO_ERROR, &err, &elen);
				port->rx_errors++;
			}
			if ((pfd[i].revents & POLLIN) == 0)
				continue;
			if (i == 0)
				tagger_from_trunk(t);
			else
				tagger_from_access(t, port);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {0};
	sigset_t block, wait_mask;
	struct tagger *t;
	int err;

	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		perror("mtdhcp-tagger");
		return 1;
	}
	t->trunk.fd = -1;
	err = tagger_parse_args(t, argc, argv);
	if (err != 0) {
		free(t);
		return err > 0 ? 0 : 2;
	}

	sa.sa_handler = tagger_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	sigdelset(&wait_mask, SIGTERM);
	sigdelset(&wait_mask, SIGINT);

	err = tagger_open_all(t);
	if (err == 0) {
		fprintf(stderr, "mtdhcp-tagger: ready: trunk %s, %u access port(s)\n",
		        t->trunk.name, t->n_access);
		err = tagger_run(t, &wait_mask);
		if (err < 0)
			fprintf(stderr, "mtdhcp-tagger: poll: %s\n", strerror(-err));
		tagger_print_port("trunk", &t->trunk);
		for (unsigned int i = 0; i < t->n_access; i++)
			tagger_print_port("access", &t->access[i]);
	}
	tagger_close_all(t);
	free(t);
	return err == 0 ? 0 : 1;
}
