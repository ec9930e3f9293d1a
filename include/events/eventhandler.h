/* Janus 1.1.2 ABI: event handler interface, event handler API version 3 (written for this project). */
#ifndef JANUS_EVENTHANDLER_H
#define JANUS_EVENTHANDLER_H

#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ctype.h>
#include <unistd.h>
#include <inttypes.h>
#include <glib.h>
#include <jansson.h>
#include "../utils.h"

/* The core refuses handlers whose get_api_compatibility() returns less than this. */
#define JANUS_EVENTHANDLER_API_VERSION 3

/* Event type bits; a handler's events_mask selects which ones it receives. */
#define JANUS_EVENT_TYPE_NONE       (0)
#define JANUS_EVENT_TYPE_SESSION    (1 << 0)
#define JANUS_EVENT_TYPE_HANDLE     (1 << 1)
#define JANUS_EVENT_TYPE_EXTERNAL   (1 << 2)
#define JANUS_EVENT_TYPE_JSEP       (1 << 3)
#define JANUS_EVENT_TYPE_WEBRTC     (1 << 4)
#define JANUS_EVENT_TYPE_MEDIA      (1 << 5)
#define JANUS_EVENT_TYPE_PLUGIN     (1 << 6)
#define JANUS_EVENT_TYPE_TRANSPORT  (1 << 7)
#define JANUS_EVENT_TYPE_CORE       (1 << 8)
#define JANUS_EVENT_TYPE_ALL        (0xffffffff)

/* Subtypes, numbered per type. */
#define JANUS_EVENT_SUBTYPE_NONE           0
#define JANUS_EVENT_SUBTYPE_CORE_STARTUP   1
#define JANUS_EVENT_SUBTYPE_CORE_SHUTDOWN  2
#define JANUS_EVENT_SUBTYPE_WEBRTC_ICE     1
#define JANUS_EVENT_SUBTYPE_WEBRTC_LCAND   2
#define JANUS_EVENT_SUBTYPE_WEBRTC_RCAND   3
#define JANUS_EVENT_SUBTYPE_WEBRTC_PAIR    4
#define JANUS_EVENT_SUBTYPE_WEBRTC_DTLS    5
#define JANUS_EVENT_SUBTYPE_WEBRTC_STATE   6
#define JANUS_EVENT_SUBTYPE_MEDIA_STATE    1
#define JANUS_EVENT_SUBTYPE_MEDIA_SLOWLINK 2
#define JANUS_EVENT_SUBTYPE_MEDIA_STATS    3

/* Initializer for a janus_eventhandler: every method NULL and an empty mask, then the caller's designators. */
#define JANUS_EVENTHANDLER_INIT(...) { \
		.init = NULL, \
		.destroy = NULL, \
		.get_api_compatibility = NULL, \
		.get_version = NULL, \
		.get_version_string = NULL, \
		.get_description = NULL, \
		.get_name = NULL, \
		.get_author = NULL, \
		.get_package = NULL, \
		.incoming_event = NULL, \
		.events_mask = JANUS_EVENT_TYPE_NONE, \
		## __VA_ARGS__ }

typedef struct janus_eventhandler janus_eventhandler;

/* Methods an event handler exposes (returned by its create()). */
struct janus_eventhandler {
	int (* const init)(const char *config_path);
	void (* const destroy)(void);
	int (* const get_api_compatibility)(void);
	int (* const get_version)(void);
	const char *(* const get_version_string)(void);
	const char *(* const get_description)(void);
	const char *(* const get_name)(void);
	const char *(* const get_author)(void);
	const char *(* const get_package)(void);
	void (* const incoming_event)(json_t *event);   /* the handler takes a reference if it keeps it */
	json_t *(* const handle_request)(json_t *request);
	janus_flags events_mask;
};

/* Type of the "create" symbol every event handler library exports. */
typedef janus_eventhandler* create_e(void);

#endif
