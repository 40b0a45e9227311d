#include "enter.h"

#include <signal.h>

#include "usermem.h"

/* A call that finds depth raised is nested in the call under way (a signal
 * handler's, a callback's) only if that call's frame is still live. A
 * signal handler runs below the interrupted frames, past the red zone and a
 * signal frame (over 1 KiB on every Linux target: the saved registers and
 * FPU state); the library never calls its own entry points (it calls the
 * real functions), and runs foreign code (the reload's malloc) at least
 * SF_NEST_GAP below the frame that entered. A call from the program after a
 * longjmp out of a handler is anywhere: within a few words of the abandoned
 * frame (the same call site), above it, or below it. */

/* The abandoned frame's place was reused: the return address it saved is
 * not there any more. Read through the kernel, which answers for memory a
 * coroutine's stack may have left. Where the frame layout is not known, a
 * frame is taken as live. */
static int frame_gone(uintptr_t frame)
{
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__)
	/* The return address sits one word above the frame address. */
	uintptr_t word;
	if (!sf_user_copy(&word, (const void *)(frame + sizeof(void *)), sizeof word))
		return 0;
	return word != sf_self.ret;
#else
	(void)frame;
	return 0;
#endif
}

int sf_nested(uintptr_t here)
{
	uintptr_t outer = sf_self.sp;
	if (!outer)
		return 1;
	if (here + SF_NEST_GAP < outer) {
		/* Below the call under way: nested, unless that call's frame
		 * is gone (the program longjmp'ed out, then went deeper). */
		if (!frame_gone(outer))
			return 1;
	} else {
		/* Not below it: nested only on an alternate signal stack,
		 * which may lie anywhere. */
		int e = errno;
		stack_t ss;
		int on_alt = sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK);
		errno = e;
		if (on_alt)
			return 1;
	}
	/* The call that raised depth will never return: a signal handler
	 * longjmp'ed out of it. The records it held are no one's now. */
	sf_self.depth = 0;
	sf_self.sp = 0;
	if (sf_self.nheld)
		sf_sock_release_held();
	return 0;
}
