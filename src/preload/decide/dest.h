/* The destination cache of a datagram socket's plan (state/sock.h
 * struct sf_plan_dgram): its key, and the look the wrappers take at it
 * before anything else. An unconnected UDP socket has no peer for the plan
 * to set rules aside by, so rules about peers are decided per call; a
 * program sends to the same place again and again, and the plan keeps the
 * verdict for the last destination seen (engine.c dest_entries writes it).
 * When no rule about destinations holds for this one and no rule reads
 * what the call would change (sent>, idle>, a rule that can end the
 * connection), the call is one no rule applies to: it goes straight to
 * libc, as on a socket no rule names the call for. When one rule holds
 * there, names the call and only counts it (when=), its gate counts the
 * call and, unless it is due, lets it go as well. The socket's record
 * keeps a copy of that verdict (state/sock.h struct sf_dest_copy), which
 * the wrappers read first (sf_dest_look): no plan, no reader section; the
 * look at the plan (sf_dest_pass) answers when the copy does not, and
 * copies what it found.
 *
 * What it pays for, measured with callgrind on scripts/bench's UDP sendto
 * loop, extra instructions a call: with 1000 rules for other destinations
 * +311 through the quick lane (a counted reference, the destination copied
 * out of the program's memory, the bytes accounted), +88 reading the
 * plan's verdict under the reader count, +55 reading the record's copy;
 * with one rule that applies and never fires (when=1000000), +356, +114
 * and +106. */
#ifndef SF_DEST_H
#define SF_DEST_H

#include "sf.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "active.h"
#include "fdtab.h"
#include "gate.h"
#include "names.h"
#include "reclaim.h"
#include "sock.h"
#include "take.h"

/* The key of a destination: what a rule about the peer can tell apart
 * (family, port, address, IPv6 scope), never the padding a program may
 * leave unset (sin_zero, the flow label). Word 0: a sockaddr_in's first
 * 8 bytes as they are (family, port, address), or a sockaddr_in6's family
 * and port with its scope id where the flow label was; words 1 and 2: the
 * IPv6 address. All zero: no destination, the socket's own peer. 0 for a
 * destination the cache does not keep (another family, too short). */
static inline int sf_dest_key(const struct sockaddr *a, socklen_t len, uint64_t k[SF_DEST_KEY_WORDS])
{
	if (a->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		memcpy(&k[0], a, sizeof k[0]);
		k[1] = k[2] = 0;
		return 1;
	}
	if (a->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)a;
		unsigned char w[sizeof k[0]];
		memcpy(w, a, 4);
		memcpy(w + 4, &in6->sin6_scope_id, 4);
		memcpy(&k[0], w, sizeof k[0]);
		memcpy(&k[1], (const char *)&in6->sin6_addr, sizeof k[1]);
		memcpy(&k[2], (const char *)&in6->sin6_addr + sizeof k[1], sizeof k[2]);
		return 1;
	}
	return 0;
}

/* An address in a page of the stack that surely is mapped: on x86-64 the
 * stack pointer, where the call pushed its return address (elsewhere the
 * frame's own address, where the frame pointer was just stored). No
 * local whose address is taken: the wrapper can still tail-call. */
static inline __attribute__((always_inline)) uintptr_t sf_dest_stack_here(void)
{
	uintptr_t sp;
#if defined(__x86_64__)
	__asm__("mov %%rsp, %0" : "=r"(sp));
#else
	sp = (uintptr_t)__builtin_frame_address(0);
#endif
	return sp;
}

/* The ops with a destination of their own, each with a slot in the
 * cache's `one`: sendto 0, sendmsg 1, other ops -1. */
static inline int sf_dest_one_slot(enum sf_op op)
{
	return op == SF_OP_sendto ? 0 : op == SF_OP_sendmsg ? 1 : -1;
}

static inline enum sf_op sf_dest_one_op(int slot)
{
	return slot == 0 ? SF_OP_sendto : SF_OP_sendmsg;
}

/* 8 bytes of a sockaddr, from offset off. */
static inline uint64_t sf_dest_word(const struct sockaddr *a, size_t off)
{
	uint64_t w;
	memcpy(&w, (const char *)a + off, sizeof w);
	return w;
}

