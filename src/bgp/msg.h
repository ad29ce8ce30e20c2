/*
 * BGP-4 message codec: pure functions between wire bytes (core/buf.h) and typed messages.
 *
 * Follows RFC 4271 §4 (message formats) and §6 (error handling: every decode failure carries the
 * NOTIFICATION code, subcode and data §6.1-6.3 prescribe), RFC 5492 (capabilities), RFC 4760
 * (multiprotocol IPv4/IPv6 unicast), RFC 6793 (4-octet AS, AS_TRANS), RFC 2918 (route refresh),
 * RFC 4724 (graceful restart, End-of-RIB), RFC 8538 (N bit, Hard Reset), RFC 7606 (revised UPDATE
 * error handling: each UPDATE error carries its disposition), RFC 1997 / 4360 / 8092 (standard,
 * extended and large communities), RFC 7607 (AS 0), RFC 6286 (BGP identifier).
 *
 * Layout: msg_header.c frames messages and codes KEEPALIVE, NOTIFICATION and ROUTE-REFRESH;
 * msg_open.c codes OPEN and its capabilities and checks a received OPEN against local policy;
 * attr.c codes path attributes; msg_update.c codes UPDATE and packs prefixes into UPDATEs.
 *
 * Nothing here does I/O, logs or keeps state. Ownership: decoded UPDATEs own their arrays and are
 * released with bgp_msg_free()/bgp_update_free(); everything passed to an encoder is borrowed.
 */
#ifndef INGOT_BGP_MSG_H
#define INGOT_BGP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/buf.h"

/* --- constants (RFC 4271 §4) -------------------------------------------------------------- */

#define BGP_VERSION 4
#define BGP_MARKER_LEN 16
#define BGP_HEADER_LEN 19
#define BGP_MAX_MSG_LEN 4096
#define BGP_OPEN_MIN_LEN 29
#define BGP_UPDATE_MIN_LEN 23
#define BGP_NOTIFICATION_MIN_LEN 21
#define BGP_KEEPALIVE_LEN 19
#define BGP_ROUTE_REFRESH_LEN 23                  /* RFC 2918 §3 */
#define BGP_NOTIF_DATA_MAX (BGP_MAX_MSG_LEN - BGP_NOTIFICATION_MIN_LEN)
#define BGP_AS_TRANS 23456                        /* RFC 6793 §9 */
#define BGP_PORT 179

enum bgp_msg_type {
	BGP_MSG_OPEN = 1,
	BGP_MSG_UPDATE = 2,
	BGP_MSG_NOTIFICATION = 3,
	BGP_MSG_KEEPALIVE = 4,
	BGP_MSG_ROUTE_REFRESH = 5,               /* RFC 2918 §3 */
};

/* NOTIFICATION error codes (RFC 4271 §4.5) and subcodes. */
enum bgp_err_code {
	BGP_ERR_HEADER = 1,
	BGP_ERR_OPEN = 2,
	BGP_ERR_UPDATE = 3,
	BGP_ERR_HOLD_TIMER = 4,
	BGP_ERR_FSM = 5,
	BGP_ERR_CEASE = 6,
	BGP_ERR_ROUTE_REFRESH = 7,               /* RFC 7313 §5 */
	BGP_ERR_SEND_HOLD_TIMER = 8,             /* RFC 9687 §5 */
};

