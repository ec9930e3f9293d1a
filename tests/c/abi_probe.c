/* ABI probe for tests/abi_headers.rs: compiled once against /usr/include/janus and once against
 * our include/, both runs must print the same text. This part holds the printing helpers and the
 * behaviour checks of the inline macros; the test appends the generated layout/constant checks
 * (probe_generated) and main. Nothing here links against the core: the few core symbols the
 * macros reach are stand-ins defined below, identical for both builds. */
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ctype.h>

#include "apierror.h"
#include "config.h"
#include "debug.h"
#include "ip-utils.h"
#include "log.h"
#include "mutex.h"
#include "record.h"
#include "refcount.h"
#include "rtcp.h"
#include "rtp.h"
#include "rtpsrtp.h"
#include "sdp-utils.h"
#include "text2pcap.h"
#include "utils.h"
#include "plugins/plugin.h"
#include "transports/transport.h"
#include "events/eventhandler.h"
#include "loggers/logger.h"

/* ---- printing helpers ---- */

static void print_string(const char *name, const char *value) {
	printf("%s = \"", name);
	for(const unsigned char *c = (const unsigned char *)value; *c; c++) {
		if(isprint(*c) && *c != '\\')
			putchar(*c);
		else
			printf("\\x%02x", *c);
	}
	printf("\"\n");
}

static void print_number(const char *name, long long value) {
	printf("%s = %lld\n", name, value);
}

static void print_function(const char *name, void (*value)(const char *, ...)) {
	printf("%s = function %s\n", name, value == janus_vprintf ? "janus_vprintf" : "other");
}

/* Value and C type of a constant expression, so that 1 and 1u or 1L differ. */
#define TYPE_NAME(x) _Generic((x), \
	int: "int", unsigned int: "unsigned int", long: "long", unsigned long: "unsigned long", \
	long long: "long long", unsigned long long: "unsigned long long", \
	char *: "char *", const char *: "const char *", double: "double", \
	void (*)(const char *, ...): "function", default: "other")
#define PROBE_VALUE(name, x) do { \
	printf("type %s %s size %zu\n", name, TYPE_NAME(x), sizeof(x)); \
	_Generic((x), char *: print_string, const char *: print_string, \
		void (*)(const char *, ...): print_function, default: print_number)(name, x); \
} while(0)

/* Spelling of a macro after full expansion. */
#define STRINGIFY(x) #x
#define EXPANSION(x) STRINGIFY(x)

static void print_bytes(const char *what, const void *data, size_t len) {
	printf("%s =", what);
	for(size_t i = 0; i < len; i++)
		printf(" %02x", ((const unsigned char *)data)[i]);
	printf("\n");
}

/* ---- stand-ins for the core symbols the inline macros use ---- */

int janus_log_level = LOG_MAX;
gboolean janus_log_timestamps = FALSE;
gboolean janus_log_colors = FALSE;
char *janus_log_global_prefix = NULL;
int lock_debug = 0;
int refcount_debug = 0;
#ifdef REFCOUNT_DEBUG
GHashTable *counters = NULL;
janus_mutex counters_mutex;
#endif

/* Pointers printed by debug traces differ between runs (ASLR): known ones are shown by name. */
static const void *known_pointer;
static const char *known_pointer_name;

/* Captures what a module hands to the core's log sink; timestamps are masked (they vary). */
void janus_vprintf(const char *format, ...) {
	char line[2048];
	va_list args;
	va_start(args, format);
	vsnprintf(line, sizeof(line), format, args);
	va_end(args);
	if(janus_log_timestamps) {
		/* "[Www Mmm dd hh:mm:ss yyyy] " right after the (unset) global prefix */
		for(char *c = line; *c && *c != ']'; c++)
			if(isalnum((unsigned char)*c))
				*c = 'x';
	}
	if(known_pointer != NULL) {
		char ptr[32];
		snprintf(ptr, sizeof(ptr), "%p", known_pointer);
		char *at = strstr(line, ptr);
		if(at != NULL) {
			char rest[2048];
			snprintf(rest, sizeof(rest), "%s", at + strlen(ptr));
			snprintf(at, sizeof(line) - (size_t)(at - line), "<%s>%s", known_pointer_name, rest);
		}
	}
	printf("vprintf: ");
	print_string("line", line);
}

