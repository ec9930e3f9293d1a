/* Uses the configuration library the way plugins do: walking ->list GLists and reading
 * ->type/->name/->value directly, and editing a configuration (rooms, mountpoints) with the
 * API before saving it. Results come back as text for the Rust test to check. */

#include <glib.h>
#include <string.h>

#include "config.h"

static void walk(GString *out, GList *l, int depth) {
	for(; l != NULL; l = l->next) {
		janus_config_container *c = (janus_config_container *)l->data;
		g_string_append_printf(out, "%*s%d|%s|%s\n", depth * 2, "", (int)c->type,
			c->name ? c->name : "(none)", c->value ? c->value : "(none)");
		walk(out, c->list, depth + 1);
	}
}

/* The whole tree as "type|name|value" lines, indented by depth. */
char *probe_dump(janus_config *config) {
	GString *out = g_string_new(NULL);
	g_string_append_printf(out, "is_jcfg=%d name=%s\n", config->is_jcfg, config->name);
	walk(out, config->list, 0);
	return g_string_free(out, FALSE);
}

/* What a plugin's init does: every category, and one item of each, through the helpers. */
char *probe_categories(janus_config *config, const char *item) {
	GString *out = g_string_new(NULL);
	GList *cats = janus_config_get_categories(config, NULL), *cl = cats;
	for(; cl != NULL; cl = cl->next) {
		janus_config_category *cat = (janus_config_category *)cl->data;
		janus_config_item *value = janus_config_get(config, cat, janus_config_type_item, item);
		GList *items = janus_config_get_items(config, cat);
		GList *arrays = janus_config_get_arrays(config, cat);
		g_string_append_printf(out, "%s: %s=%s items=%u arrays=%u\n", cat->name, item,
			value && value->value ? value->value : "(none)", g_list_length(items), g_list_length(arrays));
		g_list_free(items);
		g_list_free(arrays);
	}
	g_list_free(cats);
	return g_string_free(out, FALSE);
}

/* What the VideoRoom/Streaming plugins do when a room is created or destroyed with
 * "permanent": true. Returns 0 if every pointer and return value was as expected, or the
 * number of the first check that failed. */
int probe_edit(janus_config *config) {
	janus_config_category *room = janus_config_get_create(config, NULL, janus_config_type_category, "room-42");
	if(room == NULL || room->type != janus_config_type_category)
		return 1;
	if(janus_config_get_create(config, NULL, janus_config_type_category, "ROOM-42") != room)
		return 2;
	if(janus_config_add(config, room, janus_config_item_create("description", "Test room")) != 0)
		return 3;
	if(janus_config_add(config, room, janus_config_item_create("secret", "a;b")) != 0)
		return 4;
	janus_config_array *list = janus_config_array_create("allowed");
	janus_config_add(config, list, janus_config_item_create(NULL, "token1"));
	janus_config_add(config, list, janus_config_item_create(NULL, "token2"));
	if(janus_config_add(config, room, list) != 0 || g_list_length(list->list) != 2)
		return 5;
	/* Replacing an item: same name, other case; the old one is freed, the new one is last. */
	janus_config_item *desc = janus_config_item_create("Description", "Renamed room");
	janus_config_add(config, room, desc);
	if(g_list_last(room->list)->data != desc || g_list_length(room->list) != 3)
		return 6;
	if(janus_config_get(config, room, janus_config_type_item, "DESCRIPTION") != desc)
		return 7;
	/* Items hold nothing. */
	if(janus_config_add(config, desc, janus_config_item_create("x", "y")) != -2)
		return 8;
	if(janus_config_get_create(config, room, janus_config_type_item, "missing") != NULL)
		return 9;
	if(janus_config_remove(config, room, "secret") != 0 || janus_config_remove(config, room, "secret") != -3)
		return 10;
	if(janus_config_remove(config, desc, "x") != -2)
		return 11;
	/* The room is still the same object, found again by a lookup of any type. */
	if(janus_config_get(config, NULL, janus_config_type_any, "Room-42") != room)
		return 12;
	return 0;
}
