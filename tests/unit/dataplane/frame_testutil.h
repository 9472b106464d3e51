/*
 * Helpers shared by the dataplane frame tests: loading a capture, big-endian field access
 * and a reference Internet checksum that is independent of the dp_csum_* code under test.
 */
#ifndef MTDHCP_TESTS_FRAME_TESTUTIL_H
#define MTDHCP_TESTS_FRAME_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pcap_reader.h"

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* Loads tests/captures/@file into @pf; fails the running test if it cannot. */
void ft_load(const char *file, struct pcap_file *pf);

uint16_t ft_rd16(const uint8_t *p);
uint32_t ft_rd32(const uint8_t *p);
void ft_wr16(uint8_t *p, uint16_t v);

/* A byte-at-a-time RFC 1071 checksum of @n bytes at @p, starting from @sum. */
uint16_t ft_csum(const uint8_t *p, size_t n, uint32_t sum);

/* Recomputes the header checksum of the IPv4 header at @ip (at least 20 bytes). */
void ft_fix_ip_csum(uint8_t *ip);

/* Recomputes the checksum of the UDP datagram after the IPv4 header at @ip. */
void ft_fix_udp_csum(uint8_t *ip);

/* True when the UDP datagram after the IPv4 header at @ip verifies. */
bool ft_udp_csum_ok(const uint8_t *ip);

#endif