/* The plan's verdict for key k (under the sequence count), for the names
 * known now: 1 when it holds, with the ops it lets through in *pass. What
 * the sequence count guards is read and written with relaxed atomics: a
 * reader that overlaps a writer throws away what it read, but must not
 * race with it. */
static inline __attribute__((always_inline)) int sf_dest_cached(const struct sf_plan_dgram *dg,
								const uint64_t k[SF_DEST_KEY_WORDS], sf_opmask *pass)
{
	if (!SF_LOAD(&dg->dest_valid) || SF_LOAD(&dg->names_gen) != SF_LOAD(&sf_names_gen))
		return 0;
	if (((SF_LOAD(&dg->dest[0]) ^ k[0]) | (SF_LOAD(&dg->dest[1]) ^ k[1]) | (SF_LOAD(&dg->dest[2]) ^ k[2])) != 0)
		return 0;
	*pass = SF_LOAD(&dg->pass);
	return 1;
}

/* The plan's verdict for the destination names rules for the call, and `one`
 * (read with it under the sequence count) is the one entry holding there
 * that names the call, when the gate may settle the call (engine.c
 * dest_entries: the entry is gated, reads nothing of the socket's own, a
 * count, not sent> or a state, and no rule reads the bookkeeping): 1 when
 * it does (counted, not due), 0 otherwise, and nothing counted. Under the
 * caller's reader section. */
static inline __attribute__((always_inline)) int sf_dest_gate(const struct sf_plan *plan, uint16_t one)
{
	if (one >= plan->n)
		return 0;
	/* Only the entries' counters change, atomically. */
	struct sf_plan_entry *e = (struct sf_plan_entry *)&plan->e[one];
	/* Ordered after the caller's reader count (quick.h sf_quick_count). */
	if (plan->gen != __atomic_load_n(&sf_gen, __ATOMIC_SEQ_CST))
		return 0;
	/* quick.h sf_gate_pass for an entry with nothing dynamic and a call
	 * with its own destination, whose draws are not the plan's (gate.h
	 * with no draw key: due when when= may make it, p= or not): no
	 * snapshot of the socket, no clock, no call that would cost the look
	 * a frame. Only a count below the next one when= may make due is
	 * settled here (the entry's `next`: no division, no draw); from it
	 * on, the lanes decide. */
	if (sf_entry_stuck(e) || sf_gate_gaps(e->flags))
		return 0;
	return sf_gate_take(plan, e);
}

/* The destination of the call (sendmsg: msg's, its length in *len) in
 * *dest, where it surely is readable: all of the largest destination the
 * cache keys (a sockaddr_in6) lies in the page of the stack the wrapper
 * runs on, which is where a program's own local sockaddr and msghdr live
 * (anywhere else, the quick lane copies them: base/usermem.h). One
 * compare of the distance from the page's start: the destination's own
 * length is not in it, a longer sockaddr_in is read no further than its
 * first 8 bytes. 0: not there, or shorter than a sockaddr_in. */
static inline __attribute__((always_inline)) int sf_dest_where(enum sf_op op, const struct sockaddr **dest,
							       socklen_t *len, const struct msghdr *msg)
{
	uintptr_t page = sf_dest_stack_here() & ~(uintptr_t)4095;
	if (op == SF_OP_sendmsg) {
		if ((uintptr_t)msg - page > 4096 - sizeof *msg)
			return 0;
		*dest = (const struct sockaddr *)msg->msg_name;
		*len = msg->msg_namelen;
	}
	return *len >= (socklen_t)sizeof(struct sockaddr_in) &&
	       (uintptr_t)*dest - page <= 4096 - sizeof(struct sockaddr_in6);
}

/* The first word of the key of a readable destination (sf_dest_key) in
 * *k0: 0, not a destination the cache keeps. An IPv6 address's other two
 * words are compared in place; an IPv4 key has none: its first word, with
 * the family in it, matches only a key whose others are 0. */
