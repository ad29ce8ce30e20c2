/*
 * libFuzzer target for the BFD Control packet codec (bfd/packet.h) and the state machine it
 * feeds (bfd/fsm.h). The whole input is first decoded as one UDP payload; a packet that passes
 * the RFC 5880 §6.8.6 checks must encode and decode again to the same fields. Then the input is
 * read as a sequence of records [delay ms][length][bytes] fed to one session on a fake clock:
 * every packet the session sends in answer must pass our own reception checks, its state must
 * stay valid, and a timer must always be running.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bfd/fsm.h"
#include "bfd/packet.h"
#include "core/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static void roundtrip(const uint8_t *data, size_t size)
{
	rbuf r = rbuf_make(data, size);
	struct bfd_packet p, q;
	if (bfd_packet_decode(&r, &p) != BFD_RX_OK)
		return;
	uint8_t buf[BFD_PKT_LEN];
	wbuf w = wbuf_make(buf, sizeof(buf));
	bfd_packet_encode(&w, &p);
	CHECK(wbuf_ok(&w) && wbuf_len(&w) == BFD_PKT_LEN);
	rbuf r2 = rbuf_make(buf, sizeof(buf));
	CHECK(bfd_packet_decode(&r2, &q) == BFD_RX_OK);
	CHECK(q.diag == p.diag && q.state == p.state && q.detect_mult == p.detect_mult);
	CHECK(q.my_discr == p.my_discr && q.your_discr == p.your_discr);
	CHECK(q.desired_min_tx_us == p.desired_min_tx_us);
	CHECK(q.required_min_rx_us == p.required_min_rx_us);
	CHECK(q.required_min_echo_rx_us == p.required_min_echo_rx_us);
	CHECK(q.final == p.final && q.poll == (p.poll && !p.final) && q.cpi == p.cpi);
	CHECK(q.demand == p.demand && !q.auth && !q.multipoint);
}

/* Our own packets must pass our own checks. */
static void send_and_check(struct bfd_fsm *f, bool final, monotime now)
{
	struct bfd_packet p, q;
	bfd_fsm_packet(f, final, now, &p);
	uint8_t buf[BFD_PKT_LEN];
	wbuf w = wbuf_make(buf, sizeof(buf));
	bfd_packet_encode(&w, &p);
	rbuf r = rbuf_make(buf, sizeof(buf));
	CHECK(bfd_packet_decode(&r, &q) == BFD_RX_OK);
	CHECK(!(q.poll && q.final));
}

static void apply(struct bfd_fsm *f, struct bfd_fsm_out o, monotime now)
{
	if (o.actions & BFD_ACT_SEND_FINAL)
		send_and_check(f, true, now);
	if (o.actions & BFD_ACT_SEND)
		send_and_check(f, false, now);
	CHECK(f->state <= BFD_STATE_UP);
	monotime at;
	CHECK(bfd_fsm_next_deadline(f, &at));
	CHECK(bfd_fsm_tx_interval_us(f) >= f->tx_use_us);
	if (f->state != BFD_STATE_UP)
		CHECK(f->tx_adv_us >= BFD_SLOW_TX_US && !f->poll);
}

static void session(const uint8_t *data, size_t size)
{
	monotime now = mono_from_s(1);
	struct bfd_fsm_config c = {
		.peer = "fuzz", .local_discr = 0x1234, .desired_min_tx_us = 50000,
		.required_min_rx_us = 50000, .detect_mult = size ? (uint8_t)(data[0] % 4 + 1) : 3,
		.passive = size && (data[0] & 0x80), .jitter_seed = 7,
	};
	struct bfd_fsm f;
	bfd_fsm_init(&f, &c, now);
	size_t pos = size ? 1 : 0;
	while (pos + 2 <= size) {
		uint8_t delay = data[pos], len = data[pos + 1];
		pos += 2;
		if (len > size - pos)
			len = (uint8_t)(size - pos);
		now = mono_add(now, mono_from_ms(delay));
		apply(&f, bfd_fsm_tick(&f, now), now);
		rbuf r = rbuf_make(data + pos, len);
		struct bfd_packet p;
		if (bfd_packet_decode(&r, &p) == BFD_RX_OK)
			apply(&f, bfd_fsm_rx(&f, &p, now), now);
		pos += len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	if (!quiet) {
		log_setup(LOGL_ERROR, LOG_FORMAT_TEXT, stderr);
		quiet = true;
	}
	roundtrip(data, size);
	session(data, size);
	return 0;
}