enum {
	BGP_SUB_UNSPECIFIC = 0,                  /* RFC 4271 §4.5 */
	/* Message Header Error (RFC 4271 §6.1) */
	BGP_HDR_NOT_SYNC = 1,
	BGP_HDR_BAD_LENGTH = 2,
	BGP_HDR_BAD_TYPE = 3,
	/* OPEN Message Error (RFC 4271 §6.2, RFC 5492 §5) */
	BGP_OPEN_BAD_VERSION = 1,
	BGP_OPEN_BAD_PEER_AS = 2,
	BGP_OPEN_BAD_BGP_ID = 3,
	BGP_OPEN_UNSUPPORTED_PARAM = 4,
	BGP_OPEN_BAD_HOLD_TIME = 6,
	BGP_OPEN_UNSUPPORTED_CAP = 7,
	/* UPDATE Message Error (RFC 4271 §6.3) */
	BGP_UPD_MALFORMED_ATTR_LIST = 1,
	BGP_UPD_UNRECOGNIZED_WELLKNOWN = 2,
	BGP_UPD_MISSING_WELLKNOWN = 3,
	BGP_UPD_ATTR_FLAGS = 4,
	BGP_UPD_ATTR_LENGTH = 5,
	BGP_UPD_INVALID_ORIGIN = 6,
	BGP_UPD_INVALID_NEXT_HOP = 8,
	BGP_UPD_OPTIONAL_ATTR = 9,
	BGP_UPD_INVALID_NETWORK = 10,
	BGP_UPD_MALFORMED_AS_PATH = 11,
	/* FSM Error (RFC 6608 §4) */
	BGP_FSM_UNEXPECTED_OPENSENT = 1,
	BGP_FSM_UNEXPECTED_OPENCONFIRM = 2,
	BGP_FSM_UNEXPECTED_ESTABLISHED = 3,
	/* Cease (RFC 4486 §4, RFC 8538 §3) */
	BGP_CEASE_MAX_PREFIXES = 1,
	BGP_CEASE_ADMIN_SHUTDOWN = 2,
	BGP_CEASE_PEER_DECONFIGURED = 3,
	BGP_CEASE_ADMIN_RESET = 4,
	BGP_CEASE_CONNECTION_REJECTED = 5,
	BGP_CEASE_OTHER_CONFIG_CHANGE = 6,
	BGP_CEASE_COLLISION = 7,
	BGP_CEASE_OUT_OF_RESOURCES = 8,
	BGP_CEASE_HARD_RESET = 9,
	/* ROUTE-REFRESH Message Error (RFC 7313 §5) */
	BGP_RR_INVALID_LENGTH = 1,
};

/* Address families this codec understands (RFC 4760 §6 AFI/SAFI). */
enum bgp_afi { BGP_AFI_IPV4 = 1, BGP_AFI_IPV6 = 2 };
enum bgp_safi { BGP_SAFI_UNICAST = 1 };
enum bgp_family {
	BGP_FAM_IPV4_UNICAST = 0,
	BGP_FAM_IPV6_UNICAST = 1,
	BGP_FAM_COUNT = 2,
};
#define BGP_FAM_BIT(f) ((uint8_t)(1u << (f)))
/* AFI/SAFI → family; false when the pair is not one of ours. */
bool bgp_family_from_afi_safi(uint16_t afi, uint8_t safi, enum bgp_family *out);
uint16_t bgp_family_afi(enum bgp_family f);
enum ip_family bgp_family_ip(enum bgp_family f);

/* --- errors ------------------------------------------------------------------------------- */

/*
 * What the receiver must do about a decode error. Ordered by severity: a message with several
 * errors takes the most severe one (RFC 7606 §2, §3).
 */
enum bgp_disposition {
	BGP_DISP_NONE = 0,
	BGP_DISP_ATTR_DISCARD,        /* RFC 7606 §2 "attribute discard": keep the route */
	BGP_DISP_TREAT_AS_WITHDRAW,   /* RFC 7606 §2: the UPDATE's NLRI count as withdrawn */
	BGP_DISP_SESSION_RESET,       /* send the NOTIFICATION below and close (RFC 4271 §6) */
};

struct bgp_error {
	uint8_t code;
	uint8_t subcode;
	enum bgp_disposition disposition;
	uint16_t data_len;
	uint8_t data[BGP_NOTIF_DATA_MAX];
};

/* --- framing (RFC 4271 §4.1, §6.1) --------------------------------------------------------- */

