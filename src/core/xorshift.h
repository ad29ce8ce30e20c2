/*
 * xorshift32 (Marsaglia 2003): a cheap, deterministic pseudo-random sequence for what needs
 * variety, not secrecy -- treap priorities, timer jitter. The state must start non-zero.
 */
#ifndef INGOT_CORE_XORSHIFT_H
#define INGOT_CORE_XORSHIFT_H

#include <stdint.h>

static inline uint32_t xorshift32(uint32_t *state)
{
	uint32_t x = *state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

#endif
