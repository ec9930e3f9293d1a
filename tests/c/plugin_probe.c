/* A plugin's and a transport's view of the core's plugin results, RTP extension reset and
 * transport sessions: returns 0, or the number of the first failed check. */

#include <string.h>

#include <glib.h>
#include <jansson.h>

#include "plugins/plugin.h"
#include "transports/transport.h"

int probe_plugin_result(void) {
	json_t *content = json_object();
	json_incref(content);	/* keep one reference to watch the result drop its own */
	const char *text = "static hint";
	janus_plugin_result *r = janus_plugin_result_new(JANUS_PLUGIN_OK_WAIT, text, content);
	if(r == NULL)
		return 1;
	if(r->type != JANUS_PLUGIN_OK_WAIT || r->text != text || r->content != content)
		return 2;
	if(content->refcount != 2)
		return 3;
	janus_plugin_result_destroy(r);
	if(content->refcount != 1)
		return 4;
	json_decref(content);
	/* No content at all is fine too. */
	r = janus_plugin_result_new(JANUS_PLUGIN_ERROR, NULL, NULL);
	if(r == NULL || r->type != JANUS_PLUGIN_ERROR || r->text != NULL || r->content != NULL)
		return 5;
	janus_plugin_result_destroy(r);
	return 0;
}

int probe_rtp_extensions_reset(void) {
	janus_plugin_rtp packet;
	memset(&packet, 0xAA, sizeof(packet));
	janus_plugin_rtp_extensions_reset(&packet.extensions);
	janus_plugin_rtp_extensions *e = &packet.extensions;
	if(e->audio_level != -1 || e->audio_level_vad != FALSE || e->video_rotation != -1)
		return 1;
	if(e->video_back_camera != FALSE || e->video_flipped != FALSE)
		return 2;
	if(e->min_delay != -1 || e->max_delay != -1 || e->dd_len != 0)
		return 3;
	for(size_t i = 0; i < sizeof(e->dd_content); i++)
		if(e->dd_content[i] != 0)
			return 4;
	/* The fields around the extensions are untouched. */
	const unsigned char *bytes = (const unsigned char *)&packet;
	for(size_t i = 0; i < offsetof(janus_plugin_rtp, extensions); i++)
		if(bytes[i] != 0xAA)
			return 5;
	janus_plugin_rtp_extensions_reset(NULL);
	return 0;
}

static int p_freed = 0;
static void *p_freed_arg = NULL;

static void probe_p_free(void *p) {
	p_freed++;
	p_freed_arg = p;
}

int probe_transport_session(void) {
	int connection = 0;
	janus_transport_session *s = janus_transport_session_create(&connection, probe_p_free);
	if(s == NULL)
		return 1;
	if(s->transport_p != &connection || s->p_free != probe_p_free || s->destroyed != 0 || s->ref.count != 1)
		return 2;
	janus_mutex_lock(&s->mutex);
	janus_mutex_unlock(&s->mutex);
	/* The core holds a reference while a request is being handled. */
	janus_refcount_increase(&s->ref);
	janus_transport_session_destroy(s);
	if(!s->destroyed || s->ref.count != 1 || p_freed != 0)
		return 3;
	janus_transport_session_destroy(s);
	if(s->ref.count != 1 || p_freed != 0)
		return 4;
	janus_refcount_decrease(&s->ref);
	if(p_freed != 1 || p_freed_arg != &connection)
		return 5;
	/* Last reference dropped by destroy itself, without a p_free. */
	janus_transport_session *t = janus_transport_session_create(NULL, NULL);
	if(t == NULL || t->ref.count != 1)
		return 6;
	janus_transport_session_destroy(t);
	janus_transport_session_destroy(NULL);
	return p_freed == 1 ? 0 : 7;
}