static inline __attribute__((always_inline)) int sf_dest_first(const struct sockaddr *dest, socklen_t len, uint64_t *k0)
{
	if (dest->sa_family == AF_INET) {
		memcpy(k0, dest, sizeof *k0);
		return 1;
	}
	if (dest->sa_family == AF_INET6 && len == (socklen_t)sizeof(struct sockaddr_in6)) {
		unsigned char w[sizeof *k0];
		memcpy(w, dest, 4);
		memcpy(w + 4, &((const struct sockaddr_in6 *)dest)->sin6_scope_id, 4);
		memcpy(k0, w, sizeof *k0);
		return 1;
	}
	return 0;
}

/* The plan's verdict is for this destination and the names known now;
 * *seq: its sequence count, even. Under a reader section. */
static inline __attribute__((always_inline)) int sf_dest_verdict(const struct sf_plan_dgram *dg,
								 const struct sockaddr *dest, uint64_t k0,
								 uint32_t *seq)
{
	*seq = __atomic_load_n(&dg->dest_seq, __ATOMIC_ACQUIRE);
	return !(*seq & 1) && SF_LOAD(&dg->dest[0]) == k0 && SF_LOAD(&dg->names_gen) == SF_LOAD(&sf_names_gen) &&
	       (dest->sa_family != AF_INET6 ||
		(SF_LOAD(&dg->dest[1]) == sf_dest_word(dest, 8) && SF_LOAD(&dg->dest[2]) == sf_dest_word(dest, 16)));
}

/* The record's copy's pass (struct sf_dest_copy): the op of slot goes
 * straight to libc, for an IPv4 destination, for an IPv6 one; the copy is
 * of an IPv6 destination, whose address and scope are compared too. An
 * IPv4 copy's pass is all the look reads after its first word. */
#define SF_DEST_COPY_PASS4(slot) (1u << (slot))
#define SF_DEST_COPY_PASS6(slot) (4u << (slot))
#define SF_DEST_COPY_V6 0x10u

/* The plan's verdict for a destination, for the record's copy of it. */
struct sf_dest_seen {
	uint64_t key[SF_DEST_KEY_WORDS];
	uint32_t names_gen, scope;
	uint8_t pass;
	uint16_t one[2];
};

/* Copy the plan's verdict into the record (struct sf_dest_copy), unless
 * another thread is writing it or the plan was replaced since seq was
 * read, before the plan: a replan stores the new plan, then moves the
 * count (sf_sock_dest_forget), so that a writer that read the old plan
 * either fails here or leaves a copy whose made is behind the count. */
