/* Janus 1.1.2 ABI: intrusive reference counting macros (written for this project). */
#ifndef JANUS_REFCOUNT_H
#define JANUS_REFCOUNT_H

#include <stddef.h>
#include <glib.h>
#include "mutex.h"

/* Exported by the core: when non-zero every init/increase/decrease is traced. */
extern int refcount_debug;

/* From a pointer to the embedded janus_refcount back to the structure holding it. */
#define janus_refcount_containerof(refptr, type, member) \
	((type *)((char *)(refptr) - offsetof(type, member)))

typedef struct janus_refcount janus_refcount;
struct janus_refcount {
	gint count;                                /* atomically updated */
	void (*free)(const janus_refcount *);      /* called when count drops to zero */
};

#ifdef REFCOUNT_DEBUG
/* Leak tracking, only in builds that define REFCOUNT_DEBUG (Debian's does not). */
extern GHashTable *counters;
extern janus_mutex counters_mutex;
#define janus_refcount_track(refp) { \
	janus_mutex_lock(&counters_mutex); \
	if(counters == NULL) \
		counters = g_hash_table_new(NULL, NULL); \
	g_hash_table_insert(counters, refp, refp); \
	janus_mutex_unlock(&counters_mutex); \
}
#define janus_refcount_untrack(refp) { \
	janus_mutex_lock(&counters_mutex); \
	g_hash_table_remove(counters, refp); \
	janus_mutex_unlock(&counters_mutex); \
}
#define JANUS_REFCOUNT_TRACK_(refp) janus_refcount_track((refp));
#define JANUS_REFCOUNT_UNTRACK_(refp) janus_refcount_untrack((refp));
#else
#define JANUS_REFCOUNT_TRACK_(refp)
#define JANUS_REFCOUNT_UNTRACK_(refp)
#endif

/* Start at one reference, remember the destructor. */
#define janus_refcount_init(refp, free_fn) { \
	if(!refcount_debug) { \
		janus_refcount_init_nodebug(refp, free_fn); \
	} else { \
		janus_refcount_init_debug(refp, free_fn); \
	} \
}
#define janus_refcount_init_nodebug(refp, free_fn) { \
	(refp)->count = 1; \
	(refp)->free = free_fn; \
	JANUS_REFCOUNT_TRACK_(refp) \
}
#define janus_refcount_init_debug(refp, free_fn) { \
	(refp)->count = 1; \
	JANUS_PRINT("[%s:%s:%d:init] %p (%d)\n", __FILE__, __FUNCTION__, __LINE__, refp, (refp)->count); \
	(refp)->free = free_fn; \
	JANUS_REFCOUNT_TRACK_(refp) \
}

/* Take one more reference. */
#define janus_refcount_increase(refp) { \
	if(!refcount_debug) { \
		janus_refcount_increase_nodebug(refp); \
	} else { \
		janus_refcount_increase_debug(refp); \
	} \
}
#define janus_refcount_increase_nodebug(refp) { \
	g_atomic_int_inc((gint *)&(refp)->count); \
}
#define janus_refcount_increase_debug(refp) { \
	JANUS_PRINT("[%s:%s:%d:increase] %p (%d)\n", __FILE__, __FUNCTION__, __LINE__, refp, (refp)->count + 1); \
	g_atomic_int_inc((gint *)&(refp)->count); \
}

/* Drop one reference; the last one runs the destructor. */
#define janus_refcount_decrease(refp) { \
	if(!refcount_debug) { \
		janus_refcount_decrease_nodebug(refp); \
	} else { \
		janus_refcount_decrease_debug(refp); \
	} \
}
#define janus_refcount_decrease_nodebug(refp) { \
	if(g_atomic_int_dec_and_test((gint *)&(refp)->count)) { \
		(refp)->free(refp); \
		JANUS_REFCOUNT_UNTRACK_(refp) \
	} \
}
#define janus_refcount_decrease_debug(refp) { \
	JANUS_PRINT("[%s:%s:%d:decrease] %p (%d)\n", __FILE__, __FUNCTION__, __LINE__, refp, (refp)->count - 1); \
	if(g_atomic_int_dec_and_test((gint *)&(refp)->count)) { \
		(refp)->free(refp); \
		JANUS_REFCOUNT_UNTRACK_(refp) \
	} \
}

#endif