struct bgp_header {
	uint16_t len;     /* whole message, header included */
	uint8_t type;
};

enum bgp_frame_rc {
	BGP_FRAME_OK,          /* *hdr valid; the message is complete once hdr->len bytes are there */
	BGP_FRAME_NEED_MORE,   /* fewer than 19 bytes buffered */
	BGP_FRAME_ERROR,       /* *err holds the Message Header Error to send */
};

/* Checks the header at the start of `stream` without consuming it: marker, length against the
 * type's limits, type. */
enum bgp_frame_rc bgp_frame(const rbuf *stream, struct bgp_header *hdr, struct bgp_error *err);

/* --- OPEN (RFC 4271 §4.2, RFC 5492) -------------------------------------------------------- */

enum bgp_cap_code {
	BGP_CAP_MP = 1,                 /* RFC 4760 §8 */
	BGP_CAP_ROUTE_REFRESH = 2,      /* RFC 2918 §2 */
	BGP_CAP_GRACEFUL_RESTART = 64,  /* RFC 4724 §3 */
	BGP_CAP_AS4 = 65,               /* RFC 6793 §9 */
	BGP_CAP_ROUTE_REFRESH_OLD = 128,/* pre-standard route refresh, still sent by some routers */
};

#define BGP_GR_FLAG_RESTART 0x8       /* RFC 4724 §3 "R" (in the 4-bit Restart Flags) */
#define BGP_GR_FLAG_NOTIFICATION 0x4  /* RFC 8538 §2 "N" */
#define BGP_GR_AF_FORWARDING 0x80     /* RFC 4724 §3 "F" in Flags for Address Family */
#define BGP_GR_TIME_MAX 4095

struct bgp_caps {
	bool mp_seen;            /* any multiprotocol capability (else IPv4 unicast is implied) */
	uint8_t families;        /* BGP_FAM_BIT() of each MP capability we understand */
	bool as4;
	uint32_t as4_asn;
	bool route_refresh;
	bool gr;
	uint8_t gr_flags;        /* BGP_GR_FLAG_* */
	uint16_t gr_time;        /* seconds, 0..4095 */
	uint8_t gr_families;     /* families listed in the GR capability */
	uint8_t gr_forwarding;   /* of those, the ones with F set */
};

struct bgp_open {
	uint8_t version;
	uint16_t my_as;          /* 2-octet field: AS_TRANS for a 4-octet AS (RFC 6793 §3) */
	uint16_t hold_time;
	uint32_t bgp_id;         /* host order */
	struct bgp_caps caps;
};

/* Fills an OPEN for local AS `asn` (AS_TRANS in My AS when it needs 4 octets; sets caps.as4). */
void bgp_open_init(struct bgp_open *o, uint32_t asn, uint16_t hold_time, uint32_t bgp_id);
/* The peer's AS: the 4-octet capability when present, else My AS (RFC 6793 §4.1). */
uint32_t bgp_open_asn(const struct bgp_open *o);
void bgp_open_encode(wbuf *w, const struct bgp_open *o);
/* Decodes an OPEN body (the bytes after the header). Syntax only: see bgp_open_check(). */
bool bgp_open_decode(rbuf *body, struct bgp_open *out, struct bgp_error *err);

/* Which AS a peer configured without an AS number may have (MetalLB's dynamicASN, FRR's
 * "remote-as internal|external"): it is learned from the peer's OPEN. */
enum bgp_peer_as_kind {
	BGP_PEER_AS_ANY = 0,          /* any AS (only with peer_as 0) */
	BGP_PEER_AS_INTERNAL,         /* must be our own AS */
	BGP_PEER_AS_EXTERNAL,         /* must differ from our AS */
};

