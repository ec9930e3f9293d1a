/* Exercises the SDP library from C, the way modules use it: the variadic offer/answer
 * generators with every JANUS_SDP_OA_* property, janus_sdp_attribute_create formatting,
 * and in-place edits of the parsed tree with GLib before writing and destroying it.
 * Every function returns a g_malloc'ed text (or NULL) for the Rust test to compare. */

#include <string.h>
#include <glib.h>
#include "sdp-utils.h"

/* Write with a fixed session id (it is the current time otherwise), then destroy. */
static char *finish(janus_sdp *sdp) {
	if(sdp == NULL)
		return NULL;
	sdp->o_sessid = 42;
	char *text = janus_sdp_write(sdp);
	janus_sdp_destroy(sdp);
	return text;
}

char *probe_offer(int variant) {
	switch(variant) {
		case 0:
			/* Defaults of each media kind */
			return finish(janus_sdp_generate_offer("probe", "10.0.0.1",
				JANUS_SDP_OA_MLINE, JANUS_SDP_AUDIO,
				JANUS_SDP_OA_MLINE, JANUS_SDP_VIDEO,
				JANUS_SDP_OA_MLINE, JANUS_SDP_APPLICATION,
				JANUS_SDP_OA_DONE));
		case 1:
			/* Every property generate_offer accepts */
			return finish(janus_sdp_generate_offer(NULL, NULL,
				JANUS_SDP_OA_MLINE, JANUS_SDP_AUDIO,
					JANUS_SDP_OA_ENABLED, TRUE,
					JANUS_SDP_OA_MID, "a0",
					JANUS_SDP_OA_MSID, "stream", "track-a",
					JANUS_SDP_OA_DIRECTION, JANUS_SDP_SENDONLY,
					JANUS_SDP_OA_CODEC, "pcmu",
					JANUS_SDP_OA_PT, 0,
					JANUS_SDP_OA_OPUSRED_PT, 120,
					JANUS_SDP_OA_FMTP, "x=1",
					JANUS_SDP_OA_AUDIO_DTMF, TRUE,
					JANUS_SDP_OA_EXTENSION, "urn:ietf:params:rtp-hdrext:sdes:mid", 4,
					JANUS_SDP_OA_EXTENSION, "urn:bad:id", 15,
				JANUS_SDP_OA_MLINE, JANUS_SDP_VIDEO,
					JANUS_SDP_OA_MID, "v1",
					JANUS_SDP_OA_CODEC, "vp9",
					JANUS_SDP_OA_PT, 98,
					JANUS_SDP_OA_VP9_PROFILE, "2",
					JANUS_SDP_OA_H264_PROFILE, "42e01f",
					JANUS_SDP_OA_VIDEO_RTCPFB_DEFAULTS, FALSE,
					JANUS_SDP_OA_EXTENSION, "urn:ietf:params:rtp-hdrext:sdes:mid", 4,
					JANUS_SDP_OA_DIRECTION, JANUS_SDP_RECVONLY,
				JANUS_SDP_OA_MLINE, JANUS_SDP_VIDEO,
					JANUS_SDP_OA_ENABLED, FALSE,
				JANUS_SDP_OA_MLINE, JANUS_SDP_APPLICATION,
					JANUS_SDP_OA_MID, "d2",
					JANUS_SDP_OA_DATA_LEGACY, TRUE,
				JANUS_SDP_OA_DONE));
		case 2:
			/* Properties generate_offer does not accept consume nothing: the value that
			 * follows is read as the next property (here ACCEPT_OPUSRED is followed by
			 * JANUS_SDP_OA_CODEC, so that is read as the next id). */
			return finish(janus_sdp_generate_offer("p", "1.1.1.1",
				JANUS_SDP_OA_MLINE, JANUS_SDP_VIDEO,
					JANUS_SDP_OA_ACCEPT_OPUSRED, JANUS_SDP_OA_CODEC, "h264",
					JANUS_SDP_OA_H264_PROFILE, "42e01f",
				JANUS_SDP_OA_DONE));
		case 3:
			/* First property not MLINE */
			return finish(janus_sdp_generate_offer("p", "1.1.1.1", JANUS_SDP_OA_MID, "x", JANUS_SDP_OA_DONE));
		case 4:
			/* Unknown codec */
			return finish(janus_sdp_generate_offer("p", "1.1.1.1",
				JANUS_SDP_OA_MLINE, JANUS_SDP_AUDIO, JANUS_SDP_OA_CODEC, "speex", JANUS_SDP_OA_DONE));
		default:
			return NULL;
	}
}

