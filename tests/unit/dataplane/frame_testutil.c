#include "frame_testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include <stdio.h>

void ft_load(const char *file, struct pcap_file *pf)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/captures/%s", MTDHCP_TEST_DATA, file);
	assert_int_equal(pcap_file_read(path, pf), 0);
}

uint16_t ft_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t ft_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void ft_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

uint16_t ft_csum(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i < n; i++)
		sum += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void ft_fix_ip_csum(uint8_t *ip)
{
	size_t ihl = (size_t)(ip[0] & 0xf) * 4;

	ft_wr16(ip + 10, 0);
	ft_wr16(ip + 10, ft_csum(ip, ihl < 20 ? 20 : ihl, 0));
}

static uint32_t ft_pseudo(const uint8_t *ip, uint16_t ulen)
{
	return (uint32_t)ft_rd16(ip + 12) + ft_rd16(ip + 14) + ft_rd16(ip + 16) + ft_rd16(ip + 18) +
	       17 + ulen;
}

void ft_fix_udp_csum(uint8_t *ip)
{
	uint8_t *udp = ip + (ip[0] & 0xf) * 4;
	uint16_t ulen = ft_rd16(udp + 4);

	ft_wr16(udp + 6, 0);
	uint16_t c = ft_csum(udp, ulen, ft_pseudo(ip, ulen));
	ft_wr16(udp + 6, c ? c : 0xffff);
}

bool ft_udp_csum_ok(const uint8_t *ip)
{
	const uint8_t *udp = ip + (ip[0] & 0xf) * 4;
	uint16_t ulen = ft_rd16(udp + 4);

	return ft_csum(udp, ulen, ft_pseudo(ip, ulen)) == 0;
}
