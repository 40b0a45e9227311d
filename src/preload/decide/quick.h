/* The quick lane's deciding part: a data call on a live socket whose one
 * rule for the call the gate settles (it does not apply, or counts the
 * call and is not due: gate.h) goes to libc from the wrapper itself, with
 * the socket's record held while the call runs and its bytes accounted
 * after it (calls/lane.h). Inline in every wrapper of a call whose result
 * is a byte count (wrappers.c), so that the lane costs no call of its own.
 * Nothing here touches errno. */
#ifndef SF_QUICK_H
#define SF_QUICK_H

#include "sf.h"

#include <sys/socket.h>

#include "active.h"
#include "clock.h"
#include "gate.h"
#include "proctree.h"
#include "reclaim.h"
#include "settings.h"
#include "sock.h"
#include "take.h"

#define SF_OPS_QUICK (SF_OPS_IO & ~(SF_OPBIT(SF_OP_sendmmsg) | SF_OPBIT(SF_OP_recvmmsg)))
/* The call has a destination the wrapper cannot see (a msghdr's). */
#define SF_DEST_UNKNOWN ((const struct sockaddr *)1)

/* A socket's numbers as the rules read them (gate.h); the clock's only
 * when asked for: reading it is the dearest part. */
static inline void sf_sock_snap_clock(const struct sf_sock *s, struct sf_snap *sn)
{
	sn->now = sf_now();
	sn->t_start = sf_config.t_start;
	sn->t_connected = s ? s->t_connected : 0;
	sn->t_last_io = s ? SF_LOAD(&s->t_last_io) : 0;
}

static inline void sf_sock_snap(const struct sf_sock *s, int clock, struct sf_snap *sn)
{
	sn->state = SF_LOAD(&s->state);
	sn->sent = SF_LOAD(&s->sent);
	sn->received = SF_LOAD(&s->received);
	if (clock)
		sf_sock_snap_clock(s, sn);
	else
		sn->now = sn->t_start = sn->t_connected = sn->t_last_io = 0;
}

/* The draw keys of s's plan are for this call: it draws by the
 * connection's peer (not a datagram's own destination), in the process
 * and on the connection the keys were made for. */
static inline int sf_draws_current(const struct sf_plan *plan, const struct sf_sock *s, int own_dest)
{
	return !own_dest && plan->draw_id == sf_plan_draws_for(sf_proctree_key(), s->conn_ordinal);
}

/* sf_gate_holds for entry e of rule set a on s, out of line: the clock,
 * state=, more than one number (quick.c). */
__attribute__((cold)) int sf_lane_holds_full(const struct sf_active *a, const struct sf_plan_entry *e,
					     const struct sf_sock *s);

/* Who asks sf_lane_holds, sf_gate_pass and sf_quick_count (their `full`):
 * the lane's inline part, which may call nothing; its out-of-line part
 * (entry/wrappers.c sf_more_NAME), where the inline part asked for it
 * (SF_HOLDS_ASK: no clock without a call, or a bound's mark to make);
 * the engine's first look (engine.c). Nonzero: it may call. */
enum { SF_GATE_INLINE, SF_GATE_MORE, SF_GATE_ENGINE };

/* What sf_lane_holds and sf_gate_pass answer besides 1 and 0 (-1: the
 * answer needs a call, and `full` is SF_GATE_INLINE). */
#define SF_HOLDS_ASK (-1)
/* It does not hold: a lower bound on idle or age is not reached yet, and
 * the timer may be set for when it is (fault/deadline.h sf_deadline_arm;
 * the entry is SF_ARM_TRY). Not to SF_GATE_INLINE; to sf_gate_pass's
 * caller, settled as 1 is. */
#define SF_HOLDS_LATER 2

/* e's lower bound, not reached for ns more, is not looked at with the clock
 * again before then (SF_ARM_UNTIL): for a mark the timer does not keep
 * (SF_ARM_NEVER, or an UNTIL that has come), and unless the mark changed
 * meanwhile (fault/deadline.c). Every time noted is one the bound cannot
 * come before: idle counts from a later byte, never an earlier one. The
 * mark's time takes the place of the draw key, which only p= alone has
 * (sf_lane_markable). */
static inline int sf_lane_markable(const struct sf_plan_entry *e)
{
	return !sf_gate_gaps(e->flags);
}

