#include "slow.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"
#include "dead.h"
#include "deadline.h"
#include "log.h"
#include "proc.h"
#include "quick.h"
#include "usermem.h"
#include "settings.h"

struct sf_sock *sf_learn(int fd)
{
	/* A vfork child's descriptors are not the parent's: it learns none
	 * into the table they share. */
	if (fd < 0 || (unsigned)fd >= SF_LOAD(&sf_fd_limit) || !sf_table_is_ours())
		return NULL;
	uintptr_t v = sf_sock_learn(fd);
	if (v)
		sf_sock_install(fd, v);
	/* Another thread may have installed something meanwhile: use what
	 * the table holds now. */
	return sf_sock_get(fd);
}

int sf_sock_is(struct sf_sock *s, int fd)
{
	if (sf_sock_still(s, fd))
		return 1;
	if (sf_table_is_ours() && sf_fd_get(fd) == (uintptr_t)s)
		sf_sock_install(fd, sf_sock_learn(fd));
	return 0;
}

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

long sf_fail(struct sf_call *c, int err)
{
	sf_trace(c, -1, err);
	return sf_done(-1, err);
}

int sf_pending_error(struct sf_sock *s, int err)
{
	uint16_t pending = SF_LOAD(&s->pending_err);
	if (!pending || err != ECONNREFUSED)
		return err;
	SF_STORE(&s->pending_err, 0);
	SF_STORE(&s->state, SF_STATE_UNCONNECTED);
	sf_sock_replan(s);
	return pending;
}

int sf_table_is_ours(void)
{
	return sf_proc_owns_state();
}

int sf_fd_nonblocking(int fd)
{
	long fl = syscall(SYS_fcntl, fd, F_GETFL);
	return fl >= 0 && (fl & O_NONBLOCK);
}

void sf_account_connected(struct sf_sock *s)
{
	if (!s->t_connected)
		s->t_connected = sf_now();
	SF_STORE(&s->state, SF_STATE_CONNECTED);
	sf_sock_replan(s);
	sf_deadline_arm(-1, s);
}

void sf_account(struct sf_sock *s, int tx, long r, size_t moved)
{
	sf_account_inline(s, tx, r, moved);
}

/* The connection died while the call was in the kernel (another thread's
 * reset, the timeout's deadline): its answer replaces the kernel's. */
long sf_quick_dead(struct sf_sock *s, int fd, long r, enum sf_op op)
{
	if (!sf_sock_is(s, fd))
		return r;
	int err = r < 0 ? errno : 0;
	int fixed = sf_dead_fixup(s, fd, op, r, err);
	if (fixed != err) {
		r = -1;
		errno = fixed;
	}
	return r;
}
