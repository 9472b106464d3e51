#include "client_key.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

/* SipHash-2-4 (Aumasson and Bernstein), written from the paper's description. */
static uint64_t sip_key[2];

static inline uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

#define SIP_ROUND(v0, v1, v2, v3)                                                                  \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = rotl(v1, 13);                                                                 \
		v1 ^= v0;                                                                          \
		v0 = rotl(v0, 32);                                                                 \
		v2 += v3;                                                                          \
		v3 = rotl(v3, 16);                                                                 \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = rotl(v3, 21);                                                                 \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = rotl(v1, 17);                                                                 \
		v1 ^= v2;                                                                          \
		v2 = rotl(v2, 32);                                                                 \
	} while (0)

struct sip_state {
	uint64_t v0, v1, v2, v3;
	uint64_t tail;
	size_t tail_len;
	size_t total;
};

static void sip_init(struct sip_state *s)
{
	s->v0 = sip_key[0] ^ 0x736f6d6570736575ull;
	s->v1 = sip_key[1] ^ 0x646f72616e646f6dull;
	s->v2 = sip_key[0] ^ 0x6c7967656e657261ull;
	s->v3 = sip_key[1] ^ 0x7465646279746573ull;
	s->tail = 0;
	s->tail_len = 0;
	s->total = 0;
}

static void sip_word(struct sip_state *s, uint64_t m)
{
	s->v3 ^= m;
	SIP_ROUND(s->v0, s->v1, s->v2, s->v3);
	SIP_ROUND(s->v0, s->v1, s->v2, s->v3);
	s->v0 ^= m;
}

static void sip_update(struct sip_state *s, const uint8_t *p, size_t n)
{
	s->total += n;
	for (size_t i = 0; i < n; i++) {
		s->tail |= (uint64_t)p[i] << (8 * s->tail_len);
		if (++s->tail_len == 8) {
			sip_word(s, s->tail);
			s->tail = 0;
			s->tail_len = 0;
		}
	}
}

static uint64_t sip_final(struct sip_state *s)
{
	sip_word(s, s->tail | ((uint64_t)(s->total & 0xff) << 56));
	s->v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		SIP_ROUND(s->v0, s->v1, s->v2, s->v3);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

int dhcp_client_key_init(void)
{
	uint8_t buf[16];
	size_t got = 0;
	while (got < sizeof(buf)) {
		ssize_t n = getrandom(buf + got, sizeof(buf) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	memcpy(sip_key, buf, sizeof(buf));
	return 0;
}

uint64_t dhcp_client_key(const uint8_t *client_id, size_t cid_len, uint8_t htype,
			 const uint8_t *chaddr, uint8_t hlen)
{
	struct sip_state s;
	sip_init(&s);
	/*
	 * A domain octet keeps an option 61 value from ever equalling an htype+chaddr
	 * identity with the same bytes.
	 */
	if (cid_len > 0) {
		uint8_t tag = 'C';
		sip_update(&s, &tag, 1);
		sip_update(&s, client_id, cid_len);
	} else {
		uint8_t tag[2] = {'H', htype};
		sip_update(&s, tag, 2);
		sip_update(&s, chaddr, hlen);
	}
	uint64_t k = sip_final(&s);
	return k ? k : 1;
}

uint64_t dhcp_key_hash(uint8_t kind, const uint8_t *key, size_t len)
{
	struct sip_state s;
	/* Tags other than 'C' and 'H' keep these apart from client keys. */
	uint8_t tag[2] = {'R', kind};

	sip_init(&s);
	sip_update(&s, tag, sizeof(tag));
	sip_update(&s, key, len);
	uint64_t k = sip_final(&s);
	return k ? k : 1;
}
