/* The quick lane's way in and out, inline in the wrappers of the data calls
 * (entry/wrappers.c): enter with the gate's answer (decide/quick.h), run
 * the real call, account for it and leave; the rare ends are out of line
 * in slow.c. */
#ifndef SF_LANE_H
#define SF_LANE_H

#include "quick.h"

/* What sf_quick_enter found. For each answer but SF_LANE_SLOW the wrapper
 * tail-calls a function of its own (entry/wrappers.c), so that its checks
 * run in the registers the call came with, with no frame and nothing
 * saved; after SF_LANE_IN, SF_LANE_MISS and SF_LANE_MORE the record is
 * held and depth raised. */
enum sf_lane {
	SF_LANE_SLOW,	 /* not entered, nothing counted: the slow path */
	SF_LANE_IN,	 /* entered and counted: run the real call, then sf_quick_leave */
	SF_LANE_MISS,	 /* entered, not settled: sf_quick_drop, then the slow path */
	SF_LANE_BY_DEST, /* not entered: the destination's verdict (sf_quick_by_dest) */
	SF_LANE_MORE	 /* entered, not counted: sf_quick_more settles it, out of line */
};

/* Leave after SF_LANE_MISS: release the record held, out of line. */
void sf_quick_drop(void);

/* Count the call and enter the library, or do neither. v: fd's record as
 * the wrapper found it (sf_pass_v); dest: the call's own destination,
 * NULL, or SF_DEST_UNKNOWN. */
static inline __attribute__((always_inline)) enum sf_lane sf_quick_enter(int fd, enum sf_op op, uintptr_t v,
									 const struct sockaddr *dest, socklen_t destlen,
									 int current)
{
	struct sf_sock *s = (struct sf_sock *)v;
	/* quick_ops and dest_ops are empty on a dead socket, one with a
	 * pending error, and when tracing (plan.c). A record in the table means
	 * the library is initialised: only a nested call must be let through.
	 * Until the reference is taken the record may be another thread's to
	 * free: it is only looked at. current: v is a current record whose
	 * opmask names op (sf_pass_v), a socket's: "not a socket" names no
	 * operation of the quick lane. */
	if ((!current && !sf_fd_is_sock(v)) || sf_self.depth)
		return SF_LANE_SLOW;
	if (!(SF_LOAD(&s->quick_ops) & SF_OPBIT(op)))
		return dest != SF_DEST_UNKNOWN && (SF_LOAD(&s->dest_ops) & SF_OPBIT(op)) ? SF_LANE_BY_DEST
											 : SF_LANE_SLOW;
	/* The reference (6 instructions, 2 to drop): a close racing the call
	 * must not free the record the call accounts to after the kernel. */
	if (!sf_sock_try_ref(s))
		return SF_LANE_SLOW;
	/* The depth and the held slot (3 instructions, 5 to leave): a signal
	 * handler's call while this one is in the kernel goes straight to
	 * libc, and a longjmp out of it leaves no reference behind. The
	 * wrapper notes its frame next (SF_MARK_FRAME): a signal handler's
	 * call in between finds none and is nested. */
	sf_self.depth++;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	/* At depth 0 a thread holds no record (sf_leave, sf_nested release
	 * them before depth falls back): the first slot is free. */
	sf_self.held[0] = s;
	sf_self.nheld = 1;
	/* A call with its own destination draws by it, unless the socket is
	 * a connected stream. */
	int own_dest = dest && !((s->flags & SF_SOCK_STREAM) && (s->flags & SF_SOCK_HAS_PEER));
	/* The reference is ours only if fd still points at the record: a close
	 * racing this call may have freed it, and a new socket reused it, in
	 * between (6 instructions). */
	if (SF_UNLIKELY(sf_fd_get_seen(fd) != v))
		return SF_LANE_MISS;
	int q = sf_quick_count(s, op, own_dest, SF_GATE_INLINE);
	return SF_LIKELY(q > 0) ? SF_LANE_IN : q < 0 ? SF_LANE_MORE : SF_LANE_MISS;
}

/* The rare ends of a quick call (slow.c): the connection died while the
 * call was in the kernel; a connect under way seen to complete. */
long sf_quick_dead(struct sf_sock *s, int fd, long r, enum sf_op op);
void sf_account_connected(struct sf_sock *s);

/* The bytes a data call moved, in its direction. */
static inline __attribute__((always_inline)) void sf_account_bytes(struct sf_sock *s, int tx, size_t moved)
{
	if (tx)
		SF_ADD(&s->sent, moved);
	else
		SF_ADD(&s->received, moved);
}

/* After a data call: bytes moved, when, and a pending connect seen to
 * complete by a successful call. */
static inline __attribute__((always_inline)) void sf_account_inline(struct sf_sock *s, int tx, long r, size_t moved)
{
	if (r < 0)
		return;
	sf_account_bytes(s, tx, moved);
	if (SF_LOAD(&s->track_idle))
		SF_STORE(&s->t_last_io, sf_now_cheap());
	if (SF_UNLIKELY(SF_LOAD(&s->state) == SF_STATE_CONNECTING))
		sf_account_connected(s);
}

/* Release the one record sf_quick_enter held (its caller was at depth 0,
 * holding none), free what a reload left if no reader is left to keep it,
 * and leave. Released inside the library: freeing the record must not
 * meet a signal handler's call that is not known to be nested. */
static inline __attribute__((always_inline)) void sf_quick_release(struct sf_sock *s)
{
	sf_self.nheld = 0;
	if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0)
		sf_sock_free(s);
	if (SF_UNLIKELY(SF_LOAD(&sf_retired)) && !SF_LOAD(&sf_readers))
		sf_reclaim();
	sf_depth_down();
}

/* The ways out of sf_quick_leave that call something (slow.c): each does
 * the rest of the leave itself, so that the leave's own way calls nothing
 * and saves no register. */
long sf_quick_leave_rare(long r, int tx, enum sf_op op);
long sf_quick_leave_clock(long r);
long sf_quick_leave_free(long r);
long sf_quick_leave_reclaim(long r);

/* The real call returned r: account for it and leave (the call's
 * descriptor is sf_self.lane_fd, for a connection that died meanwhile). */
static inline __attribute__((always_inline)) long sf_quick_leave(long r, int tx, enum sf_op op)
{
	struct sf_sock *s = sf_self.held[0];
	if (SF_UNLIKELY((SF_LOAD(&s->dead) && r <= 0) || SF_LOAD(&s->state) == SF_STATE_CONNECTING))
		return sf_quick_leave_rare(r, tx, op);
	if (r >= 0) {
		sf_account_bytes(s, tx, (size_t)r);
		if (SF_LOAD(&s->track_idle)) {
			uint64_t now;
			if (!sf_now_fast(&now))
				return sf_quick_leave_clock(r);
			SF_STORE(&s->t_last_io, now);
		}
	}
	sf_self.nheld = 0;
	if (SF_UNLIKELY(__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0))
		return sf_quick_leave_free(r);
	if (SF_UNLIKELY(SF_LOAD(&sf_retired)))
		return sf_quick_leave_reclaim(r);
	/* The lane entered at depth 0 (sf_quick_enter), and a nested call
	 * gives back what it raised: depth is 1 here. */
	sf_self.depth = 0;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	sf_self.sp = 0;
	return r;
}

#endif
