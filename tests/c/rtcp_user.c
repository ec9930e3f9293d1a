/* A module-side user of the core's RTCP helpers, as videoroom/streaming use them: it builds
 * feedback with the core, reads it back through the header's bitfields and structs, and
 * lets the core update a janus_rtcp_context it owns. Returns 0, or the number of the first
 * check that failed. */
#include <string.h>
#include <arpa/inet.h>
#include <glib.h>
#include "rtcp.h"

int rtcp_user_run(void) {
	char buf[64];
	/* PLI through the bitfields a plugin would read. */
	memset(buf, 0xaa, sizeof(buf));
	if(janus_rtcp_pli(buf, 12) != 12)
		return 1;
	janus_rtcp_header *h = (janus_rtcp_header *)buf;
	if(h->version != 2 || h->padding != 0 || h->rc != 1 || h->type != RTCP_PSFB || ntohs(h->length) != 2)
		return 2;
	if(!janus_rtcp_has_pli(buf, 12) || janus_rtcp_has_fir(buf, 12))
		return 3;
	if(janus_rtcp_pli(buf, 16) != -1 || janus_rtcp_pli(NULL, 12) != -1)
		return 4;
	/* REMB: fill the SSRC through the structs, read the bitrate back. */
	if(janus_rtcp_remb(buf, 24, 1000000) != 24)
		return 5;
	janus_rtcp_fb *fb = (janus_rtcp_fb *)buf;
	janus_rtcp_fb_remb *remb = (janus_rtcp_fb_remb *)fb->fci;
	if(memcmp(remb->id, "REMB", 4) || fb->header.rc != 15)
		return 6;
	fb->ssrc = htonl(0x11111111);
	remb->ssrc[0] = htonl(0x22222222);
	if(janus_rtcp_get_remb(buf, 24) != 1000000 || janus_rtcp_get_sender_ssrc(buf, 24) != 0x11111111)
		return 7;
	if(!janus_rtcp_check_len(h, 24) || janus_rtcp_check_len(h, 20) || !janus_rtcp_check_fci(h, 24, 0))
		return 8;
	/* fix_ssrc: rewrite, and statistics into a context the module owns. */
	if(janus_rtcp_fix_ssrc(NULL, buf, 24, 1, 0x33333333, 0x44444444) != 0)
		return 9;
	if(ntohl(fb->ssrc) != 0x33333333 || fb->media != 0 || ntohl(remb->ssrc[0]) != 0x44444444)
		return 10;
	janus_rtcp_rr rr;
	memset(&rr, 0, sizeof(rr));
	rr.header.version = 2;
	rr.header.rc = 1;
	rr.header.type = RTCP_RR;
	rr.header.length = htons(7);
	rr.ssrc = htonl(5);
	rr.rb[0].ssrc = htonl(6);
	rr.rb[0].flcnpl = htonl(0x20000009);
	rr.rb[0].jitter = htonl(321);
	janus_rtcp_context ctx;
	memset(&ctx, 0, sizeof(ctx));
	if(janus_rtcp_fix_ssrc(&ctx, (char *)&rr, sizeof(rr), 0, 0, 0) != 0)
		return 11;
	if(ctx.lost_remote != 9 || ctx.jitter_remote != 321.0 || ntohl(rr.ssrc) != 5)
		return 12;
	if(janus_rtcp_fix_ssrc(&ctx, (char *)&rr, 20, 0, 0, 0) != -2 || janus_rtcp_fix_ssrc(&ctx, NULL, 20, 0, 0, 0) != -1)
		return 13;
	if(!janus_is_rtcp((char *)&rr, sizeof(rr)) || janus_is_rtcp((char *)&rr, 7))
		return 14;
	if(sizeof(janus_rtcp_context) != 176)
		return 15;
	return 0;
}
