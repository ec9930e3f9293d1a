/* Janus 1.1.2 ABI: transport plugin interface, transport API version 8 (written for this project). */
#ifndef JANUS_TRANSPORT_H
#define JANUS_TRANSPORT_H

#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ctype.h>
#include <unistd.h>
#include <inttypes.h>
#include <glib.h>
#include <jansson.h>
#include "../refcount.h"

/* The core refuses transports whose get_api_compatibility() returns less than this. */
#define JANUS_TRANSPORT_API_VERSION 8

/* Initializer for a janus_transport: every method NULL, then the caller's designators. */
#define JANUS_TRANSPORT_INIT(...) { \
		.init = NULL, \
		.destroy = NULL, \
		.get_api_compatibility = NULL, \
		.get_version = NULL, \
		.get_version_string = NULL, \
		.get_description = NULL, \
		.get_name = NULL, \
		.get_author = NULL, \
		.get_package = NULL, \
		.is_janus_api_enabled = NULL, \
		.is_admin_api_enabled = NULL, \
		.send_message = NULL, \
		.session_created = NULL, \
		.session_over = NULL, \
		.session_claimed = NULL, \
		.query_transport = NULL, \
		## __VA_ARGS__ }

typedef struct janus_transport_callbacks janus_transport_callbacks;
typedef struct janus_transport janus_transport;
typedef struct janus_transport_session janus_transport_session;

/* One client connection as seen by the core; transport_p is the transport's own state. */
struct janus_transport_session {
	void *transport_p;
	void (*p_free)(void *);     /* frees transport_p when the session goes */
	volatile gint destroyed;
	janus_mutex mutex;
	janus_refcount ref;
};

janus_transport_session *janus_transport_session_create(void *transport_p, void (*p_free)(void *));
void janus_transport_session_destroy(janus_transport_session *session);

/* Methods a transport exposes (returned by its create()). */
struct janus_transport {
	int (* const init)(janus_transport_callbacks *callback, const char *config_path);
	void (* const destroy)(void);
	int (* const get_api_compatibility)(void);
	int (* const get_version)(void);
	const char *(* const get_version_string)(void);
	const char *(* const get_description)(void);
	const char *(* const get_name)(void);
	const char *(* const get_author)(void);
	const char *(* const get_package)(void);
	gboolean (* const is_janus_api_enabled)(void);
	gboolean (* const is_admin_api_enabled)(void);
	int (* const send_message)(janus_transport_session *transport, void *request_id, gboolean admin, json_t *message);
	void (* const session_created)(janus_transport_session *transport, guint64 session_id);
	void (* const session_over)(janus_transport_session *transport, guint64 session_id, gboolean timeout, gboolean claimed);
	void (* const session_claimed)(janus_transport_session *transport, guint64 session_id);
	json_t *(* const query_transport)(json_t *request);
};

/* Services the core offers to a transport (passed to init). */
struct janus_transport_callbacks {
	void (* const incoming_request)(janus_transport *plugin, janus_transport_session *transport, void *request_id, gboolean admin, json_t *message, json_error_t *error);
	void (* const transport_gone)(janus_transport *plugin, janus_transport_session *transport);
	gboolean (* const is_api_secret_needed)(janus_transport *plugin);
	gboolean (* const is_api_secret_valid)(janus_transport *plugin, const char *apisecret);
	gboolean (* const is_auth_token_needed)(janus_transport *plugin);
	gboolean (* const is_auth_token_valid)(janus_transport *plugin, const char *token);
	gboolean (* const events_is_enabled)(void);
	void (* const notify_event)(janus_transport *plugin, void *transport, json_t *event);
};

/* Type of the "create" symbol every transport library exports. */
typedef janus_transport* create_t(void);

#endif
