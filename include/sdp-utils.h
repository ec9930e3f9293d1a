/* Janus 1.1.2 ABI: SDP object model, parser/writer and offer/answer generators (written for this project). */
#ifndef JANUS_SDP_UTILS_H
#define JANUS_SDP_UTILS_H

#include <inttypes.h>
#include <glib.h>
#include "rtp.h"
#include "refcount.h"

/* A whole session description. */
typedef struct janus_sdp {
	int version;                /* v= */
	char *o_name;               /* o= */
	guint64 o_sessid;
	guint64 o_version;
	gboolean o_ipv4;
	char *o_addr;
	char *s_name;               /* s= */
	guint64 t_start;            /* t= */
	guint64 t_stop;
	gboolean c_ipv4;            /* session-level c=, if any */
	char *c_addr;
	GList *attributes;          /* janus_sdp_attribute */
	GList *m_lines;             /* janus_sdp_mline */
	volatile gint destroyed;
	janus_refcount ref;
} janus_sdp;

typedef enum janus_sdp_mtype {
	JANUS_SDP_AUDIO,
	JANUS_SDP_VIDEO,
	JANUS_SDP_APPLICATION,
	JANUS_SDP_OTHER
} janus_sdp_mtype;
janus_sdp_mtype janus_sdp_parse_mtype(const char *type);
const char *janus_sdp_mtype_str(janus_sdp_mtype type);

typedef enum janus_sdp_mdirection {
	JANUS_SDP_DEFAULT,
	JANUS_SDP_SENDRECV,
	JANUS_SDP_SENDONLY,
	JANUS_SDP_RECVONLY,
	JANUS_SDP_INACTIVE,
	JANUS_SDP_INVALID
} janus_sdp_mdirection;
janus_sdp_mdirection janus_sdp_parse_mdirection(const char *direction);
const char *janus_sdp_mdirection_str(janus_sdp_mdirection direction);

/* Codec selection helpers; *codec receives a static name. */
void janus_sdp_find_preferred_codec(janus_sdp *sdp, janus_sdp_mtype type, int index, const char **codec);
void janus_sdp_find_first_codec(janus_sdp *sdp, janus_sdp_mtype type, int index, const char **codec);
const char *janus_sdp_match_preferred_codec(janus_sdp_mtype type, char *codec);

/* One m= section. */
typedef struct janus_sdp_mline {
	int index;
	janus_sdp_mtype type;
	char *type_str;
	guint16 port;
	char *proto;
	GList *fmts;                /* format strings as written */
	GList *ptypes;              /* the same as integers (GINT_TO_POINTER) */
	gboolean c_ipv4;
	char *c_addr;
	char *b_name;
	uint32_t b_value;
	janus_sdp_mdirection direction;
	GList *attributes;          /* janus_sdp_attribute */
	volatile gint destroyed;
	janus_refcount ref;
} janus_sdp_mline;
janus_sdp_mline *janus_sdp_mline_create(janus_sdp_mtype type, guint16 port, const char *proto, janus_sdp_mdirection direction);
void janus_sdp_mline_destroy(janus_sdp_mline *mline);
janus_sdp_mline *janus_sdp_mline_find(janus_sdp *sdp, janus_sdp_mtype type);
janus_sdp_mline *janus_sdp_mline_find_by_index(janus_sdp *sdp, int index);
int janus_sdp_mline_remove(janus_sdp *sdp, janus_sdp_mtype type);

/* One a= line (direction only matters for extmap). */
typedef struct janus_sdp_attribute {
	char *name;
	char *value;
	janus_sdp_mdirection direction;
	volatile gint destroyed;
	janus_refcount ref;
} janus_sdp_attribute;
janus_sdp_attribute *janus_sdp_attribute_create(const char *name, const char *value, ...) G_GNUC_PRINTF(2, 3);
void janus_sdp_attribute_destroy(janus_sdp_attribute *attr);
int janus_sdp_attribute_add_to_mline(janus_sdp_mline *mline, janus_sdp_attribute *attr);

/* Text <-> object; error receives a message on parse failure. */
janus_sdp *janus_sdp_parse(const char *sdp, char *error, size_t errlen);
int janus_sdp_remove_payload_type(janus_sdp *sdp, int index, int pt);
char *janus_sdp_write(janus_sdp *sdp);
janus_sdp *janus_sdp_new(const char *name, const char *address);
void janus_sdp_destroy(janus_sdp *sdp);

/* Property ids of the variadic generators; each list ends with JANUS_SDP_OA_DONE. */
typedef enum janus_sdp_oa_type {
	JANUS_SDP_OA_MLINE = 1,
	JANUS_SDP_OA_ENABLED,
	JANUS_SDP_OA_DIRECTION,
	JANUS_SDP_OA_MID,
	JANUS_SDP_OA_MSID,
	JANUS_SDP_OA_CODEC,
	JANUS_SDP_OA_EXTENSION,
	JANUS_SDP_OA_EXTENSIONS,
	JANUS_SDP_OA_ACCEPT_EXTMAP,
	JANUS_SDP_OA_PT,
	JANUS_SDP_OA_FMTP,
	JANUS_SDP_OA_AUDIO_DTMF,
	JANUS_SDP_OA_OPUSRED_PT,
	JANUS_SDP_OA_ACCEPT_OPUSRED,
	JANUS_SDP_OA_VP9_PROFILE,
	JANUS_SDP_OA_H264_PROFILE,
	JANUS_SDP_OA_VIDEO_RTCPFB_DEFAULTS,
	JANUS_SDP_OA_DATA_LEGACY,
	JANUS_SDP_OA_DONE = 0
} janus_sdp_oa_type;
const char *janus_sdp_oa_type_str(janus_sdp_oa_type type);

janus_sdp *janus_sdp_generate_offer(const char *name, const char *address, ...);
int janus_sdp_generate_offer_mline(janus_sdp *offer, ...);
janus_sdp *janus_sdp_generate_answer(janus_sdp *offer);
int janus_sdp_generate_answer_mline(janus_sdp *offer, janus_sdp *answer, janus_sdp_mline *offered, ...);

/* Payload type / codec lookups on a parsed SDP (index -1 = first matching m-line). */
int janus_sdp_get_codec_pt(janus_sdp *sdp, int index, const char *codec);
int janus_sdp_get_codec_pt_full(janus_sdp *sdp, int index, const char *codec, const char *profile);
const char *janus_sdp_get_codec_name(janus_sdp *sdp, int index, int pt);
const char *janus_sdp_get_rtpmap_codec(const char *rtpmap);
const char *janus_sdp_get_codec_rtpmap(const char *codec);
const char *janus_sdp_get_fmtp(janus_sdp *sdp, int index, int pt);
char *janus_sdp_get_video_profile(janus_videocodec codec, const char *fmtp);
int janus_sdp_get_opusred_pt(janus_sdp *sdp, int index);

#endif
