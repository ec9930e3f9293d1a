/* Janus 1.1.2 ABI: core event dispatch, as seen by event handler sources that include
 * "../events.h" (not installed by Debian; written for this project). */
#ifndef JANUS_EVENTS_H
#define JANUS_EVENTS_H

#include "debug.h"
#include "events/eventhandler.h"

/* Core-side lifecycle of the event dispatcher. */
int janus_events_init(gboolean enabled, char *server_name, GHashTable *handlers);
void janus_events_deinit(void);
gboolean janus_events_is_enabled(void);
/* Variadic tail depends on type, see the inventory. */
void janus_events_notify_handlers(int type, int subtype, guint64 session_id, ...);

/* Parses a comma separated list of type labels ("none", "all", "sessions", "webrtc", ...) into a mask. */
void janus_events_edit_events_mask(const char *list, janus_flags *target);
/* Label ("sessions", "handles", ...) and display name ("Sessions", "Handles", ...) of one type bit; NULL if unknown. */
const char *janus_events_type_to_label(int type);
const char *janus_events_type_to_name(int type);

#endif
