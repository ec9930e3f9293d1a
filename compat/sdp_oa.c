/* The C-variadic functions of Janus' sdp-utils.c. Stable Rust cannot define them, so each
 * one reads its va_list here, consuming exactly what Janus 1.1.2 consumes for that
 * function (a property it does not accept is skipped WITHOUT reading a value), packs the
 * properties into an array and hands it to the non-variadic janus_rs_sdp_* functions of
 * src/abi/sdp.rs, which do the work. */

#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <glib.h>

#include "sdp-utils.h"

/* janus_sdp_mtype values that are valid media */
#define VALID_MTYPE(t) ((t) >= JANUS_SDP_AUDIO && (t) <= JANUS_SDP_APPLICATION)

typedef struct janus_rs_sdp_extmap {
	int id;
	const char *uri;
} janus_rs_sdp_extmap;

/* Mirrored by RsSdpOaProperty in src/abi/sdp.rs */
typedef struct janus_rs_sdp_oa_property {
	int id;
	int number;
	const char *text;
	const char *text2;
	const janus_rs_sdp_extmap *extmaps;
	size_t extmaps_len;
} janus_rs_sdp_oa_property;

janus_sdp_attribute *janus_rs_sdp_attribute_create(const char *name, const char *value);
janus_sdp *janus_rs_sdp_generate_offer(const char *name, const char *address,
	const janus_rs_sdp_oa_property *props, size_t len);
int janus_rs_sdp_generate_offer_mline(janus_sdp *offer, const janus_rs_sdp_oa_property *props, size_t len);
int janus_rs_sdp_generate_answer_mline(janus_sdp *offer, janus_sdp *answer, janus_sdp_mline *offered,
	const janus_rs_sdp_oa_property *props, size_t len);

/* Which properties a function consumes (bit per janus_sdp_oa_type). */
#define BIT(p) (1u << (p))
#define COMMON (BIT(JANUS_SDP_OA_DIRECTION) | BIT(JANUS_SDP_OA_MSID) | BIT(JANUS_SDP_OA_CODEC) | BIT(JANUS_SDP_OA_FMTP) | BIT(JANUS_SDP_OA_AUDIO_DTMF) | \
	BIT(JANUS_SDP_OA_VP9_PROFILE) | BIT(JANUS_SDP_OA_H264_PROFILE) | BIT(JANUS_SDP_OA_VIDEO_RTCPFB_DEFAULTS))
#define OFFER_PROPS (COMMON | BIT(JANUS_SDP_OA_ENABLED) | BIT(JANUS_SDP_OA_MID) | BIT(JANUS_SDP_OA_EXTENSION) | BIT(JANUS_SDP_OA_PT) | \
	BIT(JANUS_SDP_OA_OPUSRED_PT) | BIT(JANUS_SDP_OA_DATA_LEGACY))
#define OFFER_MLINE_PROPS (COMMON | BIT(JANUS_SDP_OA_MID) | BIT(JANUS_SDP_OA_EXTENSION) | BIT(JANUS_SDP_OA_EXTENSIONS) | BIT(JANUS_SDP_OA_PT) | \
	BIT(JANUS_SDP_OA_OPUSRED_PT) | BIT(JANUS_SDP_OA_DATA_LEGACY))
#define ANSWER_MLINE_PROPS (COMMON | BIT(JANUS_SDP_OA_ENABLED) | BIT(JANUS_SDP_OA_ACCEPT_EXTMAP) | BIT(JANUS_SDP_OA_ACCEPT_OPUSRED))

typedef struct oa_list {
	GArray *props;  /* janus_rs_sdp_oa_property */
	GPtrArray *tables; /* extmap arrays to free */
} oa_list;

static void oa_list_init(oa_list *l) {
	l->props = g_array_new(FALSE, TRUE, sizeof(janus_rs_sdp_oa_property));
	l->tables = g_ptr_array_new_with_free_func(g_free);
}

static void oa_list_clear(oa_list *l) {
	g_array_free(l->props, TRUE);
	g_ptr_array_free(l->tables, TRUE);
}

static janus_rs_sdp_oa_property *oa_push(oa_list *l, int id) {
	janus_rs_sdp_oa_property p = { .id = id };
	g_array_append_val(l->props, p);
	return &g_array_index(l->props, janus_rs_sdp_oa_property, l->props->len - 1);
}

static gint extmap_by_id(gconstpointer a, gconstpointer b) {
	return ((const janus_rs_sdp_extmap *)a)->id - ((const janus_rs_sdp_extmap *)b)->id;
}

/* Reads the value(s) of an accepted property. */
static void oa_read_value(oa_list *l, int id, va_list *args) {
	janus_rs_sdp_oa_property *p = oa_push(l, id);
	switch(id) {
		case JANUS_SDP_OA_MID: case JANUS_SDP_OA_CODEC: case JANUS_SDP_OA_ACCEPT_EXTMAP: case JANUS_SDP_OA_FMTP:
		case JANUS_SDP_OA_VP9_PROFILE: case JANUS_SDP_OA_H264_PROFILE:
			p->text = va_arg(*args, const char *);
			break;
		case JANUS_SDP_OA_MSID:
			p->text = va_arg(*args, const char *);
			p->text2 = va_arg(*args, const char *);
			break;
		case JANUS_SDP_OA_EXTENSION:
			p->text = va_arg(*args, const char *);
			p->number = va_arg(*args, int);
			break;
		case JANUS_SDP_OA_EXTENSIONS: {
			GHashTable *table = va_arg(*args, GHashTable *);
			p->number = table != NULL;
			if(table != NULL) {
				janus_rs_sdp_extmap *entries = g_new0(janus_rs_sdp_extmap, g_hash_table_size(table) + 1);
				size_t n = 0;
				GHashTableIter iter;
				gpointer key, value;
				g_hash_table_iter_init(&iter, table);
				while(g_hash_table_iter_next(&iter, &key, &value)) {
					entries[n].id = GPOINTER_TO_INT(key);
					entries[n].uri = value;
					n++;
				}
				qsort(entries, n, sizeof(*entries), (int (*)(const void *, const void *))extmap_by_id);
				g_ptr_array_add(l->tables, entries);
				p->extmaps = entries;
				p->extmaps_len = n;
			}
			break;
		}
		default:
			/* int, gboolean and enums are all read as int */
			p->number = va_arg(*args, int);
			break;
	}
}

