/*
 * janus.plugin.probe: a small plugin of ours, built against include/, that exercises every
 * callback the core offers plugins. It doubles as an example for plugin authors.
 *
 * Each message body names one action in "request":
 *   "sync"    answer synchronously with {"probe":"sync","echo":<body>}
 *   "async"   answer OK_WAIT, then push_event {"probe":"async"} from the plugin's thread
 *   "jsep"    OK_WAIT, then push_event with a JSEP (type "offer", the body's "sdp")
 * What push_event returned last for "async" and "jsep" shows in query_session ("pushed").
 * Admin API messages are echoed back with the number of live sessions (handles not yet
 * destroyed), so that tests can tell whether the core destroyed every one.
 *   "notify"  notify_event {"probe":"notify"} (plus the body's "data", if any) to the event
 *             handlers; answer with what events_is_enabled() said
 *   "auth"    answer with auth_is_signed(), and auth_is_signature_valid() and
 *             auth_signature_contains(token, "janus.plugin.probe") for the body's "token"
 *   "end"     OK_WAIT, then end_session() on this handle
 *   "error"   fail with a plugin error
 *   "null"    return no result at all (NULL), which the core must survive
 *   "garbage" answer OK with a content that is not an object (an array)
 * Anything else fails with "Unknown request".
 *
 * Configuration (optional), janus.plugin.probe.jcfg: `general: { destroy_delay_ms = N }`
 * makes destroy() wait N ms, for tests of the core's shutdown.
 */

#include <jansson.h>

#include "../config.h"
#include "../debug.h"
#include "../mutex.h"
#include "../utils.h"
#include "plugin.h"

#define PROBE_PACKAGE "janus.plugin.probe"

static int probe_init(janus_callbacks *callback, const char *config_path);
static void probe_destroy(void);
static int probe_get_api_compatibility(void) { return JANUS_PLUGIN_API_VERSION; }
static int probe_get_version(void) { return 1; }
static const char *probe_get_version_string(void) { return "0.0.1"; }
static const char *probe_get_description(void) { return "Exercises every core callback (janus-rs test plugin)"; }
static const char *probe_get_name(void) { return "Probe plugin"; }
static const char *probe_get_author(void) { return "janus-rs"; }
static const char *probe_get_package(void) { return PROBE_PACKAGE; }
static void probe_create_session(janus_plugin_session *handle, int *error);
static struct janus_plugin_result *probe_handle_message(janus_plugin_session *handle, char *transaction, json_t *message, json_t *jsep);
static json_t *probe_handle_admin_message(json_t *message);
static void probe_setup_media(janus_plugin_session *handle) { (void)handle; }
static void probe_hangup_media(janus_plugin_session *handle) { (void)handle; }
static void probe_destroy_session(janus_plugin_session *handle, int *error);
static json_t *probe_query_session(janus_plugin_session *handle);

static janus_plugin probe_plugin =
	JANUS_PLUGIN_INIT(
		.init = probe_init,
		.destroy = probe_destroy,
		.get_api_compatibility = probe_get_api_compatibility,
		.get_version = probe_get_version,
		.get_version_string = probe_get_version_string,
		.get_description = probe_get_description,
		.get_name = probe_get_name,
		.get_author = probe_get_author,
		.get_package = probe_get_package,
		.create_session = probe_create_session,
		.handle_message = probe_handle_message,
		.handle_admin_message = probe_handle_admin_message,
		.setup_media = probe_setup_media,
		.hangup_media = probe_hangup_media,
		.destroy_session = probe_destroy_session,
		.query_session = probe_query_session,
	);

janus_plugin *create(void) {
	return &probe_plugin;
}

static janus_callbacks *gateway = NULL;
static int destroy_delay_ms = 0;

/* Work for the plugin's own thread: events are pushed from there, as real plugins do. */
typedef struct probe_job {
	struct probe_session *session;	/* holds a reference, which keeps the handle too */
	janus_plugin_session *handle;
	char *transaction;
	char *action;
	char *sdp;
} probe_job;
static GAsyncQueue *jobs = NULL;
static GThread *worker = NULL;
static probe_job stop_job;	/* queued once, on shutdown */

/* Our state per handle: how many messages it got, what push_event said per action. */
typedef struct probe_session {
	janus_plugin_session *handle;
	volatile gint destroyed;
	volatile gint messages;
	janus_mutex mutex;
	json_t *pushed;
	janus_refcount ref;
} probe_session;

/* The live sessions, by handle: the table holds one reference to each. Lookups take a
 * reference under the lock, so a session never goes away under a request that found it. */
static janus_mutex sessions_mutex = JANUS_MUTEX_INITIALIZER;
static GHashTable *sessions = NULL;

