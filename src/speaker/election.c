/*
 * The layer-2 election: which node answers for a service IP.
 *
 * Stateless and identical on every speaker, as MetalLB's layer2_controller ShouldAnnounce: each
 * candidate's key is sha256("<node name>#<IP text>") and the lowest key wins, after the highest
 * preferred-node weight. Hashing the IP (not the Service) puts every Service sharing an IP on one
 * node; hashing the node with it spreads IPs over nodes. The rank of two nodes for an IP never
 * depends on the other candidates, so removing a node that does not own an IP never moves it and
 * adding one moves only the IPs the newcomer wins, about 1/N of them (rendezvous hashing).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "speaker/speaker.h"

void spk_election_key(const char *node, const ip_addr *ip, uint8_t out[32])
{
	char ipbuf[IP_ADDR_STRLEN];
	if (ip_addr_format(ip, ipbuf, sizeof(ipbuf)) < 0)
		log_fatal("speaker", "address does not fit its text buffer", "family=%u", ip->family);
	char *text = xasprintf("%s#%s", node, ipbuf);
	unsigned len = 0;
	if (EVP_Digest(text, strlen(text), out, &len, EVP_sha256(), NULL) != 1 || len != 32)
		log_fatal("speaker", "sha256 failed", "len=%u", len);
	free(text);
}

size_t spk_elect(const ip_addr *ip, const char *const *names, const int32_t *weights, size_t n)
{
	size_t best = n;
	uint8_t best_key[32];
	for (size_t i = 0; i < n; i++) {
		uint8_t key[32];
		spk_election_key(names[i], ip, key);
		if (best == n) {
			best = i;
			memcpy(best_key, key, sizeof(key));
			continue;
		}
		int32_t wi = weights ? weights[i] : 0, wb = weights ? weights[best] : 0;
		int c = wi != wb ? (wi > wb ? -1 : 1) : memcmp(key, best_key, sizeof(key));
		if (c == 0)
			c = strcmp(names[i], names[best]);
		if (c < 0) {
			best = i;
			memcpy(best_key, key, sizeof(key));
		}
	}
	return best;
}
