/*
 * Base64 decoding (RFC 4648 section 4, standard alphabet) for kubeconfig's *-data fields
 * (internal to src/k8s). Whitespace is ignored, padding is optional, anything else is an error.
 */
#ifndef INGOT_K8S_BASE64_H
#define INGOT_K8S_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes len bytes of text into a fresh buffer (NUL-terminated for convenience, the terminator
 * not counted in *outlen). Returns false on invalid input, leaving *out NULL. Caller frees *out. */
bool k8s_base64_decode(const char *text, size_t len, uint8_t **out, size_t *outlen);

#endif
