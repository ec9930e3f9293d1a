/* Drives janus_vprintf and the inline logging/debug macros of the Janus headers exactly as a
 * module does. Format checks record what glibc's snprintf makes of the same arguments. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "debug.h"
#include "mutex.h"
#include "refcount.h"

typedef void (*probe_record)(const char *expected);

/* Formats the arguments with snprintf for the expectation, then logs them through Janus. */
#define PROBE_BOTH(record, ...) do { \
	int n_ = snprintf(NULL, 0, __VA_ARGS__); \
	char *e_ = malloc(n_ + 1); \
	snprintf(e_, n_ + 1, __VA_ARGS__); \
	record(e_); \
	free(e_); \
	janus_vprintf(__VA_ARGS__); \
} while(0)

void probe_formats(probe_record record) {
	const char *volatile null_string = NULL;
	PROBE_BOTH(record, "%lu|%" SCNu64 "|%zu|%lld|%" PRIi64 "\n", (unsigned long)18446744073709551615UL,
		(uint64_t)1234567890123ULL, (size_t)42, (long long)(-9223372036854775807LL - 1), (int64_t)-5);
	PROBE_BOTH(record, "%p|%p\n", (void *)0x1234, (void *)NULL);
	PROBE_BOTH(record, "[%.*s]\n", 3, "abcdef");
	PROBE_BOTH(record, "%s|%s\n", null_string, "x");
	PROBE_BOTH(record, "%5.2f|%x|%c|%%|%-4d|\n", 3.14159, 255, 'z', 7);
	/* Around the first-try buffer size, and far beyond it. */
	size_t sizes[] = { 1998, 1999, 2000, 2001, 10000 };
	for(size_t i = 0; i < sizeof(sizes)/sizeof(sizes[0]); i++) {
		char *big = malloc(sizes[i] + 1);
		memset(big, 'a' + (int)i, sizes[i]);
		big[sizes[i]] = '\0';
		PROBE_BOTH(record, "%s", big);
		PROBE_BOTH(record, "%s%d\n", big, (int)i);
		free(big);
	}
}

const char *probe_file(void) {
	return __FILE__;
}

/* Returns the line of the LOG_ERR call; the LOG_DBG call is on the next line. */
int probe_log_macros(void) {
	JANUS_LOG(LOG_INFO, "info %d\n", 1);
	JANUS_LOG(LOG_VERB, "verbose %s\n", "line");
	JANUS_LOG(LOG_WARN, "warn %s\n", "x");
	JANUS_LOG(LOG_ERR, "err %" SCNu64 "\n", (uint64_t)7); int line = __LINE__;
	JANUS_LOG(LOG_DBG, "dbg\n");
	JANUS_LOG(LOG_FATAL, "fatal, no newline");
	return line;
}

typedef struct probe_obj {
	janus_refcount ref;
	janus_mutex mutex;
} probe_obj;

static probe_obj obj;
static int obj_freed = 0;

static void probe_obj_free(const janus_refcount *ref) {
	(void)ref;
	obj_freed++;
}

/* Returns the object; *first_line is the line of the refcount init. */
probe_obj *probe_debug_macros(int *first_line) {
	*first_line = __LINE__ + 1;
	janus_refcount_init(&obj.ref, probe_obj_free);
	janus_refcount_increase(&obj.ref);
	janus_refcount_decrease(&obj.ref);
	janus_refcount_decrease(&obj.ref);
	janus_mutex_init(&obj.mutex);
	janus_mutex_lock(&obj.mutex);
	janus_mutex_unlock(&obj.mutex);
	return &obj;
}

int probe_obj_freed(void) {
	return obj_freed;
}

void *probe_obj_mutex(void) {
	return &obj.mutex;
}
