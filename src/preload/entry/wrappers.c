/* The exported entry points. Each is generated from calls.def: if the rules
 * leave the call alone (the common case: a bit test and, for operations a
 * rule names, one table look-up), it goes straight to libc with nothing
 * allocated, locked or formatted; otherwise to its slow path. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "deadline.h"
#include "dest.h"
#include "lane.h"
#include "slow.h"

/* Declared by glibc's headers only when the caller is fortified. */
ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags, struct sockaddr *from,
		       socklen_t *fromlen);
ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen);

/* recvmsg and recvmmsg can bring descriptors (SCM_RIGHTS) to numbers the
 * table may still hold a record for: while rules are in force, those
 * entries are forgotten, so that the received socket is learned as what it
 * is. Their second argument is the header (or the vector of headers). */
#define SF_OPS_RIGHTS (SF_OPBIT(SF_OP_recvmsg) | SF_OPBIT(SF_OP_recvmmsg))
#define SF_SECOND(...) SF_SECOND_(__VA_ARGS__, 0, 0)
#define SF_SECOND_(a, b, ...) ((uintptr_t)(b))

/* The entry tests and tail-calls; everything else is out of line, so that
 * the call that goes straight to libc sets up no stack frame. The
 * out-of-line part is given the record the entry found (sf_pass_v): a
 * current one that asks for the call (sf_hot_NAME), or none or a stale one
 * (sf_stale_NAME, which also looks at the rules' files while reloading is
 * on: a function of its own, so that this costs the quick lane of a
 * current record no registers). */
/* The call may name its own destination, which the destination cache may
 * know no rule applies to (decide/dest.h): sendto's argument (the others
 * pass a constant), sendmsg's header's. */
#define SF_DEST_ARG(op, dest) (!__builtin_constant_p(dest) || SF_OP_##op == SF_OP_sendmsg)
#define SF_ARGS(...) __VA_ARGS__
/* The record is an argument of its own, unless the call has six: the
 * registers that carry arguments would be full (x86-64 has six), and a
 * seventh on the stack costs every call a frame, those that go straight
 * to libc included. Then the out-of-line part looks at the table again.
 * SF_WITH_V(params or args, v): the list, with v or without it. */
