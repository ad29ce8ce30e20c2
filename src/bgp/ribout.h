/*
 * Adj-RIB-Out for one peer (RFC 4271 §3.2, §9.2): the routes the speaker wants announced and the
 * routes the peer was last told about, and the UPDATEs that turn one into the other. Routes with
 * identical attributes share UPDATEs (bgp_update_pack); IPv6 goes in MP_REACH/MP_UNREACH
 * (RFC 4760). Pure: messages go to a callback, nothing here does I/O. Internal to src/bgp.
 */
#ifndef INGOT_BGP_RIBOUT_H
#define INGOT_BGP_RIBOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bgp/bgp.h"
#include "bgp/msg.h"

/* How this session builds the attributes around a route (RFC 4271 §5.1). */
struct bgp_ribout_ctx {
	struct bgp_codec_opts opts;   /* as4, ibgp */
	uint8_t families;             /* negotiated: other families are not sent */
	uint32_t local_as;
	ip_addr next_hop_v4;          /* NEXT_HOP (RFC 4271 §5.1.3) */
	ip_addr next_hop_v6;          /* MP_REACH_NLRI global next hop */
	ip_addr next_hop_v6_ll;       /* and link-local, IP_NONE when not on-link */
	bool graceful_shutdown;       /* add GRACEFUL_SHUTDOWN to every announcement (RFC 8326 §3) */
};

struct ribout_entry {
	ip_prefix prefix;
	uint32_t attrs;               /* index into bgp_ribout.attrs */
};

struct bgp_ribout {
	struct bgp_route_attrs *attrs;   /* interned, owned copies */
	size_t nattrs;
	struct ribout_entry *want;       /* sorted by prefix */
	size_t nwant;
	struct ribout_entry *adv;        /* what the peer holds, sorted by prefix */
	size_t nadv;
	uint8_t families;                /* ctx->families of the last sync */
};

typedef void (*bgp_emit_fn)(void *arg, const uint8_t *msg, size_t len);

void bgp_ribout_init(struct bgp_ribout *r);
void bgp_ribout_free(struct bgp_ribout *r);
/* Replaces the wanted routes (copied; a prefix given twice keeps the last). */
void bgp_ribout_set(struct bgp_ribout *r, const struct bgp_route *routes, size_t n);
/* The session went down: the peer holds nothing from us any more. */
void bgp_ribout_reset(struct bgp_ribout *r);
/* Emits the withdrawals and announcements that bring the peer to the wanted routes, then
 * records them as advertised. Returns the number of UPDATE messages emitted. */
size_t bgp_ribout_sync(struct bgp_ribout *r, const struct bgp_ribout_ctx *ctx, bgp_emit_fn emit,
		       void *arg);
/* Emits everything wanted again (ROUTE-REFRESH, RFC 2918 §4) for one family. */
size_t bgp_ribout_refresh(struct bgp_ribout *r, const struct bgp_ribout_ctx *ctx,
			  enum bgp_family family, bgp_emit_fn emit, void *arg);
size_t bgp_ribout_advertised(const struct bgp_ribout *r);
/* How many prefixes the next sync (with the families of the last one) would announce or
 * withdraw: the wanted ones the peer does not hold or holds with other attributes, and those it
 * holds that are no longer wanted. */
size_t bgp_ribout_pending(const struct bgp_ribout *r);

#endif
