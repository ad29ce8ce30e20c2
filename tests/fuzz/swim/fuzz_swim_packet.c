/*
 * libFuzzer target for the SWIM packet codec (swim/wire.h) and the protocol core it feeds
 * (swim/swim.h). The whole input is first parsed as an authenticated body: a body that parses
 * must encode to the same bytes (the format has one encoding) and verify. Then the input is read
 * as records [delay ms (1)][length (2)][body] which are sealed with the members' key (so the
 * fuzzer gets past the MAC, as a member holding the key could) and fed to a core whose members
 * are n0..n3, with the clock advancing and timers run in between; every packet the core sends
 * must verify and parse, and its member states must stay valid.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "swim/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static const uint8_t key[SWIM_KEY_LEN] = { 0x42, 0x42, 0x42, 0x42 };

static void roundtrip(const uint8_t *data, size_t size)
{
	struct swim_msg m;
	if (!swim_wire_decode(data, size, &m))
		return;
	uint8_t buf[SWIM_MAX_PACKET + SWIM_MAC_LEN];
	wbuf w = wbuf_make(buf, sizeof(buf));
	int put = swim_wire_encode(&w, key, &m, m.gossip, m.ngossip);
	/* An input up to the size limit always re-encodes whole. */
	if (size + SWIM_MAC_LEN > SWIM_MAX_PACKET)
		return;
	CHECK(put == (int)m.ngossip);
	CHECK(wbuf_len(&w) == size + SWIM_MAC_LEN);
	CHECK(memcmp(buf, data, size) == 0);
	size_t blen;
	CHECK(swim_wire_verify(key, buf, wbuf_len(&w), &blen) && blen == size);
}

static void on_send(void *arg, const struct swim_addr *to, const uint8_t *pkt, size_t len)
{
	(void)arg;
	(void)to;
	size_t blen;
	struct swim_msg m;
	CHECK(swim_wire_verify(key, pkt, len, &blen));
	CHECK(swim_wire_decode(pkt, blen, &m));
}

static void on_event(void *arg, const struct swim_event *ev)
{
	(void)arg;
	CHECK(ev->to <= SWIM_LEFT && ev->from <= SWIM_LEFT && ev->from != ev->to);
}

static void stateful(const uint8_t *data, size_t size)
{
	struct swim_config c;
	swim_config_defaults(&c);
	c.self = "n0";
	memcpy(c.key, key, sizeof(key));
	c.nonce = 1;
	c.incarnation = 100;
	c.seed = 1;
	struct swim_io io = { on_send, on_event, NULL };
	int64_t now = 0;
	struct swim *s = swim_new(&c, &io, mono_from_ms(now));
	struct swim_member_spec spec[4];
	static const char *const names[4] = { "n0", "n1", "n2", "n3" };
	for (int i = 0; i < 4; i++)
		spec[i] = (struct swim_member_spec){ names[i],
						     { ip_addr_v4(0x0a000001u + (uint32_t)i), 7946 } };
	swim_set_members(s, spec, 4, mono_from_ms(now));
	rbuf r = rbuf_make(data, size);
	uint8_t delay;
	uint16_t len;
	while (rbuf_get_u8(&r, &delay) && rbuf_get_u16(&r, &len)) {
		rbuf body;
		if (!rbuf_sub(&r, len < rbuf_left(&r) ? len : rbuf_left(&r), &body))
			break;
		now += delay;
		swim_tick(s, mono_from_ms(now));
		uint8_t pkt[SWIM_MAX_PACKET + SWIM_MAC_LEN];
		const uint8_t *p;
		size_t n = rbuf_left(&body);
		if (n > SWIM_MAX_PACKET - SWIM_MAC_LEN || !rbuf_get_ptr(&body, n, &p))
			continue;
		/* Seal the record's bytes as a member would. */
		struct swim_msg m;
		if (swim_wire_decode(p, n, &m)) {
			wbuf w = wbuf_make(pkt, sizeof(pkt));
			if (swim_wire_encode(&w, key, &m, m.gossip, m.ngossip) >= 0) {
				struct swim_addr from = { ip_addr_v4(0x0a000002u), 7946 };
				swim_input(s, &from, pkt, wbuf_len(&w), mono_from_ms(now));
			}
		}
		struct swim_addr from = { ip_addr_v4(0x0a000003u), 7946 };
		swim_input(s, &from, p, n, mono_from_ms(now));
	}
	for (int i = 0; i < 50; i++) {
		now += 20;
		swim_tick(s, mono_from_ms(now));
	}
	CHECK(swim_local_health(s) <= c.max_local_health);
	for (size_t i = 0; i < swim_members(s); i++) {
		struct swim_member_info mi;
		swim_member(s, i, &mi);
		CHECK(mi.state <= SWIM_LEFT);
	}
	swim_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	roundtrip(data, size);
	stateful(data, size);
	return 0;
}