static inline void sf_dest_keep(struct sf_dest_copy *d, uint32_t seq, const struct sf_plan *plan,
				const struct sf_dest_seen *v)
{
	if (d == &sf_dest_none || (seq & 1) ||
	    !__atomic_compare_exchange_n(&d->seq, &seq, seq + 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	/* The odd count is seen before what follows (sf_dest_look). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	for (int w = 0; w < SF_DEST_KEY_WORDS; w++)
		SF_STORE(&d->key[w], v->key[w]);
	SF_STORE(&d->names_gen, v->names_gen);
	SF_STORE(&d->scope, v->scope);
	SF_STORE(&d->pass, v->pass);
	SF_STORE(&d->one[0], v->one[0]);
	SF_STORE(&d->one[1], v->one[1]);
	SF_STORE(&d->plan, plan);
	/* What the count will be when this is done: a replan meanwhile adds
	 * 2 to it, and the copy never holds. */
	SF_STORE(&d->made, seq + 2);
	__atomic_fetch_add(&d->seq, 1, __ATOMIC_RELEASE);
}

/* The plan's verdict for the record's copy (sf_dest_keep): read under the
 * plan's count, for a readable destination it is for. */
static inline __attribute__((always_inline)) void sf_dest_saw(struct sf_dest_seen *v, const struct sf_plan_dgram *dg,
							      const struct sockaddr *dest, sf_opmask pass)
{
	int v6 = dest->sa_family == AF_INET6;
	v->key[0] = sf_dest_word(dest, 0);
	v->key[1] = v6 ? sf_dest_word(dest, 8) : 0;
	v->key[2] = v6 ? sf_dest_word(dest, 16) : 0;
	v->scope = v6 ? ((const struct sockaddr_in6 *)dest)->sin6_scope_id : 0;
	v->names_gen = SF_LOAD(&dg->names_gen);
	v->one[0] = SF_LOAD(&dg->one[0]);
	v->one[1] = SF_LOAD(&dg->one[1]);
	v->pass = 0;
	for (int slot = 0; slot < 2; slot++)
		if (pass & SF_OPBIT(sf_dest_one_op(slot)))
			v->pass |= (uint8_t)(v6 ? SF_DEST_COPY_PASS6(slot) : SF_DEST_COPY_PASS4(slot));
	if (v6)
		v->pass |= SF_DEST_COPY_V6;
}

/* A call with no destination of its own (sendto's NULL, sendmsg's
 * msg_name NULL) on fd, once the wrappers' look found its record current
 * and a rule about destinations naming the op (sf_dest_look's
 * SF_DEST_UNNAMED): 1, it goes straight to libc, as the plan says for the
 * connected peer (struct sf_plan_dgram peer_pass: only rules for other
 * peers name the op); 0, the wrapper's other lanes decide. The record is
 * looked at again: it may have been replaced since. */
static inline __attribute__((always_inline)) int sf_dest_unnamed_pass(enum sf_op op, int fd, uint32_t gen)
{
	uintptr_t v = sf_fd_get(fd);
	const struct sf_sock *s = (const struct sf_sock *)v;
	if (!v || !sf_sock_current(s, gen))
		return 0;
	__atomic_fetch_add(&sf_readers, 1, __ATOMIC_SEQ_CST);
	const struct sf_plan *plan = SF_ACQUIRE(&s->plan);
	const struct sf_plan_dgram *dg = plan ? sf_plan_dg(plan) : NULL;
	int ok = dg && (dg->peer_pass & SF_OPBIT(op));
	/* See sf_dest_pass. */
	if (__atomic_sub_fetch(&sf_readers, 1, __ATOMIC_SEQ_CST) == 0 && SF_LOAD(&sf_retired))
		ok = 0;
	return ok;
}

/* The look at the plan, when the record's copy of its verdict does not
 * answer (sf_dest_look): 1, the call to dest on fd (sendmsg: msg's) goes
 * straight to libc: no rule names the call on this socket, or the plan's
 * verdict for this destination says that no rule holds there and none
 * reads what the call changes, or that one does and its gate settles the
 * call (counted, not due); 0, the wrapper's other lanes decide. A verdict
 * for this destination is copied into the record, for the calls after.
 * Inline in the wrappers' out-of-line part, with no call of its own, so
 * that the wrapper keeps its arguments where they came and tail-calls.
 *
 * No reference is taken: the record and its fields up to dest are
 * type-stable (state/sock.c), and a plan stays readable within a reader
 * section until it is retired (unpublished first, by a replan or the
 * record's end). When the reader section's end finds something to free,
 * a call not counted here takes the quick lane, whose own section's end
 * frees it (one counted leaves it to a later section). */
static inline __attribute__((always_inline)) int sf_dest_pass(enum sf_op op, int fd, const struct sockaddr *dest,
							      socklen_t destlen, const struct msghdr *msg, uint32_t gen)
{
	uintptr_t v = sf_fd_get(fd);
	struct sf_sock *s = (struct sf_sock *)v;
	/* First what the wrappers' first look asks (slow.h sf_pass_v): gen is
	 * sf_pass_gen there (no record is current while reloading is on),
	 * sf_gen once the files have been looked at. */
	if (!v || !sf_sock_current(s, gen))
		return 0;
	/* The ops only rules about destinations name are among those of
	 * opmask; not a socket (sf_notsock) names neither. */
	if (!(SF_LOAD(&s->dest_ops) & SF_OPBIT(op)))
		return !(SF_LOAD(&s->opmask) & SF_OPBIT(op));
	uint64_t k0;
	if (!sf_dest_where(op, &dest, &destlen, msg) || !sf_dest_first(dest, destlen, &k0))
		return 0;
	int ok = 0, counted = 0;
	/* Before the plan: sf_dest_keep. */
	struct sf_dest_copy *copy = SF_ACQUIRE(&s->dest);
	uint32_t copy_seq = __atomic_load_n(&copy->seq, __ATOMIC_ACQUIRE);
	__atomic_fetch_add(&sf_readers, 1, __ATOMIC_SEQ_CST);
	const struct sf_plan *plan = SF_ACQUIRE(&s->plan);
	const struct sf_plan_dgram *dg = plan ? sf_plan_dg(plan) : NULL;
	uint32_t seq;
	/* pass is 0 until a verdict is kept. */
	if (dg && sf_dest_verdict(dg, dest, k0, &seq)) {
		sf_opmask pass = SF_LOAD(&dg->pass);
		struct sf_dest_seen seen;
		sf_dest_saw(&seen, dg, dest, pass);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&dg->dest_seq, __ATOMIC_RELAXED) == seq) {
			sf_dest_keep(copy, copy_seq, plan, &seen);
			ok = (pass & SF_OPBIT(op)) != 0;
			/* A nested call (a signal handler's, a vfork
			 * child's) is not counted: the lanes let it pass. */
			if (!ok && !sf_self.depth)
				ok = counted = sf_dest_gate(plan, seen.one[sf_dest_one_slot(op)]);
		}
	}
	if (__atomic_sub_fetch(&sf_readers, 1, __ATOMIC_SEQ_CST) == 0 && SF_LOAD(&sf_retired) && !counted)
		ok = 0;
	return ok;
}

