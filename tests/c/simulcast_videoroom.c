/* Drives the core's simulcast helpers the way the stock VideoRoom (and EchoTest) plugins do:
 * prepare from the JSEP "simulcast" object, learn SSRCs from the rid extension, pick the
 * substream/temporal layer per subscriber, rewrite the VP8 descriptor, clean up. Built against
 * the Janus headers and loaded like a plugin; run_simulcast returns 0 or writes what failed.
 *
 * GLib's mutex calls are used directly instead of janus_mutex_lock(), whose inline expansion
 * also needs the core's lock_debug/janus_vprintf, which are not under test here. */

#include <string.h>
#include <arpa/inet.h>
#include <glib.h>
#include <jansson.h>

#include "rtp.h"
#include "utils.h"

#define CHECK(cond) do { if(!(cond)) { g_snprintf(error, error_len, "%s:%d: %s", __FILE__, __LINE__, #cond); return -1; } } while(0)

#define RID_EXT_ID 4

/* An RTP packet carrying a VP8 payload descriptor (X, S; I with a 15-bit picture id, L, T)
 * and, if rid is not NULL, a one-byte rid extension. Returns its length. */
static int vp8_packet(char *buf, uint32_t ssrc, uint16_t seq, const char *rid,
		gboolean key, uint16_t picid, uint8_t tl0picidx, uint8_t tid) {
	int len = 12;
	janus_rtp_header *header = (janus_rtp_header *)buf;
	memset(buf, 0, 12);
	header->version = 2;
	header->type = 96;
	header->seq_number = htons(seq);
	header->timestamp = htonl(seq * 3000);
	header->ssrc = htonl(ssrc);
	if(rid != NULL) {
		int rlen = strlen(rid);
		int words = (1 + rlen + 3) / 4;
		header->extension = 1;
		uint16_t profile = htons(0xBEDE), length = htons(words);
		memcpy(buf + len, &profile, 2);
		memcpy(buf + len + 2, &length, 2);
		len += 4;
		memset(buf + len, 0, words * 4);
		buf[len] = (RID_EXT_ID << 4) | (rlen - 1);
		memcpy(buf + len + 1, rid, rlen);
		len += words * 4;
	}
	uint8_t vp8[] = { 0x90, 0xe0, 0x80 | (picid >> 8), picid & 0xff, tl0picidx, tid << 6,
		key ? 0x10 : 0x11, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01 };
	memcpy(buf + len, vp8, sizeof(vp8));
	return len + sizeof(vp8);
}

/* The subscriber's relay path of janus_videoroom_relay_rtp_packet(). Returns whether the
 * packet was relayed. */
static gboolean relay(janus_rtp_simulcasting_context *sim, janus_vp8_simulcast_context *vp8,
		janus_rtp_switching_context *context, char *buf, int len, uint32_t *vssrc) {
	int plen = 0;
	char *payload = janus_rtp_payload(buf, len, &plen);
	if(payload == NULL)
		return FALSE;
	if(!janus_rtp_simulcasting_context_process_rtp(sim, buf, len, vssrc, NULL,
			JANUS_VIDEOCODEC_VP8, context, NULL))
		return FALSE;
	janus_vp8_simulcast_descriptor_update(payload, plen, vp8, sim->changed_substream);
	return TRUE;
}

static uint16_t picture_id(const char *buf, int len) {
	int plen = 0;
	char *payload = janus_rtp_payload((char *)buf, len, &plen);
	return (((uint8_t)payload[2] & 0x7f) << 8) | (uint8_t)payload[3];
}

static uint8_t tl0picidx(const char *buf, int len) {
	int plen = 0;
	char *payload = janus_rtp_payload((char *)buf, len, &plen);
	return (uint8_t)payload[4];
}

