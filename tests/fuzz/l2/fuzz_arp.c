/*
 * libFuzzer target for the ARP parser (src/l2/arp.c, RFC 826 / RFC 5227). Any input must parse
 * without touching memory outside it; an accepted request must yield a reply that is itself a
 * well-formed ARP frame answering exactly the question asked.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "l2/arp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const eth_addr self = { { 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa } };
	struct arp_request req;
	enum arp_verdict v = arp_parse(rbuf_make(data, size), &self, &req);
	if (v != ARP_REQUEST)
		return 0;

	uint8_t out[ARP_FRAME_MAX];
	wbuf w = wbuf_make(out, sizeof(out));
	arp_build_reply(&w, &req, &self);
	if (!wbuf_ok(&w) || wbuf_len(&w) != ARP_FRAME_MAX)
		abort();
	/* Our reply is not a request, and (being from us) would never be answered. */
	struct arp_request again;
	if (arp_parse(rbuf_make(out, wbuf_len(&w)), &self, &again) != ARP_ERR_NOT_REQUEST)
		abort();
	/* It answers the question: sender IP is the target asked for, target is the asker. */
	if (memcmp(out + 28, req.target_ip.bytes, 4) != 0 || memcmp(out + 38, req.sender_ip.bytes, 4) != 0)
		abort();
	if (eth_addr_is_multicast(&req.sender_mac))
		abort();
	return 0;
}