gboolean janus_json_is_valid(json_t *val, json_type jtype, unsigned int flags) {
	if(jtype == JSON_TRUE)
		return json_is_boolean(val);
	if(json_typeof(val) != jtype)
		return FALSE;
	if((flags & JANUS_JSON_PARAM_POSITIVE) && json_is_integer(val) && json_integer_value(val) < 0)
		return FALSE;
	if((flags & JANUS_JSON_PARAM_NONEMPTY) && json_is_string(val) && json_string_length(val) == 0)
		return FALSE;
	return TRUE;
}

void janus_get_json_type_name(int jtype, unsigned int flags, char *type_name) {
	snprintf(type_name, 20, "type%d/%u", jtype, flags);
}

gboolean janus_strcmp_const_time(const void *str1, const void *str2) {
	return str1 && str2 && strcmp(str1, str2) == 0;
}

/* ---- behaviour of the inline macros ---- */

static void probe_log(void) {
	for(int colors = 0; colors <= 1; colors++) {
		janus_log_colors = colors;
		for(int configured = LOG_NONE; configured <= LOG_MAX; configured++) {
			janus_log_level = configured;
			for(int level = -1; level <= LOG_MAX + 1; level++) {
				printf("log colors=%d configured=%d level=%d\n", colors, configured, level);
				JANUS_LOG(level, "value %d %s\n", level, "arg");
				JANUS_LOG(level, "no arguments\n");
			}
		}
	}
	janus_log_level = LOG_MAX;
	janus_log_colors = FALSE;
	janus_log_global_prefix = "[prefix] ";
	JANUS_LOG(LOG_ERR, "with prefix\n");
	JANUS_LOG(LOG_INFO, "with prefix\n");
	janus_log_global_prefix = NULL;
	janus_log_timestamps = TRUE;
	JANUS_LOG(LOG_WARN, "with timestamp\n");
	JANUS_LOG(LOG_DBG, "with timestamp\n");
	janus_log_timestamps = FALSE;
	JANUS_PRINT("plain %s\n", "print");
	printf("log prefix table size %zu\n", sizeof(janus_log_prefix) / sizeof(janus_log_prefix[0]));
	for(size_t i = 0; i < sizeof(janus_log_prefix) / sizeof(janus_log_prefix[0]); i++) {
		char name[32];
		snprintf(name, sizeof(name), "janus_log_prefix[%zu]", i);
		print_string(name, janus_log_prefix[i]);
	}
}

static void probe_mutex(void) {
	static janus_mutex static_mutex = JANUS_MUTEX_INITIALIZER;
	janus_mutex mutex;
	janus_condition cond;
	janus_mutex_init(&mutex);
	janus_condition_init(&cond);
	known_pointer = &mutex;
	known_pointer_name = "mutex";
	for(lock_debug = 0; lock_debug <= 1; lock_debug++) {
		printf("lock_debug=%d\n", lock_debug);
		janus_mutex_lock(&mutex);
		printf("trylock while held: %d\n", (int)janus_mutex_trylock(&mutex));
		janus_condition_signal(&cond);
		janus_condition_broadcast(&cond);
		janus_condition_wait_until(&cond, &mutex, g_get_monotonic_time() - 1);
		janus_mutex_unlock(&mutex);
		printf("trylock while free: %d\n", (int)janus_mutex_trylock(&mutex));
		janus_mutex_unlock(&mutex);
		janus_mutex_lock_nodebug(&mutex);
		janus_mutex_unlock_nodebug(&mutex);
	}
	lock_debug = 0;
	janus_mutex_lock(&static_mutex);
	janus_mutex_unlock(&static_mutex);
	janus_condition_destroy(&cond);
	janus_mutex_destroy(&mutex);
	known_pointer = NULL;
}

typedef struct probe_object {
	int payload;
	janus_refcount ref;
} probe_object;

static void probe_object_free(const janus_refcount *ref) {
	probe_object *object = janus_refcount_containerof(ref, probe_object, ref);
	printf("free called, payload %d\n", object->payload);
}

static void probe_refcount(void) {
	probe_object object = { .payload = 42 };
	known_pointer = &object.ref;
	known_pointer_name = "ref";
	for(refcount_debug = 0; refcount_debug <= 1; refcount_debug++) {
		printf("refcount_debug=%d\n", refcount_debug);
		janus_refcount_init(&object.ref, probe_object_free);
		janus_refcount_increase(&object.ref);
		printf("count %d\n", object.ref.count);
		janus_refcount_decrease(&object.ref);
		printf("count %d\n", object.ref.count);
		janus_refcount_decrease(&object.ref);
		printf("count %d\n", object.ref.count);
#ifdef REFCOUNT_DEBUG
		printf("tracked objects %u\n", counters ? g_hash_table_size(counters) : 0);
#endif
	}
	refcount_debug = 0;
	known_pointer = NULL;
}

