/* Internal definitions shared by every part of the preload library. */
#ifndef SF_SF_H
#define SF_SF_H

#include "config.h"

#include <stdint.h>

#define SF_LIKELY(x)   __builtin_expect(!!(x), 1)
#define SF_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define SF_EXPORT      __attribute__((visibility("default")))
#define SF_TLS         __thread __attribute__((tls_model("initial-exec")))

#define SF_LOAD(p)      __atomic_load_n((p), __ATOMIC_RELAXED)
#define SF_STORE(p, v)  __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define SF_ACQUIRE(p)   __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define SF_RELEASE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define SF_ADD(p, v)    __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)

/* Per thread: initial-exec TLS never allocates (global-dynamic TLS may call
 * malloc on first use, from inside a wrapper). */
struct sf_thread {
	int depth;      /* >0: this thread is inside the library; a nested call
	                 * (a signal handler, a callback) goes straight to libc */
	int resolving;  /* inside dlsym: fall back to raw system calls */
	uintptr_t sp;   /* the stack frame of the call that raised depth; 0:
	                 * raised for good (the library's own threads, init) */
};

/* Raise depth for a call entering the library from the program. */
#define SF_ENTER_MARK()                                                        \
	do {                                                                   \
		sf_self.sp = (uintptr_t)__builtin_frame_address(0);            \
		sf_self.depth++;                                               \
	} while (0)
extern SF_TLS struct sf_thread sf_self;

#endif
