/* Janus 1.1.2 ABI: inline mutex/condition macros (written for this project).
 * Debian's build uses the GLib flavour; the pthread one is kept behind the same switch. */
#ifndef JANUS_MUTEX_H
#define JANUS_MUTEX_H

#include <pthread.h>
#include <errno.h>
#include "debug.h"

/* Exported by the core: when non-zero every lock/unlock is traced through JANUS_PRINT. */
extern int lock_debug;

/* The *_nodebug/_debug trylock forms assign a caller-side `ret`, as the originals do. */
#ifdef USE_PTHREAD_MUTEX

typedef pthread_mutex_t janus_mutex;
#define JANUS_MUTEX_INITIALIZER PTHREAD_MUTEX_INITIALIZER
#define janus_mutex_init(a) pthread_mutex_init(a, NULL)
#define janus_mutex_destroy(a) pthread_mutex_destroy(a)
#define janus_mutex_lock_nodebug(a) pthread_mutex_lock(a)
#define janus_mutex_lock_debug(a) { \
	JANUS_PRINT("[%s:%s:%d:lock] %p\n", __FILE__, __FUNCTION__, __LINE__, a); \
	pthread_mutex_lock(a); \
}
#define janus_mutex_lock(a) { if(!lock_debug) { janus_mutex_lock_nodebug(a); } else { janus_mutex_lock_debug(a); } }
#define janus_mutex_trylock_nodebug(a) { ret = !pthread_mutex_trylock(a); }
#define janus_mutex_trylock_debug(a) { \
	JANUS_PRINT("[%s:%s:%d:trylock] %p\n", __FILE__, __FUNCTION__, __LINE__, a); \
	ret = !pthread_mutex_trylock(a); \
}
#define janus_mutex_trylock(a) ({ int ret; if(!lock_debug) { janus_mutex_trylock_nodebug(a); } else { janus_mutex_trylock_debug(a); } ret; })
#define janus_mutex_unlock_nodebug(a) pthread_mutex_unlock(a)
#define janus_mutex_unlock_debug(a) { \
	JANUS_PRINT("[%s:%s:%d:unlock] %p\n", __FILE__, __FUNCTION__, __LINE__, a); \
	pthread_mutex_unlock(a); \
}
#define janus_mutex_unlock(a) { if(!lock_debug) { janus_mutex_unlock_nodebug(a); } else { janus_mutex_unlock_debug(a); } }

typedef pthread_cond_t janus_condition;
#define janus_condition_init(a) pthread_cond_init(a, NULL)
#define janus_condition_destroy(a) pthread_cond_destroy(a)
#define janus_condition_wait(a, b) pthread_cond_wait(a, b);
/* c is an absolute time in microseconds */
#define janus_condition_wait_until(a, b, c) { \
	const struct timespec janus_cond_deadline_ = { \
		.tv_sec = (c) / G_USEC_PER_SEC, \
		.tv_nsec = ((c) % G_USEC_PER_SEC) * 1000 \
	}; \
	pthread_cond_timedwait(a, b, &janus_cond_deadline_); \
}
#define janus_condition_signal(a) pthread_cond_signal(a);
#define janus_condition_broadcast(a) pthread_cond_broadcast(a);

#else

typedef GMutex janus_mutex;
#define JANUS_MUTEX_INITIALIZER {0}
#define janus_mutex_init(a) g_mutex_init(a)
#define janus_mutex_destroy(a) g_mutex_clear(a)
#define janus_mutex_lock_nodebug(a) g_mutex_lock(a)
#define janus_mutex_lock_debug(a) { \
	JANUS_PRINT("[%s:%s:%d:lock] %p\n", __FILE__, __FUNCTION__, __LINE__, a); \
	g_mutex_lock(a); \
}
#define janus_mutex_lock(a) { if(!lock_debug) { janus_mutex_lock_nodebug(a); } else { janus_mutex_lock_debug(a); } }
#define janus_mutex_trylock_nodebug(a) { ret = g_mutex_trylock(a); }
#define janus_mutex_trylock_debug(a) { \
	JANUS_PRINT("[%s:%s:%d:trylock] %p\n", __FILE__, __FUNCTION__, __LINE__, a); \
	ret = g_mutex_trylock(a); \
}
#define janus_mutex_trylock(a) ({ gboolean ret; if(!lock_debug) { janus_mutex_trylock_nodebug(a); } else { janus_mutex_trylock_debug(a); } ret; })
#define janus_mutex_unlock_nodebug(a) g_mutex_unlock(a)
#define janus_mutex_unlock_debug(a) { \
	JANUS_PRINT("[%s:%s:%d:unlock] %p\n", __FILE__, __FUNCTION__, __LINE__, a); \
	g_mutex_unlock(a); \
}
#define janus_mutex_unlock(a) { if(!lock_debug) { janus_mutex_unlock_nodebug(a); } else { janus_mutex_unlock_debug(a); } }

typedef GCond janus_condition;
#define janus_condition_init(a) g_cond_init(a)
#define janus_condition_destroy(a) g_cond_clear(a)
#define janus_condition_wait(a, b) g_cond_wait(a, b);
/* c is a g_get_monotonic_time() deadline */
#define janus_condition_wait_until(a, b, c) g_cond_wait_until(a, b, c);
#define janus_condition_signal(a) g_cond_signal(a);
#define janus_condition_broadcast(a) g_cond_broadcast(a);

#endif

#endif
