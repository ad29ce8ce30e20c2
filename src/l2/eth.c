/*
 * Ethernet II header and MAC address helpers (see eth.h).
 */
#include "l2/eth.h"

#include <stdio.h>
#include <string.h>

const eth_addr eth_broadcast = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };

bool eth_addr_eq(const eth_addr *a, const eth_addr *b)
{
	return memcmp(a->b, b->b, ETH_ADDR_LEN) == 0;
}

bool eth_addr_is_multicast(const eth_addr *a)
{
	return (a->b[0] & 0x01) != 0;
}

bool eth_addr_is_zero(const eth_addr *a)
{
	static const eth_addr zero;
	return eth_addr_eq(a, &zero);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool eth_addr_parse(const char *text, eth_addr *out)
{
	eth_addr a;
	for (size_t i = 0; i < ETH_ADDR_LEN; i++) {
		const char *p = text + 3 * i;
		int hi = hex_digit(p[0]);
		int lo = hi < 0 ? -1 : hex_digit(p[1]);
		if (lo < 0)
			return false;
		char sep = p[2];
		if (i + 1 < ETH_ADDR_LEN ? sep != ':' : sep != '\0')
			return false;
		a.b[i] = (uint8_t)(hi << 4 | lo);
	}
	*out = a;
	return true;
}

void eth_addr_format(const eth_addr *a, char buf[ETH_ADDR_STRLEN])
{
	snprintf(buf, ETH_ADDR_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", a->b[0], a->b[1], a->b[2],
		 a->b[3], a->b[4], a->b[5]);
}

bool eth_get_addr(rbuf *b, eth_addr *out)
{
	return rbuf_get_bytes(b, out->b, ETH_ADDR_LEN);
}

void eth_put_addr(wbuf *b, const eth_addr *a)
{
	wbuf_put_bytes(b, a->b, ETH_ADDR_LEN);
}

bool eth_parse(rbuf *b, struct eth_hdr *out)
{
	if (rbuf_left(b) < ETH_HDR_LEN)
		return false;
	eth_get_addr(b, &out->dst);
	eth_get_addr(b, &out->src);
	rbuf_get_u16(b, &out->type);
	return true;
}

void eth_put_hdr(wbuf *b, const eth_addr *dst, const eth_addr *src, uint16_t type)
{
	eth_put_addr(b, dst);
	eth_put_addr(b, src);
	wbuf_put_u16(b, type);
}

void eth_pad(wbuf *b)
{
	if (wbuf_ok(b) && wbuf_len(b) < ETH_MIN_FRAME_LEN)
		wbuf_put_zero(b, ETH_MIN_FRAME_LEN - wbuf_len(b));
}
