/*
 * The failure detector's Secret, created as MetalLB's controller does (internal/k8s CreateMlSecret):
 * when the Secret (default `memberlist`) is missing from the controller's namespace, create it,
 * type Opaque, with one key `secretkey` holding 128 random bits (getrandom) as unpadded standard
 * base64 text, which the speakers read as an environment variable. Kubernetes then base64-encodes
 * that text again in the object's `data`, as it does all Secret data. An existing Secret is never
 * read further nor overwritten; a create that loses a race (409 AlreadyExists) is success.
 * Unlike MetalLB, no ownerReference to the controller's Deployment is set (ingot is not told its
 * Deployment's name), so uninstalling leaves the Secret behind.
 *
 * Failures (API server away, 5xx, 429) are retried with a doubling delay (1 s to 30 s); 403 too,
 * with a warning, since RBAC may be fixed while the controller runs.
 */
#ifndef INGOT_CONTROLLER_ML_SECRET_H
#define INGOT_CONTROLLER_ML_SECRET_H

#include <jansson.h>
#include <stdint.h>

#include "k8s/client.h"

#define ML_SECRET_KEY "secretkey"
#define ML_SECRET_BYTES 16

/* The Secret to POST (pure; a new reference). */
json_t *ml_secret_object(const char *ns, const char *name, const uint8_t key[ML_SECRET_BYTES]);

enum ml_secret_state {
	ML_SECRET_CHECKING,      /* not known yet (or retrying) */
	ML_SECRET_FOUND,         /* it existed: left alone */
	ML_SECRET_CREATED,       /* created by this process */
};
const char *ml_secret_state_name(enum ml_secret_state s);

struct ml_secret;
/* Strings are copied. Starts at once: a GET, then a POST if the Secret is missing. */
struct ml_secret *ml_secret_start(struct k8s_client *c, const char *ns, const char *name);
enum ml_secret_state ml_secret_state(const struct ml_secret *ms);
void ml_secret_free(struct ml_secret *ms);

#endif