/* The handle's session with a reference for the caller, or NULL once it is destroyed. */
static probe_session *probe_lookup(janus_plugin_session *handle) {
	janus_mutex_lock(&sessions_mutex);
	probe_session *s = sessions ? g_hash_table_lookup(sessions, handle) : NULL;
	if(s != NULL)
		janus_refcount_increase(&s->ref);
	janus_mutex_unlock(&sessions_mutex);
	return s;
}

static void probe_session_free(const janus_refcount *ref) {
	probe_session *s = janus_refcount_containerof(ref, probe_session, ref);
	/* Give back the handle reference the core lent us at create_session. */
	janus_refcount_decrease(&s->handle->ref);
	json_decref(s->pushed);
	g_free(s);
}

static void probe_job_free(probe_job *job) {
	janus_refcount_decrease(&job->session->ref);
	g_free(job->transaction);
	g_free(job->action);
	g_free(job->sdp);
	g_free(job);
}

static gpointer probe_worker(gpointer data) {
	(void)data;
	for(;;) {
		probe_job *job = g_async_queue_pop(jobs);
		if(job == &stop_job)
			break;
		json_t *event = json_object();
		json_object_set_new(event, "probe", json_string(job->action));
		if(!strcmp(job->action, "end")) {
			gateway->end_session(job->handle);
		} else {
			json_t *jsep = NULL;
			if(!strcmp(job->action, "jsep"))
				jsep = json_pack("{ssss}", "type", "offer", "sdp", job->sdp ? job->sdp : "");
			int ret = gateway->push_event(job->handle, &probe_plugin, job->transaction, event, jsep);
			/* The core only reads the JSEP: it stays ours to release. */
			if(jsep)
				json_decref(jsep);
			JANUS_LOG(LOG_VERB, "[%s] %s: push_event returned %d\n", PROBE_PACKAGE, job->action, ret);
			probe_session *s = job->session;
			janus_mutex_lock(&s->mutex);
			json_object_set_new(s->pushed, job->action, json_integer(ret));
			janus_mutex_unlock(&s->mutex);
		}
		json_decref(event);
		probe_job_free(job);
	}
	return NULL;
}

static int probe_init(janus_callbacks *callback, const char *config_path) {
	if(callback == NULL || config_path == NULL)
		return -1;
	gateway = callback;
	char *file = g_strdup_printf("%s/%s.jcfg", config_path, PROBE_PACKAGE);
	janus_config *config = janus_config_parse(file);
	g_free(file);
	if(config != NULL) {
		janus_config_category *general = janus_config_get(config, NULL, janus_config_type_category, "general");
		janus_config_item *delay = janus_config_get(config, general, janus_config_type_item, "destroy_delay_ms");
		if(delay != NULL && delay->value != NULL)
			destroy_delay_ms = atoi(delay->value);
		janus_config_destroy(config);
	}
	sessions = g_hash_table_new(NULL, NULL);
	jobs = g_async_queue_new();
	worker = g_thread_new("probe worker", probe_worker, NULL);
	JANUS_LOG(LOG_INFO, "%s initialized (configs in %s)\n", PROBE_PACKAGE, config_path);
	return 0;
}

static void probe_destroy(void) {
	/* Tests of the core's shutdown need a module that takes its time going away. */
	if(destroy_delay_ms > 0)
		g_usleep((gulong)destroy_delay_ms * 1000);
	if(worker == NULL)
		return;
	g_async_queue_push(jobs, &stop_job);
	g_thread_join(worker);
	worker = NULL;
	g_async_queue_unref(jobs);
	jobs = NULL;
	janus_mutex_lock(&sessions_mutex);
	g_hash_table_destroy(sessions);
	sessions = NULL;
	janus_mutex_unlock(&sessions_mutex);
	JANUS_LOG(LOG_INFO, "%s destroyed\n", PROBE_PACKAGE);
}

static void probe_create_session(janus_plugin_session *handle, int *error) {
	probe_session *s = g_malloc0(sizeof(probe_session));
	s->handle = handle;
	janus_mutex_init(&s->mutex);
	s->pushed = json_object();
	janus_refcount_init(&s->ref, probe_session_free);
	handle->plugin_handle = s;
	janus_mutex_lock(&sessions_mutex);
	g_hash_table_insert(sessions, handle, s);
	janus_mutex_unlock(&sessions_mutex);
	*error = 0;
}

static void probe_destroy_session(janus_plugin_session *handle, int *error) {
	janus_mutex_lock(&sessions_mutex);
	probe_session *s = g_hash_table_lookup(sessions, handle);
	if(s != NULL)
		g_hash_table_remove(sessions, handle);
	janus_mutex_unlock(&sessions_mutex);
	if(s == NULL) {
		*error = -2;
		return;
	}
	g_atomic_int_set(&s->destroyed, 1);
	*error = 0;
	/* The table's reference: pending jobs and requests may still hold theirs. */
	janus_refcount_decrease(&s->ref);
}

