/*
 * The DHCPv4 wire codec (RFC 2131 section 2, RFC 2132, RFC 3396): a bounds-checked
 * parser that produces a view of a received message, and a writer that builds a reply
 * into a caller's buffer. Neither allocates memory.
 *
 * Thread safety: no shared state; any thread.
 */
#ifndef MTDHCP_DHCPD_DHCP_MSG_H
#define MTDHCP_DHCPD_DHCP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCP_FIXED_LEN 236 /* op .. file, before the magic cookie */
#define DHCP_COOKIE 0x63825363u
#define DHCP_MIN_LEN (DHCP_FIXED_LEN + 4) /* fixed part + cookie */
#define DHCP_BOOTP_MIN_LEN 300            /* RFC 1542 section 3.1: pad replies to this */
#define DHCP_MIN_MAX_MSG 576              /* RFC 2132 9.10: option 57 is never below this */
#define DHCP_MSG_MAX 1500                 /* largest message this server parses or builds */
#define DHCP_CHADDR_LEN 16
#define DHCP_SNAME_OFF 44
#define DHCP_SNAME_LEN 64
#define DHCP_FILE_OFF 108
#define DHCP_FILE_LEN 128
#define DHCP_OPTIONS_OFF 240

#define DHCP_BOOTREQUEST 1
#define DHCP_BOOTREPLY 2
#define DHCP_FLAG_BROADCAST 0x8000

/* Option 53 values (RFC 2132 9.6, RFC 4039). */
enum dhcp_type {
	DHCPDISCOVER = 1,
	DHCPOFFER = 2,
	DHCPREQUEST = 3,
	DHCPDECLINE = 4,
	DHCPACK = 5,
	DHCPNAK = 6,
	DHCPRELEASE = 7,
	DHCPINFORM = 8,
};

/* Option codes the engine refers to by name. */
enum dhcp_option {
	DHCP_OPT_PAD = 0,
	DHCP_OPT_SUBNET_MASK = 1,
	DHCP_OPT_ROUTERS = 3,
	DHCP_OPT_DNS = 6,
	DHCP_OPT_HOSTNAME = 12,
	DHCP_OPT_DOMAIN_NAME = 15,
	DHCP_OPT_REQUESTED_IP = 50,
	DHCP_OPT_LEASE_TIME = 51,
	DHCP_OPT_OVERLOAD = 52,
	DHCP_OPT_MSG_TYPE = 53,
	DHCP_OPT_SERVER_ID = 54,
	DHCP_OPT_PARAM_LIST = 55,
	DHCP_OPT_MESSAGE = 56,
	DHCP_OPT_MAX_MSG_SIZE = 57,
	DHCP_OPT_RENEWAL_TIME = 58,
	DHCP_OPT_REBINDING_TIME = 59,
	DHCP_OPT_VENDOR_CLASS = 60,
	DHCP_OPT_CLIENT_ID = 61,
	DHCP_OPT_RAPID_COMMIT = 80,
	DHCP_OPT_RELAY_AGENT = 82,
	DHCP_OPT_SUBNET_SELECTION = 118,
	DHCP_OPT_VSS = 221,
	DHCP_OPT_END = 255,
};

/* Sub-options of option 82 the engine reads (RFC 3046 and its extensions). */
enum dhcp_relay_subopt {
	DHCP_RELAY_CIRCUIT_ID = 1,         /* RFC 3046 3.1 */
	DHCP_RELAY_REMOTE_ID = 2,          /* RFC 3046 3.2 */
	DHCP_RELAY_LINK_SELECTION = 5,     /* RFC 3527 */
	DHCP_RELAY_FLAGS = 10,             /* RFC 5010 */
	DHCP_RELAY_SERVER_ID_OVERRIDE = 11, /* RFC 5107 */
	DHCP_RELAY_SOURCE_PORT = 19,       /* RFC 8357 */
};

#define DHCP_RELAY_FLAG_UNICAST 0x80 /* RFC 5010 3: the relay received the request unicast */
#define DHCP_MAX_HOPS 16             /* RFC 1542 4.1.1: the most a relay may forward */