/* The copy's first word is the destination's: 1, its verdict lets the op
 * of slot through; 0, it does not; -1, an IPv6 copy for another address
 * or scope. pass is read again rather than held: no register is left. */
static inline __attribute__((always_inline)) int sf_dest_copy_pass(const struct sf_dest_copy *d, int slot,
								   const struct sockaddr *dest, socklen_t destlen)
{
	if (SF_LOAD(&d->pass) & SF_DEST_COPY_PASS4(slot))
		return 1;
	if (!(SF_LOAD(&d->pass) & SF_DEST_COPY_V6))
		return 0;
	if (destlen != (socklen_t)sizeof(struct sockaddr_in6) || SF_LOAD(&d->key[1]) != sf_dest_word(dest, 8) ||
	    SF_LOAD(&d->key[2]) != sf_dest_word(dest, 16) ||
	    SF_LOAD(&d->scope) != ((const struct sockaddr_in6 *)dest)->sin6_scope_id)
		return -1;
	return (SF_LOAD(&d->pass) & SF_DEST_COPY_PASS6(slot)) != 0;
}

/* What the wrappers' first look answers (sf_dest_look). */
enum sf_dest_answer {
	SF_DEST_ASK_PLAN = -1, /* the record's copy does not answer */
	SF_DEST_LANES = 0,     /* the wrapper's other lanes decide */
	SF_DEST_LIBC = 1,      /* straight to libc */
	/* The copy's gate ran (sf_dest_copy_gate): it counted the call,
	 * which goes to libc; it did not, and the lanes decide. Answers of
	 * their own, for ways out of the wrapper of their own: the registers
	 * the gate needs are saved and restored on its way only. */
	SF_DEST_COUNTED = 2,
	SF_DEST_UNCOUNTED = 3,
	/* The call names no destination: the plan's verdict for the
	 * connected peer (sf_dest_unnamed_pass), out of line. */
	SF_DEST_UNNAMED = 4,
};

/* The copy holds for the destination (its count was seq) but does not let
 * the call through: its one entry that names the call, whose gate may
 * settle it (sf_dest_gate), under a reader section, on the copy's plan.
 * A replan stores its plan, moves the count, then retires the plan it
 * replaced: with the count as it was once the section has begun, the
 * copy's plan is readable until the section ends (and, were a newer one
 * published meanwhile, the call counts as made just before it). */
static inline __attribute__((always_inline)) enum sf_dest_answer sf_dest_copy_gate(const struct sf_dest_copy *d,
										   uint32_t seq, int slot)
{
	uint16_t one = SF_LOAD(&d->one[slot]);
	if (one >= SF_DEST_SEVERAL)
		return SF_DEST_LANES;
	const struct sf_plan *plan = SF_LOAD(&d->plan);
	uint32_t names = SF_LOAD(&d->names_gen);
	int ok = 0;
	__atomic_fetch_add(&sf_readers, 1, __ATOMIC_SEQ_CST);
	if (SF_LOAD(&d->seq) == seq && names == SF_LOAD(&sf_names_gen))
		ok = sf_dest_gate(plan, one);
	/* What the section's end leaves to free is freed by the slow path
	 * an uncounted call takes; a counted one goes to libc (counting it
	 * again is not an option), and leaves it to the next (sf_dest_pass). */
	__atomic_sub_fetch(&sf_readers, 1, __ATOMIC_SEQ_CST);
	return ok ? SF_DEST_COUNTED : SF_DEST_UNCOUNTED;
}

