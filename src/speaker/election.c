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
#include <string.h>

#include <openssl/evp.h>

#include "core/log.h"
#include "speaker/speaker.h"

/* SHA-256 fetched once: an implicit fetch on every digest takes locks and a name lookup. The
 * method stays for the life of the process (reachable, never freed). */
static const EVP_MD *sha256(void)
{
	static EVP_MD *md;
	if (!md) {
		md = EVP_MD_fetch(NULL, "SHA256", NULL);
		if (!md)
			log_fatal("speaker", "no SHA-256 in libcrypto", "provider=default");
	}
	return md;
}

/* sha256("<node>#<iptext>") through ctx (reused across candidates: no allocation per key) */
static void key_text(EVP_MD_CTX *ctx, const char *node, const char *iptext, uint8_t out[32])
{
	unsigned len = 0;
	if (EVP_DigestInit_ex(ctx, sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, node, strlen(node)) != 1 || EVP_DigestUpdate(ctx, "#", 1) != 1 ||
	    EVP_DigestUpdate(ctx, iptext, strlen(iptext)) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, &len) != 1 || len != 32)
		log_fatal("speaker", "sha256 failed", "len=%u", len);
}

static EVP_MD_CTX *md_ctx(void)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx)
		log_fatal("speaker", "out of memory", "what=EVP_MD_CTX");
	return ctx;
}

static void ip_text(const ip_addr *ip, char buf[IP_ADDR_STRLEN])
{
	if (ip_addr_format(ip, buf, IP_ADDR_STRLEN) < 0)
		log_fatal("speaker", "address does not fit its text buffer", "family=%u", ip->family);
}

void spk_election_key(const char *node, const ip_addr *ip, uint8_t out[32])
{
	char buf[IP_ADDR_STRLEN];
	ip_text(ip, buf);
	EVP_MD_CTX *ctx = md_ctx();
	key_text(ctx, node, buf, out);
	EVP_MD_CTX_free(ctx);
}

size_t spk_elect(const ip_addr *ip, const char *const *names, const int32_t *weights, size_t n)
{
	char buf[IP_ADDR_STRLEN];
	ip_text(ip, buf);
	size_t best = n;
	uint8_t best_key[32];
	EVP_MD_CTX *ctx = n ? md_ctx() : NULL;
	for (size_t i = 0; i < n; i++) {
		uint8_t key[32];
		key_text(ctx, names[i], buf, key);
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
	EVP_MD_CTX_free(ctx);
	return best;
}