/* What a received OPEN is checked against (RFC 4271 §6.2, RFC 6286 §2.2, RFC 5492 §5). */
struct bgp_open_policy {
	uint32_t local_as;
	uint32_t local_id;
	uint32_t peer_as;             /* expected; 0 accepts any AS but see peer_as_kind */
	enum bgp_peer_as_kind peer_as_kind;   /* with peer_as 0: which ASes are acceptable */
	uint16_t min_hold_time;       /* smallest non-zero hold time accepted (>= 3) */
	bool refuse_zero_hold;        /* refuse hold time 0 (keepalives switched off) */
	uint8_t required_families;    /* BGP_FAM_BIT()s the peer must offer */
	bool require_as4;
};
bool bgp_open_check(const struct bgp_open *remote, const struct bgp_open_policy *pol,
		    struct bgp_error *err);

/* What both sides agreed on (RFC 4271 §4.2 hold time, RFC 5492 §3 capabilities). */
struct bgp_negotiated {
	uint32_t peer_as;
	uint32_t peer_id;
	uint16_t hold_time;           /* min of both; 0 = no hold timer and no keepalives */
	uint8_t families;             /* both offered */
	bool as4;
	bool route_refresh;           /* the peer accepts ROUTE-REFRESH */
	bool gr;                      /* both sent the GR capability */
	bool gr_n;                    /* both set the N bit (RFC 8538 §2) */
	uint16_t peer_gr_time;
	uint8_t peer_gr_forwarding;
};
void bgp_negotiate(const struct bgp_open *local, const struct bgp_open *remote,
		   struct bgp_negotiated *out);

/* --- NOTIFICATION (RFC 4271 §4.5), KEEPALIVE (§4.4), ROUTE-REFRESH (RFC 2918 §3) ------------ */

struct bgp_notification {
	uint8_t code;
	uint8_t subcode;
	uint16_t data_len;
	const uint8_t *data;          /* borrowed from the decoded message */
	/* RFC 8538 §3: a Cease/Hard Reset wraps the original code, subcode and data. */
	bool hard_reset;
	uint8_t inner_code;
	uint8_t inner_subcode;
};

void bgp_keepalive_encode(wbuf *w);
/* data may be NULL when len is 0; data longer than BGP_NOTIF_DATA_MAX is cut. */
void bgp_notification_encode(wbuf *w, uint8_t code, uint8_t subcode, const void *data, size_t len);
void bgp_notification_encode_error(wbuf *w, const struct bgp_error *err);
/* RFC 8538 §3: Cease/Hard Reset carrying code/subcode/data. */
void bgp_notification_encode_hard_reset(wbuf *w, uint8_t code, uint8_t subcode, const void *data,
					size_t len);
bool bgp_notification_decode(rbuf *body, struct bgp_notification *out, struct bgp_error *err);
const char *bgp_error_name(uint8_t code, uint8_t subcode);

struct bgp_route_refresh {
	uint16_t afi;
	uint8_t subtype;               /* RFC 7313 §3 reuses the reserved octet; 0 = plain refresh */
	uint8_t safi;
};
void bgp_route_refresh_encode(wbuf *w, uint16_t afi, uint8_t safi);
bool bgp_route_refresh_decode(rbuf *body, struct bgp_route_refresh *out, struct bgp_error *err);

/* --- path attributes (RFC 4271 §4.3, §5) --------------------------------------------------- */

enum bgp_attr_type {
	BGP_ATTR_ORIGIN = 1,
	BGP_ATTR_AS_PATH = 2,
	BGP_ATTR_NEXT_HOP = 3,
	BGP_ATTR_MED = 4,
	BGP_ATTR_LOCAL_PREF = 5,
	BGP_ATTR_ATOMIC_AGGREGATE = 6,
	BGP_ATTR_AGGREGATOR = 7,
	BGP_ATTR_COMMUNITIES = 8,          /* RFC 1997 */
	BGP_ATTR_MP_REACH_NLRI = 14,       /* RFC 4760 §3 */
	BGP_ATTR_MP_UNREACH_NLRI = 15,     /* RFC 4760 §4 */
	BGP_ATTR_EXT_COMMUNITIES = 16,     /* RFC 4360 §2 */
	BGP_ATTR_AS4_PATH = 17,            /* RFC 6793 §3 */
	BGP_ATTR_AS4_AGGREGATOR = 18,
	BGP_ATTR_LARGE_COMMUNITIES = 32,   /* RFC 8092 §3 */
};
#define BGP_ATTR_BIT(t) ((uint64_t)1 << (t))