static inline void sf_lane_until(struct sf_plan_entry *e, uint8_t mark, uint64_t tsc, uint64_t at, uint64_t ns)
{
	SF_STORE(&e->until, sf_tsc_until(tsc, at, ns));
	__atomic_compare_exchange_n(&e->mark, &mark, (uint8_t)((mark & ~SF_ARM_MASK) | SF_ARM_UNTIL), 0,
				    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

/* sf_gate_holds for entry e on s: 1 or 0, SF_HOLDS_LATER, or SF_HOLDS_ASK.
 * One number alone (the plan's num) but the clock's is compared here: a
 * call would cost the wrapper a frame, its registers saved on every call
 * (entry/wrappers.c). */
static inline __attribute__((always_inline)) int sf_lane_holds(const struct sf_active *a, struct sf_plan_entry *e,
							       const struct sf_sock *s, int full)
{
	uint64_t v, t, tsc, at;
	uint8_t mark;
	/* idle and age first: a single-threaded program's mark is then a
	 * few instructions in (the counts' compare is as short either way). */
	unsigned num = e->num;
	_Static_assert(SF_NUM_AGE == SF_NUM_IDLE + 1, "idle and age are tested as one range");
	if (SF_LIKELY(num - (1 + SF_NUM_IDLE) < 2)) {
		/* Read again: kept from sf_gate_pass, it would hold a
		 * register that every call would pay to save. A mark that
		 * became stuck meanwhile is as if this call came first. */
		mark = SF_ACQUIRE(&e->mark);
		/* Its lower bound is not reached yet: the counter has not
		 * reached `until`, or the timer comes when it is (SF_GATE_MORE
		 * comes after the inline part found no such mark). */
		if (SF_LIKELY(mark == SF_ARM_UNTIL ? sf_tsc_ahead(&e->until)
						   : mark == SF_ARM_ON && full != SF_GATE_MORE))
			return 0;
		/* The counter's clock, or a call to the kernel's. The inline
		 * part keeps no reading of the counter: it would hold a
		 * register that every call would pay to save. */
		if (!full) {
			if (!sf_now_fast(&v))
				return SF_HOLDS_ASK;
		} else if (!sf_now_fast_at(&v, &tsc)) {
			v = sf_now();
			tsc = 0;
		}
		at = v;
		/* sf_snap_number's: nothing before a connection; idle since
		 * the later of the last byte and the connection. */
		if (!(t = SF_LOAD(&s->t_connected)))
			return 0;
		if (e->num == 1 + SF_NUM_IDLE && SF_LOAD(&s->t_last_io) > t)
			t = SF_LOAD(&s->t_last_io);
		v = v > t ? v - t : 0;
		if (v < e->lo) {
			/* The mark read again, for the register as above. Not
			 * reached: the timer may be set for when it is (TRY:
			 * the caller arms, fault/deadline.h), or the counter
			 * marked (NEVER or UNTIL), out of line (the inline part
			 * has no registers to spare for it), and once: the calls
			 * that follow read no clock. */
			mark = SF_ACQUIRE(&e->mark);
			if (mark == SF_ARM_TRY || ((mark & 1) && sf_lane_markable(e))) {
				if (!full)
					return SF_HOLDS_ASK;
				if (mark == SF_ARM_TRY)
					return SF_HOLDS_LATER;
				if (tsc)
					sf_lane_until(e, mark, tsc, at, e->lo - v);
			}
			return 0;
		}
	} else if (num == 1 + SF_NUM_SENT) {
		v = SF_LOAD(&s->sent);
	} else if (num == 1 + SF_NUM_RECEIVED) {
		v = SF_LOAD(&s->received);
	} else {
		return full ? sf_lane_holds_full(a, e, s) : -1;
	}
	/* lo <= v <= hi in one compare. */
	return v - e->lo <= e->span;
}

/* Entry e of s's plan, a GATED one whose fixed conditions hold for the
 * call, on the call: 1 when that settles it (the rule does not apply, or
 * the call is counted and not due), 0 when the full path must decide (then
 * nothing is counted), SF_HOLDS_ASK and SF_HOLDS_LATER as sf_lane_holds
 * (LATER settles the call too); counted by sf_gate_take (take.h).
 * own_dest: the call has its own destination. */
static inline __attribute__((always_inline)) int sf_gate_pass(const struct sf_active *a, const struct sf_plan *plan,
							      struct sf_plan_entry *e, const struct sf_sock *s,
							      int own_dest, int full)
{
	if (sf_entry_stuck(e))
		return 0;
	uint8_t flags = e->flags;
	if (SF_UNLIKELY(flags & SF_PE_DYNAMIC)) {
		int holds = sf_lane_holds(a, e, s, full);
		if (holds != 1)
			return holds ? holds : 1;
	}
	/* p= alone fires at the calls its gaps draw (gate.h), on the
	 * connection's key: only a call whose draws are the plan's is
	 * counted by them. */
	if (sf_gate_gaps(flags) && !sf_draws_current(plan, s, own_dest))
		return 0;
	return sf_gate_take(plan, e);
}

/* The lane of a datagram socket's call to its own destination (engine.c):
 * 1 entered and counted (the record held, depth raised, the frame noted:
 * `frame` and `ret`, the wrapper's, where its real call's frame will be:
 * sf_run_NAME takes its place), 0 neither. */
int sf_quick_by_dest(int fd, uintptr_t v, enum sf_op op, const struct sockaddr *dest, socklen_t destlen,
		     uintptr_t frame, uintptr_t ret);

/* At most one rule names `op` on s, and its gate settles the call: 1 (or
 * SF_HOLDS_LATER); otherwise 0, and nothing counted; SF_HOLDS_ASK as
 * sf_lane_holds. */
static inline __attribute__((always_inline)) int sf_quick_count(struct sf_sock *s, enum sf_op op, int own_dest,
								int full)
{
	const int slot = sf_quick_slot[op] - 1;
	int ok;
	/* The reader count (3 instructions, and 4 as the call leaves for what
	 * it left to free): a reload or a replan in another thread may retire
	 * the plan and the rules this reads. */
	sf_read_begin();
	/* The rule set is looked at only to check what the plan cannot say
	 * (sf_lane_holds_full); the lane compares generations. */
	const struct sf_active *a = full ? sf_active_get() : NULL;
	/* Ordered after the reader count's increment, as the reclaimer's
	 * look at the count is after a reload's new generation (a plain
	 * load on x86, not on arm64). */
	uint32_t gen = full ? (a ? a->gen : 0) : __atomic_load_n(&sf_gen, __ATOMIC_SEQ_CST);
	struct sf_plan *plan = SF_ACQUIRE(&s->plan);
	/* quick_ops belongs to the plan: both must be of the rules in force. */
	if (SF_LIKELY(plan != NULL)) {
		unsigned i = slot >= 0 ? plan->quick[slot] : 0xff;
		if (plan->gen != gen)
			ok = 0;
		else if (i == 0xff)
			ok = 1;
		else {
			/* One register for the entry: GCC would otherwise keep
			 * its index and the plan, and rebuild the address. */
			struct sf_plan_entry *e = &plan->e[i];
			__asm__("" : "+r"(e));
			ok = sf_gate_pass(a, plan, e, s, own_dest, full);
		}
	} else
		ok = gen && sf_sock_current(s, gen);
	/* What the section's end may free is freed when the call leaves
	 * (sf_quick_leave): a call out here would have the lane save the
	 * call's arguments on every call. */
	__atomic_sub_fetch(&sf_readers, 1, __ATOMIC_SEQ_CST);
	return ok;
}

/* sf_quick_count where the lane could not settle the call without a call
 * of its own (SF_HOLDS_ASK): with the clock and the full snapshot, in the
 * wrapper's out-of-line part (entry/wrappers.c sf_more_NAME), whose
 * constant op picks its slot at compile time. dest: the call's own
 * destination, as sf_quick_enter's. 1, SF_HOLDS_LATER (settled, and the
 * timer would spare the next calls the clock), or 0. */
static inline __attribute__((always_inline)) int sf_quick_more(struct sf_sock *s, enum sf_op op,
							       const struct sockaddr *dest)
{
	int own_dest = dest && !((s->flags & SF_SOCK_STREAM) && (s->flags & SF_SOCK_HAS_PEER));
	return sf_quick_count(s, op, own_dest, SF_GATE_MORE);
}

#endif
