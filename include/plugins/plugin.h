/* Janus 1.1.2 ABI: media plugin interface, plugin API version 102 (written for this project). */
#ifndef JANUS_PLUGIN_H
#define JANUS_PLUGIN_H

#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ctype.h>
#include <unistd.h>
#include <inttypes.h>
#include <glib.h>
#include "../refcount.h"

/* The core refuses plugins whose get_api_compatibility() returns less than this. */
#define JANUS_PLUGIN_API_VERSION 102

/* Initializer for a janus_plugin: every method NULL, then the caller's designators. */
#define JANUS_PLUGIN_INIT(...) { \
		.init = NULL, \
		.destroy = NULL, \
		.get_api_compatibility = NULL, \
		.get_version = NULL, \
		.get_version_string = NULL, \
		.get_description = NULL, \
		.get_name = NULL, \
		.get_author = NULL, \
		.get_package = NULL, \
		.create_session = NULL, \
		.handle_message = NULL, \
		.handle_admin_message = NULL, \
		.setup_media = NULL, \
		.incoming_rtp = NULL, \
		.incoming_rtcp = NULL, \
		.incoming_data = NULL, \
		.data_ready = NULL, \
		.slow_link = NULL, \
		.hangup_media = NULL, \
		.destroy_session = NULL, \
		.query_session = NULL, \
		## __VA_ARGS__ }

typedef struct janus_callbacks janus_callbacks;
typedef struct janus_plugin janus_plugin;
typedef struct janus_plugin_session janus_plugin_session;
typedef struct janus_plugin_result janus_plugin_result;
typedef struct janus_plugin_rtp janus_plugin_rtp;
typedef struct janus_plugin_rtp_extensions janus_plugin_rtp_extensions;
typedef struct janus_plugin_rtcp janus_plugin_rtcp;
typedef struct janus_plugin_data janus_plugin_data;
/* jansson's object type, declared here so this header does not need jansson.h */
typedef struct json_t json_t;

/* The link between a core handle and the plugin's own session. */
struct janus_plugin_session {
	void *gateway_handle;    /* owned by the core */
	void *plugin_handle;     /* set by the plugin in create_session */
	volatile gint stopped;   /* set once the handle is going away */
	janus_refcount ref;
};

/* Methods a plugin exposes (returned by its create()). */
struct janus_plugin {
	int (* const init)(janus_callbacks *callback, const char *config_path);
	void (* const destroy)(void);
	int (* const get_api_compatibility)(void);
	int (* const get_version)(void);
	const char *(* const get_version_string)(void);
	const char *(* const get_description)(void);
	const char *(* const get_name)(void);
	const char *(* const get_author)(void);
	const char *(* const get_package)(void);
	void (* const create_session)(janus_plugin_session *handle, int *error);
	struct janus_plugin_result * (* const handle_message)(janus_plugin_session *handle, char *transaction, json_t *message, json_t *jsep);
	struct json_t * (* const handle_admin_message)(json_t *message);
	void (* const setup_media)(janus_plugin_session *handle);
	void (* const incoming_rtp)(janus_plugin_session *handle, janus_plugin_rtp *packet);
	void (* const incoming_rtcp)(janus_plugin_session *handle, janus_plugin_rtcp *packet);
	void (* const incoming_data)(janus_plugin_session *handle, janus_plugin_data *packet);
	void (* const data_ready)(janus_plugin_session *handle);
	void (* const slow_link)(janus_plugin_session *handle, int mindex, gboolean video, gboolean uplink);
	void (* const hangup_media)(janus_plugin_session *handle);
	void (* const destroy_session)(janus_plugin_session *handle, int *error);
	json_t *(* const query_session)(janus_plugin_session *handle);
};

/* Services the core offers to a plugin (passed to init). */
struct janus_callbacks {
	int (* const push_event)(janus_plugin_session *handle, janus_plugin *plugin, const char *transaction, json_t *message, json_t *jsep);
	void (* const relay_rtp)(janus_plugin_session *handle, janus_plugin_rtp *packet);
	void (* const relay_rtcp)(janus_plugin_session *handle, janus_plugin_rtcp *packet);
	void (* const relay_data)(janus_plugin_session *handle, janus_plugin_data *packet);
	void (* const send_pli)(janus_plugin_session *handle);
	void (* const send_pli_stream)(janus_plugin_session *handle, int mindex);
	void (* const send_remb)(janus_plugin_session *handle, guint32 bitrate);
	void (* const close_pc)(janus_plugin_session *handle);
	void (* const end_session)(janus_plugin_session *handle);
	gboolean (* const events_is_enabled)(void);
	void (* const notify_event)(janus_plugin *plugin, janus_plugin_session *handle, json_t *event);
	gboolean (* const auth_is_signed)(void);
	gboolean (* const auth_is_signature_valid)(janus_plugin *plugin, const char *token);
	gboolean (* const auth_signature_contains)(janus_plugin *plugin, const char *token, const char *descriptor);
};

/* Type of the "create" symbol every plugin library exports. */
typedef janus_plugin* create_p(void);

/* Outcome of handle_message. */
typedef enum janus_plugin_result_type {
	JANUS_PLUGIN_ERROR = -1,
	JANUS_PLUGIN_OK,          /* synchronous answer in content */
	JANUS_PLUGIN_OK_WAIT,     /* acknowledged, the answer comes later via push_event */
} janus_plugin_result_type;

struct janus_plugin_result {
	janus_plugin_result_type type;
	const char *text;         /* error text or hint: borrowed, never freed (use a static string) */
	json_t *content;          /* reference taken over by the result */
};

janus_plugin_result *janus_plugin_result_new(janus_plugin_result_type type, const char *text, json_t *content);
void janus_plugin_result_destroy(janus_plugin_result *result);

/* Parsed RTP header extensions travelling with a packet; -1/0 when absent. */
struct janus_plugin_rtp_extensions {
	int8_t audio_level;
	gboolean audio_level_vad;
	int16_t video_rotation;
	gboolean video_back_camera;
	gboolean video_flipped;
	int16_t min_delay, max_delay;
	uint8_t dd_len;
	uint8_t dd_content[256];  /* AV1 dependency descriptor */
};
void janus_plugin_rtp_extensions_reset(janus_plugin_rtp_extensions *extensions);

/* One RTP packet of the stream with m-line index mindex. */
struct janus_plugin_rtp {
	int mindex;
	gboolean video;
	char *buffer;
	uint16_t length;
	janus_plugin_rtp_extensions extensions;
};
void janus_plugin_rtp_reset(janus_plugin_rtp *packet);

/* One RTCP compound packet. */
struct janus_plugin_rtcp {
	int mindex;
	gboolean video;
	char *buffer;
	uint16_t length;
};
void janus_plugin_rtcp_reset(janus_plugin_rtcp *packet);

/* One data channel message. */
struct janus_plugin_data {
	char *label;
	char *protocol;
	gboolean binary;
	char *buffer;
	uint16_t length;
};
void janus_plugin_data_reset(janus_plugin_data *packet);

#endif
