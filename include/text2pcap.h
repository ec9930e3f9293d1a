/* Janus 1.1.2 ABI: packet dumps in text2pcap or pcap format (written for this project). */
#ifndef JANUS_TEXT2PCAP_H
#define JANUS_TEXT2PCAP_H

#include <glib.h>
#include <inttypes.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include "mutex.h"

typedef struct janus_text2pcap {
	char *filename;
	FILE *file;
	int truncate;           /* bytes kept per packet, 0 = all */
	gboolean text;          /* text2pcap text rather than binary pcap */
	volatile int writable;
	janus_mutex mutex;
} janus_text2pcap;

typedef enum janus_text2pcap_packet {
	JANUS_TEXT2PCAP_RTP,
	JANUS_TEXT2PCAP_RTCP,
	JANUS_TEXT2PCAP_DATA
} janus_text2pcap_packet;

const char *janus_text2pcap_packet_string(janus_text2pcap_packet type);
janus_text2pcap *janus_text2pcap_create(const char *dir, const char *filename, int truncate, gboolean text);
int janus_text2pcap_dump(janus_text2pcap *instance,
	janus_text2pcap_packet type, gboolean incoming, char *buf, int len, const char *format, ...) G_GNUC_PRINTF(6, 7);
int janus_text2pcap_close(janus_text2pcap *instance);
void janus_text2pcap_free(janus_text2pcap *instance);

#endif
