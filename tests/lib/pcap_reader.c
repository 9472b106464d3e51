#include "pcap_reader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_LINKTYPE_ETHERNET 1

static uint32_t get32(const uint8_t *p, int swap)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

static int read_all(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	size_t cap = 65536, n = 0;
	uint8_t *b = malloc(cap);
	while (b) {
		size_t got = fread(b + n, 1, cap - n, f);
		n += got;
		if (n < cap)
			break;
		cap *= 2;
		uint8_t *nb = realloc(b, cap);
		if (!nb) {
			free(b);
			b = NULL;
		} else {
			b = nb;
		}
	}
	fclose(f);
	if (!b)
		return -ENOMEM;
	*buf = b;
	*len = n;
	return 0;
}

int pcap_file_read(const char *path, struct pcap_file *out)
{
	memset(out, 0, sizeof(*out));
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = read_all(path, &buf, &len);
	if (rc)
		return rc;
	if (len < 24)
		goto bad;
	uint32_t magic;
	memcpy(&magic, buf, 4);
	int swap;
	if (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS)
		swap = 0;
	else if (__builtin_bswap32(magic) == PCAP_MAGIC_US ||
		 __builtin_bswap32(magic) == PCAP_MAGIC_NS)
		swap = 1;
	else
		goto bad;
	if (get32(buf + 20, swap) != PCAP_LINKTYPE_ETHERNET)
		goto bad;

	size_t cap = 16;
	out->frames = calloc(cap, sizeof(*out->frames));
	if (!out->frames) {
		free(buf);
		return -ENOMEM;
	}
	size_t off = 24;
	while (off + 16 <= len) {
		uint32_t caplen = get32(buf + off + 8, swap);
		off += 16;
		if (caplen > len - off)
			goto bad;
		if (out->n == cap) {
			cap *= 2;
			struct pcap_frame *nf = realloc(out->frames, cap * sizeof(*nf));
			if (!nf) {
				pcap_file_free(out);
				free(buf);
				return -ENOMEM;
			}
			out->frames = nf;
		}
		out->frames[out->n].data = buf + off;
		out->frames[out->n].len = caplen;
		out->n++;
		off += caplen;
	}
	out->buf = buf;
	return 0;
bad:
	free(out->frames);
	out->frames = NULL;
	out->n = 0;
	free(buf);
	return -EINVAL;
}

void pcap_file_free(struct pcap_file *f)
{
	free(f->frames);
	free(f->buf);
	memset(f, 0, sizeof(*f));
}
