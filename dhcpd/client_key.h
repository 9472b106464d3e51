/*
 * Client identity (RFC 2131 4.2, RFC 6842): option 61 when the client sends it, else
 * htype + chaddr. The engine keeps a 64-bit keyed hash of it (SipHash-2-4 with a key
 * drawn at startup), so that a client cannot craft an identity that collides with
 * another client's and take over its binding.
 *
 * Thread safety: dhcp_client_key_init on the control thread before the lcores start;
 * dhcp_client_key from any thread afterwards.
 */
#ifndef MTDHCP_DHCPD_CLIENT_KEY_H
#define MTDHCP_DHCPD_CLIENT_KEY_H

#include <stddef.h>
#include <stdint.h>

/* Draws the hash key from the kernel's random source. 0 or -errno. */
int dhcp_client_key_init(void);

/*
 * The key of a client: of @client_id (option 61, @cid_len > 0) when present, else of
 * @htype and the first @hlen bytes of @chaddr. Never 0.
 */
uint64_t dhcp_client_key(const uint8_t *client_id, size_t cid_len, uint8_t htype,
			 const uint8_t *chaddr, uint8_t hlen);

/*
 * A keyed hash of @len bytes of @key tagged with @kind, for lookup tables whose keys come
 * from clients (reservations): the same SipHash key, so that no client can aim at a
 * chosen bucket. Never 0.
 */
uint64_t dhcp_key_hash(uint8_t kind, const uint8_t *key, size_t len);

#endif
