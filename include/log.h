/* Janus 1.1.2 ABI: core logging entry points (written for this project). */
#ifndef JANUS_LOG_H
#define JANUS_LOG_H

#include <stdio.h>
#include <glib.h>

/* printf-style sink every JANUS_LOG/JANUS_PRINT ends up in; the core adds no newline. */
void janus_vprintf(const char *format, ...) G_GNUC_PRINTF(1, 2);

/* Core-side lifecycle of the logging thread; modules never call these. */
int janus_log_init(gboolean daemon, gboolean console, const char *logfile);
void janus_log_set_loggers(GHashTable *loggers);
void janus_log_destroy(void);
gboolean janus_log_is_stdout_enabled(void);
gboolean janus_log_is_logfile_enabled(void);
char *janus_log_get_logfile_path(void);

#endif