/* janus_sdp_attribute_create: the value is formatted into 512 bytes, as Janus does. */
janus_sdp_attribute *janus_sdp_attribute_create(const char *name, const char *value, ...) {
	if(name == NULL)
		return NULL;
	char buffer[512];
	if(value != NULL) {
		va_list args;
		va_start(args, value);
		g_vsnprintf(buffer, sizeof(buffer), value, args);
		va_end(args);
	}
	return janus_rs_sdp_attribute_create(name, value ? buffer : NULL);
}

janus_sdp *janus_sdp_generate_offer(const char *name, const char *address, ...) {
	va_list args;
	va_start(args, address);
	oa_list l;
	oa_list_init(&l);
	gboolean seen_mline = FALSE;
	while(TRUE) {
		int id = va_arg(args, int);
		if(id == JANUS_SDP_OA_DONE || (!seen_mline && id != JANUS_SDP_OA_MLINE)) {
			/* The list ends here, or is invalid (Janus stops reading at once) */
			oa_push(&l, id);
			break;
		}
		if(id == JANUS_SDP_OA_MLINE) {
			seen_mline = TRUE;
			int type = va_arg(args, int);
			oa_push(&l, id)->number = type;
			if(!VALID_MTYPE(type))
				break;
			continue;
		}
		if(id > 0 && id < 32 && (OFFER_PROPS & BIT(id)))
			oa_read_value(&l, id, &args);
		/* else: unknown to this function, nothing consumed */
	}
	va_end(args);
	janus_sdp *offer = janus_rs_sdp_generate_offer(name, address,
		(const janus_rs_sdp_oa_property *)l.props->data, l.props->len);
	oa_list_clear(&l);
	return offer;
}

/* Reads "MLINE <type>" then properties until DONE; FALSE if Janus would stop before. */
static gboolean oa_read_mline_head(oa_list *l, va_list *args) {
	int id = va_arg(*args, int);
	if(id != JANUS_SDP_OA_MLINE) {
		oa_push(l, id);
		return FALSE;
	}
	int type = va_arg(*args, int);
	oa_push(l, id)->number = type;
	return VALID_MTYPE(type);
}

int janus_sdp_generate_offer_mline(janus_sdp *offer, ...) {
	if(offer == NULL)
		return -1;
	va_list args;
	va_start(args, offer);
	oa_list l;
	oa_list_init(&l);
	if(oa_read_mline_head(&l, &args)) {
		/* Janus returns -5 as soon as EXTENSION and EXTENSIONS get mixed: stop there too */
		gboolean have_table = FALSE, table_from_extension = FALSE;
		while(TRUE) {
			int id = va_arg(args, int);
			if(id == JANUS_SDP_OA_DONE) {
				oa_push(&l, id);
				break;
			}
			if(id == JANUS_SDP_OA_EXTENSION && have_table && !table_from_extension) {
				oa_push(&l, id);
				break;
			}
			if(id == JANUS_SDP_OA_EXTENSIONS && have_table) {
				oa_push(&l, id);
				break;
			}
			if(id > 0 && id < 32 && (OFFER_MLINE_PROPS & BIT(id))) {
				oa_read_value(&l, id, &args);
				janus_rs_sdp_oa_property *p = &g_array_index(l.props, janus_rs_sdp_oa_property, l.props->len - 1);
				if(id == JANUS_SDP_OA_EXTENSION && p->text != NULL && p->number > 0 && p->number < 15)
					have_table = table_from_extension = TRUE;
				else if(id == JANUS_SDP_OA_EXTENSIONS) {
					have_table = p->number != 0;
					table_from_extension = FALSE;
				}
			}
		}
	}
	va_end(args);
	int res = janus_rs_sdp_generate_offer_mline(offer,
		(const janus_rs_sdp_oa_property *)l.props->data, l.props->len);
	oa_list_clear(&l);
	return res;
}

int janus_sdp_generate_answer_mline(janus_sdp *offer, janus_sdp *answer, janus_sdp_mline *offered, ...) {
	if(answer == NULL || offered == NULL)
		return -1;
	va_list args;
	va_start(args, offered);
	oa_list l;
	oa_list_init(&l);
	if(oa_read_mline_head(&l, &args)) {
		while(TRUE) {
			int id = va_arg(args, int);
			if(id == JANUS_SDP_OA_DONE) {
				oa_push(&l, id);
				break;
			}
			if(id > 0 && id < 32 && (ANSWER_MLINE_PROPS & BIT(id)))
				oa_read_value(&l, id, &args);
		}
	}
	va_end(args);
	int res = janus_rs_sdp_generate_answer_mline(offer, answer, offered,
		(const janus_rs_sdp_oa_property *)l.props->data, l.props->len);
	oa_list_clear(&l);
	return res;
}
