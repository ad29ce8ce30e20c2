/*
 * libFuzzer target for the Neighbor Solicitation parser (src/l2/ndp.c, RFC 4861 7.1.1). Any input
 * must parse without touching memory outside it; an accepted NS must yield an NA whose checksum
 * verifies and which is never itself taken for a solicitation.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "l2/ndp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const eth_addr self = { { 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa } };
	struct ndp_solicit ns;
	if (ndp_parse_ns(rbuf_make(data, size), &self, &ns) != NDP_SOLICIT)
		return 0;
	if (ns.target.bytes[0] == 0xff || ns.src.bytes[0] == 0xff)
		abort();

	uint8_t out[NDP_NA_FRAME_LEN];
	wbuf w = wbuf_make(out, sizeof(out));
	ndp_build_na(&w, &ns, &self);
	if (!wbuf_ok(&w) || wbuf_len(&w) != NDP_NA_FRAME_LEN)
		abort();
	ip_addr src, dst;
	src.family = dst.family = IP_V6;
	memcpy(src.bytes, out + 22, 16);
	memcpy(dst.bytes, out + 38, 16);
	rbuf icmp = rbuf_make(out, wbuf_len(&w));
	rbuf_skip(&icmp, ETH_HDR_LEN + IPV6_HDR_LEN);
	if (ndp_icmp6_checksum(&src, &dst, icmp) != 0)
		abort();
	if (memcmp(src.bytes, ns.target.bytes, 16) != 0)
		abort();
	struct ndp_solicit again;
	eth_addr other = { { 0x02, 0, 0, 0, 0, 0x01 } };
	if (ndp_parse_ns(rbuf_make(out, wbuf_len(&w)), &other, &again) != NDP_ERR_TYPE)
		abort();
	return 0;
}