/* The look the wrappers take first (wrappers.c sf_look_NAME), at the
 * record's copy of its plan's verdict for the last destination, for the
 * call to dest on fd (sendmsg: msg's): SF_DEST_LIBC when the plan's
 * verdict would be (sf_dest_pass).
 *
 * It runs on the registers the wrapper's arguments leave free: with one
 * more, the wrapper would save and restore it (a push and a pop each);
 * an atomic load is never folded into a compare, so no two atomic values
 * are held at once but the count. What each step costs is what the call
 * pays over no preload, in instructions (scripts/bench's UDP sendto loop,
 * an IPv4 destination no rule holds for: 55 in all, 10 of them the
 * wrapper's bit test before and its jump to libc after):
 *   the descriptor's record, current (15): as sf_pass_v;
 *   a rule about destinations names the call (3): as sf_pass_v's opmask;
 *   the destination readable (8; sendmsg: the header too): the wrapper
 *     reads it where the kernel would fail with EFAULT, and must not fault;
 *   the copy holds and is for this destination (8): where the record
 *     keeps it, its count, and the sockaddr's first word as it is (family,
 *     port, IPv4 address);
 *   the verdict (3), the count again (4), which a writer moved if the
 *     copy was written or replaced meanwhile, and the names known now (4;
 *     a new name may make a host= rule hold).
 * No plan is read and no reader section entered but for a rule whose gate
 * counts the call (when= not due): its entry is the plan's, which stays
 * readable within the section only. Inline in the wrappers' out-of-line
 * part, which then tail-calls. */
static inline __attribute__((always_inline)) enum sf_dest_answer sf_dest_look(enum sf_op op, int fd,
									      const struct sockaddr *dest,
									      socklen_t destlen,
									      const struct msghdr *msg, uint32_t gen)
{
	uintptr_t v = sf_fd_get(fd);
	const struct sf_sock *s = (const struct sf_sock *)v;
	if (!v || !sf_sock_current(s, gen))
		return SF_DEST_LANES;
	if (!(SF_LOAD(&s->dest_ops) & SF_OPBIT(op)))
		return SF_LOAD(&s->opmask) & SF_OPBIT(op) ? SF_DEST_LANES : SF_DEST_LIBC;
	if (!sf_dest_where(op, &dest, &destlen, msg))
		return dest ? SF_DEST_LANES : SF_DEST_UNNAMED;
	const struct sf_dest_copy *d = SF_ACQUIRE(&s->dest);
	uint32_t seq = __atomic_load_n(&d->seq, __ATOMIC_ACQUIRE);
	/* The first word carries the family: an IPv4 copy's matches only an
	 * AF_INET destination, an IPv6 copy's an AF_INET6 one. */
	if (SF_LOAD(&d->made) != seq || SF_LOAD(&d->key[0]) != sf_dest_word(dest, 0))
		return SF_DEST_ASK_PLAN;
	int pass = sf_dest_copy_pass(d, sf_dest_one_slot(op), dest, destlen);
	if (pass < 0)
		return SF_DEST_ASK_PLAN;
	/* One place that runs the gate (SF_DEST_COUNTED), but for a nested
	 * call (a signal handler's, a vfork child's), which the lanes let
	 * pass uncounted. */
	if (!pass)
		return sf_self.depth ? SF_DEST_LANES : sf_dest_copy_gate(d, seq, sf_dest_one_slot(op));
	uint32_t names = SF_LOAD(&d->names_gen);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (SF_LOAD(&d->seq) != seq || names != SF_LOAD(&sf_names_gen))
		return SF_DEST_ASK_PLAN;
	return SF_DEST_LIBC;
}

#endif
