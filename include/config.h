/* Janus 1.1.2 ABI: configuration tree (.jcfg / legacy .cfg) (written for this project). */
#ifndef JANUS_CONFIG_H
#define JANUS_CONFIG_H

#include <glib.h>

/* Kind of a node; "any" is only meaningful as a lookup filter. */
typedef enum janus_config_type {
	janus_config_type_any = 1,
	janus_config_type_item,
	janus_config_type_category,
	janus_config_type_array,
} janus_config_type;

/* One node: an item has a value, categories and arrays have children in list. */
typedef struct janus_config_container {
	janus_config_type type;
	const char *name;    /* NULL for array elements */
	const char *value;
	GList *list;
} janus_config_container;
typedef struct janus_config_container janus_config_item;
typedef struct janus_config_container janus_config_category;
typedef struct janus_config_container janus_config_array;

/* A parsed file; list holds the root-level containers. */
typedef struct janus_config {
	gboolean is_jcfg;
	const char *name;
	GList *list;
} janus_config;

janus_config *janus_config_parse(const char *config_file);
janus_config *janus_config_create(const char *name);
void janus_config_print(janus_config *config);
void janus_config_print_as(janus_config *config, int level);
int janus_config_save(janus_config *config, const char *folder, const char *filename);
void janus_config_destroy(janus_config *config);

janus_config_item *janus_config_item_create(const char *name, const char *value);
janus_config_category *janus_config_category_create(const char *name);
janus_config_array *janus_config_array_create(const char *name);
void janus_config_container_destroy(janus_config_container *container);

/* parent NULL means the root; names match case-insensitively. */
janus_config_container *janus_config_get(janus_config *config,
	janus_config_container *parent, janus_config_type type, const char *name);
janus_config_container *janus_config_get_create(janus_config *config,
	janus_config_container *parent, janus_config_type type, const char *name);
/* Variadic path of (type, name) pairs, see the inventory. */
janus_config_container *janus_config_search(janus_config *config, ...);
int janus_config_add(janus_config *config, janus_config_container *parent, janus_config_container *item);
int janus_config_remove(janus_config *config, janus_config_container *parent, const char *name);

/* New GLists (caller frees the list, not the nodes). */
GList *janus_config_get_items(janus_config *config, janus_config_container *parent);
GList *janus_config_get_categories(janus_config *config, janus_config_container *parent);
GList *janus_config_get_arrays(janus_config *config, janus_config_container *parent);

#endif