/* Why a message was refused; each has a counter. */
enum dhcp_parse_error {
	DHCP_PARSE_OK = 0,
	DHCP_PARSE_SHORT,      /* shorter than the fixed part and the cookie */
	DHCP_PARSE_TOO_LONG,   /* longer than DHCP_MSG_MAX */
	DHCP_PARSE_NOT_REQUEST, /* op is not BOOTREQUEST */
	DHCP_PARSE_BAD_HLEN,   /* hlen > 16 */
	DHCP_PARSE_NO_COOKIE,
	DHCP_PARSE_BAD_OPTION, /* an option runs past its field, or has a length its code forbids */
	DHCP_PARSE_NO_TYPE,    /* no option 53, or an unknown value (BOOTP is not served) */
	DHCP_PARSE_BAD_HOPS,   /* hops > 16: relays never forward that far (RFC 1542 4.1.1) */
	DHCP_PARSE__COUNT
};

/* Where one option's value is: a view into the message, or into dhcp_msg.joined. */
struct dhcp_opt_view {
	const uint8_t *data;
	uint16_t len;
};

/*
 * A parsed message. The views point into the buffer given to dhcp_msg_parse and into
 * the struct itself, so both must outlive their use. Addresses are in host byte order.
 */
struct dhcp_msg {
	const uint8_t *raw;
	size_t len;
	uint8_t op, htype, hlen, hops;
	uint32_t xid;
	uint16_t secs, flags;
	uint32_t ciaddr, yiaddr, siaddr, giaddr;
	const uint8_t *chaddr; /* DHCP_CHADDR_LEN bytes, of which hlen are meaningful */
	uint8_t type;          /* option 53 */
	uint8_t overload;      /* option 52: 1 file, 2 sname, 3 both, 0 none */
	uint8_t present[32];   /* bit per option code */
	struct dhcp_opt_view opt[256]; /* valid only where the present bit is set */
	/* Options that came in several parts (RFC 3396) are joined here. */
	uint8_t joined[DHCP_MSG_MAX];
	size_t joined_len;
};

/*
 * Parses @len bytes at @buf: the fixed header, the cookie, the options field and, when
 * option 52 says so, the file and sname fields (RFC 2131 4.1), each read only after its
 * bounds are checked. An option that appears more than once is joined (RFC 3396). Each
 * known option must have a length its definition allows (tenants/optdef.h); an unknown
 * option is kept as it is. Returns DHCP_PARSE_OK or the reason for refusal.
 */
enum dhcp_parse_error dhcp_msg_parse(struct dhcp_msg *msg, const uint8_t *buf, size_t len);

/* The name of a parse error, for counters and logs. */
const char *dhcp_parse_error_name(enum dhcp_parse_error err);

/* The value of option @code, or NULL (and *@len untouched). */
const uint8_t *dhcp_msg_opt(const struct dhcp_msg *msg, uint8_t code, size_t *len);

/* Option @code as one IPv4 address (host order); false when absent or not 4 bytes. */
bool dhcp_msg_opt_ip(const struct dhcp_msg *msg, uint8_t code, uint32_t *out);

/* Option @code as a 32-bit (16-bit) number; false when absent or of the wrong length. */
bool dhcp_msg_opt_u32(const struct dhcp_msg *msg, uint8_t code, uint32_t *out);
bool dhcp_msg_opt_u16(const struct dhcp_msg *msg, uint8_t code, uint16_t *out);

/* One sub-option of option 82 (RFC 3046): a view into the message, or NULL. */
const uint8_t *dhcp_msg_relay_subopt(const struct dhcp_msg *msg, uint8_t sub, size_t *len);

/*
 * Builds a reply. Options are staged as they are put and laid out by dhcp_writer_finish:
 * in the options field in the order they were put when they all fit, otherwise with
 * option overload (RFC 2131 4.1, RFC 2132 9.3): the file field, then the sname field,
 * take what the options field cannot hold. What does not fit even then is dropped,
 * optional options first and the latest put first among them (the engine puts them in
 * the order of the client's parameter request list, its order of preference). Only a
 * required option that cannot be placed fails the reply.
 *
 * Errors are sticky: after the first one every call does nothing and dhcp_writer_finish
 * returns it, so a caller checks once at the end.
 */
