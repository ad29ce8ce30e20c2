/*
 * Base64, RFC 4648 §4 (standard alphabet): one implementation for every user.
 *
 * Kubernetes writes base64 in two places ingot reads: Secret data (Go's StdEncoding: padded, no
 * whitespace) and kubeconfig *-data fields, which people paste by hand with line breaks and
 * sometimes without padding. BASE64_STRICT takes the first form only; BASE64_LENIENT also skips
 * whitespace and accepts a missing final padding. Both refuse data after padding, a final
 * quantum of one sextet, and any character outside the alphabet.
 */
#ifndef INGOT_CORE_BASE64_H
#define INGOT_CORE_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum base64_mode {
	BASE64_STRICT,
	BASE64_LENIENT,
};

/*
 * Decodes len bytes of text into a fresh buffer (NUL-terminated for convenience, the terminator
 * not counted in *outlen). Returns false on invalid input, leaving *out NULL. Caller frees *out.
 */
bool base64_decode(const char *text, size_t len, enum base64_mode mode, uint8_t **out,
		   size_t *outlen);
/* Encodes with padding into a fresh NUL-terminated string; the caller frees it. */
char *base64_encode(const void *data, size_t len);

#endif