/* janus_sdp_generate_offer_mline on a fresh offer; the return code goes to *res. */
char *probe_offer_mline(int variant, int *res) {
	janus_sdp *offer = janus_sdp_generate_offer("m", "2.2.2.2", JANUS_SDP_OA_DONE);
	GHashTable *table = g_hash_table_new(NULL, NULL);
	g_hash_table_insert(table, GINT_TO_POINTER(9), "urn:nine");
	g_hash_table_insert(table, GINT_TO_POINTER(2), "urn:two");
	switch(variant) {
		case 0:
			*res = janus_sdp_generate_offer_mline(offer,
				JANUS_SDP_OA_MLINE, JANUS_SDP_VIDEO,
				JANUS_SDP_OA_MID, "v",
				JANUS_SDP_OA_MSID, "s", "t",
				JANUS_SDP_OA_CODEC, "h264",
				JANUS_SDP_OA_PT, 102,
				JANUS_SDP_OA_H264_PROFILE, "42e01f",
				JANUS_SDP_OA_EXTENSIONS, table,
				/* ENABLED is not accepted here: TRUE (1) is then read as MLINE, also
				 * not accepted after the first property, and so on */
				JANUS_SDP_OA_ENABLED, JANUS_SDP_OA_MLINE,
				JANUS_SDP_OA_DIRECTION, JANUS_SDP_INACTIVE,
				JANUS_SDP_OA_DONE);
			break;
		case 1:
			*res = janus_sdp_generate_offer_mline(offer,
				JANUS_SDP_OA_MLINE, JANUS_SDP_AUDIO,
				JANUS_SDP_OA_OPUSRED_PT, 63,
				JANUS_SDP_OA_FMTP, "useinbandfec=1",
				JANUS_SDP_OA_EXTENSION, "urn:a", 1,
				JANUS_SDP_OA_EXTENSION, "urn:b", 1,
				JANUS_SDP_OA_EXTENSION, "urn:a", 3,
				JANUS_SDP_OA_EXTENSION, "urn:c", 14,
				JANUS_SDP_OA_DONE);
			break;
		case 2:
			*res = janus_sdp_generate_offer_mline(offer,
				JANUS_SDP_OA_MLINE, JANUS_SDP_APPLICATION, JANUS_SDP_OA_MID, "d", JANUS_SDP_OA_DONE);
			break;
		case 3:
			*res = janus_sdp_generate_offer_mline(offer, JANUS_SDP_OA_CODEC, "vp8", JANUS_SDP_OA_DONE);
			break;
		case 4:
			*res = janus_sdp_generate_offer_mline(offer,
				JANUS_SDP_OA_MLINE, JANUS_SDP_VIDEO,
				JANUS_SDP_OA_EXTENSION, "urn:a", 1,
				JANUS_SDP_OA_EXTENSIONS, table,
				JANUS_SDP_OA_DONE);
			break;
		case 5:
			*res = janus_sdp_generate_offer_mline(offer, JANUS_SDP_OA_MLINE, JANUS_SDP_AUDIO,
				JANUS_SDP_OA_CODEC, "vp8", JANUS_SDP_OA_DONE);
			break;
		case 6:
			/* Invalid type: Janus destroys the offer itself */
			*res = janus_sdp_generate_offer_mline(offer, JANUS_SDP_OA_MLINE, 7, JANUS_SDP_OA_DONE);
			g_hash_table_destroy(table);
			return NULL;
		default:
			*res = janus_sdp_generate_offer_mline(NULL, JANUS_SDP_OA_DONE);
			break;
	}
	g_hash_table_destroy(table);
	return finish(offer);
}

