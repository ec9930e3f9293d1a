/* An event handler and a logger that record what the core hands them, to check Janus'
 * calling conventions from the module's side: init arguments, the live events_mask, and
 * ownership (incoming_event borrows the event, handle_request borrows the request and
 * gives its response away, incoming_logline borrows the line). */

#include <string.h>

#include <glib.h>
#include <jansson.h>

#include "events.h"
#include "events/eventhandler.h"
#include "loggers/logger.h"

/* Built twice: as is, an event handler; included by logger_probe.c, a logger (each kind
 * has its own create()). */

#define PROBE_MAX 16

static char *evh_folder, *logger_server, *logger_folder;
static json_t *kept[PROBE_MAX];
static size_t refcount_on_entry[PROBE_MAX];
static int kept_count, evh_destroyed, logger_destroyed;
static size_t request_refcount;
static char *lines[PROBE_MAX];
static gint64 line_stamps[PROBE_MAX];
static int line_count;

#ifdef PROBE_LOGGER
static int probe_api(void) { return JANUS_LOGGER_API_VERSION; }
#else
static int probe_api(void) { return JANUS_EVENTHANDLER_API_VERSION; }
#endif
static int probe_version(void) { return 1; }
static const char *probe_version_string(void) { return "0.0.1"; }
static const char *probe_description(void) { return "Records what the core hands it"; }

#ifndef PROBE_LOGGER
static const char *evh_name(void) { return "Probe event handler"; }
static const char *evh_package(void) { return "test.eventhandler.probe"; }
static janus_eventhandler evh_probe;

static int evh_init(const char *config_path) {
	evh_folder = g_strdup(config_path);
	janus_events_edit_events_mask("sessions, core", &evh_probe.events_mask);
	return -1;	/* ignored by the core */
}

static void evh_destroy(void) {
	evh_destroyed++;
}

static void evh_incoming_event(json_t *event) {
	if(kept_count == PROBE_MAX)
		return;
	refcount_on_entry[kept_count] = event->refcount;
	kept[kept_count++] = json_incref(event);
}

static json_t *evh_handle_request(json_t *request) {
	request_refcount = request ? request->refcount : 0;
	json_t *response = json_object();
	json_object_set_new(response, "seen", request ? json_deep_copy(request) : json_null());
	return response;
}

static janus_eventhandler evh_probe = JANUS_EVENTHANDLER_INIT(
	.init = evh_init,
	.destroy = evh_destroy,
	.get_api_compatibility = probe_api,
	.get_version = probe_version,
	.get_version_string = probe_version_string,
	.get_description = probe_description,
	.get_name = evh_name,
	.get_author = evh_name,
	.get_package = evh_package,
	.incoming_event = evh_incoming_event,
	.handle_request = evh_handle_request,
);

janus_eventhandler *create(void) { return &evh_probe; }
void probe_set_mask(size_t mask) { evh_probe.events_mask = mask; }

#else
static const char *logger_name(void) { return "Probe logger"; }
static const char *logger_package(void) { return "test.logger.probe"; }

static int logger_init(const char *server_name, const char *config_path) {
	logger_server = g_strdup(server_name);
	logger_folder = g_strdup(config_path);
	return -1;	/* ignored by the core */
}

static void logger_destroy(void) {
	logger_destroyed++;
}

static void logger_incoming_logline(int64_t timestamp, const char *line) {
	if(line_count == PROBE_MAX)
		return;
	line_stamps[line_count] = timestamp;
	lines[line_count++] = g_strdup(line);
}

static janus_logger logger_probe = JANUS_LOGGER_INIT(
	.init = logger_init,
	.destroy = logger_destroy,
	.get_api_compatibility = probe_api,
	.get_version = probe_version,
	.get_version_string = probe_version_string,
	.get_description = probe_description,
	.get_name = logger_name,
	.get_author = logger_name,
	.get_package = logger_package,
	.incoming_logline = logger_incoming_logline,
);

janus_logger *create(void) { return &logger_probe; }
#endif

/* What the test reads back. */
const char *probe_evh_folder(void) { return evh_folder; }
const char *probe_logger_server(void) { return logger_server; }
const char *probe_logger_folder(void) { return logger_folder; }
int probe_kept_count(void) { return kept_count; }
size_t probe_refcount_on_entry(int i) { return refcount_on_entry[i]; }
/* The module's reference is the only one left once the core is done with an event. */
size_t probe_refcount_now(int i) { return kept[i]->refcount; }
char *probe_dump(int i) { return json_dumps(kept[i], JSON_COMPACT | JSON_PRESERVE_ORDER); }
size_t probe_request_refcount(void) { return request_refcount; }
int probe_evh_destroyed(void) { return evh_destroyed; }
int probe_logger_destroyed(void) { return logger_destroyed; }
int probe_line_count(void) { return line_count; }
const char *probe_line(int i) { return lines[i]; }
gint64 probe_line_stamp(int i) { return line_stamps[i]; }
