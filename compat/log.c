/* janus_vprintf: the one C-variadic logging entry point of Janus (log.h). Modules pass it
 * printf formats (%lu, %zu, %p, %.*s, NULL %s...), so it must format exactly as glibc's
 * vsnprintf does; the finished line goes to the Rust log pipeline. */

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

void janus_rs_log_line(const char *line, size_t len);

/* Most lines fit here; longer ones are formatted again into a heap buffer of the right size. */
#define JANUS_LOG_STACK_LINE 2000

void janus_vprintf(const char *format, ...) {
	char line[JANUS_LOG_STACK_LINE];
	va_list ap, again;
	va_start(ap, format);
	va_copy(again, ap);
	int len = vsnprintf(line, sizeof(line), format, ap);
	va_end(ap);
	if(len >= 0 && (size_t)len < sizeof(line)) {
		janus_rs_log_line(line, (size_t)len);
	} else if(len >= 0) {
		char *big = malloc((size_t)len + 1);
		if(big != NULL) {
			vsnprintf(big, (size_t)len + 1, format, again);
			janus_rs_log_line(big, (size_t)len);
			free(big);
		}
	}
	va_end(again);
}