#define DHCP_WRITER_MAX_OPTS 254 /* one per code 1..254 */

/* Flags of dhcp_writer_add. */
enum dhcp_writer_flags {
	DHCP_WOPT_REQUIRED = 0, /* the reply fails (-ENOSPC) when it cannot be placed */
	DHCP_WOPT_OPTIONAL = 1, /* dropped when the reply has no room for it */
	DHCP_WOPT_LAST = 2,     /* the last option of the options field (RFC 3046 2.2: 82) */
};

struct dhcp_writer_opt {
	uint8_t code;
	uint8_t flags;   /* enum dhcp_writer_flags */
	uint16_t off;    /* value in stage[] */
	uint16_t len;
	uint8_t field;   /* where dhcp_writer_finish placed it: 0 options, 1 file, 2 sname */
	bool placed;
};

struct dhcp_writer {
	uint8_t *buf;
	size_t cap;  /* the most the reply may take: min(buffer, client's max message size) */
	int err;     /* 0 or -errno: -ENOSPC when a required option does not fit */
	int len;     /* the finished message's length, 0 until dhcp_writer_finish */
	uint8_t overload; /* option 52 of the finished reply: 0, 1 (file) or 3 (file, sname) */
	unsigned dropped; /* optional options left out for want of room */
	size_t n_opts;
	struct dhcp_writer_opt opts[DHCP_WRITER_MAX_OPTS];
	size_t stage_len;
	uint8_t stage[DHCP_MSG_MAX]; /* the staged values */
};

/*
 * Starts a BOOTREPLY to @req of type @type in @buf: op, htype, hlen, xid, flags, giaddr
 * and chaddr copied from the request (RFC 2131 table 3), hops 0, the cookie, option 53.
 * @cap is the space in @buf; the reply will also stay within @max_msg (the client's
 * option 57, at least DHCP_MIN_MAX_MSG, or 0 for DHCP_MIN_MAX_MSG). Option 57 is read
 * as the size of the IP datagram, so the message itself gets 28 octets (IPv4 and UDP
 * headers) less; see dhcp_msg_write.c.
 */
void dhcp_writer_init(struct dhcp_writer *w, uint8_t *buf, size_t cap, size_t max_msg,
		      const struct dhcp_msg *req, uint8_t type);

/* Sets a fixed field (host order). */
void dhcp_writer_set_yiaddr(struct dhcp_writer *w, uint32_t addr);
void dhcp_writer_set_ciaddr(struct dhcp_writer *w, uint32_t addr);
void dhcp_writer_set_siaddr(struct dhcp_writer *w, uint32_t addr);

/*
 * Stages option @code with @len bytes of @data (copied), with @flags. A value over 255
 * bytes is written as consecutive instances of the same code (RFC 3396). A code put
 * twice keeps its first value. PAD and END are refused (-EINVAL).
 */
void dhcp_writer_add(struct dhcp_writer *w, uint8_t code, const void *data, size_t len,
		     unsigned flags);

/* dhcp_writer_add(..., DHCP_WOPT_REQUIRED). */
void dhcp_writer_put(struct dhcp_writer *w, uint8_t code, const void *data, size_t len);
void dhcp_writer_put_u32(struct dhcp_writer *w, uint8_t code, uint32_t value);
void dhcp_writer_put_ip(struct dhcp_writer *w, uint8_t code, uint32_t addr);

/* True when option @code was already put. */
bool dhcp_writer_has(const struct dhcp_writer *w, uint8_t code);

/*
 * Lays the options out (see above), ends each field that holds options with END, and pads
 * the message to DHCP_BOOTP_MIN_LEN (RFC 1542 3.1) when there is room. Returns the message
 * length, or the sticky -errno. A second call returns the same.
 */
int dhcp_writer_finish(struct dhcp_writer *w);

#endif