/* Answers every m-line of a parsed offer with the variant's properties. */
char *probe_answer(const char *offer_text, int variant, int *res) {
	char error[256];
	janus_sdp *offer = janus_sdp_parse(offer_text, error, sizeof(error));
	if(offer == NULL)
		return g_strdup(error);
	janus_sdp *answer = janus_sdp_generate_answer(offer);
	*res = 0;
	GList *temp = offer->m_lines;
	while(temp) {
		janus_sdp_mline *m = (janus_sdp_mline *)temp->data;
		int r = 0;
		if(variant == 0) {
			r = janus_sdp_generate_answer_mline(offer, answer, m,
				JANUS_SDP_OA_MLINE, m->type,
				JANUS_SDP_OA_ENABLED, TRUE,
				JANUS_SDP_OA_DIRECTION, JANUS_SDP_RECVONLY,
				JANUS_SDP_OA_MSID, "janus", "janusa",
				JANUS_SDP_OA_ACCEPT_EXTMAP, "urn:ietf:params:rtp-hdrext:sdes:mid",
				JANUS_SDP_OA_ACCEPT_OPUSRED, TRUE,
				JANUS_SDP_OA_AUDIO_DTMF, TRUE,
				JANUS_SDP_OA_VIDEO_RTCPFB_DEFAULTS, FALSE,
				JANUS_SDP_OA_DONE);
		} else if(variant == 1) {
			/* MID, PT, EXTENSION... are not accepted by answer_mline: nothing consumed,
			 * so each value is read as a property id (JANUS_SDP_OA_CODEC below is read
			 * after the unknown PT, and "pcma"/"h264" are its value) */
			r = janus_sdp_generate_answer_mline(offer, answer, m,
				JANUS_SDP_OA_MLINE, m->type,
				JANUS_SDP_OA_PT,
				JANUS_SDP_OA_CODEC, m->type == JANUS_SDP_AUDIO ? "pcma" : "h264",
				JANUS_SDP_OA_H264_PROFILE, "42001F",
				JANUS_SDP_OA_FMTP, "custom=1",
				JANUS_SDP_OA_DONE);
		} else if(variant == 2) {
			r = janus_sdp_generate_answer_mline(offer, answer, m,
				JANUS_SDP_OA_MLINE, m->type, JANUS_SDP_OA_ENABLED, FALSE, JANUS_SDP_OA_DONE);
		} else if(variant == 3) {
			r = janus_sdp_generate_answer_mline(offer, answer, m, JANUS_SDP_OA_MID, JANUS_SDP_OA_DONE);
		} else {
			r = janus_sdp_generate_answer_mline(offer, answer, m, JANUS_SDP_OA_MLINE, 5, JANUS_SDP_OA_DONE);
		}
		if(r != 0)
			*res = r;
		temp = temp->next;
	}
	janus_sdp_destroy(offer);
	return finish(answer);
}

char *probe_attribute(int variant) {
	janus_sdp_attribute *a = NULL;
	char big[700];
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	if(variant == 0)
		a = janus_sdp_attribute_create("fmtp", "%d profile-level-id=%s;packetization-mode=%u", 126, "42e01f", 1u);
	else if(variant == 1)
		a = janus_sdp_attribute_create("long", "%s", big);
	else if(variant == 2)
		a = janus_sdp_attribute_create("flag", NULL);
	else
		a = janus_sdp_attribute_create(NULL, "x");
	if(a == NULL)
		return NULL;
	char *text = g_strdup_printf("%s|%s|%d|%zu", a->name, a->value ? a->value : "(none)",
		a->direction, a->value ? strlen(a->value) : 0);
	/* Drop the creator's reference the way janus_sdp_attribute_destroy's inline users do */
	if(__atomic_fetch_sub(&a->ref.count, 1, __ATOMIC_SEQ_CST) == 1)
		a->ref.free(&a->ref);
	return text;
}

