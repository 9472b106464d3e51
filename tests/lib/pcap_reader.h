/*
 * A reader for classic pcap files (the captures in tests/captures), so that unit tests can
 * feed real frames to the parsers without libpcap.
 */
#ifndef MTDHCP_TESTS_PCAP_READER_H
#define MTDHCP_TESTS_PCAP_READER_H

#include <stddef.h>
#include <stdint.h>

struct pcap_frame {
	const uint8_t *data;
	size_t len;
};

struct pcap_file {
	uint8_t *buf; /* the whole file */
	size_t n;
	struct pcap_frame *frames;
};

/* Reads @path; 0 or -errno (-EINVAL for a file that is not classic Ethernet pcap). */
int pcap_file_read(const char *path, struct pcap_file *out);

void pcap_file_free(struct pcap_file *f);

#endif
