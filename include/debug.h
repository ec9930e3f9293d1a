/* Janus 1.1.2 ABI: the JANUS_LOG macro family compiled into every module (written for this project). */
#ifndef JANUS_DEBUG_H
#define JANUS_DEBUG_H

#include <glib.h>
#include <glib/gprintf.h>
#include <time.h>
#include "log.h"

/* Data symbols the core exports; modules read them inline on every log call. */
extern int janus_log_level;
extern gboolean janus_log_timestamps;
extern gboolean janus_log_colors;        /* must be 0 or 1: used as a bit of an array index */
extern char *janus_log_global_prefix;

/* ANSI escape sequences used by the coloured level tags. */
#define ANSI_COLOR_RED     "\x1b[31m"
#define ANSI_COLOR_GREEN   "\x1b[32m"
#define ANSI_COLOR_YELLOW  "\x1b[33m"
#define ANSI_COLOR_BLUE    "\x1b[34m"
#define ANSI_COLOR_MAGENTA "\x1b[35m"
#define ANSI_COLOR_CYAN    "\x1b[36m"
#define ANSI_COLOR_RESET   "\x1b[0m"

/* Verbosity levels, from silent to most verbose. */
#define LOG_NONE  (0)
#define LOG_FATAL (1)
#define LOG_ERR   (2)
#define LOG_WARN  (3)
#define LOG_INFO  (4)
#define LOG_VERB  (5)
#define LOG_HUGE  (6)
#define LOG_DBG   (7)
#define LOG_MAX   LOG_DBG

/* Level tag per level; entries 8..15 are the coloured variants (index = level | colors << 3).
 * Each including translation unit gets its own copy, hence the silenced warning. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-variable"
static const char *janus_log_prefix[] = {
	/* plain */
	"", "[FATAL] ", "[ERR] ", "[WARN] ", "", "", "", "",
	/* coloured */
	"",
	ANSI_COLOR_MAGENTA "[FATAL]" ANSI_COLOR_RESET " ",
	ANSI_COLOR_RED "[ERR]" ANSI_COLOR_RESET " ",
	ANSI_COLOR_YELLOW "[WARN]" ANSI_COLOR_RESET " ",
	"", "", "", ""
};
#pragma GCC diagnostic pop

/* Unfiltered print straight to the core's log sink. */
#define JANUS_PRINT janus_vprintf

/* Filtering and decoration happen here, in the module; the core only receives the result as
 * "%s%s%s%s" + format: global prefix, timestamp, level tag, source tag (FATAL/ERR/DBG only). */
#define JANUS_LOG(level, format, ...) \
do { \
	if(level > LOG_NONE && level <= LOG_MAX && level <= janus_log_level) { \
		char janus_log_tsbuf_[64] = ""; \
		char janus_log_srcbuf_[128] = ""; \
		if(janus_log_timestamps) { \
			time_t janus_log_now_ = time(NULL); \
			struct tm janus_log_tm_; \
			localtime_r(&janus_log_now_, &janus_log_tm_); \
			strftime(janus_log_tsbuf_, sizeof(janus_log_tsbuf_), "[%a %b %e %T %Y] ", &janus_log_tm_); \
		} \
		if(level == LOG_FATAL || level == LOG_ERR || level == LOG_DBG) \
			snprintf(janus_log_srcbuf_, sizeof(janus_log_srcbuf_), "[%s:%s:%d] ", \
				__FILE__, __FUNCTION__, __LINE__); \
		JANUS_PRINT("%s%s%s%s" format, \
			janus_log_global_prefix ? janus_log_global_prefix : "", \
			janus_log_tsbuf_, \
			janus_log_prefix[level | ((int)janus_log_colors << 3)], \
			janus_log_srcbuf_, \
			##__VA_ARGS__); \
	} \
} while(0)

#endif