#define BGP_ATTR_FLAG_OPTIONAL 0x80
#define BGP_ATTR_FLAG_TRANSITIVE 0x40
#define BGP_ATTR_FLAG_PARTIAL 0x20
#define BGP_ATTR_FLAG_EXTENDED 0x10

enum bgp_origin { BGP_ORIGIN_IGP = 0, BGP_ORIGIN_EGP = 1, BGP_ORIGIN_INCOMPLETE = 2 };
enum bgp_as_segment_type {
	BGP_AS_SET = 1,
	BGP_AS_SEQUENCE = 2,
	BGP_AS_CONFED_SEQUENCE = 3,        /* RFC 5065 §3 */
	BGP_AS_CONFED_SET = 4,
};

struct bgp_as_segment {
	uint8_t type;                      /* enum bgp_as_segment_type */
	uint8_t count;                     /* 1..255 */
	uint32_t *asns;
};

struct bgp_large_community {
	uint32_t global;
	uint32_t local1;
	uint32_t local2;
};

/* Well-known communities (RFC 1997 §3, RFC 8326 §5). */
#define BGP_COMMUNITY_NO_EXPORT 0xFFFFFF01u
#define BGP_COMMUNITY_NO_ADVERTISE 0xFFFFFF02u
#define BGP_COMMUNITY_GRACEFUL_SHUTDOWN 0xFFFF0000u

/*
 * The attributes of one UPDATE, MP_REACH/MP_UNREACH excepted (struct bgp_update has those).
 * `present` has BGP_ATTR_BIT(type) for each attribute carried; unknown optional attributes are
 * skipped on decode and never encoded. Arrays are owned by a decoded UPDATE; for encoding they
 * are the caller's.
 */
struct bgp_attrs {
	uint64_t present;
	uint8_t origin;
	size_t aspath_len;                 /* segments */
	struct bgp_as_segment *aspath;
	ip_addr next_hop;                  /* NEXT_HOP, IPv4 */
	uint32_t med;
	uint32_t local_pref;
	uint32_t aggregator_as;
	uint32_t aggregator_id;
	size_t ncommunities;
	uint32_t *communities;
	size_t next_communities;
	uint64_t *ext_communities;         /* the 8 octets as a big-endian number */
	size_t nlarge_communities;
	struct bgp_large_community *large_communities;
};

bool bgp_attrs_equal(const struct bgp_attrs *a, const struct bgp_attrs *b);
/* Frees what a decoder allocated inside *a (not *a itself) and clears it. */
void bgp_attrs_free(struct bgp_attrs *a);

/*
 * Link-bandwidth extended community (draft-ietf-idr-link-bandwidth §2): non-transitive
 * two-octet-AS type 0x40, subtype 0x04, the AS and the bandwidth in bytes per second as an IEEE
 * float.
 */
uint64_t bgp_ext_community_link_bandwidth(uint16_t asn, float bytes_per_second);
bool bgp_ext_community_is_link_bandwidth(uint64_t ec, uint16_t *asn, float *bytes_per_second);

/* --- UPDATE (RFC 4271 §4.3, RFC 4760 §3-4) ------------------------------------------------- */

struct bgp_prefixes {
	size_t n;
	ip_prefix *v;
};

