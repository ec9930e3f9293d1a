/* Janus 1.1.2 ABI: MJR recorder (written for this project). */
#ifndef JANUS_RECORD_H
#define JANUS_RECORD_H

#include <inttypes.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include "mutex.h"
#include "refcount.h"
#include "rtp.h"

typedef enum janus_recorder_medium {
	JANUS_RECORDER_AUDIO,
	JANUS_RECORDER_VIDEO,
	JANUS_RECORDER_DATA
} janus_recorder_medium;

/* One .mjr file being written. */
typedef struct janus_recorder {
	char *dir;
	char *filename;
	FILE *file;
	char *codec;
	char *fmtp;
	char *description;
	GHashTable *extensions;         /* extmap id -> URI */
	gint64 created, started;
	janus_recorder_medium type;
	int opusred_pt;
	gboolean encrypted;
	volatile int header;            /* info header written */
	volatile int writable;
	volatile int paused;
	janus_rtp_switching_context context;
	janus_mutex mutex;
	volatile gint destroyed;
	janus_refcount ref;
} janus_recorder;

/* Global settings: temporary ".tmp" names while recording, and the file extension. */
void janus_recorder_init(gboolean tempnames, const char *extension);
void janus_recorder_deinit(void);

janus_recorder *janus_recorder_create(const char *dir, const char *codec, const char *filename);
janus_recorder *janus_recorder_create_full(const char *dir, const char *codec, const char *fmtp, const char *filename);
int janus_recorder_pause(janus_recorder *recorder);
int janus_recorder_resume(janus_recorder *recorder);
/* Metadata, accepted only before the first frame. */
int janus_recorder_add_extmap(janus_recorder *recorder, int id, const char *extmap);
int janus_recorder_description(janus_recorder *recorder, const char *description);
int janus_recorder_opusred(janus_recorder *recorder, int red_pt);
int janus_recorder_encrypted(janus_recorder *recorder);
int janus_recorder_save_frame(janus_recorder *recorder, char *buffer, uint length);
int janus_recorder_close(janus_recorder *recorder);
void janus_recorder_destroy(janus_recorder *recorder);

#endif