int run_simulcast(char *error, size_t error_len) {
	char buf[1500];
	int len;

	/* Publisher: the core's JSEP carries the rids in SDP order (high to low). */
	int rid_extmap_id = -1;
	uint32_t vssrc[3] = { 0, 0, 0 };
	char *rid[3] = { NULL, NULL, NULL };
	GMutex rid_mutex;
	g_mutex_init(&rid_mutex);
	json_t *simulcast = json_pack("{s:[s,s,s],s:i}", "rids", "h", "m", "l", "rid-ext", RID_EXT_ID);
	CHECK(simulcast != NULL);
	janus_rtp_simulcasting_prepare(simulcast, &rid_extmap_id, vssrc, rid);
	json_decref(simulcast);
	CHECK(rid_extmap_id == RID_EXT_ID);
	CHECK(rid[0] && !strcmp(rid[0], "l") && rid[1] && !strcmp(rid[1], "m") && rid[2] && !strcmp(rid[2], "h"));

	/* Publisher's incoming_rtp: unknown SSRCs are matched through the rid extension. */
	const uint32_t ssrcs[3] = { 1000, 2000, 3000 };
	const char *names[3] = { "l", "m", "h" };
	for(int i = 0; i < 3; i++) {
		len = vp8_packet(buf, ssrcs[i], 1, names[i], FALSE, 1, 1, 0);
		char sdes_item[16];
		g_mutex_lock(&rid_mutex);
		if(janus_rtp_header_extension_parse_rid(buf, len, rid_extmap_id, sdes_item, sizeof(sdes_item)) == 0) {
			for(int j = 0; j < 3; j++)
				if(rid[j] != NULL && !strcmp(rid[j], sdes_item))
					vssrc[j] = ntohl(((janus_rtp_header *)buf)->ssrc);
		}
		g_mutex_unlock(&rid_mutex);
	}
	CHECK(vssrc[0] == 1000 && vssrc[1] == 2000 && vssrc[2] == 3000);

	/* Subscriber wants the high substream and all temporal layers. */
	janus_rtp_simulcasting_context sim;
	janus_rtp_simulcasting_context_reset(&sim);
	CHECK(sim.substream == -1 && sim.templayer == -1 && sim.rid_ext_id == -1 && sim.substream_target_temp == -1);
	sim.substream_target = 2;
	sim.templayer_target = 2;
	janus_vp8_simulcast_context vp8;
	janus_vp8_simulcast_context_reset(&vp8);
	janus_rtp_switching_context context;
	memset(&context, 0, sizeof(context));

	/* Nothing until a keyframe. */
	len = vp8_packet(buf, 1000, 10, NULL, FALSE, 500, 20, 0);
	CHECK(!relay(&sim, &vp8, &context, buf, len, vssrc));
	/* Keyframe on the low substream: start there; descriptor renumbered from 1. */
	len = vp8_packet(buf, 1000, 11, NULL, TRUE, 500, 20, 0);
	CHECK(relay(&sim, &vp8, &context, buf, len, vssrc));
	CHECK(sim.substream == 0 && sim.changed_substream);
	CHECK(picture_id(buf, len) == 1 && tl0picidx(buf, len) == 1);
	/* Keyframe on the high substream: switch, numbering continues. */
	len = vp8_packet(buf, 3000, 50, NULL, TRUE, 7000, 3, 0);
	CHECK(relay(&sim, &vp8, &context, buf, len, vssrc));
	CHECK(sim.substream == 2 && sim.changed_substream);
	CHECK(picture_id(buf, len) == 2 && tl0picidx(buf, len) == 2);
	len = vp8_packet(buf, 1000, 12, NULL, FALSE, 501, 20, 0);
	CHECK(!relay(&sim, &vp8, &context, buf, len, vssrc));
	len = vp8_packet(buf, 3000, 51, NULL, FALSE, 7001, 3, 1);
	CHECK(relay(&sim, &vp8, &context, buf, len, vssrc));
	CHECK(!sim.changed_substream && picture_id(buf, len) == 3);

	/* Cap the temporal layer at 0: once a layer-0 packet arrives, layer 1 is dropped and the
	 * switching context's base sequence number moves on so the relayed ones stay gapless. */
	sim.templayer_target = 0;
	len = vp8_packet(buf, 3000, 52, NULL, FALSE, 7002, 4, 0);
	CHECK(relay(&sim, &vp8, &context, buf, len, vssrc));
	CHECK(sim.templayer == 0 && sim.changed_temporal);
	len = vp8_packet(buf, 3000, 53, NULL, FALSE, 7003, 4, 1);
	CHECK(!relay(&sim, &vp8, &context, buf, len, vssrc));
	CHECK(context.base_seq == 1);

	/* EchoTest style: process_rtp learns the SSRC from the rid itself, under the mutex. */
	janus_rtp_simulcasting_context echo;
	janus_rtp_simulcasting_context_reset(&echo);
	echo.rid_ext_id = rid_extmap_id;
	echo.substream_target = 1;
	uint32_t echo_ssrcs[3] = { 0, 0, 0 };
	len = vp8_packet(buf, 2222, 1, "m", TRUE, 9, 9, 0);
	CHECK(janus_rtp_simulcasting_context_process_rtp(&echo, buf, len, echo_ssrcs, rid,
		JANUS_VIDEOCODEC_VP8, NULL, &rid_mutex));
	CHECK(echo_ssrcs[1] == 2222 && echo.substream == 1 && echo.changed_substream);
	len = vp8_packet(buf, 4444, 1, "x", TRUE, 9, 9, 0);
	CHECK(!janus_rtp_simulcasting_context_process_rtp(&echo, buf, len, echo_ssrcs, rid,
		JANUS_VIDEOCODEC_VP8, NULL, &rid_mutex));

	/* Renegotiation / hangup. */
	janus_rtp_simulcasting_cleanup(&rid_extmap_id, vssrc, rid, &rid_mutex);
	CHECK(rid_extmap_id == -1 && !vssrc[0] && !vssrc[1] && !vssrc[2]);
	CHECK(!rid[0] && !rid[1] && !rid[2]);

	/* RecordPlay style RED handling: blocks point into our buffer, we free the list. */
	char red[] = { (char)0xef, 0x0f, 0x00, 0x02, 0x6f, 0x0a, 0x0b, 0x0c, 0x0d };
	GList *blocks = janus_red_parse_blocks(red, sizeof(red));
	CHECK(g_list_length(blocks) == 2);
	janus_red_block *first = blocks->data, *primary = blocks->next->data;
	CHECK(first->pt == 111 && first->ts_offset == 960 && first->length == 2 && first->data == (uint8_t *)red + 5);
	CHECK(primary->pt == 111 && primary->length == 2 && primary->data == (uint8_t *)red + 7);
	g_list_free_full(blocks, (GDestroyNotify)g_free);

	g_mutex_clear(&rid_mutex);
	return 0;
}