struct bgp_update {
	struct bgp_prefixes withdrawn;     /* IPv4 Withdrawn Routes field */
	struct bgp_attrs attrs;
	struct bgp_prefixes nlri;          /* IPv4 NLRI field */
	bool has_mp_reach;                 /* MP_REACH_NLRI of a family we understand */
	enum bgp_family mp_reach_family;
	ip_addr mp_next_hop;               /* global (IPv6) or IPv4 */
	ip_addr mp_next_hop_ll;            /* IPv6 link-local (RFC 2545 §3), IP_NONE when absent */
	struct bgp_prefixes mp_reach;
	bool has_mp_unreach;
	enum bgp_family mp_unreach_family;
	struct bgp_prefixes mp_unreach;
	enum bgp_disposition disposition;  /* worst RFC 7606 outcome; details in the bgp_error */
};

/* How both sides encode variable parts (negotiated per session). */
struct bgp_codec_opts {
	bool as4;                          /* 4-octet AS numbers in AS_PATH (RFC 6793 §4.1) */
	bool ibgp;                         /* LOCAL_PREF is accepted only from internal peers */
};

/*
 * Decodes an UPDATE body. Returns false for an error that resets the session (*err holds the
 * NOTIFICATION; *out is freed and cleared). Returns true otherwise; when out->disposition is
 * not NONE, *err describes the first error of that severity (RFC 7606: no NOTIFICATION is sent).
 * The caller frees *out with bgp_update_free().
 */
bool bgp_update_decode(rbuf *body, const struct bgp_codec_opts *o, struct bgp_update *out,
		       struct bgp_error *err);
void bgp_update_free(struct bgp_update *u);
/* End-of-RIB (RFC 4724 §2): an UPDATE with nothing in it (IPv4) or only an empty MP_UNREACH. */
bool bgp_update_is_eor(const struct bgp_update *u, enum bgp_family *family);

/* Encodes a whole decoded-style UPDATE (tests, fuzzing); false if it does not fit in w. */
bool bgp_update_encode(wbuf *w, const struct bgp_codec_opts *o, const struct bgp_update *u);
void bgp_eor_encode(wbuf *w, enum bgp_family family);

/*
 * UPDATE packing. One call writes one UPDATE (at most max_len bytes, BGP_MAX_MSG_LEN when 0)
 * with as many of the prefixes as fit, in order, and returns how many it took; the caller calls
 * again with the rest. Announcements carry *attrs; IPv4 goes in the NLRI field with
 * attrs->next_hop, IPv6 in MP_REACH_NLRI with next_hop (and next_hop_ll when set). Withdrawals
 * use the Withdrawn Routes field (IPv4) or MP_UNREACH_NLRI (IPv6). Returns 0 when not even one
 * prefix fits (w too small or the attributes too large); w is then left as it was.
 */
struct bgp_pack {
	enum bgp_family family;
	bool withdraw;
	const struct bgp_attrs *attrs;
	ip_addr next_hop;
	ip_addr next_hop_ll;
	const ip_prefix *prefixes;
	size_t n;
	size_t max_len;
};
size_t bgp_update_pack(wbuf *w, const struct bgp_codec_opts *o, const struct bgp_pack *p);

/* --- any message ---------------------------------------------------------------------------- */

struct bgp_msg {
	uint8_t type;
	union {
		struct bgp_open open;
		struct bgp_update update;
		struct bgp_notification notification;
		struct bgp_route_refresh route_refresh;
	} u;
};

/*
 * Decodes one complete message (exactly hdr.len bytes, header included) after bgp_frame()
 * accepted its header. Same return convention as bgp_update_decode(); *out borrows from msg
 * (NOTIFICATION data) and owns UPDATE arrays: release with bgp_msg_free().
 */
bool bgp_msg_decode(rbuf *msg, const struct bgp_codec_opts *o, struct bgp_msg *out,
		    struct bgp_error *err);
void bgp_msg_free(struct bgp_msg *m);

#endif