/* Parse, then edit like the SIP/VideoRoom/EchoTest plugins do, write and destroy. */
char *probe_mutation(const char *text) {
	char error[128];
	janus_sdp *sdp = janus_sdp_parse(text, error, sizeof(error));
	if(sdp == NULL)
		return g_strdup(error);
	g_free(sdp->c_addr);
	sdp->c_addr = g_strdup("192.0.2.1");
	g_free(sdp->s_name);
	sdp->s_name = g_strdup("Edited");
	sdp->o_version++;
	GList *temp = sdp->m_lines;
	while(temp) {
		janus_sdp_mline *m = (janus_sdp_mline *)temp->data;
		if(m->type == JANUS_SDP_AUDIO) {
			m->direction = JANUS_SDP_SENDONLY;
			g_free(m->proto);
			m->proto = g_strdup("RTP/AVP");
			m->c_addr = g_strdup("192.0.2.2");
			janus_sdp_attribute *a = janus_sdp_attribute_create("ptime", "%d", 20);
			m->attributes = g_list_append(m->attributes, a);
			janus_sdp_attribute_add_to_mline(m, janus_sdp_attribute_create("label", "%s-%d", "mic", 1));
			/* Module-side removal of attributes by name, as the SIP plugin does */
			GList *ma = m->attributes;
			while(ma) {
				janus_sdp_attribute *at = (janus_sdp_attribute *)ma->data;
				if(at->name && !strcmp(at->name, "ssrc")) {
					m->attributes = g_list_delete_link(m->attributes, ma);
					ma = m->attributes;
					if(__atomic_fetch_sub(&at->ref.count, 1, __ATOMIC_SEQ_CST) == 1)
						at->ref.free(&at->ref);
					continue;
				}
				ma = ma->next;
			}
		} else if(m->type == JANUS_SDP_VIDEO) {
			m->b_name = m->b_name ? m->b_name : g_strdup("AS");
			m->b_value = 256;
			janus_sdp_remove_payload_type(sdp, m->index, 97);
		} else {
			m->port = 0;
		}
		temp = temp->next;
	}
	/* A reference held by the module across the destroy, as janus_sdp_write does */
	__atomic_fetch_add(&sdp->ref.count, 1, __ATOMIC_SEQ_CST);
	char *first = janus_sdp_write(sdp);
	char *second = janus_sdp_write(sdp);
	janus_sdp_destroy(sdp);
	janus_sdp_destroy(sdp);
	char *result = g_strdup_printf("%s%s", first, strcmp(first, second) ? "SECOND WRITE DIFFERS" : "");
	if(__atomic_fetch_sub(&sdp->ref.count, 1, __ATOMIC_SEQ_CST) == 1)
		sdp->ref.free(&sdp->ref);
	g_free(first);
	g_free(second);
	return result;
}

/* The read-only helpers, on a parsed SDP: "name=value" pairs. */
char *probe_helpers(const char *text) {
	janus_sdp *sdp = janus_sdp_parse(text, NULL, 0);
	if(sdp == NULL)
		return NULL;
	const char *first_audio = NULL, *first_video = NULL, *pref_video = NULL;
	janus_sdp_find_first_codec(sdp, JANUS_SDP_AUDIO, -1, &first_audio);
	janus_sdp_find_first_codec(sdp, JANUS_SDP_VIDEO, -1, &first_video);
	janus_sdp_find_preferred_codec(sdp, JANUS_SDP_VIDEO, -1, &pref_video);
	janus_sdp_mline *v = janus_sdp_mline_find(sdp, JANUS_SDP_VIDEO);
	janus_sdp_mline *by_index = janus_sdp_mline_find_by_index(sdp, 1);
	const char *fmtp = janus_sdp_get_fmtp(sdp, 0, 111);
	/* The fmtp must point into the tree itself */
	gboolean inside = FALSE;
	janus_sdp_mline *a = janus_sdp_mline_find(sdp, JANUS_SDP_AUDIO);
	for(GList *l = a ? a->attributes : NULL; l; l = l->next) {
		janus_sdp_attribute *at = l->data;
		if(at->value && fmtp >= at->value && fmtp < at->value + strlen(at->value))
			inside = TRUE;
	}
	char *profile = janus_sdp_get_video_profile(JANUS_VIDEOCODEC_H264, janus_sdp_get_fmtp(sdp, 1, 102));
	char codec_copy[] = "VP9";
	char *text_out = g_strdup_printf(
		"first_audio=%s first_video=%s preferred_video=%s video_index=%d same=%d fmtp=%s inside=%d "
		"opus=%d h264_42001f=%d vp9_2=%d red=%d name63=%s name0=%s rtpmap=%s codec=%s match=%s "
		"profile=%s dir=%d dir_bad=%d",
		first_audio, first_video, pref_video, v ? v->index : -1, v == by_index, fmtp, inside,
		janus_sdp_get_codec_pt(sdp, -1, "opus"), janus_sdp_get_codec_pt_full(sdp, -1, "h264", "42001f"),
		janus_sdp_get_codec_pt_full(sdp, 1, "vp9", "2"), janus_sdp_get_opusred_pt(sdp, -1),
		janus_sdp_get_codec_name(sdp, 0, 63), janus_sdp_get_codec_name(sdp, -1, 0),
		janus_sdp_get_codec_rtpmap("h265"), janus_sdp_get_rtpmap_codec("AV1/90000"),
		janus_sdp_match_preferred_codec(JANUS_SDP_VIDEO, codec_copy),
		profile, janus_sdp_parse_mdirection("RecvOnly"), janus_sdp_parse_mdirection("both"));
	g_free(profile);
	janus_sdp_destroy(sdp);
	return text_out;
}