#define SF_NARGS(...) SF_NARGS_(__VA_ARGS__, 6, 5, 4, 3, 2, 1, 0)
#define SF_NARGS_(a, b, c, d, e, f, n, ...) n
#define SF_CAT(a, b) SF_CAT_(a, b)
#define SF_CAT_(a, b) a##b
#define SF_WITH_V(list, v) SF_CAT(SF_WITH_V_, SF_NARGS list)(list, v)
#define SF_WITH_V_1(list, v) (SF_ARGS list, v)
#define SF_WITH_V_2(list, v) (SF_ARGS list, v)
#define SF_WITH_V_3(list, v) (SF_ARGS list, v)
#define SF_WITH_V_4(list, v) (SF_ARGS list, v)
#define SF_WITH_V_5(list, v) (SF_ARGS list, v)
#define SF_WITH_V_6(list, v) list
/* Inside the out-of-line part: was the record given, and the record. */
#define SF_HAS_V(list) (SF_NARGS list < 6)
#define SF_GIVEN(list) SF_CAT(SF_GIVEN_, SF_NARGS list)
#define SF_GIVEN_1 sf_given
#define SF_GIVEN_2 sf_given
#define SF_GIVEN_3 sf_given
#define SF_GIVEN_4 sf_given
#define SF_GIVEN_5 sf_given
#define SF_GIVEN_6 ((uintptr_t)0)
#define SF_CALL(ret, name, params, args, fd, op, dest, destlen, fallback)                                       \
	static __attribute__((noinline)) long sf_leave_##name(long r)                                           \
	{                                                                                                       \
		return sf_quick_leave(r, (SF_OPS_TX & SF_OPBIT(SF_OP_##op)) != 0, SF_OP_##op);                  \
	}                                                                                                       \
	/* The quick lane's real call, in a frame of its own (lane.h), which \
	 * the leave takes over (base/sf.h SF_KEEP_FRAME). */                                  \
	static __attribute__((noinline)) ret sf_run_##name params                                               \
	{                                                                                                       \
		SF_MARK_FRAME();                                                                                \
		sf_self.lane_fd = fd;                                                                           \
		long sf_r = sf_leave_##name((long)sf_real_##name args);                                         \
		SF_KEEP_FRAME();                                                                                \
		return (ret)sf_r;                                                                               \
	}                                                                                                       \
	static __attribute__((noinline, cold)) ret sf_miss_##name params                                        \
	{                                                                                                       \
		sf_quick_drop();                                                                                \
		return sf_slow_##name args;                                                                     \
	}                                                                                                       \
	static __attribute__((noinline)) ret sf_more_##name params                                              \
	{                                                                                                       \
		/* Calls of its own come before the real one's frame. */                                        \
		SF_MARK_FRAME();                                                                                \
		int sf_q = sf_quick_more(sf_self.held[0], SF_OP_##op, dest);                                    \
		/* A bound not reached: the timer may spare the next calls the clock. */                        \
		if (SF_UNLIKELY(sf_q == SF_HOLDS_LATER))                                                        \
			sf_deadline_arm(fd, sf_self.held[0]);                                                   \
		if (sf_q)                                                                                       \
			return sf_run_##name args;                                                              \
		return sf_miss_##name args;                                                                     \
	}                                                                                                       \
	static __attribute__((noinline)) ret sf_by_dest_##name SF_WITH_V(params, uintptr_t sf_given)            \
	{                                                                                                       \
		uintptr_t v = SF_HAS_V(args) ? SF_GIVEN(args) : sf_fd_get(fd);                                  \
		if (sf_fd_is_sock(v) &&                                                                         \
		    sf_quick_by_dest(fd, v, SF_OP_##op, dest, destlen, (uintptr_t)__builtin_frame_address(0),   \
				     (uintptr_t)__builtin_return_address(0)))                                   \
			return sf_run_##name args;                                                              \
		return sf_slow_##name args;                                                                     \
	}                                                                                                       \
	/* Every way out a tail call: the lane's checks save no register. */                                    \
	static inline __attribute__((always_inline))                                                            \
	ret sf_lane_##name(SF_ARGS params, uintptr_t sf_v, int sf_current)                                      \
	{                                                                                                       \
		if (SF_OPS_QUICK & SF_OPBIT(SF_OP_##op)) {                                                      \
			switch (sf_quick_enter(fd, SF_OP_##op, sf_v, dest, destlen, sf_current)) {              \
			case SF_LANE_IN:                                                                        \
				return sf_run_##name args;                                                      \
			case SF_LANE_MISS:                                                                      \
				return sf_miss_##name args;                                                     \
			case SF_LANE_MORE:                                                                      \
				return sf_more_##name args;                                                     \
			case SF_LANE_BY_DEST:                                                                   \
				return sf_by_dest_##name SF_WITH_V(args, sf_v);                                 \
			case SF_LANE_SLOW:                                                                      \
				break;                                                                          \
			}                                                                                       \
		}                                                                                               \
		return sf_slow_##name args;                                                                     \
	}                                                                                                       \
	static __attribute__((noinline)) ret sf_stale_##name SF_WITH_V(params, uintptr_t sf_given)              \
	{                                                                                                       \
		uintptr_t v = SF_HAS_V(args) ? SF_GIVEN(args) : sf_fd_get(fd);                                  \
		if (SF_UNLIKELY(SF_LOAD(&sf_reload_on))) {                                                      \
			sf_reload_check();                                                                      \
			v = sf_fd_get(fd);                                                                      \
			if (sf_pass_record_v(SF_OP_##op, v, SF_LOAD(&sf_gen)) ||                                \
			    (SF_DEST_ARG(op, dest) &&                                                           \
			     sf_dest_pass(SF_OP_##op, fd, dest, destlen, (const struct msghdr *)SF_SECOND args, \
					  SF_LOAD(&sf_gen))))                                                   \
				return sf_real_##name args;                                                     \
		}                                                                                               \
		return sf_lane_##name(SF_ARGS args, v, 0);                                                      \
	}                                                                                                       \
	static __attribute__((noinline)) ret sf_hot_##name SF_WITH_V(params, uintptr_t sf_given)                \
	{                                                                                                       \
		if (SF_HAS_V(args))                                                                             \
			return sf_lane_##name(SF_ARGS args, SF_GIVEN(args), 1);                                 \
		return sf_lane_##name(SF_ARGS args, sf_fd_get(fd), 0);                                          \
	}                                                                                                       \
	/* The plan's verdict, when the record's copy of it did not answer. */                                  \
	static __attribute__((noinline)) ret sf_look_plan_##name params                                         \
	{                                                                                                       \
		if (sf_dest_pass(SF_OP_##op, fd, dest, destlen, (const struct msghdr *)SF_SECOND args,          \
				 SF_LOAD(&sf_pass_gen)))                                                        \
			return sf_real_##name args;                                                             \
		return sf_stale_##name SF_WITH_V(args, sf_fd_get(fd));                                          \
	}                                                                                                       \
	/* No destination named (decide/dest.h SF_DEST_UNNAMED). */                                             \
	static __attribute__((noinline)) ret sf_look_unnamed_##name params                                      \
	{                                                                                                       \
		if (sf_dest_unnamed_pass(SF_OP_##op, fd, SF_LOAD(&sf_pass_gen)))                                \
			return sf_real_##name args;                                                             \
		return sf_stale_##name SF_WITH_V(args, sf_fd_get(fd));                                          \
	}                                                                                                       \
	/* After the copy's gate (decide/dest.h SF_DEST_COUNTED), ways out of   \
	 * their own, so that only the gate's way saves registers. */                               \
	static __attribute__((noinline)) ret sf_gated_##name params                                             \
	{                                                                                                       \
		return sf_real_##name args;                                                                     \
	}                                                                                                       \
	static __attribute__((noinline)) ret sf_ungated_##name params                                           \
	{                                                                                                       \
		return sf_stale_##name SF_WITH_V(args, sf_fd_get(fd));                                          \
	}                                                                                                       \
	/* A call with its own destination, once a rule names its operation:    \
	 * the first look (sf_pass_v) and the destination cache's in one: the  \
	 * record's copy of the plan's verdict (decide/dest.h sf_dest_look). */                               \
	static __attribute__((noinline)) ret sf_look_##name params                                              \
	{                                                                                                       \
		switch (sf_dest_look(SF_OP_##op, fd, dest, destlen, (const struct msghdr *)SF_SECOND args,      \
				     SF_LOAD(&sf_pass_gen))) {                                                  \
		case SF_DEST_LIBC:                                                                              \
			return sf_real_##name args;                                                             \
		case SF_DEST_ASK_PLAN:                                                                          \
			return sf_look_plan_##name args;                                                        \
		case SF_DEST_COUNTED:                                                                           \
			return sf_gated_##name args;                                                            \
		case SF_DEST_UNCOUNTED:                                                                         \
			return sf_ungated_##name args;                                                          \
		case SF_DEST_UNNAMED:                                                                           \
			return sf_look_unnamed_##name args;                                                     \
		case SF_DEST_LANES:                                                                             \
			break;                                                                                  \
		}                                                                                               \
		return sf_stale_##name SF_WITH_V(args, sf_fd_get(fd));                                          \
	}                                                                                                       \
	static inline ret sf_entry_##name params                                                                \
	{                                                                                                       \
		if (SF_DEST_ARG(op, dest)) {                                                                    \
			if (SF_LIKELY(!(SF_LOAD(&sf_hot) & SF_OPBIT(SF_OP_##op))))                              \
				return sf_real_##name args;                                                     \
			return sf_look_##name args;                                                             \
		}                                                                                               \
		uintptr_t v;                                                                                    \
		int p = sf_pass_v(SF_OP_##op, fd, &v);                                                          \
		if (SF_LIKELY(p > 0))                                                                           \
			return sf_real_##name args;                                                             \
		if (p == 0)                                                                                     \
			return sf_hot_##name SF_WITH_V(args, v);                                                \
		return sf_stale_##name SF_WITH_V(args, v);                                                      \
	}                                                                                                       \
	SF_EXPORT ret name params                                                                               \
	{                                                                                                       \
		if (!(SF_OPS_RIGHTS & SF_OPBIT(SF_OP_##op)))                                                    \
			return sf_entry_##name args;                                                            \
		ret r = sf_entry_##name args;                                                                   \
		if (r >= 0 && SF_LOAD(&sf_hot))                                                                 \
			sf_rights_received(SF_OP_##op, (long)r, SF_SECOND args);                                \
		return r;                                                                                       \
	}
#define SF_SYM(ret, name, params)
#include "calls.def"
#undef SF_CALL
#undef SF_SYM

/* fcntl is variadic; only F_DUPFD and F_DUPFD_CLOEXEC concern sockets. The
 * third argument is read as a pointer-sized word, as libc itself does. */
static int fcntl_common(sf_fcntl_fn f, int fd, int cmd, void *arg)
{
	if ((cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) && !sf_pass(SF_OP_fcntl, fd))
		return sf_slow_fcntl_dup(fd, cmd, (int)(intptr_t)arg);
	if (!f)
		return (int)syscall(SYS_fcntl, fd, cmd, arg);
	return f(fd, cmd, arg);
}

SF_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(sf_sym_fcntl(), fd, cmd, arg);
}

#ifdef HAVE_FCNTL64
/* With _FILE_OFFSET_BITS=64, glibc compiles fcntl calls into fcntl64. */
SF_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	sf_fcntl64_fn f = sf_sym_fcntl64();
	return fcntl_common((sf_fcntl_fn)f, fd, cmd, arg);
}
#endif

/* close_range and closefrom close descriptors behind the wrappers' back:
 * forget them all. */
#ifdef HAVE_CLOSE_RANGE
SF_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	sf_close_range_fn f = sf_sym_close_range();
	int r = f ? f(first, last, flags) : (int)syscall(SYS_close_range, first, last, flags);
	int err = errno;
#ifdef CLOSE_RANGE_CLOEXEC
	if (r == 0 && !(flags & CLOSE_RANGE_CLOEXEC))
#else
	if (r == 0)
#endif
		sf_forget_range(first, last);
	errno = err;
	return r;
}
#endif

#ifdef HAVE_CLOSEFROM
SF_EXPORT void closefrom(int lowfd)
{
	sf_closefrom_fn f = sf_sym_closefrom();
	if (f)
		f(lowfd);
	else
		syscall(SYS_close_range, (unsigned)lowfd, ~0u, 0);
	int err = errno;
	if (lowfd >= 0)
		sf_forget_range((unsigned)lowfd, ~0u);
	errno = err;
}
#endif

/* _FORTIFY_SOURCE turns recv, recvfrom and read into these. A length larger
 * than the buffer is the program's bug: the real entry reports it (and
 * aborts, as it would without us); anything else is the ordinary call. */
#ifdef HAVE___RECV_CHK
SF_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
	if (len > buflen) {
		sf___recv_chk_fn f = sf_sym___recv_chk();
		if (f)
			return f(fd, buf, len, buflen, flags);
		abort();
	}
	return sf_entry_recv(fd, buf, len, flags);
}
#endif

#ifdef HAVE___RECVFROM_CHK
SF_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags, struct sockaddr *from,
				 socklen_t *fromlen)
{
	if (len > buflen) {
		sf___recvfrom_chk_fn f = sf_sym___recvfrom_chk();
		if (f)
			return f(fd, buf, len, buflen, flags, from, fromlen);
		abort();
	}
	return sf_entry_recvfrom(fd, buf, len, flags, from, fromlen);
}
#endif

#ifdef HAVE___READ_CHK
SF_EXPORT ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	if (len > buflen) {
		sf___read_chk_fn f = sf_sym___read_chk();
		if (f)
			return f(fd, buf, len, buflen);
		abort();
	}
	return sf_entry_read(fd, buf, len);
}
#endif
