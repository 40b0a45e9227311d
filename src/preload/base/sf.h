/* Internal definitions shared by every part of the preload library. */
#ifndef SF_SF_H
#define SF_SF_H

#include "config.h"

#include <stdint.h>

#define SF_LIKELY(x) __builtin_expect(!!(x), 1)
#define SF_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define SF_EXPORT __attribute__((visibility("default")))
/* On the library's own variables' declarations: the library is built with
 * -fvisibility=hidden, but a declaration without it is reached through the
 * global offset table, an instruction more at every use on the fast path. */
#define SF_HIDDEN __attribute__((visibility("hidden")))
/* Thread-locals: initial-exec under glibc, whose global-dynamic TLS may
 * call malloc on first use (from inside a wrapper). musl sets up every
 * module's TLS before a thread runs, so its global-dynamic access never
 * allocates, and its dlopen refuses a library with initial-exec TLS (the
 * supervisor dlopens this one: sockfault(1), THE SUPERVISOR). */
#ifdef __GLIBC__
#define SF_TLS __thread __attribute__((tls_model("initial-exec")))
#else
#define SF_TLS __thread
#endif

#define SF_LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define SF_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define SF_ACQUIRE(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define SF_RELEASE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define SF_ADD(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)

/* At most: accept holds the listener, a record learned for it and the new
 * socket; a call whose record turned out stale, the one learned in its place. */
#define SF_HELD_MAX 4

struct sf_sock;

/* Per thread: initial-exec TLS never allocates (global-dynamic TLS may call
 * malloc on first use, from inside a wrapper). */
struct sf_thread {
	int depth;     /* >0: this thread is inside the library; a nested call
	                 * (a signal handler, a callback) goes straight to libc */
	int resolving; /* inside dlsym: fall back to raw system calls */
	/* Socket records this thread's call is using (sock.h sf_sock_hold):
	 * each is a counted reference, released when the call leaves the
	 * library, so that no record is freed under a call that uses it. */
	struct sf_sock *held[SF_HELD_MAX];
	int nheld;
	uintptr_t sp;  /* the stack frame of the call that raised depth; 0
	                 * while depth is 0, while a call is on its way in, and
	                 * where depth is raised for good (the library's threads) */
	uintptr_t ret; /* that frame's return address, as saved in it */
	int lane_fd;   /* the quick lane's call's descriptor (calls/lane.h) */
};

extern SF_TLS struct sf_thread sf_self;

/* Note the frame of the function this is expanded in as the one the call
 * under way lives in (state/enter.c sf_nested). */
#define SF_MARK_FRAME()                                               \
	do {                                                          \
		sf_self.sp = (uintptr_t)__builtin_frame_address(0);   \
		sf_self.ret = (uintptr_t)__builtin_return_address(0); \
	} while (0)

/* After a call that must end while the marked frame is still the call's
 * (the quick lane's leave). On x86-64 the frame's return address lies in
 * its caller's part of the stack, where a tail call that takes the frame
 * over leaves it: the mark holds (state/enter.c sf_nested), and the call
 * may be a tail call. Elsewhere (aarch64) a function keeps it in its own
 * frame, which a tail call gives up: the call must return into it. */
#if defined(__x86_64__)
#define SF_KEEP_FRAME() ((void)0)
#else
#define SF_KEEP_FRAME() __asm__ volatile("")
#endif

/* Raise depth for a call entering the library from the program, then note
 * its frame: a signal handler's call in between finds sp 0 and is nested. */
#define SF_ENTER_MARK()                                  \
	do {                                             \
		sf_self.depth++;                         \
		__atomic_signal_fence(__ATOMIC_SEQ_CST); \
		SF_MARK_FRAME();                         \
	} while (0)

/* Lower depth; back at 0, forget the frame. */
static inline void sf_depth_down(void)
{
	if (--sf_self.depth == 0) {
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		sf_self.sp = 0;
	}
}

#endif