static struct janus_json_parameter probe_parameters[] = {
	{"name", JSON_STRING, JANUS_JSON_PARAM_REQUIRED | JANUS_JSON_PARAM_NONEMPTY},
	{"id", JSON_INTEGER, JANUS_JSON_PARAM_POSITIVE},
	{"flag", JANUS_JSON_BOOL, 0},
};

static void probe_json_validation(void) {
	const char *documents[] = {
		"{\"name\":\"x\",\"id\":3,\"flag\":true}",
		"{\"id\":3}",
		"{\"name\":\"\"}",
		"{\"name\":\"x\",\"id\":-1}",
		"{\"name\":\"x\",\"flag\":1}",
		"{\"name\":\"x\",\"secret\":\"s3\"}",
		"{\"name\":\"x\",\"secret\":\"nope\"}",
		"{\"name\":\"x\",\"secret\":5}",
	};
	for(size_t d = 0; d < sizeof(documents) / sizeof(documents[0]); d++) {
		json_t *root = json_loads(documents[d], 0, NULL);
		for(int log_error = 0; log_error <= 1; log_error++) {
			int error_code = -7;
			char error_cause[64] = "untouched";
			JANUS_VALIDATE_JSON_OBJECT(root, probe_parameters, error_code, error_cause, log_error, 456, 467);
			printf("validate doc %zu log %d: code %d cause \"%s\"\n", d, log_error, error_code, error_cause);
		}
		int error_code = -7;
		char error_cause[24] = "untouched";
		JANUS_VALIDATE_JSON_OBJECT_FORMAT("missing <%s>", "bad <%s> want <%s>", root, probe_parameters,
			error_code, error_cause, TRUE, 1, 2);
		printf("format doc %zu: code %d cause \"%s\"\n", d, error_code, error_cause);
		const char *secrets[] = { NULL, "s3" };
		for(int s = 0; s < 2; s++) {
			error_code = -7;
			snprintf(error_cause, sizeof(error_cause), "untouched");
			JANUS_CHECK_SECRET(secrets[s], root, "secret", error_code, error_cause, 456, 467, 403);
			printf("secret doc %zu secret %d: code %d cause \"%s\"\n", d, s, error_code, error_cause);
		}
		json_decref(root);
	}
}

static int probe_method(void) { return 1; }
static const char *probe_string(void) { return "x"; }

/* Which slots a module initializer fills: each function pointer slot as 0/1. */
static void print_slots(const char *what, const void *module, size_t slots) {
	printf("%s slots:", what);
	for(size_t i = 0; i < slots; i++)
		printf(" %d", ((void * const *)module)[i] != NULL);
	printf("\n");
}

static void probe_module_initializers(void) {
	static janus_plugin plugin = JANUS_PLUGIN_INIT(.get_api_compatibility = probe_method, .get_name = probe_string);
	static janus_plugin empty_plugin = JANUS_PLUGIN_INIT();
	static janus_transport transport = JANUS_TRANSPORT_INIT(.get_version = probe_method, .get_package = probe_string);
	static janus_eventhandler handler = JANUS_EVENTHANDLER_INIT(.get_version = probe_method,
		.events_mask = JANUS_EVENT_TYPE_SESSION | JANUS_EVENT_TYPE_MEDIA);
	static janus_eventhandler empty_handler = JANUS_EVENTHANDLER_INIT();
	static janus_logger logger = JANUS_LOGGER_INIT(.get_author = probe_string);
	print_slots("plugin", &plugin, sizeof(plugin) / sizeof(void *));
	print_slots("empty plugin", &empty_plugin, sizeof(empty_plugin) / sizeof(void *));
	print_slots("transport", &transport, sizeof(transport) / sizeof(void *));
	print_slots("handler", &handler, offsetof(janus_eventhandler, events_mask) / sizeof(void *));
	printf("handler mask %zu, empty handler mask %zu\n", (size_t)handler.events_mask, (size_t)empty_handler.events_mask);
	print_slots("logger", &logger, sizeof(logger) / sizeof(void *));
}

static void probe_behaviour(void) {
	probe_log();
	probe_mutex();
	probe_refcount();
	probe_json_validation();
	probe_module_initializers();
}