static json_t *probe_query_session(janus_plugin_session *handle) {
	probe_session *s = probe_lookup(handle);
	if(s == NULL)
		return NULL;
	json_t *info = json_object();
	json_object_set_new(info, "messages", json_integer(g_atomic_int_get(&s->messages)));
	json_object_set_new(info, "destroyed", json_integer(g_atomic_int_get(&s->destroyed)));
	janus_mutex_lock(&s->mutex);
	json_object_set_new(info, "pushed", json_deep_copy(s->pushed));
	janus_mutex_unlock(&s->mutex);
	janus_refcount_decrease(&s->ref);
	return info;
}

static json_t *probe_handle_admin_message(json_t *message) {
	json_t *reply = json_object();
	json_object_set_new(reply, "probe", json_string("admin"));
	json_object_set(reply, "request", message ? message : json_null());
	janus_mutex_lock(&sessions_mutex);
	json_object_set_new(reply, "sessions", json_integer(g_hash_table_size(sessions)));
	janus_mutex_unlock(&sessions_mutex);
	return reply;
}

static struct janus_plugin_result *probe_handle_message(janus_plugin_session *handle, char *transaction, json_t *message, json_t *jsep) {
	probe_session *s = probe_lookup(handle);
	janus_plugin_result *result = NULL;
	const char *action = json_string_value(json_object_get(message, "request"));
	if(s == NULL) {
		result = janus_plugin_result_new(JANUS_PLUGIN_ERROR, "No session", NULL);
	} else if(action == NULL) {
		result = janus_plugin_result_new(JANUS_PLUGIN_ERROR, "Missing request", NULL);
	} else if(!strcmp(action, "sync")) {
		json_t *content = json_object();
		json_object_set_new(content, "probe", json_string("sync"));
		json_object_set(content, "echo", message);
		json_object_set_new(content, "had_jsep", jsep ? json_true() : json_false());
		result = janus_plugin_result_new(JANUS_PLUGIN_OK, NULL, content);
	} else if(!strcmp(action, "async") || !strcmp(action, "jsep") || !strcmp(action, "end")) {
		probe_job *job = g_malloc0(sizeof(probe_job));
		job->session = s;
		job->handle = handle;
		job->transaction = g_strdup(transaction);
		job->action = g_strdup(action);
		job->sdp = g_strdup(json_string_value(json_object_get(message, "sdp")));
		janus_refcount_increase(&s->ref);
		g_async_queue_push(jobs, job);
		result = janus_plugin_result_new(JANUS_PLUGIN_OK_WAIT, "probe is on it", NULL);
	} else if(!strcmp(action, "notify")) {
		gboolean enabled = gateway->events_is_enabled();
		json_t *event = json_object();
		json_object_set_new(event, "probe", json_string("notify"));
		json_t *data = json_object_get(message, "data");
		if(data != NULL)
			json_object_set(event, "data", data);
		gateway->notify_event(&probe_plugin, handle, event);
		json_t *content = json_object();
		json_object_set_new(content, "events_enabled", enabled ? json_true() : json_false());
		result = janus_plugin_result_new(JANUS_PLUGIN_OK, NULL, content);
	} else if(!strcmp(action, "auth")) {
		const char *token = json_string_value(json_object_get(message, "token"));
		json_t *content = json_object();
		json_object_set_new(content, "signed", gateway->auth_is_signed() ? json_true() : json_false());
		json_object_set_new(content, "valid",
			gateway->auth_is_signature_valid(&probe_plugin, token ? token : "") ? json_true() : json_false());
		json_object_set_new(content, "contains",
			gateway->auth_signature_contains(&probe_plugin, token ? token : "", PROBE_PACKAGE) ? json_true() : json_false());
		result = janus_plugin_result_new(JANUS_PLUGIN_OK, NULL, content);
	} else if(!strcmp(action, "error")) {
		result = janus_plugin_result_new(JANUS_PLUGIN_ERROR, "Probe error, as requested", NULL);
	} else if(!strcmp(action, "null")) {
		/* A misbehaving plugin: the core answers with an error of its own. */
		result = NULL;
	} else if(!strcmp(action, "garbage")) {
		/* A synchronous answer must be an object: this one is not. */
		result = janus_plugin_result_new(JANUS_PLUGIN_OK, NULL, json_pack("[is]", 1, "not an object"));
	} else {
		result = janus_plugin_result_new(JANUS_PLUGIN_ERROR, "Unknown request", NULL);
	}
	if(s != NULL) {
		g_atomic_int_inc(&s->messages);
		janus_refcount_decrease(&s->ref);
	}
	/* We own what the core handed us. */
	g_free(transaction);
	json_decref(message);
	if(jsep)
		json_decref(jsep);
	return result;
}
